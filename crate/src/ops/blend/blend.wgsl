// Layer compositing with the 27 Photoshop blend modes. Mirrors cpu.rs line for
// line; see mod.rs for the formulas. One invocation per pixel of the overlap
// rectangle; pixels are packed RGBA8 (R in the low byte), straight alpha. The
// rectangle lies at an offset and row stride in each buffer: a band packed for
// one composite, or within a canvas and a layer held on the GPU between renders.

struct Params {
    width: u32,
    height: u32,
    mode: u32,
    flags: u32,          // bit 0: has mask, bit 1: linear light
    opacity: f32,
    opacity_255: u32,
    seed: u32,
    origin_x: u32,       // document position of the rectangle, for dissolve
    origin_y: u32,
    base_offset: u32,    // index of the rectangle's top-left pixel in `base`
    base_stride: u32,    // pixels per row of `base`
    layer_offset: u32,   // index of the rectangle's top-left pixel in `layer` (and `mask`)
    layer_stride: u32,   // pixels per row of `layer` (and `mask`)
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> base: array<u32>;
@group(0) @binding(2) var<storage, read> layer: array<u32>;
@group(0) @binding(3) var<storage, read> mask: array<u32>;

const INV_255: f32 = 1.0 / 255.0;

const NORMAL: u32 = 0u;
const DISSOLVE: u32 = 1u;
const DARKEN: u32 = 2u;
const MULTIPLY: u32 = 3u;
const COLOR_BURN: u32 = 4u;
const LINEAR_BURN: u32 = 5u;
const DARKER_COLOR: u32 = 6u;
const LIGHTEN: u32 = 7u;
const SCREEN: u32 = 8u;
const COLOR_DODGE: u32 = 9u;
const LINEAR_DODGE: u32 = 10u;
const LIGHTER_COLOR: u32 = 11u;
const OVERLAY: u32 = 12u;
const SOFT_LIGHT: u32 = 13u;
const HARD_LIGHT: u32 = 14u;
const VIVID_LIGHT: u32 = 15u;
const LINEAR_LIGHT: u32 = 16u;
const PIN_LIGHT: u32 = 17u;
const HARD_MIX: u32 = 18u;
const DIFFERENCE: u32 = 19u;
const EXCLUSION: u32 = 20u;
const SUBTRACT: u32 = 21u;
const DIVIDE: u32 = 22u;
const HUE: u32 = 23u;
const SATURATION: u32 = 24u;
const COLOR: u32 = 25u;
const LUMINOSITY: u32 = 26u;

fn channel(p: u32, i: u32) -> u32 {
    return (p >> (8u * i)) & 0xffu;
}

fn dissolve_hash(x: u32, y: u32, seed: u32) -> u32 {
    var h = (x * 0x8da6b343u) ^ (y * 0xd8163841u) ^ (seed * 0xcb1ab31fu);
    h ^= h >> 16u;
    h *= 0x7feb352du;
    h ^= h >> 15u;
    h *= 0x846ca68bu;
    return h ^ (h >> 16u);
}

fn srgb_to_linear(c: f32) -> f32 {
    if c <= 0.04045 {
        return c / 12.92;
    }
    return pow((c + 0.055) / 1.055, 2.4);
}

fn linear_to_srgb(c: f32) -> f32 {
    if c <= 0.0031308 {
        return c * 12.92;
    }
    return 1.055 * pow(max(c, 0.0), 1.0 / 2.4) - 0.055;
}

fn to_u8(v: f32) -> u32 {
    return u32(clamp(v, 0.0, 1.0) * 255.0 + 0.5);
}

fn color_burn(cb: f32, cs: f32) -> f32 {
    if cb >= 1.0 {
        return 1.0;
    } else if cs <= 0.0 {
        return 0.0;
    }
    return 1.0 - min((1.0 - cb) / cs, 1.0);
}

fn color_dodge(cb: f32, cs: f32) -> f32 {
    if cb <= 0.0 {
        return 0.0;
    } else if cs >= 1.0 {
        return 1.0;
    }
    return min(cb / (1.0 - cs), 1.0);
}

fn hard_light(cb: f32, cs: f32) -> f32 {
    if cs <= 0.5 {
        return cb * (2.0 * cs);
    }
    let s = 2.0 * cs - 1.0;
    return cb + s - cb * s;
}

fn soft_light(cb: f32, cs: f32) -> f32 {
    if cs <= 0.5 {
        return cb - (1.0 - 2.0 * cs) * cb * (1.0 - cb);
    }
    var d: f32;
    if cb <= 0.25 {
        d = ((16.0 * cb - 12.0) * cb + 4.0) * cb;
    } else {
        d = sqrt(cb);
    }
    return cb + (2.0 * cs - 1.0) * (d - cb);
}

fn blend_channel(mode: u32, cb: f32, cs: f32) -> f32 {
    switch mode {
        case DARKEN: { return min(cb, cs); }
        case MULTIPLY: { return cb * cs; }
        case COLOR_BURN: { return color_burn(cb, cs); }
        case LINEAR_BURN: { return max(cb + cs - 1.0, 0.0); }
        case LIGHTEN: { return max(cb, cs); }
        case SCREEN: { return cb + cs - cb * cs; }
        case COLOR_DODGE: { return color_dodge(cb, cs); }
        case LINEAR_DODGE: { return min(cb + cs, 1.0); }
        case OVERLAY: { return hard_light(cs, cb); }
        case SOFT_LIGHT: { return soft_light(cb, cs); }
        case HARD_LIGHT: { return hard_light(cb, cs); }
        case VIVID_LIGHT: {
            if cs <= 0.5 {
                return color_burn(cb, 2.0 * cs);
            }
            return color_dodge(cb, 2.0 * cs - 1.0);
        }
        case LINEAR_LIGHT: { return clamp(cb + 2.0 * cs - 1.0, 0.0, 1.0); }
        case PIN_LIGHT: {
            if cs <= 0.5 {
                return min(cb, 2.0 * cs);
            }
            return max(cb, 2.0 * cs - 1.0);
        }
        case HARD_MIX: {
            if round(cb * 255.0) + round(cs * 255.0) >= 255.0 {
                return 1.0;
            }
            return 0.0;
        }
        case DIFFERENCE: { return abs(cb - cs); }
        case EXCLUSION: { return cb + cs - 2.0 * cb * cs; }
        case SUBTRACT: { return max(cb - cs, 0.0); }
        case DIVIDE: {
            if cs <= 0.0 {
                if cb <= 0.0 {
                    return 0.0;
                }
                return 1.0;
            }
            return min(cb / cs, 1.0);
        }
        default: { return cs; }  // normal, dissolve
    }
}

fn luma_key(c: vec3<f32>) -> f32 {
    let q = round(c * 255.0);
    return 30.0 * q.x + 59.0 * q.y + 11.0 * q.z;
}

fn lum(c: vec3<f32>) -> f32 {
    return 0.3 * c.x + 0.59 * c.y + 0.11 * c.z;
}

fn clip_color(c: vec3<f32>) -> vec3<f32> {
    let l = lum(c);
    let n = min(min(c.x, c.y), c.z);
    let x = max(max(c.x, c.y), c.z);
    var out = c;
    if n < 0.0 && l > n {
        out = l + (out - l) * l / (l - n);
    }
    if x > 1.0 && x > l {
        out = l + (out - l) * (1.0 - l) / (x - l);
    }
    return out;
}

fn set_lum(c: vec3<f32>, l: f32) -> vec3<f32> {
    return clip_color(c + (l - lum(c)));
}

fn sat(c: vec3<f32>) -> f32 {
    return max(max(c.x, c.y), c.z) - min(min(c.x, c.y), c.z);
}

fn set_sat(c: vec3<f32>, s: f32) -> vec3<f32> {
    let n = min(min(c.x, c.y), c.z);
    let x = max(max(c.x, c.y), c.z);
    if x > n {
        return (c - n) * s / (x - n);
    }
    return vec3<f32>(0.0);
}

fn blend_color(mode: u32, cb: vec3<f32>, cs: vec3<f32>) -> vec3<f32> {
    switch mode {
        case HUE: { return set_lum(set_sat(cs, sat(cb)), lum(cb)); }
        case SATURATION: { return set_lum(set_sat(cb, sat(cs)), lum(cb)); }
        case COLOR: { return set_lum(cs, lum(cb)); }
        case LUMINOSITY: { return set_lum(cb, lum(cs)); }
        case DARKER_COLOR: {
            if luma_key(cs) < luma_key(cb) {
                return cs;
            }
            return cb;
        }
        case LIGHTER_COLOR: {
            if luma_key(cs) > luma_key(cb) {
                return cs;
            }
            return cb;
        }
        default: {
            return vec3<f32>(
                blend_channel(mode, cb.x, cs.x),
                blend_channel(mode, cb.y, cs.y),
                blend_channel(mode, cb.z, cs.z),
            );
        }
    }
}

fn decode(v: u32, linear: bool) -> f32 {
    let c = f32(v) * INV_255;
    if linear {
        return srgb_to_linear(c);
    }
    return c;
}

// Clears the rectangle of `base` to transparent black: the start of an
// area's recomposition in a canvas held on the GPU.
@compute @workgroup_size(16, 16)
fn clear(@builtin(global_invocation_id) id: vec3<u32>) {
    if id.x >= params.width || id.y >= params.height {
        return;
    }
    base[params.base_offset + id.y * params.base_stride + id.x] = 0u;
}

@compute @workgroup_size(16, 16)
fn composite(@builtin(global_invocation_id) id: vec3<u32>) {
    if id.x >= params.width || id.y >= params.height {
        return;
    }
    let i = params.base_offset + id.y * params.base_stride + id.x;
    let j = params.layer_offset + id.y * params.layer_stride + id.x;
    let b = base[i];
    let l = layer[j];
    var m = 255u;
    if (params.flags & 1u) != 0u {
        m = (mask[j >> 2u] >> ((j & 3u) * 8u)) & 0xffu;
    }
    let la = channel(l, 3u);
    if la == 0u || m == 0u || params.opacity == 0.0 {
        return;
    }
    var a_s: f32;
    if params.mode == DISSOLVE {
        let coverage = la * m * params.opacity_255;
        let h = dissolve_hash(id.x + params.origin_x, id.y + params.origin_y, params.seed);
        if h % (255u * 255u * 255u) >= coverage {
            return;
        }
        a_s = 1.0;
    } else {
        a_s = f32(la) * INV_255 * (f32(m) * INV_255) * params.opacity;
    }
    let linear = (params.flags & 2u) != 0u;
    let cb = vec3<f32>(decode(channel(b, 0u), linear), decode(channel(b, 1u), linear), decode(channel(b, 2u), linear));
    let cs = vec3<f32>(decode(channel(l, 0u), linear), decode(channel(l, 1u), linear), decode(channel(l, 2u), linear));
    let a_b = f32(channel(b, 3u)) * INV_255;
    let mixed = blend_color(params.mode, cb, cs);
    let a_o = a_s + a_b * (1.0 - a_s);
    let cs_prime = (1.0 - a_b) * cs + a_b * mixed;
    var co = (a_s * cs_prime + a_b * cb * (1.0 - a_s)) / a_o;
    if linear {
        co = vec3<f32>(linear_to_srgb(co.x), linear_to_srgb(co.y), linear_to_srgb(co.z));
    }
    base[i] = to_u8(co.x) | (to_u8(co.y) << 8u) | (to_u8(co.z) << 16u) | (to_u8(a_o) << 24u);
}
