// What the cross-implementation tests share: the `retouch` CLI (built into
// CARGO_TARGET_DIR when set, else target/), running a command, whether a GPU
// adapter is there, and the test-only Python venv with the references
// (tests/adjust/setup_venv.sh).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('..', import.meta.url));
export const cli = `${process.env.CARGO_TARGET_DIR ?? `${root}target`}/debug/retouch`;

/** Runs a command; fails the test with its output when it exits non-zero. */
export function run(command, args) {
  const result = spawnSync(command, args, { cwd: root, encoding: 'utf8' });
  assert.equal(result.error, undefined, `${command}: ${result.error}`);
  assert.equal(result.status, 0, `${command} ${args.join(' ')}\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

/** Builds the CLI. */
export function buildCli() {
  run('cargo', ['build', '--quiet', '-p', 'retouch', '--bin', 'retouch']);
}

/** The backends to check: the CPU, and the GPU when `--backend gpu` opens an adapter (any). */
export function backends(t) {
  const gpu = spawnSync(cli, ['info', '--backend', 'gpu'], { encoding: 'utf8' }).status === 0;
  if (!gpu) {
    assert.notEqual(process.env.RETOUCH_REQUIRE_GPU, '1', 'RETOUCH_REQUIRE_GPU=1 but no GPU adapter');
    t.diagnostic('no GPU adapter: the GPU backend was not checked');
  }
  return gpu ? ['cpu', 'gpu'] : ['cpu'];
}

/** The venv's python, with Pillow, NumPy, SciPy and scikit-image installed. */
export function referencePython() {
  return run('bash', [fileURLToPath(new URL('adjust/setup_venv.sh', import.meta.url))]).trim();
}
