//! Incremental autosave for the page (see [`crate::doc::autosave`]): the
//! changes since the last stored save, and a project rebuilt from a store.

use super::doc::Project;
use super::js_error;
use crate::doc::{AutosaveChanges, AutosaveRestore as Restore};
use wasm_bindgen::prelude::*;

/// What changed since the last stored autosave (`Project.autosaveChanges`).
#[wasm_bindgen]
pub struct AutosaveDelta {
    inner: AutosaveChanges,
}

#[wasm_bindgen]
impl AutosaveDelta {
    /// The document state as JSON text (layer stack, properties, provenance,
    /// brand kit text; no pixels).
    #[wasm_bindgen(getter)]
    pub fn state(&self) -> String {
        self.inner.state.clone()
    }

    /// Every piece key of the document now: stored pieces with other keys are stale.
    #[wasm_bindgen(getter)]
    pub fn keys(&self) -> Vec<String> {
        self.inner.keys.clone()
    }

    /// The changed pieces: `[{ key, offset, length }]` into `takeBytes()`.
    #[wasm_bindgen(getter)]
    pub fn pieces(&self) -> Result<JsValue, JsError> {
        serde_wasm_bindgen::to_value(&self.inner.pieces).map_err(|e| JsError::new(&e.to_string()))
    }

    /// True when every piece is included (the first save of this document).
    #[wasm_bindgen(getter)]
    pub fn full(&self) -> bool {
        self.inner.full
    }

    /// The first history step the save keeps: the steps before it are over
    /// the autosave's history budget (see `historyLeftOut`).
    #[wasm_bindgen(getter, js_name = historyFirst)]
    pub fn history_first(&self) -> usize {
        self.inner.history_first
    }

    /// How many history steps the save leaves out (over the budget).
    #[wasm_bindgen(getter, js_name = historyLeftOut)]
    pub fn history_left_out(&self) -> usize {
        self.inner.history_left_out
    }

    /// The changed pieces' bytes back to back (moved out: a second call is empty).
    #[wasm_bindgen(js_name = takeBytes)]
    pub fn take_bytes(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.inner.bytes)
    }
}

#[wasm_bindgen]
impl Project {
    /// The pieces changed since the last autosave that `autosaveStored()`
    /// confirmed (all of them the first time), with the state and live keys.
    #[wasm_bindgen(js_name = autosaveChanges)]
    pub fn autosave_changes(&self) -> Result<AutosaveDelta, JsError> {
        // What history knows: a stroke in progress is left out anyway.
        let doc = self.doc_mid_stroke()?;
        let inner = doc
            .autosave_changes(&mut self.autosaved.borrow_mut())
            .map_err(js_error)?;
        Ok(AutosaveDelta { inner })
    }

    /// Most bytes of history an autosave keeps; the oldest steps beyond it
    /// are left out (the document never is).
    #[wasm_bindgen(js_name = setAutosaveHistoryBudget)]
    pub fn set_autosave_history_budget(&self, bytes: f64) -> Result<(), JsError> {
        if !bytes.is_finite() || bytes < 0.0 {
            return Err(JsError::new(&format!(
                "autosave history budget: {bytes} is not a byte count"
            )));
        }
        self.autosaved
            .borrow_mut()
            .set_history_budget(bytes as usize);
        Ok(())
    }

    /// What a recovery could not bring back of the saved history:
    /// `{ notKept, damaged }` (steps over the budget when saved, steps whose
    /// stored bytes were damaged); zeros for a project that was not recovered.
    #[wasm_bindgen(js_name = restoredHistory)]
    pub fn restored_history(&self) -> Result<JsValue, JsError> {
        serde_wasm_bindgen::to_value(&self.autosaved.borrow().restored_history())
            .map_err(|e| JsError::new(&e.to_string()))
    }

    /// The changes last handed out are stored: later changes are counted from them.
    #[wasm_bindgen(js_name = autosaveStored)]
    pub fn autosave_stored(&self) {
        self.autosaved.borrow_mut().mark_stored();
    }
}

/// Rebuilds a project from an autosave: `new AutosaveRestore(state)`, then
/// `addPiece(key, bytes)` for each stored piece, then `finish()`.
#[wasm_bindgen]
pub struct AutosaveRestore {
    inner: Restore,
}

#[wasm_bindgen]
impl AutosaveRestore {
    #[wasm_bindgen(constructor)]
    pub fn new(state: &str) -> Result<AutosaveRestore, JsError> {
        Ok(AutosaveRestore {
            inner: Restore::new(state).map_err(js_error)?,
        })
    }

    #[wasm_bindgen(js_name = addPiece)]
    pub fn add_piece(&mut self, key: &str, bytes: &[u8]) -> Result<(), JsError> {
        self.inner.add_piece(key, bytes).map_err(js_error)
    }

    /// The project (history empty); an Error when a piece is missing.
    pub fn finish(self) -> Result<Project, JsError> {
        let (doc, baseline) = self.inner.finish().map_err(js_error)?;
        Ok(Project::with_baseline(doc, baseline))
    }
}
