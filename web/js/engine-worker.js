// The wasm engine lives in this module worker so the page never blocks.
//
// It loads the threaded build when the page is cross-origin isolated (SharedArrayBuffer is
// available), the single-thread build otherwise, hands it a WebGPU device when the browser
// has one, and answers {id, method, args} messages with {id, result} or {id, error}; long
// calls also post {id, event: 'progress', done, total}.

import { jspiOptions } from './engine-jspi.js';

let engine = null;
let info = null;
let gpuDevice = null;
// The engine's backend for model passes: 'cpu' (the wasm build) or 'webgpu'. GPU-backed calls
// run through JSPI (engine-jspi.js); runDeferred is null where the browser lacks it.
let backend = 'cpu';
let runDeferred = null;

async function requestGpuDevice() {
  if (!self.navigator.gpu) return { device: null, reason: 'navigator.gpu is missing' };
  try {
    const adapter = await navigator.gpu.requestAdapter();
    if (!adapter) return { device: null, reason: 'no WebGPU adapter' };
    const device = await adapter.requestDevice();
    const about = adapter.info || {};
    // A software adapter (SwiftShader) is correct but slower than the wasm build.
    const software = about.isFallbackAdapter === true || /swiftshader/i.test(`${about.architecture} ${about.description}`);
    return { device, reason: '', adapter: [about.vendor, about.architecture, about.description].filter(Boolean).join(' ') || 'unknown', software };
  } catch (e) {
    return { device: null, reason: `WebGPU request failed: ${e.message || e}` };
  }
}

async function boot() {
  const threaded = self.crossOriginIsolated === true && typeof SharedArrayBuffer === 'function';
  const moduleUrl = new URL(threaded ? '../engine/heatlens-mt.js' : '../engine/heatlens.js', import.meta.url);
  const { default: createHeatlens } = await import(moduleUrl.href);
  const gpu = await requestGpuDevice();
  gpuDevice = gpu.device;
  const jspi = jspiOptions(new URL(threaded ? '../engine/heatlens-mt.wasm' : '../engine/heatlens.wasm', import.meta.url).href);
  engine = await createHeatlens({ preinitializedWebGPUDevice: gpu.device || undefined, ...jspi.options });
  runDeferred = jspi.promising(engine.deferredRunner());
  const backendInfo = engine.backendInfo();
  // WebGPU is the default on a hardware adapter; on a software one the wasm build is faster.
  if (backendInfo.gpuUsable && !gpu.software) {
    checked(engine.setBackend('webgpu'));
    backend = 'webgpu';
  }
  info = {
    backend,
    gpuUsable: backendInfo.gpuUsable,
    gpuReason: backendInfo.gpuReason || gpu.reason,
    adapter: gpu.adapter || '',
    version: engine.version(),
    build: engine.buildDescription(),
    threaded,
    threads: engine.threadsEnabled() ? engine.hardwareThreads() : 1,
    webgpu: engine.gpuAvailable(),
    webgpuReason: gpu.reason,
  };
  return info;
}

// Engine results carry `error` instead of throwing; turn those into rejections.
function checked(result) {
  if (result && result.error !== undefined) throw new Error(result.error);
  return result;
}

let modelBytes = null;
// onnxruntime-web, the black-box runner: the wasm execution provider (a second opinion on the
// engine, and the runner of models with operators heatlens lacks) and, when the page chooses
// it, the WebGPU one (a larger build, loaded on first use). One session per provider and model.
const ortBuilds = { wasm: 'ort.wasm.min.mjs', webgpu: 'ort.webgpu.min.mjs' };
const ortModules = {};
let ortSessions = {};
let ortRuns = 0;
// The provider the black-box runner uses: WebGPU when the page chose 'ort-webgpu'.
const ortProvider = () => (backend === 'ort-webgpu' ? 'webgpu' : 'wasm');

async function ortModule(ep) {
  if (!ortModules[ep]) {
    const ort = await import(new URL(`../vendor/ort/${ortBuilds[ep]}`, import.meta.url).href);
    ort.env.wasm.wasmPaths = new URL('../vendor/ort/', import.meta.url).href;
    ort.env.wasm.numThreads = 1;
    // Its node-placement notices are warnings, not errors; the page's console stays clean.
    ort.env.logLevel = 'error';
    ortModules[ep] = ort;
  }
  return ortModules[ep];
}

async function ortSession(ep) {
  await ortModule(ep);
  if (!ortSessions[ep]) {
    try {
      ortSessions[ep] = await ortModules[ep].InferenceSession.create(new Uint8Array(modelBytes), { executionProviders: [ep], logSeverityLevel: 3 });
    } catch (e) {
      throw new Error(`ONNX Runtime (${ep}) could not load the model: ${e.message || e}`);
    }
  }
  return { ort: ortModules[ep], session: ortSessions[ep] };
}

