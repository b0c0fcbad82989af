// The page's compositor against the native one, bit for bit: every blend mode through the wasm
// build (web/pkg in Node, CPU engine: SIMD128 vector rows over opaque blocks, the plain loops
// elsewhere) and through the `retouch composite` CLI (x86 rows on AVX2/AVX-512, held to the
// plain loops by the crate's own tests). The inputs are photographs cut to widths that leave a
// row tail, with a backdrop holding opaque blocks, translucent runs and lone translucent pixels
// inside opaque blocks, a layer of varied alpha, a soft mask and an offset that pushes the
// layer partly off the canvas.
// Loads web/pkg (built by `./build.sh build`); RETOUCH_PKG=dir/ points at another build.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildCli, cli, root, run } from './cli.mjs';
import { compare, mulberry32 } from './test-kit.mjs';

const pkg = process.env.RETOUCH_PKG
  ? pathToFileURL(process.env.RETOUCH_PKG.replace(/\/?$/, '/'))
  : new URL('../web/pkg/', import.meta.url);
const wasm = await import(new URL('retouch.js', pkg).href);
wasm.initSync({ module: readFileSync(new URL('retouch_bg.wasm', pkg)) });

const MODES = [
  'normal', 'dissolve', 'darken', 'multiply', 'color-burn', 'linear-burn', 'darker-color',
  'lighten', 'screen', 'color-dodge', 'linear-dodge', 'lighter-color', 'overlay', 'soft-light',
  'hard-light', 'vivid-light', 'linear-light', 'pin-light', 'hard-mix', 'difference', 'exclusion',
  'subtract', 'divide', 'hue', 'saturation', 'color', 'luminosity',
];

/** `photo` (crate/tests/photos) cut to its top-left `width`×`height`, as RGBA bytes. */
function photo(name, width, height) {
  const image = wasm.Image.decode(readFileSync(`${root}crate/tests/photos/${name}.png`));
  const whole = image.rgba();
  const out = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    out.set(whole.subarray(y * image.width * 4, (y * image.width + width) * 4), y * width * 4);
  }
  image.free();
  return out;
}

let dir;
let base;
let layer;
let maskValues;
const [W, H] = [189, 101];
const [LW, LH] = [150, 90];

before(() => {
  buildCli();
  dir = mkdtempSync(join(tmpdir(), 'retouch-blend-targets-'));
  const random = mulberry32(16);
  // Backdrop: opaque in the top third, translucent runs in the middle, opaque with a lone
  // translucent pixel every so often below.
  base = photo('coffee', W, H);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const a = (y * W + x) * 4 + 3;
      if (y >= H / 3 && y < (2 * H) / 3) base[a] = x % 23 < 11 ? 255 : Math.floor(random() * 256);
      else if (y >= (2 * H) / 3 && random() < 0.04) base[a] = Math.floor(random() * 255);
    }
  }
  layer = photo('chelsea', LW, LH);
  for (let i = 3; i < layer.length; i += 4) layer[i] = random() < 0.2 ? 255 : Math.floor(random() * 256);
  maskValues = Uint8Array.from({ length: LW * LH }, (_, i) => (i % 7 === 0 ? 255 : Math.floor(random() * 256)));
  writeFileSync(join(dir, 'base.png'), wasm.Image.fromRgba(W, H, base).encodePng());
  writeFileSync(join(dir, 'layer.png'), wasm.Image.fromRgba(LW, LH, layer).encodePng());
  writeFileSync(join(dir, 'mask.png'), wasm.Mask.fromValues(LW, LH, maskValues).encodePng());
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
});

test('every blend mode composites to the same bytes in the page (wasm) and natively', async () => {
  const engine = await wasm.createEngine('cpu');
  const baseImage = wasm.Image.fromRgba(W, H, base);
  const layerImage = wasm.Image.fromRgba(LW, LH, layer);
  const mask = wasm.Mask.fromValues(LW, LH, maskValues);
  const failures = [];
  for (const mode of MODES) {
    for (const [opacity, masked, [offsetX, offsetY]] of [[1, true, [7, 3]], [0.6, false, [60, 40]]]) {
      const params = { mode, opacity, offsetX, offsetY, seed: 5 };
      const page = masked
        ? await engine.compositeMasked(baseImage, layerImage, mask, params)
        : await engine.composite(baseImage, layerImage, params);
      const out = join(dir, 'out.png');
      run(cli, [
        'composite', join(dir, 'base.png'), join(dir, 'layer.png'), '-o', out, '--backend', 'cpu',
        '--mode', mode, '--opacity', String(opacity), '--offset', `${offsetX},${offsetY}`, '--seed', '5',
        ...(masked ? ['--mask', join(dir, 'mask.png')] : []),
      ]);
      const native = wasm.Image.decode(readFileSync(out));
      const got = page.rgba();
      const want = native.rgba();
      const { max, differing } = compare(got, want);
      if (differing) failures.push(`${mode} opacity ${opacity}${masked ? ' masked' : ''}: ${differing} bytes differ, by up to ${max}`);
      // Guards against a composite that did nothing.
      assert.ok(compare(got, base).differing > 0, `${mode}: the backdrop came back unchanged`);
      page.free();
      native.free();
    }
  }
  assert.deepEqual(failures, []);
  baseImage.free();
  layerImage.free();
  mask.free();
  engine.free();
});
