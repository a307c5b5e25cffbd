/**
 * fit()'s validation: in-memory data (a prepared EvaluationPass) or a stream of batches, run at
 * the end of the epochs validationFreq selects, logged with the val_ prefix.
 */
import type { Session } from '../../runtime/session.js';
import { EvaluationPass, type Dataset } from './evaluate.js';
import { BatchReader, checkSteps, type BatchSource } from './stream.js';
import { evaluateStreamPass } from './stream-loops.js';
import type { Logs, TrainableModel } from './types.js';

/** Keras's validation_freq: every N epochs, or the listed epochs (counted from 1). */
export type ValidationFreq = number | readonly number[];

export interface Validator {
  run(): Promise<Logs>;
}

export function checkValidationFreq(freq: ValidationFreq | undefined): void {
  if (freq === undefined) return;
  const ok = Array.isArray(freq) ? (freq as readonly number[]).every((e) => Number.isInteger(e) && e >= 1) : Number.isInteger(freq) && (freq as number) >= 1;
  if (!ok) throw new Error(`fit: validationFreq must be an integer >= 1 (validate every N epochs) or an array of epoch numbers counted from 1, got ${JSON.stringify(freq)}`);
}

/** Whether validation runs after `epoch` (counted from 0). */
export function shouldValidate(epoch: number, freq: ValidationFreq = 1): boolean {
  return typeof freq === 'number' ? (epoch + 1) % freq === 0 : freq.includes(epoch + 1);
}

/** A generator (or any iterator that is its own iterable): a second pass over it reads nothing. */
function isSingleUse(source: BatchSource): boolean {
  if (typeof source === 'function') return false;
  const open = ((source as Partial<AsyncIterable<unknown>>)[Symbol.asyncIterator] ?? (source as Partial<Iterable<unknown>>)[Symbol.iterator]) as ((this: unknown) => unknown) | undefined;
  return typeof open === 'function' && open.call(source) === source;
}

/** How many times validation runs over epochs [initialEpoch, epochs). */
export function validationRuns(initialEpoch: number, epochs: number, freq: ValidationFreq | undefined): number {
  let runs = 0;
  for (let e = initialEpoch; e < epochs; e++) if (shouldValidate(e, freq)) runs++;
  return runs;
}

export function inMemoryValidator(session: Session, model: TrainableModel, data: Dataset, batchSize: number, training: boolean): Validator {
  const pass = new EvaluationPass(session, model, data, batchSize, training);
  return { run: async () => pass.run(undefined, 'val_') };
}

/**
 * Validation on a stream: each run reads the source afresh to its end, or, with validationSteps,
 * takes that many batches from one iterator kept across epochs (Keras's rule for generators).
 */
export function streamValidator(model: TrainableModel, source: BatchSource, steps: number | undefined, training: boolean, runs: number): Validator {
  checkSteps('validationSteps', steps, 'fit');
  if (steps === undefined && runs > 1 && isSingleUse(source)) {
    throw new Error(`fit: validationData is a generator object, which can be read only once, and validation runs ${runs} times; pass a function returning a fresh generator (() => batches()), or give validationSteps with an endless generator`);
  }
  const reader = new BatchReader(source, steps === undefined ? 'perPass' : 'continuous', 'fit (validationData)');
  return { run: () => evaluateStreamPass(model, reader, steps, training, 'fit (validationData)', undefined, 'val_') };
}
