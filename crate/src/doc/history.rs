//! Undo/redo history: a list of named entries and a position in it.
//!
//! Each entry holds the [`Change`] that moves the document across it: while
//! the entry is applied, the change that undoes it; once undone, the change
//! that redoes it. Pixel edits are tile patches (see [`super::tiles`]), so
//! memory grows with what was edited, not with the document size.
//!
//! A byte budget (default 512 MiB) bounds what history keeps. When a new entry
//! pushes it over, the oldest entries are dropped first and the loss is
//! reported as [`Trimmed`] so the UI can say so; the newest entry is always
//! kept, so the last edit can be undone even if it alone exceeds the budget.

use super::change::Change;
use super::geometry::DirtyRegion;
use super::layer::LayerId;
use super::stack::LayerStack;
use crate::{Error, Result};
use std::collections::VecDeque;

/// History budget when none is configured.
pub const DEFAULT_BUDGET_BYTES: usize = 512 << 20;

/// Entries dropped to stay within the budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Trimmed {
    pub entries: usize,
    pub bytes: usize,
}

/// One row of the history list, as a history panel shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryItem {
    pub name: String,
    /// Bytes the entry keeps alive.
    pub bytes: usize,
    /// True when the entry is part of the current state (not undone).
    pub applied: bool,
}

#[derive(Debug)]
struct Entry {
    name: String,
    change: Change,
    bytes: usize,
    /// Names this entry's current contents (a new one each time it is
    /// crossed), so the autosave stores an entry again only when it changed.
    stamp: u64,
    /// The text layer this entry's typing went into, while more typed
    /// edits may join it ([`History::push_typing`]); cleared once crossed.
    typing: Option<LayerId>,
}

/// One entry as the autosave stores it (see [`super::autosave`]).
#[derive(Debug)]
pub(crate) struct StoredEntry {
    pub name: String,
    pub stamp: u64,
    pub change: Change,
}

/// The contiguous entries an autosave keeps within its budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SavedWindow {
    pub first: usize,
    pub last: usize,
}

/// See the module docs.
#[derive(Debug)]
pub struct History {
    entries: VecDeque<Entry>,
    /// How many entries are applied; 0 is the oldest state still reachable.
    position: usize,
    budget: usize,
    bytes: usize,
    dropped: usize,
    next_stamp: u64,
}

impl Default for History {
    fn default() -> Self {
        History::with_budget(DEFAULT_BUDGET_BYTES)
    }
}

impl History {
    pub fn with_budget(budget: usize) -> History {
        History {
            entries: VecDeque::new(),
            position: 0,
            budget,
            bytes: 0,
            dropped: 0,
            next_stamp: 1,
        }
    }

    fn new_stamp(&mut self) -> u64 {
        self.next_stamp += 1;
        self.next_stamp - 1
    }

    /// Records an applied command: `undo` reverts it. Entries that had been
    /// undone are discarded, as in every editor.
    pub(crate) fn push(&mut self, name: String, undo: Change) -> Trimmed {
        for entry in self.entries.drain(self.position..) {
            self.bytes -= entry.bytes;
        }
        let bytes = undo.bytes();
        self.bytes += bytes;
        let stamp = self.new_stamp();
        self.entries.push_back(Entry {
            name,
            change: undo,
            bytes,
            stamp,
            typing: None,
        });
        self.position = self.entries.len();
        self.trim()
    }

