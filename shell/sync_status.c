/*
 * `headcount status`: what the last runs did and what comes next, read
 * from the state directory without taking the run lock (every state file
 * is replaced atomically, so a reader sees the old or the new version).
 * Per instance, under "server_instances", it prints the shape of GitHub's
 * license-sync-status:
 * {"server_id", "hostname", "last_sync": {"date", "status", "error"}}.
 * Secrets are never read here.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>

#include "cli.h"
#include "sync.h"

typedef struct status_data {
    sync_run_rec *runs;
    size_t n_runs;
    sync_source_rec *sources;
    size_t n_sources;
    sync_outbox_entry pending;   /* the newest entry */
    sync_outbox_entry delivered; /* the newest marked delivered */
    size_t n_pending;            /* entries not marked delivered */
    bool daemon;                 /* a live daemon published its plan */
    long daemon_pid;
    char next_run[32]; /* RFC 3339, from the daemon; "" without one */
} status_data;

static const char *const day_names[7] = {"Sun", "Mon", "Tue", "Wed",
                                         "Thu", "Fri", "Sat"};

static const sync_source_rec *find_source(const status_data *d,
                                          const char *kind, const char *name)
{
    for (size_t i = 0; i < d->n_sources; i++)
        if (strcmp(d->sources[i].kind, kind) == 0 &&
            strcmp(d->sources[i].name, name) == 0)
            return &d->sources[i];
    return NULL;
}

/*
 * Whether a daemon holds STATE/daemon.lock: 1 held, 0 not, -1 unknown.
 * Read from /proc/locks, which lists flock locks by device, inode and
 * holder's PID, so that asking takes no lock (a probe with flock could
 * make a daemon that starts at that moment think another one runs). pid
 * is the daemon's published PID: on btrfs and overlayfs the device of
 * /proc/locks is not the one stat() gives (sync_proc_locks_line_holds).
 */
static int daemon_lock_held(const sync_state *st, long pid)
{
    struct stat sb;
    if (fstatat(st->dirfd, "daemon.lock", &sb, AT_SYMLINK_NOFOLLOW) != 0)
        return errno == ENOENT ? 0 : -1;
    FILE *f = fopen("/proc/locks", "re");
    if (!f)
        return -1;
    char line[256];
    int held = 0;
    while (!held && fgets(line, sizeof line, f))
        if (sync_proc_locks_line_holds(line, (uint64_t)sb.st_ino,
                                       major(sb.st_dev), minor(sb.st_dev), pid))
            held = 1;
    fclose(f);
    return held;
}

static void read_daemon(sync_state *st, status_data *d)
{
    char *buf = NULL;
    size_t len;
    sync_jobj *objs = NULL;
    size_t n = 0;
    sync_err e;
    if (sync_state_read(st, "daemon.json", 4096, &buf, &len, &e) != 0)
        return;
    if (sync_jobjs_parse(buf, len, &objs, &n) && n == 1) {
        const char *pid = sync_jobj_get(&objs[0], "pid");
        const char *next = sync_jobj_get(&objs[0], "next_run");
        uint64_t p;
        time_t t;
        /* A daemon killed with SIGKILL leaves its file behind, and its
         * PID may since name another process: the daemon runs when its
         * lock is held (the PID is asked only where that is unknown). */
        if (!pid || !sync_parse_u64(pid, &p) || p == 0 ||
            p >= (uint64_t)1 << 31)
            p = 0;
        int held = daemon_lock_held(st, (long)p);
        if (p && next && sync_time_parse_rfc3339(next, &t) &&
            (held == 1 ||
             (held < 0 && (kill((pid_t)p, 0) == 0 || errno == EPERM)))) {
            d->daemon = true;
            d->daemon_pid = (long)p;
            snprintf(d->next_run, sizeof d->next_run, "%s", next);
        }
    }
    sync_jobjs_free(objs, n);
    free(buf);
}

