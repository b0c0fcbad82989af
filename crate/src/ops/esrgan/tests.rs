use super::cpu::{self, Map};
use super::*;
use crate::test_kit::{photo, random_rgba, Draw};
use crate::test_rng::Rng;
use serde_json::json;

fn conv(input: usize, k: usize, cin: usize, cout: usize, activation: Activation) -> Op {
    Op::Conv {
        input,
        kernel: [k, k],
        in_channels: cin,
        out_channels: cout,
        activation,
    }
}

/// A small network with every kind of layer the slim and medium graphs use,
/// in the same shape (feature extraction, a dense block with a
/// concatenation and a residual addition, a 5×5 convolution, ×2
/// upsampling, a convolution at the output resolution), with random weights.
fn small_network(seed: u64) -> Network {
    let ops = vec![
        Op::Input { channels: 3 },
        conv(0, 3, 3, 8, Activation::Linear),
        conv(1, 3, 8, 6, Activation::Relu),
        Op::Concat { inputs: vec![1, 2] },
        conv(3, 1, 14, 8, Activation::Linear),
        Op::Add { inputs: vec![4, 1] },
        conv(5, 5, 8, 8, Activation::Linear),
        Op::Activation {
            input: 6,
            activation: Activation::Relu,
        },
        conv(7, 3, 8, 12, Activation::Linear),
        Op::Upsample {
            input: 8,
            factor: 2,
        },
        conv(9, 3, 12, 3, Activation::Linear),
    ];
    with_random_weights(seed, ops)
}

/// A small network in the shape of the thick (RRDN) graphs: a dense block
/// whose output is scaled before each residual addition (twice, as a
/// residual-in-residual block does), then a depth-to-space ×2 of 12
/// channels into 3 and a convolution at the output resolution.
fn small_rrdn_network(seed: u64) -> Network {
    let ops = vec![
        Op::Input { channels: 3 },
        conv(0, 3, 3, 8, Activation::Linear),
        conv(1, 3, 8, 6, Activation::Linear),
        Op::Activation {
            input: 2,
            activation: Activation::Relu,
        },
        Op::Concat { inputs: vec![1, 3] },
        conv(4, 3, 14, 8, Activation::Linear),
        Op::Scale {
            input: 5,
            factor: 0.2,
        },
        Op::Add { inputs: vec![1, 6] },
        Op::Scale {
            input: 7,
            factor: 0.2,
        },
        Op::Add { inputs: vec![1, 8] },
        conv(9, 3, 8, 12, Activation::Linear),
        Op::DepthToSpace {
            input: 10,
            block: 2,
        },
        conv(11, 3, 3, 3, Activation::Linear),
    ];
    with_random_weights(seed, ops)
}

/// Both small networks.
fn small_networks(seed: u64) -> [Network; 2] {
    [small_network(seed), small_rrdn_network(seed)]
}

/// A network of `ops` (the last one the output) with random weights.
fn with_random_weights(seed: u64, ops: Vec<Op>) -> Network {
    let mut rng = Rng(seed);
    let output = ops.len() - 1;
    let mut weights = Vec::new();
    let mut layers = Vec::new();
    for (i, op) in ops.into_iter().enumerate() {
        weights.push(match &op {
            Op::Conv {
                kernel,
                in_channels,
                out_channels,
                ..
            } => {
                let fan_in = (kernel[0] * kernel[1] * in_channels) as f32;
                let mut draw = |n: usize, scale: f32| -> Vec<f32> {
                    (0..n)
                        .map(|_| (rng.next() as f32 / u32::MAX as f32 - 0.45) * scale)
                        .collect()
                };
                Some(ConvWeights {
                    kernel: draw(fan_in as usize * out_channels, 2.0 / fan_in.sqrt()),
                    bias: draw(*out_channels, 4.0),
                })
            }
            _ => None,
        });
        layers.push(Layer {
            name: format!("layer_{i}"),
            op,
        });
    }
    Network::new("test".into(), 255.0, 255.0, layers, output, weights).unwrap()
}

