/** Node: writes a study's outputs — results.json, report.md and the SVG plots — each atomically. */
import { join } from 'node:path';
import { writeFileAtomic } from '../util/atomic-write';
import { STUDY_CHARTS } from './charts';
import { eosCharts } from './eos-report';
import { renderSvg } from './render-svg';
import { reportMarkdown } from './report';
import type { StudyResult } from './results';
import { storedJson } from './rounding';
import { NOISE_CHART, noiseChartSpec } from './noise-report';

export async function writeStudyOutputs(result: StudyResult, outDir: string): Promise<string[]> {
  const charts: string[] = [];
  const specs = [...Object.entries(STUDY_CHARTS).map(([name, spec]) => [name, spec(result.runs)] as const), ...Object.entries(eosCharts(result))];
  for (const [name, spec] of specs) {
    const file = `${name}.svg`;
    await writeFileAtomic(join(outDir, file), await renderSvg(spec));
    charts.push(file);
  }
  const extra = result.runs.some((r) => r.noise) ? [`${NOISE_CHART}.svg`] : [];
  if (extra.length) await writeFileAtomic(join(outDir, extra[0]), await renderSvg(noiseChartSpec(result.runs)));
  // results.json says as plainly as report.md whether runs are missing.
  const partial = result.missing.length > 0;
  await writeFileAtomic(join(outDir, 'results.json'), storedJson({ partial, ...result }) + '\n');
  await writeFileAtomic(join(outDir, 'report.md'), reportMarkdown(result, charts));
  return ['results.json', 'report.md', ...charts, ...extra].map((f) => join(outDir, f));
}
