// Service worker: the editor works offline after the first visit. Install
// precaches every file of the app (the list ./pkg/precache.json is written by
// `./build.sh build`, so new modules are never forgotten); requests for the
// app's own files then go to the network first, so an update shows on the
// next visit, and fall back to the cache when the network is away. Requests
// to other origins (AI providers) are not touched: they need the network.

const CACHE = 'retouch-app';

self.addEventListener('install', (event) => {
  event.waitUntil(
    (async () => {
      const response = await fetch('./pkg/precache.json', { cache: 'no-store' });
      if (!response.ok) throw new Error(`precache list: HTTP ${response.status}`);
      const { files } = await response.json();
      const cache = await caches.open(CACHE);
      await cache.addAll(files.map((file) => new Request(file, { cache: 'no-store' })));
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(self.clients.claim());
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET' || new URL(request.url).origin !== self.location.origin) return;
  event.respondWith(networkFirst(request));
});

async function networkFirst(request) {
  try {
    const response = await fetch(request);
    if (response.ok && response.type === 'basic') {
      const copy = response.clone();
      caches.open(CACHE).then((cache) => cache.put(request, copy)).catch(() => {});
    }
    return response;
  } catch (error) {
    // Offline: the page may carry a query (?backend=cpu); the cached file does not.
    const cached = await caches.match(request, { ignoreSearch: true });
    if (cached) return cached;
    throw error;
  }
}
