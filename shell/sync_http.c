/*
 * The transport of the sync shell. Every request goes through
 * sync_http_send, which sets the same policy on the easy handle each time
 * (curl_easy_reset keeps the connection cache): verification of peer and
 * host name, https only (http only for an explicitly allowed loopback
 * URL), redirects limited to the original scheme (and an answer taken only
 * from the original scheme, host and port), connect and low-speed
 * timeouts, a byte cap on every response, and a progress callback that
 * aborts when a stop was requested. Retries follow AWS's "full jitter"
 * scheme so that many clients failing at once do not retry in step.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <zlib.h>

#include "headcount/common.h"
#include "cli.h"
#include "sync_http.h"
#include "sync_secret.h"

/* Discarded response bodies (errors, upload acknowledgements) are capped
 * too: a server streaming forever must not keep a run alive. Past the cap
 * an error fails the request; a 2xx has said all that matters in its
 * status, and the rest of it is not read. */
#define DISCARD_LIMIT ((uint64_t)16 << 20)

/* How much of a response body is kept in memory to read an error answer
 * (GitHub's secondary rate limits say so only in the message). */
#define BODY_HEAD_MAX 2048

/* Decoded bytes handed on per inflate call. */
#define GUNZIP_CHUNK 16384

/* GitHub asks for a wait of at least a minute after a secondary rate
 * limit, and exponentially longer when it persists. */
#define SECONDARY_LIMIT_WAIT_MS ((uint64_t)60000)

void sync_http_conf_default(sync_http_conf *conf)
{
    conf->connect_timeout_ms = 30000;
    conf->low_speed_limit = 1024;
    conf->low_speed_time_ms = 60000;
    conf->fetch_timeout_ms = 60ull * 60000;
    conf->poll_max_wait_ms = 30ull * 60000;
    conf->retry_deadline_ms = 15ull * 60000;
    conf->retry_base_ms = 1000;
    conf->retry_max_delay_ms = 60000;
    conf->max_attempts = 8;
}

int sync_http_global_init(sync_err *err)
{
    /* TLS libraries write every session key to the file this names, which
     * would let anyone with a capture read the tokens sent. */
    (void)unsetenv("SSLKEYLOGFILE");
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return sync_fail(err, CLI_EX_SOFTWARE, "libcurl failed to initialize");
    return 0;
}

typedef struct url_parts {
    char *scheme, *host, *port, *user, *password;
} url_parts;

static void url_parts_free(url_parts *u)
{
    curl_free(u->scheme);
    curl_free(u->host);
    curl_free(u->port);
    curl_free(u->user);
    curl_free(u->password);
    memset(u, 0, sizeof *u);
}

/* Splits url; false when it does not parse as an absolute URL. The port is
 * filled in from the scheme's default so that ":443" equals no port. */
static bool url_split(const char *url, url_parts *u)
{
    memset(u, 0, sizeof *u);
    CURLU *h = curl_url();
    bool ok = false;
    if (!h)
        return false;
    if (curl_url_set(h, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) !=
        CURLUE_OK)
        goto done;
    if (curl_url_get(h, CURLUPART_SCHEME, &u->scheme, 0) != CURLUE_OK ||
        curl_url_get(h, CURLUPART_HOST, &u->host, 0) != CURLUE_OK ||
        curl_url_get(h, CURLUPART_PORT, &u->port, CURLU_DEFAULT_PORT) !=
            CURLUE_OK)
        goto done;
    /* Absent parts are not errors here. */
    (void)curl_url_get(h, CURLUPART_USER, &u->user, 0);
    (void)curl_url_get(h, CURLUPART_PASSWORD, &u->password, 0);
    ok = true;
done:
    curl_url_cleanup(h);
    if (!ok)
        url_parts_free(u);
    return ok;
}

int sync_http_check_url(const char *url, bool allow_insecure, bool has_user,
                        const char *what, sync_err *err)
{
    url_parts u;
    int rc = 0;
    if (!url_split(url, &u))
        return sync_fail(err, CLI_EX_CONFIG,
                         "%s is not an absolute http(s) URL", what);
    if (u.user || u.password) {
        rc = sync_fail(err, CLI_EX_CONFIG,
                       "%s must not hold a user name or password; use %s", what,
                       has_user ? "user and token_file" : "token_file");
    } else if (strcasecmp(u.scheme, "https") == 0) {
        rc = 0;
    } else if (strcasecmp(u.scheme, "http") == 0) {
        if (!sync_host_is_loopback(u.host))
            rc = sync_fail(err, CLI_EX_CONFIG,
                           "%s uses http:// to a host that is not loopback; "
                           "only https:// is allowed",
                           what);
        else if (!allow_insecure)
            rc = sync_fail(err, CLI_EX_CONFIG,
                           "%s uses http://; set "
                           "allow_insecure_loopback_http = true (tests only) "
                           "or use https://",
                           what);
    } else {
        rc = sync_fail(err, CLI_EX_CONFIG, "%s has scheme '%s'; use https://",
                       what, u.scheme);
    }
    url_parts_free(&u);
    return rc;
}

bool sync_http_url_is_base(const char *url)
{
    CURLU *h = curl_url();
    char *part = NULL;
    bool base = false;
    if (h && curl_url_set(h, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) ==
                 CURLUE_OK) {
        base = curl_url_get(h, CURLUPART_QUERY, &part, 0) == CURLUE_NO_QUERY;
        curl_free(part);
        part = NULL;
        if (base)
            base = curl_url_get(h, CURLUPART_FRAGMENT, &part, 0) ==
                   CURLUE_NO_FRAGMENT;
        curl_free(part);
    }
    curl_url_cleanup(h);
    return base;
}