async function ortOutputs(data, shape, ep = ortProvider()) {
  const { ort, session } = await ortSession(ep);
  const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', data, shape) };
  const out = await session.run(feeds);
  ortRuns++;
  return out[session.outputNames[0]].data;
}

// Scores [N × classes] of a batch; a model exported with a fixed batch of 1 runs row by row.
async function ortBatch(data, shape) {
  try {
    return Float32Array.from(await ortOutputs(data, shape));
  } catch (e) {
    if (shape[0] === 1) throw new Error(`ONNX Runtime: ${e.message || e}`);
    const per = data.length / shape[0];
    const rows = [];
    for (let b = 0; b < shape[0]; b++) rows.push(await ortOutputs(data.subarray(b * per, (b + 1) * per), [1, ...shape.slice(1)]));
    const out = new Float32Array(rows.reduce((n, r) => n + r.length, 0));
    let at = 0;
    for (const r of rows) { out.set(r, at); at += r.length; }
    return out;
  }
}

function softmaxRows(scores, classes) {
  const probs = new Float32Array(scores.length);
  for (let r = 0; r < scores.length / classes; r++) {
    const row = scores.subarray(r * classes, (r + 1) * classes);
    const max = Math.max(...row);
    let sum = 0;
    for (let c = 0; c < classes; c++) sum += (probs[r * classes + c] = Math.exp(row[c] - max));
    for (let c = 0; c < classes; c++) probs[r * classes + c] /= sum;
  }
  return probs;
}

// A progress callback for the engine that posts at most every 50 ms (and the last report).
function reporter(id) {
  let last = 0;
  return (done, total) => {
    const now = performance.now();
    if (now - last > 50 || done === total) {
      last = now;
      self.postMessage({ id, event: 'progress', done, total });
    }
  };
}

// Runs a binding on the chosen backend: GPU-backed calls through the promising export, so
// that C++ can wait for the GPU.
async function run(name, ...args) {
  if (backend !== 'webgpu' || !runDeferred) return engine[name](...args);
  checked(engine.defer(name, args));
  await runDeferred();
  return engine.takeDeferred();
}

// The backend that ran a call and what it handed to the CPU (the page shows both).
function backendReport() {
  const b = engine.backendInfo();
  if (backend === 'webgpu' && b.backend !== backend) backend = b.backend;  // a GPU failure switched to the CPU
  return { backend: b.backend, stats: JSON.parse(b.stats), gpuReason: b.gpuReason };
}

