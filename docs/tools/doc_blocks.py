#!/usr/bin/env python3
"""doc_blocks.py - the generated parts of a markdown document (see docs/regen.sh).

  doc_blocks.py splice DOC FRAGDIR   print DOC with every region
        <!-- generated: NAME -->
        ...
        <!-- end generated -->
      replaced by the file FRAGDIR/NAME.md when it exists (regions without a
      fragment are kept as they are)
  doc_blocks.py extract DOC NAME     print the code of the fenced block that
      follows the line <!-- program: NAME --> (what the doc shows is what runs)
  doc_blocks.py names DOC            print the names of the generated regions
"""
import os
import re
import sys

BEGIN = re.compile(r'^<!-- generated: ([\w.-]+) -->$')
END = '<!-- end generated -->'


def splice(doc, fragdir):
    out, lines, i = [], open(doc).read().split('\n'), 0
    while i < len(lines):
        m = BEGIN.match(lines[i])
        out.append(lines[i])
        i += 1
        if not m:
            continue
        j = i
        while j < len(lines) and lines[j] != END:
            j += 1
        if j == len(lines):
            sys.exit(f'{doc}: region {m.group(1)} has no "{END}"')
        frag = os.path.join(fragdir, m.group(1) + '.md')
        if os.path.exists(frag):
            out.extend(open(frag).read().rstrip('\n').split('\n'))
        else:
            out.extend(lines[i:j])
        i = j
    sys.stdout.write('\n'.join(out))


def extract(doc, name):
    lines = open(doc).read().split('\n')
    start = lines.index(f'<!-- program: {name} -->')
    fence = next(k for k in range(start + 1, len(lines)) if lines[k].startswith('```'))
    end = next(k for k in range(fence + 1, len(lines)) if lines[k].startswith('```'))
    sys.stdout.write('\n'.join(lines[fence + 1:end]) + '\n')


def names(doc):
    for line in open(doc):
        m = BEGIN.match(line.rstrip('\n'))
        if m:
            print(m.group(1))


if __name__ == '__main__':
    cmd = sys.argv[1] if len(sys.argv) > 1 else ''
    if cmd == 'splice' and len(sys.argv) == 4:
        splice(sys.argv[2], sys.argv[3])
    elif cmd == 'extract' and len(sys.argv) == 4:
        extract(sys.argv[2], sys.argv[3])
    elif cmd == 'names' and len(sys.argv) == 3:
        names(sys.argv[2])
    else:
        sys.exit(__doc__)
