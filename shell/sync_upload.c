/*
 * The outbox and the upload of reports. A report is written into
 * state/outbox/SEQ-KEY.json (atomically) before the first upload attempt,
 * so its Idempotency-Key exists on disk before any byte leaves the machine
 * and every retry, in this run or a later one, reuses it. After a 2xx the
 * entry's local copies become report.json and summary.json and then the
 * entry goes (sync_outbox_settle); anything else leaves it for the next
 * run. Only the newest
 * report of the enterprise matters, so a newer report supersedes (removes)
 * older pending ones; a report identical to the pending one keeps the
 * pending entry and its key. The request may be gzip-compressed (the
 * compressed copy is a temporary file, not memory) and signed with
 * HMAC-SHA256 over "timestamp.body" of the bytes actually sent.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <zlib.h>

#include "cli.h"
#include "sync.h"

int sync_uuid4(char out[37], sync_err *err)
{
    unsigned char b[16];
    if (RAND_bytes(b, (int)sizeof b) != 1)
        return sync_fail(err, CLI_EX_SOFTWARE,
                         "the random number generator failed");
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40); /* version 4 */
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
    snprintf(out, 37,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
             "%02x%02x%02x%02x%02x%02x",
             b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10],
             b[11], b[12], b[13], b[14], b[15]);
    return 0;
}

/* What a name in the outbox is: an entry, one of the local copies kept
 * beside it (sync_outbox_local_rel), or the mark that it was delivered
 * (sync_outbox_settle). */
enum {
    OUTBOX_ENTRY,
    OUTBOX_LOCAL_REPORT,
    OUTBOX_LOCAL_SUMMARY,
    OUTBOX_DELIVERED,
    OUTBOX_KINDS
};

static const char *const outbox_suffix[OUTBOX_KINDS] = {
    ".json", ".report.json", ".summary.json", ".delivered"};

/* The outbox name of kind for entry, relative to the state directory. */
static void outbox_rel(const sync_outbox_entry *entry, int kind, char *out,
                       size_t cap)
{
    size_t n = strlen(entry->rel);
    /* rel ends in ".json" (parse_outbox_name). */
    snprintf(out, cap, "%.*s%s", (int)(n - 5), entry->rel, outbox_suffix[kind]);
}

static bool same_entry(const sync_outbox_entry *e, uint64_t seq,
                       const char *key)
{
    return e->present && e->seq == seq && strcmp(e->key, key) == 0;
}

/* "SEQ-KEY" + one of outbox_suffix, with SEQ decimal and KEY a lowercase
 * UUID; *kind tells which. */
static bool parse_outbox_name(const char *name, uint64_t *seq, char key[40],
                              int *kind)
{
    const char *dash = strchr(name, '-');
    if (!dash || dash == name || dash - name > 20)
        return false;
    char num[24];
    memcpy(num, name, (size_t)(dash - name));
    num[dash - name] = '\0';
    if (!sync_parse_u64(num, seq))
        return false;
    const char *k = dash + 1;
    if (strlen(k) < 36)
        return false;
    *kind = -1;
    for (int i = 0; i < OUTBOX_KINDS; i++)
        if (strcmp(k + 36, outbox_suffix[i]) == 0)
            *kind = i;
    if (*kind < 0)
        return false;
    for (int i = 0; i < 36; i++) {
        bool hyphen = i == 8 || i == 13 || i == 18 || i == 23;
        if (hyphen ? k[i] != '-'
                   : !((k[i] >= '0' && k[i] <= '9') ||
                       (k[i] >= 'a' && k[i] <= 'f')))
            return false;
    }
    memcpy(key, k, 36);
    key[36] = '\0';
    return true;
}

/* Calls fn for every name of the outbox, in directory order; fn returns
 * true to have the name removed. Syncs the directory after removals. */
typedef bool (*outbox_fn)(int dfd, const char *name, uint64_t seq,
                          const char *key, int kind, void *ctx);

static int outbox_each(sync_state *st, outbox_fn fn, void *ctx, sync_err *err)
{
    int fd = openat(st->dirfd, "outbox", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return 0;
        return sync_state_io_fail(err, "cannot open the outbox of", st->dir);
    }
    DIR *d = fdopendir(fd);
    if (!d) {
        close(fd);
        return sync_fail(err, CLI_EX_SOFTWARE, "out of memory");
    }
    bool removed = false;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        uint64_t seq;
        char key[40];
        int kind;
        if (parse_outbox_name(e->d_name, &seq, key, &kind) &&
            fn(dirfd(d), e->d_name, seq, key, kind, ctx) &&
            unlinkat(dirfd(d), e->d_name, 0) == 0) {
            removed = true;
            if (kind == OUTBOX_ENTRY)
                sync_log("info", "outbox: dropped report %s (superseded)", key);
        }
    }
    if (removed)
        (void)fsync(dirfd(d));
    closedir(d);
    return 0;
}

