/*
 * Getting an input's bytes into memory and deciding what they are. Regular
 * files are memory-mapped (with readable padding past the end, which
 * simdjson needs); pipes, standard input and files on a file system that
 * cannot map them are read into a bounded heap buffer; gzip data, recognised by its magic bytes, is inflated into a
 * bounded heap buffer. Format detection looks at the first significant byte
 * and the role the command line gave the input.
 */
#ifndef HC_READ_INPUT_H
#define HC_READ_INPUT_H

#include <stdbool.h>
#include <stddef.h>

#include "headcount/reader.h"
#include "read_sink.h"

/* Largest input kept in memory (stdin, pipes, inflated gzip). */
#define HC__INPUT_MAX ((size_t)64 << 30)

/*
 * An input's bytes: `data[0..len)`, followed by at least HC__PAD readable
 * bytes. Exactly one of map / heap (or neither, for an empty input) owns
 * the memory; release with hc__input_close.
 */
typedef struct hc__input_data {
    const char *data;
    size_t len;
    bool gzip; /* the bytes were inflated from gzip */
    void *map; /* mmap'ed region of map_len bytes, or NULL */
    size_t map_len;
    char *heap; /* malloc'ed buffer, or NULL */
    /* The mapped file, kept open so readers can stream it with pread
     * instead of faulting in the mapping (has_fd; never standard input). */
    int fd;
    bool has_fd;
} hc__input_data;

/*
 * Opens path ("-" is standard input) and makes its (decompressed) content
 * available, at most max_bytes of it. `file` names the input in
 * diagnostics. Returns HC_OK, HC_ERR_NOINPUT (missing, unreadable or a
 * directory), HC_ERR_IO, HC_ERR_DATA (corrupt gzip), HC_ERR_LIMIT or
 * HC_ERR_NOMEM, with diag filled on failure (diag may be NULL).
 */
hc_status hc__input_open(const char *path, size_t max_bytes, hc__input_data *in,
                         hc_diag *diag);

/* Releases what hc__input_open acquired; safe on a zeroed struct. */
void hc__input_close(hc__input_data *in);

/* True when the bytes start with the gzip magic 1f 8b. */
bool hc__is_gzip(const void *p, size_t len);

/*
 * Inflates a gzip stream (one or more members) into a new heap buffer with
 * HC__PAD zero bytes after the content; *out is malloc'ed (free it).
 * HC_ERR_DATA for corrupt or truncated data, HC_ERR_LIMIT beyond max_bytes.
 */
hc_status hc__gunzip(const char *file, const void *src, size_t len,
                     size_t max_bytes, char **out, size_t *out_len,
                     hc_diag *diag);

/*
 * Detects the format of data[0..len) given the input's role. *start is set
 * past a UTF-8 byte order mark. Returns HC_OK, or HC_ERR_DATA for an empty
 * input, a UTF-16 input, or content that no format of the role can start
 * with.
 */
hc_status hc__format_detect(const char *file, const char *data, size_t len,
                            hc_input_role role, hc_format *format,
                            size_t *start, hc_diag *diag);

#endif /* HC_READ_INPUT_H */
