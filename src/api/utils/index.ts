/** The `utils` namespace: `import { utils } from 'keras-jit'`. */
export { toCategorical, type Labels } from './to-categorical.js';
export { plotModel, PLOT_EXTENSIONS, type PlotModelOptions } from './plot-model.js';
export { modelToDot, escapeDotHtml, type ModelToDotOptions, type PlottableModel, type RankDir } from './model-to-dot.js';
