// Type commands: text layers set and rendered by the core (issue 18).
// `type.add` places a text layer with its text box's top-left at a canvas
// point; `type.edit` changes the active text layer's source (only the fields
// given: text, size, color, align, width, lineHeight, tracking, stroke,
// shadow, scale, rotation), rendered again, one history step each;
// `type.source` reads it; `type.rasterize` turns it into ordinary pixels.
// `type.typeText` is typing on the canvas (the string only, a typing session
// one history step) and `type.carets` where its cursor can stand.
// The shipped fonts (pkg/fonts: Noto Sans, then its Arabic and Devanagari
// fallbacks) are fetched once, so text works offline. `type.openFont` makes
// a TTF/OTF/WOFF/WOFF2 file the user opened the primary font (the shipped ones stay its
// fallbacks) for the next text and the active text layer: the core stores it
// with the document, so a reopened project keeps the text editable; WOFF and
// WOFF2 are refused by the core with what to do instead. `brandStyle` in
// `type.add` / `type.edit` sets the text in a brand kit text style
// (`type.styles` lists them); `type.letteringColor` is the colour of the
// lettering under the selection, worked out by the core.

const SHIPPED_FONTS = ['NotoSans-Regular.ttf', 'NotoSansArabic-Regular.ttf', 'NotoSansDevanagari-Regular.ttf'];

let shippedBytes = null;
let shipped = null;

/** The shipped font files' bytes, fetched on first use (a failed fetch is tried again next time). */
function shippedFiles() {
  shippedBytes ??= Promise.all(
    SHIPPED_FONTS.map(async (name) => {
      const response = await fetch(new URL(`../pkg/fonts/${name}`, import.meta.url));
      if (!response.ok) throw new Error(`cannot load the font ${name} (${response.status})`);
      return [name, new Uint8Array(await response.arrayBuffer())];
    }),
  ).catch((error) => {
    shippedBytes = null;
    throw error;
  });
  return shippedBytes;
}

/** A FontSet of `first` (`[name, bytes]` or none) then the shipped fonts. */
async function fontSet(wasm, first) {
  const fonts = new wasm.FontSet();
  for (const [name, bytes] of [...(first ? [first] : []), ...(await shippedFiles())]) fonts.add(name, bytes);
  return fonts;
}

/** The shipped fonts as the core's FontSet, built once. */
function shippedFonts(wasm) {
  shipped ??= fontSet(wasm).catch((error) => {
    shipped = null;
    throw error;
  });
  return shipped;
}

/** The FontSet of the font file the user opened (then the shipped fonts), or null. Built once
 * per file opened and freed when another is opened: layers keep their own copies of the fonts. */
let openedFonts = null;

/** The fonts new texts are set in: the user's font first (with the shipped ones as fallbacks). */
function fontsInUse(wasm) {
  return openedFonts ?? shippedFonts(wasm);
}

const hasDocument = (ctx) => Boolean(ctx.session.state.project);
const onTextLayer = (ctx) => Boolean(ctx.activeLayer()?.isText);

export const TYPE_COMMANDS = [
  {
    id: 'type.add',
    label: 'Add text',
    enabled: hasDocument,
    /** `{ x, y, text, ...style }`: the text box's top-left on the canvas and the source. */
    async run(ctx, { x = 0, y = 0, ...source }) {
      const fonts = await fontsInUse(ctx.wasm);
      const id = await ctx.session.edit((project) => project.addTextLayer(source, fonts, Math.round(x), Math.round(y)));
      ctx.setActiveLayer(id);
      return id;
    },
  },
  {
    id: 'type.edit',
    label: 'Edit text',
    enabled: onTextLayer,
    /** The fields of the source to change. */
    run(ctx, patch) {
      const id = ctx.session.state.activeId;
      return ctx.session.edit((project) => project.editTextLayer(id, patch));
    },
  },
  {
    id: 'type.typeText',
    label: 'Type text',
    enabled: onTextLayer,
    /**
     * `{ id?, text, continues }`: typing on the canvas sets the text layer's
     * string (the active layer's unless `id` is given); with `continues`, an
     * edit right after the layer's previous typed one joins its history step.
     */
    run(ctx, { id = ctx.session.state.activeId, text, continues = false }) {
      return ctx.session.edit((project) => project.typeText(id, text, continues));
    },
  },
  {
    id: 'type.carets',
    label: 'Text cursor positions',
    enabled: onTextLayer,
    /** `{ id? }`: where the cursor can stand in the text layer (the core's `textCarets`). */
    run(ctx, { id = ctx.session.state.activeId } = {}) {
      return ctx.session.read((project) => project.textCarets(id));
    },
  },
  {
    id: 'type.source',
    label: 'Text source',
    enabled: onTextLayer,
    /** The active text layer's source, with its text box's canvas position `x`, `y`. */
    run(ctx) {
      const id = ctx.session.state.activeId;
      return ctx.session.read((project) => project.textSource(id));
    },
  },
  {
    id: 'type.openFont',
    label: 'Open font…',
    enabled: () => true,
    /**
     * `{ name, bytes }`: a TTF/OTF file or a WOFF/WOFF2 web font (unpacked by the core to the
     * font it carries), checked by the core (a malformed file is refused with a message and
     * nothing changes); it sets the next texts and the active
     * text layer, if any (one step). Returns the font's name.
     */
    async run(ctx, { name, bytes }) {
      const file = [name, new Uint8Array(bytes)];
      const fonts = await fontSet(ctx.wasm, file); // checked here: a bad file changes nothing
      openedFonts?.free();
      openedFonts = fonts;
      if (onTextLayer(ctx)) {
        const id = ctx.session.state.activeId;
        await ctx.session.edit((project) => project.editTextLayerFonts(id, {}, fonts));
      }
      return name;
    },
  },
  {
    id: 'type.styles',
    label: 'Brand text styles',
    enabled: hasDocument,
    /** The brand kit's text styles: `[{ name, font, size, color, … }]`. */
    run(ctx) {
      return ctx.session.read((project) => project.brandTextStyles());
    },
  },
  {
    id: 'type.letteringColor',
    label: 'Lettering colour',
    enabled: hasDocument,
    /** The colour of the lettering under the selection as `#rrggbb`, or undefined (no selection, a flat area). */
    run(ctx) {
      return ctx.session.read((project) => project.letteringColor());
    },
  },
  {
    id: 'type.rasterize',
    label: 'Rasterize type',
    enabled: onTextLayer,
    run(ctx) {
      const id = ctx.session.state.activeId;
      return ctx.session.edit((project) => project.rasterizeTextLayer(id));
    },
  },
];
