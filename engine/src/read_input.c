/*
 * Input acquisition for the readers. A regular file is mapped privately and
 * read-only; the mapping sits at the start of a slightly larger anonymous
 * reservation so that the HC__PAD bytes simdjson may read past the end are
 * always mapped (zero pages), without copying the file. Anything that cannot
 * be mapped (a pipe, a terminal, standard input not at its start, a file
 * on a file system without mmap) is read into a heap buffer
 * bounded by the caller's limit. Gzip is recognised by its magic bytes, not
 * by the file name, and inflated with zlib into a bounded heap buffer.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#include "read_input.h"
#include "read_sink.h"
#include "util.h"

/* Zero bytes that stand in for the content of an empty input. */
static const char empty_input[HC__PAD];

void hc__input_close(hc__input_data *in)
{
    if (in->has_fd)
        close(in->fd);
    in->has_fd = false;
    if (in->map)
        munmap(in->map, in->map_len);
    free(in->heap);
    in->map = NULL;
    in->heap = NULL;
    in->data = NULL;
    in->len = 0;
}

bool hc__is_gzip(const void *p, size_t len)
{
    const unsigned char *s = p;
    return len >= 2 && s[0] == 0x1f && s[1] == 0x8b;
}

/* Maps the file; *unmappable (and HC_OK, nothing mapped) when its file
 * system cannot map files (some FUSE and 9p mounts), so that the caller
 * reads it instead. */
