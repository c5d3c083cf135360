/*
 * Fetching the sources of a sync. GHES: the "all users" report at
 * /stafftools/reports/all_users.csv with basic auth; the instance answers
 * 202 while it generates the report, so we poll with doubling waits up to
 * poll_max_wait. GHEC: the consumed-licenses REST endpoint, 100 users a
 * page, following rel="next" links (relative ones read against the page
 * they came with) only on the API's own origin and never back to a page
 * already fetched; pages are stored one after another, which the engine's
 * GHEC JSON reader accepts.
 * Each attempt of a request is bounded by [http] fetch_timeout besides
 * the low-speed check: a server that trickles just fast enough to pass
 * that check must not hold a run for days.
 * Everything lands in state/fetch/ through a temporary file, so a failed
 * fetch never replaces the last good copy; local `file =` exports are
 * copied there too (see copy_local).
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <zlib.h>

#include "cli.h"
#include "sync.h"

/* Sink rewinding between attempts: the file is cut back to `start` so a
 * retried page or report never appends to a partial one. */
typedef struct rewind_ctx {
    FILE *f;
    off_t start;
} rewind_ctx;

static int rewind_sink(void *ud, sync_http_req *req, sync_err *err)
{
    rewind_ctx *r = ud;
    (void)req;
    if (fflush(r->f) != 0 || ftruncate(fileno(r->f), r->start) != 0 ||
        fseeko(r->f, r->start, SEEK_SET) != 0)
        return sync_fail(err, CLI_EX_IOERR, "cannot truncate fetch file: %s",
                         strerror(errno));
    return 0;
}

/* Joins base (trailing slashes dropped) and suffix into out. */
static bool url_join(const char *base, const char *suffix, char *out,
                     size_t cap)
{
    size_t n = strlen(base);
    while (n > 0 && base[n - 1] == '/')
        n--;
    int w = snprintf(out, cap, "%.*s%s", (int)n, base, suffix);
    return w >= 0 && (size_t)w < cap;
}

/*
 * server_id of a GHES JSON export, read from its first 64 KiB
 * (decompressed when it is gzip, as the engine accepts it either way):
 * the value of the first "server_id" key, when it is a short string or
 * number of printable ASCII. It only labels `status` output, so a miss is
 * harmless.
 */
static void scan_server_id(const char *path, char *out, size_t cap)
{
    char buf[65536];
    out[0] = '\0';
    /* gzread passes bytes that are not gzip through unchanged. */
    gzFile f = gzopen(path, "rb");
    if (!f)
        return;
    size_t n = 0;
    while (n < sizeof buf - 1) {
        int r = gzread(f, buf + n, (unsigned)(sizeof buf - 1 - n));
        if (r <= 0)
            break;
        n += (size_t)r;
    }
    gzclose(f);
    buf[n] = '\0';
    size_t i = 0;
    while (i < n && isspace((unsigned char)buf[i]))
        i++;
    if (i >= n || buf[i] != '{')
        return; /* not a JSON export (e.g. a CSV report) */
    const char *k = strstr(buf, "\"server_id\"");
    if (!k)
        return;
    k += 11;
    while (isspace((unsigned char)*k))
        k++;
    if (*k++ != ':')
        return;
    while (isspace((unsigned char)*k))
        k++;
    bool quoted = *k == '"';
    if (quoted)
        k++;
    size_t m = 0;
    while (k[m] && m + 1 < cap &&
           (quoted ? k[m] != '"' : isdigit((unsigned char)k[m]))) {
        if ((unsigned char)k[m] < 0x20 || (unsigned char)k[m] >= 0x7f ||
            k[m] == '\\')
            return;
        m++;
    }
    if (m == 0 || (quoted && k[m] != '"'))
        return;
    memcpy(out, k, m);
    out[m] = '\0';
}

/* Copies what is left of fd to f; *n counts the bytes. */
static int copy_fd(int fd, FILE *f, const char *path, uint64_t *n,
                   sync_err *err)
{
    enum { BUF = 1 << 20 };
    char *buf = malloc(BUF);
    if (!buf)
        return sync_fail(err, CLI_EX_SOFTWARE, "out of memory");
    int rc = 0;
    *n = 0;
    for (;;) {
        ssize_t r = read(fd, buf, BUF);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            rc = sync_fail(err, CLI_EX_IOERR, "cannot read %s: %s", path,
                           strerror(errno));
            break;
        }
        if (r == 0)
            break;
        *n += (uint64_t)r;
        if (fwrite(buf, 1, (size_t)r, f) != (size_t)r) {
            rc = sync_fail(err, CLI_EX_IOERR, "cannot write the copy of %s: %s",
                           path, strerror(errno));
            break;
        }
    }
    free(buf);
    return rc;
}

