/**
 * A transformer classifier written as a user would (token and position embeddings with ops.take and
 * ops.arange, MultiHeadAttention, a residual, mean pooling): it summarises with Keras's parameter
 * counts, trains as one compiled step whose loss falls, and the compiled predictions equal the
 * interpreter's.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Input, Model, layers, ops, optimizers, tensor, type Tensor } from '../src/index.js';
import type { KerasTensor } from '../src/api/layers/keras-tensor.js';
import { evalModel, maxAbsDiff } from './support/api-eval.js';

const [T, V, D] = [6, 8, 8];

class TokenAndPosition extends layers.Layer {
  tokens!: layers.Variable;
  positions!: layers.Variable;
  override build(): void {
    this.tokens = this.addWeight({ name: 'tokens', shape: [V, D], initializer: 'uniform' });
    this.positions = this.addWeight({ name: 'positions', shape: [T, D], initializer: 'uniform' });
  }
  override call(x: ops.SymbolicTensor): ops.SymbolicTensor {
    return ops.add(ops.take(this.tokens, x, 0), ops.take(this.positions, ops.arange(T), 0));
  }
}
class MeanOverSteps extends layers.Layer {
  override call(x: ops.SymbolicTensor): ops.SymbolicTensor {
    return ops.mean(x, 1);
  }
}

function data(n: number, seed: number): { x: Tensor; y: Tensor } {
  let s = seed;
  const next = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
  const xs = new Int32Array(n * T), ys = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    for (let t = 0; t < T; t++) xs[i * T + t] = 1 + Math.floor(next() * (V - 1));
    // Label: does token 3 come before token 5 (attention over positions decides)?
    const row = Array.from(xs.subarray(i * T, (i + 1) * T));
    const a = row.indexOf(3), b = row.indexOf(5);
    ys[i] = a >= 0 && (b < 0 || a < b) ? 1 : 0;
  }
  return { x: tensor(xs, [n, T], 'int32'), y: tensor(ys, [n, 1]) };
}

function build(): { model: Model; mha: layers.MultiHeadAttention } {
  const tokens = Input({ shape: [T], dtype: 'int32' });
  const h = new TokenAndPosition()(tokens);
  const mha = new layers.MultiHeadAttention({ numHeads: 2, keyDim: 4 });
  const attended = mha(h, h, { useCausalMask: true });
  const pooled = new MeanOverSteps()(layers.add([h, attended]) as KerasTensor);
  const out = new layers.Dense(1, { activation: 'sigmoid' })(pooled);
  return { model: new Model({ inputs: tokens, outputs: out }), mha };
}

test('summary shows the attention layer with Keras\'s parameter count', () => {
  const { model } = build();
  const lines: string[] = [];
  model.summary({ printFn: (l) => lines.push(l) });
  const at = lines.findIndex((l) => l.includes('multi_head_attention'));
  assert.ok(at >= 0, 'a multi_head_attention row');
  const row = lines.slice(at, at + 3).join('\n');
  const [H, K] = [2, 4];
  const params = H * K * (D + 1) * 3 + D * (H * K + 1);
  assert.ok(row.includes(` ${params} `), `${row} shows ${params}`);
});

test('a transformer classifier trains: one compiled step, the loss falls, compiled predictions equal the interpreter', async () => {
  const { model } = build();
  const { x, y } = data(256, 7);
  model.compile({ optimizer: new optimizers.Adam({ learningRate: 0.01 }), loss: 'binary_crossentropy', metrics: ['accuracy'] });
  const before = model.evaluate(x, y, { verbose: 0 }) as number[];
  const history = await model.fit(x, y, { epochs: 20, batchSize: 32, verbose: 0 });
  const losses = history.history.loss as number[];
  assert.ok(losses.every(Number.isFinite), `finite losses ${losses}`);
  assert.ok(losses.at(-1)! < 0.6 * before[0], `loss ${before[0]} -> ${losses.at(-1)}`);
  const sample = data(8, 99).x;
  const compiled = model.predict(sample, { verbose: 0 }) as Tensor;
  const interpreted = evalModel(model, [sample]).outputs[0];
  const d = maxAbsDiff(compiled.data, interpreted.data);
  console.log(`  transformer: loss ${before[0].toFixed(3)} -> ${losses.at(-1)!.toFixed(3)}, compiled vs interpreter ${d.toExponential(2)}`);
  assert.ok(d < 1e-5, `compiled vs interpreter max |diff| ${d}`);
});

test.run();
