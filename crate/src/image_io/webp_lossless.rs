//! A WebP lossless (VP8L) encoder fed a band of rows at a time, so that
//! exporting a document to WebP never holds its composite whole (issue 12:
//! image's encoder takes the image whole and copies it).
//!
//! The pixels are read twice. The first pass picks a predictor for every
//! 32×32 block and counts the symbols the second pass will write; the
//! prefix codes are built from those counts, which also give the stream's
//! exact length for the RIFF header before a byte of it is written. Only the
//! block row being coded (33 rows) and the per-block predictors are held.
//!
//! What is used of the format: the subtract-green transform, then the
//! predictor transform (per block: left, top, select or clamped gradient,
//! whichever leaves the smallest residuals), one group of five prefix
//! codes, literals and runs of the previous pixel (LZ77 with distance 1).
//! No colour cache, colour transform or palette: simple, and still denser
//! than image's encoder (top predictor everywhere).

use super::SourceMetadata;
use crate::{Error, Result};
use std::io::Write;

/// Predictor blocks are 2^5 = 32 px square.
const BLOCK_BITS: u32 = 5;
const BLOCK: usize = 1 << BLOCK_BITS;
/// The predictor modes tried for each block (the format's numbering): left,
/// top, select, clamped add-subtract-full (gradient).
const MODES: [u8; 4] = [1, 2, 11, 12];
/// The longest back reference the format codes.
const MAX_RUN: u32 = 4096;
/// Repeats shorter than this are written as literals.
const MIN_RUN: u32 = 3;
/// Alphabet sizes of the five codes: green with 24 length prefixes, red,
/// blue, alpha, distance.
const ALPHABETS: [usize; 5] = [256 + 24, 256, 256, 256, 40];
/// The distance prefix of a copy from the previous pixel: plane code 2 is
/// (1, 0), distance 1; value 2 is prefix symbol 1, with no extra bits.
const LEFT_DISTANCE_SYMBOL: usize = 1;
/// The order the code-length code's own lengths are written in.
const CODE_LENGTH_ORDER: [usize; 19] = [
    17, 18, 0, 1, 2, 3, 4, 5, 16, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
];

/// Encodes a `width`×`height` RGBA8 image as lossless WebP into `out`, from
/// pixels handed over a band of whole rows at a time: `bands` is called
/// twice and must hand over the same rows each time, top to bottom. The
/// ICC profile and EXIF go into their chunks (an extended file).
pub fn write_webp_in_bands<W: Write>(
    (width, height): (u32, u32),
    metadata: &SourceMetadata,
    mut out: W,
    mut bands: impl FnMut(&mut dyn FnMut(&[u8]) -> Result<()>) -> Result<()>,
) -> Result<()> {
    super::check_dimensions(width, height)?;
    let size = (width as usize, height as usize);

    // Pass 1: predictors and symbol counts.
    let mut counted = Blocks::new(size, Predictors::Choose(Vec::new()), Counts::default());
    bands(&mut |rows| counted.push_rows(rows))?;
    let (predictors, counts, alpha_used) = counted.finish()?;
    let codes = counts.codes();

    // Everything before the pixels, in memory: header, transforms, codes.
    let mut bits = BitWriter::default();
    bits.write(0x2f, 8);
    bits.write(width as u64 - 1, 14);
    bits.write(height as u64 - 1, 14);
    bits.write(u64::from(alpha_used), 1);
    bits.write(0, 3);
    // Subtract green (transform 2), then the predictor (transform 0).
    bits.write(1, 1);
    bits.write(2, 2);
    bits.write(1, 1);
    bits.write(0, 2);
    bits.write(u64::from(BLOCK_BITS - 2), 3);
    write_predictor_image(&mut bits, &predictors);
    bits.write(0, 1); // no more transforms
    bits.write(0, 1); // no colour cache
    bits.write(0, 1); // one group of codes
    for code in &codes {
        code.write_header(&mut bits);
    }
    let stream_bits = bits.len() + counts.data_bits(&codes);
    let stream_bytes = u32::try_from(stream_bits.div_ceil(8))
        .ok()
        .filter(|&n| n <= u32::MAX - 1024)
        .ok_or_else(|| Error::Encode("the WebP stream would pass 4 GiB".into()))?;

    let io = |e: std::io::Error| Error::Encode(format!("cannot write the WebP: {e}"));
    write_riff_head(
        &mut out,
        (width, height),
        metadata,
        alpha_used,
        stream_bytes,
    )
    .map_err(io)?;

    // Pass 2: the pixels, with the codes of pass 1.
    let emit = Emitter {
        codes: &codes,
        bits,
        out: &mut out,
        streaming: true,
        error: None,
    };
    let mut written = Blocks::new(size, Predictors::Given(predictors), emit);
    bands(&mut |rows| written.push_rows(rows))?;
    let (_, mut emit, _) = written.finish()?;
    if let Some(e) = emit.error.take() {
        return Err(io(e));
    }
    if emit.bits.len() + 8 * emit.bits.drained != stream_bits {
        return Err(Error::Encode(
            "the WebP encoder wrote a stream of another length than it counted".into(),
        ));
    }
    emit.bits.pad_to_byte();
    emit.bits.drain_to(&mut emit.out).map_err(io)?;
    if stream_bytes % 2 == 1 {
        out.write_all(&[0]).map_err(io)?;
    }
    if let Some(exif) = &metadata.exif {
        write_chunk(&mut out, b"EXIF", exif).map_err(io)?;
    }
    out.flush().map_err(io)
}

