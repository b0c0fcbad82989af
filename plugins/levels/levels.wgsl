// Levels, the GPU half of the plugin (src/lib.rs has the same formula): per colour channel
// t = clamp((v - ib) / (iw - ib), 0, 1), out = ob + t^(1/gamma) * (ow - ob), rounded.
// Binding layout: docs/plugin-abi.md, "WGSL shaders".
struct Tile {
  origin: vec2<u32>,
  size: vec2<u32>,
  image: vec2<u32>,
  halo: u32,
  param_count: u32,
  params: array<vec4<f32>, 16>,
}
@group(0) @binding(0) var<storage, read> input: array<u32>;
@group(0) @binding(1) var<storage, read_write> output: array<u32>;
@group(0) @binding(2) var<uniform> tile: Tile;

fn level(v: f32, ib: f32, span: f32, gamma: f32, ob: f32, ow: f32) -> f32 {
  let t = clamp((v - ib) / span, 0.0, 1.0);
  // pow(0, y) is undefined in WGSL; t^(1/gamma) is 0 there.
  let curve = select(pow(t, 1.0 / gamma), 0.0, t <= 0.0);
  return floor(clamp(ob + curve * (ow - ob) + 0.5, 0.0, 255.0));
}

@compute @workgroup_size(8, 8)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  if (id.x >= tile.size.x || id.y >= tile.size.y) {
    return;
  }
  // input_black, input_white, gamma, output_black; then output_white.
  let p = tile.params[0];
  let ow = tile.params[1].x;
  let span = max(p.y - p.x, 1.0);
  let stride = tile.size.x + 2u * tile.halo;
  let pixel = unpack4x8unorm(input[(id.y + tile.halo) * stride + id.x + tile.halo]) * 255.0;
  let rgb = vec3<f32>(
    level(pixel.r, p.x, span, p.z, p.w, ow),
    level(pixel.g, p.x, span, p.z, p.w, ow),
    level(pixel.b, p.x, span, p.z, p.w, ow),
  );
  output[id.y * tile.size.x + id.x] = pack4x8unorm(vec4<f32>(rgb / 255.0, pixel.a / 255.0));
}
