/**
 * The sequence bench's text_transformer on TensorFlow.js cpu. TensorFlow.js layers has no
 * MultiHeadAttention, so the model is written with tf ops and trained with tf.variableGrads and
 * tf.train.adam: the same arithmetic as Keras's model (token + position embedding, 2-head
 * self-attention with key_dim 32 and its output projection, residual LayerNormalization with epsilon
 * 1e-6, feed-forward relu Dense 32 then Dense 32, dropout 0.1, mean over steps, Dense 20 relu,
 * Dense 2 softmax, sparse categorical crossentropy), with Glorot-uniform-like random weights.
 */
import type { Tf } from './tfjs.js';
import { SEQ_BATCH, SEQ_VOCABULARY, TRANSFORMER_EMBEDDING, TRANSFORMER_FF, TRANSFORMER_HEADS, TRANSFORMER_LENGTH, type Sequences } from './sequences-model.js';

type Tensor = ReturnType<Tf['tensor']>;

export function tfTransformerTrainer(tf: Tf, data: Sequences): { steps: number; epoch(): Promise<void> } {
  const E = TRANSFORMER_EMBEDDING;
  const H = TRANSFORMER_HEADS;
  const K = TRANSFORMER_EMBEDDING; // Keras's example: key_dim = embed_dim
  const L = TRANSFORMER_LENGTH;
  const weight = (shape: number[], fanIn: number, fanOut: number) => tf.variable(tf.randomUniform(shape, -Math.sqrt(6 / (fanIn + fanOut)), Math.sqrt(6 / (fanIn + fanOut))));
  const zeros = (shape: number[]) => tf.variable(tf.zeros(shape));
  const ones = (shape: number[]) => tf.variable(tf.ones(shape));
  const w = {
    token: tf.variable(tf.randomUniform([SEQ_VOCABULARY, E], -0.05, 0.05)),
    position: tf.variable(tf.randomUniform([L, E], -0.05, 0.05)),
    q: weight([E, H * K], E, H * K), qb: zeros([H * K]),
    k: weight([E, H * K], E, H * K), kb: zeros([H * K]),
    v: weight([E, H * K], E, H * K), vb: zeros([H * K]),
    o: weight([H * K, E], H * K, E), ob: zeros([E]),
    g1: ones([E]), b1: zeros([E]), g2: ones([E]), b2: zeros([E]),
    f1: weight([E, TRANSFORMER_FF], E, TRANSFORMER_FF), f1b: zeros([TRANSFORMER_FF]),
    f2: weight([TRANSFORMER_FF, E], TRANSFORMER_FF, E), f2b: zeros([E]),
    d1: weight([E, 20], E, 20), d1b: zeros([20]),
    d2: weight([20, 2], 20, 2), d2b: zeros([2]),
  };
  const optimizer = tf.train.adam(1e-3, 0.9, 0.999, 1e-7);
  const dense = (x: Tensor, kernel: Tensor, bias: Tensor) => tf.add(tf.matMul(tf.reshape(x, [-1, kernel.shape[0]]), kernel), bias);
  const layerNorm = (x: Tensor, gamma: Tensor, beta: Tensor) => {
    const { mean, variance } = tf.moments(x, -1, true);
    return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, 1e-6))), gamma), beta);
  };
  const heads = (x: Tensor, B: number) => tf.transpose(tf.reshape(x, [B, L, H, K]), [0, 2, 1, 3]);

  function loss(tokens: Tensor, labels: Tensor): Tensor {
    const B = tokens.shape[0];
    const x = tf.add(tf.gather(w.token, tokens), w.position) as Tensor;
    const q = tf.mul(heads(dense(x, w.q, w.qb), B), 1 / Math.sqrt(K));
    const k = heads(dense(x, w.k, w.kb), B);
    const v = heads(dense(x, w.v, w.vb), B);
    const scores = tf.softmax(tf.matMul(q, k, false, true));
    const context = tf.reshape(tf.transpose(tf.matMul(tf.dropout(scores, 0.1), v), [0, 2, 1, 3]), [B * L, H * K]);
    const attention = tf.reshape(dense(context, w.o, w.ob), [B, L, E]);
    const out1 = layerNorm(tf.add(x, tf.dropout(attention, 0.1)), w.g1, w.b1);
    const ffn = tf.reshape(dense(tf.relu(dense(out1, w.f1, w.f1b)), w.f2, w.f2b), [B, L, E]);
    const out2 = layerNorm(tf.add(out1, tf.dropout(ffn, 0.1)), w.g2, w.b2);
    const pooled = tf.dropout(tf.mean(out2, 1), 0.1);
    const hidden = tf.dropout(tf.relu(dense(pooled, w.d1, w.d1b)), 0.1);
    const logits = dense(hidden, w.d2, w.d2b);
    return tf.losses.softmaxCrossEntropy(tf.oneHot(labels, 2), logits);
  }

  // One batch an epoch, as the recurrent TF.js trainers: a TensorFlow.js step takes seconds.
  const tokens = tf.tensor(data.tokens.subarray(0, SEQ_BATCH * L), [SEQ_BATCH, L], 'int32');
  const labels = tf.tensor(Int32Array.from(data.labels.subarray(0, SEQ_BATCH)), [SEQ_BATCH], 'int32');
  return {
    steps: 1,
    async epoch() {
      const cost = optimizer.minimize(() => loss(tokens, labels) as ReturnType<Tf['scalar']>, true);
      await cost?.data();
      cost?.dispose();
    },
  };
}
