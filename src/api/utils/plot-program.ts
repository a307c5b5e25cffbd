/**
 * plotProgram: the picture of what keras-jit compiled for a model, beside plotModel's picture of
 * its layers. By default the fused program: one cluster per kernel (in run order) holding its ops,
 * edges labelled with the type of the value they carry, bold where the value goes through memory.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, extname } from 'node:path';
import type { DumpOptions, DumpStage } from '../training/dump.js';
import type { GraphKind } from '../training/programs.js';
import { svgToPng } from './rasterize.js';
import { renderSvg } from './render-svg.js';

/** A model that can dump its programs (Model and Sequential). */
export interface DumpableModel {
  dump(options?: DumpOptions): string;
}

export interface PlotProgramOptions {
  /** 'train' (default; needs compile()), 'evaluate' or 'predict'. */
  readonly graph?: GraphKind;
  /** 'fused' (default: kernels as clusters), or 'ir' / 'optimized' for the graph before fusion. */
  readonly stage?: Exclude<DumpStage, 'code'>;
  /** The batch size the program is specialised to. Default 32. */
  readonly batchSize?: number;
  /** Output file; its extension picks the format: .dot (or .gv), .svg or .png. Default 'program.svg'. */
  readonly toFile?: string;
  /** Resolution of a .png. Default 96. */
  readonly dpi?: number;
}

const EXTENSIONS: readonly string[] = ['.dot', '.gv', '.svg', '.png'];

export async function plotProgram(model: DumpableModel, options: PlotProgramOptions = {}): Promise<void> {
  const { toFile = 'program.svg', graph = 'train', stage = 'fused', batchSize, dpi = 96 } = options;
  const ext = extname(toFile).toLowerCase();
  if (!EXTENSIONS.includes(ext)) {
    throw new Error(`plotProgram: cannot write ${JSON.stringify(toFile)}: unsupported extension ${JSON.stringify(ext || '(none)')}; supported: ${EXTENSIONS.join(', ')}`);
  }
  if ((stage as string) === 'code') throw new Error(`plotProgram: stage 'code' is text; use model.dump({ stage: 'code' })`);
  const dot = model.dump({ graph, stage, batchSize, format: 'dot' });
  let contents: string | Uint8Array = dot;
  if (ext === '.svg') contents = await renderSvg(dot);
  else if (ext === '.png') contents = await svgToPng(await renderSvg(dot), dpi);
  await mkdir(dirname(toFile), { recursive: true });
  await writeFile(toFile, contents);
}