typedef struct scan_ctx {
    sync_outbox_entry *newest, *delivered;
    size_t n;
    int mark_errno; /* a mark that could not be looked up, or 0 */
} scan_ctx;

/* Keeps in *better the newer of itself and the entry (seq, key, name). */
static void keep_newer(sync_outbox_entry *better, uint64_t seq, const char *key,
                       const char *name, bool delivered)
{
    if (better->present && seq <= better->seq)
        return;
    better->present = true;
    better->seq = seq;
    better->delivered = delivered;
    memcpy(better->key, key, sizeof better->key);
    snprintf(better->rel, sizeof better->rel, "outbox/%s", name);
}

static bool scan_one(int dfd, const char *name, uint64_t seq, const char *key,
                     int kind, void *ctx)
{
    scan_ctx *c = ctx;
    if (kind != OUTBOX_ENTRY)
        return false;
    char mark[80];
    snprintf(mark, sizeof mark, "%llu-%s%s", (unsigned long long)seq, key,
             outbox_suffix[OUTBOX_DELIVERED]);
    struct stat sb;
    bool delivered = fstatat(dfd, mark, &sb, AT_SYMLINK_NOFOLLOW) == 0;
    if (!delivered && errno != ENOENT && !c->mark_errno)
        c->mark_errno = errno;
    c->n += !delivered;
    keep_newer(c->newest, seq, key, name, delivered);
    if (delivered)
        keep_newer(c->delivered, seq, key, name, true);
    return false;
}

/* Everything but the newest entry and the newest delivered one goes, with
 * their copies and marks: a newer report supersedes an older one, and a
 * delivered report stays until it is in place (sync_outbox_settle). */
static bool prune_one(int dfd, const char *name, uint64_t seq, const char *key,
                      int kind, void *ctx)
{
    (void)dfd, (void)name, (void)kind;
    const scan_ctx *c = ctx;
    return !same_entry(c->newest, seq, key) &&
           !same_entry(c->delivered, seq, key);
}

int sync_outbox_newest(sync_state *st, bool prune, sync_outbox_entry *out,
                       sync_outbox_entry *delivered, size_t *n_pending,
                       sync_err *err)
{
    sync_outbox_entry d;
    scan_ctx c = {out, delivered ? delivered : &d, 0, 0};
    memset(c.newest, 0, sizeof *c.newest);
    memset(c.delivered, 0, sizeof *c.delivered);
    int rc = outbox_each(st, scan_one, &c, err);
    if (!rc && c.mark_errno) {
        /* Taken for undelivered, a delivered report could be superseded
         * before it is in place. */
        errno = c.mark_errno;
        rc = sync_state_io_fail(err,
                                "cannot look up delivery marks in the "
                                "outbox of",
                                st->dir);
    }
    if (!rc && prune)
        rc = outbox_each(st, prune_one, &c, err);
    if (n_pending)
        *n_pending = c.n;
    return rc;
}

void sync_outbox_local_rel(const sync_outbox_entry *entry, bool summary,
                           char *out, size_t cap)
{
    outbox_rel(entry, summary ? OUTBOX_LOCAL_SUMMARY : OUTBOX_LOCAL_REPORT, out,
               cap);
}

static int write_mark(FILE *f, void *ctx, sync_err *err)
{
    (void)ctx;
    if (fputs("delivered\n", f) == EOF)
        return sync_fail(err, CLI_EX_IOERR, "cannot write: %s",
                         strerror(errno));
    return 0;
}

/* Once an entry is in place, everything older goes: entries and copies
 * (marks false), then marks (marks true). */
typedef struct older_ctx {
    uint64_t seq;
    bool marks;
} older_ctx;

static bool older_one(int dfd, const char *name, uint64_t seq, const char *key,
                      int kind, void *ctx)
{
    (void)dfd, (void)name, (void)key;
    const older_ctx *o = ctx;
    return seq < o->seq && (kind == OUTBOX_DELIVERED) == o->marks;
}

