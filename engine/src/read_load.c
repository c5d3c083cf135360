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

/*
 * The chunks of one input and the threads that parse them. Threads take
 * chunks in input order from a shared counter until none is left, so a
 * thread slowed down (by the host, page faults or denser records) takes
 * fewer chunks instead of finishing last while the others wait.
 */
typedef struct run_plan {
    hc__job *jobs;
    size_t njobs;
    hc_format format;
    hc_atomic_u64 next; /* the next chunk to take */
} run_plan;

typedef struct run_thread {
    run_plan *plan;
    pthread_t thread;
    bool threaded;
} run_thread;

static void job_parse(hc__job *job, hc_format format)
{
    switch (format) {
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
 * thread, however many chunks it parses. A writer that cannot be created
 * fails the chunk that needed it; one that cannot be finished fails the
 * last chunk it took.
 */
static void thread_run(run_thread *t)
{
    run_plan *plan = t->plan;
    void *writer = NULL;
    hc__job *last = NULL;
    for (;;) {
        /* Relaxed: the counter only hands out distinct chunks; the jobs
         * array was written before the threads started (pthread_create). */
        uint64_t i = hc_atomic_fetch_add_u64(&plan->next, 1, HC_RELAXED);
        if (i >= plan->njobs)
            break;
        hc__job *job = &plan->jobs[i];
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
        job_parse(job, plan->format);
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
    if (rc != HC_OK)
        hc__diag_set(diag, file, 0, 0, "cannot add source '%s': %s", name,
                     hc_status_str(rc));
    return rc;
}

hc_status hc__read_run(const hc__sink *sink, const hc_input *input,
                       const hc_load_options *options,
                       const hc__read_tuning *tuning, hc_load_stats *stats,
                       hc_diag *diag)
{
    hc_status rc = HC_OK;
    hc__input_data in = {0};
    hc__job *jobs = NULL;
    run_thread *threads_run = NULL;
    size_t *cut_off = NULL;
    uint64_t *cut_line = NULL;
    size_t njobs = 0;
    hc_atomic_u64 failed;
    hc__csv_columns cols;
    hc_format format = HC_FORMAT_UNKNOWN;
    size_t start = 0, body;
    uint64_t body_line = 1;

    hc_atomic_store_u64(&failed, UINT64_MAX, HC_RELAXED);
    if (stats)
        memset(stats, 0, sizeof *stats);
    if (!sink || !input || !input->path) {
        hc__diag_set(diag, "", 0, 0, "no input given");
        return HC_ERR_ARG;
    }
    const char *file = input->path;
    unsigned threads = hc__threads_resolve(options ? options->threads : 0);
    bool skip = options && options->skip_malformed;
    size_t split_min =
        tuning && tuning->split_min ? tuning->split_min : HC__SPLIT_MIN;
    size_t chunk_min =
        tuning && tuning->chunk_min ? tuning->chunk_min : HC__CHUNK_MIN;
    size_t json_window =
        tuning && tuning->json_window ? tuning->json_window : HC__JSON_WINDOW;

    HC_TRY(hc__input_open(file, HC__INPUT_MAX, &in, diag));
    HC_TRY(hc__format_detect(file, in.data, in.len, input->role, &format,
                             &start, diag));
    if (stats) {
        stats->format = format;
        stats->bytes = in.len;
    }

    hc__job proto;
    memset(&proto, 0, sizeof proto);
    proto.sink = sink;
    proto.file = file;
    proto.host = input->host;
    proto.base = in.data;
    proto.len = in.len;
    proto.release_pages = in.map != NULL;
    proto.fd = in.fd;
    proto.has_fd = in.has_fd && in.map && !in.gzip;
    proto.json_window = json_window == HC__JSON_WINDOW_OFF ? 0 : json_window;
    proto.begin = start;
    proto.end = in.len;
    proto.begin_line = 1;
    proto.skip_malformed = skip;
    proto.failed = &failed;
    proto.source = UINT32_MAX;
    proto.name =
        source_basename(file, format == HC_FORMAT_RECORDS ? "records" : "ghec");
    body = start;

    if (format == HC_FORMAT_GHES_CSV || format == HC_FORMAT_GHEC_CSV) {
        if (format == HC_FORMAT_GHES_CSV && !input->host) {
            hc__diag_set(diag, file, 0, 0,
                         "a GHES all_users.csv report does not name its "
                         "instance: use --ghes HOST=PATH");
            HC_FAIL_IF(true, HC_ERR_ARG);
        }
        hc__job hj = proto;
        hj.failed = NULL;
        if (hc__csv_header(&hj, format, &cols, &body, &body_line) != HC_OK) {
            if (diag)
                *diag = hj.diag;
            HC_FAIL_IF(true, hj.status);
        }
        proto.columns = &cols;
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
     * HC__CHUNKS_PER_THREAD chunks per thread (see run_plan). */
    size_t want = 1;
    bool splittable =
        format != HC_FORMAT_GHES_JSON && format != HC_FORMAT_GHEC_JSON;
    if (splittable && threads > 1 && in.len - body >= split_min) {
        want = (in.len - body) / chunk_min;
        want = HC_MIN(want, (size_t)threads * HC__CHUNKS_PER_THREAD);
        want = HC_MAX(want, (size_t)1);
    }
    cut_off = calloc(want, sizeof *cut_off);
    cut_line = calloc(want, sizeof *cut_line);
    jobs = calloc(want, sizeof *jobs);
    threads_run = calloc(HC_MIN(want, (size_t)threads), sizeof *threads_run);
    HC_FAIL_IF(!cut_off || !cut_line || !jobs || !threads_run, HC_ERR_NOMEM);
    size_t cuts = 0;
    if (want > 1 && format == HC_FORMAT_RECORDS)
        cuts = lines_split(in.data, body, in.len, want, cut_off);
    else if (want > 1)
        cuts = hc__csv_split(in.data, body, in.len, body_line, want, cut_off,
                             cut_line);
    njobs = cuts + 1;
    for (size_t i = 0; i < njobs; i++) {
        hc__job *j = &jobs[i];
        *j = proto;
        j->index = i;
        j->begin = i == 0 ? body : cut_off[i - 1];
        j->end = i < cuts ? cut_off[i] : in.len;
        if (format == HC_FORMAT_RECORDS)
            j->begin_line = i == 0 ? 1 : 0; /* counted when needed */
        else
            j->begin_line = i == 0 ? body_line : cut_line[i - 1];
    }

    run_plan plan = {jobs, njobs, format, 0};
    hc_atomic_store_u64(&plan.next, 0, HC_RELAXED);
    size_t nthreads = HC_MIN(njobs, (size_t)threads);
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

    for (size_t i = 0; i < njobs; i++) {
        const hc__job *j = &jobs[i];
        if (stats) {
            stats->records += j->records;
            stats->accounts += j->accounts;
            stats->rejected += j->rejected;
        }
        if (j->status != HC_OK && rc == HC_OK) {
            rc = j->status;
            if (diag)
                *diag = j->diag;
        }
    }
done:
    if (rc == HC_ERR_NOMEM && diag && diag->message[0] == '\0')
        hc__diag_set(diag, input->path, 0, 0, "out of memory");
    free(jobs);
    free(threads_run);
    free(cut_off);
    free(cut_line);
    hc__input_close(&in);
    return rc;
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

hc_status hc_census_load(hc_census *census, const hc_input *input,
                         const hc_load_options *options, hc_load_stats *stats,
                         hc_diag *diag)
{
    if (diag)
        memset(diag, 0, sizeof *diag);
    if (!census) {
        hc__diag_set(diag, input && input->path ? input->path : "", 0, 0,
                     "no census given");
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
    return hc__read_run(&sink, input, options, NULL, stats, diag);
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
