// The native CLI as a user meets it: commands on good input, and on bad input exit code 2
// with one line saying what is wrong (never a crash or a hang).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const cli = path.join(root, 'build/native/heatlens');
const golden = (name, file) => path.join(root, 'tests/golden/fixtures', name, file);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'heatlens-cli-'));

function heatlens(...args) {
  const r = spawnSync(cli, args, { encoding: 'utf8', timeout: 60000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

// A minimal RGB PNG writer, so the tests need no image files.
function writePng(file, width, height, pixel) {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (buf) => { let c = 0xffffffff; for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8); return (c ^ 0xffffffff) >>> 0; };
  const chunk = (type, data) => {
    const len = Buffer.alloc(4); len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type), data]);
    const c = Buffer.alloc(4); c.writeUInt32BE(crc(body));
    return Buffer.concat([len, body, c]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0); ihdr.writeUInt32BE(height, 4); ihdr[8] = 8; ihdr[9] = 2;
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) raw.set(pixel(x, y), y * (width * 3 + 1) + 1 + x * 3);
  }
  fs.writeFileSync(file, Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr),
    chunk('IDAT', zlib.deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]));
}

function assertUsageError(r, pattern) {
  assert.equal(r.code, 2, `exit code 2 expected, got ${r.code}: ${r.err}`);
  const lines = r.err.trim().split('\n');
  assert.equal(lines.length, 1, `one line expected: ${r.err}`);
  assert.match(lines[0], pattern);
}

test('info lists inputs, outputs, operators and parameters', () => {
  const r = heatlens('info', golden('resnet_mini', 'model.onnx'));
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /input\s+float32\s+\[batch, 3, 32, 32\]/);
  assert.match(r.out, /logits\s+\[batch, 10\] \(batch 1: \[1, 10\]\)/);
  assert.match(r.out, /Conv×\d+/);
  assert.match(r.out, /unsupported none/);
  const j = JSON.parse(heatlens('info', '--json', golden('resnet_mini', 'model.onnx')).out);
  assert.equal(j.supported, true);
  assert.ok(j.parameters > 10000, `parameters: ${j.parameters}`);
  assert.ok(j.operators.BatchNormalization > 0);
});

test('info names every unsupported node and still exits 0', () => {
  const model = '/usr/share/libonnx-testdata/data/node/test_top_k/model.onnx';
  const r = heatlens('info', model);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /unsupported 1/);
  assert.match(r.out, /\(TopK, opset \d+\): operator is not supported/);
});

test('run prints the top-K classes of an .npy batch and saves the output', () => {
  const out = path.join(tmp, 'y.npy');
  const r = heatlens('run', golden('vgg_mini', 'model.onnx'), '--input', golden('vgg_mini', 'input.npy'), '--top', '3', '--out', out);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /example 0/);
  assert.match(r.out, /example 1/);
  assert.equal(r.out.split('\n').filter((l) => /logit/.test(l)).length, 6);
  assert.ok(fs.statSync(out).size > 80);
  const j = JSON.parse(heatlens('run', golden('vgg_mini', 'model.onnx'), '--input', golden('vgg_mini', 'input.npy'), '--top', '2', '--json').out);
  assert.equal(j.length, 2);
  assert.ok(j[0][0].probability >= j[0][1].probability);
});

test('run preprocesses an image with flags', () => {
  const png = path.join(tmp, 'img.png');
  writePng(png, 40, 30, (x, y) => [x * 6, y * 8, 128]);
  const r = heatlens('run', golden('resnet_mini', 'model.onnx'), '--input', png, '--mean', '0.5,0.5,0.5', '--std', '0.25', '--json');
  assert.equal(r.code, 0, r.err);
  const j = JSON.parse(r.out);
  assert.equal(j.length, 5);
  const sum = j.reduce((s, c) => s + c.probability, 0);
  assert.ok(sum > 0 && sum <= 1.0001);
});

