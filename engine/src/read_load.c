/*
 * hc_census_load and hc_file_slurp: the readers' public entry points, and
 * the driver that runs a reader over an input. The driver opens the input
 * (mapped, read or inflated), detects its format, reads a CSV header once,
 * cuts the rest into chunks at record boundaries (newlines for NDJSON,
 * newlines of even quote parity for CSV) and parses each chunk on its own
 * thread into its own census writer. Each chunk knows the line number it
 * starts on (or counts it when it must report an error), so diagnostics are
 * exact whatever the chunking. When chunks fail, the failure reported is
 * the one earliest in the input: a chunk that fails makes every later chunk
 * stop early, but never an earlier one.
 */
#include <pthread.h>
#include <stdlib.h>

#include "atomic.h"
#include "census_internal.h"
#include "par.h"
#include "read_csv.h"
#include "read_input.h"
#include "read_json.h"
#include "read_load.h"
#include "util.h"

const char *hc_format_name(hc_format format)
{
    switch (format) {
    case HC_FORMAT_GHES_CSV: return "ghes-csv";
    case HC_FORMAT_GHES_JSON: return "ghes-json";
    case HC_FORMAT_GHEC_JSON: return "ghec-json";
    case HC_FORMAT_GHEC_CSV: return "ghec-csv";
    case HC_FORMAT_RECORDS: return "records";
    case HC_FORMAT_UNKNOWN: break;
    }
    return "unknown";
}

/* The part of path after its last '/', or a fixed name for stdin. */
static const char *source_basename(const char *path, const char *dflt)
{
    if (strcmp(path, "-") == 0)
        return dflt;
    const char *slash = strrchr(path, '/');
    const char *b = slash ? slash + 1 : path;
    return *b ? b : dflt;
}

/* The source name of input k when its content does not name one: its
 * file name, or its whole path when another input of the load has the
 * same file name (a/l.json and b/l.json are two sources, not one). */
static const char *source_name(const hc_input *inputs, size_t n, size_t k,
                               const char *dflt)
{
    const char *path = inputs[k].path;
    if (inputs[k].name)
        return inputs[k].name; /* input_prepare checks it */
    if (!path)
        return dflt; /* input_prepare refuses it */
    const char *b = source_basename(path, dflt);
    if (b == dflt)
        return dflt;
    for (size_t j = 0; j < n; j++)
        if (j != k && inputs[j].path && strcmp(inputs[j].path, path) != 0 &&
            strcmp(source_basename(inputs[j].path, ""), b) == 0)
            return path;
    return b;
}

/*
 * The chunks of one or more inputs and the threads that parse them.
 * Threads take chunks from a shared counter, in `order`, until none is
 * left, so a thread slowed down (by the host, page faults or denser
 * records) takes fewer chunks instead of finishing last while the others
 * wait. `order` puts the largest chunks first: an input that cannot be
 * cut (a JSON document) starts at once and the other inputs' chunks fill
 * the other threads meanwhile.
 */
typedef struct run_plan {
    hc__job **order;
    size_t njobs;
    hc_atomic_u64 next; /* the next chunk to take */
} run_plan;

typedef struct run_thread {
    run_plan *plan;
    pthread_t thread;
    bool threaded;
} run_thread;

static void job_parse(hc__job *job)
{
    switch (job->format) {
    case HC_FORMAT_GHES_CSV:
    case HC_FORMAT_GHEC_CSV: (void)hc__csv_rows(job); break;
    case HC_FORMAT_GHES_JSON: (void)hc__json_ghes(job); break;
    case HC_FORMAT_GHEC_JSON: (void)hc__json_ghec(job); break;
    case HC_FORMAT_RECORDS: (void)hc__json_records(job); break;
    case HC_FORMAT_UNKNOWN:
        (void)hc__job_fail_at(job, HC_ERR_INTERNAL, 0, 0, "unknown format");
        break;
    }
}

/*
 * Drops the pages of a parsed chunk. Readers release pages as they go but
 * keep the last stretch mapped, and a chunk shorter than that stretch would
 * otherwise stay resident until the input is closed: with many small
 * chunks, most of the file.
 */
static void job_release(const hc__job *job)
{
    hc__job_drop_pages(job, job->begin, job->end);
}

