/*
 * State directory operations. All writers of the directory hold state/lock
 * (except the daemon, for its own daemon.json, which uses a temporary name
 * no run shares, and for daemon.lock, which it holds), so the only
 * concurrency left is readers (`status`) against renames, which are
 * atomic. Temporary files carry their writer's pid (two writers never
 * share a name); a run, holding the lock, removes every temporary but a
 * live daemon's daemon.json one.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "sync_state.h"

int sync_state_io_fail(sync_err *err, const char *what, const char *path)
{
    int e = errno;
    return sync_fail(err,
                     e == EACCES || e == EPERM ? CLI_EX_NOPERM : CLI_EX_IOERR,
                     "%s %s: %s", what, path, strerror(e));
}

void sync_state_path(const sync_state *st, const char *rel, char *out,
                     size_t cap)
{
    snprintf(out, cap, "%s/%s", st->dir, rel);
}

/* Syncs the directory holding the entry path names, so that a directory
 * just created there survives a crash along with what is later written
 * inside it. */
static int sync_parent(const char *path, sync_err *err)
{
    char copy[PATH_MAX];
    snprintf(copy, sizeof copy, "%s", path); /* dirname may write to it */
    const char *parent = dirname(copy);
    int fd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int ok = fd >= 0 && fsync(fd) == 0;
    int e = errno;
    if (fd >= 0)
        close(fd);
    errno = e;
    return ok ? 0 : sync_state_io_fail(err, "cannot sync directory", parent);
}

/* Creates path and its missing parents, each synced into its parent. */
static int mkdir_p(const char *path, sync_err *err)
{
    char buf[PATH_MAX];
    int n = snprintf(buf, sizeof buf, "%s", path);
    if (n <= 0 || (size_t)n >= sizeof buf)
        return sync_fail(err, CLI_EX_CONFIG,
                         n <= 0 ? "state dir path is empty"
                                : "state dir path too long");
    for (char *p = buf + 1;; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char end = *p;
        *p = '\0';
        if (mkdir(buf, 0700) == 0) {
            int rc = sync_parent(buf, err);
            if (rc)
                return rc;
        } else if (errno != EEXIST) {
            return sync_state_io_fail(err, "cannot create state directory",
                                      buf);
        }
        if (end == '\0')
            return 0;
        *p = '/';
    }
}

/* Fails with exit 77 unless fd, the state directory or a subfolder at
 * path, belongs to this user and is writable by nobody else. */
static int check_private(int fd, const char *path, sync_err *err)
{
    struct stat sb;
    if (fstat(fd, &sb) != 0)
        return sync_state_io_fail(err, "cannot stat", path);
    if (sb.st_uid == geteuid() && !(sb.st_mode & (S_IWGRP | S_IWOTH)))
        return 0;
    return sync_fail(err, CLI_EX_NOPERM,
                     "state directory %s must belong to this user and be "
                     "writable by nobody else (it is uid %ld, mode %04o): "
                     "chown it, or chmod 700 it",
                     path, (long)sb.st_uid, (unsigned)(sb.st_mode & 07777));
}

