// Re-rendering a text layer in the wasm core, as while typing (issue 18's
// ≤ 4 ms goal): bench_text's 200-character headline at 96 px in Noto Sans
// (Arabic and Devanagari fallbacks loaded), wrapped to a 1600 px box, edited
// through Project.editTextLayer (layout, render and the history step), one
// character different each time, then typed into as the page's on-canvas
// editing does (Project.typeText: a character more at the end, or in the
// first line), after 40 untimed edits each; prints the medians of the wall time and of
// the process's CPU time (user + system: on a loaded machine the wall time
// includes waiting for a core, the CPU time does not; system time is mostly
// the kernel zeroing the fresh pages each step's new layer lands in, since
// the history keeps the old ones). Loads web/pkg (built by
// `./build.sh build`); RETOUCH_PKG=dir/ points at another build.
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const root = new URL('../../', import.meta.url);
const pkg = process.env.RETOUCH_PKG
  ? pathToFileURL(process.env.RETOUCH_PKG.replace(/\/?$/, '/'))
  : new URL('web/pkg/', root);
const wasm = await import(new URL('retouch.js', pkg).href);
wasm.initSync({ module: readFileSync(new URL('retouch_bg.wasm', pkg)) });
const { Project, FontSet } = wasm;

const HEADLINE = "Real type, set again: the brand's headline in its own font, kerned, "
  + 'with ligatures like office and fjord, wrapped to the box and rendered by the core so that the '
  + 'page, the CLI and panels agree: yes!!!';
const fonts = new FontSet();
for (const name of ['NotoSans-Regular.ttf', 'NotoSansArabic-Regular.ttf', 'NotoSansDevanagari-Regular.ttf']) {
  fonts.add(name, readFileSync(new URL(`fonts/shipped/${name}`, root)));
}
const runs = Number(process.env.RUNS ?? 41);
const warmup = Number(process.env.WARMUP ?? 40);

/** Times `edit(i)` on a fresh text layer of `first` after the untimed warm-up edits. */
function measure(label, first, edit) {
  const project = new Project(1920, 1080);
  const id = project.addTextLayer({ text: first, size: 96, width: 1600 }, fonts, 100, 100);
  // Untimed edits first: V8 runs wasm in its baseline compiler (Liftoff) until
  // a function is hot enough for the optimising one, as a page does after the
  // first few keystrokes.
  for (let i = 0; i < warmup; i++) edit(project, id, i, true);
  const times = [];
  const cpuTimes = [];
  const userTimes = [];
  for (let i = 0; i < runs; i++) {
    const cpu = process.cpuUsage();
    const start = performance.now();
    edit(project, id, i, false);
    times.push(performance.now() - start);
    const used = process.cpuUsage(cpu);
    cpuTimes.push((used.user + used.system) / 1000);
    userTimes.push(used.user / 1000);
  }
  times.sort((a, b) => a - b);
  cpuTimes.sort((a, b) => a - b);
  userTimes.sort((a, b) => a - b);
  const { width, height } = project.layerPixels(id);
  const { entries } = project.history();
  const length = project.textSource(id).text.length;
  console.log(`${label} (wasm): ${first.length} → ${length} characters, ${width}×${height} px, `
    + `median ${times[runs >> 1].toFixed(2)} ms, min ${times[0].toFixed(2)} ms of ${runs}; `
    + `CPU time median ${cpuTimes[runs >> 1].toFixed(2)} ms (user ${userTimes[runs >> 1].toFixed(2)} ms), `
    + `min ${cpuTimes[0].toFixed(2)} ms; ${entries.length} history steps, the last ${(entries.at(-1).bytes / 1024).toFixed(0)} KiB`);
  project.free();
}

// The last character retyped through editTextLayer, one step per edit (the figure quoted since the start).
measure('text layer edit, last character changed', HEADLINE, (project, id, i, warm) => {
  const text = HEADLINE.slice(0, -1) + String.fromCharCode((warm ? 65 : 97) + (i % 26));
  project.editTextLayer(id, { text });
});

// Typing on the canvas (typeText, one step for the session) into the
// headline: a character added at its end, or in its first line, which moves
// everything after it and may re-flow the lines below (the text grows to
// 200 + warm-up + runs characters).
const typed = (at) => (project, id, i, warm) => {
  const n = (warm ? 0 : warmup) + i + 1;
  const extra = 'abcdefghijklmnopqrstuvwxyz '.repeat(Math.ceil(n / 27)).slice(0, n);
  const cut = at ?? HEADLINE.length;
  project.typeText(id, HEADLINE.slice(0, cut) + extra + HEADLINE.slice(cut), true);
};
measure('typing on the canvas, at the end', HEADLINE, typed(null));
measure('typing on the canvas, in the first line', HEADLINE, typed(20));
