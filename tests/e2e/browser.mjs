// Shared set-up for the browser tests: Debian's Chromium driven by playwright-core, the
// heatlens dev server on a free port, and a log of every request the page makes.
//
//   const { page, origin, requests, close } = await openPage('/index.html');
import { chromium } from 'playwright-core';
import { createServer } from '../../web/serve.mjs';

export const chromiumArgs = [
  '--no-sandbox', '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--no-first-run', '--disable-quic',
  // WebGPU through SwiftShader (a CPU emulation: good for correctness, not for speed).
  '--enable-unsafe-webgpu', '--use-webgpu-adapter=swiftshader', '--enable-unsafe-swiftshader',
  // A synthetic camera for the webcam snapshot test.
  '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream',
];

export async function startServer(options = {}) {
  const server = createServer(options);
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${server.address().port}`;
  return { origin, close: () => new Promise((resolve) => server.close(resolve)) };
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.HEATLENS_CHROMIUM || '/usr/bin/chromium',
    args: chromiumArgs,
    headless: true,
  });
}

// Opens `path` on a fresh server in a fresh browser. Collects console errors and requests.
export async function openPage(path, { serverOptions = {}, waitForReady = true } = {}) {
  const server = await startServer(serverOptions);
  const browser = await launchBrowser();
  const context = await browser.newContext();
  const page = await context.newPage();
  const requests = [];
  const consoleErrors = [];
  page.on('request', (r) => requests.push(r.url()));
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
  const started = Date.now();
  await page.goto(server.origin + path);
  let readyMs = null;
  if (waitForReady) {
    await page.waitForFunction(() => {
      const s = document.querySelector('[data-testid="status"]');
      return s && /^(ready|error:)/.test(s.textContent);
    }, null, { timeout: 20000 });
    readyMs = Date.now() - started;
  }
  const close = async () => {
    await browser.close();
    await server.close();
  };
  return { page, origin: server.origin, requests, consoleErrors, readyMs, close };
}

export const text = (page, testid) => page.textContent(`[data-testid="${testid}"]`);
