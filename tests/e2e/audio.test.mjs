// Sound in the web app: a demo note on instruments (rendered at build time from a soundfont the
// model never heard), its spectrogram with axes, an explanation over it, the explanation and
// residual as playable and downloadable WAVs, a longer recording from a file (windows), a
// microphone recording (Chromium's fake device), and instruments-spectrum's whole-note spectrum.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openPage } from './browser.mjs';

const $ = (id) => `[data-testid="${id}"]`;
const hasModel = fs.existsSync(new URL('../../web/models/instruments/card.json', import.meta.url));
const hasDemos = fs.existsSync(new URL('../../web/demo/instruments', import.meta.url));
let session;

before(async () => {
  if (!hasModel || !hasDemos) return;
  session = await openPage('/?coi=0#model=instruments');
  await session.page.waitForFunction(() => document.querySelector('[data-testid="prediction"] li'), null, { timeout: 30000 });
});

after(async () => {
  if (!session) return;
  const foreign = session.requests.filter((u) => !u.startsWith(session.origin) && !u.startsWith('blob:') && !u.startsWith('data:'));
  await session.close();
  assert.deepEqual(foreign, [], 'no request may leave the page\'s origin');
});

async function explainWith(page, method, params = {}) {
  await page.selectOption($('method-select'), method);
  for (const [name, value] of Object.entries(params)) await page.fill($(`param-${name}`), value);
  await page.click($('run'));
  await page.waitForFunction(() => /^(done|error:)/.test(document.querySelector('[data-testid="status"]').textContent), null, { timeout: 90000 });
  const status = await page.textContent($('status'));
  assert.match(status, /^done/, `${method}: ${status}`);
}

// Distinct colours on the spectrogram view's canvas (axes, spectrogram and heatmap).
function viewColours(page) {
  return page.evaluate(() => {
    const c = document.querySelector('[data-testid="spectrogram"]');
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    const s = new Set();
    for (let i = 0; i < d.length; i += 4 * 5) s.add(`${d[i]},${d[i + 1]},${d[i + 2]}`);
    return s.size;
  });
}

// The size of the WAV behind a download link (the page's CSP keeps fetch() to its origin).
function linkBytes(page, id) {
  return page.evaluate((sel) => Number(document.querySelector(sel).dataset.bytes || 0), $(id));
}

test('a demo note: family prediction, spectrogram, explanation you can hear and download', { skip: !hasModel || !hasDemos }, async () => {
  const { page } = session;
  assert.equal(await page.isVisible($('spectrogram-view')), true);
  assert.equal(await page.isVisible($('audio-panel')), true);
  assert.equal(await page.isVisible($('draw-panel')), false);
  const demos = await page.$$eval($('demo-input'), (bs) => bs.map((b) => b.textContent));
  assert.equal(demos.length, 10, 'one demo note per family');
  const labels = await page.$$eval(`${$('prediction')} li`, (lis) => lis.map((li) => li.textContent.split(' — ')[0]));
  assert.equal(labels.length, 5);
  for (const l of labels) assert.ok(['bass', 'brass', 'flute', 'guitar', 'keyboard', 'mallet', 'organ', 'reed', 'string', 'vocal'].includes(l), l);
  const before = await viewColours(page);
  assert.ok(before > 10, 'the spectrogram is drawn');
  assert.equal(await page.isDisabled($('audio-play-explanation')), true, 'nothing to hear before an explanation');

  await explainWith(page, 'gradient');
  assert.equal(await page.isDisabled($('audio-play-explanation')), false);
  const explanation = await linkBytes(page, 'audio-download-explanation');
  const residual = await linkBytes(page, 'audio-download-residual');
  assert.equal(explanation, 44 + 16000 * 2, 'one second of 16 kHz 16-bit audio');
  assert.equal(residual, explanation);
  const href = await page.getAttribute($('audio-download-explanation'), 'href');
  // Playing the explanation moves the playhead.
  await page.click($('audio-play-explanation'));
  await page.waitForFunction(() => {
    const p = document.querySelector('[data-testid="audio-player"]');
    return p.dataset.playing === 'explanation' && (p.currentTime > 0.05 || p.ended);
  }, null, { timeout: 10000 });
  await page.click($('audio-stop'));
  // A higher threshold gives a new explanation sound.
  await page.fill($('audio-threshold'), '0.6');
  await page.dispatchEvent($('audio-threshold'), 'change');
  await page.waitForFunction((old) => document.querySelector('[data-testid="audio-download-explanation"]').href !== old, href, { timeout: 10000 });

  // A perturbation method groups the spectrogram in time–frequency tiles by default.
  await explainWith(page, 'occlusion');
  await explainWith(page, 'lime', { samples: '60' });
  assert.ok(await viewColours(page) > 10);
});

