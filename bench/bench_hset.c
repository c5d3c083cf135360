/*
 * Benchmarks of the concurrent hash map and of fingerprinting, through the
 * public API. Inputs, generated once and not timed, are streams of keys laid
 * out back to back as a reader would hand them over: 10M distinct realistic
 * normalized emails "first.last1234@corp.example" (64 first names x 64 last
 * names x a number, 20-36 bytes, 29 on average), the same 10M shuffled,
 * and 10M "records" drawn with replacement from the first 2M keys (about
 * 5 sightings per person, as in the reference input of the product
 * targets). Insert-or-find runs the way the counting pipeline feeds the
 * set: batches of 256 through hc_hset_upsert_batch, owners untouched. One
 * benchmark also lowers owners, through single upserts in a software
 * pipeline: fingerprint a key and prefetch its home slot, 8 keys later
 * prefetch the entry that slot points at, 8 keys after that upsert it.
 * The three batch workloads also run on a "reserved" set (see set_mode),
 * and the pure inserts once more from fingerprints computed beforehand:
 * the map's own share of the work.
 * Three more benchmarks measure the machine rather than the set: the same
 * number of random accesses to a table of the same size and layout, with
 * the same prefetch distance and no hashing or probing, and the insert's
 * linear probe alone over such a table (see "bound" below).
 * Reference results: docs/internals/hset.md.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

#include "headcount/hset.h"
#include "bench_shim.h"

#define N_KEYS ((size_t)10000000)
#define N_PEOPLE ((size_t)2000000)
#define BATCH 16
#define OPS_BATCH 256 /* ops per hc_hset_upsert_batch, as the census does */

static const char *const first_names[64] = {
    "james",   "mary",    "robert",  "patricia",  "john",    "jennifer",
    "michael", "linda",   "david",   "elizabeth", "william", "barbara",
    "richard", "susan",   "joseph",  "jessica",   "thomas",  "sarah",
    "charles", "karen",   "chris",   "lisa",      "daniel",  "nancy",
    "matthew", "betty",   "anthony", "margaret",  "mark",    "sandra",
    "donald",  "ashley",  "steven",  "kim",       "paul",    "emily",
    "andrew",  "donna",   "joshua",  "michelle",  "ken",     "carol",
    "kevin",   "amanda",  "brian",   "dorothy",   "george",  "melissa",
    "tim",     "deborah", "ronald",  "stephanie", "ed",      "rebecca",
    "jason",   "sharon",  "jeffrey", "laura",     "ryan",    "cynthia",
    "jacob",   "amy",     "gary",    "kathleen"};

static const char *const last_names[64] = {
    "smith",    "johnson", "williams",  "brown",    "jones",     "garcia",
    "miller",   "davis",   "rodriguez", "martinez", "hernandez", "lopez",
    "gonzalez", "wilson",  "anderson",  "thomas",   "taylor",    "moore",
    "jackson",  "martin",  "lee",       "perez",    "thompson",  "white",
    "harris",   "sanchez", "clark",     "ramirez",  "lewis",     "robinson",
    "walker",   "young",   "allen",     "king",     "wright",    "scott",
    "torres",   "nguyen",  "hill",      "flores",   "green",     "adams",
    "nelson",   "baker",   "hall",      "rivera",   "campbell",  "mitchell",
    "carter",   "roberts", "gomez",     "phillips", "evans",     "turner",
    "diaz",     "parker",  "cruz",      "edwards",  "collins",   "reyes",
    "stewart",  "morris",  "morales",   "murphy"};

/*
 * A stream of keys as a reader hands them over: bytes back to back, key i
 * at bytes[off[i] .. off[i + 1]). Every benchmark reads its stream in
 * order, so that what is measured is the set, not scattered input.
 */
typedef struct stream {
    char *bytes;
    uint64_t *off; /* n + 1 offsets */
    size_t n;
} stream;

/* The inputs, generated on first use and shared by every benchmark here:
 * the 10M distinct keys in order, the same keys shuffled, and the
 * records (10M draws from the first 2M keys). */
static stream g_keys, g_shuffled, g_records;
static size_t g_records_distinct;

/* The set under test; set up by thread 0 before the timed loop. */
static struct {
    hc_hset *set;
    int failed;
} g_run;

static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

