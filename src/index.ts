/**
 * The library's browser-safe entry (`import … from 'hessian-gpu'`): device, model, data on the GPU,
 * training, optimizers, the sharpness probes, checkpoints as bytes, the study's config and results.
 * Node-only pieces (Dawn, files, the study runner) are in 'hessian-gpu/node'.
 */
export * from './vocabulary';
export { acquireDevice, type AcquireOptions } from './gpu/device';
export { Gpu, type AdapterReport } from './gpu/context';
export { Tensor, type DType, type TensorOptions } from './gpu/tensor';
export { DeviceLostError, GpuUnavailableError, LimitError, ShaderError, ShapeError } from './gpu/errors';
export { Mlp, PLAN_CACHE_SIZE, type MlpSpec, type EvalOptions, type LossResult } from './autograd/mlp';
export { PassPlan, type PassOptions } from './autograd/pass';
export { paramLayout, type ParamLayout } from './autograd/layout';
export { GpuDataset, UNIT_RANGE, type Normalisation } from './data/gpu-dataset';
export { makeDataset, select, take, firstSamples, classCounts, type Dataset, type Split } from './data/dataset';
export { splitDataset, type SplitOptions } from './data/split';
export { fetchIdxPair, loadIdxPair } from './data/idx-pair';
export { train, type TrainOptions, type TrainResult, type StepLog, type EvalLog, type Divergence } from './train/trainer';
export { encodeCheckpoint, decodeCheckpoint, type Checkpoint } from './train/checkpoint';
export { fullBatchDescent, type FullBatchOptions, type FullBatchResult, type FullBatchPoint } from './train/full-batch';
export { AdamPreconditioner } from './optim/preconditioner';
export { preconditionedOperator } from './probe/preconditioned';
export { Optimizer, resolveOptimizerConfig, type OptimizerConfig, type ResolvedOptimizerConfig } from './optim/optimizer';
export { lrAt, type Schedule } from './optim/schedule';
export { hessianOperator, type LinearOperator } from './probe/operator';
export { powerIteration, topEigenvalue, type PowerOptions, type PowerResult } from './probe/power';
export { lanczos, lanczosEigen, spectralDensityGpu } from './probe/lanczos';
export { hutchinsonTrace } from './probe/hutchinson';
export { deflatedTrace, type DeflatedTrace, type DeflatedTraceOptions } from './probe/deflated-trace';
export { lowestEigenpairs, type LowestEigenpairs, type LowestOptions } from './probe/lowest';
export { studentizedMeanInterval } from './util/bootstrap';
export { perLayerSharpness, layerOperator } from './probe/layer';
export { perturbationSharpness } from './probe/perturbation';
export { slice1d, slice2d } from './probe/slices';
export { randomDirection, filterNormalise, normalise } from './probe/directions';
export { probeMinimum, type ProbeSettings, type MinimumProbe } from './study/probe-minimum';
export { gradientNoise, perSampleDerivatives, type GradientNoise } from './probe/gradient-noise';
export { stationarySpread, type SpreadOptions, type SpreadResult } from './probe/stationary-spread';
export { measureNoise, type NoiseSettings, type NoiseResult } from './study/noise';
export { DEFAULT_CONFIG, mergeConfig, validateConfig, checkBuffersFit, type StudyConfig, type RunConfig } from './study/config';
export type { RunResult, StudyResult, Sharpness } from './study/results';
export { Rng } from './util/rng';
export { ENGINE_VERSION } from './version';
