// <hl-spectrogram>: a sound and its explanation. Draws a picture (the spectrogram with the
// heatmap over it, composed by the page) with time (s) and frequency (Hz) axes, low
// frequencies at the bottom; plays the original, the explanation and the residual with a
// playhead that follows playback; offers them as WAV downloads; a threshold slider fires
// `threshold` events (the page recomputes the listenable explanation).
//
//   view.show(canvas, { seconds: 2.5, minHz: 0, maxHz: 8000, logFrequency: false });
//   view.setSounds({ original, explanation, residual }, 16000, 'note');
import { encodeWav } from './wav.js';

const SOUNDS = ['original', 'explanation', 'residual'];
const MARGIN = { left: 52, bottom: 30, top: 8, right: 8 };

class SpectrogramView extends HTMLElement {
  connectedCallback() {
    if (this.canvas) return;
    this.canvas = Object.assign(document.createElement('canvas'), { width: 560, height: 260 });
    this.canvas.dataset.testid = 'spectrogram';
    this.canvas.setAttribute('aria-label', 'spectrogram with the explanation over it');
    this.player = document.createElement('audio');
    this.player.dataset.testid = 'audio-player';
    const controls = Object.assign(document.createElement('div'), { className: 'actions' });
    this.buttons = {};
    this.links = {};
    for (const name of SOUNDS) {
      const b = Object.assign(document.createElement('button'), { type: 'button', textContent: `▶ ${name}`, disabled: true });
      b.dataset.testid = `audio-play-${name}`;
      b.addEventListener('click', () => this.play(name));
      this.buttons[name] = b;
      controls.append(b);
    }
    const stop = Object.assign(document.createElement('button'), { type: 'button', textContent: '■ stop' });
    stop.dataset.testid = 'audio-stop';
    stop.addEventListener('click', () => this.player.pause());
    controls.append(stop);
    const downloads = Object.assign(document.createElement('div'), { className: 'actions downloads' });
    for (const name of SOUNDS) {
      const a = Object.assign(document.createElement('a'), { textContent: `${name}.wav`, className: 'disabled' });
      a.dataset.testid = `audio-download-${name}`;
      this.links[name] = a;
      downloads.append(a);
    }
    const threshold = Object.assign(document.createElement('label'), { textContent: 'explanation threshold ' });
    this.threshold = Object.assign(document.createElement('input'), { type: 'range', min: '0', max: '0.9', step: '0.05', value: '0.1' });
    this.threshold.dataset.testid = 'audio-threshold';
    this.threshold.addEventListener('change', () => this.dispatchEvent(new CustomEvent('threshold', { detail: Number(this.threshold.value) })));
    threshold.append(this.threshold);
    this.note = Object.assign(document.createElement('p'), { className: 'hint' });
    this.append(this.canvas, controls, threshold, downloads, this.note, this.player);
    this.player.addEventListener('play', () => this.follow());
  }

  get thresholdValue() { return Number(this.threshold.value); }

  show(picture, info) {
    this.picture = picture;
    this.info = info;
    this.draw();
  }

  draw(time = null) {
    const { canvas, picture, info } = this;
    if (!picture || !info) return;
    const ctx = canvas.getContext('2d');
    const w = canvas.width - MARGIN.left - MARGIN.right;
    const h = canvas.height - MARGIN.top - MARGIN.bottom;
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(picture, MARGIN.left, MARGIN.top, w, h);
    ctx.strokeStyle = '#333';
    ctx.fillStyle = '#333';
    ctx.font = '11px sans-serif';
    ctx.strokeRect(MARGIN.left, MARGIN.top, w, h);
    // Time axis (a spectrum of a whole note has none: its horizontal axis is frequency).
    ctx.textAlign = 'center';
    if (info.spectrum) {
      for (let i = 0; i <= 4; i++) {
        const hz = info.minHz * (info.maxHz / info.minHz) ** (i / 4);
        ctx.fillText(`${hz.toFixed(0)} Hz`, MARGIN.left + (w * i) / 4, canvas.height - 12);
      }
      ctx.textAlign = 'right';
      ctx.fillText('phase', MARGIN.left - 4, MARGIN.top + h * 0.25);
      ctx.fillText('magnitude', MARGIN.left - 4, MARGIN.top + h * 0.75);
      return;
    }
    const step = niceStep(info.seconds / 6);
    for (let t = 0; t <= info.seconds + 1e-9; t += step) {
      const x = MARGIN.left + (t / info.seconds) * w;
      ctx.fillRect(x, MARGIN.top + h, 1, 4);
      ctx.fillText(`${t.toFixed(step < 1 ? 1 : 0)} s`, x, canvas.height - 12);
    }
    ctx.textAlign = 'right';
    const fstep = niceStep(info.maxHz / 5);
    for (let f = 0; f <= info.maxHz + 1e-9; f += fstep) {
      const y = MARGIN.top + h - (f / info.maxHz) * h;
      ctx.fillRect(MARGIN.left - 4, y, 4, 1);
      ctx.fillText(f >= 1000 ? `${f / 1000} kHz` : `${f} Hz`, MARGIN.left - 6, y + 4);
    }
    if (time !== null) {
      ctx.fillStyle = '#0a84ff';
      ctx.fillRect(MARGIN.left + Math.min(1, time / info.seconds) * w, MARGIN.top, 2, h);
    }
  }

  setSounds(sounds, sampleRate, name = 'sound', note = '') {
    for (const s of SOUNDS) {
      const link = this.links[s];
      if (link.href) URL.revokeObjectURL(link.href);
      const samples = sounds[s];
      this.buttons[s].disabled = !samples;
      link.className = samples ? '' : 'disabled';
      if (samples) {
        const wav = encodeWav(samples, sampleRate);
        link.href = URL.createObjectURL(wav);
        link.download = `${name}-${s}.wav`;
        link.dataset.bytes = String(wav.size);
      } else {
        link.removeAttribute('href');
        delete link.dataset.bytes;
      }
    }
    this.note.textContent = note;
  }

  play(name) {
    if (!this.links[name].href) return;
    this.player.src = this.links[name].href;
    this.player.dataset.playing = name;
    this.player.play().catch((e) => { this.note.textContent = `cannot play: ${e.message}`; });
  }

  follow() {
    const tick = () => {
      this.draw(this.player.currentTime);
      if (!this.player.paused && !this.player.ended) requestAnimationFrame(tick);
      else this.draw();
    };
    requestAnimationFrame(tick);
  }
}

function niceStep(raw) {
  const p = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw) || raw;
}

customElements.define('hl-spectrogram', SpectrogramView);