/// The RIFF header and every chunk before the VP8L data, with the VP8L
/// chunk's header (`stream_bytes` long).
fn write_riff_head(
    out: &mut impl Write,
    (width, height): (u32, u32),
    metadata: &SourceMetadata,
    alpha_used: bool,
    stream_bytes: u32,
) -> std::io::Result<()> {
    let padded = |n: usize| 8 + n as u64 + (n as u64 & 1);
    // Extended (a VP8X chunk) for metadata, and for a side of 16384: image-webp
    // 0.2 reads a plain file's sides as `(1 + bits) & 0x3FFF`, so 16384 comes
    // back as 0 there, while it takes an extended file's from the VP8X chunk.
    let extended = !metadata.is_empty() || width.max(height) > 0x3FFF;
    let icc = metadata.icc_profile.as_deref();
    let exif = metadata.exif.as_deref();
    let mut riff = 4 + padded(stream_bytes as usize);
    if extended {
        riff +=
            padded(10) + icc.map_or(0, |b| padded(b.len())) + exif.map_or(0, |b| padded(b.len()));
    }
    let riff =
        u32::try_from(riff).map_err(|_| std::io::Error::other("the WebP file would pass 4 GiB"))?;
    out.write_all(b"RIFF")?;
    out.write_all(&riff.to_le_bytes())?;
    out.write_all(b"WEBP")?;
    if extended {
        let mut vp8x = [0u8; 10];
        vp8x[0] = (u8::from(icc.is_some()) << 5)
            | (u8::from(alpha_used) << 4)
            | (u8::from(exif.is_some()) << 3);
        vp8x[4..7].copy_from_slice(&(width - 1).to_le_bytes()[..3]);
        vp8x[7..10].copy_from_slice(&(height - 1).to_le_bytes()[..3]);
        write_chunk(out, b"VP8X", &vp8x)?;
        if let Some(icc) = icc {
            write_chunk(out, b"ICCP", icc)?;
        }
    }
    out.write_all(b"VP8L")?;
    out.write_all(&stream_bytes.to_le_bytes())
}

fn write_chunk(out: &mut impl Write, name: &[u8; 4], data: &[u8]) -> std::io::Result<()> {
    let len = u32::try_from(data.len()).map_err(|_| std::io::Error::other("chunk too long"))?;
    out.write_all(name)?;
    out.write_all(&len.to_le_bytes())?;
    out.write_all(data)?;
    if data.len() % 2 == 1 {
        out.write_all(&[0])?;
    }
    Ok(())
}