static hc_status map_file(int fd, size_t size, const char *file,
                          hc__input_data *in, bool *unmappable, hc_diag *diag)
{
    *unmappable = false;
    long page = sysconf(_SC_PAGESIZE);
    size_t pg = page > 0 ? (size_t)page : 4096;
    size_t total = (size + HC__PAD + pg - 1) / pg * pg;
    void *res =
        mmap(NULL, total, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (res == MAP_FAILED) {
        hc__diag_set(diag, file, 0, 0, "cannot map input: %s", strerror(errno));
        return errno == ENOMEM ? HC_ERR_NOMEM : HC_ERR_IO;
    }
    /* The file replaces the front of the reservation; the pages after it
     * stay anonymous zero pages, readable padding for simdjson. */
    void *m = mmap(res, size, PROT_READ, MAP_PRIVATE | MAP_FIXED, fd, 0);
    if (m == MAP_FAILED) {
        int err = errno;
        munmap(res, total);
        if (err == ENODEV || err == EINVAL || err == EOPNOTSUPP) {
            *unmappable = true;
            return HC_OK;
        }
        hc__diag_set(diag, file, 0, 0, "cannot map input: %s", strerror(err));
        return err == ENOMEM ? HC_ERR_NOMEM : HC_ERR_IO;
    }
    (void)madvise(m, size, MADV_SEQUENTIAL);
    in->map = res;
    in->map_len = total;
    in->data = res;
    in->len = size;
    return HC_OK;
}

/* The encoding other than UTF-8 that the first bytes show, or NULL: a
 * UTF-32 or UTF-16 byte order mark, or UTF-16 without one (an ASCII
 * character and a zero byte, twice). */
static const char *other_encoding(const unsigned char *s, size_t len)
{
    if (len >= 4 && ((s[0] == 0xff && s[1] == 0xfe && !s[2] && !s[3]) ||
                     (!s[0] && !s[1] && s[2] == 0xfe && s[3] == 0xff)))
        return "UTF-32";
    if (len >= 2 &&
        ((s[0] == 0xff && s[1] == 0xfe) || (s[0] == 0xfe && s[1] == 0xff)))
        return "UTF-16";
    if (len >= 4 &&
        ((s[0] && s[0] < 0x80 && !s[1] && s[2] && s[2] < 0x80 && !s[3]) ||
         (!s[0] && s[1] && s[1] < 0x80 && !s[2] && s[3] && s[3] < 0x80)))
        return "UTF-16 (without a byte order mark)";
    return NULL;
}

/* The compressed or archive format other than one gzip layer that the
 * first bytes show (after gzip is undone), or NULL. */
static const char *other_compression(const unsigned char *s, size_t len)
{
    static const struct {
        const char *magic;
        size_t len;
        const char *name;
    } kinds[] = {
        {"\x1f\x8b", 2, "gzip inside gzip"},
        {"PK\x03\x04", 4, "a zip archive"},
        {"\xfd"
         "7zXZ\x00",
         6, "compressed with xz"},
        {"\x28\xb5\x2f\xfd", 4, "compressed with zstd"},
        {"BZh", 3, "compressed with bzip2"},
        {"7z\xbc\xaf\x27\x1c", 6, "a 7-Zip archive"},
    };
    for (size_t k = 0; k < HC_ARRAY_LEN(kinds); k++)
        if (len >= kinds[k].len && memcmp(s, kinds[k].magic, kinds[k].len) == 0)
            /* bzip2's "BZh" is followed by its block size, 1 to 9. */
            if (strcmp(kinds[k].magic, "BZh") != 0 ||
                (len > 3 && s[3] >= '1' && s[3] <= '9'))
                return kinds[k].name;
    return NULL;
}

/*
 * What a stream (a pipe, standard input) shows in its first STREAM_PEEK
 * bytes that no export could be, or NULL: another compression, or binary
 * data: more than one byte in eight that no text has (a control byte
 * other than tab, CR and LF, or a byte that starts no valid UTF-8
 * sequence). UTF-16 and UTF-32 pass (format detection names them); the
 * odd NUL byte or Windows-1252 accent is left to the readers, which treat
 * it as they do in a file. A stream is read whole before it is parsed:
 * without this look, a mistaken `--records /dev/zero` or a binary file
 * piped in would fill memory before any check. *hint completes the
 * message.
 */
#define STREAM_PEEK ((size_t)4096)

static const char *stream_refusal(const unsigned char *s, size_t len,
                                  const char **hint)
{
    *hint = "";
    if (len >= 2 && s[0] == 0x1f && s[1] == 0x8b)
        return NULL; /* gzip: inflated and checked afterwards */
    if (other_encoding(s, len))
        return NULL;
    const char *packed = other_compression(s, len);
    if (packed) {
        *hint = "; headcount reads plain files and gzip: decompress it first";
        return packed;
    }
    size_t odd = 0;
    for (size_t i = 0; i < len;) {
        if (s[i] >= 0x80) {
            size_t ok = hc__utf8_valid_prefix(s + i, HC_MIN(len - i, 4));
            if (ok == 0) {
                odd++;
                i++;
            } else {
                i += ok;
            }
            continue;
        }
        odd += (s[i] < 0x20 && s[i] != '\t' && s[i] != '\r' && s[i] != '\n') ||
               s[i] == 0x7f;
        i++;
    }
    if (odd > len / 8) {
        *hint = "; expected a CSV or JSON export";
        return "binary data";
    }
    return NULL;
}

static hc_status read_stream(int fd, size_t max_bytes, const char *file,
                             hc__input_data *in, hc_diag *diag)
{
    hc_status rc = HC_OK;
    hc__buf b;
    /* One byte more than allowed tells "exactly max_bytes" from "more". */
    size_t cap =
        max_bytes > SIZE_MAX - HC__PAD - 1 ? SIZE_MAX - HC__PAD - 1 : max_bytes;
    hc__buf_init(&b, cap + 1 + HC__PAD);
    for (;;) {
        size_t want = HC_MIN((size_t)1 << 20, cap + 1 - b.len);
        HC_TRY(hc__buf_reserve(&b, want + HC__PAD));
        ssize_t n = read(fd, b.data + b.len, want);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            hc__diag_set(diag, file, 0, 0, "read error: %s", strerror(errno));
            HC_FAIL_IF(true, HC_ERR_IO);
        }
        if (n == 0)
            break;
        size_t before = b.len;
        b.len += (size_t)n;
        if (before < STREAM_PEEK && (b.len >= STREAM_PEEK || b.len == cap)) {
            const char *hint;
            const char *what =
                stream_refusal((const unsigned char *)b.data,
                               HC_MIN(b.len, STREAM_PEEK), &hint);
            if (what) {
                hc__diag_set(diag, file, 1, 1, "input is %s%s", what, hint);
                HC_FAIL_IF(true, HC_ERR_DATA);
            }
        }
        if (b.len > cap) {
            hc__diag_set(diag, file, 0, 0, "input is larger than %zu bytes",
                         max_bytes);
            HC_FAIL_IF(true, HC_ERR_LIMIT);
        }
    }
    if (b.len == 0) {
        in->data = empty_input;
        in->len = 0;
        goto done;
    }
    memset(b.data + b.len, 0, HC__PAD);
    in->heap = b.data;
    in->data = b.data;
    in->len = b.len;
    b.data = NULL;
done:
    if (rc == HC_ERR_NOMEM)
        hc__diag_set(diag, file, 0, 0, "out of memory reading input");
    hc__buf_fini(&b);
    return rc;
}

#define GUNZIP_RATIO_MAX 500
#define GUNZIP_RATIO_AFTER ((size_t)64 << 20)

