/**
 * Single-sample and small-batch predict (issue 13, latency): on the wasm tier a Dense layer of a
 * batch of at most GEMV_MAX_ROWS rows runs as a GEMV kernel. Its result must equal the float64
 * interpreter on the same program, and a cached predict program must see weights changed after
 * it was compiled: by fit, by setWeights and by loadWeights (a kernel that kept a copy of the
 * weights from an earlier call would fail here).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GEMV_MAX_ROWS } from '../src/codegen/wasm/gemv-emit.js';
import { Sequential, Session, backend as K, layers, optimizers, tensor, type Tensor } from '../src/index.js';
import { stepProgram, sigsOf } from '../src/api/training/programs.js';
import { interpretedProgram } from '../src/runtime/interpreted.js';
import { backend } from '../src/runtime/tiers/index.js';
import { relError } from './support/compiled.js';
import { values } from './support/tiny-model.js';

const IN = 37, HIDDEN = 19, OUT = 6;

function model(seed: number, compiled = true): Sequential {
  K.setSession(new Session({ seed }));
  const m = new Sequential([
    new layers.Dense(HIDDEN, { activation: 'relu', inputShape: [IN], biasInitializer: 'randomNormal' }),
    new layers.Dense(OUT, { activation: 'softmax', biasInitializer: 'randomNormal' }),
  ]);
  if (compiled) m.compile({ optimizer: new optimizers.Adam({ learningRate: 0.05 }), loss: 'categorical_crossentropy' });
  return m;
}

const rows = (n: number, seed: number): Tensor => tensor(new Float32Array(values(n * IN, seed)), [n, IN]);

/** The predict program of `x`'s batch run on the float64 interpreter over the session's current variables. */
function reference(m: Sequential, x: Tensor): Float64Array {
  const session = K.getSession();
  const { program } = stepProgram(session, m, 'predict', x.shape[0], false, sigsOf([x]), []);
  const ref = interpretedProgram(program.spec, session);
  ref.input(0).set(x.data);
  ref.run(0);
  return Float64Array.from(ref.output(0));
}

function predicted(m: Sequential, x: Tensor): Float32Array {
  return (m.predict(x, { verbose: 0 }) as Tensor).data as Float32Array;
}

function assertMatches(m: Sequential, x: Tensor, what: string): Float32Array {
  const got = predicted(m, x);
  const e = relError(got, reference(m, x));
  assert.ok(e <= 1e-5, `${what}: relative error ${e} against the interpreter`);
  return got;
}

// The native tier keeps the GEMV as WebAssembly (it has no C twin).
const onWasm = backend() === 'wasm' || backend() === 'native';

test('predict of 1 to GEMV_MAX_ROWS + 1 rows equals the interpreter; the GEMV kernels run exactly up to GEMV_MAX_ROWS rows on the wasm tier', () => {
  const m = model(3);
  for (let n = 1; n <= GEMV_MAX_ROWS + 1; n++) {
    assertMatches(m, rows(n, 100 + n), `batch ${n}`);
    const fused = m.dump({ graph: 'predict', stage: 'fused', batchSize: n });
    const gemvs = fused.match(/gemv_\d+x\d+x\d+/g) ?? [];
    if (onWasm && n <= GEMV_MAX_ROWS) assert.equal([...new Set(gemvs)], [`gemv_${n}x${IN}x${HIDDEN}`, `gemv_${n}x${HIDDEN}x${OUT}`], fused);
    else assert.is(gemvs.length, 0, fused);
  }
});

test('a cached single-sample predict program sees the weights after fit, setWeights and loadWeights', async () => {
  const m = model(5);
  const session = K.getSession();
  const x1 = rows(1, 7);
  let before = assertMatches(m, x1, 'first predict');
  const cached = () => stepProgram(session, m, 'predict', 1, false, sigsOf([x1]), []).program;
  const program = cached();
  const changed = (after: Float32Array, what: string) => {
    assert.ok(relError(after, before) > 1e-3, `${what} did not change the prediction`);
    before = after;
  };

  const data = rows(16, 8);
  const labels = tensor(new Float32Array(16 * OUT).map((_, i) => (i % OUT === (i / OUT | 0) % OUT ? 1 : 0)), [16, OUT]);
  await m.fit(data, labels, { batchSize: 8, epochs: 3, verbose: 0 });
  changed(assertMatches(m, x1, 'after fit'), 'fit');

  m.setWeights(m.getWeights().map((w, i) => tensor(new Float32Array(values(w.size, 50 + i)), [...w.shape])));
  changed(assertMatches(m, x1, 'after setWeights'), 'setWeights');

  const dir = mkdtempSync(join(tmpdir(), 'keras-jit-gemv-'));
  try {
    const other = model(11, false);
    const path = join(dir, 'other.weights.h5');
    await other.saveWeights(path);
    K.setSession(session);
    await m.loadWeights(path);
    changed(assertMatches(m, x1, 'after loadWeights'), 'loadWeights');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  // The same predict program served every call: nothing was recompiled to pick up the weights.
  assert.is(cached(), program, 'the predict program was compiled again');
});

test.run();
