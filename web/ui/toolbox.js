// The toolbox and the tool options panel: one form per canvas tool, built
// from the tool's manifest and kept while switching so values stay.

import { buildParamControls } from './params.js';

/**
 * @param {{ tools: object[], manifests: object[], buttons: NodeListOf<HTMLElement>, host: HTMLElement,
 *   info: { name: HTMLElement, description: HTMLElement, hint: HTMLElement }, stage: HTMLElement,
 *   onChange: (id: string) => void }} parts
 */
export function createToolbox({ tools, manifests, buttons, host, info, stage, onChange }) {
  const byId = new Map(tools.map((t) => [t.id, t]));
  const controls = new Map();
  let current = null;
  let previous = null;

  const manifestOf = (tool) => (tool.manifest ? manifests.find((m) => m.id === tool.manifest) : null);
  for (const tool of tools) {
    const wrap = document.createElement('div');
    wrap.dataset.tool = tool.id;
    host.append(wrap);
    if (tool.manifest && !manifestOf(tool)) throw new Error(`the core has no “${tool.manifest}” plugin`);
    const form = buildParamControls(wrap, manifestOf(tool)?.params ?? [], () => {});
    controls.set(tool.id, { form, wrap });
  }

  function requireTool(id) {
    const tool = byId.get(id);
    if (!tool) throw new Error(`unknown tool “${id}”`);
    return tool;
  }

  const toolbox = {
    get current() {
      return current;
    },
    /** The tool before the current one (a modal tool such as free transform returns to it). */
    get previous() {
      return previous;
    },
    tool: () => byId.get(current),
    set(id) {
      const tool = requireTool(id);
      if (id !== current) previous = current;
      current = id;
      for (const button of buttons) {
        const on = button.dataset.tool === id;
        button.classList.toggle('active', on);
        button.setAttribute('aria-pressed', String(on));
      }
      const manifest = manifestOf(tool);
      info.name.textContent = manifest?.name ?? tool.label;
      info.description.textContent = manifest?.description ?? tool.description ?? '';
      info.hint.textContent = tool.hint ?? '';
      for (const [name, { wrap }] of controls) wrap.hidden = name !== id;
      stage.dataset.tool = id;
      onChange(id);
    },
    values: (id = current) => controls.get(id)?.form.values() ?? {},
    /** Sets the current (or named) tool's parameters; unknown names are an error. */
    setParams(params, id = current) {
      requireTool(id);
      const unknown = controls.get(id).form.set(params);
      if (unknown.length) throw new Error(`unknown parameter(s) for ${id}: ${unknown.join(', ')}`);
    },
    /** Scales the current brush tool's diameter (the [ and ] keys). */
    scaleBrush(factor) {
      const { form } = controls.get(current);
      const size = form.values().diameter;
      form.set({ diameter: factor > 1 ? Math.ceil(size * factor) : Math.floor(size * factor) });
    },
    /** Where a tool's extra controls go (e.g. colour range's "Select this colour"). */
    host: (id) => controls.get(id).wrap,
  };
  return toolbox;
}
