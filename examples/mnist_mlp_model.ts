/**
 * The model of mnist_mlp.ts, built and compiled but not trained, as a module exporting a function
 * that returns it: the shape `keras-jit-dump` expects, e.g.
 *
 *   npm run build && node dist/src/cli/keras-jit-dump.js dist/examples/mnist_mlp_model.js --stage fused --batch-size 128
 *
 * mnist_mlp.ts keeps its own copy so it reads top to bottom as Keras's script does.
 */
import { Sequential, layers, optimizers } from '../src/index.js';
import { NUM_CLASSES, PIXELS } from './data/mnist.js';

const { Dense, Dropout } = layers;

export default function mnistMlp(): Sequential {
  const model = new Sequential([
    new Dense(512, { activation: 'relu', inputShape: [PIXELS] }),
    new Dropout(0.2),
    new Dense(512, { activation: 'relu' }),
    new Dropout(0.2),
    new Dense(NUM_CLASSES, { activation: 'softmax' }),
  ]);
  model.compile({ loss: 'categorical_crossentropy', optimizer: new optimizers.RMSprop(), metrics: ['accuracy'] });
  return model;
}
