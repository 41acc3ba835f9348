// Copies the bundled models (models/<name>/model.onnx + card.json) into web/models/ and writes
// web/models/index.json, so `npm start` serves them from the page's own origin.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const target = path.join(root, 'web', 'models');
const index = [];
for (const name of fs.readdirSync(path.join(root, 'models')).sort()) {
  const dir = path.join(root, 'models', name);
  if (!fs.existsSync(path.join(dir, 'model.onnx')) || !fs.existsSync(path.join(dir, 'card.json'))) continue;
  fs.mkdirSync(path.join(target, name), { recursive: true });
  for (const f of ['model.onnx', 'card.json', 'README.md']) {
    if (fs.existsSync(path.join(dir, f))) fs.copyFileSync(path.join(dir, f), path.join(target, name, f));
  }
  const card = JSON.parse(fs.readFileSync(path.join(dir, 'card.json'), 'utf8'));
  index.push({ name, kind: card.kind, summary: card.summary, accuracy: card.accuracy?.test,
    bytes: fs.statSync(path.join(dir, 'model.onnx')).size });
}
fs.writeFileSync(path.join(target, 'index.json'), JSON.stringify(index, null, 1));
console.log(`staged models: ${index.map((m) => m.name).join(', ')}`);