bool sync_http_same_origin(const char *a, const char *b)
{
    url_parts x, y;
    bool same = false;
    if (!url_split(a, &x))
        return false;
    if (url_split(b, &y)) {
        same = strcasecmp(x.scheme, y.scheme) == 0 &&
               strcasecmp(x.host, y.host) == 0 && strcmp(x.port, y.port) == 0;
        url_parts_free(&y);
    }
    url_parts_free(&x);
    return same;
}

/* "scheme://host[:port]" of url, for messages: no user, path or query.
 * Writes "(url)" when it does not parse. */
static void origin_text(const char *url, char *out, size_t cap)
{
    CURLU *h = curl_url();
    char *scheme = NULL, *host = NULL, *port = NULL;
    if (h &&
        curl_url_set(h, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) ==
            CURLUE_OK &&
        curl_url_get(h, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
        curl_url_get(h, CURLUPART_HOST, &host, 0) == CURLUE_OK) {
        (void)curl_url_get(h, CURLUPART_PORT, &port, 0);
        snprintf(out, cap, "%s://%s%s%s", scheme, host, port ? ":" : "",
                 port ? port : "");
    } else {
        snprintf(out, cap, "(url)");
    }
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
    curl_url_cleanup(h);
}

bool sync_http_resolve(const char *base, const char *ref, char *out, size_t cap)
{
    CURLU *h = curl_url();
    char *full = NULL;
    bool ok = false;
    /* A relative URL set on a handle that holds one is resolved against
     * it (RFC 3986 5.2); an absolute one replaces it. */
    if (h &&
        curl_url_set(h, CURLUPART_URL, base, CURLU_NON_SUPPORT_SCHEME) ==
            CURLUE_OK &&
        (!ref || curl_url_set(h, CURLUPART_URL, ref,
                              CURLU_NON_SUPPORT_SCHEME) == CURLUE_OK) &&
        curl_url_get(h, CURLUPART_URL, &full, 0) == CURLUE_OK &&
        strlen(full) < cap) {
        memcpy(out, full, strlen(full) + 1);
        ok = true;
    }
    curl_free(full);
    curl_url_cleanup(h);
    return ok;
}

void sync_http_redact(const char *url, bool keep_path, char *out, size_t cap)
{
    CURLU *h = curl_url();
    char *scheme = NULL, *host = NULL, *port = NULL, *path = NULL;
    if (h &&
        curl_url_set(h, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) ==
            CURLUE_OK &&
        curl_url_get(h, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
        curl_url_get(h, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
        curl_url_get(h, CURLUPART_PATH, &path, 0) == CURLUE_OK) {
        (void)curl_url_get(h, CURLUPART_PORT, &port, 0);
        snprintf(out, cap, "%s://%s%s%s%s", scheme, host, port ? ":" : "",
                 port ? port : "", keep_path ? path : "/...");
    } else {
        snprintf(out, cap, "(url)");
    }
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
    curl_free(path);
    curl_url_cleanup(h);
}

int sync_http_header_add(struct curl_slist **list, const char *line,
                         sync_err *err)
{
    struct curl_slist *l = curl_slist_append(*list, line);
    if (!l)
        return sync_fail(err, CLI_EX_SOFTWARE, "out of memory");
    *list = l;
    return 0;
}

void sync_http_headers_free(struct curl_slist *list)
{
    for (struct curl_slist *p = list; p; p = p->next)
        sync_secret_cleanse(p->data, strlen(p->data));
    curl_slist_free_all(list);
}

/* Per-attempt transfer state shared with the callbacks. */
typedef struct xfer {
    sync_http_req *req;
    sync_http_resp *resp;
    uint64_t limit;
    bool too_big;
    bool write_failed;
    int write_errno;
    bool read_failed;
    /* Whether the last response's body is chunked; see body_end_unknown
     * for the length. */
    bool chunked;
    long status;      /* of the last status line */
    bool rest_unread; /* a discarded 2xx body cut at the cap */
    /* The first bytes of the body (decoded), not NUL-terminated. */
    char head[BODY_HEAD_MAX];
    size_t head_len;
    /*
     * The body's content coding, of the last response's headers. Only
     * gzip is asked for, and it is decoded here rather than by libcurl,
     * which takes a gzip stream that stops before its end (a body cut
     * inside correct HTTP framing) for a whole one: the export would be
     * counted short. Anything else is refused.
     */
    enum { CODING_IDENTITY, CODING_GZIP, CODING_OTHER } coding;
    char coding_name[32]; /* a coding that is refused, for the message */
    z_stream z;
    bool z_ready;    /* z is initialised: inflateEnd when done */
    bool z_used;     /* this response's body went through z */
    bool z_end;      /* and its last gzip member is complete */
    bool coding_bad; /* the body does not decode, or is not gzip */
    bool coding_nomem;
} xfer;

/* The decoded body: capped, its head kept, written to the sink. */
static bool deliver(xfer *x, const char *data, size_t len)
{
    if (x->resp->body_bytes + len > x->limit) {
        if (!x->req->sink && x->status >= 200 && x->status <= 299)
            x->rest_unread = true;
        else
            x->too_big = true;
        return false;
    }
    x->resp->body_bytes += len;
    if (x->head_len < sizeof x->head) {
        size_t keep = sizeof x->head - x->head_len;
        keep = keep < len ? keep : len;
        memcpy(x->head + x->head_len, data, keep);
        x->head_len += keep;
    }
    if (x->req->sink && len > 0 && fwrite(data, 1, len, x->req->sink) != len) {
        x->write_failed = true;
        x->write_errno = errno;
        return false;
    }
    return true;
}

/* Decodes gzip body bytes (one member or several after each other, as
 * RFC 1952 allows) and delivers what they give. */
static bool gunzip(xfer *x, const char *data, size_t len)
{
    if (!x->z_ready) {
        memset(&x->z, 0, sizeof x->z);
        /* 16 + MAX_WBITS: a gzip header and trailer, checked. */
        if (inflateInit2(&x->z, 16 + MAX_WBITS) != Z_OK) {
            x->coding_nomem = true;
            return false;
        }
        x->z_ready = true;
    }
    x->z_used = true;
    unsigned char out[GUNZIP_CHUNK];
    while (len > 0) {
        /* uInt is narrower than size_t: fed in pieces if need be. */
        uInt piece = len < (size_t)UINT_MAX ? (uInt)len : UINT_MAX;
        x->z.next_in = (Bytef *)data;
        x->z.avail_in = piece;
        do {
            if (x->z_end) {
                if (x->z.avail_in == 0)
                    break; /* the output of the member's end, all given */
                /* Another member follows. */
                if (inflateReset(&x->z) != Z_OK) {
                    x->coding_bad = true;
                    return false;
                }
                x->z_end = false;
            }
            x->z.next_out = out;
            x->z.avail_out = sizeof out;
            int zr = inflate(&x->z, Z_NO_FLUSH);
            size_t got = sizeof out - x->z.avail_out;
            if (got > 0 && !deliver(x, (const char *)out, got))
                return false;
            if (zr == Z_STREAM_END) {
                x->z_end = true;
            } else if (zr == Z_MEM_ERROR) {
                x->coding_nomem = true;
                return false;
            } else if (zr == Z_BUF_ERROR && x->z.avail_in == 0) {
                break; /* all taken in: the rest comes with more bytes */
            } else if (zr != Z_OK) {
                x->coding_bad = true; /* not gzip, or a corrupt stream */
                return false;
            }
            /* A full output buffer may leave output inside zlib. */
        } while (x->z.avail_in > 0 || x->z.avail_out == 0);
        data += piece;
        len -= piece;
    }
    return true;
}

static size_t on_body(char *data, size_t size, size_t n, void *ud)
{
    xfer *x = ud;
    size_t len = size * n;
    switch (x->coding) {
    case CODING_IDENTITY: return deliver(x, data, len) ? len : 0;
    case CODING_GZIP: return gunzip(x, data, len) ? len : 0;
    default: x->coding_bad = true; return 0;
    }
}

static size_t on_read(char *buf, size_t size, size_t n, void *ud)
{
    xfer *x = ud;
    size_t got = fread(buf, 1, size * n, x->req->body);
    if (got == 0 && ferror(x->req->body)) {
        x->read_failed = true;
        return CURL_READFUNC_ABORT;
    }
    return got;
}

/* libcurl rewinds the body itself when it resends a request on a fresh
 * connection (a reused one died). */
static int on_seek(void *ud, curl_off_t offset, int origin)
{
    xfer *x = ud;
    if (fseeko(x->req->body, (off_t)offset, origin) != 0)
        return CURL_SEEKFUNC_CANTSEEK;
    clearerr(x->req->body);
    return CURL_SEEKFUNC_OK;
}

/* Copies the header value (after "name:") trimmed into out; false when it
 * did not fit and was cut. */
static bool header_value(const char *line, size_t len, size_t name_len,
                         char *out, size_t cap)
{
    const char *v = line + name_len + 1;
    const char *end = line + len;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ' ||
                       end[-1] == '\t'))
        end--;
    size_t n = (size_t)(end - v);
    bool fits = n < cap;
    if (!fits)
        n = cap - 1;
    /* Header values end up in messages, logs and status output: a byte
     * outside printable ASCII (a terminal escape, say) becomes '?'. */
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)v[i];
        out[i] = c >= 0x20 && c < 0x7f ? (char)c : '?';
    }
    out[n] = '\0';
    return fits;
}

