// The web app as a user drives it: an image through every registered method on mnist-cnn,
// different methods giving different heatmaps, a bring-your-own model, a model with an
// unsupported operator (listed; its forward-only methods run through onnxruntime-web), cancel,
// and no request ever leaving the page's origin.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openPage } from './browser.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
let session;

before(async () => {
  session = await openPage('/?coi=0#model=mnist-cnn');
  await session.page.waitForFunction(() => document.querySelector('[data-testid="prediction"] li'), null, { timeout: 20000 });
});

after(async () => {
  const foreign = session.requests.filter((u) => !u.startsWith(session.origin) && !u.startsWith('blob:') && !u.startsWith('data:'));
  await session.close();
  assert.deepEqual(foreign, [], 'no request may leave the page\'s origin');
});

const $ = (id) => `[data-testid="${id}"]`;

async function runMethod(page, method, params = {}) {
  await page.selectOption($('method-select'), method);
  for (const [name, value] of Object.entries(params)) await page.fill($(`param-${name}`), value);
  await page.click($('run'));
  await page.waitForFunction(() => /^(done|error:)/.test(document.querySelector('[data-testid="status"]').textContent), null, { timeout: 60000 });
  const status = await page.textContent($('status'));
  assert.match(status, /^done/, `${method}: ${status}`);
  // The heatmap canvas, as pixels.
  return page.evaluate(() => {
    const c = document.querySelector('[data-testid="heatmap"]');
    return Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data);
  });
}

function distinctColours(pixels) {
  const s = new Set();
  for (let i = 0; i < pixels.length; i += 4 * 7) s.add(`${pixels[i]},${pixels[i + 1]},${pixels[i + 2]}`);
  return s.size;
}

test('a digit goes through every registered method and gives a non-blank heatmap', async () => {
  const { page } = session;
  const methods = await page.$$eval(`${$('method-select')} option`, (os) => os.map((o) => o.value));
  assert.ok(methods.length >= 15);
  const small = { smoothgrad: { samples: '6' }, 'smoothgrad-square': { samples: '6' }, vargrad: { samples: '6' },
    'integrated-gradients': { steps: '8' }, 'expected-gradients': { samples: '6' },
    rise: { masks: '200' }, lime: { samples: '200' }, 'kernel-shap': { samples: '200' }, 'shapley-sampling': { samples: '3' },
    'meaningful-perturbation': { iterations: '60' }, rde: { steps: '40' }, 'matching-pursuit': { k: '4' } };
  const maps = {};
  for (const m of methods) {
    const pixels = await runMethod(page, m, small[m] || {});
    assert.ok(distinctColours(pixels) > 5, `${m}: heatmap is blank`);
    maps[m] = pixels;
  }
  // Two different methods give different heatmaps.
  let differing = 0;
  for (let i = 0; i < maps.gradient.length; i++) differing += maps.gradient[i] !== maps.lrp[i];
  assert.ok(differing > 1000, `gradient and lrp heatmaps differ in ${differing} values`);
  // Results go side by side into the comparison grid.
  await page.click($('compare-add'));
  await runMethod(page, 'gradient');
  await page.click($('compare-add'));
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="compare-item"]').length === 2);
  // The numbers panel shows the facts; the state is in the URL.
  assert.match(await page.textContent($('numbers')), /relevance sum/);
  assert.match(page.url(), /method=/);
});

test('parameters from the generated form reach the engine, and bad ones are reported', async () => {
  const { page } = session;
  await page.selectOption($('method-select'), 'integrated-gradients');
  await page.fill($('param-steps'), '0');
  await page.click($('run'));
  await page.waitForFunction(() => /^(done|error:)/.test(document.querySelector('[data-testid="status"]').textContent));
  assert.match(await page.textContent($('status')), /^error: parameter 'steps' must be between 1 and 4096/);
  await page.fill($('param-steps'), '8');
});

test('clicking a class in the prediction explains that class', async () => {
  const { page } = session;
  await page.selectOption($('method-select'), 'gradient');
  await page.click(`${$('prediction')} li:nth-child(3)`);
  await page.waitForFunction(() => /^done/.test(document.querySelector('[data-testid="status"]').textContent));
  const cls = await page.getAttribute(`${$('prediction')} li.target`, 'data-class');
  assert.match(page.url(), new RegExp(`target=${cls}`));
  assert.match(await page.textContent($('numbers')), new RegExp(`target\\s*${cls}`));
});

