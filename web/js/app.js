// heatlens page: wires the input, model, method and result panels to the engine worker.
// Everything numerical (preprocessing, inference, explanation, colour mapping) happens in the
// engine; this module moves data between it and the DOM. The state (model, method, parameters,
// target) lives in the URL hash so a view can be shared.
import { BackendPicker } from './backend-picker.js';
import { EngineClient } from './engine-client.js';
import { decodeImage } from './image-input.js';
import { encodeNpy } from './npy.js';
import { SEGMENT_PATH } from './param-form.js';
import { AudioPath, drawFlipped } from './audio-panel.js';
import { isAudioFile, MAX_RECORDING_SECONDS, Recorder } from './audio-input.js';
import './evaluate-panel.js';

const $ = (id) => document.querySelector(`[data-testid="${id}"]`);
const MAX_MODEL_BYTES = 512 << 20;

const state = {
  methods: [], models: [], demos: [],
  modelName: '', modelInfo: null, card: null,
  image: null, input: null,  // {data, shape}
  sound: null,  // the last sound given (kept across audio models)
  audio: null,  // the AudioPath while an audio model is loaded
  target: -1, result: null,
};

// Named parameter presets shown beside the generated form.
const PRESETS = {
  'integrated-gradients': { fast: { steps: '16' }, accurate: { steps: '128' }, 'blur baseline': { baseline: 'blur' } },
  lrp: { 'ε + z+ (CNN default)': { composite: 'epsilon-plus' }, 'ε + γ + box': { composite: 'epsilon-gamma-box' },
    'α2β1': { composite: 'epsilon-alpha2-beta1' }, 'LRP-0': { rule: '0' } },
  smoothgrad: { quick: { samples: '10' }, smooth: { samples: '50', stdev: '0.2' } },
  'grad-cam': {},
};

function setStatus(text) { $('status').textContent = text; }
// A model with unsupported operators runs through onnxruntime-web: forward-only methods only.
const external = () => state.modelInfo && !state.modelInfo.supported && state.modelInfo.inputs?.length === 1;
// Image models run through onnxruntime-web instead of heatlens' engine when heatlens lacks
// operators, or when the page chose "ONNX Runtime (WebGPU)": forward-only methods only.
const ortRunner = () => !state.audio && state.modelInfo?.inputs?.length === 1 &&
  (external() || $('engine-backend-select').value === 'ort-webgpu');
const methodInfo = () => state.methods.find((m) => m.name === $('method-select').value);
const runnable = () => (ortRunner() ? methodInfo()?.access === 'forward' : state.modelInfo?.supported);
function setBusy(busy) {
  $('run').disabled = busy || !state.input || !runnable();
  $('cancel').disabled = !busy;
}

// ---------------------------------------------------------------------------- URL state
function readHash() {
  const p = new URLSearchParams(location.hash.slice(1));
  const params = {};
  for (const [k, v] of p) if (k.startsWith('p.')) params[k.slice(2)] = v;
  return { model: p.get('model'), method: p.get('method'), target: p.get('target'), output: p.get('output'), params };
}
function writeHash() {
  const p = new URLSearchParams();
  if (state.modelName) p.set('model', state.modelName);
  p.set('method', $('method-select').value);
  if (state.target >= 0) p.set('target', String(state.target));
  if ($('output-select').value !== 'logit') p.set('output', $('output-select').value);
  const form = $('param-form');
  for (const [k, v] of Object.entries(form.values)) {
    const spec = form.schema.find((s) => s.name === k);
    if (!spec || spec.default !== v) p.set(`p.${k}`, v);
  }
  history.replaceState(null, '', `#${p}`);
}

