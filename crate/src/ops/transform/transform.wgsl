// The free-transform warp; mirrors cpu.rs operation for operation. One
// invocation per destination pixel of a tile; the source binding holds only
// the part of the image the tile's taps reach (the crop), addressed in
// full-image coordinates less the crop's corner.

struct Params {
    origin: vec2<f32>,   // source coordinate of the tile's first pixel (less ½)
    step_x: vec2<f32>,   // per destination pixel along x
    step_y: vec2<f32>,   // per destination pixel along y
    crop_left: i32,
    crop_top: i32,
    crop_width: u32,
    full_width: u32,     // the whole source: taps outside it are transparent
    full_height: u32,
    out_width: u32,
    out_height: u32,
    _pad: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> source: array<u32>;    // RGBA8, R in the low byte
@group(0) @binding(2) var<storage, read_write> out: array<u32>;

fn weights(t: f32) -> vec4<f32> {
    return vec4<f32>(
        ((-0.5 * t + 1.0) * t - 0.5) * t,
        (1.5 * t - 2.5) * t * t + 1.0,
        ((-1.5 * t + 2.0) * t + 0.5) * t,
        (0.5 * t - 0.5) * t * t,
    );
}

fn level(v: f32) -> u32 {
    return u32(clamp(floor(v + 0.5), 0.0, 255.0));
}

@compute @workgroup_size(8, 8)
fn warp(@builtin(global_invocation_id) id: vec3<u32>) {
    if (id.x >= params.out_width || id.y >= params.out_height) {
        return;
    }
    let fi = f32(id.x);
    let fj = f32(id.y);
    let u = params.origin.x + fi * params.step_x.x + fj * params.step_y.x;
    let v = params.origin.y + fi * params.step_x.y + fj * params.step_y.y;
    let fu = floor(u);
    let fv = floor(v);
    let wx = weights(u - fu);
    let wy = weights(v - fv);
    let ix = i32(fu) - 1;
    let iy = i32(fv) - 1;
    var sum = vec4<f32>(0.0);
    for (var m = 0; m < 4; m++) {
        let y = iy + m;
        if (y < 0 || y >= i32(params.full_height)) {
            continue;
        }
        var row = vec4<f32>(0.0);
        for (var n = 0; n < 4; n++) {
            let x = ix + n;
            if (x < 0 || x >= i32(params.full_width)) {
                continue;
            }
            let index = u32(y - params.crop_top) * params.crop_width + u32(x - params.crop_left);
            let p = source[index];
            let alpha = f32(p >> 24u);
            let w = wx[n];
            row.x += w * (f32(p & 0xffu) * alpha);
            row.y += w * (f32((p >> 8u) & 0xffu) * alpha);
            row.z += w * (f32((p >> 16u) & 0xffu) * alpha);
            row.w += w * alpha;
        }
        sum += wy[m] * row;
    }
    let alpha = sum.w;
    var pixel = 0u;
    if (alpha >= 0.5) {
        pixel = level(sum.x / alpha) | (level(sum.y / alpha) << 8u) | (level(sum.z / alpha) << 16u)
            | (level(alpha) << 24u);
    }
    out[id.y * params.out_width + id.x] = pixel;
}
