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
    pub lines: usize,
    /// Pixels per em, as set.
    pub size: f32,
}

/// A run of characters with one bidi level set in one font.
#[derive(Debug, Clone)]
struct Item {
    range: Range<usize>,
    level: Level,
    font: usize,
}

/// One shaped line before alignment: glyph x relative to the line start.
struct Line {
    glyphs: Vec<PlacedGlyph>,
    width: f32,
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
        let range = trim_end(text, paragraph.range.clone(), |c| {
            matches!(c, '\n' | '\r' | '\u{85}' | '\u{2029}')
        });
        if range.is_empty() {
            lines.push(Line {
                glyphs: Vec::new(),
                width: 0.0,
            });
            continue;
        }
        let items = setter.itemize(range.clone(), &bidi.levels);
        for line in setter.break_lines(&range, &items, style.width) {
            let line = trim_end(text, line, char::is_whitespace);
            lines.push(setter.shape_line(&bidi, paragraph, &line, &items));
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
    }
    Ok(TextLayout {
        glyphs,
        width,
        height: ascent + descent + (lines.len() - 1) as f32 * pitch,
        lines: lines.len(),
        size: style.size,
    })
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

    /// Shapes one line in visual order; x from the line's start, y from its baseline.
    fn shape_line(
        &self,
        bidi: &BidiInfo,
        paragraph: &unicode_bidi::ParagraphInfo,
        line: &Range<usize>,
        items: &[Item],
    ) -> Line {
        let mut glyphs = Vec::new();
        let mut pen = 0.0;
        if line.is_empty() {
            return Line { glyphs, width: 0.0 };
        }
        let para_range = trim_end(self.text, paragraph.range.clone(), |c| {
            matches!(c, '\n' | '\r' | '\u{85}' | '\u{2029}')
        });
        let (_, runs) = bidi.visual_runs(paragraph, line.clone());
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
                let shaped = self.shape(font, rtl, range, &para_range);
                let scale = self.scales[font];
                let infos = shaped.glyph_infos();
                for (i, (info, pos)) in infos.iter().zip(shaped.glyph_positions()).enumerate() {
                    glyphs.push(PlacedGlyph {
                        font,
                        id: info.glyph_id as u16,
                        x: pen + pos.x_offset as f32 * scale,
                        y: -(pos.y_offset as f32) * scale,
                        cluster: info.cluster as usize,
                    });
                    pen += pos.x_advance as f32 * scale;
                    let cluster_ends = infos
                        .get(i + 1)
                        .is_none_or(|next| next.cluster != info.cluster);
                    if cluster_ends {
                        pen += self.tracking;
                    }
                }
            }
        }
        Line { glyphs, width: pen }
    }
}
