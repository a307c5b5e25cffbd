/**
 * One cold start of issue 10's compile target, in a fresh process (rnn-compile.ts runs it): builds
 * Input(200 x 32) -> LSTM(128) -> Dense(1) with Adam and trains one batch of 32, printing one
 * JSON line: the time from building the model to the end of that first step. Run with
 * KERAS_JIT_DEBUG=1, the runtime's compile report on stderr gives the training program's own
 * compile time (generating, instantiating and planning every kernel, the loop body's included).
 *
 *   KERAS_JIT_DEBUG=1 node dist/bench/rnn-compile-child.js
 */
import { backend, Sequential, Session, layers, tensor } from '../src/index.js';
import { since } from './measure.js';
import { RNN_COMPILE } from './rnn-compile.js';

export interface RnnColdStart {
  readonly firstStepMs: number;
}

async function main(): Promise<RnnColdStart> {
  const { steps, features, units, batch } = RNN_COMPILE;
  const x = tensor(new Float32Array(batch * steps * features).map((_, i) => Math.sin(i)), [batch, steps, features]);
  const y = tensor(new Float32Array(batch).map((_, i) => i % 2), [batch, 1]);
  const start = performance.now();
  backend.setSession(new Session({ seed: 1 }));
  const model = new Sequential([new layers.LSTM(units, { inputShape: [steps, features] }), new layers.Dense(1)]);
  model.compile({ optimizer: 'adam', loss: 'mse' });
  await model.fit(x, y, { batchSize: batch, epochs: 1, verbose: 0 });
  return { firstStepMs: since(start) };
}

console.log(JSON.stringify(await main()));
