/** Rebuilds the models of tests/fixtures/keras3/bidirectional/*.json (keras_bidirectional.py) in keras-jit. */
import { readFileSync } from 'node:fs';
import { Input, Model, layers, tensor, type Tensor } from '../../src/index.js';
import type { KerasTensor } from '../../src/api/layers/keras-tensor.js';
import type { Layer } from '../../src/api/layers/layer.js';

export interface Stored { readonly shape: number[]; readonly data: number[] }
export type Spec = Readonly<Record<string, unknown>> & { readonly class: string };

export function readFixture<T>(name: string): { keras: string } & T {
  return JSON.parse(readFileSync(new URL(`../../../tests/fixtures/keras3/bidirectional/${name}`, import.meta.url), 'utf8')) as { keras: string } & T;
}

export const toTensor = (s: Stored, dtype: 'int32' | 'float32' = 'float32'): Tensor =>
  dtype === 'int32' ? tensor(Int32Array.from(s.data), s.shape) : tensor(Float32Array.from(s.data), s.shape);

export function makeLayer(spec: Spec): Layer {
  const { class: cls, units, inputDim, outputDim, layer, backwardLayer, ...args } = spec as Spec & { units?: number; inputDim?: number; outputDim?: number; layer?: Spec; backwardLayer?: Spec };
  switch (cls) {
    case 'Embedding': return new layers.Embedding(inputDim!, outputDim!, args);
    case 'LSTM': return new layers.LSTM(units!, args);
    case 'GRU': return new layers.GRU(units!, args);
    case 'SimpleRNN': return new layers.SimpleRNN(units!, args);
    case 'Dense': return new layers.Dense(units!, args);
    case 'Masking': return new layers.Masking(args);
    case 'GlobalAveragePooling1D': return new layers.GlobalAveragePooling1D(args);
    case 'Bidirectional': return new layers.Bidirectional(makeLayer(layer!), { ...args, ...(backwardLayer ? { backwardLayer: makeLayer(backwardLayer) } : {}) });
    default: throw new Error(`fixture layer ${cls} not mapped`);
  }
}

/** A functional model of the layers in a chain; the last layer may return several tensors. */
export function buildChain(specs: readonly Spec[], inputShape: readonly number[], dtype: 'int32' | 'float32'): { model: Model; layers: Layer[] } {
  const input = Input({ shape: [...inputShape], dtype });
  let h: KerasTensor | KerasTensor[] = input;
  const made: Layer[] = [];
  for (const spec of specs) {
    const layer = makeLayer(spec);
    made.push(layer);
    h = layer(h as KerasTensor) as KerasTensor | KerasTensor[];
  }
  return { model: new Model({ inputs: input, outputs: Array.isArray(h) ? h : [h] }), layers: made };
}

/** Largest |a - b| / max(1, |b|): relative for large values, absolute near zero. */
export function relDiff(a: ArrayLike<number>, b: readonly number[]): number {
  if (a.length !== b.length) return Infinity;
  let worst = 0;
  for (let i = 0; i < b.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i])));
  return worst;
}
