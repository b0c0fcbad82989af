// Outpainting through the bridges against the local mock servers: the core plans the job
// (web/pkg), the bridge sends what the plan says, the mock checks every field and the core
// ingests the answer. Stability gets its own outpaint endpoint (kept picture + side amounts, no
// mask); OpenAI gets an edit of the crop whose new area is transparent and masked (alpha 0).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as stability from '../../web/bridge/stability.js';
import * as openai from '../../web/bridge/openai.js';
import * as gemini from '../../web/bridge/gemini.js';
import { startStability, startOpenAI, startGemini } from './mock-servers.mjs';
import { decodePng } from './png.mjs';
import { fastPolicy, loadCore } from './shared.mjs';

const wasm = await loadCore();
const fast = fastPolicy({ maxRetries: 0, maxDelayMs: 100, timeoutMs: 10_000 });
const W = 480;
const H = 320;
const STABILITY_KEY = 'sk-test-stability-outpaint-0123';
const OPENAI_KEY = 'sk-test-openai-outpaint-0123';
const GEMINI_KEY = 'AIza-test-outpaint-0123456789';
const servers = [];

/** An opaque gradient picture as a core Image. */
function photo() {
  const rgba = new Uint8Array(W * H * 4);
  for (let i = 0; i < W * H; i++) {
    const x = i % W;
    const y = Math.floor(i / W);
    rgba.set([30 + ((x * 200) / W) | 0, 50 + ((y * 150) / H) | 0, 120 + ((x ^ y) & 15), 255], i * 4);
  }
  return wasm.Image.fromRgba(W, H, rgba);
}

const ingestOptions = { createdAt: '2026-11-27T03:00:00Z' };

after(async () => {
  for (const server of servers) await server.close();
});

test('Stability: outpaint endpoint with the plan’s side amounts, the kept picture and no mask', async () => {
  const image = photo();
  const job = wasm.planOutpaintJob('retouch.provider.stability', image, { prompt: 'more meadow', left: 96, bottom: 64 });
  const { plan } = job;
  const sides = plan.outpaint.native;
  assert.ok(sides, 'a native outpaint plan');
  assert.equal(job.maskPng, null);
  const kept = decodePng(job.imagePng);
  assert.equal(kept.width + sides.left + sides.right, plan.width);
  assert.equal(kept.height + sides.up + sides.down, plan.height);
  const server = await startStability({
    apiKey: STABILITY_KEY,
    imageSize: [kept.width, kept.height],
    prompt: plan.prompt,
    outpaint: [sides.left, sides.right, sides.up, sides.down],
    fields: { left: String(sides.left), right: String(sides.right), up: String(sides.up), down: String(sides.down), prompt: plan.prompt, seed: '5', output_format: 'png' },
    files: { image: job.imagePng },
  });
  servers.push(server);
  // As the Generate panel calls it.
  const answer = await stability.outpaint({ ...sides, apiKey: STABILITY_KEY, baseUrl: server.origin, image: job.imagePng, prompt: plan.prompt, seed: 5, policy: fast });
  assert.deepEqual(server.violations, []);
  assert.equal(server.requests.length, 1);
  assert.equal(server.requests[0].path, '/v2beta/stable-image/edit/outpaint');
  const form = await server.requests[0].formData();
  assert.equal(form.get('seed'), '5');
  assert.ok(!form.has('mask'));
  const png = decodePng(answer.images[0].bytes);
  assert.deepEqual([png.width, png.height], [plan.width, plan.height], 'the answer is the whole crop');
  const ingested = wasm.ingestOutpaintResult(image, plan, answer.images[0].bytes, ingestOptions);
  assert.equal(ingested.metrics.changedOutside, 0);
  assert.deepEqual([ingested.offsetX, ingested.offsetY], [plan.crop.x, plan.crop.y]);
  assert.deepEqual([ingested.layer.width, ingested.layer.height], [plan.crop.width, plan.crop.height]);
  assert.equal(ingested.provenance.operation, 'outpaint');
  ingested.layer.free();
  image.free();
});