int sync_outbox_settle(sync_state *st, const sync_outbox_entry *entry,
                       bool *adopted, sync_err *err)
{
    char rel[400];
    bool moved = false;
    *adopted = false;
    /* The mark first: from now on no newer report supersedes this one
     * before it is in place, though a rename below fails. */
    if (!entry->delivered) {
        outbox_rel(entry, OUTBOX_DELIVERED, rel, sizeof rel);
        int rc = sync_state_write(st, rel, write_mark, NULL, err);
        if (rc)
            return rc;
    }
    /* The summary first and the report last, as a run without [upload]
     * does: a failing rename of either leaves report.json as it was, and
     * only the second leaves the new summary beside it (retried by the
     * next run, which finds the summary's copy gone and moves the
     * report's). */
    sync_outbox_local_rel(entry, true, rel, sizeof rel);
    int rc = sync_state_rename(st, rel, "summary.json", &moved, err);
    if (rc)
        return rc;
    sync_outbox_local_rel(entry, false, rel, sizeof rel);
    rc = sync_state_rename(st, rel, "report.json", &moved, err);
    if (rc)
        return rc;
    *adopted = moved;
    /* What it supersedes goes first, then the entry, each entry before its
     * mark: stopped half way, no older delivered entry is left without
     * this one beside it (it would be put in place after this one), and
     * no mark is gone while its entry is there (it would be sent again). */
    older_ctx older = {entry->seq, false};
    rc = outbox_each(st, older_one, &older, err);
    older.marks = true;
    if (!rc)
        rc = outbox_each(st, older_one, &older, err);
    if (!rc)
        rc = sync_state_remove(st, entry->rel, err);
    outbox_rel(entry, OUTBOX_DELIVERED, rel, sizeof rel);
    if (!rc)
        rc = sync_state_remove(st, rel, err);
    return rc;
}

