// Base64 for image payloads (Gemini's inlineData, the b64_json / image fields of the answers),
// with atob/btoa so that it runs unchanged in browsers, plugin iframes, WebViews and Node.

/** Encodes bytes as plain base64 (no `data:` prefix). */
export function bytesToBase64(bytes) {
  let binary = '';
  const chunk = 0x8000; // String.fromCharCode takes its arguments on the stack
  for (let i = 0; i < bytes.length; i += chunk) {
    binary += String.fromCharCode(...bytes.subarray(i, i + chunk));
  }
  return btoa(binary);
}

/** Decodes base64, with or without a `data:...;base64,` prefix (some proxies add one). */
export function base64ToBytes(text) {
  const comma = text.startsWith('data:') ? text.indexOf(',') : -1;
  const binary = atob(text.slice(comma + 1));
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i += 1) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
