// Paint brush, eraser and clone stamp over one row band of the dirty
// rectangle; mirrors cpu.rs line for line (integers only, so the results are
// equal bit for bit). Follows dab.wgsl and paint_pixel.wgsl in the same
// module. One invocation per pixel: build the stroke coverage from every dab
// in order, then apply the stroke once.

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
    let alpha = stroke_alpha(s, params.opacity, selected);
    if (alpha == 0u) {
        return;
    }
    pixels[i] = pack(apply(unpack(pixels[i]), unpack(sources[i]), alpha, params.erase == 1u));
}