/// The graph run the plain way, in f64: every value a whole map,
/// concatenation and upsampling copied, each convolution over a
/// zero-padded input. Shares nothing with `cpu.rs` but the network.
fn reference(network: &Network, input: &Map) -> Map {
    let mut values: Vec<Map> = Vec::new();
    let at = |m: &Map, x: usize, y: usize, c: usize| m.data[(y * m.width + x) * m.channels + c];
    for (i, layer) in network.layers.iter().enumerate() {
        let value = match &layer.op {
            Op::Input { .. } => input.clone(),
            Op::Conv {
                input,
                kernel,
                in_channels,
                out_channels,
                activation,
            } => {
                let src = &values[*input];
                let w = network.weights[i].as_ref().unwrap();
                let mut data = Vec::new();
                for y in 0..src.height as i64 {
                    for x in 0..src.width as i64 {
                        for o in 0..*out_channels {
                            let mut sum = f64::from(w.bias[o]);
                            for ky in 0..kernel[0] as i64 {
                                for kx in 0..kernel[1] as i64 {
                                    let (sy, sx) = (
                                        y + ky - kernel[0] as i64 / 2,
                                        x + kx - kernel[1] as i64 / 2,
                                    );
                                    if sy < 0
                                        || sx < 0
                                        || sy >= src.height as i64
                                        || sx >= src.width as i64
                                    {
                                        continue;
                                    }
                                    for c in 0..*in_channels {
                                        let k = ((ky as usize * kernel[1] + kx as usize)
                                            * in_channels
                                            + c)
                                            * out_channels
                                            + o;
                                        sum += f64::from(w.kernel[k])
                                            * f64::from(at(src, sx as usize, sy as usize, c));
                                    }
                                }
                            }
                            data.push(activation.apply(sum as f32));
                        }
                    }
                }
                Map {
                    width: src.width,
                    height: src.height,
                    channels: *out_channels,
                    data,
                }
            }
            Op::Activation { input, activation } => {
                let mut m = values[*input].clone();
                m.data.iter_mut().for_each(|v| *v = activation.apply(*v));
                m
            }
            Op::Concat { inputs } => {
                let first = &values[inputs[0]];
                let channels = inputs.iter().map(|&j| values[j].channels).sum();
                let mut data = Vec::new();
                for y in 0..first.height {
                    for x in 0..first.width {
                        for &j in inputs {
                            for c in 0..values[j].channels {
                                data.push(at(&values[j], x, y, c));
                            }
                        }
                    }
                }
                Map {
                    width: first.width,
                    height: first.height,
                    channels,
                    data,
                }
            }
            Op::Add { inputs } => {
                let mut m = values[inputs[0]].clone();
                for &j in &inputs[1..] {
                    m.data
                        .iter_mut()
                        .zip(&values[j].data)
                        .for_each(|(a, b)| *a += b);
                }
                m
            }
            Op::Upsample { input, factor } => {
                let src = &values[*input];
                let (w, h) = (src.width * factor, src.height * factor);
                let mut data = Vec::new();
                for y in 0..h {
                    for x in 0..w {
                        for c in 0..src.channels {
                            data.push(at(src, x / factor, y / factor, c));
                        }
                    }
                }
                Map {
                    width: w,
                    height: h,
                    channels: src.channels,
                    data,
                }
            }
            Op::Scale { input, factor } => {
                let mut m = values[*input].clone();
                m.data
                    .iter_mut()
                    .for_each(|v| *v = (f64::from(*v) * f64::from(*factor)) as f32);
                m
            }
            Op::DepthToSpace { input, block } => {
                let src = &values[*input];
                let channels = src.channels / (block * block);
                let (w, h) = (src.width * block, src.height * block);
                let mut data = Vec::new();
                for y in 0..h {
                    for x in 0..w {
                        let depth = (y % block) * block + x % block;
                        for c in 0..channels {
                            data.push(at(src, x / block, y / block, depth * channels + c));
                        }
                    }
                }
                Map {
                    width: w,
                    height: h,
                    channels,
                    data,
                }
            }
        };
        values.push(value);
    }
    values.swap_remove(network.output)
}

