// Offline support in the page: registers the service worker (./sw.js) that
// keeps the app usable without a network after the first visit, and shows an
// "Offline" badge while the browser has no network, so a user knows why the
// AI providers cannot be reached (offline tools keep working).

/**
 * @param {{ badge: HTMLElement, onChange?: (online: boolean) => void }} options
 * @returns {{ online: () => boolean, cached: Promise<boolean> }} `cached` resolves to
 *   true once the app's files are stored for offline use (false where service
 *   workers are unavailable, e.g. a file: URL or a browser that blocks them).
 */
export function installOffline({ badge, onChange }) {
  const show = () => {
    badge.hidden = navigator.onLine;
    onChange?.(navigator.onLine);
  };
  window.addEventListener('online', show);
  window.addEventListener('offline', show);
  show();
  return { online: () => navigator.onLine, cached: registerWorker() };
}

async function registerWorker() {
  if (!('serviceWorker' in navigator) || !window.isSecureContext) return false;
  try {
    await navigator.serviceWorker.register('./sw.js');
    await navigator.serviceWorker.ready;
    return true;
  } catch (error) {
    // Offline use is a bonus: the editor works without it.
    console.info('Retouch: offline use unavailable:', error?.message ?? error);
    return false;
  }
}
