// compare.js - run an exported model in ONNX Runtime (onnxruntime-node,
// CPU execution provider) on the rows onnx_cases wrote, and compare every
// output with ck_predict's. An element passes when
//
//     |ort - ck| <= RTOL * max(|ort|, |ck|) + ATOL
//
// (relative 1e-5; the absolute floor only matters for values near 0, where
// a relative bound means nothing: float32 sums of O(1) terms round at
// ~1e-7). The rows run twice: all at once (one batch of N), and the first
// few one row at a time, so the dynamic batch dim is exercised at 1 too.
//
// usage: node compare.js DIR/CASE.json      (exit 0: every element passes)
'use strict';
const fs = require('fs');
const path = require('path');
const ort = require('onnxruntime-node');

const RTOL = 1e-5;
const ATOL = 1e-6;
const SINGLE_ROWS = 8; // rows also run as batches of 1

function readTyped(file, dtype) {
  const buf = fs.readFileSync(file);
  const bytes = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length);
  return dtype === 'int32' ? new Int32Array(bytes) : new Float32Array(bytes);
}

function rowsOf(data, shape, start, count) {
  const perRow = shape.slice(1).reduce((a, b) => a * b, 1);
  return data.slice(start * perRow, (start + count) * perRow);
}

// {worst ratio to the bound, max |diff|, failures} of got against expected.
function compare(got, expected) {
  let worst = 0, maxDiff = 0, failures = 0;
  for (let i = 0; i < expected.length; i++) {
    const a = got[i], b = expected[i];
    const diff = Math.abs(a - b);
    const bound = RTOL * Math.max(Math.abs(a), Math.abs(b)) + ATOL;
    if (!(diff <= bound)) failures++; // NaN fails too
    maxDiff = Math.max(maxDiff, diff);
    worst = Math.max(worst, diff / bound);
  }
  return { worst, maxDiff, failures };
}

async function main() {
  const manifestPath = process.argv[2];
  const dir = path.dirname(manifestPath);
  const m = JSON.parse(fs.readFileSync(manifestPath, 'utf8'));
  const session = await ort.InferenceSession.create(path.join(dir, m.model), { executionProviders: ['cpu'] });
  const inputs = m.inputs.map((i) => ({ ...i, data: readTyped(path.join(dir, i.file), i.dtype) }));
  const expected = m.outputs.map((o) => ({ ...o, data: readTyped(path.join(dir, o.file), 'float32') }));

  const feeds = (start, count) => {
    const f = {};
    for (const i of inputs) f[i.name] = new ort.Tensor(i.dtype, rowsOf(i.data, i.shape, start, count), [count, ...i.shape.slice(1)]);
    return f;
  };
  let failed = 0;
  const all = await session.run(feeds(0, m.rows));
  for (const o of expected) {
    const got = all[o.name];
    if (!got || got.dims.join(',') !== o.shape.join(',')) {
      console.log(`${m.model}: output ${o.name}: shape ${got ? got.dims : 'missing'}, expected ${o.shape}: FAILED`);
      failed++;
      continue;
    }
    const r = compare(got.data, o.data);
    const single = { worst: 0, failures: 0 };
    // an output computed from the whole batch's statistics (whole_batch)
    // is another value on one row: compared on the whole batch only
    const singleRows = o.whole_batch ? 0 : SINGLE_ROWS;
    for (let row = 0; row < singleRows; row++) {
      const one = (await session.run(feeds(row, 1)))[o.name];
      const c = compare(one.data, rowsOf(o.data, o.shape, row, 1));
      single.worst = Math.max(single.worst, c.worst);
      single.failures += c.failures;
    }
    const ok = r.failures === 0 && single.failures === 0;
    console.log(
      `${m.model}: output ${o.name} ${JSON.stringify(o.shape)}: ONNX Runtime vs ck_predict, ${m.rows} rows in one ` +
        `batch: max |diff| ${r.maxDiff.toExponential(2)}, worst diff/bound ${r.worst.toFixed(3)}; ` +
        (singleRows ? `${singleRows} rows one by one: worst ${single.worst.toFixed(3)}` : 'whole batch only') +
        `: ${ok ? 'ok' : 'FAILED'}`,
    );
    if (!ok) failed++;
  }
  process.exit(failed ? 1 : 0);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
