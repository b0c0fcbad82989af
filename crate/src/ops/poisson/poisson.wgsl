// One red–black (weighted) Gauss–Seidel sweep of the Poisson solve (see mod.rs):
// every unknown cell of one parity moves towards its neighbours' screened
// mean plus right-hand side. The same arithmetic in the same order as cpu.rs.

struct Params {
    width: u32,
    height: u32,
    parity: u32,
    pad: u32,
    omega: f32,
    screening: f32,
    pad2: vec2<f32>,
}

// Cell kinds, as in mod.rs.
const ABSENT: u32 = 0u;
const UNKNOWN: u32 = 2u;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> kind: array<u32>;
@group(0) @binding(2) var<storage, read_write> values: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> rhs: array<vec4<f32>>;

// id.x counts the cells of this parity along a row.
@compute @workgroup_size(8, 8)
fn sweep(@builtin(global_invocation_id) id: vec3<u32>) {
    let y = id.y;
    if (y >= params.height) {
        return;
    }
    let x = 2u * id.x + ((y + params.parity) & 1u);
    if (x >= params.width) {
        return;
    }
    let w = params.width;
    let i = y * w + x;
    if (kind[i] != UNKNOWN) {
        return;
    }
    var sum = vec3<f32>(0.0);
    var n = 0.0;
    if (x > 0u && kind[i - 1u] != ABSENT) {
        sum = sum + values[i - 1u].xyz;
        n = n + 1.0;
    }
    if (x + 1u < w && kind[i + 1u] != ABSENT) {
        sum = sum + values[i + 1u].xyz;
        n = n + 1.0;
    }
    if (y > 0u && kind[i - w] != ABSENT) {
        sum = sum + values[i - w].xyz;
        n = n + 1.0;
    }
    if (y + 1u < params.height && kind[i + w] != ABSENT) {
        sum = sum + values[i + w].xyz;
        n = n + 1.0;
    }
    let denom = n + params.screening;
    if (denom == 0.0) {
        return;
    }
    let old = values[i].xyz;
    values[i] = vec4<f32>(old + params.omega * ((rhs[i].xyz + sum) / denom - old), 0.0);
}
