// The Plugins dialog: install a .retouchplugin from a file or by dropping it,
// see what it is (version, author, permissions, limits) before confirming,
// and enable, disable or remove installed plugins; the built-in operations are
// listed too. Every button runs a `plugins.*` command.

import { hasFiles } from './files.js';

/** The largest bundle the core accepts; bigger files are refused before they are read. */
const MAX_BUNDLE_BYTES = 16 << 20;

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/** Where a filter runs, by its manifest's entry: its WGSL shader on WebGPU, its module on the CPU. */
function runsOn(manifest) {
  const { type, shader } = manifest.entry;
  if (type === 'wgsl') return 'WebGPU only (WGSL)';
  if (type === 'wasm') return shader ? 'WebGPU (WGSL) or CPU (WebAssembly)' : 'CPU (WebAssembly)';
  return null;
}

/** The memory limit as shown: a shader-only plugin has no module memory. */
const memoryText = (limits) => (limits.memoryMiB === null ? 'no module memory (WebGPU only)' : `${limits.memoryMiB} MiB`);

/** "Filter · 10 s · 4 MiB · no network" for a manifest and its host limits. */
function facts(manifest, limits) {
  const network = manifest.permissions?.network ?? [];
  return [
    manifest.kind[0].toUpperCase() + manifest.kind.slice(1),
    limits && `time limit ${limits.timeoutMs >= 1000 ? `${limits.timeoutMs / 1000} s` : `${limits.timeoutMs} ms`}`,
    limits && `memory ${memoryText(limits)}`,
    limits && runsOn(manifest),
    network.length ? `network: ${network.join(', ')}` : 'no network',
  ].filter(Boolean);
}

/**
 * An <img> of a plugin's icon (a blank square when it has none). The bytes go through a blob:
 * URL into an <img>, where an SVG is a picture only: no script runs and nothing is fetched.
 * `urls` collects the URLs so the next render can revoke them.
 */
function iconImage(icon, urls) {
  const img = el('img', 'plugin-icon');
  img.alt = '';
  img.width = img.height = 32;
  if (icon) {
    const url = URL.createObjectURL(new Blob([icon.bytes], { type: icon.type }));
    urls.push(url);
    img.src = url;
  } else {
    img.classList.add('none');
  }
  return img;
}

/** A closed "README" disclosure with the README as plain text (never as HTML). */
function readmeBlock(readme) {
  const details = el('details', 'plugin-readme');
  details.append(el('summary', '', 'README'), el('pre', '', readme));
  return details;
}

/** Reads a dropped or picked bundle, refusing one above the size cap before reading it. */
export async function readBundleFile(file) {
  if (file.size > MAX_BUNDLE_BYTES) {
    throw new Error(`${file.name} is ${file.size} bytes, above the 16 MiB limit for a plugin bundle`);
  }
  return new Uint8Array(await file.arrayBuffer());
}

/**
 * @param {{ library: object, dialog: HTMLDialogElement, invoke: (id: string, args?: object) => Promise }} options
 */
