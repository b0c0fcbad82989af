//! TensorFlow.js "layers-model" (a Keras functional model as `model.json`
//! plus binary weight shards) → [`Network`]. The graph is read from the
//! topology, layer by layer, so any network built from the supported layers
//! loads: `InputLayer`, `Conv2D` (stride 1, no dilation, "same" padding, or
//! "valid" for 1×1), `Activation` (linear, relu), `Concatenate` on the
//! channel axis, `Add`, `UpSampling2D` (nearest), and UpscalerJS' own
//! `MultiplyBeta` and `PixelShuffle<N>x` (the RRDN networks of
//! esrgan-thick). Anything else is refused by name.

use super::model::{shuffled_channels, Activation, ConvWeights, Layer, Network, Op};
use crate::{Error, Result};
use serde_json::Value;
use std::collections::HashMap;

/// Weight tensors by name: (shape, values).
type Tensors = HashMap<String, (Vec<usize>, Vec<f32>)>;

fn bad(file: &str, message: impl std::fmt::Display) -> Error {
    Error::param("model", format!("{file}: {message}"))
}

/// Converts a TF.js layers model. `model_json` is the text of `model.json`
/// (named `file` in errors); `read_shard` returns the bytes of a weight
/// shard by the path the manifest gives. `input_range` is the pixel scale
/// the network was trained on (255 for UpscalerJS' ESRGAN slim and medium,
/// 1 for thick: its package declares `inputRange: [0, 1]`).
pub fn from_tfjs(
    model_json: &str,
    file: &str,
    source: String,
    input_range: f32,
    mut read_shard: impl FnMut(&str) -> Result<Vec<u8>>,
) -> Result<Network> {
    let root: Value =
        serde_json::from_str(model_json).map_err(|e| bad(file, format!("not JSON: {e}")))?;
    if root["format"] != "layers-model" {
        return Err(bad(
            file,
            "not a TensorFlow.js layers model (format \"layers-model\")",
        ));
    }
    let tensors = read_weights(&root, file, &mut read_shard)?;
    let config = &root["modelTopology"]["model_config"]["config"];
    let tf_layers = config["layers"]
        .as_array()
        .ok_or_else(|| bad(file, "modelTopology has no layer list"))?;

    let mut index: HashMap<String, usize> = HashMap::new();
    let mut channels: Vec<usize> = Vec::new();
    let mut layers = Vec::new();
    let mut weights = Vec::new();
    for tf in tf_layers {
        let name = tf["config"]["name"]
            .as_str()
            .or_else(|| tf["name"].as_str())
            .ok_or_else(|| bad(file, "a layer has no name"))?
            .to_string();
        let class = tf["class_name"].as_str().unwrap_or("");
        let cfg = &tf["config"];
        let inputs = inbound(tf, &index, file, &name)?;
        let one = |inputs: &[usize]| -> Result<usize> {
            match inputs {
                [i] => Ok(*i),
                _ => Err(bad(file, format!("layer '{name}' should have one input"))),
            }
        };
        let mut conv = None;
        let (op, c) = match class {
            "InputLayer" => {
                let shape = &cfg["batch_input_shape"];
                let c = shape[3].as_u64().unwrap_or(0) as usize;
                (Op::Input { channels: c }, c)
            }
            "Conv2D" => {
                let input = one(&inputs)?;
                let (op, w) = conv_layer(cfg, &tensors, &name, channels[input], input, file)?;
                let c = w.bias.len();
                conv = Some(w);
                (op, c)
            }
            "Activation" => {
                let input = one(&inputs)?;
                let activation = activation(cfg, &name, file)?;
                (Op::Activation { input, activation }, channels[input])
            }
            "Concatenate" => {
                let axis = cfg["axis"].as_i64().unwrap_or(-1);
                if axis != 3 && axis != -1 {
                    return Err(bad(
                        file,
                        format!("layer '{name}': concatenation only on the channel axis"),
                    ));
                }
                let c = inputs.iter().map(|&i| channels[i]).sum();
                (Op::Concat { inputs }, c)
            }
            "Add" => (
                Op::Add {
                    inputs: inputs.clone(),
                },
                channels[inputs[0]],
            ),
            "UpSampling2D" => {
                let input = one(&inputs)?;
                let size = &cfg["size"];
                let (a, b) = (size[0].as_u64().unwrap_or(0), size[1].as_u64().unwrap_or(0));
                if a != b
                    || a == 0
                    || cfg["interpolation"].as_str().unwrap_or("nearest") != "nearest"
                {
                    return Err(bad(
                        file,
                        format!("layer '{name}': only square nearest upsampling"),
                    ));
                }
                (
                    Op::Upsample {
                        input,
                        factor: a as usize,
                    },
                    channels[input],
                )
            }
            // UpscalerJS' custom layers of the RRDN networks (esrgan-thick):
            // residual scaling by `beta` and `depthToSpace` by `scale`.
            "MultiplyBeta" => {
                let input = one(&inputs)?;
                let factor = cfg["beta"]
                    .as_f64()
                    .ok_or_else(|| bad(file, format!("layer '{name}' has no beta")))?;
                (
                    Op::Scale {
                        input,
                        factor: factor as f32,
                    },
                    channels[input],
                )
            }
            class if pixel_shuffle_block(class).is_some() => {
                let input = one(&inputs)?;
                let block = pixel_shuffle_block(class).unwrap_or(0);
                if cfg["scale"].as_u64() != Some(block as u64) {
                    return Err(bad(
                        file,
                        format!("layer '{name}': a {class} whose scale is not {block}"),
                    ));
                }
                let c = shuffled_channels(&name, channels[input], block, file)?;
                (Op::DepthToSpace { input, block }, c)
            }
            other => {
                return Err(bad(
                    file,
                    format!("layer '{name}' is a {other}, which Retouch cannot run"),
                ))
            }
        };
        index.insert(name.clone(), layers.len());
        channels.push(c);
        layers.push(Layer { name, op });
        weights.push(conv);
    }
    let output_name = config["output_layers"][0][0]
        .as_str()
        .ok_or_else(|| bad(file, "no output layer"))?;
    let output = *index
        .get(output_name)
        .ok_or_else(|| bad(file, format!("unknown output layer '{output_name}'")))?;
    Network::new(source, input_range, input_range, layers, output, weights)
        .map_err(|e| bad(file, e))
}

