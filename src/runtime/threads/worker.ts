/**
 * A pool worker: waits on the control block, claims and runs chunks of the current job's kernel
 * until none is left, counting each one done. Everything is synchronous (Atomics and receiveMessageOnPort): the worker's event
 * loop never runs after start-up, so the pool needs no message handlers and no promises.
 */
import { receiveMessageOnPort, workerData } from 'node:worker_threads';
import { WebAssemblyApi as WA, type WasmMemory } from '../../codegen/wasm/engine.js';
import { ARGC, ARGS, CHUNKS, claim, epochOf, FAILED, FINISHED, KERNEL, RANGES, SEQ, THREADS, type FromWorker, type ToWorker, type WorkerInit } from './protocol.js';

type RangeFn = (...args: number[]) => void;

const { control, thread, port } = workerData as WorkerInit;
const ctrl = new Int32Array(control);
const kernels = new Map<number, RangeFn>();

/**
 * Polling before sleeping: a wake-up from Atomics.wait costs tens of microseconds, and a
 * training step hands out several jobs a few hundred microseconds apart.
 */
const SPIN = 20_000;

/** What a worker calls of the native addon (tiers/native/addon.ts): panels of a kernel on this thread. */
interface AddonRange {
  range(index: number, view: Uint8Array, p0: number, p1: number, ...byteOffsets: number[]): void;
}
const addons = new Map<string, AddonRange>();

function addonAt(path: string): AddonRange {
  let addon = addons.get(path);
  if (addon === undefined) {
    const module: { exports: unknown } = { exports: {} };
    process.dlopen(module, path);
    addon = module.exports as AddonRange;
    addons.set(path, addon);
  }
  return addon;
}

/** A native kernel's share: args are its byte offsets then the panel range, as a wasm range kernel's. */
function nativeRange(addon: AddonRange, index: number, memory: WasmMemory): RangeFn {
  let view = new Uint8Array(memory.buffer);
  return (...args: number[]) => {
    // A grown memory has a longer buffer: the view is re-made over it.
    if (view.byteLength !== memory.buffer.byteLength) view = new Uint8Array(memory.buffer);
    const p1 = args.pop() as number, p0 = args.pop() as number;
    addon.range(index, view, p0, p1, ...args);
  };
}

function handle(message: ToWorker): void {
  if (message.kind === 'drop') { kernels.delete(message.id); return; }
  if (message.kind === 'registerNative') {
    // A worker that cannot load the addon must not die holding a claimed chunk: its calls throw,
    // which the pool reports as the kernel failing on a worker thread.
    try {
      kernels.set(message.id, nativeRange(addonAt(message.addon), message.index, message.memory));
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e);
      kernels.set(message.id, () => { throw new Error(`the native addon did not load in a worker: ${why}`); });
    }
    return;
  }
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

/**
 * Runs chunks of job `seq` while any is left to claim. The kernel and arguments are read after
 * the first claim: a claim that succeeds proves the job is not over, so they are this job's (the
 * caller writes the next job's only once every chunk of this one is done), and a worker that
 * wakes after the job never looks up a kernel that may since have been dropped.
 */
function work(seq: number): void {
  const epoch = epochOf(seq);
  // Read before the claim, so possibly a later job's: then the claim fails anyway.
  if (thread >= ctrl[THREADS]) return;
  let c = claim(ctrl, epoch);
  if (c < 0) return;
  const fn = kernel(ctrl[KERNEL]);
  const args: number[] = [];
  for (let i = 0; i < ctrl[ARGC]; i++) args.push(ctrl[ARGS + i]);
  const chunks = ctrl[CHUNKS];
  for (; c >= 0; c = claim(ctrl, epoch)) {
    try {
      fn(...args, ctrl[RANGES + 2 * c], ctrl[RANGES + 2 * c + 1]);
    } catch (e) {
      const report: FromWorker = { thread, message: e instanceof Error ? e.message : String(e) };
      port.postMessage(report);
      Atomics.add(ctrl, FAILED, 1);
    }
    if (Atomics.add(ctrl, FINISHED, 1) === chunks - 1) Atomics.notify(ctrl, FINISHED);
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
  work(now);
}
