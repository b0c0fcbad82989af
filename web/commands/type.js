// Type commands: text layers set and rendered by the core (issue 18).
// `type.add` places a text layer with its text box's top-left at a canvas
// point; `type.edit` changes the active text layer's source (only the fields
// given: text, size, color, align, width, lineHeight, tracking, stroke,
// shadow, scale, rotation), rendered again, one history step each;
// `type.source` reads it; `type.rasterize` turns it into ordinary pixels.
// The shipped fonts (pkg/fonts: Noto Sans, then its Arabic and Devanagari
// fallbacks) are fetched once, so text works offline.

const SHIPPED_FONTS = ['NotoSans-Regular.ttf', 'NotoSansArabic-Regular.ttf', 'NotoSansDevanagari-Regular.ttf'];

let shipped = null;

/** The shipped fonts as the core's FontSet, loaded on first use (a failed load is tried again next time). */
function shippedFonts(wasm) {
  shipped ??= (async () => {
    const fonts = new wasm.FontSet();
    for (const name of SHIPPED_FONTS) {
      const response = await fetch(new URL(`../pkg/fonts/${name}`, import.meta.url));
      if (!response.ok) throw new Error(`cannot load the font ${name} (${response.status})`);
      fonts.add(name, new Uint8Array(await response.arrayBuffer()));
    }
    return fonts;
  })().catch((error) => {
    shipped = null;
    throw error;
  });
  return shipped;
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
      const fonts = await shippedFonts(ctx.wasm);
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
    id: 'type.rasterize',
    label: 'Rasterize type',
    enabled: onTextLayer,
    run(ctx) {
      const id = ctx.session.state.activeId;
      return ctx.session.edit((project) => project.rasterizeTextLayer(id));
    },
  },
];
