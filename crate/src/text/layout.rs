//! From a string to positioned glyphs: font fallback, bidirectional runs,
//! shaping, line breaking to the box width, alignment.
//!
//! Each paragraph is shaped once in logical order to measure it (the
//! advance of every cluster, with tracking), broken greedily at the UAX #14
//! opportunities that fit the box, and each line is then shaped again on its
//! own in visual order, so joining, kerning and ligatures are those of the
//! line as set (an Arabic word's form at a break is that of the line it is on).

use super::{validate_text, Font, TextStyle};
use crate::{Error, Result};
use rustybuzz::{BufferFlags, Direction, UnicodeBuffer};
use std::ops::Range;
use unicode_bidi::{BidiInfo, Level};
use unicode_linebreak::{linebreaks, BreakOpportunity};

/// One glyph where it is drawn.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PlacedGlyph {
    /// Index into the fonts given to [`layout`] (0 = the primary font).
    pub font: usize,
    pub id: u16,
    /// Pen position in pixels from the text box's top-left; `y` is the baseline.
    pub x: f32,
    pub y: f32,
    /// Byte offset of the first character the glyph stands for.
    pub cluster: usize,
}

/// The set text: its glyphs and the box they are laid out in.
#[derive(Debug, Clone, PartialEq)]
pub struct TextLayout {
    pub glyphs: Vec<PlacedGlyph>,
    /// The box: the wrapping width when one is set, else the widest line.
    pub width: f32,
    /// First line's ascent + the line gaps + last line's descent.
    pub height: f32,
    pub lines: Vec<LineCarets>,
    /// The primary font's ascent and descent in pixels (a caret's reach
    /// above and below the baseline).
    pub ascent: f32,
    pub descent: f32,
    /// Pixels per em, as set.
    pub size: f32,
}

/// Where a text cursor stands on one line, for editing on the canvas.
#[derive(Debug, Clone, PartialEq)]
pub struct LineCarets {
    /// From the text box's top.
    pub baseline: f32,
    /// Every character boundary the line holds, in logical order: the byte
    /// offset in the text and the caret's x from the text box's left.
    /// Inside a cluster (a ligature, a conjunct) the boundaries share its
    /// width evenly, as browsers place them; right-to-left runs run
    /// leftwards; the last stop is the line's end (before its line break).
    pub stops: Vec<(usize, f32)>,
}

/// A run of characters with one bidi level set in one font.
#[derive(Debug, Clone)]
struct Item {
    range: Range<usize>,
    level: Level,
    font: usize,
}

/// One shaped line before alignment: glyph and caret x relative to the line start.
struct Line {
    glyphs: Vec<PlacedGlyph>,
    width: f32,
    stops: Vec<(usize, f32)>,
}

