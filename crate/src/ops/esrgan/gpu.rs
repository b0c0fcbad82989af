//! GPU driver of the network: one tile's whole graph as one submission of
//! `esrgan.wgsl`'s kernels (convolution with bias and activation, ReLU,
//! addition, scaling, depth to space, and `place` for concatenations and
//! upsampled values that are needed whole), the feature maps staying on the
//! GPU from the input to the read-back of the tile's RGB.
//!
//! As on the CPU, a value is a list of segments (a map read at a
//! whole-number enlargement): a convolution reads a single upsampled map
//! directly, and only a concatenation's parts are copied into one buffer.
//! Every output value is its bias plus the taps in the CPU's order (rows,
//! columns, input channels); the two backends differ only where the GPU's
//! compiler fuses a multiply and an add (the tests state the bound).
//!
//! Buffers are recycled: a map's buffer returns to the pool once its last
//! reader is recorded (dispatches in one pass run in order, so a later
//! layer may overwrite it), and the pool lives as long as the
//! [`GpuNetwork`], serving every tile.

use super::cpu::{channel_count, inputs_of, Map};
use super::model::{Activation, Network, Op};
use crate::engine::{read_as, Dispatch, GpuContext};
use crate::Result;
use bytemuck::{Pod, Zeroable};
use std::cell::RefCell;

const SHADER: &str = include_str!("esrgan.wgsl");
const WORKGROUP: u32 = 64;
/// Workgroups per row of the 2-D dispatch (each dimension is limited to 65535).
const GROUPS_PER_ROW: u32 = 256;

/// Mirrors `ConvParams` in esrgan.wgsl.
#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct ConvParams {
    width: u32,
    height: u32,
    in_width: u32,
    in_channels: u32,
    out_channels: u32,
    groups: u32,
    factor: u32,
    kernel_w: u32,
    kernel_h: u32,
    relu: u32,
    per_row: u32,
    pad: u32,
}

/// Mirrors `ElementParams` in esrgan.wgsl.
#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct ElementParams {
    count: u32,
    per_row: u32,
    factor: f32,
    pad: u32,
}

/// Mirrors `ShuffleParams` in esrgan.wgsl.
#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct ShuffleParams {
    width: u32,
    height: u32,
    channels: u32,
    block: u32,
    per_row: u32,
    pad: [u32; 3],
}

/// Mirrors `PlaceParams` in esrgan.wgsl.
#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct PlaceParams {
    width: u32,
    height: u32,
    src_width: u32,
    src_channels: u32,
    dst_channels: u32,
    offset: u32,
    factor: u32,
    per_row: u32,
}

/// A convolution's weights on the GPU: `[tap][in][group]` of four output
/// channels (the last group padded with zeros), and the padded bias.
struct ConvBuffers {
    weights: wgpu::Buffer,
    bias: wgpu::Buffer,
    groups: u32,
}

/// A network's weights uploaded to one device, with the pool of feature-map
/// buffers its tiles share.
pub(super) struct GpuNetwork {
    convs: Vec<Option<ConvBuffers>>,
    pool: RefCell<Vec<wgpu::Buffer>>,
}

impl GpuNetwork {
    /// Uploads every convolution's weights (f32 on the GPU).
    pub(super) fn new(gpu: &GpuContext, network: &Network) -> GpuNetwork {
        let convs = network
            .layers
            .iter()
            .zip(&network.weights)
            .map(|(layer, weights)| match (&layer.op, weights) {
                (
                    Op::Conv {
                        in_channels,
                        out_channels,
                        ..
                    },
                    Some(w),
                ) => {
                    let groups = out_channels.div_ceil(4);
                    let mut kernel = vec![0f32; w.kernel.len() / out_channels * groups * 4];
                    for (dst, src) in kernel
                        .chunks_exact_mut(groups * 4)
                        .zip(w.kernel.chunks_exact(*out_channels))
                    {
                        dst[..*out_channels].copy_from_slice(src);
                    }
                    debug_assert_eq!(kernel.len() % (in_channels * groups * 4), 0);
                    let mut bias = w.bias.clone();
                    bias.resize(groups * 4, 0.0);
                    Some(ConvBuffers {
                        weights: gpu.storage_buffer(&layer.name, bytemuck::cast_slice(&kernel)),
                        bias: gpu.storage_buffer(&layer.name, bytemuck::cast_slice(&bias)),
                        groups: groups as u32,
                    })
                }
                _ => None,
            })
            .collect();
        GpuNetwork {
            convs,
            pool: RefCell::new(Vec::new()),
        }
    }