hc_status hc__gunzip(const char *file, const void *src, size_t len,
                     size_t max_bytes, char **out, size_t *out_len,
                     hc_diag *diag)
{
    hc_status rc = HC_OK;
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    bool init = false;
    hc__buf b;
    hc__buf_init(&b, max_bytes >= SIZE_MAX - HC__PAD ? SIZE_MAX
                                                     : max_bytes + HC__PAD);
    const unsigned char *s = src;
    size_t pos = 0;

    HC_FAIL_IF(inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK, HC_ERR_NOMEM);
    init = true;
    for (;;) {
        /* One gzip member per iteration of the outer loop. */
        int zr = Z_OK;
        while (zr != Z_STREAM_END) {
            if (zs.avail_in == 0) {
                size_t chunk = HC_MIN(len - pos, (size_t)1 << 30);
                zs.next_in = (unsigned char *)s + pos;
                zs.avail_in = (uInt)chunk;
                pos += chunk;
            }
            rc = hc__buf_reserve(&b, HC_MIN((size_t)1 << 20, b.limit - b.len));
            if (rc == HC_OK && b.cap - b.len <= HC__PAD)
                rc = HC_ERR_LIMIT;
            if (rc == HC_ERR_LIMIT) {
                hc__diag_set(diag, file, 0, 0,
                             "decompressed input is larger than %zu bytes",
                             max_bytes);
                goto done;
            }
            HC_TRY(rc);
            size_t room = HC_MIN(b.cap - b.len - HC__PAD, (size_t)1 << 30);
            zs.next_out = (unsigned char *)b.data + b.len;
            zs.avail_out = (uInt)room;
            zr = inflate(&zs, Z_NO_FLUSH);
            b.len += room - zs.avail_out;
            /* Exports compress 5 to 20 times; deflate cannot pass about
             * 1030. Past 64 MiB of output, a stream that has expanded
             * over 500 times is a decompression bomb, refused before it
             * fills memory up to max_bytes. */
            size_t read_in = pos - zs.avail_in;
            if (b.len > GUNZIP_RATIO_AFTER &&
                b.len / (read_in ? read_in : 1) > GUNZIP_RATIO_MAX) {
                hc__diag_set(diag, file, 0, 0,
                             "decompressed input expands more than %d times "
                             "its compressed size (a decompression bomb?)",
                             GUNZIP_RATIO_MAX);
                HC_FAIL_IF(true, HC_ERR_LIMIT);
            }
            if (zr == Z_MEM_ERROR)
                HC_FAIL_IF(true, HC_ERR_NOMEM);
            if (zr == Z_DATA_ERROR || zr == Z_NEED_DICT) {
                hc__diag_set(diag, file, 0, 0, "corrupt gzip data: %s",
                             zs.msg ? zs.msg : "invalid stream");
                HC_FAIL_IF(true, HC_ERR_DATA);
            }
            if (zr == Z_BUF_ERROR && zs.avail_in == 0 && pos == len) {
                hc__diag_set(diag, file, 0, 0,
                             "truncated gzip data: the compressed stream "
                             "ends early");
                HC_FAIL_IF(true, HC_ERR_DATA);
            }
        }
        size_t consumed = pos - zs.avail_in;
        if (consumed == len)
            break;
        /* Zeros after the last member pad some tape and transfer formats;
         * gzip itself reads past them. */
        size_t z = consumed;
        while (z < len && s[z] == 0)
            z++;
        if (z == len)
            break;
        if (!hc__is_gzip(s + consumed, len - consumed)) {
            hc__diag_set(diag, file, 0, 0,
                         "corrupt gzip data: trailing garbage after the "
                         "compressed stream at byte %zu",
                         consumed);
            HC_FAIL_IF(true, HC_ERR_DATA);
        }
        HC_FAIL_IF(inflateReset(&zs) != Z_OK, HC_ERR_INTERNAL);
    }
    HC_TRY(hc__buf_reserve(&b, HC__PAD));
    memset(b.data + b.len, 0, HC__PAD);
    *out = b.data;
    *out_len = b.len;
    b.data = NULL;
done:
    if (init)
        inflateEnd(&zs);
    if (rc == HC_ERR_NOMEM)
        hc__diag_set(diag, file, 0, 0, "out of memory inflating gzip data");
    hc__buf_fini(&b);
    return rc;
}