// ---------------------------------------------------------------------------- methods
function fillMethods(methods) {
  const select = $('method-select');
  const families = [...new Set(methods.map((m) => m.family))];
  for (const f of families) {
    const group = document.createElement('optgroup');
    group.label = f;
    for (const m of methods.filter((x) => x.family === f)) group.append(new Option(m.name, m.name));
    select.append(group);
  }
}
// On a model run through ONNX Runtime, methods that need gradients or layers are disabled,
// with the reason on hover.
function markMethods() {
  const select = $('method-select');
  for (const o of select.querySelectorAll('option')) {
    const m = state.methods.find((x) => x.name === o.value);
    o.disabled = ortRunner() && m.access !== 'forward';
    const why = external() ? "heatlens cannot run this model's unsupported operators"
      : 'ONNX Runtime runs forward passes only (run on CPU or WebGPU for this method)';
    o.title = o.disabled ? `needs ${m.access}: ${why}` : '';
  }
  if (select.selectedOptions[0]?.disabled) {
    select.value = 'occlusion';
    showMethod();
  }
}

function showMethod(values = {}) {
  const m = state.methods.find((x) => x.name === $('method-select').value);
  $('method-summary').textContent = `${m.summary}. ${m.citation}. Cost: ${m.cost}.`;
  const form = $('param-form');
  form.schema = m.params;
  form.values = values;
  const presets = $('preset-select');
  presets.replaceChildren(new Option('defaults', ''));
  for (const name of Object.keys(PRESETS[m.name] || {})) presets.append(new Option(name, name));
}

// ---------------------------------------------------------------------------- models
async function loadModel(name, bytes, cardText) {
  setStatus(`running — loading ${name}`);
  state.modelInfo = null;
  state.result = null;
  try {
    if (bytes.byteLength > MAX_MODEL_BYTES) throw new Error(`the model is ${(bytes.byteLength / 2 ** 20).toFixed(0)} MB; the limit is 512 MB`);
    const info = await engine.call('loadModel', [bytes, cardText]);
    state.modelName = name;
    state.modelInfo = info;
    state.card = cardText ? JSON.parse(cardText) : null;
    showCard(info);
    fillGallery();
    const channels = state.card?.preprocessing?.channels ?? info.inputs?.[0]?.shape?.[1];
    const isAudio = Boolean(state.card?.audio_frontend);
    state.audio = isAudio ? audioPath : null;
    state.input = null;
    state.bitmap = null;
    $('draw-panel').hidden = isAudio || channels !== 1;
    $('audio-panel').hidden = !isAudio;
    $('spectrogram-view').hidden = !isAudio;
    $('webcam').hidden = isAudio || !navigator.mediaDevices?.getUserMedia;
    $('file-input').accept = isAudio ? 'audio/*,.wav,.mp3,.ogg,.flac' : 'image/*';
    $('dropzone-text').firstChild.textContent = isAudio ? 'Drop a sound file, or ' : 'Drop or paste an image, or ';
    if (isAudio && state.sound) await setSound(state.sound);
    if (!isAudio && state.image) await setImage(state.image);
    markMethods();
    setStatus(info.supported ? 'ready'
      : external() ? 'ready — unsupported operators (listed under Model): forward-only methods run through ONNX Runtime'
        : 'error: the model has unsupported operators (listed under Model)');
  } catch (e) {
    setStatus(`error: ${e.message}`);
  }
  setBusy(false);
  writeHash();
}

function showCard(info) {
  const c = state.card;
  const card = $('model-card');
  card.replaceChildren();
  const line = (text) => card.append(Object.assign(document.createElement('div'), { textContent: text }));
  if (c) {
    line(c.summary);
    const pct = (v) => `${(v * 100).toFixed(1)}%`;
    if (c.accuracy?.unseen_font !== undefined) {
      line(`held-out notes ${pct(c.accuracy.held_out_notes)} · unseen soundfont ${pct(c.accuracy.unseen_font)} · ${c.labels.length} classes`);
    } else if (c.accuracy) {
      line(`test accuracy ${pct(c.accuracy.test)} · ${c.labels.length} classes`);
    }
    if (c.data) line(`data: ${c.data}`);
  } else {
    line(`${info.producer || 'unknown producer'}, opset ${info.opset}, ${info.nodes} nodes, ${info.parameters} parameters`);
  }
  const un = $('unsupported');
  un.hidden = info.unsupported.length === 0;
  un.replaceChildren(Object.assign(document.createElement('strong'), {
    textContent: `${info.unsupported.length} unsupported node(s) — heatlens cannot differentiate or propagate through this model, so the gradient and layer methods are disabled; the forward-only methods run it with ONNX Runtime:` }));
  const list = document.createElement('ul');
  for (const u of info.unsupported) list.append(Object.assign(document.createElement('li'), { textContent: u.message }));
  un.append(list);
}

