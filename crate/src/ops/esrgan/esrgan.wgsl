// The ESRGAN graph's kernels (see gpu.rs). Feature maps are f32,
// height × width × channels with channels innermost, as on the CPU.
// Every kernel numbers its invocations over a 2-D dispatch of
// `per_row` invocations a row (a dimension holds at most 65535 groups).

struct ConvParams {
    width: u32,        // output size (the input read at `factor` times its size)
    height: u32,
    in_width: u32,     // the input map's own width
    in_channels: u32,
    out_channels: u32,
    groups: u32,       // output channels / 4, rounded up: the weights' stride
    factor: u32,       // nearest upsampling of the input, 1 for none
    kernel_w: u32,
    kernel_h: u32,
    relu: u32,
    per_row: u32,
    pad: u32,
}

@group(0) @binding(0) var<uniform> conv_params: ConvParams;
@group(0) @binding(1) var<storage, read> conv_input: array<f32>;
// [tap][in][group]: four output channels of one tap and input channel.
@group(0) @binding(2) var<storage, read> conv_weights: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> conv_bias: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> conv_output: array<f32>;

// One output pixel × four output channels: the bias plus the taps in the
// CPU's order (rows, columns, input channels), taps outside the map skipped
// (zero padding).
@compute @workgroup_size(64)
fn conv(@builtin(global_invocation_id) id: vec3<u32>) {
    let p = conv_params;
    let pixel = id.y * p.per_row + id.x;
    let group = id.z;
    if pixel >= p.width * p.height {
        return;
    }
    let x = i32(pixel % p.width);
    let y = i32(pixel / p.width);
    let ry = i32(p.kernel_h / 2u);
    let rx = i32(p.kernel_w / 2u);
    var acc = conv_bias[group];
    for (var ky = 0; ky < i32(p.kernel_h); ky++) {
        let iy = y + ky - ry;
        if iy < 0 || iy >= i32(p.height) {
            continue;
        }
        for (var kx = 0; kx < i32(p.kernel_w); kx++) {
            let ix = x + kx - rx;
            if ix < 0 || ix >= i32(p.width) {
                continue;
            }
            let at = ((u32(iy) / p.factor) * p.in_width + u32(ix) / p.factor) * p.in_channels;
            var w = (u32(ky) * p.kernel_w + u32(kx)) * p.in_channels * p.groups + group;
            for (var c = 0u; c < p.in_channels; c++) {
                acc += conv_input[at + c] * conv_weights[w];
                w += p.groups;
            }
        }
    }
    if p.relu == 1u {
        acc = max(acc, vec4<f32>(0.0));
    }
    let out = pixel * p.out_channels;
    for (var k = 0u; k < 4u; k++) {
        let channel = group * 4u + k;
        if channel < p.out_channels {
            conv_output[out + channel] = acc[k];
        }
    }
}

struct ElementParams {
    count: u32,
    per_row: u32,
    factor: f32,    // `scale`'s constant
    pad: u32,
}

@group(0) @binding(0) var<uniform> element_params: ElementParams;
@group(0) @binding(1) var<storage, read> element_a: array<f32>;
@group(0) @binding(2) var<storage, read> element_b: array<f32>;
@group(0) @binding(3) var<storage, read_write> element_out: array<f32>;

// The residual connection: out = a + b.
@compute @workgroup_size(64)
fn add(@builtin(global_invocation_id) id: vec3<u32>) {
    let i = id.y * element_params.per_row + id.x;
    if i < element_params.count {
        element_out[i] = element_a[i] + element_b[i];
    }
}

@group(0) @binding(0) var<uniform> relu_params: ElementParams;
@group(0) @binding(1) var<storage, read> relu_input: array<f32>;
@group(0) @binding(2) var<storage, read_write> relu_output: array<f32>;

// An activation layer of its own: out = max(in, 0).
@compute @workgroup_size(64)
fn relu(@builtin(global_invocation_id) id: vec3<u32>) {
    let i = id.y * relu_params.per_row + id.x;
    if i < relu_params.count {
        relu_output[i] = max(relu_input[i], 0.0);
    }
}

@group(0) @binding(0) var<uniform> scale_params: ElementParams;
@group(0) @binding(1) var<storage, read> scale_input: array<f32>;
@group(0) @binding(2) var<storage, read_write> scale_output: array<f32>;

// Residual scaling: out = in × factor.
@compute @workgroup_size(64)
fn scale(@builtin(global_invocation_id) id: vec3<u32>) {
    let i = id.y * scale_params.per_row + id.x;
    if i < scale_params.count {
        scale_output[i] = scale_input[i] * scale_params.factor;
    }
}

struct ShuffleParams {
    width: u32,         // the output's size
    height: u32,
    channels: u32,      // the output's channels
    block: u32,
    per_row: u32,
    pad0: u32,
    pad1: u32,
    pad2: u32,
}

@group(0) @binding(0) var<uniform> shuffle_params: ShuffleParams;
@group(0) @binding(1) var<storage, read> shuffle_input: array<f32>;
@group(0) @binding(2) var<storage, read_write> shuffle_output: array<f32>;

// Depth to space (TensorFlow's depthToSpace, NHWC): output value
// (x, y, c) is input pixel (x / block, y / block)'s channel
// ((y % block) × block + x % block) × channels + c.
@compute @workgroup_size(64)
fn depth_to_space(@builtin(global_invocation_id) id: vec3<u32>) {
    let p = shuffle_params;
    let i = id.y * p.per_row + id.x;
    if i >= p.width * p.height * p.channels {
        return;
    }
    let c = i % p.channels;
    let pixel = i / p.channels;
    let x = pixel % p.width;
    let y = pixel / p.width;
    let source = (y / p.block) * (p.width / p.block) + x / p.block;
    let channel = ((y % p.block) * p.block + x % p.block) * p.channels + c;
    shuffle_output[i] = shuffle_input[source * p.channels * p.block * p.block + channel];
}

struct PlaceParams {
    width: u32,         // the destination's size
    height: u32,
    src_width: u32,     // the source map's own width
    src_channels: u32,
    dst_channels: u32,
    offset: u32,        // the first destination channel written
    factor: u32,        // nearest upsampling of the source, 1 for none
    per_row: u32,
}

@group(0) @binding(0) var<uniform> place_params: PlaceParams;
@group(0) @binding(1) var<storage, read> place_src: array<f32>;
@group(0) @binding(2) var<storage, read_write> place_dst: array<f32>;

// Copies a map into channels `offset..offset + src_channels` of a wider
// one, enlarged by `factor`: a concatenation's parts, or an upsampled
// value that an addition or activation needs at its full size.
@compute @workgroup_size(64)
fn place(@builtin(global_invocation_id) id: vec3<u32>) {
    let p = place_params;
    let i = id.y * p.per_row + id.x;
    if i >= p.width * p.height * p.src_channels {
        return;
    }
    let c = i % p.src_channels;
    let pixel = i / p.src_channels;
    let x = pixel % p.width;
    let y = pixel / p.width;
    let source_at = ((y / p.factor) * p.src_width + x / p.factor) * p.src_channels + c;
    place_dst[pixel * p.dst_channels + p.offset + c] = place_src[source_at];
}
