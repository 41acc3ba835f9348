// <hl-evaluate>: the Evaluate tab. Scores the methods of the comparison grid (or the current
// method) on the current input with the chosen metrics: a method × metric table and, for
// metrics with a curve (deletion, insertion, …), one chart per metric with a line per method.
//
//   panel.configure({ engine, current: () => ({ input, target, output, methods: ['gradient'] }) });
const SVG = 'http://www.w3.org/2000/svg';
const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#17becf', '#8c564b', '#e377c2'];
const DEFAULT_METRICS = new Set(['deletion', 'insertion', 'faithfulness-mf', 'sparseness']);

class EvaluatePanel extends HTMLElement {
  configure({ engine, current }) {
    this.engine = engine;
    this.current = current;
  }

  set metrics(list) {
    this._metrics = list;
    this.replaceChildren();
    const choose = document.createElement('fieldset');
    choose.append(Object.assign(document.createElement('legend'), { textContent: 'metrics' }));
    for (const family of [...new Set(list.map((m) => m.family))]) {
      const group = Object.assign(document.createElement('div'), { className: 'metric-family' });
      group.append(Object.assign(document.createElement('strong'), { textContent: family }));
      for (const m of list.filter((x) => x.family === family)) {
        const label = document.createElement('label');
        label.title = `${m.summary} — ${m.citation}`;
        const box = Object.assign(document.createElement('input'), { type: 'checkbox', value: m.name, checked: DEFAULT_METRICS.has(m.name) });
        box.dataset.testid = `metric-${m.name}`;
        label.append(box, ` ${m.name} ${m.higher_is_better ? '↑' : '↓'}`);
        group.append(label);
      }
      choose.append(group);
    }
    const boxLabel = document.createElement('label');
    boxLabel.title = 'the object\'s bounding box in input pixels, for the localization metrics';
    const boxInput = Object.assign(document.createElement('input'), { placeholder: 'x0,y0,x1,y1' });
    boxInput.dataset.testid = 'eval-box';
    boxLabel.append('box ', boxInput);
    const run = Object.assign(document.createElement('button'), { type: 'button', textContent: 'Evaluate' });
    run.dataset.testid = 'eval-run';
    run.addEventListener('click', () => this.run());
    const cancel = Object.assign(document.createElement('button'), { type: 'button', textContent: 'Cancel', disabled: true });
    cancel.dataset.testid = 'eval-cancel';
    cancel.addEventListener('click', () => this.engine.cancel());
    const progress = Object.assign(document.createElement('progress'), { max: 1, value: 0 });
    progress.dataset.testid = 'eval-progress';
    const status = Object.assign(document.createElement('div'), { className: 'status' });
    status.dataset.testid = 'eval-status';
    const table = Object.assign(document.createElement('table'), { className: 'numbers' });
    table.dataset.testid = 'eval-table';
    const curves = Object.assign(document.createElement('div'), { className: 'eval-curves' });
    curves.dataset.testid = 'eval-curves';
    this.append(choose, boxLabel, run, cancel, progress, status, table, curves);
    Object.assign(this, { runButton: run, cancelButton: cancel, progress, status, table, curves, boxInput });
  }

  chosen() {
    return [...this.querySelectorAll('input[type="checkbox"]:checked')].map((b) => b.value);
  }

  async run() {
    const now = this.current();
    if (!now.input) {
      this.status.textContent = 'choose an input first';
      return;
    }
    const metrics = this.chosen();
    if (!metrics.length) {
      this.status.textContent = 'choose at least one metric';
      return;
    }
    let box = null;
    if (this.boxInput.value.trim()) {
      box = this.boxInput.value.split(',').map(Number);
      if (box.length !== 4 || box.some((v) => !Number.isFinite(v))) {
        this.status.textContent = 'error: the box is four numbers x0,y0,x1,y1';
        return;
      }
    }
    this.runButton.disabled = true;
    this.cancelButton.disabled = false;
    this.status.textContent = `evaluating ${now.methods.length} method(s) × ${metrics.length} metric(s)…`;
    this.progress.value = 0;
    try {
      const r = await this.engine.call('evaluate', [now.input.data, now.input.shape, now.methods, metrics, box, now.target, now.output], {
        onProgress: (done, total) => { this.progress.value = total ? done / total : 0; },
      });
      this.progress.value = 1;
      this.showTable(r.table, now.methods, metrics);
      this.showCurves(r.records, now.methods);
      this.status.textContent = 'done';
    } catch (e) {
      this.status.textContent = e.message === 'cancelled' ? 'cancelled' : `error: ${e.message}`;
    }
    this.runButton.disabled = false;
    this.cancelButton.disabled = true;
  }

