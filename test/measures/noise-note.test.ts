/**
 * The noise record's reason for a missing stationary spread is numbers (spreadSkipped); the sentence
 * is rendered from them. Each reason's words, and the committed study's stored sentences (results
 * written before spreadSkipped) rendered as stored and re-derived from the same numbers.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { NoiseResult, SpreadSkip } from '../../src/measures/noise';
import { spreadNote } from '../../src/measures/noise-report';

const record = (spreadSkipped: SpreadSkip | null, rest: Partial<NoiseResult> = {}) =>
  ({ optimizer: 'sgd', lr: 0.05, batchSize: 64, spreadSkipped, ...rest }) as NoiseResult;

describe('spreadNote', () => {
  it('words each reason from its numbers, and nothing when the spread was measured and fitted', () => {
    expect(spreadNote(record(null))).toBeNull();
    expect(spreadNote(record({ reason: 'no-optimizer' }, { optimizer: 'none', lr: null }))).toMatch(/^no optimiser given .*pass --lr and --batch-size/);
    expect(spreadNote(record({ reason: 'adaptive-optimizer' }, { optimizer: 'adam' }))).toMatch(/^adam preconditions its steps/);
    expect(spreadNote(record({ reason: 'continuation-off' }))).toBe('the continuation is off (probe.noise.steps = 0)');
    expect(spreadNote(record({ reason: 'batch-exceeds-probe', probeSamples: 50 }))).toBe('the batch size 64 exceeds the 50 probe samples; no continuation');
    expect(spreadNote(record({ reason: 'too-slow', sharpest: 5.6712, steps: 400, needed: 3520 }))).toMatch(/^at η = 0\.05 .*\(λ 5\.67\) .*for 400 steps \(it needs ≥ 3520\)/);
    expect(spreadNote(record({ reason: 'few-equilibrated', equilibrated: 2, directions: 8, steps: 400 }))).toMatch(/^only 2 of 8 directions equilibrated within 400 steps/);
  });

  it('renders an older record\'s stored sentence as stored, and the same sentence from the numbers it was made of', () => {
    // The noise records of an earlier committed study, written before the sentence became numbers.
    const noted = (JSON.parse(readFileSync('test/fixtures/noise-notes-v2.json', 'utf8')) as NoiseResult[]).filter((n) => n.note);
    expect(noted.length).toBeGreaterThan(0);
    for (const n of noted) {
      expect(spreadNote(n)).toBe(n.note);
      const slow = /\(λ ([\d.]+)\) relaxes too slowly for (\d+) steps \(it needs ≥ (\d+)\)/.exec(n.note!);
      const skip: SpreadSkip = slow
        ? { reason: 'too-slow', sharpest: Number(slow[1]), steps: Number(slow[2]), needed: Number(slow[3]) }
        : { reason: 'adaptive-optimizer' };
      expect(spreadNote({ ...n, note: undefined, spreadSkipped: skip })).toBe(n.note);
    }
  });
});
