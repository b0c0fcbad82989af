// The wasm Project API for what the document keeps beside its layers: the selection (undoable,
// saved in the .ora), provenance JSON, the brand kit, and images opened with their metadata.
// Loads web/pkg (built by `./build.sh build`); RETOUCH_PKG=dir/ points at another build.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const pkg = process.env.RETOUCH_PKG
  ? pathToFileURL(process.env.RETOUCH_PKG.replace(/\/?$/, '/'))
  : new URL('../web/pkg/', import.meta.url);
const wasm = await import(new URL('retouch.js', pkg).href);
wasm.initSync({ module: readFileSync(new URL('retouch_bg.wasm', pkg)) });
const { Project, Mask, Image } = wasm;

const lastEntry = (project) => project.history().entries.at(-1);

test('the selection is an undoable part of the project and survives .ora', () => {
  const project = new Project(4, 3);
  const values = Uint8Array.from({ length: 12 }, (_, i) => i * 20);
  const mask = Mask.fromValues(4, 3, values);
  project.setSelection(mask, 'Select');
  // The caller's mask is copied, not taken: it stays usable for an overlay.
  assert.deepEqual(mask.values(), values);
  assert.deepEqual(project.selection().values(), values);
  assert.equal(lastEntry(project).name, 'Select');

  assert.equal(project.undo(), 'Select');
  assert.equal(project.selection(), undefined);
  assert.equal(project.redo(), 'Select');
  assert.deepEqual(project.selection().values(), values);

  const reopened = Project.fromOra(project.toOra());
  assert.deepEqual(reopened.selection().values(), values);
  assert.equal(reopened.history().entries.length, 0);

  project.deselect('');
  assert.equal(lastEntry(project).name, 'Deselect');
  assert.equal(project.selection(), undefined);
  assert.throws(() => project.setSelection(Mask.fromValues(2, 2, new Uint8Array(4)), 'Select'),
    /canvas is 4×3/);
});

test('provenance and the brand kit round-trip through .ora', () => {
  const project = new Project(4, 3);
  const id = project.newLayer('Generated');
  project.setProvenance(id, '{"provider":"mock","seed":7}');
  project.setBrandStyle('ink wash');
  project.setBrandPalette(['#123456', '#ABCDEF']);
  assert.throws(() => project.setBrandPalette(['#12345']), /#rrggbb/);
  const png = Image.fromRgba(2, 1, Uint8Array.from([255, 0, 0, 255, 0, 0, 255, 255])).encodePng();
  assert.equal(project.addBrandReference(png), 0);
  assert.throws(() => project.addBrandReference(new Uint8Array([1, 2, 3])));
  assert.equal(lastEntry(project).name, 'Add brand reference');
  const reopened = Project.fromOra(project.toOra());
  const [layer] = reopened.layers();
  assert.equal(reopened.provenance(layer.id), '{"provider":"mock","seed":7}');
  assert.equal(reopened.brandStyle(), 'ink wash');
  assert.deepEqual(reopened.brandPalette(), ['#123456', '#abcdef']);
  assert.deepEqual(reopened.brandPromptKit(), { style: 'ink wash', palette: ['#123456', '#abcdef'] });
  const [reference] = reopened.brandReferences();
  assert.deepEqual(Image.decode(reference).rgba(), Image.decode(png).rgba());
  reopened.removeBrandReference(0);
  assert.equal(reopened.brandReferenceCount(), 0);
  assert.equal(reopened.undo(), 'Remove brand reference');
  assert.equal(reopened.brandReferenceCount(), 1);
  project.setProvenance(id, undefined);
  assert.equal(project.provenance(id), undefined);
});

test('an image file opens as a one-layer project', () => {
  const rgba = Uint8Array.from({ length: 5 * 2 * 4 }, (_, i) => (i % 4 === 3 ? 255 : i));
  const png = Image.fromRgba(5, 2, rgba).encodePng();
  const project = Project.fromImageFile(png);
  assert.equal(project.width, 5);
  assert.equal(project.height, 2);
  assert.deepEqual(project.layers().map((l) => l.name), ['Background']);
  assert.deepEqual(project.sourceMetadata(), { iccProfile: false, exif: false });
  const exported = project.exportImage('png', undefined, undefined, undefined, undefined, true);
  assert.deepEqual(Image.decode(exported).rgba(), rgba);
});
