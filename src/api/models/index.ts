export { Model, type ModelArgs } from './model.js';
export { Sequential, type SequentialArgs } from './sequential.js';
export type { SummaryOptions } from './summary.js';
export { modelFromJSON, modelFromConfig } from '../saving/config/public.js';
export { loadModel } from '../saving/model-files.js';