test('bad input exits with code 2 and one line naming the problem', () => {
  const model = golden('resnet_mini', 'model.onnx');
  assertUsageError(heatlens('run', model, '--input', path.join(tmp, 'missing.npy')), /cannot open .*missing\.npy/);
  assertUsageError(heatlens('info', path.join(tmp, 'missing.onnx')), /cannot open/);
  const junk = path.join(tmp, 'junk.onnx');
  fs.writeFileSync(junk, 'this is not a model at all, just some text that goes on');
  assertUsageError(heatlens('info', junk), /malformed ONNX file|not an ONNX model/);
  const truncated = path.join(tmp, 'truncated.onnx');
  fs.writeFileSync(truncated, fs.readFileSync(model).subarray(0, 5000));
  assertUsageError(heatlens('run', truncated, '--input', golden('resnet_mini', 'input.npy')), /malformed ONNX file|truncated/);
  // Wrong shape: the VGG input (32 px) into AlexNet (48 px).
  assertUsageError(heatlens('run', golden('alexnet_mini', 'model.onnx'), '--input', golden('vgg_mini', 'input.npy')),
    /input 'input' expects shape \[batch, 3, 48, 48\], got \[2, 3, 32, 32\]/);
  // Non-finite values.
  const nan = path.join(tmp, 'nan.npy');
  const good = fs.readFileSync(golden('vgg_mini', 'input.npy'));
  const bad = Buffer.from(good);
  bad.writeFloatLE(NaN, bad.length - 4);
  fs.writeFileSync(nan, bad);
  assertUsageError(heatlens('run', golden('vgg_mini', 'model.onnx'), '--input', nan), /non-finite value/);
  const broken = path.join(tmp, 'broken.png');
  fs.writeFileSync(broken, Buffer.from([137, 80, 78, 71, 13, 10, 26, 10, 1, 2, 3]));
  assertUsageError(heatlens('run', model, '--input', broken), /not an image heatlens can read|could not be decoded/);
  assertUsageError(heatlens('run', model, '--input', golden('vgg_mini', 'input.npy'), '--frobnicate'), /unknown option '--frobnicate'/);
  assertUsageError(heatlens('launch'), /unknown command 'launch'/);
});

