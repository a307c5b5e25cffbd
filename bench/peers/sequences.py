"""Sequence bench peer (bench/sequences.ts runs it in its own process, one model and framework per run).

usage: python sequences.py {keras-jax|torch} {imdb_lstm|imdb_gru} SECONDS
Trains Embedding(20000, 128) -> LSTM(128) or GRU(128) -> Dense(1, sigmoid) with Adam and binary
crossentropy on random token ids (batch 32, 80 steps), warms up, then prints one JSON line:
{"samplesPerSecond": ..., "steps": ...} or {"error": "..."}.
"""
import json
import os
import sys
import time

VOCABULARY, EMBEDDING, UNITS, LENGTH, BATCH, BATCHES = 20000, 128, 128, 80, 32, 8


def data():
    import numpy as np
    rng = np.random.default_rng(7)
    x = rng.integers(1, VOCABULARY, size=(BATCH * BATCHES, LENGTH), dtype=np.int32)
    y = (rng.random((BATCH * BATCHES, 1)) < 0.5).astype(np.float32)
    return x, y


def keras_jax(model_id, seconds):
    os.environ["KERAS_BACKEND"] = "jax"
    import keras
    x, y = data()
    rnn = keras.layers.LSTM(UNITS) if model_id == "imdb_lstm" else keras.layers.GRU(UNITS)
    model = keras.Sequential([keras.Input((LENGTH,), dtype="int32"), keras.layers.Embedding(VOCABULARY, EMBEDDING), rnn, keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy")
    model.fit(x, y, batch_size=BATCH, epochs=1, verbose=0)  # compiles
    return timed(lambda: model.fit(x, y, batch_size=BATCH, epochs=1, verbose=0), seconds)


def torch_peer(model_id, seconds):
    import torch
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
