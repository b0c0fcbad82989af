// Validates every plugin manifest against plugin-manifest/schema.json with ajv, a validator
// written independently of the Rust checks, and makes sure the schema rejects typical mistakes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import Ajv2020 from 'ajv/dist/2020.js';

const root = new URL('../plugin-manifest/', import.meta.url);
const readJson = (url) => JSON.parse(readFileSync(url, 'utf8'));

const ajv = new Ajv2020({ allErrors: true, strict: true });
const validate = ajv.compile(readJson(new URL('schema.json', root)));

const pluginsDir = new URL('plugins/', root);
const manifestFiles = readdirSync(pluginsDir).filter((name) => name.endsWith('.json'));

/** A valid manifest using every kind of parameter and entry field, to break one thing at a time. */
function valid() {
  return {
    id: 'example.tone-curve',
    name: 'Tone curve',
    version: '1.2.0-beta.1+build.7',
    kind: 'filter',
    description: 'Test plugin.',
    entry: { type: 'wasm', module: 'bin/tone.wasm', memory_limit_mb: 64, time_limit_ms: 2000 },
    params: [
      {
        id: 'mode', label: 'Mode', type: 'enum',
        values: [{ value: 'soft', label: 'Soft' }, { value: 'hard', label: 'Hard' }],
        default: 'soft',
      },
      { id: 'amount', label: 'Amount', type: 'number', min: 0, max: 100, step: 1, default: 50, unit: '%' },
      { id: 'preserve', label: 'Preserve luminosity', type: 'boolean', default: true },
      { id: 'tint', label: 'Tint', type: 'color', default: '#ff8800' },
      { id: 'note', label: 'Note', type: 'string', default: '', max_length: 80 },
    ],
    inputs: [{ id: 'image', type: 'image' }, { id: 'mask', type: 'mask', optional: true }],
    outputs: [{ id: 'result', type: 'image', label: 'Result' }],
    permissions: { network: ['api.example.com', 'cdn-1.example.co.uk'] },
  };
}

function assertValid(manifest, what) {
  assert.ok(validate(manifest), `${what}: ${ajv.errorsText(validate.errors)}`);
}

test('there are manifests to check', () => {
  assert.ok(manifestFiles.includes('composite.json'), `found: ${manifestFiles.join(', ')}`);
});

for (const name of manifestFiles) {
  test(`plugins/${name} matches the schema`, () => {
    assertValid(readJson(new URL(name, pluginsDir)), name);
  });
}

test('composite lists the 27 blend modes in order', () => {
  const composite = readJson(new URL('composite.json', pluginsDir));
  const mode = composite.params.find((p) => p.id === 'mode');
  assert.deepEqual(mode.values.map((v) => v.value), [
    'normal', 'dissolve', 'darken', 'multiply', 'color-burn', 'linear-burn', 'darker-color',
    'lighten', 'screen', 'color-dodge', 'linear-dodge', 'lighter-color', 'overlay', 'soft-light',
    'hard-light', 'vivid-light', 'linear-light', 'pin-light', 'hard-mix', 'difference',
    'exclusion', 'subtract', 'divide', 'hue', 'saturation', 'color', 'luminosity',
  ]);
  assert.equal(mode.default, 'normal');
});

test('the reference manifest is valid, with and without optional parts', () => {
  assertValid(valid(), 'full manifest');
  const minimal = valid();
  delete minimal.params;
  delete minimal.permissions;
  assertValid(minimal, 'without params and permissions');
  assertValid({ ...valid(), entry: { type: 'builtin', kernel: 'tone.curve' } }, 'builtin entry');
  assertValid({ ...valid(), entry: { type: 'bridge', module: 'bridge/openai.js' } }, 'bridge entry');
});

// Each case breaks one thing; `path` is where ajv must report it (instancePath).
const invalid = [
  ['unknown top-level field', (m) => { m.colour = 'red'; }, ''],
  ['unknown field in a param', (m) => { m.params[1].maximum = 10; }, '/params/1'],
  ['unknown field in the entry', (m) => { m.entry.memory = 64; }, '/entry'],
  ['missing id', (m) => { delete m.id; }, ''],
  ['id not reverse-DNS', (m) => { m.id = 'Composite'; }, '/id'],
  ['version not semver', (m) => { m.version = '1.0'; }, '/version'],
  ['unknown kind', (m) => { m.kind = 'filtre'; }, '/kind'],
  ['unknown param type', (m) => { m.params[0].type = 'choice'; }, '/params/0'],
  ['step of zero', (m) => { m.params[1].step = 0; }, '/params/1'],
  ['colour not #rrggbb', (m) => { m.params[3].default = 'orange'; }, '/params/3'],
  ['wasm module without .wasm', (m) => { m.entry.module = 'bin/tone.js'; }, '/entry'],
  ['wasm module outside the plugin folder', (m) => { m.entry.module = '../tone.wasm'; }, '/entry'],
  ['wasm entry without limits', (m) => { delete m.entry.time_limit_ms; }, '/entry'],
  ['bridge module without .js', (m) => { m.entry = { type: 'bridge', module: 'openai.wasm' }; }, '/entry'],
  ['port of unknown type', (m) => { m.inputs[0].type = 'video'; }, '/inputs/0/type'],
  ['no outputs', (m) => { m.outputs = []; }, '/outputs'],
  ['URL instead of host name', (m) => { m.permissions.network[1] = 'https://api.example.com'; }, '/permissions/network/1'],
  ['IP address instead of host name', (m) => { m.permissions.network[0] = '10.0.0.1'; }, '/permissions/network/0'],
  ['unknown permission', (m) => { m.permissions.filesystem = ['/']; }, '/permissions'],
];

for (const [what, breakIt, path] of invalid) {
  test(`schema rejects: ${what}`, () => {
    const manifest = valid();
    breakIt(manifest);
    assert.equal(validate(manifest), false, `${what} was accepted`);
    const paths = validate.errors.map((e) => e.instancePath);
    assert.ok(
      paths.some((p) => p === path || p.startsWith(`${path}/`)),
      `${what}: no error at '${path}': ${ajv.errorsText(validate.errors)}`,
    );
  });
}
