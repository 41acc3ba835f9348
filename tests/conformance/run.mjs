// The conformance suite: runs every test in allowlist.txt through `heatlens onnx-test`, checks
// that every node test using a claimed operator is listed or excluded, and that every claimed
// operator is exercised by at least one listed test. Ends with "heatlens-count: N passed, N failed".
import { claimedOperators, listTests, readAllowlist, runTest, testOperators } from './node_tests.mjs';

let passed = 0;
let failed = 0;
const fail = (msg) => { failed++; console.log(`FAIL ${msg}`); };

const { listed, excluded } = readAllowlist();
const claimed = claimedOperators();
const covered = new Set();
for (const name of listed) {
  const r = runTest(name);
  if (r.pass) passed++;
  else fail(`${name}: ${r.line}`);
  for (const op of testOperators(name) || []) covered.add(op);
}

// Coverage: each node test of a claimed operator is accounted for.
let unaccounted = 0;
for (const name of listTests()) {
  const ops = testOperators(name);
  if (!ops || !ops.some((op) => claimed.has(op))) continue;
  if (!listed.includes(name) && !excluded.has(name)) {
    unaccounted++;
    fail(`${name} uses ${ops.filter((op) => claimed.has(op)).join(', ')} but is neither listed nor excluded`);
  }
}
if (unaccounted === 0) passed++;

const untested = [...claimed].filter((op) => !covered.has(op));
if (untested.length) fail(`claimed operators without a listed node test: ${untested.join(', ')}`);
else passed++;

console.log(`${listed.length} listed tests, ${excluded.size} exclusions, ${claimed.size} operators`);
console.log(`heatlens-count: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
