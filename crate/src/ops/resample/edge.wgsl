// The edge upscaler's back-projection and sharpening; mirrors edge.rs
// (`back_project`, `sharpen`, `to_u16`) operation for operation in f32,
// from the same tables, so both backends round alike. One tile at a time:
// `estimate` holds the Lanczos3 start over the tile's window (the tile plus
// the halo its result depends on), `errors` the source pixels whose
// footprint lies in the window. Pixels near the window's sides go wrong (they
// would read outside it), but the tile's own pixels never depend on them.
//
// Stages: SHRINK_ROWS and ERROR compute the error y − D(x) (area average,
// rows then columns); UPDATE adds it back bilinearly, clamped to the 3×3
// source range; each round runs the three. FINISH sharpens the tile and
// writes 16-bit premultiplied RGBA (two u32 per pixel).

struct Params {
    stage: u32,
    window_x0: u32,     // the window, in output-image coordinates
    window_y0: u32,
    window_w: u32,
    window_h: u32,
    errors_x0: u32,     // the error grid, in source-image coordinates
    errors_y0: u32,
    errors_w: u32,
    errors_h: u32,
    tile_x0: u32,       // the tile, in output-image coordinates
    tile_y0: u32,
    tile_w: u32,
    tile_h: u32,
    out_w: u32,         // the whole output image
    out_h: u32,
    src_w: u32,         // the whole source image
    src_h: u32,
    region_x0: u32,     // the uploaded part of the source
    region_y0: u32,
    region_w: u32,
    down_x_stride: u32, // u32 per error column in `tables` (from 0)
    down_y_at: u32,     // where the error rows' entries start, and their size
    down_y_stride: u32,
    up_x_at: u32,       // where the window columns' and rows' entries start
    up_y_at: u32,
    sharpen: u32,
    gain: f32,
    _pad: u32,
}

const SHRINK_ROWS: u32 = 0u;
const ERROR: u32 = 1u;
const UPDATE: u32 = 2u;
const FINISH: u32 = 3u;

@group(0) @binding(0) var<uniform> params: Params;
// Premultiplied source values as f32 (converted on the CPU, as edge.rs does).
@group(0) @binding(1) var<storage, read> source: array<vec4<f32>>;
// Per error pixel along each axis: first window pixel of its footprint,
// count, f32 weights. Per window pixel along each axis: left and right
// bilinear taps (error indices), right weight (f32), cell (source index).
@group(0) @binding(2) var<storage, read> tables: array<u32>;
@group(0) @binding(3) var<storage, read_write> estimate: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> rows: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read_write> errors: array<vec4<f32>>;
@group(0) @binding(6) var<storage, read_write> dst: array<u32>;

// Source pixel at image coordinates (x, y), clamped to the image.
fn source_at(x: i32, y: i32) -> vec4<f32> {
    let cx = u32(clamp(x, 0, i32(params.src_w) - 1)) - params.region_x0;
    let cy = u32(clamp(y, 0, i32(params.src_h) - 1)) - params.region_y0;
    return source[cy * params.region_w + cx];
}

// Estimate at output-image coordinates (x, y), clamped to the image.
fn estimate_at(x: i32, y: i32) -> vec4<f32> {
    let cx = u32(clamp(x, 0, i32(params.out_w) - 1)) - params.window_x0;
    let cy = u32(clamp(y, 0, i32(params.out_h) - 1)) - params.window_y0;
    return estimate[cy * params.window_w + cx];
}

// Area average along the row: error column i from the window's row y.
fn shrink_row(i: u32, y: u32) {
    let at = i * params.down_x_stride;
    let first = tables[at];
    let count = tables[at + 1u];
    var acc = vec4<f32>(0.0);
    for (var k = 0u; k < count; k++) {
        let x = min(first + k, params.window_w - 1u);
        acc += bitcast<f32>(tables[at + 2u + k]) * estimate[y * params.window_w + x];
    }
    rows[y * params.errors_w + i] = acc;
}

// Area average down the column, and the error against the source.
fn error_at(i: u32, j: u32) {
    let at = params.down_y_at + j * params.down_y_stride;
    let first = tables[at];
    let count = tables[at + 1u];
    var acc = vec4<f32>(0.0);
    for (var k = 0u; k < count; k++) {
        let y = min(first + k, params.window_h - 1u);
        acc += bitcast<f32>(tables[at + 2u + k]) * rows[y * params.errors_w + i];
    }
    let s = source_at(i32(params.errors_x0 + i), i32(params.errors_y0 + j));
    errors[j * params.errors_w + i] = s - acc;
}

fn update(x: u32, y: u32) {
    let tx = params.up_x_at + 4u * x;
    let ty = params.up_y_at + 4u * y;
    let left = tables[tx];
    let right = tables[tx + 1u];
    let fx = bitcast<f32>(tables[tx + 2u]);
    let top = tables[ty];
    let bottom = tables[ty + 1u];
    let fy = bitcast<f32>(tables[ty + 2u]);
    let cx = i32(tables[tx + 3u]);
    let cy = i32(tables[ty + 3u]);
    var lo = vec4<f32>(1e30);
    var hi = vec4<f32>(-1e30);
    for (var dy = -1; dy <= 1; dy++) {
        for (var dx = -1; dx <= 1; dx++) {
            let p = source_at(cx + dx, cy + dy);
            lo = min(lo, p);
            hi = max(hi, p);
        }
    }
    let a = errors[top * params.errors_w + left];
    let b = errors[top * params.errors_w + right];
    let c = errors[bottom * params.errors_w + left];
    let d = errors[bottom * params.errors_w + right];
    let upper = a + fx * (b - a);
    let lower = c + fx * (d - c);
    let i = y * params.window_w + x;
    estimate[i] = clamp(estimate[i] + upper + fy * (lower - upper), lo, hi);
}

fn finish(x: u32, y: u32) {
    let gx = i32(params.tile_x0 + x);
    let gy = i32(params.tile_y0 + y);
    var v = estimate_at(gx, gy);
    if (params.sharpen != 0u) {
        let c = v;
        let around = array<vec4<f32>, 4>(
            estimate_at(gx, gy - 1),
            estimate_at(gx - 1, gy),
            estimate_at(gx + 1, gy),
            estimate_at(gx, gy + 1),
        );
        var lo = c;
        var hi = c;
        var mean = vec4<f32>(0.0);
        for (var k = 0; k < 4; k++) {
            lo = min(lo, around[k]);
            hi = max(hi, around[k]);
            mean += 0.25 * around[k];
        }
        v = clamp(c + params.gain * (c - mean), lo, hi);
    }
    let q = vec4<u32>(clamp(v, vec4<f32>(0.0), vec4<f32>(1.0)) * 65535.0 + 0.5);
    let i = y * params.tile_w + x;
    dst[2u * i] = q.x | (q.y << 16u);
    dst[2u * i + 1u] = q.z | (q.w << 16u);
}

@compute @workgroup_size(8, 8)
fn edge(@builtin(global_invocation_id) id: vec3<u32>) {
    let x = id.x;
    let y = id.y;
    switch params.stage {
        case SHRINK_ROWS: {
            if (x < params.errors_w && y < params.window_h) {
                shrink_row(x, y);
            }
        }
        case ERROR: {
            if (x < params.errors_w && y < params.errors_h) {
                error_at(x, y);
            }
        }
        case UPDATE: {
            if (x < params.window_w && y < params.window_h) {
                update(x, y);
            }
        }
        default: {
            if (x < params.tile_w && y < params.tile_h) {
                finish(x, y);
            }
        }
    }
}
