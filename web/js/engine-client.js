// The page's handle on the engine worker: promise-based calls, progress callbacks, and a
// cancel that stops a run at once (by replacing the worker; the loaded model is restored).
//
//   const engine = new EngineClient();
//   const info = await engine.ready;                       // {version, build, threaded, webgpu, ...}
//   const r = await engine.call('explain', [x, shape, 'lrp', {}, -1, 'logit'], { onProgress });
//   engine.cancel();
export class EngineClient {
  constructor(workerUrl = new URL('./engine-worker.js', import.meta.url)) {
    this.workerUrl = workerUrl;
    this.pending = new Map();
    this.nextId = 1;
    this.modelArgs = null;  // the last loadModel call, replayed after a cancel
    this.restored = Promise.resolve();
    this.start();
  }

  start() {
    this.worker = new Worker(this.workerUrl, { type: 'module' });
    this.ready = new Promise((resolve, reject) => {
      this.worker.addEventListener('message', (event) => {
        const msg = event.data;
        if (msg.event === 'ready') resolve(msg.info);
        else if (msg.event === 'failed') reject(new Error(msg.error));
        else if (msg.event === 'progress') this.pending.get(msg.id)?.onProgress?.(msg.done, msg.total);
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

  async call(method, args = [], { onProgress } = {}) {
    if (method === 'loadModel') this.modelArgs = args;
    else await this.restored;
    return this.post(method, args, onProgress);
  }

  post(method, args, onProgress) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, onProgress });
      this.worker.postMessage({ id, method, args });
    });
  }

  // Stops whatever runs now: the worker is replaced at once and pending calls reject with
  // 'cancelled'; the model is loaded again in the new worker before the next call runs.
  cancel() {
    this.worker.terminate();
    for (const entry of this.pending.values()) entry.reject(new Error('cancelled'));
    this.pending.clear();
    this.start();
    const args = this.modelArgs;
    this.restored = this.ready.then(() => (args ? this.post('loadModel', args) : null));
  }
}
