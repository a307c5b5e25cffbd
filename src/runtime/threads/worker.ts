/**
 * A pool worker: waits on the control block, runs its range of the current job's kernel, reports
 * completion. Everything is synchronous (Atomics and receiveMessageOnPort): the worker's event
 * loop never runs after start-up, so the pool needs no message handlers and no promises.
 */
import { receiveMessageOnPort, workerData } from 'node:worker_threads';
import { WebAssemblyApi as WA } from '../../codegen/wasm/engine.js';
import { ARGC, ARGS, CLAIMED, FAILED, IDLE, KERNEL, PENDING, POSTED, RANGES, SEQ, stateIndex, type FromWorker, type ToWorker, type WorkerInit } from './protocol.js';

type RangeFn = (...args: number[]) => void;

const { control, thread, threads, port } = workerData as WorkerInit;
const state = stateIndex(threads, thread);
const ctrl = new Int32Array(control);
const kernels = new Map<number, RangeFn>();

/**
 * Polling before sleeping: a wake-up from Atomics.wait costs tens of microseconds, and a
 * training step hands out several jobs a few hundred microseconds apart.
 */
const SPIN = 20_000;

function handle(message: ToWorker): void {
  if (message.kind === 'drop') { kernels.delete(message.id); return; }
  const instance = new WA.Instance(message.module, { env: { memory: message.memory, scratch: message.scratch } });
  kernels.set(message.id, instance.exports[message.exportName] as RangeFn);
}

function drain(): void {
  for (let m = receiveMessageOnPort(port); m !== undefined; m = receiveMessageOnPort(port)) handle(m.message as ToWorker);
}

/** The job's kernel; its registration was posted before the job, so it is on the port by now. */
function kernel(id: number): RangeFn {
  let fn = kernels.get(id);
  while (fn === undefined) {
    const m = receiveMessageOnPort(port);
    if (m !== undefined) handle(m.message as ToWorker);
    fn = kernels.get(id);
  }
  return fn;
}

function run(): void {
  const r0 = ctrl[RANGES + 2 * thread], r1 = ctrl[RANGES + 2 * thread + 1];
  const fn = kernel(ctrl[KERNEL]);
  const args: number[] = [];
  for (let i = 0; i < ctrl[ARGC]; i++) args.push(ctrl[ARGS + i]);
  try {
    fn(...args, r0, r1);
  } catch (e) {
    const report: FromWorker = { thread, message: e instanceof Error ? e.message : String(e) };
    port.postMessage(report);
    Atomics.add(ctrl, FAILED, 1);
  }
}

let seen = 0;
for (;;) {
  for (let i = 0; i < SPIN && Atomics.load(ctrl, SEQ) === seen; i++);
  Atomics.wait(ctrl, SEQ, seen);
  const now = Atomics.load(ctrl, SEQ);
  if (now === seen) continue;
  seen = now;
  drain();
  // No range for us, or the caller gave up waiting and ran it itself.
  if (Atomics.compareExchange(ctrl, state, POSTED, CLAIMED) !== POSTED) continue;
  run();
  Atomics.store(ctrl, state, IDLE);
  if (Atomics.sub(ctrl, PENDING, 1) === 1) Atomics.notify(ctrl, PENDING);
}
