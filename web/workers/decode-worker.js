// Decodes an image file off the page's thread with the core's own decoder
// (`decodeImageFile`: upright by EXIF, ICC profile and EXIF kept) and hands
// the RGBA pixels back by transfer. One file per worker: the page starts a
// worker per opening and ends it after, so its memory goes with it.
import init, { decodeImageFile } from '../pkg/retouch.js';

const ready = init();

self.onmessage = async ({ data: { bytes } }) => {
  try {
    await ready;
    const decoded = decodeImageFile(new Uint8Array(bytes));
    try {
      const { width, height, iccProfile, exif } = decoded;
      const rgba = decoded.takeRgba();
      self.postMessage({ result: { width, height, rgba, iccProfile, exif } }, [rgba.buffer]);
    } finally {
      decoded.free();
    }
  } catch (error) {
    self.postMessage({ error: error instanceof Error ? error.message : String(error) });
  }
};
