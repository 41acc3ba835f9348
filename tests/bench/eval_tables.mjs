// The papers' evaluation tables on the bundled models, written to web/docs/results.md:
//   fashion-cnn: fidelity-to-input and faithfulness of "Posthoc Interpretation via
//     Quantization" (Table 1's metrics) for the methods heatlens has;
//   cifar10-resnet: M_F of "Distribution-Guided Local Explanation" (its Table 1's methods),
//     with and without the distribution-guided refinement;
//   instruments-spectrum: the "magnitude or phase?" table of "In-Distribution Interpretability
//     for Challenging Modalities" (Table 1) and a summary of its per-frequency maps (Figure 2).
// Run with `npm run eval-tables` (not part of `npm test`: it takes tens of minutes); `--only
// fashion|cifar|phase|none` refreshes one table (or none) and rebuilds the page from the cached
// ones. Inputs come from Debian's dataset-fashion-mnist, ../shared/datasets/cifar10-jpg.tar and
// notes rendered with fluidsynth; none is committed.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const cli = path.join(root, 'build/native/heatlens');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'heatlens-eval-'));
const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const fashionCount = Number(arg('--fashion', 200));
const cifarPerClass = Number(arg('--cifar-per-class', 10));
const only = arg('--only', 'all');

function writeNpy(file, shape, values) {
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  header += ' '.repeat(64 - ((10 + header.length + 1) % 64)) + '\n';
  const head = Buffer.alloc(10);
  Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]).copy(head);
  head.writeUInt16LE(header.length, 8);
  fs.writeFileSync(file, Buffer.concat([head, Buffer.from(header, 'latin1'), Buffer.from(new Float32Array(values).buffer)]));
}

