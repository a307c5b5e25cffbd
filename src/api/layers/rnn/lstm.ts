/**
 * LSTM (Keras 3 `lstm.py`): gates i, f, c, o in that order along the kernels' last axis; the
 * forget gate's bias starts at one (`unitForgetBias`).
 */
import * as B from '../../../ir/build.js';
import type { Node } from '../../../ir/node.js';
import type { ActivationFn } from '../../activations.js';
import * as initializers from '../../initializers.js';
import type { InitializerIdentifier } from '../../initializers.js';
import type { SymbolicTensor } from '../../ops.js';
import type { Variable } from '../variable.js';
import { gateInput, gateMatmul, gateProducts, perGate, type GateMasks } from './gate-dropout.js';
import { recurrentActivationOf, unitForgetBiasOf } from './cell-options.js';
import { checkRecurrentOptions, columns, RecurrentLayer, type CellStep, type RecurrentArgs } from './recurrent.js';

export interface LSTMArgs extends RecurrentArgs {
  /** Add one to the forget gate's bias at initialization (Keras's default: true). */
  readonly unitForgetBias?: boolean;
}

/** The bias initializer of `unitForgetBias`: `inner` for i, then ones for f, then `inner` for c and o. */
export class UnitForgetBias implements initializers.Initializer {
  readonly className = 'UnitForgetBias';
  constructor(private readonly inner: initializers.Initializer, private readonly units: number) {}
  generate(_shape: readonly number[], seed: number): Float32Array {
    const u = this.units;
    const out = new Float32Array(4 * u);
    out.set(this.inner.generate([u], seed), 0);
    out.fill(1, u, 2 * u);
    out.set(this.inner.generate([2 * u], seed + 1), 2 * u);
    return out;
  }
}

export class LSTM extends RecurrentLayer {
  protected readonly gates = 4;
  protected readonly stateCount = 2;
  readonly recurrentActivation: ActivationFn;
  readonly unitForgetBias: boolean;

  constructor(units: number, args: LSTMArgs = {}) {
    checkRecurrentOptions(args, 'LSTM', ['unitForgetBias']);
    super(units, args);
    this.recurrentActivation = recurrentActivationOf(args);
    this.unitForgetBias = unitForgetBiasOf(args);
  }

  protected buildBias(): Variable {
    return this.addBias([4 * this.units], lstmBiasInitializer(this));
  }
  protected inputBias(): SymbolicTensor | undefined { return this.bias?.node; }
  protected stepConsts(): Node[] { return [this.recurrentKernel.node]; }
  protected readonly step: CellStep = (states, projected, consts, masks) => lstmStep(this, states, projected, consts, masks);
}

/** The bias initializer: Keras's unit_forget_bias puts ones in the forget gate's quarter. */
export function lstmBiasInitializer({ units, biasInitializer, unitForgetBias }: { readonly units: number; readonly biasInitializer: InitializerIdentifier; readonly unitForgetBias: boolean }): InitializerIdentifier {
  const inner = initializers.get(biasInitializer);
  return unitForgetBias ? new UnitForgetBias(inner, units) : inner;
}

/** What the LSTM step reads of its layer or cell. */
export interface LSTMGates { readonly units: number; readonly activation: ActivationFn; readonly recurrentActivation: ActivationFn }

/** The LSTM step, shared by the LSTM layer and LSTMCell (one home for the gate arithmetic). */
export function lstmStep(g: LSTMGates, [h, c]: readonly Node[], projected: readonly Node[], [recurrent]: readonly Node[], masks: GateMasks): Node[] {
  const u = g.units;
  let pre: Node[];
  if (perGate(masks)) {
    const products = gateProducts(h, recurrent, u, 0, 4, masks);
    pre = products.map((p, k) => B.add(gateInput(projected, k, u), p));
  } else {
    const z = B.add(projected[0], gateMatmul(h, recurrent, u, 0, 4, masks));
    pre = [0, 1, 2, 3].map((k) => columns(z, k * u, (k + 1) * u));
  }
  const i = g.recurrentActivation(pre[0]);
  const f = g.recurrentActivation(pre[1]);
  const candidate = g.activation(pre[2]);
  const o = g.recurrentActivation(pre[3]);
  const c1 = B.add(B.multiply(f, c), B.multiply(i, candidate));
  return [B.multiply(o, g.activation(c1)), c1];
}
