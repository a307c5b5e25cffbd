/**
 * Decides whether a fused contraction group's epilogue (matmul or convolution: the bias runs along
 * the output's last axis in both) is one the WebAssembly kernel applies itself
 * (identity, + bias row vector, relu, bias then relu), and which buffer is the bias. Anything
 * else, or a group that stores more than its final value, takes the JS fallback pass
 * (codegen/epilogue-pass.ts) instead.
 */
import type { FusedKernel } from '../../ir/fusion.js';
import { isOp, type Node } from '../../ir/node.js';
import { sameShape } from '../../ir/types.js';
import type { NativeEpilogue } from './matmul-emit.js';

export interface NativeMatch {
  readonly epilogue: NativeEpilogue;
  /** The bias buffer, one of the group's inputs, when `epilogue.bias`. */
  readonly bias?: Node;
}

const isZero = (n: Node) => isOp(n, 'fill') && n.attrs.value === 0;

export function matchNativeEpilogue(k: FusedKernel): NativeMatch | undefined {
  const anchor = k.anchor;
  if (k.kind !== 'contraction' || k.outputs.length !== 1) return undefined;
  const N = anchor.shape[anchor.shape.length - 1];
  let prev: Node = anchor, bias: Node | undefined, relu = false;
  for (const n of k.epilogue) {
    // Every step must keep the product's shape and float32: no broadcasting of C itself.
    if (n.dtype !== 'float32' || !sameShape(n.shape, anchor.shape) || n.inputs.length !== 2) return undefined;
    const [p, q] = n.inputs;
    const other = p === prev ? q : q === prev ? p : undefined;
    if (other === undefined || other === prev) return undefined;
    const isBias = k.inputs.includes(other) && other.dtype === 'float32' && other.shape.length === 1 && other.shape[0] === N;
    // Bias must come before relu: the kernel applies them in that order.
    if (n.op === 'add' && isBias && bias === undefined && !relu) bias = other;
    else if (n.op === 'maximum' && isZero(other) && !relu) relu = true;
    else return undefined;
    prev = n;
  }
  if (k.outputs[0] !== prev) return undefined;
  return { epilogue: { bias: bias !== undefined, relu }, ...(bias !== undefined ? { bias } : {}) };
}
