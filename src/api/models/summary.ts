/**
 * Keras 3's model.summary(): the same table (rich's heavy-head box, a rule between rows), the
 * same column widths (88 columns for sequential-like models, 108 with "Connected to"), the same
 * footer with parameter counts and their memory size.
 */
import type { Shape } from '../../ir/types.js';
import { checkOptions, optionKeys } from '../strict-options.js';
import type { CallNode, KerasTensor } from '../layers/keras-tensor.js';
import { InputLayer } from '../layers/input-layer.js';
import type { Layer } from '../layers/layer.js';
import type { Variable } from '../layers/variable.js';

export interface SummaryOptions {
  /** Total width of the table; Keras's default is 88 (108 with a "Connected to" column), capped by the terminal. */
  readonly lineLength?: number;
  /** Right edges of the columns, as fractions of the line (or absolute). */
  readonly positions?: readonly number[];
  /** Receives each line; defaults to console.log. */
  readonly printFn?: (line: string) => void;
}

/** What the summary needs of a model (Model and Sequential provide it). */
export interface SummarizableModel {
  readonly name: string;
  /** The layer calls of the model's graph (none before it is built). */
  summaryNodes(): readonly CallNode[];
  readonly trainableWeights: Variable[];
  readonly nonTrainableWeights: Variable[];
  /** Layers to list (Sequential leaves out its InputLayer). */
  summaryLayers(): readonly Layer[];
  readonly isSequential: boolean;
  /** Sizes of the optimizer's variables once it is built (Keras's "Optimizer params" line), else undefined. */
  optimizerVariableSizes?(): readonly number[] | undefined;
}

const formatShape = (s: Shape) => `(${s.map((d) => (d === null ? 'None' : String(d))).join(', ')})`;
const thousands = (n: number) => n.toLocaleString('en-US');

/** Keras's readable_memory_size. */
export function readableMemorySize(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB', 'PB'];
  let size = bytes;
  for (const unit of units) {
    if (size / 1024 < 1) return `${size.toFixed(2)} ${unit}`;
    size /= 1024;
  }
  return `${size.toFixed(2)} ${units.at(-1)}`;
}

const BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1 };
function memory(weights: readonly Variable[]): number {
  return [...new Set(weights)].reduce((n, w) => n + w.size * (BYTES[w.dtype] ?? 4), 0);
}
function count(weights: readonly Variable[]): number {
  return [...new Set(weights)].reduce((n, w) => n + w.size, 0);
}

/** Python's round(): halves go to the even neighbour. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** rich's ratio_reduce: takes `total` away from `values` in proportion to `ratios`. */
function ratioReduce(total: number, ratios: number[], maximums: number[], values: number[]): number[] {
  let totalRatio = ratios.reduce((a, b) => a + b, 0);
  let remaining = total;
  return values.map((value, i) => {
    if (ratios[i] === 0 || totalRatio <= 0) return value;
    const distributed = Math.min(maximums[i], roundHalfEven((ratios[i] * remaining) / totalRatio));
    remaining -= distributed;
    totalRatio -= ratios[i];
    return value - distributed;
  });
}

/** Cell widths (padding included) as rich lays out fixed-width columns in a table of `lineLength`. */
function cellWidths(lineLength: number, positions: readonly number[]): number[] {
  let current = 0;
  const widths = positions.map((p) => {
    const right = p <= 1 ? Math.floor(p * lineLength) : p;
    const w = right - current;
    if (w < 4) throw new Error('Insufficient console width to print summary.');
    current += w;
    return w + 2;
  });
  const available = lineLength - (widths.length + 1);
  const excess = widths.reduce((a, b) => a + b, 0) - available;
  return excess > 0 ? ratioReduce(excess, widths.map(() => 1), widths, widths) : widths;
}

/** Word-wraps `text` to `width` columns, folding words longer than a line. */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    let w = word;
    const sep = line === '' ? '' : ' ';
    if ((line + sep + w).length <= width) {
      line += sep + w;
      continue;
    }
    if (line !== '') lines.push(line);
    while (w.length > width) {
      lines.push(w.slice(0, width));
      w = w.slice(width);
    }
    line = w;
  }
  lines.push(line);
  return lines;
}

type Align = 'left' | 'right';
function renderRow(cells: readonly string[], widths: readonly number[], aligns: readonly Align[], edge: string): string[] {
  const wrapped = cells.map((c, i) => wrap(c, widths[i] - 2));
  const height = Math.max(...wrapped.map((w) => w.length));
  const out: string[] = [];
  for (let r = 0; r < height; r++) {
    const parts = wrapped.map((w, i) => {
      const t = w[r] ?? '';
      const padded = aligns[i] === 'right' ? t.padStart(widths[i] - 2) : t.padEnd(widths[i] - 2);
      return ` ${padded} `;
    });
    out.push(`${edge}${parts.join(edge)}${edge}`);
  }
  return out;
}

