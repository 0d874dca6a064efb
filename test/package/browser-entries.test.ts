/**
 * The package's main entry (`hessian-gpu`) bundles for the browser with no Node built-in: a
 * config-schema import that reached a Node-only module once broke the Vite app of pack.test.ts at
 * page load, minutes into that test; this catches it in seconds, at the source. (`hessian-gpu/study`
 * and `/bench` also hold the Node study runner's and the peers' modules, which a page never calls;
 * `hessian-gpu/node` is the Node entry.) Host only.
 */
import { describe, expect, it } from 'vitest';
import { build } from 'esbuild';

describe('the browser entry', () => {
  for (const entry of ['src/index.ts']) {
    it(`${entry} bundles for the browser without a Node built-in`, async () => {
      // Dawn's `webgpu` binding is loaded only under Node (src/gpu/dawn.ts), by a dynamic import the page never takes.
      const result = await build({ entryPoints: [entry], bundle: true, platform: 'browser', format: 'esm', write: false, metafile: true, logLevel: 'silent', external: ['webgpu'] })
        .then((r) => ({ inputs: Object.keys(r.metafile.inputs), errors: [] as string[] }),
          (err: { errors: { text: string; location: { file: string } | null }[] }) => ({ inputs: [], errors: err.errors.map((e) => `${e.location?.file}: ${e.text}`) }));
      expect(result.errors).toEqual([]);
      expect(result.inputs.filter((f) => f.startsWith('node:'))).toEqual([]);
    });
  }
});
