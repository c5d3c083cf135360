/*
 * The sync configuration file: INI read with libinih, git-style
 * subsections (`[ghes "HOST"]`), every key documented in docs/config.md.
 * Loading checks everything that can be checked without the network or the
 * secrets: unknown sections and keys, values, required combinations, URL
 * policy. Any problem is exit 78 with "file:line: message". Token files are
 * only named here; they are read (and their permissions checked) by the
 * sync run, never by `status`.
 */
#ifndef SYNC_CONFIG_H
#define SYNC_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "headcount/headcount.h"
#include "sync_http.h"
#include "sync_util.h"

/* At most this many [ghes "HOST"] sections. */
#define SYNC_GHES_MAX 256

/* A string value with the config line it came from (0 = not set). */
typedef struct sync_cstr {
    char *s;
    unsigned line;
} sync_cstr;

typedef struct sync_ghes_conf {
    char *host;           /* the subsection name: the host of host:id */
    unsigned line;        /* the section header */
    sync_cstr url;        /* base URL of the instance, or ... */
    sync_cstr file;       /* ... a local all_users.csv / JSON export */
    sync_cstr user;       /* site admin for basic auth */
    sync_cstr token_file; /* personal access token with site_admin */
    sync_cstr ca_file;
    bool allow_insecure; /* allow_insecure_loopback_http */
} sync_ghes_conf;

typedef struct sync_ghec_conf {
    bool present;
    unsigned line;
    sync_cstr api_url;    /* https://api.github.com, or ... */
    sync_cstr file;       /* ... a local consumed-licenses export */
    sync_cstr enterprise; /* enterprise slug */
    sync_cstr token_file;
    sync_cstr ca_file;
    bool allow_insecure;
} sync_ghec_conf;

typedef struct sync_upload_conf {
    bool present;
    unsigned line;
    sync_cstr url;           /* the receiver, or ... */
    sync_cstr url_file;      /* ... a file holding it (pre-signed URLs) */
    bool put;                /* method = PUT (else POST) */
    sync_cstr token_file;    /* optional: Authorization: Bearer */
    sync_cstr hmac_key_file; /* optional: request signature */
    sync_cstr pseudonymize_key_file; /* optional: HMAC the emails */
    sync_cstr ca_file;
    bool gzip;
    bool allow_insecure;
    uint64_t timeout_ms; /* whole upload attempt */
} sync_upload_conf;

typedef struct sync_config {
    char *path; /* the config file as given */
    hc_policy policy;
    unsigned threads;       /* 0 = all cores */
    char *verified_domains; /* the list as written, NULL when none */
    hc_domains *domains;    /* built from it; NULL when none */
    sync_ghes_conf *ghes;   /* n_ghes instances in file order */
    size_t n_ghes;
    sync_ghec_conf ghec;
    sync_upload_conf upload;
    sync_weekly weekly;
    uint64_t jitter_ms;
    char *state_dir;
    sync_http_conf http;
} sync_config;

/* What the config is loaded for. */
typedef enum sync_config_use {
    SYNC_CONFIG_RUN,   /* sync and daemon: every path must resolve */
    SYNC_CONFIG_STATUS /* status, which reads no secret file: a path under
                          an unset ${CREDENTIALS_DIRECTORY} is kept as
                          written (outside the service it is unset) */
} sync_config_use;

/*
 * Reads and checks the config at path. Returns 0 with *out set (free with
 * sync_config_free), 66 when the file cannot be opened, 78 for any content
 * problem (err says "path:line: message"), 70 out of memory.
 */
int sync_config_load(const char *path, sync_config_use use, sync_config **out,
                     sync_err *err);

void sync_config_free(sync_config *cfg); /* NULL is a no-op */

#endif /* SYNC_CONFIG_H */
