// Generated documentation stays in step with the code: web/docs/operators.md, methods.md and
// metrics.md must equal `heatlens ops|methods|metrics --markdown` (regenerate with
// `bash emsdk-config/build.sh docs`).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const checks = [
  { file: 'web/docs/operators.md', args: ['ops', '--markdown'] },
  { file: 'web/docs/methods.md', args: ['methods', '--markdown'] },
  { file: 'web/docs/metrics.md', args: ['metrics', '--markdown'] },
];
let passed = 0;
let failed = 0;
for (const c of checks) {
  const r = spawnSync(path.join(root, 'build/native/heatlens'), c.args, { encoding: 'utf8' });
  const committed = fs.existsSync(path.join(root, c.file)) ? fs.readFileSync(path.join(root, c.file), 'utf8') : '';
  if (r.status === 0 && r.stdout === committed) passed++;
  else {
    failed++;
    console.log(`FAIL ${c.file} is out of date: run 'bash emsdk-config/build.sh docs'`);
  }
}
console.log(`heatlens-count: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
