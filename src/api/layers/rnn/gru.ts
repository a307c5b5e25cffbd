/**
 * GRU (Keras 3 `gru.py`): gates z, r, h in that order. With `resetAfter` (the default) the reset
 * gate applies after the recurrent matmul and the bias is (2, 3·units): the input bias, then the
 * recurrent bias; without it, the reset gate scales the state before its matmul and the bias is
 * (3·units).
 */
import * as B from '../../../ir/build.js';
import type { Node } from '../../../ir/node.js';
import type { ActivationFn } from '../../activations.js';
import type { SymbolicTensor } from '../../ops.js';
import type { Variable } from '../variable.js';
import { dropState, gateInput, gateMatmul, gateProducts, perGate, type GateMasks } from './gate-dropout.js';
import { recurrentActivationOf, resetAfterOf } from './cell-options.js';
import { checkRecurrentOptions, columns, RecurrentLayer, type CellStep, type RecurrentArgs } from './recurrent.js';

export interface GRUArgs extends RecurrentArgs {
  /** Apply the reset gate after the recurrent matmul (Keras's default: true, cuDNN's convention). */
  readonly resetAfter?: boolean;
}

export class GRU extends RecurrentLayer {
  protected readonly gates = 3;
  protected readonly stateCount = 1;
  readonly recurrentActivation: ActivationFn;
  readonly resetAfter: boolean;

  constructor(units: number, args: GRUArgs = {}) {
    checkRecurrentOptions(args, 'GRU', ['resetAfter']);
    super(units, args);
    this.recurrentActivation = recurrentActivationOf(args);
    this.resetAfter = resetAfterOf(args);
  }

  protected buildBias(): Variable {
    return this.addBias(gruBiasShape(this), this.biasInitializer);
  }
  protected inputBias(): SymbolicTensor | undefined { return gruInputBias(this, this.bias); }
  protected stepConsts(): Node[] { return gruStepConsts(this, this.recurrentKernel, this.bias); }
  protected readonly step: CellStep = (states, projected, consts, masks) => gruStep(this, states, projected, consts, masks);
}

/** What the GRU step reads of its layer or cell. */
export interface GRUGates { readonly units: number; readonly activation: ActivationFn; readonly recurrentActivation: ActivationFn; readonly resetAfter: boolean }

/** The bias's shape: with resetAfter, (2, 3·units) rows of input bias and recurrent bias; else (3·units). */
export function gruBiasShape({ units, resetAfter }: GRUGates): number[] {
  return resetAfter ? [2, 3 * units] : [3 * units];
}

/** The bias added to the input projection (all time steps at once): the whole bias, or its input row. */
export function gruInputBias({ units, resetAfter }: GRUGates, bias: Variable | undefined): Node | undefined {
  if (bias === undefined) return undefined;
  return resetAfter ? B.reshape(B.slice(bias.node, [0, 0], [1, 3 * units]), [3 * units]) : bias.node;
}

/** What the step reads besides states and projection: the recurrent kernel, and with resetAfter the recurrent bias row. */
export function gruStepConsts({ units, resetAfter }: GRUGates, recurrentKernel: Variable, bias: Variable | undefined): Node[] {
  const consts: Node[] = [recurrentKernel.node];
  if (resetAfter && bias !== undefined) consts.push(B.reshape(B.slice(bias.node, [1, 0], [2, 3 * units]), [3 * units]));
  return consts;
}

/** The GRU step, shared by the GRU layer and GRUCell (one home for the gate arithmetic). */
export function gruStep(g: GRUGates, [h]: readonly Node[], projected: readonly Node[], [recurrent, recurrentBias]: readonly Node[], masks: GateMasks): Node[] {
  const u = g.units;
  const [xz, xr, xh] = [0, 1, 2].map((k) => gateInput(projected, k, u));
  let hh: Node;
  let z: Node;
  // Each gate's recurrent product: columns of one matmul, or with per-gate masks a matmul each.
  const products = (count: number, inner: () => Node): Node[] => {
    if (perGate(masks)) return gateProducts(h, recurrent, u, 0, count, masks);
    const all = inner();
    return Array.from({ length: count }, (_, k) => columns(all, k * u, (k + 1) * u));
  };
  if (g.resetAfter) {
    // The recurrent bias joins the one matmul, or each gate's product its own columns.
    let [pz, pr, ph] = products(3, () => {
      const inner = gateMatmul(h, recurrent, u, 0, 3, masks);
      return recurrentBias === undefined ? inner : B.add(inner, recurrentBias);
    });
    if (recurrentBias !== undefined && perGate(masks)) {
      [pz, pr, ph] = [pz, pr, ph].map((p, k) => B.add(p, B.slice(recurrentBias, [k * u], [(k + 1) * u])));
    }
    z = g.recurrentActivation(B.add(xz, pz));
    const r = g.recurrentActivation(B.add(xr, pr));
    hh = g.activation(B.add(xh, B.multiply(r, ph)));
  } else {
    const candidateKernel = B.slice(recurrent, [0, 2 * u], [u, 3 * u]);
    const [pz, pr] = products(2, () => gateMatmul(h, recurrent, u, 0, 2, masks));
    z = g.recurrentActivation(B.add(xz, pz));
    const r = g.recurrentActivation(B.add(xr, pr));
    hh = g.activation(B.add(xh, B.matmul(B.multiply(r, dropState(h, masks, 2)), candidateKernel)));
  }
  // The interpolation reads the state itself, not its dropped copy (as Keras).
  return [B.add(B.multiply(z, h), B.multiply(B.subtract(1, z), hh))];
}
