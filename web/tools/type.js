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

// ------------------------------------------------------------ on the canvas

/**
 * The text being edited on the canvas, or null: the layer, the hidden field
 * that takes the keys (so IME, selection keys and the clipboard work as in
 * any text field), the core's caret map, and whether the next edit continues
 * the typing's history step.
 */
let editing = null;

/** Canvas point of `(x, y)` in the text box (before the turn) of caret map `map`. */
function onCanvas(map, x, y) {
  const t = (map.rotation * Math.PI) / 180;
  return [map.x + x * Math.cos(t) - y * Math.sin(t), map.y + x * Math.sin(t) + y * Math.cos(t)];
}

/** The line a caret at string index `index` stands on: the last listing it (after a soft
 * wrap the caret starts the next line), and its x there. */
function caretAt(map, index) {
  for (let l = map.lines.length - 1; l >= 0; l--) {
    const stop = map.lines[l].stops.find(([at]) => at === index);
    if (stop) return { line: map.lines[l], x: stop[1] };
  }
  // Inside a surrogate pair or past the end: the nearest stop before it.
  const last = map.lines.at(-1);
  const stop = last.stops.filter(([at]) => at <= index).at(-1) ?? last.stops[0];
  return { line: last, x: stop[1] };
}

/** The string index nearest canvas point `point` in caret map `map`. */
function indexAt(map, point) {
  const t = (-map.rotation * Math.PI) / 180;
  const dx = point.x - map.x;
  const dy = point.y - map.y;
  const u = dx * Math.cos(t) - dy * Math.sin(t);
  const v = dx * Math.sin(t) + dy * Math.cos(t);
  const distance = (line) => Math.max(line.baseline - map.ascent - v, v - (line.baseline + map.descent), 0);
  const line = map.lines.reduce((best, l) => (distance(l) < distance(best) ? l : best));
  return line.stops.reduce((best, s) => (Math.abs(s[1] - u) < Math.abs(best[1] - u) ? s : best))[0];
}

/**
 * Home, End, Up and Down by the text's own lines (the field does not wrap as
 * the layout does): to the line's first or last boundary, or to the nearest
 * boundary on the line above or below; Shift extends the selection.
 */
function moveByLines({ map, input }, key, extend) {
  const backward = input.selectionDirection === 'backward';
  const focus = backward ? input.selectionStart : input.selectionEnd;
  const anchor = backward ? input.selectionEnd : input.selectionStart;
  const { line, x } = caretAt(map, focus);
  const l = map.lines.indexOf(line);
  const nearest = (row) => row.stops.reduce((best, s) => (Math.abs(s[1] - x) < Math.abs(best[1] - x) ? s : best))[0];
  const wrapsOn = (row) => map.lines[map.lines.indexOf(row) + 1]?.stops[0][0] === row.stops.at(-1)[0];
  let target;
  if (key === 'Home') target = line.stops[0][0];
  else if (key === 'End') {
    // Before a soft-wrapped line's trailing space, not at the next line's start.
    target = line.stops.at(wrapsOn(line) && line.stops.length > 1 ? -2 : -1)[0];
  } else if (key === 'ArrowUp') target = l > 0 ? nearest(map.lines[l - 1]) : line.stops[0][0];
  else target = l + 1 < map.lines.length ? nearest(map.lines[l + 1]) : line.stops.at(-1)[0];
  if (extend) input.setSelectionRange(Math.min(anchor, target), Math.max(anchor, target), target < anchor ? 'backward' : 'forward');
  else input.setSelectionRange(target, target);
}

/** Draws the text box, the selected characters and the caret from the field's selection. */
function drawMarks(ctx) {
  if (!editing?.map) return;
  const { map, input } = editing;
  const box = [[0, 0], [map.width, 0], [map.width, map.height], [0, map.height]].map(([x, y]) => onCanvas(map, x, y));
  const [start, end] = [input.selectionStart, input.selectionEnd];
  const selection = [];
  for (const line of map.lines) {
    const top = line.baseline - map.ascent;
    const bottom = line.baseline + map.descent;
    for (let i = 0; i + 1 < line.stops.length; i++) {
      const [a, xa] = line.stops[i];
      const [b, xb] = line.stops[i + 1];
      if (a >= start && b <= end && a < b) {
        selection.push([[xa, top], [xb, top], [xb, bottom], [xa, bottom]].map(([x, y]) => onCanvas(map, x, y)));
      }
    }
  }
  let caret = null;
  if (start === end) {
    const at = caretAt(map, input.selectionEnd);
    caret = [onCanvas(map, at.x, at.line.baseline - map.ascent), onCanvas(map, at.x, at.line.baseline + map.descent)];
    // The field follows the caret, so an input method's candidates show beside it.
    const client = ctx.viewer.clientPoint(...caret[0]);
    Object.assign(input.style, { left: `${client.x}px`, top: `${client.y}px` });
  }
  ctx.viewer.showTyping({ box, selection, caret });
}

