// Brush stroke over the dirty rectangle; mirrors cpu.rs. One invocation per
// pixel, applying every dab in stroke order, so the result matches the CPU's
// dab-by-dab painting. Pixels are one u32 each.

struct Params {
    rect_x: u32,
    rect_y: u32,
    width: u32,        // of the band
    height: u32,
    dab_count: u32,
    flow: u32,
    erase: u32,
    _pad0: u32,
    radius: f32,
    hard_radius: f32,
    _pad1: f32,
    _pad2: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> mask: array<u32>;
@group(0) @binding(2) var<storage, read> dabs: array<vec2<f32>>;

fn coverage(r2: f32) -> u32 {
    if (r2 >= params.radius * params.radius) {
        return 0u;
    }
    let r = sqrt(r2);
    if (r <= params.hard_radius) {
        return 255u;
    }
    let t = (params.radius - r) / (params.radius - params.hard_radius);
    return u32((t * t * (3.0 - 2.0 * t)) * 255.0 + 0.5);
}

@compute @workgroup_size(16, 16)
fn paint(@builtin(global_invocation_id) id: vec3<u32>) {
    if (id.x >= params.width || id.y >= params.height) {
        return;
    }
    let i = id.y * params.width + id.x;
    let px = f32(params.rect_x + id.x) + 0.5;
    let py = f32(params.rect_y + id.y) + 0.5;
    var v = mask[i];
    for (var d = 0u; d < params.dab_count; d++) {
        let delta = vec2<f32>(px, py) - dabs[d];
        let c = coverage(delta.x * delta.x + delta.y * delta.y);
        if (c > 0u) {
            let strength = c * params.flow;
            if (params.erase == 1u) {
                v = v - (v * strength + 32512u) / 65025u;
            } else {
                v = v + ((255u - v) * strength + 32512u) / 65025u;
            }
        }
    }
    mask[i] = v;
}