async function selectBundled(name) {
  const base = `models/${name}/`;
  const [bytes, cardText] = await Promise.all([
    fetch(`${base}model.onnx`).then((r) => r.arrayBuffer()),
    fetch(`${base}card.json`).then((r) => r.text()),
  ]);
  $('prep-form').hidden = true;
  await loadModel(name, bytes, cardText);
}

// Bring your own model: the preprocessing form is pre-filled from its input shape.
let ownModel = null;
async function openOwnModel(file) {
  const bytes = await file.arrayBuffer();
  ownModel = { name: file.name, bytes };
  state.target = -1;  // another model: the class chosen for the last one means nothing here
  await loadModel(file.name, bytes, '');
  const shape = state.modelInfo?.inputs?.[0]?.shape || [];
  const form = $('prep-form');
  form.hidden = false;
  if (shape.length === 4) {
    form.size.value = `${shape[2]},${shape[3]}`;
    form.channels.value = shape[1];
  }
  if (![...$('model-select').options].some((o) => o.value === file.name)) $('model-select').append(new Option(`${file.name} (yours)`, file.name));
  $('model-select').value = file.name;
}

async function applyPreprocessing(event) {
  event.preventDefault();
  const f = $('prep-form');
  const nums = (s) => s.split(',').map(Number).filter((v) => !Number.isNaN(v));
  const size = nums(f.size.value);
  const card = { name: ownModel.name, kind: 'image', summary: `your model ${ownModel.name}`,
    preprocessing: { channels: Number(f.channels.value) || 3, range: nums(f.range.value), mean: nums(f.mean.value), std: nums(f.std.value) },
    labels: [] };
  if (size.length === 2) card.preprocessing.resize = size;
  if (f.labels.files[0]) card.labels = (await f.labels.files[0].text()).split('\n').map((s) => s.trim()).filter(Boolean);
  await loadModel(ownModel.name, ownModel.bytes, JSON.stringify(card));
}

// ---------------------------------------------------------------------------- input and prediction
// Draw-a-digit: offered for single-channel models (the digit and clothing models).
function setupDrawing() {
  const canvas = $('draw-canvas');
  const ctx = canvas.getContext('2d');
  const clear = () => { ctx.fillStyle = '#000'; ctx.fillRect(0, 0, canvas.width, canvas.height); };
  clear();
  let last = null;
  const at = (e) => {
    const r = canvas.getBoundingClientRect();
    return [(e.clientX - r.left) * canvas.width / r.width, (e.clientY - r.top) * canvas.height / r.height];
  };
  canvas.addEventListener('pointerdown', (e) => { last = at(e); canvas.setPointerCapture(e.pointerId); });
  canvas.addEventListener('pointermove', (e) => {
    if (!last) return;
    const p = at(e);
    Object.assign(ctx, { strokeStyle: '#fff', lineWidth: 16, lineCap: 'round', lineJoin: 'round' });
    ctx.beginPath();
    ctx.moveTo(...last);
    ctx.lineTo(...p);
    ctx.stroke();
    last = p;
  });
  canvas.addEventListener('pointerup', () => { last = null; });
  $('draw-clear').addEventListener('click', clear);
  $('draw-use').addEventListener('click', () => canvas.toBlob((b) => setImage(b)));
}

// Webcam snapshot: one frame from the camera, which is released right after.
async function webcamSnapshot() {
  const video = $('webcam-video');
  try {
    const stream = await navigator.mediaDevices.getUserMedia({ video: true });
    video.srcObject = stream;
    video.hidden = false;
    await video.play();
    await new Promise((r) => setTimeout(r, 300));
    const c = new OffscreenCanvas(video.videoWidth, video.videoHeight);
    c.getContext('2d').drawImage(video, 0, 0);
    stream.getTracks().forEach((t) => t.stop());
    video.hidden = true;
    await setImage(await c.convertToBlob());
  } catch (e) {
    setStatus(`error: no camera snapshot (${e.message})`);
  }
}

