// A brush stroke on a 6000×4000 photograph in the page on the WebGPU engine
// (issue 16: "the canvas is drawn straight from the composite"): the 2D
// canvases hold a document over 16 MP at half size per side, and until
// 2026-12-06 such a document was drawn there — each move rendered on the GPU,
// recomposed again on the CPU for the 2D canvas and scaled down by the
// browser — while the WebGPU canvas now presents it at full resolution.
// `?present=2d` keeps the 2D way, so both run from one build, alternately.
//
// Headless Chromium (Debian's) with SwiftShader's WebGPU adapter: the GPU
// work is the CPU's too, so compare the two columns, not the figures with a
// real GPU's. Each move sends three points 8 px apart through
// `paint.stroke-points` and waits until the page has rendered and drawn it
// (`retouchApp.settled`), timed in the page; the first moves are not timed.
// Then a copy of the photograph goes over it in multiply and its opacity is
// changed five times (the whole canvas recomposed each time), and Levels,
// then a Gaussian blur, is applied to the photograph three times (timed from
// OK). Prints the medians, the read-backs the engine counted and the bytes
// it uploaded for each adjustment.
// Needs `./build.sh build`. Options: --moves N (default 60), --rounds N (2),
// --width, --height (6000×4000).
import { startServer, launchBrowser, openApp, installTestKit, openPhoto, requireBuiltPackage } from '../browser/harness.mjs';
import { option } from './options.mjs';

requireBuiltPackage();
const MOVES = option('--moves', 60);
const ROUNDS = option('--rounds', 2);
const WARM_MOVES = 5;
const [W, H] = [option('--width', 6000), option('--height', 4000)];

/** Opens the photograph with `query`, paints one stroke move by move; returns the timings. */
async function strokeTimes(browser, url, query) {
  const app = await openApp(browser, url, { query });
  try {
    await installTestKit(app.page);
    await openPhoto(app.page, W, H);
    return await app.page.evaluate(
      async ({ moves, warm }) => {
        const app = window.retouchApp;
        const params = { tool: 'brush', diameter: 60, hardness: 50, opacity: 90, flow: 60, color: '#2080ff' };
        let x = 1200;
        const y = 2000;
        await app.run('paint.stroke-begin', { ...params, points: [x, y] });
        await app.settled();
        const readBacks = app.readBacks();
        const times = [];
        for (let i = 0; i < warm + moves; i++) {
          const points = [x + 8, y + 3, x + 16, y - 3, x + 24, y];
          x += 24;
          const started = performance.now();
          await app.run('paint.stroke-points', { points });
          await app.settled();
          if (i >= warm) times.push(performance.now() - started);
        }
        const read = app.readBacks() - readBacks;
        await app.run('paint.stroke-end');
        await app.settled();
        // A change of the whole canvas: a copy of the photograph over it in multiply, its opacity changed.
        await app.run('layer.duplicate');
        await app.run('layer.set-properties', { mode: 'multiply', opacity: 50 });
        await app.settled();
        const wholeReadBacks = app.readBacks();
        const whole = [];
        for (let i = 0; i < 5; i++) {
          const started = performance.now();
          await app.run('layer.set-properties', { opacity: 60 + i * 5 });
          await app.settled();
          whole.push(performance.now() - started);
        }
        const wholeRead = app.readBacks() - wholeReadBacks;
        // Adjustments of the whole photograph (the duplicate hidden), timed
        // from OK (the dialog's preview is not) until the page has rendered it.
        await app.run('layer.set-properties', { visible: false });
        await app.run('layer.select', { id: app.layers()[0].id });
        await app.settled();
        // (A build from before the count has no `uploadedBytes`.)
        const uploadedBytes = () => {
          try {
            return app.uploadedBytes();
          } catch {
            return NaN;
          }
        };
        const median = (values) => values.sort((a, b) => a - b)[values.length >> 1];
        // An adjustment `rounds` times: the median time, MiB uploaded and read-backs.
        const adjust = async (command, paramsOf, rounds) => {
          const [times, uploads, reads] = [[], [], []];
          for (let i = 0; i < rounds; i++) {
            await app.run(command, paramsOf(i));
            await app.settled();
            const [uploaded, read] = [uploadedBytes(), app.readBacks()];
            const started = performance.now();
            await app.run('adjust.ok');
            await app.settled();
            times.push(performance.now() - started);
            uploads.push(uploadedBytes() - uploaded);
            reads.push(app.readBacks() - read);
          }
          return { time: median(times), uploadMiB: median(uploads) / 2 ** 20, readBacks: median(reads) };
        };
        const levels = await adjust('adjust.levels', (i) => ({ input_black: 20 + i * 5, gamma: 1.3 }), 3);
        const blur = await adjust('adjust.gaussian_blur', (i) => ({ sigma: 3 + i }), 3);
        return {
          levels,
          blur,
          median: median(times),
          min: Math.min(...times),
          readBacks: read,
          whole: median(whole),
          wholeReadBacks: wholeRead,
          timing: document.querySelector('#timing').textContent,
          presented: !document.querySelector('canvas.presented').hidden,
          level: app.view().level,
        };
      },
      { moves: MOVES, warm: WARM_MOVES },
    );
  } finally {
    await app.context.close();
  }
}

const server = await startServer();
const browser = await launchBrowser({ webgpu: true });
try {
  for (let round = 1; round <= ROUNDS; round++) {
    for (const [label, query] of [
      ['2D canvas at half size (?present=2d)', '?backend=gpu&present=2d'],
      ['WebGPU canvas, full resolution', '?backend=gpu'],
    ]) {
      const r = await strokeTimes(browser, server.url, query);
      console.log(
        `round ${round}, ${W}×${H} (view level ${r.level}), ${label}: per move median ${r.median.toFixed(1)} ms, `
          + `min ${r.min.toFixed(1)} ms over ${MOVES} moves, read-backs ${r.readBacks}; `
          + `the top layer's opacity changed (whole canvas) median ${r.whole.toFixed(0)} ms of 5, read-backs ${r.wholeReadBacks}; `
          + `Levels on the photograph median ${r.levels.time.toFixed(0)} ms of 3, ${r.levels.uploadMiB.toFixed(1)} MiB uploaded, read-backs ${r.levels.readBacks}; `
          + `Gaussian blur σ 3–5 median ${r.blur.time.toFixed(0)} ms of 3, ${r.blur.uploadMiB.toFixed(1)} MiB uploaded, read-backs ${r.blur.readBacks}; `
          + `presented ${r.presented}; status bar "${r.timing}"`,
      );
    }
  }
} finally {
  await browser.close();
  await server.close();
}
