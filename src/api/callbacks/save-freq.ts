/**
 * `saveFreq` for ModelCheckpoint and BackupAndRestore: 'epoch', or every N training batches
 * counted across epochs (Keras's `_should_save_on_batch`: a batch index that does not grow starts
 * a new epoch and adds batch + 1).
 */
export type SaveFreq = 'epoch' | number;

/** Keras accepts any int; a count below 1 would save after every batch, so it is refused here. */
export function checkSaveFreq(saveFreq: SaveFreq, who: string): void {
  if (saveFreq !== 'epoch' && saveFreq < 1) throw new Error(`${who}: saveFreq must be 'epoch' or an integer >= 1 (a number of batches), got ${saveFreq}`);
}

export class BatchCounter {
  private seen = 0;
  private last?: number;

  constructor(readonly saveFreq: SaveFreq, private readonly startAtZero = false) {
    if (startAtZero) this.last = 0;
  }

  /** BackupAndRestore resets the last batch to 0 at every epoch end (Keras does; ModelCheckpoint does not). */
  resetEpoch(): void {
    this.last = 0;
  }

  get lastBatch(): number {
    return this.last ?? 0;
  }

  shouldSave(batch: number): boolean {
    if (this.saveFreq === 'epoch') return false;
    const add = this.last === undefined || batch <= this.last ? batch + 1 : batch - this.last;
    this.seen += add;
    this.last = batch;
    if (this.seen >= this.saveFreq) {
      this.seen = 0;
      return true;
    }
    return false;
  }
}