static void json_last_sync(FILE *f, const sync_source_rec *r)
{
    if (!r) {
        fputs("null", f);
        return;
    }
    fputs("{\"date\":", f);
    sync_json_string_or_null(f, r->date[0] ? r->date : NULL);
    fprintf(f, ",\"status\":\"%s\",\"error\":", sync_status_word(r->success));
    sync_json_string_or_null(f, r->error[0] ? r->error : NULL);
    fputc('}', f);
}

static void print_json(const sync_config *cfg, const status_data *d)
{
    FILE *f = stdout;
    fputs("{\"state_dir\":", f);
    sync_json_string(f, cfg->state_dir);
    /* Only a running daemon plans runs: without one, the systemd timer
     * or cron start them, on a calendar of their own. */
    fputs(",\"next_run\":", f);
    sync_json_string_or_null(f, d->daemon ? d->next_run : NULL);
    fprintf(f, ",\"next_run_source\":\"%s\"", d->daemon ? "daemon" : "none");
    fprintf(f,
            ",\"schedule\":{\"weekly\":\"%s %02d:%02d\",\"jitter_seconds\":"
            "%llu}",
            day_names[cfg->weekly.wday], cfg->weekly.hour, cfg->weekly.minute,
            (unsigned long long)(cfg->jitter_ms / 1000));
    if (d->daemon)
        fprintf(f, ",\"daemon_pid\":%ld", d->daemon_pid);
    else
        fputs(",\"daemon_pid\":null", f);
    fprintf(f,
            ",\"outbox\":{\"pending\":%zu,\"idempotency_key\":", d->n_pending);
    sync_json_string_or_null(
        f, d->pending.present && !d->pending.delivered ? d->pending.key : NULL);
    fputs(",\"delivered_not_in_place\":", f);
    sync_json_string_or_null(f, d->delivered.present ? d->delivered.key : NULL);
    fputs("},\"runs\":[", f);
    /* Newest first. */
    for (size_t k = 0; k < d->n_runs; k++) {
        const sync_run_rec *r = &d->runs[d->n_runs - 1 - k];
        fprintf(f, "%s{\"id\":%llu,\"started\":", k ? "," : "",
                (unsigned long long)r->id);
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
        fputc('}', f);
    }
    fputs("],\"server_instances\":[", f);
    for (size_t i = 0; i < cfg->n_ghes; i++) {
        const sync_source_rec *r = find_source(d, "ghes", cfg->ghes[i].host);
        fputs(i ? ",{\"server_id\":" : "{\"server_id\":", f);
        sync_json_string_or_null(f, r && r->server_id[0] ? r->server_id : NULL);
        fputs(",\"hostname\":", f);
        sync_json_string(f, cfg->ghes[i].host);
        fputs(",\"last_sync\":", f);
        json_last_sync(f, r);
        fputc('}', f);
    }
    fputs("],\"ghec\":", f);
    if (cfg->ghec.present) {
        const char *name =
            cfg->ghec.enterprise.s ? cfg->ghec.enterprise.s : cfg->ghec.file.s;
        fputs("{\"enterprise\":", f);
        sync_json_string_or_null(f, cfg->ghec.enterprise.s);
        fputs(",\"file\":", f);
        sync_json_string_or_null(f, cfg->ghec.file.s);
        fputs(",\"last_sync\":", f);
        json_last_sync(f, find_source(d, "ghec", name));
        fputc('}', f);
    } else {
        fputs("null", f);
    }
    fputs("}\n", f);
}

static void print_last_sync(const sync_source_rec *r)
{
    if (!r) {
        printf("never synced\n");
        return;
    }
    printf("last sync %s %s%s%s\n", r->date, sync_status_word(r->success),
           r->error[0] ? ": " : "", r->error);
}

