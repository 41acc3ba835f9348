// The WebGPU backend in Chromium (WebGPU on SwiftShader: correct, not fast):
// - every WGSL kernel against the CPU engine (the Catch2 module build/wasm/heatlens_gpu_tests);
// - the bundled models and the golden networks: prediction, gradient, LRP and a perturbation
//   method on WebGPU match the wasm CPU backend, and so do onnxruntime-web's WebGPU provider's
//   prediction and RISE with it as the runner (a second opinion);
// - a lost device falls back to the CPU with a message, and the page stays alive.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { openPage } from './browser.mjs';

const root = new URL('../../', import.meta.url).pathname;
const gpuTestsDir = path.join(root, 'build/wasm');

// Bundled models and the golden networks (ONNX bytes read here, handed to the page).
function modelFiles() {
  const found = [];
  for (const dir of ['models', 'tests/golden/fixtures', 'tests/golden/explainers', 'tests/golden/audio']) {
    for (const name of fs.readdirSync(path.join(root, dir))) {
      const file = path.join(root, dir, name, 'model.onnx');
      if (fs.existsSync(file)) found.push({ name: `${dir}/${name}`, file });
    }
  }
  return found;
}

let session;
before(async () => {
  session = await openPage('/?coi=0');
  // The test module is served from the build tree, next to the page's origin.
  await session.page.context().route('**/gpu-tests/**', (route) => {
    const file = path.join(gpuTestsDir, path.basename(new URL(route.request().url()).pathname));
    route.fulfill({ body: fs.readFileSync(file), contentType: file.endsWith('.js') ? 'text/javascript' : 'application/wasm' });
  });
});
after(async () => { await session.close(); });

test('every WGSL kernel matches the CPU engine on odd shapes and tile boundaries (Catch2 in Chromium)', async () => {
  const r = await session.page.evaluate(async () => {
    const { jspiOptions } = await import('/js/engine-jspi.js');
    const { default: createGpuTests } = await import('/gpu-tests/heatlens_gpu_tests.js');
    const adapter = await navigator.gpu.requestAdapter();
    const device = await adapter.requestDevice();
    const jspi = jspiOptions(new URL('/gpu-tests/heatlens_gpu_tests.wasm', location.href).href);
    const lines = [];
    const module = await createGpuTests({
      ...jspi.options, preinitializedWebGPUDevice: device,
      print: (s) => lines.push(s), printErr: (s) => lines.push(s),
    });
    const run = jspi.promising(module._heatlens_gpu_tests_entry());
    const status = await run();
    return { status, output: lines.join('\n') };
  });
  assert.equal(r.status, 0, r.output);
  assert.match(r.output, /All tests passed \(\d+ assertions in 14 test cases\)/, r.output);
});

const relative = (got, want) => {
  let diff = 0;
  let ref = 1e-6;
  for (let i = 0; i < want.length; i++) {
    diff = Math.max(diff, Math.abs(got[i] - want[i]));
    ref = Math.max(ref, Math.abs(want[i]));
  }
  return diff / ref;
};

