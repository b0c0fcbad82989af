// The Type tool (T): click the canvas to set a text layer there, its text
// box's top-left at the click, from the tool's options (text, size, colour,
// alignment, box width) in the shipped fonts; click a text layer to pick it.
// While a text layer is active, changing an option sets it again (rendered by
// the core, one history step per change; the text field's change lands when
// it loses focus).
// Above the options: "Font…" opens a TTF/OTF/WOFF/WOFF2 of the user's (`type.openFont`),
// and the brand kit's text styles, one click away: a click applies the style
// to the active text layer, or, with none active, to the next text placed
// (pressed until then). Text placed while a selection exists starts in the
// colour of the lettering under it (the core's `type.letteringColor`), unless
// a brand style is pending (its palette colour wins); on a flat area the
// colour field's value stays.

/** The options' fields, as `type.add` / `type.edit` take them. */
const FIELDS = [
  { id: 'text', label: 'Text', input: 'textarea', value: 'Headline' },
  { id: 'size', label: 'Size (px)', input: 'number', value: 48, min: 1, max: 1000 },
  { id: 'color', label: 'Colour', input: 'color', value: '#000000' },
  { id: 'align', label: 'Align', input: 'select', value: 'left', options: ['left', 'center', 'right'] },
  { id: 'width', label: 'Box width (px, 0: none)', input: 'number', value: 0, min: 0, max: 16384 },
];

let form = null;
/** The styles row, the pending style's name (applied to the next text placed) and the font note. */
let stylesRow = null;
let pendingStyle = null;
let fontNote = null;

/** The options as a text source. */
function optionValues() {
  const values = {};
  for (const field of FIELDS) {
    const raw = form.elements[field.id].value;
    values[field.id] = field.input === 'number' ? Number(raw) : raw;
  }
  return values;
}

/** Shows a text layer's source in the options. */
function showSource(source) {
  if (!form || !source) return;
  form.elements.text.value = source.text;
  form.elements.size.value = String(source.size);
  form.elements.color.value = source.color.slice(0, 7);
  form.elements.align.value = source.align;
  form.elements.width.value = String(source.width ?? 0);
}

/** Shows the brand kit's text styles as buttons (none: a hint where to define them). */
async function refreshStyles(ctx) {
  if (!stylesRow) return;
  const styles = (await ctx.run('type.styles').catch(() => [])) ?? [];
  if (!styles.some((s) => s.name === pendingStyle)) pendingStyle = null;
  stylesRow.replaceChildren(
    ...styles.map((style) => {
      const button = Object.assign(document.createElement('button'), { type: 'button', className: 'small type-style', textContent: style.name });
      button.dataset.style = style.name;
      button.title = `${style.size} px, ${style.color}`;
      button.style.borderColor = style.color;
      button.setAttribute('aria-pressed', String(style.name === pendingStyle));
      button.addEventListener('click', () => applyStyle(ctx, style.name));
      return button;
    }),
  );
  if (!styles.length) stylesRow.textContent = 'Brand kit text styles show here.';
}

/** Applies a style to the active text layer, or keeps it for the next text placed (a second click lets go). */
async function applyStyle(ctx, name) {
  if (activeText(ctx)) {
    await ctx.run('type.edit', { brandStyle: name });
    showSource(await ctx.run('type.source'));
    return;
  }
  pendingStyle = pendingStyle === name ? null : name;
  for (const button of stylesRow.querySelectorAll('button')) button.setAttribute('aria-pressed', String(button.dataset.style === pendingStyle));
}

const activeText = (ctx) => (ctx.activeLayer()?.isText ? ctx.activeLayer() : null);

/** The topmost text layer whose pixels' box holds `point`. */
function textLayerAt(ctx, { x, y }) {
  return ctx
    .layers()
    .filter((l) => l.isText && l.visible && x >= l.x && y >= l.y && x < l.x + l.width && y < l.y + l.height)
    .at(-1);
}

