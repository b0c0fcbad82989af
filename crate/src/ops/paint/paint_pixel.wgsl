// One pixel of a paint stroke, shared by the whole-stroke kernel (paint.wgsl)
// and the live one (paint_live.wgsl); mirrors cpu.rs's `stroke_alpha` and
// `apply` line for line (integers only, so the results equal the CPU's bit
// for bit). Pixels are packed RGBA8 (r in the low byte).

fn unpack(p: u32) -> vec4<u32> {
    return vec4<u32>(p & 255u, (p >> 8u) & 255u, (p >> 16u) & 255u, p >> 24u);
}

fn pack(c: vec4<u32>) -> u32 {
    return c.x | (c.y << 8u) | (c.z << 16u) | (c.w << 24u);
}

// The stroke's alpha from its coverage, opacity and selection (all 0..=255).
fn stroke_alpha(coverage: u32, opacity: u32, selected: u32) -> u32 {
    return (coverage * opacity * selected + 32512u) / 65025u;
}

// `source` over `dest` at `alpha` (straight alpha, W3C normal), or the
// eraser's alpha removal.
fn apply(dest: vec4<u32>, source: vec4<u32>, alpha: u32, erase: bool) -> vec4<u32> {
    if (erase) {
        let kept = (dest.w * (255u - alpha) + 127u) / 255u;
        return vec4<u32>(dest.xyz, kept);
    }
    let a = (alpha * source.w + 127u) / 255u;
    if (a == 0u) {
        return dest;
    }
    let total = a * 255u + dest.w * (255u - a);
    let rgb = (source.xyz * a * 255u + dest.xyz * dest.w * (255u - a) + total / 2u) / total;
    return vec4<u32>(rgb, (total + 127u) / 255u);
}
