// Shared steps of the Generate panel's browser tests (fills, extensions, the
// brand kit): the picture they edit and driving the panel as a user does.

/** Opens a `width`×`height` smooth picture with some texture, so colour matching has something to learn from. */
export async function openTexturedPicture(page, width, height) {
  await page.evaluate(
    async ({ W, H }) => {
      const rgba = new Uint8Array(W * H * 4);
      for (let y = 0; y < H; y++) {
        for (let x = 0; x < W; x++) {
          const o = (y * W + x) * 4;
          rgba[o] = Math.round((x / (W - 1)) * 200 + 30);
          rgba[o + 1] = Math.round((y / (H - 1)) * 160 + 50 + ((x * 7 + y * 13) % 11));
          rgba[o + 2] = 120 + ((x ^ y) & 15);
          rgba[o + 3] = 255;
        }
      }
      await window.retouchApp.run('file.open', { bytes: window.testKit.pngOf(W, H, rgba), name: 'picture.png' });
    },
    { W: width, H: height },
  );
}

/** Picks the provider and fills prompt, variants and, when given, the key and the base URL (under Advanced). */
export async function fillRequest(page, { provider, prompt, variants = 1, key, baseUrl }) {
  await page.selectOption('#gen-provider', provider);
  await page.fill('#gen-prompt', prompt);
  await page.fill('#gen-variants', String(variants));
  if (key !== undefined) await page.fill('#gen-key', key);
  if (baseUrl !== undefined) {
    const open = await page.evaluate(() => document.querySelector('.gen-advanced').open);
    if (!open) await page.click('.gen-advanced summary');
    await page.fill('#gen-base-url', baseUrl);
  }
}

/** Clicks Generate and waits until the run ended; returns the panel's state. */
export async function generate(page) {
  await page.click('#gen-run');
  await page.evaluate(() => window.retouchApp.generation.settled());
  return page.evaluate(() => window.retouchApp.generation.state());
}