/* True when the file rel holds exactly the bytes of f (rewound first). */
static bool same_bytes(sync_state *st, const char *rel, FILE *f)
{
    char a[16384], b[16384];
    bool same = false;
    int fd = openat(st->dirfd, rel, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    FILE *g = fdopen(fd, "rb");
    if (!g) {
        close(fd);
        return false;
    }
    if (fflush(f) != 0 || fseeko(f, 0, SEEK_SET) != 0)
        goto done;
    for (;;) {
        size_t na = fread(a, 1, sizeof a, g);
        size_t nb = fread(b, 1, sizeof b, f);
        if (na != nb || memcmp(a, b, na) != 0)
            goto done;
        if (na == 0) {
            same = !ferror(f) && !ferror(g);
            goto done;
        }
    }
done:
    fclose(g);
    (void)fseeko(f, 0, SEEK_END);
    return same;
}

int sync_outbox_put(sync_state *st, uint64_t seq,
                    int (*write)(FILE *f, void *ctx, sync_err *err), void *ctx,
                    sync_outbox_entry *out, sync_err *err)
{
    int rc = 0;
    FILE *f = NULL;
    sync_outbox_entry old;
    char rel[320];
    memset(out, 0, sizeof *out);
    SYNC_TRY(sync_outbox_newest(st, false, &old, NULL, NULL, err));
    if (old.present && old.seq == UINT64_MAX) {
        rc = sync_fail(err, CLI_EX_IOERR,
                       "%s: outbox number %llu is the largest there is "
                       "(outbox/ edited or corrupt)",
                       old.rel, (unsigned long long)old.seq);
        goto done;
    }
    if (old.present && seq <= old.seq)
        seq = old.seq + 1;
    char key[37];
    SYNC_TRY(sync_uuid4(key, err));
    snprintf(rel, sizeof rel, "outbox/%llu-%s.json", (unsigned long long)seq,
             key);
    SYNC_TRY(sync_state_tmp_open(st, rel, &f, err));
    SYNC_TRY(write(f, ctx, err));
    if (old.present && same_bytes(st, old.rel, f)) {
        sync_log("info",
                 "outbox: report unchanged since the pending one; keeping "
                 "its Idempotency-Key %s",
                 old.key);
        *out = old;
        goto done;
    }
    rc = sync_state_tmp_commit(st, rel, f, err);
    f = NULL;
    if (rc)
        goto done;
    out->present = true;
    out->seq = seq;
    snprintf(out->key, sizeof out->key, "%s", key);
    snprintf(out->rel, sizeof out->rel, "%s", rel);
    /* The new entry is durable; now the older ones may go. */
    sync_outbox_entry newest;
    SYNC_TRY(sync_outbox_newest(st, true, &newest, NULL, NULL, err));
done:
    if (f)
        sync_state_tmp_abort(st, rel, f);
    return rc;
}

/* Compresses src into dst (both positioned at 0) as one gzip member. */
static int gzip_file(FILE *src, FILE *dst, sync_err *err)
{
    z_stream z;
    unsigned char in[65536], outb[65536];
    int rc = 0;
    memset(&z, 0, sizeof z);
    if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return sync_fail(err, CLI_EX_SOFTWARE, "zlib failed to initialize");
    int flush;
    do {
        size_t n = fread(in, 1, sizeof in, src);
        if (ferror(src)) {
            rc = sync_fail(err, CLI_EX_IOERR, "cannot read the report: %s",
                           strerror(errno));
            goto done;
        }
        flush = feof(src) ? Z_FINISH : Z_NO_FLUSH;
        z.next_in = in;
        z.avail_in = (uInt)n;
        do {
            z.next_out = outb;
            z.avail_out = sizeof outb;
            int zr = deflate(&z, flush);
            if (zr == Z_STREAM_ERROR) {
                rc = sync_fail(err, CLI_EX_SOFTWARE, "zlib failed");
                goto done;
            }
            size_t have = sizeof outb - z.avail_out;
            if (fwrite(outb, 1, have, dst) != have) {
                rc = sync_fail(err, CLI_EX_IOERR,
                               "cannot write the compressed report: %s",
                               strerror(errno));
                goto done;
            }
        } while (z.avail_out == 0);
    } while (flush != Z_FINISH);
    if (fflush(dst) != 0)
        rc = sync_fail(err, CLI_EX_IOERR,
                       "cannot write the compressed report: %s",
                       strerror(errno));
done:
    deflateEnd(&z);
    return rc;
}

typedef struct upload_ctx {
    const sync_config *cfg;
    const sync_secrets *sec;
    const char *key;
    FILE *body;
    struct curl_slist *headers;
} upload_ctx;

/* hex HMAC-SHA256(key, ts "." body) into hex[65]; body is rewound. */
static int sign_body(const sync_secret *key, const char *ts, FILE *body,
                     char hex[65], sync_err *err)
{
    int rc = 0;
    EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    EVP_MAC_CTX *ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
    unsigned char md[32], buf[65536];
    size_t mdlen = 0;
    char digest[] = "SHA256";
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
        OSSL_PARAM_construct_end(),
    };
    if (!ctx ||
        !EVP_MAC_init(ctx, (const unsigned char *)key->data, key->len,
                      params) ||
        !EVP_MAC_update(ctx, (const unsigned char *)ts, strlen(ts)) ||
        !EVP_MAC_update(ctx, (const unsigned char *)".", 1)) {
        rc = sync_fail(err, CLI_EX_SOFTWARE, "HMAC-SHA256 is unavailable");
        goto done;
    }
    rewind(body);
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, body)) > 0)
        if (!EVP_MAC_update(ctx, buf, n)) {
            rc = sync_fail(err, CLI_EX_SOFTWARE, "HMAC-SHA256 failed");
            goto done;
        }
    if (ferror(body)) {
        rc = sync_fail(err, CLI_EX_IOERR, "cannot read the report: %s",
                       strerror(errno));
        goto done;
    }
    if (!EVP_MAC_final(ctx, md, &mdlen, sizeof md) || mdlen != 32) {
        rc = sync_fail(err, CLI_EX_SOFTWARE, "HMAC-SHA256 failed");
        goto done;
    }
    for (size_t i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
done:
    EVP_MAC_CTX_free(ctx);
    EVP_MAC_free(mac);
    return rc;
}

/* Runs before every attempt: rewinds the body and builds fresh headers
 * (the signature covers a new timestamp each time). */
