/*
 * `headcount sync`: one complete run, shared with the daemon. The order of
 * a run is fixed: lock the state directory (one run at a time), read the
 * secrets (refusing files others can read), fetch every source, count
 * with the engine only when every source was fetched (a count missing an
 * instance would be low and misleading), write report.json and
 * summary.json as temporaries, put the report in the outbox (the local
 * report.json and summary.json beside it) and deliver the newest outbox
 * entry (also when this run produced no report, so that a pending one is
 * not stuck behind a source outage); the local pair of the entry delivered
 * then replaces report.json and summary.json. Without [upload], the new
 * pair replaces them only if the whole run succeeded. Last, record the run
 * and each source's last_sync. The exit code is that of the first
 * failure.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "headcount/headcount.h"
#include "cli.h"
#include "cli_output.h"
#include "sync.h"
#include "sync_secret.h"

/* A message holds an engine diagnostic and a source's name around it. */
_Static_assert(SYNC_MSG_MAX >= HC_DIAG_TEXT_MAX + 512,
               "SYNC_MSG_MAX cannot hold an engine diagnostic");

volatile sig_atomic_t sync_got_hup = 0;
volatile sig_atomic_t sync_got_usr1 = 0;
static int wake_fd = -1;

static void on_signal(int sig)
{
    int saved = errno;
    if (sig == SIGTERM || sig == SIGINT)
        sync_stop = 1;
    else if (sig == SIGHUP)
        sync_got_hup = 1;
    else if (sig == SIGUSR1)
        sync_got_usr1 = 1;
    if (wake_fd >= 0) {
        /* A full pipe already holds a wake-up; the flag carries the rest. */
        ssize_t r = write(wake_fd, "x", 1);
        (void)r;
    }
    errno = saved;
}

int sync_signals_install(int fd, bool with_daemon_signals, sync_err *err)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    wake_fd = fd;
    int sigs[] = {SIGTERM, SIGINT, SIGHUP, SIGUSR1};
    size_t n = with_daemon_signals ? 4 : 2;
    for (size_t i = 0; i < n; i++) {
        /* SA_RESTART spares file I/O from EINTR; poll() and nanosleep()
         * still return early, which is what wakes the loops. A second
         * SIGTERM/SIGINT kills at once (SA_RESETHAND): every state file
         * is crash-safe. */
        sa.sa_flags = SA_RESTART | (i < 2 ? SA_RESETHAND : 0);
        if (sigaction(sigs[i], &sa, NULL) != 0)
            return sync_fail(err, CLI_EX_SOFTWARE, "sigaction: %s",
                             strerror(errno));
    }
    signal(SIGPIPE, SIG_IGN);
    return 0;
}

int sync_secrets_read(const sync_config *cfg, sync_secrets *s, sync_err *err)
{
    int rc = 0;
    char what[320];
    memset(s, 0, sizeof *s);
    s->ghes_tokens =
        calloc(cfg->n_ghes ? cfg->n_ghes : 1, sizeof *s->ghes_tokens);
    if (!s->ghes_tokens)
        return sync_fail(err, CLI_EX_SOFTWARE, "out of memory");
    for (size_t i = 0; i < cfg->n_ghes; i++) {
        const sync_ghes_conf *g = &cfg->ghes[i];
        if (!g->token_file.s)
            continue;
        snprintf(what, sizeof what, "token_file of [ghes \"%s\"]", g->host);
        SYNC_TRY(sync_secret_read(g->token_file.s, what, SYNC_SECRET_TOKEN,
                                  &s->ghes_tokens[i], err));
    }
    if (cfg->ghec.token_file.s)
        SYNC_TRY(sync_secret_read(cfg->ghec.token_file.s,
                                  "token_file of [ghec]", SYNC_SECRET_TOKEN,
                                  &s->ghec_token, err));
    const sync_upload_conf *u = &cfg->upload;
    if (u->present && u->token_file.s)
        SYNC_TRY(sync_secret_read(u->token_file.s, "token_file of [upload]",
                                  SYNC_SECRET_TOKEN, &s->upload_token, err));
    if (u->present && u->url_file.s) {
        SYNC_TRY(sync_secret_read(u->url_file.s, "url_file of [upload]",
                                  SYNC_SECRET_TOKEN, &s->upload_url, err));
        /* Checked before anything is fetched, as a url is at load: a run
         * must not count for minutes only to find it cannot deliver. */
        SYNC_TRY(sync_http_check_url(s->upload_url.data, u->allow_insecure,
                                     false, "[upload] url_file's URL", err));
    }
    if (u->present && u->hmac_key_file.s)
        SYNC_TRY(sync_secret_read(u->hmac_key_file.s,
                                  "hmac_key_file of [upload]", SYNC_SECRET_KEY,
                                  &s->hmac_key, err));
    if (u->present && u->pseudonymize_key_file.s)
        SYNC_TRY(sync_secret_read(u->pseudonymize_key_file.s,
                                  "pseudonymize_key_file of [upload]",
                                  SYNC_SECRET_KEY, &s->pseudo_key, err));
done:
    return rc;
}

