// A small 8-bit PNG encoder and decoder for the mock servers and the tests: the servers must look
// inside what the bridge sends (size, alpha channel, mask convention) and answer with real PNGs,
// and the bridge itself holds no pixel code to borrow.

import { deflateSync, inflateSync } from 'node:zlib';

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const CHANNELS = { 0: 1, 2: 3, 4: 2, 6: 4 }; // colour type → samples per pixel

const CRC_TABLE = Int32Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k += 1) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c;
});

/** CRC-32 (PNG chunks, zip entries); node:zlib has one only from Node 20.15. */
export function crc32(bytes) {
  let c = -1;
  for (let i = 0; i < bytes.length; i += 1) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}

/** Encodes `samples` (rows of `width × channels` bytes, top to bottom) as a PNG of `colorType`. */
export function encodeSamples(width, height, colorType, samples) {
  const channels = CHANNELS[colorType];
  const stride = width * channels;
  if (samples.length !== stride * height) throw new Error(`${samples.length} samples for ${width}x${height}x${channels}`);
  const raw = Buffer.alloc((stride + 1) * height); // filter byte 0 (none) before each row
  for (let y = 0; y < height; y += 1) raw.set(samples.subarray(y * stride, (y + 1) * stride), y * (stride + 1) + 1);
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  ihdr[9] = colorType;
  return new Uint8Array(Buffer.concat([
    SIGNATURE, chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0)),
  ]));
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
  const samples = new Uint8Array(width * height * channels);
  let o = 0;
  for (let y = 0; y < height; y += 1) {
    for (let x = 0; x < width; x += 1) {
      const values = pixels(x, y);
      for (let c = 0; c < channels; c += 1) samples[o++] = values[c];
    }
  }
  return encodeSamples(width, height, colorType, samples);
}

/**
 * Decodes an 8-bit, non-interlaced PNG: `{width, height, colorType, channels, samples, at(x, y)}`
 * (`samples`: the unfiltered rows, `width × channels` bytes each).
 */
export function decodePng(bytes) {
  const buf = Buffer.from(bytes.buffer ?? bytes, bytes.byteOffset ?? 0, bytes.byteLength ?? bytes.length);
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
  if (raw.length < (stride + 1) * height) throw new Error(`PNG data is short: ${raw.length} bytes for ${width}x${height}`);
  const out = new Uint8Array(stride * height);
  for (let y = 0; y < height; y += 1) {
    const filter = raw[y * (stride + 1)];
    const line = y * (stride + 1) + 1;
    const row = y * stride;
    const up = row - stride; // the previous row; only read when y > 0
    switch (filter) {
      case 0:
        out.set(raw.subarray(line, line + stride), row);
        break;
      case 1:
        for (let i = 0; i < stride; i += 1) out[row + i] = (raw[line + i] + (i >= channels ? out[row + i - channels] : 0)) & 0xff;
        break;
      case 2:
        for (let i = 0; i < stride; i += 1) out[row + i] = (raw[line + i] + (y > 0 ? out[up + i] : 0)) & 0xff;
        break;
      case 3:
        for (let i = 0; i < stride; i += 1) {
          const a = i >= channels ? out[row + i - channels] : 0;
          const b = y > 0 ? out[up + i] : 0;
          out[row + i] = (raw[line + i] + ((a + b) >> 1)) & 0xff;
        }
        break;
      case 4:
        for (let i = 0; i < stride; i += 1) {
          const a = i >= channels ? out[row + i - channels] : 0;
          const b = y > 0 ? out[up + i] : 0;
          const c = i >= channels && y > 0 ? out[up + i - channels] : 0;
          out[row + i] = (raw[line + i] + paeth(a, b, c)) & 0xff;
        }
        break;
      default:
        throw new Error(`bad PNG filter ${filter}`);
    }
  }
  return {
    width,
    height,
    colorType,
    channels,
    samples: out,
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

const pictures = new Map();

/** A deterministic opaque test picture (a fresh copy each call; encoded once per size). */
export function picture(width, height) {
  const key = `${width}x${height}`;
  if (!pictures.has(key)) pictures.set(key, encodePicture(width, height));
  return pictures.get(key).slice();
}

function encodePicture(width, height) {
  const rgba = new Uint8Array(width * height * 4);
  for (let y = 0, o = 0; y < height; y += 1) {
    for (let x = 0; x < width; x += 1, o += 4) {
      rgba[o] = x % 256;
      rgba[o + 1] = y % 256;
      rgba[o + 2] = (x + y) % 256;
      rgba[o + 3] = 255;
    }
  }
  return encodeSamples(width, height, 6, rgba);
}

/** OpenAI's mask: alpha 0 inside `rect` (the region to edit), opaque elsewhere. */
export function alphaMask(width, height, rect) {
  const rgba = new Uint8Array(width * height * 4);
  for (let y = 0, o = 3; y < height; y += 1) {
    for (let x = 0; x < width; x += 1, o += 4) rgba[o] = inside(rect, x, y) ? 0 : 255;
  }
  return encodeSamples(width, height, 6, rgba);
}

/** Stability's mask: white inside `rect` (the region to edit), black elsewhere. */
export function whiteMask(width, height, rect) {
  const grey = new Uint8Array(width * height);
  for (let y = 0, o = 0; y < height; y += 1) {
    for (let x = 0; x < width; x += 1, o += 1) grey[o] = inside(rect, x, y) ? 255 : 0;
  }
  return encodeSamples(width, height, 0, grey);
}

/**
 * The same mask in the opposite convention: every coverage sample `v` becomes `255 - v` (the
 * alpha of an RGBA or grey+alpha mask, the grey of a greyscale one); size, colour type and the
 * other samples stay as they are. What a bridge or plan with the convention backwards would send.
 */
export function invertMask(png) {
  const mask = decodePng(png);
  const samples = Uint8Array.from(mask.samples);
  const coverage = mask.channels === 2 || mask.channels === 4 ? mask.channels - 1 : 0;
  for (let i = coverage; i < samples.length; i += mask.channels) samples[i] = 255 - samples[i];
  return encodeSamples(mask.width, mask.height, mask.colorType, samples);
}

function inside({ x, y, width, height }, px, py) {
  return px >= x && px < x + width && py >= y && py < y + height;
}
