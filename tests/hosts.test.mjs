// The host bundles (./build.sh package → dist/) held to each host's contract
// without the hosts:
//   - manifests: Adobe Express through Adobe's own validator
//     (@adobe/ccweb-add-on-manifest); the Photoshop UXP v5 manifest through a
//     JSON Schema written from Adobe's v5 documentation; Figma's rules
//     (editorType values from @figma/plugin-typings, networkAccess);
//   - every manifest's network permission is exactly the providers' origins;
//   - the host glue type-checks against the official typings (tsc --checkJs),
//     and a call the real API lacks fails (a negative control per host);
//   - the .ccx is a zip with the manifest at its root; Figma's ui.html is one
//     file with nothing beside it to load.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, mkdirSync, writeFileSync } from 'node:fs';
import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import Ajv2020 from 'ajv/dist/2020.js';
import { AddOnManifest } from '@adobe/ccweb-add-on-manifest';
import { requirePackagedHosts, DIST } from './browser/host-harness.mjs';

requirePackagedHosts();

const ROOT = new URL('../', import.meta.url);
const readJson = (url) => JSON.parse(readFileSync(url, 'utf8'));
const dist = (file) => new URL(file, `file://${DIST}`);
const OUT = new URL('out/host-types/', import.meta.url);

/** The providers' origins, from their plugin manifests' network permissions. */
function providerOrigins() {
  const dir = new URL('plugin-manifest/plugins/', ROOT);
  return readdirSync(dir)
    .filter((name) => name.startsWith('provider-'))
    .flatMap((name) => readJson(new URL(name, dir)).permissions?.network ?? [])
    .map((domain) => `https://${domain}`)
    .sort();
}

test('the providers’ origins include every bridge’s default base URL', async () => {
  const origins = providerOrigins();
  assert.equal(origins.length, 3);
  for (const bridge of ['openai', 'gemini', 'stability']) {
    const { DEFAULT_BASE_URL } = await import(new URL(`web/bridge/${bridge}.js`, ROOT));
    assert.ok(origins.includes(new URL(DEFAULT_BASE_URL).origin), `${bridge}: ${DEFAULT_BASE_URL}`);
  }
});

test('Express: Adobe’s manifest validator accepts the add-on, and rejects a broken copy', () => {
  const manifest = readJson(dist('express/manifest.json'));
  for (const isDeveloperAddOn of [true, false]) {
    const { manifestValidationResult } = AddOnManifest.createManifest({ manifest, additionalInfo: { sourceId: 'retouch', privileged: false, isDeveloperAddOn } });
    assert.deepEqual(manifestValidationResult, { success: true });
  }
  const broken = { ...manifest, entryPoints: [{ ...manifest.entryPoints[0], type: 'sidebar' }] };
  const { manifestValidationResult } = AddOnManifest.createManifest({ manifest: broken, additionalInfo: { sourceId: 'retouch', privileged: false, isDeveloperAddOn: true } });
  assert.equal(manifestValidationResult.success, false);
  // Every file the entry point names is in the bundle.
  for (const entry of manifest.entryPoints) readFileSync(dist(`express/${entry.main}`));
  assert.match(readFileSync(dist('express/index.html'), 'utf8'), /<html lang="en" data-host="express">[\s\S]*src="\.\/sdk\.js"[\s\S]*src="\.\/app\.js"/);
});

test('Photoshop: the UXP v5 manifest fits the schema; a webview of local files with the message bridge; network = providers', () => {
  const ajv = new Ajv2020({ allErrors: true, strict: true });
  const validate = ajv.compile(readJson(new URL('plugin-manifest/hosts/photoshop/manifest.schema.json', ROOT)));
  const manifest = readJson(dist('photoshop/manifest.json'));
  assert.ok(validate(manifest), JSON.stringify(validate.errors));
  // The schema bites: an unknown permission, a v4 manifest, a bad bridge value.
  assert.equal(validate({ ...manifest, manifestVersion: 4 }), false);
  assert.equal(validate({ ...manifest, requiredPermissions: { ...manifest.requiredPermissions, camera: true } }), false);
  assert.equal(validate({ ...manifest, requiredPermissions: { ...manifest.requiredPermissions, webview: { allow: 'yes', enableMessageBridge: 'both' } } }), false);

  const { webview, network } = manifest.requiredPermissions;
  assert.equal(webview.allowLocalRendering, 'yes');
  assert.equal(webview.enableMessageBridge, 'localOnly');
  // allowLocalRendering and a localOnly bridge need UXP 8.0.1 (Photoshop 26 by Adobe's version table).
  assert.ok(Number(manifest.host.minVersion.split('.')[0]) >= 26);
  assert.equal(manifest.host.data.apiVersion, 2, 'the modal-scope API (executeAsModal)');
  assert.deepEqual([...network.domains].sort(), providerOrigins());
  assert.deepEqual([...webview.domains].sort(), providerOrigins());
  const panel = readFileSync(dist('photoshop/index.html'), 'utf8');
  assert.match(panel, /<webview id="editor" src="plugin:\/web\/index\.html">/);
  assert.match(readFileSync(dist('photoshop/web/index.html'), 'utf8'), /<html lang="en" data-host="photoshop">/);
});

