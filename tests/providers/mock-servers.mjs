// Local stand-ins for the providers, on 127.0.0.1 with a free port. Each speaks the provider's
// documented wire format (see shared/reference/providers.md) and checks every field of every
// request it receives: an unexpected field, a wrong content type, a key in the URL, a mask in the
// wrong convention or an image of the wrong size is recorded in `violations` and answered with
// HTTP 422 "mock server: ...", so a test fails loudly with the reason.
//
// Allowed values are not enough: a bridge that sends n=2 for 1, quality "high" for "medium",
// another model or a changed prompt would still pass. So the test tells the mock what it sent:
//   expect.fields  every non-image value of the request, by its wire name (multipart text parts
//                  as strings, JSON values as JSON; Gemini: `prompt` and the top-level fields
//                  besides `contents`). The request must carry exactly these names, no more and
//                  no fewer, each with exactly this value; `sequence(a, b, ...)` for a value that
//                  changes from one request to the next (Stability's seeds).
//   expect.files   the images, byte for byte: `{image, mask, 'image[]': [...]}` by part name
//                  (OpenAI, Stability), or the inline images in order (Gemini).
// `server.expect` is that object: a test may change it, or replace it, between requests. Without
// `fields` / `files` only the values the older keys name (prompt, model, imageSize, editPoint...)
// are compared exactly, the rest against what the provider allows.
//
// `server.script` is a queue of answers, one per request ('ok' when empty):
//   ok, auth, rate_limit, blocked, blocked_prompt (Gemini), image_safety (Gemini),
//   filtered (Stability), too_large, malformed, wrong_size, slow, server_error.

import http from 'node:http';
import { isDeepStrictEqual } from 'node:util';
import { decodePng, picture } from './png.mjs';

/** Image model names the OpenAI spec lists for edits and generations. */
const OPENAI_MODELS = ['gpt-image-1', 'gpt-image-1-mini', 'gpt-image-1.5', 'gpt-image-2', 'chatgpt-image-latest'];
const OPENAI_SIZES = ['1024x1024', '1536x1024', '1024x1536', 'auto'];
const GEMINI_RATIOS = ['1:1', '2:3', '3:2', '3:4', '4:3', '4:5', '5:4', '9:16', '16:9', '21:9'];

class Violation extends Error {}

function check(condition, message) {
  if (!condition) throw new Violation(message);
}

class Sequence {
  constructor(values) {
    this.values = values;
    this.taken = 0;
  }
}

/** An expected value that changes from one request to the next: the k-th request checked gets `values[k]`. */
export function sequence(...values) {
  return new Sequence(values);
}

function show(value) {
  if (value instanceof Sequence) return `one of the sequence ${JSON.stringify(value.values)}`;
  return value === undefined ? 'nothing' : JSON.stringify(value);
}

/** Multipart text fields carry line breaks as CRLF on the wire; the test wrote them as LF. */
const lf = (text) => (typeof text === 'string' ? text.replace(/\r\n/g, '\n') : text);

/**
 * `sent` (name → value) against `expect.fields`: the same names, each with the value the test
 * sent. Nothing is compared when the test gave no `fields`.
 */
function exactFields(sent, expect, what) {
  const want = expect.fields;
  if (!want) return;
  for (const name of Object.keys(want)) check(name in sent, `${what} '${name}' is missing; the test sent ${show(want[name])}`);
  for (const name of Object.keys(sent)) check(name in want, `${what} '${name}' is ${show(sent[name])}, the test sent none`);
  for (const [name, value] of Object.entries(want)) {
    let wanted = value;
    if (value instanceof Sequence) {
      check(value.taken < value.values.length, `${what} '${name}': more requests than the ${value.values.length} the test expected`);
      wanted = value.values[value.taken];
      value.taken += 1;
    }
    check(isDeepStrictEqual(sent[name], wanted), `${what} '${name}' is ${show(sent[name])}, the test sent ${show(wanted)}`);
  }
}

function sameBytes(sent, wanted, what) {
  const a = Buffer.from(sent);
  const b = Buffer.from(wanted);
  if (a.equals(b)) return;
  let at = 0;
  while (at < Math.min(a.length, b.length) && a[at] === b[at]) at += 1;
  throw new Violation(`${what} differs from the bytes the test sent (${a.length} bytes, expected ${b.length}; first difference at byte ${at})`);
}

