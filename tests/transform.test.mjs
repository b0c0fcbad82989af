// Cross-checks the geometry of `retouch transform` (turns, skews, scales,
// sub-pixel moves) against Pillow's affine transform on a photograph, CPU and
// GPU (tests/transform/reference.py; the bicubic kernel itself is checked
// exactly against image-rs in crate/src/ops/transform/tests.rs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { root, cli, run, buildCli, backends as backendsFor, referencePython } from './cli.mjs';

const out = fileURLToPath(new URL('out/transform/', import.meta.url));
const photo = `${root}crate/tests/photos/coffee.png`;

// [name, matrix a,b,c,d,e,f (input → output pixels), mean tolerance in levels: the kernels
// differ by about 1.5 on average; half a pixel off gives 7 or more]
const CASES = [
  ['turned 30°', [Math.cos(Math.PI / 6), Math.sin(Math.PI / 6), -Math.sin(Math.PI / 6), Math.cos(Math.PI / 6), 80, -40], 2.5],
  ['skewed, turned and enlarged', [1.25, -0.2, 0.45, 1.1, -20, 30], 2.5],
  ['moved by a quarter and three quarters', [1, 0, 0, 1, 0.25, 0.75], 2.5],
  ['reduced to 0.6 and turned', [0.6 * Math.cos(0.3), 0.6 * Math.sin(0.3), -0.6 * Math.sin(0.3), 0.6 * Math.cos(0.3), 30, 10], 2.5],
];

test('retouch transform agrees with Pillow on the geometry of a photograph, CPU and GPU', (t) => {
  buildCli();
  const python = referencePython();
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const backends = backendsFor(t);
  const cases = [];
  for (const [name, matrix, tolerance] of CASES) {
    for (const backend of backends) {
      const output = `${out}${cases.length}.png`;
      run(cli, ['transform', photo, '-o', output, '--matrix', matrix.join(','), '--backend', backend]);
      cases.push({ name: `${name} (${backend})`, input: photo, output, matrix, tolerance });
    }
  }
  writeFileSync(`${out}cases.json`, JSON.stringify(cases));
  const result = spawnSync(python, [fileURLToPath(new URL('transform/reference.py', import.meta.url)), `${out}cases.json`], { encoding: 'utf8' });
  for (const line of result.stdout.trim().split('\n')) t.diagnostic(line);
  assert.equal(result.status, 0, `${result.stdout}\n${result.stderr}`);
});

test('retouch transform refuses bad requests with the reason and writes nothing', () => {
  mkdirSync(out, { recursive: true });
  const output = `${out}refused.png`;
  for (const [args, words] of [
    [['--matrix', '1,0,0,0,0,0'], 'flat'],
    [['--matrix', '1,2,3'], 'expected 6'],
    [['--scale', '100'], 'enlarges'],
    [['--canvas', 'huge'], 'same, fit'],
    [['--resampler', 'lanczos'], 'bicubic, edge'],
  ]) {
    const result = spawnSync(cli, ['transform', photo, '-o', output, ...args], { encoding: 'utf8' });
    assert.notEqual(result.status, 0, args.join(' '));
    assert.match(result.stderr, new RegExp(words), `${args.join(' ')}: ${result.stderr}`);
    assert.equal(spawnSync('test', ['-e', output]).status, 1, 'no output file is left');
  }
});

test('retouch transform --mask moves only the masked pixels: an exact copy, a transparent hole, the rest untouched', () => {
  buildCli();
  const python = referencePython();
  mkdirSync(out, { recursive: true });
  const [mask, output] = [`${out}mask.png`, `${out}masked.png`];
  const script = (body) => {
    const result = spawnSync(python, ['-c', `import sys, numpy as np\nfrom PIL import Image\n${body}`, photo, mask, output], { encoding: 'utf8' });
    assert.equal(result.status, 0, `${result.stdout}\n${result.stderr}`);
    return result.stdout.trim();
  };
  // A 60×50 box at (40, 30), moved by (70, 40).
  script(`w, h = Image.open(sys.argv[1]).size
m = np.zeros((h, w), np.uint8); m[30:80, 40:100] = 255
Image.fromarray(m).save(sys.argv[2])`);
  run(cli, ['transform', photo, '-o', output, '--mask', mask, '--translate', '70,40', '--backend', 'cpu']);
  const report = script(`src = np.asarray(Image.open(sys.argv[1]).convert('RGBA')).astype(int)
out = np.asarray(Image.open(sys.argv[3]).convert('RGBA')).astype(int)
sel = np.zeros(src.shape[:2], bool); sel[30:80, 40:100] = True
moved = np.zeros_like(sel); moved[70:120, 110:170] = True
assert (out[moved] == src[30:80, 40:100].reshape(-1, 4)).all(), 'the float is an exact copy'
hole = sel & ~moved
assert (out[hole][:, 3] == 0).all(), 'the hole is transparent'
rest = ~sel & ~moved
assert (out[rest] == src[rest]).all(), 'everything else is untouched'
print(int(moved.sum()), int(hole.sum()), int(rest.sum()))`);
  assert.match(report, /^3000 \d+ \d+$/);
  // A mask that selects nothing is refused, naming the selection; nothing is written.
  script(`w, h = Image.open(sys.argv[1]).size
Image.fromarray(np.zeros((h, w), np.uint8)).save(sys.argv[2])`);
  const refused = `${out}masked-refused.png`;
  const result = spawnSync(cli, ['transform', photo, '-o', refused, '--mask', mask, '--translate', '5,5'], { encoding: 'utf8' });
  assert.notEqual(result.status, 0);
  assert.match(result.stderr, /selection.*nothing is selected/);
  assert.equal(spawnSync('test', ['-e', refused]).status, 1, 'no output file is left');
});
