// <hl-param-form>: the form for one method, generated from its parameter schema (name, type,
// default, range or choices, help). Every input has data-testid="param-<name>".
//
//   form.schema = method.params;   form.values = {steps: '64'};   form.values  // → {steps: '64', ...}
export const SEGMENT_PATH = '/segments.npy';

class ParamForm extends HTMLElement {
  set schema(params) {
    this._schema = params.filter((p) => !p.name.endsWith('*'));
    this._overrides = params.some((p) => p.name === 'node:*');
    this.render();
  }

  get schema() { return this._schema || []; }

  render() {
    this.replaceChildren();
    for (const p of this.schema) {
      const label = document.createElement('label');
      label.title = p.help;
      const name = document.createElement('span');
      name.textContent = p.name;
      let input;
      if (p.type === 'choice') {
        input = document.createElement('select');
        for (const c of p.choices) input.append(new Option(c, c));
      } else if (p.name === 'segment-file') {
        // A segment map (.npy of integer labels) chosen here is written into the engine's
        // file system before the run (see segmentFile).
        input = document.createElement('input');
        input.type = 'file';
        input.accept = '.npy';
      } else if (p.type === 'boolean') {
        input = document.createElement('input');
        input.type = 'checkbox';
      } else {
        input = document.createElement('input');
        if (p.type === 'integer' || p.type === 'number') {
          input.type = 'number';
          if (p.range) [input.min, input.max] = p.range;
          input.step = p.type === 'integer' ? '1' : 'any';
        }
      }
      input.name = p.name;
      input.dataset.testid = `param-${p.name}`;
      this.setValue(input, p.default);
      input.addEventListener('change', () => this.dispatchEvent(new Event('change')));
      label.append(name, input);
      this.append(label);
    }
    if (this._overrides) {
      const label = document.createElement('label');
      label.title = 'per-node rules, one per line: node_name=rule';
      const area = document.createElement('textarea');
      area.rows = 2;
      area.placeholder = 'conv1=flat';
      area.dataset.testid = 'param-node';
      area.addEventListener('change', () => this.dispatchEvent(new Event('change')));
      label.append(Object.assign(document.createElement('span'), { textContent: 'node rules' }), area);
      this.append(label);
    }
  }

  // The chosen segment-map file, if any.
  get segmentFile() {
    return this.querySelector('input[type="file"][name="segment-file"]')?.files?.[0] || null;
  }

  setValue(input, value) {
    if (input.type === 'file') return;  // a browser only lets the user choose files
    if (input.type === 'checkbox') input.checked = value === 'true';
    else input.value = value ?? '';
  }

  // All parameters as strings (the engine validates them against the same schema).
  get values() {
    const out = {};
    for (const p of this.schema) {
      const input = this.querySelector(`[name="${CSS.escape(p.name)}"]`);
      const v = input.type === 'checkbox' ? String(input.checked)
        : input.type === 'file' ? (input.files?.length ? SEGMENT_PATH : '') : input.value;
      if (v !== '' || p.default !== '') out[p.name] = v;
    }
    const area = this.querySelector('[data-testid="param-node"]');
    for (const line of (area?.value || '').split('\n')) {
      const [node, rule] = line.split('=').map((s) => s.trim());
      if (node && rule) out[`node:${node}`] = rule;
    }
    return out;
  }

  set values(values) {
    for (const p of this.schema) {
      const input = this.querySelector(`[name="${CSS.escape(p.name)}"]`);
      if (input) this.setValue(input, values[p.name] ?? p.default);
    }
    const area = this.querySelector('[data-testid="param-node"]');
    if (area) {
      area.value = Object.entries(values).filter(([k]) => k.startsWith('node:')).map(([k, v]) => `${k.slice(5)}=${v}`).join('\n');
    }
  }
}

customElements.define('hl-param-form', ParamForm);
