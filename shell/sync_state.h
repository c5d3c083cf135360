/*
 * The state directory of the sync shell (layout in docs/operations.md):
 * the lock that keeps runs one at a time, atomic file replacement (temp +
 * fsync + rename + fsync of the directory, so a crash leaves the old file
 * or the new one, never a torn one), the bounded run history (runs.json)
 * and the per-source last_sync records (sources.json). Files are private
 * (0600 in a 0700 directory): reports hold email addresses.
 */
#ifndef SYNC_STATE_H
#define SYNC_STATE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "sync_util.h"

/* Runs kept in runs.json; older ones are dropped. */
#define SYNC_RUNS_KEEP 20

typedef struct sync_state {
    char *dir;  /* owned */
    int dirfd;  /* the state directory; -1 when closed */
    int lockfd; /* state/lock while held; else -1 */
} sync_state;

/*
 * Opens the state directory; with create, makes it (mode 0700, parents
 * too) and its fetch/ and outbox/ subdirectories. Without create, a
 * missing directory is 66. Other failures: 74 (77 on EACCES).
 */
int sync_state_open(const char *dir, bool create, sync_state *st,
                    sync_err *err);
void sync_state_close(sync_state *st); /* releases the lock too */

/* Takes the run lock (flock LOCK_EX|LOCK_NB on state/lock); 75 when
 * another process holds it. */
int sync_state_lock(sync_state *st, sync_err *err);

/*
 * Takes the daemon lock (flock LOCK_EX|LOCK_NB on state/daemon.lock) for
 * the life of *fd, which the caller closes to release it, and writes this
 * process's PID into the file. 75 when another daemon holds it, naming
 * that daemon's PID when the file gives one. Independent of the run lock:
 * a daemon holds this one always and the run lock only while it syncs.
 */
int sync_state_daemon_lock(sync_state *st, int *fd, sync_err *err);

/* Releases the daemon lock taken by sync_state_daemon_lock, emptying the
 * file of the PID first. fd < 0 is a no-op. */
void sync_state_daemon_unlock(int fd);

/* Removes temporary files left by killed runs. Call with the lock held:
 * every temporary but that of a live daemon's daemon.json is taken for a
 * leftover, whatever its PID (a container's runs are all PID 1). */
void sync_state_clean_tmp(sync_state *st);

/*
 * Atomic replacement of the file at rel (relative to the state directory,
 * at most one subdirectory deep): sync_state_tmp_open creates a private
 * temporary beside it; sync_state_tmp_commit flushes, fsyncs, renames it
 * over rel and fsyncs the directory; sync_state_tmp_abort removes it.
 * Commit and abort always close f.
 */
int sync_state_tmp_open(sync_state *st, const char *rel, FILE **f,
                        sync_err *err);
/* Flushes and fsyncs f, still open and not yet in place, so that a later
 * commit can fail only in its rename. */
int sync_state_tmp_flush(sync_state *st, const char *rel, FILE *f,
                         sync_err *err);
int sync_state_tmp_commit(sync_state *st, const char *rel, FILE *f,
                          sync_err *err);
void sync_state_tmp_abort(sync_state *st, const char *rel, FILE *f);
/* As sync_state_tmp_commit, but renames the temporary opened for rel to
 * dest instead (same file system: both inside the state directory). */
int sync_state_tmp_commit_as(sync_state *st, const char *rel, FILE *f,
                             const char *dest, sync_err *err);

/* Renames from over to (both relative to the state directory) and fsyncs
 * both directories. A missing from is not an error: *moved tells. */
int sync_state_rename(sync_state *st, const char *from, const char *to,
                      bool *moved, sync_err *err);

/* Writes rel atomically with fn producing the contents. */
typedef int (*sync_write_fn)(FILE *f, void *ctx, sync_err *err);
int sync_state_write(sync_state *st, const char *rel, sync_write_fn fn,
                     void *ctx, sync_err *err);

/* Reads rel whole (at most max bytes, else 74). 66 when it does not
 * exist. *out is malloc'ed and NUL-terminated. */
int sync_state_read(sync_state *st, const char *rel, size_t max, char **out,
                    size_t *len, sync_err *err);

/* Removes rel and fsyncs its directory; a missing file is fine. */
int sync_state_remove(sync_state *st, const char *rel, sync_err *err);

/* Fails with errno's message as "WHAT PATH: reason": 77 for EACCES and
 * EPERM (the state directory belongs to another user), else 74. */
int sync_state_io_fail(sync_err *err, const char *what, const char *path);

/* Full path of rel inside the state directory into out. */
void sync_state_path(const sync_state *st, const char *rel, char *out,
                     size_t cap);

/* One run, as recorded in runs.json. */
typedef struct sync_run_rec {
    uint64_t id;      /* increasing */
    char started[32]; /* RFC 3339 UTC */
    char finished[32];
    int exit_code; /* 0 = success */
    bool has_seats;
    uint64_t seats;           /* total_seats_consumed of the report */
    char upload[16];          /* delivered, pending, disabled, none */
    char key[40];             /* Idempotency-Key of the report, "" if none */
    char error[SYNC_MSG_MAX]; /* first failure, "" on success */
} sync_run_rec;

/* Loads the newest SYNC_RUNS_KEEP runs of runs.json (oldest first); a
 * missing file is an empty history.
 * *runs is malloc'ed. A corrupt file is 74. */
int sync_runs_load(sync_state *st, sync_run_rec **runs, size_t *n,
                   sync_err *err);

/* Whether any of the n runs has an end at or before now (a run's start
 * when its end cannot be read): the history the daemon plans on. *last is
 * the latest such end of a run that succeeded (exit 0), or 0 when none
 * did. A failed run, one stopped by a signal included, made no report:
 * its week's run is still due. A successful run stands for the weekly
 * times it ended at or after, whenever it started: a sync requested just
 * before the weekly time that ends past it is that week's run, for the
 * daemon running it and for one started later. A time after now was
 * recorded while the wall clock ran ahead: it tells nothing of which
 * weekly runs have happened, and taken as the newest it would make every
 * scheduled run look done until the clock caught up. */
bool sync_runs_last_ended(const sync_run_rec *runs, size_t n, time_t now,
                          time_t *last);

/* Appends rec and keeps the newest SYNC_RUNS_KEEP runs, the newest
 * successful one always among them. */
int sync_runs_append(sync_state *st, const sync_run_rec *rec, sync_err *err);

/* The last_sync record of one source (sources.json). */
typedef struct sync_source_rec {
    char kind[8];        /* "ghes" or "ghec" */
    char name[4096];     /* GHES host or GHEC enterprise / file */
    char server_id[128]; /* "" when unknown */
    char date[32];       /* RFC 3339 UTC of the last attempt */
    bool success;
    char error[SYNC_MSG_MAX]; /* "" on success */
    bool has_accounts;
    uint64_t accounts; /* accounts read from it */
} sync_source_rec;

int sync_sources_load(sync_state *st, sync_source_rec **recs, size_t *n,
                      sync_err *err);
int sync_sources_save(sync_state *st, const sync_source_rec *recs, size_t n,
                      sync_err *err);

/* A status string for JSON: "success" or "failed". */
const char *sync_status_word(bool success);

#endif /* SYNC_STATE_H */
