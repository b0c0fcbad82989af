// Separable convolution, one pass per dispatch; mirrors fast_image_resize's
// steps: each pass rounds to the working precision and clamps, so the
// intermediate between the passes is quantised as on the CPU.
//
// Stage 0 reads source pixels (8-bit RGBA packed in one u32, or 16-bit
// premultiplied RGBA in two u32) and writes the intermediate as four f32
// (whole numbers, 0 to `levels`). Stage 1 reads that and writes pixels in the
// source's format. `axis` 0 convolves along rows, 1 along columns.

struct Params {
    stage: u32,
    axis: u32,
    out_w: u32,
    out_h: u32,
    in_w: u32,     // pixels per row of this stage's input
    window: u32,   // weights per output index
    wide: u32,     // 0: 8-bit pixels, 1: 16-bit
    levels: f32,   // 255 or 65535
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> src: array<u32>;
// Per output index along the axis: first input index, tap count.
@group(0) @binding(2) var<storage, read> taps: array<u32>;
@group(0) @binding(3) var<storage, read> weights: array<f32>;
@group(0) @binding(4) var<storage, read_write> dst: array<u32>;

fn load(i: u32) -> vec4<f32> {
    if (params.stage == 1u) {
        let b = i * 4u;
        return vec4<f32>(bitcast<f32>(src[b]), bitcast<f32>(src[b + 1u]),
                         bitcast<f32>(src[b + 2u]), bitcast<f32>(src[b + 3u]));
    }
    if (params.wide == 0u) {
        let p = src[i];
        return vec4<f32>(f32(p & 0xffu), f32((p >> 8u) & 0xffu),
                         f32((p >> 16u) & 0xffu), f32(p >> 24u));
    }
    let lo = src[2u * i];
    let hi = src[2u * i + 1u];
    return vec4<f32>(f32(lo & 0xffffu), f32(lo >> 16u), f32(hi & 0xffffu), f32(hi >> 16u));
}

fn store(i: u32, v: vec4<f32>) {
    let q = clamp(floor(v + vec4<f32>(0.5)), vec4<f32>(0.0), vec4<f32>(params.levels));
    if (params.stage == 0u) {
        let b = i * 4u;
        dst[b] = bitcast<u32>(q.x);
        dst[b + 1u] = bitcast<u32>(q.y);
        dst[b + 2u] = bitcast<u32>(q.z);
        dst[b + 3u] = bitcast<u32>(q.w);
        return;
    }
    let u = vec4<u32>(q);
    if (params.wide == 0u) {
        dst[i] = u.x | (u.y << 8u) | (u.z << 16u) | (u.w << 24u);
    } else {
        dst[2u * i] = u.x | (u.y << 16u);
        dst[2u * i + 1u] = u.z | (u.w << 16u);
    }
}

@compute @workgroup_size(8, 8)
fn convolve(@builtin(global_invocation_id) id: vec3<u32>) {
    let x = id.x;
    let y = id.y;
    if (x >= params.out_w || y >= params.out_h) {
        return;
    }
    let o = select(y, x, params.axis == 0u);
    let start = taps[2u * o];
    let count = taps[2u * o + 1u];
    var acc = vec4<f32>(0.0);
    for (var k = 0u; k < count; k++) {
        let s = start + k;
        let i = select(s * params.in_w + x, y * params.in_w + s, params.axis == 0u);
        acc += weights[o * params.window + k] * load(i);
    }
    store(y * params.out_w + x, acc);
}
