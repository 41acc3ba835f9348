// The documentation pages served beside the app render the generated tables.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openPage } from './browser.mjs';

test('the operator support table renders with every operator', async () => {
  const { page, consoleErrors, close } = await openPage('/docs/?page=operators', { waitForReady: false });
  try {
    await page.waitForSelector('[data-testid="doc"] table', { timeout: 10000 });
    const rows = await page.$$eval('[data-testid="doc"] table tbody tr', (trs) => trs.map((tr) => tr.cells[0].textContent));
    assert.ok(rows.includes('Conv') && rows.includes('Softmax') && rows.includes('Resize'));
    assert.ok(rows.length >= 50, `${rows.length} operators listed`);
    assert.deepEqual(consoleErrors, []);
  } finally {
    await close();
  }
});