/* The file behind fd is the one fstat saw before: same size, same time of
 * last change. */
static bool same_file_state(const struct stat *a, const struct stat *b)
{
    return a->st_size == b->st_size && a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
           a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
           a->st_ctim.tv_sec == b->st_ctim.tv_sec &&
           a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

/*
 * A local `file =` export, copied into state/fetch/ as rel before it is
 * counted. The engine maps its inputs, and a file that another program
 * shortens while it is mapped kills the process with SIGBUS: the run
 * would go unrecorded and a daemon would die. A copy is read with read(),
 * which only sees a shorter file, and taken whole or not at all: when the
 * file's size or change times move while it is read (an export still
 * being written in place), it is read again a second later, three times
 * at most; then the run stops with 75. An export replaced by rename while
 * it is read is no change: the copy is of the file that was opened.
 */
static int copy_local(sync_state *st, const char *path, const char *rel,
                      const char *what, sync_fetched *out, sync_err *err)
{
    /* O_NONBLOCK: opening a FIFO named by mistake must not wait for a
     * writer forever (it is refused below). */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0)
        return sync_fail(err, CLI_EX_NOINPUT, "%s: cannot open %s: %s", what,
                         path, strerror(errno));
    FILE *f = NULL;
    int rc = 0;
    struct stat before, after;
    if (fstat(fd, &before) != 0) {
        rc = sync_fail(err, CLI_EX_NOINPUT, "%s: cannot stat %s: %s", what,
                       path, strerror(errno));
        goto done;
    }
    if (!S_ISREG(before.st_mode)) {
        rc = sync_fail(err, CLI_EX_NOINPUT,
                       "%s: %s is not a regular file (a local export is "
                       "read as a file; gzip is fine)",
                       what, path);
        goto done;
    }
    rc = sync_state_tmp_open(st, rel, &f, err);
    if (rc)
        goto done;
    for (int attempt = 1;; attempt++) {
        uint64_t n = 0;
        rc = copy_fd(fd, f, path, &n, err);
        if (rc)
            break;
        if (fstat(fd, &after) != 0) {
            rc = sync_fail(err, CLI_EX_IOERR, "%s: cannot stat %s: %s", what,
                           path, strerror(errno));
            break;
        }
        if (same_file_state(&before, &after) && n == (uint64_t)before.st_size)
            break;
        if (attempt == 3) {
            rc = sync_fail(err, CLI_EX_TEMPFAIL,
                           "%s: %s kept changing while it was copied (is it "
                           "still being written?); write the export "
                           "elsewhere and rename it into place",
                           what, path);
            break;
        }
        sync_log("warning",
                 "%s: %s changed while it was copied; copying "
                 "it again",
                 what, path);
        if (!sync_sleep_ms(1000)) {
            rc = sync_fail(err, CLI_EX_TEMPFAIL, "%s: interrupted", what);
            break;
        }
        before = after;
        if (lseek(fd, 0, SEEK_SET) != 0 || fflush(f) != 0 ||
            ftruncate(fileno(f), 0) != 0 || fseeko(f, 0, SEEK_SET) != 0) {
            rc = sync_fail(err, CLI_EX_IOERR, "%s: cannot copy %s again: %s",
                           what, path, strerror(errno));
            break;
        }
    }
    if (!rc) {
        rc = sync_state_tmp_commit(st, rel, f, err);
        f = NULL;
    }
    if (!rc) {
        sync_state_path(st, rel, out->path, sizeof out->path);
        out->local = path;
    }
done:
    if (f)
        sync_state_tmp_abort(st, rel, f);
    close(fd);
    return rc;
}

