/**
 * Evaluates keras-jit models without the training engine: trace at concrete shapes, run the
 * reference interpreter with the session's variable values. Also loads TensorFlow.js (cpu, quiet)
 * as the reference for layer values.
 */
import * as B from '../../src/ir/build.js';
import { interpret } from '../../src/ir/interpret.js';
import type { Node } from '../../src/ir/node.js';
import type { RefTensor } from '../../src/ir/ops/rule.js';
import { getSession } from '../../src/api/backend.js';
import type { Model } from '../../src/api/models/model.js';
import { tensor, type Tensor } from '../../src/api/tensor.js';

export interface EvalResult {
  readonly outputs: Tensor[];
  /** New values of updated variables, by variable label. */
  readonly updates: Map<string, Float64Array>;
}

export function evalModel(model: Model, inputs: readonly Tensor[], { training = false, seed = 1234 } = {}): EvalResult {
  const nodes = inputs.map((t, i) => B.input(`in${i}`, t.shape, t.dtype));
  const seedNode = B.input('seed', [], 'int32');
  const traced = model.trace(nodes, training, seedNode);
  const session = getSession();
  const result = interpret({ outputs: traced.outputs, updates: traced.updates }, {
    source(node): RefTensor {
      if (node.op === 'variable') {
        const v = session.variableOf(node);
        return { shape: v.shape, data: Float64Array.from(session.view(v)) };
      }
      if (node === seedNode) return { shape: [], data: Float64Array.of(seed) };
      const i = nodes.indexOf(node as Node<'input'>);
      if (i < 0) throw new Error(`no value for input ${node.attrs.label}`);
      return { shape: inputs[i].shape, data: Float64Array.from(inputs[i].data) };
    },
  });
  const outputs = result.outputs.map((r, i) => tensor(Float32Array.from(r.data), [...r.shape], traced.outputs[i].dtype === 'int32' ? 'int32' : 'float32'));
  const updates = new Map<string, Float64Array>();
  traced.updates.forEach((u, i) => updates.set(u.variable.attrs.label, result.updates[i].data));
  return { outputs, updates };
}

export function randomTensor(shape: number[], seed = 1, scale = 1): Tensor {
  let s = seed >>> 0;
  const rand = () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const n = shape.reduce((p, d) => p * d, 1);
  return tensor(Float32Array.from({ length: n }, () => (rand() * 2 - 1) * scale), shape);
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

type Tf = typeof import('@tensorflow/tfjs');
let tfPromise: Promise<Tf> | undefined;

/** TensorFlow.js on its cpu backend, with its console chatter silenced. */
export function loadTf(): Promise<Tf> {
  tfPromise ??= (async () => {
    const warn = console.warn;
    const log = console.log;
    console.warn = () => {};
    console.log = () => {};
    try {
      const tf = await import('@tensorflow/tfjs');
      await tf.setBackend('cpu');
      await tf.ready();
      // The Node.js hint is printed at the first op: run one while the console is muted.
      tf.add(tf.tensor([1]), 1).dataSync();
      return tf;
    } finally {
      console.warn = warn;
      console.log = log;
    }
  })();
  return tfPromise;
}
