/** SimpleRNN (Keras 3 `simple_rnn.py`): h = activation(x·kernel + bias + h·recurrent_kernel). */
import * as B from '../../../ir/build.js';
import type { ActivationFn } from '../../activations.js';
import type { Node } from '../../../ir/node.js';
import type { SymbolicTensor } from '../../ops.js';
import type { Variable } from '../variable.js';
import { gateMatmul, type GateMasks } from './gate-dropout.js';
import { checkRecurrentOptions, RecurrentLayer, type CellStep, type RecurrentArgs } from './recurrent.js';

export type SimpleRNNArgs = Omit<RecurrentArgs, 'recurrentActivation'>;

export class SimpleRNN extends RecurrentLayer {
  protected readonly gates = 1;
  protected readonly stateCount = 1;

  constructor(units: number, args: SimpleRNNArgs = {}) {
    checkRecurrentOptions(args, 'SimpleRNN', []);
    if ((args as RecurrentArgs).recurrentActivation !== undefined) throw new Error('SimpleRNN: unknown option \'recurrentActivation\' (SimpleRNN has one activation)');
    super(units, args);
  }

  protected buildBias(): Variable {
    return this.addBias([this.units], this.biasInitializer);
  }
  protected inputBias(): SymbolicTensor | undefined { return this.bias?.node; }
  protected stepConsts(): Node[] { return [this.recurrentKernel.node]; }
  protected readonly step: CellStep = (states, projected, consts, masks) => simpleStep(this.activation, states, projected, consts, masks);
}

/** The SimpleRNN step, shared by the SimpleRNN layer and SimpleRNNCell. */
export function simpleStep(activation: ActivationFn, [h]: readonly Node[], projected: readonly Node[], [recurrent]: readonly Node[], masks: GateMasks): Node[] {
  return [activation(B.add(projected[0], gateMatmul(h, recurrent, recurrent.shape[1] ?? 0, 0, 1, masks)))];
}
