// Selection brush stroke over the dirty rectangle; mirrors cpu.rs. Follows
// dab.wgsl in the same module. One invocation per pixel, applying every dab
// in stroke order, so the result equals the CPU's dab-by-dab painting.
// Pixels are one u32 each.

struct Params {
    rect_x: u32,
    rect_y: u32,
    width: u32,        // of the band
    height: u32,
    dab_count: u32,
    flow: u32,
    erase: u32,
    reach: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> mask: array<u32>;
@group(0) @binding(2) var<storage, read> dabs: array<vec2<i32>>;
@group(0) @binding(3) var<storage, read> dab_thresholds: array<u32, 256>;

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
    var v = mask[i];
    for (var d = 0u; d < params.dab_count; d++) {
        let c = dab_coverage(dabs[d], x, y);
        if (c > 0u) {
            if (params.erase == 1u) {
                v = 255u - dab_build_up(255u - v, c, params.flow);
            } else {
                v = dab_build_up(v, c, params.flow);
            }
        }
    }
    mask[i] = v;
}