/// The predictor sub-image: one pixel per block, its mode in green. Small
/// (1/1024 of the image), so it is coded from memory: counted, then written.
fn write_predictor_image(bits: &mut BitWriter, modes: &[u8]) {
    let pixels = || modes.iter().map(|&mode| [0, mode, 0, 0]);
    let mut counts = Counts::default();
    let mut runs = Runs::default();
    for pixel in pixels() {
        runs.push(pixel, &mut counts);
    }
    runs.flush(&mut counts);
    let codes = counts.codes();
    bits.write(0, 1); // no colour cache
    for code in &codes {
        code.write_header(bits);
    }
    let mut emit = Emitter {
        codes: &codes,
        bits: std::mem::take(bits),
        out: std::io::sink(),
        streaming: false,
        error: None,
    };
    let mut runs = Runs::default();
    for pixel in pixels() {
        runs.push(pixel, &mut emit);
    }
    runs.flush(&mut emit);
    *bits = emit.bits;
}

/// Where the coded symbols go: counted (pass 1) or written (pass 2).
trait SymbolSink {
    fn literal(&mut self, pixel: [u8; 4]);
    /// `len` (≥ 1) copies of the previous pixel.
    fn copy(&mut self, len: u32);
}

/// The length prefix symbol of a copy length (or distance value) and its
/// extra bits: values 1–4 are symbols 0–3; above, the symbol holds the top
/// two bits of `value - 1` and the rest follow as extra bits.
fn prefix_of(value: u32) -> (usize, u32, u64) {
    if value <= 4 {
        return (value as usize - 1, 0, 0);
    }
    let d = value - 1;
    let top = 31 - d.leading_zeros();
    let second = (d >> (top - 1)) & 1;
    let extra_bits = top - 1;
    (
        (2 * top + second) as usize,
        extra_bits,
        u64::from(d & ((1 << extra_bits) - 1)),
    )
}

/// Turns residual pixels into literals and runs of the previous pixel.
#[derive(Default)]
struct Runs {
    previous: Option<[u8; 4]>,
    pending: u32,
}

impl Runs {
    fn push(&mut self, pixel: [u8; 4], sink: &mut impl SymbolSink) {
        if self.previous == Some(pixel) {
            self.pending += 1;
            if self.pending == MAX_RUN {
                self.flush(sink);
            }
        } else {
            self.flush(sink);
            sink.literal(pixel);
            self.previous = Some(pixel);
        }
    }

    fn flush(&mut self, sink: &mut impl SymbolSink) {
        if self.pending >= MIN_RUN {
            sink.copy(self.pending);
        } else if let Some(pixel) = self.previous {
            for _ in 0..self.pending {
                sink.literal(pixel);
            }
        }
        self.pending = 0;
    }
}

/// Symbol counts of the five codes (pass 1).
struct Counts {
    symbols: [Vec<u64>; 5],
    extra_bits: u64,
}

impl Default for Counts {
    fn default() -> Self {
        Counts {
            symbols: ALPHABETS.map(|n| vec![0; n]),
            extra_bits: 0,
        }
    }
}

impl SymbolSink for Counts {
    fn literal(&mut self, [r, g, b, a]: [u8; 4]) {
        self.symbols[0][g as usize] += 1;
        self.symbols[1][r as usize] += 1;
        self.symbols[2][b as usize] += 1;
        self.symbols[3][a as usize] += 1;
    }

    fn copy(&mut self, len: u32) {
        let (symbol, extra_bits, _) = prefix_of(len);
        self.symbols[0][256 + symbol] += 1;
        self.symbols[4][LEFT_DISTANCE_SYMBOL] += 1;
        self.extra_bits += u64::from(extra_bits);
    }
}

impl Counts {
    fn codes(&self) -> [PrefixCode; 5] {
        std::array::from_fn(|i| PrefixCode::new(&self.symbols[i], 15))
    }

    /// The bits the counted symbols take with `codes`.
    fn data_bits(&self, codes: &[PrefixCode; 5]) -> u64 {
        let coded: u64 = (0..5)
            .map(|i| {
                let lengths = &codes[i].lengths;
                let counts = &self.symbols[i];
                counts
                    .iter()
                    .zip(lengths)
                    .map(|(&n, &len)| n * u64::from(len))
                    .sum::<u64>()
            })
            .sum();
        coded + self.extra_bits
    }
}

