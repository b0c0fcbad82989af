//! The CPU interpreter: runs a [`Network`]'s graph on one tile.
//!
//! Feature maps are f32, height × width × channels (channels innermost).
//! Concatenations and nearest upsampling are not copied: a value is a list
//! of segments (a map read at a whole-number enlargement), and the
//! convolution reads its input channels segment by segment, so the
//! medium network's 640-channel concatenation and the ×4 upsampled 48
//! channels never exist as buffers. A map is dropped after its last reader.
//!
//! The convolution computes blocks of pixels × output channels in local
//! arrays the compiler vectorises (AVX2 chosen at run time, else SSE2 or
//! wasm SIMD128), multiplying then adding (never fused), so every target
//! gives the same bits. Every output value is its bias plus the taps in
//! one fixed order (rows, columns, input channels), whatever the block,
//! the row band or the thread, so the result does not depend on the
//! number of threads or on the tiling.

use super::model::{Activation, Network, Op};
use crate::parallel;
use std::sync::Arc;

/// A feature map, `height × width × channels`, channels innermost.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Map {
    pub width: usize,
    pub height: usize,
    pub channels: usize,
    pub data: Vec<f32>,
}

/// Part of a value: a map read at `factor` times its size (nearest).
#[derive(Clone)]
struct Segment {
    map: Arc<Map>,
    factor: usize,
}

/// A convolution's weights as the kernel reads them: `[tap][in][out]` with
/// the output channels padded to a multiple of the block width `lanes`.
#[derive(Debug)]
pub(super) struct PreparedConv {
    kh: usize,
    kw: usize,
    cin: usize,
    cout: usize,
    cout_padded: usize,
    lanes: usize,
    kernel: Vec<f32>,
    bias: Vec<f32>,
    activation: Activation,
}

/// Lays every convolution's weights out for [`conv`].
pub(super) fn prepare(network: &Network) -> Vec<Option<PreparedConv>> {
    network
        .layers
        .iter()
        .zip(&network.weights)
        .map(|(layer, weights)| match (&layer.op, weights) {
            (
                Op::Conv {
                    kernel,
                    in_channels,
                    out_channels,
                    activation,
                    ..
                },
                Some(w),
            ) => {
                let (cin, cout) = (*in_channels, *out_channels);
                let lanes = if cout % 16 == 0 {
                    16
                } else if cout % 8 == 0 {
                    8
                } else {
                    4
                };
                let cout_padded = cout.next_multiple_of(lanes);
                let mut padded = vec![0.0; kernel[0] * kernel[1] * cin * cout_padded];
                for (dst, src) in padded
                    .chunks_exact_mut(cout_padded)
                    .zip(w.kernel.chunks_exact(cout))
                {
                    dst[..cout].copy_from_slice(src);
                }
                let mut bias = w.bias.clone();
                bias.resize(cout_padded, 0.0);
                Some(PreparedConv {
                    kh: kernel[0],
                    kw: kernel[1],
                    cin,
                    cout,
                    cout_padded,
                    lanes,
                    kernel: padded,
                    bias,
                    activation: *activation,
                })
            }
            _ => None,
        })
        .collect()
}

/// The layers a layer reads.
pub(super) fn inputs_of(op: &Op) -> Vec<usize> {
    match op {
        Op::Input { .. } => Vec::new(),
        Op::Conv { input, .. }
        | Op::Activation { input, .. }
        | Op::Upsample { input, .. }
        | Op::Scale { input, .. }
        | Op::DepthToSpace { input, .. } => vec![*input],
        Op::Concat { inputs } | Op::Add { inputs } => inputs.clone(),
    }
}