/// The block of a `PixelShuffle<N>x` layer (UpscalerJS names the class by
/// its factor): `N`.
fn pixel_shuffle_block(class: &str) -> Option<usize> {
    class
        .strip_prefix("PixelShuffle")?
        .strip_suffix('x')?
        .parse()
        .ok()
}

/// The indices of a layer's inputs (Keras' `inbound_nodes`).
fn inbound(
    tf: &Value,
    index: &HashMap<String, usize>,
    file: &str,
    name: &str,
) -> Result<Vec<usize>> {
    let Some(nodes) = tf["inbound_nodes"].as_array() else {
        return Ok(Vec::new());
    };
    if nodes.len() > 1 {
        return Err(bad(
            file,
            format!("layer '{name}' is shared, which is not supported"),
        ));
    }
    let Some(node) = nodes.first().and_then(|n| n.as_array()) else {
        return Ok(Vec::new());
    };
    node.iter()
        .map(|input| {
            let from = input[0].as_str().unwrap_or("");
            index
                .get(from)
                .copied()
                .ok_or_else(|| bad(file, format!("layer '{name}' reads unknown layer '{from}'")))
        })
        .collect()
}

fn activation(cfg: &Value, name: &str, file: &str) -> Result<Activation> {
    match cfg["activation"].as_str().unwrap_or("linear") {
        "linear" => Ok(Activation::Linear),
        "relu" => Ok(Activation::Relu),
        other => Err(bad(
            file,
            format!("layer '{name}': activation '{other}' is not supported"),
        )),
    }
}