function fillGallery() {
  const gallery = $('demo-gallery');
  gallery.replaceChildren();
  for (const d of state.demos.filter((x) => x.model === state.modelName)) {
    const b = document.createElement('button');
    b.title = `demo: ${d.label}`;
    b.dataset.testid = 'demo-input';
    if (/\.wav$/.test(d.file)) {
      b.textContent = `♪ ${d.label.split(' (')[0]}`;
      b.className = 'note';
      b.addEventListener('click', () => setSound(d.file, d.label));
    } else {
      b.append(Object.assign(document.createElement('img'), { src: d.file, alt: d.label }));
      b.addEventListener('click', () => setImage(d.file));
    }
    gallery.append(b);
  }
}

async function setImage(source) {
  try {
    state.image = source;
    const img = await decodeImage(source);
    state.bitmap = img.bitmap;
    const preview = $('input-preview');
    const ctx = preview.getContext('2d');
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(img.bitmap, 0, 0, preview.width, preview.height);
    if (!state.modelInfo?.supported && !external()) return;
    state.input = await engine.call('preprocessImage', [img.rgba, img.width, img.height]);
    const p = await engine.call(ortRunner() ? 'predictExternal' : 'predict', [state.input.data, state.input.shape]);
    showPrediction(p.probs);
    setStatus(img.note ? `ready (${img.note})` : 'ready');
  } catch (e) {
    state.input = null;
    setStatus(`error: ${e.message}`);
  }
  setBusy(false);
}

// A sound for an audio model: the engine cuts it into the model's windows; the prediction is
// the mean over the windows.
async function setSound(source, name) {
  state.sound = source;
  if (!state.audio) {
    setStatus('error: this model takes images; choose an audio model (instruments) for sounds');
    return;
  }
  try {
    setStatus('running — decoding the sound');
    const label = name || source.name?.replace(/\.[^.]*$/, '') || 'sound';
    const r = await state.audio.load(source, label);
    state.input = r.input;
    state.bitmap = state.audio.picture;
    state.result = null;
    const preview = $('input-preview');
    const ctx = preview.getContext('2d');
    ctx.imageSmoothingEnabled = false;
    drawFlipped(ctx, state.bitmap, preview.width, preview.height);
    showPrediction(r.probs);
    $('audio-note').textContent = r.note;
    setStatus(`ready (${r.note})`);
  } catch (e) {
    state.input = null;
    setStatus(`error: ${e.message}`);
  }
  setBusy(false);
}

function setInput(file) {
  if (isAudioFile(file)) setSound(file);
  else setImage(file);
}

function showPrediction(probs) {
  const labels = state.card?.labels || [];
  const order = [...probs.keys()].sort((a, b) => probs[b] - probs[a]).slice(0, 5);
  const list = $('prediction');
  list.replaceChildren();
  for (const c of order) {
    const li = document.createElement('li');
    li.dataset.class = c;
    li.textContent = `${labels[c] ?? c} — ${(probs[c] * 100).toFixed(1)}%`;
    li.append(Object.assign(document.createElement('span'), { className: 'bar', style: `width:${probs[c] * 80}px` }));
    li.classList.toggle('target', c === state.target);
    li.addEventListener('click', () => { state.target = c; showPrediction(probs); writeHash(); run(); });
    list.append(li);
  }
}