fn random_map(seed: u64, width: usize, height: usize) -> Map {
    let mut rng = Rng(seed);
    Map {
        width,
        height,
        channels: 3,
        data: (0..width * height * 3)
            .map(|_| (rng.next() % 256) as f32)
            .collect(),
    }
}

#[test]
fn interpreter_matches_a_direct_reference() {
    for network in small_networks(1) {
        interpreter_matches_the_reference_on(network);
    }
}

fn interpreter_matches_the_reference_on(network: Network) {
    let upscaler = Upscaler::new(network.clone());
    for (w, h) in [(13, 11), (1, 1), (2, 9), (17, 3)] {
        let input = random_map(w as u64 * 31 + h as u64, w, h);
        let ours = cpu::run(&network, &upscaler.convs, input.clone());
        let theirs = reference(&network, &input);
        assert_eq!((ours.width, ours.height, ours.channels), (w * 2, h * 2, 3));
        let scale = theirs.data.iter().fold(1f32, |m, v| m.max(v.abs()));
        let worst = ours
            .data
            .iter()
            .zip(&theirs.data)
            .map(|(a, b)| (a - b).abs())
            .fold(0f32, f32::max);
        assert!(
            worst <= scale * 1e-5,
            "{w}×{h}: off by {worst} (values up to {scale})"
        );
    }
}

#[test]
fn halo_is_the_receptive_field() {
    // By hand: 3×3, 3×3, 5×5, 3×3 at the source resolution (1+1+2+1 = 5 px),
    // half a source pixel for where a nearest-upsampled child sits, and the
    // last 3×3 at ×2 (half a source pixel): 6 px.
    assert_eq!(small_network(1).halo(), 6);
    // Four 3×3 at the source resolution (4 px), half a source pixel for
    // where a shuffled child sits in its parent, the last 3×3 at ×2: 5 px.
    assert_eq!(small_rrdn_network(1).halo(), 5);
}

#[test]
fn tiled_equals_untiled_bit_for_bit() {
    for network in small_networks(2) {
        tiled_equals_untiled_on(network);
    }
}

fn tiled_equals_untiled_on(network: Network) {
    let upscaler = Upscaler::new(network);
    let src = image::imageops::crop_imm(&photo("chelsea"), 50, 40, 41, 29).to_image();
    let whole = upscale_tiled(&upscaler, &src, 1000).unwrap();
    assert_eq!(whole.dimensions(), (82, 58));
    for tile in [1, 7, 16] {
        let tiled = upscale_tiled(&upscaler, &src, tile).unwrap();
        assert!(
            tiled == whole,
            "tiles of {tile} differ from the whole image"
        );
    }
    // The halo is no larger than it must be: one pixel less shows the seams.
    let short = upscale_with_halo(&upscaler, &src, 7, upscaler.network.halo() - 1).unwrap();
    assert!(
        short != whole,
        "a halo one pixel short should change the result"
    );
}

#[test]
fn threads_do_not_change_the_result() {
    let upscaler = Upscaler::new(small_network(3));
    let src = image::imageops::crop_imm(&photo("coffee"), 20, 20, 60, 50).to_image();
    let one = crate::parallel::with_threads(1, || upscale(&upscaler, &src).unwrap());
    let three = crate::parallel::with_threads(3, || upscale(&upscaler, &src).unwrap());
    assert!(one == three);
}

#[test]
fn alpha_comes_from_the_edge_upscaler() {
    let upscaler = Upscaler::new(small_network(4));
    let mut src = image::imageops::crop_imm(&photo("astronaut"), 0, 0, 24, 20).to_image();
    let mut rng = Rng(9);
    let alpha = random_rgba(&mut rng, 24, 20, Draw::EdgeBiased);
    for (p, a) in src.pixels_mut().zip(alpha.pixels()) {
        p[3] = a[3];
    }
    let out = upscale(&upscaler, &src).unwrap();
    let edge = resample::resize_cpu(
        &src,
        &ResizeOptions {
            filter: Filter::Edge,
            ..ResizeOptions::new(48, 40)
        },
    )
    .unwrap();
    assert!(out.pixels().zip(edge.pixels()).all(|(a, b)| a[3] == b[3]));
    // The colour is the network's, whatever the alpha.
    let mut opaque = src.clone();
    opaque.pixels_mut().for_each(|p| p[3] = 255);
    let colour = upscale(&upscaler, &opaque).unwrap();
    assert!(out
        .pixels()
        .zip(colour.pixels())
        .all(|(a, b)| a.0[..3] == b.0[..3]));
}

