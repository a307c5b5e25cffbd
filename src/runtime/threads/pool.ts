/**
 * A persistent pool of worker threads that run WebAssembly kernels over shared memories, the
 * calling thread doing its share. A kernel is registered once (its compiled module, memory and
 * one scratch offset per thread); a job is then a synchronous call: `run(id, args, chunks)`
 * lets every thread claim chunks until none is left, and returns when all are done.
 *
 * Workers are unref'd: a pool never keeps the process alive, and a process that exits takes
 * its workers with it.
 */
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import type { CompiledModule, WasmMemory } from '../../codegen/wasm/engine.js';
import { ARGC, ARGS, CHUNKS, claim, CONTROL_LENGTH, epochOf, FAILED, FINISHED, KERNEL, MAX_ARGS, MAX_CHUNKS, NEXT, RANGES, SEQ, THREADS, type FromWorker, type ToWorker, type WorkerInit } from './protocol.js';

/** The calling thread's instance of the kernel, given the chunks it claims. */
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
    this.ctrl = new Int32Array(new SharedArrayBuffer(4 * CONTROL_LENGTH));
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
   * Makes native kernel `index` of the addon at `addonPath` runnable by the workers over `memory`
   * (each loads the addon into its own context; the kernel table it reads is the process's).
   */
  registerNative(addonPath: string, index: number, memory: WasmMemory, owner: object): number {
    const id = this.nextId++;
    const message: ToWorker = { kind: 'registerNative', id, addon: addonPath, index, memory };
    for (const port of this.ports) port.postMessage(message);
    this.registry.register(owner, id);
    return id;
  }

  /**
   * Runs kernel `id` with `args` (i32s) then each of `chunks` (ranges of its units), every chunk
   * once, on whichever of the first `threads` threads claims it; the calling thread claims
   * through `own`. Returns when every chunk is done.
   */
  run(id: number, args: readonly number[], chunks: readonly (readonly [number, number])[], own: RangeFn, threads = this.size): void {
    if (args.length > MAX_ARGS || chunks.length > MAX_CHUNKS) throw new Error('keras-jit: job does not fit the pool');
    this.jobs++;
    if (this.degraded) {
      for (const [r0, r1] of chunks) own(...args, r0, r1);
      return;
    }
    const c = this.ctrl;
    // The last job's claim word is closed before this job's fields are written: a worker still
    // in its claim loop would otherwise read the last job's word against this job's chunk count,
    // claim a chunk the last job never had, run it and count it as one of this job's.
    Atomics.store(c, NEXT, epochOf(c[SEQ]) | MAX_CHUNKS);
    c[KERNEL] = id;
    c[ARGC] = args.length;
    args.forEach((a, i) => { c[ARGS + i] = a; });
    c[CHUNKS] = chunks.length;
    c[THREADS] = threads;
    chunks.forEach(([r0, r1], i) => { c[RANGES + 2 * i] = r0; c[RANGES + 2 * i + 1] = r1; });
    Atomics.store(c, FAILED, 0);
    Atomics.store(c, FINISHED, 0);
    // The claim word opens before SEQ moves: a worker still awake from the last job may claim
    // the moment it sees this epoch, and everything it reads is written by then.
    const seq = (c[SEQ] + 1) | 0;
    const epoch = epochOf(seq);
    Atomics.store(c, NEXT, epoch);
    Atomics.store(c, SEQ, seq);
    Atomics.notify(c, SEQ);
    let failure: unknown;
    for (let k = claim(c, epoch); k >= 0; k = claim(c, epoch)) {
      try {
        own(...args, chunks[k][0], chunks[k][1]);
      } catch (e) {
        failure = e;
      }
      Atomics.add(c, FINISHED, 1);
      if (failure !== undefined) { this.withdraw(epoch); break; }
    }
    // Even when our share threw, the workers are writing the same memory: wait for them.
    this.await(chunks.length);
    if (failure !== undefined) throw failure;
    if (Atomics.load(c, FAILED) > 0) throw new Error(`keras-jit: kernel failed on a worker thread: ${this.takeMessages()}`);
  }

  /** Closes the job to further claims, counting the chunks nobody claimed as done. */
  private withdraw(epoch: number): void {
    const c = this.ctrl;
    for (;;) {
      const w = Atomics.load(c, NEXT);
      const next = w & MAX_CHUNKS, total = c[CHUNKS];
      if (next >= total) return;
      if (Atomics.compareExchange(c, NEXT, w, epoch | total) === w) { Atomics.add(c, FINISHED, total - next); return; }
    }
  }

  /** Waits for the chunks workers claimed: they are running them and will finish. */
  private await(chunks: number): void {
    const c = this.ctrl;
    for (let i = 0; i < SPIN; i++) if (Atomics.load(c, FINISHED) === chunks) return;
    // Node lets its main thread block in Atomics.wait; the wait ends when the last chunk's thread notifies.
    for (let done = Atomics.load(c, FINISHED); done !== chunks; done = Atomics.load(c, FINISHED)) {
      // More chunks done than posted would wait forever: a broken claim protocol fails loudly.
      if (done > chunks) throw new Error(`keras-jit: the thread pool counted ${done} finished chunks of a job of ${chunks}`);
      Atomics.wait(c, FINISHED, done);
    }
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
