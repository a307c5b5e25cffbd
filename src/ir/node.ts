import type { OpAttrs, OpName } from './attrs.js';
import type { DType, Shape } from './types.js';
import { ShapeError } from './types.js';
import { OPS } from './optable.js';

/**
 * One value of the graph: an op applied to inputs. Nodes are immutable and interned, so two
 * structurally equal expressions are the same object (common subexpressions are shared for free)
 * and `key` identifies the structure for caches.
 */
export interface Node<K extends OpName = OpName> {
  readonly id: number;
  readonly op: K;
  readonly inputs: readonly Node[];
  readonly attrs: OpAttrs[K];
  readonly shape: Shape;
  readonly dtype: DType;
  /** Structural identity: op, attributes and the ids of the (interned) inputs. */
  readonly key: string;
}

export type AnyNode = { [K in OpName]: Node<K> }[OpName];

let nextId = 1;
/** Weak so graphs traced and dropped (a cleared session, a finished test) can be collected. */
const interned = new Map<string, WeakRef<Node>>();
const reaper = new FinalizationRegistry<string>((key) => {
  const ref = interned.get(key);
  if (ref !== undefined && ref.deref() === undefined) interned.delete(key);
});

/** Serialises attributes with sorted keys so equal attributes give equal keys. */
export function stableJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    // NaN, the infinities and -0 print apart, so fill(-0) and fill(0) stay different nodes.
    if (typeof value === 'number' && (!Number.isFinite(value) || Object.is(value, -0))) return Object.is(value, -0) ? '-0' : String(value);
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  const record = value as Record<string, unknown>;
  return `{${Object.keys(record).sort().map((k) => `${JSON.stringify(k)}:${stableJson(record[k])}`).join(',')}}`;
}

/**
 * Makes (or finds) the node `op(inputs; attrs)`, inferring its shape and dtype now, so a shape
 * error surfaces at the call that caused it rather than when the graph is compiled.
 */
export function make<K extends OpName>(op: K, inputs: readonly Node[], attrs: OpAttrs[K]): Node<K> {
  const key = `${op}(${inputs.map((i) => i.id).join(',')})${stableJson(attrs)}`;
  const found = interned.get(key)?.deref();
  if (found !== undefined) return found as Node<K>;
  const rule = OPS[op];
  if (rule.arity !== 'variadic' && inputs.length !== rule.arity) {
    throw new ShapeError(`${op}: expected ${rule.arity} input(s), got ${inputs.length}`);
  }
  const shape = Object.freeze(rule.shape(inputs, attrs as never)) as Shape;
  const dtype = rule.dtype(inputs, attrs as never);
  const node: Node<K> = Object.freeze({ id: nextId++, op, inputs: Object.freeze([...inputs]), attrs: deepFreeze(attrs), shape, dtype, key });
  interned.set(key, new WeakRef(node));
  reaper.register(node, key);
  return node;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value as object)) deepFreeze(v);
  }
  return value;
}

export function isOp<K extends OpName>(node: Node, op: K): node is Node<K> {
  return node.op === op;
}
