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
import { checkRecurrentOptions, columns, recurrentActivationOf, RecurrentLayer, type CellStep, type RecurrentArgs } from './recurrent.js';

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
    this.resetAfter = args.resetAfter ?? true;
  }

  protected buildBias(): Variable {
    const shape = this.resetAfter ? [2, 3 * this.units] : [3 * this.units];
    return this.addWeight({ name: 'bias', shape, initializer: this.biasInitializer });
  }
  protected inputBias(): SymbolicTensor | undefined {
    if (this.bias === undefined) return undefined;
    return this.resetAfter ? B.reshape(B.slice(this.bias.node, [0, 0], [1, 3 * this.units]), [3 * this.units]) : this.bias.node;
  }
  protected stepConsts(): Node[] {
    const consts: Node[] = [this.recurrentKernel.node];
    if (this.resetAfter && this.bias !== undefined) consts.push(B.reshape(B.slice(this.bias.node, [1, 0], [2, 3 * this.units]), [3 * this.units]));
    return consts;
  }
  protected readonly step: CellStep = (states, projected, consts, dropped) => gruStep(this, states, projected, consts, dropped);
}

/** What the GRU step reads of its layer or cell. */
export interface GRUGates { readonly units: number; readonly activation: ActivationFn; readonly recurrentActivation: ActivationFn; readonly resetAfter: boolean }

/** The GRU step, shared by the GRU layer and GRUCell (one home for the gate arithmetic). */
export function gruStep(g: GRUGates, [h]: readonly Node[], projected: Node, [recurrent, recurrentBias]: readonly Node[], dropped: (h: Node) => Node): Node[] {
  const u = g.units;
  const xz = columns(projected, 0, u), xr = columns(projected, u, 2 * u), xh = columns(projected, 2 * u, 3 * u);
  let hh: Node;
  let z: Node;
  if (g.resetAfter) {
    let inner: Node = B.matmul(dropped(h), recurrent);
    if (recurrentBias !== undefined) inner = B.add(inner, recurrentBias);
    z = g.recurrentActivation(B.add(xz, columns(inner, 0, u)));
    const r = g.recurrentActivation(B.add(xr, columns(inner, u, 2 * u)));
    hh = g.activation(B.add(xh, B.multiply(r, columns(inner, 2 * u, 3 * u))));
  } else {
    const gatesKernel = B.slice(recurrent, [0, 0], [u, 2 * u]);
    const candidateKernel = B.slice(recurrent, [0, 2 * u], [u, 3 * u]);
    const inner = B.matmul(dropped(h), gatesKernel);
    z = g.recurrentActivation(B.add(xz, columns(inner, 0, u)));
    const r = g.recurrentActivation(B.add(xr, columns(inner, u, 2 * u)));
    hh = g.activation(B.add(xh, B.matmul(B.multiply(r, dropped(h)), candidateKernel)));
  }
  // The interpolation reads the state itself, not its dropped copy (as Keras).
  return [B.add(B.multiply(z, h), B.multiply(B.subtract(1, z), hh))];
}
