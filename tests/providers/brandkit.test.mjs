// The brand kit on the wire: a project's style, palette and reference images, planned by the
// core (web/pkg, built by `./build.sh build`) and sent by the bridges to the local mock servers.
// The references must arrive byte for byte as the extra image[] parts (OpenAI) or inline parts
// (Gemini) after the edited image, capped at what each provider takes, and the style and
// palette must be in the prompt. RETOUCH_PKG=dir/ points at another build.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as openai from '../../web/bridge/openai.js';
import * as gemini from '../../web/bridge/gemini.js';
import { startOpenAI, startGemini } from './mock-servers.mjs';
import { fastPolicy, loadCore } from './shared.mjs';

const { Project, Image, Mask, planProviderJob } = await loadCore();

const W = 300;
const H = 200;
const STYLE = 'ink wash, muted greens';
const PALETTE = ['#123456', '#a0b0c0'];
const fast = fastPolicy({ maxRetries: 0, maxDelayMs: 100 });
let project;
let image;
let selection;
let references;

function solidPng(width, height, [r, g, b]) {
  const rgba = new Uint8Array(width * height * 4);
  for (let i = 0; i < rgba.length; i += 4) rgba.set([r, g, b, 255], i);
  const picture = Image.fromRgba(width, height, rgba);
  try {
    return picture.encodePng();
  } finally {
    picture.free();
  }
}

before(() => {
  project = new Project(W, H);
  project.setBrandStyle(STYLE);
  project.setBrandPalette(PALETTE);
  for (const colour of [[200, 30, 30], [30, 200, 30], [30, 30, 200]]) project.addBrandReference(solidPng(40, 24, colour));
  references = project.brandReferences();
  const rgba = Uint8Array.from({ length: W * H * 4 }, (_, i) => (i % 4 === 3 ? 255 : (i * 7) & 255));
  image = Image.fromRgba(W, H, rgba);
  const values = new Uint8Array(W * H);
  for (let y = 80; y < 120; y++) values.fill(255, y * W + 100, y * W + 180);
  selection = Mask.fromValues(W, H, values);
});

after(() => {
  image.free();
  selection.free();
  project.free();
});

function plan(providerId) {
  return planProviderJob(providerId, image, selection, {
    prompt: 'a paper lantern',
    brandKit: project.brandPromptKit(),
    referenceImages: references.length,
  });
}

function assertBrandPrompt(prompt) {
  assert.ok(prompt.startsWith('a paper lantern'), prompt);
  assert.ok(prompt.includes(`Style: ${STYLE}`), prompt);
  assert.ok(prompt.includes(`Colour palette: ${PALETTE.join(', ')}`), prompt);
}

test('the references travel as extra image[] parts to OpenAI, the style in the prompt', async () => {
  const job = plan('retouch.provider.openai');
  assert.equal(job.plan.referenceImages, 3, 'OpenAI takes them all');
  assertBrandPrompt(job.plan.prompt);
  const apiKey = 'sk-test-brand-0123456789abcdef';
  const server = await startOpenAI({
    apiKey,
    imageSize: [job.plan.width, job.plan.height],
    references: 3,
    fields: { model: job.plan.model, prompt: job.plan.prompt, n: '1', size: job.plan.size, output_format: 'png' },
    files: { 'image[]': [job.imagePng, ...references], mask: job.maskPng },
  });
  try {
    await openai.edit({
      apiKey,
      baseUrl: `${server.origin}/v1`,
      model: job.plan.model,
      image: job.imagePng,
      mask: job.maskPng,
      referenceImages: references.slice(0, job.plan.referenceImages),
      prompt: job.plan.prompt,
      size: job.plan.size,
      policy: fast,
    });
    assert.deepEqual(server.violations, []);
    const form = await server.requests[0].formData();
    const parts = form.getAll('image[]');
    assert.equal(parts.length, 4);
    assert.deepEqual(new Uint8Array(await parts[0].arrayBuffer()), job.imagePng, 'the edited crop comes first');
    for (const [i, reference] of references.entries()) {
      assert.deepEqual(new Uint8Array(await parts[i + 1].arrayBuffer()), reference, `reference ${i} byte for byte`);
    }
    // Multipart text fields carry line breaks as CRLF.
    assert.equal(form.get('prompt').replace(/\r\n/g, '\n'), job.plan.prompt);
    assertBrandPrompt(form.get('prompt'));
  } finally {
    await server.close();
  }
});

test('Gemini gets inline parts after the crop, capped at the two it takes', async () => {
  const job = plan('retouch.provider.gemini');
  assert.equal(job.plan.referenceImages, 2);
  assertBrandPrompt(job.plan.prompt);
  const apiKey = 'AIza-test-brand-0123456789';
  const server = await startGemini({
    apiKey,
    model: job.plan.model,
    imageSize: [job.plan.width, job.plan.height],
    fields: { prompt: job.plan.prompt, generationConfig: { responseModalities: ['IMAGE'], imageConfig: { aspectRatio: job.plan.aspectRatio } } },
    files: [job.imagePng, ...references.slice(0, 2)],
  });
  try {
    await gemini.edit({
      apiKey,
      baseUrl: `${server.origin}/v1beta`,
      model: job.plan.model,
      image: job.imagePng,
      referenceImages: references.slice(0, job.plan.referenceImages),
      prompt: job.plan.prompt,
      aspectRatio: job.plan.aspectRatio,
      policy: fast,
    });
    assert.deepEqual(server.violations, []);
    const [turn] = JSON.parse(server.requests[0].body.toString('utf8')).contents;
    const inline = turn.parts.filter((p) => p.inlineData).map((p) => Buffer.from(p.inlineData.data, 'base64'));
    assert.equal(inline.length, 3);
    assert.deepEqual(new Uint8Array(inline[0]), job.imagePng);
    assert.deepEqual(new Uint8Array(inline[1]), references[0]);
    assert.deepEqual(new Uint8Array(inline[2]), references[1]);
    assertBrandPrompt(turn.parts.find((p) => typeof p.text === 'string').text);
  } finally {
    await server.close();
  }
});

test('Stability and the offline mock take no references; the style still joins the prompt', () => {
  for (const id of ['retouch.provider.stability', 'retouch.provider.mock']) {
    const job = plan(id);
    assert.equal(job.plan.referenceImages, 0, id);
    assertBrandPrompt(job.plan.prompt);
  }
});
