// After one visit the page works with the network off: the service worker serves the app,
// the engine and the bundled models from its cache.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openPage } from './browser.mjs';

test('the page works offline after one visit', async () => {
  const { page, close } = await openPage('/?coi=0');
  try {
    await page.waitForFunction(async () => {
      const reg = await navigator.serviceWorker.ready;
      if (!reg.active) return false;
      const cache = await caches.open('heatlens-v1');
      return (await cache.keys()).length >= 20;
    }, null, { timeout: 20000 });
    await page.context().setOffline(true);
    await page.reload();
    await page.waitForFunction(() => document.querySelector('[data-testid="prediction"] li'), null, { timeout: 20000 });
    await page.click('[data-testid="run"]');
    await page.waitForFunction(() => /^(done|error:)/.test(document.querySelector('[data-testid="status"]').textContent));
    assert.match(await page.textContent('[data-testid="status"]'), /^done/);
  } finally {
    await page.context().setOffline(false);
    await close();
  }
});
