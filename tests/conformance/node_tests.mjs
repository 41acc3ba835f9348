// Shared helpers for the ONNX node-test conformance suite: where Debian's libonnx-testdata
// keeps the tests, which operators each test uses, and how to run one through the CLI.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const testDataDir = process.env.HEATLENS_ONNX_TESTDATA || '/usr/share/libonnx-testdata/data/node';
export const cli = path.join(root, 'build/native/heatlens');
export const allowlistPath = path.join(root, 'tests/conformance/allowlist.txt');

// Tests heatlens adds for variants the package does not cover (make_extra_tests.py).
export const extraDir = path.join(root, 'tests/conformance/extra');

export function listTests() {
  const official = fs.readdirSync(testDataDir).filter((n) => n.startsWith('test_'));
  const extra = fs.readdirSync(extraDir).filter((n) => n.startsWith('test_'));
  return [...official, ...extra].sort();
}

export function testDir(name) {
  const own = path.join(extraDir, name);
  return fs.existsSync(own) ? own : path.join(testDataDir, name);
}

export function claimedOperators() {
  const r = spawnSync(cli, ['ops', '--json'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`heatlens ops failed: ${r.stderr}`);
  return new Set(JSON.parse(r.stdout).map((o) => o.op));
}

// Operator types in a test's model, or null when heatlens cannot even read its graph.
export function testOperators(name) {
  const r = spawnSync(cli, ['info', '--json', path.join(testDir(name), 'model.onnx')], { encoding: 'utf8' });
  if (r.status !== 0) return null;
  return Object.keys(JSON.parse(r.stdout).operators);
}

export function runTest(name) {
  const r = spawnSync(cli, ['onnx-test', testDir(name)], { encoding: 'utf8', timeout: 60000 });
  const line = (r.stdout || '').trim().split('\n')[0] || (r.stderr || '').trim();
  return { pass: r.status === 0 && line.startsWith('PASS'), line };
}

// allowlist.txt: one claimed test per line; "exclude NAME  REASON" for tests of claimed
// operators that heatlens does not run; '#' starts a comment.
export function readAllowlist() {
  const listed = [];
  const excluded = new Map();
  for (const raw of fs.readFileSync(allowlistPath, 'utf8').split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) continue;
    const m = line.match(/^exclude\s+(\S+)\s+(.+)$/);
    if (m) excluded.set(m[1], m[2]);
    else listed.push(line);
  }
  return { listed, excluded };
}
