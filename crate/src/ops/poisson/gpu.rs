//! GPU driver of the Poisson solve: one visit's sweeps of a level in one
//! submission (two dispatches of `poisson.wgsl` per sweep, red then black),
//! then the level is read back for the CPU's residual and transfers.

use super::{cpu, Level, OMEGA};
use crate::engine::{Dispatch, GpuContext};
use crate::Result;
use bytemuck::{Pod, Zeroable};

const SHADER: &str = include_str!("poisson.wgsl");
const WORKGROUP: u32 = 8;

/// Mirrors `Params` in poisson.wgsl.
#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct GpuParams {
    width: u32,
    height: u32,
    parity: u32,
    pad: u32,
    omega: f32,
    screening: f32,
    pad2: [f32; 2],
}

/// Runs `sweeps` red–black sweeps over `level` on the GPU, or on the CPU
/// when the level is larger than the device can bind.
pub(super) async fn relax(gpu: &GpuContext, level: &mut Level, sweeps: u32) -> Result<()> {
    let cells = level.values.len();
    let bytes = cells as u64 * 16;
    if bytes > gpu.max_binding_bytes() {
        cpu::relax(level, sweeps);
        return Ok(());
    }
    let values: Vec<f32> = level
        .values
        .iter()
        .flat_map(|v| [v[0], v[1], v[2], 0.0])
        .collect();
    let rhs: Vec<f32> = level
        .rhs
        .iter()
        .flat_map(|v| [v[0], v[1], v[2], 0.0])
        .collect();
    let kind: Vec<u32> = level.kind.iter().map(|&k| u32::from(k)).collect();
    let params = |parity: u32| GpuParams {
        width: level.width,
        height: level.height,
        parity,
        pad: 0,
        omega: OMEGA,
        screening: level.screening,
        pad2: [0.0; 2],
    };
    let red = gpu.uniform_buffer("poisson params red", bytemuck::bytes_of(&params(0)));
    let black = gpu.uniform_buffer("poisson params black", bytemuck::bytes_of(&params(1)));
    let kind = gpu.storage_buffer("poisson kinds", bytemuck::cast_slice(&kind));
    let values_buffer = gpu.storage_buffer("poisson values", bytemuck::cast_slice(&values));
    let rhs = gpu.storage_buffer("poisson right-hand sides", bytemuck::cast_slice(&rhs));
    let red_buffers = [&red, &kind, &values_buffer, &rhs];
    let black_buffers = [&black, &kind, &values_buffer, &rhs];
    let groups = (
        level.width.div_ceil(2).div_ceil(WORKGROUP),
        level.height.div_ceil(WORKGROUP),
        1,
    );
    let steps: Vec<Dispatch> = (0..sweeps)
        .flat_map(|_| {
            [
                Dispatch {
                    buffers: &red_buffers,
                    workgroups: groups,
                },
                Dispatch {
                    buffers: &black_buffers,
                    workgroups: groups,
                },
            ]
        })
        .collect();
    let pipeline = gpu.pipeline("poisson.sweep", SHADER, "sweep");
    let out = gpu
        .dispatch_steps_and_read(&pipeline, &steps, &values_buffer, bytes)
        .await?;
    let float = |b: &[u8]| f32::from_le_bytes([b[0], b[1], b[2], b[3]]);
    for (v, cell) in level.values.iter_mut().zip(out.chunks_exact(16)) {
        *v = [float(&cell[0..4]), float(&cell[4..8]), float(&cell[8..12])];
    }
    Ok(())
}