/// Writes symbols with the codes of pass 1 (pass 2), draining its bits to
/// `out` as they fill. The first write error is kept and reported at the
/// end.
struct Emitter<'a, W: Write> {
    codes: &'a [PrefixCode; 5],
    bits: BitWriter,
    out: W,
    /// Whether bits go to `out` as they fill, or stay in memory (the
    /// predictor image, written into the header's bits).
    streaming: bool,
    error: Option<std::io::Error>,
}

impl<W: Write> Emitter<'_, W> {
    fn symbol(&mut self, code: usize, symbol: usize) {
        let code = &self.codes[code];
        self.bits.write(
            u64::from(code.codes[symbol]),
            u32::from(code.lengths[symbol]),
        );
    }

    fn drain_if_full(&mut self) {
        if self.streaming && self.bits.bytes.len() >= 1 << 16 && self.error.is_none() {
            if let Err(e) = self.bits.drain_to(&mut self.out) {
                self.error = Some(e);
            }
        }
    }
}

impl<W: Write> SymbolSink for Emitter<'_, W> {
    fn literal(&mut self, [r, g, b, a]: [u8; 4]) {
        self.symbol(0, g as usize);
        self.symbol(1, r as usize);
        self.symbol(2, b as usize);
        self.symbol(3, a as usize);
        self.drain_if_full();
    }

    fn copy(&mut self, len: u32) {
        let (symbol, extra_bits, extra) = prefix_of(len);
        self.symbol(0, 256 + symbol);
        self.bits.write(extra, extra_bits);
        self.symbol(4, LEFT_DISTANCE_SYMBOL);
        self.drain_if_full();
    }
}

/// Each block's predictor: picked from the pixels (pass 1) or as pass 1
/// picked them (pass 2).
enum Predictors {
    Choose(Vec<u8>),
    Given(Vec<u8>),
}

/// Collects rows into block rows, predicts each pixel and hands the
/// residuals to `sink` through [`Runs`].
struct Blocks<S> {
    width: usize,
    height: usize,
    predictors: Predictors,
    /// The row above the current block row (when there is one), then the
    /// block row's rows received so far; green already subtracted.
    rows: Vec<u8>,
    /// The image row of the block row's first row.
    y0: usize,
    runs: Runs,
    sink: S,
    /// Whether any pixel seen is translucent (the header's hint).
    alpha_used: bool,
}

impl<S: SymbolSink> Blocks<S> {
    fn new((width, height): (usize, usize), predictors: Predictors, sink: S) -> Self {
        Blocks {
            width,
            height,
            predictors,
            rows: Vec::with_capacity((BLOCK + 1) * width * 4),
            y0: 0,
            runs: Runs::default(),
            sink,
            alpha_used: false,
        }
    }

    fn above(&self) -> usize {
        usize::from(self.y0 > 0)
    }

    fn push_rows(&mut self, band: &[u8]) -> Result<()> {
        let row_bytes = self.width * 4;
        if !band.len().is_multiple_of(row_bytes) {
            return Err(Error::Encode(
                "a band of partial rows reached the WebP encoder".into(),
            ));
        }
        for row in band.chunks_exact(row_bytes) {
            if self.y0 + self.rows.len() / row_bytes - self.above() >= self.height {
                return Err(Error::Encode(format!(
                    "more rows than a {}×{} WebP holds",
                    self.width, self.height
                )));
            }
            for p in row.chunks_exact(4) {
                self.alpha_used |= p[3] != 255;
                self.rows.extend_from_slice(&[
                    p[0].wrapping_sub(p[1]),
                    p[1],
                    p[2].wrapping_sub(p[1]),
                    p[3],
                ]);
            }
            if self.rows.len() / row_bytes - self.above() == BLOCK {
                self.code_block_row();
            }
        }
        Ok(())
    }

    /// The predictors, the sink, and whether any pixel was translucent.
    fn finish(mut self) -> Result<(Vec<u8>, S, bool)> {
        let row_bytes = self.width * 4;
        if self.rows.len() / row_bytes > self.above() {
            self.code_block_row();
        }
        if self.y0 != self.height {
            return Err(Error::Encode(format!(
                "{} rows for a {}×{} WebP",
                self.y0, self.width, self.height
            )));
        }
        self.runs.flush(&mut self.sink);
        let (Predictors::Choose(modes) | Predictors::Given(modes)) = self.predictors;
        Ok((modes, self.sink, self.alpha_used))
    }

