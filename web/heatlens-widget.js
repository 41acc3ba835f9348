// <heatlens-explainer>: an explanation embedded in any page with one script tag.
//
//   <script type="module" src="https://…/heatlens-widget.js"></script>
//   <heatlens-explainer model="mnist-cnn" src="digit.png" method="lrp"
//                       params="composite=epsilon-plus" colormap="seismic"></heatlens-explainer>
//
// `model` is a bundled model's name (served beside this script) or a URL to an .onnx file;
// `params` is "k=v,k=v"; `target` picks a class (default: the predicted one). The element
// re-runs when an attribute changes and fires `heatlens-done` with the attribution's numbers
// (or `heatlens-error`). All widgets of a page share one engine worker.
import { EngineClient } from './js/engine-client.js';
import { decodeImage } from './js/image-input.js';

const base = new URL('.', import.meta.url);
let engine = null;
let queue = Promise.resolve();
let loadedModel = null;
const modelFiles = new Map();

function serially(task) {
  const next = queue.then(task, task);
  queue = next.catch(() => {});
  return next;
}

async function fetchModel(model) {
  if (!modelFiles.has(model)) {
    const bundled = !model.includes('/') && !model.endsWith('.onnx');
    const url = bundled ? new URL(`models/${model}/model.onnx`, base) : new URL(model, document.baseURI);
    const card = bundled ? fetch(new URL(`models/${model}/card.json`, base)).then((r) => (r.ok ? r.text() : '')) : Promise.resolve('');
    modelFiles.set(model, Promise.all([fetch(url).then((r) => {
      if (!r.ok) throw new Error(`cannot load model '${model}' (${r.status})`);
      return r.arrayBuffer();
    }), card]));
  }
  return modelFiles.get(model);
}

const style = `
  :host { display: inline-block; max-width: 100%; font: 0.85rem system-ui, sans-serif; color: #1d232b; }
  figure { margin: 0; display: flex; flex-direction: column; gap: 0.3rem; }
  canvas { width: var(--heatlens-size, 224px); max-width: 100%; aspect-ratio: 1; image-rendering: pixelated;
           border: 1px solid #dde1e6; border-radius: 6px; background: #222; }
  figcaption { color: #5b6573; }
`;

class HeatlensExplainer extends HTMLElement {
  static get observedAttributes() { return ['model', 'src', 'method', 'params', 'colormap', 'target']; }

  constructor() {
    super();
    const root = this.attachShadow({ mode: 'open' });
    root.innerHTML = `<style>${style}</style><figure><canvas width="224" height="224" part="heatmap"></canvas><figcaption part="caption">loading…</figcaption></figure>`;
    this.canvas = root.querySelector('canvas');
    this.caption = root.querySelector('figcaption');
  }

  connectedCallback() { this.schedule(); }
  attributeChangedCallback() { if (this.isConnected) this.schedule(); }

  schedule() {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.run(), 0);
  }

  async run() {
    const model = this.getAttribute('model');
    const src = this.getAttribute('src');
    const method = this.getAttribute('method') || 'gradient';
    if (!model || !src) return;
    const params = {};
    for (const pair of (this.getAttribute('params') || '').split(/[,;]/)) {
      const [k, v] = pair.split('=').map((s) => s && s.trim());
      if (k && v !== undefined) params[k] = v;
    }
    const target = this.hasAttribute('target') ? Number(this.getAttribute('target')) : -1;
    this.caption.textContent = `${method}: running…`;
    try {
      const [bytes, cardText] = await fetchModel(model);
      const image = await decodeImage(new URL(src, document.baseURI).href);
      const result = await serially(async () => {
        engine = engine || new EngineClient(new URL('js/engine-worker.js', base));
        await engine.ready;
        if (loadedModel !== model) {
          await engine.call('loadModel', [bytes, cardText]);
          loadedModel = model;
        }
        const x = await engine.call('preprocessImage', [image.rgba, image.width, image.height]);
        const r = await engine.call('explain', [x.data, x.shape, method, params, target, 'logit']);
        const colormap = this.getAttribute('colormap') || (r.meta.signed ? 'seismic' : 'inferno');
        const heat = await engine.call('render', [r.relevance, x.shape, r.meta.signed, colormap]);
        return { meta: r.meta, heat };
      });
      this.draw(image.bitmap, result.heat);
      const m = result.meta;
      this.caption.textContent = `${m.method} · class ${m.label ?? m.target} · Σ ${m.relevance_sum.toPrecision(3)}`;
      this.dispatchEvent(new CustomEvent('heatlens-done', { detail: m, bubbles: true, composed: true }));
    } catch (e) {
      this.caption.textContent = `error: ${e.message}`;
      this.dispatchEvent(new CustomEvent('heatlens-error', { detail: { message: e.message }, bubbles: true, composed: true }));
    }
  }

  draw(bitmap, heat) {
    const off = new OffscreenCanvas(heat.width, heat.height);
    off.getContext('2d').putImageData(new ImageData(heat.pixels, heat.width, heat.height), 0, 0);
    const ctx = this.canvas.getContext('2d');
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(bitmap, 0, 0, this.canvas.width, this.canvas.height);
    ctx.globalAlpha = 0.7;
    ctx.drawImage(off, 0, 0, this.canvas.width, this.canvas.height);
    ctx.globalAlpha = 1;
  }
}

customElements.define('heatlens-explainer', HeatlensExplainer);