int sync_fetch_ghes(const sync_config *cfg, const sync_ghes_conf *g,
                    const sync_secret *token, sync_state *st, CURL *h,
                    sync_fetched *out, sync_err *err)
{
    int rc = 0;
    FILE *f = NULL;
    char rel[320], url[4096], what[320], shown[512];
    sync_http_resp *resp = NULL;
    memset(out, 0, sizeof *out);
    snprintf(what, sizeof what, "GHES %s", g->host);
    if (g->file.s) {
        snprintf(rel, sizeof rel, "fetch/ghes-%s.local", g->host);
        SYNC_TRY(copy_local(st, g->file.s, rel, what, out, err));
        scan_server_id(out->path, out->server_id, sizeof out->server_id);
        return 0;
    }
    snprintf(rel, sizeof rel, "fetch/ghes-%s.csv", g->host);
    if (!url_join(g->url.s, "/stafftools/reports/all_users.csv", url,
                  sizeof url))
        return sync_fail(err, CLI_EX_CONFIG, "%s: url too long", what);
    resp = malloc(sizeof *resp);
    if (!resp)
        return sync_fail(err, CLI_EX_SOFTWARE, "out of memory");
    SYNC_TRY(sync_state_tmp_open(st, rel, &f, err));
    sync_http_redact(url, true, shown, sizeof shown);
    sync_log("info", "%s: fetching %s", what, shown);

    rewind_ctx rw = {f, 0};
    sync_http_req req = {
        .method = "GET",
        .url = url,
        .ca_file = g->ca_file.s,
        .allow_insecure = g->allow_insecure,
        .timeout_ms = cfg->http.fetch_timeout_ms,
        .username = g->user.s,
        .password = token->data,
        .sink = f,
        .sink_limit = SYNC_FETCH_MAX,
    };
    uint64_t start = sync_now_ms();
    uint64_t wait = 1000;
    for (;;) {
        SYNC_TRY(sync_http_send(h, &cfg->http, &req, rewind_sink, &rw, resp,
                                what, err));
        if (resp->status != 202)
            break;
        uint64_t waited = sync_now_ms() - start;
        if (waited + wait > cfg->http.poll_max_wait_ms) {
            rc = sync_fail(err, CLI_EX_TEMPFAIL,
                           "%s: the all_users report is still being "
                           "generated after %llu s (HTTP 202); try again "
                           "later or raise poll_max_wait",
                           what, (unsigned long long)(waited / 1000));
            goto done;
        }
        sync_log("info",
                 "%s: report is being generated (HTTP 202); asking again "
                 "in %llu s",
                 what, (unsigned long long)(wait / 1000));
        if (!sync_sleep_ms(wait)) {
            rc = sync_fail(err, CLI_EX_TEMPFAIL, "%s: interrupted", what);
            goto done;
        }
        wait = wait * 2 > 30000 ? 30000 : wait * 2;
    }
    if (resp->status != 200) {
        rc = sync_http_status_fail(resp->status, what, err);
        goto done;
    }
    if (strncasecmp(resp->content_type, "text/html", 9) == 0) {
        rc = sync_fail(err, CLI_EX_PROTOCOL,
                       "%s: got an HTML page instead of the CSV report (is "
                       "url the instance's address, and is the user a site "
                       "administrator?)",
                       what);
        goto done;
    }
    rc = sync_state_tmp_commit(st, rel, f, err);
    f = NULL;
    if (rc)
        goto done;
    sync_state_path(st, rel, out->path, sizeof out->path);
    out->remote = true;
    sync_log("info", "%s: fetched %llu bytes", what,
             (unsigned long long)resp->body_bytes);
done:
    if (f)
        sync_state_tmp_abort(st, rel, f);
    free(resp);
    return rc;
}

/*
 * The pages fetched in one run, by a digest of their URL: a next-page link
 * back to one of them would go round until SYNC_PAGES_MAX. An open
 * addressing table of 16 bytes of SHA-256 (a false match is out of reach)
 * and the page number, 0 marking a free slot; it holds at most
 * SYNC_PAGES_MAX entries, since the page cap stops the run first.
 */
typedef struct page_seen {
    unsigned char digest[16];
    unsigned page;
} page_seen;

typedef struct page_set {
    page_seen *slot;
    size_t cap; /* a power of two, or 0 */
    size_t n;
} page_set;

static bool url_digest(const char *url, unsigned char out[16])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    if (!EVP_Digest(url, strlen(url), md, &n, EVP_sha256(), NULL) || n < 16)
        return false;
    memcpy(out, md, 16);
    return true;
}

static size_t page_set_home(const page_set *s, const unsigned char d[16])
{
    uint64_t h = 0;
    memcpy(&h, d, sizeof h);
    return (size_t)h & (s->cap - 1);
}

/* The slot that holds d, or the free slot where it belongs. */
static page_seen *page_set_slot(const page_set *s, const unsigned char d[16])
{
    size_t i = page_set_home(s, d);
    while (s->slot[i].page && memcmp(s->slot[i].digest, d, 16) != 0)
        i = (i + 1) & (s->cap - 1);
    return &s->slot[i];
}