/*
 * Parses chunks on the current thread into one writer of its own, opened
 * for the first chunk taken and finished after the last: one writer per
 * thread, however many chunks (of however many inputs) it parses. A
 * writer that cannot be created fails the chunk that needed it; one that
 * cannot be finished fails the last chunk it took.
 */
static void thread_run(run_thread *t)
{
    run_plan *plan = t->plan;
    void *writer = NULL;
    hc__job *last = NULL;
    for (;;) {
        /* Relaxed: the counter only hands out distinct chunks; the jobs
         * were written before the threads started (pthread_create). */
        uint64_t i = hc_atomic_fetch_add_u64(&plan->next, 1, HC_RELAXED);
        if (i >= plan->njobs)
            break;
        hc__job *job = plan->order[i];
        if (!writer) {
            hc_status rc = job->sink->open(job->sink->ctx, &writer);
            if (rc != HC_OK) {
                writer = NULL;
                (void)hc__job_fail_at(job, rc, 0, 0,
                                      "cannot create a writer: %s",
                                      hc_status_str(rc));
                continue;
            }
        }
        job->writer = writer;
        job_parse(job);
        job->writer = NULL;
        job_release(job);
        last = job;
    }
    if (!writer)
        return;
    hc_status rc = last->sink->close(last->sink->ctx, writer);
    if (rc != HC_OK && last->status == HC_OK)
        (void)hc__job_fail_at(last, rc, 0, 0, "cannot finish a writer: %s",
                              hc_status_str(rc));
}

static void *thread_main(void *arg)
{
    thread_run(arg);
    return NULL;
}

/* Cuts [begin, end) of NDJSON after newlines; see hc__csv_split. */
static size_t lines_split(const char *base, size_t begin, size_t end, size_t n,
                          size_t *off)
{
    size_t cuts = 0, pos = begin;
    for (size_t k = 1; k < n; k++) {
        size_t target = begin + (end - begin) / n * k;
        if (target < pos)
            continue;
        const char *nl = memchr(base + target, '\n', end - target);
        if (!nl || (size_t)(nl - base) + 1 >= end)
            break;
        pos = (size_t)(nl - base) + 1;
        off[cuts++] = pos;
    }
    return cuts;
}

static hc_status make_source(const hc__sink *sink, hc_source_kind kind,
                             const char *name, const char *file, uint32_t *id,
                             hc_diag *diag)
{
    hc_status rc = sink->source(sink->ctx, kind, name, strlen(name), id);
    if (rc == HC_ERR_LIMIT)
        hc__diag_set(diag, file, 0, 0, HC__SOURCES_LIMIT_FMT, HC_SOURCES_MAX);
    else if (rc != HC_OK)
        hc__diag_set(diag, file, 0, 0, "cannot add source: %s",
                     hc_status_str(rc));
    return rc;
}

/* One input of a load: its data, its chunks, and what they share. */
typedef struct input_run {
    hc__input_data in;
    hc__job *jobs;
    size_t njobs;
    hc_atomic_u64 failed; /* the lowest failed chunk index (see hc__job) */
    hc__csv_columns cols;
    /* Left by input_prepare for input_cut: every chunk's common fields,
     * where the body starts, how many chunks to aim for (jobs has room
     * for them) and room for the cuts between them. */
    hc__job proto;
    size_t body;
    uint64_t body_line;
    size_t want, json_cut;
    bool more; /* other inputs follow: drop what a CSV cut read */
    size_t *cut_off;
    uint64_t *cut_line;
} input_run;

/*
 * Opens one input, detects its format, reads a CSV header, adds its source
 * and decides how many chunks to cut it into, all on the calling thread
 * and in input order, so that sources get the same ids however the chunks
 * are cut and parsed later. Everything that can fail happens here;
 * input_cut, which reads the whole input, cannot.
 */
