/**
 * Keras's mnist_mlp written in jax-js (@jax-js/jax, its WebAssembly backend): 784-512-512-10,
 * relu, Dropout 0.2, softmax with categorical crossentropy, accuracy, RMSprop with Keras 3's
 * defaults (learning rate 1e-3, rho 0.9, epsilon 1e-7), Glorot-uniform weights and zero biases.
 * One jit-compiled function is the whole step (forward, loss, accuracy, gradients by
 * valueAndGrad, the update), the way jax-js's docs say to get fused kernels.
 *
 * Two facts about jax-js 0.1.25 on Node 20, found by running it:
 * - its kernel scheduler reads `navigator.userAgent` unguarded, and Node 20 has no `navigator`
 *   (Node 21 added it), so without a stand-in the first compiled reduction throws a
 *   ReferenceError. `withNavigator` defines `{ userAgent: 'Node.js' }` for as long as jax-js
 *   runs and removes it afterwards, so TensorFlow.js, loaded in the same process, never sees it;
 * - its worker pool needs a global `Worker` (a browser API; Node's workers live in
 *   `worker_threads`), so in Node it runs on one thread.
 */
import type { Array as JaxArray } from '@jax-js/jax';
import { NUM_CLASSES, PIXELS, type Digits } from './data.js';

type Jax = typeof import('@jax-js/jax');

/** type, not interface: jax-js's JsTree needs an implicit index signature. */
type Params = { w1: JaxArray; b1: JaxArray; w2: JaxArray; b2: JaxArray; w3: JaxArray; b3: JaxArray };

const HIDDEN = 512;
const RATE = 0.2;
const [LR, RHO, EPSILON] = [1e-3, 0.9, 1e-7];

let restoreNavigator: (() => void) | undefined;

/** Defines a minimal global `navigator` if the engine has none (see the file comment). */
export function installNavigator(): void {
  if (restoreNavigator !== undefined || 'navigator' in globalThis) return;
  Object.defineProperty(globalThis, 'navigator', { value: { userAgent: 'Node.js' }, configurable: true, writable: true });
  restoreNavigator = () => { Reflect.deleteProperty(globalThis, 'navigator'); };
}

export function removeNavigator(): void {
  restoreNavigator?.();
  restoreNavigator = undefined;
}

/** Runs `f` with the navigator stand-in in place. */
export async function withNavigator<T>(f: () => Promise<T>): Promise<T> {
  installNavigator();
  try {
    return await f();
  } finally {
    removeNavigator();
  }
}

export async function loadJax(): Promise<Jax> {
  const jax = await import('@jax-js/jax');
  const devices = await jax.init('wasm');
  if (!devices.includes('wasm')) throw new Error(`jax-js: no wasm device (devices: ${devices.join(', ')})`);
  jax.defaultDevice('wasm');
  return jax;
}

export interface JaxMlp {
  /** Trains `steps` batches; resolves when their results are computed. */
  epoch(steps: number): Promise<void>;
  /** The loss of the last step. */
  lastLoss(): number;
  dispose(): void;
}

/**
 * Builds the MLP's parameters, optimizer state and jitted step, and the batches of `data` as
 * device arrays (made once, so an epoch times training, not host-to-device copies).
 */
export function jaxMlp(jax: Jax, data: Digits, batch: number, seed = 0): JaxMlp {
  const { numpy: np, nn, random, tree, jit, valueAndGrad } = jax;
  const keys = random.split(random.key(seed), 3);
  const glorot = (key: JaxArray, fanIn: number, fanOut: number) => {
    const limit = Math.sqrt(6 / (fanIn + fanOut));
    return random.uniform(key, [fanIn, fanOut], { minval: -limit, maxval: limit });
  };
  let params: Params = {
    w1: glorot(keys.ref.slice(0), PIXELS, HIDDEN), b1: np.zeros([HIDDEN]),
    w2: glorot(keys.ref.slice(1), HIDDEN, HIDDEN), b2: np.zeros([HIDDEN]),
    w3: glorot(keys.slice(2), HIDDEN, NUM_CLASSES), b3: np.zeros([NUM_CLASSES]),
  };
  let velocity: Params = tree.map((p: JaxArray) => np.zerosLike(p.ref), params);

  // jax-js takes ownership of every argument: `.ref` keeps a value alive for a second use.
  const dropout = (h: JaxArray, key: JaxArray) =>
    h.mul(random.bernoulli(key, 1 - RATE, [batch, HIDDEN]).astype(np.float32)).mul(1 / (1 - RATE));
  const loss = (p: Params, x: JaxArray, y: JaxArray, key: JaxArray): [JaxArray, JaxArray] => {
    const k = random.split(key, 2);
    const h1 = dropout(nn.relu(np.dot(x, p.w1).add(p.b1)), k.ref.slice(0));
    const h2 = dropout(nn.relu(np.dot(h1, p.w2).add(p.b2)), k.slice(1));
    const logits = np.dot(h2, p.w3).add(p.b3);
    const correct = np.argmax(logits.ref, 1).equal(np.argmax(y.ref, 1)).astype(np.float32).sum();
    return [nn.logSoftmax(logits).mul(y).sum().mul(-1 / batch), correct];
  };
  const step = jit((p: Params, v: Params, x: JaxArray, y: JaxArray, key: JaxArray): [Params, Params, JaxArray, JaxArray] => {
    const [[value, correct], g] = valueAndGrad(loss, { hasAux: true })(tree.ref(p), x, y, key);
    const v2: Params = tree.map((vi: JaxArray, gi: JaxArray) => vi.mul(RHO).add(gi.ref.mul(gi).mul(1 - RHO)), v, tree.ref(g));
    const p2: Params = tree.map((pi: JaxArray, gi: JaxArray, vi: JaxArray) => pi.sub(gi.mul(LR).div(np.sqrt(vi.add(EPSILON)))), p, g, tree.ref(v2));
    return [p2, v2, value, correct];
  });

  const steps = Math.floor(data.n / batch);
  const xs: JaxArray[] = [], ys: JaxArray[] = [];
  for (let s = 0; s < steps; s++) {
    xs.push(np.array(data.x.subarray(s * batch * PIXELS, (s + 1) * batch * PIXELS)).reshape([batch, PIXELS]));
    ys.push(np.array(data.y.subarray(s * batch * NUM_CLASSES, (s + 1) * batch * NUM_CLASSES)).reshape([batch, NUM_CLASSES]));
  }
  let last: JaxArray | undefined;
  let draws = seed;
  return {
    async epoch(n: number) {
      if (n > steps) throw new Error(`jax-js mlp: ${n} steps asked, ${steps} batches prepared`);
      for (let s = 0; s < n; s++) {
        last?.dispose();
        let correct: JaxArray;
        [params, velocity, last, correct] = step(params, velocity, xs[s].ref, ys[s].ref, random.key(++draws));
        correct.dispose();
      }
      await jax.blockUntilReady([params, velocity]);
    },
    lastLoss() {
      if (last === undefined) return NaN;
      return Number((last.ref.dataSync() as Float32Array)[0]);
    },
    dispose() {
      last?.dispose();
      tree.dispose([params, velocity, xs, ys]);
      step.dispose();
    },
  };
}