/**
 * Builds the tool's options in `host`; a change edits the active text layer.
 * @param {HTMLElement} host
 * @param {{ run: (id: string, args?: object) => Promise<unknown> }} ctx
 */
export function mountTypeOptions(host, ctx) {
  const fontRow = document.createElement('div');
  fontRow.className = 'type-font';
  const fontButton = Object.assign(document.createElement('button'), { type: 'button', className: 'small', textContent: 'Font…' });
  fontButton.title = 'Set text in a font of your own: TTF, OTF, WOFF or WOFF2 (it is saved with the document)';
  const fontFile = Object.assign(document.createElement('input'), { type: 'file', accept: '.ttf,.otf,.woff2,.woff,font/ttf,font/otf', hidden: true });
  fontNote = Object.assign(document.createElement('span'), { className: 'hint', textContent: 'Noto Sans' });
  fontNote.setAttribute('aria-live', 'polite');
  fontButton.addEventListener('click', () => fontFile.click());
  fontFile.addEventListener('change', async () => {
    const file = fontFile.files?.[0];
    fontFile.value = '';
    if (!file) return;
    try {
      const name = await ctx.run('type.openFont', { name: file.name, bytes: new Uint8Array(await file.arrayBuffer()) });
      fontNote.textContent = name;
      delete fontNote.dataset.kind;
    } catch (error) {
      fontNote.textContent = error instanceof Error ? error.message : String(error);
      fontNote.dataset.kind = 'error';
    }
  });
  fontRow.append(fontButton, fontFile, fontNote);
  stylesRow = document.createElement('div');
  stylesRow.className = 'type-styles';
  stylesRow.setAttribute('aria-label', 'Brand text styles');
  host.append(fontRow, stylesRow);
  refreshStyles(ctx);

  form = document.createElement('form');
  form.className = 'type-options';
  form.addEventListener('submit', (event) => event.preventDefault());
  for (const field of FIELDS) {
    const label = document.createElement('label');
    label.textContent = field.label;
    const input = document.createElement(field.input === 'textarea' || field.input === 'select' ? field.input : 'input');
    input.name = field.id;
    if (field.input === 'number' || field.input === 'color') input.type = field.input;
    if (field.input === 'textarea') input.rows = 3;
    for (const option of field.options ?? []) input.append(new Option(option, option));
    if (field.min !== undefined) Object.assign(input, { min: field.min, max: field.max });
    input.value = String(field.value);
    input.addEventListener('change', () => {
      if (!activeText(ctx)) return;
      const value = optionValues()[field.id];
      ctx.run('type.edit', { [field.id]: value }).catch(() => {});
    });
    label.append(input);
    form.append(label);
  }
  host.append(form);
}

export const type = {
  id: 'type',
  label: 'Type',
  shortcut: 'T',
  hint: 'Click to set text there (from the options); click a text layer to pick it, then change the options to restyle it.',
  enter(ctx) {
    refreshStyles(ctx);
    if (activeText(ctx)) ctx.run('type.source').then(showSource, () => {});
  },
  async click(ctx, point) {
    const hit = textLayerAt(ctx, point);
    if (hit) {
      await ctx.run('layer.select', { id: hit.id });
      showSource(await ctx.run('type.source'));
      return;
    }
    const source = optionValues();
    if (pendingStyle) {
      // The style sets the font, size, colour and alignment; the text and box come from the options.
      delete source.size;
      delete source.color;
      delete source.align;
      source.brandStyle = pendingStyle;
      pendingStyle = null;
    } else {
      const lettering = await ctx.run('type.letteringColor').catch(() => undefined);
      if (lettering) {
        source.color = lettering;
        form.elements.color.value = lettering;
      }
    }
    ctx.recordGesture({ tool: 'type', points: [point.x, point.y], params: source });
    await ctx.run('type.add', { x: point.x, y: point.y, ...source });
    showSource(await ctx.run('type.source'));
    refreshStyles(ctx);
  },
};