// ---------------------------------------------------------------------------- running
let started = 0;
async function run() {
  if (!state.input || !runnable()) return;
  const method = $('method-select').value;
  // Only what the user changed: the engine fills in the defaults (on sound, time–frequency
  // tiles instead of image superpixels).
  const form = $('param-form');
  const params = Object.fromEntries(Object.entries(form.values).filter(([k, v]) => form.schema.find((p) => p.name === k)?.default !== v));
  setBusy(true);
  setStatus(`running — ${method}`);
  $('progress').value = 0;
  started = performance.now();
  try {
    const segments = $('param-form').segmentFile;
    if (segments) await engine.call('writeFile', [SEGMENT_PATH, new Uint8Array(await segments.arrayBuffer())]);
    const onProgress = (done, total) => {
      $('progress').value = total ? done / total : 0;
      const elapsed = (performance.now() - started) / 1000;
      $('eta').textContent = done && total ? `${done}/${total} · about ${Math.max(0, elapsed * (total - done) / done).toFixed(1)} s left` : '';
    };
    const output = $('output-select').value;
    if (state.audio) {
      state.result = await state.audio.explain(method, params, state.target, output, onProgress);
    } else if (ortRunner()) {
      const r = await engine.call('explainExternal', [state.input.data, state.input.shape, method, params, state.target, output], { onProgress });
      state.result = { ...r, shape: state.input.shape };
    } else {
      const r = await engine.call('explain', [state.input.data, state.input.shape, method, params, state.target, output], { onProgress });
      state.result = { ...r, shape: state.input.shape };
    }
    $('progress').value = 1;
    await drawResult();
    if (state.audio) await state.audio.listen(state.result);
    showNumbers(state.result.meta);
    backendPicker?.report(state.result, $('numbers'));
    setStatus(`done — ${method} in ${state.result.meta.wall_ms.toFixed(0)} ms`);
    for (const id of ['export-png', 'export-npy', 'export-json', 'compare-add']) $(id).disabled = false;
  } catch (e) {
    setStatus(e.message === 'cancelled' ? 'ready (cancelled)' : `error: ${e.message}`);
  }
  $('eta').textContent = '';
  setBusy(false);
  writeHash();
}

async function renderResult(result, canvas) {
  let relevance = result.relevance;
  if ($('sign-select').value === 'positive') relevance = relevance.map((v) => Math.max(0, v));
  const signed = result.meta.signed && $('sign-select').value === 'both';
  const cmap = $('colormap-select').value || (signed ? 'seismic' : 'inferno');
  // A spectrum [1, 2, bins] is drawn as two rows: magnitude and phase.
  const shape = result.shape.length === 3 ? [1, 1, result.shape[1], result.shape[2]] : result.shape;
  const heat = await engine.call('render', [relevance, shape, signed, cmap]);
  const off = new OffscreenCanvas(heat.width, heat.height);
  off.getContext('2d').putImageData(new ImageData(heat.pixels, heat.width, heat.height), 0, 0);
  const ctx = canvas.getContext('2d');
  ctx.imageSmoothingEnabled = false;
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  // Sound: frequency 0 at the bottom, as spectrograms are read.
  const draw = state.audio ? (src) => drawFlipped(ctx, src, canvas.width, canvas.height)
    : (src) => ctx.drawImage(src, 0, 0, canvas.width, canvas.height);
  if (state.bitmap) draw(state.bitmap);
  ctx.globalAlpha = Number($('opacity').value);
  draw(off);
  ctx.globalAlpha = 1;
  if (state.audio && canvas === $('heatmap')) $('spectrogram-view').show(canvas, state.audio.info);
}

async function drawResult() {
  if (state.result) await renderResult(state.result, $('heatmap'));
}

function showNumbers(meta) {
  const rows = [
    ['method', meta.method], ['target', `${meta.label ?? meta.target} (${meta.output} ${meta.score.toFixed(4)})`],
    ['relevance sum', meta.relevance_sum.toPrecision(5)],
  ];
  for (const k of Object.keys(meta).filter((x) => x.endsWith('_delta'))) rows.push([k.replace('_', ' '), meta[k].toExponential(3)]);
  rows.push(['passes', meta.passes], ['time', `${meta.wall_ms.toFixed(0)} ms`], ['engine', $('backend').textContent]);
  for (const [k, v] of Object.entries(meta.notes || {})) rows.push([k, v]);
  const table = $('numbers');
  table.replaceChildren(...rows.map(([k, v]) => {
    const tr = document.createElement('tr');
    tr.append(Object.assign(document.createElement('td'), { textContent: k }), Object.assign(document.createElement('td'), { textContent: v }));
    return tr;
  }));
}

