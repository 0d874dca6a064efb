/** Node: writes a study's outputs — results.json, report.md and the SVG plots — each atomically. */
import { join } from 'node:path';
import { writeFileAtomic } from '../util/atomic-write';
import { STUDY_CHARTS } from './charts';
import { renderSvg } from './render-svg';
import { reportMarkdown } from './report';
import type { StudyResult } from './results';
import { NOISE_CHART, noiseChartSpec } from './noise-report';

export async function writeStudyOutputs(result: StudyResult, outDir: string): Promise<string[]> {
  const charts: string[] = [];
  for (const [name, spec] of Object.entries(STUDY_CHARTS)) {
    const file = `${name}.svg`;
    await writeFileAtomic(join(outDir, file), await renderSvg(spec(result.runs)));
    charts.push(file);
  }
  const extra = result.runs.some((r) => r.noise) ? [`${NOISE_CHART}.svg`] : [];
  if (extra.length) await writeFileAtomic(join(outDir, extra[0]), await renderSvg(noiseChartSpec(result.runs)));
  // results.json says as plainly as report.md whether runs are missing.
  const partial = result.missing.length > 0;
  await writeFileAtomic(join(outDir, 'results.json'), JSON.stringify({ partial, ...result }, null, 2) + '\n');
  await writeFileAtomic(join(outDir, 'report.md'), reportMarkdown(result, charts));
  return ['results.json', 'report.md', ...charts, ...extra].map((f) => join(outDir, f));
}
