// Decoding an image file without blocking the page: runs decode-worker.js
// once and resolves to { width, height, rgba: Uint8Array, iccProfile, exif }.

export function decodeInWorker(bytes) {
  const worker = new Worker(new URL('./decode-worker.js', import.meta.url), { type: 'module' });
  return new Promise((resolve, reject) => {
    worker.onmessage = ({ data: { result, error } }) => (error === undefined ? resolve(result) : reject(new Error(error)));
    worker.onerror = (event) => reject(new Error(`the image decoder failed: ${event.message ?? 'could not start'}`));
    worker.postMessage({ bytes });
  }).finally(() => worker.terminate());
}
