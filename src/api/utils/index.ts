/** The `utils` namespace: `import { utils } from 'keras-jit'`, Keras's keras.utils. */
export { toCategorical, type Labels } from './to-categorical.js';
export { plotModel, type PlotModelOptions } from './plot-model.js';
export { modelToDot, type ModelToDotOptions, type PlottableModel, type RankDir } from './model-to-dot.js';
export { plotProgram, type PlotProgramOptions, type DumpableModel } from './plot-program.js';
export { plotHistory, type HistoryLike, type PlotHistoryOptions } from './plot-history.js';
