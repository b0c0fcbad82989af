//! The plugin template: inverts the colours by `amount` percent. Copy this folder, rename the
//! package, and replace `filter` (docs/plugins.md).
#![no_std]

use retouch_plugin_sdk::{export_filter, Error, Filter, Params, Tile};

struct Invert {
    /// 0 (unchanged) to 1 (fully inverted).
    amount: f32,
}

impl Filter for Invert {
    fn from_params(params: &mut Params) -> Result<Self, Error> {
        Ok(Invert {
            amount: params.read::<f32>()? / 100.0,
        })
    }

    fn filter(&self, tile: &mut Tile) -> Result<(), Error> {
        let mix = |v: u8| (v as f32 + (255.0 - 2.0 * v as f32) * self.amount + 0.5) as u8;
        tile.map(|[r, g, b, a], _x, _y| [mix(r), mix(g), mix(b), a]);
        Ok(())
    }
}

export_filter!(Invert);
