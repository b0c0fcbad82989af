// Grow/shrink by N on the GPU; mirrors cpu.rs step for step, in integers.
// One invocation per line (a column of a strip, or a row of a band); every
// pixel is one u32 of `data`, transformed in place.

struct Params {
    lines: u32,
    length: u32,
    line_stride: u32,  // elements between the starts of consecutive lines
    step: u32,         // elements between consecutive pixels of a line
    cap: u32,          // N + 1: "no feature within N"
    grow: u32,         // 1: features are selected pixels; 0: unselected ones
    _pad0: u32,
    _pad1: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> data: array<u32>;
@group(0) @binding(2) var<storage, read> reach: array<i32>;

const COVERED: u32 = 0x80000000u;

// Coverage in, vertical distance to the nearest feature (capped) out.
@compute @workgroup_size(64)
fn column_distance(@builtin(global_invocation_id) id: vec3<u32>) {
    if (id.x >= params.lines) {
        return;
    }
    let base = id.x * params.line_stride;
    var run = params.cap;
    for (var n = 0u; n < params.length; n++) {
        let i = base + n * params.step;
        let selected = data[i] >= 128u;
        let feature = select(!selected, selected, params.grow == 1u);
        run = select(min(run + 1u, params.cap), 0u, feature);
        data[i] = run;
    }
    run = params.cap;
    for (var k = 0u; k < params.length; k++) {
        let i = base + (params.length - 1u - k) * params.step;
        let g = data[i];
        run = select(min(run + 1u, params.cap), 0u, g == 0u);
        data[i] = min(g, run);
    }
}

// Vertical distance in, 255 or 0 out.
@compute @workgroup_size(64)
fn row_cover(@builtin(global_invocation_id) id: vec3<u32>) {
    if (id.x >= params.lines) {
        return;
    }
    let base = id.x * params.line_stride;
    var right_end = -2147483647;
    for (var n = 0u; n < params.length; n++) {
        let i = base + n * params.step;
        let g = data[i];
        right_end = max(right_end, i32(n) + reach[g]);
        data[i] = g | select(0u, COVERED, right_end >= i32(n));
    }
    var left_end = 2147483647;
    let inside = select(0u, 255u, params.grow == 1u);
    let outside = 255u - inside;
    for (var k = 0u; k < params.length; k++) {
        let n = params.length - 1u - k;
        let i = base + n * params.step;
        let v = data[i];
        left_end = min(left_end, i32(n) - reach[v & ~COVERED]);
        let covered = (v & COVERED) != 0u || left_end <= i32(n);
        data[i] = select(outside, inside, covered);
    }
}
