/**
 * Results as files: the page's export (its runs with their settings, model, data and probes) and
 * reading one back — the page's own export or a CLI study's results.json (src/study/results.ts
 * StudyResult) — as runs to view. Nothing here touches the GPU; a loaded run can be looked at,
 * not probed (its weights are not in the file).
 */
import type { AdapterReport, RunResult, StudyResult } from 'hessian-gpu';
import { REFERENCE, studyResultsFrom } from 'hessian-gpu/study';
import type { Landscape } from './session';
import type { SessionRun } from './view';

/** What the page exports; `format` tells it apart from a study's results.json on the way back. */
export const EXPORT_FORMAT = 'hessian-gpu demo runs';

interface ExportedRun extends Omit<SessionRun, 'id' | 'probe'> {
  slices?: NonNullable<SessionRun['probe']>['slices'];
  landscape?: Landscape;
}

export interface DemoExport {
  format: typeof EXPORT_FORMAT;
  version: 1;
  exportedAt: string;
  adapter: AdapterReport | null;
  reference: typeof REFERENCE;
  runs: ExportedRun[];
}

export function exportRuns(runs: SessionRun[], adapter: AdapterReport | null): DemoExport {
  return {
    format: EXPORT_FORMAT, version: 1, exportedAt: new Date().toISOString(), adapter, reference: REFERENCE,
    runs: runs.map(({ id: _id, probe, ...run }) => ({ ...run, slices: probe?.slices, landscape: probe?.landscape })),
  };
}

/** The MNIST sources' shapes, for the widths of a study's runs (an IDX source's are not in the file). */
const MNIST = { features: 784, classes: 10 };

/** Runs to show from a results file's text; `firstId` numbers them after the session's own. */
export function readResults(text: string, file: string, firstId: number): SessionRun[] {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (err) {
    throw new Error(`${file}: not JSON (${(err as Error).message}); drop a JSON exported by this page or a study's results.json.`);
  }
  const b = body as Partial<DemoExport> & Partial<StudyResult>;
  if (b.format === EXPORT_FORMAT && Array.isArray(b.runs)) return (b.runs as ExportedRun[]).map((r, i) => fromExport(r, firstId + i, file));
  if (b.config && Array.isArray(b.runs)) {
    // Through the study's reader: a newer schema version than this page knows is refused, with what to do.
    const study = studyResultsFrom(body, file);
    return study.runs.map((r, i) => fromStudy(r, study, firstId + i, file));
  }
  throw new Error(`${file}: neither a JSON exported by this page (format "${EXPORT_FORMAT}") nor a study's results.json (with config and runs).`);
}

function fromExport(r: ExportedRun, id: number, file: string): SessionRun {
  if (!r.result || !Array.isArray(r.widths)) throw new Error(`${file}: run "${r.label}" has no result or widths; the file is damaged.`);
  const probe = r.slices && r.landscape && r.result.sharpness && r.result.density && r.result.noise
    ? { sharpness: r.result.sharpness, density: r.result.density, noise: r.result.noise, slices: r.slices, landscape: r.landscape, eigenpairs: { values: [], vectors: new Float32Array(0) }, hvps: 0 }
    : undefined;
  return { ...r, id, label: `#${id} ${r.label.replace(/^#\d+ /, '')}`, origin: 'loaded', note: noted(r.note, file), probe };
}

function fromStudy(r: RunResult, study: StudyResult, id: number, file: string): SessionRun {
  const c = study.config;
  const mnist = c.data.source !== 'idx';
  const train = c.data.trainSamples ?? 0;
  return {
    id, label: `#${id} ${r.configuration} s${r.seed}`, origin: 'loaded', widths: mnist ? [MNIST.features, ...c.hidden, MNIST.classes] : c.hidden,
    activation: c.activation, data: c.data.source, samples: { train, test: 0, probe: c.probe.samples || train },
    result: r, note: noted(r.diverged ? `diverged at step ${r.diverged.step}` : r.converged === false ? 'unconverged' : '', file), reference: false,
  };
}

const noted = (note: string, file: string) => [note, `from ${file}`].filter(Boolean).join(', ');
