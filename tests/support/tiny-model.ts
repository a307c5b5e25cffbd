/**
 * A hand-built TraceableModel for engine tests: one Dense layer (matmul + bias, optional
 * activation, optional dropout) on session variables, independent of src/api/layers.
 */
import * as b from '../../src/ir/build.js';
import type { Node } from '../../src/ir/node.js';
import type { DType, Shape } from '../../src/ir/types.js';
import type { Session, Variable } from '../../src/runtime/session.js';
import { logSoftmax } from '../../src/api/ops.js';
import type { TraceResult } from '../../src/api/engine-types.js';
import type { CompiledConfig, TrainableModel } from '../../src/api/training/types.js';
import { Tensor } from '../../src/api/tensor.js';

export type Activation = 'linear' | 'softmax' | 'sigmoid' | 'tanh';

export interface TinyOptions {
  readonly inputs: number;
  readonly units: number;
  readonly activation?: Activation;
  readonly kernel: readonly number[];
  readonly bias?: readonly number[];
  readonly dropout?: number;
  readonly name?: string;
}

function activate(x: Node, a: Activation): Node {
  switch (a) {
    case 'linear': return x;
    case 'softmax': return b.exp(logSoftmax(x));
    case 'sigmoid': return b.divide(1, b.add(1, b.exp(b.negative(x))));
    case 'tanh': return b.tanh(x);
  }
}

export class TinyDense implements TrainableModel {
  readonly name: string;
  readonly inputNames = ['input'];
  readonly inputShapes: Shape[];
  readonly inputDtypes: DType[] = ['float32'];
  readonly outputNames = ['dense'];
  readonly outputShapes: Shape[];
  /** Its graph never changes. */
  readonly graphVersion = 0;
  compiled?: CompiledConfig;
  stopTraining = false;
  readonly kernel: Variable;
  readonly bias: Variable;
  traces = 0;

  constructor(private readonly session: Session, private readonly options: TinyOptions) {
    this.name = options.name ?? 'tiny';
    this.inputShapes = [[null, options.inputs]];
    this.outputShapes = [[null, options.units]];
    this.kernel = session.createVariable('dense/kernel', [options.inputs, options.units], 'float32', options.kernel);
    this.bias = session.createVariable('dense/bias', [options.units], 'float32', options.bias ?? new Array(options.units).fill(0));
  }

  trace(inputs: readonly Node[], training: boolean, seed: Node): TraceResult {
    this.traces++;
    let x = inputs[0];
    const rate = this.options.dropout ?? 0;
    if (training && rate > 0) {
      const keep = b.greaterEqual(b.randomUniform(seed, x.shape), rate);
      x = b.where(keep, b.divide(x, 1 - rate), 0);
    }
    const y = b.add(b.matmul(x, this.kernel.node), this.bias.node);
    return { outputs: [activate(y, this.options.activation ?? 'linear')], updates: [] };
  }

  trainableVariables(): Variable[] {
    return [this.kernel, this.bias];
  }

  getWeights(): Tensor[] {
    return [this.kernel, this.bias].map((v) => new Tensor(Float32Array.from(this.session.read(v)), v.shape, 'float32'));
  }
  setWeights(weights: readonly Tensor[]): void {
    [this.kernel, this.bias].forEach((v, i) => this.session.write(v, weights[i].data));
  }
}

/** Deterministic pseudo-random numbers in [-scale, scale). */
export function values(n: number, seed: number, scale = 1): number[] {
  let a = seed >>> 0;
  return Array.from({ length: n }, () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1) * scale;
  });
}
