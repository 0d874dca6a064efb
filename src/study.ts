/**
 * The study's browser-safe layer (`import … from 'hessian-gpu/study'`), for front ends that run the
 * study's probes or show its results as the CLI does (the demo is one): probing a trained minimum
 * with the study's suite, reading a results.json of any schema version this engine knows, its
 * statistics, its report and charts. Everything here is listed in docs/api.md
 * (test/package/pack.test.ts checks both ways). The study runner itself, which writes files, is in
 * 'hessian-gpu/node'.
 */
export { plannedStages } from './measures/probe-run';
export { UNMEASURED } from './measures/results';
export type { Eigenpairs } from './measures/measure';
export { importedRun } from './study/imported-run';
export { RESULTS_SCHEMA_VERSION, studyResultsFrom, parseStudyResults } from './study/results-schema';
export { correlations, rankCorrelation, meanEstimate, verdictOf, type Verdict } from './study/statistics';
export { reportMarkdown } from './study/report';
export { REFERENCE } from './study/reproduction';
export { STUDY_CHARTS } from './study/charts';
export { fullBatchSpec } from './study/eos-report';
export { noiseChartSpec } from './measures/noise-report';