test('bundled models and golden networks: predict, gradient, LRP and RISE on WebGPU match the CPU', async () => {
  const models = modelFiles();
  assert.ok(models.length >= 15, `found ${models.length} models`);
  const ortWebgpuDisagrees = [];
  for (const m of models) {
    const bytes = Array.from(fs.readFileSync(m.file));
    const r = await session.page.evaluate(async (bytesArray) => {
      const e = window.heatlensEngine;
      const info = await e.call('loadModel', [new Uint8Array(bytesArray).buffer, '']);
      const shape = info.inputs[0].shape.map((d) => (typeof d === 'number' ? d : 1));
      const n = shape.reduce((a, b) => a * b, 1);
      const x = new Float32Array(n).map((_, i) => Math.sin(i * 0.37) * 0.8);
      const results = {};
      for (const backend of ['cpu', 'webgpu']) {
        await e.call('setBackend', [backend]);
        const p = await e.call('predict', [x, shape]);
        const target = p.logits.indexOf(Math.max(...p.logits));
        const g = await e.call('explain', [x, shape, 'gradient', {}, target, 'logit']);
        const l = await e.call('explain', [x, shape, 'lrp', {}, target, 'logit']);
        const s = await e.call('explain', [x, shape, 'rise', { masks: 32, center: false }, target, 'logit']);
        results[backend] = { logits: Array.from(p.logits), gradient: Array.from(g.relevance), lrp: Array.from(l.relevance),
          rise: Array.from(s.relevance), report: g.backend, lrpReport: l.backend, riseReport: s.backend };
      }
      // onnxruntime-web's WebGPU provider as a second opinion: its prediction, and RISE with it
      // as the black-box runner (the same masks), against heatlens.
      await e.call('setBackend', ['ort-webgpu']);
      const op = await e.call('predictExternal', [x, shape]);
      const target = results.cpu.logits.indexOf(Math.max(...results.cpu.logits));
      const os = await e.call('explainExternal', [x, shape, 'rise', { masks: 32, center: false }, target, 'logit']);
      await e.call('setBackend', ['cpu']);
      const ow = await e.call('predictExternal', [x, shape]);  // the wasm provider: a third opinion
      results.ort = { logits: Array.from(op.logits), rise: Array.from(os.relevance), report: os.backend, wasmLogits: Array.from(ow.logits) };
      return results;
    }, bytes);
    const { cpu, webgpu, ort } = r;
    // Where onnxruntime-web's WebGPU provider disagrees with heatlens, its wasm provider (which
    // matches PyTorch on the golden networks) must side with heatlens.
    assert.ok(relative(ort.wasmLogits, cpu.logits) <= 1e-4, `${m.name}: ONNX Runtime wasm logits ${relative(ort.wasmLogits, cpu.logits)}`);
    if (relative(ort.logits, cpu.logits) <= 1e-4) {
      assert.ok(relative(ort.rise, cpu.rise) <= 1e-4, `${m.name}: RISE through ONNX Runtime WebGPU ${relative(ort.rise, cpu.rise)}`);
    } else {
      ortWebgpuDisagrees.push(`${m.name} (${relative(ort.logits, cpu.logits).toExponential(1)})`);
    }
    assert.equal(ort.report.backend, 'ort-webgpu', m.name);
    assert.ok(ort.report.stats.ort_runs >= 2, m.name);
    assert.ok(relative(webgpu.logits, cpu.logits) <= 1e-4, `${m.name}: logits`);
    assert.ok(relative(webgpu.gradient, cpu.gradient) <= 1e-4, `${m.name}: gradient ${relative(webgpu.gradient, cpu.gradient)}`);
    assert.ok(relative(webgpu.lrp, cpu.lrp) <= 1e-4, `${m.name}: LRP ${relative(webgpu.lrp, cpu.lrp)}`);
    assert.ok(relative(webgpu.rise, cpu.rise) <= 1e-4, `${m.name}: RISE ${relative(webgpu.rise, cpu.rise)}`);
    assert.equal(webgpu.report.backend, 'webgpu', m.name);
    assert.ok(webgpu.report.stats.device_nodes > 0, `${m.name}: nodes ran on the GPU`);
    assert.ok(webgpu.lrpReport.stats.device_nodes > 0, `${m.name}: LRP ran on the GPU`);
    assert.ok(webgpu.riseReport.stats.device_nodes > 0, `${m.name}: RISE batches ran on the GPU`);
  }
  // The second opinion must hold on most models. onnxruntime-web 1.30's WebGPU provider gets a
  // few wrong on SwiftShader (googlenet_mini: 16% from PyTorch's own output, where its wasm
  // provider is within 1e-7; squeezenet_mini and plain_cnn likewise).
  if (ortWebgpuDisagrees.length) console.log(`ONNX Runtime WebGPU disagrees (outvoted by its wasm provider): ${ortWebgpuDisagrees.join(', ')}`);
  assert.ok(ortWebgpuDisagrees.length <= models.length / 4, ortWebgpuDisagrees.join(', '));
});