    /// Records a typed edit of text layer `layer`. With `continues`, when
    /// the newest entry is applied and holds typing into the same layer,
    /// the edit joins it (its undo runs first, then the entry's; see
    /// [`Change::followed_by_older`]); otherwise it starts a new entry that
    /// later typing may join.
    pub(crate) fn push_typing(
        &mut self,
        name: String,
        undo: Change,
        layer: LayerId,
        continues: bool,
    ) -> Trimmed {
        let joins = continues
            && self.position == self.entries.len()
            && self.entries.back().is_some_and(|e| e.typing == Some(layer));
        if !joins {
            let trimmed = self.push(name, undo);
            if let Some(entry) = self.entries.back_mut() {
                entry.typing = Some(layer);
            }
            return trimmed;
        }
        let stamp = self.new_stamp();
        let entry = self.entries.back_mut().expect("checked above");
        let older = std::mem::replace(&mut entry.change, Change::Batch(Vec::new()));
        entry.change = undo.followed_by_older(older);
        entry.stamp = stamp;
        entry.name = name;
        let bytes = entry.change.bytes();
        self.bytes = self.bytes - entry.bytes + bytes;
        entry.bytes = bytes;
        self.trim()
    }

    /// Undoes the newest applied entry; returns its name, or `None` at the start.
    pub(crate) fn undo(
        &mut self,
        stack: &mut LayerStack,
        dirty: &mut DirtyRegion,
    ) -> Option<String> {
        let index = self.position.checked_sub(1)?;
        self.cross(index, stack, dirty);
        self.position = index;
        Some(self.entries[index].name.clone())
    }

    /// Redoes the oldest undone entry; returns its name, or `None` at the end.
    pub(crate) fn redo(
        &mut self,
        stack: &mut LayerStack,
        dirty: &mut DirtyRegion,
    ) -> Option<String> {
        let index = self.position;
        if index >= self.entries.len() {
            return None;
        }
        self.cross(index, stack, dirty);
        self.position = index + 1;
        Some(self.entries[index].name.clone())
    }

    /// Undoes or redoes until `position` entries are applied.
    pub(crate) fn jump(
        &mut self,
        position: usize,
        stack: &mut LayerStack,
        dirty: &mut DirtyRegion,
    ) -> Result<()> {
        if position > self.entries.len() {
            return Err(Error::param(
                "history position",
                format!("{position} is past the end ({})", self.entries.len()),
            ));
        }
        while self.position > position {
            self.undo(stack, dirty);
        }
        while self.position < position {
            self.redo(stack, dirty);
        }
        Ok(())
    }

    /// Applies entry `index`'s change and keeps its inverse in its place.
    fn cross(&mut self, index: usize, stack: &mut LayerStack, dirty: &mut DirtyRegion) {
        let stamp = self.new_stamp();
        let entry = &mut self.entries[index];
        entry.stamp = stamp;
        entry.typing = None;
        let change = std::mem::replace(&mut entry.change, Change::Batch(Vec::new()));
        entry.change = change.apply(stack, dirty);
        // Undoing an addition moves the added layer into history: account for it.
        let bytes = entry.change.bytes();
        self.bytes = self.bytes - entry.bytes + bytes;
        entry.bytes = bytes;
    }

    /// Changes the budget and trims to it at once.
    pub fn set_budget(&mut self, budget: usize) -> Trimmed {
        self.budget = budget;
        self.trim()
    }

    /// Drops the oldest applied entries until the budget holds, keeping the
    /// newest entry; with nothing applied, drops the newest undone entries.
    fn trim(&mut self) -> Trimmed {
        let mut trimmed = Trimmed::default();
        while self.bytes > self.budget && self.entries.len() > 1 {
            let entry = if self.position > 0 {
                self.position -= 1;
                self.entries.pop_front()
            } else {
                self.entries.pop_back()
            }
            .expect("more than one entry");
            self.bytes -= entry.bytes;
            trimmed.entries += 1;
            trimmed.bytes += entry.bytes;
        }
        self.dropped += trimmed.entries;
        trimmed
    }

    /// The history list, oldest first.
    pub fn items(&self) -> Vec<HistoryItem> {
        self.entries
            .iter()
            .enumerate()
            .map(|(i, e)| HistoryItem {
                name: e.name.clone(),
                bytes: e.bytes,
                applied: i < self.position,
            })
            .collect()
    }

