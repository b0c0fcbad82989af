// Cross-checks the example plugins (plugins/, packed by `./build.sh plugins` into
// web/pkg/plugins/) run through `retouch plugin run` on a photograph against independent
// references (tests/plugins/reference.py: SciPy's gaussian_filter for the unsharp mask, the
// documented formulas in float64 NumPy for the others), with the levels plugin's WGSL shader on
// the GPU backend too; and that film grain is deterministic for a seed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { root, cli, run, backends as backendsFor, referencePython } from './cli.mjs';

const out = fileURLToPath(new URL('out/plugins/', import.meta.url));
const reference = fileURLToPath(new URL('plugins/reference.py', import.meta.url));
const bundle = (name) => `${root}web/pkg/plugins/${name}.retouchplugin`;

// The bundles as the page ships them, packed once for every test below (quick when built).
run('bash', [`${root}build.sh`, 'plugins']);

// [plugin, image, params, tolerance (levels), outliers (fraction allowed beyond it), GPU too]
const CASES = [
  // A ±1 blur rounding moves d by 1, so the output by up to amount/100 + 1 rounding.
  ['unsharp-mask', 'photo', { amount: 150, radius: 2, threshold: 0 }, 3, 0],
  // Where that ±1 moves d across the threshold the pixel is sharpened or not: a few values.
  ['unsharp-mask', 'tall', { amount: 80, radius: 4.5, threshold: 6 }, 2, 0.001],
  ['film-grain', 'photo', { amount: 60, size: 2.5, seed: 7, monochrome: false }, 1, 0],
  ['film-grain', 'tall', {}, 1, 0],
  ['levels', 'photo', { input_black: 20, input_white: 230, gamma: 1.6, output_black: 10, output_white: 245 }, 1, 0, true],
  ['levels', 'tall', { gamma: 0.6 }, 1, 0, true],
  ['vignette', 'photo', { amount: -60, midpoint: 40, feather: 70 }, 1, 0],
  ['vignette', 'tall', { amount: 50, midpoint: 70, feather: 30 }, 1, 0],
];

const paramArgs = (params) => Object.entries(params).flatMap(([id, v]) => ['--param', `${id}=${v}`]);

test('the example plugins agree with SciPy/NumPy references on a photograph, CPU and GPU', (t) => {
  const python = referencePython();
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  run(python, [reference, 'prepare', `${root}docs/upscale-crop.png`, out]);
  const backends = backendsFor(t);
  const cases = CASES.map(([plugin, image, params, tolerance, outliers, gpu], i) => ({
    plugin,
    input: `${out}${image}.png`,
    params,
    tolerance,
    outliers,
    outputs: (gpu ? backends : ['cpu']).map((backend) => {
      const output = `${out}${i}-${plugin}-${backend}.png`;
      run(cli, ['plugin', 'run', bundle(plugin), `${out}${image}.png`, '-o', output,
        '--backend', backend, ...paramArgs(params)]);
      return output;
    }),
  }));
  writeFileSync(`${out}cases.json`, JSON.stringify(cases));
  const result = spawnSync(python, [reference, `${out}cases.json`], { encoding: 'utf8' });
  for (const line of result.stdout.trim().split('\n')) t.diagnostic(line);
  assert.equal(result.status, 0, `${result.stdout}\n${result.stderr}`);
});

test('film grain gives the same bytes for a seed and different grain for another', () => {
  mkdirSync(out, { recursive: true });
  const grain = (seed, name) => {
    const output = `${out}grain-${name}.png`;
    run(cli, ['plugin', 'run', bundle('film-grain'), `${root}docs/upscale-crop.png`, '-o', output,
      '--backend', 'cpu', '--param', `seed=${seed}`]);
    return readFileSync(output);
  };
  const [first, again, other] = [grain(3, 'a'), grain(3, 'b'), grain(4, 'c')];
  assert.ok(first.equals(again), 'the same seed gave different bytes');
  assert.ok(!first.equals(other), 'another seed gave the same grain');
});