/// Runs the graph on `input` (RGB scaled to the network's input range).
pub(super) fn run(network: &Network, convs: &[Option<PreparedConv>], input: Map) -> Map {
    let n = network.layers.len();
    let mut uses = vec![0usize; n];
    for layer in &network.layers {
        for j in inputs_of(&layer.op) {
            uses[j] += 1;
        }
    }
    uses[network.output] += 1;
    let mut values: Vec<Option<Vec<Segment>>> = vec![None; n];
    let mut input = Some(input);
    for (i, layer) in network.layers.iter().enumerate() {
        let whole = |map: Map| {
            vec![Segment {
                map: Arc::new(map),
                factor: 1,
            }]
        };
        let value = match &layer.op {
            Op::Input { .. } => whole(input.take().expect("one input layer")),
            Op::Conv { input: j, .. } => whole(conv(
                values[*j].as_ref().expect("inputs run first"),
                convs[i].as_ref().expect("prepared"),
            )),
            Op::Activation {
                input: j,
                activation,
            } => {
                let mut map = owned(&mut values, &uses, *j);
                if *activation != Activation::Linear {
                    map.data.iter_mut().for_each(|v| *v = activation.apply(*v));
                }
                whole(map)
            }
            Op::Concat { inputs } => inputs
                .iter()
                .flat_map(|&j| values[j].clone().expect("inputs run first"))
                .collect(),
            Op::Add { inputs } => {
                let mut sum = owned(&mut values, &uses, inputs[0]);
                for &j in &inputs[1..] {
                    let other = materialize(values[j].as_ref().expect("inputs run first"));
                    sum.data
                        .iter_mut()
                        .zip(&other.data)
                        .for_each(|(a, b)| *a += b);
                }
                whole(sum)
            }
            Op::Upsample { input: j, factor } => values[*j]
                .as_ref()
                .expect("inputs run first")
                .iter()
                .map(|s| Segment {
                    map: s.map.clone(),
                    factor: s.factor * factor,
                })
                .collect(),
            Op::Scale { input: j, factor } => {
                let mut map = owned(&mut values, &uses, *j);
                map.data.iter_mut().for_each(|v| *v *= factor);
                whole(map)
            }
            Op::DepthToSpace { input: j, block } => whole(depth_to_space(
                &materialize(values[*j].as_ref().expect("inputs run first")),
                *block,
            )),
        };
        for j in inputs_of(&layer.op) {
            uses[j] -= 1;
            if uses[j] == 0 {
                values[j] = None;
            }
        }
        values[i] = Some(value);
    }
    let out = values[network.output].take().expect("the output ran");
    materialize(&out)
}

/// Layer `j`'s value as a map of its own: taken without a copy when this is
/// its last reader and nothing else holds it.
fn owned(values: &mut [Option<Vec<Segment>>], uses: &[usize], j: usize) -> Map {
    if uses[j] == 1 {
        if let Some(mut value) = values[j].take() {
            if value.len() == 1 && value[0].factor == 1 {
                let segment = value.pop().expect("one segment");
                return Arc::try_unwrap(segment.map).unwrap_or_else(|shared| (*shared).clone());
            }
            return materialize(&value);
        }
    }
    materialize(values[j].as_ref().expect("inputs run first"))
}

/// A value's segments as one map.
fn materialize(value: &[Segment]) -> Map {
    if let [Segment { map, factor: 1 }] = value {
        return (**map).clone();
    }
    let (width, height) = dimensions(value);
    let channels: usize = value.iter().map(|s| s.map.channels).sum();
    let mut data = Vec::with_capacity(width * height * channels);
    for y in 0..height {
        for x in 0..width {
            for s in value {
                let c = s.map.channels;
                let at = ((y / s.factor) * s.map.width + x / s.factor) * c;
                data.extend_from_slice(&s.map.data[at..at + c]);
            }
        }
    }
    Map {
        width,
        height,
        channels,
        data,
    }
}

/// TensorFlow's `depthToSpace` (NHWC): input channel `(i · block + j) · c + k`
/// of a pixel goes to row `i`, column `j` of its `block × block` square.
fn depth_to_space(input: &Map, block: usize) -> Map {
    let channels = input.channels / (block * block);
    let (width, height) = (input.width * block, input.height * block);
    let mut data = Vec::with_capacity(width * height * channels);
    for y in 0..height {
        for x in 0..input.width {
            let at = (y / block * input.width + x) * input.channels + y % block * block * channels;
            data.extend_from_slice(&input.data[at..at + block * channels]);
        }
    }
    Map {
        width,
        height,
        channels,
        data,
    }
}

