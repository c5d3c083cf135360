/*
 * The reader driver behind hc_census_load, exposed inside the engine so
 * that the unit tests can run it against a recording sink and force small
 * chunks: open, detect, read the CSV header, cut each input into chunks at
 * record boundaries, parse the chunks of all inputs on threads, and report
 * the first failure in input order.
 */
#ifndef HC_READ_LOAD_H
#define HC_READ_LOAD_H

#include "headcount/reader.h"
#include "read_sink.h"

/* Inputs shorter than split_min are parsed by one thread; chunks are at
 * least chunk_min bytes. Zero fields take the defaults. */
typedef struct hc__read_tuning {
    size_t split_min;
    size_t chunk_min;
    size_t json_window; /* see hc__job.json_window; HC__JSON_WINDOW_OFF:
                           consumed-licenses JSON in its mapping only */
    size_t json_cut;    /* consumed-licenses pages are cut into jobs of
                           about this many bytes; HC__JSON_CUT_OFF: never */
} hc__read_tuning;

#define HC__SPLIT_MIN ((size_t)4 << 20)
#define HC__CHUNK_MIN ((size_t)1 << 20)
#define HC__JSON_WINDOW ((size_t)4 << 20)
#define HC__JSON_WINDOW_OFF SIZE_MAX
/* A consumed-licenses file of pages is parsed as jobs of about this many
 * bytes: a fixed size, not a share per thread, so that the jobs (and so
 * the first error met) are the same for any thread count. */
#define HC__JSON_CUT ((size_t)16 << 20)
#define HC__JSON_CUT_OFF SIZE_MAX
/* Chunks per thread: enough that a thread slowed down for a while does not
 * leave the others idle at the end; few enough that per-chunk costs (a
 * memchr to find the cut, a line count on errors) stay negligible. */
#define HC__CHUNKS_PER_THREAD 8

/*
 * hc_census_load_many over any sink. options, tuning, stats, failed and
 * diag may be NULL; stats, when given, has n entries.
 */
hc_status hc__read_many(const hc__sink *sink, const hc_input *inputs, size_t n,
                        const hc_load_options *options,
                        const hc__read_tuning *tuning, hc_load_stats *stats,
                        size_t *failed, hc_diag *diag);

/*
 * hc_census_load over any sink. options, tuning, stats and diag may be
 * NULL. Returns what hc_census_load documents.
 */
hc_status hc__read_run(const hc__sink *sink, const hc_input *input,
                       const hc_load_options *options,
                       const hc__read_tuning *tuning, hc_load_stats *stats,
                       hc_diag *diag);

#endif /* HC_READ_LOAD_H */
