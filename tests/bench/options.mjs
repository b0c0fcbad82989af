// Command-line options of the benchmark scripts: `--name value`.

/** The value after `name` on the command line, or `fallback`: a number when `fallback` is one. */
export function option(name, fallback) {
  const args = process.argv.slice(2);
  const i = args.indexOf(name);
  if (i < 0) return fallback;
  return typeof fallback === 'number' ? Number(args[i + 1]) : args[i + 1];
}