test('every method of the registry runs on the WebGPU backend and equals the CPU', async () => {
  // mnist-cnn, with the sampling methods cut down to a few samples (SwiftShader is slow); the
  // random draws are the host's in both runs, so the maps must agree within float error.
  const small = {
    smoothgrad: { samples: 4 }, 'smoothgrad-square': { samples: 4 }, vargrad: { samples: 4 },
    'integrated-gradients': { steps: 4 }, 'expected-gradients': { samples: 4 },
    occlusion: { window: 7, stride: 7 }, rise: { masks: 32 }, lime: { samples: 32 },
    'kernel-shap': { samples: 32 }, 'shapley-sampling': { samples: 2, segments: 10 },
    'meaningful-perturbation': { iterations: 5 }, rde: { steps: 5, samples: 2 },
    'matching-pursuit': { samples: 1, grouping: 'tiles' },
  };
  const bytes = Array.from(fs.readFileSync(path.join(root, 'models/mnist-cnn/model.onnx')));
  const card = fs.readFileSync(path.join(root, 'models/mnist-cnn/card.json'), 'utf8');
  const r = await session.page.evaluate(async ({ bytesArray, cardText, params }) => {
    const e = window.heatlensEngine;
    await e.call('loadModel', [new Uint8Array(bytesArray).buffer, cardText]);
    const methods = (await e.call('methods', [])).map((m) => m.name);
    const x = new Float32Array(28 * 28).map((_, i) => ((i * 7) % 29) / 29);
    const shape = [1, 1, 28, 28];
    const out = {};
    for (const method of methods) {
      out[method] = {};
      for (const backend of ['cpu', 'webgpu']) {
        await e.call('setBackend', [backend]);
        const a = await e.call('explain', [x, shape, method, params[method] || {}, 3, 'logit']);
        out[method][backend] = { relevance: Array.from(a.relevance), report: a.backend };
      }
    }
    await e.call('setBackend', ['cpu']);
    return out;
  }, { bytesArray: bytes, cardText: card, params: small });
  const names = Object.keys(r);
  assert.ok(names.length >= 20, names.join(', '));
  for (const method of names) {
    const { cpu, webgpu } = r[method];
    assert.equal(webgpu.report.backend, 'webgpu', method);
    assert.ok(webgpu.report.stats.device_nodes > 0, `${method}: nothing ran on the GPU`);
    // Fitted maps (the surrogate regressions of LIME and Kernel SHAP, the optimised masks of
    // meaningful perturbation and RDE) amplify the scores' float differences by the fit's
    // conditioning; everything else is one computation of the same sums.
    const fitted = ['lime', 'kernel-shap', 'meaningful-perturbation', 'rde'].includes(method);
    const tolerance = fitted ? 1e-3 : 1e-4;
    assert.ok(relative(webgpu.relevance, cpu.relevance) <= tolerance,
      `${method}: ${relative(webgpu.relevance, cpu.relevance)}`);
  }
});