    /// How many entries are applied (0: the oldest reachable state).
    pub fn position(&self) -> usize {
        self.position
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn can_undo(&self) -> bool {
        self.position > 0
    }

    pub fn can_redo(&self) -> bool {
        self.position < self.entries.len()
    }

    /// Bytes all entries keep alive.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    pub fn budget(&self) -> usize {
        self.budget
    }

    /// Entries dropped over the document's lifetime to respect the budget.
    pub fn dropped_total(&self) -> usize {
        self.dropped
    }

    /// The entries an autosave of at most `budget` bytes keeps: all of them
    /// when they fit, else the oldest applied ones are left out first (as
    /// [`History::push`] trims), then the newest undone ones.
    pub(crate) fn saved_window(&self, budget: usize) -> SavedWindow {
        let mut window = SavedWindow {
            first: 0,
            last: self.entries.len(),
        };
        let mut bytes = self.bytes;
        while bytes > budget && window.first < window.last {
            let index = if window.first < self.position {
                window.first += 1;
                window.first - 1
            } else {
                window.last -= 1;
                window.last
            };
            bytes -= self.entries[index].bytes;
        }
        window
    }

    /// Entry `index`'s name, stamp and change, for the autosave.
    pub(crate) fn saved_entry(&self, index: usize) -> (&str, u64, &Change) {
        let entry = &self.entries[index];
        (&entry.name, entry.stamp, &entry.change)
    }

    /// Rebuilds history from autosaved entries for the state in `stack`,
    /// where `position` of them are applied. Each entry is replayed with
    /// checks (undone back to the oldest, redone to the newest, then undone
    /// to `position`); entries that do not fit, and those beyond them, are
    /// left out, so what is kept always replays. Returns how many were left out.
    pub(crate) fn restore(
        &mut self,
        stored: Vec<StoredEntry>,
        position: usize,
        stack: &mut LayerStack,
        next_id: LayerId,
    ) -> usize {
        let total = stored.len();
        let position = position.min(total);
        let mut dirty = DirtyRegion::default();
        let mut changes: Vec<Option<Change>> = stored.iter().map(|_| None).collect();
        let mut names = Vec::with_capacity(total);
        let mut stamps = Vec::with_capacity(total);
        for (slot, entry) in changes.iter_mut().zip(stored) {
            *slot = Some(entry.change);
            names.push(entry.name);
            stamps.push(entry.stamp);
        }
        // Undo back to the oldest entry that replays.
        let mut first = position;
        while first > 0 {
            let change = changes[first - 1].take().expect("not taken yet");
            match change.apply_checked(stack, &mut dirty, next_id) {
                Ok(inverse) => {
                    changes[first - 1] = Some(inverse);
                    first -= 1;
                }
                Err(_) => break,
            }
        }
        // Redo to the newest entry that replays (those up to `position` do: they were just undone).
        let mut last = first;
        while last < total {
            let change = changes[last].take().expect("not taken yet");
            match change.apply_checked(stack, &mut dirty, next_id) {
                Ok(inverse) => {
                    changes[last] = Some(inverse);
                    last += 1;
                }
                Err(_) => break,
            }
        }
        debug_assert!(last >= position);
        for slot in changes[position..last].iter_mut().rev() {
            let change = slot.take().expect("redone above");
            *slot = Some(change.apply(stack, &mut dirty));
        }
        self.entries.clear();
        self.bytes = 0;
        let kept = changes.into_iter().zip(names).zip(stamps);
        for ((change, name), stamp) in kept.take(last).skip(first) {
            let change = change.expect("kept entries are replayed");
            let bytes = change.bytes();
            self.bytes += bytes;
            self.next_stamp = self.next_stamp.max(stamp + 1);
            self.entries.push_back(Entry {
                name,
                change,
                bytes,
                stamp,
                typing: None,
            });
        }
        self.position = position - first;
        total - (last - first)
    }
}
