//! Incremental autosave: what changed since the last autosave, and a document
//! rebuilt from what was stored.
//!
//! The document is cut into keyed *pieces*: every 256×256 tile of each layer's
//! pixels and mask and of the selection (the grid of [`super::tiles`]), and
//! whole blobs for the source ICC profile, EXIF and brand reference images.
//! Everything else (canvas size, layer stack and properties, provenance, the
//! brand kit's text) is a small JSON *state*. [`Document::autosave_changes`]
//! fingerprints every piece and returns only those whose fingerprint differs
//! from the last save's (a tile of one colour as that one pixel), with the
//! state and the list of live keys, so a brush
//! stroke on a 12 MP photo stores one or two tiles, not the whole project;
//! the first save of a document stores everything. Fingerprinting reads the
//! pixels once (no copy), which works whatever command changed them.
//!
//! The fingerprints become the baseline only once the caller says the pieces
//! were stored ([`AutosaveBaseline::mark_stored`]): a failed write leaves the
//! baseline alone, so the next save sends those pieces again.
//!
//! [`AutosaveRestore`] rebuilds the document from the state and its pieces,
//! checking sizes and completeness as for a hostile file (the store may be
//! damaged), with the same layer ids, so the baseline it returns matches the
//! stored keys and the next save after a recovery is small too.

use super::brand::{self, BrandKit, MAX_REFERENCES};
use super::brand_type::StoredBrandType;
use super::change::Change;
use super::history::StoredEntry;
use super::layer::{Layer, LayerId, LayerProperties};
use super::text::{fonts_of, stored_font, FontTable, TextLayer};
use super::tiles::TILE_SIZE;
use super::{check_json, Document, Rect};
use crate::image_io::{check_dimensions, SourceMetadata, MAX_PIXELS};
use crate::ops::blend::BlendMode;
use crate::text::Font;
use crate::{Error, Result};
use image::{GrayImage, RgbaImage};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, HashMap};

/// Version of the stored state; a different one is refused on recovery.
pub const AUTOSAVE_FORMAT: u32 = 1;
/// Most layer pixels a recovered document may hold (as for OpenRaster files).
const MAX_TOTAL_PIXELS: u64 = 4 * MAX_PIXELS;
/// Most layers a recovered document may hold.
const MAX_LAYERS: usize = 1_000;
/// Largest ICC profile or EXIF block accepted on recovery.
const MAX_METADATA_BYTES: usize = 16 << 20;

/// Most bytes of history an autosave keeps when none is configured.
pub const DEFAULT_HISTORY_BUDGET: usize = 256 << 20;

/// Fingerprints of the pieces as last stored, by key (a history step's is
/// its stamp), and how much history a save may keep.
#[derive(Debug)]
pub struct AutosaveBaseline {
    stored: HashMap<String, u64>,
    /// Fingerprints of the last changes handed out, not yet confirmed stored.
    pending: Option<HashMap<String, u64>>,
    history_budget: usize,
    restored: RestoredHistory,
}

impl Default for AutosaveBaseline {
    fn default() -> Self {
        AutosaveBaseline {
            stored: HashMap::new(),
            pending: None,
            history_budget: DEFAULT_HISTORY_BUDGET,
            restored: RestoredHistory::default(),
        }
    }
}

/// What a recovery could not bring back of the saved history.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RestoredHistory {
    /// Older steps the save had left out: over the autosave's history budget.
    pub not_kept: usize,
    /// Steps left out on recovery because their stored bytes were damaged.
    pub damaged: usize,
}

impl AutosaveBaseline {
    /// Most bytes of history a save keeps (the oldest steps are left out first).
    pub fn set_history_budget(&mut self, bytes: usize) {
        self.history_budget = bytes;
    }

    /// What the recovery this baseline came from could not bring back of
    /// the history (zeros for a document that was not recovered).
    pub fn restored_history(&self) -> RestoredHistory {
        self.restored
    }

    /// The changes last handed out were stored: they become the baseline.
    pub fn mark_stored(&mut self) {
        if let Some(pending) = self.pending.take() {
            self.stored = pending;
        }
    }

    /// True before anything was stored (the next changes are a full save).
    pub fn is_empty(&self) -> bool {
        self.stored.is_empty()
    }
}

/// Where a changed piece's bytes lie in [`AutosaveChanges::bytes`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PieceRange {
    pub key: String,
    pub offset: usize,
    pub length: usize,
}

/// What to store: see the module docs.
#[derive(Debug)]
pub struct AutosaveChanges {
    /// The document state as JSON (no pixels).
    pub state: String,
    /// Every piece the document consists of now; stored pieces with other
    /// keys are stale.
    pub keys: Vec<String>,
    /// The changed pieces, their bytes back to back in `bytes`.
    pub pieces: Vec<PieceRange>,
    pub bytes: Vec<u8>,
    /// True when every piece is included (nothing was stored before).
    pub full: bool,
    /// The first history entry the save keeps (entries before it are over
    /// the history budget), and how many entries it leaves out in all.
    pub history_first: usize,
    pub history_left_out: usize,
}

/// The document state: everything but the pieces' bytes.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StoredState {
    format: u32,
    width: u32,
    height: u32,
    next_id: LayerId,
    /// Bottom layer first.
    layers: Vec<StoredLayer>,
    selection: bool,
    icc_profile: bool,
    exif: bool,
    brand_style: String,
    brand_palette: Vec<String>,
    brand_references: usize,
    /// Absent in saves from before history was kept.
    #[serde(default)]
    history: Option<StoredHistory>,
    /// The SHA-256 of each font the text layers and history steps use
    /// (pieces `font/<key>`); absent in saves from before text layers.
    #[serde(default)]
    fonts: Vec<String>,
    /// The brand kit's fonts and text styles (JSON, fonts by key, each also in `fonts`);
    /// absent in saves from before them.
    #[serde(default)]
    brand_type: Option<String>,
}

