// The edge-adaptive upscaler; mirrors edge.rs step for step (see there for
// the method). Stage 0 upsamples a rectangle of the output (a tile plus a
// one-pixel halo) into four f32 per pixel; stage 1 sharpens the tile from
// it and writes 16-bit premultiplied RGBA (two u32 per pixel).

struct Params {
    stage: u32,
    out_w: u32,        // this stage's output rectangle
    out_h: u32,
    out_x0: u32,       // its top-left in output-image coordinates
    out_y0: u32,
    src_w: u32,        // the whole source image
    src_h: u32,
    region_x0: u32,    // the uploaded part of the source (stage 0)
    region_y0: u32,
    region_w: u32,
    mid_x0: u32,       // the upsampled rectangle (stage 1 input)
    mid_y0: u32,
    mid_w: u32,
    mid_h: u32,
    scale_x: f32,
    scale_y: f32,
    sharpness: f32,
    stretch: f32,
    squeeze: f32,
    lobe_weight: f32,
    edge_energy: f32,
    gain: f32,
    _pad0: u32,
    _pad1: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> src: array<u32>;
@group(0) @binding(2) var<storage, read_write> dst: array<u32>;

// Source pixel at image coordinates (x, y), clamped to the image.
fn source(x: i32, y: i32) -> vec4<f32> {
    let cx = u32(clamp(x, 0, i32(params.src_w) - 1)) - params.region_x0;
    let cy = u32(clamp(y, 0, i32(params.src_h) - 1)) - params.region_y0;
    let i = cy * params.region_w + cx;
    let lo = src[2u * i];
    let hi = src[2u * i + 1u];
    return vec4<f32>(f32(lo & 0xffffu), f32(lo >> 16u), f32(hi & 0xffffu), f32(hi >> 16u)) / 65535.0;
}

fn luma(p: vec4<f32>) -> f32 {
    return 0.25 * p.x + 0.5 * p.y + 0.25 * p.z;
}

fn lobe(d2: f32) -> f32 {
    if (d2 >= 4.0) {
        return 0.0;
    }
    let window = 1.0 - 0.25 * d2;
    let w = (1.0 - d2) * window * window;
    return select(w, w * params.lobe_weight, d2 > 1.0);
}

fn upsample_at(sx: f32, sy: f32) -> vec4<f32> {
    let fbx = floor(sx);
    let fby = floor(sy);
    let fx = sx - fbx;
    let fy = sy - fby;
    let bx = i32(fbx);
    let by = i32(fby);
    var n: array<array<vec4<f32>, 4>, 4>;
    var l: array<array<f32, 4>, 4>;
    for (var j = 0; j < 4; j++) {
        for (var i = 0; i < 4; i++) {
            n[j][i] = source(bx - 1 + i, by - 1 + j);
            l[j][i] = luma(n[j][i]);
        }
    }
    var jxx = 0.0;
    var jxy = 0.0;
    var jyy = 0.0;
    for (var j = 1; j <= 2; j++) {
        let wy = select(fy, 1.0 - fy, j == 1);
        for (var i = 1; i <= 2; i++) {
            let wx = select(fx, 1.0 - fx, i == 1);
            let gx = 0.5 * (l[j][i + 1] - l[j][i - 1]);
            let gy = 0.5 * (l[j + 1][i] - l[j - 1][i]);
            let w = wx * wy;
            jxx += w * gx * gx;
            jxy += w * gx * gy;
            jyy += w * gy * gy;
        }
    }
    let trace = jxx + jyy;
    let gap = sqrt((jxx - jyy) * (jxx - jyy) + 4.0 * jxy * jxy);
    var nx: f32;
    var ny: f32;
    if (jxx >= jyy) {
        nx = jxx - jyy + gap;
        ny = 2.0 * jxy;
    } else {
        nx = 2.0 * jxy;
        ny = jyy - jxx + gap;
    }
    let len = sqrt(nx * nx + ny * ny);
    var s = 0.0;
    if (len > 1e-12) {
        nx /= len;
        ny /= len;
        s = gap / (trace + 1e-12) * (trace / (trace + params.edge_energy));
    } else {
        nx = 1.0;
        ny = 0.0;
    }
    let along = 1.0 / (1.0 + params.stretch * s);
    let across = 1.0 + params.squeeze * s;
    var sum = vec4<f32>(0.0);
    var total = 0.0;
    for (var j = 0; j < 4; j++) {
        for (var i = 0; i < 4; i++) {
            let dx = f32(bx - 1 + i) - sx;
            let dy = f32(by - 1 + j) - sy;
            let u = (dx * -ny + dy * nx) * along;
            let v = (dx * nx + dy * ny) * across;
            let w = lobe(u * u + v * v);
            total += w;
            sum += w * n[j][i];
        }
    }
    let lo = min(min(n[1][1], n[1][2]), min(n[2][1], n[2][2]));
    let hi = max(max(n[1][1], n[1][2]), max(n[2][1], n[2][2]));
    return clamp(sum / total, lo, hi);
}

// Upsampled value at output-image coordinates, clamped to the rectangle
// computed in stage 0 (which reaches the image's edge wherever it is cut).
fn mid(x: i32, y: i32) -> vec4<f32> {
    let cx = u32(clamp(x - i32(params.mid_x0), 0, i32(params.mid_w) - 1));
    let cy = u32(clamp(y - i32(params.mid_y0), 0, i32(params.mid_h) - 1));
    let b = (cy * params.mid_w + cx) * 4u;
    return vec4<f32>(bitcast<f32>(src[b]), bitcast<f32>(src[b + 1u]),
                     bitcast<f32>(src[b + 2u]), bitcast<f32>(src[b + 3u]));
}

fn sharpen_at(x: i32, y: i32) -> vec4<f32> {
    let c = mid(x, y);
    if (params.sharpness <= 0.0) {
        return c;
    }
    let a = mid(x, y - 1);
    let b = mid(x - 1, y);
    let d = mid(x + 1, y);
    let e = mid(x, y + 1);
    let lo = min(c, min(min(a, b), min(d, e)));
    let hi = max(c, max(max(a, b), max(d, e)));
    var mean = 0.25 * a;
    mean += 0.25 * b;
    mean += 0.25 * d;
    mean += 0.25 * e;
    let gain = params.gain * params.sharpness;
    return clamp(c + gain * (c - mean), lo, hi);
}

@compute @workgroup_size(8, 8)
fn edge(@builtin(global_invocation_id) id: vec3<u32>) {
    if (id.x >= params.out_w || id.y >= params.out_h) {
        return;
    }
    let gx = params.out_x0 + id.x;
    let gy = params.out_y0 + id.y;
    let i = id.y * params.out_w + id.x;
    if (params.stage == 0u) {
        let sx = (f32(gx) + 0.5) * params.scale_x - 0.5;
        let sy = (f32(gy) + 0.5) * params.scale_y - 0.5;
        let v = upsample_at(sx, sy);
        dst[4u * i] = bitcast<u32>(v.x);
        dst[4u * i + 1u] = bitcast<u32>(v.y);
        dst[4u * i + 2u] = bitcast<u32>(v.z);
        dst[4u * i + 3u] = bitcast<u32>(v.w);
        return;
    }
    let v = sharpen_at(i32(gx), i32(gy));
    let q = vec4<u32>(clamp(v, vec4<f32>(0.0), vec4<f32>(1.0)) * 65535.0 + 0.5);
    dst[2u * i] = q.x | (q.y << 16u);
    dst[2u * i + 1u] = q.z | (q.w << 16u);
}
