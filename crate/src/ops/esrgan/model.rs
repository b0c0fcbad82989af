//! The network file (`.rtnet`): a small JSON header describing the graph
//! generically (layers, their inputs, kernel sizes, channels) followed by
//! every convolution's weights, f16 or f32, little-endian.
//!
//! ```text
//! b"RTNET\0\0\x01"              magic and format version 1
//! u32 LE                        header length in bytes
//! header                        JSON: `Header`
//! weights                       per convolution, in layer order: kernel
//!                               [kh][kw][in][out], then bias [out]
//! ```
//!
//! Reading checks everything a hostile or damaged file could get wrong
//! (inputs that point forward, channel counts that do not chain, sizes past
//! [`MAX_CHANNELS`] / [`MAX_KERNEL`], a weight section of the wrong length)
//! and names the file's problem instead of panicking.

use crate::{Error, Result};
use serde::{Deserialize, Serialize};

const MAGIC: &[u8; 8] = b"RTNET\0\0\x01";
/// More channels than any super-resolution network uses: refused so a
/// damaged header cannot ask for huge buffers.
pub const MAX_CHANNELS: usize = 4096;
/// The largest kernel side accepted.
pub const MAX_KERNEL: usize = 15;
/// The largest header accepted (the medium network's is about 8 KB).
const MAX_HEADER_BYTES: usize = 1 << 20;

/// An activation applied element-wise.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Activation {
    Linear,
    Relu,
}

impl Activation {
    #[inline(always)]
    pub fn apply(self, v: f32) -> f32 {
        match self {
            Activation::Linear => v,
            Activation::Relu => v.max(0.0),
        }
    }
}

/// One node of the graph. Inputs are indices of earlier layers, so the
/// layer list is already in an order that can be run front to back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Op {
    /// The image, RGB scaled to `0..input_range`.
    Input { channels: usize },
    /// A stride-1 convolution with zero "same" padding and a bias.
    Conv {
        input: usize,
        /// Kernel height and width, both odd.
        kernel: [usize; 2],
        in_channels: usize,
        out_channels: usize,
        activation: Activation,
    },
    Activation {
        input: usize,
        activation: Activation,
    },
    /// Channels of the inputs one after the other.
    Concat { inputs: Vec<usize> },
    /// Element-wise sum.
    Add { inputs: Vec<usize> },
    /// Nearest-neighbour enlargement by a whole factor.
    Upsample { input: usize, factor: usize },
    /// Every value times a constant (ESRGAN's residual scaling, Keras'
    /// `MultiplyBeta` in the RRDN networks).
    Scale { input: usize, factor: f32 },
    /// Depth to space, the "pixel shuffle" (TensorFlow's `depthToSpace`,
    /// NHWC): each pixel's `block² · c` channels become a `block × block`
    /// square of `c`-channel pixels, channel `(i · block + j) · c + k` going
    /// to row `i`, column `j`, channel `k`.
    DepthToSpace { input: usize, block: usize },
}

/// A named layer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Layer {
    pub name: String,
    #[serde(flatten)]
    pub op: Op,
}

/// How the weights are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Precision {
    F16,
    F32,
}

/// The file's JSON header.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Header {
    /// Where the weights came from, e.g. "@upscalerjs/esrgan-medium 1.0.0 x4".
    source: String,
    /// Pixel values the network takes and gives: 255 for 0..255.
    input_range: f32,
    output_range: f32,
    precision: Precision,
    layers: Vec<Layer>,
    /// The layer whose value is the result (RGB at `scale` times the size).
    output: usize,
}

/// A network ready to run: the graph, its enlargement factor and the weights
/// as f32, each convolution's in one [`ConvWeights`].
#[derive(Debug, Clone, PartialEq)]
pub struct Network {
    pub source: String,
    pub input_range: f32,
    pub output_range: f32,
    pub layers: Vec<Layer>,
    pub output: usize,
    /// Per layer: the convolution's weights (None for other layers).
    pub weights: Vec<Option<ConvWeights>>,
    /// The enlargement (product of the upsampling factors on the way to the output).
    pub scale: usize,
}

/// One convolution's weights, `kernel` as `[kh][kw][in][out]` (TensorFlow's
/// layout: the output channels of one tap and input channel are adjacent,
/// which is what the CPU kernel vectorises over).
#[derive(Debug, Clone, PartialEq)]
pub struct ConvWeights {
    pub kernel: Vec<f32>,
    pub bias: Vec<f32>,
}

