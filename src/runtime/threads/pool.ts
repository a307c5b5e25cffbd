/**
 * A persistent pool of worker threads that run WebAssembly kernels over shared memories, the
 * calling thread doing its share. A kernel is registered once (its compiled module, memory and
 * one scratch offset per thread); a job is then a synchronous call: `run(id, args, ranges)`
 * hands each worker its range, runs range 0 on the calling thread and returns when all are done.
 *
 * Workers are unref'd: a pool never keeps the process alive, and a process that exits takes
 * its workers with it.
 */
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import type { CompiledModule, WasmMemory } from '../../codegen/wasm/engine.js';
import { ARGC, ARGS, controlLength, FAILED, IDLE, KERNEL, MAX_ARGS, PENDING, POSTED, RANGES, SEQ, stateIndex, type FromWorker, type ToWorker, type WorkerInit } from './protocol.js';

/** The calling thread's part of a job: its own instance of the kernel, given range 0. */
export type RangeFn = (...args: number[]) => void;

/** Polls before sleeping, as the workers do; most jobs end within this. */
const SPIN = 50_000;

export interface PoolOptions {
  readonly entry?: URL;
  readonly warn?: (message: string) => void;
}

export class ThreadPool {
  /** Threads a job can use: the workers and the calling thread. */
  readonly size: number;
  /** Jobs run so far (tests and profiles use it to see that work went parallel). */
  jobs = 0;
  private readonly ctrl: Int32Array;
  private readonly ports: MessagePort[] = [];
  private readonly workers: Worker[] = [];
  private nextId = 1;
  /** Set once a worker has exited: jobs then run on the calling thread alone. */
  private degraded = false;
  /** Registered kernels are dropped from the workers once the caller's handle is collected. */
  private readonly registry = new FinalizationRegistry<number>((id) => this.post({ kind: 'drop', id }));

  private readonly warn: (message: string) => void;

  /** `options` are for tests: another worker script, another place for the warning. */
  constructor(size: number, options: PoolOptions = {}) {
    this.size = size;
    this.warn = options.warn ?? ((message) => process.emitWarning(message, 'KerasJitWarning'));
    this.ctrl = new Int32Array(new SharedArrayBuffer(4 * controlLength(size)));
    const entry = options.entry ?? new URL('./worker.js', import.meta.url);
    for (let t = 1; t < size; t++) {
      const { port1, port2 } = new MessageChannel();
      const init: WorkerInit = { control: this.ctrl.buffer as SharedArrayBuffer, thread: t, threads: size, port: port2 };
      // No inherited execArgv: flags meant for the main script (--input-type, -e) break a worker's start.
      const worker = new Worker(entry, { workerData: init, transferList: [port2], execArgv: [] });
      worker.unref();
      port1.unref();
      // Seen between jobs only (the event loop does not run during one); within a job, the
      // caller runs the ranges a dead worker never claims. The 'error' listener also keeps a
      // worker's crash from becoming the process's.
      worker.on('error', () => { this.degraded = true; });
      worker.on('exit', () => {
        if (!this.degraded) this.warn('a keras-jit worker thread exited; kernels now run on the calling thread alone');
        this.degraded = true;
      });
      this.workers.push(worker);
      this.ports.push(port1);
    }
  }

  /**
   * Makes `module`'s export `exportName` runnable by the workers over `memory` (shared), worker t
   * with scratch at `scratch[t]`. `owner` is the caller's handle: when it is garbage, the
   * workers drop their instances (and with them their hold on the memory).
   */
  register(module: CompiledModule, exportName: string, memory: WasmMemory, scratch: readonly number[], owner: object): number {
    const id = this.nextId++;
    this.ports.forEach((port, w) => {
      const message: ToWorker = { kind: 'register', id, module, memory, scratch: scratch[w + 1], exportName };
      port.postMessage(message);
    });
    this.registry.register(owner, id);
    return id;
  }

