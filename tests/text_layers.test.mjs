// Text layers through the wasm Project API (issue 18): a layer added in the
// page's core is, bit for bit, what the native `retouch render-text` draws
// for the same source (so the page, the CLI and the hosts agree); its source
// reads back, edits and scaling render it again (scale 2 equals the CLI at
// twice the size), one step each, and it survives .ora and the autosave.
// Loads web/pkg (built by `./build.sh build`); RETOUCH_PKG=dir/ points at another build.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { root, cli, run, buildCli } from './cli.mjs';

const pkg = process.env.RETOUCH_PKG
  ? pathToFileURL(process.env.RETOUCH_PKG.replace(/\/?$/, '/'))
  : new URL('../web/pkg/', import.meta.url);
const wasm = await import(new URL('retouch.js', pkg).href);
wasm.initSync({ module: readFileSync(new URL('retouch_bg.wasm', pkg)) });
const { Project, FontSet, AutosaveRestore, decodeImageFile } = wasm;

const out = fileURLToPath(new URL('out/text_layers/', import.meta.url));
const SHIPPED = ['NotoSans-Regular.ttf', 'NotoSansArabic-Regular.ttf', 'NotoSansDevanagari-Regular.ttf'];

function shippedFonts() {
  run('bash', [`${root}fonts/install.sh`]);
  const set = new FontSet();
  for (const name of SHIPPED) set.add(name, readFileSync(`${root}fonts/shipped/${name}`));
  return set;
}

/** The CLI's rendering of a text as RGBA bytes with its size. */
function renderText(name, args) {
  mkdirSync(out, { recursive: true });
  const png = `${out}${name}.png`;
  run(cli, ['render-text', ...args, '-o', png]);
  const decoded = decodeImageFile(readFileSync(png));
  return { width: decoded.width, height: decoded.height, rgba: decoded.takeRgba() };
}

function layerImage(project, id) {
  const image = project.layerPixels(id);
  return { width: image.width, height: image.height, rgba: image.rgba() };
}

/** Where two RGBA images differ: how many bytes (sizes must match). */
function differingBytes(a, b) {
  assert.deepEqual([a.width, a.height], [b.width, b.height]);
  let n = 0;
  for (let i = 0; i < a.rgba.length; i++) n += a.rgba[i] !== b.rgba[i];
  return n;
}

const HEADLINE = 'Set in real type: AV Wa fi — مرحبا नमस्ते';
const STYLE = { size: 48, color: '#c81e28', width: 520, align: 'center' };
const CLI_STYLE = ['--size', '48', '--color', '#c81e28', '--width', '520', '--align', 'center'];

test('a text layer in the wasm core is render-text\'s image, and edits render it again', () => {
  buildCli();
  const fonts = shippedFonts();
  const project = new Project(800, 400);
  const id = project.addTextLayer({ text: HEADLINE, ...STYLE }, fonts, 30, 50);
  assert.equal(project.history().entries.at(-1).name, 'Add Text');
  const row = project.layers().find((l) => l.id === id);
  assert.equal(row.isText, true);
  const source = project.textSource(id);
  assert.equal(source.text, HEADLINE);
  assert.deepEqual(source.fonts, SHIPPED);
  assert.deepEqual([source.x, source.y, source.size, source.color, source.align, source.width],
    [30, 50, 48, '#c81e28ff', 'center', 520]);

  const cliImage = renderText('headline', ['--text', HEADLINE, ...CLI_STYLE]);
  assert.equal(differingBytes(layerImage(project, id), cliImage), 0, 'wasm and native render alike');

  // Scale 2 is the CLI at 96 px in the doubled box, rendered afresh.
  project.editTextLayer(id, { scale: 2 });
  assert.equal(project.history().entries.at(-1).name, 'Transform Text');
  const big = renderText('headline-96', ['--text', HEADLINE, '--size', '96', '--color', '#c81e28',
    '--width', '1040', '--align', 'center']);
  assert.equal(differingBytes(layerImage(project, id), big), 0);
  assert.deepEqual([project.textSource(id).x, project.textSource(id).y], [30, 50]);

  // A style change is one step; undo brings back the scaled text.
  project.editTextLayer(id, { color: '#1060c0', stroke: { width: 3, color: '#ffffff' } });
  assert.equal(project.history().entries.at(-1).name, 'Edit Text');
  assert.equal(project.undo(), 'Edit Text');
  assert.equal(differingBytes(layerImage(project, id), big), 0);
  assert.equal(project.textSource(id).stroke, undefined);
  assert.equal(project.undo(), 'Transform Text');
  assert.equal(differingBytes(layerImage(project, id), cliImage), 0);

  // Reopened from .ora and from the autosave, it is still a text layer.
  const reopened = Project.fromOra(project.toOra());
  const again = reopened.layers().at(-1).id;
  assert.deepEqual(reopened.textSource(again), project.textSource(id));
  assert.equal(differingBytes(layerImage(reopened, again), cliImage), 0);
  const delta = project.autosaveChanges();
  const bytes = delta.takeBytes();
  const restore = new AutosaveRestore(delta.state);
  for (const { key, offset, length } of delta.pieces) restore.addPiece(key, bytes.subarray(offset, offset + length));
  const restored = restore.finish();
  assert.deepEqual(restored.textSource(id), project.textSource(id));
  assert.equal(restored.redo(), 'Transform Text');
  assert.equal(differingBytes(layerImage(restored, id), big), 0);
});

test('bad text is refused with the reason and changes nothing', () => {
  const fonts = shippedFonts();
  const project = new Project(200, 100);
  const id = project.addTextLayer({ text: 'Keep' }, fonts, 0, 0);
  const steps = project.history().entries.length;
  const cases = [
    [{ text: '  ' }, /text: is empty/],
    [{ text: 'x'.repeat(100_000) }, /at most 20000/],
    [{ size: 2000 }, /size: 2000 is outside/],
    [{ color: 'red' }, /'red' is not a colour/],
    [{ bold: true }, /invalid text source: unknown field `bold`/],
  ];
  for (const [patch, message] of cases) {
    assert.throws(() => project.editTextLayer(id, patch), message);
  }
  assert.throws(() => project.addTextLayer({ size: 20 }, fonts, 0, 0), /text: is missing/);
  assert.throws(() => new FontSet().add('broken.ttf', new Uint8Array(64)), /'broken.ttf' is not a readable/);
  assert.equal(project.history().entries.length, steps);
  // A character no font has shows the missing-glyph box: no error.
  project.editTextLayer(id, { text: 'Ship \u{10FFFD} it' });
  assert.equal(project.textSource(id).text, 'Ship \u{10FFFD} it');
});
