"""Sequence bench peer (bench/sequences.ts runs it in its own process, one model and framework per run).

usage: python sequences.py {keras-jax|torch} {imdb_lstm|imdb_gru|text_transformer} SECONDS
Trains Embedding(20000, 128) -> LSTM(128) or GRU(128) -> Dense(1, sigmoid) with Adam and binary
crossentropy on random token ids (batch 32, 80 steps), or text_transformer: Keras's "Text
classification with Transformer" (token + position embedding 32, one transformer block with 2
heads of key_dim 32 and feed-forward 32, mean pooling, Dense 20 relu, Dense 2 softmax, dropout 0.1,
sparse categorical crossentropy; 200 steps), warms up, then prints one JSON line:
{"samplesPerSecond": ..., "steps": ...} or {"error": "..."}.
"""
import json
import os
import sys
import time

VOCABULARY, EMBEDDING, UNITS, LENGTH, BATCH, BATCHES = 20000, 128, 128, 80, 32, 8
T_LENGTH, T_EMBEDDING, T_HEADS, T_FF = 200, 32, 2, 32


def data(length=LENGTH):
    import numpy as np
    rng = np.random.default_rng(7)
    x = rng.integers(1, VOCABULARY, size=(BATCH * BATCHES, length), dtype=np.int32)
    y = (rng.random((BATCH * BATCHES, 1)) < 0.5).astype(np.float32)
    return x, y


