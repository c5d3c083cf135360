/*
 * HTTPS requests of the sync shell over libcurl's easy interface: one place
 * that fixes the transport policy (TLS verification always on, https only
 * except plain http to a loopback host when explicitly allowed, no
 * redirects to another scheme, connect and low-speed timeouts, bounded
 * response sizes written to a file, prompt abort on SIGTERM) and the retry
 * policy (full-jitter exponential backoff honouring Retry-After within an
 * overall deadline). Callers interpret the final HTTP status.
 */
#ifndef SYNC_HTTP_H
#define SYNC_HTTP_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <curl/curl.h>

#include "sync_util.h"

/* Transport knobs, from the [http] section (docs/config.md). */
typedef struct sync_http_conf {
    uint64_t connect_timeout_ms; /* CURLOPT_CONNECTTIMEOUT_MS */
    uint64_t low_speed_limit;    /* bytes/s; below it for ...           */
    uint64_t low_speed_time_ms;  /* ... this long, the transfer fails */
    uint64_t fetch_timeout_ms;   /* one fetch attempt; 0 = no limit */
    uint64_t poll_max_wait_ms;   /* how long to poll a GHES 202 */
    /* No retry starts later than this after the first attempt failed. */
    uint64_t retry_deadline_ms;
    uint64_t retry_base_ms;      /* first backoff ceiling */
    uint64_t retry_max_delay_ms; /* backoff ceiling cap */
    unsigned max_attempts;       /* tries per request, first included */
} sync_http_conf;

/* The documented defaults. */
void sync_http_conf_default(sync_http_conf *conf);

/* curl_global_init once per process; 70 on failure. */
int sync_http_global_init(sync_err *err);

/*
 * Checks a configured URL: parseable, scheme https (or http when
 * allow_insecure is set and the host is loopback), a host, and no user
 * name or password inside it. Returns 0 or 78 (CLI_EX_CONFIG) with a
 * message that names `what` (e.g. "url") but never the URL's query; for
 * credentials in the URL it points to token_file, and to user as well
 * when the section has one (has_user: [ghes], basic auth).
 */
int sync_http_check_url(const char *url, bool allow_insecure, bool has_user,
                        const char *what, sync_err *err);

/* True when url has neither a query nor a fragment: a base URL that paths
 * are appended to (a GHES url, the GHEC api_url) must not, or the path
 * would land inside them. */
bool sync_http_url_is_base(const char *url);

/* True when both URLs parse and have the same scheme, host (ignoring case)
 * and port. */
bool sync_http_same_origin(const char *a, const char *b);

/* Writes into out the absolute URL that ref (absolute, or relative as RFC
 * 8288 allows for Link targets) names when read against base, in libcurl's
 * normal form; with ref NULL, base itself. out may be base. False when
 * either does not parse or the result does not fit in cap bytes. */
bool sync_http_resolve(const char *base, const char *ref, char *out,
                       size_t cap);

/* scheme://host[:port]/path of url without user info, query or fragment,
 * for log lines (queries of pre-signed URLs are secrets); with
 * keep_path false the path is shown as "/..." (a URL kept in a secret
 * file may carry its secret in the path). Writes "(url)" when it does not
 * parse. */
void sync_http_redact(const char *url, bool keep_path, char *out, size_t cap);

/* Appends one "Name: value" line to *list (copied); 70 when out of
 * memory. */
int sync_http_header_add(struct curl_slist **list, const char *line,
                         sync_err *err);

/* Wipes every line (they may hold a token) and frees the list. */
void sync_http_headers_free(struct curl_slist *list);

typedef struct sync_http_req {
    const char *method;         /* "GET", "POST" or "PUT" */
    const char *url;            /* borrowed */
    const char *ca_file;        /* extra trust anchors; NULL = system store */
    bool allow_insecure;        /* http:// to loopback allowed */
    uint64_t timeout_ms;        /* per attempt; 0 = no overall limit */
    struct curl_slist *headers; /* borrowed; may be NULL */
    const char *username;       /* basic auth when not NULL (borrowed) */
    const char *password;
    FILE *body;          /* request body for POST/PUT, read from */
    uint64_t body_len;   /* the current position of body */
    FILE *sink;          /* response body; NULL = discarded */
    uint64_t sink_limit; /* more response bytes than this: 76 */
    /* GitHub's REST API: a 403 or 429 without rate-limit headers whose
     * body says "rate limit" is a secondary rate limit, waited out for a
     * minute and more (see sync_http_send). */
    bool github_api;
    /* An upload with an Idempotency-Key: a 409 Conflict (the same key
     * still being processed) is retried like a 429. */
    bool retry_conflict;
} sync_http_req;

typedef struct sync_http_resp {
    long status;          /* HTTP status of the last response */
    char retry_after[64]; /* Retry-After value, "" if none */
    char link[16384];     /* Link header values joined by ", " */
    bool link_truncated;
    char content_type[128];
    bool rate_limited;   /* x-ratelimit-remaining: 0 */
    uint64_t rate_reset; /* x-ratelimit-reset (Unix seconds), 0 if none */
    uint64_t body_bytes; /* response body bytes received */
    unsigned attempts;   /* tries made */
} sync_http_resp;

/*
 * Called before every attempt, to rewind the body and truncate the sink,
 * and to refresh headers (a new signature timestamp). May replace
 * req->headers. Returns 0 or an exit code that ends the request.
 */
typedef int (*sync_http_prepare_fn)(void *ctx, sync_http_req *req,
                                    sync_err *err);

/*
 * Performs req on handle h (reused for connection reuse), retrying
 * connection errors, timeouts, a 200 body kept in req->sink that came over
 * HTTP/1.x with neither a length libcurl could use nor chunked encoding
 * (its end cannot be told from a cut connection) and HTTP
 * 408/429/500/502/503/504 (and 403 marked as a rate limit, and 409 for
 * req->retry_conflict) with full-jitter backoff, honouring the Retry-After
 * of a whole answer,
 * while attempts < max_attempts and the retry deadline (counted from the
 * end of the first failed attempt) is not passed. A primary rate limit
 * without Retry-After is waited out until its reset; for req->github_api,
 * a secondary one (403/429 without rate-limit headers, "rate limit" in the
 * first 2 KiB of its body) waits 60 s, doubling each time it recurs. A
 * wait that would pass the deadline ends the request at once (75). TLS
 * failures, refused redirects and other HTTP statuses are not retried.
 * Returns 0 when a response with a non-retryable status arrived (the
 * caller interprets resp->status), or:
 *   75 retries exhausted or interrupted by a stop request, 69 TLS failure
 *   or unreachable, 76 refused redirect (one that led to another scheme,
 *   host or port included) / oversize response (but a 2xx
 *   whose discarded body passes 16 MiB is taken, the rest unread) / an answer
 *   that is not valid HTTP (its body undecodable included), 74 local I/O,
 *   78 bad URL, 70 out of memory.
 * `what` names the endpoint in messages ("GHES ghe-1 all_users.csv").
 */
int sync_http_send(CURL *h, const sync_http_conf *conf, sync_http_req *req,
                   sync_http_prepare_fn prepare, void *ctx,
                   sync_http_resp *resp, const char *what, sync_err *err);

/*
 * Maps a final non-success status to an exit code and message:
 * 401/403 -> 77, 404 -> 69, 408/429/500/502/503/504 -> 75 (the statuses
 * sync_http_send retries, so only reached when retries ran out), other
 * 5xx -> 69 (never retried), other 4xx and 3xx -> 76, anything else -> 69.
 */
int sync_http_status_fail(long status, const char *what, sync_err *err);

#endif /* SYNC_HTTP_H */
