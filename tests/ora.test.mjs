// Cross-checks OpenRaster projects written by the `retouch` CLI with readers nobody here wrote:
// Python's zipfile/ElementTree for the container and pyora (PyPI) for layers and rendering,
// installed in a test-only venv by tests/ora/setup_venv.sh. A text layer's rendered pixels are
// what they see of it (its source is ours alone).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { cli, run, buildCli } from './cli.mjs';

const out = fileURLToPath(new URL('out/ora/', import.meta.url));
const checker = fileURLToPath(new URL('ora/check_ora.py', import.meta.url));

const retouch = (...args) => run(cli, args);

test('projects written by the CLI read back identically in independent ORA readers', () => {
  buildCli();
  const python = run('bash', [fileURLToPath(new URL('ora/setup_venv.sh', import.meta.url))]).trim();
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  run(python, [checker, 'make-inputs', out]);

  const base = `${out}base.png`;
  const top = `${out}top.png`;

  // Masks, exact non-W3C modes, odd names, hidden layers: our extension namespace at work.
  const full = `${out}full.ora`;
  retouch('project', 'new', full, '--from', base);
  retouch('project', 'add-layer', full, top, '--name', 'Fix "hand" <1> & co', '--offset', '-5,7',
    '--mode', 'multiply', '--opacity', '0.5', '--mask', `${out}mask.png`);
  retouch('project', 'add-layer', full, top, '--name', 'Burn', '--offset', '30,20',
    '--mode', 'linear-burn', '--hidden');
  const layer = (name, image, x, y, opacity, visible, op, mode, masked) => ({
    name, image, x, y, opacity, visible, composite_op: op, blend_mode: mode, masked,
  });
  const fullExpect = {
    width: 64, height: 48, render_tolerance: null,
    layers: [
      layer('Burn', top, 30, 20, 1, false, 'svg:src-over', 'linear-burn', false),
      layer('Fix "hand" <1> & co', top, -5, 7, 0.5, true, 'svg:multiply', 'multiply', true),
      layer('base', base, 0, 0, 1, true, 'svg:src-over', 'normal', false),
    ],
  };
  writeFileSync(`${out}full.json`, JSON.stringify(fullExpect));
  retouch('export', full, '-o', `${out}full.png`);
  run(python, [checker, 'check', full, `${out}full.json`, `${out}full.png`]);

  const info = JSON.parse(retouch('project', 'info', full, '--json'));
  assert.deepEqual(info.layers.map((l) => [l.name, l.mode, l.mask]),
    [['base', 'normal', false], ['Fix "hand" <1> & co', 'multiply', true], ['Burn', 'linear-burn', false]]);

  // Only modes pyora renders, no masks: its renderer must agree with our mergedimage.png.
  const plain = `${out}plain.ora`;
  retouch('project', 'new', plain, '--from', base);
  retouch('project', 'add-layer', plain, top, '--name', 'Screen', '--offset', '10,5',
    '--mode', 'screen', '--opacity', '0.8');
  retouch('project', 'add-layer', plain, top, '--name', 'Over', '--offset', '30,20');
  // A text layer: other readers see its rendered pixels as an ordinary layer.
  const type = ['--text', 'Type', '--size', '20', '--color', '#2040c0'];
  retouch('project', 'add-text', plain, ...type, '--at', '4,6');
  retouch('render-text', ...type, '-o', `${out}text.png`);
  const text = JSON.parse(retouch('project', 'info', plain, '--json')).layers.at(-1);
  assert.equal(text.text, true);
  writeFileSync(`${out}plain.json`, JSON.stringify({
    width: 64, height: 48, render_tolerance: 2,
    layers: [
      layer('Type', `${out}text.png`, text.x, text.y, 1, true, 'svg:src-over', 'normal', false),
      layer('Over', top, 30, 20, 1, true, 'svg:src-over', 'normal', false),
      layer('Screen', top, 10, 5, 0.8, true, 'svg:screen', 'screen', false),
      layer('base', base, 0, 0, 1, true, 'svg:src-over', 'normal', false),
    ],
  }));
  run(python, [checker, 'check', plain, `${out}plain.json`]);
});

test('the CLI refuses a non-project and a bad size with one clear line', () => {
  buildCli();
  mkdirSync(out, { recursive: true });
  writeFileSync(`${out}bogus.ora`, 'not a zip');
  const bogus = spawnSync(cli, ['project', 'info', `${out}bogus.ora`], { encoding: 'utf8' });
  assert.equal(bogus.status, 1);
  assert.match(bogus.stderr, /^retouch: .*not an OpenRaster project.*\n$/);
  const huge = spawnSync(cli, ['project', 'new', `${out}huge.ora`, '--size', '20000x10'], { encoding: 'utf8' });
  assert.equal(huge.status, 1);
  assert.match(huge.stderr, /exceeds the limit/);
});