/** Uploaded file parts (name → [Uint8Array]) against `expect.files` (name → bytes or [bytes]). */
function exactFiles(sent, expect) {
  if (!expect.files) return;
  const want = Object.fromEntries(Object.entries(expect.files).map(([name, v]) => [name, Array.isArray(v) ? v : [v]]));
  for (const name of Object.keys(want)) check(name in sent, `file part '${name}' is missing`);
  for (const name of Object.keys(sent)) check(name in want, `file part '${name}' was sent, the test sent none`);
  for (const [name, files] of Object.entries(want)) {
    check(sent[name].length === files.length, `${sent[name].length} '${name}' parts, the test sent ${files.length}`);
    files.forEach((bytes, i) => sameBytes(sent[name][i], bytes, files.length > 1 ? `${name} #${i}` : name));
  }
}

/** A form's parts split into text fields (name → string, LF line breaks) and files (name → [bytes]). */
async function formParts(form) {
  const fields = {};
  const files = {};
  for (const [name, value] of form.entries()) {
    if (typeof value === 'string') fields[name] = lf(value);
    else (files[name] ??= []).push(new Uint8Array(await value.arrayBuffer()));
  }
  return { fields, files };
}

/**
 * Starts a server whose `route(request)` returns `{status, headers, body}`. `request` has
 * `method, path, query, headers, body (Buffer), formData()`.
 */
