// A small 8-bit PNG encoder and decoder for the mock servers and the tests: the servers must look
// inside what the bridge sends (size, alpha channel, mask convention) and answer with real PNGs,
// and the bridge itself holds no pixel code to borrow.

import { deflateSync, inflateSync } from 'node:zlib';

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const CHANNELS = { 0: 1, 2: 3, 4: 2, 6: 4 }; // colour type → samples per pixel

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k += 1) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes) {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/** Encodes `pixels(x, y) → [samples]` as a PNG of colour type 0 (grey), 2, 4 or 6 (RGBA). */
export function encodePng(width, height, colorType, pixels) {
  const channels = CHANNELS[colorType];
  const raw = Buffer.alloc((width * channels + 1) * height);
  let o = 0;
  for (let y = 0; y < height; y += 1) {
    raw[o++] = 0; // filter: none
    for (let x = 0; x < width; x += 1) {
      const samples = pixels(x, y);
      for (let c = 0; c < channels; c += 1) raw[o++] = samples[c];
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  ihdr[9] = colorType;
  return new Uint8Array(Buffer.concat([
    SIGNATURE, chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0)),
  ]));
}

/** Decodes an 8-bit, non-interlaced PNG: `{width, height, colorType, channels, at(x, y)}`. */
export function decodePng(bytes) {
  const buf = Buffer.from(bytes);
  if (!buf.subarray(0, 8).equals(SIGNATURE)) throw new Error('not a PNG');
  let offset = 8;
  let header = null;
  const idat = [];
  while (offset < buf.length) {
    const length = buf.readUInt32BE(offset);
    const type = buf.toString('latin1', offset + 4, offset + 8);
    const data = buf.subarray(offset + 8, offset + 8 + length);
    if (type === 'IHDR') {
      header = { width: data.readUInt32BE(0), height: data.readUInt32BE(4), depth: data[8], colorType: data[9], interlace: data[12] };
    } else if (type === 'IDAT') idat.push(data);
    offset += 12 + length;
  }
  if (!header || header.depth !== 8 || header.interlace !== 0 || !(header.colorType in CHANNELS)) {
    throw new Error(`unsupported PNG ${JSON.stringify(header)}`);
  }
  const { width, height, colorType } = header;
  const channels = CHANNELS[colorType];
  const stride = width * channels;
  const raw = inflateSync(Buffer.concat(idat));
  const out = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y += 1) {
    const filter = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let i = 0; i < stride; i += 1) {
      const a = i >= channels ? out[y * stride + i - channels] : 0;
      const b = y > 0 ? out[(y - 1) * stride + i] : 0;
      const c = i >= channels && y > 0 ? out[(y - 1) * stride + i - channels] : 0;
      const predictor = [0, a, b, (a + b) >> 1, paeth(a, b, c)][filter];
      if (predictor === undefined) throw new Error(`bad PNG filter ${filter}`);
      out[y * stride + i] = (line[i] + predictor) & 0xff;
    }
  }
  return {
    width,
    height,
    colorType,
    channels,
    at: (x, y) => [...out.subarray((y * width + x) * channels, (y * width + x + 1) * channels)],
  };
}

function paeth(a, b, c) {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/** A deterministic opaque test picture. */
export function picture(width, height) {
  return encodePng(width, height, 6, (x, y) => [x % 256, y % 256, (x + y) % 256, 255]);
}

/** OpenAI's mask: alpha 0 inside `rect` (the region to edit), opaque elsewhere. */
export function alphaMask(width, height, rect) {
  return encodePng(width, height, 6, (x, y) => [0, 0, 0, inside(rect, x, y) ? 0 : 255]);
}

/** Stability's mask: white inside `rect` (the region to edit), black elsewhere. */
export function whiteMask(width, height, rect) {
  return encodePng(width, height, 0, (x, y) => [inside(rect, x, y) ? 255 : 0]);
}

function inside({ x, y, width, height }, px, py) {
  return px >= x && px < x + width && py >= y && py < y + height;
}
