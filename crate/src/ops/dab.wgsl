// The dab model shared by the brush kernels; mirrors ops/dab.rs. Each
// kernel's shader is this file followed by its own, which declares:
//   dab_thresholds: array<u32, 256> (level k covers r² < dab_thresholds[k]),
//   dab_reach: u32 (beyond this many 1/16 px on an axis a dab covers nothing).
// Everything is integer so the result equals the CPU's bit for bit.

// The coverage (0..=255) of pixel (x, y) by the dab centred at `centre` (1/16 px).
fn dab_coverage(centre: vec2<i32>, x: u32, y: u32) -> u32 {
    let dx = i32(x) * 16 + 8 - centre.x;
    let dy = i32(y) * 16 + 8 - centre.y;
    let reach = i32(dab_reach());
    if (abs(dx) >= reach || abs(dy) >= reach) {
        return 0u;
    }
    let r2 = u32(dx * dx) + u32(dy * dy);
    var level = 0u;
    var step = 128u;
    while (step > 0u) {
        if (dab_thresholds[level + step] > r2) {
            level += step;
        }
        step /= 2u;
    }
    return level;
}

// One dab's coverage at `flow` (both 0..=255) added to `value`: build-up,
// the step rounded up.
fn dab_build_up(value: u32, coverage: u32, flow: u32) -> u32 {
    return value + ((255u - value) * coverage * flow + 65024u) / 65025u;
}
