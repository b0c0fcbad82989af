// Colour range; mirrors cpu.rs. One invocation per four pixels, so each
// writes one whole u32 of the packed 8-bit output.

struct Params {
    pixels: u32,
    color_count: u32,
    fuzziness: f32,
    words_per_row: u32,  // invocations per row of the 2-D dispatch
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> image: array<u32>;    // RGBA8, R in the low byte
@group(0) @binding(2) var<storage, read> colors: array<u32>;   // RGB8, R in the low byte
@group(0) @binding(3) var<storage, read_write> mask: array<u32>;

fn coverage(pixel: u32) -> u32 {
    var nearest = 0x7fffffff;
    for (var i = 0u; i < params.color_count; i++) {
        let c = colors[i];
        let dr = i32(pixel & 0xffu) - i32(c & 0xffu);
        let dg = i32((pixel >> 8u) & 0xffu) - i32((c >> 8u) & 0xffu);
        let db = i32((pixel >> 16u) & 0xffu) - i32((c >> 16u) & 0xffu);
        nearest = min(nearest, dr * dr + dg * dg + db * db);
    }
    if (nearest == 0) {
        return 255u;
    }
    if (params.fuzziness == 0.0) {
        return 0u;
    }
    let selected = max(1.0 - sqrt(f32(nearest)) / params.fuzziness, 0.0);
    return u32(selected * 255.0 + 0.5);
}

@compute @workgroup_size(64)
fn color_range(@builtin(global_invocation_id) id: vec3<u32>) {
    let word = id.y * params.words_per_row + id.x;
    let first = word * 4u;
    if (first >= params.pixels) {
        return;
    }
    var packed = 0u;
    for (var k = 0u; k < 4u; k++) {
        if (first + k < params.pixels) {
            packed |= coverage(image[first + k]) << (8u * k);
        }
    }
    mask[word] = packed;
}
