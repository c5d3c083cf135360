/*
 * Fuzz target: the sync configuration parser (shell/sync_config.c, built
 * into this target with the shell sources it needs) on arbitrary INI bytes,
 * read by path from a memfd. A load ends with 0 or 78 (config error) and
 * nothing else. An error message is "path:line: message" with the line
 * inside the file, or "path: message" for a problem of the whole file. On
 * success the parsed values obey the documented rules (exactly one of url
 * and file per source, valid schedule, every value's line inside the file),
 * and loading the same bytes again gives exactly the same values.
 */
#include "fuzz_common.h"
#include "sync_config.h"

static size_t n_lines;   /* lines in the current input */
static const char *path; /* its memfd path */

static bool opt_eq(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static void cstr_same(const sync_cstr *a, const sync_cstr *b, const char *what)
{
    FUZZ_CHECK(opt_eq(a->s, b->s) && a->line == b->line,
               "%s differs between two loads: \"%s\"@%u vs \"%s\"@%u", what,
               a->s ? a->s : "(null)", a->line, b->s ? b->s : "(null)",
               b->line);
}

/* A value set on line l (0 = not set) came from inside the file. */
static void cstr_sane(const sync_cstr *v, const char *what)
{
    FUZZ_CHECK(v->s ? v->line >= 1 : v->line == 0,
               "%s: value and line %u disagree", what, v->line);
    FUZZ_CHECK(v->line <= n_lines, "%s on line %u of a %zu-line file", what,
               v->line, n_lines);
}

static void config_sane(const sync_config *c)
{
    FUZZ_CHECK(c->n_ghes > 0 || c->ghec.present, "no source but success");
    FUZZ_CHECK(c->n_ghes <= SYNC_GHES_MAX, "%zu [ghes] sections", c->n_ghes);
    FUZZ_CHECK(c->policy == HC_POLICY_GITHUB || c->policy == HC_POLICY_EXTENDED,
               "policy %d", (int)c->policy);
    FUZZ_CHECK(c->weekly.wday >= 0 && c->weekly.wday <= 6 &&
                   c->weekly.hour >= 0 && c->weekly.hour <= 23 &&
                   c->weekly.minute >= 0 && c->weekly.minute <= 59,
               "schedule %d %d:%d", c->weekly.wday, c->weekly.hour,
               c->weekly.minute);
    FUZZ_CHECK(c->state_dir != NULL, "no state directory");
    FUZZ_CHECK(!c->verified_domains == !c->domains,
               "verified_domains and the domain set disagree");
    for (size_t i = 0; i < c->n_ghes; i++) {
        const sync_ghes_conf *g = &c->ghes[i];
        FUZZ_CHECK(g->host && *g->host, "[ghes] without a host");
        FUZZ_CHECK(g->line >= 1 && g->line <= n_lines,
                   "[ghes] header on line %u of %zu", g->line, n_lines);
        FUZZ_CHECK(!g->url.s != !g->file.s, "[ghes \"%s\"]: url and file",
                   g->host);
        cstr_sane(&g->url, "ghes url");
        cstr_sane(&g->file, "ghes file");
        cstr_sane(&g->user, "ghes user");
        cstr_sane(&g->token_file, "ghes token_file");
        for (size_t j = 0; j < i; j++)
            FUZZ_CHECK(strcmp(c->ghes[j].host, g->host) != 0,
                       "two [ghes \"%s\"] sections", g->host);
    }
    if (c->ghec.present) {
        FUZZ_CHECK(!c->ghec.api_url.s != !c->ghec.file.s,
                   "[ghec]: api_url and file");
        cstr_sane(&c->ghec.api_url, "ghec api_url");
        cstr_sane(&c->ghec.file, "ghec file");
    }
    if (c->upload.present)
        FUZZ_CHECK(!c->upload.url.s != !c->upload.url_file.s,
                   "[upload]: url and url_file");
}

static void ghes_same(const sync_ghes_conf *a, const sync_ghes_conf *b)
{
    FUZZ_CHECK(strcmp(a->host, b->host) == 0 && a->line == b->line &&
                   a->allow_insecure == b->allow_insecure,
               "[ghes \"%s\"] differs between two loads", a->host);
    cstr_same(&a->url, &b->url, "ghes url");
    cstr_same(&a->file, &b->file, "ghes file");
    cstr_same(&a->user, &b->user, "ghes user");
    cstr_same(&a->token_file, &b->token_file, "ghes token_file");
    cstr_same(&a->ca_file, &b->ca_file, "ghes ca_file");
}

static void config_same(const sync_config *a, const sync_config *b)
{
    FUZZ_CHECK(a->policy == b->policy && a->threads == b->threads &&
                   a->n_ghes == b->n_ghes && a->jitter_ms == b->jitter_ms,
               "engine settings differ between two loads");
    FUZZ_CHECK(opt_eq(a->verified_domains, b->verified_domains) &&
                   hc_domains_count(a->domains) == hc_domains_count(b->domains),
               "verified domains differ between two loads");
    FUZZ_CHECK(opt_eq(a->state_dir, b->state_dir), "state dir differs");
    FUZZ_CHECK(a->weekly.wday == b->weekly.wday &&
                   a->weekly.hour == b->weekly.hour &&
                   a->weekly.minute == b->weekly.minute,
               "schedule differs");
    const sync_http_conf *x = &a->http, *y = &b->http;
    FUZZ_CHECK(x->connect_timeout_ms == y->connect_timeout_ms &&
                   x->low_speed_limit == y->low_speed_limit &&
                   x->low_speed_time_ms == y->low_speed_time_ms &&
                   x->poll_max_wait_ms == y->poll_max_wait_ms &&
                   x->retry_deadline_ms == y->retry_deadline_ms &&
                   x->retry_base_ms == y->retry_base_ms &&
                   x->retry_max_delay_ms == y->retry_max_delay_ms &&
                   x->max_attempts == y->max_attempts,
               "[http] settings differ");
    for (size_t i = 0; i < a->n_ghes; i++)
        ghes_same(&a->ghes[i], &b->ghes[i]);

    const sync_ghec_conf *g = &a->ghec, *h = &b->ghec;
    FUZZ_CHECK(g->present == h->present && g->line == h->line &&
                   g->allow_insecure == h->allow_insecure,
               "[ghec] differs");
    cstr_same(&g->api_url, &h->api_url, "ghec api_url");
    cstr_same(&g->file, &h->file, "ghec file");
    cstr_same(&g->enterprise, &h->enterprise, "ghec enterprise");
    cstr_same(&g->token_file, &h->token_file, "ghec token_file");
    cstr_same(&g->ca_file, &h->ca_file, "ghec ca_file");

    const sync_upload_conf *u = &a->upload, *v = &b->upload;
    FUZZ_CHECK(u->present == v->present && u->line == v->line &&
                   u->put == v->put && u->gzip == v->gzip &&
                   u->allow_insecure == v->allow_insecure &&
                   u->timeout_ms == v->timeout_ms,
               "[upload] differs");
    cstr_same(&u->url, &v->url, "upload url");
    cstr_same(&u->url_file, &v->url_file, "upload url_file");
    cstr_same(&u->token_file, &v->token_file, "upload token_file");
    cstr_same(&u->hmac_key_file, &v->hmac_key_file, "upload hmac_key_file");
    cstr_same(&u->pseudonymize_key_file, &v->pseudonymize_key_file,
              "upload pseudonymize_key_file");
    cstr_same(&u->ca_file, &v->ca_file, "upload ca_file");
}

/* "path:LINE: message" with 1 <= LINE <= lines + 1, or "path: message". */
static void error_sane(const sync_err *e)
{
    size_t pl = strlen(path);
    FUZZ_CHECK(memchr(e->msg, 0, sizeof e->msg) != NULL,
               "unterminated message");
    FUZZ_CHECK(strncmp(e->msg, path, pl) == 0 && e->msg[pl] == ':',
               "error does not name the file: %s", e->msg);
    const char *p = e->msg + pl + 1;
    if (*p == ' ') {
        FUZZ_CHECK(p[1] != '\0', "empty message: %s", e->msg);
        return;
    }
    char *end = NULL;
    unsigned long line = strtoul(p, &end, 10);
    FUZZ_CHECK(end != p && *end == ':' && end[1] == ' ' && end[2] != '\0',
               "error is not \"file:line: message\": %s", e->msg);
    FUZZ_CHECK(line >= 1 && line <= n_lines + 1,
               "error on line %lu of a %zu-line file: %s", line, n_lines,
               e->msg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sync_config *a = NULL, *b = NULL, *s = NULL;
    sync_err ea, eb, es;

    n_lines = 0;
    for (size_t i = 0; i < size; i++)
        n_lines += data[i] == '\n';
    if (size > 0 && data[size - 1] != '\n')
        n_lines++;
    path = fuzz_memfd_put(data, size);

    memset(&ea, 0, sizeof ea);
    memset(&eb, 0, sizeof eb);
    memset(&es, 0, sizeof es);
    int ra = sync_config_load(path, SYNC_CONFIG_RUN, &a, &ea);
    FUZZ_CHECK(ra == 0 || ra == 78, "config load returned %d: %s", ra, ea.msg);
    int rb = sync_config_load(path, SYNC_CONFIG_RUN, &b, &eb);
    FUZZ_CHECK(ra == rb, "two loads returned %d and %d", ra, rb);
    /* status accepts every config a run accepts, read the same way. */
    int rs = sync_config_load(path, SYNC_CONFIG_STATUS, &s, &es);
    FUZZ_CHECK(rs == 0 || rs == 78, "status load returned %d: %s", rs, es.msg);
    if (ra == 0) {
        FUZZ_CHECK(a != NULL && b != NULL, "success without a config");
        FUZZ_CHECK(rs == 0, "status refused a config a run accepts: %s",
                   es.msg);
        config_sane(a);
        config_same(a, b);
        config_same(a, s);
    } else {
        error_sane(&ea);
        FUZZ_CHECK(strcmp(ea.msg, eb.msg) == 0, "messages differ: %s / %s",
                   ea.msg, eb.msg);
    }
    sync_config_free(a);
    sync_config_free(b);
    sync_config_free(s);
    return 0;
}
