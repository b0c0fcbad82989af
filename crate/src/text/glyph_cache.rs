//! Rasterised glyphs kept between renders. Re-rendering a text while it is
//! typed draws almost every glyph again at the same place, and rasterising
//! is most of a render's time, so each glyph's coverage is kept, keyed by
//! everything the rasteriser's output depends on: the font file, the glyph,
//! the scale, the rotation, the raster's size and the exact (bit for bit)
//! sub-pixel origin inside it. A cached glyph is therefore exactly the
//! coverage drawing it again would give, and a render's pixels do not
//! depend on what was rendered before it.
//!
//! One cache per thread (the wasm core has one), bounded in bytes: when a
//! glyph does not fit, the glyphs neither this render nor the one before
//! used are dropped, then those this render has not used; a glyph larger
//! than a quarter of the bound is never kept.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

/// The most coverage the cache holds, in bytes (about 600 glyphs at 96 px).
pub const CACHE_BYTES: usize = 16 << 20;

/// Everything a glyph's coverage depends on; floats by their bits.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct GlyphKey {
    /// The font file's SHA-256 ([`super::Font::key`]).
    pub font: Arc<str>,
    pub glyph: u16,
    /// Pixels per font unit.
    pub scale: u32,
    /// The rotation's cosine and sine.
    pub turn: (u32, u32),
    /// The pen position inside the raster.
    pub origin: (u32, u32),
    /// The raster's width and height.
    pub size: (u32, u32),
}

/// A glyph's coverage: `width × height` values in 0..=1, row by row.
pub type Coverage = Arc<[f32]>;

struct Entry {
    coverage: Coverage,
    /// The render that last used it.
    used: u64,
}

#[derive(Default)]
struct GlyphCache {
    entries: HashMap<GlyphKey, Entry>,
    bytes: usize,
    /// Renders begun so far.
    render: u64,
}

thread_local! {
    static CACHE: RefCell<GlyphCache> = RefCell::new(GlyphCache::default());
}

/// Marks the start of a render (glyphs it uses are kept over older ones).
pub fn begin_render() {
    CACHE.with(|cache| cache.borrow_mut().render += 1);
}

/// The coverage for `key`, drawn by `draw` (which must give
/// `key.size.0 × key.size.1` values) unless it is cached.
pub fn coverage(key: GlyphKey, draw: impl FnOnce() -> Vec<f32>) -> Coverage {
    let cached = CACHE.with(|cache| {
        let mut cache = cache.borrow_mut();
        let render = cache.render;
        cache.entries.get_mut(&key).map(|entry| {
            entry.used = render;
            entry.coverage.clone()
        })
    });
    if let Some(coverage) = cached {
        return coverage;
    }
    let coverage: Coverage = draw().into();
    CACHE.with(|cache| cache.borrow_mut().keep(key, coverage.clone()));
    coverage
}

impl GlyphCache {
    fn keep(&mut self, key: GlyphKey, coverage: Coverage) {
        let bytes = std::mem::size_of_val(&*coverage);
        if bytes > CACHE_BYTES / 4 {
            return;
        }
        // Room is made by dropping what neither this render nor the one
        // before it used (typing renders the previous text's glyphs again),
        // then what this render has not used.
        for oldest_kept in [self.render.saturating_sub(1), self.render] {
            if self.bytes + bytes <= CACHE_BYTES {
                break;
            }
            self.entries.retain(|_, entry| entry.used >= oldest_kept);
            self.bytes = self
                .entries
                .values()
                .map(|entry| std::mem::size_of_val(&*entry.coverage))
                .sum();
        }
        if self.bytes + bytes > CACHE_BYTES {
            return;
        }
        self.bytes += bytes;
        let used = self.render;
        self.entries.insert(key, Entry { coverage, used });
    }
}

/// Empties this thread's cache (tests compare cached with fresh renders).
#[cfg(test)]
pub fn clear() {
    CACHE.with(|cache| *cache.borrow_mut() = GlyphCache::default());
}

/// How many glyphs and bytes this thread's cache holds.
#[cfg(test)]
pub fn held() -> (usize, usize) {
    CACHE.with(|cache| {
        let cache = cache.borrow();
        (cache.entries.len(), cache.bytes)
    })
}