static hc_status input_prepare(input_run *ir, const hc__sink *sink,
                               const hc_input *input, const char *name,
                               unsigned threads, bool skip, bool more,
                               const hc__read_tuning *tuning,
                               hc_load_stats *stats, hc_diag *diag)
{
    hc_status rc = HC_OK;
    hc_format format = HC_FORMAT_UNKNOWN;
    size_t start = 0, body;
    uint64_t body_line = 1;

    hc_atomic_store_u64(&ir->failed, UINT64_MAX, HC_RELAXED);
    if (!input->path) {
        hc__diag_set(diag, "", 0, 0, "no input given");
        return HC_ERR_ARG;
    }
    if (input->role != HC_INPUT_GHES && input->role != HC_INPUT_GHEC &&
        input->role != HC_INPUT_RECORDS) {
        hc__diag_set(diag, input->path, 0, 0, "unknown input role");
        return HC_ERR_ARG;
    }
    if (input->name && !input->name[0]) {
        hc__diag_set(diag, input->path, 0, 0, "empty source name");
        return HC_ERR_ARG;
    }
    if (input->name && strlen(input->name) > HC_SOURCE_NAME_MAX) {
        hc__diag_set(diag, input->path, 0, 0,
                     "source name longer than %zu bytes", HC_SOURCE_NAME_MAX);
        return HC_ERR_LIMIT;
    }
    const char *file = input->path;
    size_t split_min =
        tuning && tuning->split_min ? tuning->split_min : HC__SPLIT_MIN;
    size_t chunk_min =
        tuning && tuning->chunk_min ? tuning->chunk_min : HC__CHUNK_MIN;
    size_t json_window =
        tuning && tuning->json_window ? tuning->json_window : HC__JSON_WINDOW;
    size_t json_cut =
        tuning && tuning->json_cut ? tuning->json_cut : HC__JSON_CUT;

    if (input->host && !hc_host_name_valid(input->host, strlen(input->host))) {
        char shown[96];
        hc__diag_set(diag, file, 0, 0,
                     "'%s' is not a host name (" HC__HOST_CHARS ")",
                     hc__show(input->host, strlen(input->host), 60, shown,
                              sizeof shown));
        HC_FAIL_IF(true, HC_ERR_ARG);
    }
    HC_TRY(hc__input_open(file, HC__INPUT_MAX, &ir->in, diag));
    const hc__input_data *in = &ir->in;
    HC_TRY(hc__format_detect(file, in->data, in->len, input->role, &format,
                             &start, diag));
    stats->format = format;
    stats->bytes = in->len;

    hc__job proto;
    memset(&proto, 0, sizeof proto);
    proto.sink = sink;
    proto.format = format;
    proto.file = file;
    proto.host = input->host;
    proto.base = in->data;
    proto.len = in->len;
    proto.release_pages = in->map != NULL;
    proto.fd = in->fd;
    proto.has_fd = in->has_fd && in->map && !in->gzip;
    proto.json_window = json_window == HC__JSON_WINDOW_OFF ? 0 : json_window;
    proto.begin = start;
    proto.end = in->len;
    proto.begin_line = 1;
    proto.skip_malformed = skip;
    proto.failed = &ir->failed;
    proto.source = UINT32_MAX;
    proto.name = name ? name : format == HC_FORMAT_RECORDS ? "records" : "ghec";
    body = start;

    if (format == HC_FORMAT_GHES_CSV || format == HC_FORMAT_GHEC_CSV) {
        hc__job hj = proto;
        hj.failed = NULL;
        /* The header's own status: a data error is also in hj.status, but
         * running out of memory is only returned. */
        hc_status hrc =
            hc__csv_header(&hj, format, &ir->cols, &body, &body_line);
        if (hrc != HC_OK) {
            if (diag && hj.status != HC_OK)
                *diag = hj.diag;
            else
                hc__diag_set(diag, file, 0, 0,
                             "out of memory reading the CSV header");
            HC_FAIL_IF(true, hrc);
        }
        proto.columns = &ir->cols;
        /* After the header: a consumed-licenses report given as GHES
         * says "use --ghec" there, which naming a host would not fix. */
        if (format == HC_FORMAT_GHES_CSV && !input->host) {
            hc__diag_set(diag, file, 0, 0,
                         "a GHES all_users.csv report does not name its "
                         "instance: use --ghes HOST=PATH");
            HC_FAIL_IF(true, HC_ERR_ARG);
        }
        if (format == HC_FORMAT_GHES_CSV)
            HC_TRY(make_source(sink, HC_SOURCE_GHES, input->host, file,
                               &proto.source, diag));
        else
            HC_TRY(make_source(sink, HC_SOURCE_GHEC, proto.name, file,
                               &proto.source, diag));
    } else if (format == HC_FORMAT_GHEC_JSON) {
        HC_TRY(make_source(sink, HC_SOURCE_GHEC, proto.name, file,
                           &proto.source, diag));
    }

    /* Chunking: only formats made of independent records, into up to
     * HC__CHUNKS_PER_THREAD chunks per thread (see run_plan), and
     * consumed-licenses pages read through windows, into jobs of json_cut
     * bytes whatever the thread count (see HC__JSON_CUT). */
    size_t want = 1;
    bool splittable =
        format != HC_FORMAT_GHES_JSON && format != HC_FORMAT_GHEC_JSON;
    bool pages = format == HC_FORMAT_GHEC_JSON && proto.has_fd &&
                 proto.json_window && json_cut != HC__JSON_CUT_OFF;
    if (splittable && threads > 1 && in->len - body >= split_min) {
        want = (in->len - body) / chunk_min;
        want = HC_MIN(want, (size_t)threads * HC__CHUNKS_PER_THREAD);
        want = HC_MAX(want, (size_t)1);
    } else if (pages && (in->len - body) / 2 >= json_cut) {
        want = (in->len - body) / json_cut;
    }
    ir->proto = proto;
    ir->body = body;
    ir->body_line = body_line;
    ir->want = want;
    ir->json_cut = json_cut;
    ir->more = more;
    ir->cut_off = calloc(want, sizeof *ir->cut_off);
    ir->cut_line = calloc(want, sizeof *ir->cut_line);
    ir->jobs = calloc(want, sizeof *ir->jobs);
    HC_FAIL_IF(!ir->cut_off || !ir->cut_line || !ir->jobs, HC_ERR_NOMEM);
done:
    if (rc == HC_ERR_NOMEM && diag && diag->message[0] == '\0')
        hc__diag_set(diag, file, 0, 0, "out of memory");
    return rc;
}

