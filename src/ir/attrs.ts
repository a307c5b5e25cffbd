import type { ScanBody } from './scan-body.js';
import type { DType, Shape } from './types.js';

/** [top, bottom, left, right] padding of a 2-D window op, in pixels. */
export type Padding2D = readonly [number, number, number, number];
export type Pair = readonly [number, number];

export interface Window2DAttrs {
  readonly window: Pair;
  readonly strides: Pair;
  readonly padding: Padding2D;
}
export interface Conv2DAttrs {
  readonly strides: Pair;
  readonly padding: Padding2D;
  readonly dilation: Pair;
}
export interface ReduceAttrs {
  readonly axes: readonly number[];
  readonly keepDims: boolean;
}
type None = Record<string, never>;

/**
 * The elementwise primitives without attributes, by arity. Naming one here is all OpAttrs needs;
 * the op table's record (ops/elementwise.ts) and the JavaScript emitter
 * (codegen/elementwise-emitters.ts) are then required by the type checker.
 */
/**
 * stopGradient is the identity with no gradient (Keras's stop_gradient): softmax's stabilising max
 * goes through it, since its gradient cancels exactly. Simplify removes it after differentiation.
 */
export type UnaryOp = 'negative' | 'exp' | 'log' | 'sqrt' | 'tanh' | 'abs' | 'sign' | 'erf' | 'sigmoid' | 'stopGradient';
export type BinaryOp = 'add' | 'subtract' | 'multiply' | 'divide' | 'power' | 'maximum' | 'minimum';
export type ComparisonOp = 'less' | 'lessEqual' | 'greater' | 'greaterEqual' | 'equal' | 'notEqual';
type AttributelessElementwise = { readonly [K in UnaryOp | BinaryOp | ComparisonOp]: None };

/**
 * Every primitive and its attributes. The op table, the interpreter and the emitters are all
 * mapped types over these keys, so adding a primitive without its rules fails to type-check.
 */
export interface OpAttrs extends AttributelessElementwise {
  // sources: buffers that come from outside the program
  input: { readonly slot: number; readonly label: string; readonly shape: Shape; readonly dtype: DType };
  variable: { readonly varId: number; readonly label: string; readonly shape: Shape; readonly dtype: DType };
  // generators: values computed from indices alone
  fill: { readonly value: number; readonly shape: Shape; readonly dtype: DType };
  iota: { readonly shape: Shape; readonly axis: number; readonly dtype: DType };
  /** Uniform [0, 1) from a counter-based generator: input 0 is the int32 seed scalar of the step. */
  randomUniform: { readonly shape: Shape; readonly stream: number };
  // elementwise with attributes or a third operand (the rest are UnaryOp, BinaryOp, ComparisonOp)
  cast: { readonly dtype: DType };
  where: None;
  // reductions
  sum: ReduceAttrs;
  max: ReduceAttrs;
  // contractions
  matmul: { readonly transposeA: boolean; readonly transposeB: boolean };
  conv2d: Conv2DAttrs;
  /** The gradient of conv2d with respect to its input (also Conv2DTranspose's forward). Inputs: dy, filter. */
  conv2dBackpropInput: Conv2DAttrs & { readonly inputSize: Pair };
  /** The gradient of conv2d with respect to its filter. Inputs: x, dy. */
  conv2dBackpropFilter: Conv2DAttrs & { readonly filterSize: Pair };
  // windowed reductions (pooling) and their gradients
  maxPool2d: Window2DAttrs;
  /**
   * Inputs: x, dy. Routes each dy to the first maximum of its window; with `positiveOnly`, only
   * where that maximum is positive (simplify folds the relu′ of a pooled relu into it).
   */
  maxPool2dGrad: Window2DAttrs & { readonly positiveOnly?: true };
  /** Averages over the window's in-bounds elements only (Keras's 'same' padding semantics). */
  avgPool2d: Window2DAttrs;
  avgPool2dGrad: Window2DAttrs & { readonly inputSize: Pair };
  // movement
  reshape: { readonly shape: Shape };
  transpose: { readonly perm: readonly number[] };
  broadcastTo: { readonly shape: Shape };
  slice: { readonly begin: readonly number[]; readonly end: readonly number[] };
  pad: { readonly widths: readonly Pair[]; readonly value: number };
  concatenate: { readonly axis: number };
  // indexing
  /** Rows of input 0 picked by the int32 indices of input 1; `label` names the layer in range errors. */
  gather: { readonly label: string };
  /** Zeros of shape [rows, ...] with the rows of input 1 added at the int32 indices of input 0. */
  scatterAdd: { readonly rows: number };
  // recurrence (docs/ARCHITECTURE.md, "Recurrence")
  /**
   * Runs `body` once per step over axis 0 of the sequences. Inputs: `carries` initial carries,
   * `xs` sequences, then constants. One packed float32 buffer holds every result (scan-body.ts,
   * scanParts); `scanOutput` views one of them.
   */
  scan: { readonly body: ScanBody; readonly length: number; readonly reverse: boolean; readonly carries: number; readonly xs: number; readonly save: boolean };
  /** Result `index` of a scan node (scan-body.ts, scanParts): a view of part of its packed buffer. */
  scanOutput: { readonly index: number };
}

export type OpName = keyof OpAttrs;
