/**
 * What the JS tests share, in Node and (through `installTestKit` in browser/harness.mjs) in the
 * page: one seeded generator and one way to measure how far two byte arrays are apart.
 * Each function is self-contained (no imports, no outer names) so the harness can hand its
 * source to the page.
 */

/** A seeded generator of numbers in [0, 1) (mulberry32): the same seed, the same numbers. */
export function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Max |a-b| over the bytes whose index passes `where` (all by default), the count of those
 * that differ, and where the worst is.
 */
export function compare(a, b, where = () => true) {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let max = 0;
  let at = -1;
  let differing = 0;
  for (let i = 0; i < a.length; i++) {
    if (!where(i)) continue;
    const d = Math.abs(a[i] - b[i]);
    if (d) differing++;
    if (d > max) {
      max = d;
      at = i;
    }
  }
  return { max, differing, at };
}
