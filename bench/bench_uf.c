/*
 * Benchmarks of the concurrent union-find through the public API. Input:
 * 10M elements and 10M uniformly random pairs (seeded, generated once and
 * not timed), which grow one giant set plus many small ones, the hard case
 * for path lengths. Both elements of a pair are prefetched 8 pairs ahead.
 * Reference results: docs/internals/uf.md.
 */
#include <stdlib.h>
#include <time.h>

#include "headcount/uf.h"
#include "bench_shim.h"

#define N_ELEMS ((size_t)10000000)
#define N_PAIRS ((size_t)10000000)

static uint32_t *g_pairs; /* 2 * N_PAIRS */

static struct {
    hc_uf *uf;
    int failed;
} g_run;

static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

static bool pairs_init(void)
{
    if (g_pairs)
        return true;
    g_pairs = malloc(2 * N_PAIRS * sizeof *g_pairs);
    if (!g_pairs)
        return false;
    uint64_t seed = 7;
    for (size_t i = 0; i < 2 * N_PAIRS; i++)
        g_pairs[i] = (uint32_t)(rng_next(&seed) % N_ELEMS);
    return true;
}

/* Thread 0, before the loop: fresh singletons, optionally with every
 * pair already united. */
static void run_setup(hcb_state *st, bool unite)
{
    if (hcb_thread_index(st) != 0)
        return;
    g_run.failed = !pairs_init() || hc_uf_create(N_ELEMS, &g_run.uf) != HC_OK;
    for (size_t i = 0; unite && !g_run.failed && i < N_PAIRS; i++)
        hc_uf_union(g_run.uf, g_pairs[2 * i], g_pairs[2 * i + 1]);
}

static void run_teardown(hcb_state *st)
{
    if (hcb_thread_index(st) != 0)
        return;
    if (g_run.failed)
        hcb_skip_with_error(st, "setup failed");
    hc_uf_destroy(g_run.uf);
    g_run.uf = NULL;
}

static void slice(const hcb_state *st, size_t n, size_t *lo, size_t *hi)
{
    size_t t = (size_t)hcb_thread_index(st), nt = (size_t)hcb_threads(st);
    *lo = n * t / nt;
    *hi = n * (t + 1) / nt;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* As in bench_hset.c: body over this thread's slice once; thread 0 adds
 * total_per_s, all items over the wall-clock time of the parallel run. */
static void run_sliced(hcb_state *st, size_t n,
                       uint64_t (*body)(size_t lo, size_t hi))
{
    size_t lo, hi;
    slice(st, n, &lo, &hi);
    double t0 = 0;
    uint64_t acc = 0;
    while (hcb_keep_running(st)) {
        t0 = now_s();
        if (!g_run.failed)
            acc += body(lo, hi);
    }
    double t1 = now_s();
    hcb_consume(acc);
    hcb_set_items(st, (int64_t)(hi - lo));
    if (hcb_thread_index(st) == 0)
        hcb_counter(st, "total_per_s", (double)n / (t1 - t0),
                    HCB_COUNTER_VALUE);
}

/* Prefetch both elements of the pair this many pairs ahead. */
#define AHEAD 8

static uint64_t union_pairs(size_t lo, size_t hi)
{
    uint64_t merged = 0;
    for (size_t i = lo; i < hi; i++) {
        if (i + AHEAD < hi) {
            hc_uf_prefetch(g_run.uf, g_pairs[2 * (i + AHEAD)]);
            hc_uf_prefetch(g_run.uf, g_pairs[2 * (i + AHEAD) + 1]);
        }
        merged += hc_uf_union(g_run.uf, g_pairs[2 * i], g_pairs[2 * i + 1]);
    }
    return merged;
}

static uint64_t find_all(size_t lo, size_t hi)
{
    uint64_t acc = 0;
    for (size_t x = lo; x < hi; x++)
        acc += hc_uf_find(g_run.uf, (uint32_t)x);
    return acc;
}

static void bm_union_random(hcb_state *st, void *arg)
{
    (void)arg;
    run_setup(st, false);
    run_sliced(st, N_PAIRS, union_pairs);
    run_teardown(st);
}

/* find of every element after all the unions (the labelling pass). */
static void bm_find_all(hcb_state *st, void *arg)
{
    (void)arg;
    run_setup(st, true);
    run_sliced(st, N_ELEMS, find_all);
    run_teardown(st);
}

void hcb_register_uf(void)
{
    hcb_fn fns[] = {bm_union_random, bm_find_all};
    const char *names[] = {"uf/union_random_10M", "uf/find_all_10M"};
    for (size_t i = 0; i < 2; i++) {
        hcb_bench *b = hcb_register(names[i], fns[i], NULL);
        hcb_bench_iterations(b, 1);
        hcb_bench_real_time(b);
        hcb_bench_unit_ms(b);
        hcb_bench_threads(b, 1);
        hcb_bench_threads(b, 2);
    }
}
