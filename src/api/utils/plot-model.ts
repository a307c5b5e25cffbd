import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, extname } from 'node:path';
import { checkDpi, modelToDot, type ModelToDotOptions, type PlottableModel } from './model-to-dot.js';
import { svgToPng } from './rasterize.js';
import { renderSvg } from './render-svg.js';

export interface PlotModelOptions extends ModelToDotOptions {
  /** Output file; its extension picks the format: .dot (or .gv), .svg or .png. Default 'model.png', as Keras. */
  toFile?: string;
}

const PLOT_EXTENSIONS: readonly string[] = ['.dot', '.gv', '.svg', '.png'];

/** Keras's plot_model default resolution for raster output. */
const DEFAULT_PNG_DPI = 96;

/**
 * Draws a model's layer graph to a file, as `keras.utils.plot_model` does: DOT text as is, SVG laid
 * out by Graphviz, or PNG rasterized from that SVG. Asynchronous because Graphviz and the
 * rasterizer are WebAssembly modules instantiated on first use.
 */
export async function plotModel(model: PlottableModel, options: PlotModelOptions = {}): Promise<void> {
  const { toFile = 'model.png', ...dotOptions } = options;
  const ext = extname(toFile).toLowerCase();
  if (!PLOT_EXTENSIONS.includes(ext)) {
    throw new Error(`plotModel: cannot write ${JSON.stringify(toFile)}: unsupported extension ${JSON.stringify(ext || '(none)')}; supported: ${PLOT_EXTENSIONS.join(', ')}`);
  }
  checkDpi(dotOptions.dpi);
  // The dpi attribute would also scale the SVG; for PNG it is applied by the rasterizer instead.
  const dot = ext === '.png' ? modelToDot(model, { ...dotOptions, dpi: undefined }, 'DejaVu Sans') : modelToDot(model, dotOptions);
  let contents: string | Uint8Array;
  if (ext === '.dot' || ext === '.gv') contents = dot;
  else if (ext === '.svg') contents = await renderSvg(dot);
  else contents = await svgToPng(await renderSvg(dot), dotOptions.dpi ?? DEFAULT_PNG_DPI);
  await mkdir(dirname(toFile), { recursive: true });
  await writeFile(toFile, contents);
}