def keras_jax(model_id, seconds):
    os.environ["KERAS_BACKEND"] = "jax"
    import keras
    if model_id == "text_transformer":
        return keras_transformer(keras, seconds)
    x, y = data()
    rnn = keras.layers.LSTM(UNITS) if model_id == "imdb_lstm" else keras.layers.GRU(UNITS)
    model = keras.Sequential([keras.Input((LENGTH,), dtype="int32"), keras.layers.Embedding(VOCABULARY, EMBEDDING), rnn, keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy")
    model.fit(x, y, batch_size=BATCH, epochs=1, verbose=0)  # compiles
    return timed(lambda: model.fit(x, y, batch_size=BATCH, epochs=1, verbose=0), seconds)


def keras_transformer(keras, seconds):
    from keras import layers, ops

    class TokenAndPositionEmbedding(layers.Layer):
        def __init__(self):
            super().__init__()
            self.token_emb = layers.Embedding(VOCABULARY, T_EMBEDDING)
            self.pos_emb = layers.Embedding(T_LENGTH, T_EMBEDDING)

        def call(self, x):
            return self.token_emb(x) + self.pos_emb(ops.arange(0, ops.shape(x)[-1], 1))

    class TransformerBlock(layers.Layer):
        def __init__(self):
            super().__init__()
            self.att = layers.MultiHeadAttention(num_heads=T_HEADS, key_dim=T_EMBEDDING)
            self.ffn = keras.Sequential([layers.Dense(T_FF, activation="relu"), layers.Dense(T_EMBEDDING)])
            self.layernorm1 = layers.LayerNormalization(epsilon=1e-6)
            self.layernorm2 = layers.LayerNormalization(epsilon=1e-6)
            self.dropout1 = layers.Dropout(0.1)
            self.dropout2 = layers.Dropout(0.1)

        def call(self, inputs, training=False):
            out1 = self.layernorm1(inputs + self.dropout1(self.att(inputs, inputs), training=training))
            return self.layernorm2(out1 + self.dropout2(self.ffn(out1), training=training))

    x, y = data(T_LENGTH)
    inputs = keras.Input((T_LENGTH,), dtype="int32")
    h = TransformerBlock()(TokenAndPositionEmbedding()(inputs))
    h = layers.Dropout(0.1)(layers.GlobalAveragePooling1D()(h))
    h = layers.Dropout(0.1)(layers.Dense(20, activation="relu")(h))
    model = keras.Model(inputs, layers.Dense(2, activation="softmax")(h))
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    y = y[:, 0].astype("int32")
    model.fit(x, y, batch_size=BATCH, epochs=1, verbose=0)  # compiles
    return timed(lambda: model.fit(x, y, batch_size=BATCH, epochs=1, verbose=0), seconds)


def torch_transformer(seconds):
    import torch
    x, y = data(T_LENGTH)
    xt, yt = torch.from_numpy(x).long(), torch.from_numpy(y[:, 0]).long()

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.token = torch.nn.Embedding(VOCABULARY, T_EMBEDDING)
            self.position = torch.nn.Embedding(T_LENGTH, T_EMBEDDING)
            # kdim = vdim = embed, T_HEADS heads of key_dim T_EMBEDDING each, as Keras's MultiHeadAttention(key_dim=embed).
            self.q = torch.nn.Linear(T_EMBEDDING, T_HEADS * T_EMBEDDING)
            self.k = torch.nn.Linear(T_EMBEDDING, T_HEADS * T_EMBEDDING)
            self.v = torch.nn.Linear(T_EMBEDDING, T_HEADS * T_EMBEDDING)
            self.o = torch.nn.Linear(T_HEADS * T_EMBEDDING, T_EMBEDDING)
            self.norm1 = torch.nn.LayerNorm(T_EMBEDDING, eps=1e-6)
            self.norm2 = torch.nn.LayerNorm(T_EMBEDDING, eps=1e-6)
            self.ff1 = torch.nn.Linear(T_EMBEDDING, T_FF)
            self.ff2 = torch.nn.Linear(T_FF, T_EMBEDDING)
            self.d1 = torch.nn.Linear(T_EMBEDDING, 20)
            self.d2 = torch.nn.Linear(20, 2)
            self.drop = torch.nn.Dropout(0.1)

        def forward(self, tokens):
            b, n = tokens.shape
            x = self.token(tokens) + self.position(torch.arange(n))
            split = lambda t: t.view(b, n, T_HEADS, T_EMBEDDING).transpose(1, 2)
            ctx = torch.nn.functional.scaled_dot_product_attention(split(self.q(x)), split(self.k(x)), split(self.v(x)), dropout_p=0.1 if self.training else 0.0)
            out1 = self.norm1(x + self.drop(self.o(ctx.transpose(1, 2).reshape(b, n, -1))))
            out2 = self.norm2(out1 + self.drop(self.ff2(torch.relu(self.ff1(out1)))))
            return self.d2(self.drop(torch.relu(self.d1(self.drop(out2.mean(1))))))

    net = Net()
    net.train()
    opt = torch.optim.Adam(net.parameters(), lr=1e-3, eps=1e-7)
    loss_fn = torch.nn.CrossEntropyLoss()

    def epoch():
        for b in range(BATCHES):
            opt.zero_grad()
            loss = loss_fn(net(xt[b * BATCH:(b + 1) * BATCH]), yt[b * BATCH:(b + 1) * BATCH])
            loss.backward()
            opt.step()

    epoch()
    return timed(epoch, seconds)


def torch_peer(model_id, seconds):
    import torch
    if model_id == "text_transformer":
        return torch_transformer(seconds)
    x, y = data()
    xt, yt = torch.from_numpy(x).long(), torch.from_numpy(y)

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.embedding = torch.nn.Embedding(VOCABULARY, EMBEDDING)
            self.rnn = (torch.nn.LSTM if model_id == "imdb_lstm" else torch.nn.GRU)(EMBEDDING, UNITS, batch_first=True)
            self.dense = torch.nn.Linear(UNITS, 1)

        def forward(self, tokens):
            out, _ = self.rnn(self.embedding(tokens))
            return torch.sigmoid(self.dense(out[:, -1]))

    net = Net()
    opt = torch.optim.Adam(net.parameters(), lr=1e-3, eps=1e-7)
    loss_fn = torch.nn.BCELoss()

    def epoch():
        for b in range(BATCHES):
            opt.zero_grad()
            loss = loss_fn(net(xt[b * BATCH:(b + 1) * BATCH]), yt[b * BATCH:(b + 1) * BATCH])
            loss.backward()
            opt.step()

    epoch()
    return timed(epoch, seconds)


def timed(epoch, seconds):
    epochs, start = 0, time.perf_counter()
    while epochs < 2 or time.perf_counter() - start < seconds:
        epoch()
        epochs += 1
    elapsed = time.perf_counter() - start
    return {"samplesPerSecond": epochs * BATCHES * BATCH / elapsed, "steps": epochs * BATCHES}


def main():
    framework, model_id, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
    try:
        result = keras_jax(model_id, seconds) if framework == "keras-jax" else torch_peer(model_id, seconds)
    except ImportError as e:
        result = {"error": f"missing: {e}"}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