/* The page that had this digest, 0 when none did. */
static unsigned page_set_find(const page_set *s, const unsigned char d[16])
{
    return s->cap ? page_set_slot(s, d)->page : 0;
}

/* Records d as page `page` (> 0); 70 when out of memory. */
static int page_set_add(page_set *s, const unsigned char d[16], unsigned page,
                        sync_err *err)
{
    if (2 * (s->n + 1) > s->cap) {
        page_set bigger = {.cap = s->cap ? 2 * s->cap : 64, .n = s->n};
        bigger.slot = calloc(bigger.cap, sizeof *bigger.slot);
        if (!bigger.slot)
            return sync_fail(err, CLI_EX_SOFTWARE, "out of memory");
        for (size_t i = 0; i < s->cap; i++)
            if (s->slot[i].page)
                *page_set_slot(&bigger, s->slot[i].digest) = s->slot[i];
        free(s->slot);
        *s = bigger;
    }
    page_seen *e = page_set_slot(s, d);
    if (!e->page)
        s->n++;
    memcpy(e->digest, d, 16);
    e->page = page;
    return 0;
}

/* The first non-space byte of the page just written at [start, end). */
static int page_first_byte(FILE *f, off_t start, off_t end)
{
    char buf[256];
    int fd = fileno(f);
    while (start < end) {
        size_t want = (size_t)(end - start) < sizeof buf ? (size_t)(end - start)
                                                         : sizeof buf;
        ssize_t r = pread(fd, buf, want, start);
        if (r <= 0)
            return -1;
        for (ssize_t i = 0; i < r; i++)
            if (!isspace((unsigned char)buf[i]))
                return (unsigned char)buf[i];
        start += r;
    }
    return -1;
}

