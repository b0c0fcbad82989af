// Files in and out of the page: what a drag carries, reading a picked file,
// and handing bytes to the user as a download. No decoding here: the core
// decodes and encodes every image and project.

import { checkInputSize, inputPrefixBytes } from '../pkg/retouch.js';

/** Whether a drag event carries files (not text or a layer row). */
export function hasFiles(event) {
  return Array.from(event.dataTransfer?.types ?? []).includes('Files');
}

/** Offers `bytes` as a download named `name`. */
export function download(bytes, name, type) {
  const url = URL.createObjectURL(new Blob([bytes], { type }));
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Asks the user for one file (`accept`: the picker's filter); resolves to it, or null when cancelled. */
export function chooseFile(accept) {
  const input = document.createElement('input');
  input.type = 'file';
  input.accept = accept;
  return new Promise((resolve) => {
    input.addEventListener('change', () => resolve(input.files?.[0] ?? null));
    input.addEventListener('cancel', () => resolve(null));
    input.click();
  });
}

/**
 * Reads a picked or dropped file whole, after the core has checked its first
 * bytes and its length (`checkInputSize`, as the CLI does): a file that is not
 * an image or project, or larger than its header's size makes plausible, is
 * refused with its name before it is read, and nothing changes.
 */
export async function readChecked(file) {
  const prefix = new Uint8Array(await file.slice(0, inputPrefixBytes()).arrayBuffer());
  try {
    checkInputSize(prefix, file.size);
  } catch (error) {
    throw new Error(`${file.name}: ${error.message}`);
  }
  return new Uint8Array(await file.arrayBuffer());
}

export function toBytes(data) {
  if (data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (Array.isArray(data)) return Uint8Array.from(data);
  throw new TypeError('expected bytes (Uint8Array or ArrayBuffer)');
}

export function formatBytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

/** "photo.final.png" → "photo.final". */
export function stem(name) {
  return (name || 'untitled').replace(/\.[^.]+$/, '') || 'untitled';
}

/** The export's file name: "photo-retouched.jpg", or "photo-retouched-2048px.jpg" at another size. */
export function exportFileName(base, ext, longEdge) {
  return `${base}-retouched${longEdge ? `-${longEdge}px` : ''}.${ext}`;
}