/// The saved history steps (their changes are pieces `history/<stamp>`).
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StoredHistory {
    /// How many of `entries` are applied.
    position: usize,
    /// Oldest first.
    entries: Vec<StoredStep>,
    /// Steps left out: over the history budget.
    not_kept: usize,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StoredStep {
    name: String,
    stamp: u64,
}

fn history_key(stamp: u64) -> String {
    format!("history/{stamp}")
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StoredLayer {
    id: LayerId,
    name: String,
    visible: bool,
    opacity: f32,
    mode: String,
    locked: bool,
    x: i32,
    y: i32,
    width: u32,
    height: u32,
    mask: bool,
    provenance: Option<String>,
    /// A text layer's source (see [`TextLayer::to_json`]).
    #[serde(default)]
    text: Option<String>,
}

/// A piece of the document, borrowed.
enum Source<'a> {
    /// A rectangle of a row-major raster.
    Tile {
        raster: &'a [u8],
        raster_width: u32,
        bytes_per_pixel: usize,
        rect: Rect,
    },
    Blob(&'a [u8]),
    /// A font file (its bytes shared with the layers that use it).
    Font(Font),
}

impl<'a> Source<'a> {
    /// The piece's bytes, row by row (a blob is one row).
    fn rows(&self) -> Box<dyn Iterator<Item = &[u8]> + '_> {
        match *self {
            Source::Blob(bytes) => Box::new(std::iter::once(bytes)),
            Source::Font(ref font) => Box::new(std::iter::once(font.bytes())),
            Source::Tile {
                raster,
                raster_width,
                bytes_per_pixel,
                rect,
            } => Box::new(tile_rows(raster, raster_width, bytes_per_pixel, rect)),
        }
    }

    /// Bytes of the piece.
    fn len(&self) -> usize {
        match *self {
            Source::Blob(bytes) => bytes.len(),
            Source::Font(ref font) => font.bytes().len(),
            Source::Tile {
                bytes_per_pixel,
                rect,
                ..
            } => rect.area() as usize * bytes_per_pixel,
        }
    }

    /// For a tile whose pixels are all the same (empty layers, white masks,
    /// most of a selection), that pixel: it is stored alone.
    fn uniform_pixel(&self) -> Option<&'a [u8]> {
        let Source::Tile {
            raster,
            raster_width,
            bytes_per_pixel,
            rect,
        } = *self
        else {
            return None;
        };
        let rows = || tile_rows(raster, raster_width, bytes_per_pixel, rect);
        let first = &rows().next()?[..bytes_per_pixel];
        rows()
            .all(|row| row.chunks_exact(bytes_per_pixel).all(|p| p == first))
            .then_some(first)
    }

    fn fingerprint(&self) -> u64 {
        let mut hash = FINGERPRINT_SEED;
        for row in self.rows() {
            hash = mix(hash ^ hash_bytes(row));
        }
        hash
    }
}

/// The rows of `rect` in a row-major raster `raster_width` pixels wide.
fn tile_rows(
    raster: &[u8],
    raster_width: u32,
    bpp: usize,
    rect: Rect,
) -> impl Iterator<Item = &[u8]> {
    let row_len = rect.width as usize * bpp;
    (0..rect.height as usize).map(move |row| {
        let start = ((rect.y as usize + row) * raster_width as usize + rect.x as usize) * bpp;
        &raster[start..start + row_len]
    })
}

/// The pieces of `doc`, in a fixed order.
fn pieces(doc: &Document) -> Vec<(String, Source<'_>)> {
    let mut out = Vec::new();
    for layer in doc.layers() {
        let (w, h) = layer.pixels.dimensions();
        push_tiles(
            &mut out,
            &format!("layer/{}/pixels", layer.id),
            doc.committed_pixels(layer),
            w,
            h,
            4,
        );
        if let Some(mask) = &layer.mask {
            push_tiles(&mut out, &format!("layer/{}/mask", layer.id), mask, w, h, 1);
        }
    }
    if let Some(selection) = doc.selection() {
        let (w, h) = selection.dimensions();
        push_tiles(&mut out, "selection", selection, w, h, 1);
    }
    let source = doc.source_metadata();
    if let Some(icc) = &source.icc_profile {
        out.push(("source/icc".into(), Source::Blob(icc)));
    }
    if let Some(exif) = &source.exif {
        out.push(("source/exif".into(), Source::Blob(exif)));
    }
    for (index, png) in doc.brand_kit().references.iter().enumerate() {
        out.push((format!("brand/reference/{index}"), Source::Blob(png)));
    }
    for (key, font) in doc.fonts_in_use() {
        out.push((font_key(&key), Source::Font(font)));
    }
    out
}

fn font_key(key: &str) -> String {
    format!("font/{key}")
}

impl Document {
    /// The fonts of the text layers, the brand kit and the history steps, by key.
    fn fonts_in_use(&self) -> FontTable {
        let mut fonts = fonts_of(self.layers());
        fonts.extend(self.brand_kit().font_table());
        for index in 0..self.history.len() {
            self.history.saved_entry(index).2.collect_fonts(&mut fonts);
        }
        fonts
    }
}

/// Adds the tiles of a raster, keyed `{prefix}/{column}-{row}`.
fn push_tiles<'a>(
    out: &mut Vec<(String, Source<'a>)>,
    prefix: &str,
    raster: &'a [u8],
    width: u32,
    height: u32,
    bytes_per_pixel: usize,
) {
    for (col, row, rect) in grid(width, height) {
        out.push((
            format!("{prefix}/{col}-{row}"),
            Source::Tile {
                raster,
                raster_width: width,
                bytes_per_pixel,
                rect,
            },
        ));
    }
}

/// The cells of the tile grid over a `width`×`height` raster: column, row and
/// the cell clipped to the raster.
fn grid(width: u32, height: u32) -> impl Iterator<Item = (u32, u32, Rect)> {
    let (cols, rows) = (width.div_ceil(TILE_SIZE), height.div_ceil(TILE_SIZE));
    (0..rows).flat_map(move |row| {
        (0..cols).map(move |col| {
            let (x, y) = (col * TILE_SIZE, row * TILE_SIZE);
            let rect = Rect::new(
                x as i32,
                y as i32,
                TILE_SIZE.min(width - x),
                TILE_SIZE.min(height - y),
            );
            (col, row, rect)
        })
    })
}

