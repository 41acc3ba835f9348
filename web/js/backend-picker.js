// Where the engine runs model passes: the CPU (the wasm build) or WebGPU. The select offers
// WebGPU only where the worker can use it (a device, and JSPI to wait for it); after each
// explanation the numbers table says which backend ran, which nodes the GPU handed to the CPU,
// and what moved between them.
//
//   const picker = new BackendPicker(engine, info, $('engine-backend-select'), $('engine-backend-note'));
//   picker.report(result, $('numbers'));

export class BackendPicker {
  constructor(engine, info, select, note) {
    this.engine = engine;
    this.select = select;
    this.note = note;
    const webgpu = select.querySelector('option[value="webgpu"]');
    webgpu.disabled = !info.gpuUsable;
    select.value = info.backend;
    note.textContent = info.gpuUsable
      ? `WebGPU adapter: ${info.adapter || 'unknown'}${info.backend === 'cpu' ? ' (software: the CPU is faster here)' : ''}`
      : `WebGPU unavailable: ${info.gpuReason || 'no adapter'}`;
    select.addEventListener('change', () => this.choose(select.value));
  }

  async choose(name) {
    try {
      const r = await this.engine.call('setBackend', [name]);
      this.select.value = r.backend;
    } catch (e) {
      this.select.value = 'cpu';
      this.note.textContent = String(e.message || e);
    }
  }

  // Rows for the numbers table, and the note when the GPU failed during the call.
  report(result, table) {
    const b = result.backend;
    if (!b) return;
    const rows = [['ran on', b.backend === 'webgpu' ? 'WebGPU' : 'CPU (wasm)']];
    if (b.backend === 'webgpu' || result.gpuFallback) {
      const s = b.stats || {};
      const fallbacks = Object.entries(s.fallbacks || {}).map(([op, n]) => `${op} ×${n}`).join(', ');
      rows.push(['GPU node runs', String(s.device_nodes ?? 0)]);
      rows.push(['CPU fallbacks', fallbacks || 'none']);
      rows.push(['transfers', `${s.uploads ?? 0} up (${((s.bytes_up ?? 0) / 1024).toFixed(0)} KiB), ${s.downloads ?? 0} down (${((s.bytes_down ?? 0) / 1024).toFixed(0)} KiB)`]);
    }
    if (result.gpuFallback) {
      rows.push(['GPU', result.gpuFallback]);
      this.select.value = 'cpu';
      this.note.textContent = result.gpuFallback;
    }
    for (const [k, v] of rows) {
      const tr = document.createElement('tr');
      tr.dataset.testid = `backend-row`;
      tr.append(Object.assign(document.createElement('td'), { textContent: k }), Object.assign(document.createElement('td'), { textContent: v }));
      table.append(tr);
    }
  }
}