int sync_state_open(const char *dir, bool create, sync_state *st, sync_err *err)
{
    int rc = 0;
    st->dir = NULL;
    st->dirfd = -1;
    st->lockfd = -1;
    if (create)
        SYNC_TRY(mkdir_p(dir, err));
    st->dir = strdup(dir);
    if (!st->dir) {
        rc = sync_fail(err, CLI_EX_SOFTWARE, "out of memory");
        goto done;
    }
    st->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (st->dirfd < 0) {
        rc = errno == ENOENT
                 ? sync_fail(err, CLI_EX_NOINPUT,
                             "state directory %s does not exist (no sync "
                             "has run yet)",
                             dir)
                 : sync_state_io_fail(err, "cannot open state directory", dir);
        goto done;
    }
    if (create) {
        /* A run trusts everything under the directory: what it uploads,
         * the exports it counts, the lock. Someone else able to write to
         * it, or to outbox/ or fetch/ inside it, could put a link there
         * and have any file this user can read uploaded with the token or
         * counted. So the three folders must be this user's own, writable
         * by nobody else; checked on opened descriptors (the subfolders
         * opened without following a link), so a link swapped in for one
         * is caught too. Inside them, nobody else can create or rename
         * anything. */
        SYNC_TRY(check_private(st->dirfd, dir, err));
        static const char *const subs[] = {"fetch", "outbox"};
        bool made = false;
        for (size_t i = 0; i < 2; i++) {
            if (mkdirat(st->dirfd, subs[i], 0700) == 0) {
                made = true;
            } else if (errno != EEXIST) {
                rc = sync_state_io_fail(err, "cannot create", subs[i]);
                goto done;
            }
            char path[PATH_MAX];
            sync_state_path(st, subs[i], path, sizeof path);
            int fd = openat(st->dirfd, subs[i],
                            O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (fd < 0) {
                rc = errno == ELOOP || errno == ENOTDIR
                         ? sync_fail(err, CLI_EX_NOPERM,
                                     "state directory %s is not a folder (a "
                                     "link?): move it away, the next run "
                                     "creates it",
                                     path)
                         : sync_state_io_fail(err, "cannot open", path);
                goto done;
            }
            rc = check_private(fd, path, err);
            close(fd);
            if (rc)
                goto done;
        }
        /* New entries of the state directory last only once it is
         * synced: an outbox/ lost in a crash takes the reports already
         * synced inside it along. */
        if (made && fsync(st->dirfd) != 0) {
            rc = sync_state_io_fail(err, "cannot sync state directory", dir);
            goto done;
        }
    }
done:
    if (rc)
        sync_state_close(st);
    return rc;
}

void sync_state_close(sync_state *st)
{
    if (st->lockfd >= 0)
        close(st->lockfd); /* releases the flock */
    if (st->dirfd >= 0)
        close(st->dirfd);
    free(st->dir);
    st->dir = NULL;
    st->dirfd = -1;
    st->lockfd = -1;
}

int sync_state_lock(sync_state *st, sync_err *err)
{
    int fd = openat(st->dirfd, "lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return sync_state_io_fail(err, "cannot open lock file in", st->dir);
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        close(fd);
        if (e == EWOULDBLOCK)
            return sync_fail(err, CLI_EX_TEMPFAIL,
                             "another sync is running (%s/lock is held); "
                             "try again later",
                             st->dir);
        errno = e;
        return sync_state_io_fail(err, "cannot lock", st->dir);
    }
    st->lockfd = fd;
    return 0;
}

int sync_state_daemon_lock(sync_state *st, int *fd, sync_err *err)
{
    *fd = -1;
    int lfd = openat(st->dirfd, "daemon.lock",
                     O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (lfd < 0)
        return sync_state_io_fail(err, "cannot open the daemon lock file in",
                                  st->dir);
    if (flock(lfd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        char buf[24] = {0};
        ssize_t n = e == EWOULDBLOCK ? pread(lfd, buf, sizeof buf - 1, 0) : 0;
        close(lfd);
        if (e != EWOULDBLOCK) {
            errno = e;
            return sync_state_io_fail(err, "cannot lock", st->dir);
        }
        uint64_t pid = 0;
        /* The holder writes its PID just after it locks: a file still
         * empty names no one. */
        if (n > 0 && buf[n - 1] == '\n')
            buf[n - 1] = '\0';
        if (n > 0 && sync_parse_u64(buf, &pid) && pid > 0)
            return sync_fail(err, CLI_EX_TEMPFAIL,
                             "another daemon is running on state directory "
                             "%s (pid %llu); run one daemon per state "
                             "directory",
                             st->dir, (unsigned long long)pid);
        return sync_fail(err, CLI_EX_TEMPFAIL,
                         "another daemon is running on state directory %s "
                         "(%s/daemon.lock is held); run one daemon per state "
                         "directory",
                         st->dir, st->dir);
    }
    /* Only for the message of a second daemon: a PID that cannot be
     * written costs nothing but that. */
    char pid[24];
    int len = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    bool written =
        ftruncate(lfd, 0) == 0 && pwrite(lfd, pid, (size_t)len, 0) == len;
    (void)written;
    *fd = lfd;
    return 0;
}

void sync_state_daemon_unlock(int fd)
{
    if (fd < 0)
        return;
    /* Empty while nobody holds it, so that a daemon that finds it held
     * while its new holder has not written its PID yet names no one. */
    bool emptied = ftruncate(fd, 0) == 0;
    (void)emptied;
    close(fd);
}

/*
 * True for a temporary ".NAME.PID.tmp" that may go. The caller holds the
 * lock, and every writer of the state directory but the daemon's
 * daemon.json holds it too: any other temporary is a leftover, even when
 * its PID runs (in a container, each run is PID 1). daemon.json's is
 * written without the lock, so it is a leftover only when its PID is gone.
 */
static bool is_leftover_tmp(const char *name, bool top)
{
    size_t n = strlen(name);
    if (name[0] != '.' || n < 6 || strcmp(name + n - 4, ".tmp") != 0)
        return false;
    const char *end = name + n - 4;
    const char *p = end;
    while (p > name && p[-1] >= '0' && p[-1] <= '9')
        p--;
    if (p == end || p[-1] != '.')
        return false;
    if (!top || strncmp(name, ".daemon.json.", 13) != 0)
        return true;
    long pid = strtol(p, NULL, 10);
    if (pid <= 0)
        return false;
    return kill((pid_t)pid, 0) != 0 && errno == ESRCH;
}

void sync_state_clean_tmp(sync_state *st)
{
    static const char *const subs[] = {".", "fetch", "outbox"};
    for (size_t i = 0; i < 3; i++) {
        int fd = openat(st->dirfd, subs[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
            continue;
        DIR *d = fdopendir(fd);
        if (!d) {
            close(fd);
            continue;
        }
        struct dirent *e;
        while ((e = readdir(d)) != NULL)
            if (is_leftover_tmp(e->d_name, i == 0))
                (void)unlinkat(dirfd(d), e->d_name, 0);
        closedir(d);
    }
}

/* Splits rel into its directory ("." when none) and base name. */
static void split_rel(const char *rel, char *dir, size_t dcap,
                      const char **base)
{
    const char *slash = strrchr(rel, '/');
    if (slash) {
        snprintf(dir, dcap, "%.*s", (int)(slash - rel), rel);
        *base = slash + 1;
    } else {
        snprintf(dir, dcap, ".");
        *base = rel;
    }
}

static void tmp_name(const char *rel, char *out, size_t cap)
{
    char dir[PATH_MAX];
    const char *base;
    split_rel(rel, dir, sizeof dir, &base);
    int n = snprintf(out, cap, "%s/.%s.%ld.tmp", dir, base, (long)getpid());
    if (n < 0 || (size_t)n >= cap)
        out[0] = '\0'; /* names are short and internal; never truncate */
}

static int fsync_dir(sync_state *st, const char *rel, sync_err *err)
{
    char dir[PATH_MAX];
    const char *base;
    split_rel(rel, dir, sizeof dir, &base);
    int fd = openat(st->dirfd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return sync_state_io_fail(err, "cannot open directory", dir);
    int r = fsync(fd);
    int e = errno;
    close(fd);
    if (r != 0) {
        errno = e;
        return sync_state_io_fail(err, "cannot fsync directory", dir);
    }
    return 0;
}

int sync_state_tmp_open(sync_state *st, const char *rel, FILE **f,
                        sync_err *err)
{
    char tmp[PATH_MAX];
    tmp_name(rel, tmp, sizeof tmp);
    *f = NULL;
    /* A fresh file of our own, never one found in the name's place: a
     * leftover of this process id is removed first, and O_EXCL with
     * O_NOFOLLOW refuses a file or symlink planted there meanwhile (the
     * names are predictable, and a state directory shared with others,
     * such as a group-writable volume, could hold one). */
    if (unlinkat(st->dirfd, tmp, 0) != 0 && errno != ENOENT)
        return sync_state_io_fail(err, "cannot remove the stale", tmp);
    int fd = openat(st->dirfd, tmp,
                    O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return sync_state_io_fail(err, "cannot create", tmp);
    *f = fdopen(fd, "w+");
    if (!*f) {
        close(fd);
        (void)unlinkat(st->dirfd, tmp, 0);
        return sync_fail(err, CLI_EX_SOFTWARE, "out of memory");
    }
    return 0;
}

int sync_state_tmp_flush(sync_state *st, const char *rel, FILE *f,
                         sync_err *err)
{
    (void)st;
    if (fflush(f) != 0 || ferror(f) || fsync(fileno(f)) != 0)
        return sync_state_io_fail(err, "cannot write", rel);
    return 0;
}

int sync_state_tmp_commit(sync_state *st, const char *rel, FILE *f,
                          sync_err *err)
{
    return sync_state_tmp_commit_as(st, rel, f, rel, err);
}

int sync_state_tmp_commit_as(sync_state *st, const char *rel, FILE *f,
                             const char *dest, sync_err *err)
{
    char tmp[PATH_MAX];
    int rc = 0;
    tmp_name(rel, tmp, sizeof tmp);
    if ((rc = sync_state_tmp_flush(st, rel, f, err)) != 0) {
        fclose(f);
        (void)unlinkat(st->dirfd, tmp, 0);
        return rc;
    }
    if (fclose(f) != 0) {
        rc = sync_state_io_fail(err, "cannot write", rel);
        (void)unlinkat(st->dirfd, tmp, 0);
        return rc;
    }
    if (renameat(st->dirfd, tmp, st->dirfd, dest) != 0) {
        rc = sync_state_io_fail(err, "cannot rename into place:", dest);
        (void)unlinkat(st->dirfd, tmp, 0);
        return rc;
    }
    return fsync_dir(st, dest, err);
}

int sync_state_rename(sync_state *st, const char *from, const char *to,
                      bool *moved, sync_err *err)
{
    *moved = false;
    if (renameat(st->dirfd, from, st->dirfd, to) != 0) {
        if (errno == ENOENT)
            return 0;
        return sync_state_io_fail(err, "cannot rename into place:", to);
    }
    *moved = true;
    int rc = fsync_dir(st, to, err);
    if (!rc)
        rc = fsync_dir(st, from, err);
    return rc;
}

void sync_state_tmp_abort(sync_state *st, const char *rel, FILE *f)
{
    char tmp[PATH_MAX];
    tmp_name(rel, tmp, sizeof tmp);
    if (f)
        fclose(f);
    (void)unlinkat(st->dirfd, tmp, 0);
}

int sync_state_write(sync_state *st, const char *rel, sync_write_fn fn,
                     void *ctx, sync_err *err)
{
    FILE *f;
    int rc = sync_state_tmp_open(st, rel, &f, err);
    if (rc)
        return rc;
    rc = fn(f, ctx, err);
    if (rc) {
        sync_state_tmp_abort(st, rel, f);
        return rc;
    }
    return sync_state_tmp_commit(st, rel, f, err);
}

int sync_state_read(sync_state *st, const char *rel, size_t max, char **out,
                    size_t *len, sync_err *err)
{
    int rc = 0;
    char *buf = NULL;
    size_t n = 0;
    *out = NULL;
    *len = 0;
    /* Non-blocking: a FIFO put in the state directory must not hang the
     * open (status runs as any user); it is refused below. */
    int fd = openat(st->dirfd, rel, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        if (errno == ENOENT)
            return sync_fail(err, CLI_EX_NOINPUT, "%s/%s does not exist",
                             st->dir, rel);
        return sync_state_io_fail(err, "cannot open", rel);
    }
    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        rc = sync_state_io_fail(err, "cannot read", rel);
        goto done;
    }
    if (!S_ISREG(sb.st_mode)) {
        rc = sync_fail(err, CLI_EX_IOERR, "%s/%s is not a regular file",
                       st->dir, rel);
        goto done;
    }
    buf = malloc(max + 1);
    if (!buf) {
        rc = sync_fail(err, CLI_EX_SOFTWARE, "out of memory");
        goto done;
    }
    for (;;) {
        ssize_t r = read(fd, buf + n, max + 1 - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            rc = sync_state_io_fail(err, "cannot read", rel);
            goto done;
        }
        if (r == 0)
            break;
        n += (size_t)r;
        if (n > max) {
            rc = sync_fail(err, CLI_EX_IOERR, "%s/%s is larger than %zu bytes",
                           st->dir, rel, max);
            goto done;
        }
    }
    buf[n] = '\0';
    *out = buf;
    *len = n;
    buf = NULL;
done:
    free(buf);
    close(fd);
    return rc;
}

int sync_state_remove(sync_state *st, const char *rel, sync_err *err)
{
    if (unlinkat(st->dirfd, rel, 0) != 0) {
        if (errno == ENOENT)
            return 0;
        return sync_state_io_fail(err, "cannot remove", rel);
    }
    return fsync_dir(st, rel, err);
}

const char *sync_status_word(bool success)
{
    return success ? "success" : "failed";
}

/* ---- runs.json ---- */

#define STATE_FILE_MAX ((size_t)4 << 20)

static void copy_field(char *dst, size_t cap, const char *src)
{
    snprintf(dst, cap, "%s", src ? src : "");
}

/* A record of runs.json (i counts the records read, the newest last)
 * without a valid field. */
static int runs_corrupt(sync_state *st, sync_err *err, size_t i,
                        const char *field)
{
    return sync_fail(err, CLI_EX_IOERR,
                     "%s/runs.json is corrupt: run record %zu has no valid "
                     "\"%s\" (remove the file to start a new history)",
                     st->dir, i + 1, field);
}

int sync_runs_load(sync_state *st, sync_run_rec **runs, size_t *n,
                   sync_err *err)
{
    char *buf = NULL;
    size_t len;
    sync_jobj *objs = NULL;
    size_t nobj = 0;
    int rc = sync_state_read(st, "runs.json", STATE_FILE_MAX, &buf, &len, err);
    *runs = NULL;
    *n = 0;
    if (rc == CLI_EX_NOINPUT)
        return 0;
    if (rc)
        return rc;
    /* Only the newest runs are ever shown or kept. */
    if (!sync_jobjs_parse_tail(buf, len, SYNC_RUNS_KEEP, &objs, &nobj)) {
        rc = sync_fail(err, CLI_EX_IOERR,
                       "%s/runs.json is corrupt (remove it to start a new "
                       "history)",
                       st->dir);
        goto done;
    }
    *runs = calloc(nobj ? nobj : 1, sizeof **runs);
    if (!*runs) {
        rc = sync_fail(err, CLI_EX_SOFTWARE, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < nobj; i++) {
        sync_run_rec *r = &(*runs)[i];
        const sync_jobj *o = &objs[i];
        const char *v;
        uint64_t x;
        /* Every run is written with its number, start and exit code: a
         * record without them is not one of ours (a missing exit code
         * must not read as success). */
        if (!(v = sync_jobj_get(o, "id")) || !sync_parse_u64(v, &x)) {
            rc = runs_corrupt(st, err, i, "id");
            goto done;
        }
        r->id = x;
        if (!sync_jobj_get(o, "started")) {
            rc = runs_corrupt(st, err, i, "started");
            goto done;
        }
        copy_field(r->started, sizeof r->started, sync_jobj_get(o, "started"));
        copy_field(r->finished, sizeof r->finished,
                   sync_jobj_get(o, "finished"));
        if (!(v = sync_jobj_get(o, "exit_code")) || !sync_parse_u64(v, &x) ||
            x > 255) {
            rc = runs_corrupt(st, err, i, "exit_code");
            goto done;
        }
        r->exit_code = (int)x;
        if ((v = sync_jobj_get(o, "total_seats_consumed")) &&
            sync_parse_u64(v, &x)) {
            r->has_seats = true;
            r->seats = x;
        }
        copy_field(r->upload, sizeof r->upload, sync_jobj_get(o, "upload"));
        copy_field(r->key, sizeof r->key, sync_jobj_get(o, "idempotency_key"));
        copy_field(r->error, sizeof r->error, sync_jobj_get(o, "error"));
    }
    *n = nobj;
done:
    if (rc) {
        free(*runs);
        *runs = NULL;
    }
    sync_jobjs_free(objs, nobj);
    free(buf);
    return rc;
}

typedef struct runs_out {
    const sync_run_rec *runs;
    size_t n;
} runs_out;

static int write_runs(FILE *f, void *ctx, sync_err *err)
{
    const runs_out *ro = ctx;
    (void)err;
    fputs("[\n", f);
    for (size_t i = 0; i < ro->n; i++) {
        const sync_run_rec *r = &ro->runs[i];
        fprintf(f, "{\"id\":%llu,\"started\":", (unsigned long long)r->id);
        sync_json_string(f, r->started);
        fputs(",\"finished\":", f);
        sync_json_string(f, r->finished);
        fprintf(f, ",\"status\":\"%s\",\"exit_code\":%d",
                sync_status_word(r->exit_code == 0), r->exit_code);
        fputs(",\"total_seats_consumed\":", f);
        if (r->has_seats)
            fprintf(f, "%llu", (unsigned long long)r->seats);
        else
            fputs("null", f);
        fputs(",\"upload\":", f);
        sync_json_string(f, r->upload);
        fputs(",\"idempotency_key\":", f);
        sync_json_string_or_null(f, r->key[0] ? r->key : NULL);
        fputs(",\"error\":", f);
        sync_json_string_or_null(f, r->error[0] ? r->error : NULL);
        fputs(i + 1 < ro->n ? "},\n" : "}\n", f);
    }
    fputs("]\n", f);
    return 0;
}

bool sync_runs_last_ended(const sync_run_rec *runs, size_t n, time_t now,
                          time_t *last)
{
    bool ran = false;
    *last = 0;
    for (size_t i = 0; i < n; i++) {
        time_t t;
        if ((sync_time_parse_rfc3339(runs[i].finished, &t) ||
             sync_time_parse_rfc3339(runs[i].started, &t)) &&
            t <= now) {
            ran = true;
            if (runs[i].exit_code == 0 && t > *last)
                *last = t;
        }
    }
    return ran;
}

int sync_runs_append(sync_state *st, const sync_run_rec *rec, sync_err *err)
{
    sync_run_rec *runs = NULL;
    size_t n = 0;
    int rc = sync_runs_load(st, &runs, &n, err);
    if (rc) {
        /* A corrupt history must not block recording new runs. */
        sync_log("warning", "%s; starting a new run history", err->msg);
        free(runs);
        runs = NULL;
        n = 0;
    }
    sync_run_rec *all = realloc(runs, (n + 1) * sizeof *all);
    if (!all) {
        free(runs);
        return sync_fail(err, CLI_EX_SOFTWARE, "out of memory");
    }
    all[n++] = *rec;
    runs_out ro = {all, n};
    if (n > SYNC_RUNS_KEEP) {
        /* The newest SYNC_RUNS_KEEP runs, but never without the newest
         * success while there is one: a source down for a week fills the
         * history with failed retries, and the last good run is what
         * status and the daemon's plan need. It takes the place of the
         * oldest run kept, so the history stays in order. */
        size_t first = n - SYNC_RUNS_KEEP, ok = n;
        for (size_t i = n; i-- > 0 && ok == n;)
            if (all[i].exit_code == 0)
                ok = i;
        if (ok < first)
            all[first] = all[ok];
        ro.runs = all + first;
        ro.n = SYNC_RUNS_KEEP;
    }
    rc = sync_state_write(st, "runs.json", write_runs, &ro, err);
    free(all);
    return rc;
}

/* ---- sources.json ---- */

int sync_sources_load(sync_state *st, sync_source_rec **recs, size_t *n,
                      sync_err *err)
{
    char *buf = NULL;
    size_t len;
    sync_jobj *objs = NULL;
    size_t nobj = 0;
    int rc =
        sync_state_read(st, "sources.json", STATE_FILE_MAX, &buf, &len, err);
    *recs = NULL;
    *n = 0;
    if (rc == CLI_EX_NOINPUT)
        return 0;
    if (rc)
        return rc;
    if (!sync_jobjs_parse(buf, len, &objs, &nobj)) {
        rc =
            sync_fail(err, CLI_EX_IOERR, "%s/sources.json is corrupt", st->dir);
        goto done;
    }
    *recs = calloc(nobj ? nobj : 1, sizeof **recs);
    if (!*recs) {
        rc = sync_fail(err, CLI_EX_SOFTWARE, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < nobj; i++) {
        sync_source_rec *r = &(*recs)[i];
        const sync_jobj *o = &objs[i];
        const char *v;
        uint64_t x;
        const char *kind = sync_jobj_get(o, "kind");
        const char *name = sync_jobj_get(o, "name");
        if (!kind || (strcmp(kind, "ghes") != 0 && strcmp(kind, "ghec") != 0) ||
            !name || !*name || !sync_jobj_get(o, "status")) {
            rc = sync_fail(err, CLI_EX_IOERR,
                           "%s/sources.json is corrupt: record %zu is not a "
                           "source's last sync",
                           st->dir, i + 1);
            goto done;
        }
        copy_field(r->kind, sizeof r->kind, kind);
        copy_field(r->name, sizeof r->name, name);
        copy_field(r->server_id, sizeof r->server_id,
                   sync_jobj_get(o, "server_id"));
        copy_field(r->date, sizeof r->date, sync_jobj_get(o, "date"));
        v = sync_jobj_get(o, "status");
        r->success = v && strcmp(v, "success") == 0;
        copy_field(r->error, sizeof r->error, sync_jobj_get(o, "error"));
        if ((v = sync_jobj_get(o, "accounts")) && sync_parse_u64(v, &x)) {
            r->has_accounts = true;
            r->accounts = x;
        }
    }
    *n = nobj;
done:
    if (rc) {
        free(*recs);
        *recs = NULL;
    }
    sync_jobjs_free(objs, nobj);
    free(buf);
    return rc;
}

typedef struct sources_out {
    const sync_source_rec *recs;
    size_t n;
} sources_out;

static int write_sources(FILE *f, void *ctx, sync_err *err)
{
    const sources_out *so = ctx;
    (void)err;
    fputs("[\n", f);
    for (size_t i = 0; i < so->n; i++) {
        const sync_source_rec *r = &so->recs[i];
        fputs("{\"kind\":", f);
        sync_json_string(f, r->kind);
        fputs(",\"name\":", f);
        sync_json_string(f, r->name);
        fputs(",\"server_id\":", f);
        sync_json_string_or_null(f, r->server_id[0] ? r->server_id : NULL);
        fputs(",\"date\":", f);
        sync_json_string_or_null(f, r->date[0] ? r->date : NULL);
        fprintf(f,
                ",\"status\":\"%s\",\"error\":", sync_status_word(r->success));
        sync_json_string_or_null(f, r->error[0] ? r->error : NULL);
        fputs(",\"accounts\":", f);
        if (r->has_accounts)
            fprintf(f, "%llu", (unsigned long long)r->accounts);
        else
            fputs("null", f);
        fputs(i + 1 < so->n ? "},\n" : "}\n", f);
    }
    fputs("]\n", f);
    return 0;
}

int sync_sources_save(sync_state *st, const sync_source_rec *recs, size_t n,
                      sync_err *err)
{
    sources_out so = {recs, n};
    return sync_state_write(st, "sources.json", write_sources, &so, err);
}