test('onnx-test passes a conformance test and fails a wrong one with exit code 1', () => {
  const ok = heatlens('onnx-test', '/usr/share/libonnx-testdata/data/node/test_relu');
  assert.equal(ok.code, 0);
  assert.match(ok.out, /^PASS test_relu \(max error/);
  const unsupported = heatlens('onnx-test', '/usr/share/libonnx-testdata/data/node/test_top_k');
  assert.equal(unsupported.code, 1);
  assert.match(unsupported.out, /^FAIL test_top_k: .*TopK.*not supported/);
  // A test whose expected output was altered must fail.
  const dir = path.join(tmp, 'test_relu_altered');
  fs.cpSync('/usr/share/libonnx-testdata/data/node/test_relu', dir, { recursive: true });
  const pb = path.join(dir, 'test_data_set_0', 'output_0.pb');
  const bytes = fs.readFileSync(pb);
  bytes.writeFloatLE(bytes.readFloatLE(bytes.length - 4) + 1, bytes.length - 4);
  fs.writeFileSync(pb, bytes);
  const bad = heatlens('onnx-test', dir);
  assert.equal(bad.code, 1);
  assert.match(bad.out, /^FAIL test_relu_altered: .*expected/);
});

test('every registered method explains an input and renders a heatmap PNG', () => {
  const model = path.join(root, 'tests/golden/explainers/residual_cnn/model.onnx');
  const input = path.join(root, 'tests/golden/explainers/residual_cnn/input.npy');
  const methods = JSON.parse(heatlens('methods', '--json').out);
  assert.ok(methods.length >= 15, `${methods.length} methods`);
  for (const m of methods) {
    assert.ok(m.citation.length > 10, `${m.name} cites its source`);
    const png = path.join(tmp, `${m.name}.png`);
    const meta = path.join(tmp, `${m.name}.json`);
    const npy = path.join(tmp, `${m.name}.npy`);
    const extra = m.name === 'smoothgrad' || m.name === 'vargrad' || m.name === 'smoothgrad-square' ? ['--param', 'samples=4'] : [];
    const r = heatlens('explain', model, '--input', input, '--method', m.name, '--png', png, '--json', meta, '--out', npy, ...extra);
    assert.equal(r.code, 0, `${m.name}: ${r.err}`);
    const bytes = fs.readFileSync(png);
    assert.deepEqual([...bytes.subarray(0, 8)], [137, 80, 78, 71, 13, 10, 26, 10], `${m.name} wrote a PNG`);
    const j = JSON.parse(fs.readFileSync(meta, 'utf8'));
    assert.equal(j.method, m.name);
    assert.deepEqual(j.shape, [1, 3, 16, 16]);
    assert.ok(j.passes >= 1);
    assert.ok(fs.statSync(npy).size > 3 * 16 * 16 * 4);
  }
});

test('explain reports bad methods and parameters before running', () => {
  const model = path.join(root, 'tests/golden/explainers/residual_cnn/model.onnx');
  const input = path.join(root, 'tests/golden/explainers/residual_cnn/input.npy');
  assertUsageError(heatlens('explain', model, '--input', input, '--method', 'magic', '--out', path.join(tmp, 'x.npy')), /unknown method 'magic'/);
  assertUsageError(heatlens('explain', model, '--input', input, '--method', 'lrp', '--param', 'rule=fancy', '--out', path.join(tmp, 'x.npy')), /parameter 'rule' must be one of/);
  assertUsageError(heatlens('explain', model, '--input', input, '--method', 'lrp', '--png', path.join(tmp, 'x.png'), '--colormap', 'rainbow'), /unknown colormap 'rainbow'/);
  assertUsageError(heatlens('explain', model, '--input', golden('resnet_mini', 'input.npy'), '--method', 'gradient', '--out', path.join(tmp, 'x.npy')), /expects shape \[batch, 3, 16, 16\]/);
  // A batch is explained example by example, one PNG each.
  const batchPng = path.join(tmp, 'batch.png');
  const r = heatlens('explain', golden('vgg_mini', 'model.onnx'), '--input', golden('vgg_mini', 'input.npy'), '--method', 'gradient', '--png', batchPng, '--out', path.join(tmp, 'batch.npy'));
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /example 1: gradient/);
  assert.ok(fs.existsSync(path.join(tmp, 'batch_0.png')) && fs.existsSync(path.join(tmp, 'batch_1.png')));
  const lrp = path.join(tmp, 'lrp.json');
  assert.equal(heatlens('explain', model, '--input', input, '--method', 'lrp', '--param', 'rule=0', '--json', lrp).code, 0);
  const j = JSON.parse(fs.readFileSync(lrp, 'utf8'));
  assert.ok(j.layer_sums.length >= 3);
  assert.ok('conservation_delta' in j);
});

test('perturbation methods explain a bundled model; rde and matching-pursuit share one mask over a batch', () => {
  const mnist = path.join(root, 'models/mnist-cnn/model.onnx');
  const digit = path.join(tmp, 'digit.png');
  // A white "1": a vertical bar on black.
  writePng(digit, 28, 28, (x, y) => (x >= 12 && x <= 15 && y >= 4 && y <= 23 ? [255, 255, 255] : [0, 0, 0]));
  const meta = path.join(tmp, 'lime.json');
  let r = heatlens('explain', mnist, '--input', digit, '--method', 'lime', '--param', 'regression=k-lasso', '--param', 'k=5',
    '--param', 'refine=distribution', '--json', meta);
  assert.equal(r.code, 0, r.err);
  const j = JSON.parse(fs.readFileSync(meta, 'utf8'));
  assert.equal(j.notes['selected-groups'].split(',').length, 5);
  assert.match(j.notes.refined, /distribution/);
  assert.equal(j.signed, false);
  // One rde mask for the two inputs of a batch.
  const out = path.join(tmp, 'shared.npy');
  r = heatlens('explain', golden('vgg_mini', 'model.onnx'), '--input', golden('vgg_mini', 'input.npy'), '--method', 'rde',
    '--param', 'steps=10', '--shared-mask', '--out', out);
  assert.equal(r.code, 0, r.err);
  assert.doesNotMatch(r.out, /example 1/);
  const header = fs.readFileSync(out).subarray(0, 128).toString('latin1');
  assert.match(header, /'shape': \(1, 3, 32, 32\)/);
  assertUsageError(heatlens('explain', golden('vgg_mini', 'model.onnx'), '--input', golden('vgg_mini', 'input.npy'), '--method', 'occlusion',
    '--shared-mask', '--out', out), /no shared mask/);
  assertUsageError(heatlens('explain', mnist, '--input', digit, '--method', 'lime', '--param', 'grouping=file', '--out', out), /segment-file/);
});

