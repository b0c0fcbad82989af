// The Brand kit panel: style text, a palette and reference images kept in the project (the
// core stores, normalises and saves them; every change is an undoable step) and, while
// "attach" is on, handed to each Generate fill job. This module only moves values and bytes
// between the form and the project; thumbnails are the core's PNGs shown as they are.
// Fonts (a TTF/OTF/WOFF/WOFF2, its licence from the font's name table or a licence file added first) and
// named text styles (a kit font, a size and a palette colour, optionally line height,
// tracking and alignment) are checked and stored by the core too; the Type tool shows them.

import { hasFiles, readChecked } from './files.js';

/**
 * `host`: `{project(), busy(), edit(fn), setStatus(text, kind)}`.
 * - `project()` is the open wasm Project or null; `busy()` is true while a render holds it
 *   (the project refuses reads then: the panel is refreshed again afterwards).
 * - `edit(fn)` runs `fn(project)` as a document edit (history, render and autosave follow) and
 *   resolves to its result.
 */
export function createBrandKitPanel(root, host) {
  const q = (selector) => root.querySelector(selector);
  const ui = {
    attach: q('#brand-attach'),
    style: q('#brand-style'),
    palette: q('#brand-palette'),
    colour: q('#brand-colour'),
    addColour: q('#brand-colour-add'),
    references: q('#brand-references'),
    addReference: q('#brand-reference-add'),
    file: q('#brand-reference-file'),
    info: q('#brand-info'),
    fonts: q('#brand-fonts'),
    addFont: q('#brand-font-add'),
    fontFile: q('#brand-font-file'),
    addLicence: q('#brand-licence-add'),
    licenceFile: q('#brand-licence-file'),
    textStyles: q('#brand-text-styles'),
    styleForm: q('#brand-text-style'),
  };
  /** The licence text chosen for the next font added, or null (the font's own). */
  let licence = null;
  /** What the panel shows: the project it was read from and its palette and references. */
  let shown = { project: null, palette: [], references: [] };
  /** Object URLs of the thumbnails shown, revoked when replaced. */
  let urls = [];
  /** A forced re-read of the references that waits for a render to finish. */
  let rereadWanted = false;

  function el(tag, props = {}) {
    return Object.assign(document.createElement(tag), props);
  }

  function fail(what, error) {
    const message = error instanceof Error ? error.message : String(error);
    ui.info.textContent = `${what}: ${message}`;
    ui.info.dataset.kind = 'error';
    host.setStatus(`${what}: ${message}`, 'error');
  }

  async function change(what, fn) {
    delete ui.info.dataset.kind;
    try {
      await host.edit(fn);
    } catch (error) {
      fail(what, error);
      refresh(true);
    }
  }

  function showPalette(palette) {
    ui.palette.replaceChildren(
      ...palette.map((colour, index) => {
        const swatch = el('button', { type: 'button', className: 'brand-swatch', title: `${colour}: click to remove` });
        swatch.style.background = colour;
        swatch.dataset.colour = colour;
        swatch.setAttribute('aria-label', `Remove ${colour}`);
        swatch.addEventListener('click', () =>
          change('Cannot change the palette', (p) => p.setBrandPalette(palette.filter((_, i) => i !== index))),
        );
        return swatch;
      }),
    );
  }

  function showReferences(references) {
    for (const url of urls) URL.revokeObjectURL(url);
    urls = references.map((png) => URL.createObjectURL(new Blob([png], { type: 'image/png' })));
    ui.references.replaceChildren(
      ...urls.map((url, index) => {
        const figure = el('figure', { className: 'brand-reference' });
        figure.dataset.index = String(index);
        const img = el('img', { src: url, alt: `Reference image ${index + 1}` });
        const remove = el('button', { type: 'button', className: 'small ghost', textContent: '×', title: 'Remove this reference image' });
        remove.setAttribute('aria-label', `Remove reference image ${index + 1}`);
        remove.addEventListener('click', () => change('Cannot remove the reference image', (p) => p.removeBrandReference(index)));
        figure.append(img, remove);
        return figure;
      }),
    );
  }

  function showTypography(project) {
    const fonts = project ? project.brandFonts() : [];
    const styles = project ? project.brandTextStyles() : [];
    const palette = project ? project.brandPalette() : [];
    ui.fonts.replaceChildren(
      ...fonts.map((font) => {
        const item = el('li', { textContent: font.name, title: font.licence });
        item.dataset.key = font.key;
        const remove = el('button', { type: 'button', className: 'small ghost', textContent: '×', title: 'Remove this font' });
        remove.addEventListener('click', () => change('Cannot remove the font', (p) => p.removeBrandFont(font.key)));
        item.append(' ', remove);
        return item;
      }),
    );
    ui.textStyles.replaceChildren(
      ...styles.map((style) => {
        const font = fonts.find((f) => f.key === style.font)?.name ?? '?';
        const item = el('li', { textContent: `${style.name}: ${font}, ${style.size} px, ${style.color}` });
        item.dataset.style = style.name;
        const remove = el('button', { type: 'button', className: 'small ghost', textContent: '×', title: 'Remove this style' });
        remove.addEventListener('click', () => change('Cannot remove the style', (p) => p.removeBrandTextStyle(style.name)));
        item.append(' ', remove);
        return item;
      }),
    );
    const form = ui.styleForm.elements;
    const keep = (select, options) => {
      const value = select.value;
      select.replaceChildren(...options.map(([v, label]) => new Option(label, v)));
      if (options.some(([v]) => v === value)) select.value = value;
    };
    keep(form.font, fonts.map((f) => [f.key, f.name]));
    keep(form.color, palette.map((c) => [c, c]));
    for (const field of ui.styleForm.elements) field.disabled = !project;
    ui.addFont.disabled = ui.addLicence.disabled = !project;
  }

  /**
   * Shows the open project's kit. The reference bytes are read again only when `references`
   * is true, the project changed or their count did (undo and redo pass true).
   */
  function refresh(references = false) {
    rereadWanted ||= references;
    if (host.busy()) return;
    references = rereadWanted;
    rereadWanted = false;
    const project = host.project();
    const has = Boolean(project);
    for (const field of [ui.attach, ui.style, ui.colour, ui.addColour, ui.addReference]) field.disabled = !has;
    showTypography(project);
    if (!has) {
      shown = { project: null, palette: [], references: [] };
      ui.style.value = '';
      showPalette([]);
      showReferences([]);
      ui.info.textContent = '';
      return;
    }
    // Typing in progress stays (the core's text shows once the field is left), unless another
    // document was opened meanwhile.
    if (project !== shown.project || document.activeElement !== ui.style) ui.style.value = project.brandStyle();
    const palette = project.brandPalette();
    if (palette.join() !== shown.palette.join()) showPalette(palette);
    const count = project.brandReferenceCount();
    const reread = references || project !== shown.project || count !== shown.references.length;
    const refs = reread ? project.brandReferences() : shown.references;
    if (reread) showReferences(refs);
    shown = { project, palette, references: refs };
    if (ui.info.dataset.kind !== 'error') {
      ui.info.textContent = `${refs.length} reference image${refs.length === 1 ? '' : 's'} · ${palette.length} colour${palette.length === 1 ? '' : 's'}`;
    }
  }

  async function addReferences(files) {
    for (const file of files) {
      const what = `Cannot add “${file.name}” as a reference`;
      let bytes;
      try {
        bytes = await readChecked(file);
      } catch (error) {
        fail(what, error);
        continue;
      }
      await change(what, (p) => p.addBrandReference(bytes));
    }
  }

  ui.style.addEventListener('change', () => change('Cannot set the style', (p) => p.setBrandStyle(ui.style.value)));
  ui.addColour.addEventListener('click', () =>
    change('Cannot change the palette', (p) => p.setBrandPalette([...p.brandPalette(), ui.colour.value])),
  );
  ui.addReference.addEventListener('click', () => ui.file.click());
  ui.file.addEventListener('change', () => {
    const files = Array.from(ui.file.files ?? []);
    ui.file.value = ''; // choosing the same file again fires another change
    addReferences(files);
  });
  // Dropped files become references here, not layers or documents.
  for (const type of ['dragenter', 'dragover']) {
    ui.references.addEventListener(type, (event) => {
      if (!hasFiles(event) || !host.project()) return;
      event.preventDefault();
      event.stopPropagation();
      event.dataTransfer.dropEffect = 'copy';
      ui.references.classList.add('dragover');
    });
  }
  ui.references.addEventListener('dragleave', () => ui.references.classList.remove('dragover'));
  ui.references.addEventListener('drop', (event) => {
    ui.references.classList.remove('dragover');
    if (!hasFiles(event) || !host.project()) return;
    event.preventDefault();
    event.stopPropagation();
    addReferences(Array.from(event.dataTransfer.files));
  });

  ui.addLicence.addEventListener('click', () => ui.licenceFile.click());
  ui.licenceFile.addEventListener('change', async () => {
    const file = ui.licenceFile.files?.[0];
    ui.licenceFile.value = '';
    if (!file) return;
    licence = await file.text();
    ui.info.textContent = `The next font added is kept with the licence “${file.name}”.`;
  });
  ui.addFont.addEventListener('click', () => ui.fontFile.click());
  ui.fontFile.addEventListener('change', async () => {
    const file = ui.fontFile.files?.[0];
    ui.fontFile.value = '';
    if (!file) return;
    const bytes = new Uint8Array(await file.arrayBuffer());
    const given = licence;
    licence = null;
    await change(`Cannot add the font “${file.name}”`, (p) => p.addBrandFont(file.name, bytes, given ?? undefined));
  });
  ui.styleForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const f = ui.styleForm.elements;
    const optional = (input) => (input.value === '' ? undefined : Number(input.value));
    const style = { name: f.name.value, font: f.font.value, size: Number(f.size.value), color: f.color.value };
    if (optional(f.lineHeight) !== undefined) style.lineHeight = optional(f.lineHeight);
    if (optional(f.tracking) !== undefined) style.tracking = optional(f.tracking);
    if (f.align.value) style.align = f.align.value;
    change('Cannot save the text style', (p) => p.setBrandTextStyle(style));
  });

  refresh();

  return {
    refresh,
    /**
     * What a job attaches, read from the project when it starts: `{kit, references}` (`kit`
     * as `planProviderJob`'s `brandKit`, undefined when there is no style or palette;
     * `references` the PNG bytes), or null when attaching is off or the kit is empty.
     */
    forJob(project) {
      if (!ui.attach.checked || !project) return null;
      const kit = project.brandPromptKit();
      const references = project.brandReferences();
      return kit || references.length ? { kit, references } : null;
    },
    /** The kit as the panel shows it, for tests. */
    state: () => ({
      attach: ui.attach.checked,
      style: ui.style.value,
      palette: [...shown.palette],
      references: shown.references.length,
      fonts: [...ui.fonts.children].map((li) => li.dataset.key),
      textStyles: [...ui.textStyles.children].map((li) => li.dataset.style),
    }),
  };
}
