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

// The reference manifest and the broken ones are shared with the core's tests (crate/src/plugin/tests.rs).
const fixtures = new URL('fixtures/manifests/', import.meta.url);

/** A valid manifest using every kind of parameter and entry field, to break one thing at a time. */
const valid = () => readJson(new URL('valid.json', fixtures));

/** The reference manifest with one case's `set` and `remove` (JSON pointers) applied. */
function broken({ set = {}, remove = [] }) {
  const manifest = valid();
  const parentOf = (pointer) => {
    const keys = pointer.split('/').slice(1);
    const last = keys.pop();
    return [keys.reduce((node, key) => node[key], manifest), last];
  };
  for (const [pointer, value] of Object.entries(set)) {
    const [node, key] = parentOf(pointer);
    node[key] = value;
  }
  for (const pointer of remove) {
    const [node, key] = parentOf(pointer);
    delete node[key];
  }
  return manifest;
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

// Each case breaks one thing; `schemaPath` is where ajv must report it (instancePath). Cases
// without one are rules a schema cannot express, checked by the core alone.
const invalid = readJson(new URL('invalid.json', fixtures)).cases.filter((c) => c.schemaPath !== undefined);

for (const { what, schemaPath: path, ...change } of invalid) {
  test(`schema rejects: ${what}`, () => {
    const manifest = broken(change);
    assert.equal(validate(manifest), false, `${what} was accepted`);
    const paths = validate.errors.map((e) => e.instancePath);
    assert.ok(
      paths.some((p) => p === path || p.startsWith(`${path}/`)),
      `${what}: no error at '${path}': ${ajv.errorsText(validate.errors)}`,
    );
  });
}
