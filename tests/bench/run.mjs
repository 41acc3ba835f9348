// `npm run bench`: heatlens against what a user would run instead, measured in one run on this
// machine (not part of `npm test`). Prints one Markdown table of milliseconds and ratios:
//   native forward vs onnxruntime-node (1 and 2 threads), heatlens wasm vs onnxruntime-web wasm
//   under node (1 thread), heatlens gradient and LRP vs its own forward and vs PyTorch autograd
//   (2 threads), peak memory of a gradient run vs weights + activations, and GEMM GFLOP/s.
// onnxruntime-node is installed on demand into tests/bench/.cache (its install script, which
// downloads GPU libraries, is skipped; the CPU binary is in the package).
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const cache = path.join(root, 'tests/bench/.cache');
const cli = path.join(root, 'build/native/heatlens');
const iters = Number(process.env.BENCH_ITERS || 10);
// Each model's cells are measured in this many rounds, one after the other, and each cell is the
// median of its rounds: on a host whose speed drifts over minutes (a shared VM's second core
// comes and goes), heatlens and ONNX Runtime then see the same conditions in every round.
const rounds = Number(process.env.BENCH_ROUNDS || 3);
fs.mkdirSync(cache, { recursive: true });

function heatlens(args) {
  const r = spawnSync(cli, ['bench', ...args, '--json', '--iters', String(iters)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`heatlens bench ${args.join(' ')}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

function median(xs) { return [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]; }

async function timeAsync(fn) {
  await fn();
  const ms = [];
  for (let i = 0; i < iters; i++) {
    const t0 = performance.now();
    await fn();
    ms.push(performance.now() - t0);
  }
  return median(ms);
}

console.error('bench: exporting models and timing PyTorch (Debian torch, 2 threads)…');
const torch = JSON.parse(execFileSync('/usr/bin/python3', [path.join(root, 'tests/bench/export_models.py'), '--iters', String(iters)],
  { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }));

if (!fs.existsSync(path.join(cache, 'node_modules/onnxruntime-node'))) {
  console.error('bench: installing onnxruntime-node into tests/bench/.cache…');
  execFileSync('npm', ['install', '--prefix', cache, '--ignore-scripts', '--no-audit', '--no-fund', 'onnxruntime-node@1.30.0'], { stdio: 'inherit' });
}
const require = createRequire(path.join(cache, 'package.json'));
const ortNode = require('onnxruntime-node');
const ortWeb = await import('onnxruntime-web');
ortWeb.env.wasm.numThreads = 1;

// heatlens' single-thread wasm build under node.
globalThis.require = createRequire(import.meta.url);
globalThis.__dirname = path.join(root, 'build/wasm');
const { default: createHeatlens } = await import(pathToFileURL(path.join(root, 'build/wasm/heatlens.js')).href);
const wasm = await createHeatlens({ wasmBinary: fs.readFileSync(path.join(root, 'build/wasm/heatlens.wasm')) });

const input = new Float32Array(3 * 224 * 224).map((_, i) => Math.sin(i));
const rows = [];
for (const [name, t] of Object.entries(torch)) {
  console.error(`bench: ${name}`);
  const ort = {};
  for (const threads of [1, 2]) {
    const session = await ortNode.InferenceSession.create(t.onnx, { intraOpNumThreads: threads, interOpNumThreads: 1 });
    ort[threads] = { session, feeds: { [session.inputNames[0]]: new ortNode.Tensor('float32', input, [1, 3, 224, 224]) } };
  }
  const webSession = await ortWeb.InferenceSession.create(fs.readFileSync(t.onnx), { executionProviders: ['wasm'] });
  const webFeeds = { [webSession.inputNames[0]]: new ortWeb.Tensor('float32', input, [1, 3, 224, 224]) };
  const loaded = wasm.loadModel(fs.readFileSync(t.onnx), '');
  if (loaded.error) throw new Error(loaded.error);
  const measured = [];
  for (let round = 0; round < rounds; round++) {
    const m = {};
    for (const threads of [1, 2]) {
      m[`ort${threads}`] = await timeAsync(() => ort[threads].session.run(ort[threads].feeds));
      m[`hl${threads}`] = heatlens([t.onnx, '--threads', String(threads)]).median_ms;
    }
    m.ortWeb = await timeAsync(() => webSession.run(webFeeds));
    m.hlWasm = await timeAsync(() => { const r = wasm.forwardOutput(input, [1, 3, 224, 224]); if (r.error) throw new Error(r.error); });
    const grad = heatlens([t.onnx, '--method', 'gradient', '--threads', '2']);
    m.grad = grad.median_ms;
    m.gradMem = grad.peak_rss_mib;
    m.weightsActs = grad.parameters_mib + grad.activations_mib;
    m.lrp = heatlens([t.onnx, '--method', 'lrp', '--threads', '2']).median_ms;
    measured.push(m);
  }
  const row = { name };
  for (const key of Object.keys(measured[0])) row[key] = median(measured.map((m) => m[key]));
  row.torchFwd = t.torch_forward_ms;
  row.torchGrad = t.torch_gradient_ms;
  rows.push(row);
}
// GEMM against the machine's own FMA peak, and batching on a bundled model.
const gemm = [1, 2].map((t) => heatlens(['--gemm', '1024,1024,1024', '--threads', String(t)]));
const peak = [1, 2].map((t) => {
  const r = spawnSync(cli, ['bench', '--peak', '--threads', String(t), '--iters', '3', '--json'], { encoding: 'utf8' });
  return r.status === 0 ? JSON.parse(r.stdout) : null;  // null: no AVX2+FMA here
});
const bundled = path.join(root, 'models/cifar10-resnet/model.onnx');
const batch = [1, 32].map((b) => heatlens([bundled, '--batch', String(b), '--threads', '2']));

const f = (v) => v.toFixed(1);
const r = (a, b) => `${(a / b).toFixed(2)}×`;
console.log(`| model | ORT 1t | heatlens 1t | ratio (≤1.25) | ORT 2t | heatlens 2t | ratio (≤1.25) | ORT-web wasm | heatlens wasm | ratio (≤1.0) | gradient | grad/fwd (≤3.0) | LRP | LRP/fwd (≤3.5) | PyTorch fwd+bwd | grad vs PyTorch (<1) | LRP vs PyTorch (<1) | peak MiB / (weights+acts) (≤2) |`);
console.log(`|${'---|'.repeat(18)}`);
for (const x of rows) {
  console.log(`| ${x.name} | ${f(x.ort1)} | ${f(x.hl1)} | ${r(x.hl1, x.ort1)} | ${f(x.ort2)} | ${f(x.hl2)} | ${r(x.hl2, x.ort2)} | ${f(x.ortWeb)} | ${f(x.hlWasm)} | ${r(x.hlWasm, x.ortWeb)} | ${f(x.grad)} | ${r(x.grad, x.hl2)} | ${f(x.lrp)} | ${r(x.lrp, x.hl2)} | ${f(x.torchGrad)} | ${r(x.grad, x.torchGrad)} | ${r(x.lrp, x.torchGrad)} | ${f(x.gradMem)} / ${f(x.weightsActs)} = ${r(x.gradMem, x.weightsActs)} |`);
}
const pct = (g, p) => (p ? ` = ${((100 * g.gflops) / p.gflops).toFixed(0)}% of the measured FMA peak ${p.gflops.toFixed(1)}` : ' (no AVX2+FMA peak to compare)');
console.log(`\nMilliseconds are medians of ${iters} runs (per model, the median of ${rounds} rounds taken one after the other); batch 1, 224×224; gradient, LRP and PyTorch on 2 threads; heatlens wasm is the single-thread SIMD128 build.`);
console.log(`GEMM 1024³ (${gemm[0].kernel}): 1 thread ${gemm[0].gflops.toFixed(1)} GFLOP/s${pct(gemm[0], peak[0])}; 2 threads ${gemm[1].gflops.toFixed(1)} GFLOP/s${pct(gemm[1], peak[1])}.`);
console.log(`Batched forward (cifar10-resnet, 2 threads): batch 1 ${batch[0].median_ms.toFixed(2)} ms/image, batch 32 ${(batch[1].median_ms / 32).toFixed(2)} ms/image.`);

// The browser part: WebGPU vs the wasm build vs onnxruntime-web, in one Chromium session.
if (process.env.BENCH_BROWSER !== '0') {
  const { browserBench } = await import('./browser.mjs');
  await browserBench();
}
