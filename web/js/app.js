// heatlens page: starts the engine worker and shows what it runs on.
import { EngineClient } from './engine-client.js';

const $ = (id) => document.querySelector(`[data-testid="${id}"]`);

function describeBackend(info) {
  const threads = info.threaded ? `threaded, ${info.threads} threads` : 'single-thread';
  return `wasm (${threads}; ${info.build})`;
}

async function main() {
  const engine = new EngineClient();
  window.heatlensEngine = engine;  // for the console and the browser tests
  try {
    const info = await engine.ready;
    $('engine-version').textContent = info.version;
    $('backend').textContent = describeBackend(info);
    $('webgpu').textContent = info.webgpu ? 'available' : `not available (${info.webgpuReason})`;
    $('status').textContent = `ready — heatlens ${info.version}`;
  } catch (e) {
    $('status').textContent = `error: ${e.message}`;
  }
}

main();
