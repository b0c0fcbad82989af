// What the provider tests share, once: the retry policy they run under, loading the core's wasm
// package, the checks that a bridge call failed the normalised way or was refused by a mock
// server, and reading a zip (.ora) to search it for a secret. PNG pictures and masks are in
// png.mjs, the mock servers in mock-servers.mjs.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { inflateRawSync } from 'node:zlib';
import { ProviderError } from '../../web/bridge/errors.js';
import { crc32 } from './png.mjs';

/** A retry policy short enough for tests: `{maxRetries: 2, baseDelayMs: 10, maxDelayMs: 5000, timeoutMs: 5000, ...overrides}`. */
export function fastPolicy(overrides = {}) {
  return { maxRetries: 2, baseDelayMs: 10, maxDelayMs: 5000, timeoutMs: 5000, ...overrides };
}

/** The core's wasm package (web/pkg, built by `./build.sh build`; RETOUCH_PKG=dir/ for another build), initialised. */
export async function loadCore() {
  const pkg = process.env.RETOUCH_PKG
    ? pathToFileURL(process.env.RETOUCH_PKG.replace(/\/?$/, '/'))
    : new URL('../../web/pkg/', import.meta.url);
  const wasm = await import(new URL('retouch.js', pkg).href);
  wasm.initSync({ module: readFileSync(new URL('retouch_bg.wasm', pkg)) });
  return wasm;
}

/** Resolves to the ProviderError `promise` rejects with; fails the test if it succeeds or throws anything else. */
export async function rejection(promise) {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof ProviderError, `not a ProviderError: ${error}`);
    return error;
  }
  assert.fail('the call succeeded');
}

/**
 * Checks that a mock server refused the request `promise` makes, for the reason `reason`
 * matches (the server's words, without "mock server: "): the bridge call fails with the server's 422 "mock server: ..." and the server
 * recorded that violation (and no other). Clears the server's violations; resolves to the error.
 */
export async function refused(server, promise, reason) {
  const before = server.violations.length;
  const error = await rejection(promise);
  const recorded = server.violations.slice(before);
  server.violations.length = before;
  assert.equal(error.kind, 'bad_response', `${error.kind}: ${error.message}`);
  assert.equal(error.status, 422, error.message);
  assert.match(error.message, /^mock server: /);
  const said = error.message.slice('mock server: '.length);
  assert.match(said, reason);
  assert.deepEqual(recorded, [said], 'the server recorded that violation, and only it');
  return error;
}

/**
 * The entries of a zip file (an OpenRaster .ora is one) as `[{name, method, bytes}]`, `bytes`
 * inflated. Read through the central directory, so entries written with a data descriptor are
 * found too; each entry's CRC-32 is checked against what was inflated.
 */
export function readZip(zip) {
  const buf = Buffer.from(zip.buffer ?? zip, zip.byteOffset ?? 0, zip.byteLength ?? zip.length);
  let end = buf.length - 22;
  while (end >= 0 && buf.readUInt32LE(end) !== 0x06054b50) end -= 1;
  assert.ok(end >= 0, 'no end-of-central-directory record: not a zip');
  const count = buf.readUInt16LE(end + 10);
  let at = buf.readUInt32LE(end + 16);
  const entries = [];
  for (let i = 0; i < count; i += 1) {
    assert.equal(buf.readUInt32LE(at), 0x02014b50, `central directory entry ${i}`);
    const method = buf.readUInt16LE(at + 10);
    const crc = buf.readUInt32LE(at + 16);
    const packed = buf.readUInt32LE(at + 20);
    const size = buf.readUInt32LE(at + 24);
    const nameLength = buf.readUInt16LE(at + 28);
    const extraLength = buf.readUInt16LE(at + 30);
    const commentLength = buf.readUInt16LE(at + 32);
    const local = buf.readUInt32LE(at + 42);
    const name = buf.toString('utf8', at + 46, at + 46 + nameLength);
    assert.equal(buf.readUInt32LE(local), 0x04034b50, `local header of ${name}`);
    const start = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
    const data = buf.subarray(start, start + packed);
    assert.ok(method === 0 || method === 8, `${name}: compression method ${method}`);
    const bytes = method === 8 ? inflateRawSync(data) : Buffer.from(data);
    assert.equal(bytes.length, size, `${name}: inflated size`);
    assert.equal(crc32(bytes), crc, `${name}: CRC-32`);
    entries.push({ name, method, bytes });
    at += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

/** The base64 spellings of `bytes` wherever they start in a longer base64 text (3 alignments, both alphabets). */
function base64Spellings(bytes) {
  const spellings = [];
  for (let shift = 0; shift < 3; shift += 1) {
    let text = Buffer.concat([Buffer.alloc(shift), bytes]).toString('base64').replace(/=+$/, '');
    // Drop the characters that also depend on the bytes before and after.
    text = text.slice([0, 2, 3][shift]);
    if ((shift + bytes.length) % 3) text = text.slice(0, -1);
    spellings.push(text, text.replace(/\+/g, '-').replace(/\//g, '_'));
  }
  return spellings;
}

/** How `secret` would look in a file: its UTF-8, UTF-16 (both byte orders) and base64 spellings. */
export function spellings(secret) {
  const utf8 = Buffer.from(secret, 'utf8');
  const utf16le = Buffer.from(secret, 'utf16le');
  const utf16be = Buffer.from(utf16le).swap16();
  return [
    ['UTF-8', utf8],
    ['UTF-16LE', utf16le],
    ['UTF-16BE', utf16be],
    ...base64Spellings(utf8).map((text) => ['base64', Buffer.from(text, 'latin1')]),
  ];
}

/**
 * Where `secret` occurs in `bytes`, in any of its spellings, also inside the entries of a zip
 * (inflated) and of zips within those: `['stack.xml: UTF-8', ...]`, empty when nowhere.
 */
export function findSecret(bytes, secret, where = 'bytes') {
  const buf = Buffer.from(bytes.buffer ?? bytes, bytes.byteOffset ?? 0, bytes.byteLength ?? bytes.length);
  const hits = spellings(secret).filter(([, needle]) => buf.includes(needle)).map(([how]) => `${where}: ${how}`);
  const isZip = buf.length >= 22 && buf.readUInt32LE(0) === 0x04034b50;
  if (isZip) {
    for (const entry of readZip(buf)) hits.push(...findSecret(entry.bytes, secret, `${where} → ${entry.name}`));
  }
  return [...new Set(hits)];
}

/** Runs `run()` with `server.expect` replaced by `expect`, then puts the old one back. */
export async function expecting(server, expect, run) {
  const saved = server.expect;
  server.expect = expect;
  try {
    return await run();
  } finally {
    server.expect = saved;
  }
}
