/**
 * The state a layer call reads while a model is traced: the learning phase, the step's seed node
 * (random ops draw from it) and the variable updates collected so far (BatchNormalization's moving
 * statistics). Traces nest (a model called inside a model) and are kept on a stack.
 */
import type { Update } from '../ir/graph.js';
import { input } from '../ir/build.js';
import type { Node } from '../ir/node.js';

export interface TraceContext {
  readonly training: boolean;
  readonly seed: Node;
  readonly updates: Update[];
  /** Scalar losses added during the trace (addLoss, activity regularizers), summed into the training loss. */
  readonly losses: Node[];
}

const stack: TraceContext[] = [];

/**
 * Layer calls on Keras tensors (build time, batch still None) trace only to infer shapes, so they
 * draw from a placeholder seed that no program ever feeds.
 */
let placeholderSeed: Node | undefined;
export function symbolicSeed(): Node {
  placeholderSeed ??= input('symbolic_seed', [], 'int32');
  return placeholderSeed;
}

export function currentTrace(): TraceContext {
  return stack[stack.length - 1] ?? { training: false, seed: symbolicSeed(), updates: [], losses: [] };
}

/** Runs `body` with `ctx` as the current trace. */
export function withTrace<T>(ctx: TraceContext, body: () => T): T {
  stack.push(ctx);
  try {
    return body();
  } finally {
    stack.pop();
  }
}
