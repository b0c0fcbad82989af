// The provider manifests against plugin-manifest/schema.json (ajv, independent of the Rust
// checks), and the schema's capability rules.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import Ajv2020 from 'ajv/dist/2020.js';

const root = new URL('../../plugin-manifest/', import.meta.url);
const readJson = (url) => JSON.parse(readFileSync(url, 'utf8'));
const ajv = new Ajv2020({ allErrors: true, strict: true });
const validate = ajv.compile(readJson(new URL('schema.json', root)));
const providers = ['openai', 'gemini', 'stability', 'mock'].map((name) => readJson(new URL(`plugins/provider-${name}.json`, root)));

test('every provider manifest is valid and names its bridge module', () => {
  for (const manifest of providers) {
    assert.ok(validate(manifest), `${manifest.id}: ${ajv.errorsText(validate.errors)}`);
    assert.equal(manifest.kind, 'provider');
    const module = new URL(`../../web/${manifest.entry.module}`, import.meta.url);
    assert.ok(readFileSync(module, 'utf8').length > 0, `${manifest.entry.module} is missing`);
  }
});

test('the network permissions are the providers\' own hosts, and the mock has none', () => {
  assert.deepEqual(providers.map((m) => m.permissions.network), [
    ['api.openai.com'], ['generativelanguage.googleapis.com'], ['api.stability.ai'], [],
  ]);
});

const cases = [
  ['a provider without capabilities', (m) => { delete m.capabilities; }],
  ['capabilities on a filter', (m) => { m.kind = 'filter'; }],
  ['both sizes and flexible_size', (m) => { m.capabilities.flexible_size = { target_pixels: 1, min_pixels: 1, max_pixels: 1, min_side: 1, multiple: 1, min_aspect: 1, max_aspect: 1 }; }],
  ['neither sizes nor flexible_size', (m) => { delete m.capabilities.sizes; }],
  ['an unknown mask convention', (m) => { m.capabilities.mask = 'black_edit'; }],
  ['an unknown operation', (m) => { m.capabilities.operations.push('dream'); }],
  ['a malformed aspect ratio', (m) => { m.capabilities.sizes[0].aspect_ratio = '16/9'; }],
  ['no variants per call', (m) => { m.capabilities.variants_per_call = 0; }],
];

for (const [what, breakIt] of cases) {
  test(`schema rejects ${what}`, () => {
    const manifest = structuredClone(providers[0]);
    breakIt(manifest);
    assert.equal(validate(manifest), false);
  });
}
