/*
 * Readers: load the real export formats into a census. The format is
 * detected from content; gzip is detected from its magic bytes; "-" is
 * standard input. Large files are memory-mapped and parsed by several
 * threads, split at record boundaries. Formats: docs/formats.md.
 */
#ifndef HEADCOUNT_READER_H
#define HEADCOUNT_READER_H

#include <stdbool.h>
#include "headcount/census.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum hc_format {
    HC_FORMAT_UNKNOWN = 0,
    HC_FORMAT_GHES_CSV,  /* GHES all_users.csv report */
    HC_FORMAT_GHES_JSON, /* headcount's plaintext GHES JSON export */
    HC_FORMAT_GHEC_JSON, /* consumed-licenses REST JSON (pages) */
    HC_FORMAT_GHEC_CSV,  /* consumed-licenses CSV report */
    HC_FORMAT_RECORDS,   /* NDJSON accounts */
} hc_format;

HC_API const char *hc_format_name(hc_format format); /* never NULL */

/* Which command-line flag named the input; restricts detection. */
typedef enum hc_input_role {
    HC_INPUT_GHES = 0, /* --ghes [HOST=]PATH: GHES CSV or GHES JSON */
    HC_INPUT_GHEC,     /* --ghec PATH: consumed-licenses JSON or CSV */
    HC_INPUT_RECORDS,  /* --records PATH: NDJSON */
} hc_input_role;

typedef struct hc_input {
    hc_input_role role;
    /* "-" for standard input. Standard input, other streams and gzip are
     * read into memory first, up to 64 GiB (inflated); a stream of at
     * least 4 KiB, not gzip, whose first 4 KiB look binary is refused at
     * once, and another compression is refused in any input. */
    const char *path;
    const char *host; /* GHES host from HOST=PATH, or NULL; one that is not
                       * a host name (hc_host_name_valid) is HC_ERR_ARG */
    /* The source name of a GHEC input, and for a records input the
     * source its rejected rows that name none are counted against, in
     * place of the file name (for a caller that reads a copy of the file,
     * say); NULL: the file name. Not empty, at most HC_SOURCE_NAME_MAX
     * bytes. A GHES input is named by its host. */
    const char *name;
} hc_input;

typedef struct hc_load_options {
    unsigned threads;    /* 0 = all online cores; at most 256 are used */
    bool skip_malformed; /* row-level errors become rejected rows */
} hc_load_options;

typedef struct hc_load_stats {
    hc_format format;
    uint64_t bytes;    /* uncompressed bytes read */
    uint64_t records;  /* rows / records parsed */
    uint64_t accounts; /* accounts added to the census */
    uint64_t rejected; /* rows skipped under skip_malformed */
    /* When rejected > 0: file:line:column and what was wrong with the
     * first row skipped, in input order (the same for any thread count). */
    hc_diag first_rejected;
} hc_load_stats;

/*
 * Inputs that are regular files are read through memory mappings (some
 * parts with pread; a file whose file system cannot map it is read into
 * memory instead). As with any mapped file, one that another program
 * truncates while it is loaded, or whose pages cannot be read, raises
 * SIGBUS in the loading thread: a caller that cannot rule that out handles
 * SIGBUS (headcount's count, explain, savings and diff report it and exit
 * 74) or loads a copy of its own (sync does).
 *
 * Reads one input into census. On failure nothing more is added from this
 * input and, unless the status is HC_ERR_NOINPUT or HC_ERR_ARG (nothing
 * was added), the census no longer runs (it may hold part of the input:
 * see hc_census_run_ex); diag says file:line:column and what was
 * expected, and the status
 * is HC_ERR_DATA / HC_ERR_LIMIT / HC_ERR_ENCRYPTED (exit 65),
 * HC_ERR_NOINPUT (66), HC_ERR_IO (74), HC_ERR_ARG (64, e.g. a CSV report
 * without HOST=) or HC_ERR_NOMEM. stats and diag may be NULL.
 */
HC_API HC_NODISCARD hc_status hc_census_load(hc_census *census,
                                             const hc_input *input,
                                             const hc_load_options *options,
                                             hc_load_stats *stats,
                                             hc_diag *diag);

/*
 * Reads n inputs into census: the same census, statistics and first
 * failure as n calls of hc_census_load in input order, but the inputs
 * read from files are parsed side by side, so that one that cannot be
 * split among threads (a JSON document) is read while the other threads
 * parse the others. An input held in memory (gzip, standard input) is
 * parsed on its own, so that at most one is held at a time. On failure
 * *failed (may be NULL) is the index of the input diag speaks of, and the
 * census no longer runs: with several inputs whatever the status (others
 * may have been parsed in part), with one as for hc_census_load. stats,
 * when not NULL, has n entries.
 */
HC_API HC_NODISCARD hc_status
hc_census_load_many(hc_census *census, const hc_input *inputs, size_t n,
                    const hc_load_options *options, hc_load_stats *stats,
                    size_t *failed, hc_diag *diag);

/*
 * Loads a whole file (or "-") into memory, decompressing gzip. Bounded by
 * max_bytes (HC_ERR_LIMIT beyond). *out is malloc'ed: free() it.
 */
HC_API HC_NODISCARD hc_status hc_file_slurp(const char *path, size_t max_bytes,
                                            char **out, size_t *out_len,
                                            hc_diag *diag);

#ifdef __cplusplus
}
#endif
#endif /* HEADCOUNT_READER_H */