fn conv_layer(
    cfg: &Value,
    tensors: &Tensors,
    name: &str,
    in_channels: usize,
    input: usize,
    file: &str,
) -> Result<(Op, ConvWeights)> {
    let ones = |key: &str| cfg[key].as_array().is_none_or(|a| a.iter().all(|v| v == 1));
    if !ones("strides")
        || !ones("dilation_rate")
        || cfg["data_format"].as_str().unwrap_or("channels_last") != "channels_last"
    {
        return Err(bad(
            file,
            format!("layer '{name}': only stride-1, undilated, channels-last convolutions"),
        ));
    }
    let (shape, kernel) = tensors
        .get(&format!("{name}/kernel"))
        .ok_or_else(|| bad(file, format!("layer '{name}' has no kernel weights")))?;
    let [kh, kw, cin, cout] = shape[..] else {
        return Err(bad(file, format!("layer '{name}': the kernel is not 4-D")));
    };
    let padding = cfg["padding"].as_str().unwrap_or("valid");
    if !(padding == "same" || (kh == 1 && kw == 1)) {
        return Err(bad(
            file,
            format!("layer '{name}': padding '{padding}' is supported for 1×1 kernels only"),
        ));
    }
    if cin != in_channels {
        return Err(bad(
            file,
            format!("layer '{name}': kernel for {cin} channels, input has {in_channels}"),
        ));
    }
    let bias = if cfg["use_bias"].as_bool().unwrap_or(true) {
        let (bshape, bias) = tensors
            .get(&format!("{name}/bias"))
            .ok_or_else(|| bad(file, format!("layer '{name}' has no bias")))?;
        if bshape[..] != [cout] {
            return Err(bad(
                file,
                format!("layer '{name}': the bias does not match the kernel"),
            ));
        }
        bias.clone()
    } else {
        vec![0.0; cout]
    };
    let op = Op::Conv {
        input,
        kernel: [kh, kw],
        in_channels: cin,
        out_channels: cout,
        activation: activation(cfg, name, file)?,
    };
    Ok((
        op,
        ConvWeights {
            kernel: kernel.clone(),
            bias,
        },
    ))
}

/// Every weight tensor by name: (shape, values). Each manifest group's
/// shards are concatenated and its tensors follow one another in them.
fn read_weights(
    root: &Value,
    file: &str,
    read_shard: &mut impl FnMut(&str) -> Result<Vec<u8>>,
) -> Result<Tensors> {
    let groups = root["weightsManifest"]
        .as_array()
        .ok_or_else(|| bad(file, "no weightsManifest"))?;
    let mut tensors = HashMap::new();
    for group in groups {
        let mut data = Vec::new();
        for path in group["paths"].as_array().into_iter().flatten() {
            let path = path
                .as_str()
                .ok_or_else(|| bad(file, "a shard path is not a string"))?;
            if path.contains("..") || path.starts_with('/') {
                return Err(bad(
                    file,
                    format!("shard path '{path}' leaves the model's folder"),
                ));
            }
            data.extend(read_shard(path)?);
        }
        let mut offset = 0usize;
        for w in group["weights"].as_array().into_iter().flatten() {
            let name = w["name"].as_str().unwrap_or("").to_string();
            if w["dtype"] != "float32" || !w["quantization"].is_null() {
                return Err(bad(
                    file,
                    format!("weight '{name}': only unquantised float32 weights are supported"),
                ));
            }
            let shape: Vec<usize> = w["shape"]
                .as_array()
                .map(|s| s.iter().map(|d| d.as_u64().unwrap_or(0) as usize).collect())
                .unwrap_or_default();
            let count = shape
                .iter()
                .try_fold(1usize, |acc, &d| acc.checked_mul(d))
                .filter(|&c| c <= 1 << 28)
                .ok_or_else(|| bad(file, format!("weight '{name}' is too large")))?;
            let end = offset + count * 4;
            let bytes = data.get(offset..end).ok_or_else(|| {
                bad(
                    file,
                    format!(
                        "the weight shards end before '{name}' (truncated?): {} bytes, need {end}",
                        data.len()
                    ),
                )
            })?;
            let values = bytes
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes(c.try_into().unwrap()))
                .collect();
            tensors.insert(name, (shape, values));
            offset = end;
        }
        if offset != data.len() {
            return Err(bad(
                file,
                format!(
                    "the weight shards hold {} bytes, the manifest describes {offset}",
                    data.len()
                ),
            ));
        }
    }
    Ok(tensors)
}
