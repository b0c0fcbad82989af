// "Generate fill": the selection, a prompt and a provider make new pixels for the selected
// region. The core plans the job (crop, sizes, mask convention) and ingests the answers into
// layers; the bridge (../bridge/) does the HTTP. This module only moves bytes between them,
// keeps the staging (the variants waiting to be accepted) and words the errors.
//
// API keys live in this module's memory. Only with the "remember on this device" opt-in is a
// key written, to localStorage; it never goes into a project, an autosave, an export, a URL or
// a log (the bridge scrubs it from provider messages too).

import * as openai from '../bridge/openai.js';
import * as gemini from '../bridge/gemini.js';
import * as stability from '../bridge/stability.js';
import * as mock from '../bridge/mock.js';
import { ProviderError } from '../bridge/errors.js';
import { createExtendMode } from './outpaint.js';

const MOCK_ID = 'retouch.provider.mock';
/** The core's offline Content-Aware Fill: no key, no network, no prompt; the default. */
const FILL_ID = 'retouch.fill.content-aware';
/** Choices in the order the select lists them; the offline fill first (the default), then the mock for tests. */
const ORDER = [FILL_ID, MOCK_ID, 'retouch.provider.openai', 'retouch.provider.gemini', 'retouch.provider.stability'];
const KEY_STORE = 'retouch.apiKey.';
const BASE_URL_STORE = 'retouch.baseUrl.';

/** What the page shows for each error kind, before the provider's own message. */
const KIND_LABELS = {
  auth: 'Authentication failed',
  rate_limit: 'Rate limited',
  content_blocked: 'Blocked by the provider’s content policy',
  payload_too_large: 'Request too large',
  network: 'Network error',
  timeout: 'Timed out',
  cancelled: 'Cancelled',
  bad_response: 'Unexpected answer',
  server: 'Provider error',
  local: 'Cannot generate',
};

/**
 * How each provider's bridge is called with a plan. `call(job)` gets
 * `{plan, imagePng, maskPng, referenceImages, prompt, model, n, seed, apiKey, baseUrl, signal, log}`
 * (`referenceImages`: PNG bytes, already capped to what the plan allows) and resolves to
 * `{images: [{bytes, seed?}]}`.
 */
function bridges(wasm, options) {
  return {
    // Not a provider: the core fills the selection itself (host.contentAwareFill), straight into a layer.
    [FILL_ID]: { label: 'Content-Aware Fill (offline)', needsKey: false, local: true },
    [MOCK_ID]: {
      label: 'Offline mock',
      needsKey: false,
      call: (job) =>
        mock.edit({
          image: job.imagePng,
          mask: job.maskPng,
          prompt: job.prompt,
          n: job.n,
          seed: job.seed ?? 1,
          synthesize: (image, mask, prompt, seed) => wasm.mockProviderAnswer(image, mask, prompt, seed),
          latencyMs: options.mockLatencyMs,
          signal: job.signal,
        }),
    },
    'retouch.provider.openai': {
      label: 'OpenAI',
      needsKey: true,
      defaultBaseUrl: openai.DEFAULT_BASE_URL,
      call: (job) =>
        openai.edit({
          apiKey: job.apiKey,
          baseUrl: job.baseUrl || undefined,
          model: job.model,
          image: job.imagePng,
          mask: job.maskPng ?? undefined,
          referenceImages: job.referenceImages,
          prompt: job.prompt,
          n: job.n,
          size: job.plan.size,
          quality: job.params.quality,
          inputFidelity: job.params.input_fidelity,
          outputFormat: 'png',
          signal: job.signal,
          policy: options.policy,
          log: job.log,
        }),
    },
    'retouch.provider.gemini': {
      label: 'Gemini',
      needsKey: true,
      defaultBaseUrl: gemini.DEFAULT_BASE_URL,
      call: (job) =>
        gemini.edit({
          apiKey: job.apiKey,
          baseUrl: job.baseUrl || undefined,
          model: job.model,
          image: job.imagePng,
          referenceImages: job.referenceImages,
          prompt: job.prompt,
          aspectRatio: job.plan.aspectRatio ?? undefined,
          n: job.n,
          signal: job.signal,
          policy: options.policy,
          log: job.log,
        }),
    },
    'retouch.provider.stability': {
      label: 'Stability',
      needsKey: true,
      defaultBaseUrl: stability.DEFAULT_BASE_URL,
      // An outpaint plan carries the side amounts of Stability's own outpaint endpoint.
      call: (job) =>
        (job.plan.outpaint?.native ? stability.outpaint : stability.inpaint)({
          ...job.plan.outpaint?.native,
          apiKey: job.apiKey,
          baseUrl: job.baseUrl || undefined,
          image: job.imagePng,
          mask: job.maskPng ?? undefined,
          prompt: job.prompt,
          seed: job.seed ?? undefined,
          n: job.n,
          outputFormat: 'png',
          signal: job.signal,
          policy: options.policy,
          log: job.log,
        }),
    },
  };
}