test('a digit drawn on the canvas is classified', async () => {
  const { page } = session;
  assert.equal(await page.isVisible($('draw-canvas')), true);
  const box = await page.locator($('draw-canvas')).boundingBox();
  await page.click($('draw-clear'));
  // A vertical stroke: a "1".
  await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.15);
  await page.mouse.down();
  for (let i = 1; i <= 10; i++) await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * (0.15 + 0.07 * i));
  await page.mouse.up();
  await page.click($('draw-use'));
  await page.waitForFunction(() => /^1 —/.test(document.querySelector('[data-testid="prediction"] li')?.textContent || ''), null, { timeout: 10000 });
});

test('a webcam snapshot becomes the input', async () => {
  const { page } = session;
  await page.evaluate(() => { document.querySelector('[data-testid="prediction"]').replaceChildren(); });
  await page.click($('webcam'));
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="prediction"] li').length === 5, null, { timeout: 10000 });
  assert.match(await page.textContent($('status')), /^ready/);
});

test('ONNX Runtime Web verifies the engine\'s output', async () => {
  const { page } = session;
  await page.click($('verify'));
  await page.waitForFunction(() => /difference|error/.test(document.querySelector('[data-testid="verify-result"]').textContent), null, { timeout: 30000 });
  const text = await page.textContent($('verify-result'));
  const m = text.match(/relative ([0-9.e+-]+)/);
  assert.ok(m, text);
  assert.ok(Number(m[1]) < 1e-4, text);
});

test('cancel stops a long run within a second and the page stays usable', async () => {
  const { page } = session;
  await page.selectOption($('method-select'), 'integrated-gradients');
  await page.fill($('param-steps'), '4096');
  await page.click($('run'));
  await page.waitForFunction(() => /^running/.test(document.querySelector('[data-testid="status"]').textContent));
  await page.waitForTimeout(300);
  const t0 = Date.now();
  await page.click($('cancel'));
  await page.waitForFunction(() => /^ready/.test(document.querySelector('[data-testid="status"]').textContent), null, { timeout: 5000 });
  assert.ok(Date.now() - t0 < 1500, `cancel took ${Date.now() - t0} ms`);
  await page.fill($('param-steps'), '8');
  await runMethod(page, 'gradient');
});

test('a segment map chosen in the form groups lime\'s features', async () => {
  const { page } = session;
  await page.selectOption($('method-select'), 'lime');
  await page.selectOption($('param-grouping'), 'file');
  await page.fill($('param-samples'), '60');
  // An int64 .npy labelling the left and right halves of the 28×28 input.
  const header = "{'descr': '<i8', 'fortran_order': False, 'shape': (28, 28), }";
  const pad = 64 - ((10 + header.length + 1) % 64);
  const head = Buffer.from(`\x93NUMPY\x01\x00xx${header}${' '.repeat(pad)}\n`, 'latin1');
  head.writeUInt16LE(head.length - 10, 8);
  const body = Buffer.alloc(28 * 28 * 8);
  for (let i = 0; i < 28 * 28; i++) body.writeBigInt64LE(i % 28 < 14 ? 7n : 9n, i * 8);
  await page.setInputFiles($('param-segment-file'), { name: 'halves.npy', mimeType: 'application/octet-stream', buffer: Buffer.concat([head, body]) });
  await page.click($('run'));
  await page.waitForFunction(() => /^(done|error:)/.test(document.querySelector('[data-testid="status"]').textContent), null, { timeout: 30000 });
  assert.match(await page.textContent($('status')), /^done/);
  assert.match(await page.textContent($('numbers')), /groups\s*2/);
});