    /// Codes the rows held (a block row, or the image's last rows), then
    /// keeps the last as the next block row's row above.
    fn code_block_row(&mut self) {
        let row_bytes = self.width * 4;
        let above = self.above();
        let count = self.rows.len() / row_bytes - above;
        let blocks_x = self.width.div_ceil(BLOCK);
        let block_row = self.y0 / BLOCK;
        if let Predictors::Choose(modes) = &mut self.predictors {
            for bx in 0..blocks_x {
                modes.push(best_mode(&self.rows, self.width, above, count, self.y0, bx));
            }
        }
        let (Predictors::Choose(modes) | Predictors::Given(modes)) = &self.predictors;
        let modes = &modes[block_row * blocks_x..][..blocks_x];
        for r in 0..count {
            let y = self.y0 + r;
            let row = &self.rows[(above + r) * row_bytes..][..row_bytes];
            let pixel = |x: usize| -> [u8; 4] { row[x * 4..x * 4 + 4].try_into().unwrap() };
            if y == 0 {
                self.runs
                    .push(residual(pixel(0), [0, 0, 0, 255]), &mut self.sink);
                for x in 1..self.width {
                    self.runs
                        .push(residual(pixel(x), pixel(x - 1)), &mut self.sink);
                }
                continue;
            }
            let up = &self.rows[(above + r - 1) * row_bytes..][..row_bytes];
            let top = |x: usize| -> [u8; 4] { up[x * 4..x * 4 + 4].try_into().unwrap() };
            self.runs.push(residual(pixel(0), top(0)), &mut self.sink);
            for x in 1..self.width {
                let mode = modes[x >> BLOCK_BITS];
                let guess = predict(mode, pixel(x - 1), top(x), top(x - 1));
                self.runs.push(residual(pixel(x), guess), &mut self.sink);
            }
        }
        self.y0 += count;
        let keep = self.rows.len() - row_bytes;
        self.rows.copy_within(keep.., 0);
        self.rows.truncate(row_bytes);
    }
}

/// The mode of [`MODES`] whose residuals over block `bx` of the block row
/// held in `rows` are smallest (summed as signed bytes). Row 0 and column 0
/// have fixed predictors and are not counted.
fn best_mode(rows: &[u8], width: usize, above: usize, count: usize, y0: usize, bx: usize) -> u8 {
    let row_bytes = width * 4;
    let x0 = (bx * BLOCK).max(1);
    let x1 = ((bx + 1) * BLOCK).min(width);
    let mut costs = [0u32; MODES.len()];
    for r in 0..count {
        if y0 + r == 0 {
            continue;
        }
        let row = &rows[(above + r) * row_bytes..][..row_bytes];
        let up = &rows[(above + r - 1) * row_bytes..][..row_bytes];
        let at = |line: &[u8], x: usize| -> [u8; 4] { line[x * 4..x * 4 + 4].try_into().unwrap() };
        for x in x0..x1 {
            let (pixel, left, top, top_left) =
                (at(row, x), at(row, x - 1), at(up, x), at(up, x - 1));
            for (cost, &mode) in costs.iter_mut().zip(&MODES) {
                let r = residual(pixel, predict(mode, left, top, top_left));
                *cost += r
                    .iter()
                    .map(|&c| u32::from((c as i8).unsigned_abs()))
                    .sum::<u32>();
            }
        }
    }
    let best = (0..MODES.len()).min_by_key(|&i| costs[i]).unwrap_or(0);
    MODES[best]
}

fn residual(pixel: [u8; 4], guess: [u8; 4]) -> [u8; 4] {
    std::array::from_fn(|c| pixel[c].wrapping_sub(guess[c]))
}

/// The format's predictors for the modes of [`MODES`].
fn predict(mode: u8, left: [u8; 4], top: [u8; 4], top_left: [u8; 4]) -> [u8; 4] {
    match mode {
        1 => left,
        2 => top,
        11 => {
            // Select: whichever of left and top is nearer the gradient
            // estimate, by the sum over channels (ties go to top).
            let distance = |side: [u8; 4]| -> i32 {
                (0..4)
                    .map(|c| {
                        let estimate =
                            i32::from(left[c]) + i32::from(top[c]) - i32::from(top_left[c]);
                        (estimate - i32::from(side[c])).abs()
                    })
                    .sum()
            };
            if distance(left) < distance(top) {
                left
            } else {
                top
            }
        }
        _ => std::array::from_fn(|c| {
            (i32::from(left[c]) + i32::from(top[c]) - i32::from(top_left[c])).clamp(0, 255) as u8
        }),
    }
}

