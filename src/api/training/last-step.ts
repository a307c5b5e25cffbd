/**
 * The last step program each model ran, per graph kind, reused while nothing it was keyed on has
 * changed. Building the cache key walks the model's layers for its trainable variables and formats
 * shapes into a string; on a single-sample predict that walk was most of the call's allocation.
 * Reuse needs: the same session still holding the program under its key, no structure edit since
 * (structure-epoch.ts), the same compile, phase, batch and data signatures.
 */
import type { Session } from '../../runtime/session.js';
import { structureEpoch } from '../structure-epoch.js';
import type { DataSig, GraphKind } from './programs.js';

export interface StepRequest {
  readonly kind: GraphKind;
  readonly compiledId: number;
  readonly batch: number;
  readonly training: boolean;
  readonly xSigs: readonly DataSig[];
  readonly ySigs: readonly DataSig[];
  readonly wSigs: readonly DataSig[];
}

interface Remembered<S> {
  readonly session: Session;
  readonly epoch: number;
  readonly request: StepRequest;
  readonly key: string;
  readonly step: S;
}

const lastSteps = new WeakMap<object, Map<GraphKind, Remembered<unknown>>>();

function sameSigs(a: readonly DataSig[], b: readonly DataSig[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const [s, t] = [a[i].sample, b[i].sample];
    if (a[i].dtype !== b[i].dtype || s.length !== t.length) return false;
    for (let d = 0; d < s.length; d++) if (s[d] !== t[d]) return false;
  }
  return true;
}

function sameRequest(a: StepRequest, b: StepRequest): boolean {
  return a.kind === b.kind && a.compiledId === b.compiledId && a.batch === b.batch && a.training === b.training
    && sameSigs(a.xSigs, b.xSigs) && sameSigs(a.ySigs, b.ySigs) && sameSigs(a.wSigs, b.wSigs);
}

/** The remembered step for this request, or undefined when anything it depends on changed. */
export function recalledStep<S extends { readonly program: object }>(session: Session, model: object, request: StepRequest): S | undefined {
  const r = lastSteps.get(model)?.get(request.kind) as Remembered<S> | undefined;
  if (r === undefined || r.session !== session || r.epoch !== structureEpoch() || !sameRequest(r.request, request)) return undefined;
  return session.holdsProgram(r.key, r.step.program) ? r.step : undefined;
}

export function rememberStep<S>(session: Session, model: object, request: StepRequest, key: string, step: S): void {
  let byKind = lastSteps.get(model);
  if (byKind === undefined) lastSteps.set(model, (byKind = new Map()));
  byKind.set(request.kind, { session, epoch: structureEpoch(), request, key, step });
}