int sync_fetch_ghec(const sync_config *cfg, const sync_secret *token,
                    sync_state *st, CURL *h, sync_fetched *out, sync_err *err)
{
    const sync_ghec_conf *g = &cfg->ghec;
    int rc = 0;
    FILE *f = NULL;
    const char *rel = "fetch/ghec.json";
    char *first = NULL, *url = NULL, *next = NULL, *auth = NULL, *esc = NULL;
    char shown[512], what[300];
    struct curl_slist *headers = NULL;
    sync_http_resp *resp = NULL;
    page_set seen = {0};
    uint64_t total = 0;
    memset(out, 0, sizeof *out);
    if (g->file.s)
        return copy_local(st, g->file.s, "fetch/ghec.local", "GHEC", out, err);
    snprintf(what, sizeof what, "GHEC %s", g->enterprise.s);
    const size_t url_cap = 16384;
    first = malloc(url_cap);
    url = malloc(url_cap);
    next = malloc(url_cap);
    resp = malloc(sizeof *resp);
    size_t auth_len = token->len + 32;
    auth = malloc(auth_len);
    esc = curl_easy_escape(h, g->enterprise.s, 0);
    if (!first || !url || !next || !resp || !auth || !esc) {
        rc = sync_fail(err, CLI_EX_SOFTWARE, "out of memory");
        goto done;
    }
    char suffix[512];
    snprintf(suffix, sizeof suffix,
             "/enterprises/%s/consumed-licenses?per_page=100", esc);
    /* In libcurl's normal form, as the next-page links are put, so that
     * a link back to the first page is known for one. */
    if (!url_join(g->api_url.s, suffix, first, url_cap) ||
        !sync_http_resolve(first, NULL, first, url_cap)) {
        rc = sync_fail(err, CLI_EX_CONFIG, "%s: api_url too long", what);
        goto done;
    }
    snprintf(url, url_cap, "%s", first);
    snprintf(auth, auth_len, "Authorization: Bearer %s", token->data);
    SYNC_TRY(sync_http_header_add(&headers, auth, err));
    SYNC_TRY(sync_http_header_add(&headers,
                                  "Accept: application/vnd.github+json", err));
    SYNC_TRY(sync_http_header_add(&headers, "X-GitHub-Api-Version: 2022-11-28",
                                  err));
    SYNC_TRY(sync_state_tmp_open(st, rel, &f, err));
    sync_http_redact(first, true, shown, sizeof shown);
    sync_log("info", "%s: fetching %s", what, shown);

    unsigned pages = 0;
    for (;;) {
        if (++pages > SYNC_PAGES_MAX) {
            rc = sync_fail(err, CLI_EX_PROTOCOL,
                           "%s: more than %u pages; stopping", what,
                           SYNC_PAGES_MAX);
            goto done;
        }
        unsigned char digest[16];
        if (!url_digest(url, digest)) {
            rc = sync_fail(err, CLI_EX_SOFTWARE, "SHA-256 is unavailable");
            goto done;
        }
        unsigned again = page_set_find(&seen, digest);
        if (again) {
            sync_http_redact(url, true, shown, sizeof shown);
            rc = sync_fail(err, CLI_EX_PROTOCOL,
                           "%s: page %u: the next-page link leads back to "
                           "page %u (%s), already fetched in this run; "
                           "refusing to go round",
                           what, pages - 1, again, shown);
            goto done;
        }
        SYNC_TRY(page_set_add(&seen, digest, pages, err));
        off_t start = ftello(f);
        rewind_ctx rw = {f, start};
        uint64_t left = SYNC_FETCH_MAX - total;
        sync_http_req req = {
            .method = "GET",
            .url = url,
            .ca_file = g->ca_file.s,
            .allow_insecure = g->allow_insecure,
            .timeout_ms = cfg->http.fetch_timeout_ms,
            .headers = headers,
            .sink = f,
            .sink_limit = left < SYNC_PAGE_MAX ? left : SYNC_PAGE_MAX,
            .github_api = true,
        };
        SYNC_TRY(sync_http_send(h, &cfg->http, &req, rewind_sink, &rw, resp,
                                what, err));
        if (resp->status != 200) {
            rc = sync_http_status_fail(resp->status, what, err);
            goto done;
        }
        off_t end = ftello(f);
        int c0 = page_first_byte(f, start, end);
        if (c0 != '{' && c0 != '[') {
            rc = sync_fail(err, CLI_EX_PROTOCOL,
                           "%s: page %u is not JSON (content type '%s')", what,
                           pages, resp->content_type);
            goto done;
        }
        total += resp->body_bytes;
        /* Pages are separated by a newline; the reader takes them one
         * after another. */
        if (fputc('\n', f) == EOF) {
            rc = sync_fail(err, CLI_EX_IOERR, "%s: cannot write %s: %s", what,
                           rel, strerror(errno));
            goto done;
        }
        if (resp->link_truncated) {
            rc = sync_fail(err, CLI_EX_PROTOCOL,
                           "%s: page %u: cannot read its Link header (longer "
                           "than %zu bytes), so the pages after it cannot be "
                           "found",
                           what, pages, sizeof resp->link - 1);
            goto done;
        }
        sync_link link =
            sync_link_next(resp->link, strlen(resp->link), next, url_cap);
        if (link == SYNC_LINK_BAD) {
            rc = sync_fail(
                err, CLI_EX_PROTOCOL,
                "%s: page %u: cannot read its Link header (malformed, "
                "or a next-page link over %zu bytes), so the pages "
                "after it cannot be found",
                what, pages, url_cap - 1);
            goto done;
        }
        if (link == SYNC_LINK_NONE)
            break;
        /* RFC 8288 allows a relative target, read against the page's own
         * URL. */
        if (!sync_http_resolve(url, next, url, url_cap)) {
            rc = sync_fail(err, CLI_EX_PROTOCOL,
                           "%s: page %u: the next-page link is not a URL (or "
                           "resolves to one over %zu bytes)",
                           what, pages, url_cap - 1);
            goto done;
        }
        if (!sync_http_same_origin(first, url)) {
            rc = sync_fail(err, CLI_EX_PROTOCOL,
                           "%s: the next-page link points to another host or "
                           "scheme; refusing to follow it",
                           what);
            goto done;
        }
    }
    rc = sync_state_tmp_commit(st, rel, f, err);
    f = NULL;
    if (rc)
        goto done;
    sync_state_path(st, rel, out->path, sizeof out->path);
    out->remote = true;
    sync_log("info", "%s: fetched %u page%s, %llu bytes", what, pages,
             pages == 1 ? "" : "s", (unsigned long long)total);
done:
    if (f)
        sync_state_tmp_abort(st, rel, f);
    if (auth) {
        sync_secret_cleanse(auth, auth_len);
        free(auth);
    }
    sync_http_headers_free(headers);
    curl_free(esc);
    free(first);
    free(url);
    free(next);
    free(seen.slot);
    free(resp);
    return rc;
}