test('eval scores methods with metrics over a folder of inputs and writes the table and curves', () => {
  const mnist = path.join(root, 'models/mnist-cnn/model.onnx');
  const dir = fs.mkdtempSync(path.join(tmp, 'eval-'));
  writePng(path.join(dir, 'one.png'), 28, 28, (x, y) => (x >= 12 && x <= 15 && y >= 4 && y <= 23 ? [255, 255, 255] : [0, 0, 0]));
  writePng(path.join(dir, 'seven.png'), 28, 28, (x, y) => ((y >= 5 && y <= 7 && x >= 6 && x <= 21) || (x >= 17 - (y - 5) / 2 && x <= 20 - (y - 5) / 2 && y >= 5 && y <= 23) ? [255, 255, 255] : [0, 0, 0]));
  const boxes = path.join(dir, 'boxes.json');
  fs.writeFileSync(boxes, JSON.stringify({ 'one.png': [10, 3, 18, 25] }));
  const csv = path.join(tmp, 'eval.csv');
  const curves = path.join(tmp, 'curves.json');
  const r = heatlens('eval', mnist, '--inputs', dir, '--methods', 'gradient,occlusion:window=4', '--metrics', 'deletion:steps=8,pointing-game,sparseness',
    '--boxes', boxes, '--out', csv, '--curves', curves);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /2 input\(s\)/);
  assert.match(r.out, /\| method \| deletion:steps=8 ↓ \| pointing-game ↑ \| sparseness ↑ \|/);
  const rows = fs.readFileSync(csv, 'utf8').trim().split('\n');
  assert.equal(rows.length, 1 + 2 * 3);
  assert.match(rows.find((l) => l.startsWith('"gradient","pointing-game"')), /,1$/, 'one input has a box');
  const c = JSON.parse(fs.readFileSync(curves, 'utf8'));
  assert.deepEqual(c.inputs, ['one.png', 'seven.png']);
  const del = c.records.find((x) => x.metric === 'deletion:steps=8');
  assert.equal(del.curve.y_values.length, 9);
  assert.ok(del.curve.y_values[0] >= del.curve.y_values[8]);
  assertUsageError(heatlens('eval', mnist, '--inputs', dir, '--methods', 'gradient', '--metrics', 'magic'), /unknown metric 'magic'/);
  assertUsageError(heatlens('eval', mnist, '--inputs', path.join(tmp, 'none'), '--methods', 'gradient', '--metrics', 'sparseness'), /none/);
  const metrics = JSON.parse(heatlens('metrics', '--json').out);
  assert.ok(metrics.length >= 18);
  for (const m of metrics) assert.ok(m.citation.length > 10, `${m.name} cites its source`);
});

// A mono 16-bit PCM WAV.
function writeWav(file, rate, samples) {
  const data = Buffer.alloc(samples.length * 2);
  samples.forEach((v, i) => data.writeInt16LE(Math.round(Math.max(-1, Math.min(1, v)) * 32767), i * 2));
  const head = Buffer.alloc(44);
  head.write('RIFF', 0); head.writeUInt32LE(36 + data.length, 4); head.write('WAVE', 8);
  head.write('fmt ', 12); head.writeUInt32LE(16, 16); head.writeUInt16LE(1, 20); head.writeUInt16LE(1, 22);
  head.writeUInt32LE(rate, 24); head.writeUInt32LE(rate * 2, 28); head.writeUInt16LE(2, 32); head.writeUInt16LE(16, 34);
  head.write('data', 36); head.writeUInt32LE(data.length, 40);
  fs.writeFileSync(file, Buffer.concat([head, data]));
}

