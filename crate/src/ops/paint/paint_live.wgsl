// A live stroke's new dabs painted into the layer held on the GPU: builds
// them into the stroke coverage S kept there for the whole layer, then
// repaints their rectangle from the layer as it was before the stroke. The
// CPU's LiveStroke does the same (cpu.rs `build_coverage`, `painted_pixel`),
// so the two agree bit for bit. Follows dab.wgsl and paint_pixel.wgsl.
//
// S is one byte per pixel, four to a word: each invocation owns one word
// (four pixels of a row), so no two write the same word.

struct Params {
    layer_width: u32,
    layer_height: u32,
    words_per_row: u32,    // of S
    rect_x: u32,           // the rectangle to repaint (layer pixels)
    rect_y: u32,
    rect_width: u32,
    rect_height: u32,
    first_word: u32,       // rect_x / 4
    dab_count: u32,
    flow: u32,
    opacity: u32,
    reach: u32,
    tool: u32,             // 0 brush, 1 eraser, 2 clone stamp
    color: u32,            // the brush's, packed, opaque
    clone_dx: i32,         // source = target + offset
    clone_dy: i32,
    source_x: u32,         // the clone stamp samples only this area
    source_y: u32,
    source_width: u32,
    source_height: u32,
    has_selection: u32,
    selection_x: u32,      // the selection's rectangle (layer pixels), a byte each
    selection_y: u32,
    selection_width: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> coverage: array<u32>;
@group(0) @binding(2) var<storage, read> dabs: array<vec2<i32>>;
@group(0) @binding(3) var<storage, read> dab_thresholds: array<u32, 256>;
@group(0) @binding(4) var<storage, read> before: array<u32>;
@group(0) @binding(5) var<storage, read_write> layer: array<u32>;
@group(0) @binding(6) var<storage, read> selection: array<u32>;

fn dab_reach() -> u32 {
    return params.reach;
}

// What the stroke lays down at (x, y): the colour, or the clone source in
// the layer before the stroke (transparent outside its area).
fn source_at(x: u32, y: u32) -> vec4<u32> {
    if (params.tool == 0u) {
        return unpack(params.color);
    }
    if (params.tool == 1u) {
        return vec4<u32>(0u);
    }
    let sx = i32(x) + params.clone_dx;
    let sy = i32(y) + params.clone_dy;
    let inside = sx >= i32(params.source_x) && sx < i32(params.source_x + params.source_width)
        && sy >= i32(params.source_y) && sy < i32(params.source_y + params.source_height)
        && sx < i32(params.layer_width) && sy < i32(params.layer_height);
    if (!inside) {
        return vec4<u32>(0u);
    }
    return unpack(before[u32(sy) * params.layer_width + u32(sx)]);
}

fn selected_at(x: u32, y: u32) -> u32 {
    if (params.has_selection == 0u) {
        return 255u;
    }
    let i = (y - params.selection_y) * params.selection_width + (x - params.selection_x);
    return (selection[i / 4u] >> ((i % 4u) * 8u)) & 255u;
}

@compute @workgroup_size(64, 4)
fn paint_live(@builtin(global_invocation_id) id: vec3<u32>) {
    let word_x = params.first_word + id.x;
    let y = params.rect_y + id.y;
    if (word_x * 4u >= params.rect_x + params.rect_width || id.y >= params.rect_height) {
        return;
    }
    let w = y * params.words_per_row + word_x;
    var word = coverage[w];
    for (var k = 0u; k < 4u; k++) {
        let x = word_x * 4u + k;
        if (x < params.rect_x || x >= params.rect_x + params.rect_width) {
            continue;
        }
        let shift = k * 8u;
        var s = (word >> shift) & 255u;
        for (var d = 0u; d < params.dab_count; d++) {
            let c = dab_coverage(dabs[d], x, y);
            if (c > 0u) {
                s = dab_build_up(s, c, params.flow);
            }
        }
        word = (word & ~(255u << shift)) | (s << shift);
        let i = y * params.layer_width + x;
        let dest = unpack(before[i]);
        let alpha = stroke_alpha(s, params.opacity, selected_at(x, y));
        if (alpha == 0u) {
            layer[i] = before[i];
        } else {
            layer[i] = pack(apply(dest, source_at(x, y), alpha, params.tool == 1u));
        }
    }
    coverage[w] = word;
}