test('the page offers WebGPU and ONNX Runtime WebGPU, runs methods on them and shows the backend and its CPU fallbacks', async () => {
  const page = await session.page.context().newPage();
  const $ = (id) => `[data-testid="${id}"]`;
  try {
    await page.goto(`${session.origin}/?coi=0#model=cifar10-resnet`);
    await page.waitForFunction(() => document.querySelector('[data-testid="prediction"] li'), null, { timeout: 30000 });
    // SwiftShader is a software adapter: the page starts on the CPU and says why.
    assert.equal(await page.inputValue($('engine-backend-select')), 'cpu');
    assert.match(await page.textContent($('engine-backend-note')), /swiftshader.*software/i);
    await page.selectOption($('engine-backend-select'), 'webgpu');
    await page.waitForFunction(() => document.querySelector('[data-testid="engine-backend-select"]').value === 'webgpu');
    for (const method of ['gradient', 'lrp', 'occlusion']) {
      await page.selectOption($('method-select'), method);
      // SwiftShader takes ~0.4 s per forward here: 64 windows instead of the default 225.
      if (method === 'occlusion') await page.fill($('param-stride'), '4');
      await page.click($('run'));
      await page.waitForFunction(() => /^(done|error:)/.test(document.querySelector('[data-testid="status"]').textContent), null, { timeout: 120000 });
      assert.match(await page.textContent($('status')), /^done/, method);
      const rows = await page.$$eval('[data-testid="backend-row"]', (trs) => Object.fromEntries(trs.map((tr) => [tr.cells[0].textContent, tr.cells[1].textContent])));
      assert.equal(rows['ran on'], 'WebGPU', method);
      assert.ok(Number(rows['GPU node runs']) > 0, `${method}: ${JSON.stringify(rows)}`);
      assert.ok('CPU fallbacks' in rows && /up .* down/.test(rows.transfers), `${method}: ${JSON.stringify(rows)}`);
    }
    // onnxruntime-web's WebGPU provider as the runner: gradient methods are off, occlusion runs.
    await page.selectOption($('engine-backend-select'), 'ort-webgpu');
    await page.waitForFunction(() => /ONNX Runtime runs the forward/.test(document.querySelector('[data-testid="engine-backend-note"]').textContent));
    assert.equal(await page.$eval(`${$('method-select')} option[value="gradient"]`, (o) => o.disabled), true);
    assert.equal(await page.inputValue($('method-select')), 'occlusion');
    await page.click($('run'));
    await page.waitForFunction(() => /^(done|error:)/.test(document.querySelector('[data-testid="status"]').textContent), null, { timeout: 120000 });
    assert.match(await page.textContent($('status')), /^done/);
    const rows = await page.$$eval('[data-testid="backend-row"]', (trs) => Object.fromEntries(trs.map((tr) => [tr.cells[0].textContent, tr.cells[1].textContent])));
    assert.equal(rows['ran on'], 'ONNX Runtime Web (WebGPU)', JSON.stringify(rows));
    assert.ok(Number(rows['ONNX Runtime runs']) > 1, JSON.stringify(rows));
  } finally {
    await page.close();
  }
});

test('a lost GPU device falls back to the CPU with a message, and the page stays alive', async () => {
  const page = session.page;
  const r = await page.evaluate(async () => {
    const e = window.heatlensEngine;
    const bytes = await (await fetch('models/mnist-cnn/model.onnx')).arrayBuffer();
    await e.call('loadModel', [bytes, '']);
    const x = new Float32Array(28 * 28).map((_, i) => (i % 29) / 29);
    const shape = [1, 1, 28, 28];
    await e.call('setBackend', ['cpu']);
    const cpu = await e.call('explain', [x, shape, 'gradient', {}, 3, 'logit']);
    await e.call('setBackend', ['webgpu']);
    await e.call('loseGpuDevice', []);
    const after = await e.call('explain', [x, shape, 'gradient', {}, 3, 'logit']);
    const backend = await e.call('backend', []);
    let refused = null;
    try { await e.call('setBackend', ['webgpu']); } catch (err) { refused = String(err.message || err); }
    return { cpu: Array.from(cpu.relevance), after: Array.from(after.relevance), fallback: after.gpuFallback, backend, refused };
  });
  assert.match(r.fallback, /WebGPU failed .*ran on the CPU/);
  assert.equal(r.backend.backend, 'cpu');
  assert.deepEqual(r.after, r.cpu);
  assert.match(r.refused, /WebGPU backend unavailable: the GPU failed earlier/);
  assert.deepEqual(session.consoleErrors.filter((m) => !/device|lost|destroy/i.test(m)), []);
});