/* Fills a stream with email(pick(i)) for i < N_KEYS; pick NULL: i. */
static bool stream_init(stream *st, const uint32_t *pick)
{
    st->bytes = malloc(N_KEYS * 40);
    st->off = malloc((N_KEYS + 1) * sizeof *st->off);
    if (!st->bytes || !st->off)
        return false;
    size_t pos = 0;
    for (size_t i = 0; i < N_KEYS; i++) {
        size_t k = pick ? pick[i] : i;
        int n =
            snprintf(st->bytes + pos, 40, "%s.%s%zu@corp.example",
                     first_names[k % 64], last_names[(k / 64) % 64], k / 4096);
        st->off[i] = pos;
        pos += (size_t)n;
    }
    st->off[N_KEYS] = pos;
    st->n = N_KEYS;
    return true;
}

static bool input_init(void)
{
    if (g_records.n)
        return true;
    uint32_t *pick = malloc(N_KEYS * sizeof *pick);
    if (!pick || !stream_init(&g_keys, NULL)) {
        free(pick);
        return false;
    }
    uint64_t seed = 42;
    for (size_t i = 0; i < N_KEYS; i++)
        pick[i] = (uint32_t)i;
    for (size_t i = N_KEYS - 1; i > 0; i--) {
        size_t j = (size_t)(rng_next(&seed) % (i + 1));
        uint32_t t = pick[i];
        pick[i] = pick[j];
        pick[j] = t;
    }
    bool ok = stream_init(&g_shuffled, pick);
    for (size_t i = 0; i < N_KEYS; i++)
        pick[i] = (uint32_t)(rng_next(&seed) % N_PEOPLE);
    ok = ok && stream_init(&g_records, pick);
    /* The expected distinct count, computed without the set. */
    unsigned char *seen = ok ? calloc(N_PEOPLE, 1) : NULL;
    for (size_t i = 0; seen && i < N_KEYS; i++) {
        g_records_distinct += !seen[pick[i]];
        seen[pick[i]] = 1;
    }
    ok = ok && seen;
    free(seen);
    free(pick);
    return ok;
}

/* The slice of n items that this thread handles. */
static void slice(const hcb_state *st, size_t n, size_t *lo, size_t *hi)
{
    size_t t = (size_t)hcb_thread_index(st), nt = (size_t)hcb_threads(st);
    *lo = n * t / nt;
    *hi = n * (t + 1) / nt;
}

/*
 * Upserts keys lo..hi of in (owner = position) in a software pipeline, the
 * way the counting pipeline feeds the set: key i is fingerprinted and its
 * home slot prefetched, DIST keys later the entry that slot points at is
 * prefetched, and DIST keys after that it is upserted. Returns the number
 * of failed upserts.
 */
#define DIST 8
#define RING 32 /* > 2 * DIST, a power of two */

static size_t upsert_stream(hc_hset *set, const stream *in, size_t lo,
                            size_t hi)
{
    size_t failed = 0;
    hc_fp fp[RING];
    for (size_t i = lo; i < hi + 2 * DIST; i++) {
        if (i < hi) {
            fp[i % RING] = hc_fingerprint(in->bytes + in->off[i],
                                          in->off[i + 1] - in->off[i]);
            hc_hset_prefetch(set, fp[i % RING]);
        }
        if (i >= lo + DIST && i - DIST < hi)
            hc_hset_prefetch_entry(set, fp[(i - DIST) % RING]);
        if (i >= lo + 2 * DIST && i - 2 * DIST < hi) {
            size_t j = i - 2 * DIST;
            uint32_t id;
            failed += hc_hset_upsert_fp(
                          set, fp[j % RING], in->bytes + in->off[j],
                          in->off[j + 1] - in->off[j], j, &id, NULL) != HC_OK;
        }
    }
    return failed;
}

/* Insert-or-find of keys lo..hi of in, as the census does it: batches of
 * OPS_BATCH, owners untouched. Fingerprints come from fps[i] when given,
 * else are computed in the loop. Returns the number of failed batches. */
static size_t batch_stream(hc_hset *set, const stream *in, const hc_fp *fps,
                           size_t lo, size_t hi)
{
    size_t failed = 0;
    hc_hset_op ops[OPS_BATCH];
    for (size_t i = lo; i < hi; i += OPS_BATCH) {
        size_t m = hi - i < OPS_BATCH ? hi - i : OPS_BATCH;
        for (size_t j = 0; j < m; j++) {
            const char *k = in->bytes + in->off[i + j];
            size_t len = in->off[i + j + 1] - in->off[i + j];
            ops[j].fp = fps ? fps[i + j] : hc_fingerprint(k, len);
            ops[j].key = k;
            ops[j].len = len;
        }
        failed += hc_hset_upsert_batch(set, ops, m) != HC_OK;
    }
    return failed;
}