#[test]
fn output_limit_is_refused_before_work() {
    let upscaler = Upscaler::new(small_network(5));
    let err = output_size(&upscaler, 8193, 10).unwrap_err().to_string();
    assert!(err.contains("16384"), "{err}");
}

#[test]
fn f16_round_trips_every_finite_half() {
    for h in 0..=u16::MAX {
        let v = f16_to_f32(h);
        if v.is_finite() {
            assert_eq!(f32_to_f16(v), h, "{h:#06x} = {v}");
        }
    }
    assert_eq!(f32_to_f16(1.0), 0x3c00);
    assert_eq!(f32_to_f16(-2.0), 0xc000);
    assert_eq!(f32_to_f16(65504.0), 0x7bff);
    assert_eq!(f32_to_f16(1e6), 0x7c00);
    // Halfway between 1 and the next half (1 + 2⁻¹⁰): ties to even.
    assert_eq!(f32_to_f16(1.0 + 2f32.powi(-11)), 0x3c00);
    assert_eq!(f32_to_f16(1.0 + 3.0 * 2f32.powi(-11)), 0x3c02);
    assert_eq!(f32_to_f16(2f32.powi(-24)), 0x0001);
    assert_eq!(f32_to_f16(2f32.powi(-26)), 0x0000);
}

#[test]
fn file_round_trips_and_refuses_damage() {
    let network = small_network(6);
    let bytes = network.to_bytes(Precision::F32);
    assert_eq!(Network::from_bytes(&bytes, "a.rtnet").unwrap(), network);
    let half = Network::from_bytes(&network.to_bytes(Precision::F16), "a.rtnet").unwrap();
    assert_eq!(half.layers, network.layers);
    for (a, b) in half
        .weights
        .iter()
        .flatten()
        .zip(network.weights.iter().flatten())
    {
        for (x, y) in a.kernel.iter().zip(&b.kernel) {
            assert!((x - y).abs() <= y.abs() / 1024.0 + 1e-7);
        }
    }
    let err = |bytes: &[u8]| {
        Network::from_bytes(bytes, "a.rtnet")
            .unwrap_err()
            .to_string()
    };
    assert!(err(&bytes[..bytes.len() - 1]).contains("truncated"));
    assert!(err(&bytes[..20]).contains("truncated"));
    assert!(err(b"PNG\x89 not a network").contains("not a Retouch network"));
    let mut extra = bytes.clone();
    extra.extend([0; 4]);
    assert!(err(&extra).contains("a.rtnet"));
    // A layer that reads a later one.
    let mut forward = network.clone();
    forward.layers[2].op = Op::Activation {
        input: 5,
        activation: Activation::Relu,
    };
    let e = err(&forward.to_bytes(Precision::F32));
    assert!(e.contains("layer_2") && e.contains("later layer"), "{e}");
    // Not finite.
    let mut nan = network.clone();
    nan.weights[1].as_mut().unwrap().bias[0] = f32::NAN;
    assert!(err(&nan.to_bytes(Precision::F32)).contains("not finite"));
}

