import { describe, expect, it } from 'vitest';
import { parseCommandLine } from '../../src/cli/args';
import { parseBenchArgs } from '../../src/bench/run';
import { closest } from '../../src/util/suggest';

describe('the command line is strict', () => {
  it('parses each command and its options', () => {
    const cl = parseCommandLine(['train', '--config', 'c.json', '--seed', '3', '--fresh']);
    expect(cl.command).toBe('train');
    expect(cl.values).toEqual({ config: 'c.json', seed: '3', fresh: true });
    expect(parseCommandLine([]).command).toBe('study');
    expect(parseCommandLine(['--out', 'x']).values.out).toBe('x');
    expect(parseCommandLine(['bench', 'hvp', '--repeats', '2']).positionals).toEqual(['hvp']);
    expect(parseCommandLine(['bench', 'probe', '--shapes', '784-64-10']).positionals).toEqual(['probe']);
    const report = parseCommandLine(['report', 'runs/study/results.json', '--out', 'again']);
    expect([report.command, report.positionals, report.values.out]).toEqual(['report', ['runs/study/results.json'], 'again']);
  });

  it('rejects unknown flags and commands with a suggestion', () => {
    expect(() => parseCommandLine(['--confg', 'x.json'])).toThrow(/study: unknown option '--confg' \(did you mean '--config'\?\); valid options: .*--config/);
    expect(() => parseCommandLine(['train', '--sed', '1'])).toThrow(/unknown option '--sed' \(did you mean '--seed'\?\)/);
    // A flag of another command is not silently accepted either.
    expect(() => parseCommandLine(['study', '--checkpoint', 'a.ckpt'])).toThrow(/study: unknown option '--checkpoint'/);
    expect(() => parseCommandLine(['stduy'])).toThrow(/unknown command 'stduy' \(did you mean 'study'\?\)/);
    expect(() => parseCommandLine(['probe', 'extra'])).toThrow(/probe: Unexpected argument 'extra'/);
    expect(() => parseCommandLine(['study', '--config'])).toThrow(/--config <value>' argument missing/);
    expect(() => parseCommandLine(['bench', 'hvp', 'probe'])).toThrow(/bench: unexpected argument 'probe'/);
    expect(() => parseCommandLine(['report', 'a.json', 'b.json'])).toThrow(/report: unexpected argument 'b\.json'/);
  });

  it('checks bench values before any GPU work', () => {
    expect(() => parseBenchArgs(['probe', '--tol', 'abc'])).toThrow(/--tol must be a positive number, got 'abc'/);
    expect(() => parseBenchArgs(['probe', '--tol', '-1'])).toThrow(/--tol must be a positive number/);
    expect(parseBenchArgs(['probe', '--tol', '1e-3']).tol).toBe(1e-3);
    expect(parseBenchArgs(['probe', '--shapes', '784-64-10']).shapes).toEqual([[784, 64, 10]]);
    expect(parseBenchArgs(['hvp', '--shapes', '784-32-10,784-8-8-10']).shapes).toEqual([[784, 32, 10], [784, 8, 8, 10]]);
    expect(() => parseBenchArgs(['probe', '--shapes', '100-64-10'])).toThrow(/784 pixels to their 10 classes, like 784-64-10, got '100-64-10'/);
    expect(() => parseBenchArgs(['probe', '--shapes', '784-x-10'])).toThrow(/--shapes must be a positive integer, got 'x'/);
    // A bare `bench` would silently run every suite for many minutes.
    expect(() => parseBenchArgs([])).toThrow(/bench needs a suite: bench <kernels\|hvp\|profile\|train\|probe\|peers\|all>/);
    expect(() => parseBenchArgs(['--repeats', '3'])).toThrow(/bench needs a suite/);
  });

  it('suggests only plausible typos', () => {
    expect(closest('epoch', ['epochs', 'seeds', 'hidden'])).toBe('epochs');
    expect(closest('smaple', ['samples', 'tol'])).toBe('samples');
    expect(closest('banana', ['epochs', 'seeds'])).toBeNull();
  });
});
