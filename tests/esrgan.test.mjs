// The AI upscaler against the original: `retouch model convert` turns the
// registry packages' TensorFlow.js models into .rtnet files, `retouch resize
// --filter esrgan` upscales a crop of a photograph, and @tensorflow/tfjs (its
// plain CPU backend) runs the packages' own model.json on the same crop, for
// each of our backends (the GPU's WGSL kernels where an adapter opens).
// Tolerance on the 8-bit output: max |diff| ≤ 2 and mean |diff| < 0.05 per
// channel (the .rtnet weights are f16, tfjs runs f32; rounding to 8 bits
// turns the small float differences into at most a level or two).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { root, cli, run, buildCli, backends } from './cli.mjs';
import { decodePng } from './providers/png.mjs';

const out = fileURLToPath(new URL('out/esrgan/', import.meta.url));
const models = `${out}models/`;
const packages = fileURLToPath(new URL('node_modules/@upscalerjs/', import.meta.url));
const photo = `${root}crate/tests/photos/chelsea.png`;
const CROP = { x: 70, y: 30, width: 40, height: 32 };
// Thick does ten times medium's work per pixel: a smaller crop of the same place.
const THICK_CROP = { x: 70, y: 30, width: 24, height: 20 };
// [network, scale, crop]
const CASES = [['slim', 4, CROP], ['medium', 4, CROP], ['medium', 2, CROP], ['thick', 4, THICK_CROP]];
// The pixel range each network was trained on, as its package's model definition declares it
// (`inputRange`): slim and medium take 0..255, thick 0..1.
const RANGE = { slim: 255, medium: 255, thick: 1 };

function convert(size, scale) {
  const target = `${models}esrgan-${size}-x${scale}.rtnet`;
  run(cli, ['model', 'convert', `${packages}esrgan-${size}/models/x${scale}/model.json`, '-o', target,
    '--range', String(RANGE[size])]);
  return target;
}

// Thick's custom layers, registered as its package registers them (a scale by its fixed beta of
// 0.2, TensorFlow's depthToSpace): the reference runs them through TensorFlow.js itself.
class MultiplyBeta extends tf.layers.Layer {
  static className = 'MultiplyBeta';
  call(inputs) {
    return tf.mul(Array.isArray(inputs) ? inputs[0] : inputs, 0.2);
  }
}
for (const block of [2, 3, 4]) {
  tf.serialization.registerClass(class extends tf.layers.Layer {
    static className = `PixelShuffle${block}x`;
    computeOutputShape(shape) {
      return [shape[0], shape[1] && shape[1] * block, shape[2] && shape[2] * block, shape[3] / (block * block)];
    }
    call(inputs) {
      return tf.depthToSpace(Array.isArray(inputs) ? inputs[0] : inputs, block, 'NHWC');
    }
  });
}
tf.serialization.registerClass(MultiplyBeta);

async function reference(size, scale, crop, pixels) {
  const folder = `${packages}esrgan-${size}/models/x${scale}/`;
  const json = JSON.parse(readFileSync(`${folder}model.json`, 'utf8'));
  const shards = json.weightsManifest.flatMap((g) => g.paths.map((p) => readFileSync(folder + p)));
  const data = Buffer.concat(shards);
  const model = await tf.loadLayersModel({
    load: async () => ({
      modelTopology: json.modelTopology,
      weightSpecs: json.weightsManifest.flatMap((g) => g.weights),
      weightData: data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength),
    }),
  });
  const range = RANGE[size];
  const input = tf.tensor4d(pixels.map((v) => (v * range) / 255), [1, crop.height, crop.width, 3], 'float32');
  const output = model.predict(input);
  const values = await output.data();
  tf.dispose([input, output]);
  model.dispose();
  return Uint8Array.from(values, (v) => Math.min(255, Math.max(0, Math.round((v * 255) / range))));
}

test('retouch resize --filter esrgan agrees with TensorFlow.js running the original model.json', async (t) => {
  buildCli();
  await tf.setBackend('cpu');
  rmSync(out, { recursive: true, force: true });
  mkdirSync(models, { recursive: true });
  const source = decodePng(readFileSync(photo));
  for (const [size, scale, crop] of CASES) {
    const pixels = [];
    for (let y = crop.y; y < crop.y + crop.height; y += 1) {
      for (let x = crop.x; x < crop.x + crop.width; x += 1) pixels.push(...source.at(x, y).slice(0, 3));
    }
    convert(size, scale);
    const theirs = await reference(size, scale, crop, pixels);
    for (const backend of backends(t)) {
      const output = `${out}${size}-x${scale}-${backend}.png`;
      run(cli, ['resize', photo, '-o', output, '--region', `${crop.x},${crop.y},${crop.width},${crop.height}`,
        '--filter', 'esrgan', '--scale', String(scale), '--model', size, '--models', models, '--backend', backend]);
      const ours = decodePng(readFileSync(output));
      assert.deepEqual([ours.width, ours.height], [crop.width * scale, crop.height * scale]);
      let max = 0;
      let sum = 0;
      for (let i = 0, j = 0; i < theirs.length; i += 3, j += ours.channels) {
        for (let c = 0; c < 3; c += 1) {
          const d = Math.abs(theirs[i + c] - ours.samples[j + c]);
          max = Math.max(max, d);
          sum += d;
        }
      }
      const mean = sum / theirs.length;
      t.diagnostic(`${size} ×${scale} (${backend}): max |diff| ${max}, mean |diff| ${mean.toFixed(4)}`);
      assert.ok(max <= 2 && mean < 0.05, `${size} ×${scale} (${backend}): max ${max}, mean ${mean}`);
    }
  }
});

test('retouch resize --filter esrgan refuses what it cannot do, naming it', () => {
  buildCli();
  const fails = (args, pattern) => {
    const result = spawnSync(cli, ['resize', photo, '-o', `${out}never.png`, '--filter', 'esrgan', ...args], { encoding: 'utf8' });
    assert.notEqual(result.status, 0, args.join(' '));
    assert.match(result.stderr, pattern);
  };
  mkdirSync(models, { recursive: true });
  fails(['--scale', '5', '--models', models], /scale.*×2, ×3 or ×4/);
  fails(['--size', '400x300'], /--scale 2, 3 or 4/);
  fails(['--scale', '2', '--model', 'huge'], /unknown model 'huge'/);
  fails(['--scale', '3', '--models', `${out}nowhere`], /esrgan-slim-x3\.rtnet not found/);
  const damaged = `${out}damaged/`;
  mkdirSync(damaged, { recursive: true });
  const bytes = readFileSync(convert('slim', 2));
  writeFileSync(`${damaged}esrgan-slim-x2.rtnet`, bytes.subarray(0, bytes.length - 100));
  fails(['--scale', '2', '--model', 'slim', '--models', damaged], /esrgan-slim-x2\.rtnet.*truncated/);
});
