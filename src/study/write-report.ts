/**
 * Node: writes a study's outputs — results.json, report.md and the SVG plots — each atomically. The
 * report and plots are rendered from the results alone, so `hessian-gpu report` re-renders them from
 * a results.json (renderReport, writeAll) by the same code.
 */
import { join } from 'node:path';
import { writeFileAtomic } from '../util/atomic-write';
import { STUDY_CHARTS } from './charts';
import { eosCharts } from './eos-report';
import { renderSvg } from './render-svg';
import { reportMarkdown } from './report';
import type { StudyResult } from './results';
import { storedJson } from './rounding';
import { MEASURES } from '../measures/registry';

export async function writeStudyOutputs(result: StudyResult, outDir: string): Promise<string[]> {
  // results.json says as plainly as report.md whether runs are missing; its layout version leads.
  const partial = result.missing.length > 0;
  const rendered = await renderReport(result);
  const { schemaVersion, ...numbers } = result;
  await writeFileAtomic(join(outDir, 'results.json'), storedJson({ schemaVersion, partial, ...numbers }) + '\n');
  return ['results.json', ...await writeAll(outDir, rendered)].map((f) => join(outDir, f));
}

/**
 * report.md and the SVG plots of a study's results (no results.json), as [file name, text] pairs:
 * rendered before any is written, so a chart that cannot render (vega not installed) leaves a folder as it was.
 */
export async function renderReport(result: StudyResult): Promise<[string, string][]> {
  const charts: [string, string][] = [];
  const specs = [...Object.entries(STUDY_CHARTS).map(([name, spec]) => [name, spec(result.runs)] as const), ...Object.entries(eosCharts(result))];
  for (const [name, spec] of specs) charts.push([`${name}.svg`, await renderSvg(spec)]);
  // A measure's section embeds its own chart; the plots section lists the others.
  const embedded: [string, string][] = [];
  for (const m of MEASURES) {
    const spec = m.studyChart?.spec(result.runs);
    if (spec) embedded.push([`${m.studyChart!.name}.svg`, await renderSvg(spec)]);
  }
  return [['report.md', reportMarkdown(result, charts.map(([file]) => file))], ...charts, ...embedded];
}

/** Rendered files into outDir, each atomically; their names. */
export async function writeAll(outDir: string, files: [string, string][]): Promise<string[]> {
  for (const [file, text] of files) await writeFileAtomic(join(outDir, file), text);
  return files.map(([file]) => file);
}