/** A folder holding the levels plugin's files with `manifest` changed and `shader` as given. */
function levelsVariant(name, change, shader) {
  const dir = `${out}${name}/`;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const manifest = JSON.parse(readFileSync(`${root}plugins/levels/manifest.json`, 'utf8'));
  change(manifest);
  writeFileSync(`${dir}manifest.json`, JSON.stringify(manifest));
  writeFileSync(`${dir}levels.wgsl`, shader);
  for (const extra of ['icon.svg', 'README.md']) writeFileSync(`${dir}${extra}`, readFileSync(`${root}plugins/levels/${extra}`));
  const target = process.env.CARGO_TARGET_DIR ?? `${root}target`;
  if (manifest.entry.type === 'wasm') {
    writeFileSync(`${dir}levels.wasm`, readFileSync(`${target}/wasm32-unknown-unknown/release/levels.wasm`));
  }
  run(cli, ['plugin', 'pack', dir, '-o', `${out}${name}.retouchplugin`]);
  return `${out}${name}.retouchplugin`;
}

/** The levels example with its WGSL shader alone (no wasm module), as another plugin id. */
const shaderOnlyLevels = (shader) =>
  levelsVariant('levels-wgsl-only', (m) => {
    m.id = 'org.retouch.examples.levels-gpu';
    m.entry = { type: 'wgsl', shader: 'levels.wgsl', time_limit_ms: 60000 };
  }, shader);

test('retouch plugin test reports parity and speed of every implementation, and needs WebGPU for a shader', (t) => {
  mkdirSync(out, { recursive: true });
  const gpu = backendsFor(t).includes('gpu');
  const shader = readFileSync(`${root}plugins/levels/levels.wgsl`, 'utf8');
  const report = run(cli, ['plugin', 'test', bundle('levels'), '--param', 'gamma=1.8']);
  for (const line of report.trim().split('\n')) t.diagnostic(line);
  const rows = report.split('\n').filter((line) => /^\w+ +192×144 /.test(line));
  assert.equal(rows.length, 6, report);
  for (const row of rows) {
    const [, , wasm, wgsl, diff] = row.trim().split(/ +/);
    assert.ok(Number(wasm) > 0, row);
    if (gpu) assert.ok(Number(wgsl) > 0 && Number(diff) <= 1, row);
  }
  assert.match(report, gpu ? /parity: wasm and WGSL differ by at most [01] levels \(bound 1\): ok/ : /needs WebGPU/);

  // A shader-only bundle with no adapter (no backend wgpu can open) is refused by name.
  const shaderOnly = shaderOnlyLevels(shader);
  const refused = spawnSync(cli, ['plugin', 'test', shaderOnly], {
    encoding: 'utf8', env: { ...process.env, WGPU_BACKEND: 'metal' },
  });
  assert.notEqual(refused.status, 0, refused.stdout);
  assert.match(refused.stderr, /levels-gpu.*needs WebGPU/);
});

test('retouch plugin test runs a shader-only bundle on the GPU and holds the parity bound', (t) => {
  if (!backendsFor(t).includes('gpu')) {
    t.skip('no GPU adapter: a shader-only bundle cannot run');
    return;
  }
  mkdirSync(out, { recursive: true });
  const shader = readFileSync(`${root}plugins/levels/levels.wgsl`, 'utf8');
  const shaderOnly = shaderOnlyLevels(shader);
  assert.match(run(cli, ['plugin', 'test', shaderOnly]), /parity: not checked/);

  // A shader three levels off its module fails the parity bound, and passes a wider one.
  const drifted = levelsVariant('levels-drift', () => {}, shader.replace('+ 0.5, 0.0, 255.0', '+ 3.5, 0.0, 255.0'));
  const failed = spawnSync(cli, ['plugin', 'test', drifted], { encoding: 'utf8' });
  assert.notEqual(failed.status, 0, failed.stdout);
  assert.match(failed.stderr, /differ by up to 3 levels, above the bound of 1/);
  assert.match(run(cli, ['plugin', 'test', drifted, '--tolerance', '3']), /at most 3 levels \(bound 3\): ok/);
});
