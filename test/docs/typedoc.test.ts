/**
 * The API reference builds without a warning: `npm run docs` runs TypeDoc over the package's four
 * entries (typedoc.json, warnings treated as errors), so a TSDoc comment with a broken tag or link,
 * or a public signature naming a type the entries do not export, fails here rather than in a
 * silently thinner reference. Written to a temporary folder, not docs-api/.
 */
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const repo = resolve(fileURLToPath(import.meta.url), '../../..');

describe('npm run docs', () => {
  it('builds the API reference of every entry with no warning', async () => {
    const out = await mkdtemp(join(tmpdir(), 'hessian-docs-'));
    try {
      const result = await run(process.execPath, [join(repo, 'node_modules/typedoc/bin/typedoc'), '--out', out], { cwd: repo, maxBuffer: 1 << 24 })
        .catch((e: { code: number; stdout: string; stderr: string }) => e);
      const log = `${result.stdout}${result.stderr}`;
      expect(log).not.toMatch(/\[warning\]|\[error\]/);
      expect('code' in result ? result.code : 0, log).toBe(0);
      for (const page of ['index.html', 'modules/index.html', 'modules/node.html', 'modules/study.html', 'modules/bench.html', 'functions/index.hessian.html', 'classes/index.Mlp.html']) {
        expect(existsSync(join(out, page)), page).toBe(true);
      }
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });
});
