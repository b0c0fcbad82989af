//! Parameter values as the host passes them: little-endian `f32`s in the manifest's order
//! (`docs/plugin-abi.md`, "Parameters").

use crate::Error;

/// The parameter values of one call, read in the manifest's order with [`Params::read`].
pub struct Params<'a> {
    bytes: &'a [u8],
}

impl<'a> Params<'a> {
    /// The values in `bytes` (4 bytes each).
    pub fn new(bytes: &'a [u8]) -> Self {
        Params { bytes }
    }

    /// The next value, as the type its manifest entry has: `f32` for a number, `bool` for a
    /// boolean, `usize` for an enum (the chosen value's index), `[f32; 3]` for a colour (red,
    /// green, blue in 0–1), `u32` for a whole number. [`Error::Params`] when the values run out.
    pub fn read<T: Param>(&mut self) -> Result<T, Error> {
        T::from_values(self).ok_or(Error::Params)
    }

    /// One raw value.
    pub fn value(&mut self) -> Option<f32> {
        let (value, rest) = self.bytes.split_first_chunk::<4>()?;
        self.bytes = rest;
        Some(f32::from_le_bytes(*value))
    }
}

/// A type a parameter value reads as (see [`Params::read`]).
pub trait Param: Sized {
    fn from_values(params: &mut Params) -> Option<Self>;
}

impl Param for f32 {
    fn from_values(params: &mut Params) -> Option<Self> {
        params.value()
    }
}

impl Param for bool {
    fn from_values(params: &mut Params) -> Option<Self> {
        params.value().map(|v| v != 0.0)
    }
}

/// A whole number (a number parameter with step 1, or an enum's index); negative values read
/// as 0.
impl Param for u32 {
    fn from_values(params: &mut Params) -> Option<Self> {
        params.value().map(|v| v as u32)
    }
}

impl Param for usize {
    fn from_values(params: &mut Params) -> Option<Self> {
        params.value().map(|v| v as usize)
    }
}

impl Param for [f32; 3] {
    fn from_values(params: &mut Params) -> Option<Self> {
        Some([params.value()?, params.value()?, params.value()?])
    }
}