impl Document {
    /// The pieces that differ from `baseline` with the state and the live
    /// keys (see the module docs). The new fingerprints wait in `baseline`
    /// until [`AutosaveBaseline::mark_stored`].
    pub fn autosave_changes(&self, baseline: &mut AutosaveBaseline) -> Result<AutosaveChanges> {
        let full = baseline.is_empty();
        let mut fingerprints = HashMap::new();
        let mut keys = Vec::new();
        let mut changed = Vec::new();
        for (key, source) in pieces(self) {
            let fingerprint = source.fingerprint();
            if baseline.stored.get(&key) != Some(&fingerprint) {
                let stored = match source.uniform_pixel() {
                    Some(pixel) => Source::Blob(pixel),
                    None => source,
                };
                changed.push((key.clone(), stored));
            }
            fingerprints.insert(key.clone(), fingerprint);
            keys.push(key);
        }
        // History steps the budget keeps, stored again only when crossed since.
        let window = self.history.saved_window(baseline.history_budget);
        let mut steps = Vec::new();
        let mut encoded = Vec::new();
        for index in window.first..window.last {
            let (name, stamp, change) = self.history.saved_entry(index);
            let key = history_key(stamp);
            if baseline.stored.get(&key) != Some(&stamp) {
                encoded.push((key.clone(), change.encode()));
            }
            fingerprints.insert(key.clone(), stamp);
            keys.push(key);
            steps.push(StoredStep {
                name: name.to_owned(),
                stamp,
            });
        }
        let history_left_out = self.history.len() - steps.len();
        let history = StoredHistory {
            position: self.history.position() - window.first,
            entries: steps,
            not_kept: history_left_out,
        };
        // One allocation of the exact size: a first save copies the whole document.
        let total = changed.iter().map(|(_, s)| s.len()).sum::<usize>()
            + encoded.iter().map(|(_, b)| b.len()).sum::<usize>();
        let mut bytes = Vec::with_capacity(total);
        let mut ranges = Vec::with_capacity(changed.len());
        for (key, source) in changed {
            let offset = bytes.len();
            source.rows().for_each(|row| bytes.extend_from_slice(row));
            ranges.push(PieceRange {
                key,
                offset,
                length: bytes.len() - offset,
            });
        }
        for (key, step) in encoded {
            ranges.push(PieceRange {
                key,
                offset: bytes.len(),
                length: step.len(),
            });
            bytes.extend_from_slice(&step);
        }
        baseline.pending = Some(fingerprints);
        Ok(AutosaveChanges {
            state: self.autosave_state(history)?,
            keys,
            pieces: ranges,
            bytes,
            full,
            history_first: window.first,
            history_left_out,
        })
    }

    fn autosave_state(&self, history: StoredHistory) -> Result<String> {
        let kit = self.brand_kit();
        let state = StoredState {
            format: AUTOSAVE_FORMAT,
            width: self.width(),
            height: self.height(),
            next_id: self.next_id,
            layers: self
                .layers()
                .iter()
                .map(|l| StoredLayer {
                    id: l.id,
                    name: l.props.name.clone(),
                    visible: l.props.visible,
                    opacity: l.props.opacity,
                    mode: l.props.mode.name().to_owned(),
                    locked: l.props.locked,
                    x: l.props.offset.0,
                    y: l.props.offset.1,
                    width: l.pixels.width(),
                    height: l.pixels.height(),
                    mask: l.mask.is_some(),
                    provenance: self.provenance(l.id).map(str::to_owned),
                    text: l.text.as_ref().map(|t| t.to_json()),
                })
                .collect(),
            selection: self.selection().is_some(),
            icc_profile: self.source_metadata().icc_profile.is_some(),
            exif: self.source_metadata().exif.is_some(),
            brand_style: kit.style.clone(),
            brand_palette: kit.palette_hex(),
            brand_references: kit.references.len(),
            history: Some(history),
            fonts: self.fonts_in_use().into_keys().collect(),
            brand_type: Some(StoredBrandType::new(&kit.fonts, &kit.text_styles))
                .filter(|t| !t.is_empty())
                .map(|t| t.to_json()),
        };
        serde_json::to_string(&state)
            .map_err(|e| Error::Encode(format!("cannot write the autosave state: {e}")))
    }
}

/// Where a stored piece goes while a document is rebuilt.
enum Target {
    Pixels(usize),
    Mask(usize),
    Selection,
    Icc,
    Exif,
    Reference(usize),
    Font(String),
}

/// Rebuilds a document from an autosave: the state first, then each stored
/// piece, then [`AutosaveRestore::finish`]. See the module docs.
pub struct AutosaveRestore {
    state: StoredState,
    pixels: Vec<RgbaImage>,
    masks: Vec<Option<GrayImage>>,
    selection: Option<GrayImage>,
    icc: Option<Vec<u8>>,
    exif: Option<Vec<u8>>,
    references: Vec<Option<Vec<u8>>>,
    /// Keys the state calls for that have not arrived yet.
    missing: BTreeSet<String>,
    /// Stored history steps by key; a missing or damaged one costs only history.
    history: HashMap<String, Vec<u8>>,
    /// The fonts read so far, by key.
    fonts: FontTable,
}

impl AutosaveRestore {
    /// Reads and checks the state; allocates the layers it describes.
    pub fn new(state_json: &str) -> Result<AutosaveRestore> {
        let state: StoredState = serde_json::from_str(state_json)
            .map_err(|e| damaged(&format!("its state is not valid: {e}")))?;
        if state.format != AUTOSAVE_FORMAT {
            return Err(damaged(&format!(
                "it has format {}, this version reads {AUTOSAVE_FORMAT}",
                state.format
            )));
        }
        check_dimensions(state.width, state.height)?;
        if state.layers.len() > MAX_LAYERS {
            return Err(Error::TooLarge(format!(
                "the autosave has {} layers; at most {MAX_LAYERS} are accepted",
                state.layers.len()
            )));
        }
        if state.brand_references > MAX_REFERENCES {
            return Err(damaged("it lists too many brand references"));
        }
        let mut total = 0u64;
        let mut ids = BTreeSet::new();
        for layer in &state.layers {
            check_dimensions(layer.width, layer.height)?;
            total += u64::from(layer.width) * u64::from(layer.height);
            if total > MAX_TOTAL_PIXELS {
                return Err(Error::TooLarge(format!(
                    "the autosave's layers hold more than {} MP in all",
                    MAX_TOTAL_PIXELS / 1_000_000
                )));
            }
            if !ids.insert(layer.id) || layer.id >= state.next_id {
                return Err(damaged(&format!(
                    "layer id {} is repeated or not below the next id {}",
                    layer.id, state.next_id
                )));
            }
        }
        let mut restore = AutosaveRestore {
            pixels: state
                .layers
                .iter()
                .map(|l| RgbaImage::new(l.width, l.height))
                .collect(),
            masks: state
                .layers
                .iter()
                .map(|l| l.mask.then(|| GrayImage::new(l.width, l.height)))
                .collect(),
            selection: state
                .selection
                .then(|| GrayImage::new(state.width, state.height)),
            icc: None,
            exif: None,
            references: vec![None; state.brand_references],
            missing: BTreeSet::new(),
            history: HashMap::new(),
            fonts: FontTable::new(),
            state,
        };
        restore.missing = restore.expected_keys();
        Ok(restore)
    }

