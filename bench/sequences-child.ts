/**
 * One trainer of the sequence bench in a process of its own (bench/sequences.ts runs it), as the
 * Python peers are: `node sequences-child.js keras-jit|tfjs-cpu imdb_lstm|imdb_gru|text_transformer SECONDS`.
 * Warms up with one epoch (keras-jit compiles there, and on the native tier waits for its C
 * kernels), then trains epochs for at least SECONDS
 * and two epochs, and prints one JSON line: {"samplesPerSecond", "steps"} or {"error"}.
 * Before the first step it prints {"firstStepAtMs"} (time since the process started), so a parent
 * that stops a trainer whose first step never ends still knows how long that one step ran.
 */
import { kerasJitSequenceTrainer, sequenceLength, sequences, SEQ_BATCH, SEQ_EMBEDDING, SEQ_LENGTH, SEQ_UNITS, SEQ_VOCABULARY, type SequenceModelId, type Sequences } from './sequences-model.js';
import { tfTransformerTrainer } from './sequences-tfjs-transformer.js';
import { useTf } from './tfjs.js';
import { nativeCompilesSettled } from '../src/runtime/tiers/native/kernels.js';

interface Epochs { readonly steps: number; epoch(): Promise<void> }

/** TensorFlow.js cpu, with Keras 3's defaults spelled out where its own differ (recurrent activation hardSigmoid, Adam's epsilon); its GRU only has resetAfter false. */
async function tfTrainer(id: SequenceModelId, data: Sequences): Promise<Epochs> {
  const tf = await useTf('cpu');
  if (id === 'text_transformer') return tfTransformerTrainer(tf, data);
  const rnn = id === 'imdb_lstm'
    ? tf.layers.lstm({ units: SEQ_UNITS, recurrentActivation: 'sigmoid', unitForgetBias: true })
    // TensorFlow.js's GRU rejects resetAfter: true (Keras 3's default); resetAfter false costs the same arithmetic.
    : tf.layers.gru({ units: SEQ_UNITS, recurrentActivation: 'sigmoid' });
  const model = tf.sequential({ layers: [tf.layers.embedding({ inputDim: SEQ_VOCABULARY, outputDim: SEQ_EMBEDDING, inputLength: SEQ_LENGTH }), rnn, tf.layers.dense({ units: 1, activation: 'sigmoid' })] });
  model.compile({ optimizer: tf.train.adam(1e-3, 0.9, 0.999, 1e-7), loss: 'binaryCrossentropy' });
  // One batch an epoch: a TensorFlow.js step takes seconds.
  const x = tf.tensor(data.tokens.subarray(0, SEQ_BATCH * SEQ_LENGTH), [SEQ_BATCH, SEQ_LENGTH], 'int32');
  const y = tf.tensor(data.labels.subarray(0, SEQ_BATCH), [SEQ_BATCH, 1]);
  return { steps: 1, async epoch() { await model.fit(x, y, { batchSize: SEQ_BATCH, epochs: 1, verbose: 0 }); } };
}

async function main(framework: string, id: SequenceModelId, seconds: number): Promise<object> {
  const data = sequences(sequenceLength(id));
  const t: Epochs = framework === 'tfjs-cpu' ? await tfTrainer(id, data) : kerasJitSequenceTrainer(id, data);
  console.log(JSON.stringify({ firstStepAtMs: performance.now() }));
  await t.epoch();
  // On the native tier the C kernels replace their WebAssembly twins as they compile: time those.
  await nativeCompilesSettled();
  let epochs = 0;
  const start = performance.now();
  while (epochs < 2 || performance.now() - start < seconds * 1000) {
    await t.epoch();
    epochs++;
  }
  const elapsed = (performance.now() - start) / 1000;
  return { samplesPerSecond: (epochs * t.steps * SEQ_BATCH) / elapsed, steps: epochs * t.steps };
}

const [framework, id, seconds] = process.argv.slice(2);
try {
  console.log(JSON.stringify(await main(framework, id as SequenceModelId, Number(seconds))));
} catch (e) {
  console.log(JSON.stringify({ error: (e instanceof Error ? e.message : String(e)).split('\n')[0] }));
}
process.exit(0);