function download(name, blob) {
  const a = Object.assign(document.createElement('a'), { href: URL.createObjectURL(blob), download: name });
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

// "name:k=v:…" with the parameters that differ from the method's defaults (the Evaluate tab's rows).
function methodSpec(meta) {
  const schema = state.methods.find((m) => m.name === meta.method)?.params || [];
  const changed = Object.entries(meta.params || {}).filter(([k, v]) => schema.find((p) => p.name === k)?.default !== v);
  return [meta.method, ...changed.map(([k, v]) => `${k}=${v}`)].join(':');
}

async function addToComparison() {
  const grid = $('compare-grid');
  grid.querySelector('.hint')?.remove();
  const fig = document.createElement('figure');
  fig.dataset.testid = 'compare-item';
  fig.dataset.spec = methodSpec(state.result.meta);
  const canvas = Object.assign(document.createElement('canvas'), { width: 140, height: 140 });
  await renderResult(state.result, canvas);
  fig.append(canvas, Object.assign(document.createElement('figcaption'), {
    textContent: `${state.result.meta.method} · Σ ${state.result.meta.relevance_sum.toPrecision(3)} · ${state.result.meta.wall_ms.toFixed(0)} ms` }));
  grid.append(fig);
}

// ---------------------------------------------------------------------------- start-up
let backendPicker = null;
const engine = new EngineClient();
window.heatlensEngine = engine;  // for the console and the browser tests
const audioPath = new AudioPath(engine, $('spectrogram-view'));

async function main() {
  try {
    const info = await engine.ready;
    $('engine-version').textContent = info.version;
    $('backend').textContent = `wasm ${info.threaded ? `threaded ×${info.threads}` : 'single-thread'}` +
      `${info.build.includes('simd128') ? ' + SIMD' : ''}${info.gpuUsable ? ' · WebGPU' : ''}`;
    backendPicker = new BackendPicker(engine, info, $('engine-backend-select'), $('engine-backend-note'), () => {
      markMethods();
      setBusy(false);
    });
    state.methods = await engine.call('methods');
    fillMethods(state.methods);
    const evaluate = $('eval-panel');
    evaluate.configure({
      engine,
      current: () => {
        const specs = [...document.querySelectorAll('[data-testid="compare-item"]')].map((f) => f.dataset.spec);
        const params = $('param-form').values;
        const current = methodSpec({ method: $('method-select').value, params });
        return { input: state.input, target: state.target, output: $('output-select').value, methods: specs.length ? [...new Set(specs)] : [current] };
      },
    });
    evaluate.metrics = await engine.call('metrics');
    for (const c of await engine.call('colormaps')) $('colormap-select').append(new Option(c.name, c.name));
    $('colormap-select').prepend(new Option('auto', ''));
    $('colormap-select').value = '';
    [state.models, state.demos] = await Promise.all([
      fetch('models/index.json').then((r) => (r.ok ? r.json() : [])),
      fetch('demo/index.json').then((r) => (r.ok ? r.json() : [])),
    ]);
    for (const m of state.models) $('model-select').append(new Option(m.name, m.name));
    const hash = readHash();
    if (hash.method && state.methods.some((m) => m.name === hash.method)) $('method-select').value = hash.method;
    if (hash.output) $('output-select').value = hash.output;
    if (hash.target !== null) state.target = Number(hash.target);
    showMethod(hash.params);
    const model = state.models.some((m) => m.name === hash.model) ? hash.model : state.models[0]?.name;
    if (model) {
      $('model-select').value = model;
      await selectBundled(model);
      const first = state.demos.find((d) => d.model === model);
      if (first && state.audio) await setSound(first.file, first.label);
      else if (first) await setImage(first.file);
    } else {
      setStatus('ready — open an .onnx model to start');
    }
  } catch (e) {
    setStatus(`error: ${e.message}`);
  }
}

$('model-select').addEventListener('change', (e) => {
  state.target = -1;
  if (state.models.some((m) => m.name === e.target.value)) selectBundled(e.target.value);
});
$('model-file-input').addEventListener('change', (e) => e.target.files[0] && openOwnModel(e.target.files[0]));
$('prep-form').addEventListener('submit', applyPreprocessing);
$('file-input').addEventListener('change', (e) => e.target.files[0] && setInput(e.target.files[0]));
const drop = $('dropzone');
drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', (e) => {
  e.preventDefault();
  drop.classList.remove('over');
  if (e.dataTransfer.files[0]) setInput(e.dataTransfer.files[0]);
});
document.addEventListener('paste', (e) => {
  const item = [...(e.clipboardData?.items || [])].find((i) => i.type.startsWith('image/'));
  if (item) setImage(item.getAsFile());
});
$('compare-clear').addEventListener('click', () => {
  $('compare-grid').replaceChildren(Object.assign(document.createElement('p'), {
    className: 'hint', textContent: 'Run methods and add them here to compare side by side.' }));
});
$('method-select').addEventListener('change', () => { showMethod(); writeHash(); if ($('cancel').disabled) setBusy(false); });
$('preset-select').addEventListener('change', (e) => {
  const m = $('method-select').value;
  $('param-form').values = PRESETS[m]?.[e.target.value] || {};
  writeHash();
});
$('param-form').addEventListener('change', writeHash);
$('output-select').addEventListener('change', writeHash);
$('run').addEventListener('click', run);
$('cancel').addEventListener('click', () => {
  engine.cancel();
  setStatus('ready (cancelled)');
  setBusy(false);
});
for (const id of ['opacity', 'colormap-select', 'sign-select']) $(id).addEventListener('input', drawResult);
$('export-png').addEventListener('click', () => $('heatmap').toBlob((b) => download(`${state.result.meta.method}.png`, b)));
$('export-npy').addEventListener('click', () => download(`${state.result.meta.method}.npy`,
  new Blob([encodeNpy(state.result.relevance, state.result.shape)], { type: 'application/octet-stream' })));
