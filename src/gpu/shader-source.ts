/**
 * Loads WGSL from shaders/*.wgsl the same way in Node and in the browser: each file is a URL next
 * to this module (Vite copies them as assets; Node reads them from disk), fetched once and cached.
 *
 * A line `//#include "name.wgsl"` pulls in shared helpers. Included text is appended after the
 * file's own text, which WGSL allows (module-scope order does not matter), so compiler line
 * numbers inside the file stay true; lines past the end are mapped back to the included file.
 */
const SHADER_URLS = {
  'activation.wgsl': new URL('../../shaders/activation.wgsl', import.meta.url),
  'grid.wgsl': new URL('../../shaders/grid.wgsl', import.meta.url),
  'matmul.wgsl': new URL('../../shaders/matmul.wgsl', import.meta.url),
  'matmul_direct.wgsl': new URL('../../shaders/matmul_direct.wgsl', import.meta.url),
  'matmul_epilogue.wgsl': new URL('../../shaders/matmul_epilogue.wgsl', import.meta.url),
  'matmul_reduce.wgsl': new URL('../../shaders/matmul_reduce.wgsl', import.meta.url),
  'matmul_io.wgsl': new URL('../../shaders/matmul_io.wgsl', import.meta.url),
  'elementwise.wgsl': new URL('../../shaders/elementwise.wgsl', import.meta.url),
  'reduce.wgsl': new URL('../../shaders/reduce.wgsl', import.meta.url),
  'softmax_ce.wgsl': new URL('../../shaders/softmax_ce.wgsl', import.meta.url),
  'data.wgsl': new URL('../../shaders/data.wgsl', import.meta.url),
  'optim.wgsl': new URL('../../shaders/optim.wgsl', import.meta.url),
  'probe.wgsl': new URL('../../shaders/probe.wgsl', import.meta.url),
  'block.wgsl': new URL('../../shaders/block.wgsl', import.meta.url),
  'precondition.wgsl': new URL('../../shaders/precondition.wgsl', import.meta.url),
  'sample_tangent.wgsl': new URL('../../shaders/sample_tangent.wgsl', import.meta.url),
  'sample_norms.wgsl': new URL('../../shaders/sample_norms.wgsl', import.meta.url),
  'tree_sum.wgsl': new URL('../../shaders/tree_sum.wgsl', import.meta.url),
} as const;

export type ShaderFile = keyof typeof SHADER_URLS;

export interface ShaderSource {
  file: string;
  code: string;
  /** Map a 1-based line of `code` back to the file and line it came from. */
  locate(line: number): { file: string; line: number };
}

const rawCache = new Map<string, Promise<string>>();
const INCLUDE = /^\s*\/\/#include\s+"([^"]+)"\s*$/;

export async function loadShader(file: ShaderFile | string): Promise<ShaderSource> {
  const own = await readRaw(file);
  const segments: { file: string; start: number; lines: number }[] = [];
  const ownLines = own.split('\n');
  segments.push({ file, start: 1, lines: ownLines.length });
  let code = own;
  let next = ownLines.length + 1;
  for (const line of ownLines) {
    const m = INCLUDE.exec(line);
    if (!m) continue;
    const text = await readRaw(m[1]);
    const lines = text.split('\n').length;
    code += '\n' + text;
    segments.push({ file: m[1], start: next, lines });
    next += lines;
  }
  return {
    file,
    code,
    locate(line: number) {
      const seg = segments.find((s) => line >= s.start && line < s.start + s.lines) ?? segments[0];
      return { file: seg.file, line: line - seg.start + 1 };
    },
  };
}

function readRaw(file: string): Promise<string> {
  let pending = rawCache.get(file);
  if (!pending) {
    const url = (SHADER_URLS as Record<string, URL>)[file];
    if (!url) throw new Error(`unknown shader file '${file}'; known: ${Object.keys(SHADER_URLS).join(', ')}`);
    pending = fetchText(url);
    rawCache.set(file, pending);
  }
  return pending;
}

/** Text of a file next to the sources (Node: from disk; browser: over fetch). */
export async function fetchText(url: URL): Promise<string> {
  if (url.protocol === 'file:') {
    const fsModule = 'node:fs/promises';
    const fs: typeof import('node:fs/promises') = await import(/* @vite-ignore */ fsModule);
    return fs.readFile(url, 'utf8');
  }
  const kind = /\.json$/.test(url.pathname) ? 'JSON' : 'WGSL';
  const res = await fetch(url);
  if (!res.ok) throw new Error(`cannot load ${kind} from ${url.href}: HTTP ${res.status}`);
  const text = await res.text();
  // A dev server or SPA fallback answers a URL it does not know with its index page, status 200.
  if ((res.headers.get('content-type') ?? '').includes('text/html') || /^\s*<(!doctype|html)/i.test(text)) {
    throw new Error(`expected ${kind} from URL ${url.href}, got HTML: the server does not serve hessian-gpu's files at that URL. ` +
      "Fix: serve the package's files at their own URLs (Vite: optimizeDeps: { exclude: ['hessian-gpu'], include: ['hessian-gpu > ml-matrix'] }, see the README).");
  }
  return text;
}
