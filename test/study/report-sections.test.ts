/**
 * The report's frame and the measures' own parts of it: the summary table's measure columns come
 * from the registry in their order (an added measure's column lands where its order says), and every
 * registry's sections share one order scale without ties, so the committed report's measure sections
 * stand in that order; the note beneath the table is the measures' sentences in their order. (The
 * committed report re-rendered byte for byte: test/cli/report.test.ts.)
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Measure } from '../../src/measures/measure';
import { MEASURES } from '../../src/measures/registry';
import { estimatorNote, reportMarkdown, summaryTable } from '../../src/study/report';
import { parseStudyResults } from '../../src/study/results-schema';
import { STUDY_MEASURES, TRAINING_MEASURES } from '../../src/study/study-measures';
import { studyRun as run } from '../support/study-runs';

const cells = (line: string) => line.split(/(?<!\\)\|/).slice(1, -1).map((c) => c.trim());

describe('the summary table', () => {
  it('takes each measure\'s columns in order, an added one where its order puts it, 2/η last', () => {
    const runs = [0, 1, 2].map((s) => run('A', s, 4 + s, 0.9));
    const plain = summaryTable(runs).split('\n');
    expect(cells(plain[0]).slice(7)).toEqual(['λmax', 'top-k', 'λmin', '\\|λmin\\|/λmax', 'trace', 'perturbation sharpness', '2/η']);
    const extra: Measure = {
      name: 'extra', settings: ['probe.tol'], writes: ['sharpness'], failure: 'extra', run: async () => ({}),
      studyColumns: [{ header: 'twice λmax', order: 15, digits: 1, value: (s) => 2 * s.lambdaMax }],
    };
    const table = summaryTable(runs, [...MEASURES, extra]).split('\n');
    expect(cells(table[0]).slice(7, 10)).toEqual(['λmax', 'top-k', 'twice λmax']);
    expect(cells(table[1])[9]).toBe('---:');
    const row = cells(table[2]);
    // The mean over seeds of 2λmax (4, 5, 6) with its interval, beside the mean λmax.
    expect(row[7]).toMatch(/^5\.00 \[/);
    expect(row[9]).toMatch(/^10\.0 \[/);
  });
});

describe('the note beneath the table', () => {
  it('is each measure\'s own sentence, in order, the registry\'s first', () => {
    const result = parseStudyResults(readFileSync('docs/study/results.json', 'utf8'), 'committed');
    const plain = estimatorNote(result);
    expect(plain).toMatch(/^λmax and top-\d+ by .*\. λmin by its own solver.*\. Trace by deflated Hutchinson.*\. Spectral density from .*\. Perturbation sharpness = .*ρ = [\d.]+\.$/);
    const extra: Measure = {
      name: 'extra', settings: ['probe.tol'], writes: ['sharpness'], failure: 'extra', run: async () => ({}),
      studyNote: { order: 25, text: (s) => `Extra over ${s.length} runs.` },
    };
    // A note counts the runs its measure ran on: not the grid cells, which name only their own measures.
    const runs = result.runs.filter((r) => !r.diverged && r.sharpness && !r.inputs?.measures).length;
    expect(runs).toBeLessThan(result.runs.filter((r) => !r.diverged && r.sharpness).length);
    expect(estimatorNote(result, [...MEASURES, extra])).toContain(`(Ghorbani et al. 2019). Extra over ${runs} runs. Trace by deflated Hutchinson`);
  });
});

describe('the measures\' sections', () => {
  it('share one order scale without ties, and the committed report places them by it', () => {
    const placed = [
      ...MEASURES.flatMap((m) => (m.studySection ? [{ name: m.name, order: m.studySection.order }] : [])),
      ...[...TRAINING_MEASURES, ...STUDY_MEASURES].flatMap((m) => (m.section ? [{ name: m.name, order: m.section.order }] : [])),
    ];
    expect(new Set(placed.map((p) => p.order)).size).toBe(placed.length);
    const result = parseStudyResults(readFileSync('docs/study/results.json', 'utf8'), 'committed');
    const headings = reportMarkdown(result, []).split('\n').filter((l) => /^#{2,3} /.test(l));
    // Each section's first heading, in the order the scale gives: invariant, rescaling, noise, …, edge of stability during training.
    const firsts = ['## Sharpness that survives reparametrisation', '### The Dinh rescaling check', "## Does SGD's noise follow the curvature?",
      '## Gauss–Newton curvature', '## Gradient noise scale', '## Does a small learning rate climb to sharp minima?',
      '## Edge of stability: full-batch gradient descent', '## Edge of stability during training'];
    const at = firsts.map((h) => headings.indexOf(h));
    expect(at.every((i) => i >= 0), JSON.stringify(at)).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    // Between the frame's evidence and its reference table / plots.
    expect(headings.indexOf('## Does flatter generalise better?')).toBeLessThan(at[0]);
    expect(headings.indexOf('## Plots')).toBeGreaterThan(at.at(-1)!);
  });
});
