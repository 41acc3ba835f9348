// The page's handle on the engine worker: promise-based calls and a ready event.
//
//   const engine = new EngineClient();
//   const info = await engine.ready;          // {version, build, threaded, webgpu, ...}
//   const sum = await engine.call('parallelSum', 1e6, 2);
export class EngineClient {
  constructor(workerUrl = new URL('./engine-worker.js', import.meta.url)) {
    this.worker = new Worker(workerUrl, { type: 'module' });
    this.pending = new Map();
    this.nextId = 1;
    this.ready = new Promise((resolve, reject) => {
      this.worker.addEventListener('message', (event) => {
        const msg = event.data;
        if (msg.event === 'ready') resolve(msg.info);
        else if (msg.event === 'failed') reject(new Error(msg.error));
        else if (msg.id !== undefined) this.settle(msg);
      });
      this.worker.addEventListener('error', (event) => {
        reject(new Error(`engine worker failed to start: ${event.message || 'unknown error'}`));
      });
    });
  }

  settle(msg) {
    const entry = this.pending.get(msg.id);
    if (!entry) return;
    this.pending.delete(msg.id);
    if (msg.error !== undefined) entry.reject(new Error(msg.error));
    else entry.resolve(msg.result);
  }

  call(method, ...args) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, method, args });
    });
  }
}
