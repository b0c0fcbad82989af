// Plugins and the Filter menu: the manager's actions (install from a file or
// bytes, confirm, enable, disable, remove) and a filter plugin's dialog (open,
// set, apply, cancel), so buttons, menus, keys, host panels and tests drive
// them the same way.

import { chooseFile } from '../ui/files.js';
import { readBundleFile } from '../ui/plugin-manager.js';

const canFilter = (ctx) => Boolean(ctx.session.state.project && ctx.activeLayer() && !ctx.filter?.isOpen());
const filterOpen = (ctx) => Boolean(ctx.filter?.isOpen());
const idle = (ctx) => filterOpen(ctx) && !ctx.filter.running();

export const PLUGIN_COMMANDS = [
  { id: 'plugins.manage', label: 'Plugins…', run: (ctx) => ctx.plugins.open() },
  { id: 'plugins.close', label: 'Close Plugins', enabled: (ctx) => Boolean(ctx.plugins?.isOpen()), run: (ctx) => ctx.plugins.close() },
  {
    id: 'plugins.install',
    label: 'Install plugin…',
    /**
     * `{ bytes, name }` offers that bundle for install; without bytes a file is picked.
     * Resolves to `{ id, name }` of the checked bundle waiting for `plugins.confirm-install`,
     * or null when no file was picked; a bad bundle rejects with its reason (shown too).
     */
    async run(ctx, { bytes, name } = {}) {
      if (!bytes) {
        const file = await chooseFile('.retouchplugin,application/zip');
        if (!file) return null;
        return ctx.plugins.offer(await readBundleFile(file), file.name);
      }
      return ctx.plugins.offer(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes), name ?? 'the bundle');
    },
  },
  {
    id: 'plugins.install-examples',
    label: 'Install example plugins',
    /**
     * Installs (or updates) the example bundles `./build.sh plugins` ships in pkg/plugins/,
     * each checked by the core like any other bundle. Resolves to their ids.
     */
    async run(ctx) {
      const fetchOk = async (url) => {
        const response = await fetch(url);
        if (!response.ok) throw new Error(`cannot read ${url} (HTTP ${response.status})`);
        return response;
      };
      const { bundles } = await (await fetchOk('pkg/plugins/index.json')).json();
      const ids = [];
      for (const name of bundles) {
        const bytes = new Uint8Array(await (await fetchOk(`pkg/plugins/${name}`)).arrayBuffer());
        ids.push((await ctx.pluginLibrary.install(bytes, name)).id);
      }
      ctx.status.set(`Installed ${ids.length} example plugins`, 'ok');
      return ids;
    },
  },
  {
    id: 'plugins.confirm-install',
    label: 'Install',
    enabled: (ctx) => Boolean(ctx.plugins?.pending()),
    run: (ctx) => ctx.plugins.confirm(),
  },
  {
    id: 'plugins.discard-install',
    label: 'Do not install',
    enabled: (ctx) => Boolean(ctx.plugins?.pending()),
    run: (ctx) => ctx.plugins.discard(),
  },
  { id: 'plugins.enable', label: 'Enable plugin', run: (ctx, { id }) => ctx.pluginLibrary.setEnabled(id, true) },
  { id: 'plugins.disable', label: 'Disable plugin', run: (ctx, { id }) => ctx.pluginLibrary.setEnabled(id, false) },
  { id: 'plugins.remove', label: 'Remove plugin', run: (ctx, { id }) => ctx.pluginLibrary.remove(id) },
  {
    id: 'filter.open',
    label: 'Filter…',
    enabled: canFilter,
    /** `{ id, values }`: opens installed filter `id`'s dialog on the active layer (values preset); resolves when its preview is shown. */
    run: (ctx, { id, values }) => ctx.filter.open(id, values),
  },
  {
    id: 'filter.set',
    label: 'Set filter parameters',
    enabled: idle,
    /** Sets the open dialog's values (manifest ids); resolves when their preview is shown. */
    run: (ctx, values) => ctx.filter.set(values),
  },
  {
    id: 'filter.apply',
    label: 'Apply the filter',
    enabled: idle,
    /** Resolves to { state: 'applied' | 'failed' | 'cancelled', message }. */
    run: (ctx) => ctx.filter.apply(),
  },
  {
    id: 'filter.cancel',
    label: 'Cancel',
    enabled: filterOpen,
    /** Stops a run in flight (nothing changes), else closes the dialog. */
    run: (ctx) => ctx.filter.cancel(),
  },
];
