/**
 * The C source of the native tier's N-API addon, compiled on first use (toolchain.ts) rather than
 * at `npm install`, so installing never needs a compiler. It does three things: loads a kernel
 * shared object (dlopen), reads the base address of a session memory from a typed array over it
 * (an ArrayBuffer or a SharedArrayBuffer alike, re-read on every call because a growing
 * non-shared memory may move), and calls a kernel with that base and byte offsets, splitting its
 * column panels over a small pthread pool of its own.
 *
 * Kernel ABI (codegen/native/matmul-c.ts): `void kjit_run(char *base, const uint32_t *offsets,
 * uint32_t p0, uint32_t p1)` computes panels [p0, p1); `uint32_t kjit_panels(void)` says how many
 * there are. Panels write disjoint columns and each thread packs into its own buffer, so the
 * threads share nothing but the memory they read and the columns they each write.
 */
export const ADDON_SOURCE = String.raw`
#define NAPI_VERSION 8
#include <node_api.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef void (*kjit_run_fn)(char *, const uint32_t *, uint32_t, uint32_t);
typedef uint32_t (*kjit_panels_fn)(void);

#define MAX_OFFSETS 64
#define MAX_THREADS 16
/* Polls before sleeping: the calls of one training step come tens of microseconds apart. */
#define SPIN 20000
#if defined(__x86_64__) || defined(__i386__)
#define cpu_relax() __builtin_ia32_pause()
#else
#define cpu_relax() ((void)0)
#endif

typedef struct { kjit_run_fn run; uint32_t panels; } kernel_t;
static kernel_t *kernels = NULL;
static uint32_t kernel_count = 0, kernel_capacity = 0;

/* The job the calling thread hands out; workers read it after seeing seq change. */
static struct {
  kjit_run_fn run;
  char *base;
  uint32_t offsets[MAX_OFFSETS];
  uint32_t ranges[MAX_THREADS][2];
} job;
enum { IDLE, POSTED, CLAIMED };
static atomic_uint seq = 0, pending = 0;
/* Thread t's claim word: the caller posts a range, the worker or (if the worker is late) the caller claims it. */
static atomic_int state[MAX_THREADS];
static atomic_int sleepers = 0;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
static int workers = 0;

static void *worker_main(void *arg) {
  int t = (int)(intptr_t)arg;
  unsigned seen = 0;
  for (;;) {
    unsigned now;
    int spins = 0;
    while ((now = atomic_load_explicit(&seq, memory_order_acquire)) == seen && spins < SPIN) { spins++; cpu_relax(); }
    if (now == seen) {
      pthread_mutex_lock(&lock);
      atomic_fetch_add(&sleepers, 1);
      /* seq_cst against the caller's bump of seq then read of sleepers: one of us sees the other. */
      while ((now = atomic_load(&seq)) == seen) pthread_cond_wait(&wake, &lock);
      atomic_fetch_sub(&sleepers, 1);
      pthread_mutex_unlock(&lock);
    }
    seen = now;
    int posted = POSTED;
    /* The caller may have run our range itself already (we were slow to wake): then skip it. */
    if (!atomic_compare_exchange_strong(&state[t], &posted, CLAIMED)) continue;
    job.run(job.base, job.offsets, job.ranges[t][0], job.ranges[t][1]);
    atomic_store(&state[t], IDLE);
    atomic_fetch_sub(&pending, 1);
  }
  return NULL;
}

static int ensure_workers(int wanted) {
  while (workers < wanted) {
    pthread_t th;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    int failed = pthread_create(&th, &attr, worker_main, (void *)(intptr_t)(workers + 1));
    pthread_attr_destroy(&attr);
    if (failed) return workers;
    workers++;
  }
  return workers;
}

static napi_value fail(napi_env env, const char *message) {
  napi_throw_error(env, NULL, message);
  return NULL;
}

/* load(path): the kernel's index; throws with dlerror()'s message when the object does not load. */
static napi_value load(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  char path[4096];
  size_t len = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1) return fail(env, "load(path) takes a path");
  if (napi_get_value_string_utf8(env, argv[0], path, sizeof path, &len) != napi_ok || len >= sizeof path - 1) return fail(env, "load(path): path is not a string or too long");
  void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (handle == NULL) return fail(env, dlerror());
  kjit_run_fn run = (kjit_run_fn)dlsym(handle, "kjit_run");
  kjit_panels_fn panels = (kjit_panels_fn)dlsym(handle, "kjit_panels");
  if (run == NULL || panels == NULL) { dlclose(handle); return fail(env, "the shared object lacks kjit_run or kjit_panels"); }
  if (kernel_count == kernel_capacity) {
    uint32_t capacity = kernel_capacity == 0 ? 64 : 2 * kernel_capacity;
    kernel_t *grown = realloc(kernels, capacity * sizeof *kernels);
    if (grown == NULL) return fail(env, "out of memory");
    kernels = grown;
    kernel_capacity = capacity;
  }
  kernels[kernel_count].run = run;
  kernels[kernel_count].panels = panels();
  napi_value result;
  napi_create_uint32(env, kernel_count++, &result);
  return result;
}

/* panels(index): how many column panels the kernel splits into. */
static napi_value panels(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], result;
  uint32_t index;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 1 || napi_get_value_uint32(env, argv[0], &index) != napi_ok || index >= kernel_count) return fail(env, "panels(index): no such kernel");
  napi_create_uint32(env, kernels[index].panels, &result);
  return result;
}

/* call(index, memoryView, threads, ...byteOffsets): runs the kernel over the view's memory. */
static napi_value call(napi_env env, napi_callback_info info) {
  size_t argc = 3 + MAX_OFFSETS;
  napi_value argv[3 + MAX_OFFSETS];
  uint32_t index, threads, offsets[MAX_OFFSETS] = {0};
  napi_typedarray_type type;
  size_t length, byte_offset;
  void *data;
  napi_value buffer;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 3) return fail(env, "call(index, view, threads, ...offsets)");
  if (napi_get_value_uint32(env, argv[0], &index) != napi_ok || index >= kernel_count) return fail(env, "call: no such kernel");
  if (napi_get_typedarray_info(env, argv[1], &type, &length, &data, &buffer, &byte_offset) != napi_ok) return fail(env, "call: the memory view is not a typed array");
  if (napi_get_value_uint32(env, argv[2], &threads) != napi_ok) return fail(env, "call: threads is not a number");
  for (size_t i = 3; i < argc && i - 3 < MAX_OFFSETS; i++)
    if (napi_get_value_uint32(env, argv[i], &offsets[i - 3]) != napi_ok) return fail(env, "call: an offset is not a number");
  kernel_t k = kernels[index];
  char *base = (char *)data - byte_offset;
  if (threads > MAX_THREADS) threads = MAX_THREADS;
  if (threads > k.panels) threads = k.panels;
  if (threads > 1) { int w = ensure_workers((int)threads - 1); if (w < (int)threads - 1) threads = (uint32_t)w + 1; }
  if (threads <= 1) { k.run(base, offsets, 0, k.panels); return NULL; }
  job.run = k.run;
  job.base = base;
  memcpy(job.offsets, offsets, sizeof offsets);
  for (uint32_t t = 0; t < threads; t++) {
    job.ranges[t][0] = (uint32_t)(((uint64_t)t * k.panels) / threads);
    job.ranges[t][1] = (uint32_t)(((uint64_t)(t + 1) * k.panels) / threads);
  }
  atomic_store(&pending, threads - 1);
  for (uint32_t t = 1; t < threads; t++) atomic_store(&state[t], POSTED);
  atomic_fetch_add(&seq, 1);
  if (atomic_load(&sleepers) > 0) { pthread_mutex_lock(&lock); pthread_cond_broadcast(&wake); pthread_mutex_unlock(&lock); }
  k.run(base, offsets, job.ranges[0][0], job.ranges[0][1]);
  /* A worker that has not claimed its range by now is descheduled or asleep: run it here rather than wait. */
  for (uint32_t t = 1; t < threads; t++) {
    int posted = POSTED;
    if (atomic_compare_exchange_strong(&state[t], &posted, IDLE)) {
      k.run(base, offsets, job.ranges[t][0], job.ranges[t][1]);
      atomic_fetch_sub(&pending, 1);
    }
  }
  while (atomic_load_explicit(&pending, memory_order_acquire) != 0) cpu_relax();
  return NULL;
}

/*
 * range(index, memoryView, p0, p1, ...byteOffsets): panels [p0, p1) of the kernel on the calling
 * thread, so the worker pool's threads can run native kernels as they run wasm ones. The kernel
 * table is read, never written, here: loads happen on the main thread between jobs.
 */
static napi_value range(napi_env env, napi_callback_info info) {
  size_t argc = 4 + MAX_OFFSETS;
  napi_value argv[4 + MAX_OFFSETS];
  uint32_t index, p0, p1, offsets[MAX_OFFSETS] = {0};
  napi_typedarray_type type;
  size_t length, byte_offset;
  void *data;
  napi_value buffer;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 4) return fail(env, "range(index, view, p0, p1, ...offsets)");
  if (napi_get_value_uint32(env, argv[0], &index) != napi_ok || index >= kernel_count) return fail(env, "range: no such kernel");
  if (napi_get_typedarray_info(env, argv[1], &type, &length, &data, &buffer, &byte_offset) != napi_ok) return fail(env, "range: the memory view is not a typed array");
  if (napi_get_value_uint32(env, argv[2], &p0) != napi_ok || napi_get_value_uint32(env, argv[3], &p1) != napi_ok) return fail(env, "range: p0 and p1 must be numbers");
  for (size_t i = 4; i < argc && i - 4 < MAX_OFFSETS; i++)
    if (napi_get_value_uint32(env, argv[i], &offsets[i - 4]) != napi_ok) return fail(env, "range: an offset is not a number");
  kernel_t k = kernels[index];
  if (p1 > k.panels) p1 = k.panels;
  if (p0 < p1) k.run((char *)data - byte_offset, offsets, p0, p1);
  return NULL;
}

NAPI_MODULE_INIT(/* napi_env env, napi_value exports */) {
  napi_property_descriptor props[] = {
    { "range", NULL, range, NULL, NULL, NULL, napi_default, NULL },
    { "load", NULL, load, NULL, NULL, NULL, napi_default, NULL },
    { "panels", NULL, panels, NULL, NULL, NULL, napi_default, NULL },
    { "call", NULL, call, NULL, NULL, NULL, napi_default, NULL },
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}
`;
