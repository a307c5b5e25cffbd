/**
 * `node dist/bench/sequences-profile.js [imdb_lstm|imdb_gru|text_transformer] [epochs]`: trains the sequence model
 * for a few epochs and prints ms per step; with KERAS_JIT_DEBUG=2 the session's per-kernel profile
 * follows on stderr. CPU ms per step (process.cpuUsage, all threads) is printed too: on a loaded
 * machine it moves far less than wall time, so before/after comparisons of one tier use it
 * (with KERAS_JIT_THREADS=1 it is the step's work alone).
 */
import { backend } from '../src/index.js';
import { scanBodyProfileReport } from '../src/runtime/scan.js';
import { kerasJitSequenceTrainer, sequenceLength, sequences, type SequenceModelId } from './sequences-model.js';

const id = (process.argv[2] ?? 'imdb_lstm') as SequenceModelId;
const epochs = Number(process.argv[3] ?? 3);
const t = kerasJitSequenceTrainer(id, sequences(sequenceLength(id)));
let start = performance.now();
await t.epoch();
console.log(`${id}: first epoch (${t.steps} steps, compile included) ${(performance.now() - start).toFixed(0)} ms`);
start = performance.now();
const cpu = process.cpuUsage();
for (let e = 0; e < epochs; e++) await t.epoch();
const used = process.cpuUsage(cpu);
const steps = epochs * t.steps;
const bodies = scanBodyProfileReport();
if (bodies !== '') console.error(bodies);
console.log(`${id}: ${((performance.now() - start) / steps).toFixed(1)} ms/step wall, ${((used.user + used.system) / 1000 / steps).toFixed(1)} ms/step CPU`);
void backend;
process.exit(0);
