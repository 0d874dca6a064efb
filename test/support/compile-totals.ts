/**
 * Global setup: starts the suite's compile log (test/support/gpu.ts appends one line per file) and,
 * at the end, prints the suite's total pipeline compile time: its first-run cost on this machine.
 * It counts the devices of test files (useGpu); the CLI tests' child processes print their own.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';

const LOG = 'test-artifacts/compiles.jsonl';

export function setup(): () => void {
  rmSync(LOG, { force: true });
  return () => {
    if (!existsSync(LOG)) return;
    const lines = readFileSync(LOG, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { pipelines: number; seconds: number });
    const pipelines = lines.reduce((a, l) => a + l.pipelines, 0);
    const seconds = lines.reduce((a, l) => a + l.seconds, 0);
    console.log(`pipeline compiles: ${pipelines} in ${seconds.toFixed(1)} s over ${lines.length} files (${LOG})`);
  };
}
