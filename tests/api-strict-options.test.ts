/**
 * Strict options: an unknown key in fit/evaluate/predict/compile/summary/dump and the callbacks'
 * options is an error naming it and the key meant, raised before any weight changes.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { setSession } from '../src/api/backend.js';
import { CSVLogger, EarlyStopping, ReduceLROnPlateau } from '../src/api/callbacks.js';
import { checkOptions, suggestKey } from '../src/api/strict-options.js';
import { tensor } from '../src/api/tensor.js';
import { compileModel, dumpModel, evaluateModel, fitModel, predictModel } from '../src/api/training/index.js';
import { Session } from '../src/runtime/session.js';
import { TinyDense, values } from './support/tiny-model.js';

function setup(): { session: Session; model: TinyDense } {
  const session = new Session({ seed: 3 });
  setSession(session);
  const model = new TinyDense(session, { inputs: 3, units: 2, kernel: values(6, 1, 0.5), bias: values(2, 2, 0.1) });
  compileModel(model, { optimizer: 'sgd', loss: 'mse' });
  return { session, model };
}
const x = tensor(new Float32Array(values(12, 5)), [4, 3]);
const y = tensor(new Float32Array(values(8, 6)), [4, 2]);

test('suggestKey: snake_case to camelCase, case and typos; nothing for unrelated words', () => {
  const known = ['epochs', 'batchSize', 'validationData', 'initialEpoch'];
  assert.is(suggestKey('batch_size', known), 'batchSize');
  assert.is(suggestKey('batchsize', known), 'batchSize');
  assert.is(suggestKey('BATCH_SIZE', known), 'batchSize');
  assert.is(suggestKey('epoch', known), 'epochs');
  assert.is(suggestKey('validation_dta', known), 'validationData');
  assert.is(suggestKey('colour', known), undefined);
});

test('checkOptions: non-objects and prototype names are errors, not lookups', () => {
  assert.throws(() => checkOptions([1], ['a'], 'f'), /f: options must be an object of named options, got an array/);
  assert.throws(() => checkOptions(null, ['a'], 'f'), /got null/);
  assert.throws(() => checkOptions({ constructor: 1 }, ['a'], 'f'), /unknown option 'constructor'/);
  checkOptions(undefined, ['a'], 'f');
  checkOptions({ a: undefined }, ['a'], 'f');
});

test('fit: batch_size is an error suggesting batchSize, and no weight changes', async () => {
  const { session, model } = setup();
  const before = Array.from(session.read(model.kernel));
  let message = '';
  try {
    await fitModel(model, x, y, { batch_size: 2 } as never);
  } catch (e) {
    message = (e as Error).message;
  }
  assert.match(message, /fit: unknown option 'batch_size'\. Did you mean 'batchSize'\?/);
  assert.equal(Array.from(session.read(model.kernel)), before);
});

test('fit: streaming options on in-memory arrays say what they apply to', async () => {
  const { model } = setup();
  const cases: [object, RegExp][] = [
    [{ stepsPerEpoch: 1 }, /stepsPerEpoch applies to streamed data/],
    [{ steps_per_epoch: 1 }, /unknown option 'steps_per_epoch'\. Did you mean 'stepsPerEpoch'\?/],
    [{ validationFreq: 1 }, /validationFreq is only used with validationData or validationSplit/],
    [{ validationSteps: 1, validationData: [x, y] }, /validationSteps applies to streamed validationData/],
  ];
  for (const [options, pattern] of cases) {
    let message = '';
    try {
      await fitModel(model, x, y, options as never);
    } catch (e) {
      message = (e as Error).message;
    }
    assert.match(message, pattern);
  }
});

test('fit: validationData must be a pair, and not given with validationSplit', async () => {
  const { model } = setup();
  const rejects = async (options: object, pattern: RegExp) => {
    let message = '';
    try {
      await fitModel(model, x, y, options as never);
    } catch (e) {
      message = (e as Error).message;
    }
    assert.match(message, pattern);
  };
  await rejects({ validationData: [x] }, /validationData must be \[x, y\] or \[x, y, sampleWeight\], got an array of 1/);
  await rejects({ validationData: [x, y], validationSplit: 0.5 }, /either validationData or validationSplit, not both/);
});

test('evaluate, predict, compile, dump: unknown keys are errors', () => {
  const { model } = setup();
  assert.throws(() => evaluateModel(model, x, y, { batch_size: 2 } as never), /evaluate: unknown option 'batch_size'\. Did you mean 'batchSize'\?/);
  assert.throws(() => predictModel(model, x, { verbos: 0 } as never), /predict: unknown option 'verbos'\. Did you mean 'verbose'\?/);
  assert.throws(() => compileModel(model, { optimizer: 'sgd', loss: 'mse', loss_weights: 1 } as never), /compile: unknown option 'loss_weights'\. Did you mean 'lossWeights'\?/);
  assert.throws(() => compileModel(model, { loss: 'mse', runEagerly: true } as never), /compile: option 'runEagerly' is not supported/);
  assert.throws(() => dumpModel(model, { batch_size: 4 } as never), /dump: unknown option 'batch_size'\. Did you mean 'batchSize'\?/);
});

test('callbacks: unknown option keys are errors', () => {
  assert.throws(() => new EarlyStopping({ restore_best_weights: true } as never), /EarlyStopping: unknown option 'restore_best_weights'\. Did you mean 'restoreBestWeights'\?/);
  assert.throws(() => new ReduceLROnPlateau({ min_lr: 0.1 } as never), /ReduceLROnPlateau: unknown option 'min_lr'\. Did you mean 'minLr'\?/);
  assert.throws(() => new CSVLogger('unused.csv', { sep: ';' } as never), /CSVLogger: unknown option 'sep'/);
});

test.run();
