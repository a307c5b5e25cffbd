/**
 * Custom layers train like built-in ones: a subclass of layers.Layer written with `ops` is traced
 * into the training step, and its gradients match finite differences of the compiled loss.
 * Also: predict rejects data of the wrong shape before anything runs.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { backend, Input, layers, Model, ops, optimizers, Session, tensor, type Tensor } from '../src/index.js';

/** y = tanh(x * scale + shift) per feature: two weights, elementwise ops, a nonlinearity. */
class ScaleShiftTanh extends layers.Layer {
  scale!: layers.Variable;
  shift!: layers.Variable;
  override build(inputShape: (number | null)[]): void {
    const units = inputShape[inputShape.length - 1]!;
    this.scale = this.addWeight({ name: 'scale', shape: [units], initializer: 'ones' });
    this.shift = this.addWeight({ name: 'shift', shape: [units], initializer: 'zeros' });
  }
  override call(x: ops.SymbolicTensor): ops.SymbolicTensor {
    return ops.tanh(ops.add(ops.multiply(x, this.scale), this.shift));
  }
}

const N = 6;
const xData = Float32Array.from({ length: N * 4 }, (_, i) => Math.sin(i * 1.3));
const yData = Float32Array.from({ length: N * 2 }, (_, i) => Math.cos(i * 0.7) * 0.5);

function build(): Model {
  backend.setSession(new Session({ seed: 3 }));
  const input = Input({ shape: [4] });
  const hidden = new ScaleShiftTanh({ name: 'custom' }).apply(input);
  const output = new layers.Dense(2, { name: 'head' }).apply(hidden);
  return new Model({ inputs: input, outputs: output });
}

test('a custom layer\'s weights train, and one SGD step equals -lr times the finite-difference gradient', async () => {
  const model = build();
  const lr = 0.25;
  model.compile({ optimizer: new optimizers.SGD({ learningRate: lr }), loss: 'mse' });
  const x = tensor(xData, [N, 4]), y = tensor(yData, [N, 2]);
  const before = model.getWeights().map((w: Tensor) => Float32Array.from(w.data as Float32Array));
  // scale and shift are the custom layer's; randomise them a little so tanh is not at a symmetric point.
  before[0] = Float32Array.from(before[0], (v, i) => v + 0.3 * Math.sin(i + 1));
  before[1] = Float32Array.from(before[1], (_, i) => 0.2 * Math.cos(i + 2));
  const setAll = (ws: Float32Array[]) => model.setWeights(ws.map((w, i) => tensor(w, [...model.getWeights()[i].shape])));
  setAll(before);
  await model.fit(x, y, { batchSize: N, epochs: 1, shuffle: false, verbose: 0 });
  const after = model.getWeights();
  const lossAt = (ws: Float32Array[]): number => {
    setAll(ws);
    return model.evaluate(x, y, { batchSize: N, verbose: 0 }) as number;
  };
  const h = 1e-2;
  let checked = 0;
  for (const k of [0, 1]) {
    for (let i = 0; i < before[k].length; i++) {
      const step = (before[k][i] - (after[k].data as Float32Array)[i]) / lr;
      const up = before.map((w) => Float32Array.from(w)), down = before.map((w) => Float32Array.from(w));
      up[k][i] += h;
      down[k][i] -= h;
      const fd = (lossAt(up) - lossAt(down)) / (2 * h);
      assert.ok(Math.abs(fd - step) < 2e-3 * Math.max(1, Math.abs(fd)), `weight ${k}[${i}]: step gradient ${step}, finite differences ${fd}`);
      assert.ok(Math.abs(step) > 1e-5, `weight ${k}[${i}] did not move`);
      checked++;
    }
  }
  assert.is(checked, 8);
});

test('predict with data of the wrong shape names the input and both shapes, and runs nothing', () => {
  const model = build();
  const weights = model.getWeights().map((w: Tensor) => Float32Array.from(w.data as Float32Array));
  assert.throws(() => model.predict(tensor(new Float32Array(N * 5), [N, 5])), (e: Error) => /expected shape/i.test(e.message) && /\(None, 4\)|\[null, 4\]|4/.test(e.message) && /5/.test(e.message));
  model.getWeights().forEach((w: Tensor, i: number) => assert.equal(Array.from(w.data), Array.from(weights[i])));
});

test.run();