export function createPluginManager({ library, dialog, invoke }) {
  const $ = (selector) => dialog.querySelector(selector);
  /** Runs a row's command; a failure is shown in the dialog. */
  const act = (id, args) => invoke(id, args).catch((error) => showError(error));
  /** The bundle waiting for the user's confirmation: { bytes, fileName, manifest, limits, icon, readme, replaces }. */
  let pending = null;
  /** The icons' blob: URLs shown now, by where: revoked when that part is drawn again. */
  const iconUrls = { pending: [], list: [] };
  const revoke = (where) => iconUrls[where].splice(0).forEach((url) => URL.revokeObjectURL(url));

  function showError(error) {
    $('.plugins-error').textContent = error ? error.message ?? String(error) : '';
  }

  function renderPending() {
    const card = $('.plugins-confirm');
    card.hidden = !pending;
    revoke('pending');
    if (!pending) return;
    const { manifest, limits, replaces, fileName, icon, readme } = pending;
    const image = iconImage(icon, iconUrls.pending);
    image.classList.add('plugins-confirm-icon');
    $('.plugins-confirm-icon').replaceWith(image);
    $('.plugins-confirm-readme').replaceChildren(...(readme ? [readmeBlock(readme)] : []));
    $('.plugins-confirm-name').textContent = manifest.name;
    $('.plugins-confirm-version').textContent = `v${manifest.version}`;
    $('.plugins-confirm-author').textContent = manifest.author ? `by ${manifest.author}` : 'author not given';
    $('.plugins-confirm-description').textContent = manifest.description;
    const list = $('.plugins-confirm-facts');
    list.replaceChildren(
      ...[
        ['Id', manifest.id],
        ['File', fileName],
        ['Permissions', (manifest.permissions?.network ?? []).length ? `network: ${manifest.permissions.network.join(', ')}` : 'none: no network, storage or page access'],
        ['Runs on', runsOn(manifest) ?? 'built in'],
        ['Limits', `${limits.timeoutMs} ms per run, memory ${memoryText(limits)}`],
        ['Parameters', manifest.params.length ? manifest.params.map((p) => p.label).join(', ') : 'none'],
        ...(replaces ? [['Replaces', `the installed v${replaces}`]] : []),
      ].flatMap(([term, value]) => [el('dt', '', term), el('dd', '', value)]),
    );
  }

  function row(manifest, { limits, installed, enabled, icon, readme }) {
    const item = el('li', 'plugin-row');
    item.dataset.plugin = manifest.id;
    item.dataset.enabled = String(enabled);
    if (installed) item.append(iconImage(icon, iconUrls.list));
    const text = el('div', 'plugin-text');
    const title = el('div', 'plugin-title');
    title.append(el('span', 'plugin-name', manifest.name), el('span', 'plugin-version', `v${manifest.version}`));
    if (!installed) title.append(el('span', 'plugin-badge', 'Built in'));
    else if (!enabled) title.append(el('span', 'plugin-badge off', 'Disabled'));
    text.append(title);
    if (manifest.author) text.append(el('div', 'plugin-author', `by ${manifest.author}`));
    text.append(el('div', 'plugin-description', manifest.description));
    text.append(el('div', 'plugin-facts', facts(manifest, limits).join(' · ')));
    if (readme) text.append(readmeBlock(readme));
    item.append(text);
    if (installed) {
      const actions = el('div', 'plugin-actions');
      const toggle = el('label', 'switch');
      const box = el('input');
      box.type = 'checkbox';
      box.checked = enabled;
      box.setAttribute('aria-label', `Enable ${manifest.name}`);
      box.addEventListener('change', () => act(box.checked ? 'plugins.enable' : 'plugins.disable', { id: manifest.id }));
      toggle.append(box, el('span', 'switch-label', 'Enabled'));
      const remove = el('button', 'small ghost danger', 'Remove');
      remove.type = 'button';
      remove.title = `Remove ${manifest.name}`;
      remove.addEventListener('click', () => act('plugins.remove', { id: manifest.id }));
      actions.append(toggle, remove);
      item.append(actions);
    }
    return item;
  }

  function render() {
    const installed = library.installed();
    revoke('list');
    $('.plugins-installed').replaceChildren(
      ...(installed.length
        ? installed.map((p) => row(p.manifest, { limits: p.limits, installed: true, enabled: p.enabled, icon: p.icon, readme: p.readme }))
        : [el('li', 'plugins-empty', 'No plugins installed yet. Install a .retouchplugin file to add filters to the Filter menu.')]),
    );
    $('.plugins-builtin').replaceChildren(...library.builtIn().map((m) => row(m, { installed: false, enabled: true })));
    $('.plugins-installed-count').textContent = String(installed.length);
    renderPending();
  }

  // Dropping a bundle anywhere on the dialog offers it for install.
  const drop = $('.plugins-drop');
  dialog.addEventListener('dragover', (event) => {
    if (!hasFiles(event)) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = 'copy';
    drop.classList.add('dragover');
  });
  dialog.addEventListener('dragleave', (event) => {
    if (!dialog.contains(event.relatedTarget)) drop.classList.remove('dragover');
  });
  dialog.addEventListener('drop', async (event) => {
    if (!hasFiles(event)) return;
    event.preventDefault();
    event.stopPropagation();
    drop.classList.remove('dragover');
    const [file] = event.dataTransfer.files;
    if (!file) return;
    try {
      await invoke('plugins.install', { bytes: await readBundleFile(file), name: file.name });
    } catch (error) {
      showError(error);
    }
  });

  return {
    isOpen: () => dialog.open,
    pending: () => (pending ? { id: pending.manifest.id, name: pending.manifest.name, version: pending.manifest.version } : null),
    render,
    showError,

    open() {
      showError(null);
      render();
      if (!dialog.open) dialog.showModal();
    },

    close() {
      pending = null;
      dialog.close();
    },

    /** Checks a bundle and shows what it is for the user to confirm; a bad bundle is refused with its reason. */
    offer(bytes, fileName) {
      showError(null);
      pending = null;
      if (!dialog.open) dialog.showModal();
      try {
        pending = { bytes, fileName, ...library.inspect(bytes, fileName) };
      } catch (error) {
        render();
        showError(error);
        throw error;
      }
      render();
      $('.plugins-confirm-ok').focus();
      return { id: pending.manifest.id, name: pending.manifest.name };
    },

    async confirm() {
      if (!pending) throw new Error('no plugin is waiting to be installed');
      const { bytes, fileName } = pending;
      const plugin = await library.install(bytes, fileName);
      pending = null;
      render();
      return { id: plugin.id };
    },

    discard() {
      pending = null;
      render();
    },
  };
}
