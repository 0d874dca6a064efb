/**
 * "One measure, one module": what a measure owns — its code, its `probe` settings, its numbers on
 * the demo's panel — is written in its module and reached through the registry, never named again
 * elsewhere. The sources are read as text: no file outside src/measures imports a measure's module
 * (only the registry and the shared pieces beside it), the study's schema defines none of a measure's
 * own settings, the measures import nothing above them, the demo reaches the engine through the
 * package's entries only and lists no measure's numbers itself. The few files that still import a
 * measure module are listed below with the reason, and the list may only shrink. Host only.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { MEASURES, MEASURE_SETTINGS } from '../../src/measures/registry';

const ROOT = resolve(fileURLToPath(import.meta.url), '../../..');
const MEASURES_DIR = join(ROOT, 'src/measures');

/** The registry and the pieces every measure shares: anyone may import these. */
const SHARED = ['registry', 'measure', 'results', 'table', 'probe-run', 'block-solvers'];

/** Files outside src/measures that still import a measure module, and why (relative path → the modules). */
const STILL_IMPORTING: Record<string, { modules: string[]; why: string }> = {
  'src/index.ts': { modules: ['noise', 'invariant'], why: "the public entry re-exports the types of the noise and invariant measures' records and settings" },
  'src/cli/import-model.ts': { modules: ['noise'], why: "types the imported model's noise run (NoiseRun)" },
  'src/study.ts': { modules: ['noise-report'], why: "the package's study entry exports the noise chart's spec (the demo draws it as the report does)" },
  'src/study/rescaling.ts': { modules: ['invariant', 'invariant-report'], why: "the Dinh rescaling check measures the rescaled minimum with the invariant measure itself, in its number format" },
  'src/study/rescaling-run.ts': { modules: ['invariant'], why: "the rescaling check reads the invariant measure's weight-decay rule" },
};

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'node_modules' || name === 'public' ? [] : files(path);
    return /\.(ts|mts|js|mjs)$/.test(name) ? [path] : [];
  });
}

const rel = (path: string) => relative(ROOT, path).split('\\').join('/');
const specifiers = (text: string) => [...text.matchAll(/(?:from|import)\s*\(?\s*'([^']+)'/g)].map((m) => m[1]);

/** The measure modules (file names without .ts) a source file imports by a relative path. */
function measureImports(path: string): string[] {
  return specifiers(readFileSync(path, 'utf8')).filter((s) => s.startsWith('.')).flatMap((s) => {
    const target = resolve(dirname(path), s);
    return dirname(target) === MEASURES_DIR ? [target.slice(MEASURES_DIR.length + 1).replace(/\.ts$/, '')] : [];
  }).filter((m) => !SHARED.includes(m));
}

const outside = [...files(join(ROOT, 'src')).filter((f) => !f.startsWith(MEASURES_DIR + '/')), ...files(join(ROOT, 'demo')), ...files(join(ROOT, 'scripts'))];

describe('a measure is named only in its module and the registry', () => {
  it('no file outside src/measures imports a measure module, but the listed ones (and the list is current)', () => {
    const found: Record<string, string[]> = Object.fromEntries(outside.map((f) => [rel(f), measureImports(f)] as const).filter(([, ms]) => ms.length > 0));
    for (const [file, modules] of Object.entries(found)) {
      expect(STILL_IMPORTING[file]?.modules, `${file} imports src/measures/${modules.join(', ')}: go through the registry (or list it here with the reason)`)
        .toEqual(expect.arrayContaining([...new Set(modules)]));
    }
    for (const file of Object.keys(STILL_IMPORTING)) {
      expect(found[file], `${file} no longer imports a measure module: remove it from STILL_IMPORTING`).toBeDefined();
    }
  });

  it('the measures import nothing above them (their settings are built from src/util, not the study)', () => {
    for (const file of files(MEASURES_DIR)) {
      for (const s of specifiers(readFileSync(file, 'utf8')).filter((x) => x.startsWith('.'))) {
        expect(rel(resolve(dirname(file), s)), `${rel(file)} imports '${s}'`).not.toMatch(/^src\/(study|cli|facade)\//);
      }
    }
  });

  it("each measure's own settings are defined in its module alone: composed once, listed among the fields it reads, schemas nowhere else", () => {
    const owned = MEASURES.flatMap((m) => Object.keys(m.schema ?? {}).map((key) => ({ key, measure: m })));
    expect(owned.length, 'the measures own settings').toBeGreaterThan(0);
    expect(new Set(owned.map((o) => o.key)).size, 'no setting owned by two measures').toBe(owned.length);
    expect(Object.keys(MEASURE_SETTINGS).sort()).toEqual(owned.map((o) => o.key).sort());
    for (const { key, measure } of owned) expect(measure.settings, `${measure.name} reads probe.${key}`).toContain(`probe.${key}`);
    // A zod schema written for one of those keys outside src/measures (`lambdaMin: strict(`, `traceSamples: posInt()`).
    for (const file of outside) {
      const text = readFileSync(file, 'utf8');
      for (const { key } of owned) {
        expect(text, `${rel(file)} defines the schema of probe.${key}`).not.toMatch(new RegExp(`\\b${key}\\s*:\\s*(z\\.|strict\\(|posInt|nonNegInt|positive|finite|must|flag)`));
      }
    }
  });

  it("the demo imports the engine by the package's entries only, and lists no measure's numbers itself", () => {
    const metrics = MEASURES.flatMap((m) => m.demo ?? []);
    expect(metrics.length, 'the measures declare their demo numbers').toBeGreaterThan(0);
    expect(new Set(metrics.map((d) => d.id)).size, 'demo metric ids are unique').toBe(metrics.length);
    const demo = files(join(ROOT, 'demo'));
    expect(demo.length).toBeGreaterThan(0);
    for (const file of demo) {
      const text = readFileSync(file, 'utf8');
      for (const s of specifiers(text)) {
        const ok = s.startsWith('hessian-gpu') ? /^hessian-gpu(\/(study|bench))?$/.test(s)
          : s.startsWith('.') ? resolve(dirname(file), s).startsWith(join(ROOT, 'demo') + '/') : true;
        expect(ok, `${rel(file)} imports '${s}': the demo reaches the engine through 'hessian-gpu', 'hessian-gpu/study' or 'hessian-gpu/bench'`).toBe(true);
      }
      for (const { id } of metrics) expect(text, `${rel(file)} names the metric '${id}' (declare it in its measure's demo list)`).not.toContain(`'${id}'`);
    }
  });
});
