// One pyramid level of the content-aware fill on the GPU (see gpu.rs):
// PatchMatch with jump-flood propagation, and EM voting. One entry point,
// its stage chosen by `params.stage`, so every stage binds the same buffers.
//
// Every stage reads the `*_in` buffers and writes the `*_out` ones (the
// driver swaps them between dispatches), so no thread reads what another
// writes in the same dispatch: a seed always gives the same result.

struct Params {
    width: u32,
    height: u32,
    // Patch radius: patches are (2r + 1)² pixels.
    r: u32,
    stage: u32,
    target_count: u32,
    // Threads per row of a target stage's dispatch.
    row_threads: u32,
    // Propagation distance of an IMPROVE dispatch.
    jump: u32,
    // Whether an IMPROVE dispatch also runs the random search.
    search: u32,
    // The draws' words: seed halves and the dispatch's own word.
    seed_lo: u32,
    seed_hi: u32,
    draw_word: u32,
    // Whether colour adaptation is on (see `transfer`).
    adapt: u32,
    // The vote's weight scale σ² and the patch area.
    sigma2: f32,
    area: f32,
    // Colour adaptation's gain range and largest bias.
    gain_min: f32,
    gain_max: f32,
    bias_max: f32,
    pad1: f32,
    pad2: f32,
}

const MEASURE: u32 = 0u;
const IMPROVE: u32 = 1u;
const VOTE: u32 = 2u;
const STATS: u32 = 3u;

// "No source": the entry of a pixel that is no target.
const NONE: u32 = 0xffffffffu;
const HOLE: u32 = 1u;
const SOURCE_OK: u32 = 2u;

@group(0) @binding(0) var<uniform> params: Params;
// RGBA8 per pixel, the hole holding the current estimate.
@group(0) @binding(1) var<storage, read> pixels: array<u32>;
// Per pixel (width × height words): HOLE, and SOURCE_OK where a patch
// centred there is sampleable; then the targets, the centres whose patch
// overlaps the hole (one buffer: a stage may bind at most 8).
@group(0) @binding(2) var<storage, read> cells: array<u32>;
@group(0) @binding(3) var<storage, read> nnf_in: array<u32>;
@group(0) @binding(4) var<storage, read> dist_in: array<u32>;
@group(0) @binding(5) var<storage, read_write> nnf_out: array<u32>;
@group(0) @binding(6) var<storage, read_write> dist_out: array<u32>;
@group(0) @binding(7) var<storage, read_write> pixels_out: array<u32>;
// Per patch centre, with colour adaptation: the mean, then the standard
// deviation of each colour channel (written by STATS, read by the others).
@group(0) @binding(8) var<storage, read_write> stats: array<vec4<f32>>;

fn flags(i: u32) -> u32 {
    return cells[i];
}

fn target_centre(k: u32) -> u32 {
    return cells[params.width * params.height + k];
}

fn squared_difference(a: u32, b: u32) -> u32 {
    var total = 0u;
    for (var c = 0u; c < 32u; c += 8u) {
        let d = i32((a >> c) & 255u) - i32((b >> c) & 255u);
        total += u32(d * d);
    }
    return total;
}

// Sum of squared differences between the patches centred at t and s,
// abandoned (returning something ≥ limit) once it reaches limit — the
// CPU's `distance`, to the bit.
fn distance(t: u32, s: u32, limit: u32) -> u32 {
    let w = params.width;
    let r = params.r;
    let side = 2u * r + 1u;
    var total = 0u;
    for (var dy = 0u; dy < side; dy++) {
        let ta = t + dy * w - r * w - r;
        let sa = s + dy * w - r * w - r;
        var row = 0u;
        for (var dx = 0u; dx < side; dx++) {
            row += squared_difference(pixels[ta + dx], pixels[sa + dx]);
        }
        total += row;
        if total >= limit {
            return total;
        }
    }
    return total;
}

// Gain (xyz) and bias (per channel) carrying the source patch at s to the
// target at t: `AdaptationLimits::transfer` on the CPU.
struct Transfer {
    gain: vec3<f32>,
    bias: vec3<f32>,
}