test('a longer sound file is explained window by window over its whole length', { skip: !hasModel || !hasDemos }, async () => {
  const { page } = session;
  // 2.5 s: a 440 Hz tone, then a 1760 Hz tone, as a 44.1 kHz stereo WAV.
  const rate = 44100;
  const n = Math.round(2.5 * rate);
  const data = Buffer.alloc(n * 4);
  for (let i = 0; i < n; i++) {
    const f = i < n / 2 ? 440 : 1760;
    const v = Math.round(0.3 * Math.sin(2 * Math.PI * f * i / rate) * 32767);
    data.writeInt16LE(v, i * 4);
    data.writeInt16LE(v, i * 4 + 2);
  }
  const header = Buffer.alloc(44);
  header.write('RIFF', 0); header.writeUInt32LE(36 + data.length, 4); header.write('WAVEfmt ', 8);
  header.writeUInt32LE(16, 16); header.writeUInt16LE(1, 20); header.writeUInt16LE(2, 22); header.writeUInt32LE(rate, 24);
  header.writeUInt32LE(rate * 4, 28); header.writeUInt16LE(4, 32); header.writeUInt16LE(16, 34); header.write('data', 36);
  header.writeUInt32LE(data.length, 40);
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'heatlens-audio-')), 'tones.wav');
  fs.writeFileSync(file, Buffer.concat([header, data]));
  await page.setInputFiles($('file-input'), file);
  await page.waitForFunction(() => /windows/.test(document.querySelector('[data-testid="audio-note"]').textContent), null, { timeout: 20000 });
  // 40,000 samples at 16 kHz in windows of 16,000 every 7,936 (half a window in whole frames).
  assert.match(await page.textContent($('audio-note')), /2\.50 s, 5 windows of 1 s/);
  await explainWith(page, 'gradient');
  const numbers = await page.textContent($('numbers'));
  assert.match(numbers, /5 windows/);
  // 2.5 s at 16 kHz, padded to the last window's end.
  const bytes = await linkBytes(page, 'audio-download-explanation');
  assert.equal(bytes, 44 + (4 * 7936 + 16000) * 2);
});

test('a microphone recording becomes the input', { skip: !hasModel || !hasDemos }, async () => {
  const { page } = session;
  await page.click($('audio-record'));
  await page.waitForFunction(() => Number(document.querySelector('[data-testid="audio-level"]').value) > 0, null, { timeout: 10000 });
  await page.waitForTimeout(1200);
  await page.click($('audio-record'));
  await page.waitForFunction(() => /^(ready|error:)/.test(document.querySelector('[data-testid="status"]').textContent) &&
    document.querySelector('[data-testid="audio-record"]').textContent.startsWith('●'), null, { timeout: 20000 });
  assert.match(await page.textContent($('status')), /^ready/);
  assert.equal(await page.$$eval(`${$('prediction')} li`, (l) => l.length), 5);
});

test('instruments-spectrum: the whole-note spectrum is explained; it has nothing to play back', { skip: !hasModel || !hasDemos }, async () => {
  const { page } = session;
  await page.selectOption($('model-select'), 'instruments-spectrum');
  await page.waitForFunction(() => /^ready/.test(document.querySelector('[data-testid="status"]').textContent) &&
    document.querySelector('[data-testid="prediction"] li'), null, { timeout: 30000 });
  await page.click(`${$('demo-input')} >> nth=2`);
  await page.waitForFunction(() => /^ready/.test(document.querySelector('[data-testid="status"]').textContent), null, { timeout: 20000 });
  await explainWith(page, 'integrated-gradients', { steps: '8' });
  assert.ok(await viewColours(page) > 10);
  assert.equal(await page.isDisabled($('audio-play-explanation')), true);
  assert.equal(await page.isDisabled($('audio-play-original')), false);
  await explainWith(page, 'rde', { steps: '30' });
});
