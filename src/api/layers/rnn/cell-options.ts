/**
 * The options a recurrent layer and its cell both take (Keras 3 passes a layer's to its cell:
 * `LSTM(...)` builds `LSTMCell(...)` from them), with Keras's defaults in one place, so `LSTM(n)`
 * and `RNN(new LSTMCell(n))` cannot start from different settings.
 */
import * as activations from '../../activations.js';
import { getConstraint, type Constraint, type ConstraintIdentifier } from '../../constraints.js';
import type { InitializerIdentifier } from '../../initializers.js';
import { getRegularizer, type Regularizer, type RegularizerIdentifier } from '../../regularizers.js';
import { requirePositiveInt } from '../core.js';
import type { Layer } from '../layer.js';
import { checkRate } from './states.js';
import { seedGeneratorOf, type SeedGenerator } from '../seed-generator.js';

export interface CellOptionArgs {
  readonly activation?: activations.ActivationIdentifier;
  readonly useBias?: boolean;
  readonly kernelInitializer?: InitializerIdentifier;
  readonly recurrentInitializer?: InitializerIdentifier;
  readonly biasInitializer?: InitializerIdentifier;
  readonly kernelRegularizer?: RegularizerIdentifier;
  readonly recurrentRegularizer?: RegularizerIdentifier;
  readonly biasRegularizer?: RegularizerIdentifier;
  readonly kernelConstraint?: ConstraintIdentifier;
  readonly recurrentConstraint?: ConstraintIdentifier;
  readonly biasConstraint?: ConstraintIdentifier;
  /**
   * Fraction of the input features dropped while training: drawn once per sequence and shared by
   * every step; one mask for all gates, or one per gate when recurrentDropout is set (as Keras 3).
   */
  readonly dropout?: number;
  /**
   * Fraction of the state's units dropped where the step's recurrent matmul reads it: drawn once
   * per sequence, one mask per gate (Keras 3's implementation 1, which recurrent dropout selects).
   */
  readonly recurrentDropout?: number;
  /** The dropout masks' own random seed (see Dropout's); without it, the session's stream. */
  readonly seed?: number | null;
}

/** The option keys of CellOptionArgs (for the strict option checks). */
export const CELL_OPTION_KEYS: readonly (keyof CellOptionArgs)[] = [
  'activation', 'useBias', 'kernelInitializer', 'recurrentInitializer', 'biasInitializer', 'kernelRegularizer',
  'recurrentRegularizer', 'biasRegularizer', 'kernelConstraint', 'recurrentConstraint', 'biasConstraint', 'dropout', 'recurrentDropout', 'seed',
];

/** The resolved options, as both the layer and the cell expose them. */
export interface CellOptions {
  readonly units: number;
  readonly activation: activations.ActivationFn;
  readonly useBias: boolean;
  readonly kernelInitializer: InitializerIdentifier;
  readonly recurrentInitializer: InitializerIdentifier;
  readonly biasInitializer: InitializerIdentifier;
  readonly kernelRegularizer: Regularizer | undefined;
  readonly recurrentRegularizer: Regularizer | undefined;
  readonly biasRegularizer: Regularizer | undefined;
  readonly kernelConstraint: Constraint | undefined;
  readonly recurrentConstraint: Constraint | undefined;
  readonly biasConstraint: Constraint | undefined;
  readonly dropout: number;
  readonly recurrentDropout: number;
  /** Draws the dropout masks when `seed` is given. */
  readonly seedGenerator: SeedGenerator | undefined;
}

/** Keras 3's defaults for a recurrent layer or cell, and its checks of units and rates. */
export function resolveCellOptions(layer: Layer, units: number, args: CellOptionArgs): CellOptions {
  requirePositiveInt(layer, 'units', units);
  return {
    units,
    activation: activations.get(args.activation ?? 'tanh'),
    useBias: args.useBias ?? true,
    kernelInitializer: args.kernelInitializer ?? 'glorot_uniform',
    recurrentInitializer: args.recurrentInitializer ?? 'orthogonal',
    biasInitializer: args.biasInitializer ?? 'zeros',
    kernelRegularizer: getRegularizer(args.kernelRegularizer),
    recurrentRegularizer: getRegularizer(args.recurrentRegularizer),
    biasRegularizer: getRegularizer(args.biasRegularizer),
    kernelConstraint: getConstraint(args.kernelConstraint),
    recurrentConstraint: getConstraint(args.recurrentConstraint),
    biasConstraint: getConstraint(args.biasConstraint),
    dropout: checkRate(layer, 'dropout', args.dropout ?? 0),
    recurrentDropout: checkRate(layer, 'recurrent_dropout', args.recurrentDropout ?? 0),
    seedGenerator: seedGeneratorOf(layer, args.seed),
  };
}

/** The gated cells' (LSTM, GRU) recurrent activation: sigmoid by default, as in Keras 3. */
export function recurrentActivationOf(args: { readonly recurrentActivation?: activations.ActivationIdentifier }): activations.ActivationFn {
  return activations.get(args.recurrentActivation ?? 'sigmoid');
}

/** LSTM's unit_forget_bias: true by default. */
export const unitForgetBiasOf = (args: { readonly unitForgetBias?: boolean }): boolean => args.unitForgetBias ?? true;

/** GRU's reset_after: true by default (cuDNN's convention, Keras 3's default). */
export const resetAfterOf = (args: { readonly resetAfter?: boolean }): boolean => args.resetAfter ?? true;
