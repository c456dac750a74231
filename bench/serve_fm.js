// serve_fm.js - prediction throughput of the exported FM in ONNX Runtime
// (onnxruntime-node, CPU, default session options), on the rows serve_fm
// wrote: batch 1 and batch 2048, rows per second, median of 5 runs.
// usage: NODE_PATH=tests/onnx/node_modules node bench/serve_fm.js DIR [THREADS]
'use strict';
const fs = require('fs');
const path = require('path');
const ort = require('onnxruntime-node');

const BIG_BATCH = 2048, BIG_ROWS = 100 * BIG_BATCH, SMALL_ROWS = 20000, REPEATS = 5, MAXLEN = 3;

async function main() {
  const dir = process.argv[2];
  const threads = Number(process.argv[3] || 0); // 0: ONNX Runtime's default
  const opts = { executionProviders: ['cpu'] };
  if (threads) opts.intraOpNumThreads = threads;
  const session = await ort.InferenceSession.create(path.join(dir, 'fm.onnx'), opts);
  const buf = fs.readFileSync(path.join(dir, 'rows.bin'));
  const bytes = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length);
  const occ = new Float32Array(bytes, 0, BIG_ROWS);
  const uid = new Int32Array(bytes, 4 * BIG_ROWS, BIG_ROWS);
  const mid = new Int32Array(bytes, 8 * BIG_ROWS, BIG_ROWS);
  const genre = new Int32Array(bytes, 12 * BIG_ROWS, BIG_ROWS * MAXLEN);
  const feeds = (start, n) => ({
    input_fea3: new ort.Tensor('float32', occ.subarray(start, start + n), [n, 1]),
    input_uid: new ort.Tensor('int32', uid.subarray(start, start + n), [n, 1]),
    input_mid: new ort.Tensor('int32', mid.subarray(start, start + n), [n, 1]),
    input_genre: new ort.Tensor('int32', genre.subarray(start * MAXLEN, (start + n) * MAXLEN), [n, MAXLEN]),
  });
  const median = (v) => v.sort((a, b) => a - b)[Math.floor(v.length / 2)];
  const big = [], small = [];
  for (let rep = 0; rep < REPEATS; rep++) {
    let t0 = process.hrtime.bigint();
    for (let start = 0; start < BIG_ROWS; start += BIG_BATCH) await session.run(feeds(start, BIG_BATCH));
    big.push(BIG_ROWS / (Number(process.hrtime.bigint() - t0) / 1e9));
    t0 = process.hrtime.bigint();
    for (let r = 0; r < SMALL_ROWS; r++) await session.run(feeds(r, 1));
    small.push(SMALL_ROWS / (Number(process.hrtime.bigint() - t0) / 1e9));
  }
  console.log(`onnxruntime-node ${ort.env.versions.common} (threads: ${threads || 'default'}): batch 1: ` +
    `${median(small).toFixed(0)} rows/s; batch ${BIG_BATCH}: ${median(big).toFixed(0)} rows/s (medians of ${REPEATS} runs)`);
}
main().catch((e) => { console.error(e); process.exit(1); });