/*
 * How a benchmark's set is made. "full" is hc_hset_create: key bytes kept,
 * memory backed on first touch, so the timed loop also pays for the kernel
 * zeroing the pages it touches first (on the reference VM about half of an
 * insert-heavy run). "reserved" is a summary count's set (ids only) created
 * with populate, as a reserve() would: the loop measures the table alone.
 */
typedef struct set_mode {
    bool ids_only;
    bool populate;
} set_mode;

static const set_mode mode_full = {false, false};
static const set_mode mode_reserved = {true, true};

/* Thread 0, before the loop: a fresh set, pre-sized or not, and filled
 * with the first `fill` keys. */
static void run_setup(hcb_state *st, const set_mode *mode, size_t expected,
                      size_t fill)
{
    if (hcb_thread_index(st) != 0)
        return;
    hc_hset_options o = {expected, mode->ids_only, mode->populate};
    g_run.failed = !input_init() ||
                   hc_hset_create_opts(&o, &g_run.set) != HC_OK ||
                   batch_stream(g_run.set, &g_keys, NULL, 0, fill) != 0;
}

/* Thread 0, after the loop: check the outcome, report memory, clean up. */
static void run_teardown(hcb_state *st, size_t want_size)
{
    if (hcb_thread_index(st) != 0)
        return;
    if (!g_run.failed && hc_hset_size(g_run.set) != want_size)
        g_run.failed = 1;
    if (g_run.failed) {
        hcb_skip_with_error(st, "setup failed or wrong result");
    } else {
        double mem = (double)hc_hset_memory(g_run.set);
        hcb_counter(st, "bytes_per_key", mem / (double)want_size,
                    HCB_COUNTER_VALUE);
    }
    hc_hset_destroy(g_run.set);
    g_run.set = NULL;
}