/*
 * Cuts a prepared input into chunks at record boundaries. The cuts depend
 * on the input alone, so any thread may find them, and several inputs are
 * cut at once (runs_cut): finding CSV cuts reads the whole report, and
 * finding page starts in a consumed-licenses file runs simdjson's first
 * stage over all of it.
 */
static void input_cut(input_run *ir)
{
    const hc__job *proto = &ir->proto;
    const hc_format format = proto->format;
    const size_t len = ir->in.len, body = ir->body, want = ir->want;
    size_t cuts = 0;
    if (want > 1 && format == HC_FORMAT_RECORDS) {
        cuts = lines_split(ir->in.data, body, len, want, ir->cut_off);
    } else if (want > 1 && format == HC_FORMAT_GHEC_JSON) {
        hc__job scan = *proto; /* its status and diagnostic are scratch */
        scan.failed = NULL;
        cuts = hc__json_ghec_cuts(&scan, ir->json_cut, ir->cut_off, want - 1);
    } else if (want > 1)
        cuts = hc__csv_split(ir->in.data, body, len, ir->body_line, want,
                             ir->cut_off, ir->cut_line);
    /* Finding CSV cuts reads the whole input (quotes decide where rows
     * end). When more inputs are cut before any is parsed, drop what that
     * read brought in, or every CSV report of the load would be resident
     * at once; parsing faults it in again a chunk at a time. */
    if (ir->more && want > 1 && format != HC_FORMAT_RECORDS)
        hc__job_drop_pages(proto, body, len);
    ir->njobs = cuts + 1;
    for (size_t i = 0; i < ir->njobs; i++) {
        hc__job *j = &ir->jobs[i];
        *j = *proto;
        j->index = i;
        j->begin = i == 0 ? body : ir->cut_off[i - 1];
        j->end = i < cuts ? ir->cut_off[i] : len;
        if (format == HC_FORMAT_RECORDS || format == HC_FORMAT_GHEC_JSON)
            j->begin_line = i == 0 ? ir->body_line : 0; /* counted if needed */
        else
            j->begin_line = i == 0 ? ir->body_line : ir->cut_line[i - 1];
    }
    free(ir->cut_off);
    free(ir->cut_line);
    ir->cut_off = NULL;
    ir->cut_line = NULL;
}