test('the Evaluate tab scores the compared methods and plots their deletion and insertion curves', async () => {
  const { page } = session;
  await page.click($('compare-clear'));
  assert.equal(await page.$$eval($('compare-item'), (items) => items.length), 0);
  for (const m of ['gradient', 'occlusion']) {
    await runMethod(page, m);
    await page.click($('compare-add'));
  }
  await page.click(`${$('eval-tab')} summary`);
  await page.check($('metric-pointing-game'));
  await page.fill($('eval-box'), '6,4,22,24');
  await page.click($('eval-run'));
  await page.waitForFunction(() => /^(done|error)/.test(document.querySelector('[data-testid="eval-status"]').textContent), null, { timeout: 60000 });
  assert.equal(await page.textContent($('eval-status')), 'done');
  const table = await page.$$eval(`${$('eval-table')} tr`, (rows) => rows.map((r) => [...r.cells].map((c) => c.textContent)));
  const methods = table.map((r) => r[0]);
  assert.deepEqual(methods, ['method', 'gradient', 'occlusion']);
  assert.ok(table[0].includes('pointing-game ↑') && table[0].includes('deletion ↓'));
  for (const row of table.slice(1)) for (const v of row.slice(1)) assert.ok(Number.isFinite(Number(v)), `${row[0]}: ${v}`);
  const charts = await page.$$eval(`${$('eval-curves')} svg`, (svgs) => svgs.map((s) => [s.dataset.metric, s.querySelectorAll('polyline').length]));
  const rows = methods.length - 1;
  assert.deepEqual(charts.filter(([m]) => m === 'deletion' || m === 'insertion'), [['deletion', rows], ['insertion', rows]]);
  // A long evaluation can be cancelled.
  await page.check($('metric-max-sensitivity'));
  await page.check($('metric-randomisation'));
  await page.click($('eval-run'));
  await page.click($('eval-cancel'));
  await page.waitForFunction(() => document.querySelector('[data-testid="eval-status"]').textContent === 'cancelled', null, { timeout: 5000 });
  assert.equal(await page.isDisabled($('eval-run')), false);
});

test('a bring-your-own ONNX model runs with the preprocessing form', async () => {
  const { page } = session;
  await page.setInputFiles($('model-file-input'), path.join(root, 'tests/golden/fixtures/vgg_mini/model.onnx'));
  await page.waitForFunction(() => !document.querySelector('[data-testid="prep-form"]').hidden);
  assert.equal(await page.inputValue($('prep-size')), '32,32');
  assert.equal(await page.inputValue($('prep-channels')), '3');
  await page.click($('prep-apply'));
  await page.waitForFunction(() => /^ready/.test(document.querySelector('[data-testid="status"]').textContent));
  await page.click(`${$('demo-gallery')} button`).catch(() => {});
  await page.setInputFiles($('file-input'), path.join(root, 'web/demo/mnist-cnn/digit-3.png'));
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="prediction"] li').length === 5);
  await runMethod(page, 'gradient-x-input');
});

test('a model with an unsupported operator lists its nodes and disables the methods', async () => {
  const { page } = session;
  await page.setInputFiles($('model-file-input'), '/usr/share/libonnx-testdata/data/node/test_top_k/model.onnx');
  await page.waitForFunction(() => !document.querySelector('[data-testid="unsupported"]').hidden);
  assert.match(await page.textContent($('unsupported')), /TopK.*not supported/);
  assert.match(await page.textContent($('status')), /^error: the model has unsupported operators/);
  assert.equal(await page.isDisabled($('run')), true);
});

test('a model with an unsupported operator runs the forward-only methods through ONNX Runtime', async () => {
  const { page } = session;
  await page.setInputFiles($('model-file-input'), path.join(root, 'tests/golden/unsupported/softplus_cnn.onnx'));
  await page.waitForFunction(() => /^ready — unsupported operators/.test(document.querySelector('[data-testid="status"]').textContent) &&
    document.querySelectorAll('[data-testid="prediction"] li').length === 3, null, { timeout: 30000 });
  assert.match(await page.textContent($('unsupported')), /Softplus.*not supported/);
  // Gradient and layer methods are disabled, with the reason on hover.
  const gradient = await page.$eval(`${$('method-select')} option[value="gradient"]`, (o) => [o.disabled, o.title]);
  assert.equal(gradient[0], true);
  assert.match(gradient[1], /needs gradient/);
  assert.equal(await page.$eval(`${$('method-select')} option[value="lrp"]`, (o) => o.disabled), true);
  const pixels = await runMethod(page, 'occlusion');
  assert.ok(distinctColours(pixels) > 5, 'occlusion through ONNX Runtime: blank heatmap');
  assert.match(await page.textContent($('numbers')), /onnxruntime-web/);
  const rise = await runMethod(page, 'rise', { masks: '200' });
  assert.ok(distinctColours(rise) > 5, 'rise through ONNX Runtime: blank heatmap');
  // An adaptive method (its passes depend on the scores) also gets there, round by round.
  await runMethod(page, 'matching-pursuit', { k: '3' });
});