function run(args) {
  const started = Date.now();
  const r = spawnSync(cli, args, { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`heatlens ${args.join(' ')}\n${r.stderr}`);
  return { out: r.stdout, minutes: (Date.now() - started) / 60000 };
}

// Each table is kept in build/cache/results-<name>.md, so `--only cifar` refreshes one table
// and the page is rebuilt from all of them.
const cache = path.join(root, 'build', 'cache');
fs.mkdirSync(cache, { recursive: true });
const sections = {
  push(name, text) { fs.writeFileSync(path.join(cache, `results-${name}.md`), text); },
};

if (only === 'all' || only === 'fashion') {
  const folder = '/usr/share/datasets/fashion-mnist';
  const images = zlib.gunzipSync(fs.readFileSync(path.join(folder, 't10k-images-idx3-ubyte.gz'))).subarray(16);
  const values = new Float32Array(fashionCount * 784);
  for (let i = 0; i < values.length; i++) values[i] = (images[i] / 255 - 0.5) / 0.5;
  const batch = path.join(tmp, 'fashion.npy');
  writeNpy(batch, [fashionCount, 1, 28, 28], values);
  const methods = ['gradient', 'gradient-x-input', 'smoothgrad', 'integrated-gradients', 'guided-backprop', 'grad-cam',
    'lrp:composite=epsilon-plus', 'occlusion', 'rise', 'lime', 'kernel-shap'];
  const metrics = ['fidelity-to-input', 'faithfulness-l2i'];
  const args = ['eval', 'models/fashion-cnn/model.onnx', '--inputs', batch, '--methods', methods.join(','), '--metrics', metrics.join(',')];
  const r = run(args);
  sections.push('fashion', `## fashion-cnn: fidelity-to-input and faithfulness ("Posthoc Interpretation via Quantization", Table 1's metrics)

The first ${fashionCount} images of FashionMNIST's official test split, each explained for its predicted class.
fidelity-to-input (eq. 3): the share of inputs on which the classifier decides the same on the interpretation
x ⊙ r (r: positive relevance scaled to [0, 1], in the input's [0, 1] range) as on x. faithfulness-l2i (eq. 4):
f_c(x) − f_c(x − x_int), f_c the class probability. Mean ± std over inputs. ${r.minutes.toFixed(1)} minutes on this machine.

\`\`\`sh
heatlens ${args.join(' ').replace(batch, 'fashion-test-first-' + fashionCount + '.npy')}
\`\`\`

${r.out.split('\n').slice(2).join('\n')}`);
}

if (only === 'all' || only === 'cifar') {
  const tar = path.join(root, '..', 'shared', 'datasets', 'cifar10-jpg.tar');
  const names = [];
  for (let i = 0; i < cifarPerClass; i++) names.push(String(i).padStart(4, '0'));
  const dir = path.join(tmp, 'cifar');
  fs.mkdirSync(dir);
  const ex = spawnSync('tar', ['-xf', tar, '-C', dir, '--wildcards', ...names.map((n) => `cifar10/test/*/${n}.jpg`)], { encoding: 'utf8' });
  if (ex.status !== 0) throw new Error(`cannot extract CIFAR-10 test images: ${ex.stderr}`);
  // One folder: class_index.jpg, so the table's inputs have readable names.
  const flat = path.join(tmp, 'cifar-flat');
  fs.mkdirSync(flat);
  for (const cls of fs.readdirSync(path.join(dir, 'cifar10/test'))) {
    for (const f of fs.readdirSync(path.join(dir, 'cifar10/test', cls))) fs.renameSync(path.join(dir, 'cifar10/test', cls, f), path.join(flat, `${cls}_${f}`));
  }
  const base = ['gradient', 'smoothgrad', 'integrated-gradients', 'grad-cam', 'grad-cam-plus-plus', 'meaningful-perturbation'];
  const methods = base.flatMap((m) => [m, `${m}:refine=distribution`]);
  const metrics = ['faithfulness-mf', 'deletion', 'insertion'];
  const args = ['eval', 'models/cifar10-resnet/model.onnx', '--inputs', flat, '--methods', methods.join(','), '--metrics', metrics.join(',')];
  const r = run(args);
  sections.push('cifar', `## cifar10-resnet: M_F with and without the distribution-guided refinement ("Distribution-Guided Local Explanation", Table 1's methods)

The first ${cifarPerClass} test images of each CIFAR-10 class (${cifarPerClass * 10} images, official test split), each explained
for its predicted class. faithfulness-mf (eq. 8): area under the class probability as the top 0, 1/32, …, 1 of the
pixels are kept and the rest blurred (σ = 10 px), normalised by q_O − q_F. \`:refine=distribution\` adds the
distribution controller (η = 1.5, h = 2.5) and insertion-curve fine-tuning. Deletion and insertion (blur) for
reference. Mean ± std over inputs. ${r.minutes.toFixed(1)} minutes on this machine.

\`\`\`sh
heatlens ${args.join(' ').replace(flat, 'cifar10-test-first-' + cifarPerClass + '-per-class/')}
\`\`\`

${r.out.split('\n').slice(2).join('\n')}`);
}

if (only === 'all' || only === 'phase') {
  // Six notes per family from MuseScore_General (never heard in training): the first two
  // programs of each family at three pitches, as in tests/models/models.test.mjs.
  const families = { bass: [[32, 33], [28, 60]], brass: [[56, 57], [40, 82]], flute: [[72, 73], [60, 96]], guitar: [[24, 25], [40, 84]],
    keyboard: [[0, 1], [28, 96]], mallet: [[8, 11], [53, 96]], organ: [[16, 19], [36, 84]], reed: [[64, 65], [40, 84]],
    string: [[40, 41], [36, 88]], vocal: [[52, 53], [48, 79]] };
  const specs = [];
  for (const [programs, [lo, hi]] of Object.values(families)) {
    for (const p of programs) for (const pitch of [lo + 4, Math.floor((lo + hi) / 2), hi - 4]) specs.push(`${p}:${pitch}:100`);
  }
  const notes = path.join(tmp, 'notes');
  const rendered = spawnSync('/usr/bin/python3', [path.join(root, 'models/train/render_notes.py'), '--notes', 'musescore', notes, ...specs], { encoding: 'utf8' });
  if (rendered.status !== 0) throw new Error(rendered.stderr);
  const json = path.join(tmp, 'mp.json');
  const args = ['eval', 'models/instruments-spectrum/model.onnx', '--inputs', notes, '--query', 'magnitude-phase', '--out', json];
  const r = run(args);
  const j = JSON.parse(fs.readFileSync(json, 'utf8'));
  // Figure 2 in numbers: the mean of each per-frequency map, and where the magnitude map peaks.
  const rows = j.classes.map((c) => {
    const mean = (v) => v.reduce((a, b) => a + b, 0) / v.length;
    const peak = c.magnitude_map.indexOf(Math.max(...c.magnitude_map));
    return `| ${c.label} | ${mean(c.magnitude_map).toFixed(3)} | ${mean(c.phase_map).toFixed(3)} | ${j.frequencies[peak].toFixed(0)} Hz |`;
  });
  sections.push('phase', `## instruments-spectrum: magnitude or phase? ("In-Distribution Interpretability for Challenging Modalities", Table 1 and Figure 2)

${specs.length} notes rendered from MuseScore_General, a soundfont the model never heard (six per family: the first two
General MIDI programs of the family at a low, middle and high pitch), grouped by the model's prediction. An RDE mask
with two components — the whole magnitude channel and the whole phase channel — is optimised per note and once for all
notes of a class (a shared mask); 1 means the channel is needed, 0 that it can be replaced by Gaussian noise of the
input's statistics. The rate is relative to the distortion of replacing everything (λ = 0.5: a channel stays when
replacing it costs more than a quarter of that). ${r.minutes.toFixed(1)} minutes on this machine.

\`\`\`sh
heatlens ${args.join(' ').replace(notes, 'notes/').replace(json, 'mp.json')}
\`\`\`

${r.out.split('\n').slice(2).join('\n')}
The per-frequency RDE maps (one mask value per frequency and channel, averaged over the class's notes; in \`mp.json\`):

| class | mean magnitude mask | mean phase mask | magnitude mask peaks at |
|---|---:|---:|---:|
${rows.join('\n')}
`);
}

const page = `# Results tables

Produced by \`npm run eval-tables\` (\`tests/bench/eval_tables.mjs\`) with ${run(['version']).out.trim()},
on 2 CPU cores. ↑: higher is better, ↓: lower is better. The metrics are documented on the
[metrics page](?page=metrics), the methods on the [methods page](?page=methods).

${['fashion', 'cifar', 'phase'].map((n) => path.join(cache, `results-${n}.md`)).filter((f) => fs.existsSync(f))
    .map((f) => fs.readFileSync(f, 'utf8')).join('\n')}`;
fs.writeFileSync(path.join(root, 'web/docs/results.md'), page);
console.log(page);
fs.rmSync(tmp, { recursive: true, force: true });
