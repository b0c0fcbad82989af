// The blurs of a layer held on the GPU (gpu.rs `blur_held_rows`): each channel of
// the held rows goes into an f32 plane for the feather's Gaussian,
// premultiplied by alpha as cpu.rs `planes_to_blur` makes a translucent
// image's (for an opaque one that changes nothing), and comes back rounded
// as the feather rounds, into one byte of each pixel of the blurred image.

struct Params {
    pixels: u32,
    words_per_row: u32,  // invocations per row of the 2-D dispatch
    channel: u32,        // 0–3: R, G, B, A
    first: u32,          // the element of `src` to start from
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> src: array<u32>;
@group(0) @binding(2) var<storage, read_write> dst: array<u32>;

fn sample_index(id: vec3<u32>) -> u32 {
    return id.y * params.words_per_row + id.x;
}

// src: the held layer's RGBA8 pixels; dst: the plane's f32 samples.
@compute @workgroup_size(64)
fn split_channel(@builtin(global_invocation_id) id: vec3<u32>) {
    let i = sample_index(id);
    if (i >= params.pixels) {
        return;
    }
    let p = src[params.first + i];
    var v = (p >> (8u * params.channel)) & 0xffu;
    if (params.channel < 3u) {
        v = (v * (p >> 24u) + 127u) / 255u;
    }
    dst[i] = bitcast<u32>(f32(v));
}

// src: the blurred plane's f32 samples; dst: the blurred RGBA8 pixels.
@compute @workgroup_size(64)
fn quantize_channel(@builtin(global_invocation_id) id: vec3<u32>) {
    let i = sample_index(id);
    if (i >= params.pixels) {
        return;
    }
    let v = u32(clamp(bitcast<f32>(src[params.first + i]), 0.0, 255.0) + 0.5);
    let shift = 8u * params.channel;
    dst[i] = (dst[i] & ~(0xffu << shift)) | (v << shift);
}
