// Deriche's recursive Gaussian along lines; mirrors cpu.rs operation for
// operation. One invocation per line (a row or a column of the band); the
// two second-order sections run side by side in the lanes of a vec2.

struct Params {
    lines: u32,
    length: u32,
    line_stride: u32,  // elements between the starts of consecutive lines
    step: u32,         // elements between consecutive samples of a line
    n0: vec2<f32>,
    n1: vec2<f32>,
    m1: vec2<f32>,
    m2: vec2<f32>,
    d1: vec2<f32>,
    d2: vec2<f32>,
    causal_gain: vec2<f32>,
    anticausal_gain: vec2<f32>,
    scale: f32,
    _pad0: f32,
    _pad1: f32,
    _pad2: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;

@compute @workgroup_size(64)
fn blur_lines(@builtin(global_invocation_id) id: vec3<u32>) {
    let line = id.x;
    if (line >= params.lines) {
        return;
    }
    let base = line * params.line_stride;
    let last = params.length - 1u;

    // Causal, starting at the steady state of the clamped first sample.
    let first_x = src[base];
    var previous = first_x * params.causal_gain;
    var before = previous;
    var x_previous = first_x;
    for (var n = 0u; n < params.length; n++) {
        let i = base + n * params.step;
        let x = src[i];
        let v = params.n0 * x + params.n1 * x_previous - params.d1 * previous - params.d2 * before;
        before = previous;
        previous = v;
        x_previous = x;
        dst[i] = v.x + v.y;
    }

    // Anti-causal, from the steady state of the clamped last sample.
    let last_x = src[base + last * params.step];
    previous = last_x * params.anticausal_gain;
    before = previous;
    var x1 = last_x;
    var x2 = last_x;
    for (var k = 0u; k < params.length; k++) {
        let i = base + (last - k) * params.step;
        let v = params.m1 * x1 + params.m2 * x2 - params.d1 * previous - params.d2 * before;
        before = previous;
        previous = v;
        dst[i] = (dst[i] + (v.x + v.y)) * params.scale;
        x2 = x1;
        x1 = src[i];
    }
}
