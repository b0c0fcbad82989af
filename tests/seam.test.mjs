// Cross-checks `retouch seam` (the seam metric, crate/src/provider/seam.rs) against the same
// figures computed with scikit-image's CIELAB conversion and CIEDE2000 (tests/seam/reference.py),
// on the test photographs with a drifting, a pasted and a barely changed selection (hard and
// feathered masks); `--gate` fails exactly when the seam is visible, which it is for every
// pasted photograph and for no two-level change.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { root, cli, run, buildCli, referencePython } from './cli.mjs';

const out = fileURLToPath(new URL('out/seam/', import.meta.url));
const reference = fileURLToPath(new URL('seam/reference.py', import.meta.url));

test('retouch seam agrees with scikit-image on photographs, and its gate flags visible seams', (t) => {
  buildCli();
  const python = referencePython();
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  run(python, [reference, 'prepare', `${root}crate/tests/photos`, out]);
  const cases = JSON.parse(readFileSync(`${out}cases.json`, 'utf8')).map((c) => {
    const metrics = JSON.parse(run(cli, ['seam', c.original, c.result, '--mask', c.mask]));
    const gate = spawnSync(cli, ['seam', c.original, c.result, '--mask', c.mask, '--gate'], { encoding: 'utf8' });
    assert.equal(gate.status !== 0, metrics.visibleSeam, `${c.result}: gate ${gate.status} ${gate.stderr}`);
    if (metrics.visibleSeam) assert.match(gate.stderr, /visible seam/);
    // A pasted photograph shows; two levels do not (a drift left as it came shows where the
    // texture does not mask it).
    if (c.result.endsWith('-pasted.png')) assert.ok(metrics.visibleSeam, `${c.result}: ${JSON.stringify(metrics)}`);
    if (c.result.endsWith('-slight.png')) assert.ok(!metrics.visibleSeam, `${c.result}: ${JSON.stringify(metrics)}`);
    return { ...c, metrics };
  });
  writeFileSync(`${out}checked.json`, JSON.stringify(cases));
  const result = spawnSync(python, [reference, `${out}checked.json`], { encoding: 'utf8' });
  for (const line of result.stdout.trim().split('\n')) t.diagnostic(line);
  assert.equal(result.status, 0, `${result.stdout}\n${result.stderr}`);
});