static bool header_is(const char *line, size_t len, const char *name)
{
    size_t n = strlen(name);
    return len > n && line[n] == ':' && strncasecmp(line, name, n) == 0;
}

static size_t on_header(char *line, size_t size, size_t n, void *ud)
{
    xfer *x = ud;
    sync_http_resp *r = x->resp;
    size_t len = size * n;
    if (len >= 5 && strncmp(line, "HTTP/", 5) == 0) {
        /* A new response (after a redirect or 100 Continue): forget the
         * headers of the previous one. */
        r->retry_after[0] = '\0';
        r->link[0] = '\0';
        r->link_truncated = false;
        r->content_type[0] = '\0';
        r->rate_limited = false;
        r->rate_reset = 0;
        x->chunked = false;
        x->coding = CODING_IDENTITY;
        x->coding_name[0] = '\0';
        x->z_used = x->z_end = false;
        if (x->z_ready && inflateReset(&x->z) != Z_OK) {
            inflateEnd(&x->z);
            x->z_ready = false;
        }
        /* "HTTP/1.1 200 OK", "HTTP/2 200": the code after the first
         * space. */
        const char *sp = memchr(line, ' ', len);
        x->status = 0;
        for (int i = 1; sp && i <= 3 && sp + i < line + len; i++) {
            if (sp[i] < '0' || sp[i] > '9') {
                x->status = 0;
                break;
            }
            x->status = x->status * 10 + (sp[i] - '0');
        }
    } else if (header_is(line, len, "transfer-encoding")) {
        /* chunked, when used, is the last coding (RFC 9112 6.1). */
        char v[128];
        header_value(line, len, 17, v, sizeof v);
        size_t vn = strlen(v);
        x->chunked = vn >= 7 && strcasecmp(v + vn - 7, "chunked") == 0 &&
                     (vn == 7 || v[vn - 8] == ',' || v[vn - 8] == ' ' ||
                      v[vn - 8] == '\t');
    } else if (header_is(line, len, "content-encoding")) {
        /* One coding, gzip (x-gzip is its old name) or identity; a list
         * ("gzip, gzip") or any other is refused when a body comes. */
        char v[sizeof x->coding_name];
        (void)header_value(line, len, 16, v, sizeof v); /* cut: no match */
        bool gzip = strcasecmp(v, "gzip") == 0 || strcasecmp(v, "x-gzip") == 0;
        if (x->coding != CODING_IDENTITY && (gzip || v[0])) {
            x->coding = CODING_OTHER; /* a second line: codings stacked */
            snprintf(x->coding_name, sizeof x->coding_name, "several");
        } else if (gzip) {
            x->coding = CODING_GZIP;
        } else if (v[0] && strcasecmp(v, "identity") != 0) {
            x->coding = CODING_OTHER;
            memcpy(x->coding_name, v, sizeof v);
        }
    } else if (header_is(line, len, "retry-after")) {
        header_value(line, len, 11, r->retry_after, sizeof r->retry_after);
    } else if (header_is(line, len, "content-type")) {
        header_value(line, len, 12, r->content_type, sizeof r->content_type);
    } else if (header_is(line, len, "x-ratelimit-remaining")) {
        char v[32];
        header_value(line, len, 21, v, sizeof v);
        r->rate_limited = strcmp(v, "0") == 0;
    } else if (header_is(line, len, "x-ratelimit-reset")) {
        char v[32];
        uint64_t t = 0;
        header_value(line, len, 17, v, sizeof v);
        /* Unix seconds; anything else (or beyond 2^63) is ignored. */
        size_t vn = strlen(v);
        bool digits = vn > 0 && vn <= 18;
        for (size_t i = 0; digits && i < vn; i++) {
            digits = v[i] >= '0' && v[i] <= '9';
            t = t * 10 + (uint64_t)(v[i] - '0');
        }
        r->rate_reset = digits ? t : 0;
    } else if (header_is(line, len, "link")) {
        /* Several Link lines are one list (RFC 9110 5.3). */
        char v[sizeof r->link];
        bool fits = header_value(line, len, 4, v, sizeof v);
        size_t have = strlen(r->link);
        size_t need = strlen(v) + (have ? 2 : 0);
        if (!fits || have + need + 1 > sizeof r->link) {
            r->link_truncated = true;
        } else {
            if (have)
                memcpy(r->link + have, ", ", 2);
            memcpy(r->link + have + (have ? 2 : 0), v, strlen(v) + 1);
        }
    }
    return len;
}