fn bad(file: &str, message: impl std::fmt::Display) -> Error {
    Error::param("model", format!("{file}: {message}"))
}

impl Network {
    /// Builds and checks a network (the converter's entry).
    pub fn new(
        source: String,
        input_range: f32,
        output_range: f32,
        layers: Vec<Layer>,
        output: usize,
        weights: Vec<Option<ConvWeights>>,
    ) -> Result<Network> {
        let header = Header {
            source,
            input_range,
            output_range,
            precision: Precision::F32,
            layers,
            output,
        };
        let scale = check_graph(&header, "network")?;
        for (i, layer) in header.layers.iter().enumerate() {
            let expected = conv_lengths(&layer.op);
            let got = weights
                .get(i)
                .and_then(|w| w.as_ref())
                .map(|w| (w.kernel.len(), w.bias.len()));
            if expected != got {
                return Err(bad(
                    "network",
                    format!(
                        "layer '{}' has weights {got:?}, expected {expected:?}",
                        layer.name
                    ),
                ));
            }
        }
        Ok(Network {
            source: header.source,
            input_range: header.input_range,
            output_range: header.output_range,
            layers: header.layers,
            output: header.output,
            weights,
            scale,
        })
    }

    /// The file's bytes, weights stored at `precision`.
    pub fn to_bytes(&self, precision: Precision) -> Vec<u8> {
        let header = Header {
            source: self.source.clone(),
            input_range: self.input_range,
            output_range: self.output_range,
            precision,
            layers: self.layers.clone(),
            output: self.output,
        };
        let json = serde_json::to_vec(&header).expect("the header serialises");
        let mut out = Vec::with_capacity(json.len() + 12 + self.weight_count() * 4);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&(json.len() as u32).to_le_bytes());
        out.extend_from_slice(&json);
        for w in self.weights.iter().flatten() {
            for &v in w.kernel.iter().chain(&w.bias) {
                match precision {
                    Precision::F16 => out.extend_from_slice(&f32_to_f16(v).to_le_bytes()),
                    Precision::F32 => out.extend_from_slice(&v.to_le_bytes()),
                }
            }
        }
        out
    }

    /// Reads a `.rtnet` file's bytes; `file` names it in errors.
    pub fn from_bytes(bytes: &[u8], file: &str) -> Result<Network> {
        if bytes.len() < 12 || &bytes[..8] != MAGIC {
            return Err(bad(file, "not a Retouch network file (.rtnet, format 1)"));
        }
        let len = u32::from_le_bytes(bytes[8..12].try_into().unwrap()) as usize;
        if len > MAX_HEADER_BYTES || bytes.len() < 12 + len {
            return Err(bad(file, "the header is truncated or damaged"));
        }
        let header: Header = serde_json::from_slice(&bytes[12..12 + len])
            .map_err(|e| bad(file, format!("the header is damaged: {e}")))?;
        let scale = check_graph(&header, file)?;
        let width = match header.precision {
            Precision::F16 => 2,
            Precision::F32 => 4,
        };
        let count: usize = header
            .layers
            .iter()
            .filter_map(|l| conv_lengths(&l.op))
            .map(|(k, b)| k + b)
            .sum();
        let data = &bytes[12 + len..];
        if data.len() != count * width {
            return Err(bad(
                file,
                format!(
                    "the weights are {} bytes, the graph needs {} (truncated or damaged)",
                    data.len(),
                    count * width
                ),
            ));
        }
        let mut values = data.chunks_exact(width).map(|c| match header.precision {
            Precision::F16 => f16_to_f32(u16::from_le_bytes([c[0], c[1]])),
            Precision::F32 => f32::from_le_bytes(c.try_into().unwrap()),
        });
        let mut weights = Vec::with_capacity(header.layers.len());
        for layer in &header.layers {
            weights.push(conv_lengths(&layer.op).map(|(k, b)| ConvWeights {
                kernel: values.by_ref().take(k).collect(),
                bias: values.by_ref().take(b).collect(),
            }));
        }
        if weights
            .iter()
            .flatten()
            .flat_map(|w| w.kernel.iter().chain(&w.bias))
            .any(|v| !v.is_finite())
        {
            return Err(bad(file, "the weights hold a value that is not finite"));
        }
        Ok(Network {
            source: header.source,
            input_range: header.input_range,
            output_range: header.output_range,
            layers: header.layers,
            output: header.output,
            weights,
            scale,
        })
    }

    fn weight_count(&self) -> usize {
        self.weights
            .iter()
            .flatten()
            .map(|w| w.kernel.len() + w.bias.len())
            .sum()
    }

    /// How far, in source pixels, an output pixel's value depends on its
    /// neighbourhood: the tiles' halo. Walked through the graph in units of
    /// 1/scale source pixel: a k×k convolution at resolution factor f adds
    /// (k−1)/2 of its pixels; nearest upsampling by u adds the part of a
    /// parent pixel that its children may sit further in by (1/f − 1/(f·u)).
    pub fn halo(&self) -> usize {
        let s = self.scale;
        let mut factor = vec![1usize; self.layers.len()];
        let mut reach = vec![0usize; self.layers.len()];
        for (i, layer) in self.layers.iter().enumerate() {
            let (f, r) = match &layer.op {
                Op::Input { .. } => (1, 0),
                Op::Conv { input, kernel, .. } => {
                    let radius = (kernel[0].max(kernel[1]) - 1) / 2;
                    (factor[*input], reach[*input] + radius * s / factor[*input])
                }
                Op::Activation { input, .. } | Op::Scale { input, .. } => {
                    (factor[*input], reach[*input])
                }
                Op::Concat { inputs } | Op::Add { inputs } => (
                    factor[inputs[0]],
                    inputs.iter().map(|&j| reach[j]).max().unwrap_or(0),
                ),
                // A shuffled pixel, like an upsampled one, comes from one
                // parent pixel it may sit anywhere in.
                Op::Upsample { input, factor: u } | Op::DepthToSpace { input, block: u } => {
                    let f = factor[*input];
                    (f * u, reach[*input] + s / f - s / (f * u))
                }
            };
            factor[i] = f;
            reach[i] = r;
        }
        reach[self.output].div_ceil(s)
    }
}

