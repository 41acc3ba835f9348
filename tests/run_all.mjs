// Runs every test suite of heatlens and ends with one line: "N passed, N failed".
//
// Suites (each counted by its own runner's summary):
//   unit-native  Catch2 through ctest (build/native)
//   unit-asan    the same tests under AddressSanitizer + UBSan (build/asan)
//   unit-wasm    the same tests compiled to wasm, run by node (build/wasm)
//   conformance  ONNX node tests in tests/conformance/allowlist.txt through `heatlens onnx-test`
//   docs         generated documentation (web/docs/operators.md) matches the registry
//   cli          the native CLI on good and bad input (tests/cli/*.test.mjs)
//   models       the bundled models load, classify package data correctly, have complete cards
//   browser      playwright-core + Debian's Chromium (tests/e2e/*.test.mjs)
//   format       clang-format over the tracked C++ sources
// Logs go to build/test-logs/<suite>.log; a failing suite prints its tail.
//   node tests/run_all.mjs [suite ...]
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const logDir = path.join(root, 'build', 'test-logs');
fs.mkdirSync(logDir, { recursive: true });

function trackedFiles(patterns) {
  return new Promise((resolve, reject) => {
    const git = spawn('git', ['ls-files', '--', ...patterns], { cwd: root });
    let out = '';
    git.stdout.on('data', (d) => { out += d; });
    git.on('close', (code) => (code === 0 ? resolve(out.split('\n').filter(Boolean)) : reject(new Error('git ls-files failed'))));
  });
}

// Each parser returns {passed, failed} from a suite's output, or null if it found no summary.
const parsers = {
  ctest(out) {
    const m = out.match(/(\d+)% tests passed, (\d+) tests? failed out of (\d+)/);
    if (!m) return null;
    const total = Number(m[3]);
    return { passed: total - Number(m[2]), failed: Number(m[2]) };
  },
  catch2(out) {
    let m = out.match(/All tests passed \(\d+ assertions? in (\d+) test cases?\)/);
    if (m) return { passed: Number(m[1]), failed: 0 };
    m = out.match(/test cases:\s*(\d+)\s*\|\s*(\d+) passed\s*\|\s*(\d+) failed/);
    if (m) return { passed: Number(m[2]), failed: Number(m[3]) };
    return null;
  },
  nodeTest(out) {
    const pass = out.match(/^# pass (\d+)/m);
    const fail = out.match(/^# fail (\d+)/m);
    if (!pass || !fail) return null;
    return { passed: Number(pass[1]), failed: Number(fail[1]) };
  },
  counted(out) {
    const m = out.match(/^heatlens-count: (\d+) passed, (\d+) failed$/m);
    return m ? { passed: Number(m[1]), failed: Number(m[2]) } : null;
  },
};

const suites = {
  'unit-native': { cmd: 'ctest', args: ['--test-dir', 'build/native', '-j2', '--output-on-failure'], parse: 'ctest' },
  'unit-asan': { cmd: 'ctest', args: ['--test-dir', 'build/asan', '-j2', '--output-on-failure'], parse: 'ctest' },
  'unit-wasm': { cmd: 'node', args: ['build/wasm/heatlens_unit_tests.cjs', '--use-colour', 'no'], parse: 'catch2' },
  conformance: { cmd: 'node', args: ['tests/conformance/run.mjs'], parse: 'counted' },
  docs: { cmd: 'node', args: ['tests/docs_check.mjs'], parse: 'counted' },
  models: {
    cmd: 'node',
    args: async () => ['--test', '--test-reporter=tap', ...(await trackedFiles(['tests/models/*.test.mjs']))],
    parse: 'nodeTest',
  },
  cli: {
    cmd: 'node',
    args: async () => ['--test', '--test-reporter=tap', ...(await trackedFiles(['tests/cli/*.test.mjs']))],
    parse: 'nodeTest',
  },
  browser: {
    cmd: 'node',
    args: async () => ['--test', '--test-concurrency=1', '--test-reporter=tap',
      ...(await trackedFiles(['tests/e2e/*.test.mjs']))],
    parse: 'nodeTest',
  },
  format: {
    // One result per file, so a badly formatted file is named and counted.
    cmd: 'bash',
    args: ['-c', `
      pass=0; fail=0
      for f in $(git ls-files '*.cpp' '*.h'); do
        if clang-format --dry-run --Werror "$f" >/dev/null 2>&1; then pass=$((pass+1));
        else fail=$((fail+1)); echo "not formatted: $f (run: npm run format)"; fi
      done
      echo "heatlens-count: $pass passed, $fail failed"`],
    parse: 'counted',
  },
};

function run(name, suite) {
  return new Promise(async (resolve) => {
    const args = typeof suite.args === 'function' ? await suite.args() : suite.args;
    const started = Date.now();
    const child = spawn(suite.cmd, args, { cwd: root, env: { ...process.env, FORCE_COLOR: '0' } });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
    child.on('error', (e) => { out += `\ncould not start ${suite.cmd}: ${e.message}\n`; });
    child.on('close', (code) => {
      fs.writeFileSync(path.join(logDir, `${name}.log`), out);
      let counts = parsers[suite.parse](out);
      if (!counts) counts = { passed: 0, failed: 1, note: 'no test summary found' };
      // A runner that exits non-zero failed even if its summary looked clean.
      if (code !== 0 && counts.failed === 0) counts = { ...counts, failed: 1, note: `exit code ${code}` };
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      resolve({ name, ...counts, seconds, out });
    });
  });
}

const wanted = process.argv.slice(2);
for (const w of wanted) {
  if (!suites[w]) {
    console.error(`run_all: unknown suite '${w}' (have: ${Object.keys(suites).join(', ')})`);
    process.exit(2);
  }
}
let passed = 0;
let failed = 0;
for (const [name, suite] of Object.entries(suites)) {
  if (wanted.length && !wanted.includes(name)) continue;
  const r = await run(name, suite);
  passed += r.passed;
  failed += r.failed;
  const note = r.note ? ` (${r.note})` : '';
  console.log(`suite ${name.padEnd(12)} ${String(r.passed).padStart(5)} passed, ${r.failed} failed  [${r.seconds} s]${note}`);
  if (r.failed) {
    console.log(r.out.split('\n').slice(-60).map((l) => `    ${l.slice(0, 400)}`).join('\n'));
  }
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