function storage() {
  try {
    return globalThis.localStorage ?? null;
  } catch {
    return null; // storage disabled (privacy mode, sandboxed iframe)
  }
}

function el(tag, props = {}, children = []) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === 'dataset') Object.assign(node.dataset, value);
    else if (key in node) node[key] = value;
    else node.setAttribute(key, value);
  }
  node.append(...children);
  return node;
}

/** How many of the brand kit's reference images a job sent, in words; null when it holds none. */
function referenceNote(held, sent, label) {
  if (!held) return null;
  let text = `${sent} of ${held} reference image${held === 1 ? '' : 's'} sent`;
  if (sent === 0) text += `; ${label} takes none`;
  else if (sent < held) text += `; ${label} takes ${sent}`;
  return { held, sent, text };
}

function formatSeconds(ms) {
  const s = ms / 1000;
  return s < 10 ? `${s.toFixed(1)} s` : `${Math.round(s)} s`;
}

/**
 * `host`: `{wasm: {manifests, planProviderJob, ingestProviderResult, planOutpaintJob,
 * ingestOutpaintResult, mockProviderAnswer, Image, Project}, snapshot(), accept(variant),
 * canRun(extend), setStatus(text, kind), download(bytes, name, type), activeLayerId()}`.
 * - `snapshot()` resolves to `{image: Image, selection: Mask | null, project}` (the composite and
 *   a copy of the selection; both are freed here).
 * - `brandKit(project)` (optional) returns what the brand kit attaches, `{kit, references}`, or
 *   null (see ./brandkit.js).
 * - `accept({layer, offsetX, offsetY, name, extend})` adds the layer in one history step (with
 *   `extend`, the plan's outpaint sides, the canvas grows in the same step); resolves to its id.
 */