/// The small network as a TensorFlow.js layers model: model.json text and
/// its one shard.
fn as_tfjs(network: &Network) -> (String, Vec<u8>) {
    let name = |i: usize| network.layers[i].name.clone();
    let inbound = |ids: &[usize]| {
        json!([ids
            .iter()
            .map(|&j| json!([name(j), 0, 0, {}]))
            .collect::<Vec<_>>()])
    };
    let act = |a: &Activation| {
        if *a == Activation::Relu {
            "relu"
        } else {
            "linear"
        }
    };
    let mut layers = Vec::new();
    let mut manifest = Vec::new();
    let mut shard = Vec::new();
    for (i, layer) in network.layers.iter().enumerate() {
        let n = name(i);
        // UpscalerJS names the layer after its block size.
        let shuffle_class: String;
        let (class, config, inputs) = match &layer.op {
            Op::Input { .. } => (
                "InputLayer",
                json!({"name": n, "batch_input_shape": [null, null, null, 3]}),
                vec![],
            ),
            Op::Conv {
                input,
                kernel,
                out_channels,
                activation,
                in_channels,
            } => {
                let w = network.weights[i].as_ref().unwrap();
                for (suffix, shape, values) in [
                    (
                        "kernel",
                        json!([kernel[0], kernel[1], in_channels, out_channels]),
                        &w.kernel,
                    ),
                    ("bias", json!([out_channels]), &w.bias),
                ] {
                    manifest.push(json!({"name": format!("{n}/{suffix}"), "shape": shape, "dtype": "float32"}));
                    values.iter().for_each(|v| shard.extend(v.to_le_bytes()));
                }
                let padding = if kernel[0] == 1 { "valid" } else { "same" };
                (
                    "Conv2D",
                    json!({"name": n, "filters": out_channels, "kernel_size": kernel, "strides": [1, 1],
                           "padding": padding, "data_format": "channels_last", "dilation_rate": [1, 1],
                           "activation": act(activation), "use_bias": true}),
                    vec![*input],
                )
            }
            Op::Activation { input, activation } => (
                "Activation",
                json!({"name": n, "activation": act(activation)}),
                vec![*input],
            ),
            Op::Concat { inputs } => ("Concatenate", json!({"name": n, "axis": 3}), inputs.clone()),
            Op::Add { inputs } => ("Add", json!({"name": n}), inputs.clone()),
            Op::Upsample { input, factor } => (
                "UpSampling2D",
                json!({"name": n, "size": [factor, factor], "interpolation": "nearest"}),
                vec![*input],
            ),
            // UpscalerJS' custom layers, as esrgan-thick's model.json has them.
            Op::Scale { input, factor } => (
                "MultiplyBeta",
                json!({"name": n, "trainable": true, "dtype": "float32", "beta": factor}),
                vec![*input],
            ),
            Op::DepthToSpace { input, block } => {
                shuffle_class = format!("PixelShuffle{block}x");
                (
                    shuffle_class.as_str(),
                    json!({"name": n, "trainable": true, "dtype": "float32", "scale": block}),
                    vec![*input],
                )
            }
        };
        let inbound_nodes = if inputs.is_empty() {
            json!([])
        } else {
            inbound(&inputs)
        };
        layers.push(json!({"class_name": class, "name": n, "config": config, "inbound_nodes": inbound_nodes}));
    }
    let model = json!({
        "format": "layers-model",
        "modelTopology": {"model_config": {"class_name": "Functional", "config": {
            "layers": layers, "output_layers": [[name(network.output), 0, 0]]}}},
        "weightsManifest": [{"paths": ["group1-shard1of1.bin"], "weights": manifest}],
    });
    (model.to_string(), shard)
}

fn convert(json: &str, shard: &[u8]) -> Result<Network> {
    from_tfjs(json, "model.json", "test".into(), 255.0, |path| {
        assert_eq!(path, "group1-shard1of1.bin");
        Ok(shard.to_vec())
    })
}

#[test]
fn converter_reads_the_tfjs_topology_and_weights() {
    for network in small_networks(7) {
        let (json, shard) = as_tfjs(&network);
        assert_eq!(convert(&json, &shard).unwrap(), network);
    }
}