/// Sets `text` in `fonts` (the first is the primary; the others are used,
/// in order, for characters it has no glyph for) with `style`. Characters no
/// font has are drawn as the primary font's missing-glyph box.
pub fn layout(text: &str, fonts: &[Font], style: &TextStyle) -> Result<TextLayout> {
    validate_text(text)?;
    style.validate()?;
    if fonts.is_empty() {
        return Err(Error::param("font", "no font given"));
    }
    let faces: Vec<rustybuzz::Face> = fonts.iter().map(Font::face).collect();
    let setter = Setter {
        text,
        faces: &faces,
        scales: fonts.iter().map(|f| f.scale(style.size)).collect(),
        tracking: style.tracking * style.size / 1000.0,
    };
    let bidi = BidiInfo::new(text, None);
    let mut lines = Vec::new();
    for paragraph in &bidi.paragraphs {
        let range = trim_end(text, paragraph.range.clone(), is_line_break);
        if range.is_empty() {
            lines.push(setter.shape_line(&bidi, paragraph, range, &[]));
            continue;
        }
        let items = setter.itemize(range.clone(), &bidi.levels);
        for line in setter.break_lines(&range, &items, style.width) {
            lines.push(setter.shape_line(&bidi, paragraph, line, &items));
        }
    }
    let primary = &fonts[0];
    let scale = primary.scale(style.size);
    let ascent = primary.ascender() * scale;
    let descent = -primary.descender() * scale;
    let pitch = style.line_height * style.size;
    let width = style
        .width
        .unwrap_or_else(|| lines.iter().map(|l| l.width).fold(0.0, f32::max));
    let mut glyphs = Vec::new();
    let mut carets = Vec::with_capacity(lines.len());
    for (i, line) in lines.iter().enumerate() {
        let baseline = ascent + i as f32 * pitch;
        let start = match style.align {
            super::Align::Left => 0.0,
            super::Align::Center => (width - line.width) / 2.0,
            super::Align::Right => width - line.width,
        };
        glyphs.extend(line.glyphs.iter().map(|g| PlacedGlyph {
            x: g.x + start,
            y: g.y + baseline,
            ..*g
        }));
        carets.push(LineCarets {
            baseline,
            stops: line.stops.iter().map(|&(at, x)| (at, x + start)).collect(),
        });
    }
    Ok(TextLayout {
        glyphs,
        width,
        height: ascent + descent + (lines.len() - 1) as f32 * pitch,
        lines: carets,
        ascent,
        descent,
        size: style.size,
    })
}

fn is_line_break(c: char) -> bool {
    matches!(c, '\n' | '\r' | '\u{85}' | '\u{2029}')
}

/// `range` without the characters at its end that `drop` matches.
fn trim_end(text: &str, range: Range<usize>, drop: impl Fn(char) -> bool) -> Range<usize> {
    let kept = text[range.clone()].trim_end_matches(drop).len();
    range.start..range.start + kept
}

struct Setter<'a> {
    text: &'a str,
    faces: &'a [rustybuzz::Face<'a>],
    /// Pixels per font unit, per font.
    scales: Vec<f32>,
    /// Pixels added after every cluster.
    tracking: f32,
}