$('export-json').addEventListener('click', () => download(`${state.result.meta.method}.json`,
  new Blob([JSON.stringify({ model: state.modelName, ...state.result.meta }, null, 2)], { type: 'application/json' })));
$('compare-add').addEventListener('click', addToComparison);
$('verify').addEventListener('click', async () => {
  if (!state.input) return;
  $('verify-result').textContent = 'running ONNX Runtime…';
  try {
    const v = await engine.call('verify', [state.input.data, state.input.shape]);
    $('verify-result').textContent = `ONNX Runtime Web (${v.provider}): largest difference ${v.maxDiff.toExponential(2)} (relative ${v.relative.toExponential(2)}) over ${v.values} outputs`;
  } catch (e) {
    $('verify-result').textContent = `error: ${e.message}`;
  }
});

setupDrawing();
if (navigator.mediaDevices?.getUserMedia) {
  $('webcam').hidden = false;
  $('webcam').addEventListener('click', webcamSnapshot);
}

// Microphone: records up to MAX_RECORDING_SECONDS with a level meter; a second click stops.
let recorder = null;
$('audio-record').addEventListener('click', async () => {
  if (recorder) {
    recorder.stop();
    return;
  }
  if (!navigator.mediaDevices?.getUserMedia || typeof MediaRecorder === 'undefined') {
    setStatus('error: this browser offers no microphone recording');
    return;
  }
  recorder = new Recorder((level) => { $('audio-level').value = level; });
  $('audio-record').textContent = `■ Stop (at most ${MAX_RECORDING_SECONDS} s)`;
  try {
    await setSound(await recorder.start(), 'recording');
  } catch (e) {
    setStatus(`error: no recording (${e.message})`);
  }
  recorder = null;
  $('audio-record').textContent = '● Record';
});

// Offline: the service worker caches the app, the engine and the bundled models.
if ('serviceWorker' in navigator) {
  navigator.serviceWorker.register('sw.js').catch((e) => console.warn(`offline cache unavailable: ${e.message}`));
}

main();