static int upload_prepare(void *ud, sync_http_req *req, sync_err *err)
{
    upload_ctx *u = ud;
    int rc = 0;
    char line[256];
    char *auth = NULL;
    size_t auth_len = 0;
    sync_http_headers_free(u->headers);
    u->headers = NULL;
    req->headers = NULL;
    SYNC_TRY(sync_http_header_add(&u->headers, "Content-Type: application/json",
                                  err));
    if (u->cfg->upload.gzip)
        SYNC_TRY(
            sync_http_header_add(&u->headers, "Content-Encoding: gzip", err));
    snprintf(line, sizeof line, "Idempotency-Key: %s", u->key);
    SYNC_TRY(sync_http_header_add(&u->headers, line, err));
    /* No "100 Continue" round trip: the body is small and retried whole. */
    SYNC_TRY(sync_http_header_add(&u->headers, "Expect:", err));
    if (u->sec->upload_token.data) {
        auth_len = u->sec->upload_token.len + 32;
        auth = malloc(auth_len);
        if (!auth) {
            rc = sync_fail(err, CLI_EX_SOFTWARE, "out of memory");
            goto done;
        }
        snprintf(auth, auth_len, "Authorization: Bearer %s",
                 u->sec->upload_token.data);
        SYNC_TRY(sync_http_header_add(&u->headers, auth, err));
    }
    if (u->sec->hmac_key.data) {
        char ts[32], hex[65];
        snprintf(ts, sizeof ts, "%lld", (long long)time(NULL));
        SYNC_TRY(sign_body(&u->sec->hmac_key, ts, u->body, hex, err));
        snprintf(line, sizeof line, "X-Headcount-Timestamp: %s", ts);
        SYNC_TRY(sync_http_header_add(&u->headers, line, err));
        snprintf(line, sizeof line, "X-Headcount-Signature-256: sha256=%s",
                 hex);
        SYNC_TRY(sync_http_header_add(&u->headers, line, err));
    }
    if (fseeko(u->body, 0, SEEK_SET) != 0) {
        rc = sync_fail(err, CLI_EX_IOERR, "cannot rewind the report: %s",
                       strerror(errno));
        goto done;
    }
    clearerr(u->body);
    req->headers = u->headers;
done:
    if (auth) {
        sync_secret_cleanse(auth, auth_len);
        free(auth);
    }
    return rc;
}

int sync_upload_deliver(const sync_config *cfg, const sync_secrets *sec,
                        sync_state *st, CURL *h, const sync_outbox_entry *entry,
                        sync_err *err)
{
    int rc = 0;
    FILE *plain = NULL, *gz = NULL;
    char gz_rel[400], shown[512], what[96];
    upload_ctx u = {.cfg = cfg, .sec = sec, .key = entry->key};
    sync_http_resp *resp = malloc(sizeof *resp);
    const char *url =
        cfg->upload.url.s ? cfg->upload.url.s : sec->upload_url.data;
    snprintf(gz_rel, sizeof gz_rel, "%s.gz", entry->rel);
    snprintf(what, sizeof what, "upload of report %s", entry->key);
    if (!resp) {
        rc = sync_fail(err, CLI_EX_SOFTWARE, "out of memory");
        goto done;
    }
    int fd = openat(st->dirfd, entry->rel, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        char path[PATH_MAX];
        sync_state_path(st, entry->rel, path, sizeof path);
        rc = sync_state_io_fail(err, "cannot open", path);
        goto done;
    }
    if (!(plain = fdopen(fd, "rb"))) {
        close(fd);
        rc = sync_fail(err, CLI_EX_SOFTWARE, "out of memory");
        goto done;
    }
    u.body = plain;
    if (cfg->upload.gzip) {
        SYNC_TRY(sync_state_tmp_open(st, gz_rel, &gz, err));
        SYNC_TRY(gzip_file(plain, gz, err));
        u.body = gz;
    }
    if (fseeko(u.body, 0, SEEK_END) != 0) {
        rc = sync_fail(err, CLI_EX_IOERR, "cannot size the report: %s",
                       strerror(errno));
        goto done;
    }
    off_t len = ftello(u.body);
    /* A URL from url_file is a secret: its path is not shown either. */
    sync_http_redact(url, cfg->upload.url.s != NULL, shown, sizeof shown);
    sync_log("info", "%s: %s %s (%lld bytes%s)", what,
             cfg->upload.put ? "PUT" : "POST", shown, (long long)len,
             cfg->upload.gzip ? ", gzip" : "");
    sync_http_req req = {
        .method = cfg->upload.put ? "PUT" : "POST",
        .url = url,
        .ca_file = cfg->upload.ca_file.s,
        .allow_insecure = cfg->upload.allow_insecure,
        .timeout_ms = cfg->upload.timeout_ms,
        .body = u.body,
        .body_len = (uint64_t)len,
        .retry_conflict = true,
    };
    SYNC_TRY(sync_http_send(h, &cfg->http, &req, upload_prepare, &u, resp, what,
                            err));
    if (resp->status < 200 || resp->status > 299) {
        rc = sync_http_status_fail(resp->status, what, err);
        goto done;
    }
    sync_log("info", "%s: delivered (HTTP %ld, %u attempt%s)", what,
             resp->status, resp->attempts, resp->attempts == 1 ? "" : "s");
done:
    sync_http_headers_free(u.headers);
    if (gz)
        sync_state_tmp_abort(st, gz_rel, gz);
    if (plain)
        fclose(plain);
    free(resp);
    return rc;
}