void sync_secrets_wipe(const sync_config *cfg, sync_secrets *s)
{
    if (s->ghes_tokens)
        for (size_t i = 0; i < cfg->n_ghes; i++)
            sync_secret_wipe(&s->ghes_tokens[i]);
    free(s->ghes_tokens);
    s->ghes_tokens = NULL;
    sync_secret_wipe(&s->ghec_token);
    sync_secret_wipe(&s->upload_token);
    sync_secret_wipe(&s->upload_url);
    sync_secret_wipe(&s->hmac_key);
    sync_secret_wipe(&s->pseudo_key);
}

/* ---- counting ---- */

typedef struct report_ctx {
    const hc_result *result;
    const sync_secret *key; /* pseudonymization key, or NULL */
    uint64_t elapsed_ms;
    const char *dest; /* where the report goes, for errors */
} report_ctx;

/* Fails with the status of a report or summary writer, naming dest and
 * the system's reason for a failed write. */
static int write_fail(hc_status st, int e, const char *what, const char *dest,
                      sync_err *err)
{
    return sync_fail(err, hc_status_exit_code(st),
                     "%s: cannot write the %s: %s", dest, what,
                     st == HC_ERR_IO && e ? strerror(e) : hc_status_str(st));
}

static int write_report(FILE *f, void *ud, sync_err *err)
{
    report_ctx *r = ud;
    hc_report_options o = {0};
    if (r->key && r->key->data) {
        o.hmac_key = (const unsigned char *)r->key->data;
        o.hmac_key_len = r->key->len;
    }
    errno = 0;
    hc_status st = hc_report_write_json(r->result, &o, hc_write_file, f);
    if (st != HC_OK)
        return write_fail(st, errno, "report", r->dest, err);
    return 0;
}

static int write_summary(FILE *f, void *ud, sync_err *err)
{
    report_ctx *r = ud;
    errno = 0;
    hc_status st =
        hc_summary_write_json(r->result, r->elapsed_ms, hc_write_file, f);
    if (st == HC_OK && fputc('\n', f) == EOF)
        st = HC_ERR_IO;
    if (st != HC_OK)
        return write_fail(st, errno, "summary", "summary.json", err);
    return 0;
}

/*
 * The new report.json and summary.json of a run, written and synced as
 * temporaries. Without [upload] they are renamed into place only when the
 * whole run succeeded; with it they move beside the report's outbox entry
 * and into place once that entry is delivered (outputs_park). A run that
 * fails anywhere, the upload included, leaves the previous pair as it was.
 * Both renames come last, so a failed write (a full disk, say) replaces
 * neither; only the second rename can still fail after the first, which on
 * one file system it does not for want of space.
 */
typedef struct run_outputs {
    FILE *report;  /* the temporary of report.json, or NULL */
    FILE *summary; /* the temporary of summary.json, or NULL */
} run_outputs;

static void outputs_abort(sync_state *st, run_outputs *o)
{
    if (o->report)
        sync_state_tmp_abort(st, "report.json", o->report);
    if (o->summary)
        sync_state_tmp_abort(st, "summary.json", o->summary);
    o->report = o->summary = NULL;
}

