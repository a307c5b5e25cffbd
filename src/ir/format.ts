/**
 * How IR values print, shared by the text dump and the DOT dump so both name and describe a node
 * the same way: variable names, types, literals, attributes and user labels.
 */
import type { Graph } from './graph.js';
import { graphRoots, topoOrder } from './graph.js';
import type { Node } from './node.js';
import { OPS } from './optable.js';
import type { DType, Shape } from './types.js';

/** Names in the jaxpr style: a..z, then ba, bb, ... (base 26 with a as the zero digit). */
export function varName(index: number): string {
  let s = '';
  let n = index;
  do {
    s = String.fromCharCode(97 + (n % 26)) + s;
    n = Math.floor(n / 26);
  } while (n > 0);
  return s;
}

const SHORT: Record<DType, string> = { float32: 'f32', int32: 'i32', bool: 'bool' };
export const shortDtype = (dtype: DType): string => SHORT[dtype];

export function formatType(dtype: DType, shape: Shape): string {
  return `${shortDtype(dtype)}[${shape.map((d) => (d === null ? 'None' : String(d))).join(',')}]`;
}

export function formatNumber(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (v === Infinity) return 'inf';
  if (v === -Infinity) return '-inf';
  if (Object.is(v, -0)) return '-0';
  return String(v);
}

/**
 * A user string (layer name, label) as a JSON string literal. JSON.stringify already escapes
 * quotes, backslashes and C0 controls; the three further characters some tools treat as line
 * breaks are escaped too, so a label can never start a new line of a dump.
 */
export function stringLiteral(s: string): string {
  return JSON.stringify(s).replace(/[\u0085\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** A rank-0 fill is a literal: printed in place, never named. */
export function isLiteral(node: Node): boolean {
  return node.op === 'fill' && node.shape.length === 0;
}

export function formatLiteral(node: Node<'fill'>): string {
  const v = node.attrs.value;
  if (node.dtype === 'bool') return v ? 'true' : 'false';
  const text = formatNumber(v);
  const decimal = node.dtype === 'float32' && /^-?\d+$/.test(text) ? `${text}.0` : text;
  return `${decimal}:${shortDtype(node.dtype)}`;
}

function formatAttrValue(key: string, value: unknown): string {
  if (value === null) return 'None';
  if (typeof value === 'number') return formatNumber(value);
  if (typeof value === 'boolean') return String(value);
  if (typeof value === 'string') return key === 'dtype' ? shortDtype(value as DType) : stringLiteral(value);
  if (Array.isArray(value)) return `[${value.map((v) => formatAttrValue(key, v)).join(',')}]`;
  return stringLiteral(String(value));
}

/** `[k=v,...]` with sorted keys, or '' when the op has no attributes worth printing (see OpRule.hiddenAttrs). */
export function formatAttrs(node: Node): string {
  const hidden: readonly string[] = OPS[node.op].hiddenAttrs ?? [];
  const record = node.attrs as Readonly<Record<string, unknown>>;
  const keys = Object.keys(record).filter((k) => !hidden.includes(k)).sort();
  return keys.length === 0 ? '' : `[${keys.map((k) => `${k}=${formatAttrValue(k, record[k])}`).join(',')}]`;
}

export const isSource = (node: Node): boolean => node.op === 'input' || node.op === 'variable';

export interface NamedGraph {
  /** Named nodes: inputs, variables, then the rest; each after its inputs. Literals are excluded. */
  readonly order: readonly Node[];
  readonly names: ReadonlyMap<Node, string>;
  /** A node's name, or its literal text. */
  operand(node: Node): string;
}

/**
 * Names every node of the graph (including update targets nothing reads) in a deterministic
 * topological order, inputs then variables first so the header reads a, b, c ...
 */
export function nameGraph(graph: Graph): NamedGraph {
  const all = topoOrder([...graphRoots(graph), ...graph.updates.map((u) => u.variable)]).filter((n) => !isLiteral(n));
  const order = [...all.filter((n) => n.op === 'input'), ...all.filter((n) => n.op === 'variable'), ...all.filter((n) => !isSource(n))];
  const names = new Map<Node, string>();
  order.forEach((n, i) => names.set(n, varName(i)));
  return {
    order,
    names,
    operand: (node) => names.get(node) ?? formatLiteral(node as Node<'fill'>),
  };
}
