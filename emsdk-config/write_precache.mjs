// Writes web/precache.json: every file the service worker caches for offline use (the app,
// docs, both engine builds, the bundled models and the demo inputs).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const web = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'web');
const skip = new Set(['serve.mjs', 'sw.js', 'precache.json']);
const files = ['./'];
function walk(dir) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    const rel = path.relative(web, full).split(path.sep).join('/');
    if (entry.isDirectory()) walk(full);
    // onnxruntime-web (14 MB, and 27 MB for WebGPU) is cached when first used, not on the first visit.
    else if (!skip.has(rel) && !rel.startsWith('vendor/ort/')) files.push(rel);
  }
}
walk(web);
fs.writeFileSync(path.join(web, 'precache.json'), JSON.stringify(files, null, 1));
console.log(`precache: ${files.length} files`);