impl Setter<'_> {
    /// Splits a paragraph into runs of one bidi level and one font. A
    /// character stays in the current run's font when that font has it (so
    /// marks, joiners and spaces stay with their base); otherwise it takes
    /// the first font that has it, or stays where it is when none does.
    fn itemize(&self, range: Range<usize>, levels: &[Level]) -> Vec<Item> {
        let mut items: Vec<Item> = Vec::new();
        for (offset, ch) in self.text[range.clone()].char_indices() {
            let at = range.start + offset;
            let level = levels[at];
            let current = items.last().filter(|item| item.level == level);
            let font = match current {
                Some(item) if self.faces[item.font].glyph_index(ch).is_some() => item.font,
                _ => self
                    .faces
                    .iter()
                    .position(|face| face.glyph_index(ch).is_some())
                    .or(current.map(|item| item.font))
                    .unwrap_or(0),
            };
            match items.last_mut() {
                Some(item) if item.level == level && item.font == font => {
                    item.range.end = at + ch.len_utf8()
                }
                _ => items.push(Item {
                    range: at..at + ch.len_utf8(),
                    level,
                    font,
                }),
            }
        }
        items
    }

    /// Shapes `range` (inside `paragraph`) in one font and direction; the
    /// clusters are byte offsets into the whole text.
    fn shape(
        &self,
        font: usize,
        rtl: bool,
        range: Range<usize>,
        paragraph: &Range<usize>,
    ) -> rustybuzz::GlyphBuffer {
        let mut buffer = UnicodeBuffer::new();
        for (offset, ch) in self.text[range.clone()].char_indices() {
            buffer.add(ch, (range.start + offset) as u32);
        }
        // Up to five characters either side, as HarfBuzz keeps, so joining
        // and contextual forms see their neighbours across a font or line split.
        let before = &self.text[paragraph.start..range.start];
        let before_start = before.char_indices().rev().nth(4).map_or(0, |(i, _)| i);
        buffer.set_pre_context(&before[before_start..]);
        let after = &self.text[range.end..paragraph.end];
        let after_end = after.char_indices().nth(5).map_or(after.len(), |(i, _)| i);
        buffer.set_post_context(&after[..after_end]);
        buffer.set_direction(if rtl {
            Direction::RightToLeft
        } else {
            Direction::LeftToRight
        });
        buffer.guess_segment_properties();
        let mut flags = BufferFlags::empty();
        if range.start == paragraph.start {
            flags |= BufferFlags::BEGINNING_OF_TEXT;
        }
        if range.end == paragraph.end {
            flags |= BufferFlags::END_OF_TEXT;
        }
        buffer.set_flags(flags);
        rustybuzz::shape(&self.faces[font], &[], buffer)
    }

    /// Per byte of the paragraph: the advance of the cluster starting
    /// there (tracking included), and whether a cluster starts there.
    fn measure(&self, paragraph: &Range<usize>, items: &[Item]) -> (Vec<f32>, Vec<bool>) {
        let mut advance = vec![0.0; paragraph.len()];
        let mut starts = vec![false; paragraph.len()];
        for item in items {
            let shaped = self.shape(
                item.font,
                item.level.is_rtl(),
                item.range.clone(),
                paragraph,
            );
            let scale = self.scales[item.font];
            for (info, pos) in shaped.glyph_infos().iter().zip(shaped.glyph_positions()) {
                let at = info.cluster as usize - paragraph.start;
                if !starts[at] {
                    starts[at] = true;
                    advance[at] += self.tracking;
                }
                advance[at] += pos.x_advance as f32 * scale;
            }
        }
        (advance, starts)
    }

    /// The paragraph's lines: greedy at the break opportunities, a word
    /// wider than the box broken between clusters.
    fn break_lines(
        &self,
        paragraph: &Range<usize>,
        items: &[Item],
        width: Option<f32>,
    ) -> Vec<Range<usize>> {
        let text = &self.text[paragraph.clone()];
        let (advance, starts) = self.measure(paragraph, items);
        let width_of = |r: Range<usize>| -> f32 { advance[r].iter().sum() };
        let mut lines = Vec::new();
        let mut line_start = 0;
        let mut line_width = 0.0;
        let mut segment_start = 0;
        for (end, opportunity) in linebreaks(text) {
            let segment = segment_start..end;
            segment_start = end;
            if let Some(limit) = width {
                let ink = trim_end(text, segment.clone(), char::is_whitespace);
                let ink_width = width_of(ink.clone());
                if segment.start > line_start && line_width + ink_width > limit {
                    lines.push(line_start..segment.start);
                    line_start = segment.start;
                    line_width = 0.0;
                }
                if segment.start == line_start && ink_width > limit {
                    // A word wider than the box: break it between clusters.
                    let mut run = 0.0;
                    for at in ink.clone() {
                        if starts[at] && at > line_start && run + advance[at] > limit {
                            lines.push(line_start..at);
                            line_start = at;
                            run = 0.0;
                        }
                        run += advance[at];
                    }
                    line_width = run + width_of(ink.end..segment.end);
                    if opportunity == BreakOpportunity::Mandatory && end < text.len() {
                        lines.push(line_start..end);
                        line_start = end;
                        line_width = 0.0;
                    }
                    continue;
                }
            }
            line_width += width_of(segment.clone());
            if opportunity == BreakOpportunity::Mandatory && end < text.len() {
                lines.push(line_start..end);
                line_start = end;
                line_width = 0.0;
            }
        }
        lines.push(line_start..text.len());
        lines
            .into_iter()
            .map(|r| r.start + paragraph.start..r.end + paragraph.start)
            .collect()
    }

    /// Shapes one line (`line`: its characters, trailing spaces included)
    /// in visual order; x from the line's start, y from its baseline. The
    /// trailing spaces are not drawn or measured (alignment ignores them)
    /// but get caret stops after the ink.
    fn shape_line(
        &self,
        bidi: &BidiInfo,
        paragraph: &unicode_bidi::ParagraphInfo,
        line: Range<usize>,
        items: &[Item],
    ) -> Line {
        let mut glyphs = Vec::new();
        let mut pen = 0.0;
        // (first byte, end byte, left x, right x, right to left) per cluster.
        let mut clusters: Vec<(usize, usize, f32, f32, bool)> = Vec::new();
        let full = line.start..trim_end(self.text, line.clone(), is_line_break).end;
        let ink = trim_end(self.text, full.clone(), char::is_whitespace);
        if !ink.is_empty() {
            let para_range = trim_end(self.text, paragraph.range.clone(), is_line_break);
            let (_, runs) = bidi.visual_runs(paragraph, ink.clone());
            for run in runs {
                let rtl = bidi.levels[run.start].is_rtl();
                let mut pieces: Vec<(usize, Range<usize>)> = items
                    .iter()
                    .filter(|item| item.range.start < run.end && item.range.end > run.start)
                    .map(|item| {
                        (
                            item.font,
                            item.range.start.max(run.start)..item.range.end.min(run.end),
                        )
                    })
                    .collect();
                if rtl {
                    pieces.reverse();
                }
                for (font, range) in pieces {
                    let shaped = self.shape(font, rtl, range.clone(), &para_range);
                    let scale = self.scales[font];
                    let infos = shaped.glyph_infos();
                    let mut starts: Vec<usize> = infos.iter().map(|g| g.cluster as usize).collect();
                    starts.sort_unstable();
                    starts.dedup();
                    let mut i = 0;
                    while i < infos.len() {
                        let cluster = infos[i].cluster as usize;
                        let left = pen;
                        while i < infos.len() && infos[i].cluster as usize == cluster {
                            let pos = shaped.glyph_positions()[i];
                            glyphs.push(PlacedGlyph {
                                font,
                                id: infos[i].glyph_id as u16,
                                x: pen + pos.x_offset as f32 * scale,
                                y: -(pos.y_offset as f32) * scale,
                                cluster,
                            });
                            pen += pos.x_advance as f32 * scale;
                            i += 1;
                        }
                        pen += self.tracking;
                        let next = starts.partition_point(|&s| s <= cluster);
                        let end = starts.get(next).copied().unwrap_or(range.end);
                        clusters.push((cluster, end, left, pen, rtl));
                    }
                }
            }
        }
        let width = pen;
        // Caret stops in logical order: each cluster's characters, then the
        // trailing spaces and the line's end, after the ink in the
        // paragraph's direction.
        clusters.sort_unstable_by_key(|c| c.0);
        let mut stops = Vec::new();
        for (first, end, left, right, rtl) in clusters {
            let count = self.text[first..end].chars().count().max(1) as f32;
            for (k, (offset, _)) in self.text[first..end].char_indices().enumerate() {
                let share = (right - left) * k as f32 / count;
                stops.push((
                    first + offset,
                    if rtl { right - share } else { left + share },
                ));
            }
        }
        let rtl_paragraph = paragraph.level.is_rtl();
        let mut after = if rtl_paragraph { 0.0 } else { pen };
        let space = self.space_advance();
        for (offset, _) in self.text[ink.end..full.end].char_indices() {
            stops.push((ink.end + offset, after));
            after += if rtl_paragraph { -space } else { space };
        }
        stops.push((full.end, after));
        Line {
            glyphs,
            width,
            stops,
        }
    }

    /// The primary font's space, tracking included (where a trailing space puts the caret).
    fn space_advance(&self) -> f32 {
        let face = &self.faces[0];
        let advance = face
            .glyph_index(' ')
            .and_then(|g| face.glyph_hor_advance(g))
            .unwrap_or(0);
        f32::from(advance) * self.scales[0] + self.tracking
    }
}