#[test]
fn converter_refuses_malformed_models() {
    let network = small_network(8);
    let (json, shard) = as_tfjs(&network);
    let err = |json: &str, shard: &[u8]| convert(json, shard).unwrap_err().to_string();
    let e = err(&json, &shard[..shard.len() - 8]);
    assert!(e.contains("model.json") && e.contains("truncated"), "{e}");
    let e = err(&json.replace("\"UpSampling2D\"", "\"Dense\""), &shard);
    assert!(e.contains("Dense") && e.contains("layer_9"), "{e}");
    let e = err(&json.replace("\"float32\"", "\"int8\""), &shard);
    assert!(e.contains("float32"), "{e}");
    let e = err(&json[..json.len() / 2], &shard);
    assert!(e.contains("not JSON"), "{e}");
    let e = err(
        &json.replace("\"strides\":[1,1]", "\"strides\":[2,2]"),
        &shard,
    );
    assert!(e.contains("stride"), "{e}");

    let (json, shard) = as_tfjs(&small_rrdn_network(8));
    assert!(convert(&json, &shard).is_ok());
    let e = err(&json.replace("\"scale\":2", "\"scale\":3"), &shard);
    assert!(e.contains("PixelShuffle2x") && e.contains("not 2"), "{e}");
    // 12 channels do not split into 3×3 squares.
    let e = err(
        &json
            .replace("PixelShuffle2x", "PixelShuffle3x")
            .replace("\"scale\":2", "\"scale\":3"),
        &shard,
    );
    assert!(e.contains("12 channels") && e.contains("3×3"), "{e}");
    let e = err(&json.replace("\"beta\":0.2", "\"gamma\":0.2"), &shard);
    assert!(e.contains("no beta"), "{e}");
}

#[test]
fn a_job_step_by_step_equals_the_whole_upscale() {
    let upscaler = Upscaler::new(small_network(6));
    // 3 × 2 tiles of 7 px with a ragged last column and row.
    let src = image::imageops::crop_imm(&photo("chelsea"), 10, 30, 19, 13).to_image();
    let whole = upscale(&upscaler, &src).unwrap();
    let mut job =
        UpscaleJob::with_tiles(&upscaler, src.clone(), 7, upscaler.network.halo()).unwrap();
    assert_eq!((job.done(), job.total()), (0, 6));
    assert_eq!(job.output_size(), (38, 26));
    let mut reported = Vec::new();
    while job.step() {
        reported.push(job.done());
    }
    assert_eq!(reported, [1, 2, 3, 4, 5]);
    assert_eq!(job.done(), 6);
    assert!(!job.step(), "a finished job does nothing more");
    assert!(job.finish().unwrap() == whole);
    let err = job.finish().unwrap_err().to_string();
    assert!(err.contains("already handed over"), "{err}");
    // Asking for the image too early names what is left.
    let mut early = UpscaleJob::with_tiles(&upscaler, src, 7, upscaler.network.halo()).unwrap();
    early.step();
    let err = early.finish().unwrap_err().to_string();
    assert!(
        err.contains("not finished") && err.contains("tiles left"),
        "{err}"
    );
}

#[test]
fn an_image_that_fits_a_tiles_window_is_one_tile() {
    // Tiles of 128 px with a halo of 6 on each side run in windows of 140.
    let upscaler = Upscaler::new(small_network(9));
    assert_eq!((upscaler.tile(), upscaler.network.halo()), (128, 6));
    let tiles = |w, h| {
        let src = RgbaImage::from_pixel(w, h, image::Rgba([90, 120, 200, 255]));
        UpscaleJob::new(&upscaler, src).unwrap().total()
    };
    assert_eq!(tiles(140, 100), 1);
    assert_eq!(tiles(100, 140), 1);
    assert_eq!(tiles(141, 100), 2);
    assert_eq!(tiles(300, 141), 6);
}

#[test]
fn model_file_names_the_shipped_networks_and_refuses_others() {
    assert_eq!(model_file("slim", 2.0).unwrap(), "esrgan-slim-x2.rtnet");
    assert_eq!(model_file("medium", 4.0).unwrap(), "esrgan-medium-x4.rtnet");
    assert_eq!(model_file("thick", 3.0).unwrap(), "esrgan-thick-x3.rtnet");
    let err = model_file("huge", 2.0).unwrap_err().to_string();
    assert!(
        err.contains("model") && err.contains("slim, medium, thick"),
        "{err}"
    );
    let err = model_file("slim", 2.5).unwrap_err().to_string();
    assert!(
        err.contains("scale") && err.contains("×2, ×3 or ×4"),
        "{err}"
    );
}

/// A shipped network from `web/pkg/models` (`./build.sh build` converts them).
fn shipped(model: &str, scale: u32) -> Upscaler {
    let name = model_file(model, f64::from(scale)).unwrap();
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../web/pkg/models")
        .join(&name);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}: run ./build.sh build (it converts the networks)",
            path.display()
        )
    });
    Upscaler::from_bytes(&bytes, &name).unwrap()
}