static int outputs_prepare(sync_state *st, report_ctx *rctx, run_outputs *o,
                           sync_err *err)
{
    int r = sync_state_tmp_open(st, "report.json", &o->report, err);
    if (!r)
        r = write_report(o->report, rctx, err);
    if (!r)
        r = sync_state_tmp_flush(st, "report.json", o->report, err);
    if (!r)
        r = sync_state_tmp_open(st, "summary.json", &o->summary, err);
    if (!r)
        r = write_summary(o->summary, rctx, err);
    if (!r)
        r = sync_state_tmp_flush(st, "summary.json", o->summary, err);
    if (r)
        outputs_abort(st, o);
    return r;
}

/* Renames the temporaries to summary_rel, then report_rel: the report
 * moves last, so that a run failing in either commit has not replaced
 * report.json (only a failure to sync the directory after the report's
 * own rename comes later, and its error says so). */
static int outputs_commit(sync_state *st, run_outputs *o,
                          const char *report_rel, const char *summary_rel,
                          sync_err *err)
{
    FILE *rf = o->report, *sf = o->summary;
    o->report = o->summary = NULL;
    int r = sync_state_tmp_commit_as(st, "summary.json", sf, summary_rel, err);
    if (r) {
        sync_state_tmp_abort(st, "report.json", rf);
        return r;
    }
    return sync_state_tmp_commit_as(st, "report.json", rf, report_rel, err);
}

/* With [upload], the new pair waits beside its outbox entry and is renamed
 * into place when that entry is delivered, by this run or a later one: so
 * report.json is always the local copy of the newest delivered report,
 * also when a later run that failed delivered it. */
static int outputs_park(sync_state *st, run_outputs *o,
                        const sync_outbox_entry *entry, sync_err *err)
{
    char rrel[400], srel[400];
    sync_outbox_local_rel(entry, false, rrel, sizeof rrel);
    sync_outbox_local_rel(entry, true, srel, sizeof srel);
    return outputs_commit(st, o, rrel, srel, err);
}

/* One source of this run, in config order: GHES instances, then GHEC. */
typedef struct run_source {
    sync_source_rec rec;
    sync_fetched fetched;
    bool fetched_ok;
} run_source;

/* Loads every fetched source and counts; fills the sources' account
 * numbers. The result borrows from the census: the caller destroys the
 * result first, then *census_out. */
static int count(const sync_config *cfg, run_source *src, size_t n_src,
                 hc_census **census_out, hc_result **out, uint64_t *elapsed_ms,
                 sync_err *err)
{
    int rc = 0;
    hc_census *census = NULL;
    hc_input *ins = NULL;
    hc_load_stats *stats = NULL;
    uint64_t t0 = sync_now_ms();
    hc_census_options co = {.threads = cfg->threads,
                            .verified_domains = cfg->domains};
    hc_status st = hc_census_create(&co, &census);
    if (st != HC_OK) {
        rc = sync_fail(err, hc_status_exit_code(st), "census: %s",
                       hc_status_str(st));
        goto done;
    }
    /* Every fetched export in one load: parsed side by side. */
    ins = calloc(n_src ? n_src : 1, sizeof *ins);
    stats = calloc(n_src ? n_src : 1, sizeof *stats);
    if (!ins || !stats) {
        rc = sync_fail(err, hc_status_exit_code(HC_ERR_NOMEM), "census: %s",
                       hc_status_str(HC_ERR_NOMEM));
        goto done;
    }
    for (size_t i = 0; i < n_src; i++) {
        bool ghes = strcmp(src[i].rec.kind, "ghes") == 0;
        const char *local = src[i].fetched.local;
        /* A local GHEC export keeps its own file name as its source
         * name, not its copy's. */
        const char *slash = local ? strrchr(local, '/') : NULL;
        const char *name = slash ? slash + 1 : local;
        ins[i] = (hc_input){.role = ghes ? HC_INPUT_GHES : HC_INPUT_GHEC,
                            .path = src[i].fetched.path,
                            .host = ghes ? src[i].rec.name : NULL,
                            .name = !ghes && name && *name ? name : NULL};
    }
    hc_load_options lo = {.threads = cfg->threads};
    hc_diag diag;
    size_t failed = 0;
    st = hc_census_load_many(census, ins, n_src, &lo, stats, &failed, &diag);
    /* The exports before a failing one were read whole. */
    for (size_t i = 0; i < (st == HC_OK ? n_src : failed); i++) {
        src[i].rec.has_accounts = true;
        src[i].rec.accounts = stats[i].accounts;
    }
    if (st != HC_OK) {
        run_source *s = &src[failed];
        bool ghes = ins[failed].role == HC_INPUT_GHES;
        char where[HC_DIAG_TEXT_MAX];
        int code = hc_status_exit_code(st);
        /* An error in the copy of a local export names the export. */
        if (s->fetched.local && strcmp(diag.file, s->fetched.path) == 0)
            sync_strlcpy(diag.file, s->fetched.local, sizeof diag.file);
        if (diag.file[0] || diag.message[0])
            hc_diag_format(&diag, where, sizeof where);
        else
            snprintf(where, sizeof where, "%.900s: %s",
                     s->fetched.local ? s->fetched.local : s->fetched.path,
                     hc_status_str(st));
        /* Bad bytes from a server are a protocol failure (76), bad
         * bytes in a local export a data error (65). */
        if (s->fetched.remote && code == CLI_EX_DATAERR)
            code = CLI_EX_PROTOCOL;
        rc = sync_fail(err, code, "%s %s: %s", ghes ? "GHES" : "GHEC",
                       s->rec.name, where);
        s->rec.success = false;
        sync_strlcpy(s->rec.error, err->msg, sizeof s->rec.error);
        goto done;
    }
    st = hc_census_run(census, cfg->policy, out);
    if (st != HC_OK) {
        rc = sync_fail(err, hc_status_exit_code(st), "count: %s",
                       hc_status_str(st));
        goto done;
    }
    *elapsed_ms = sync_now_ms() - t0;
done:
    free(ins);
    free(stats);
    *census_out = census;
    return rc;
}