async function startServer(name, expect, route, options = {}) {
  const server = {
    name,
    expect,
    script: [],
    requests: [],
    violations: [],
    slowMs: options.slowMs ?? 1500,
    origin: '',
    close: null,
  };
  const sockets = new Set();
  const httpServer = http.createServer(async (req, res) => {
    const chunks = [];
    for await (const piece of req) chunks.push(piece);
    const body = Buffer.concat(chunks);
    const url = new URL(req.url, 'http://127.0.0.1');
    const cors = {
      'Access-Control-Allow-Origin': '*',
      'Access-Control-Allow-Methods': 'POST, GET, PUT, OPTIONS',
      'Access-Control-Allow-Headers': req.headers['access-control-request-headers'] ?? '*',
      'Access-Control-Expose-Headers': 'retry-after, x-request-id',
    };
    if (req.method === 'OPTIONS') {
      res.writeHead(204, cors).end();
      return;
    }
    const request = {
      method: req.method,
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers,
      body,
      // undici's multipart parser, so the mock does not trust a parser of ours.
      formData: () => new Request('http://127.0.0.1/', { method: 'POST', headers: { 'content-type': req.headers['content-type'] ?? '' }, body }).formData(),
    };
    server.requests.push(request);
    const mode = server.script.length ? server.script.shift() : 'ok';
    let answer;
    try {
      check(req.method === 'POST', `expected POST, got ${req.method}`);
      check(![...url.searchParams.keys()].includes('key'), 'the API key must not be in the URL');
      answer = await route(request, mode, server, server.expect);
    } catch (error) {
      if (!(error instanceof Violation)) throw error;
      server.violations.push(error.message);
      const message = `mock server: ${error.message}`;
      // In the provider's own error shape, so the bridge shows the reason.
      answer = { status: 422, body: options.violationBody?.(message) ?? { error: { message } } };
    }
    // A client that gave up (timed out, cancelled) ends the wait, so a long
    // slowMs never keeps the process alive after the test.
    if (mode === 'slow') {
      await new Promise((resolve) => {
        const timer = setTimeout(resolve, server.slowMs);
        res.on('close', () => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    if (res.destroyed) return;
    const text = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
    res.writeHead(answer.status, { 'Content-Type': 'application/json', ...cors, ...answer.headers });
    res.end(text);
  });
  httpServer.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  const { port } = httpServer.address();
  server.origin = `http://127.0.0.1:${port}`;
  server.close = () => new Promise((resolve) => {
    for (const socket of sockets) socket.destroy();
    httpServer.close(resolve);
  });
  return server;
}

/** Reads an uploaded PNG part and checks its declared type. */
async function pngPart(file, what) {
  check(file && typeof file === 'object' && typeof file.arrayBuffer === 'function', `${what} must be a file part`);
  check(file.type === 'image/png', `${what} must be sent as image/png, got '${file.type}'`);
  const bytes = new Uint8Array(await file.arrayBuffer());
  try {
    return { bytes, png: decodePng(bytes) };
  } catch (error) {
    throw new Violation(`${what} is not a readable PNG: ${error.message}`);
  }
}

function checkPoints(png, expect, what, editValue, keepValue, sample) {
  if (expect.editPoint) {
    const v = sample(png.at(...expect.editPoint));
    check(v === editValue, `${what} at edit point ${expect.editPoint} is ${v}, expected ${editValue}`);
  }
  if (expect.keepPoint) {
    const v = sample(png.at(...expect.keepPoint));
    check(v === keepValue, `${what} at keep point ${expect.keepPoint} is ${v}, expected ${keepValue}`);
  }
}

function allowedOnly(names, allowed, what) {
  for (const name of names) check(allowed.includes(name), `unexpected ${what} '${name}'`);
}

function outputSize(mode, width, height) {
  return mode === 'wrong_size' ? [Math.max(8, width >> 1) + 3, Math.max(8, height >> 1)] : [width, height];
}

// ------------------------------------------------------------------------------------- OpenAI

/**
 * OpenAI Images. `expect`: `{apiKey, prompt?, model?, imageSize: [w, h], editPoint?, keepPoint?,
 * references?, fields?, files?: {image | 'image[]', mask}}`. Answers carry
 * `retry-after: retryAfterSeconds` on 429.
 */
export function startOpenAI(expect, options = {}) {
  return startServer('openai', expect, async (request, mode, server, expect) => {
    check(request.headers.authorization === `Bearer ${expect.apiKey}`, 'Authorization must be "Bearer <key>"');
    const failure = openAIFailure(mode, options);
    let n;
    let size;
    if (request.path === '/v1/images/edits') {
      check(/^multipart\/form-data; boundary=/.test(request.headers['content-type'] ?? ''), `edits need multipart/form-data, got '${request.headers['content-type']}'`);
      const form = await request.formData();
      const names = [...new Set(form.keys())];
      allowedOnly(names, ['image', 'image[]', 'mask', 'prompt', 'model', 'n', 'size', 'quality', 'input_fidelity', 'output_format', 'background', 'output_compression', 'user'], 'multipart part');
      for (const name of names) {
        if (name !== 'image[]') check(form.getAll(name).length === 1, `part '${name}' is repeated`);
      }
      check(!(form.has('image') && form.has('image[]')), "send either 'image' or repeated 'image[]', not both");
      const images = form.has('image') ? form.getAll('image') : form.getAll('image[]');
      check(images.length >= 1 && images.length <= 16, `1 to 16 images, got ${images.length}`);
      check(images.length === 1 + (expect.references ?? 0), `expected ${1 + (expect.references ?? 0)} images, got ${images.length}`);
      const first = await pngPart(images[0], 'image');
      check(first.png.width === expect.imageSize[0] && first.png.height === expect.imageSize[1],
        `image is ${first.png.width}x${first.png.height}, expected ${expect.imageSize.join('x')}`);
      for (let i = 1; i < images.length; i += 1) await pngPart(images[i], `image[${i}]`);
      if (form.has('mask')) {
        const mask = await pngPart(form.get('mask'), 'mask');
        check(mask.png.channels === 2 || mask.png.channels === 4, 'the mask must have an alpha channel');
        check(mask.png.width === first.png.width && mask.png.height === first.png.height, 'the mask must have the image\'s size');
        checkPoints(mask.png, expect, 'mask alpha', 0, 255, (px) => px[px.length - 1]);
      } else {
        check(!expect.editPoint, 'a mask was expected');
      }
      check(typeof form.get('prompt') === 'string' && form.get('prompt').length >= 1 && form.get('prompt').length <= 32000, 'prompt must be 1 to 32000 characters');
      if (expect.prompt) check(lf(form.get('prompt')) === expect.prompt, `prompt is '${form.get('prompt')}'`);
      check(OPENAI_MODELS.includes(form.get('model')), `model '${form.get('model')}' is not a gpt-image model`);
      if (expect.model) check(form.get('model') === expect.model, `model is '${form.get('model')}'`);
      n = form.has('n') ? form.get('n') : '1';
      size = form.get('size') ?? 'auto';
      if (form.has('quality')) check(['standard', 'low', 'medium', 'high', 'auto'].includes(form.get('quality')), `quality '${form.get('quality')}'`);
      if (form.has('input_fidelity')) check(['high', 'low'].includes(form.get('input_fidelity')), `input_fidelity '${form.get('input_fidelity')}'`);
      if (form.has('output_format')) check(['png', 'jpeg', 'webp'].includes(form.get('output_format')), `output_format '${form.get('output_format')}'`);
      if (size !== 'auto') check(size === `${first.png.width}x${first.png.height}`, `size ${size} differs from the image's ${first.png.width}x${first.png.height}`);
      const parts = await formParts(form);
      exactFields(parts.fields, expect, 'multipart part');
      exactFiles(parts.files, expect);
    } else if (request.path === '/v1/images/generations') {
      check(request.headers['content-type'] === 'application/json', 'generations need application/json');
      const json = JSON.parse(request.body.toString('utf8'));
      allowedOnly(Object.keys(json), ['model', 'prompt', 'n', 'size', 'quality', 'background', 'output_format', 'output_compression', 'moderation', 'user'], 'JSON field');
      check(OPENAI_MODELS.includes(json.model), `model '${json.model}' is not a gpt-image model`);
      check(typeof json.prompt === 'string' && json.prompt.length >= 1, 'prompt is required');
      check(json.n === undefined || Number.isInteger(json.n), 'n must be a JSON integer');
      n = String(json.n ?? 1);
      size = json.size ?? 'auto';
      if (expect.prompt) check(json.prompt === expect.prompt, `prompt is '${json.prompt}'`);
      if (expect.model) check(json.model === expect.model, `model is '${json.model}'`);
      exactFields(json, expect, 'JSON field');
    } else {
      throw new Violation(`unknown path ${request.path}`);
    }
    check(/^(10|[1-9])$/.test(n), `n must be 1 to 10, got '${n}'`);
    check(OPENAI_SIZES.includes(size), `size '${size}' is not a gpt-image size`);
    if (failure) return failure;
    const [w, h] = size === 'auto' ? [1024, 1024] : size.split('x').map(Number);
    const [ow, oh] = outputSize(mode, w, h);
    server.lastAnswerSize = [ow, oh];
    const b64 = Buffer.from(picture(ow, oh)).toString('base64');
    return {
      status: 200,
      headers: { 'x-request-id': 'req_mock' },
      body: {
        created: 1713833628,
        data: Array.from({ length: Number(n) }, () => ({ b64_json: b64 })),
        output_format: 'png',
        size: size === 'auto' ? '1024x1024' : size,
        quality: 'high',
        usage: { total_tokens: 100, input_tokens: 50, output_tokens: 50, input_tokens_details: { text_tokens: 10, image_tokens: 40 } },
      },
    };
  }, options);
}

function openAIFailure(mode, options) {
  const error = (status, message, type, code, headers = {}) => ({ status, headers, body: { error: { message, type, param: null, code } } });
  switch (mode) {
    case 'auth': return error(401, 'Incorrect API key provided: sk-te*****abcd. You can find your API key at https://platform.openai.com/account/api-keys.', 'invalid_request_error', 'invalid_api_key');
    case 'rate_limit': return error(429, 'Rate limit exceeded for images per minute in organization org-mock.', 'requests', 'rate_limit_exceeded', { 'retry-after': String(options.retryAfterSeconds ?? 1) });
    case 'quota': return error(429, 'You exceeded your current quota, please check your plan and billing details.', 'insufficient_quota', 'insufficient_quota');
    case 'blocked': return {
      status: 400,
      body: { error: { message: 'Your request was rejected by the safety system. safety_violations=[sexual].', type: 'image_generation_user_error', param: null, code: 'moderation_blocked', moderation_details: { moderation_stage: 'output', categories: ['sexual'] } } },
    };
    case 'too_large': return error(413, 'Request payload too large.', 'invalid_request_error', null);
    case 'server_error': return error(500, 'The server had an error while processing your request.', 'server_error', null);
    case 'malformed': return { status: 200, body: '{"created": 1713833628, "data": [{"b64_json": ' };
    // A misbehaving proxy that echoes the credentials it received.
    case 'echo_key': return error(401, `Key rejected: ${options.echo?.() ?? ''}`, 'invalid_request_error', 'invalid_api_key');
    default: return null;
  }
}

// ------------------------------------------------------------------------------------- Gemini

/**
 * Gemini generateContent. `expect`: `{apiKey, model, prompt?, imageSize?: [w, h], aspectRatio?,
 * images?, fields?: {prompt, generationConfig, ...}, files?: [bytes, ...]}`.
 */
export function startGemini(expect, options = {}) {
  return startServer('gemini', expect, async (request, mode, server, expect) => {
    const match = /^\/v1beta\/models\/([^/:]+):generateContent$/.exec(request.path);
    check(match, `unknown path ${request.path}`);
    check(match[1] === expect.model, `model '${match[1]}', expected '${expect.model}'`);
    check(request.headers['x-goog-api-key'] === expect.apiKey, 'x-goog-api-key must carry the key');
    check(request.headers.authorization === undefined, 'Gemini takes the key in x-goog-api-key only');
    check(request.headers['content-type'] === 'application/json', 'generateContent needs application/json');
    const json = JSON.parse(request.body.toString('utf8'));
    allowedOnly(Object.keys(json), ['contents', 'generationConfig', 'generation_config', 'safetySettings', 'safety_settings'], 'field');
    check(Array.isArray(json.contents) && json.contents.length === 1, 'one content turn expected');
    const [turn] = json.contents;
    check(turn.role === 'user', `role '${turn.role}'`);
    check(Array.isArray(turn.parts) && turn.parts.length >= 1, 'parts are required');
    const texts = turn.parts.filter((p) => typeof p.text === 'string');
    const blobs = turn.parts.filter((p) => p.inlineData ?? p.inline_data).map((p) => p.inlineData ?? p.inline_data);
    check(texts.length + blobs.length === turn.parts.length, 'a part must be text or inlineData');
    check(texts.length === 1 && texts[0].text.length > 0, 'one non-empty text part expected');
    if (expect.prompt) check(texts[0].text === expect.prompt, `prompt is '${texts[0].text}'`);
    const images = expect.files?.length ?? expect.images ?? (expect.imageSize ? 1 : 0);
    check(blobs.length === images, `expected ${images} images, got ${blobs.length}`);
    for (const [i, blob] of blobs.entries()) {
      const mime = blob.mimeType ?? blob.mime_type;
      check(mime === 'image/png', `image ${i} mimeType '${mime}'`);
      check(typeof blob.data === 'string' && !blob.data.startsWith('data:'), `image ${i} data must be plain base64`);
      const bytes = Buffer.from(blob.data, 'base64');
      check(bytes.toString('base64') === blob.data, `image ${i} data is not canonical base64`);
      let png;
      try {
        png = decodePng(bytes);
      } catch (error) {
        throw new Violation(`image ${i} is not a readable PNG: ${error.message}`);
      }
      if (i === 0 && expect.imageSize) {
        check(png.width === expect.imageSize[0] && png.height === expect.imageSize[1], `image is ${png.width}x${png.height}, expected ${expect.imageSize.join('x')}`);
      }
      if (expect.files) sameBytes(bytes, expect.files[i], `image ${i}`);
    }
    const config = json.generationConfig ?? json.generation_config ?? {};
    allowedOnly(Object.keys(config), ['responseModalities', 'response_modalities', 'imageConfig', 'image_config', 'candidateCount', 'candidate_count'], 'generationConfig field');
    const modalities = config.responseModalities ?? config.response_modalities;
    check(Array.isArray(modalities) && modalities.includes('IMAGE'), 'responseModalities must include IMAGE');
    check((config.candidateCount ?? config.candidate_count ?? 1) === 1, 'image models reject candidateCount > 1');
    const imageConfig = config.imageConfig ?? config.image_config;
    const ratio = imageConfig?.aspectRatio ?? imageConfig?.aspect_ratio;
    if (imageConfig) {
      allowedOnly(Object.keys(imageConfig), ['aspectRatio', 'aspect_ratio', 'imageSize', 'image_size'], 'imageConfig field');
      check(GEMINI_RATIOS.includes(ratio), `aspectRatio '${ratio}' is not supported`);
    }
    if (expect.aspectRatio) check(ratio === expect.aspectRatio, `aspectRatio '${ratio}', expected '${expect.aspectRatio}'`);
    const { contents, ...rest } = json;
    exactFields({ prompt: texts[0].text, ...rest }, expect, 'field');

    const status = (code, message, statusName, details = []) => ({ status: code, body: { error: { code, message, status: statusName, details } } });
    switch (mode) {
      case 'auth': return status(400, 'API key not valid. Please pass a valid API key.', 'INVALID_ARGUMENT', [
        { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'API_KEY_INVALID', domain: 'googleapis.com', metadata: { service: 'generativelanguage.googleapis.com' } },
      ]);
      case 'rate_limit': return status(429, 'You exceeded your current quota, please check your plan and billing details.', 'RESOURCE_EXHAUSTED', [
        { '@type': 'type.googleapis.com/google.rpc.QuotaFailure', violations: [{ quotaMetric: 'generativelanguage.googleapis.com/generate_content_free_tier_requests' }] },
        { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: options.retryDelay ?? '1s' },
      ]);
      case 'server_error': return status(503, 'The model is overloaded. Please try again later.', 'UNAVAILABLE');
      case 'too_large': return status(413, 'Request payload size exceeds the limit: 20971520 bytes.', 'INVALID_ARGUMENT');
      case 'blocked_prompt': return { status: 200, body: { promptFeedback: { blockReason: 'PROHIBITED_CONTENT', safetyRatings: [] }, modelVersion: expect.model } };
      case 'image_safety': return {
        status: 200,
        body: { candidates: [{ content: { role: 'model', parts: [] }, finishReason: 'IMAGE_SAFETY', finishMessage: 'Unable to show the generated image.', index: 0 }], modelVersion: expect.model },
      };
      case 'malformed': return { status: 200, body: '<html>upstream error</html>' };
      default: break;
    }
    const [w, h] = outputSize(mode, ...(expect.answerSize ?? [1024, 1024]));
    return {
      status: 200,
      body: {
        candidates: [{
          content: { role: 'model', parts: [{ text: 'Here is the edited image.' }, { inlineData: { mimeType: 'image/png', data: Buffer.from(picture(w, h)).toString('base64') } }] },
          finishReason: 'STOP',
          index: 0,
        }],
        usageMetadata: { promptTokenCount: 9, candidatesTokenCount: 1298, totalTokenCount: 1307 },
        modelVersion: expect.model,
        responseId: 'mock-response',
      },
    };
  }, options);
}

// ---------------------------------------------------------------------------------- Stability

const STABILITY_FIELDS = {
  '/v2beta/stable-image/edit/inpaint': ['image', 'mask', 'prompt', 'negative_prompt', 'grow_mask', 'seed', 'output_format', 'style_preset'],
  '/v2beta/stable-image/edit/outpaint': ['image', 'left', 'right', 'up', 'down', 'prompt', 'creativity', 'seed', 'output_format'],
  '/v2beta/stable-image/edit/erase': ['image', 'mask', 'grow_mask', 'seed', 'output_format'],
  '/v2beta/stable-image/upscale/fast': ['image', 'output_format'],
};

function integerField(form, name, min, max) {
  if (!form.has(name)) return null;
  const text = form.get(name);
  check(typeof text === 'string' && /^\d+$/.test(text), `${name} must be an integer, got '${text}'`);
  const value = Number(text);
  check(value >= min && value <= max, `${name} ${value} is outside ${min}..${max}`);
  return value;
}

/**
 * Stability v2beta. `expect`: `{apiKey, imageSize: [w, h], editPoint?, keepPoint?, prompt?,
 * outpaint?, fields?, files?: {image, mask}}`.
 */
export function startStability(expect, options = {}) {
  return startServer('stability', expect, async (request, mode, server, expect) => {
    const allowed = STABILITY_FIELDS[request.path];
    check(allowed, `unknown path ${request.path}`);
    check(request.headers.authorization === `Bearer ${expect.apiKey}`, 'authorization must be "Bearer <key>"');
    check(request.headers.accept === 'application/json', `accept must be application/json, got '${request.headers.accept}'`);
    check(/^multipart\/form-data; boundary=/.test(request.headers['content-type'] ?? ''), 'v2beta needs multipart/form-data');
    const form = await request.formData();
    const names = [...new Set(form.keys())];
    allowedOnly(names, allowed, 'multipart part');
    for (const name of names) check(form.getAll(name).length === 1, `part '${name}' is repeated`);
    const image = await pngPart(form.get('image'), 'image');
    const { width, height } = image.png;
    check(width === expect.imageSize[0] && height === expect.imageSize[1], `image is ${width}x${height}, expected ${expect.imageSize.join('x')}`);
    const upscale = request.path.endsWith('/upscale/fast');
    if (upscale) {
      check(width >= 32 && height >= 32 && width <= 1536 && height <= 1536 && width * height >= 1024 && width * height <= 1048576, 'upscale/fast input is out of bounds');
    } else {
      check(width >= 64 && height >= 64 && width * height >= 4096 && width * height <= 9437184, `image ${width}x${height} is out of bounds`);
    }
    if (form.has('mask')) {
      const mask = await pngPart(form.get('mask'), 'mask');
      check(mask.png.colorType === 0, 'the mask must be greyscale (white = edit)');
      checkPoints(mask.png, expect, 'mask', 255, 0, (px) => px[0]);
    } else {
      check(!request.path.endsWith('/inpaint') || !expect.editPoint, 'a mask was expected');
    }
    if (request.path.endsWith('/inpaint')) check(typeof form.get('prompt') === 'string' && form.get('prompt').length >= 1, 'inpaint needs a prompt');
    if (form.has('prompt')) check(form.get('prompt').length <= 10000, 'prompt above 10000 characters');
    if (expect.prompt) check(lf(form.get('prompt')) === expect.prompt, `prompt is '${form.get('prompt')}'`);
    integerField(form, 'seed', 0, 4294967294);
    integerField(form, 'grow_mask', 0, request.path.endsWith('/inpaint') ? 100 : 20);
    // Outpaint answers the image grown by its sides.
    let grown = [width, height];
    if (request.path.endsWith('/outpaint')) {
      check(!form.has('mask'), 'outpaint takes no mask');
      const sides = ['left', 'right', 'up', 'down'].map((side) => integerField(form, side, 0, 2000) ?? 0);
      check(sides.some((v) => v > 0), 'outpaint needs left, right, up or down');
      if (expect.outpaint) check(JSON.stringify(sides) === JSON.stringify(expect.outpaint), `sides ${sides}`);
      check(width / height >= 0.4 && width / height <= 2.5, `outpaint image ratio ${width}x${height} is outside 1:2.5 to 2.5:1`);
      grown = [width + sides[0] + sides[1], height + sides[2] + sides[3]];
    }
    if (form.has('output_format')) check(['png', 'jpeg', 'webp'].includes(form.get('output_format')), `output_format '${form.get('output_format')}'`);
    const parts = await formParts(form);
    exactFields(parts.fields, expect, 'multipart part');
    exactFiles(parts.files, expect);

    const error = (status, name, message, headers = {}) => ({ status, headers, body: { id: 'ed14a0d1e2f3', name, errors: [message] } });
    switch (mode) {
      case 'auth': return error(401, 'unauthorized', 'authorization: invalid or missing API key');
      case 'blocked': return error(403, 'content_moderation', 'Your request was flagged by our content moderation system, as a result your request was denied and you were not charged.');
      case 'too_large': return error(413, 'payload_too_large', 'body: payloads cannot be larger than 10MiB in size');
      case 'rate_limit': return {
        ...error(429, 'rate_limit_exceeded', 'You have exceeded the rate limit of 150 requests within a 10 second period, and have been timed out for 60 seconds.'),
        headers: options.retryAfterSeconds ? { 'retry-after': String(options.retryAfterSeconds) } : {},
      };
      case 'server_error': return error(500, 'internal_error', 'An unexpected server error occurred.');
      case 'malformed': return { status: 200, body: '{"image": "iVBOR' };
      default: break;
    }
    const scale = upscale ? 4 : 1;
    const [ow, oh] = outputSize(mode, grown[0] * scale, grown[1] * scale);
    server.lastAnswerSize = [ow, oh];
    return {
      status: 200,
      body: {
        image: Buffer.from(picture(ow, oh)).toString('base64'),
        finish_reason: mode === 'filtered' ? 'CONTENT_FILTERED' : 'SUCCESS',
        seed: Number(form.get('seed') ?? 0) || 1234567,
      },
    };
  }, { violationBody: (message) => ({ id: 'mock', name: 'bad_request', errors: [message] }), ...options });
}