const methods = {
  info: () => info,
  setBackend: async (name) => {
    if (name === 'ort-webgpu') {
      // Forward passes through onnxruntime-web's WebGPU provider; heatlens' own passes (the
      // methods' arithmetic, audio front ends) stay on the CPU.
      if (!self.navigator.gpu) throw new Error('ONNX Runtime WebGPU unavailable: navigator.gpu is missing');
      checked(engine.setBackend('cpu'));
      if (modelBytes) await ortSession('webgpu');
      else await ortModule('webgpu');
      backend = name;
      return { backend: name, stats: {} };
    }
    if (name === 'webgpu' && !runDeferred) throw new Error('WebGPU backend unavailable: this browser lacks JavaScript Promise Integration (WebAssembly.Suspending)');
    checked(engine.setBackend(name));
    backend = name;
    return backendReport();
  },
  backend: () => backendReport(),
  // Test hook: the device is lost as if the GPU were reset; the next GPU call falls back.
  loseGpuDevice: () => {
    if (gpuDevice) gpuDevice.destroy();
    return true;
  },
  parallelSum: (n, threads) => engine.parallelSum(n, threads),
  gpuAffine: (values, scale, shift) => new Promise((resolve, reject) => {
    engine.gpuAffine(Float32Array.from(values), scale, shift, (out) => {
      if (out && out.error) reject(new Error(out.error));
      else resolve(Array.from(out));
    });
  }),
  methods: () => JSON.parse(engine.methods()),
  colormaps: () => JSON.parse(engine.colormaps()),
  loadModel: (bytes, cardText) => {
    modelBytes = bytes;
    ortSessions = {};
    return JSON.parse(checked(engine.loadModel(new Uint8Array(bytes), cardText || '')).json);
  },
  // Runs the model's first output through heatlens and onnxruntime-web and compares them (ONNX
  // Runtime on WebGPU when heatlens runs there, or when it is the chosen runner).
  verify: async (data, shape) => {
    const ours = checked(await run('forwardOutput', data, shape));
    const provider = backend === 'cpu' ? 'wasm' : 'webgpu';
    const theirs = await ortOutputs(data, shape, provider);
    let maxDiff = 0;
    let maxRef = 0;
    for (let i = 0; i < theirs.length; i++) {
      maxDiff = Math.max(maxDiff, Math.abs(ours.output[i] - theirs[i]));
      maxRef = Math.max(maxRef, Math.abs(theirs[i]));
    }
    return { maxDiff, relative: maxRef ? maxDiff / maxRef : maxDiff, values: theirs.length, provider };
  },
  preprocessImage: (rgba, width, height) => {
    const r = checked(engine.preprocessImage(rgba, width, height));
    return { data: r.data, shape: r.shape };
  },
  predict: async (data, shape) => {
    const r = checked(await run('predict', data, shape));
    return { logits: r.logits, probs: r.probs };
  },
  explain: async (id, data, shape, method, params, target, output) => {
    engine.resetBackendStats();
    const r = checked(await run('explain', data, shape, method, JSON.stringify(params), target, output, reporter(id)));
    return { relevance: r.relevance, layerMap: r.layerMap, meta: JSON.parse(r.json), backend: backendReport(), gpuFallback: r.gpuFallback };
  },
  // Audio models: the recording's windows and spectrogram; every window explained onto the
  // recording's frames; the listenable explanation of a relevance.
  prepareAudio: (samples, sampleRate, hop = 0) => {
    const r = checked(engine.prepareAudio(samples, sampleRate, hop));
    return { data: r.data, shape: r.shape, starts: r.starts, seconds: r.seconds, windowSeconds: r.windowSeconds,
      sampleRate: r.sampleRate, feature: r.feature, minHz: r.minHz, maxHz: r.maxHz, note: r.note,
      spectrogram: { data: r.spectrogram.data, shape: r.spectrogram.shape } };
  },
  explainAudio: async (id, method, params, target, output) => {
    engine.resetBackendStats();
    const r = checked(await run('explainAudio', method, JSON.stringify(params), target, output, reporter(id)));
    return { relevance: r.relevance, shape: r.shape, meta: JSON.parse(r.json), backend: backendReport(), gpuFallback: r.gpuFallback };
  },
  listenAudio: (relevance, shape, threshold) => {
    const r = checked(engine.listenAudio(relevance, shape, threshold));
    return { original: r.original, explanation: r.explanation, residual: r.residual, sampleRate: r.sampleRate };
  },
  evaluate: async (id, data, shape, methods, metrics, box, target, output) => {
    const r = checked(await run('evaluate', data, shape, JSON.stringify(methods), JSON.stringify(metrics),
      box ? JSON.stringify(box) : '', target, output, reporter(id)));
    return JSON.parse(r.json);
  },
  metrics: () => JSON.parse(engine.metrics()),
  // Models with operators heatlens lacks: the prediction and the forward-only methods run
  // their passes through onnxruntime-web (see src/bindings/external_bindings.cpp).
  predictExternal: async (data, shape) => {
    const logits = await ortBatch(data, shape);
    return { logits, probs: softmaxRows(logits, logits.length / shape[0]) };
  },
  explainExternal: async (id, data, shape, method, params, target, output) => {
    ortRuns = 0;
    const first = await ortBatch(data, shape);
    const classes = first.length / shape[0];
    if (target < 0) target = first.indexOf(Math.max(...first));
    let known = [];
    for (let round = 0; round < 1000; round++) {
      const r = checked(engine.explainExternal(data, shape, method, JSON.stringify(params), target, output, classes, known, undefined));
      if (r.done) {
        const provider = ortProvider();
        return { relevance: r.relevance, meta: JSON.parse(r.json), backend: { backend: `ort-${provider}`, stats: { ort_runs: ortRuns } } };
      }
      known = known.slice(0, r.first);
      const total = r.first + r.pending;
      const report = reporter(id);
      for (let k = 0; k < r.pending; k++) {
        const b = checked(engine.pendingBatch(r.first, k));
        known.push(await ortBatch(b.data, b.shape));
        report(known.length, total);
      }
    }
    throw new Error(`${method} asked ONNX Runtime for new inputs in 1000 rounds; lower its parameters`);
  },
  // A user's file (a segment map) placed where the engine's parameters can name it.
  writeFile: (path, bytes) => {
    engine.FS.writeFile(path, bytes);
    return true;
  },
  render: (relevance, shape, signed, colormap, overlay = true) => {
    const r = checked(engine.render(relevance, shape, signed, colormap, overlay));
    return { pixels: r.pixels, width: r.width, height: r.height };
  },
};

const ready = boot();

// One call at a time: a GPU-backed call pauses in C++ while the event loop goes on, and no
// other call may enter the module meanwhile.
let queue = Promise.resolve();
self.onmessage = (event) => {
  queue = queue.then(() => handle(event));
};

async function handle(event) {
  const { id, method, args = [] } = event.data;
  try {
    await ready;
    const fn = methods[method];
    if (!fn) throw new Error(`unknown engine method '${method}'`);
    const withId = ['explain', 'evaluate', 'explainAudio', 'explainExternal'].includes(method);
    const result = withId ? await fn(id, ...args) : await fn(...args);
    self.postMessage({ id, result });
  } catch (e) {
    self.postMessage({ id, error: String((e && e.message) || e) });
  }
}

ready.then(
  (i) => self.postMessage({ event: 'ready', info: i }),
  (e) => self.postMessage({ event: 'failed', error: String((e && e.message) || e) }),
);
