// Where model passes run: heatlens on the CPU (the wasm build) or on WebGPU, or onnxruntime-web's
// WebGPU provider as a black-box runner for the forward-only (perturbation) methods. The select
// offers WebGPU only where the worker can use it (a device, and JSPI to wait for it); after
// each explanation the numbers table says which backend ran, which nodes the GPU handed to the
// CPU, and what moved between them.
//
//   const picker = new BackendPicker(engine, info, $('engine-backend-select'), $('engine-backend-note'), onChange);
//   picker.report(result, $('numbers'));

const ranOn = { cpu: 'CPU (wasm)', webgpu: 'WebGPU', 'ort-webgpu': 'ONNX Runtime Web (WebGPU)', 'ort-wasm': 'ONNX Runtime Web (wasm)' };

export class BackendPicker {
  constructor(engine, info, select, note, onChange = () => {}) {
    this.engine = engine;
    this.select = select;
    this.note = note;
    this.onChange = onChange;
    select.querySelector('option[value="webgpu"]').disabled = !info.gpuUsable;
    select.querySelector('option[value="ort-webgpu"]').disabled = Boolean(info.webgpuReason);
    select.value = info.backend;
    this.adapterNote = info.gpuUsable
      ? `WebGPU adapter: ${info.adapter || 'unknown'}${info.backend === 'cpu' ? ' (software: the CPU is faster here)' : ''}`
      : `WebGPU unavailable: ${info.gpuReason || 'no adapter'}`;
    note.textContent = this.adapterNote;
    select.addEventListener('change', () => this.choose(select.value));
  }

  async choose(name) {
    try {
      const r = await this.engine.call('setBackend', [name]);
      this.select.value = r.backend;
      this.note.textContent = r.backend === 'ort-webgpu'
        ? 'ONNX Runtime runs the forward passes; methods that need gradients or layers are off'
        : this.adapterNote;
    } catch (e) {
      this.select.value = 'cpu';
      this.note.textContent = String(e.message || e);
    }
    this.onChange(this.select.value);
  }

  // Rows for the numbers table, and the note when the GPU failed during the call.
  report(result, table) {
    const b = result.backend;
    if (!b) return;
    const rows = [['ran on', ranOn[b.backend] || b.backend]];
    if (b.backend.startsWith('ort-')) rows.push(['ONNX Runtime runs', String(b.stats?.ort_runs ?? 0)]);
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
