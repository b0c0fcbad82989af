// Takes the README screenshot: docs/screenshot.png, the editor with the
// sample document (layers, history) and a selection shown as a quick mask. Also (re)generates those samples in
// web/samples/ when they are missing or with --samples: a photo-like sunset
// backdrop, a bokeh-light layer and a feathered mask, encoded by the core.
//
//   ./build.sh build && (cd tests && node screenshot.mjs [--samples])
import { readFileSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startServer, launchBrowser, openApp, requireBuiltPackage, WEB_ROOT } from './browser/harness.mjs';
import { mulberry32 } from './test-kit.mjs';

const SAMPLES_DIR = new URL('../web/samples/', import.meta.url);
const OUTPUT = new URL('../docs/screenshot.png', import.meta.url);
const W = 960;
const H = 640;

requireBuiltPackage();

// ------------------------------------------------------------ sample images

const mix = (a, b, t) => a + (b - a) * t;
const clamp01 = (v) => Math.min(1, Math.max(0, v));
const smoothstep = (e0, e1, x) => {
  const t = clamp01((x - e0) / (e1 - e0));
  return t * t * (3 - 2 * t);
};
const lerp3 = (a, b, t) => [mix(a[0], b[0], t), mix(a[1], b[1], t), mix(a[2], b[2], t)];

/** A sunset over hills and a lake, in RGB 0..1. */
function sunset(x, y) {
  const u = x / W;
  const v = y / H;
  const horizon = 0.62;
  const sky = (vy) => {
    const t = clamp01(vy / horizon);
    const stops = [
      [0.0, [0.07, 0.1, 0.3]],
      [0.45, [0.42, 0.26, 0.52]],
      [0.8, [0.96, 0.52, 0.38]],
      [1.0, [1.0, 0.8, 0.48]],
    ];
    for (let i = 1; i < stops.length; i++) {
      if (t <= stops[i][0]) {
        const [t0, c0] = stops[i - 1];
        const [t1, c1] = stops[i];
        return lerp3(c0, c1, (t - t0) / (t1 - t0));
      }
    }
    return stops.at(-1)[1];
  };
  const sun = [0.66, 0.5];
  const sunAt = (sx, sy) => {
    const d = Math.hypot((sx - sun[0]) * (W / H), sy - sun[1]);
    return { disc: 1 - smoothstep(0.055, 0.06, d), glow: Math.exp(-d * 7) * 0.55 };
  };
  const lit = (c, s) => [
    c[0] + s.glow * 1.0 + s.disc,
    c[1] + s.glow * 0.75 + s.disc * 0.95,
    c[2] + s.glow * 0.35 + s.disc * 0.75,
  ];
  const ridge = (uu, f, phase, base, amp) =>
    base - amp * (0.55 * Math.sin(uu * f + phase) + 0.3 * Math.sin(uu * f * 2.3 + phase * 1.7) + 0.15 * Math.sin(uu * f * 5.1 + phase * 0.3));

  let c;
  if (v < horizon) {
    c = lit(sky(v), sunAt(u, v));
    const far = ridge(u, 7, 1.3, horizon - 0.03, 0.06);
    const near = ridge(u, 4.2, 4.1, horizon + 0.005, 0.09);
    if (v > far) c = lerp3([0.36, 0.22, 0.42], c, 0.25 * (1 - smoothstep(far, far + 0.05, v)));
    if (v > near) c = lerp3([0.12, 0.08, 0.18], [0.2, 0.12, 0.22], smoothstep(near, horizon, v));
  } else {
    // The lake: the sky mirrored, darker, with ripples.
    const depth = (v - horizon) / (1 - horizon);
    const ripple = 0.006 * Math.sin(y * 0.9 + Math.sin(x * 0.02) * 3) * (0.3 + depth);
    const mv = clamp01(horizon - (v - horizon) * 1.4 + ripple);
    const mirrored = lit(sky(mv), sunAt(u + ripple * 2, mv));
    c = lerp3(mirrored, [0.05, 0.06, 0.14], 0.25 + 0.55 * depth);
  }
  return c;
}

/** Bokeh lights: soft discs with a brighter rim, straight-alpha RGBA 0..1. */
function bokehLayer() {
  const next = mulberry32(7);
  const palette = [
    [1.0, 0.78, 0.36],
    [1.0, 0.5, 0.55],
    [0.55, 0.85, 1.0],
    [1.0, 0.92, 0.7],
    [0.8, 0.6, 1.0],
  ];
  const discs = Array.from({ length: 46 }, () => ({
    x: next() * W,
    y: next() * H * 0.78,
    r: 14 + next() ** 2 * 70,
    color: palette[Math.floor(next() * palette.length)],
    alpha: 0.25 + next() * 0.45,
  }));
  const rgba = new Float32Array(W * H * 4);
  for (const d of discs) {
    const x0 = Math.max(0, Math.floor(d.x - d.r - 2));
    const x1 = Math.min(W - 1, Math.ceil(d.x + d.r + 2));
    const y0 = Math.max(0, Math.floor(d.y - d.r - 2));
    const y1 = Math.min(H - 1, Math.ceil(d.y + d.r + 2));
    for (let y = y0; y <= y1; y++) {
      for (let x = x0; x <= x1; x++) {
        const dist = Math.hypot(x + 0.5 - d.x, y + 0.5 - d.y) / d.r;
        if (dist > 1.02) continue;
        const edge = 1 - smoothstep(0.94, 1.0, dist);
        const rim = 0.35 * smoothstep(0.7, 0.96, dist);
        const a = clamp01(d.alpha * (0.75 + rim) * edge);
        // Straight-alpha "over" of this disc onto what is there.
        const o = (y * W + x) * 4;
        const ab = rgba[o + 3];
        const ao = a + ab * (1 - a);
        for (let c = 0; c < 3; c++) {
          rgba[o + c] = ao > 0 ? (d.color[c] * a + rgba[o + c] * ab * (1 - a)) / ao : 0;
        }
        rgba[o + 3] = ao;
      }
    }
  }
  return rgba;
}

