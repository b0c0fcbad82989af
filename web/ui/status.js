// The status bar and error toasts: what the last action did, and failures
// shown where the user looks (a toast over the view) as well as in the bar.

const TOAST_MS = 6000;

/** @param {{ bar: HTMLElement, toasts: HTMLElement }} parts */
export function createStatus({ bar, toasts }) {
  function set(text, kind = 'info') {
    bar.textContent = text;
    bar.dataset.kind = kind;
    bar.classList.toggle('error', kind === 'error');
    bar.setAttribute('role', kind === 'error' ? 'alert' : 'status');
  }

  function toast(text) {
    const item = document.createElement('div');
    item.className = 'toast';
    item.setAttribute('role', 'alert');
    item.textContent = text;
    const close = document.createElement('button');
    close.type = 'button';
    close.className = 'toast-close';
    close.setAttribute('aria-label', 'Dismiss');
    close.textContent = '×';
    close.addEventListener('click', () => item.remove());
    item.append(close);
    toasts.append(item);
    setTimeout(() => item.remove(), TOAST_MS);
  }

  return {
    set,
    /** Shows a failure: "label: message" in the bar and a toast. */
    error(label, error) {
      const message = error instanceof Error ? error.message : String(error);
      const text = label ? `${label}: ${message}` : message;
      set(text, 'error');
      toast(text);
      console.error(label ?? 'Retouch', error);
    },
  };
}