/*
 * Also bounds what on_body never sees: the body of a redirect libcurl
 * follows is read (to keep the connection) and dropped without a call to
 * the write callback, so only the received-byte count can cap it. A
 * redirect's body is a line of text; any other body reaches on_body,
 * whose cap (x->limit, on decoded bytes) comes first, hence the margin.
 */
static int on_progress(void *ud, curl_off_t dltotal, curl_off_t dlnow,
                       curl_off_t ultotal, curl_off_t ulnow)
{
    xfer *x = ud;
    (void)dltotal;
    (void)ultotal;
    (void)ulnow;
    if (sync_stop)
        return 1;
    uint64_t cap =
        x->status / 100 == 3 ? 2 * DISCARD_LIMIT : x->limit + DISCARD_LIMIT;
    if (dlnow > 0 && (uint64_t)dlnow > cap) {
        x->too_big = true;
        x->limit = cap;
        return 1;
    }
    return 0;
}

static bool is_tls_error(CURLcode c)
{
    switch (c) {
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_USE_SSL_FAILED: return true;
    default: return false;
    }
}

/* Errors retried: the network's doing, which the next attempt may not
 * meet. CURLE_SSL_CONNECT_ERROR is not among them: handshake_cut_short
 * decides. */
static bool is_transient(CURLcode c)
{
    switch (c) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_SEND_FAIL_REWIND:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_HTTP3:
    case CURLE_QUIC_CONNECT_ERROR: return true;
    default: return false;
    }
}

/*
 * CURLE_SSL_CONNECT_ERROR covers a handshake cut short (a reset, an early
 * close), which is the network's doing like a reset after it and is
 * retried, and a peer that does not speak TLS at all (an https:// URL on a
 * plain-HTTP port: "wrong version number"), which answers the same on
 * every attempt. A socket error tells the first; with OpenSSL, a peer that
 * closed without a word is SSL_ERROR_SYSCALL and no errno. A certificate
 * that fails verification is is_tls_error and never retried.
 */
static bool handshake_cut_short(long os_err, const char *detail)
{
    switch (os_err) {
    case ECONNRESET:
    case ECONNABORTED:
    case EPIPE:
    case ETIMEDOUT: return true;
    default: return strstr(detail, "SSL_ERROR_SYSCALL") != NULL;
    }
}

/* The server answered with something that is not valid HTTP (a status
 * line or header libcurl cannot parse, a body that does not decode): its
 * fault, and the same on every attempt. */
static bool is_bad_response(CURLcode c)
{
    switch (c) {
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_BAD_CONTENT_ENCODING:
    case CURLE_RANGE_ERROR:
#if LIBCURL_VERSION_NUM >= 0x080600
    case CURLE_TOO_LARGE:
#endif
        return true;
    default: return false;
    }
}

/* The statuses that are worth asking again: the server says it is busy or
 * a gateway lost its upstream. Any other answer, 5xx included, is the same
 * on the next attempt. */
static bool status_code_is_retryable(long status)
{
    switch (status) {
    case 408:
    case 429:
    case 500:
    case 502:
    case 503:
    case 504: return true;
    default: return false;
    }
}

static bool status_is_retryable(const sync_http_req *req,
                                const sync_http_resp *r)
{
    if (status_code_is_retryable(r->status))
        return true;
    switch (r->status) {
    case 409:
        /* A request with this Idempotency-Key is still being processed
         * (draft-ietf-httpapi-idempotency-key-header): ask again later. */
        return req->retry_conflict;
    case 403:
        /* GitHub answers rate limits with 403 and either Retry-After or
         * x-ratelimit-remaining: 0; a real permission error has neither. */
        return r->retry_after[0] != '\0' || r->rate_limited;
    default: return false;
    }
}

