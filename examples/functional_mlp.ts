/**
 * The functional-API multilayer perceptron from Keras's documentation: Input(10) -> Dense 10 ->
 * Dense 20 -> Dense 10 -> Dense 1 sigmoid. Prints the summary, draws the model graph with
 * plotModel, then trains it briefly on a synthetic binary task to show the same model learns.
 *
 *   npm run example:functional -- --out-dir .
 */
import { join } from 'node:path';
import { Input, Model, layers, tensor, utils } from '../src/index.js';
import { intArg, stringArg } from './args.js';
import { normal, seededRandom } from './data/rng.js';

const { Dense } = layers;

const outDir = stringArg('out-dir', '.');
const epochs = intArg('epochs', 20);

const visible = Input({ shape: [10] });
const hidden1 = new Dense(10, { activation: 'relu' })(visible);
const hidden2 = new Dense(20, { activation: 'relu' })(hidden1);
const hidden3 = new Dense(10, { activation: 'relu' })(hidden2);
const output = new Dense(1, { activation: 'sigmoid' })(hidden3);
const model = new Model({ inputs: visible, outputs: output });

// Summarize layers
model.summary();

// Plot graph: SVG for viewing, DOT for the source Graphviz laid out
for (const file of ['multilayer_perceptron_graph.svg', 'multilayer_perceptron_graph.dot']) {
  const toFile = join(outDir, file);
  await utils.plotModel(model, { toFile, showShapes: true });
  console.log(`wrote ${toFile}`);
}

// A synthetic task: is a fixed random linear function of the 10 features positive?
const random = seededRandom(42);
const n = 2000;
const weights = Array.from({ length: 10 }, () => normal(random));
const x = new Float32Array(n * 10);
const y = new Float32Array(n);
for (let i = 0; i < n; i++) {
  let score = 0;
  for (let j = 0; j < 10; j++) {
    x[i * 10 + j] = normal(random);
    score += weights[j] * x[i * 10 + j];
  }
  y[i] = score > 0 ? 1 : 0;
}

model.compile({ optimizer: 'adam', loss: 'binary_crossentropy', metrics: ['accuracy'] });
const history = await model.fit(tensor(x, [n, 10]), tensor(y, [n, 1]), {
  epochs, batchSize: 32, validationSplit: 0.2, verbose: 2,
});
console.log('final val_accuracy:', history.history.val_accuracy?.at(-1));
