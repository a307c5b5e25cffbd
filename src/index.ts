/** keras-jit: Keras for TypeScript as a lazy graph compiler. The public surface (see docs/API.md). */
export { tensor, Tensor, type NestedArray, type TensorData } from './api/tensor.js';
export { Sequential, Model, type ModelArgs, type SequentialArgs, type SummaryOptions } from './api/models/index.js';
export { Input, type InputArgs, KerasTensor } from './api/layers/index.js';
export * as layers from './api/layers/index.js';
export * as ops from './api/ops.js';
export * as activations from './api/activations.js';
export * as initializers from './api/initializers.js';
export * as backend from './api/backend.js';
export { Session, type SessionOptions } from './runtime/session.js';
export * as losses from './api/losses.js';
export * as metrics from './api/metrics.js';
export * as optimizers from './api/optimizers.js';
export * as regularizers from './api/regularizers.js';
export * as constraints from './api/constraints.js';
export * as callbacks from './api/callbacks/index.js';
export * as utils from './api/utils/index.js';
export type { DumpFormat, DumpOptions, DumpStage } from './api/training/index.js';
export type { DType, Shape } from './ir/types.js';