/* Inputs to cut, largest first, taken by the pool's threads in turn. */
typedef struct cut_plan {
    input_run **order;
    size_t n;
    hc_atomic_u64 next;
} cut_plan;

static hc_status cut_worker(void *ctx, unsigned thread, size_t b, size_t e)
{
    (void)thread;
    (void)b;
    (void)e;
    cut_plan *plan = ctx;
    for (;;) {
        /* Relaxed: the counter only hands out distinct inputs; they were
         * prepared before the threads started, and are parsed after they
         * are joined. */
        uint64_t i = hc_atomic_fetch_add_u64(&plan->next, 1, HC_RELAXED);
        if (i >= plan->n)
            return HC_OK;
        input_cut(plan->order[i]);
    }
}

/*
 * Cuts runs[0..n) on up to `threads` threads: the inputs that must be read
 * to be cut, largest first, shared out as threads come free. On one
 * thread, or when they cannot be started, the calling thread cuts them
 * all, with the same result.
 */
static void runs_cut(input_run *runs, size_t n, unsigned threads)
{
    cut_plan plan = {NULL, 0, 0};
    plan.order = calloc(n ? n : 1, sizeof *plan.order);
    for (size_t k = 0; k < n; k++) {
        if (runs[k].want <= 1 || !plan.order) {
            input_cut(&runs[k]);
            continue;
        }
        size_t i = plan.n++;
        for (; i > 0 && plan.order[i - 1]->in.len < runs[k].in.len; i--)
            plan.order[i] = plan.order[i - 1];
        plan.order[i] = &runs[k];
    }
    hc_atomic_store_u64(&plan.next, 0, HC_RELAXED);
    unsigned pool = (unsigned)HC_MIN((size_t)threads, plan.n);
    /* par_for fails only when it cannot set its threads up, before any
     * ran: then this thread cuts every input. */
    if (hc__par_for(pool, pool, cut_worker, &plan) != HC_OK)
        (void)cut_worker(&plan, 0, 0, 0);
    free(plan.order);
}

/* Safe to call again. */
static void input_close(input_run *ir)
{
    free(ir->cut_off);
    free(ir->cut_line);
    ir->cut_off = NULL;
    ir->cut_line = NULL;
    free(ir->jobs);
    ir->jobs = NULL;
    ir->njobs = 0;
    hc__input_close(&ir->in);
    memset(&ir->in, 0, sizeof ir->in);
}

/* Parses every chunk of runs[0..n) on up to `threads` threads. */
static hc_status runs_parse(input_run *runs, size_t n, unsigned threads)
{
    size_t njobs = 0;
    for (size_t k = 0; k < n; k++)
        njobs += runs[k].njobs;
    if (njobs == 0)
        return HC_OK;
    hc__job **order = calloc(njobs, sizeof *order);
    size_t nthreads = HC_MIN(njobs, (size_t)threads);
    run_thread *threads_run = calloc(nthreads, sizeof *threads_run);
    if (!order || !threads_run) {
        free(order);
        free(threads_run);
        return HC_ERR_NOMEM;
    }
    /* Inputs parsed whole (JSON documents) first, largest first (an
     * insertion sort: stable, and inputs are few), then the chunks of the
     * others in input order. */
    size_t at = 0;
    for (size_t k = 0; k < n; k++) {
        if (runs[k].njobs != 1)
            continue;
        hc__job *j = &runs[k].jobs[0];
        size_t i = at++;
        for (; i > 0 &&
               order[i - 1]->end - order[i - 1]->begin < j->end - j->begin;
             i--)
            order[i] = order[i - 1];
        order[i] = j;
    }
    for (size_t k = 0; k < n; k++)
        for (size_t i = 0; runs[k].njobs > 1 && i < runs[k].njobs; i++)
            order[at++] = &runs[k].jobs[i];

    run_plan plan = {order, njobs, 0};
    hc_atomic_store_u64(&plan.next, 0, HC_RELAXED);
    for (size_t i = 0; i < nthreads; i++)
        threads_run[i].plan = &plan;
    /* A thread that cannot be started leaves its share to the others. */
    for (size_t i = 1; i < nthreads; i++)
        threads_run[i].threaded =
            pthread_create(&threads_run[i].thread, NULL, thread_main,
                           &threads_run[i]) == 0;
    thread_run(&threads_run[0]);
    for (size_t i = 1; i < nthreads; i++) {
        if (threads_run[i].threaded)
            pthread_join(threads_run[i].thread, NULL);
    }
    free(order);
    free(threads_run);
    return HC_OK;
}