static void bm_fingerprint(hcb_state *st, void *arg)
{
    (void)arg;
    if (!input_init()) {
        hcb_skip_with_error(st, "out of memory");
        while (hcb_keep_running(st)) {
        }
        return;
    }
    const stream *in = &g_keys;
    size_t i = 0, bytes = 0, items = 0;
    uint64_t acc = 0;
    while (hcb_keep_running_batch(st, 1024)) {
        for (int j = 0; j < 1024; j++) {
            size_t len = in->off[i + 1] - in->off[i];
            hc_fp fp = hc_fingerprint(in->bytes + in->off[i], len);
            acc ^= fp.lo ^ fp.hi;
            bytes += len;
            i = i + 1 < in->n ? i + 1 : 0;
        }
        items += 1024;
    }
    hcb_consume(acc);
    hcb_set_items(st, (int64_t)items);
    hcb_set_bytes(st, (int64_t)bytes);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/*
 * Runs body once over this thread's slice of n items and reports them.
 * Google Benchmark's items_per_second for a multi-threaded run is items
 * over the summed thread time, i.e. per thread; thread 0 also reports
 * total_per_s, all items over the wall-clock time of the parallel section
 * (the loop starts and ends on barriers shared by every thread).
 */
static void run_sliced(hcb_state *st, size_t n,
                       size_t (*body)(size_t lo, size_t hi))
{
    size_t lo, hi, failed = 0;
    slice(st, n, &lo, &hi);
    double t0 = 0;
    while (hcb_keep_running(st)) {
        t0 = now_s();
        if (!g_run.failed)
            failed += body(lo, hi);
    }
    double t1 = now_s();
    hcb_set_items(st, (int64_t)(hi - lo));
    if (hcb_thread_index(st) == 0)
        hcb_counter(st, "total_per_s", (double)n / (t1 - t0),
                    HCB_COUNTER_VALUE);
    if (failed)
        hcb_skip_with_error(st, "an operation failed");
}

static size_t upsert_keys(size_t lo, size_t hi)
{
    return batch_stream(g_run.set, &g_keys, NULL, lo, hi);
}

static size_t upsert_shuffled(size_t lo, size_t hi)
{
    return batch_stream(g_run.set, &g_shuffled, NULL, lo, hi);
}

static size_t upsert_records(size_t lo, size_t hi)
{
    return batch_stream(g_run.set, &g_records, NULL, lo, hi);
}

static size_t upsert_records_owned(size_t lo, size_t hi)
{
    return upsert_stream(g_run.set, &g_records, lo, hi);
}

/* hc_hset_find computes the fingerprint itself: no prefetching. */
static size_t find_shuffled(size_t lo, size_t hi)
{
    const stream *in = &g_shuffled;
    size_t missing = 0;
    for (size_t i = lo; i < hi; i++) {
        uint32_t id;
        missing += hc_hset_find(g_run.set, in->bytes + in->off[i],
                                in->off[i + 1] - in->off[i], &id) != HC_OK;
    }
    return missing;
}

/* 10M upserts and grows as needed, from a set of the default size. */
static size_t insert_growing(size_t lo, size_t hi)
{
    size_t failed = 0;
    hc_fp fp[BATCH];
    hc_hset *set = g_run.set;
    const stream *in = &g_keys;
    for (size_t i = lo; i < hi; i += BATCH) {
        size_t m = hi - i < BATCH ? hi - i : BATCH;
        for (size_t j = 0; j < m; j++) {
            fp[j] = hc_fingerprint(in->bytes + in->off[i + j],
                                   in->off[i + j + 1] - in->off[i + j]);
            hc_hset_prefetch(set, fp[j]);
        }
        for (size_t j = 0; j < m; j++) {
            uint32_t id;
            const char *k = in->bytes + in->off[i + j];
            size_t len = in->off[i + j + 1] - in->off[i + j];
            hc_status rc =
                hc_hset_upsert_fp(set, fp[j], k, len, i + j, &id, NULL);
            if (rc == HC_ERR_FULL) {
                failed += hc_hset_grow(set, 0) != HC_OK;
                rc = hc_hset_upsert_fp(set, fp[j], k, len, i + j, &id, NULL);
            }
            failed += rc != HC_OK;
        }
    }
    return failed;
}

/* Insert-or-find where every key is new: 10M inserts, pre-sized. */
static void bm_insert_presized(hcb_state *st, void *arg)
{
    run_setup(st, arg, N_KEYS, 0);
    run_sliced(st, N_KEYS, upsert_keys);
    run_teardown(st, N_KEYS);
}

/* Insert-or-find where every key is already present, in an order
 * unrelated to their ids. */
static void bm_upsert_present(hcb_state *st, void *arg)
{
    run_setup(st, arg, N_KEYS, N_KEYS);
    run_sliced(st, N_KEYS, upsert_shuffled);
    run_teardown(st, N_KEYS);
}

/* The counting workload: 10M records, about 2M distinct keys, pre-sized
 * for the 2M. */
static void bm_upsert_records(hcb_state *st, void *arg)
{
    run_setup(st, arg, N_PEOPLE, 0);
    run_sliced(st, N_KEYS, upsert_records);
    run_teardown(st, g_records_distinct);
}

/* The same with an owner per record (its position), lowered by every
 * upsert: single upserts, each reading its key's entry. */
static void bm_upsert_records_owned(hcb_state *st, void *arg)
{
    (void)arg;
    run_setup(st, &mode_full, N_PEOPLE, 0);
    run_sliced(st, N_KEYS, upsert_records_owned);
    run_teardown(st, g_records_distinct);
}

/* 10M inserts into a set that starts at the default size (single thread,
 * since growing needs exclusive access). */
static void bm_insert_growing(hcb_state *st, void *arg)
{
    (void)arg;
    run_setup(st, &mode_full, 0, 0);
    run_sliced(st, N_KEYS, insert_growing);
    run_teardown(st, N_KEYS);
}

/* hc_hset_find of 10M present keys in shuffled order (the read path of
 * reports). */
static void bm_find(hcb_state *st, void *arg)
{
    (void)arg;
    run_setup(st, &mode_full, N_KEYS, N_KEYS);
    run_sliced(st, N_KEYS, find_shuffled);
    run_teardown(st, N_KEYS);
}

/*
 * The bound: what this machine allows for the set's memory traffic alone.
 * A table of 2^24 16-byte cells (256 MiB, the slot table of a set
 * pre-sized for 10M keys), backed and advised for huge pages as the set's
 * is, and 10M operations on cells spread by a multiplicative hash of the
 * operation's index, prefetched 16 operations ahead as hset_batch does.
 * "read" loads one word per operation (a hit's one cache line); "claim"
 * does what an insert does to its slot: a CAS from empty, a store of the
 * second word, a release store publishing the first. No fingerprint, no
 * probe loop, no batch bookkeeping: the set can at best approach these.
 * "probe" inserts the 10M keys by their fingerprints, computed before the
 * loop: from each key's home slot, linear probing to the first empty slot
 * (comparing the tag of every occupied one), then the claim, with the
 * set's prefetches (16 keys ahead, and the next line when the home is in
 * the second half of its line). That is the set's own insert at the same
 * load (0.6) without ids, batches or fingerprinting: what probing itself
 * costs on this machine. Write prefetches are PREFETCHW where the CPU has
 * it, as in the set.
 */
#define BOUND_LOG 24
#define BOUND_AHEAD 16

typedef struct bound_cell {
    uint64_t word, hi;
} bound_cell;

static bound_cell *g_cells;
static const size_t bound_bytes = ((size_t)1 << BOUND_LOG) * sizeof(bound_cell);
static const size_t bound_mask = ((size_t)1 << BOUND_LOG) - 1;
static hc_fp *g_fps; /* fingerprints of g_keys: "probe", insert_reserved_fp */
static bool g_prefetchw;

/* CPUID leaf 0x80000001, ECX bit 8: the CPU has PREFETCHW. */
static bool cpu_prefetchw(void)
{
#if defined(__x86_64__) || defined(__i386__)
    unsigned a, b, c, d;
    return __get_cpuid(0x80000001u, &a, &b, &c, &d) && (c & (1u << 8));
#else
    return false;
#endif
}

static inline void prefetch_write(const void *p)
{
#if defined(__x86_64__) || defined(__i386__)
    if (g_prefetchw) {
        __asm__ volatile("prefetchw %0" : : "m"(*(const char *)p));
        return;
    }
#endif
    __builtin_prefetch(p, 1, 3);
}

static bool fps_init(void)
{
    if (g_fps)
        return true;
    if (!input_init() || !(g_fps = malloc(N_KEYS * sizeof *g_fps)))
        return false;
    for (size_t i = 0; i < N_KEYS; i++)
        g_fps[i] = hc_fingerprint(g_keys.bytes + g_keys.off[i],
                                  g_keys.off[i + 1] - g_keys.off[i]);
    return true;
}

static inline bound_cell *cell_of(size_t i)
{
    uint64_t z = i * 0x9e3779b97f4a7c15u;
    z = (z ^ (z >> 29)) * 0xbf58476d1ce4e5b9u;
    return &g_cells[(z ^ (z >> 32)) >> (64 - BOUND_LOG)];
}

/* Thread 0, before the loop: the table, mapped once, zeroed each run. */
static void bound_setup(hcb_state *st, bool with_fps)
{
    if (hcb_thread_index(st) != 0)
        return;
    g_run.failed = 0;
    g_prefetchw = cpu_prefetchw();
    if (with_fps && !fps_init()) {
        g_run.failed = 1;
        return;
    }
    if (!g_cells) {
        const size_t huge = (size_t)2 << 20;
        void *m = mmap(NULL, bound_bytes + huge, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (m == MAP_FAILED) {
            g_run.failed = 1;
            return;
        }
        uintptr_t at = ((uintptr_t)m + huge - 1) & ~(uintptr_t)(huge - 1);
        g_cells = (bound_cell *)at;
        (void)madvise(g_cells, bound_bytes, MADV_HUGEPAGE);
    }
    memset(g_cells, 0, bound_bytes);
}

static size_t bound_read(size_t lo, size_t hi)
{
    uint64_t acc = 0;
    for (size_t i = lo; i < hi; i++) {
        __builtin_prefetch(cell_of(i + BOUND_AHEAD), 0, 3);
        acc += __atomic_load_n(&cell_of(i)->word, __ATOMIC_ACQUIRE);
    }
    hcb_consume(acc);
    return 0;
}

static size_t bound_claim(size_t lo, size_t hi)
{
    for (size_t i = lo; i < hi; i++) {
        prefetch_write(cell_of(i + BOUND_AHEAD));
        bound_cell *c = cell_of(i);
        uint64_t seen = 0;
        if (__atomic_compare_exchange_n(&c->word, &seen, (uint64_t)i << 32,
                                        false, __ATOMIC_ACQUIRE,
                                        __ATOMIC_ACQUIRE)) {
            __atomic_store_n(&c->hi, i, __ATOMIC_RELAXED);
            __atomic_store_n(&c->word, (uint64_t)i << 32 | 1, __ATOMIC_RELEASE);
        }
    }
    return 0;
}

static size_t bound_probe(size_t lo, size_t hi)
{
    for (size_t i = lo; i < hi; i++) {
        if (i + BOUND_AHEAD < hi) {
            size_t h = (size_t)g_fps[i + BOUND_AHEAD].hi & bound_mask;
            prefetch_write(&g_cells[h]);
            if ((h & 3) >= 2)
                prefetch_write(&g_cells[(h + 2) & bound_mask]);
        }
        uint64_t tag = g_fps[i].lo >> 32 ? g_fps[i].lo >> 32 : 1;
        for (size_t j = (size_t)g_fps[i].hi & bound_mask;;
             j = (j + 1) & bound_mask) {
            bound_cell *c = &g_cells[j];
            uint64_t seen = __atomic_load_n(&c->word, __ATOMIC_ACQUIRE);
            if (seen == 0 && __atomic_compare_exchange_n(
                                 &c->word, &seen, tag << 32, false,
                                 __ATOMIC_ACQUIRE, __ATOMIC_ACQUIRE)) {
                __atomic_store_n(&c->hi, g_fps[i].hi, __ATOMIC_RELAXED);
                __atomic_store_n(&c->word, tag << 32 | (uint32_t)(i + 1),
                                 __ATOMIC_RELEASE);
                break;
            }
            /* The keys are distinct: a tag and hi match would be a found
             * key; compared all the same, as the set compares them. */
            if (seen >> 32 == tag &&
                __atomic_load_n(&c->hi, __ATOMIC_RELAXED) == g_fps[i].hi)
                break;
        }
    }
    return 0;
}

/*
 * Pure inserts from fingerprints computed before the loop: the map's own
 * insert-or-find, as hc_hset_upsert_batch takes it, without hashing the
 * key bytes (hset/fingerprint measures that part alone). The same 10M keys,
 * batches and reserved set as insert_reserved.
 */
static size_t upsert_keys_fp(size_t lo, size_t hi)
{
    return batch_stream(g_run.set, &g_keys, g_fps, lo, hi);
}

static void bm_insert_reserved_fp(hcb_state *st, void *arg)
{
    (void)arg;
    run_setup(st, &mode_reserved, N_KEYS, 0);
    if (hcb_thread_index(st) == 0 && !fps_init())
        g_run.failed = 1;
    run_sliced(st, N_KEYS, upsert_keys_fp);
    run_teardown(st, N_KEYS);
}

typedef struct bound_op {
    size_t (*body)(size_t lo, size_t hi);
    bool with_fps;
} bound_op;

static const bound_op op_read = {bound_read, false},
                      op_claim = {bound_claim, false},
                      op_probe = {bound_probe, true};

static void bm_bound(hcb_state *st, void *arg)
{
    const bound_op *op = arg;
    bound_setup(st, op->with_fps);
    run_sliced(st, N_KEYS, op->body);
    if (hcb_thread_index(st) == 0 && g_run.failed)
        hcb_skip_with_error(st, "out of memory");
}

/* Runs of 10M operations: one iteration each, wall-clock time. */
static void reg(const char *name, hcb_fn fn, const void *arg, int max_threads)
{
    hcb_bench *b = hcb_register(name, fn, (void *)arg);
    hcb_bench_iterations(b, 1);
    hcb_bench_real_time(b);
    hcb_bench_unit_ms(b);
    for (int t = 1; t <= max_threads; t++)
        hcb_bench_threads(b, t);
}

void hcb_register_hset(void)
{
    hcb_register("hset/fingerprint", bm_fingerprint, NULL);
    reg("hset/insert_presized_10M", bm_insert_presized, &mode_full, 2);
    reg("hset/insert_reserved_10M", bm_insert_presized, &mode_reserved, 2);
    reg("hset/insert_reserved_fp_10M", bm_insert_reserved_fp, NULL, 2);
    reg("hset/upsert_present_10M", bm_upsert_present, &mode_full, 2);
    reg("hset/upsert_present_reserved_10M", bm_upsert_present, &mode_reserved,
        2);
    reg("hset/upsert_records_10M_2M", bm_upsert_records, &mode_full, 2);
    reg("hset/upsert_records_reserved_10M_2M", bm_upsert_records,
        &mode_reserved, 2);
    reg("hset/upsert_owned_10M_2M", bm_upsert_records_owned, NULL, 2);
    reg("hset/insert_growing_10M", bm_insert_growing, NULL, 1);
    reg("hset/find_10M", bm_find, NULL, 2);
    reg("hset/bound_read_10M", bm_bound, &op_read, 2);
    reg("hset/bound_claim_10M", bm_bound, &op_claim, 2);
    reg("hset/bound_probe_10M", bm_bound, &op_probe, 2);
}