/// A canonical prefix code over one alphabet.
struct PrefixCode {
    /// Each symbol's code length (0: unused, or the only symbol).
    lengths: Vec<u8>,
    /// Each symbol's code, bit-reversed: the stream is least significant
    /// bit first, codes most significant bit first.
    codes: Vec<u16>,
    /// How the code is written: as a "simple" code of one or two symbols
    /// below 256, or by its lengths.
    simple: Option<Vec<usize>>,
}

impl PrefixCode {
    /// The code for symbols used `counts` times, no longer than `max_len`.
    fn new(counts: &[u64], max_len: u8) -> PrefixCode {
        let used: Vec<usize> = (0..counts.len()).filter(|&s| counts[s] > 0).collect();
        if used.len() <= 1 && used.iter().all(|&s| s < 256) {
            // One symbol (or none: symbol 0 stands in) takes no bits.
            return PrefixCode {
                lengths: vec![0; counts.len()],
                codes: vec![0; counts.len()],
                simple: Some(if used.is_empty() { vec![0] } else { used }),
            };
        }
        let mut weights = counts.to_vec();
        if used.len() == 1 {
            // A lone symbol above 255 cannot be written simply: pair it.
            weights[0] = 1;
        }
        let lengths = limited_lengths(&weights, max_len);
        let codes = canonical_codes(&lengths);
        let used: Vec<usize> = (0..counts.len()).filter(|&s| lengths[s] > 0).collect();
        let simple = (used.len() == 2 && used[1] < 256).then_some(used);
        PrefixCode {
            lengths,
            codes,
            simple,
        }
    }

    fn write_header(&self, bits: &mut BitWriter) {
        if let Some(symbols) = &self.simple {
            bits.write(1, 1);
            bits.write(symbols.len() as u64 - 1, 1);
            let first = symbols[0] as u64;
            if first < 2 {
                bits.write(0, 1);
                bits.write(first, 1);
            } else {
                bits.write(1, 1);
                bits.write(first, 8);
            }
            if let Some(&second) = symbols.get(1) {
                bits.write(second as u64, 8);
            }
            return;
        }
        bits.write(0, 1);
        // The lengths as code-length symbols: 0–15 themselves, 17 and 18
        // runs of zeros (3–10 and 11–138).
        let mut tokens: Vec<(usize, u64)> = Vec::new();
        let mut i = 0;
        while i < self.lengths.len() {
            let len = self.lengths[i];
            let zeros = self.lengths[i..].iter().take_while(|&&l| l == 0).count();
            if len == 0 && zeros >= 11 {
                let n = zeros.min(138);
                tokens.push((18, (n - 11) as u64));
                i += n;
            } else if len == 0 && zeros >= 3 {
                tokens.push((17, (zeros.min(10) - 3) as u64));
                i += zeros.min(10);
            } else {
                tokens.push((len as usize, 0));
                i += 1;
            }
        }
        let mut counts = [0u64; 19];
        for &(symbol, _) in &tokens {
            counts[symbol] += 1;
        }
        if counts.iter().filter(|&&n| n > 0).count() == 1 {
            // A code needs two symbols to take bits at all.
            let spare = if counts[0] == 0 { 0 } else { 1 };
            counts[spare] = 1;
        }
        let length_lengths = limited_lengths(&counts, 7);
        let length_codes = canonical_codes(&length_lengths);
        let written = CODE_LENGTH_ORDER
            .iter()
            .rposition(|&s| length_lengths[s] > 0)
            .map_or(4, |last| (last + 1).max(4));
        bits.write(written as u64 - 4, 4);
        for &s in &CODE_LENGTH_ORDER[..written] {
            bits.write(u64::from(length_lengths[s]), 3);
        }
        bits.write(0, 1); // every symbol's length follows
        for (symbol, extra) in tokens {
            bits.write(
                u64::from(length_codes[symbol]),
                u32::from(length_lengths[symbol]),
            );
            match symbol {
                17 => bits.write(extra, 3),
                18 => bits.write(extra, 7),
                _ => {}
            }
        }
    }
}