fn transfer(t: u32, s: u32) -> Transfer {
    if params.adapt == 0u {
        return Transfer(vec3<f32>(1.0), vec3<f32>(0.0));
    }
    let mean_t = stats[2u * t].xyz;
    let std_t = stats[2u * t + 1u].xyz;
    let mean_s = stats[2u * s].xyz;
    let std_s = stats[2u * s + 1u].xyz;
    let gain = clamp(std_t / max(std_s, vec3<f32>(1.0)), vec3<f32>(params.gain_min), vec3<f32>(params.gain_max));
    let bias = clamp(mean_t - gain * mean_s, vec3<f32>(-params.bias_max), vec3<f32>(params.bias_max));
    return Transfer(gain, bias);
}

fn channels(p: u32) -> vec4<f32> {
    return vec4<f32>(f32(p & 255u), f32((p >> 8u) & 255u), f32((p >> 16u) & 255u), f32(p >> 24u));
}

// `distance` with the source's colours adapted (the CPU's `adapted_distance`).
fn adapted_distance(t: u32, s: u32, limit: u32) -> u32 {
    let w = params.width;
    let r = params.r;
    let side = 2u * r + 1u;
    let carry = transfer(t, s);
    let bound = f32(limit);
    var total = 0.0;
    for (var dy = 0u; dy < side; dy++) {
        let ta = t + dy * w - r * w - r;
        let sa = s + dy * w - r * w - r;
        var row = 0.0;
        for (var dx = 0u; dx < side; dx++) {
            let a = channels(pixels[ta + dx]);
            let b = channels(pixels[sa + dx]);
            let d = vec4<f32>(carry.gain * b.xyz + carry.bias - a.xyz, b.w - a.w);
            row += dot(d, d);
        }
        total += row;
        if total >= bound {
            break;
        }
    }
    return u32(min(total, 4294967040.0));
}

fn patch_distance(t: u32, s: u32, limit: u32) -> u32 {
    if params.adapt != 0u {
        return adapted_distance(t, s, limit);
    }
    return distance(t, s, limit);
}

// A patch centre's mean and standard deviation per colour channel.
fn patch_stats(x: u32, y: u32) {
    let w = params.width;
    let h = params.height;
    let r = params.r;
    let i = y * w + x;
    if x < r || y < r || x + r >= w || y + r >= h {
        stats[2u * i] = vec4<f32>(0.0);
        stats[2u * i + 1u] = vec4<f32>(0.0);
        return;
    }
    var sum = vec3<u32>(0u);
    var squares = vec3<u32>(0u);
    for (var yy = y - r; yy <= y + r; yy++) {
        for (var xx = x - r; xx <= x + r; xx++) {
            let v = channels(pixels[yy * w + xx]).xyz;
            let u = vec3<u32>(v);
            sum += u;
            squares += u * u;
        }
    }
    let n = f32((2u * r + 1u) * (2u * r + 1u));
    let mean = vec3<f32>(sum) / n;
    let variance = max(vec3<f32>(squares) / n - mean * mean, vec3<f32>(0.0));
    stats[2u * i] = vec4<f32>(mean, 0.0);
    stats[2u * i + 1u] = vec4<f32>(sqrt(variance), 0.0);
}

// The CPU's `hash` (a PCG output permutation over mixed words), seeded by
// the dispatch's seed.
fn hash(a: u32, b: u32) -> u32 {
    var v = params.seed_lo ^ ((params.seed_hi << 7u) | (params.seed_hi >> 25u));
    let words = array<u32, 2>(a, b);
    for (var i = 0u; i < 2u; i++) {
        v = (v * 747796405u + 2891336453u) ^ words[i];
        let word = ((v >> ((v >> 28u) + 4u)) ^ v) * 277803737u;
        v = (word >> 22u) ^ word;
    }
    return v;
}

struct Best {
    source: u32,
    dist: u32,
}

fn try_source(t: u32, s: u32, best: Best) -> Best {
    if (flags(s) & SOURCE_OK) == 0u || s == best.source {
        return best;
    }
    let d = patch_distance(t, s, best.dist);
    if d < best.dist {
        return Best(s, d);
    }
    return best;
}

