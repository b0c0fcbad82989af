// The host interface: everything the editor needs from where it runs, so the
// editor itself never asks which host it is in. The page's own HTML says
// which host it was packaged for (`<html data-host="figma">`, written by
// ./build.sh package); a plain page is the browser.
//
// A host is:
//   id, label            'figma', 'Figma' (labels name the host in commands: "Send result to Figma")
//   embedded             the editor runs inside a design tool (the host bar shows)
//   autosave             the page keeps its own autosave in IndexedDB (a host keeps its document itself)
//   maxImageSide         the largest side the host takes back (Figma: 4096), or null
//   sendOptions          [{ id, label, values: [{ value, label }] }]: choices for putResult, kept in settings
//   startEngine(wasm)    loads the core (from its file, or from bytes inlined into the page)
//   connect({ run, status })   host panels' buttons run registry commands through `run(id, args)`
//   getImage(args)       → { name, bytes } (an encoded file) or { name, image, selection }
//                          (the core's Image and a canvas-sized Mask or null; the caller frees them)
//   putResult(result, options) → a sentence saying where the result went; `result` (see
//                          ../commands/host.js) reads the composite or the fix layer on demand
//   notify(text, kind)   tells the user, in the host's own way as well as the status bar
//   settings             { get(key) → Promise<value | undefined>, set(key, value) → Promise }

import { createBrowserHost } from './browser.js';
import { createPhotoshopHost } from './photoshop.js';
import { createFigmaHost } from './figma.js';
import { createExpressHost } from './express.js';

const HOSTS = { browser: createBrowserHost, photoshop: createPhotoshopHost, figma: createFigmaHost, express: createExpressHost };

/** The host this page was packaged for. */
export function createHost(wasm) {
  const id = document.documentElement.dataset.host || 'browser';
  const create = HOSTS[id];
  if (!create) throw new Error(`unknown host “${id}”`);
  return create(wasm);
}
