import type * as ES from 'estree';
import { IndexRangeError } from '../ir/ops/indexing.js';
import { erf, streamKey, uniformAt } from '../ir/math.js';
import { ident, print } from './template.js';

/**
 * The calling convention of every generated kernel: the three views of the one memory
 * (float32, int32 and byte), then the element offset of each buffer it reads or writes, in the
 * order its spec lists them. Offsets are arguments, not literals, so one kernel serves every
 * program that has the same fused group at the same shapes; shapes and strides are literals.
 */
export type KernelFn = (F: Float32Array, I: Int32Array, U: Uint8Array, ...offsets: number[]) => void;

export interface Kernel {
  /** Readable, from op names and shapes only (e.g. `matmul_128x784x512_bias_relu`). */
  readonly name: string;
  /** The generated program text, for dumps. */
  readonly source: string;
  readonly run: KernelFn;
}

/** Functions generated code may call, shared with the reference interpreter. */
export const KERNEL_HELPERS = Object.freeze({ erf, streamKey, uniformAt, IndexRangeError });

export interface KernelAst {
  readonly name: string;
  /** Number of offset parameters, named o0, o1, ... */
  readonly buffers: number;
  /** Statements run once when the kernel is created (scratch panels, tables). */
  readonly prelude: readonly ES.Statement[];
  readonly body: readonly ES.Statement[];
}

/** Prints and instantiates a kernel: `new Function` over our own AST, with the helpers as `H`. */
export function instantiate(k: KernelAst): Kernel {
  const params = ['F', 'I', 'U', ...Array.from({ length: k.buffers }, (_, i) => `o${i}`)].map(ident);
  const fn: ES.FunctionDeclaration = {
    type: 'FunctionDeclaration',
    id: ident(k.name),
    params,
    body: { type: 'BlockStatement', body: [...k.body] },
  };
  const program: ES.Program = {
    type: 'Program',
    sourceType: 'script',
    body: [
      { type: 'ExpressionStatement', expression: { type: 'Literal', value: 'use strict' }, directive: 'use strict' },
      ...k.prelude,
      fn,
      { type: 'ReturnStatement', argument: ident(k.name) },
    ],
  };
  const source = print(program);
  const run = new Function('H', source)(KERNEL_HELPERS) as KernelFn;
  return { name: k.name, source, run };
}