function rule(widths: readonly number[], left: string, fill: string, mid: string, right: string): string {
  return `${left}${widths.map((w) => fill.repeat(w)).join(mid)}${right}`;
}

function layerShape(layer: Layer, nodes: readonly CallNode[]): string {
  const calls = layer.inboundNodes.filter((n) => nodes.includes(n));
  const node = calls.at(-1) ?? layer.inboundNodes.at(-1);
  if (node === undefined) return '?';
  const shapes = node.outputs.map((t: KerasTensor) => formatShape(t.shape));
  return shapes.length === 1 ? shapes[0] : `[${shapes.join(', ')}]`;
}

function connections(layer: Layer, nodes: readonly CallNode[]): string {
  const parts: string[] = [];
  for (const node of layer.inboundNodes) {
    if (!nodes.includes(node)) continue;
    for (const t of node.inputs) parts.push(`${t.history.layer.name}[${t.history.nodeIndex}][${t.history.tensorIndex}]`);
  }
  return parts.length === 0 ? '-' : parts.join(', ');
}

/** Keras's test: a chain of single-input calls with no shared layers prints without "Connected to". */
function isSequentialLike(model: SummarizableModel): boolean {
  if (model.isSequential) return true;
  const nodes = model.summaryNodes();
  const consumers = new Map<KerasTensor, number>();
  for (const node of nodes) {
    if (node.inputs.length > 1) return false;
    for (const t of node.inputs) consumers.set(t, (consumers.get(t) ?? 0) + 1);
  }
  if ([...consumers.values()].some((c) => c > 1)) return false;
  if (nodes.filter((n) => n.inputs.length === 0).length > 1) return false;
  const layers = nodes.map((n) => n.layer);
  return new Set(layers).size === layers.length;
}

const SUMMARY_OPTIONS = optionKeys<SummaryOptions>({ lineLength: true, positions: true, printFn: true });

export function printSummary(model: SummarizableModel, options: SummaryOptions = {}): void {
  checkOptions(options, SUMMARY_OPTIONS, 'summary');
  const print = options.printFn ?? ((line: string) => console.log(line));
  const sequentialLike = isSequentialLike(model);
  const header = sequentialLike ? ['Layer (type)', 'Output Shape', 'Param #'] : ['Layer (type)', 'Output Shape', 'Param #', 'Connected to'];
  const aligns: Align[] = sequentialLike ? ['left', 'left', 'right'] : ['left', 'left', 'right', 'left'];
  const positions = options.positions ?? (sequentialLike ? [0.45, 0.8, 1.0] : [0.3, 0.56, 0.74, 1.0]);
  const defaultLength = sequentialLike ? 88 : 108;
  const terminal = process.stdout.isTTY && options.printFn === undefined ? process.stdout.columns - 4 : Infinity;
  const lineLength = options.lineLength ?? Math.min(defaultLength, terminal);
  const widths = cellWidths(lineLength, positions);

  const nodes = model.summaryNodes();
  const rows = model.summaryLayers().map((layer) => {
    const params = layer.built || layer instanceof InputLayer ? thousands(layer.countParams()) : '0 (unbuilt)';
    const fields = [`${layer.name} (${layer.className})`, layerShape(layer, nodes), params];
    if (!sequentialLike) fields.push(connections(layer, nodes));
    return fields;
  });

  const lines: string[] = [`Model: "${model.name}"`];
  lines.push(rule(widths, '┏', '━', '┳', '┓'));
  lines.push(...renderRow(header, widths, aligns, '┃'));
  lines.push(rule(widths, '┡', '━', '╇', '┩'));
  rows.forEach((row, i) => {
    if (i > 0) lines.push(rule(widths, '├', '─', '┼', '┤'));
    lines.push(...renderRow(row, widths, aligns, '│'));
  });
  lines.push(rule(widths, '└', '─', '┴', '┘'));

  const trainable = model.trainableWeights;
  const nonTrainable = model.nonTrainableWeights;
  const total = [...trainable, ...nonTrainable];
  // Keras counts a built optimizer's variables (all 4-byte: int32 iterations, float32 otherwise) into the total.
  const optimizer = model.optimizerVariableSizes?.();
  const optimizerCount = optimizer === undefined ? 0 : optimizer.reduce((a, b) => a + b, 0);
  lines.push(` Total params: ${thousands(count(total) + optimizerCount)} (${readableMemorySize(memory(total) + 4 * optimizerCount)})`);
  lines.push(` Trainable params: ${thousands(count(trainable))} (${readableMemorySize(memory(trainable))})`);
  lines.push(` Non-trainable params: ${thousands(count(nonTrainable))} (${readableMemorySize(memory(nonTrainable))})`);
  if (optimizer !== undefined) lines.push(` Optimizer params: ${thousands(optimizerCount)} (${readableMemorySize(4 * optimizerCount)})`);
  for (const line of lines) print(line);
}