test('OpenAI: an edit of the extended crop, new area transparent and masked (alpha 0)', async () => {
  const image = photo();
  const job = wasm.planOutpaintJob('retouch.provider.openai', image, { prompt: 'more sky', top: 128, variants: 2 });
  const { plan } = job;
  assert.equal(plan.outpaint.native, null);
  assert.deepEqual([plan.canvasWidth, plan.canvasHeight], [W, H + 128]);
  // A point in the new strip and one deep in the kept picture, in sent pixels.
  const sx = plan.width / plan.crop.width;
  const sy = plan.height / plan.crop.height;
  const editPoint = [Math.floor((W / 2 - plan.crop.x) * sx), Math.floor((20 - plan.crop.y) * sy)];
  const keepPoint = [Math.floor((W / 2 - plan.crop.x) * sx), plan.height - 2];
  const server = await startOpenAI({
    apiKey: OPENAI_KEY,
    imageSize: [plan.width, plan.height],
    editPoint,
    keepPoint,
    fields: { model: plan.model, prompt: plan.prompt, n: '2', size: plan.size, output_format: 'png' },
    files: { image: job.imagePng, mask: job.maskPng },
  });
  servers.push(server);
  const answer = await openai.edit({
    apiKey: OPENAI_KEY, baseUrl: `${server.origin}/v1`, model: plan.model, image: job.imagePng, mask: job.maskPng, prompt: plan.prompt, n: 2, size: plan.size, policy: fast,
  });
  assert.deepEqual(server.violations, []);
  assert.equal(answer.images.length, 2);
  // The image itself is transparent where the canvas is new, opaque where it is kept.
  const form = await server.requests[0].formData();
  const sent = decodePng(new Uint8Array(await form.get('image').arrayBuffer()));
  assert.equal(sent.at(...editPoint).at(-1), 0);
  assert.equal(sent.at(...keepPoint).at(-1), 255);
  for (const [variant, { bytes }] of answer.images.entries()) {
    const ingested = wasm.ingestOutpaintResult(image, plan, bytes, { ...ingestOptions, variant });
    assert.equal(ingested.metrics.changedOutside, 0);
    assert.equal(ingested.offsetY, 0, 'the layer starts at the new top edge');
    ingested.layer.free();
  }
  image.free();
});

test('Gemini: the crop with its transparent area and the ratio, no mask; the prompt names the edges', async () => {
  const image = photo();
  const job = wasm.planOutpaintJob('retouch.provider.gemini', image, { left: 80, right: 80 });
  const { plan } = job;
  assert.equal(job.maskPng, null);
  assert.ok(plan.aspectRatio);
  assert.match(plan.prompt, /^Extend the picture naturally/, 'an empty prompt asks to continue the picture');
  assert.match(plan.prompt, /transparent area along the left and right edges/);
  const server = await startGemini({
    apiKey: GEMINI_KEY,
    model: plan.model,
    imageSize: [plan.width, plan.height],
    answerSize: [plan.width, plan.height],
    fields: { prompt: plan.prompt, generationConfig: { responseModalities: ['IMAGE'], imageConfig: { aspectRatio: plan.aspectRatio } } },
    files: [job.imagePng],
  });
  servers.push(server);
  const answer = await gemini.edit({ apiKey: GEMINI_KEY, baseUrl: `${server.origin}/v1beta`, model: plan.model, image: job.imagePng, prompt: plan.prompt, aspectRatio: plan.aspectRatio, policy: fast });
  assert.deepEqual(server.violations, []);
  const ingested = wasm.ingestOutpaintResult(image, plan, answer.images[0].bytes, ingestOptions);
  assert.equal(ingested.metrics.changedOutside, 0);
  ingested.layer.free();
  image.free();
});

test('the document grows and adds the layer in one step; undo restores the size and pixels', () => {
  const image = photo();
  const project = new wasm.Project(W, H);
  project.addLayer(image, { name: 'Background' });
  project.renderCpu();
  const before = project.compositeRegion(0, 0, W, H);
  const job = wasm.planOutpaintJob('retouch.provider.mock', image, { left: 40, right: 24 });
  const answer = wasm.mockProviderAnswer(job.imagePng, job.maskPng, job.plan.prompt, 1);
  const ingested = wasm.ingestOutpaintResult(image, job.plan, answer, ingestOptions);
  const steps = project.history().entries.length;
  project.extendCanvasWithLayer(40, 0, 24, 0, ingested.layer, { name: ingested.name, x: ingested.offsetX, y: ingested.offsetY });
  assert.equal(project.history().entries.length, steps + 1);
  assert.deepEqual([project.width, project.height], [W + 64, H]);
  project.renderCpu();
  const grown = project.compositeRegion(0, 0, W + 64, H);
  assert.equal(grown[3], 255, 'the new left strip is filled');
  assert.equal(grown[((H - 1) * (W + 64) + W + 63) * 4 + 3], 255, 'the new right strip is filled');
  // Far from the joins the old picture is byte-identical, only shifted.
  const row = 100;
  const x0 = 40 + 64;
  const span = W - 128;
  const old = before.slice((row * W + 64) * 4, (row * W + 64 + span) * 4);
  const now = grown.slice((row * (W + 64) + x0) * 4, (row * (W + 64) + x0 + span) * 4);
  assert.deepEqual(now, old);
  project.undo();
  assert.deepEqual([project.width, project.height], [W, H]);
  project.renderCpu();
  assert.deepEqual(project.compositeRegion(0, 0, W, H), before);
  ingested.layer.free();
  project.free();
  image.free();
});

test('bad extensions are refused by the plan with a reason', () => {
  const image = photo();
  assert.throws(() => wasm.planOutpaintJob('retouch.provider.openai', image, { prompt: 'x' }), /at least one side/);
  assert.throws(() => wasm.planOutpaintJob('retouch.provider.openai', image, { prompt: 'x', right: 20000 }), /16384|large|limit/i);
  image.free();
});
