// Adjustments, per pixel; mirrors cpu.rs. One invocation per RGBA8 pixel.
// Every entry point binds the same four buffers, so one driver runs them all.
// The `_in_place` ones adjust `out` itself, a held layer, from pixel `first`.

struct Params {
    pixels: u32,
    words_per_row: u32,  // invocations per row of the 2-D dispatch
    flag: u32,           // colour balance: preserve luminosity
    first: u32,          // in place: the pixel of `out` to start from
    aux_first: u32,      // in place, the blurs: the pixel of `aux` that goes with `first`
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
    values: array<vec4<f32>, 3>,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> image: array<u32>;     // RGBA8, R in the low byte
@group(0) @binding(2) var<storage, read> aux: array<u32>;       // tables (3 × 256) or the blurred image
@group(0) @binding(3) var<storage, read_write> out: array<u32>;

fn pixel_index(id: vec3<u32>) -> u32 {
    return id.y * params.words_per_row + id.x;
}

fn channel(pixel: u32, c: u32) -> u32 {
    return (pixel >> (8u * c)) & 0xffu;
}

fn unpack(pixel: u32) -> vec3<f32> {
    return vec3<f32>(f32(channel(pixel, 0u)), f32(channel(pixel, 1u)), f32(channel(pixel, 2u))) / 255.0;
}

fn to_level(v: f32) -> u32 {
    return u32(clamp(v, 0.0, 1.0) * 255.0 + 0.5);
}

fn pack(rgb: vec3<f32>, pixel: u32) -> u32 {
    return to_level(rgb.x) | (to_level(rgb.y) << 8u) | (to_level(rgb.z) << 16u) | (pixel & 0xff000000u);
}

fn rgb_to_hsl(c: vec3<f32>) -> vec3<f32> {
    let mx = max(max(c.x, c.y), c.z);
    let mn = min(min(c.x, c.y), c.z);
    let l = (mx + mn) / 2.0;
    if (mx == mn) {
        return vec3<f32>(0.0, 0.0, l);
    }
    let d = mx - mn;
    var s: f32;
    if (l <= 0.5) {
        s = d / (mx + mn);
    } else {
        s = d / (2.0 - mx - mn);
    }
    var h: f32;
    if (mx == c.x) {
        h = (c.y - c.z) / d;
        if (c.y < c.z) {
            h += 6.0;
        }
    } else if (mx == c.y) {
        h = (c.z - c.x) / d + 2.0;
    } else {
        h = (c.x - c.y) / d + 4.0;
    }
    return vec3<f32>(h / 6.0, s, l);
}

fn hue_to_channel(p: f32, q: f32, t_in: f32) -> f32 {
    let t = t_in - floor(t_in);
    if (t < 1.0 / 6.0) {
        return p + (q - p) * 6.0 * t;
    }
    if (t < 0.5) {
        return q;
    }
    if (t < 2.0 / 3.0) {
        return p + (q - p) * (2.0 / 3.0 - t) * 6.0;
    }
    return p;
}

fn hsl_to_rgb(hsl: vec3<f32>) -> vec3<f32> {
    let h = hsl.x;
    let s = hsl.y;
    let l = hsl.z;
    if (s == 0.0) {
        return vec3<f32>(l);
    }
    var q: f32;
    if (l <= 0.5) {
        q = l * (1.0 + s);
    } else {
        q = l + s - l * s;
    }
    let p = 2.0 * l - q;
    return vec3<f32>(
        hue_to_channel(p, q, h + 1.0 / 3.0),
        hue_to_channel(p, q, h),
        hue_to_channel(p, q, h - 1.0 / 3.0),
    );
}

// Levels, curves, brightness/contrast: aux holds one 256-entry table per channel.
fn tables_pixel(p: u32) -> u32 {
    return aux[channel(p, 0u)]
        | (aux[256u + channel(p, 1u)] << 8u)
        | (aux[512u + channel(p, 2u)] << 16u)
        | (p & 0xff000000u);
}

// values[0] = (hue in turns, saturation / 100, lightness / 100, unused).
fn hue_saturation_pixel(p: u32) -> u32 {
    let hsl = rgb_to_hsl(unpack(p));
    let lightness = params.values[0].z;
    var l = hsl.z;
    if (lightness < 0.0) {
        l = l * (1.0 + lightness);
    } else {
        l = l + (1.0 - l) * lightness;
    }
    let s = clamp(hsl.y * (1.0 + params.values[0].y), 0.0, 1.0);
    return pack(hsl_to_rgb(vec3<f32>(hsl.x + params.values[0].x, s, l)), p);
}

// values[range] = the shifts of shadows, midtones, highlights (R, G, B).
fn color_balance_pixel(p: u32) -> u32 {
    let rgb = unpack(p);
    let l = rgb_to_hsl(rgb).z;
    let a = 0.25;
    let b = 0.333;
    let scale = 0.7;
    let shadows = clamp((l - b) / -a + 0.5, 0.0, 1.0) * scale;
    let midtones = clamp((l - b) / a + 0.5, 0.0, 1.0) * clamp((l + b - 1.0) / -a + 0.5, 0.0, 1.0) * scale;
    let highlights = clamp((l + b - 1.0) / a + 0.5, 0.0, 1.0) * scale;
    var balanced = clamp(
        rgb + params.values[0].xyz * shadows + params.values[1].xyz * midtones + params.values[2].xyz * highlights,
        vec3<f32>(0.0),
        vec3<f32>(1.0),
    );
    if (params.flag != 0u) {
        let hsl = rgb_to_hsl(balanced);
        balanced = hsl_to_rgb(vec3<f32>(hsl.x, hsl.y, l));
    }
    return pack(balanced, p);
}

@compute @workgroup_size(64)
fn tables(@builtin(global_invocation_id) id: vec3<u32>) {
    let i = pixel_index(id);
    if (i >= params.pixels) {
        return;
    }
    out[i] = tables_pixel(image[i]);
}

@compute @workgroup_size(64)
fn hue_saturation(@builtin(global_invocation_id) id: vec3<u32>) {
    let i = pixel_index(id);
    _ = aux[0];
    if (i >= params.pixels) {
        return;
    }
    out[i] = hue_saturation_pixel(image[i]);
}

@compute @workgroup_size(64)
fn color_balance(@builtin(global_invocation_id) id: vec3<u32>) {
    let i = pixel_index(id);
    _ = aux[0];
    if (i >= params.pixels) {
        return;
    }
    out[i] = color_balance_pixel(image[i]);
}

// In place in a held layer: `out` is the layer, adjusted from pixel `first`
// on, and `image` the selection's coverage of those pixels (a byte each: 0
// keeps the pixel, 255 takes the adjusted one). Each channel becomes
// (before·(255 − k) + after·k + 127) / 255, as a selection blends an
// adjustment on the CPU (doc/adjust.rs).
fn by_coverage(i: u32, before: u32, after: u32) -> u32 {
    let k = (image[i / 4u] >> (8u * (i % 4u))) & 0xffu;
    var blended = 0u;
    for (var c = 0u; c < 4u; c++) {
        let mixed = (channel(before, c) * (255u - k) + channel(after, c) * k + 127u) / 255u;
        blended |= mixed << (8u * c);
    }
    return blended;
}

@compute @workgroup_size(64)
fn tables_in_place(@builtin(global_invocation_id) id: vec3<u32>) {
    let i = pixel_index(id);
    if (i >= params.pixels) {
        return;
    }
    let p = out[params.first + i];
    out[params.first + i] = by_coverage(i, p, tables_pixel(p));
}

@compute @workgroup_size(64)
fn hue_saturation_in_place(@builtin(global_invocation_id) id: vec3<u32>) {
    let i = pixel_index(id);
    _ = aux[0];
    if (i >= params.pixels) {
        return;
    }
    let p = out[params.first + i];
    out[params.first + i] = by_coverage(i, p, hue_saturation_pixel(p));
}

@compute @workgroup_size(64)
fn color_balance_in_place(@builtin(global_invocation_id) id: vec3<u32>) {
    let i = pixel_index(id);
    _ = aux[0];
    if (i >= params.pixels) {
        return;
    }
    let p = out[params.first + i];
    out[params.first + i] = by_coverage(i, p, color_balance_pixel(p));
}

// Unsharp mask's last step: each colour channel of `p` pushed away from
// `soft`, its blur; values[0] = (amount / 100, threshold, unused, unused).
fn sharpen(p: u32, soft: u32) -> u32 {
    var result = p & 0xff000000u;
    for (var c = 0u; c < 3u; c++) {
        let v = f32(channel(p, c));
        let d = v - f32(channel(soft, c));
        var o = channel(p, c);
        if (abs(d) >= params.values[0].y) {
            o = u32(clamp(v + d * params.values[0].x, 0.0, 255.0) + 0.5);
        }
        result |= o << (8u * c);
    }
    return result;
}

// aux is the blurred image.
@compute @workgroup_size(64)
fn unsharp(@builtin(global_invocation_id) id: vec3<u32>) {
    let i = pixel_index(id);
    if (i >= params.pixels) {
        return;
    }
    out[i] = sharpen(image[i], aux[i]);
}

// A blurred pixel, premultiplied by alpha as the held blur makes it
// (planes.wgsl), divided back as cpu.rs `merge_blurred` does.
fn unpremultiplied(p: u32) -> u32 {
    let a = p >> 24u;
    if (a == 0u) {
        return 0u;
    }
    var result = p & 0xff000000u;
    for (var c = 0u; c < 3u; c++) {
        result |= min((channel(p, c) * 255u + a / 2u) / a, 255u) << (8u * c);
    }
    return result;
}

// Gaussian blur in place: aux holds the blur of the held rows, premultiplied.
@compute @workgroup_size(64)
fn blurred_in_place(@builtin(global_invocation_id) id: vec3<u32>) {
    let i = pixel_index(id);
    if (i >= params.pixels) {
        return;
    }
    let p = out[params.first + i];
    let blurred = unpremultiplied(aux[params.aux_first + i]);
    out[params.first + i] = by_coverage(i, p, blurred);
}

// Unsharp mask in place: aux holds the blur of the held rows, premultiplied.
@compute @workgroup_size(64)
fn unsharp_in_place(@builtin(global_invocation_id) id: vec3<u32>) {
    let i = pixel_index(id);
    if (i >= params.pixels) {
        return;
    }
    let p = out[params.first + i];
    let soft = unpremultiplied(aux[params.aux_first + i]);
    out[params.first + i] = by_coverage(i, p, sharpen(p, soft));
}
