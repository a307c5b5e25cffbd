/**
 * The training engine's entry points: Model's compile/fit/evaluate/predict delegate here.
 */
export { compileModel } from './compile.js';
export { fitModel, type FitOptions } from './fit.js';
export { evaluateLogs, evaluateModel, type EvaluateOptions } from './evaluate.js';
export { predictModel, type PredictOptions } from './predict.js';
export { dumpModel, type DumpFormat, type DumpOptions, type DumpStage } from './dump.js';
export { buildSpec, defaultLabelSigs, inputSigs, type GraphKind } from './programs.js';
export type { CompileOptions, CompiledConfig, DataLike, Logs, TrainableModel } from './types.js';
export { trainOnBatch, testOnBatch, predictOnBatch, type BatchResult, type TrainOnBatchOptions, type TestOnBatchOptions } from './on-batch.js';
export { evaluateStream, evaluateStreamLogs, predictStream, type StreamEvaluateOptions, type StreamPredictOptions } from './stream-api.js';
export { isBatchSource, type BatchSource, type StreamBatch } from './stream.js';
export { isTraining } from './busy.js';