fn dimensions(value: &[Segment]) -> (usize, usize) {
    let s = &value[0];
    (s.map.width * s.factor, s.map.height * s.factor)
}

/// A "same" convolution of `input` with bias and activation.
fn conv(input: &[Segment], conv: &PreparedConv) -> Map {
    let (width, height) = dimensions(input);
    let mut out = Map {
        width,
        height,
        channels: conv.cout,
        data: vec![0.0; width * height * conv.cout],
    };
    parallel::for_each_chunk(&mut out.data, width * conv.cout, 2, |y, row| {
        conv_row(input, conv, y, width, height, row)
    });
    out
}

/// One output row, with AVX2 where the CPU has it (chosen at run time),
/// else SSE2 (or wasm SIMD128). Every multiply-add is a multiply, rounded,
/// then an add, never fused: the compiler vectorises this form, while the
/// fused `f32::mul_add` form stayed scalar and ran 7× slower (BENCHMARKS.md),
/// and it gives the same bits on every target, wasm included.
fn conv_row(input: &[Segment], conv: &PreparedConv, y: usize, w: usize, h: usize, row: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2, checked just above.
        return unsafe { conv_row_avx2(input, conv, y, w, h, row) };
    }
    conv_row_any(input, conv, y, w, h, row)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn conv_row_avx2(
    input: &[Segment],
    conv: &PreparedConv,
    y: usize,
    w: usize,
    h: usize,
    row: &mut [f32],
) {
    conv_row_any(input, conv, y, w, h, row)
}

#[inline(always)]
fn conv_row_any(
    input: &[Segment],
    conv: &PreparedConv,
    y: usize,
    w: usize,
    h: usize,
    row: &mut [f32],
) {
    match conv.lanes {
        16 => row_blocks::<16, 4>(input, conv, y, w, h, row),
        8 => row_blocks::<8, 8>(input, conv, y, w, h, row),
        _ => row_blocks::<4, 8>(input, conv, y, w, h, row),
    }
}

/// One output row: blocks of `PIX` pixels whose taps all fall inside the
/// map, single pixels (skipping the taps that fall outside: zero padding)
/// at the ends.
#[inline(always)]
fn row_blocks<const OC: usize, const PIX: usize>(
    input: &[Segment],
    conv: &PreparedConv,
    y: usize,
    w: usize,
    h: usize,
    row: &mut [f32],
) {
    let (ry, rx) = (conv.kh / 2, conv.kw / 2);
    let rows = ry.saturating_sub(y)..conv.kh.min(h + ry - y);
    let mut x = 0;
    while x < w {
        if x >= rx && x + PIX + rx <= w {
            block::<OC, PIX>(input, conv, y, x, rows.clone(), 0..conv.kw, row);
            x += PIX;
        } else {
            let columns = rx.saturating_sub(x)..conv.kw.min(w + rx - x);
            block::<OC, 1>(input, conv, y, x, rows.clone(), columns, row);
            x += 1;
        }
    }
}