    fn expected_keys(&self) -> BTreeSet<String> {
        let mut keys = BTreeSet::new();
        let mut tiles = |prefix: String, width: u32, height: u32| {
            keys.extend(grid(width, height).map(|(c, r, _)| format!("{prefix}/{c}-{r}")));
        };
        for layer in &self.state.layers {
            tiles(
                format!("layer/{}/pixels", layer.id),
                layer.width,
                layer.height,
            );
            if layer.mask {
                tiles(
                    format!("layer/{}/mask", layer.id),
                    layer.width,
                    layer.height,
                );
            }
        }
        if self.state.selection {
            tiles("selection".into(), self.state.width, self.state.height);
        }
        if self.state.icc_profile {
            keys.insert("source/icc".into());
        }
        if self.state.exif {
            keys.insert("source/exif".into());
        }
        keys.extend((0..self.state.brand_references).map(|i| format!("brand/reference/{i}")));
        keys.extend(self.state.fonts.iter().map(|key| font_key(key)));
        keys
    }

    /// Puts one stored piece in place. A key the state does not call for,
    /// or bytes of the wrong length, are refused.
    pub fn add_piece(&mut self, key: &str, bytes: &[u8]) -> Result<()> {
        if self.is_history_step(key) && !self.history.contains_key(key) {
            self.history.insert(key.to_owned(), bytes.to_vec());
            return Ok(());
        }
        if !self.missing.remove(key) {
            return Err(damaged(&format!(
                "it holds '{key}', which its state does not list (or twice)"
            )));
        }
        let (target, cell) = self.target(key)?;
        let write = |raster: &mut [u8], width: u32, bpp: usize| -> Result<()> {
            let (col, row) = cell.expect("tiles have a cell");
            let rect = Rect::new(
                (col * TILE_SIZE) as i32,
                (row * TILE_SIZE) as i32,
                TILE_SIZE.min(width - col * TILE_SIZE),
                TILE_SIZE.min(raster.len() as u32 / bpp as u32 / width - row * TILE_SIZE),
            );
            let row_len = rect.width as usize * bpp;
            if bytes.len() == bpp {
                // A uniform tile: its one pixel.
                for y in rect.y as usize..rect.bottom() as usize {
                    let start = (y * width as usize + rect.x as usize) * bpp;
                    for pixel in raster[start..start + row_len].chunks_exact_mut(bpp) {
                        pixel.copy_from_slice(bytes);
                    }
                }
                return Ok(());
            }
            if bytes.len() != row_len * rect.height as usize {
                return Err(damaged(&format!(
                    "'{key}' holds {} bytes where {} were expected",
                    bytes.len(),
                    row_len * rect.height as usize
                )));
            }
            for (i, source) in bytes.chunks_exact(row_len).enumerate() {
                let start = ((rect.y as usize + i) * width as usize + rect.x as usize) * bpp;
                raster[start..start + row_len].copy_from_slice(source);
            }
            Ok(())
        };
        match target {
            Target::Pixels(i) => {
                let width = self.pixels[i].width();
                write(&mut self.pixels[i], width, 4)
            }
            Target::Mask(i) => {
                let mask = self.masks[i].as_mut().expect("listed masks exist");
                let width = mask.width();
                write(mask, width, 1)
            }
            Target::Selection => {
                let selection = self.selection.as_mut().expect("a listed selection exists");
                let width = selection.width();
                write(selection, width, 1)
            }
            Target::Icc | Target::Exif if bytes.len() > MAX_METADATA_BYTES => {
                Err(Error::TooLarge(format!("'{key}' is {} bytes", bytes.len())))
            }
            Target::Icc => {
                self.icc = Some(bytes.to_vec());
                Ok(())
            }
            Target::Exif => {
                self.exif = Some(bytes.to_vec());
                Ok(())
            }
            Target::Reference(i) => {
                brand::check_stored_reference(bytes)?;
                self.references[i] = Some(bytes.to_vec());
                Ok(())
            }
            Target::Font(key) => {
                let font = stored_font(&key, bytes.to_vec(), &format!("'{key}' in the autosave"))?;
                self.fonts.insert(key, font);
                Ok(())
            }
        }
    }

    fn is_history_step(&self, key: &str) -> bool {
        self.state.history.as_ref().is_some_and(|h| {
            h.entries
                .iter()
                .any(|step| key.strip_prefix("history/") == Some(&step.stamp.to_string()))
        })
    }