/// The GPU's result with tiles of `tile` source pixels.
fn on_gpu(upscaler: &Upscaler, src: &RgbaImage, tile: usize) -> RgbaImage {
    let gpu = crate::engine::test_gpu_engine()
        .gpu()
        .expect("a GPU engine");
    let weights = GpuUpscaler::new(gpu, upscaler);
    pollster::block_on(upscale_on_gpu(gpu, &weights, upscaler, src, tile)).unwrap()
}

/// The largest and the mean per-channel difference of the colour.
fn colour_difference(a: &RgbaImage, b: &RgbaImage) -> (u8, f64) {
    assert_eq!(a.dimensions(), b.dimensions());
    let diffs: Vec<u8> = a
        .pixels()
        .zip(b.pixels())
        .flat_map(|(p, q)| (0..3).map(move |c| p[c].abs_diff(q[c])))
        .collect();
    let max = diffs.iter().copied().max().unwrap_or(0);
    let mean = diffs.iter().map(|&d| f64::from(d)).sum::<f64>() / diffs.len() as f64;
    (max, mean)
}

/// Every kind of layer on the GPU: within one level of the CPU (the GPU may
/// fuse a multiply and an add where the CPU rounds twice), and the GPU's
/// own tiling exact, as on the CPU, with a translucent image's alpha from
/// the edge upscaler on both.
#[test]
#[cfg_attr(
    not(gpu_tests),
    ignore = "GPU test: runs with RETOUCH_REQUIRE_GPU=1 (./build.sh test) or --include-ignored"
)]
fn gpu_runs_every_layer_kind_like_the_cpu() {
    for network in small_networks(6) {
        gpu_runs_like_the_cpu_on(network);
    }
}

fn gpu_runs_like_the_cpu_on(network: Network) {
    let upscaler = Upscaler::new(network);
    let mut src = image::imageops::crop_imm(&photo("rocket"), 60, 30, 41, 29).to_image();
    let alpha = random_rgba(&mut Rng(11), 41, 29, Draw::EdgeBiased);
    for (p, a) in src.pixels_mut().zip(alpha.pixels()) {
        p[3] = a[3];
    }
    let cpu = upscale(&upscaler, &src).unwrap();
    let whole = on_gpu(&upscaler, &src, 1000);
    let (max, mean) = colour_difference(&cpu, &whole);
    assert!(max <= 1 && mean <= 0.05, "max {max}, mean {mean:.4}");
    assert!(cpu.pixels().zip(whole.pixels()).all(|(a, b)| a[3] == b[3]));
    for tile in [7, 16] {
        assert!(
            on_gpu(&upscaler, &src, tile) == whole,
            "GPU tiles of {tile} differ from the whole image"
        );
    }
}

/// The shipped networks on a photograph (thick's RRDN shape too): the GPU
/// within one level of the CPU, mean difference at most 0.05 level, whole
/// and in tiles of 16.
#[test]
#[cfg_attr(
    not(gpu_tests),
    ignore = "GPU test: runs with RETOUCH_REQUIRE_GPU=1 (./build.sh test) or --include-ignored"
)]
fn gpu_matches_cpu_on_the_shipped_networks() {
    let src = image::imageops::crop_imm(&photo("chelsea"), 80, 40, 36, 28).to_image();
    for (model, scale) in [("slim", 2), ("slim", 4), ("medium", 2), ("thick", 4)] {
        let upscaler = shipped(model, scale);
        let cpu = upscale(&upscaler, &src).unwrap();
        for tile in [upscaler.tile(), 16] {
            let gpu = on_gpu(&upscaler, &src, tile);
            let (max, mean) = colour_difference(&cpu, &gpu);
            eprintln!("{model} ×{scale}, tiles of {tile}: max {max}, mean {mean:.5}");
            assert!(
                max <= 1 && mean <= 0.05,
                "{model} ×{scale}, tiles of {tile}: max {max}, mean {mean:.4}"
            );
        }
    }
}
