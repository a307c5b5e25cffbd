/**
 * Keras's SeedGenerator, for a layer given `seed`: its random draws come from a state of its own
 * instead of the session's stream, so they repeat whatever the session's seed, and two models
 * whose layers have the same seeds draw the same masks step for step. The state is an int32
 * session variable (not a weight: Keras neither trains nor saves a seed generator's state),
 * starting at the seed and advanced by one in every traced step that draws from it, the way
 * Keras's next() advances its counter.
 */
import type { Node } from '../../ir/node.js';
import type { Session, Variable } from '../../runtime/session.js';
import { getSession } from '../backend.js';
import * as ops from '../ops.js';
import { currentTrace, type TraceContext } from '../trace-context.js';
import type { Layer } from './layer.js';

/**
 * Keras's check of a layer's `seed`: an integer, or none. Keras keeps it in a uint32 state, so it
 * refuses (with an overflow) what falls outside [0, 2^32); so do we, with a message that says so.
 */
function checkSeed(owner: string, seed: unknown): number | undefined {
  if (seed === undefined || seed === null) return undefined;
  if (typeof seed !== 'number' || !Number.isSafeInteger(seed)) {
    throw new Error(`${owner}: argument \`seed\` must be an integer. Received: seed=${typeof seed === 'string' ? JSON.stringify(seed) : String(seed)}`);
  }
  if (seed < 0 || seed >= 2 ** 32) throw new Error(`${owner}: argument \`seed\` must be an integer in [0, 2**32 - 1] (Keras keeps it as a uint32). Received: seed=${seed}`);
  return seed;
}

export class SeedGenerator {
  private state: { readonly session: Session; readonly variable: Variable } | undefined;
  /** Traces whose updates already advance the state: a layer called twice in a step advances it once. */
  private readonly advanced = new WeakSet<TraceContext>();

  /** `label` names the state variable (`dropout/seed_generator_state`). */
  constructor(private readonly label: string, readonly seed: number) {}

  /** The seed node the draws of the call being traced read (each draw still gets its own stream). */
  next(): Node {
    const variable = this.stateIn(getSession());
    const trace = currentTrace();
    if (!this.advanced.has(trace)) {
      this.advanced.add(trace);
      trace.updates.push({ variable: variable.node, value: ops.add(variable.node, 1) });
    }
    return variable.node;
  }

  /** The state in `session`, made at the seed (again when the session was cleared or changed). */
  private stateIn(session: Session): Variable {
    const s = this.state;
    if (s !== undefined && s.session === session) {
      try {
        return session.variableOf(s.variable.node);
      } catch {
        // cleared: start again from the seed, as a rebuilt Keras layer does
      }
    }
    // The uint32 seed's bits as an int32 (the state's dtype): the counter hash reads the 32 bits.
    const variable = session.createVariable(`${this.label}/seed_generator_state`, [], 'int32', [this.seed | 0]);
    this.state = { session, variable };
    return variable;
  }
}

/** The generator of `layer`'s `seed` option, or none (the layer draws from the session's stream). */
export function seedGeneratorOf(layer: Layer, seed: unknown): SeedGenerator | undefined {
  const checked = checkSeed(`Layer "${layer.name}" (${layer.className})`, seed);
  return checked === undefined ? undefined : new SeedGenerator(layer.name, checked);
}
