// The page's path for audio models: a sound (file, demo note or microphone recording) → the
// model's windows and the recording's spectrogram (engine) → prediction averaged over the
// windows → explanation on the recording's frames → listenable explanation in <hl-spectrogram>.
//
//   const audio = new AudioPath(engine, view);
//   const { input, probs, note } = await audio.load(file);
//   const result = await audio.explain('lrp', {}, -1, 'logit', onProgress);
//   await audio.listen(result);
import { decodeAudio } from './audio-input.js';
import './spectrogram-view.js';

// A grey-level picture of model features [.., rows, cols] (row 0 = lowest frequency at the
// top: the page flips it when drawing). Each channel is scaled on its own; log-magnitudes
// show their top 10 nats (≈ 87 dB).
export function featurePicture(data, shape) {
  const cols = shape[shape.length - 1];
  const rows = data.length / cols;
  const perChannel = shape.length === 3 ? 1 : rows;
  const canvas = new OffscreenCanvas(cols, rows);
  const img = new ImageData(cols, rows);
  for (let start = 0; start < rows; start += perChannel) {
    const part = data.subarray(start * cols, (start + perChannel) * cols);
    let hi = -Infinity;
    let lo = Infinity;
    for (const v of part) { hi = Math.max(hi, v); lo = Math.min(lo, v); }
    if (perChannel > 1) lo = Math.max(lo, hi - 10);
    for (let i = 0; i < part.length; i++) {
      const g = hi > lo ? Math.round(255 * Math.max(0, part[i] - lo) / (hi - lo)) : 0;
      img.data.set([g, g, g, 255], (start * cols + i) * 4);
    }
  }
  canvas.getContext('2d').putImageData(img, 0, 0);
  return canvas;
}

// Draws a feature picture (or a composition over it) with low frequencies at the bottom.
export function drawFlipped(ctx, source, width, height) {
  ctx.save();
  ctx.translate(0, height);
  ctx.scale(1, -1);
  ctx.drawImage(source, 0, 0, width, height);
  ctx.restore();
}

export class AudioPath {
  constructor(engine, view) {
    this.engine = engine;
    this.view = view;
    this.prepared = null;
    view.addEventListener('threshold', () => this.lastResult && this.listen(this.lastResult));
  }

  get info() {
    const p = this.prepared;
    return { seconds: p.seconds, minHz: p.minHz, maxHz: p.maxHz, spectrum: p.feature === 'log-frequency-dft' };
  }

  // The first window is the input of the comparison and the Evaluate tab.
  async load(source, name = 'sound') {
    const decoded = await decodeAudio(source);
    const p = await this.engine.call('prepareAudio', [decoded.samples, decoded.sampleRate, 0]);
    this.prepared = p;
    this.original = decoded;
    this.lastResult = null;
    this.picture = featurePicture(p.spectrogram.data, p.spectrogram.shape);
    this.name = name;
    const flipped = new OffscreenCanvas(this.picture.width, this.picture.height);
    drawFlipped(flipped.getContext('2d'), this.picture, flipped.width, flipped.height);
    this.view.show(flipped, this.info);
    this.view.setSounds({ original: decoded.samples }, decoded.sampleRate, name);
    const windows = p.shape[0];
    const per = p.data.length / windows;
    const out = await this.engine.call('predict', [p.data, p.shape]);
    const classes = out.probs.length / windows;
    const probs = new Float32Array(classes);
    for (let i = 0; i < out.probs.length; i++) probs[i % classes] += out.probs[i] / windows;
    const notes = [`${decoded.samples.length / decoded.sampleRate < 10 ? (decoded.samples.length / decoded.sampleRate).toFixed(2) : Math.round(decoded.samples.length / decoded.sampleRate)} s`];
    if (windows > 1) notes.push(`${windows} windows of ${p.windowSeconds} s, prediction averaged`);
    if (p.note) notes.push(p.note);
    return { input: { data: p.data.slice(0, per), shape: [1, ...p.shape.slice(1)] }, probs, note: notes.join(', ') };
  }

  async explain(method, params, target, output, onProgress) {
    const r = await this.engine.call('explainAudio', [method, params, target, output], { onProgress });
    return r;
  }

  // The explanation and residual as sound (spectrogram models; a whole-note spectrum cannot be
  // inverted, so only the original plays).
  async listen(result) {
    this.lastResult = result;
    if (this.info.spectrum) {
      this.view.setSounds({ original: this.original.samples }, this.original.sampleRate, this.name,
        'The spectrum of a whole note has no time axis: its explanation cannot be played back.');
      return;
    }
    const l = await this.engine.call('listenAudio', [result.relevance, result.shape, this.view.thresholdValue]);
    this.view.setSounds(l, l.sampleRate, this.name,
      'explanation: the sound under the positive relevance (input phase); residual: the rest.');
  }
}