/// Huffman code lengths for `weights` (at least two non-zero), none longer
/// than `max_len`: while the tree is too deep, the weights are halved
/// (kept non-zero), which flattens it.
fn limited_lengths(weights: &[u64], max_len: u8) -> Vec<u8> {
    let mut weights = weights.to_vec();
    loop {
        let lengths = huffman_lengths(&weights);
        if lengths.iter().all(|&l| l <= max_len) {
            return lengths;
        }
        for w in weights.iter_mut().filter(|w| **w > 0) {
            *w = (*w / 2).max(1);
        }
    }
}

/// Plain Huffman code lengths (each symbol's depth in the tree).
fn huffman_lengths(weights: &[u64]) -> Vec<u8> {
    use std::cmp::Reverse;
    use std::collections::BinaryHeap;
    let mut parent: Vec<usize> = Vec::new();
    let mut heap = BinaryHeap::new();
    let mut leaf_node = vec![usize::MAX; weights.len()];
    for (symbol, &w) in weights.iter().enumerate().filter(|(_, &w)| w > 0) {
        leaf_node[symbol] = parent.len();
        heap.push(Reverse((w, parent.len())));
        parent.push(usize::MAX);
    }
    while heap.len() > 1 {
        let Reverse((w1, a)) = heap.pop().expect("two nodes");
        let Reverse((w2, b)) = heap.pop().expect("two nodes");
        let node = parent.len();
        parent.push(usize::MAX);
        parent[a] = node;
        parent[b] = node;
        heap.push(Reverse((w1 + w2, node)));
    }
    leaf_node
        .iter()
        .map(|&leaf| {
            if leaf == usize::MAX {
                return 0;
            }
            let mut depth = 0u8;
            let mut node = leaf;
            while parent[node] != usize::MAX {
                node = parent[node];
                depth += 1;
            }
            depth
        })
        .collect()
}

/// Canonical codes for `lengths` (shorter codes first, then by symbol), bit
/// reversed for the least-significant-bit-first stream.
fn canonical_codes(lengths: &[u8]) -> Vec<u16> {
    let mut per_length = [0u32; 16];
    for &l in lengths.iter().filter(|&&l| l > 0) {
        per_length[usize::from(l)] += 1;
    }
    let mut next = [0u32; 16];
    let mut code = 0;
    for len in 1..16 {
        code = (code + per_length[len - 1]) << 1;
        next[len] = code;
    }
    lengths
        .iter()
        .map(|&l| {
            if l == 0 {
                return 0;
            }
            let c = next[usize::from(l)];
            next[usize::from(l)] += 1;
            (c.reverse_bits() >> (32 - u32::from(l))) as u16
        })
        .collect()
}

/// Bits, least significant first, gathered into bytes that are drained to
/// a writer now and then.
#[derive(Default)]
struct BitWriter {
    bytes: Vec<u8>,
    pending: u64,
    pending_bits: u32,
    /// Bytes drained so far.
    drained: u64,
}

impl BitWriter {
    fn write(&mut self, value: u64, count: u32) {
        debug_assert!(count <= 32 && value >> count == 0);
        self.pending |= value << self.pending_bits;
        self.pending_bits += count;
        while self.pending_bits >= 8 {
            self.bytes.push(self.pending as u8);
            self.pending >>= 8;
            self.pending_bits -= 8;
        }
    }

    /// Bits written and not drained.
    fn len(&self) -> u64 {
        self.bytes.len() as u64 * 8 + u64::from(self.pending_bits)
    }

    fn pad_to_byte(&mut self) {
        if self.pending_bits > 0 {
            self.write(0, 8 - self.pending_bits);
        }
    }

    fn drain_to(&mut self, out: &mut impl Write) -> std::io::Result<()> {
        out.write_all(&self.bytes)?;
        self.drained += self.bytes.len() as u64;
        self.bytes.clear();
        Ok(())
    }
}

#[cfg(test)]
mod tests;