/// `PIX` pixels from `x0`, all output channels in groups of `OC`, over the
/// taps `rows × columns`.
#[inline(always)]
fn block<const OC: usize, const PIX: usize>(
    input: &[Segment],
    conv: &PreparedConv,
    y: usize,
    x0: usize,
    rows: std::ops::Range<usize>,
    columns: std::ops::Range<usize>,
    row: &mut [f32],
) {
    let (ry, rx) = (conv.kh / 2, conv.kw / 2);
    let cp = conv.cout_padded;
    for oc in (0..cp).step_by(OC) {
        let bias: &[f32; OC] = conv.bias[oc..oc + OC].try_into().expect("padded bias");
        let mut acc = [*bias; PIX];
        for ky in rows.clone() {
            let iy = y + ky - ry;
            for kx in columns.clone() {
                let tap = ky * conv.kw + kx;
                let mut channel = 0;
                for s in input {
                    let (map, f, c) = (&s.map, s.factor, s.map.channels);
                    let line = (iy / f) * map.width;
                    let pixels: [&[f32]; PIX] = std::array::from_fn(|p| {
                        let at = (line + (x0 + p + kx - rx) / f) * c;
                        &map.data[at..at + c]
                    });
                    let base = (tap * conv.cin + channel) * cp;
                    let weights = &conv.kernel[base..base + c * cp];
                    for ci in 0..c {
                        let wv: &[f32; OC] = weights[ci * cp + oc..ci * cp + oc + OC]
                            .try_into()
                            .expect("padded kernel");
                        for p in 0..PIX {
                            let xv = pixels[p][ci];
                            for o in 0..OC {
                                acc[p][o] += xv * wv[o];
                            }
                        }
                    }
                    channel += c;
                }
            }
        }
        let real = OC.min(conv.cout - oc.min(conv.cout));
        for (p, values) in acc.iter().enumerate() {
            let at = (x0 + p) * conv.cout + oc;
            for (dst, v) in row[at..at + real].iter_mut().zip(values) {
                *dst = conv.activation.apply(*v);
            }
        }
    }
}

/// Bytes of the feature maps alive at once while one `side`×`side` tile
/// runs (the liveness [`run`] follows, materialised layers only): the
/// tiles' share of the memory estimate.
pub(super) fn tile_bytes(network: &Network, side: usize) -> u64 {
    let n = network.layers.len();
    let mut uses = vec![0usize; n];
    for layer in &network.layers {
        for j in inputs_of(&layer.op) {
            uses[j] += 1;
        }
    }
    let mut factor = vec![1usize; n];
    let mut bytes = vec![0u64; n];
    let (mut live, mut peak) = (0u64, 0u64);
    for (i, layer) in network.layers.iter().enumerate() {
        let (f, channels) = match &layer.op {
            Op::Input { channels } => (1, *channels),
            Op::Conv {
                input,
                out_channels,
                ..
            } => (factor[*input], *out_channels),
            Op::Upsample { input, factor: u } => (factor[*input] * u, 0),
            Op::DepthToSpace { input, block } => {
                (factor[*input] * block, channel_count(network, i))
            }
            Op::Activation { input, .. } | Op::Scale { input, .. } => {
                (factor[*input], channel_count(network, *input))
            }
            Op::Add { inputs } => (factor[inputs[0]], channel_count(network, inputs[0])),
            Op::Concat { inputs } => (factor[inputs[0]], 0),
        };
        factor[i] = f;
        bytes[i] = (side * f * side * f * channels * 4) as u64;
        live += bytes[i];
        peak = peak.max(live);
        let holds_inputs = matches!(layer.op, Op::Concat { .. } | Op::Upsample { .. });
        for j in inputs_of(&layer.op) {
            uses[j] -= 1;
            if uses[j] == 0 {
                // A concatenation or upsampling keeps its inputs' maps alive.
                if holds_inputs {
                    bytes[i] += bytes[j];
                } else {
                    live -= bytes[j];
                }
            }
        }
    }
    peak
}

pub(super) fn channel_count(network: &Network, layer: usize) -> usize {
    match &network.layers[layer].op {
        Op::Input { channels } => *channels,
        Op::Conv { out_channels, .. } => *out_channels,
        Op::Activation { input, .. } | Op::Upsample { input, .. } | Op::Scale { input, .. } => {
            channel_count(network, *input)
        }
        Op::DepthToSpace { input, block } => channel_count(network, *input) / (block * block),
        Op::Add { inputs } => channel_count(network, inputs[0]),
        Op::Concat { inputs } => inputs.iter().map(|&j| channel_count(network, j)).sum(),
    }
}
