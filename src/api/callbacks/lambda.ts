/** Keras's LambdaCallback: a callback made of plain functions, one per hook. */
import { Callback, type Logs } from '../callbacks.js';
import { checkOptions, optionKeys } from '../strict-options.js';

type Hook = void | Promise<void>;

export interface LambdaCallbackOptions {
  readonly onEpochBegin?: (epoch: number, logs?: Logs) => Hook;
  readonly onEpochEnd?: (epoch: number, logs?: Logs) => Hook;
  readonly onBatchBegin?: (batch: number, logs?: Logs) => Hook;
  readonly onBatchEnd?: (batch: number, logs?: Logs) => Hook;
  readonly onTrainBegin?: (logs?: Logs) => Hook;
  readonly onTrainEnd?: (logs?: Logs) => Hook;
  readonly onTestBegin?: (logs?: Logs) => void;
  readonly onTestEnd?: (logs?: Logs) => void;
  readonly onTestBatchEnd?: (batch: number, logs?: Logs) => void;
  readonly onPredictBegin?: (logs?: Logs) => void;
  readonly onPredictEnd?: (logs?: Logs) => void;
  readonly onPredictBatchEnd?: (batch: number, logs?: Logs) => void;
}

const LAMBDA_OPTIONS = optionKeys<LambdaCallbackOptions>({
  onEpochBegin: true, onEpochEnd: true, onBatchBegin: true, onBatchEnd: true, onTrainBegin: true, onTrainEnd: true,
  onTestBegin: true, onTestEnd: true, onTestBatchEnd: true, onPredictBegin: true, onPredictEnd: true, onPredictBatchEnd: true,
});

export class LambdaCallback extends Callback {
  private readonly hooks: LambdaCallbackOptions;

  constructor(options: LambdaCallbackOptions = {}) {
    super();
    checkOptions(options, LAMBDA_OPTIONS, 'LambdaCallback');
    for (const [k, v] of Object.entries(options)) {
      if (v !== undefined && typeof v !== 'function') throw new TypeError(`LambdaCallback: ${k} must be a function, got ${typeof v}`);
    }
    this.hooks = { ...options };
  }

  override onEpochBegin(epoch: number, logs?: Logs): Hook {
    return this.hooks.onEpochBegin?.(epoch, logs);
  }
  override onEpochEnd(epoch: number, logs?: Logs): Hook {
    return this.hooks.onEpochEnd?.(epoch, logs);
  }
  override onBatchBegin(batch: number, logs?: Logs): Hook {
    return this.hooks.onBatchBegin?.(batch, logs);
  }
  override onBatchEnd(batch: number, logs?: Logs): Hook {
    return this.hooks.onBatchEnd?.(batch, logs);
  }
  override onTrainBegin(logs?: Logs): Hook {
    return this.hooks.onTrainBegin?.(logs);
  }
  override onTrainEnd(logs?: Logs): Hook {
    return this.hooks.onTrainEnd?.(logs);
  }
  override onTestBegin(logs?: Logs): void {
    this.hooks.onTestBegin?.(logs);
  }
  override onTestEnd(logs?: Logs): void {
    this.hooks.onTestEnd?.(logs);
  }
  override onTestBatchEnd(batch: number, logs?: Logs): void {
    this.hooks.onTestBatchEnd?.(batch, logs);
  }
  override onPredictBegin(logs?: Logs): void {
    this.hooks.onPredictBegin?.(logs);
  }
  override onPredictEnd(logs?: Logs): void {
    this.hooks.onPredictEnd?.(logs);
  }
  override onPredictBatchEnd(batch: number, logs?: Logs): void {
    this.hooks.onPredictBatchEnd?.(batch, logs);
  }
}
