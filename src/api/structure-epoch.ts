/**
 * A counter of edits that can change what a model compiles to: a layer or weight made trainable
 * or frozen, a weight created, a model's graph redefined (Sequential.add/pop). The training engine
 * keeps the last program each model ran and reuses it without rebuilding its cache key while the
 * counter stands still; any edit sends the next call through the full key (which names the
 * graph and the trainable variables), so an edit is never missed and a call is never slowed by
 * other models' edits beyond one key rebuild.
 */
let epoch = 0;

export function structureEpoch(): number {
  return epoch;
}

export function noteStructureChange(): void {
  epoch++;
}