/** Coverage: full over the sky, feathered out towards the water. */
function maskValue(x, y) {
  const v = y / H;
  const u = x / W;
  const vertical = 1 - smoothstep(0.45, 0.75, v);
  const sides = smoothstep(0.0, 0.12, u) * smoothstep(0.0, 0.12, 1 - u);
  return vertical * (0.35 + 0.65 * sides);
}

const to8 = (v) => Math.round(clamp01(v) * 255);

async function makeSamples(wasm) {
  const base = new Uint8Array(W * H * 4);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const c = sunset(x, y);
      const o = (y * W + x) * 4;
      base[o] = to8(c[0]);
      base[o + 1] = to8(c[1]);
      base[o + 2] = to8(c[2]);
      base[o + 3] = 255;
    }
  }
  const layerF = bokehLayer();
  const layer = new Uint8Array(W * H * 4);
  for (let i = 0; i < layer.length; i++) layer[i] = to8(layerF[i]);
  // The mask as white with coverage in alpha: Mask.decode reads alpha when present.
  const mask = new Uint8Array(W * H * 4).fill(255);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) mask[(y * W + x) * 4 + 3] = to8(maskValue(x, y));
  }
  mkdirSync(SAMPLES_DIR, { recursive: true });
  for (const [name, rgba] of [['base', base], ['layer', layer], ['mask', mask]]) {
    const image = wasm.Image.fromRgba(W, H, rgba);
    const png = image.encodePng();
    image.free();
    writeFileSync(new URL(`${name}.png`, SAMPLES_DIR), png);
    console.log(`wrote web/samples/${name}.png (${(png.length / 1024).toFixed(0)} KB)`);
  }
}

// ------------------------------------------------------------ screenshot

const wantSamples =
  process.argv.includes('--samples') ||
  !['base', 'layer', 'mask'].every((n) => existsSync(new URL(`${n}.png`, SAMPLES_DIR)));
if (wantSamples) {
  const wasm = await import(new URL('../web/pkg/retouch.js', import.meta.url).href);
  wasm.initSync({ module: readFileSync(new URL('../web/pkg/retouch_bg.wasm', import.meta.url)) });
  await makeSamples(wasm);
}

const server = await startServer(WEB_ROOT);
const browser = await launchBrowser({ webgpu: true });
try {
  const { page, errors } = await openApp(browser, server.url, { viewport: { width: 1280, height: 800 } });
  await page.evaluate(() => window.retouchApp.run('file.start-fresh'));
  await page.click('#load-samples');
  await page.waitForFunction(() => window.retouchApp.layers().length === 2);
  // A few document edits for the history panel: an empty layer for the fix, renamed.
  await page.click('#layer-new');
  await page.waitForFunction(() => window.retouchApp.layers().length === 3);
  await page.evaluate(() => window.retouchApp.settled());
  await page.dblclick('#layers .layer.active .layer-name');
  await page.fill('#layers .layer-rename', 'Fix');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => window.retouchApp.layers()[2].name === 'Fix');
  // A selection around the sun and its reflection: an ellipse, a brush stroke added, feathered.
  await page.evaluate(async () => {
    await window.retouchApp.run('select.ellipse', { x: 560, y: 250, width: 150, height: 140 });
    await window.retouchApp.run('select.brush', { points: [635, 390, 640, 430, 630, 470], diameter: 90, hardness: 0.7, spacing: 0.25, flow: 1 });
    await window.retouchApp.run('select.feather', { value: 8 });
  });
  await page.click('[data-tool=brush]');
  await page.evaluate(() => window.retouchApp.settled());
  await page.evaluate(() => document.activeElement?.blur());
  const result = await page.evaluate(async () => {
    const r = await window.retouchApp.resultRgba();
    return { width: r.width, height: r.height, backend: window.retouchApp.backend() };
  });
  if (errors.length) throw new Error(`page errors: ${errors.join('; ')}`);
  mkdirSync(new URL('../docs/', import.meta.url), { recursive: true });
  await page.screenshot({ path: fileURLToPath(OUTPUT) });
  console.log(`wrote docs/screenshot.png (1280×800; document ${result.width}×${result.height} on ${result.backend})`);
} finally {
  await browser.close();
  await server.close();
}