  showTable(rows, methods, metrics) {
    const head = document.createElement('tr');
    head.append(Object.assign(document.createElement('th'), { textContent: 'method' }));
    for (const m of metrics) {
      const info = this._metrics.find((x) => x.name === m);
      head.append(Object.assign(document.createElement('th'), { textContent: `${m} ${info?.higher_is_better ? '↑' : '↓'}` }));
    }
    const body = methods.map((method) => {
      const tr = document.createElement('tr');
      tr.append(Object.assign(document.createElement('td'), { textContent: method }));
      for (const m of metrics) {
        const row = rows.find((x) => x.method === method && x.metric === m);
        tr.append(Object.assign(document.createElement('td'), {
          textContent: row && row.mean !== null ? Number(row.mean).toPrecision(4) : '– (needs a box)' }));
      }
      return tr;
    });
    this.table.replaceChildren(head, ...body);
  }

  showCurves(records, methods) {
    this.curves.replaceChildren();
    const withCurves = [...new Set(records.filter((r) => r.curve).map((r) => r.metric))];
    for (const metric of withCurves) {
      const w = 260, h = 170, pad = 44;
      const svg = document.createElementNS(SVG, 'svg');
      svg.setAttribute('viewBox', `0 0 ${w} ${h}`);
      svg.setAttribute('width', w);
      svg.setAttribute('height', h);
      svg.dataset.metric = metric;
      const lines = records.filter((r) => r.metric === metric && r.curve);
      const xs = lines.flatMap((r) => r.curve.x_values), ys = lines.flatMap((r) => r.curve.y_values);
      const [x0, x1] = [Math.min(...xs), Math.max(...xs)], [y0, y1] = [Math.min(...ys), Math.max(...ys)];
      const sx = (v) => pad + (w - pad - 6) * (x1 > x0 ? (v - x0) / (x1 - x0) : 0);
      const sy = (v) => h - pad - (h - pad - 14) * (y1 > y0 ? (v - y0) / (y1 - y0) : 0.5);
      const axis = document.createElementNS(SVG, 'path');
      axis.setAttribute('d', `M${pad},10 V${h - pad} H${w - 4}`);
      axis.setAttribute('class', 'axis');
      svg.append(axis);
      const text = (x, y, s, anchor = 'start') => {
        const t = document.createElementNS(SVG, 'text');
        Object.entries({ x, y, 'text-anchor': anchor }).forEach(([k, v]) => t.setAttribute(k, v));
        t.textContent = s;
        svg.append(t);
      };
      text(w / 2, 10, metric, 'middle');
      text(w - 4, h - 8, lines[0].curve.x, 'end');
      text(pad - 3, sy(y1) + 4, Number(y1.toPrecision(2)).toString(), 'end');
      text(pad - 3, sy(y0), Number(y0.toPrecision(2)).toString(), 'end');
      lines.forEach((r) => {
        const colour = COLOURS[methods.indexOf(r.method) % COLOURS.length];
        const line = document.createElementNS(SVG, 'polyline');
        line.setAttribute('points', r.curve.x_values.map((x, i) => `${sx(x).toFixed(1)},${sy(r.curve.y_values[i]).toFixed(1)}`).join(' '));
        line.setAttribute('stroke', colour);
        line.setAttribute('fill', 'none');
        const title = document.createElementNS(SVG, 'title');
        title.textContent = `${r.method}: ${Number(r.value).toPrecision(4)}`;
        line.append(title);
        svg.append(line);
      });
      this.curves.append(svg);
    }
    if (withCurves.length) {
      const legend = Object.assign(document.createElement('ul'), { className: 'legend' });
      methods.forEach((m, i) => {
        const li = document.createElement('li');
        li.style.setProperty('--swatch', COLOURS[i % COLOURS.length]);
        li.textContent = m;
        legend.append(li);
      });
      this.curves.append(legend);
    }
  }
}

customElements.define('hl-evaluate', EvaluatePanel);