/// The channels a depth to space by `block` leaves of `channels`, or an
/// error naming layer `name` when they do not split into `block²` pixels.
pub(super) fn shuffled_channels(
    name: &str,
    channels: usize,
    block: usize,
    file: &str,
) -> Result<usize> {
    let square = block * block;
    if square == 0 || !channels.is_multiple_of(square) {
        return Err(bad(
            file,
            format!("layer '{name}': {channels} channels do not split into {block}×{block} pixels"),
        ));
    }
    Ok(channels / square)
}

/// Kernel and bias lengths of a convolution.
fn conv_lengths(op: &Op) -> Option<(usize, usize)> {
    match op {
        Op::Conv {
            kernel,
            in_channels,
            out_channels,
            ..
        } => Some((
            kernel[0] * kernel[1] * in_channels * out_channels,
            *out_channels,
        )),
        _ => None,
    }
}

/// Checks the graph is runnable (inputs earlier, channels chain, sizes
/// bounded, one RGB input, RGB output) and returns its enlargement factor.
fn check_graph(header: &Header, file: &str) -> Result<usize> {
    let layers = &header.layers;
    let mut channels = Vec::with_capacity(layers.len());
    let mut factor = Vec::with_capacity(layers.len());
    for (i, layer) in layers.iter().enumerate() {
        let name = &layer.name;
        let input = |j: usize| -> Result<usize> {
            if j < i {
                Ok(j)
            } else {
                Err(bad(
                    file,
                    format!("layer '{name}' reads a later layer ({j})"),
                ))
            }
        };
        let (c, f) = match &layer.op {
            Op::Input { channels } => {
                if i != 0 || *channels != 3 {
                    return Err(bad(
                        file,
                        "the first layer, and only it, must be the RGB input",
                    ));
                }
                (3, 1)
            }
            Op::Conv {
                input: j,
                kernel,
                in_channels,
                out_channels,
                ..
            } => {
                let j = input(*j)?;
                if kernel.iter().any(|&k| k % 2 == 0 || k > MAX_KERNEL)
                    || *out_channels == 0
                    || *out_channels > MAX_CHANNELS
                    || *in_channels != channels[j]
                {
                    return Err(bad(
                        file,
                        format!("layer '{name}': unsupported convolution (odd kernels up to {MAX_KERNEL}, channels that chain)"),
                    ));
                }
                (*out_channels, factor[j])
            }
            Op::Activation { input: j, .. } => {
                let j = input(*j)?;
                (channels[j], factor[j])
            }
            Op::Scale {
                input: j,
                factor: k,
            } => {
                let j = input(*j)?;
                if !k.is_finite() {
                    return Err(bad(file, format!("layer '{name}' scales by {k}")));
                }
                (channels[j], factor[j])
            }
            Op::DepthToSpace { input: j, block } => {
                let j = input(*j)?;
                if !(2..=16).contains(block) || factor[j] * block > 16 {
                    return Err(bad(
                        file,
                        format!("layer '{name}': depth to space past 16×"),
                    ));
                }
                (
                    shuffled_channels(name, channels[j], *block, file)?,
                    factor[j] * block,
                )
            }
            Op::Concat { inputs } | Op::Add { inputs } => {
                if inputs.is_empty() {
                    return Err(bad(file, format!("layer '{name}' has no inputs")));
                }
                let ids = inputs
                    .iter()
                    .map(|&j| input(j))
                    .collect::<Result<Vec<_>>>()?;
                let f = factor[ids[0]];
                if ids.iter().any(|&j| factor[j] != f) {
                    return Err(bad(
                        file,
                        format!("layer '{name}' joins different resolutions"),
                    ));
                }
                let c = if matches!(layer.op, Op::Concat { .. }) {
                    ids.iter().map(|&j| channels[j]).sum()
                } else {
                    if ids.iter().any(|&j| channels[j] != channels[ids[0]]) {
                        return Err(bad(
                            file,
                            format!("layer '{name}' adds different channel counts"),
                        ));
                    }
                    channels[ids[0]]
                };
                if c > MAX_CHANNELS {
                    return Err(bad(
                        file,
                        format!("layer '{name}' has more than {MAX_CHANNELS} channels"),
                    ));
                }
                (c, f)
            }
            Op::Upsample {
                input: j,
                factor: u,
            } => {
                let j = input(*j)?;
                if !(1..=16).contains(u) || factor[j] * u > 16 {
                    return Err(bad(file, format!("layer '{name}': upsampling past 16×")));
                }
                (channels[j], factor[j] * u)
            }
        };
        channels.push(c);
        factor.push(f);
    }
    if layers.is_empty() || header.output >= layers.len() || channels[header.output] != 3 {
        return Err(bad(file, "the output layer must give 3 channels (RGB)"));
    }
    if !(header.input_range > 0.0 && header.output_range > 0.0) {
        return Err(bad(file, "the value ranges must be positive"));
    }
    Ok(factor[header.output])
}