test('a WAV goes through an audio model\'s front end, and explain writes the explanation and residual as sound', () => {
  const model = path.join(root, 'tests/golden/audio/tiny_model/model.onnx');
  const wav = path.join(tmp, 'tone.wav');
  // 0.4 s at 22.05 kHz: resampled to 16 kHz and padded to the card's 0.5 s.
  writeWav(wav, 22050, Array.from({ length: 8820 }, (_, i) => 0.4 * Math.sin(2 * Math.PI * 880 * i / 22050)));
  let r = heatlens('run', model, '--input', wav, '--top', '1');
  assert.equal(r.code, 0, r.err);
  const expl = path.join(tmp, 'explanation.wav');
  const rest = path.join(tmp, 'residual.wav');
  r = heatlens('explain', model, '--input', wav, '--method', 'gradient-x-input', '--audio-out', expl, '--residual-out', rest);
  assert.equal(r.code, 0, r.err);
  for (const f of [expl, rest]) {
    const b = fs.readFileSync(f);
    assert.equal(b.toString('latin1', 0, 4), 'RIFF');
    assert.equal(b.readUInt32LE(24), 16000);
    assert.equal(b.length, 44 + 8000 * 4, 'float32 samples of the 0.5 s clip');
  }
  assertUsageError(heatlens('run', path.join(root, 'models/mnist-cnn/model.onnx'), '--input', wav), /no audio_frontend/);
  const broken = path.join(tmp, 'broken.wav');
  fs.writeFileSync(broken, Buffer.from('RIFF....WAVEjunk'));
  assertUsageError(heatlens('run', model, '--input', broken), /no fmt chunk/);
  assertUsageError(heatlens('explain', path.join(root, 'models/mnist-cnn/model.onnx'), '--input', path.join(root, 'web/demo/mnist-cnn/digit-1.png'),
    '--method', 'gradient', '--audio-out', expl), /need a \.wav input/);
  assertUsageError(heatlens('run', model, '--input', wav, '--window-hop', '-1'), /--window-hop takes one positive number/);
  // The magnitude/phase query: only magnitude-phase, only on spectra, and not with --methods.
  assertUsageError(heatlens('eval', model, '--inputs', wav, '--query', 'loudness'), /unknown --query 'loudness'/);
  assertUsageError(heatlens('eval', model, '--inputs', wav, '--query', 'magnitude-phase', '--methods', 'rde'), /--methods does not apply/);
  assertUsageError(heatlens('eval', model, '--inputs', wav, '--query', 'magnitude-phase', '--param', 'stepz=3'), /stepz/);
  r = heatlens('eval', model, '--inputs', wav, '--query', 'magnitude-phase');
  assert.notEqual(r.code, 0);
  assert.match(r.err, /spectra \[1, 2, bins\]/);
});

test('bench runs in transparent huge pages where the kernel offers them, unless opted out', (t) => {
  const modeFile = '/sys/kernel/mm/transparent_hugepage/enabled';
  const mode = process.platform === 'linux' && fs.existsSync(modeFile) ? fs.readFileSync(modeFile, 'utf8') : '';
  if (!mode || mode.includes('[never]')) {
    t.skip('no transparent huge pages on this system');
    return;
  }
  const bench = (env) => {
    const r = spawnSync(cli, ['bench', path.join(root, 'models/cifar10-resnet/model.onnx'), '--batch', '8',
      '--iters', '3', '--json'], { encoding: 'utf8', timeout: 60000, env: { ...process.env, ...env } });
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout);
  };
  // The CLI asks glibc for huge pages (it runs itself again with glibc.malloc.hugetlb=1).
  assert.ok(bench({}).huge_pages_mib > 0, 'the heap is in huge pages');
  // Opting out keeps small pages where the kernel gives huge ones only on request.
  if (mode.includes('[madvise]'))
    assert.equal(bench({ GLIBC_TUNABLES: 'glibc.malloc.hugetlb=0' }).huge_pages_mib, 0);
});
