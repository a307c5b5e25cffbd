/** The models of tests/fixtures/keras_weight_files.py, built the same way in keras-jit. */
import { Input, Model, Sequential, layers } from '../../src/index.js';

export const MODEL_NAMES = ['mlp', 'cnn', 'embedding_lstm', 'gru', 'mha', 'time_distributed', 'conv1d', 'separable', 'misc', 'conv_transpose'] as const;
export type ModelName = (typeof MODEL_NAMES)[number];

export function buildModel(name: ModelName): Model {
  switch (name) {
    case 'mlp':
      return new Sequential([Input({ shape: [4] }), new layers.Dense(8, { activation: 'relu' }), new layers.Dense(3)]);
    case 'cnn':
      return new Sequential([
        Input({ shape: [6, 6, 2] }), new layers.Conv2D(3, 3, { activation: 'relu' }), new layers.BatchNormalization(),
        new layers.Flatten(), new layers.Dense(2),
      ]);
    case 'embedding_lstm':
      return new Sequential([Input({ shape: [5], dtype: 'int32' }), new layers.Embedding(10, 4), new layers.LSTM(3)]);
    case 'gru': {
      const inp = Input({ shape: [5, 3] });
      const h = new layers.GRU(4, { returnSequences: true }).apply(inp);
      return new Model({ inputs: inp, outputs: new layers.SimpleRNN(2).apply(h) });
    }
    case 'mha': {
      const inp = Input({ shape: [4, 6] });
      const h = new layers.MultiHeadAttention({ numHeads: 2, keyDim: 3 })(inp, inp);
      return new Model({ inputs: inp, outputs: new layers.LayerNormalization().apply(h) });
    }
    case 'time_distributed':
      return new Sequential([Input({ shape: [3, 4] }), new layers.TimeDistributed(new layers.Dense(2)), new layers.PReLU()]);
    case 'conv1d':
      return new Sequential([
        Input({ shape: [8, 2] }), new layers.Conv1D(3, 3, { activation: 'relu' }), new layers.LayerNormalization(),
        new layers.GlobalAveragePooling1D(), new layers.Dense(1),
      ]);
    case 'separable':
      return new Sequential([
        Input({ shape: [5, 5, 2] }), new layers.DepthwiseConv2D(2), new layers.SeparableConv2D(3, 2),
        new layers.Flatten(), new layers.Dense(2),
      ]);
    case 'misc': {
      const inp = Input({ shape: [4, 6] });
      const h = new layers.Normalization().apply(inp);
      const a = new layers.Attention({ useScale: true }).apply([h, h]);
      return new Model({ inputs: inp, outputs: new layers.Dense(3).apply(a) });
    }
    case 'conv_transpose':
      return new Sequential([
        Input({ shape: [4, 4, 2] }), new layers.Conv2DTranspose(2, 3), new layers.GroupNormalization({ groups: 2 }),
        new layers.Flatten(), new layers.Dense(1),
      ]);
  }
}
