/**
 * The documentation's relative links resolve: every `[text](target)` in README.md and docs/**.md
 * (outside code) names an existing file, and an `#anchor` names a heading of its target as GitHub
 * slugs it. Guide pages move and headings get renamed; a broken link is otherwise only found by a
 * reader.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import GithubSlugger from 'github-slugger';

const repo = resolve(fileURLToPath(import.meta.url), '../../..');
const FENCE = /^\s*(```|~~~)/;
const HEADING = /^(#{1,6})\s+(.*?)\s*#*\s*$/;
const LINK = /!?\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g;

/** The markdown files whose links are checked: the README and every page under docs/. */
function pages(): string[] {
  const docs = readdirSync(join(repo, 'docs'), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.md')).map((f) => join(repo, 'docs', f));
  return [join(repo, 'README.md'), ...docs];
}

/** The lines of a markdown file outside fenced code blocks. */
function prose(file: string): string[] {
  let fenced = false;
  return readFileSync(file, 'utf8').split('\n').filter((line) => {
    if (FENCE.test(line)) { fenced = !fenced; return false; }
    return !fenced;
  });
}

/** Each heading's anchor, as GitHub renders it (duplicates numbered). */
function anchors(file: string): Set<string> {
  const slugger = new GithubSlugger();
  return new Set(prose(file).flatMap((line) => {
    const m = HEADING.exec(line);
    return m ? [slugger.slug(m[2].replace(/`/g, ''))] : [];
  }));
}

/** The relative link targets of a markdown file, inline code spans left out. */
function links(file: string): string[] {
  return prose(file).flatMap((line) => [...line.replace(/`[^`]*`/g, (code) => code.replace(/[[\]()]/g, ' ')).matchAll(LINK)]
    .map((m) => m[1]).filter((target) => !/^[a-z][a-z0-9+.-]*:/i.test(target)));
}

describe('documentation links', () => {
  it('finds the pages and their links', () => {
    const all = pages();
    expect(all.length).toBeGreaterThan(5);
    expect(links(join(repo, 'README.md')).length).toBeGreaterThan(5);
  });

  for (const file of pages()) {
    it(`${relative(repo, file)}: every relative link names an existing file and heading`, () => {
      const broken: string[] = [];
      for (const target of links(file)) {
        const [path, anchor] = target.split('#') as [string, string | undefined];
        const to = path === '' ? file : resolve(dirname(file), decodeURIComponent(path));
        if (!existsSync(to)) { broken.push(`${target}: no file ${relative(repo, to)}`); continue; }
        if (anchor !== undefined && to.endsWith('.md') && !anchors(to).has(anchor)) {
          broken.push(`${target}: no heading #${anchor} in ${relative(repo, to)}`);
        }
      }
      expect(broken).toEqual([]);
    });
  }
});