/// f32 → IEEE half, rounded to nearest even (the converter's storage).
pub fn f32_to_f16(v: f32) -> u16 {
    let bits = v.to_bits();
    let sign = ((bits >> 16) & 0x8000) as u16;
    let exp = ((bits >> 23) & 0xff) as i32;
    let mant = bits & 0x7f_ffff;
    if exp == 0xff {
        return sign | 0x7c00 | if mant != 0 { 0x200 } else { 0 };
    }
    let e = exp - 127 + 15;
    if e >= 0x1f {
        return sign | 0x7c00;
    }
    if e <= 0 {
        if e < -10 {
            return sign;
        }
        // Subnormal: shift the mantissa (with its implicit 1) into place.
        let m = mant | 0x80_0000;
        let shift = (14 - e) as u32;
        let half = m >> shift;
        let rest = m & ((1 << shift) - 1);
        let mid = 1 << (shift - 1);
        let round = (rest > mid || (rest == mid && half & 1 == 1)) as u32;
        return sign | (half + round) as u16;
    }
    let half = ((e as u32) << 10) | (mant >> 13);
    let rest = mant & 0x1fff;
    let round = (rest > 0x1000 || (rest == 0x1000 && half & 1 == 1)) as u32;
    sign | (half + round) as u16 // a carry rolls into the exponent, as it should
}

/// IEEE half → f32 (exact).
pub fn f16_to_f32(h: u16) -> f32 {
    let sign = ((h & 0x8000) as u32) << 16;
    let exp = ((h >> 10) & 0x1f) as u32;
    let mant = (h & 0x3ff) as u32;
    let bits = match (exp, mant) {
        (0, 0) => sign,
        (0, m) => {
            // Subnormal: normalise.
            let shift = m.leading_zeros() - 21;
            sign | ((113 - shift) << 23) | ((m << shift) & 0x3ff) << 13
        }
        (0x1f, m) => sign | 0x7f80_0000 | (m << 13),
        (e, m) => sign | ((e + 112) << 23) | (m << 13),
    };
    f32::from_bits(bits)
}