/** Reads the caret map again (after the text or its style changed) and redraws the marks. */
async function refreshMarks(ctx) {
  if (!editing) return;
  const session = editing;
  const map = await ctx.run('type.carets', { id: session.id });
  if (editing !== session) return;
  session.map = map;
  drawMarks(ctx);
}

/** Sends the field's text to the core, one edit at a time: keys typed during an
 * edit are sent together after it (the latest text wins). */
async function sendText(ctx) {
  const session = editing;
  if (!session || session.sending) {
    if (session) session.again = true;
    return;
  }
  session.sending = true;
  try {
    do {
      session.again = false;
      const text = session.input.value;
      // The core refuses an empty text: the layer keeps its last one until
      // something is typed (and goes when editing ends empty).
      if (!text.trim()) continue;
      await ctx.run('type.typeText', { id: session.id, text, continues: session.continues });
      session.continues = true;
      if (editing === session) await refreshMarks(ctx);
    } while (session.again && editing === session);
  } catch (error) {
    ctx.status?.error?.('Type', error);
    await stopEditing(ctx);
  } finally {
    session.sending = false;
  }
}

/**
 * Starts editing text layer `id` on the canvas: the caret at the character
 * boundary nearest canvas `point` (or the whole text selected with `selectAll`). Typing replaces the
 * selection; Escape or Ctrl+Enter (⌘+Enter), a click outside the text, or
 * another tool ends it. What is typed in one go is one history step.
 */
async function startEditing(ctx, id, { selectAll = false, point = null } = {}) {
  await stopEditing(ctx);
  const source = await ctx.run('type.source');
  showSource(source);
  const input = document.createElement('textarea');
  input.className = 'type-input';
  input.setAttribute('aria-label', 'Text of the layer being edited');
  Object.assign(input, { spellcheck: false, autocapitalize: 'off', autocomplete: 'off', wrap: 'off', value: source.text });
  document.body.append(input);
  const session = { id, input, map: null, continues: false, sending: false, again: false };
  editing = session;
  const redraw = () => editing === session && drawMarks(ctx);
  input.addEventListener('input', () => {
    redraw();
    sendText(ctx);
  });
  input.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' || (event.key === 'Enter' && (event.ctrlKey || event.metaKey))) {
      event.preventDefault();
      stopEditing(ctx);
      return;
    }
    const byLines = ['Home', 'End', 'ArrowUp', 'ArrowDown'].includes(event.key);
    if (byLines && session.map && !event.ctrlKey && !event.metaKey && !event.altKey) {
      event.preventDefault();
      moveByLines(session, event.key, event.shiftKey);
      redraw();
      return;
    }
    requestAnimationFrame(redraw);
  });
  input.addEventListener('select', redraw);
  input.addEventListener('blur', () => {
    // Focus moved to the page's controls (an option, a panel): editing ends.
    setTimeout(() => editing === session && document.activeElement !== input && stopEditing(ctx), 0);
  });
  input.focus();
  session.map = await ctx.run('type.carets', { id });
  if (editing !== session) return;
  if (selectAll) input.select();
  else {
    const at = point ? indexAt(session.map, point) : input.value.length;
    input.setSelectionRange(at, at);
  }
  drawMarks(ctx);
}

/** Ends editing: the typed text stays (it is in the document already); a text typed
 * empty removes its layer. */
async function stopEditing(ctx) {
  const session = editing;
  if (!session) return;
  editing = null;
  ctx.viewer.showTyping(null);
  const empty = !session.input.value.trim();
  session.input.remove();
  if (empty && ctx.layers().some((l) => l.id === session.id)) {
    await ctx.run('layer.select', { id: session.id });
    await ctx.run('layer.delete');
    return;
  }
  if (ctx.activeLayer()?.id === session.id) showSource(await ctx.run('type.source').catch(() => null));
}

export const type = {
  id: 'type',
  label: 'Type',
  shortcut: 'T',
  hint: 'Click to set text there and type it; click a text to edit it on the canvas (Shift+click extends the selection; Esc or Ctrl+Enter ends). The options restyle the active text.',
  enter(ctx) {
    refreshStyles(ctx);
    if (activeText(ctx)) ctx.run('type.source').then(showSource, () => {});
  },
  leave(ctx) {
    stopEditing(ctx);
  },
  async click(ctx, point, { event } = {}) {
    const hit = textLayerAt(ctx, point);
    if (editing && hit?.id === editing.id && editing.map) {
      // A click in the text being edited moves the caret (Shift: extends the selection).
      const index = indexAt(editing.map, point);
      const { input } = editing;
      if (event?.shiftKey) input.setSelectionRange(Math.min(input.selectionStart, index), Math.max(input.selectionEnd, index));
      else input.setSelectionRange(index, index);
      input.focus();
      drawMarks(ctx);
      return;
    }
    await stopEditing(ctx);
    if (hit) {
      await ctx.run('layer.select', { id: hit.id });
      await startEditing(ctx, hit.id, { point });
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
    const id = await ctx.run('type.add', { x: point.x, y: point.y, ...source });
    refreshStyles(ctx);
    // The placeholder from the options is selected: typing replaces it.
    await startEditing(ctx, id, { selectAll: true });
  },
};