    /// What a listed key names, and for a tile its column and row.
    fn target(&self, key: &str) -> Result<(Target, Option<(u32, u32)>)> {
        let cell = |text: &str| -> Result<(u32, u32)> {
            let (col, row) = text.split_once('-').ok_or_else(|| damaged(key))?;
            Ok((
                col.parse().map_err(|_| damaged(key))?,
                row.parse().map_err(|_| damaged(key))?,
            ))
        };
        let layer_index = |id: &str| -> Result<usize> {
            let id: LayerId = id.parse().map_err(|_| damaged(key))?;
            self.state
                .layers
                .iter()
                .position(|l| l.id == id)
                .ok_or_else(|| damaged(key))
        };
        let parts: Vec<&str> = key.split('/').collect();
        Ok(match parts[..] {
            ["layer", id, "pixels", at] => (Target::Pixels(layer_index(id)?), Some(cell(at)?)),
            ["layer", id, "mask", at] => (Target::Mask(layer_index(id)?), Some(cell(at)?)),
            ["selection", at] => (Target::Selection, Some(cell(at)?)),
            ["source", "icc"] => (Target::Icc, None),
            ["source", "exif"] => (Target::Exif, None),
            ["font", font] => (Target::Font(font.to_owned()), None),
            ["brand", "reference", i] => (
                Target::Reference(i.parse().map_err(|_| damaged(key))?),
                None,
            ),
            _ => return Err(damaged(&format!("'{key}' is not a piece it knows"))),
        })
    }

    /// The rebuilt document (history empty) and the baseline that matches
    /// what is stored; fails when a listed piece never arrived.
    pub fn finish(self) -> Result<(Document, AutosaveBaseline)> {
        if let Some(key) = self.missing.first() {
            return Err(damaged(&format!(
                "'{key}' and {} other piece(s) are missing",
                self.missing.len() - 1
            )));
        }
        let state = self.state;
        let mut doc = Document::new(state.width, state.height)?;
        for ((stored, pixels), mask) in state.layers.into_iter().zip(self.pixels).zip(self.masks) {
            let props = LayerProperties {
                name: stored.name,
                visible: stored.visible,
                opacity: stored.opacity,
                mode: BlendMode::from_name(&stored.mode)?,
                locked: stored.locked,
                offset: (stored.x, stored.y),
            };
            props.validate()?;
            if let Some(json) = &stored.provenance {
                check_json("provenance", json)?;
                doc.provenance.insert(stored.id, json.clone());
            }
            let text = match &stored.text {
                Some(json) => {
                    let what = format!("of layer '{}' in the autosave", props.name);
                    Some(Box::new(TextLayer::from_json(json, &self.fonts, &what)?))
                }
                None => None,
            };
            doc.stack.layers.push(Layer {
                text,
                id: stored.id,
                props,
                pixels,
                mask,
            });
        }
        doc.next_id = state.next_id;
        doc.stack.selection = self.selection;
        brand::check_style(&state.brand_style)?;
        let (fonts, text_styles) = match &state.brand_type {
            Some(json) => StoredBrandType::from_json(json, "in the autosave")?
                .resolve(&self.fonts, "in the autosave")?,
            None => Default::default(),
        };
        doc.stack.brand = BrandKit {
            style: state.brand_style,
            palette: brand::parse_palette(&state.brand_palette)?,
            references: self.references.into_iter().flatten().collect(),
            fonts,
            text_styles,
        };
        doc.source = SourceMetadata {
            icc_profile: self.icc,
            exif: self.exif,
        };
        let mut restored = RestoredHistory::default();
        if let Some(history) = state.history {
            restored = restore_history(&mut doc, history, self.history, &self.fonts);
        }
        // After the history: the fonts its steps use are pieces too.
        let mut stored: HashMap<String, u64> = pieces(&doc)
            .into_iter()
            .map(|(key, source)| {
                let fingerprint = source.fingerprint();
                (key, fingerprint)
            })
            .collect();
        for index in 0..doc.history.len() {
            let (_, stamp, _) = doc.history.saved_entry(index);
            stored.insert(history_key(stamp), stamp);
        }
        let baseline = AutosaveBaseline {
            stored,
            restored,
            ..AutosaveBaseline::default()
        };
        Ok((doc, baseline))
    }
}

/// Puts the saved steps that decode and replay into `doc`'s history: the
/// contiguous run around the saved position (a damaged step cuts off the
/// steps beyond it, never the document).
fn restore_history(
    doc: &mut Document,
    history: StoredHistory,
    mut pieces: HashMap<String, Vec<u8>>,
    fonts: &FontTable,
) -> RestoredHistory {
    let total = history.entries.len();
    let position = history.position.min(total);
    let decoded: Vec<Option<StoredEntry>> = history
        .entries
        .into_iter()
        .map(|step| {
            let key = history_key(step.stamp);
            let bytes = pieces.remove(&key)?;
            let change = Change::decode(&bytes, &step.name, fonts).ok()?;
            Some(StoredEntry {
                name: step.name,
                stamp: step.stamp,
                change,
            })
        })
        .collect();
    let mut first = position;
    while first > 0 && decoded[first - 1].is_some() {
        first -= 1;
    }
    let mut last = position;
    while last < total && decoded[last].is_some() {
        last += 1;
    }
    let entries: Vec<StoredEntry> = decoded
        .into_iter()
        .take(last)
        .skip(first)
        .map(|step| step.expect("inside the run"))
        .collect();
    let failed = doc
        .history
        .restore(entries, position - first, &mut doc.stack, doc.next_id);
    RestoredHistory {
        not_kept: history.not_kept,
        damaged: total - (last - first) + failed,
    }
}

fn damaged(why: &str) -> Error {
    Error::Decode(format!("the autosaved project is damaged: {why}"))
}

const FINGERPRINT_SEED: u64 = 0x9e37_79b9_7f4a_7c15;
const LANE_KEYS: [u64; 4] = [
    0xa076_1d64_78bd_642f,
    0xe703_7ed1_a0b4_28db,
    0x8ebc_6af0_9c88_c6e3,
    0x5899_65cc_7537_4cc3,
];

/// A 64-bit hash of `bytes`: four independent multiply-rotate lanes over
/// 8-byte words (so it runs at memory speed, also in wasm), folded and
/// finished with the SplitMix64 mixer. Not cryptographic: it tells an edited
/// tile from the stored one, where an accidental collision is ~2⁻⁶⁴.
fn hash_bytes(bytes: &[u8]) -> u64 {
    let mut lanes = LANE_KEYS;
    let mut chunks = bytes.chunks_exact(32);
    for chunk in &mut chunks {
        for (lane, (word, key)) in lanes.iter_mut().zip(chunk.chunks_exact(8).zip(LANE_KEYS)) {
            let word = u64::from_le_bytes(word.try_into().expect("8 bytes"));
            *lane = (*lane ^ word).wrapping_mul(key | 1).rotate_left(29);
        }
    }
    let mut hash = bytes.len() as u64;
    for lane in lanes {
        hash = mix(hash ^ lane);
    }
    for word in chunks.remainder().chunks(8) {
        let mut padded = [0u8; 8];
        padded[..word.len()].copy_from_slice(word);
        hash = mix(hash ^ u64::from_le_bytes(padded));
    }
    hash
}