/* Keeps the first failure: its code is the run's exit code. */
static void note_failure(int *first_rc, sync_err *first, int rc,
                         const sync_err *e)
{
    sync_log("error", "%s", e->msg);
    if (!*first_rc) {
        *first_rc = rc;
        *first = *e;
    }
}

/* The number after every recorded run and pending report; 0 when the
 * largest is UINT64_MAX, which only an edited or corrupt state directory
 * holds (numbers grow by one a run). */
static uint64_t next_run_id(const sync_run_rec *runs, size_t n,
                            const sync_outbox_entry *pending)
{
    uint64_t id = 0;
    for (size_t i = 0; i < n; i++)
        if (runs[i].id > id)
            id = runs[i].id;
    if (pending->present && pending->seq > id)
        id = pending->seq;
    return id == UINT64_MAX ? 0 : id + 1;
}

int sync_run_once(const sync_config *cfg, sync_run_result *res, sync_err *err)
{
    int rc = 0, first_rc = 0;
    sync_err first, e;
    sync_state st = {.dir = NULL, .dirfd = -1, .lockfd = -1};
    sync_secrets sec;
    sync_run_rec *runs = NULL;
    size_t n_runs = 0;
    run_source *src = NULL;
    size_t n_src = cfg->n_ghes + (cfg->ghec.present ? 1 : 0);
    CURL *h = NULL;
    hc_census *census = NULL;
    hc_result *result = NULL;
    bool recorded = false;
    run_outputs outs = {NULL, NULL};
    memset(&sec, 0, sizeof sec);
    memset(res, 0, sizeof *res);
    memset(&first, 0, sizeof first);
    sync_run_rec *rec = &res->rec;
    sync_time_rfc3339(time(NULL), rec->started);
    sync_strlcpy(rec->upload, cfg->upload.present ? "none" : "disabled",
                 sizeof rec->upload);

    SYNC_TRY(sync_state_open(cfg->state_dir, true, &st, err));
    SYNC_TRY(sync_state_lock(&st, err));
    res->locked = true;
    sync_state_clean_tmp(&st);
    sync_outbox_entry pending, delivered;
    SYNC_TRY(sync_outbox_newest(&st, false, &pending, &delivered, NULL, err));
    rc = sync_runs_load(&st, &runs, &n_runs, &e);
    if (rc) {
        sync_log("warning", "%s", e.msg);
        rc = 0;
    }
    rec->id = next_run_id(runs, n_runs, &pending);
    if (rec->id == 0) {
        rc = sync_fail(err, CLI_EX_IOERR,
                       "%s: a run or outbox number is %llu, the largest "
                       "there is (runs.json or outbox/ edited or corrupt)",
                       st.dir, (unsigned long long)UINT64_MAX);
        goto done;
    }
    sync_log("info", "sync run %llu started (state %s)",
             (unsigned long long)rec->id, st.dir);

    src = calloc(n_src ? n_src : 1, sizeof *src);
    if (!src) {
        rc = sync_fail(err, CLI_EX_SOFTWARE, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < cfg->n_ghes; i++) {
        snprintf(src[i].rec.kind, sizeof src[i].rec.kind, "ghes");
        sync_strlcpy(src[i].rec.name, cfg->ghes[i].host,
                     sizeof src[i].rec.name);
    }
    if (cfg->ghec.present) {
        run_source *s = &src[cfg->n_ghes];
        snprintf(s->rec.kind, sizeof s->rec.kind, "ghec");
        sync_strlcpy(s->rec.name,
                     cfg->ghec.enterprise.s ? cfg->ghec.enterprise.s
                                            : cfg->ghec.file.s,
                     sizeof s->rec.name);
    }

    /* A report an earlier run delivered but could not put in place goes
     * there first (with or without [upload] now), before this run's own
     * report can supersede it; failing, it stays marked for the next. */
    if (delivered.present) {
        bool adopted = false;
        int r = sync_outbox_settle(&st, &delivered, &adopted, &e);
        if (r)
            note_failure(&first_rc, &first, r, &e);
        else if (adopted)
            sync_log("info",
                     "report.json: the report of run %llu, delivered "
                     "then, is in place",
                     (unsigned long long)delivered.seq);
    }

    int r = sync_secrets_read(cfg, &sec, &e);
    if (r) {
        note_failure(&first_rc, &first, r, &e);
        goto record;
    }
    h = curl_easy_init();
    if (!h) {
        rc = sync_fail(err, CLI_EX_SOFTWARE, "libcurl: cannot create handle");
        goto done;
    }

    bool all_fetched = true;
    for (size_t i = 0; i < n_src && !sync_stop; i++) {
        run_source *s = &src[i];
        sync_time_rfc3339(time(NULL), s->rec.date);
        if (i < cfg->n_ghes)
            r = sync_fetch_ghes(cfg, &cfg->ghes[i], &sec.ghes_tokens[i], &st, h,
                                &s->fetched, &e);
        else
            r = sync_fetch_ghec(cfg, &sec.ghec_token, &st, h, &s->fetched, &e);
        s->rec.success = r == 0;
        s->fetched_ok = r == 0;
        sync_strlcpy(s->rec.server_id, s->fetched.server_id,
                     sizeof s->rec.server_id);
        if (r) {
            sync_strlcpy(s->rec.error, e.msg, sizeof s->rec.error);
            note_failure(&first_rc, &first, r, &e);
            all_fetched = false;
        }
    }
    if (sync_stop) {
        sync_fail(&e, CLI_EX_TEMPFAIL, "interrupted by a stop request");
        note_failure(&first_rc, &first, CLI_EX_TEMPFAIL, &e);
        goto record;
    }

    if (all_fetched) {
        report_ctx rctx = {0};
        r = count(cfg, src, n_src, &census, &result, &rctx.elapsed_ms, &e);
        if (r) {
            note_failure(&first_rc, &first, r, &e);
        } else {
            hc_summary sum;
            hc_result_summary(result, &sum);
            rec->has_seats = true;
            rec->seats = sum.total_seats_consumed;
            rctx.result = result;
            rctx.dest = "report.json";
            r = outputs_prepare(&st, &rctx, &outs, &e);
            if (r)
                note_failure(&first_rc, &first, r, &e);
            else
                sync_log("info", "counted %llu seats (policy %s)",
                         (unsigned long long)rec->seats,
                         hc_policy_name(cfg->policy));
            if (!r && cfg->upload.present) {
                rctx.key = &sec.pseudo_key;
                rctx.dest = "outbox";
                size_t n = sec.pseudo_key.data ? cli_email_logins(result) : 0;
                if (n)
                    sync_log("warning", "upload: %s", cli_email_logins_text(n));
                r = sync_outbox_put(&st, rec->id, write_report, &rctx, &pending,
                                    &e);
                if (!r)
                    r = outputs_park(&st, &outs, &pending, &e);
                if (r)
                    note_failure(&first_rc, &first, r, &e);
            }
        }
    }

    if (cfg->upload.present) {
        r = sync_outbox_newest(&st, true, &pending, NULL, NULL, &e);
        if (!r && pending.present) {
            sync_strlcpy(rec->key, pending.key, sizeof rec->key);
            bool sent = false;
            if (sync_stop) {
                /* A stop that came while counting or writing: the report
                 * waits in the outbox, and the run, which did not finish
                 * its work, must not pass for a success. */
                r = sync_fail(&e, CLI_EX_TEMPFAIL,
                              "interrupted by a stop request before the "
                              "upload");
            } else if (pending.delivered) {
                /* Delivered by an earlier run; only its settling failed,
                 * at the start of this run too. */
                sent = true;
            } else {
                r = sync_upload_deliver(cfg, &sec, &st, h, &pending, &e);
                sent = r == 0;
            }
            sync_strlcpy(rec->upload, sent ? "delivered" : "pending",
                         sizeof rec->upload);
            bool adopted = false;
            if (sent)
                r = sync_outbox_settle(&st, &pending, &adopted, &e);
            if (adopted) {
                sync_state_path(&st, "report.json", res->report_path,
                                sizeof res->report_path);
                sync_log("info", "report %s (run %llu)", res->report_path,
                         (unsigned long long)pending.seq);
            } else if (!sent && rec->has_seats) {
                sync_log("info", "report.json left as it was: the new "
                                 "report waits in the outbox");
            }
        }
        if (r)
            note_failure(&first_rc, &first, r, &e);
    }

    if (outs.report) {
        /* Without [upload], only a run that did all its work replaces the
         * last report. */
        if (first_rc) {
            outputs_abort(&st, &outs);
            sync_log("info", "report.json left as it was: the run failed");
        } else {
            r = outputs_commit(&st, &outs, "report.json", "summary.json", &e);
            if (r) {
                note_failure(&first_rc, &first, r, &e);
            } else {
                sync_state_path(&st, "report.json", res->report_path,
                                sizeof res->report_path);
                sync_log("info", "report %s", res->report_path);
            }
        }
    }

record:
    recorded = true;
    sync_time_rfc3339(time(NULL), rec->finished);
    rec->exit_code = first_rc;
    sync_strlcpy(rec->error, first_rc ? first.msg : "", sizeof rec->error);
    {
        sync_source_rec *recs = calloc(n_src ? n_src : 1, sizeof *recs);
        if (!recs) {
            rc = sync_fail(err, CLI_EX_SOFTWARE, "out of memory");
            goto done;
        }
        /* A source this run never reached (the secrets failed, or a stop
         * came first) keeps its last attempt: the run's error is another
         * source's, and its last_sync must not show it. One never tried
         * at all stays without a record ("never synced"). */
        sync_source_rec *prev = NULL;
        size_t n_prev = 0, n_recs = 0;
        if (sync_sources_load(&st, &prev, &n_prev, &e) != 0) {
            sync_log("warning", "%s", e.msg);
            n_prev = 0;
        }
        for (size_t i = 0; i < n_src; i++) {
            const sync_source_rec *old = NULL;
            for (size_t k = 0; k < n_prev && !old; k++)
                if (strcmp(prev[k].kind, src[i].rec.kind) == 0 &&
                    strcmp(prev[k].name, src[i].rec.name) == 0)
                    old = &prev[k];
            if (src[i].rec.date[0]) {
                /* A failed fetch learns no server_id: the instance's is
                 * still the one known before. */
                if (!src[i].rec.server_id[0] && old)
                    sync_strlcpy(src[i].rec.server_id, old->server_id,
                                 sizeof src[i].rec.server_id);
                recs[n_recs++] = src[i].rec;
            } else if (old) {
                recs[n_recs++] = *old;
            }
        }
        free(prev);
        r = sync_sources_save(&st, recs, n_recs, &e);
        free(recs);
        if (r)
            note_failure(&first_rc, &first, r, &e);
    }
    r = sync_runs_append(&st, rec, &e);
    if (r)
        note_failure(&first_rc, &first, r, &e);
    rc = first_rc;
    if (rc)
        *err = first;
    sync_log(rc ? "error" : "info", "sync run %llu %s (exit %d)",
             (unsigned long long)rec->id, rc ? "failed" : "succeeded", rc);
done:
    /* Failures before the run could be recorded (no state directory, the
     * lock held elsewhere) still belong in the log. */
    if (rc && !recorded)
        sync_log("error", "%s", err->msg);
    outputs_abort(&st, &outs);
    hc_result_destroy(result);
    hc_census_destroy(census);
    if (h)
        curl_easy_cleanup(h);
    sync_secrets_wipe(cfg, &sec);
    free(src);
    free(runs);
    sync_state_close(&st);
    return rc;
}

const char cli_sync_usage[] =
    "usage: headcount sync --config FILE\n"
    "\n"
    "Runs one sync: fetches every source in the config (GHES all_users.csv,\n"
    "GHEC consumed-licenses, or local exports), counts seats, writes\n"
    "report.json and summary.json into the state directory, uploads the\n"
    "report when [upload] is configured, and records the run.\n"
    "\n"
    "  --config FILE   the INI configuration (docs/config.md)\n"
    "\n"
    "Exit codes: 0 ok, 64 usage, 65 bad local export, 66 missing file,\n"
    "69 server unavailable / TLS failure / 404 / other 5xx, 70 internal,\n"
    "74 I/O, 75 temporary failure or another sync running,\n"
    "76 protocol error, 77 permission (token file mode, HTTP 401/403),\n"
    "78 config error.\n";

int sync_parse_config_arg(const char *cmd, int argc, char **argv,
                          const char **config, bool *json)
{
    *config = NULL;
    if (json)
        *json = false;
    for (int i = 1; i < argc; i++) {
        const char *val = NULL;
        int k = cli_opt_value(cmd, "--config", argc, argv, &i, &val);
        if (k > 0) {
            if (*config)
                return cli_usage_error(cmd, "--config given twice");
            *config = val;
            continue;
        }
        if (k == 0 && json)
            k = cli_opt_flag(cmd, "--json", argv[i]);
        if (k > 0)
            *json = true;
        else if (k < 0)
            return CLI_EX_USAGE;
        else if (argv[i][0] == '-')
            return cli_usage_error(cmd, "unknown option '%s'", argv[i]);
        else
            return cli_usage_error(cmd, "unexpected argument '%s'", argv[i]);
    }
    if (!*config || !**config)
        return cli_usage_error(cmd, "--config FILE is required");
    return 0;
}

int cli_sync_main(int argc, char **argv)
{
    const char *path;
    sync_config *cfg = NULL;
    sync_err err = {{0}};
    sync_run_result *res = NULL;
    int rc = sync_parse_config_arg("sync", argc, argv, &path, NULL);
    if (rc)
        return rc;
    sync_secret_no_core_dumps();
    if ((rc = sync_config_load(path, SYNC_CONFIG_RUN, &cfg, &err)) != 0) {
        cli_errorf("%s", err.msg);
        return rc;
    }
    res = calloc(1, sizeof *res);
    if (!res) {
        rc = CLI_EX_SOFTWARE;
        goto done;
    }
    SYNC_TRY(sync_http_global_init(&err));
    SYNC_TRY(sync_signals_install(-1, false, &err));
    rc = sync_run_once(cfg, res, &err);
    if (res->rec.has_seats)
        printf("total_seats_consumed %llu\n",
               (unsigned long long)res->rec.seats);
    if (res->report_path[0])
        printf("report %s\n", res->report_path);
    if (cfg->upload.present)
        printf("upload %s%s%s\n", res->rec.upload,
               res->rec.key[0] ? " idempotency_key " : "", res->rec.key);
    fflush(stdout);
done:
    if (rc && err.msg[0])
        cli_errorf("%s", err.msg);
    free(res);
    sync_config_free(cfg);
    curl_global_cleanup();
    return rc;
}
