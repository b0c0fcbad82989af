// Packages the host bundles beside the web app (run by `./build.sh package`
// after dist/web is written):
//   dist/photoshop/  + dist/retouch-photoshop.ccx   UXP panel + webview loading dist/web's files
//   dist/figma/      manifest.json, code.js, ui.html (the editor, its script and wasm inlined)
//   dist/express/    the editor with the add-on SDK loaded, and the add-on manifest
// Each copy of the editor says which host it is in (<html data-host>; see web/hosts/host.js).
import { cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../..');
const DIST = path.join(ROOT, 'dist');
const WEB = path.join(DIST, 'web');
// esbuild comes with the test tools (tests/package.json).
const esbuild = createRequire(path.join(ROOT, 'tests/package.json'))('esbuild');

/** The editor's index.html marked for `host` (and `edit` for the rest). */
async function editorPage(host, edit = (html) => html) {
  const html = await readFile(path.join(WEB, 'index.html'), 'utf8');
  const marked = html.replace(/<html lang="([^"]*)">/, `<html lang="$1" data-host="${host}">`);
  if (marked === html) throw new Error('web/index.html has no <html lang> tag to mark');
  return edit(marked);
}

/** Replaces exactly one occurrence of `from` (a missing anchor is a packaging bug). */
function replaceOnce(text, from, to) {
  const at = text.indexOf(from);
  if (at < 0 || text.indexOf(from, at + 1) >= 0) throw new Error(`expected one “${from.slice(0, 60)}” in index.html`);
  return text.slice(0, at) + to + text.slice(at + from.length);
}

const APP_SCRIPT = /<script type="module" src="\.\/app\.js"[^>]*><\/script>/;

async function photoshop() {
  const out = path.join(DIST, 'photoshop');
  await rm(out, { recursive: true, force: true });
  await mkdir(out, { recursive: true });
  for (const file of ['manifest.json', 'index.html', 'panel.js']) await cp(path.join(HERE, 'photoshop', file), path.join(out, file));
  await cp(WEB, path.join(out, 'web'), { recursive: true });
  await writeFile(path.join(out, 'web/index.html'), await editorPage('photoshop'));
  // A .ccx is a zip of the plugin folder, manifest.json at its root.
  const ccx = path.join(DIST, 'retouch-photoshop.ccx');
  await rm(ccx, { force: true });
  execFileSync('python3', ['-c', 'import shutil, sys; shutil.make_archive(sys.argv[1], "zip", sys.argv[2])', ccx, out]);
  await cp(`${ccx}.zip`, ccx);
  await rm(`${ccx}.zip`);
}

async function figma() {
  const out = path.join(DIST, 'figma');
  await rm(out, { recursive: true, force: true });
  await mkdir(out, { recursive: true });
  for (const file of ['manifest.json', 'code.js']) await cp(path.join(HERE, 'figma', file), path.join(out, file));
  // Figma ships one HTML file: the editor's modules bundled, the stylesheet and the wasm inlined.
  const bundle = await esbuild.build({
    entryPoints: [path.join(WEB, 'app.js')],
    bundle: true,
    format: 'esm',
    write: false,
    legalComments: 'none',
    logLevel: 'warning',
  });
  const script = bundle.outputFiles[0].text.replaceAll('</script', '<\\/script');
  const css = (await readFile(path.join(WEB, 'style.css'), 'utf8')).replaceAll('</style', '<\\/style');
  const wasm = (await readFile(path.join(WEB, 'pkg/retouch_bg.wasm'))).toString('base64');
  const html = await editorPage('figma', (page) => {
    let text = page.replace(/\s*<link rel="(manifest|modulepreload|stylesheet)"[^>]*>/g, '');
    text = replaceOnce(text, '</head>', `  <style>\n${css}\n  </style>\n</head>`);
    if (!APP_SCRIPT.test(text)) throw new Error('index.html has no app.js script tag');
    return text.replace(
      APP_SCRIPT,
      () => `<script type="application/octet-stream" id="retouch-wasm">${wasm}</script>\n  <script type="module">\n${script}\n  </script>`,
    );
  });
  await writeFile(path.join(out, 'ui.html'), html);
}

async function express() {
  const out = path.join(DIST, 'express');
  await rm(out, { recursive: true, force: true });
  await cp(WEB, out, { recursive: true });
  for (const file of ['manifest.json', 'sdk.js']) await cp(path.join(HERE, 'express', file), path.join(out, file));
  const html = await editorPage('express', (page) => {
    if (!APP_SCRIPT.test(page)) throw new Error('index.html has no app.js script tag');
    return page.replace(APP_SCRIPT, (tag) => `<script type="module" src="./sdk.js"></script>\n  ${tag}`);
  });
  await writeFile(path.join(out, 'index.html'), html);
}

await photoshop();
await figma();
await express();
console.log('dist/photoshop (+ retouch-photoshop.ccx), dist/figma, dist/express');