export function createGeneratePanel(root, host) {
  const { wasm } = host;
  const options = { mockLatencyMs: 400, policy: undefined };
  const calls = bridges(wasm, options);
  const q = (selector) => root.querySelector(selector);
  const ui = {
    prompt: q('#gen-prompt'),
    provider: q('#gen-provider'),
    model: q('#gen-model'),
    key: q('#gen-key'),
    keyRow: q('#gen-key-row'),
    remember: q('#gen-remember'),
    baseUrl: q('#gen-base-url'),
    variants: q('#gen-variants'),
    feather: q('#gen-feather'),
    adaptation: q('#gen-adaptation'),
    patch: q('#gen-patch'),
    harmonise: q('#gen-harmonise'),
    run: q('#gen-run'),
    cancel: q('#gen-cancel'),
    progress: q('#gen-progress'),
    progressText: q('#gen-progress-text'),
    error: q('#gen-error'),
    staging: q('#gen-staging'),
    variantsHost: q('#gen-variants-list'),
    discard: q('#gen-discard'),
    provenance: q('#gen-provenance'),
    description: q('#gen-description'),
  };

  const extendMode = createExtendMode(root, () => refresh());
  const providers = new Map(); // id -> manifest
  const keys = new Map(); // id -> key, memory only
  const baseUrls = new Map(); // id -> base URL override
  /** The run in progress: {controller, promise}. */
  let current = null;
  /** The staged variants: {image, selection, project, plan, results: [ingested]}. */
  let staged = null;
  /** Provenance JSON of accepted layers, by layer id. */
  const provenance = new Map();
  let lastAccepted = null;
  let lastError = null;

  // ------------------------------------------------------------ providers and fields

  for (const manifest of wasm.manifests()) {
    if ((manifest.kind === 'provider' || manifest.kind === 'fill') && calls[manifest.id]) providers.set(manifest.id, manifest);
  }
  const ids = [...providers.keys()].sort((a, b) => ORDER.indexOf(a) - ORDER.indexOf(b));
  for (const id of ids) {
    ui.provider.append(el('option', { value: id, textContent: calls[id].label, title: providers.get(id).description ?? '' }));
  }
  ui.provider.value = providers.has(FILL_ID) ? FILL_ID : ids[0];

  const store = storage();
  for (const id of ids) {
    const key = store?.getItem(KEY_STORE + id);
    if (key) keys.set(id, key);
    const url = store?.getItem(BASE_URL_STORE + id);
    if (url) baseUrls.set(id, url);
  }

  function param(manifest, id) {
    return manifest.params?.find((p) => p.id === id) ?? null;
  }

  function showProvider() {
    const id = ui.provider.value;
    const manifest = providers.get(id);
    const bridge = calls[id];
    const models = param(manifest, 'model')?.values ?? (manifest.capabilities?.models ?? []).map((m) => ({ value: m, label: m }));
    ui.model.replaceChildren(...models.map((m) => el('option', { value: m.value, textContent: m.label })));
    const preferred = param(manifest, 'model')?.default;
    if (preferred) ui.model.value = preferred;
    ui.model.disabled = models.length <= 1;
    const variants = param(manifest, 'variants');
    ui.variants.max = String(variants?.max ?? manifest.capabilities?.variants_per_call ?? 1);
    if (Number(ui.variants.value) > Number(ui.variants.max)) ui.variants.value = ui.variants.max;
    ui.keyRow.hidden = !bridge.needsKey;
    ui.key.value = keys.get(id) ?? '';
    ui.remember.checked = Boolean(store?.getItem(KEY_STORE + id));
    ui.baseUrl.value = baseUrls.get(id) ?? '';
    ui.baseUrl.placeholder = bridge.defaultBaseUrl ?? '';
    ui.baseUrl.disabled = !bridge.defaultBaseUrl;
    ui.description.textContent = manifest.description ?? '';
    root.dataset.local = String(Boolean(bridge.local));
    const adaptation = param(manifest, 'color_adaptation');
    ui.adaptation.replaceChildren(...(adaptation?.values ?? []).map((v) => el('option', { value: v.value, textContent: v.label })));
    if (adaptation) ui.adaptation.value = adaptation.default;
    const patch = param(manifest, 'patch');
    if (patch) Object.assign(ui.patch, { min: String(patch.min), max: String(patch.max), step: String(patch.step), value: String(patch.default) });
    refresh();
  }

  ui.provider.addEventListener('change', showProvider);
  ui.key.addEventListener('input', () => {
    const id = ui.provider.value;
    const key = ui.key.value.trim();
    if (key) keys.set(id, key);
    else keys.delete(id);
    if (ui.remember.checked) remember(id, key);
  });
  ui.remember.addEventListener('change', () => remember(ui.provider.value, ui.remember.checked ? keys.get(ui.provider.value) ?? '' : null));
  ui.baseUrl.addEventListener('input', () => {
    const id = ui.provider.value;
    const url = ui.baseUrl.value.trim();
    if (url) baseUrls.set(id, url);
    else baseUrls.delete(id);
    try {
      if (url) store?.setItem(BASE_URL_STORE + id, url);
      else store?.removeItem(BASE_URL_STORE + id);
    } catch {
      // storage full or refused: the URL stays for this session
    }
  });

  /** Stores the key (opt-in), or forgets it with null / ''. */
  function remember(id, key) {
    try {
      if (key) store?.setItem(KEY_STORE + id, key);
      else store?.removeItem(KEY_STORE + id);
    } catch {
      // storage refused: the key stays in memory only
    }
  }

  // ------------------------------------------------------------ state shown

  function refresh() {
    const running = Boolean(current);
    const extending = extendMode.active();
    const ready = host.canRun(extending) && (!extending || extendMode.any());
    ui.run.disabled = running || !ready;
    ui.run.title = extending
      ? ready ? 'Extend the canvas (Ctrl+Enter in the prompt)' : 'Open an image and give at least one side a pixel amount first'
      : ready ? 'Fill the selection (Ctrl+Enter in the prompt)' : 'Open an image and select the region to fill first';
    if (host.onReady) host.onReady(ready && !running);
    ui.cancel.disabled = !running;
    ui.progress.hidden = !running;
    ui.progressText.hidden = !running && !ui.progressText.textContent;
    for (const field of [ui.prompt, ui.provider, ui.variants, ui.feather, ui.harmonise]) field.disabled = running;
    extendMode.setDisabled(running);
    ui.staging.hidden = !staged;
    const id = host.activeLayerId();
    ui.provenance.disabled = !provenanceTarget();
    root.dataset.state = running ? 'running' : staged ? 'staged' : lastError ? 'error' : 'idle';
  }

  function progress(text, value = null) {
    ui.progressText.textContent = text;
    if (value === null) ui.progress.removeAttribute('value');
    else ui.progress.value = value;
  }

  function showError(error) {
    const kind = error instanceof ProviderError ? error.kind : 'local';
    const message = error instanceof Error ? error.message : String(error);
    lastError = {
      kind,
      message,
      status: error?.status ?? null,
      provider: error?.provider ?? null,
      code: error?.code ?? null,
      retryAfterMs: error?.retryAfterMs ?? null,
    };
    let text = `${KIND_LABELS[kind] ?? kind}: ${message}`;
    if (kind === 'rate_limit' && lastError.retryAfterMs !== null) text += ` Try again in ${formatSeconds(lastError.retryAfterMs)}.`;
    ui.error.textContent = text;
    ui.error.dataset.kind = kind;
    ui.error.hidden = false;
    host.setStatus(kind === 'cancelled' ? 'Generation cancelled: the document is unchanged' : `Generation failed (the document is unchanged): ${text}`, kind === 'cancelled' ? 'info' : 'error');
  }

  function clearError() {
    lastError = null;
    ui.error.hidden = true;
    ui.error.textContent = '';
    delete ui.error.dataset.kind;
  }

  // ------------------------------------------------------------ staging

  function discard() {
    if (!staged) return;
    host.preview(null);
    for (const result of staged.results) result.layer.free();
    staged.image.free();
    staged.selection?.free();
    staged = null;
    ui.variantsHost.replaceChildren();
    refresh();
  }

  /** The crop with the variant's layer over it, composited by the core, for the thumbnail. */
  function preview(image, result) {
    const { offsetX: x, offsetY: y } = result;
    const { width, height } = result.layer;
    // An outpaint's offsets are on the extended canvas, where the old picture moved by its sides.
    const shift = result.extend ?? { left: 0, top: 0 };
    const draft = new wasm.Project(width, height);
    try {
      draft.addLayer(image, { name: 'original', x: shift.left - x, y: shift.top - y });
      draft.addLayer(result.layer, { name: 'fill', x: 0, y: 0 });
      draft.renderCpu();
      return { width, height, data: draft.compositeRegion(0, 0, width, height) };
    } finally {
      draft.free();
    }
  }

  function showStaging() {
    ui.variantsHost.replaceChildren();
    staged.results.forEach((result, index) => {
      const canvas = el('canvas', { className: 'gen-thumb' });
      let shown = null;
      try {
        shown = preview(staged.image, result);
        const { width, height, data } = shown;
        canvas.width = width;
        canvas.height = height;
        canvas.getContext('2d').putImageData(new ImageData(new Uint8ClampedArray(data.buffer, data.byteOffset, data.byteLength), width, height), 0, 0);
      } catch (error) {
        canvas.title = `No preview: ${error.message ?? error}`;
      }
      const { edgeDeltaE, edgeDeltaERaw, insideDeltaE, changedOutside, visibleSeam } = result.metrics;
      const metric = el('div', {
        className: 'gen-metric',
        title: 'Seam: median CIEDE2000 by which the colour step across the selection’s edge exceeds the picture’s own step there (as returned in brackets); inside: median difference from the original; and the pixels changed outside the feathered mask (must be 0)',
      });
      metric.append(
        el('span', { className: 'gen-seam', textContent: `Seam ΔE ${edgeDeltaE.toFixed(2)}` }),
        el('span', { className: 'gen-raw', textContent: ` (raw ${(edgeDeltaERaw ?? edgeDeltaE).toFixed(1)})` }),
        visibleSeam ? el('span', { className: 'gen-visible', textContent: ' visible seam' }) : '',
        el('br'),
        el('span', { className: 'gen-inside', textContent: `Inside ΔE ${insideDeltaE.toFixed(1)} · ` }),
        el('span', { className: 'gen-outside', textContent: `Outside mask: ${changedOutside} px` }),
      );
      metric.dataset.ok = String(changedOutside === 0);
      const accept = el('button', { type: 'button', className: 'small primary', textContent: 'Accept', title: `Add variant ${index + 1} as a new layer` });
      accept.dataset.variant = String(index);
      accept.addEventListener('click', () => acceptVariant(index).catch((error) => showError(error)));
      const figure = el('figure', { className: 'gen-variant', dataset: { variant: String(index) }, title: 'Point at a variant to preview it on the canvas' }, [canvas, el('figcaption', {}, [metric, accept])]);
      // Pointing at (or tabbing to) a variant shows it on the canvas; display only.
      // An outpaint's variant lies (partly) outside the current canvas: thumbnail only.
      const show = () => shown && !result.extend && host.preview({ x: result.offsetX, y: result.offsetY, ...shown });
      const hide = () => host.preview(null);
      figure.addEventListener('pointerenter', show);
      figure.addEventListener('pointerleave', hide);
      figure.addEventListener('focusin', show);
      figure.addEventListener('focusout', hide);
      ui.variantsHost.append(figure);
    });
    refresh();
    // The variants come below the form, often below the fold: bring them and their Accept into view.
    ui.staging.scrollIntoView({ block: 'nearest' });
  }

  async function acceptVariant(index) {
    if (!staged) throw new Error('no variants are staged');
    const result = staged.results[index];
    if (!result) throw new Error(`there is no variant ${index + 1}`);
    if (!host.isCurrent(staged.project)) throw new Error('the document changed since these variants were made; run again');
    const id = await host.accept(result);
    provenance.set(id, result.provenanceJson);
    lastAccepted = { id, json: result.provenanceJson, name: result.name };
    discard();
    const added = result.extend ? 'Extended the canvas with' : 'Added';
    host.setStatus(`${added} “${result.name}” as a new layer (seam ΔE ${result.metrics.edgeDeltaE.toFixed(2)})`, 'ok');
    refresh();
    return id;
  }

  /** The active layer if it was generated, else the last accepted one while it exists. */
  function provenanceTarget() {
    const id = host.activeLayerId();
    const saved = id === null ? null : host.provenance(id);
    if (saved) return { id, json: saved };
    if (provenance.has(id) && host.layerName(id) !== null) return { id, json: provenance.get(id) };
    if (lastAccepted && host.layerName(lastAccepted.id) !== null) return lastAccepted;
    return null;
  }

  function downloadProvenance() {
    const target = provenanceTarget();
    if (!target) throw new Error('no generated layer has provenance to download');
    const name = host.layerName(target.id) || 'layer';
    host.download(new TextEncoder().encode(target.json), `${name.replace(/[^\w.-]+/g, '-')}.provenance.json`, 'application/json');
  }

  // ------------------------------------------------------------ running

  function request() {
    const id = ui.provider.value;
    const manifest = providers.get(id);
    const params = {};
    for (const p of manifest.params ?? []) if (p.default !== undefined) params[p.id] = p.default;
    return {
      id,
      manifest,
      params,
      prompt: ui.prompt.value.trim(),
      model: ui.model.value || undefined,
      variants: Math.max(1, Math.min(Number(ui.variants.max) || 1, Math.trunc(Number(ui.variants.value) || 1))),
      feather: Math.max(0, Number(ui.feather.value) || 0),
      harmonise: ui.harmonise.checked,
      apiKey: keys.get(id) ?? '',
      baseUrl: baseUrls.get(id) ?? '',
    };
  }

  async function execute(controller) {
    const req = request();
    const extending = extendMode.active();
    if (!req.prompt && !extending) throw new Error('type a prompt first: what should be in the selection?');
    if (calls[req.id].needsKey && !req.apiKey) {
      throw new ProviderError({ kind: 'auth', provider: req.id, message: `Enter your ${calls[req.id].label} API key (or use the offline mock).`, retryable: false });
    }
    if (calls[req.id].needsKey && !navigator.onLine) {
      throw new ProviderError({ kind: 'network', provider: req.id, message: `You are offline: ${calls[req.id].label} needs the network. Everything else works offline.`, retryable: true });
    }
    progress(extending ? 'Preparing the new canvas area…' : 'Preparing the selection…');
    const { image, selection, project } = await host.snapshot();
    let results = [];
    try {
      if (!selection && !extending) throw new Error('select the region to fill first');
      const brand = host.brandKit?.(project) ?? null;
      const attached = { brandKit: brand?.kit, referenceImages: brand?.references.length ?? 0 };
      const job = extending
        ? wasm.planOutpaintJob(req.id, image, { prompt: req.prompt, model: req.model, variants: req.variants, ...extendMode.sides(), ...attached })
        : wasm.planProviderJob(req.id, image, selection, {
          prompt: req.prompt,
          model: req.model,
          feather: req.feather,
          variants: req.variants,
          ...attached,
        });
      const { plan } = job;
      const label = calls[req.id].label;
      const referenceImages = brand ? brand.references.slice(0, plan.referenceImages) : [];
      const references = referenceNote(brand?.references.length ?? 0, referenceImages.length, label);
      const images = [];
      for (let call = 0; images.length < plan.variants; call += 1) {
        const n = Math.min(plan.variantsPerCall, plan.variants - images.length);
        progress(`Asking ${label} (${plan.width}×${plan.height})${plan.calls > 1 ? `, call ${call + 1} of ${plan.calls}` : ''}…`, plan.calls > 1 ? call / plan.calls : null);
        const answer = await calls[req.id].call({
          plan,
          params: req.params,
          imagePng: job.imagePng,
          maskPng: job.maskPng,
          referenceImages,
          prompt: plan.prompt,
          model: plan.model,
          n,
          seed: plan.seed ?? (req.id === MOCK_ID ? 1 + images.length : undefined),
          apiKey: req.apiKey,
          baseUrl: req.baseUrl,
          signal: controller.signal,
          // Events carry no header, body or key: only the attempt count is shown.
          log: (event) => {
            if (event.event === 'retry') progress(`${label} asked to wait (${event.kind}); retrying in ${formatSeconds(event.delayMs)}…`);
          },
        });
        if (!answer.images.length) throw new ProviderError({ kind: 'bad_response', provider: req.id, message: `${label} returned no image.` });
        images.push(...answer.images.slice(0, n));
        if (controller.signal.aborted) break;
      }
      if (controller.signal.aborted) throw new ProviderError({ kind: 'cancelled', provider: req.id, message: 'Cancelled by the user.' });
      progress('Matching colours and compositing…', 1);
      const createdAt = new Date().toISOString();
      for (const [variant, answer] of images.entries()) {
        const how = { createdAt, variant, seed: answer.seed ?? plan.seed ?? undefined, harmonise: req.harmonise };
        const ingested = plan.outpaint
          ? { ...wasm.ingestOutpaintResult(image, plan, answer.bytes, how), extend: plan.outpaint }
          : wasm.ingestProviderResult(image, selection, plan, answer.bytes, how);
        results.push(ingested);
      }
      return { image, selection, project, plan, results, references };
    } catch (error) {
      for (const result of results) result.layer.free();
      results = [];
      image.free();
      selection?.free();
      throw error;
    }
  }

  /** The offline fill: the core fills the selection and adds the layer in one step (no staging). */
  async function fillLocally() {
    const req = request();
    if (extendMode.active()) throw new Error('Content-Aware Fill fills a selection; choose a provider to extend the canvas');
    progress('Filling the selection from the rest of the image…');
    // The core checks the patch size (odd, 3–21) and refuses, changing nothing, with its reason.
    const patch = ui.patch.value === '' ? req.params.patch : Number(ui.patch.value);
    const id = await host.contentAwareFill({ patch, seed: req.params.seed, colorAdaptation: ui.adaptation.value || req.params.color_adaptation });
    lastAccepted = { id, json: host.provenance(id), name: 'Content-Aware Fill' };
    ui.progressText.textContent = '';
    host.setStatus('Added “Content-Aware Fill” as a new layer', 'ok');
  }

  /** Runs a generation; resolves when it ended (staged, failed or cancelled). */
  function run() {
    if (current) return current.promise;
    discard();
    clearError();
    const controller = new AbortController();
    const promise = (async () => {
      try {
        if (calls[ui.provider.value].local) {
          await fillLocally();
          return;
        }
        const result = await execute(controller);
        // Cancelled at the last moment, or another document was opened meanwhile.
        if (controller.signal.aborted || !host.isCurrent(result.project)) {
          for (const r of result.results) r.layer.free();
          result.image.free();
          result.selection?.free();
          throw controller.signal.aborted
            ? new ProviderError({ kind: 'cancelled', message: 'Cancelled by the user.' })
            : new Error('another document was opened while the provider worked; the variants were dropped');
        }
        staged = result;
        ui.progressText.textContent = '';
        showStaging();
        const sent = result.references ? ` (${result.references.text})` : '';
        host.setStatus(`${result.results.length} variant${result.results.length === 1 ? '' : 's'} ready${sent}: accept one to add it as a layer, or discard`, 'ok');
      } catch (error) {
        ui.progressText.textContent = '';
        showError(error);
      } finally {
        current = null;
        refresh();
      }
    })();
    current = { controller, promise };
    refresh();
    return promise;
  }

  function cancel() {
    if (!current) return;
    progress('Cancelling…');
    current.controller.abort();
  }

  ui.run.addEventListener('click', () => run());
  ui.cancel.addEventListener('click', cancel);
  ui.discard.addEventListener('click', () => {
    discard();
    host.setStatus('Discarded the variants', 'info');
  });
  ui.provenance.addEventListener('click', () => {
    try {
      downloadProvenance();
    } catch (error) {
      showError(error);
    }
  });
  ui.prompt.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      if (!ui.run.disabled) run();
    }
  });

  showProvider();

  return {
    /** Brings the panel into view with the prompt focused. */
    focus() {
      root.scrollIntoView({ block: 'start', behavior: 'smooth' });
      ui.prompt.focus({ preventScroll: true });
    },
    refresh,
    run,
    cancel,
    discard,
    accept: acceptVariant,
    /** The document was replaced: staged variants no longer fit it. */
    documentChanged() {
      if (staged && !host.isCurrent(staged.project)) discard();
      refresh();
    },
    /** Test and host settings: `{mockLatencyMs, policy}` (the bridge's retry policy). */
    setOptions(patch) {
      Object.assign(options, patch);
    },
    /** What the panel shows, as data (never the key). */
    state() {
      return {
        running: Boolean(current),
        provider: ui.provider.value,
        error: lastError ? { ...lastError } : null,
        variants: staged
          ? staged.results.map((r) => ({ name: r.name, offsetX: r.offsetX, offsetY: r.offsetY, width: r.layer.width, height: r.layer.height, metrics: { ...r.metrics }, provenance: r.provenance, extend: r.extend ?? null }))
          : [],
        plan: staged ? { ...staged.plan } : null,
        references: staged?.references ? { ...staged.references } : null,
        lastAccepted: lastAccepted ? { id: lastAccepted.id, name: lastAccepted.name } : null,
      };
    },
    /** Resolves when the running generation (there is at most one) has ended. */
    settled: () => current?.promise ?? Promise.resolve(),
    /** A generated layer's provenance: a provider result's as accepted, else the document's (the offline fill's). */
    provenanceJson: (id) => provenance.get(id) ?? host.provenance(id),
  };
}
