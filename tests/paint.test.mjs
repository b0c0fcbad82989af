// Cross-checks `retouch paint` (brush, eraser, clone stamp) against
// references nobody here wrote — scikit-image's disk rasteriser for a hard
// dab's reach, NumPy's float straight-alpha compositing and a NumPy shifted
// copy for the clone — on the CPU and the GPU backends
// (tests/paint/reference.py, in the venv tests/adjust/setup_venv.sh makes).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { cli, run, buildCli, backends as backendsFor, referencePython } from './cli.mjs';

const out = fileURLToPath(new URL('out/paint/', import.meta.url));
const reference = fileURLToPath(new URL('paint/reference.py', import.meta.url));

// [check, picture, CLI arguments, what the reference needs]
const CASES = [
  ['brush', 'opaque', { tool: 'brush', points: '40.25,30.75', color: 'ff2000', diameter: 31, hardness: 100 }, { centre: [40.25, 30.75] }],
  ['brush', 'translucent', { tool: 'brush', points: '60,45', color: '1ec85a', diameter: 24, hardness: 100, opacity: 60 }, { centre: [60, 45] }],
  ['eraser', 'translucent', { tool: 'eraser', points: '70.5,40.5', diameter: 20, hardness: 100, opacity: 40 }, { centre: [70.5, 40.5] }],
  // The source runs off the right edge (x + 70 ≥ 120): nothing is copied there.
  ['clone', 'opaque', { tool: 'clone', points: '20,45 70,45', source: '90,30', diameter: 20, hardness: 100, spacing: 10 }, { points: [[20, 45], [70, 45]], source: [90, 30] }],
];

test('retouch paint agrees with scikit-image and NumPy, CPU and GPU', (t) => {
  buildCli();
  const python = referencePython();
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  for (const kind of ['opaque', 'translucent']) run(python, [reference, 'make', `${out}${kind}.png`, kind]);
  const backends = backendsFor(t);
  const cases = CASES.map(([check, picture, args, extra], i) => {
    const input = `${out}${picture}.png`;
    const outputs = backends.map((backend) => {
      const output = `${out}${i}-${check}-${backend}.png`;
      const flags = Object.entries(args).flatMap(([k, v]) => [`--${k}`, String(v)]);
      run(cli, ['paint', input, '-o', output, ...flags, '--backend', backend]);
      return output;
    });
    const params = { diameter: args.diameter, opacity: args.opacity ?? 100, spacing: args.spacing ?? 25, color: args.color, ...extra };
    return { check, input, outputs, params };
  });
  writeFileSync(`${out}cases.json`, JSON.stringify(cases));
  const result = spawnSync(python, [reference, `${out}cases.json`], { encoding: 'utf8' });
  for (const line of result.stdout.trim().split('\n')) t.diagnostic(line);
  assert.equal(result.status, 0, `${result.stdout}\n${result.stderr}`);
});

test('retouch paint refuses a bad parameter by name and writes nothing', () => {
  buildCli();
  const python = referencePython();
  mkdirSync(out, { recursive: true });
  run(python, [reference, 'make', `${out}opaque.png`, 'opaque']);
  for (const [flag, value, name] of [['--opacity', '150', 'opacity'], ['--diameter', '0', 'diameter'], ['--points', '1,x', 'points']]) {
    const output = `${out}refused.png`;
    rmSync(output, { force: true });
    const result = spawnSync(cli, ['paint', `${out}opaque.png`, '-o', output, '--tool', 'brush', '--points', '5,5', flag, value], { encoding: 'utf8' });
    assert.notEqual(result.status, 0, `${flag} ${value} was accepted`);
    assert.match(result.stderr, new RegExp(name), result.stderr);
    assert.equal(spawnSync('test', ['-e', output]).status, 1, 'no output file');
  }
  const clone = spawnSync(cli, ['paint', `${out}opaque.png`, '-o', `${out}refused.png`, '--tool', 'clone', '--points', '5,5'], { encoding: 'utf8' });
  assert.match(clone.stderr, /source/);
});
