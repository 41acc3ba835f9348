// The page loads the engine in a worker and the engine answers through Embind: the threaded
// build when the page is cross-origin isolated, the single-thread build otherwise.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { openPage, text } from './browser.mjs';

const packageVersion = JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url))).version;

function assertOnlyOwnOrigin(requests, origin) {
  const foreign = requests.filter((u) => !u.startsWith(origin) && !u.startsWith('blob:') && !u.startsWith('data:'));
  assert.deepEqual(foreign, [], 'the page must not contact any other origin');
}

test('cross-origin isolated page runs the threaded build and shows the version within 5 s', async () => {
  const { page, origin, requests, consoleErrors, readyMs, close } = await openPage('/');
  try {
    assert.match(await text(page, 'status'), /^ready/);
    assert.ok(readyMs < 5000, `engine ready after ${readyMs} ms`);
    assert.equal(await text(page, 'engine-version'), packageVersion);
    assert.equal(await page.evaluate(() => crossOriginIsolated), true);
    assert.match(await text(page, 'backend'), /threaded/);
    const info = await page.evaluate(() => window.heatlensEngine.ready);
    assert.equal(info.threaded, true);
    assert.match(info.build, /wasm32, simd128, threads/);
    // Embind call that really runs on several pthreads.
    const r = await page.evaluate(() => window.heatlensEngine.call('parallelSum', [1e8, 2]));
    assert.equal(r.sum, (1e8 * (1e8 - 1)) / 2);
    assert.equal(r.poolThreads, 2);
    assert.equal(r.threadsUsed, 2, 'both pool threads took part');
    assert.ok(requests.some((u) => u.endsWith('/engine/heatlens-mt.wasm')));
    assertOnlyOwnOrigin(requests, origin);
    assert.deepEqual(consoleErrors, []);
  } finally {
    await close();
  }
});

test('page without cross-origin isolation falls back to the single-thread build', async () => {
  const { page, origin, requests, consoleErrors, readyMs, close } = await openPage('/?coi=0');
  try {
    assert.match(await text(page, 'status'), /^ready/);
    assert.ok(readyMs < 5000, `engine ready after ${readyMs} ms`);
    assert.equal(await text(page, 'engine-version'), packageVersion);
    assert.equal(await page.evaluate(() => crossOriginIsolated), false);
    assert.match(await text(page, 'backend'), /single-thread/);
    const r = await page.evaluate(() => window.heatlensEngine.call('parallelSum', [1e5, 4]));
    assert.equal(r.sum, (1e5 * (1e5 - 1)) / 2);
    assert.equal(r.poolThreads, 1, 'no threads without isolation');
    assert.ok(requests.some((u) => u.endsWith('/engine/heatlens.wasm')));
    assert.ok(!requests.some((u) => u.includes('heatlens-mt')));
    assertOnlyOwnOrigin(requests, origin);
    assert.deepEqual(consoleErrors, []);
  } finally {
    await close();
  }
});

test('an unknown engine call is an error, not a hang', async () => {
  const { page, close } = await openPage('/?coi=0');
  try {
    const message = await page.evaluate(() =>
      window.heatlensEngine.call('noSuchMethod').then(() => 'resolved', (e) => e.message));
    assert.match(message, /unknown engine method 'noSuchMethod'/);
  } finally {
    await close();
  }
});