    /// Runs the graph on one tile's `input` (RGB scaled to the network's
    /// input range) and reads back the output map.
    pub(super) async fn run(
        &self,
        gpu: &GpuContext,
        network: &Network,
        input: &Map,
    ) -> Result<Map> {
        // Taken out for the run (a second run meanwhile gets buffers of its own).
        let mut pool = self.pool.take();
        let result = self.run_with(gpu, network, input, &mut pool).await;
        self.pool.replace(pool);
        result
    }

    async fn run_with(
        &self,
        gpu: &GpuContext,
        network: &Network,
        input: &Map,
        pool: &mut Vec<wgpu::Buffer>,
    ) -> Result<Map> {
        let mut run = TileRun {
            gpu,
            free: vec![true; pool.len()],
            holders: vec![0; pool.len()],
            pool,
            steps: Vec::new(),
        };
        let n = network.layers.len();
        let mut uses = vec![0usize; n];
        for layer in &network.layers {
            for j in inputs_of(&layer.op) {
                uses[j] += 1;
            }
        }
        uses[network.output] += 1;
        let mut values: Vec<Option<Vec<Segment>>> = vec![None; n];
        for (i, layer) in network.layers.iter().enumerate() {
            let value = match &layer.op {
                Op::Input { .. } => {
                    let buffer = run.alloc(input.data.len() as u64 * 4);
                    gpu.write_buffer(&run.pool[buffer], bytemuck::cast_slice(&input.data));
                    vec![Segment {
                        buffer,
                        width: input.width,
                        height: input.height,
                        channels: input.channels,
                        factor: 1,
                    }]
                }
                Op::Conv {
                    input: j,
                    kernel,
                    activation,
                    out_channels,
                    ..
                } => {
                    let conv = self.convs[i].as_ref().expect("uploaded");
                    let source = values[*j].as_ref().expect("inputs run first");
                    let (width, height) = dimensions(source);
                    let (read, factor) = match source.as_slice() {
                        [single] => (*single, single.factor),
                        parts => (run.materialize(parts), 1),
                    };
                    let out = run.alloc((width * height * out_channels * 4) as u64);
                    let (groups_xy, per_row) = grid(width * height);
                    let params = ConvParams {
                        width: width as u32,
                        height: height as u32,
                        in_width: read.width as u32,
                        in_channels: read.channels as u32,
                        out_channels: *out_channels as u32,
                        groups: conv.groups,
                        factor: factor as u32,
                        kernel_w: kernel[1] as u32,
                        kernel_h: kernel[0] as u32,
                        relu: u32::from(*activation == Activation::Relu),
                        per_row,
                        pad: 0,
                    };
                    run.steps.push(Step {
                        kernel: Kernel::Conv(i),
                        params: bytemuck::bytes_of(&params).to_vec(),
                        buffers: vec![read.buffer, out],
                        workgroups: (groups_xy.0, groups_xy.1, conv.groups),
                    });
                    run.release_if_unheld(read.buffer);
                    vec![Segment {
                        buffer: out,
                        width,
                        height,
                        channels: *out_channels,
                        factor: 1,
                    }]
                }
                Op::Activation {
                    input: j,
                    activation: Activation::Linear,
                } => values[*j].clone().expect("inputs run first"),
                Op::Activation { input: j, .. } => {
                    let source = values[*j].as_ref().expect("inputs run first");
                    let read = run.materialize(source);
                    let count = read.width * read.height * read.channels;
                    let out = run.alloc(count as u64 * 4);
                    run.element(Kernel::Relu, count, 1.0, vec![read.buffer, out]);
                    run.release_if_unheld(read.buffer);
                    vec![Segment {
                        buffer: out,
                        ..read
                    }]
                }
                Op::Concat { inputs } => inputs
                    .iter()
                    .flat_map(|&j| values[j].clone().expect("inputs run first"))
                    .collect(),
                Op::Add { inputs } => {
                    let first = values[inputs[0]].as_ref().expect("inputs run first");
                    let mut sum = run.materialize(first);
                    for &j in &inputs[1..] {
                        let other = run.materialize(values[j].as_ref().expect("inputs run first"));
                        let count = sum.width * sum.height * sum.channels;
                        let out = run.alloc(count as u64 * 4);
                        run.element(Kernel::Add, count, 1.0, vec![sum.buffer, other.buffer, out]);
                        run.release_if_unheld(sum.buffer);
                        run.release_if_unheld(other.buffer);
                        sum = Segment { buffer: out, ..sum };
                    }
                    vec![sum]
                }
                Op::Upsample { input: j, factor } => values[*j]
                    .as_ref()
                    .expect("inputs run first")
                    .iter()
                    .map(|s| Segment {
                        factor: s.factor * factor,
                        ..*s
                    })
                    .collect(),
                Op::Scale { input: j, factor } => {
                    let read = run.materialize(values[*j].as_ref().expect("inputs run first"));
                    let count = read.width * read.height * read.channels;
                    let out = run.alloc(count as u64 * 4);
                    run.element(Kernel::Scale, count, *factor, vec![read.buffer, out]);
                    run.release_if_unheld(read.buffer);
                    vec![Segment {
                        buffer: out,
                        ..read
                    }]
                }
                Op::DepthToSpace { input: j, block } => {
                    let read = run.materialize(values[*j].as_ref().expect("inputs run first"));
                    let shuffled = Segment {
                        buffer: run.alloc((read.width * read.height * read.channels * 4) as u64),
                        width: read.width * block,
                        height: read.height * block,
                        channels: read.channels / (block * block),
                        factor: 1,
                    };
                    run.depth_to_space(read, shuffled, *block);
                    run.release_if_unheld(read.buffer);
                    vec![shuffled]
                }
            };
            for segment in &value {
                run.holders[segment.buffer] += 1;
            }
            for j in inputs_of(&layer.op) {
                uses[j] -= 1;
                if uses[j] == 0 {
                    for segment in values[j].take().expect("inputs run first") {
                        run.holders[segment.buffer] -= 1;
                        run.release_if_unheld(segment.buffer);
                    }
                }
            }
            values[i] = Some(value);
        }
        let output = values[network.output].take().expect("the output ran");
        let result = run.materialize(&output);
        let bytes = run.submit(self, &result).await?;
        Ok(Map {
            width: result.width,
            height: result.height,
            channels: result.channels,
            data: read_as(&bytes),
        })
    }
}