  /**
   * Runs kernel `id` with `args` (i32s) and range t on thread t: ranges[0] on the calling
   * thread through `own`, the others on the workers. Returns when every range is done.
   */
  run(id: number, args: readonly number[], ranges: readonly (readonly [number, number])[], own: RangeFn): void {
    if (args.length > MAX_ARGS || ranges.length > this.size) throw new Error('keras-jit: job does not fit the pool');
    this.jobs++;
    if (this.degraded) {
      for (const [r0, r1] of ranges) own(...args, r0, r1);
      return;
    }
    const c = this.ctrl;
    c[KERNEL] = id;
    c[ARGC] = args.length;
    args.forEach((a, i) => { c[ARGS + i] = a; });
    // PENDING first: a worker still awake from an earlier job may claim a range the moment it
    // is POSTED, before SEQ moves, and its decrement must find this job's count.
    let posted = 0;
    for (let t = 1; t < ranges.length; t++) if (ranges[t][0] < ranges[t][1]) posted++;
    Atomics.store(c, FAILED, 0);
    Atomics.store(c, PENDING, posted);
    for (let t = 1; t < ranges.length; t++) {
      const [r0, r1] = ranges[t];
      if (r0 >= r1) continue;
      c[RANGES + 2 * t] = r0;
      c[RANGES + 2 * t + 1] = r1;
      Atomics.store(c, stateIndex(this.size, t), POSTED);
    }
    Atomics.add(c, SEQ, 1);
    Atomics.notify(c, SEQ);
    let failure: unknown;
    try {
      own(...args, ranges[0][0], ranges[0][1]);
    } catch (e) {
      failure = e;
    }
    try {
      this.runUnclaimed(args, failure === undefined ? own : undefined);
    } catch (e) {
      failure ??= e;
    }
    // Even when our share threw, the workers are writing the same memory: wait for them.
    this.await();
    if (failure !== undefined) throw failure;
    if (Atomics.load(c, FAILED) > 0) throw new Error(`keras-jit: kernel failed on a worker thread: ${this.takeMessages()}`);
  }

  /**
   * Runs on the calling thread the ranges no worker has claimed by the time its own is done. A
   * worker wakes within tens of microseconds, so one that has not is booting, descheduled by a
   * busy machine, or dead: waiting could take long or forever, doing the work costs at most
   * what one thread would have taken. The claim word makes sure each range runs once. Without
   * `own` (the job already failed) the ranges are only withdrawn.
   */
  private runUnclaimed(args: readonly number[], own: RangeFn | undefined): void {
    const c = this.ctrl;
    for (let t = 1; t < this.size; t++) {
      if (Atomics.compareExchange(c, stateIndex(this.size, t), POSTED, IDLE) !== POSTED) continue;
      try {
        own?.(...args, c[RANGES + 2 * t], c[RANGES + 2 * t + 1]);
      } finally {
        Atomics.sub(c, PENDING, 1);
      }
    }
  }

  /** Waits for the claimed ranges: their workers are running them and will finish. */
  private await(): void {
    const c = this.ctrl;
    for (let i = 0; i < SPIN; i++) if (Atomics.load(c, PENDING) === 0) return;
    // Node lets its main thread block in Atomics.wait; the wait ends when the last worker notifies.
    for (let left = Atomics.load(c, PENDING); left !== 0; left = Atomics.load(c, PENDING)) Atomics.wait(c, PENDING, left);
  }

  private takeMessages(): string {
    const messages: string[] = [];
    for (const port of this.ports) {
      for (let m = receiveMessageOnPort(port); m !== undefined; m = receiveMessageOnPort(port)) {
        const report = m.message as FromWorker;
        messages.push(`thread ${report.thread}: ${report.message}`);
      }
    }
    return messages.join('; ');
  }

  private post(message: ToWorker): void {
    for (const port of this.ports) port.postMessage(message);
  }

  /** Stops the workers (tests); later jobs run on the calling thread alone. */
  async terminate(): Promise<void> {
    this.degraded = true;
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
