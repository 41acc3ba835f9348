// embed.html renders its <heatlens-explainer> widgets, which fire heatlens-done and re-run
// when an attribute changes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openPage } from './browser.mjs';

test('embed.html renders every widget and re-runs on attribute changes', async () => {
  const { page, consoleErrors, close } = await openPage('/embed.html?coi=0', { waitForReady: false });
  try {
    await page.waitForFunction(() => [...document.querySelectorAll('heatlens-explainer')]
      .every((el) => / · class /.test(el.shadowRoot.querySelector('figcaption').textContent)), null, { timeout: 30000 });
    const methods = (await page.$$eval('heatlens-explainer', (els) => els.map((el) => el.shadowRoot.querySelector('figcaption').textContent)))
      .map((t) => t.split(' · ')[0]).sort();
    assert.deepEqual(methods, ['grad-cam', 'integrated-gradients', 'lrp']);
    await page.evaluate(() => {
      window.done = [];
      document.addEventListener('heatlens-done', (e) => window.done.push(e.detail.method));
    });
    const colours = await page.$$eval('heatlens-explainer', (els) => els.map((el) => {
      const c = el.shadowRoot.querySelector('canvas');
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      const s = new Set();
      for (let i = 0; i < d.length; i += 28) s.add(`${d[i]},${d[i + 1]},${d[i + 2]}`);
      return s.size;
    }));
    for (const n of colours) assert.ok(n > 5, 'widget heatmap is not blank');
    await page.evaluate(() => document.querySelectorAll('heatlens-explainer')[2].setAttribute('method', 'gradient'));
    await page.waitForFunction(() => window.done.includes('gradient'), null, { timeout: 20000 });
    assert.deepEqual(consoleErrors, []);
  } finally {
    await close();
  }
});