/// The largest feature map of a `side`×`side` window in bytes (a layer's
/// whole value, concatenations and upsampled values as if copied): what one
/// buffer binding must hold.
pub(super) fn largest_map_bytes(network: &Network, side: usize) -> u64 {
    let mut factor = vec![1usize; network.layers.len()];
    let mut largest = 0u64;
    for (i, layer) in network.layers.iter().enumerate() {
        factor[i] = match &layer.op {
            Op::Input { .. } => 1,
            Op::Upsample { input, factor: f } | Op::DepthToSpace { input, block: f } => {
                factor[*input] * f
            }
            op => factor[inputs_of(op)[0]],
        };
        let edge = (side * factor[i]) as u64;
        largest = largest.max(edge * edge * channel_count(network, i) as u64 * 4);
    }
    largest
}

/// Part of a value: the map in pool buffer `buffer`, `width × height ×
/// channels`, read at `factor` times its size (nearest).
#[derive(Clone, Copy)]
struct Segment {
    buffer: usize,
    width: usize,
    height: usize,
    channels: usize,
    factor: usize,
}

fn dimensions(value: &[Segment]) -> (usize, usize) {
    (
        value[0].width * value[0].factor,
        value[0].height * value[0].factor,
    )
}

/// Which kernel a step runs (a convolution names its layer, for the weights).
#[derive(Clone, Copy)]
enum Kernel {
    Conv(usize),
    Relu,
    Add,
    Scale,
    DepthToSpace,
    Place,
}