/* Sets every option of one attempt on h. Returns a CURLcode. */
static CURLcode configure(CURL *h, const sync_http_conf *conf,
                          sync_http_req *req, xfer *x, char *errbuf,
                          const char *protocol)
{
    CURLcode c = CURLE_OK;
#define SET(opt, val)                                 \
    do {                                              \
        if ((c = curl_easy_setopt(h, opt, val)) != 0) \
            return c;                                 \
    } while (0)
    SET(CURLOPT_URL, req->url);
    SET(CURLOPT_ERRORBUFFER, errbuf);
    SET(CURLOPT_NOSIGNAL, 1L);
    SET(CURLOPT_PROTOCOLS_STR, protocol);
    SET(CURLOPT_REDIR_PROTOCOLS_STR, protocol);
    /* Only downloads over https follow redirects. libcurl turns a POST
     * into a bodiless GET after a 301, 302 or 303, whose 2xx would pass
     * for a delivered upload; and a loopback http URL (allowed for a local
     * TLS-terminating sidecar) must not be sent on to another host in
     * cleartext. Either answers its 3xx, which fails the request. */
    bool follow = strcmp(protocol, "https") == 0 &&
                  strcmp(req->method, "POST") != 0 &&
                  strcmp(req->method, "PUT") != 0;
    SET(CURLOPT_FOLLOWLOCATION, follow ? 1L : 0L);
    /* Plain http is allowed only to loopback: a proxy from the
     * environment (http_proxy, ALL_PROXY) would carry the token and the
     * report in cleartext to another host. https may go through one. */
    if (strcmp(protocol, "http") == 0)
        SET(CURLOPT_NOPROXY, "*");
    SET(CURLOPT_MAXREDIRS, 5L);
    SET(CURLOPT_SSL_VERIFYPEER, 1L);
    SET(CURLOPT_SSL_VERIFYHOST, 2L);
    SET(CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
    if (req->ca_file)
        SET(CURLOPT_CAINFO, req->ca_file);
    SET(CURLOPT_CONNECTTIMEOUT_MS, (long)conf->connect_timeout_ms);
    SET(CURLOPT_LOW_SPEED_LIMIT, (long)conf->low_speed_limit);
    /* libcurl counts the low-speed window in whole seconds. */
    SET(CURLOPT_LOW_SPEED_TIME, (long)((conf->low_speed_time_ms + 999) / 1000));
    if (req->timeout_ms)
        SET(CURLOPT_TIMEOUT_MS, (long)req->timeout_ms);
    char ua[64];
    snprintf(ua, sizeof ua, "headcount/%s", hc_version());
    SET(CURLOPT_USERAGENT, ua);
    /* gzip only, decoded by on_body (see xfer): libcurl passes the body
     * as it came. */
    SET(CURLOPT_ACCEPT_ENCODING, "gzip");
    SET(CURLOPT_HTTP_CONTENT_DECODING, 0L);
    SET(CURLOPT_HTTPHEADER, req->headers);
    if (req->username) {
        SET(CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        SET(CURLOPT_USERNAME, req->username);
        SET(CURLOPT_PASSWORD, req->password ? req->password : "");
    }
    SET(CURLOPT_WRITEFUNCTION, on_body);
    SET(CURLOPT_WRITEDATA, x);
    SET(CURLOPT_HEADERFUNCTION, on_header);
    SET(CURLOPT_HEADERDATA, x);
    SET(CURLOPT_NOPROGRESS, 0L);
    SET(CURLOPT_XFERINFOFUNCTION, on_progress);
    SET(CURLOPT_XFERINFODATA, x);
    if (strcmp(req->method, "POST") == 0) {
        SET(CURLOPT_POST, 1L);
        SET(CURLOPT_READFUNCTION, on_read);
        SET(CURLOPT_READDATA, x);
        SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
        SET(CURLOPT_SEEKFUNCTION, on_seek);
        SET(CURLOPT_SEEKDATA, x);
    } else if (strcmp(req->method, "PUT") == 0) {
        SET(CURLOPT_UPLOAD, 1L);
        SET(CURLOPT_READFUNCTION, on_read);
        SET(CURLOPT_READDATA, x);
        SET(CURLOPT_INFILESIZE_LARGE, (curl_off_t)req->body_len);
        SET(CURLOPT_SEEKFUNCTION, on_seek);
        SET(CURLOPT_SEEKDATA, x);
    } else {
        SET(CURLOPT_HTTPGET, 1L);
    }
#undef SET
    return c;
}

int sync_http_status_fail(long status, const char *what, sync_err *err)
{
    if (status == 401 || status == 403)
        return sync_fail(err, CLI_EX_NOPERM,
                         "%s: HTTP %ld: the server refused the credentials "
                         "(check the token and its scopes)",
                         what, status);
    if (status == 404)
        return sync_fail(err, CLI_EX_UNAVAILABLE,
                         "%s: HTTP 404: not found (check the URL, host or "
                         "enterprise name)",
                         what);
    if (status_code_is_retryable(status))
        return sync_fail(err, CLI_EX_TEMPFAIL,
                         "%s: HTTP %ld: server busy or failing; giving up "
                         "after retries",
                         what, status);
    if (status >= 500 && status <= 599)
        return sync_fail(err, CLI_EX_UNAVAILABLE,
                         "%s: HTTP %ld: server error (not retried)", what,
                         status);
    if (status >= 300 && status <= 399)
        return sync_fail(err, CLI_EX_PROTOCOL,
                         "%s: HTTP %ld: a redirect that was not followed "
                         "(uploads and loopback http URLs follow none: "
                         "configure the address it points to)",
                         what, status);
    if (status >= 400 && status <= 499)
        return sync_fail(err, CLI_EX_PROTOCOL, "%s: unexpected HTTP %ld", what,
                         status);
    return sync_fail(err, CLI_EX_UNAVAILABLE, "%s: HTTP %ld", what, status);
}

/* True when the len bytes at p hold needle, ignoring ASCII case. */
static bool holds_nocase(const char *p, size_t len, const char *needle)
{
    size_t n = strlen(needle);
    for (size_t i = 0; i + n <= len; i++)
        if (strncasecmp(p + i, needle, n) == 0)
            return true;
    return false;
}

/*
 * GitHub's secondary rate limits: a 403 or 429 without Retry-After or
 * X-RateLimit-Remaining: 0, whose message says "rate limit". Only asked of
 * GitHub's API: elsewhere a 403 without those headers is a refusal of the
 * credentials and a 429 without Retry-After takes the usual backoff.
 */
static bool is_secondary_limit(const sync_http_req *req,
                               const sync_http_resp *r, const xfer *x)
{
    return req->github_api && (r->status == 403 || r->status == 429) &&
           r->retry_after[0] == '\0' && !r->rate_limited &&
           holds_nocase(x->head, x->head_len, "rate limit");
}

/*
 * A kept 200 body over HTTP/1.x with neither a length libcurl could use
 * nor chunked encoding ends when the connection closes, and libcurl takes
 * a cut connection (no TLS close_notify) for that end: a report cut
 * between two rows would look whole. The length is libcurl's, not the
 * header's presence: a Content-Length too large for it is dropped with a
 * note and the body read to the close all the same. Only 200 bodies are
 * kept (a 202's says "generating", whatever its end); HTTP/2 and 3 frame
 * every body.
 */
static bool body_end_unknown(CURL *h, const sync_http_req *req, const xfer *x,
                             long status)
{
    long version = 0;
    curl_off_t length = -1;
    if (!req->sink || status != 200 || x->chunked)
        return false;
    if (curl_easy_getinfo(h, CURLINFO_HTTP_VERSION, &version) != CURLE_OK ||
        curl_easy_getinfo(h, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &length) !=
            CURLE_OK)
        return false;
    return (version == CURL_HTTP_VERSION_1_0 ||
            version == CURL_HTTP_VERSION_1_1) &&
           length < 0;
}

/* True when the last response came from url's scheme, host and port, that
 * is, when no redirect led elsewhere. */
static bool answered_by_origin(CURL *h, const char *url)
{
    char *eff = NULL;
    if (curl_easy_getinfo(h, CURLINFO_EFFECTIVE_URL, &eff) != CURLE_OK || !eff)
        return false;
    return sync_http_same_origin(url, eff);
}

/* The status code of the last response received, 0 when none was. */
static long last_status(CURL *h)
{
    long code = 0;
    if (curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code) != CURLE_OK)
        return 0;
    return code;
}

/* The errno of the last socket failure, 0 when none was seen. */
static long os_errno(CURL *h)
{
    long e = 0;
    if (curl_easy_getinfo(h, CURLINFO_OS_ERRNO, &e) != CURLE_OK)
        return 0;
    return e;
}

/* The status a proxy answered CONNECT with, 0 when none did. */
static long connect_status(CURL *h)
{
    long code = 0;
    if (curl_easy_getinfo(h, CURLINFO_HTTP_CONNECTCODE, &code) != CURLE_OK)
        return 0;
    return code;
}

/* True once the request went out: what fails after is the response. */
static bool request_sent(CURL *h)
{
    long n = 0;
    return curl_easy_getinfo(h, CURLINFO_REQUEST_SIZE, &n) == CURLE_OK && n > 0;
}

int sync_http_send(CURL *h, const sync_http_conf *conf, sync_http_req *req,
                   sync_http_prepare_fn prepare, void *ctx,
                   sync_http_resp *resp, const char *what, sync_err *err)
{
    url_parts u;
    char errbuf[CURL_ERROR_SIZE];
    char protocol[8];
    int rc = 0;
    /* The retry deadline counts from the end of the first failed
     * attempt, not from the request's start: an attempt cut off by its
     * own timeout (an hour for a download) must not use up the deadline
     * before its first retry. */
    uint64_t first_failure = 0;
    /* Secondary rate limits met so far: each doubles the next wait. */
    unsigned secondary_hits = 0;

    if (!url_split(req->url, &u))
        return sync_fail(err, CLI_EX_CONFIG, "%s: malformed URL", what);
    /* The scheme was checked against the policy when the URL was
     * configured (sync_http_check_url) or derived (same origin), so it is
     * "https", or "http" for an allowed loopback URL. Redirects may only
     * keep it. */
    snprintf(protocol, sizeof protocol, "%s",
             strcasecmp(u.scheme, "http") == 0 && req->allow_insecure &&
                     sync_host_is_loopback(u.host)
                 ? "http"
                 : "https");
    url_parts_free(&u);

    memset(resp, 0, sizeof *resp);
    for (unsigned attempt = 0;; attempt++) {
        xfer x = {.req = req, .resp = resp};
        x.limit = req->sink ? req->sink_limit : DISCARD_LIMIT;
        if (prepare)
            SYNC_TRY(prepare(ctx, req, err));
        resp->status = 0;
        resp->body_bytes = 0;
        resp->retry_after[0] = '\0';
        resp->link[0] = '\0';
        resp->link_truncated = false;
        resp->content_type[0] = '\0';
        resp->rate_limited = false;
        resp->rate_reset = 0;
        resp->attempts = attempt + 1;
        errbuf[0] = '\0';

        curl_easy_reset(h);
        CURLcode c = configure(h, conf, req, &x, errbuf, protocol);
        if (c == CURLE_OK)
            c = curl_easy_perform(h);
        /* The body is complete or abandoned: its decoder goes (the flags
         * below say how the stream ended). */
        if (x.z_ready)
            inflateEnd(&x.z);
        if (req->sink && fflush(req->sink) != 0) {
            rc = sync_fail(err, CLI_EX_IOERR, "%s: cannot write response: %s",
                           what, strerror(errno));
            goto done;
        }
        if (c == CURLE_WRITE_ERROR && x.rest_unread) {
            sync_log("info",
                     "%s: HTTP %ld; the rest of its answer, over %llu "
                     "bytes, is not read",
                     what, x.status, (unsigned long long)x.limit);
            c = CURLE_OK;
        }
        if (c == CURLE_OK)
            curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp->status);
        /* A 2xx gzip body must end with its stream: correct HTTP framing
         * around a cut stream is still a cut body (tested after the
         * checks of framing and status, which decide first: an unframed
         * body cut by the network is retried like any). A 2xx whose rest
         * was left unread is whole enough, and another status's body is
         * only its message. */
        bool gzip_cut = c == CURLE_OK && x.z_used && !x.z_end &&
                        !x.rest_unread && resp->status / 100 == 2;

        const char *detail = errbuf[0] ? errbuf : curl_easy_strerror(c);
        bool retry = false, secondary = false;
        if (sync_stop || (c == CURLE_ABORTED_BY_CALLBACK && !x.too_big)) {
            rc = sync_fail(err, CLI_EX_TEMPFAIL, "%s: interrupted", what);
            goto done;
        } else if (c != CURLE_OK && connect_status(h) == 407) {
            /* The proxy wants credentials it was not given: no later
             * attempt has them either. */
            rc = sync_fail(err, CLI_EX_NOPERM,
                           "%s: the proxy refused the tunnel: HTTP 407 "
                           "(proxy authentication required)",
                           what);
            goto done;
        } else if (c != CURLE_OK && connect_status(h) / 100 == 4) {
            /* The proxy's policy forbids the tunnel (403, say); a 5xx of
             * a proxy that cannot reach the server is retried below. */
            rc = sync_fail(err, CLI_EX_UNAVAILABLE,
                           "%s: the proxy refused the tunnel: HTTP %ld", what,
                           connect_status(h));
            goto done;
        } else if ((c == CURLE_WRITE_ERROR || c == CURLE_ABORTED_BY_CALLBACK) &&
                   x.too_big) {
            rc = sync_fail(err, CLI_EX_PROTOCOL,
                           "%s: response larger than %llu bytes", what,
                           (unsigned long long)x.limit);
            goto done;
        } else if (c == CURLE_WRITE_ERROR && x.write_failed) {
            rc = sync_fail(err, CLI_EX_IOERR, "%s: cannot write response: %s",
                           what, strerror(x.write_errno));
            goto done;
        } else if (c == CURLE_WRITE_ERROR && x.coding_nomem) {
            rc = sync_fail(err, CLI_EX_SOFTWARE, "%s: out of memory", what);
            goto done;
        } else if (c == CURLE_WRITE_ERROR && x.coding_bad) {
            if (x.coding == CODING_OTHER)
                rc = sync_fail(err, CLI_EX_PROTOCOL,
                               "%s: the server's answer is not valid HTTP: "
                               "content coding \"%s\", where only gzip was "
                               "accepted",
                               what, x.coding_name);
            else
                rc = sync_fail(err, CLI_EX_PROTOCOL,
                               "%s: the server's answer is not valid HTTP: "
                               "its gzip body does not decode",
                               what);
            goto done;
        } else if (c == CURLE_READ_ERROR || x.read_failed) {
            rc = sync_fail(err, CLI_EX_IOERR, "%s: cannot read request body",
                           what);
            goto done;
        } else if (is_tls_error(c) ||
                   (c == CURLE_SSL_CONNECT_ERROR &&
                    !handshake_cut_short(os_errno(h), detail))) {
            rc = sync_fail(err, CLI_EX_UNAVAILABLE, "%s: TLS failure: %s", what,
                           detail);
            goto done;
        } else if ((c == CURLE_UNSUPPORTED_PROTOCOL &&
                    last_status(h) / 100 == 3) ||
                   c == CURLE_TOO_MANY_REDIRECTS) {
            rc = sync_fail(err, CLI_EX_PROTOCOL,
                           "%s: refused redirect (only %s:// to at most 5 "
                           "hops is followed): %s",
                           what, protocol, detail);
            goto done;
        } else if (c == CURLE_UNSUPPORTED_PROTOCOL || is_bad_response(c)) {
            /* Without a redirect, CURLE_UNSUPPORTED_PROTOCOL is a status
             * line that is not HTTP/1.x or 2 ("HTTP/0.9", a bad code). */
            rc = sync_fail(err, CLI_EX_PROTOCOL,
                           "%s: the server's answer is not valid HTTP: %s",
                           what, detail);
            goto done;
        } else if (c == CURLE_URL_MALFORMAT && last_status(h) / 100 == 3) {
            /* The server's redirect, not the configured URL. */
            rc = sync_fail(err, CLI_EX_PROTOCOL,
                           "%s: refused redirect: its Location is not a "
                           "URL: %s",
                           what, detail);
            goto done;
        } else if (c == CURLE_URL_MALFORMAT) {
            rc = sync_fail(err, CLI_EX_CONFIG, "%s: malformed URL", what);
            goto done;
        } else if (c == CURLE_OUT_OF_MEMORY && request_sent(h)) {
            /* libcurl reports a response header over its limit (100 KiB
             * a line) as out of memory: the server's doing. */
            rc = sync_fail(err, CLI_EX_PROTOCOL,
                           "%s: the server's answer could not be read (a "
                           "response header too large?): %s",
                           what, detail);
            goto done;
        } else if (c == CURLE_OUT_OF_MEMORY) {
            rc = sync_fail(err, CLI_EX_SOFTWARE, "%s: out of memory", what);
            goto done;
        } else if (c == CURLE_RECV_ERROR && last_status(h) != 0 &&
                   os_errno(h) == 0) {
            /* A status line arrived and no socket call failed: libcurl
             * could not decode the body (a chunk size that is not hex,
             * say). A reset or a dropped connection sets errno, and a
             * connection closed early is CURLE_PARTIAL_FILE. */
            rc = sync_fail(err, CLI_EX_PROTOCOL,
                           "%s: the server's answer is not valid HTTP: %s",
                           what, detail);
            goto done;
        } else if (is_transient(c) || c == CURLE_SSL_CONNECT_ERROR) {
            retry = true;
            sync_fail(err, CLI_EX_TEMPFAIL, "%s: %s", what, detail);
        } else if (c != CURLE_OK) {
            rc = sync_fail(err, CLI_EX_UNAVAILABLE, "%s: %s", what, detail);
            goto done;
        } else if (!answered_by_origin(h, req->url)) {
            /* libcurl follows a redirect to any host (without the
             * credentials); that host's answer is not the source's. */
            char *eff = NULL;
            char from[300], to[300];
            (void)curl_easy_getinfo(h, CURLINFO_EFFECTIVE_URL, &eff);
            origin_text(req->url, from, sizeof from);
            origin_text(eff ? eff : "", to, sizeof to);
            rc = sync_fail(err, CLI_EX_PROTOCOL,
                           "%s: redirected from %s to %s, another host or "
                           "scheme; its answer is not taken",
                           what, from, to);
            goto done;
        } else if (body_end_unknown(h, req, &x, resp->status)) {
            /* Retried like a transfer cut short (CURLE_PARTIAL_FILE). */
            retry = true;
            sync_fail(err, CLI_EX_TEMPFAIL,
                      "%s: the server sent a body whose end cannot be told "
                      "from a cut connection (HTTP/1.x without a usable "
                      "Content-Length or chunked encoding)",
                      what);
        } else if (is_secondary_limit(req, resp, &x)) {
            retry = true;
            secondary = true;
            sync_fail(err, CLI_EX_TEMPFAIL,
                      "%s: HTTP %ld: GitHub's secondary rate limit", what,
                      resp->status);
        } else if (status_is_retryable(req, resp)) {
            retry = true;
            sync_fail(err, CLI_EX_TEMPFAIL, "%s: HTTP %ld", what, resp->status);
        } else if (gzip_cut) {
            rc = sync_fail(err, CLI_EX_PROTOCOL,
                           "%s: the server's answer is not valid HTTP: its "
                           "gzip body stops before the end of its stream",
                           what);
            goto done;
        }
        if (!retry) {
            rc = 0;
            goto done;
        }

        uint64_t delay =
            sync_backoff_ms(attempt, conf->retry_base_ms,
                            conf->retry_max_delay_ms, sync_random_u64());
        uint64_t after;
        uint64_t now_s = (uint64_t)time(NULL);
        bool until_reset = false, asked = false;
        /* Only a whole answer's Retry-After is the server's request: a
         * transfer cut short is the network's doing, whatever headers
         * came before the cut. */
        if (c == CURLE_OK && resp->retry_after[0] &&
            sync_retry_after_parse(resp->retry_after, (time_t)now_s, &after)) {
            delay = after;
            asked = true;
        } else if (resp->rate_limited && resp->rate_reset) {
            /* GitHub's primary rate limit: nothing succeeds before the
             * window resets, so wait for it (a second past, for clock
             * skew) instead of spending the attempts on backoff. */
            until_reset = true;
            uint64_t wait_s =
                resp->rate_reset > now_s ? resp->rate_reset - now_s + 1 : 1;
            /* Capped (a day is already past any deadline) so that the
             * milliseconds cannot overflow. */
            delay = (wait_s < 86400 ? wait_s : 86400) * 1000;
        } else if (secondary) {
            /* The exponent is capped so that the milliseconds cannot
             * overflow; 2^10 minutes is past any deadline. */
            unsigned k = secondary_hits < 10 ? secondary_hits : 10;
            delay = SECONDARY_LIMIT_WAIT_MS << k;
            secondary_hits++;
        }
        uint64_t now_ms = sync_now_ms();
        if (attempt == 0)
            first_failure = now_ms;
        uint64_t elapsed = now_ms - first_failure;
        if (until_reset && elapsed + delay > conf->retry_deadline_ms) {
            char when[32];
            sync_time_rfc3339((time_t)resp->rate_reset, when);
            rc = sync_fail(err, CLI_EX_TEMPFAIL,
                           "%s: HTTP %ld: rate limit exhausted until %s, past "
                           "the retry deadline; the next run retries",
                           what, resp->status, when);
            goto done;
        }
        if ((asked || secondary) && elapsed + delay > conf->retry_deadline_ms) {
            rc = sync_fail(
                err, CLI_EX_TEMPFAIL,
                "%s: HTTP %ld: %s asks for a wait of %s%llu s%s, "
                "past the retry deadline; the next run retries",
                what, resp->status,
                asked ? "the server" : "GitHub's secondary rate limit",
                asked ? "" : "at least ", (unsigned long long)(delay / 1000),
                asked ? " (Retry-After)" : "");
            goto done;
        }
        if (attempt + 1 >= conf->max_attempts ||
            elapsed + delay > conf->retry_deadline_ms) {
            char last[sizeof err->msg];
            snprintf(last, sizeof last, "%s", err->msg);
            rc = sync_fail(err, CLI_EX_TEMPFAIL,
                           "%s (giving up after %u attempts)", last,
                           attempt + 1);
            goto done;
        }
        sync_log("warning", "%s; retrying in %llu ms", err->msg,
                 (unsigned long long)delay);
        if (!sync_sleep_ms(delay)) {
            rc = sync_fail(err, CLI_EX_TEMPFAIL, "%s: interrupted", what);
            goto done;
        }
    }
done:
    return rc;
}