hc_status hc__input_open(const char *path, size_t max_bytes, hc__input_data *in,
                         hc_diag *diag)
{
    hc_status rc = HC_OK;
    int fd = -1;
    bool is_stdin = strcmp(path, "-") == 0;
    memset(in, 0, sizeof *in);

    if (is_stdin) {
        fd = STDIN_FILENO;
    } else {
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            hc__diag_set(diag, path, 0, 0, "cannot open: %s", strerror(errno));
            HC_FAIL_IF(true, errno == ENOMEM ? HC_ERR_NOMEM : HC_ERR_NOINPUT);
        }
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        hc__diag_set(diag, path, 0, 0, "cannot open: %s", strerror(errno));
        HC_FAIL_IF(true, HC_ERR_NOINPUT);
    }
    if (S_ISDIR(st.st_mode)) {
        hc__diag_set(diag, path, 0, 0, "cannot open: %s", strerror(EISDIR));
        HC_FAIL_IF(true, HC_ERR_NOINPUT);
    }
    /* Standard input redirected from a file may have been read from
     * already: map only what starts at offset 0, read the rest. */
    bool mappable = S_ISREG(st.st_mode) && st.st_size > 0 &&
                    (!is_stdin || lseek(fd, 0, SEEK_CUR) == 0);
    if (mappable) {
        if ((uint64_t)st.st_size > max_bytes) {
            hc__diag_set(diag, path, 0, 0, "input is larger than %zu bytes",
                         max_bytes);
            HC_FAIL_IF(true, HC_ERR_LIMIT);
        }
        bool unmappable = false;
        HC_TRY(map_file(fd, (size_t)st.st_size, path, in, &unmappable, diag));
        if (unmappable) {
            HC_TRY(read_stream(fd, max_bytes, path, in, diag));
        } else if (!is_stdin) {
            in->fd = fd;
            in->has_fd = true;
            fd = -1;
        }
    } else {
        /* Pipes, terminals and files that claim to be empty (procfs) are
         * read to their end. */
        HC_TRY(read_stream(fd, max_bytes, path, in, diag));
    }
    if (hc__is_gzip(in->data, in->len)) {
        char *out = NULL;
        size_t out_len = 0;
        HC_TRY(hc__gunzip(path, in->data, in->len, max_bytes, &out, &out_len,
                          diag));
        hc__input_close(in);
        in->heap = out;
        in->data = out;
        in->len = out_len;
        in->gzip = true;
    }
done:
    if (fd >= 0 && !is_stdin)
        close(fd);
    if (rc != HC_OK)
        hc__input_close(in);
    return rc;
}

static const char *role_expects(hc_input_role role)
{
    switch (role) {
    case HC_INPUT_GHES:
        return "a GHES all_users.csv report or a GHES JSON export";
    case HC_INPUT_GHEC: return "a consumed-licenses JSON or CSV report";
    case HC_INPUT_RECORDS:
        return "NDJSON account records (one JSON object per line)";
    }
    return "a supported format";
}

hc_status hc__format_detect(const char *file, const char *data, size_t len,
                            hc_input_role role, hc_format *format,
                            size_t *start, hc_diag *diag)
{
    const unsigned char *s = (const unsigned char *)data;
    size_t i = 0;
    *format = HC_FORMAT_UNKNOWN;
    *start = 0;
    const char *other = other_encoding(s, len);
    if (other) {
        hc__diag_set(diag, file, 1, 1, "input is %s; expected UTF-8 (%s)",
                     other, role_expects(role));
        return HC_ERR_DATA;
    }
    const char *packed = other_compression(s, len);
    if (packed) {
        hc__diag_set(diag, file, 1, 1,
                     "input is %s; headcount reads plain files and gzip: "
                     "decompress it first",
                     packed);
        return HC_ERR_DATA;
    }
    if (len >= 3 && s[0] == 0xef && s[1] == 0xbb && s[2] == 0xbf)
        i = 3;
    *start = i;
    size_t j = i;
    uint64_t line = 1;
    while (j < len &&
           (s[j] == ' ' || s[j] == '\t' || s[j] == '\r' || s[j] == '\n')) {
        line += s[j] == '\n';
        j++;
    }
    if (j == len) {
        hc__diag_set(diag, file, line, 0, "empty input, expected %s",
                     role_expects(role));
        return HC_ERR_DATA;
    }
    bool json = s[j] == '{' || s[j] == '[';
    switch (role) {
    case HC_INPUT_GHES:
        *format = json ? HC_FORMAT_GHES_JSON : HC_FORMAT_GHES_CSV;
        return HC_OK;
    case HC_INPUT_GHEC:
        *format = json ? HC_FORMAT_GHEC_JSON : HC_FORMAT_GHEC_CSV;
        return HC_OK;
    case HC_INPUT_RECORDS:
        if (s[j] == '{') {
            *format = HC_FORMAT_RECORDS;
            return HC_OK;
        }
        break;
    }
    hc__diag_set(diag, file, line, 0, "expected %s, found '%c'",
                 role_expects(role), s[j] >= 0x20 && s[j] < 0x7f ? s[j] : '?');
    return HC_ERR_DATA;
}