// Jump-flood propagation: the neighbours `jump` away on each side offer
// their source shifted back by the same step (a coherent match carries
// over); then, when asked, a random search around the best source in
// windows halving in size, as the CPU's pass does.
fn improve(t: u32) -> Best {
    let w = params.width;
    let h = params.height;
    let r = params.r;
    let j = params.jump;
    let x = t % w;
    let y = t / w;
    var best = Best(nnf_in[t], dist_in[t]);
    if x >= j {
        let c = nnf_in[t - j];
        if c != NONE && c % w + j < w {
            best = try_source(t, c + j, best);
        }
    }
    if x + j < w {
        let c = nnf_in[t + j];
        if c != NONE && c % w >= j {
            best = try_source(t, c - j, best);
        }
    }
    if y >= j {
        let c = nnf_in[t - j * w];
        if c != NONE && c / w + j < h {
            best = try_source(t, c + j * w, best);
        }
    }
    if y + j < h {
        let c = nnf_in[t + j * w];
        if c != NONE && c / w >= j {
            best = try_source(t, c - j * w, best);
        }
    }
    if params.search == 0u {
        return best;
    }
    var radius = i32(max(w, h));
    var step = 0u;
    while radius >= 1 {
        let bx = i32(best.source % w);
        let by = i32(best.source / w);
        let draw = hash(t, params.draw_word | step);
        let span = u32(2 * radius + 1);
        let dx = i32(((draw & 0xffffu) * span) >> 16u) - radius;
        let dy = i32(((draw >> 16u) * span) >> 16u) - radius;
        let sx = u32(clamp(bx + dx, i32(r), i32(w - 1u - r)));
        let sy = u32(clamp(by + dy, i32(r), i32(h - 1u - r)));
        best = try_source(t, sy * w + sx, best);
        radius /= 2;
        step += 1u;
    }
    return best;
}

// A hole pixel's new colour: the mean of what the patches covering it put
// there, each weighted by exp(-d / 2σ²) of its per-pixel distance d.
fn vote(x: u32, y: u32) -> u32 {
    let w = params.width;
    let h = params.height;
    let r = params.r;
    let side = 2u * r + 1u;
    var sum = vec4<f32>(0.0);
    var weights = 0.0;
    for (var dy = 0u; dy < side; dy++) {
        // The patch centred at (tx, ty) covers (x, y) at offset (dx, dy).
        if y + r < dy || y + r - dy < r || y + r - dy + r >= h {
            continue;
        }
        let ty = y + r - dy;
        for (var dx = 0u; dx < side; dx++) {
            if x + r < dx || x + r - dx < r || x + r - dx + r >= w {
                continue;
            }
            let t = ty * w + x + r - dx;
            let s = nnf_in[t];
            if s == NONE {
                continue;
            }
            let weight = exp(-(f32(dist_in[t]) / params.area) / (2.0 * params.sigma2)) + 1e-6;
            let colour = channels(pixels[s + dy * w + dx - r * w - r]);
            let carry = transfer(t, s);
            sum += weight * vec4<f32>(carry.gain * colour.xyz + carry.bias, colour.w);
            weights += weight;
        }
    }
    if weights <= 0.0 {
        return pixels[y * w + x];
    }
    let v = vec4<u32>(clamp(floor(sum / weights + 0.5), vec4<f32>(0.0), vec4<f32>(255.0)));
    return v.x | (v.y << 8u) | (v.z << 16u) | (v.w << 24u);
}

@compute @workgroup_size(8, 8)
fn fill(@builtin(global_invocation_id) id: vec3<u32>) {
    switch params.stage {
        case VOTE: {
            if id.x >= params.width || id.y >= params.height {
                return;
            }
            let i = id.y * params.width + id.x;
            if (flags(i) & HOLE) == 0u {
                pixels_out[i] = pixels[i];
            } else {
                pixels_out[i] = vote(id.x, id.y);
            }
        }
        case STATS: {
            if id.x < params.width && id.y < params.height {
                patch_stats(id.x, id.y);
            }
        }
        default: {
            let k = id.y * params.row_threads + id.x;
            if id.x >= params.row_threads || k >= params.target_count {
                return;
            }
            let t = target_centre(k);
            var best: Best;
            if params.stage == MEASURE {
                best = Best(nnf_in[t], patch_distance(t, nnf_in[t], NONE));
            } else {
                best = improve(t);
            }
            nnf_out[t] = best.source;
            dist_out[t] = best.dist;
        }
    }
}
