/**
 * trainOnBatch / testOnBatch / predictOnBatch against the explicit float64 formulas of a linear
 * Dense layer under MSE and SGD (loss, gradient step), against fit/evaluate/predict on the same
 * batch (bitwise-identical weights, the same cached programs), and the busy flag: a second fit()
 * on a training model is refused and changes nothing, evaluate/predict from a callback work.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Sequential, Session, backend as K, callbacks, layers, optimizers, tensor, type Tensor } from '../src/index.js';
import { values } from './support/tiny-model.js';

const IN = 3, UNITS = 2, N = 6, LR = 0.1;
const xData = values(N * IN, 41);
const yData = values(N * UNITS, 42);
const x = tensor(new Float32Array(xData), [N, IN]);
const y = tensor(new Float32Array(yData), [N, UNITS]);

function model(seed = 7): Sequential {
  K.setSession(new Session({ seed }));
  const m = new Sequential([new layers.Dense(UNITS, { inputShape: [IN], kernelInitializer: 'glorotUniform', biasInitializer: 'ones' })]);
  m.compile({ optimizer: new optimizers.SGD({ learningRate: LR }), loss: 'mse', metrics: ['mae'] });
  return m;
}

/** Awaits `run` and checks that it failed with a message matching `pattern`. */
async function rejects(run: () => Promise<unknown>, pattern: RegExp): Promise<void> {
  let error: unknown;
  try {
    await run();
  } catch (e) {
    error = e;
  }
  assert.ok(error instanceof Error, `expected a rejection matching ${pattern}`);
  assert.match((error as Error).message, pattern);
}

function weightsOf(m: Sequential): number[][] {
  return m.getWeights().map((w) => Array.from(w.data));
}

/** Predictions, MSE, MAE and the SGD-updated weights of a linear layer, all in float64. */
function reference(kernel: number[], bias: number[], rows: number[] | undefined = undefined) {
  const p = Array.from({ length: N }, (_, r) => Array.from({ length: UNITS }, (_, u) => bias[u] + [0, 1, 2].reduce((s, i) => s + xData[r * IN + i] * kernel[i * UNITS + u], 0)));
  const w = rows ?? new Array(N).fill(1);
  let loss = 0, mae = 0;
  const dK = new Array(IN * UNITS).fill(0), dB = new Array(UNITS).fill(0);
  for (let r = 0; r < N; r++) {
    for (let u = 0; u < UNITS; u++) {
      const e = p[r][u] - yData[r * UNITS + u];
      loss += (w[r] * e * e) / UNITS / N;
      mae += Math.abs(e) / UNITS / N;
      const g = (2 * w[r] * e) / UNITS / N;
      dB[u] += g;
      for (let i = 0; i < IN; i++) dK[i * UNITS + u] += g * xData[r * IN + i];
    }
  }
  return { p, loss, mae, kernel: kernel.map((k, i) => k - LR * dK[i]), bias: bias.map((b, u) => b - LR * dB[u]) };
}

function close(a: number, b: number, tol: number, what: string): void {
  assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);
}

test('trainOnBatch: the batch loss and metrics, and one SGD step, as the float64 formulas give', async () => {
  const m = model();
  const [kernel, bias] = weightsOf(m);
  const ref = reference(kernel, bias);
  const result = (await m.trainOnBatch(x, y)) as number[];
  close(result[0], ref.loss, 1e-5, 'loss');
  close(result[1], ref.mae, 1e-5, 'mae');
  const [k2, b2] = weightsOf(m);
  k2.forEach((v, i) => close(v, ref.kernel[i], 1e-5, `kernel ${i}`));
  b2.forEach((v, i) => close(v, ref.bias[i], 1e-5, `bias ${i}`));
  // The values are the batch's own (Keras resets the metrics each call), not a running mean.
  const ref2 = reference(k2, b2);
  const dict = (await m.trainOnBatch(x, y, { returnDict: true })) as Record<string, number>;
  assert.equal(Object.keys(dict), ['loss', 'mae']);
  close(dict.loss, ref2.loss, 1e-5, 'second loss');
});

test('trainOnBatch runs the program fit() compiled for that batch size, compiling nothing per call', async () => {
  const viaFit = model();
  await viaFit.fit(x, y, { batchSize: N, epochs: 1, shuffle: false, verbose: 0 });
  const session = K.getSession();
  const compiled = session.programCount;
  await viaFit.trainOnBatch(x, y);
  await viaFit.trainOnBatch(x, y);
  viaFit.testOnBatch(x, y);
  assert.is(session.programCount, compiled + 1, 'only the evaluate program is new');
  viaFit.evaluate(x, y, { batchSize: N, verbose: 0 });
  assert.is(session.programCount, compiled + 1, 'testOnBatch and evaluate share it');
  const viaBatches = model();
  for (let i = 0; i < 3; i++) await viaBatches.trainOnBatch(x, y);
  assert.equal(weightsOf(viaBatches), weightsOf(viaFit), 'three trainOnBatch calls = fit + two calls, bit for bit');
});

