// Draws a straight-alpha RGBA8 composite held in a storage buffer (R in the
// low byte, rows without padding) onto a target of the same size, with
// premultiplied alpha, as a WebGPU canvas configured "premultiplied" wants.

struct View {
    width: u32,
    height: u32,
}

@group(0) @binding(0) var<uniform> view: View;
@group(0) @binding(1) var<storage, read> composite: array<u32>;

// One triangle that covers the whole target: (-1,-1), (3,-1), (-1,3).
@vertex
fn cover(@builtin(vertex_index) i: u32) -> @builtin(position) vec4<f32> {
    let x = f32((i << 1u) & 2u) * 2.0 - 1.0;
    let y = f32(i & 2u) * 2.0 - 1.0;
    return vec4<f32>(x, y, 0.0, 1.0);
}

@fragment
fn show(@builtin(position) at: vec4<f32>) -> @location(0) vec4<f32> {
    // Fragment positions are pixel centres, rows counted from the top.
    let x = min(u32(at.x), view.width - 1u);
    let y = min(u32(at.y), view.height - 1u);
    let c = unpack4x8unorm(composite[y * view.width + x]);
    return vec4<f32>(c.rgb * c.a, c.a);
}
