/** Node: writes a study's outputs — results.json, report.md and the SVG plots — each atomically. */
import { join } from 'node:path';
import { writeFileAtomic } from '../util/atomic-write';
import { STUDY_CHARTS } from './charts';
import { renderSvg } from './render-svg';
import { reportMarkdown } from './report';
import type { StudyResult } from './results';

export async function writeStudyOutputs(result: StudyResult, outDir: string): Promise<string[]> {
  const charts: string[] = [];
  for (const [name, spec] of Object.entries(STUDY_CHARTS)) {
    const file = `${name}.svg`;
    await writeFileAtomic(join(outDir, file), await renderSvg(spec(result.runs)));
    charts.push(file);
  }
  await writeFileAtomic(join(outDir, 'results.json'), JSON.stringify(result, null, 2) + '\n');
  await writeFileAtomic(join(outDir, 'report.md'), reportMarkdown(result, charts));
  return ['results.json', 'report.md', ...charts].map((f) => join(outDir, f));
}