test('testOnBatch and predictOnBatch change nothing and agree with the formulas and with predict', () => {
  const m = model();
  const before = weightsOf(m);
  const ref = reference(before[0], before[1]);
  const [loss, mae] = m.testOnBatch(x, y) as number[];
  close(loss, ref.loss, 1e-5, 'loss');
  close(mae, ref.mae, 1e-5, 'mae');
  const sw = [0.5, 2, 1, 0, 3, 1.5];
  const weighted = m.testOnBatch(x, y, { sampleWeight: tensor(new Float32Array(sw), [N]), returnDict: true }) as Record<string, number>;
  close(weighted.loss, reference(before[0], before[1], sw).loss, 1e-5, 'weighted loss');
  const p = m.predictOnBatch(x) as Tensor;
  assert.equal([...p.shape], [N, UNITS]);
  p.data.forEach((v, i) => close(v, ref.p[Math.floor(i / UNITS)][i % UNITS], 1e-5, `prediction ${i}`));
  assert.equal(Array.from(p.data), Array.from((m.predict(x, { batchSize: N, verbose: 0 }) as Tensor).data));
  assert.equal(weightsOf(m), before);
});

test('trainOnBatch classWeight trains as the sample weights it stands for', async () => {
  const labels = tensor(new Float32Array([0, 1, 1, 0, 1, 0]), [N, 1]);
  const build = () => {
    K.setSession(new Session({ seed: 5 }));
    const m = new Sequential([new layers.Dense(1, { inputShape: [IN], activation: 'sigmoid' })]);
    m.compile({ optimizer: new optimizers.SGD({ learningRate: 0.5 }), loss: 'binary_crossentropy' });
    return m;
  };
  const a = build();
  await a.trainOnBatch(x, labels, { classWeight: { 0: 0.25, 1: 3 } });
  const b = build();
  await b.trainOnBatch(x, labels, { sampleWeight: tensor(new Float32Array([0.25, 3, 3, 0.25, 3, 0.25]), [N]) });
  assert.equal(weightsOf(a), weightsOf(b));
  const c = build();
  await c.trainOnBatch(x, labels);
  assert.not.equal(weightsOf(a), weightsOf(c), 'the class weights change the step');
});

test('bad calls to the batch APIs are clear errors that change no weight', async () => {
  const m = model();
  const before = weightsOf(m);
  await rejects(() => m.trainOnBatch(x, y, { return_dict: true } as never), /unknown option 'return_dict'. Did you mean 'returnDict'\?/);
  await rejects(() => m.trainOnBatch(x), /y \(the targets\) is required/);
  await rejects(() => m.trainOnBatch(x, y, { classWeight: { 0: 1 }, sampleWeight: [1, 1, 1, 1, 1, 1] }), /classWeight and sampleWeight/);
  await rejects(() => m.trainOnBatch(tensor(new Float32Array(N * 4), [N, 4]), y), /expected shape \(None, 3\), got data of shape \(6, 4\)/);
  assert.throws(() => m.testOnBatch(x, y, { sample_weight: [1] } as never), /Did you mean 'sampleWeight'/);
  assert.throws(() => m.predictOnBatch(tensor(new Float32Array(0), [0, IN])), /no samples/);
  assert.equal(weightsOf(m), before);
  K.setSession(new Session());
  const uncompiled = new Sequential([new layers.Dense(1, { inputShape: [IN] })]);
  await rejects(() => uncompiled.trainOnBatch(x, y), /must be compiled first/);
});

test('a second fit on a training model is refused and harms nothing; the first ends as a lone fit would', async () => {
  const lone = model();
  await lone.fit(x, y, { epochs: 3, batchSize: 2, shuffle: false, verbose: 0 });
  const m = model();
  const first = m.fit(x, y, { epochs: 3, batchSize: 2, shuffle: false, verbose: 0 });
  await rejects(() => m.fit(x, y, { epochs: 5, verbose: 0 }), /fit: the model 'sequential\w*' is already training/);
  await rejects(() => m.trainOnBatch(x, y), /trainOnBatch: the model .* is already training/);
  await first;
  assert.equal(weightsOf(m), weightsOf(lone));
  // Not stuck: the model trains again once the first fit is over, also after a failed fit.
  await rejects(() => m.fit(x, tensor(new Float32Array(4), [4, 1]), { verbose: 0 }), /cardinality|incompatible|shape/);
  await m.fit(x, y, { epochs: 1, verbose: 0 });
});

test('from a callback during fit: fit and compile are refused, evaluate and predict work', async () => {
  const m = model();
  const seen: string[] = [];
  let evaluated: number[] | undefined, predicted: number[] | undefined;
  const probe = new callbacks.LambdaCallback({
    onEpochEnd: async () => {
      await new Promise((r) => setTimeout(r, 1));
      try {
        await m.fit(x, y, { verbose: 0 });
      } catch (e) {
        seen.push((e as Error).message);
      }
      try {
        m.compile({ optimizer: 'adam', loss: 'mae' });
      } catch (e) {
        seen.push((e as Error).message);
      }
      evaluated = m.evaluate(x, y, { batchSize: N, verbose: 0 }) as number[];
      predicted = Array.from((m.predict(x, { verbose: 0 }) as Tensor).data);
    },
  });
  await m.fit(x, y, { epochs: 1, batchSize: 2, verbose: 0, callbacks: [probe] });
  assert.is(seen.length, 2);
  assert.match(seen[0], /already training/);
  assert.match(seen[1], /compile: the model .* is training/);
  assert.equal(evaluated, m.evaluate(x, y, { batchSize: N, verbose: 0 }));
  assert.equal(predicted, Array.from((m.predict(x, { verbose: 0 }) as Tensor).data));
});

test.run();
