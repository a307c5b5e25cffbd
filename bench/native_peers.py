"""One native peer of the bench (bench/native-peers.ts): trains one model for a while in this
process and prints one JSON line with its training samples/s; with TASK predict, calls the model
on one batch (batch 1: single-sample latency) and prints its samples/s = batch / call time.

    python native_peers.py FRAMEWORK MODEL BATCH SECONDS [TASK]
    FRAMEWORK: torch | keras-jax;  MODEL: mnist_mlp | mnist_cnn | tabular_mlp;  TASK: train (default) | predict

The models are the bench's (the same layers, optimizer, loss and batch as keras-jit trains),
on random data of the same shapes: throughput does not depend on the values. A framework that
cannot be imported exits with status 3 and the import error on stderr, so the bench reports it
as missing rather than as a number.
"""
import json
import os
import sys
import time

STEPS_PER_EPOCH = 20


def data(model, batch, np):
    rng = np.random.default_rng(1)
    rows = batch * STEPS_PER_EPOCH
    if model == "mnist_mlp":
        x = rng.random((rows, 784), dtype=np.float32)
    elif model == "mnist_cnn":
        x = rng.random((rows, 28, 28, 1), dtype=np.float32)
    else:
        x = rng.standard_normal((rows, 10), dtype=np.float32)
    classes = 10
    y = np.eye(classes, dtype=np.float32)[rng.integers(0, classes, rows)]
    return x, y


def timed(epoch, batch, seconds):
    """Samples/s of the best of the epochs run in `seconds`, after two untimed warm-up epochs."""
    epoch()
    epoch()
    best = float("inf")
    deadline = time.perf_counter() + seconds
    epochs = 0
    while epochs < 2 or time.perf_counter() < deadline:
        t = time.perf_counter()
        epoch()
        best = min(best, time.perf_counter() - t)
        epochs += 1
    return STEPS_PER_EPOCH * batch / best, epochs


CALLS_PER_SAMPLE = 20


def timed_calls(call, batch, seconds):
    """Samples/s of the best mean of CALLS_PER_SAMPLE consecutive calls in `seconds`, after a warm-up
    (the same protocol as keras-jit's predict row in bench/native-peers.ts)."""
    warm = time.perf_counter() + 0.3
    while time.perf_counter() < warm:
        call()
    best = float("inf")
    deadline = time.perf_counter() + seconds
    samples = 0
    while samples < 10 or time.perf_counter() < deadline:
        t = time.perf_counter()
        for _ in range(CALLS_PER_SAMPLE):
            call()
        best = min(best, (time.perf_counter() - t) / CALLS_PER_SAMPLE)
        samples += 1
    return batch / best, samples


def sample_shape(model, batch):
    return {"mnist_mlp": (batch, 784), "mnist_cnn": (batch, 28, 28, 1), "tabular_mlp": (batch, 10)}[model]


def torch_net(model):
    """The model up to its logits: training folds the softmax into CrossEntropyLoss."""
    from torch import nn

    if model == "mnist_mlp":
        net = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Dropout(0.2), nn.Linear(512, 512), nn.ReLU(),
                            nn.Dropout(0.2), nn.Linear(512, 10))
    elif model == "mnist_cnn":
        net = nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
                            nn.Dropout(0.25), nn.Flatten(), nn.Linear(9216, 128), nn.ReLU(), nn.Dropout(0.5),
                            nn.Linear(128, 10))
    else:
        net = nn.Sequential(nn.Linear(10, 20), nn.ReLU(), nn.Linear(20, 10))
    return net


def torch_epoch(model, batch, np):
    import torch
    from torch import nn

    torch.manual_seed(1)
    net = torch_net(model)
    if model == "mnist_mlp":
        # Keras's RMSprop defaults: rho 0.9, epsilon 1e-7.
        opt = torch.optim.RMSprop(net.parameters(), lr=1e-3, alpha=0.9, eps=1e-7)
    else:
        opt = torch.optim.Adam(net.parameters(), lr=1e-3, eps=1e-7)
    x, y = data(model, batch, np)
    if model == "mnist_cnn":
        x = x.transpose(0, 3, 1, 2).copy()  # torch convolutions are channels-first
    xs = torch.from_numpy(x).split(batch)
    ys = torch.from_numpy(y.argmax(1)).split(batch)
    loss_fn = nn.CrossEntropyLoss()  # softmax + categorical crossentropy, as the Keras models end
    net.train()

    def epoch():
        for xb, yb in zip(xs, ys):
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(net(xb), yb)
            loss.backward()
            opt.step()

    return epoch


