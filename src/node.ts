/**
 * The library's Node entry (`import … from 'hessian-gpu/node'`): dataset files, checkpoints on disk
 * and the whole study, on top of everything in the browser-safe entry.
 */
export * from './index';
export { loadDataset, type DatasetSpec } from './data/load-dataset';
export { loadIdxFolder, loadMnistData, loadMnistPackage } from './data/node-files';
export { saveCheckpoint, loadCheckpoint } from './train/checkpoint-file';
export { runStudy, loadSplit, type StudyHooks } from './study/run-study';
export type { Shard } from './study/shard';
export { writeStudyOutputs } from './study/write-report';
