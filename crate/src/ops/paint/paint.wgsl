// Paint brush, eraser and clone stamp over one row band of the dirty
// rectangle; mirrors cpu.rs line for line (integers only, so the results are
// equal bit for bit). Follows dab.wgsl in the same module. One invocation per
// pixel: build the stroke coverage from every dab in order, then apply the
// stroke once. Pixels are packed RGBA8 (r in the low byte).

struct Params {
    rect_x: u32,
    rect_y: u32,       // of the band
    width: u32,
    height: u32,
    dab_count: u32,
    flow: u32,
    opacity: u32,
    reach: u32,
    erase: u32,
    has_selection: u32,
    _pad0: u32,
    _pad1: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> pixels: array<u32>;
@group(0) @binding(2) var<storage, read> dabs: array<vec2<i32>>;
@group(0) @binding(3) var<storage, read> dab_thresholds: array<u32, 256>;
// The selection's coverage, one u32 per pixel (unused without one).
@group(0) @binding(4) var<storage, read> selection: array<u32>;
// What the stroke lays down at each pixel: the colour, or the clone source.
@group(0) @binding(5) var<storage, read> sources: array<u32>;

fn dab_reach() -> u32 {
    return params.reach;
}

fn unpack(p: u32) -> vec4<u32> {
    return vec4<u32>(p & 255u, (p >> 8u) & 255u, (p >> 16u) & 255u, p >> 24u);
}

fn pack(c: vec4<u32>) -> u32 {
    return c.x | (c.y << 8u) | (c.z << 16u) | (c.w << 24u);
}

fn apply(dest: vec4<u32>, source: vec4<u32>, alpha: u32) -> vec4<u32> {
    if (params.erase == 1u) {
        let kept = (dest.w * (255u - alpha) + 127u) / 255u;
        return vec4<u32>(dest.xyz, kept);
    }
    let a = (alpha * source.w + 127u) / 255u;
    if (a == 0u) {
        return dest;
    }
    let total = a * 255u + dest.w * (255u - a);
    let rgb = (source.xyz * a * 255u + dest.xyz * dest.w * (255u - a) + total / 2u) / total;
    return vec4<u32>(rgb, (total + 127u) / 255u);
}

@compute @workgroup_size(16, 16)
fn paint(@builtin(global_invocation_id) id: vec3<u32>) {
    if (id.x >= params.width || id.y >= params.height) {
        return;
    }
    let i = id.y * params.width + id.x;
    let x = params.rect_x + id.x;
    let y = params.rect_y + id.y;
    var s = 0u;
    for (var d = 0u; d < params.dab_count; d++) {
        let c = dab_coverage(dabs[d], x, y);
        if (c > 0u) {
            s = dab_build_up(s, c, params.flow);
        }
    }
    var selected = 255u;
    if (params.has_selection == 1u) {
        selected = selection[i];
    }
    let alpha = (s * params.opacity * selected + 32512u) / 65025u;
    if (alpha == 0u) {
        return;
    }
    pixels[i] = pack(apply(unpack(pixels[i]), unpack(sources[i]), alpha));
}