/*
 * Cuts and parses runs[0..n), then adds up each input's statistics and
 * returns the first failure in input order (within an input, that of its
 * earliest chunk), with its index in *failed and its diagnostic in diag.
 * Closes the inputs.
 */
static hc_status runs_finish(input_run *runs, size_t n, unsigned threads,
                             hc_load_stats *stats, size_t *failed,
                             hc_diag *diag)
{
    runs_cut(runs, n, threads);
    hc_status rc = runs_parse(runs, n, threads);
    *failed = 0;
    for (size_t k = 0; k < n; k++) {
        for (size_t i = 0; i < runs[k].njobs; i++) {
            hc__job *j = &runs[k].jobs[i];
            stats[k].records += j->records;
            stats[k].accounts += j->accounts;
            if (j->rejected && stats[k].rejected == 0) /* jobs in file order */
                stats[k].first_rejected = hc__job_first_rejected(j);
            stats[k].rejected += j->rejected;
            if (j->status != HC_OK && rc == HC_OK) {
                rc = j->status;
                *failed = k;
                if (diag)
                    *diag = j->diag;
            }
        }
        input_close(&runs[k]);
    }
    return rc;
}

hc_status hc__read_many(const hc__sink *sink, const hc_input *inputs, size_t n,
                        const hc_load_options *options,
                        const hc__read_tuning *tuning, hc_load_stats *stats,
                        size_t *failed, hc_diag *diag)
{
    hc_status rc = HC_OK;
    size_t failed_at = 0, batch = 0;
    hc_load_stats *own = NULL;
    input_run *runs = NULL;

    if (!sink || (!inputs && n > 0)) {
        hc__diag_set(diag, "", 0, 0, "no input given");
        rc = HC_ERR_ARG;
        goto done;
    }
    unsigned threads = hc__threads_resolve(options ? options->threads : 0);
    bool skip = options && options->skip_malformed;
    if (!stats)
        stats = own = calloc(n ? n : 1, sizeof *own);
    runs = calloc(n ? n : 1, sizeof *runs);
    HC_FAIL_IF(!stats || !runs, HC_ERR_NOMEM);
    memset(stats, 0, n * sizeof *stats);

    /* Inputs read straight from their files are parsed side by side. One
     * held in memory (inflated from gzip, or standard input) is parsed on
     * its own, after those before it, and released before the next one is
     * opened, so that at most one such input is held at a time. A failure
     * ends the load; the one reported is the first in input order. */
    for (size_t k = 0; k < n; k++) {
        hc_diag prep;
        memset(&prep, 0, sizeof prep);
        rc = input_prepare(&runs[k], sink, &inputs[k],
                           source_name(inputs, n, k, NULL), threads, skip,
                           k + 1 < n, tuning, &stats[k], &prep);
        if (rc != HC_OK) {
            /* Earlier inputs still run: one of their failures comes
             * first. */
            hc_status before = runs_finish(runs + batch, k - batch, threads,
                                           stats + batch, &failed_at, diag);
            if (before != HC_OK) {
                rc = before;
                failed_at += batch;
            } else {
                failed_at = k;
                if (diag)
                    *diag = prep;
            }
            input_close(&runs[k]);
            goto done;
        }
        if (runs[k].in.heap) {
            rc = runs_finish(runs + batch, k + 1 - batch, threads,
                             stats + batch, &failed_at, diag);
            failed_at += batch;
            batch = k + 1;
            if (rc != HC_OK)
                goto done;
        }
    }
    rc = runs_finish(runs + batch, n - batch, threads, stats + batch,
                     &failed_at, diag);
    failed_at += batch;
done:
    if (failed)
        *failed = rc == HC_OK ? 0 : failed_at;
    if (rc == HC_ERR_NOMEM && diag && diag->message[0] == '\0')
        hc__diag_set(diag,
                     n && inputs[failed_at].path ? inputs[failed_at].path : "",
                     0, 0, "out of memory");
    free(runs);
    free(own);
    return rc;
}

