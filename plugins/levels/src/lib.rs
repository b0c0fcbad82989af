//! Levels, the wasm half of a plugin that also carries a WGSL shader (levels.wgsl, same
//! formula): per colour channel `t = clamp((v − ib) / (iw − ib), 0, 1)`,
//! `out = ob + t^(1/γ) · (ow − ob)`, rounded. One 256-entry table per call; alpha is kept.
#![no_std]

use retouch_plugin_sdk::{export_filter, libm, Error, Filter, Params, Tile};

struct Levels {
    table: [u8; 256],
}

impl Filter for Levels {
    fn from_params(params: &mut Params) -> Result<Self, Error> {
        let [ib, iw, gamma, ob, ow] = [(); 5].map(|_| params.read::<f32>());
        let (ib, iw, gamma, ob, ow) = (ib?, iw?, gamma?, ob?, ow?);
        let span = (iw - ib).max(1.0);
        let table = core::array::from_fn(|v| {
            let t = ((v as f32 - ib) / span).clamp(0.0, 1.0);
            (ob + libm::powf(t, 1.0 / gamma) * (ow - ob) + 0.5).clamp(0.0, 255.0) as u8
        });
        Ok(Levels { table })
    }

    fn filter(&self, tile: &mut Tile) -> Result<(), Error> {
        let t = &self.table;
        tile.map(|[r, g, b, a], _, _| [t[r as usize], t[g as usize], t[b as usize], a]);
        Ok(())
    }
}

export_filter!(Levels);
