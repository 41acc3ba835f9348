// The browser part of `npm run bench`: in one Chromium session, time per forward, gradient,
// LRP and RISE (4000 masks) on heatlens' WebGPU backend and its wasm build, and forwards on
// onnxruntime-web's webgpu and wasm execution providers. Prints the adapter first: on these
// machines WebGPU runs on SwiftShader (a CPU emulation), so its figures there are not GPU
// figures; on a machine with a GPU the same script measures the GPU.
//
//   node tests/bench/browser.mjs            (BENCH_BROWSER_MODELS=cifar10-resnet,mnist-cnn)
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openPage } from '../e2e/browser.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const ortDist = path.join(root, 'node_modules/onnxruntime-web/dist');
const models = (process.env.BENCH_BROWSER_MODELS || 'mnist-cnn,cifar10-resnet').split(',');
const iters = Number(process.env.BENCH_ITERS || 5);
const riseMasks = Number(process.env.BENCH_RISE_MASKS || 4000);

export async function browserBench() {
  const session = await openPage('/?coi=0');
  const { page } = session;
  // onnxruntime-web with its WebGPU provider, served from node_modules for this session only.
  await page.context().route('**/ort-bench/**', (route) => {
    const file = path.join(ortDist, path.basename(new URL(route.request().url()).pathname));
    route.fulfill({ body: fs.readFileSync(file), contentType: file.endsWith('.wasm') ? 'application/wasm' : 'text/javascript' });
  });
  const rows = [];
  let adapter = '';
  try {
    for (const name of models) {
      const r = await page.evaluate(async ({ name, iters, riseMasks }) => {
        const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
        const time = async (fn, n) => {
          const ts = [];
          for (let i = 0; i < n; i++) {
            const t0 = performance.now();
            await fn();
            ts.push(performance.now() - t0);
          }
          return median(ts);
        };
        const e = window.heatlensEngine;
        const info = await e.ready;
        const bytes = await (await fetch(`models/${name}/model.onnx`)).arrayBuffer();
        const model = await e.call('loadModel', [bytes, '']);
        const shape = model.inputs[0].shape.map((d) => (typeof d === 'number' ? d : 1));
        const x = new Float32Array(shape.reduce((a, b) => a * b, 1)).map((_, i) => Math.sin(i));
        // On a software adapter 4000 masks take tens of minutes: fewer, and the table says so.
        const masks = /swiftshader/i.test(info.adapter) ? Math.min(riseMasks, 256) : riseMasks;
        const out = { adapter: info.adapter, gpuUsable: info.gpuUsable, masks };
        for (const backend of ['webgpu', 'cpu']) {
          if (backend === 'webgpu' && !info.gpuUsable) continue;
          await e.call('setBackend', [backend]);
          await e.call('predict', [x, shape]);  // warm-up: pipelines, weight uploads
          out[backend] = {
            forward: await time(() => e.call('predict', [x, shape]), iters),
            gradient: await time(() => e.call('explain', [x, shape, 'gradient', {}, 0, 'logit']), iters),
            lrp: await time(() => e.call('explain', [x, shape, 'lrp', {}, 0, 'logit']), iters),
            rise: await time(() => e.call('explain', [x, shape, 'rise', { masks }, 0, 'logit']), 1),
          };
        }
        await e.call('setBackend', ['cpu']);
        const ort = await import('/ort-bench/ort.all.min.mjs');
        ort.env.wasm.wasmPaths = new URL('/ort-bench/', location.href).href;
        ort.env.wasm.numThreads = 1;
        for (const ep of ['webgpu', 'wasm']) {
          try {
            const s = await ort.InferenceSession.create(new Uint8Array(bytes), { executionProviders: [ep] });
            const feeds = { [s.inputNames[0]]: new ort.Tensor('float32', x, shape) };
            await s.run(feeds);
            out[`ort_${ep}`] = await time(() => s.run(feeds), iters);
          } catch (err) {
            out[`ort_${ep}`] = String(err.message || err).slice(0, 80);
          }
        }
        return out;
      }, { name, iters, riseMasks });
      adapter = r.adapter;
      rows.push({ name, ...r });
    }
  } finally {
    await session.close();
  }
  const f = (v) => (typeof v === 'number' ? v.toFixed(1) : v ?? '–');
  console.log(`\nBrowser (Chromium, one session; WebGPU adapter: ${adapter || 'none'}${/swiftshader/i.test(adapter) ? ' — a CPU emulation: not GPU figures' : ''})`);
  console.log('| model | heatlens WebGPU fwd | grad | LRP | RISE | heatlens wasm fwd | grad | LRP | RISE | RISE masks | ORT-web webgpu fwd | ORT-web wasm fwd |');
  console.log(`|${'---|'.repeat(12)}`);
  for (const r of rows) {
    const g = r.webgpu || {};
    const c = r.cpu || {};
    console.log(`| ${r.name} | ${f(g.forward)} | ${f(g.gradient)} | ${f(g.lrp)} | ${f(g.rise)} | ${f(c.forward)} | ${f(c.gradient)} | ${f(c.lrp)} | ${f(c.rise)} | ${r.masks} | ${f(r.ort_webgpu)} | ${f(r.ort_wasm)} |`);
  }
  console.log(`Milliseconds, medians of ${iters} runs (RISE: one run); heatlens wasm is the single-thread build; heatlens LRP is the default composite (epsilon-plus).`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await browserBench();