static void print_human(const sync_config *cfg, const status_data *d)
{
    printf("state directory: %s\n", cfg->state_dir);
    if (d->daemon)
        printf("next run: %s (daemon pid %ld)\n", d->next_run, d->daemon_pid);
    else
        printf("next run: not planned here, no daemon running ([schedule] "
               "%s %02d:%02d local time plus up to %llu s applies to "
               "`headcount daemon`; a systemd timer or cron starts `sync` "
               "on its own calendar)\n",
               day_names[cfg->weekly.wday], cfg->weekly.hour,
               cfg->weekly.minute, (unsigned long long)(cfg->jitter_ms / 1000));
    if (d->pending.present && !d->pending.delivered)
        printf("outbox: %zu report%s waiting (idempotency key %s)\n",
               d->n_pending, d->n_pending == 1 ? "" : "s", d->pending.key);
    else if (!d->delivered.present)
        printf("outbox: empty\n");
    if (d->delivered.present)
        printf("outbox: report %s (run %llu) was delivered; the next run "
               "puts it in place as report.json\n",
               d->delivered.key, (unsigned long long)d->delivered.seq);
    if (d->n_runs == 0)
        printf("runs: none yet\n");
    else
        printf("runs (newest first):\n");
    for (size_t k = 0; k < d->n_runs; k++) {
        const sync_run_rec *r = &d->runs[d->n_runs - 1 - k];
        char seats[32];
        if (r->has_seats)
            snprintf(seats, sizeof seats, "%llu seats",
                     (unsigned long long)r->seats);
        else
            snprintf(seats, sizeof seats, "no count");
        printf("  #%llu %s %-7s %-12s upload %s%s%s\n",
               (unsigned long long)r->id, r->started,
               sync_status_word(r->exit_code == 0), seats, r->upload,
               r->error[0] ? "  error: " : "", r->error);
    }
    for (size_t i = 0; i < cfg->n_ghes; i++) {
        const sync_source_rec *r = find_source(d, "ghes", cfg->ghes[i].host);
        printf("ghes %s (server_id %s): ", cfg->ghes[i].host,
               r && r->server_id[0] ? r->server_id : "unknown");
        print_last_sync(r);
    }
    if (cfg->ghec.present) {
        const char *name =
            cfg->ghec.enterprise.s ? cfg->ghec.enterprise.s : cfg->ghec.file.s;
        printf("ghec %s: ", name);
        print_last_sync(find_source(d, "ghec", name));
    }
}

const char cli_status_usage[] =
    "usage: headcount status --config FILE [--json]\n"
    "\n"
    "Shows the last sync runs (time, status, seats, upload), the next\n"
    "run a running daemon planned, the outbox, and per GHES instance its\n"
    "server_id, hostname and last_sync {date, status, error}. Reads only\n"
    "the state directory; never the token files.\n"
    "\n"
    "  --config FILE   the INI configuration (docs/config.md)\n"
    "  --json          one JSON object instead of text\n";

int cli_status_main(int argc, char **argv)
{
    const char *path;
    bool json;
    sync_config *cfg = NULL;
    sync_err err = {{0}};
    sync_state st = {.dir = NULL, .dirfd = -1, .lockfd = -1};
    status_data d;
    memset(&d, 0, sizeof d);
    int rc = sync_parse_config_arg("status", argc, argv, &path, &json);
    if (rc)
        return rc;
    if ((rc = sync_config_load(path, SYNC_CONFIG_STATUS, &cfg, &err)) != 0)
        goto done;
    rc = sync_state_open(cfg->state_dir, false, &st, &err);
    if (rc == CLI_EX_NOINPUT) {
        rc = 0; /* no run yet: an empty status */
    } else if (rc) {
        goto done;
    } else {
        SYNC_TRY(sync_runs_load(&st, &d.runs, &d.n_runs, &err));
        SYNC_TRY(sync_sources_load(&st, &d.sources, &d.n_sources, &err));
        SYNC_TRY(sync_outbox_newest(&st, false, &d.pending, &d.delivered,
                                    &d.n_pending, &err));
        read_daemon(&st, &d);
    }
    if (json)
        print_json(cfg, &d);
    else
        print_human(cfg, &d);
    /* A failed write to stdout is reported once, by cli_stdout_check. */
done:
    if (rc && err.msg[0])
        cli_errorf("%s", err.msg);
    free(d.runs);
    free(d.sources);
    sync_state_close(&st);
    sync_config_free(cfg);
    return rc;
}