/// One recorded dispatch: its parameters (bound at 0) and the pool buffers
/// bound after them.
struct Step {
    kernel: Kernel,
    params: Vec<u8>,
    buffers: Vec<usize>,
    workgroups: (u32, u32, u32),
}

/// The workgroups for `count` invocations on the 2-D grid, and the
/// invocations per row the kernels number them by.
fn grid(count: usize) -> ((u32, u32), u32) {
    let groups = (count as u32).div_ceil(WORKGROUP).max(1);
    let x = groups.min(GROUPS_PER_ROW);
    ((x, groups.div_ceil(x)), x * WORKGROUP)
}

/// One tile being recorded: which pool buffers are free, how many values
/// hold each, and the dispatches so far.
struct TileRun<'a> {
    gpu: &'a GpuContext,
    pool: &'a mut Vec<wgpu::Buffer>,
    free: Vec<bool>,
    holders: Vec<usize>,
    steps: Vec<Step>,
}

impl TileRun<'_> {
    /// The smallest free pool buffer of at least `bytes`, or a new one.
    fn alloc(&mut self, bytes: u64) -> usize {
        let bytes = bytes.max(4);
        let best = (0..self.pool.len())
            .filter(|&b| self.free[b] && self.pool[b].size() >= bytes)
            .min_by_key(|&b| self.pool[b].size());
        let id = best.unwrap_or_else(|| {
            self.pool
                .push(self.gpu.scratch_buffer("esrgan feature map", bytes));
            self.free.push(true);
            self.holders.push(0);
            self.pool.len() - 1
        });
        self.free[id] = false;
        id
    }

    /// Returns `buffer` to the pool once no value holds it (a temporary
    /// after its reader is recorded, or a value after its last reader).
    fn release_if_unheld(&mut self, buffer: usize) {
        if self.holders[buffer] == 0 {
            self.free[buffer] = true;
        }
    }

    /// The value as one map at its full size: itself when it is one map
    /// read at its own size, else its segments placed side by side in a
    /// new buffer (which the caller releases after recording its reader).
    fn materialize(&mut self, value: &[Segment]) -> Segment {
        if let [single @ Segment { factor: 1, .. }] = value {
            return *single;
        }
        let (width, height) = dimensions(value);
        let channels: usize = value.iter().map(|s| s.channels).sum();
        let out = self.alloc((width * height * channels * 4) as u64);
        let mut offset = 0;
        for s in value {
            let ((x, y), per_row) = grid(width * height * s.channels);
            let params = PlaceParams {
                width: width as u32,
                height: height as u32,
                src_width: s.width as u32,
                src_channels: s.channels as u32,
                dst_channels: channels as u32,
                offset: offset as u32,
                factor: s.factor as u32,
                per_row,
            };
            self.steps.push(Step {
                kernel: Kernel::Place,
                params: bytemuck::bytes_of(&params).to_vec(),
                buffers: vec![s.buffer, out],
                workgroups: (x, y, 1),
            });
            offset += s.channels;
        }
        Segment {
            buffer: out,
            width,
            height,
            channels,
            factor: 1,
        }
    }

    /// Records `read` shuffled into `out` (`block` times its size).
    fn depth_to_space(&mut self, read: Segment, out: Segment, block: usize) {
        let ((x, y), per_row) = grid(out.width * out.height * out.channels);
        let params = ShuffleParams {
            width: out.width as u32,
            height: out.height as u32,
            channels: out.channels as u32,
            block: block as u32,
            per_row,
            pad: [0; 3],
        };
        self.steps.push(Step {
            kernel: Kernel::DepthToSpace,
            params: bytemuck::bytes_of(&params).to_vec(),
            buffers: vec![read.buffer, out.buffer],
            workgroups: (x, y, 1),
        });
    }

    /// Records an element-wise kernel over `count` values (`factor` is
    /// `scale`'s constant, unused by the others).
    fn element(&mut self, kernel: Kernel, count: usize, factor: f32, buffers: Vec<usize>) {
        let ((x, y), per_row) = grid(count);
        let params = ElementParams {
            count: count as u32,
            per_row,
            factor,
            pad: 0,
        };
        self.steps.push(Step {
            kernel,
            params: bytemuck::bytes_of(&params).to_vec(),
            buffers,
            workgroups: (x, y, 1),
        });
    }

    /// Runs every recorded step in one submission and reads `result` back.
    async fn submit(self, network: &GpuNetwork, result: &Segment) -> Result<Vec<u8>> {
        let gpu = self.gpu;
        let pipelines: Vec<wgpu::ComputePipeline> = self
            .steps
            .iter()
            .map(|s| match s.kernel {
                Kernel::Conv(_) => gpu.pipeline("esrgan.conv", SHADER, "conv"),
                Kernel::Relu => gpu.pipeline("esrgan.relu", SHADER, "relu"),
                Kernel::Add => gpu.pipeline("esrgan.add", SHADER, "add"),
                Kernel::Scale => gpu.pipeline("esrgan.scale", SHADER, "scale"),
                Kernel::DepthToSpace => {
                    gpu.pipeline("esrgan.depth_to_space", SHADER, "depth_to_space")
                }
                Kernel::Place => gpu.pipeline("esrgan.place", SHADER, "place"),
            })
            .collect();
        let params: Vec<wgpu::Buffer> = self
            .steps
            .iter()
            .map(|s| gpu.uniform_buffer("esrgan parameters", &s.params))
            .collect();
        // Bound in order: the parameters, then a convolution's input,
        // weights, bias and output, or the other kernels' buffers.
        let bindings: Vec<Vec<&wgpu::Buffer>> = self
            .steps
            .iter()
            .zip(&params)
            .map(|(s, p)| {
                let mut bound = vec![p];
                let pooled = s.buffers.iter().map(|&b| &self.pool[b]);
                match s.kernel {
                    Kernel::Conv(layer) => {
                        let conv = network.convs[layer].as_ref().expect("uploaded");
                        let [input, output] = s.buffers[..] else {
                            unreachable!("a convolution reads one map and writes one")
                        };
                        bound.extend([
                            &self.pool[input],
                            &conv.weights,
                            &conv.bias,
                            &self.pool[output],
                        ]);
                    }
                    _ => bound.extend(pooled),
                }
                bound
            })
            .collect();
        let steps: Vec<(&wgpu::ComputePipeline, Dispatch)> = self
            .steps
            .iter()
            .zip(&pipelines)
            .zip(&bindings)
            .map(|((s, pipeline), buffers)| {
                (
                    pipeline,
                    Dispatch {
                        buffers,
                        workgroups: s.workgroups,
                    },
                )
            })
            .collect();
        let bytes = (result.width * result.height * result.channels * 4) as u64;
        gpu.run_and_read(&steps, &self.pool[result.buffer], bytes)
            .await
    }
}