test('Photoshop: the .ccx is a zip of the plugin folder, manifest at its root', () => {
  const listing = execFileSync('python3', ['-c', 'import sys, zipfile; print("\\n".join(zipfile.ZipFile(sys.argv[1]).namelist()))', fileURLToPath(dist('retouch-photoshop.ccx'))], { encoding: 'utf8' })
    .split('\n')
    .filter(Boolean);
  for (const file of ['manifest.json', 'index.html', 'panel.js', 'web/index.html', 'web/app.js', 'web/hosts/photoshop.js', 'web/pkg/retouch.js', 'web/pkg/retouch_bg.wasm']) {
    assert.ok(listing.includes(file), `${file} in the .ccx`);
  }
  assert.ok(!listing.some((f) => f.endsWith('.d.ts')), 'no type declarations shipped');
});

test('Figma: editorType, networkAccess and one self-contained ui.html', () => {
  const manifest = readJson(dist('figma/manifest.json'));
  // The editor types Figma knows, as its typings list them.
  const typings = readFileSync(new URL('node_modules/@figma/plugin-typings/plugin-api.d.ts', import.meta.url), 'utf8');
  const known = [...typings.match(/readonly editorType: ([^\n]+)/)[1].matchAll(/'([a-z]+)'/g)].map((m) => m[1]);
  assert.ok(known.includes('figma') && known.length >= 4, `editor types from the typings: ${known}`);
  assert.deepEqual(manifest.editorType, ['figma']);
  assert.ok(manifest.editorType.every((t) => known.includes(t)));
  assert.equal(manifest.api, '1.0.0');
  assert.equal(manifest.documentAccess, 'dynamic-page', 'async node access (getNodeByIdAsync)');
  // networkAccess: exact origins (no wildcards, no "*"), with the reasoning Figma shows the user.
  const { allowedDomains, reasoning } = manifest.networkAccess;
  assert.deepEqual([...allowedDomains].sort(), providerOrigins());
  for (const domain of allowedDomains) assert.match(domain, /^https:\/\/[a-z0-9.-]+$/);
  assert.ok(reasoning.length > 40 && /own API key/.test(reasoning));

  const html = readFileSync(dist(`figma/${manifest.ui}`), 'utf8');
  readFileSync(dist(`figma/${manifest.main}`));
  assert.match(html, /<html lang="en" data-host="figma">/);
  assert.doesNotMatch(html, /<script[^>]+src=/, 'no script file to load');
  assert.doesNotMatch(html, /<link[^>]+rel="(stylesheet|modulepreload|manifest)"/, 'no sibling file to load');
  const wasm = html.match(/<script type="application\/octet-stream" id="retouch-wasm">([A-Za-z0-9+/=]+)<\/script>/);
  assert.ok(wasm, 'the wasm is inlined');
  assert.deepEqual(Buffer.from(wasm[1], 'base64'), readFileSync(dist('web/pkg/retouch_bg.wasm')));
});

const GLUE = {
  figma: { config: 'tsconfig.figma.json', file: 'plugin-manifest/hosts/figma/code.js', bogus: 'figma.createImageFromPixels(new Uint8Array(4));' },
  photoshop: { config: 'tsconfig.photoshop.json', file: 'plugin-manifest/hosts/photoshop/panel.js', bogus: 'imaging.getPixelsFast({ documentID: 1 });' },
  express: { config: 'tsconfig.express.json', file: 'web/hosts/express.js', bogus: 'sdk().then((s) => s.app.document.addImageFromPixels(new Uint8Array(4)));' },
};

function tsc(config) {
  return spawnSync(process.execPath, [fileURLToPath(new URL('node_modules/typescript/bin/tsc', import.meta.url)), '-p', config], { encoding: 'utf8' });
}

for (const [host, { config, file, bogus }] of Object.entries(GLUE)) {
  test(`${host}: the host glue type-checks against the official typings; a call the API lacks fails`, () => {
    const ok = tsc(fileURLToPath(new URL(`types/${config}`, import.meta.url)));
    assert.equal(ok.status, 0, ok.stdout + ok.stderr);

    // The same check on a copy with one call the real API does not have.
    mkdirSync(OUT, { recursive: true });
    const copy = new URL(`${host}-glue.js`, OUT);
    writeFileSync(copy, `${readFileSync(new URL(file, ROOT), 'utf8')}\nfunction bogusCall() {\n  ${bogus}\n}\nbogusCall;\n`);
    // (tsconfig files carry // comments: drop them to read the file list)
    const base = JSON.parse(readFileSync(new URL(`types/${config}`, import.meta.url), 'utf8').replace(/^\s*\/\/.*$/gm, ''));
    const files = base.files.map((f) => (f.endsWith(file) ? `${host}-glue.js` : `../../types/${f}`));
    assert.ok(files.includes(`${host}-glue.js`));
    const negative = new URL(`tsconfig.${host}.json`, OUT);
    writeFileSync(negative, JSON.stringify({ extends: `../../types/${config}`, files }));
    const failed = tsc(fileURLToPath(negative));
    assert.notEqual(failed.status, 0, 'the bogus call must fail the check');
    assert.match(failed.stdout, /Property '(createImageFromPixels|getPixelsFast|addImageFromPixels)' does not exist/);
  });
}