def torch_predict(model, batch, np):
    import torch
    from torch import nn

    torch.manual_seed(1)
    net = nn.Sequential(torch_net(model), nn.Softmax(dim=1))
    net.eval()
    x = torch.from_numpy(np.random.default_rng(3).random(sample_shape(model, batch), dtype=np.float32))
    if model == "mnist_cnn":
        x = x.permute(0, 3, 1, 2).contiguous()

    def call():
        with torch.no_grad():
            net(x)

    return call


def keras_net(model):
    from keras import layers
    import keras

    if model == "mnist_mlp":
        return keras.Sequential([keras.Input((784,)), layers.Dense(512, activation="relu"), layers.Dropout(0.2),
                                 layers.Dense(512, activation="relu"), layers.Dropout(0.2),
                                 layers.Dense(10, activation="softmax")])
    if model == "mnist_cnn":
        return keras.Sequential([keras.Input((28, 28, 1)), layers.Conv2D(32, 3, activation="relu"),
                                 layers.Conv2D(64, 3, activation="relu"), layers.MaxPooling2D(2), layers.Dropout(0.25),
                                 layers.Flatten(), layers.Dense(128, activation="relu"), layers.Dropout(0.5),
                                 layers.Dense(10, activation="softmax")])
    return keras.Sequential([keras.Input((10,)), layers.Dense(20, activation="relu"),
                             layers.Dense(10, activation="softmax")])


def keras_predict(model, batch, np):
    """A jitted stateless_call: Keras 3's fastest inference on JAX (predict_on_batch adds Python data handling)."""
    os.environ["KERAS_BACKEND"] = "jax"
    import jax
    import keras

    keras.utils.set_random_seed(1)
    net = keras_net(model)
    trainable = [v.value for v in net.trainable_variables]
    non_trainable = [v.value for v in net.non_trainable_variables]
    forward = jax.jit(lambda tv, ntv, x: net.stateless_call(tv, ntv, x, training=False)[0])
    x = jax.numpy.asarray(np.random.default_rng(3).random(sample_shape(model, batch), dtype=np.float32))

    def call():
        forward(trainable, non_trainable, x).block_until_ready()

    return call


def keras_epoch(model, batch, np):
    os.environ["KERAS_BACKEND"] = "jax"
    import keras
    from keras import layers

    keras.utils.set_random_seed(1)
    net = keras_net(model)
    opt = keras.optimizers.RMSprop() if model == "mnist_mlp" else keras.optimizers.Adam(1e-3)
    net.compile(optimizer=opt, loss="categorical_crossentropy", metrics=["accuracy"])
    x, y = data(model, batch, np)

    def epoch():
        net.fit(x, y, batch_size=batch, epochs=1, verbose=0, shuffle=False)

    return epoch


def main():
    framework, model, batch, seconds = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
    task = sys.argv[5] if len(sys.argv) > 5 else "train"
    if model not in ("mnist_mlp", "mnist_cnn", "tabular_mlp"):
        sys.exit(f"native_peers.py: unknown model {model!r}; expected mnist_mlp, mnist_cnn or tabular_mlp")
    if task not in ("train", "predict"):
        sys.exit(f"native_peers.py: unknown task {task!r}; expected train or predict")
    try:
        import numpy as np
        if framework == "torch":
            import torch
            version = f"PyTorch {torch.__version__}, {torch.get_num_threads()} threads"
            make = torch_epoch if task == "train" else torch_predict
        elif framework == "keras-jax":
            os.environ["KERAS_BACKEND"] = "jax"
            import jax
            import keras
            version = f"Keras {keras.__version__} on JAX {jax.__version__}"
            make = keras_epoch if task == "train" else keras_predict
        else:
            sys.exit(f"native_peers.py: unknown framework {framework!r}; expected torch or keras-jax")
    except ImportError as e:
        print(f"{type(e).__name__}: {e}", file=sys.stderr)
        sys.exit(3)
    if task == "train":
        rate, epochs = timed(make(model, batch, np), batch, seconds)
        print(json.dumps({"samplesPerSecond": rate, "epochs": epochs, "version": version}))
    else:
        rate, samples = timed_calls(make(model, batch, np), batch, seconds)
        print(json.dumps({"samplesPerSecond": rate, "samples": samples, "version": version}))


if __name__ == "__main__":
    main()