hc_status hc__read_run(const hc__sink *sink, const hc_input *input,
                       const hc_load_options *options,
                       const hc__read_tuning *tuning, hc_load_stats *stats,
                       hc_diag *diag)
{
    /* A NULL input is a NULL array of one: hc__read_many refuses it. */
    return hc__read_many(sink, input, 1, options, tuning, stats, NULL, diag);
}

/* --- the census as a sink ---------------------------------------------- */

static hc_status census_source(void *ctx, hc_source_kind kind, const void *name,
                               size_t len, uint32_t *id)
{
    return hc_census_source(ctx, kind, name, len, id);
}

static void census_reject(void *ctx, uint32_t source, uint64_t n)
{
    hc_census_source_reject(ctx, source, n);
}

static hc_status census_open(void *ctx, void **writer)
{
    hc_census_writer *w = NULL;
    hc_status rc = hc_census_writer_create(ctx, &w);
    *writer = w;
    return rc;
}

static hc_status census_close(void *ctx, void *writer)
{
    (void)ctx;
    return hc_census_writer_finish(writer);
}

static hc_status census_ghes(void *writer, const hc_ghes_account *a)
{
    return hc_census_add_ghes(writer, a);
}

static hc_status census_ghec(void *writer, const hc_ghec_account *a)
{
    return hc_census_add_ghec(writer, a);
}

hc_status hc_census_load_many(hc_census *census, const hc_input *inputs,
                              size_t n, const hc_load_options *options,
                              hc_load_stats *stats, size_t *failed,
                              hc_diag *diag)
{
    if (diag)
        memset(diag, 0, sizeof *diag);
    if (failed)
        *failed = 0;
    if (!census) {
        hc__diag_set(diag, n && inputs && inputs[0].path ? inputs[0].path : "",
                     0, 0, "no census given");
        return HC_ERR_ARG;
    }
    const hc__sink sink = {
        .ctx = census,
        .source = census_source,
        .reject = census_reject,
        .open = census_open,
        .close = census_close,
        .ghes = census_ghes,
        .ghec = census_ghec,
    };
    hc_status rc =
        hc__read_many(&sink, inputs, n, options, NULL, stats, failed, diag);
    /* Whatever was added from the failed input before its error stays in
     * the census: a count of it would be of part of an input. A single
     * input that could not be opened, or was refused for its arguments,
     * added nothing (with several, the others may have been parsed in
     * part meanwhile). */
    if (rc != HC_OK && !(n == 1 && (rc == HC_ERR_NOINPUT || rc == HC_ERR_ARG)))
        hc__census_fail(census, rc);
    return rc;
}

hc_status hc_census_load(hc_census *census, const hc_input *input,
                         const hc_load_options *options, hc_load_stats *stats,
                         hc_diag *diag)
{
    return hc_census_load_many(census, input, 1, options, stats, NULL, diag);
}

hc_status hc_file_slurp(const char *path, size_t max_bytes, char **out,
                        size_t *out_len, hc_diag *diag)
{
    hc_status rc = HC_OK;
    hc__input_data in = {0};
    if (diag)
        memset(diag, 0, sizeof *diag);
    if (!path || !out || !out_len) {
        hc__diag_set(diag, path ? path : "", 0, 0, "invalid arguments");
        return HC_ERR_ARG;
    }
    *out = NULL;
    *out_len = 0;
    HC_TRY(hc__input_open(path, max_bytes, &in, diag));
    if (in.heap) {
        /* Already a NUL-padded heap buffer: hand it over. */
        *out = in.heap;
        in.heap = NULL;
        in.data = NULL;
    } else {
        char *p = malloc(in.len + 1);
        if (!p) {
            hc__diag_set(diag, path, 0, 0, "out of memory");
            HC_FAIL_IF(true, HC_ERR_NOMEM);
        }
        if (in.len)
            memcpy(p, in.data, in.len);
        p[in.len] = '\0';
        *out = p;
    }
    *out_len = in.len;
done:
    hc__input_close(&in);
    return rc;
}
