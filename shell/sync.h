/*
 * The pieces of the sync shell that call each other across files: fetching
 * sources, the outbox and upload, one complete sync run (shared by `sync`
 * and `daemon`), and the signal flags. The command entry points themselves
 * are declared in cli.h.
 */
#ifndef SYNC_H
#define SYNC_H

#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include <curl/curl.h>

#include "sync_config.h"
#include "sync_http.h"
#include "sync_secret.h"
#include "sync_state.h"
#include "sync_util.h"

/* Largest GHES report or GHEC page set fetched (written to disk). */
#define SYNC_FETCH_MAX ((uint64_t)4 << 30)
/* Largest single GHEC page. */
#define SYNC_PAGE_MAX ((uint64_t)64 << 20)
/* Most GHEC pages followed (100 users each). */
#define SYNC_PAGES_MAX 200000u

/* Every secret one run needs, read once at its start; wiped at its end. */
typedef struct sync_secrets {
    sync_secret *ghes_tokens; /* one per [ghes], empty for file sources */
    sync_secret ghec_token;
    sync_secret upload_token;
    sync_secret upload_url; /* from url_file */
    sync_secret hmac_key;
    sync_secret pseudo_key;
} sync_secrets;

/* Reads the secrets cfg names; 77 for a file others can read. */
int sync_secrets_read(const sync_config *cfg, sync_secrets *s, sync_err *err);
void sync_secrets_wipe(const sync_config *cfg, sync_secrets *s);

/* A source ready to count: the copy in the state directory of a fetched
 * or a local export. */
typedef struct sync_fetched {
    char path[PATH_MAX];
    bool remote;         /* fetched over HTTP: malformed content is 76 */
    const char *local;   /* the config's `file =` path it copies, or NULL */
    char server_id[128]; /* from a GHES JSON export, "" when unknown */
} sync_fetched;

/*
 * Fetches one source, or copies its local file, into the state
 * directory's fetch/ area (atomically: a failed fetch leaves the previous
 * copy alone). h is the run's curl handle. Exit codes as sync_http_send, plus 77
 * (401/403), 69 (404), 75 (a GHES report still generating after
 * poll_max_wait), 76 (HTML or non-JSON where data was expected, a
 * pagination link to another host); for a local file 66 (it cannot be
 * opened) and 75 (it kept changing while it was copied).
 */
int sync_fetch_ghes(const sync_config *cfg, const sync_ghes_conf *g,
                    const sync_secret *token, sync_state *st, CURL *h,
                    sync_fetched *out, sync_err *err);
int sync_fetch_ghec(const sync_config *cfg, const sync_secret *token,
                    sync_state *st, CURL *h, sync_fetched *out, sync_err *err);

/* The pending report of the outbox: outbox/SEQ-KEY.json. */
typedef struct sync_outbox_entry {
    bool present;
    bool delivered; /* marked delivered, not yet in place (settle) */
    uint64_t seq;   /* the run that produced it */
    char key[40];   /* its Idempotency-Key (UUIDv4) */
    char rel[320];  /* path relative to the state directory */
} sync_outbox_entry;

/*
 * Finds the newest report of the outbox into *out, and into *delivered
 * (may be NULL) the newest one marked delivered but not yet in place. With
 * prune, removes every other entry (a newer report of the same enterprise
 * supersedes them) with its local copies. *n_pending (may be NULL)
 * receives how many entries wait for upload (not marked delivered).
 */
int sync_outbox_newest(sync_state *st, bool prune, sync_outbox_entry *out,
                       sync_outbox_entry *delivered, size_t *n_pending,
                       sync_err *err);

/*
 * Puts the report produced by write (called with a FILE * to fill) into
 * the outbox as run seq. When the newest pending entry holds the same
 * bytes, that entry and its key are kept (it is the same report, and a
 * receiver must see one key for it); otherwise a new key is drawn, the
 * entry is written atomically under it, and older entries are removed.
 */
int sync_outbox_put(sync_state *st, uint64_t seq,
                    int (*write)(FILE *f, void *ctx, sync_err *err), void *ctx,
                    sync_outbox_entry *out, sync_err *err);

/*
 * The local copy of the report (summary false) or of its summary kept
 * beside an outbox entry, relative to the state directory, into out:
 * outbox/SEQ-KEY.report.json and outbox/SEQ-KEY.summary.json. The local
 * report is never pseudonymized; the entry may be. The copies are removed
 * with their entry when a newer report supersedes it.
 */
void sync_outbox_local_rel(const sync_outbox_entry *entry, bool summary,
                           char *out, size_t cap);

/*
 * Once entry was delivered: marks it so (outbox/SEQ-KEY.delivered, unless
 * entry->delivered says it is), renames its local copies into place as
 * report.json and summary.json, then removes the entry, its mark and every
 * older entry. *adopted tells whether there was a report copy (an entry
 * written by an older version has none). In that order, a crash or a
 * failed rename in between leaves the marked entry, which no newer report
 * supersedes and the next run settles first (without sending it again);
 * removed first, its copies would be dropped as leftovers and report.json
 * would stay older than what the receiver holds. 74 or 77 when writing
 * the mark, a rename or the removal fails.
 */
int sync_outbox_settle(sync_state *st, const sync_outbox_entry *entry,
                       bool *adopted, sync_err *err);

/*
 * Uploads the outbox entry with its Idempotency-Key, retrying as
 * sync_http_send does; 0 on a 2xx answer, after which the caller settles
 * the entry (sync_outbox_settle). Exit codes as
 * sync_http_send and sync_http_status_fail. sec must come from a
 * successful sync_secrets_read, which has checked a URL from url_file as
 * sync_config_load checks a url.
 */
int sync_upload_deliver(const sync_config *cfg, const sync_secrets *sec,
                        sync_state *st, CURL *h, const sync_outbox_entry *entry,
                        sync_err *err);

/* Draws a random UUIDv4 (lowercase, 36 characters) into out[37]. */
int sync_uuid4(char out[37], sync_err *err);

/* What one run did, for the caller's summary line. */
typedef struct sync_run_result {
    sync_run_rec rec;
    char report_path[PATH_MAX]; /* "" when no report was written */
    bool locked; /* the run took the state lock: it ran, well or not */
} sync_run_result;

/*
 * One complete sync: lock, read secrets, fetch every source, count,
 * write report.json and summary.json, put the report in the outbox and
 * upload it (or the pending one when this run produced none), record the
 * run and each source's last_sync. Returns the exit code of the first
 * failure (0 on success).
 */
int sync_run_once(const sync_config *cfg, sync_run_result *res, sync_err *err);

/* Parses the arguments of sync, daemon and status: `--config FILE` (or
 * --config=FILE) and, when json is not NULL, `--json`, by the rules of
 * cli_opt_value and cli_opt_flag. Returns 0 or 64 after printing a usage
 * error. */
int sync_parse_config_arg(const char *cmd, int argc, char **argv,
                          const char **config, bool *json);

/*
 * Signal handling. Handlers only set these flags (and sync_stop) and
 * write one byte to the wake pipe; all work happens in the main loop.
 * SIGTERM and SIGINT set sync_stop; SIGHUP and SIGUSR1 are only handled
 * for the daemon (with_daemon_signals).
 */
extern volatile sig_atomic_t sync_got_hup;
extern volatile sig_atomic_t sync_got_usr1;

/* Installs the handlers; wake_fd is the write end of the self-pipe (or
 * -1). SIGPIPE is ignored. Returns 0 or 70. */
int sync_signals_install(int wake_fd, bool with_daemon_signals, sync_err *err);

#endif /* SYNC_H */