/// SplitMix64's finaliser: every input bit affects every output bit.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(FINGERPRINT_SEED);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doc::tiles::{Plane, TilePatch};
    use crate::image_io::decode_rgba;

    /// What the page's IndexedDB holds: the state and the pieces by key.
    #[derive(Default)]
    struct Store {
        state: String,
        pieces: HashMap<String, Vec<u8>>,
    }

    impl Store {
        /// Applies changes as the autosave worker does (one transaction);
        /// returns the bytes written.
        fn write(&mut self, changes: &AutosaveChanges) -> usize {
            for piece in &changes.pieces {
                let bytes = &changes.bytes[piece.offset..piece.offset + piece.length];
                self.pieces.insert(piece.key.clone(), bytes.to_vec());
            }
            self.pieces.retain(|key, _| changes.keys.contains(key));
            self.state = changes.state.clone();
            changes.bytes.len()
        }

        fn restore(&self) -> Result<(Document, AutosaveBaseline)> {
            let mut restore = AutosaveRestore::new(&self.state)?;
            for (key, bytes) in &self.pieces {
                restore.add_piece(key, bytes)?;
            }
            restore.finish()
        }
    }

    /// The sample photo tiled up to a 12 MP-like 2400×1800 canvas.
    fn tiled_sample() -> RgbaImage {
        let sample = decode_rgba(include_bytes!("../../../web/samples/base.png")).unwrap();
        RgbaImage::from_fn(2400, 1800, |x, y| {
            *sample.get_pixel(x % sample.width(), y % sample.height())
        })
    }

    fn assert_same_document(a: &Document, b: &Document) {
        assert_eq!((a.width(), a.height()), (b.width(), b.height()));
        assert_eq!(
            a.layers(),
            b.layers(),
            "layers, ids, properties, pixels, masks"
        );
        assert_eq!(a.selection(), b.selection());
        assert_eq!(a.brand_kit(), b.brand_kit());
        assert_eq!(a.source_metadata(), b.source_metadata());
        for layer in a.layers() {
            assert_eq!(a.provenance(layer.id), b.provenance(layer.id));
        }
    }

    fn edited_document() -> Document {
        let mut doc = Document::new(2400, 1800).unwrap();
        let background = doc
            .add_layer(LayerProperties::named("Photo"), tiled_sample(), None, None)
            .unwrap();
        let patch = RgbaImage::from_pixel(300, 200, image::Rgba([200, 30, 40, 180]));
        let top = doc
            .add_layer(
                LayerProperties {
                    offset: (-20, 700),
                    opacity: 0.6,
                    mode: BlendMode::Screen,
                    ..LayerProperties::named("Patch \"quoted\"")
                },
                patch,
                None,
                None,
            )
            .unwrap();
        doc.add_layer_mask(top, None).unwrap();
        doc.set_provenance(
            top,
            Some(r#"{"provider":"mock","prompt":"a lantern"}"#.into()),
        )
        .unwrap();
        doc.set_selection(
            Some(GrayImage::from_fn(2400, 1800, |x, y| {
                image::Luma([((x ^ y) & 0xff) as u8])
            })),
            "Select",
        )
        .unwrap();
        doc.set_brand_style("warm, film grain").unwrap();
        doc.set_brand_palette(&["#112233"]).unwrap();
        doc.set_source_metadata(SourceMetadata {
            icc_profile: Some(vec![1, 2, 3, 4]),
            exif: Some(b"II*\0exif".to_vec()),
        })
        .unwrap();
        doc.delete_layer(background).unwrap();
        doc.undo().unwrap();
        doc
    }

    #[test]
    fn first_save_is_full_and_an_unchanged_document_sends_nothing() {
        let doc = edited_document();
        let mut baseline = AutosaveBaseline::default();
        let mut store = Store::default();
        let first = doc.autosave_changes(&mut baseline).unwrap();
        assert!(first.full);
        assert_eq!(first.pieces.len(), first.keys.len(), "every piece");
        // The patch layer is one colour and its mask white: a pixel per tile.
        let top = doc.layers()[1].id;
        let length = |key: String| first.pieces.iter().find(|p| p.key == key).unwrap().length;
        assert_eq!(length(format!("layer/{top}/pixels/1-0")), 4);
        assert_eq!(length(format!("layer/{top}/mask/0-0")), 1);
        assert_eq!(length("selection/0-0".into()), 256 * 256);
        assert_eq!(length("source/exif".into()), 8);
        store.write(&first);
        baseline.mark_stored();

        let again = doc.autosave_changes(&mut baseline).unwrap();
        assert!(!again.full);
        assert!(again.pieces.is_empty() && again.bytes.is_empty());
        assert_eq!(again.keys, first.keys);
        assert_eq!(again.state, first.state);

        let (restored, _) = store.restore().unwrap();
        assert_same_document(&restored, &doc);
    }

    #[test]
    fn a_brush_stroke_sends_the_tiles_it_touched_and_recovery_brings_it_back() {
        let mut doc = edited_document();
        let mut baseline = AutosaveBaseline::default();
        let mut store = Store::default();
        store.write(&doc.autosave_changes(&mut baseline).unwrap());
        baseline.mark_stored();

        // A 40×30 stroke across the corner of four tiles of the photo.
        let photo_id = doc.layers()[0].id;
        let stroke = RgbaImage::from_fn(40, 30, |x, y| {
            image::Rgba([x as u8 * 6, y as u8 * 8, 90, 255])
        });
        doc.paint_pixels(photo_id, (750, 1010), &stroke, "Brush Stroke")
            .unwrap();
        let changes = doc.autosave_changes(&mut baseline).unwrap();
        let keys: Vec<&str> = changes.pieces.iter().map(|p| p.key.as_str()).collect();
        let id = photo_id;
        let (_, step, _) = doc.history().saved_entry(doc.history().position() - 1);
        assert_eq!(
            keys,
            [
                format!("layer/{id}/pixels/2-3"),
                format!("layer/{id}/pixels/3-3"),
                format!("layer/{id}/pixels/2-4"),
                format!("layer/{id}/pixels/3-4"),
                history_key(step),
            ]
        );
        let written = store.write(&changes);
        let step_bytes = changes.pieces[4].length;
        assert!(
            step_bytes > 40 * 30 * 4 && step_bytes < 40 * 30 * 4 + 200,
            "the stroke's undo step holds the 40×30 pixels it replaced: {step_bytes}"
        );
        assert_eq!(
            written,
            4 * 256 * 256 * 4 + step_bytes,
            "four whole tiles and the step, not 17 MB"
        );
        baseline.mark_stored();

        // A property change and a deselect: state only, and the selection's keys go.
        doc.set_layer_properties(
            photo_id,
            LayerProperties {
                opacity: 0.5,
                ..doc.layers()[0].props.clone()
            },
        )
        .unwrap();
        doc.set_selection(None, "Deselect").unwrap();
        let changes = doc.autosave_changes(&mut baseline).unwrap();
        assert!(
            changes.pieces.iter().all(|p| p.key.starts_with("history/")),
            "no pixels, only the two new steps"
        );
        assert_eq!(changes.pieces.len(), 2);
        assert!(!changes.keys.iter().any(|k| k.starts_with("selection/")));
        store.write(&changes);
        baseline.mark_stored();

        let (restored, mut restored_baseline) = store.restore().unwrap();
        assert_same_document(&restored, &doc);
        assert_eq!(restored.history().len(), doc.history().len());
        let after_recovery = restored.autosave_changes(&mut restored_baseline).unwrap();
        assert!(
            !after_recovery.full && after_recovery.pieces.is_empty(),
            "the next save after a recovery is small"
        );

        // Undo of the stroke is sent too (as the same four tiles).
        doc.undo();
        doc.undo();
        doc.undo();
        let undone = doc.autosave_changes(&mut baseline).unwrap();
        assert_eq!(
            undone.pieces.len(),
            4 + 10 * 8 + 3,
            "the stroke's tiles, the selection's 10×8 (it comes back) and the three steps crossed"
        );
    }

    #[test]
    fn pieces_not_marked_stored_are_sent_again() {
        let mut doc = edited_document();
        let mut baseline = AutosaveBaseline::default();
        doc.autosave_changes(&mut baseline).unwrap();
        baseline.mark_stored();
        let id = doc.layers()[1].id;
        doc.paint_pixels(
            id,
            (0, 800),
            &RgbaImage::from_pixel(5, 5, image::Rgba([1, 2, 3, 4])),
            "Brush Stroke",
        )
        .unwrap();
        let failed = doc.autosave_changes(&mut baseline).unwrap();
        assert_eq!(failed.pieces.len(), 2, "the tile and the step");
        // The write failed: no mark_stored. The next save still carries it.
        let retry = doc.autosave_changes(&mut baseline).unwrap();
        assert_eq!(retry.pieces, failed.pieces);
    }

    #[test]
    fn a_damaged_store_is_refused_with_a_message() {
        let doc = edited_document();
        let mut baseline = AutosaveBaseline::default();
        let mut store = Store::default();
        store.write(&doc.autosave_changes(&mut baseline).unwrap());

        let message = |store: &Store| store.restore().expect_err("refused").to_string();
        let mut missing = Store {
            state: store.state.clone(),
            pieces: store.pieces.clone(),
        };
        missing.pieces.remove("source/exif");
        assert!(message(&missing).contains("'source/exif' and 0 other piece(s) are missing"));

        let mut short = Store {
            state: store.state.clone(),
            pieces: store.pieces.clone(),
        };
        short.pieces.get_mut("selection/9-6").unwrap().pop();
        assert!(
            message(&short).contains("'selection/9-6' holds"),
            "{}",
            message(&short)
        );

        let mut stranger = Store {
            state: store.state.clone(),
            pieces: store.pieces.clone(),
        };
        stranger
            .pieces
            .insert("layer/99/pixels/0-0".into(), vec![0; 4]);
        assert!(message(&stranger).contains("does not list"));

        let huge = store.state.replace("\"width\":2400", "\"width\":99999");
        assert!(AutosaveRestore::new(&huge).is_err());
        assert!(AutosaveRestore::new("{}")
            .err()
            .unwrap()
            .to_string()
            .contains("damaged"));
    }

    /// Undoes (then redoes) every step of both documents in lockstep,
    /// checking they stay identical, bit for bit.
    fn assert_same_history(a: &mut Document, b: &mut Document) {
        let names = |d: &Document| -> Vec<(String, bool)> {
            d.history()
                .items()
                .into_iter()
                .map(|i| (i.name, i.applied))
                .collect()
        };
        assert_eq!(names(a), names(b));
        assert_eq!(a.history().position(), b.history().position());
        let position = a.history().position();
        while let Some(name) = a.undo() {
            assert_eq!(b.undo().as_deref(), Some(name.as_str()));
            assert_same_document(a, b);
        }
        assert_eq!(b.undo(), None);
        while let Some(name) = a.redo() {
            assert_eq!(b.redo().as_deref(), Some(name.as_str()));
            assert_same_document(a, b);
        }
        a.jump_to(position).unwrap();
        b.jump_to(position).unwrap();
    }

    fn stroke(doc: &mut Document, at: (i32, i32), seed: u8) {
        let id = doc.layers()[0].id;
        let pixels = RgbaImage::from_fn(60, 40, |x, y| {
            image::Rgba([x as u8 ^ seed, y as u8 * 3, seed, 255])
        });
        doc.paint_pixels(id, at, &pixels, "Brush Stroke").unwrap();
    }

    #[test]
    fn history_survives_a_recovery_and_is_saved_incrementally() {
        let mut doc = edited_document();
        stroke(&mut doc, (700, 500), 1);
        stroke(&mut doc, (710, 520), 2);
        doc.undo();
        let mut baseline = AutosaveBaseline::default();
        let mut store = Store::default();
        let first = doc.autosave_changes(&mut baseline).unwrap();
        assert_eq!(first.history_left_out, 0);
        let steps = first
            .pieces
            .iter()
            .filter(|p| p.key.starts_with("history/"))
            .count();
        assert_eq!(steps, doc.history().len(), "every step is stored");
        store.write(&first);
        baseline.mark_stored();

        // A new stroke sends its tile(s) and one step; the undone stroke's step goes.
        stroke(&mut doc, (720, 540), 3);
        let changes = doc.autosave_changes(&mut baseline).unwrap();
        let sent: Vec<&str> = changes.pieces.iter().map(|p| p.key.as_str()).collect();
        assert_eq!(
            sent.iter().filter(|k| k.starts_with("history/")).count(),
            1,
            "{sent:?}"
        );
        assert!(sent.len() <= 3, "{sent:?}");
        store.write(&changes);
        baseline.mark_stored();
        // An undo crosses one step: that step is sent again.
        doc.undo();
        let changes = doc.autosave_changes(&mut baseline).unwrap();
        assert_eq!(
            changes
                .pieces
                .iter()
                .filter(|p| p.key.starts_with("history/"))
                .count(),
            1
        );
        store.write(&changes);
        baseline.mark_stored();

        let (mut restored, restored_baseline) = store.restore().unwrap();
        assert_eq!(
            restored_baseline.restored_history(),
            RestoredHistory::default()
        );
        assert_same_document(&restored, &doc);
        assert_same_history(&mut doc, &mut restored);
        // Redo after the recovery brings back the stroke, bit for bit.
        assert_eq!(restored.redo().as_deref(), Some("Brush Stroke"));
        doc.redo();
        assert_same_document(&restored, &doc);
    }

    #[test]
    fn history_over_the_budget_keeps_the_newest_steps_and_the_whole_document() {
        let mut doc = edited_document();
        for i in 0..6 {
            stroke(&mut doc, (100 + 50 * i, 900), i as u8);
        }
        let total = doc.history().len();
        let stroke_bytes = doc.history().items().last().unwrap().bytes;
        let mut baseline = AutosaveBaseline::default();
        baseline.set_history_budget(stroke_bytes * 3 + stroke_bytes / 2);
        let mut store = Store::default();
        let changes = doc.autosave_changes(&mut baseline).unwrap();
        assert_eq!(changes.history_left_out, total - 3);
        assert_eq!(changes.history_first, total - 3);
        store.write(&changes);

        let (mut restored, restored_baseline) = store.restore().unwrap();
        assert_same_document(&restored, &doc);
        assert_eq!(
            restored_baseline.restored_history(),
            RestoredHistory {
                not_kept: total - 3,
                damaged: 0
            }
        );
        assert_eq!(restored.history().len(), 3);
        for _ in 0..3 {
            assert_eq!(restored.undo().as_deref(), Some("Brush Stroke"));
            doc.undo();
            assert_same_document(&restored, &doc);
        }
        assert_eq!(restored.undo(), None, "older steps were not kept");
    }

    #[test]
    fn a_damaged_step_costs_history_never_the_document() {
        let mut doc = edited_document();
        for i in 0..4 {
            stroke(&mut doc, (100 + 50 * i, 900), i as u8);
        }
        let mut baseline = AutosaveBaseline::default();
        let mut store = Store::default();
        let changes = doc.autosave_changes(&mut baseline).unwrap();
        store.write(&changes);
        // Damage the second-newest stroke's step: it and all older steps go.
        let (_, stamp, _) = doc.history().saved_entry(doc.history().position() - 2);
        store
            .pieces
            .get_mut(&history_key(stamp))
            .unwrap()
            .truncate(9);
        let (mut restored, restored_baseline) = store.restore().unwrap();
        assert_same_document(&restored, &doc);
        assert_eq!(restored.history().position(), 1);
        assert_eq!(restored.undo().as_deref(), Some("Brush Stroke"));
        doc.undo();
        assert_same_document(&restored, &doc);
        assert_eq!(restored.undo(), None);
        let lost = restored_baseline.restored_history().damaged;
        assert_eq!(
            lost,
            doc.history().len() - 1,
            "only the newest step is kept"
        );

        doc.redo();
        // A step that decodes but does not fit the document (a tile outside the layer) is refused too.
        let patch = TilePatch::from_tiles(
            doc.layers()[0].id,
            Plane::Pixels,
            vec![(Rect::new(2390, 0, 20, 1), vec![0; 80])],
        );
        store
            .pieces
            .insert(history_key(stamp), Change::Tiles(patch).encode());
        let (restored, _) = store.restore().unwrap();
        assert_same_document(&restored, &doc);
        assert_eq!(restored.history().len(), 1);
    }

    #[test]
    fn every_change_kind_round_trips_through_its_bytes() {
        let mut doc = edited_document();
        let id = doc.layers()[1].id;
        doc.set_layer_properties(
            id,
            LayerProperties {
                name: "renamed".into(),
                ..doc.layers()[1].props.clone()
            },
        )
        .unwrap();
        doc.crop(Rect::new(10, 20, 2000, 1500)).unwrap();
        doc.move_layer(id, 0).unwrap();
        for index in 0..doc.history().len() {
            let (name, _, change) = doc.history().saved_entry(index);
            let bytes = change.encode();
            assert_eq!(
                &Change::decode(&bytes, name, &FontTable::new()).unwrap(),
                change,
                "{name}"
            );
            for cut in [0, 1, bytes.len() / 2, bytes.len() - 1] {
                assert!(
                    Change::decode(&bytes[..cut], name, &FontTable::new()).is_err(),
                    "{name} cut at {cut}"
                );
            }
        }
    }

    #[test]
    fn fingerprints_see_any_single_byte_change() {
        let base: Vec<u8> = (0..1027u32).map(|i| (i * 31 % 251) as u8).collect();
        let reference = hash_bytes(&base);
        for i in 0..base.len() {
            let mut changed = base.clone();
            changed[i] ^= 1 << (i % 8);
            assert_ne!(hash_bytes(&changed), reference, "byte {i}");
        }
        assert_ne!(hash_bytes(&base[..1026]), reference, "length counts");
    }
}
