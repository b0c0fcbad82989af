// Cross-checks `retouch render-text` against HarfBuzz (uharfbuzz: glyph ids,
// clusters and pen positions) and FreeType through Pillow's ImageFont (ink
// centroid, total ink, coverage L1) on Latin with kerning and ligatures,
// combining marks, Arabic and Devanagari (tests/text/reference.py states the
// bounds), the same with the text rotated against FreeType turning the outlines
// itself (tests/text/rotated.py), and checks that bad requests are refused with
// the reason.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { root, cli, run, buildCli } from './cli.mjs';

const out = fileURLToPath(new URL('out/text/', import.meta.url));
const fonts = `${root}fonts/shipped/`;
const latin = `${fonts}NotoSans-Regular.ttf`;
const arabic = `${fonts}NotoSansArabic-Regular.ttf`;
const devanagari = `${fonts}NotoSansDevanagari-Regular.ttf`;

function textPython() {
  return run('bash', [fileURLToPath(new URL('text/setup_venv.sh', import.meta.url))]).trim();
}

function installFonts() {
  run('bash', [`${root}fonts/install.sh`]);
}

const CASES = [
  ['Latin with kerning and ligatures', latin, 48, 'AVATAR Wave: office fjord, “To” 1974'],
  ['Latin with combining marks', latin, 64, 'Cafe\u0301 n\u0303 a\u0308\u0304 Zu\u0308rich'],
  ['Arabic (joining, right to left)', arabic, 48, 'مرحبا بالعالم'],
  ['Arabic with marks', arabic, 56, 'بِسْمِ اللَّهِ'],
  ['Devanagari (reordering, conjuncts)', devanagari, 48, 'नमस्ते दुनिया क्षत्रिय'],
  ['small Latin', latin, 14, 'Small print, kerned: AV Ty'],
];

test('render-text matches HarfBuzz shaping and Pillow/FreeType coverage', (t) => {
  buildCli();
  installFonts();
  const python = textPython();
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const cases = CASES.map(([name, font, size, text], i) => {
    const png = `${out}${i}.png`;
    const glyphs = `${out}${i}.json`;
    run(cli, ['render-text', '--text', text, '--font', font, '--size', String(size), '--color', '#000000', '-o', png, '--glyphs', glyphs]);
    return { name, font, size, text, png, glyphs };
  });
  writeFileSync(`${out}cases.json`, JSON.stringify(cases));
  const result = spawnSync(python, [fileURLToPath(new URL('text/reference.py', import.meta.url)), `${out}cases.json`], { encoding: 'utf8' });
  for (const line of result.stdout.trim().split('\n')) t.diagnostic(line);
  assert.equal(result.status, 0, `${result.stdout}\n${result.stderr}`);
});

const ROTATED = [
  ['Latin with kerning and ligatures', latin, 48, 'AVATAR Wave: office fjord', 15],
  ['Latin with kerning and ligatures', latin, 48, 'AVATAR Wave: office fjord', 90],
  ['Latin, small', latin, 18, 'Small print, kerned: AV Ty', -30],
  ['Arabic with marks', arabic, 56, 'بِسْمِ اللَّهِ', 15],
  ['Devanagari', devanagari, 48, 'नमस्ते दुनिया क्षत्रिय', 90],
];

test('rotated render-text matches FreeType turning the same outlines', (t) => {
  buildCli();
  installFonts();
  let python;
  try {
    python = textPython();
  } catch (error) {
    t.skip(`the test venv (tests/text/setup_venv.sh) could not be built: ${error.message.split('\n')[0]}`);
    return;
  }
  const dir = `${out}rotated/`;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const cases = ROTATED.map(([name, font, size, text, rotation], i) => {
    const png = `${dir}${i}.png`;
    const glyphs = `${dir}${i}.json`;
    run(cli, ['render-text', '--text', text, '--font', font, '--size', String(size), '--rotation', String(rotation), '--color', '#000000', '-o', png, '--glyphs', glyphs]);
    return { name, font, size, text, rotation, png, glyphs };
  });
  writeFileSync(`${dir}cases.json`, JSON.stringify(cases));
  const result = spawnSync(python, [fileURLToPath(new URL('text/rotated.py', import.meta.url)), `${dir}cases.json`], { encoding: 'utf8' });
  for (const line of result.stdout.trim().split('\n')) t.diagnostic(line);
  assert.equal(result.status, 0, `${result.stdout}\n${result.stderr}`);
});

test('render-text refuses bad requests with the reason and writes nothing', () => {
  buildCli();
  installFonts();
  mkdirSync(out, { recursive: true });
  const output = `${out}refused.png`;
  const notAFont = `${out}not-a-font.ttf`;
  writeFileSync(notAFont, Buffer.from('this is not a font file at all'));
  const woff2 = `${out}web.woff2`;
  writeFileSync(woff2, Buffer.concat([Buffer.from('wOF2'), Buffer.alloc(60)]));
  for (const [args, words] of [
    [['--text', ''], 'text: is empty'],
    [['--text', 'x'.repeat(100_000)], 'at most 20000'],
    [['--text', 'Big', '--size', '2000'], 'size: 2000 is outside'],
    [['--text', 'Hi', '--font', notAFont], 'not-a-font.ttf.*not a readable'],
    [['--text', 'Hi', '--font', woff2], 'web.woff2.*damaged WOFF2'],
    [['--text', 'Hi', '--color', 'red'], 'color'],
    [['--text', 'Hi', '--align', 'justify'], 'left, center or right'],
    [['--text', 'Hi', '--shadow', '1,2'], 'DX,DY,BLUR'],
    [['--text', 'W'.repeat(2000), '--size', '900'], 'past the limits'],
  ]) {
    const result = spawnSync(cli, ['render-text', ...args, '-o', output], { encoding: 'utf8' });
    assert.notEqual(result.status, 0, args.join(' ').slice(0, 80));
    assert.match(result.stderr, new RegExp(words), `${args.join(' ').slice(0, 80)}: ${result.stderr}`);
    assert.equal(existsSync(output), false, 'no output file is left');
  }
});

test('a character no font has is drawn as the missing-glyph box, not refused', () => {
  buildCli();
  installFonts();
  mkdirSync(out, { recursive: true });
  const png = `${out}missing.png`;
  const glyphs = `${out}missing.json`;
  run(cli, ['render-text', '--text', 'A漢B', '--size', '40', '-o', png, '--glyphs', glyphs]);
  const placed = JSON.parse(spawnSync('cat', [glyphs], { encoding: 'utf8' }).stdout).glyphs;
  assert.equal(placed.length, 3);
  assert.deepEqual([placed[1].font, placed[1].id], [0, 0], 'the primary font’s .notdef');
  assert.ok(placed[2].x > placed[1].x, 'the text goes on after it');
});
