/** model.summary(): Keras 3's table, widths and footer. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Input, Model, Sequential, Session, backend, layers } from '../src/index.js';

function capture(model: Model, options: { lineLength?: number } = {}): string {
  const lines: string[] = [];
  model.summary({ ...options, printFn: (l) => lines.push(l) });
  return lines.join('\n');
}

// Each test gets its own default session, so clearSession never touches other test files' weights.
let previous = backend.getSession();
test.before.each(() => { previous = backend.getSession(); backend.setSession(new Session()); });
test.after.each(() => backend.setSession(previous));

test('Sequential MLP: the Keras 3 table (88 columns)', () => {
  backend.clearSession();
  const model = new Sequential([
    new layers.Dense(512, { activation: 'relu', inputShape: [784] }),
    new layers.Dropout(0.2),
    new layers.Dense(10, { activation: 'softmax' }),
  ]);
  assert.fixture(capture(model), [
    'Model: "sequential"',
    '┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━┓',
    '┃ Layer (type)                         ┃ Output Shape                ┃         Param # ┃',
    '┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━┩',
    '│ dense (Dense)                        │ (None, 512)                 │         401,920 │',
    '├──────────────────────────────────────┼─────────────────────────────┼─────────────────┤',
    '│ dropout (Dropout)                    │ (None, 512)                 │               0 │',
    '├──────────────────────────────────────┼─────────────────────────────┼─────────────────┤',
    '│ dense_1 (Dense)                      │ (None, 10)                  │           5,130 │',
    '└──────────────────────────────────────┴─────────────────────────────┴─────────────────┘',
    ' Total params: 407,050 (1.55 MB)',
    ' Trainable params: 407,050 (1.55 MB)',
    ' Non-trainable params: 0 (0.00 B)',
  ].join('\n'));
  for (const line of capture(model).split('\n').slice(1, 10)) assert.is([...line].length, 88);
});

test('functional with branches: "Connected to" column (108 columns), non-trainable params', () => {
  backend.clearSession();
  const a = Input({ shape: [8], name: 'a' });
  const b = Input({ shape: [8], name: 'b' });
  const shared = new layers.Dense(4);
  const merged = layers.concatenate([shared(a), shared(b)]);
  const norm = new layers.BatchNormalization()(merged);
  const model = new Model({ inputs: [a, b], outputs: [new layers.Dense(1)(norm), new layers.Dense(3, { activation: 'softmax' })(norm)] });
  const text = capture(model);
  assert.fixture(text, [
    'Model: "functional"',
    '┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━━┓',
    '┃ Layer (type)                  ┃ Output Shape              ┃         Param # ┃ Connected to               ┃',
    '┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━━┩',
    '│ a (InputLayer)                │ (None, 8)                 │               0 │ -                          │',
    '├───────────────────────────────┼───────────────────────────┼─────────────────┼────────────────────────────┤',
    '│ b (InputLayer)                │ (None, 8)                 │               0 │ -                          │',
    '├───────────────────────────────┼───────────────────────────┼─────────────────┼────────────────────────────┤',
    '│ dense (Dense)                 │ (None, 4)                 │              36 │ a[0][0], b[0][0]           │',
    '├───────────────────────────────┼───────────────────────────┼─────────────────┼────────────────────────────┤',
    '│ concatenate (Concatenate)     │ (None, 8)                 │               0 │ dense[0][0], dense[1][0]   │',
    '├───────────────────────────────┼───────────────────────────┼─────────────────┼────────────────────────────┤',
    '│ batch_normalization           │ (None, 8)                 │              32 │ concatenate[0][0]          │',
    '│ (BatchNormalization)          │                           │                 │                            │',
    '├───────────────────────────────┼───────────────────────────┼─────────────────┼────────────────────────────┤',
    '│ dense_1 (Dense)               │ (None, 1)                 │               9 │ batch_normalization[0][0]  │',
    '├───────────────────────────────┼───────────────────────────┼─────────────────┼────────────────────────────┤',
    '│ dense_2 (Dense)               │ (None, 3)                 │              27 │ batch_normalization[0][0]  │',
    '└───────────────────────────────┴───────────────────────────┴─────────────────┴────────────────────────────┘',
    ' Total params: 104 (416.00 B)',
    ' Trainable params: 88 (352.00 B)',
    ' Non-trainable params: 16 (64.00 B)',
  ].join('\n'));
});

test('a functional chain prints like a Sequential model, with its InputLayer', () => {
  backend.clearSession();
  const x = Input({ shape: [28, 28, 1] });
  const y = new layers.Flatten()(new layers.MaxPooling2D()(new layers.Conv2D(32, 3, { activation: 'relu' })(x)));
  const text = capture(new Model({ inputs: x, outputs: new layers.Dense(10)(y) }));
  assert.ok(!text.includes('Connected to'));
  assert.ok(text.includes('│ input_layer (InputLayer)             │ (None, 28, 28, 1)           │               0 │'));
  assert.ok(text.includes('│ conv2d (Conv2D)                      │ (None, 26, 26, 32)          │             320 │'));
  assert.ok(text.includes('│ max_pooling2d (MaxPooling2D)         │ (None, 13, 13, 32)          │               0 │'));
  assert.ok(text.includes('│ dense (Dense)                        │ (None, 10)                  │          54,090 │'));
  assert.ok(text.includes(' Total params: 54,410 (212.54 KB)'));
});

test('unbuilt layers and a custom line length', () => {
  backend.clearSession();
  const model = new Sequential([new layers.Dense(3, { inputShape: [2] })]);
  const text = capture(model, { lineLength: 60 });
  for (const line of text.split('\n').slice(1, 6)) assert.is([...line].length, 60);
  const lazy = new Sequential([new layers.Dense(2)]);
  const unbuilt = capture(lazy);
  assert.ok(unbuilt.includes('│ dense_1 (Dense)                      │ ?                           │     0 (unbuilt) │'), unbuilt);
});

test.run();
