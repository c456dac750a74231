#!/usr/bin/env python3
"""compare_tiny.py C_OUT NUMPY_OUT: checks that the numpy reproduction in
docs/fm-under-the-hood.md prints the same numbers as build/examples/fm_tiny_step
(to 1e-5, float32 against float64). Exit 0 when every quantity agrees."""
import re
import sys

NUM = re.compile(r'-?\d+(?:\.\d+)?(?:e[-+]?\d+)?')


def numbers(text):
    return [float(x) for x in NUM.findall(re.sub(r'row \d:', ' ', text))]


def parse_c(lines):
    """{'fm_1d_output': [...], 'd fm_output': [...], 'w cat_embed_2d_mid/embeddings': [...], ...}"""
    out, section, name = {}, None, None
    for line in lines:
        if line.startswith('forward:'):
            section = ''
        elif line.startswith('backward:'):
            section = 'd '
        elif line.startswith('weight gradients'):
            section = 'w '
        elif line.startswith('loss = '):
            out['loss'] = [float(line.split('=')[-1])]
        elif 'after fit' in line:
            out['adam'] = numbers(line.split('->')[1])
        elif section in ('', 'd ') and line.startswith('  ') and not line.startswith('    '):
            name = section + line.split()[0]
            out[name] = []
        elif section in ('', 'd ') and line.startswith('    row') and name:
            out[name] += numbers(line)
        elif section == 'w ' and line.startswith('  ') and line.strip():
            out['w ' + line.split()[0]] = numbers(line.split(None, 1)[1])
        elif not line.strip():
            section = None if section == 'w ' else section
    return out


def main():
    c = parse_c(open(sys.argv[1]).read().splitlines())
    wanted = {  # numpy's label -> (C's quantity, which of its values)
        'fm_1d_output': ('fm_1d_output', None), 'fm_2d_output': ('fm_2d_output', None),
        'fm_output': ('fm_output', None), 'loss': ('loss', None),
        'd fm_output': ('d fm_output', None), 'd fm_2d_output': ('d fm_2d_output', None),
        'd concat_embed_2d': ('d concat_embed_2d', None),
        'd cat_embed_2d_mid row 1': ('w cat_embed_2d_mid/embeddings', slice(2, 4)),
        'Adam: cat_embed_2d_mid row 1': ('adam', None),
    }
    bad = 0
    seen = 0
    for line in open(sys.argv[2]).read().splitlines():
        label = line[:30].strip()
        if label not in wanted:
            continue
        seen += 1
        key, part = wanted[label]
        got = c.get(key, [])
        got = got[part] if part else got
        want = numbers(line[30:])
        ok = len(got) == len(want) and all(abs(a - b) <= 1e-5 * max(1.0, abs(b)) for a, b in zip(got, want))
        if not ok:
            bad += 1
            print(f'{label}: C {got} numpy {want}')
    if seen != len(wanted):
        print(f'numpy printed {seen} of the {len(wanted)} quantities')
        bad += 1
    print('fm_tiny_step and numpy agree' if not bad else f'{bad} quantities differ')
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
