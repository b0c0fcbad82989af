// Cross-checks `retouch heal` (gradient-domain blending, crate/src/ops/poisson) against a direct
// sparse solve of the same equation that SciPy assembles and solves (tests/poisson/reference.py,
// spsolve in float64), on a photograph, with the CPU and the GPU backends.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { root, cli, run, buildCli, backends as backendsFor, referencePython } from './cli.mjs';

const out = fileURLToPath(new URL('out/poisson/', import.meta.url));
const reference = fileURLToPath(new URL('poisson/reference.py', import.meta.url));

// [source offset, screening]
const CASES = [
  [[70, -40], 0],
  [[-95, 30], 0],
  [[40, 60], 0.2],
];

test('retouch heal agrees with a direct SciPy solve on a photograph, CPU and GPU', (t) => {
  buildCli();
  const python = referencePython();
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  run(python, [reference, 'prepare', `${root}docs/upscale-crop.png`, out]);
  const [input, mask] = [`${out}photo.png`, `${out}mask.png`];

  const backends = backendsFor(t);
  const cases = CASES.map(([offset, screening], i) => ({
    input,
    mask,
    offset,
    screening,
    tolerance: 1,
    outputs: backends.map((backend) => {
      const output = `${out}${i}-${backend}.png`;
      run(cli, ['heal', input, '--mask', mask, '--source-offset', offset.join(','),
        '--screening', String(screening), '-o', output, '--backend', backend]);
      return output;
    }),
  }));
  writeFileSync(`${out}cases.json`, JSON.stringify(cases));
  const result = spawnSync(python, [reference, `${out}cases.json`], { encoding: 'utf8' });
  for (const line of result.stdout.trim().split('\n')) t.diagnostic(line);
  assert.equal(result.status, 0, `${result.stdout}\n${result.stderr}`);
});
