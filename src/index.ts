/**
 * The library's browser-safe entry (`import … from 'hessian-gpu'`): the façade (hessian, probe),
 * device, model, data on the GPU, model and data files as bytes, training, optimizers, the solvers
 * and sharpness measures, checkpoints as bytes, the study's config. Everything here is listed in
 * docs/api.md (test/package/pack.test.ts checks both ways); Node-only pieces (Dawn, files, the
 * study runner) are in 'hessian-gpu/node', the study's probes, results and report in
 * 'hessian-gpu/study', the benchmark suites in 'hessian-gpu/bench'.
 */
export { ACTIVATIONS, OPTIMIZER_KINDS, OPTIMIZER_LABELS, DATA_SOURCES, isActivation, type Activation, type OptimizerKind, type DataSource } from './vocabulary';
export { hessian, Hessian, type BlockCurvature, type HessianOptions, type SolveOptions, type Eigenvalues, type EigenvaluesWithVectors } from './facade/hessian';
export { probe, type ProbeOptions, type ProbeResult, type DeepPartial } from './facade/probe';
export { acquireDevice, type AcquireOptions } from './gpu/device';
export { Gpu, type AdapterReport } from './gpu/context';
export { Tensor, type DType, type TensorOptions, type HostArray } from './gpu/tensor';
export { DeviceLostError, GpuUnavailableError, LimitError, ShaderError, ShapeError } from './gpu/errors';
export { Mlp, type MlpSpec, type EvalOptions, type LossResult } from './autograd/mlp';
export { paramLayout, type ParamLayout, type LayerSlice } from './autograd/layout';
export { rescaleLayers, rescaleNeurons, neuronFactors, type Rescaling, type NeuronRescaling } from './autograd/rescale';
export { GpuDataset, UNIT_RANGE, type Normalisation } from './data/gpu-dataset';
export { makeDataset, makeSplit, select, take, firstSamples, classCounts, type Dataset, type Split, type Origin } from './data/dataset';
export { splitDataset, type SplitOptions } from './data/split';
export { fetchIdxPair, loadIdxPair, type IdxPair, type IdxSource } from './data/idx-pair';
export type { Gunzip } from './data/idx';
export { readSafetensors, writeSafetensors, type SafetensorsFile, type Float32Tensor } from './io/safetensors';
export { readNpy, readNpz, isZip } from './io/npy';
export type { RawTensor, DType as FileDType } from './io/tensor-file';
export { readMlpWeights, exportMlpSafetensors, type ImportedMlp, type ImportedLayer, type LayerMapping } from './io/mlp-weights';
export { readDataNpz, readDataNpyPair, uploadArrayData, firstArraySamples, type ArrayData, type ArrayDataOptions } from './io/array-data';
export { train, type TrainOptions, type TrainResult, type TrainEvent, type StepLog, type EvalLog, type Divergence } from './train/trainer';
export { encodeCheckpoint, decodeCheckpoint, type Checkpoint, type NamedArray } from './train/checkpoint';
export { fullBatchDescent, type FullBatchOptions, type FullBatchResult, type FullBatchPoint } from './train/full-batch';
export { AdamPreconditioner } from './optim/preconditioner';
export { preconditionedOperator } from './probe/preconditioned';
export { Optimizer, resolveOptimizerConfig, describeOptimizer, type OptimizerConfig, type ResolvedOptimizerConfig, type OptimizerStateEntry } from './optim/optimizer';
export { lrAt, type Schedule } from './optim/schedule';
export { hessianBlockOperator, ggnBlockOperator, blockOf, restrictRows, type BlockOperator, type OperatorOptions } from './probe/block-operator';
export { lanczos, spectralDensityBlock, type LanczosOptions, type LanczosResult, type SlqOptions, type SlqResult } from './probe/lanczos';
export { blockEigen, topEigenpair, type BlockEigenOptions, type BlockEigenResult, type BlockEigenGroup, type TopEigenpairOptions, type TopEigenpair } from './probe/block-eigen';
export { blockHutchinsonTrace, type HutchinsonOptions, type TraceEstimate } from './probe/hutchinson';
export { deflatedTrace, type DeflatedTrace, type DeflatedTraceOptions } from './probe/deflated-trace';
export { lowestEigenpairs, type LowestEigenpairs, type LowestOptions } from './probe/lowest';
export { lanczosTop, type LanczosTop, type LanczosTopOptions } from './probe/lanczos-top';
export { studentizedMeanInterval, type BootstrapOptions, type Interval } from './util/bootstrap';
export { perLayerSharpnessBlock, layerBlock, type LayerSharpness, type ParamBlock } from './probe/layer';
export { perturbationSharpness, type PerturbationOptions, type PerturbationResult } from './probe/perturbation';
export { adaptiveSharpness, type AdaptiveSharpnessOptions, type AdaptiveSharpness } from './probe/adaptive';
export { relativeFlatness, type RelativeFlatnessOptions, type RelativeFlatness } from './probe/relative-flatness';
export { slice1d, slice2d, lossAtPoints, type Direction, type Slice1d, type Slice1dOptions, type Slice2d, type Slice2dOptions, type Grid } from './probe/slices';
export { randomDirection, filterNormalise, normalise, norm } from './probe/directions';
export { gradientNoise, perSampleDerivatives, type GradientNoise } from './probe/gradient-noise';
export { stationarySpread, type SpreadOptions, type SpreadResult, type DirectionSpread } from './probe/stationary-spread';
export { DEFAULT_CONFIG, mergeConfig, validateConfig, type StudyConfig, type RunConfig, type SettingsSource } from './study/config';
export type { Measure, MeasureContext, MeasureOutput, ProbeSettings, StudyColumn, TrainingSettings, DemoMetric, SettingsShape, ProbeWork, ProbePass } from './measures/measure';
export { MEASURES } from './measures/registry';
export { measureMinimum, type MeasureOptions, type MeasuredMinimum } from './measures/probe-run';
export type { EosConfig } from './study/eos-config';
export type { EosStudy } from './study/eos';
export type { SweepConfig, SweepOptimizer } from './study/sweep';
export type { TrainingSharpnessTrace, TrainingSharpnessPoint } from './study/training-sharpness';
export type { RunResult, StudyResult, Sharpness, Bounds, Correlation, DataUsed, RescalingResult, RunFailure, Solvers, Estimate, GaussNewtonSharpness } from './study/results';
export type { StudyCost } from './study/cost-estimate';
export type { NoiseResult, NoiseDirection, NoiseSettings, SpreadSkip } from './measures/noise';
export type { SlopeFit } from './util/bootstrap';
export type { MeasuredParts, NoiseScaleResult, ProbedRun } from './measures/results';
export type { Stage } from './measures/probe-run';
export type { InvariantSettings } from './measures/invariant';
export type { SharpnessRow } from './measures/table';
export type { Reproduction, BudgetRun } from './study/reproduction';
export type { ProbedMinimum } from './study/imported-run';
export type { UniformLayout, UniformValues, ScalarType } from './gpu/uniform';
export { Rng } from './util/rng';
export { ENGINE_VERSION } from './version';
