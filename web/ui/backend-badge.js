// The engine badge in the top bar: "GPU" or "CPU", the adapter next to it,
// and why the engine runs where it does (Auto skips a software WebGPU adapter
// such as SwiftShader: it is slower than the CPU path). The words come from
// the core's engine fields (`backend`, `adapter`, `reason`, `reasonCode`);
// this module only puts them on the page.

/** Short badge notes for the core's reason codes (the full sentence goes in the titles). */
const NOTES = {
  'software-skipped': 'Auto: software GPU skipped',
  'no-adapter': 'Auto: no WebGPU',
  'cpu-requested': 'CPU chosen',
  'software-forced': 'software GPU, slow',
};

/**
 * Shows `engine` (or no engine) in the badge and the adapter label.
 * @param {{ backend: string, adapter: string, reason?: string, reasonCode?: string } | null} engine
 * @param {{ badge: HTMLElement, adapter: HTMLElement }} elements `#backend` and `#adapter`
 */
export function showBackend(engine, { badge, adapter }) {
  if (!engine) {
    badge.textContent = 'no engine';
    badge.dataset.backend = '';
    badge.dataset.reason = '';
    badge.title = '';
    adapter.textContent = '';
    adapter.title = '';
    return;
  }
  badge.textContent = engine.backend === 'gpu' ? 'GPU' : 'CPU';
  badge.dataset.backend = engine.backend;
  // Browsers do not name their WebGPU adapter; say what it is anyway.
  const reported = (engine.adapter ?? '').trim();
  const description = reported.startsWith('(') ? `WebGPU adapter ${reported}` : reported;
  const reason = (engine.reason ?? '').trim();
  const code = engine.reasonCode ?? '';
  badge.dataset.reason = code;
  const note = NOTES[code] ?? (reason ? 'see why' : '');
  // The badge's tooltip: what runs, then why; the label beside it: the
  // adapter, and the short note when there is a reason.
  badge.title = reason ? `${description}\n${reason}` : description;
  adapter.textContent = note ? `${description} · ${note}` : description;
  adapter.title = reason || description;
}
