/** Node: render a Vega-Lite spec to SVG text without a browser (vega's headless renderer; vega and vega-lite are optional packages). */
import type { TopLevelSpec } from 'vega-lite';
import { importOptional } from '../util/optional-package';

export async function renderSvg(spec: Record<string, unknown>): Promise<string> {
  const purpose = 'drawing the report charts';
  const vega = await importOptional<typeof import('vega')>('vega', purpose);
  const { compile } = await importOptional<typeof import('vega-lite')>('vega-lite', purpose);
  const compiled = compile(spec as unknown as TopLevelSpec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
