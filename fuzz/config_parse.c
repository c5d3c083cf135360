/*
 * Fuzz target: the sync configuration parser (shell/sync_config.c, built
 * into this target with the shell sources it needs), read by path from a
 * memfd, on two inputs made from each fuzz input.
 *
 * The raw bytes: a load ends with 0 or 78 (config error) and nothing else.
 * An error message is "path:line: message" with the line inside the file,
 * or "path: message" for a problem of the whole file. On success the
 * parsed values obey the documented rules (exactly one of url and file per
 * source, valid schedule, every string value set with a line inside the
 * file, none without one), and loading the same bytes again, for a run or
 * for status, gives exactly the same values.
 *
 * An INI text written from the bytes (gen_config below): sections chosen
 * from the documented ones ([ghes "HOST"] with several hosts, in several
 * spellings; sections repeated), keys with values drawn from what
 * docs/config.md allows (URLs, relative and absolute paths, user names
 * with quotes and other punctuation taken literally, slugs, booleans in
 * every documented spelling, durations of one to three parts, schedules,
 * numbers, verified-domain lists continued on indented lines), odd spacing
 * around '=' and inside headers, escaped subsection names, tabs, inline
 * and whole-line comments, blank lines, CRLF and a BOM. The generator
 * records what each key must parse to and on which line it was written;
 * the config, loaded for a run and for status, must hold exactly that,
 * with defaults for everything not written. One input in three also gets
 * one mistake (an unknown key or section, a duplicate key, a bad or empty
 * value, a key before any section, a malformed header, an over-long line,
 * an http:// URL), and the load must then fail with 78 naming the line the
 * mistake is on.
 */
#include <ctype.h>
#include <stddef.h>
#include <strings.h>

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
        cstr_sane(&g->ca_file, "ghes ca_file");
        for (size_t j = 0; j < i; j++)
            FUZZ_CHECK(strcmp(c->ghes[j].host, g->host) != 0,
                       "two [ghes \"%s\"] sections", g->host);
    }
    if (c->ghec.present)
        FUZZ_CHECK(!c->ghec.api_url.s != !c->ghec.file.s,
                   "[ghec]: api_url and file");
    cstr_sane(&c->ghec.api_url, "ghec api_url");
    cstr_sane(&c->ghec.file, "ghec file");
    cstr_sane(&c->ghec.enterprise, "ghec enterprise");
    cstr_sane(&c->ghec.token_file, "ghec token_file");
    cstr_sane(&c->ghec.ca_file, "ghec ca_file");
    if (c->upload.present)
        FUZZ_CHECK(!c->upload.url.s != !c->upload.url_file.s,
                   "[upload]: url and url_file");
    cstr_sane(&c->upload.url, "upload url");
    cstr_sane(&c->upload.url_file, "upload url_file");
    cstr_sane(&c->upload.token_file, "upload token_file");
    cstr_sane(&c->upload.hmac_key_file, "upload hmac_key_file");
    cstr_sane(&c->upload.pseudonymize_key_file, "upload pseudonymize_key_file");
    cstr_sane(&c->upload.ca_file, "upload ca_file");
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
                   x->fetch_timeout_ms == y->fetch_timeout_ms &&
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

/* "path:LINE: message" with 1 <= LINE <= lines, or "path: message".
 * Returns LINE, or 0 for a message without one. */
static unsigned long error_sane(const sync_err *e)
{
    size_t pl = strlen(path);
    FUZZ_CHECK(memchr(e->msg, 0, sizeof e->msg) != NULL,
               "unterminated message");
    FUZZ_CHECK(strncmp(e->msg, path, pl) == 0 && e->msg[pl] == ':',
               "error does not name the file: %s", e->msg);
    const char *p = e->msg + pl + 1;
    if (*p == ' ') {
        FUZZ_CHECK(p[1] != '\0', "empty message: %s", e->msg);
        return 0;
    }
    char *end = NULL;
    unsigned long line = strtoul(p, &end, 10);
    FUZZ_CHECK(end != p && *end == ':' && end[1] == ' ' && end[2] != '\0',
               "error is not \"file:line: message\": %s", e->msg);
    FUZZ_CHECK(line >= 1 && line <= n_lines,
               "error on line %lu of a %zu-line file: %s", line, n_lines,
               e->msg);
    return line;
}

/* Lines of data: its newlines, and a last line without one. */
static size_t count_lines(const uint8_t *data, size_t size)
{
    size_t n = 0;
    for (size_t i = 0; i < size; i++)
        n += data[i] == '\n';
    if (size > 0 && data[size - 1] != '\n')
        n++;
    return n;
}

/* The raw bytes as a config file. */
static void raw_check(const uint8_t *data, size_t size)
{
    sync_config *a = NULL, *b = NULL, *s = NULL;
    sync_err ea, eb, es;

    n_lines = count_lines(data, size);
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
}

/* ------------------------------------------------ the generated config */

typedef enum vkind {
    V_URL,      /* the receiver's: a query is allowed */
    V_BASE_URL, /* a server's base URL: no query or fragment */
    V_PATH,
    V_CA, /* a path that must be readable for a run: /dev/null */
    V_USER,
    V_SLUG,
    V_BOOL,
    V_DUR,      /* a duration */
    V_DUR_MS1,  /* ... of at least 1 ms */
    V_DUR_S1,   /* ... of at least 1 s */
    V_DUR_WEEK, /* ... at most 166 hours (jitter) */
    V_POLICY,
    V_THREADS,
    V_DOMAINS,
    V_METHOD,
    V_WEEKLY,
    V_LIMIT,   /* 0 .. 2^30 */
    V_ATTEMPTS /* 1 .. 100 */
} vkind;

typedef struct keydef {
    const char *name;
    vkind kind;
} keydef;

typedef enum skind {
    S_ENGINE,
    S_GHES,
    S_GHEC,
    S_UPLOAD,
    S_SCHEDULE,
    S_STATE,
    S_HTTP
} skind;

static const keydef engine_keys[] = {{"policy", V_POLICY},
                                     {"threads", V_THREADS},
                                     {"verified_domains", V_DOMAINS}};
static const keydef ghes_keys[] = {
    {"url", V_BASE_URL}, {"file", V_PATH},
    {"user", V_USER},    {"token_file", V_PATH},
    {"ca_file", V_CA},   {"allow_insecure_loopback_http", V_BOOL}};
static const keydef ghec_keys[] = {
    {"api_url", V_BASE_URL}, {"file", V_PATH},
    {"enterprise", V_SLUG},  {"token_file", V_PATH},
    {"ca_file", V_CA},       {"allow_insecure_loopback_http", V_BOOL}};
static const keydef upload_keys[] = {{"url", V_URL},
                                     {"url_file", V_PATH},
                                     {"method", V_METHOD},
                                     {"token_file", V_PATH},
                                     {"hmac_key_file", V_PATH},
                                     {"pseudonymize_key_file", V_PATH},
                                     {"ca_file", V_CA},
                                     {"gzip", V_BOOL},
                                     {"timeout", V_DUR},
                                     {"allow_insecure_loopback_http", V_BOOL}};
static const keydef schedule_keys[] = {{"weekly", V_WEEKLY},
                                       {"jitter", V_DUR_WEEK}};
static const keydef state_keys[] = {{"dir", V_PATH}};
static const keydef http_keys[] = {
    {"connect_timeout", V_DUR_MS1}, {"low_speed_limit", V_LIMIT},
    {"low_speed_time", V_DUR_S1},   {"fetch_timeout", V_DUR},
    {"poll_max_wait", V_DUR},       {"retry_deadline", V_DUR},
    {"retry_base", V_DUR_MS1},      {"retry_max_delay", V_DUR_MS1},
    {"max_attempts", V_ATTEMPTS}};

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

static const struct {
    const char *name;
    const keydef *keys;
    size_t n;
} sects[] = {
    {"engine", engine_keys, N_OF(engine_keys)},
    {"ghes", ghes_keys, N_OF(ghes_keys)},
    {"ghec", ghec_keys, N_OF(ghec_keys)},
    {"upload", upload_keys, N_OF(upload_keys)},
    {"schedule", schedule_keys, N_OF(schedule_keys)},
    {"state", state_keys, N_OF(state_keys)},
    {"http", http_keys, N_OF(http_keys)},
};

/* Section instances: [engine], up to GEN_GHES [ghes "HOST"], [ghec],
 * [upload], [schedule], [state], [http]. */
#define GEN_GHES 4
enum {
    I_ENGINE = 0,
    I_GHES0 = 1,
    I_GHEC = I_GHES0 + GEN_GHES,
    I_UPLOAD,
    I_SCHEDULE,
    I_STATE,
    I_HTTP,
    I_COUNT
};

/* The hosts of the [ghes] instances, as first written. */
static const char *const gen_hosts[GEN_GHES] = {
    "ghe-1.corp.example", "GHE2.corp.example", "h_3", "10.0.0.7"};

static skind inst_kind(int i)
{
    if (i == I_ENGINE)
        return S_ENGINE;
    if (i < I_GHEC)
        return S_GHES;
    return (skind)(S_GHEC + (i - I_GHEC));
}

/* What a key must parse to, and the line it is on (0: not written). */
typedef struct want_val {
    unsigned line;
    char s[400]; /* strings and paths (paths resolved) */
    uint64_t v;  /* everything else */
} want_val;

typedef struct gen_inst {
    bool declared;  /* a source or [upload] this config has */
    int mode;       /* sources and [upload]: 0 url / api_url, 1 file */
    unsigned line;  /* its first header, 0 before */
    want_val k[10]; /* by index into its key table */
} gen_inst;

typedef enum fault {
    F_NONE,
    F_UNKNOWN_KEY,
    F_DUP_KEY,
    F_BAD_VALUE,
    F_EMPTY_VALUE,
    F_UNKNOWN_SECTION,
    F_OUTSIDE,
    F_LONG_LINE,
    F_BAD_HEADER,
    F_HTTP,
    F_COUNT
} fault;

typedef struct gen {
    fuzz_in in;
    fuzz_mem text;
    unsigned line; /* lines written */
    gen_inst inst[I_COUNT];
    char host[GEN_GHES][64];  /* as first written */
    int ghes_order[GEN_GHES]; /* instances in order of first header */
    size_t n_ghes_written;
    char domains[8192]; /* verified_domains as the config joins it */
    char dom_seen[32][24];
    size_t n_dom_seen;
    fault fault;
    unsigned fault_line; /* where it was put; 0 while pending */
    char dir[64];        /* the config file's directory */
} gen;

static uint8_t g_u8(gen *g)
{
    return fuzz_u8(&g->in);
}

static unsigned g_pick(gen *g, unsigned n)
{
    return n ? g_u8(g) % n : 0;
}

static void g_put(gen *g, const char *s)
{
    FUZZ_OK(fuzz_mem_write(&g->text, s, strlen(s)));
}

/* Ends the current line, with LF or CRLF. */
static void g_eol(gen *g)
{
    g_put(g, g_pick(g, 4) == 0 ? "\r\n" : "\n");
    g->line++;
}

/* Up to max spaces and tabs (at least min). */
static void g_ws(gen *g, unsigned min, unsigned max)
{
    unsigned n = min + g_pick(g, max - min + 1);
    for (unsigned i = 0; i < n; i++)
        g_put(g, g_pick(g, 3) == 0 ? "\t" : " ");
}

/* Comment text: printable, '[', '=', quotes and ';' included. */
static void g_comment_text(gen *g, size_t n)
{
    static const char cs[] = "abc XYZ09[]=;#\"'/.,:-";
    char c[2] = {0, 0};
    for (size_t i = 0; i < n; i++) {
        c[0] = cs[g_pick(g, sizeof cs - 1)];
        g_put(g, c);
    }
}

/* Blank and comment lines (never indented: that continues a value). */
static void g_filler(gen *g)
{
    unsigned n = g_pick(g, 4) == 0 ? 1 + g_pick(g, 2) : 0;
    for (unsigned i = 0; i < n; i++) {
        switch (g_pick(g, 3)) {
        case 0: break;
        case 1:
            g_put(g, ";");
            g_comment_text(g, g_pick(g, 20));
            break;
        default:
            g_put(g, "#");
            g_comment_text(g, g_pick(g, 20));
            break;
        }
        g_eol(g);
    }
    if (g->fault == F_LONG_LINE && !g->fault_line && g_pick(g, 4) == 0) {
        /* 199 bytes or more before the line end: over libinih's limit. */
        g_put(g, ";");
        g_comment_text(g, 200 + g_pick(g, 60));
        g->fault_line = g->line + 1;
        g_eol(g);
    }
}

/* The end of a key line: spaces, maybe an inline comment, the line end. */
static void g_line_end(gen *g)
{
    g_ws(g, 0, 2);
    if (g_pick(g, 4) == 0) {
        g_ws(g, 1, 2);
        g_put(g, ";");
        g_comment_text(g, g_pick(g, 16));
    }
    g_eol(g);
}

static void g_word(gen *g, const char *alphabet, size_t min, size_t max,
                   char *out)
{
    size_t n = min + g_pick(g, (unsigned)(max - min + 1));
    size_t a = strlen(alphabet);
    for (size_t i = 0; i < n; i++)
        out[i] = alphabet[g_pick(g, (unsigned)a)];
    out[n] = '\0';
}

static const char *const g_days[7] = {"sunday",    "monday",   "tuesday",
                                      "wednesday", "thursday", "friday",
                                      "saturday"};

/* The path the config means by p: p itself when absolute, else resolved
 * against the config's directory (both are short: g->dir holds 64 bytes,
 * p under 64, so out never truncates). */
static void g_path(const gen *g, const char *p, char *out, size_t cap)
{
    int k = p[0] == '/' ? snprintf(out, cap, "%s", p)
                        : snprintf(out, cap, "%s/%s", g->dir, p);
    if (k < 0 || (size_t)k >= cap)
        out[0] = '\0';
}

/* Writes a value of kind k (valid, or one the parser must refuse when bad)
 * and says what it parses to. */
static void g_value(gen *g, vkind k, bool bad, want_val *w)
{
    char buf[400];
    w->s[0] = '\0';
    w->v = 0;
    switch (k) {
    case V_URL:
    case V_BASE_URL: {
        static const char *const hosts[] = {
            "ghe-1.corp.example", "api.github.com", "10.1.2.3",
            "licenses.corp.example", "api.acme.ghe.com"};
        /* The last one only for the receiver: the export's path is
         * appended to a base URL. */
        static const char *const paths[] = {"", "/", "/api/v3", "/in?x=1&y=2"};
        size_t n_paths = k == V_URL ? N_OF(paths) : N_OF(paths) - 1;
        bool http = g->fault == F_HTTP && !g->fault_line;
        snprintf(buf, sizeof buf, "%s://%s%s%s",
                 http                ? "http"
                 : g_pick(g, 4) == 0 ? "HTTPS"
                                     : "https",
                 hosts[g_pick(g, N_OF(hosts))],
                 g_pick(g, 3) == 0 ? ":8443" : "",
                 paths[g_pick(g, (unsigned)n_paths)]);
        if (http)
            g->fault_line = g->line + 1;
        snprintf(w->s, sizeof w->s, "%s", buf);
        break;
    }
    case V_PATH: {
        static const char *const dirs[] = {"/etc/headcount/", "/var/tmp/a b/",
                                           "", "secrets/"};
        char name[16];
        g_word(g, "abcxyz019._-", 1, 12, name);
        const char *d = dirs[g_pick(g, N_OF(dirs))];
        snprintf(buf, sizeof buf, "%s%s", d, name);
        g_path(g, buf, w->s, sizeof w->s);
        break;
    }
    case V_CA:
        /* buf is the text written into the config, w->s what it means. */
        snprintf(buf, sizeof buf, "%s",
                 g_pick(g, 2) ? "/dev/null" : "../../../dev/null");
        g_path(g, buf, w->s, sizeof w->s);
        break;
    case V_USER:
        /* Quotes and other punctuation are kept as written; ';' only
         * inside (after the blanks before a value it starts a comment). */
        g_word(g, "adminXYZ09._-\"'#=;!@", 1, 12, buf);
        if (buf[0] == ';')
            buf[0] = 'a';
        if (bad)
            strcat(buf, ":x");
        snprintf(w->s, sizeof w->s, "%s", buf);
        break;
    case V_SLUG:
        g_word(g, "acmeACME09._-", 1, 12, buf);
        if (bad)
            strcat(buf, " co");
        snprintf(w->s, sizeof w->s, "%s", buf);
        break;
    case V_BOOL: {
        static const char *const forms[] = {"true",  "yes", "on",  "1",
                                            "false", "no",  "off", "0"};
        unsigned f = g_pick(g, N_OF(forms));
        snprintf(buf, sizeof buf, "%s", bad ? "maybe" : forms[f]);
        for (char *p = buf; *p; p++)
            if (g_pick(g, 3) == 0)
                *p = (char)toupper((unsigned char)*p);
        w->v = f < 4;
        break;
    }
    case V_DUR:
    case V_DUR_MS1:
    case V_DUR_S1:
    case V_DUR_WEEK: {
        static const char *const units[] = {"ms", "s", "m", "h", "d"};
        static const uint64_t unit_ms[] = {1, 1000, 60000, 3600000, 86400000};
        uint64_t min = k == V_DUR || k == V_DUR_WEEK ? 0
                       : k == V_DUR_MS1              ? 1
                                                     : 1000;
        size_t o = 0;
        if (g_pick(g, 4) == 0) {
            unsigned v = g_pick(g, 100);
            o = (size_t)snprintf(buf, sizeof buf, "%u", v);
            w->v = v * 1000ull; /* a bare number is seconds */
        } else {
            unsigned parts = 1 + g_pick(g, 3);
            for (unsigned i = 0; i < parts; i++) {
                unsigned v = g_pick(g, 100), u = g_pick(g, N_OF(units));
                o += (size_t)snprintf(buf + o, sizeof buf - o, "%u%s", v,
                                      units[u]);
                w->v += v * unit_ms[u];
            }
        }
        if (w->v < min) {
            snprintf(buf + o, sizeof buf - o, "1s");
            w->v += 1000;
        }
        /* The longest jitter is 166h (6d22h): a week less the two hours
         * a change of summer time can take from one. */
        if (k == V_DUR_WEEK && w->v > 166ull * 3600000) {
            snprintf(buf, sizeof buf, "%s", g_pick(g, 2) ? "1h" : "6d22h");
            w->v = buf[0] == '1' ? 3600000ull : 166ull * 3600000;
        }
        if (bad)
            snprintf(buf, sizeof buf, "%s",
                     k == V_DUR_WEEK ? (g_pick(g, 2) ? "7d" : "6d22h1s")
                                     : "5 parsecs");
        break;
    }
    case V_POLICY: {
        bool ext = g_pick(g, 2);
        snprintf(buf, sizeof buf, "%s",
                 bad   ? "GitHub"
                 : ext ? "extended"
                       : "github");
        w->v = ext ? HC_POLICY_EXTENDED : HC_POLICY_GITHUB;
        break;
    }
    case V_THREADS: {
        unsigned t = g_pick(g, 2) ? g_pick(g, 9) : 200 + g_pick(g, 57);
        snprintf(buf, sizeof buf, "%s%u", g_pick(g, 4) == 0 ? "0" : "",
                 bad ? 257u : t);
        w->v = t;
        break;
    }
    case V_DOMAINS: {
        static const char *const pool[] = {"corp.example", "*.corp.example",
                                           "b.example", "sub.b.example",
                                           "x.test"};
        static const char *const seps[] = {", ", ",", " ", " ,  "};
        size_t o = 0;
        unsigned n = 1 + g_pick(g, 3);
        for (unsigned i = 0; i < n; i++) {
            const char *d = pool[g_pick(g, N_OF(pool))];
            o += (size_t)snprintf(buf + o, sizeof buf - o, "%s%s",
                                  i ? seps[g_pick(g, N_OF(seps))] : "", d);
            bool seen = false;
            for (size_t j = 0; j < g->n_dom_seen; j++)
                seen |= strcmp(g->dom_seen[j], d) == 0;
            if (!seen && g->n_dom_seen < N_OF(g->dom_seen))
                snprintf(g->dom_seen[g->n_dom_seen++], sizeof g->dom_seen[0],
                         "%s", d);
        }
        /* The config joins every line's list with a line end. */
        size_t dl = strlen(g->domains);
        snprintf(g->domains + dl, sizeof g->domains - dl, "%s%s",
                 dl ? "\n" : "", buf);
        break;
    }
    case V_METHOD: {
        static const char *const forms[] = {"POST", "PUT", "post", "Put"};
        unsigned f = g_pick(g, N_OF(forms));
        snprintf(buf, sizeof buf, "%s", bad ? "PATCH" : forms[f]);
        w->v = f % 2 == 1;
        break;
    }
    case V_WEEKLY: {
        unsigned d = g_pick(g, 7), h = g_pick(g, 24), m = g_pick(g, 60);
        char day[16];
        snprintf(day, sizeof day, "%s", g_days[d]);
        if (g_pick(g, 2))
            day[3] = '\0';
        for (char *p = day; *p; p++)
            if (g_pick(g, 3) == 0)
                *p = (char)toupper((unsigned char)*p);
        snprintf(buf, sizeof buf, "%s%s%02u:%02u", day,
                 g_pick(g, 3) == 0 ? " \t" : " ", bad ? 24 : h, m);
        w->v = d * 10000u + h * 100u + m;
        break;
    }
    case V_LIMIT: {
        static const uint64_t vals[] = {0, 1, 1024, 65536, 1u << 30};
        w->v = vals[g_pick(g, N_OF(vals))];
        snprintf(buf, sizeof buf, "%s%llu", bad ? "-" : "",
                 (unsigned long long)w->v);
        break;
    }
    case V_ATTEMPTS:
        w->v = 1 + g_pick(g, 100);
        snprintf(buf, sizeof buf, "%llu",
                 bad ? 101ull : (unsigned long long)w->v);
        break;
    }
    g_put(g, buf);
}

/* Kinds with a value the parser refuses (F_BAD_VALUE), and keys with an
 * empty value that is an error (F_EMPTY_VALUE). */
static bool can_be_bad(vkind k)
{
    return k != V_URL && k != V_BASE_URL && k != V_PATH && k != V_CA &&
           k != V_DOMAINS;
}

static bool can_be_empty(const keydef *kd)
{
    /* Optional paths given empty are as if not there (sync_config.c); an
     * empty verified_domains line is an error though the lists join. */
    return strcmp(kd->name, "ca_file") != 0 &&
           strcmp(kd->name, "hmac_key_file") != 0 &&
           strcmp(kd->name, "pseudonymize_key_file") != 0;
}

/* Writes "key = value" (or a faulty form of it) for key i of instance n. */
static void g_key(gen *g, int n, size_t i, fault f)
{
    const keydef *kd = &sects[inst_kind(n)].keys[i];
    want_val w;
    g_put(g, kd->name);
    g_ws(g, 0, 2);
    g_put(g, "=");
    g_ws(g, 0, 2);
    if (f == F_EMPTY_VALUE) {
        g->fault_line = g->line + 1;
        g_line_end(g);
        return;
    }
    g_value(g, kd->kind, f == F_BAD_VALUE, &w);
    unsigned line = g->line + 1;
    if (f != F_NONE)
        g->fault_line = line;
    g_line_end(g);
    if (kd->kind == V_DOMAINS) {
        /* Indented lines continue the list (libinih's rule). */
        unsigned more = g_pick(g, 3) == 0 ? 1 + g_pick(g, 2) : 0;
        for (unsigned j = 0; j < more; j++) {
            /* libinih takes a continuation line whole: no inline comment
             * (docs/config.md). */
            g_ws(g, 1, 3);
            g_value(g, V_DOMAINS, false, &w);
            g_ws(g, 0, 2);
            g_eol(g);
        }
    }
    if (f == F_NONE) { /* a duplicate leaves the first value */
        w.line = line;
        g->inst[n].k[i] = w;
    }
}

/* The host of [ghes] instance n as a header spells it: the first time as
 * it is, later with some letters in the other case (hosts compare without
 * case); any character may be escaped with a backslash. */
static void g_host(gen *g, int n, char *out, size_t cap)
{
    const char *h = gen_hosts[n - I_GHES0];
    bool first = g->inst[n].line == 0;
    size_t o = 0;
    for (const char *p = h; *p && o + 3 < cap; p++) {
        char c = *p;
        if (!first && isalpha((unsigned char)c) && g_pick(g, 2))
            c = (char)(islower((unsigned char)c) ? toupper((unsigned char)c)
                                                 : tolower((unsigned char)c));
        if (g_pick(g, 8) == 0)
            out[o++] = '\\';
        out[o++] = c;
    }
    out[o] = '\0';
    if (first)
        snprintf(g->host[n - I_GHES0], sizeof g->host[0], "%s", h);
}

/* Writes the header of instance n (or a faulty one). */
static void g_header(gen *g, int n, fault f)
{
    unsigned line = g->line + 1;
    if (f == F_UNKNOWN_SECTION) {
        g_put(g, "[extras]");
        g->fault_line = line;
        g_eol(g);
        return;
    }
    if (f == F_BAD_HEADER) {
        static const char *const bad[] = {"[ghes]", "[engine", "[ghec \"x\"]",
                                          "[state] x", "[ghes \"a b\"]"};
        g_put(g, bad[g_pick(g, N_OF(bad))]);
        g->fault_line = line;
        g_eol(g);
        return;
    }
    g_put(g, "[");
    g_ws(g, 0, 1);
    g_put(g, sects[inst_kind(n)].name);
    if (inst_kind(n) == S_GHES) {
        char h[160];
        g_host(g, n, h, sizeof h);
        g_ws(g, 1, 2);
        g_put(g, "\"");
        g_put(g, h);
        g_put(g, "\"");
    }
    g_ws(g, 0, 1);
    g_put(g, "]");
    if (g_pick(g, 4) == 0) {
        g_ws(g, 0, 2);
        g_put(g, g_pick(g, 2) ? ";" : "#");
        g_comment_text(g, g_pick(g, 12));
    }
    g_eol(g);
    if (!g->inst[n].line) {
        g->inst[n].line = line;
        if (inst_kind(n) == S_GHES)
            g->ghes_order[g->n_ghes_written++] = n;
    }
}

/* Whether key i may be set in instance n: allowed by the source's mode
 * and not yet set (verified_domains may repeat). */
static bool key_allowed(const gen *g, int n, size_t i)
{
    const gen_inst *in = &g->inst[n];
    const char *name = sects[inst_kind(n)].keys[i].name;
    if (in->k[i].line && strcmp(name, "verified_domains") != 0)
        return false;
    switch (inst_kind(n)) {
    case S_GHES:
    case S_GHEC:
        if (in->mode == 1)
            return strcmp(name, "file") == 0 ||
                   strcmp(name, "allow_insecure_loopback_http") == 0;
        return strcmp(name, "file") != 0;
    case S_UPLOAD: return strcmp(name, in->mode == 1 ? "url" : "url_file") != 0;
    default: return true;
    }
}

static bool key_required(const gen *g, int n, size_t i)
{
    const gen_inst *in = &g->inst[n];
    const char *name = sects[inst_kind(n)].keys[i].name;
    switch (inst_kind(n)) {
    case S_GHES:
        if (in->mode == 1)
            return strcmp(name, "file") == 0;
        return strcmp(name, "url") == 0 || strcmp(name, "user") == 0 ||
               strcmp(name, "token_file") == 0;
    case S_GHEC:
        if (in->mode == 1)
            return strcmp(name, "file") == 0;
        return strcmp(name, "api_url") == 0 ||
               strcmp(name, "enterprise") == 0 ||
               strcmp(name, "token_file") == 0;
    case S_UPLOAD: return strcmp(name, in->mode == 1 ? "url_file" : "url") == 0;
    default: return false;
    }
}

/* One block: a header and a few keys of instance n, maybe with the
 * pending mistake among them. */
static void g_block(gen *g, int n, bool last)
{
    const size_t nk = sects[inst_kind(n)].n;
    g_filler(g);
    fault hf = F_NONE;
    if ((g->fault == F_UNKNOWN_SECTION || g->fault == F_BAD_HEADER) &&
        !g->fault_line && (last || g_pick(g, 3) == 0))
        hf = g->fault;
    g_header(g, n, hf);
    unsigned keys = g_pick(g, 4);
    for (unsigned j = 0; j < keys; j++) {
        size_t i = g_pick(g, (unsigned)nk);
        fault f = g->fault_line ? F_NONE : g->fault;
        const keydef *kd = &sects[inst_kind(n)].keys[i];
        bool put = !last && g_pick(g, 2) == 0;
        if (f == F_UNKNOWN_KEY && put) {
            g_put(g, "colour = blue");
            g->fault_line = g->line + 1;
            g_eol(g);
            continue;
        }
        if (f == F_DUP_KEY && put && g->inst[n].k[i].line &&
            kd->kind != V_DOMAINS) {
            g_key(g, n, i, F_DUP_KEY);
            continue;
        }
        if (!key_allowed(g, n, i))
            continue;
        if ((f == F_BAD_VALUE && put && can_be_bad(kd->kind)) ||
            (f == F_EMPTY_VALUE && put && can_be_empty(kd))) {
            g_key(g, n, i, f);
            continue;
        }
        g_key(g, n, i, F_NONE);
    }
}

/* Writes a config from the fuzz input into g->text. */
static void gen_config(gen *g, const uint8_t *data, size_t size,
                       const char *dir)
{
    memset(g, 0, sizeof *g);
    g->in = (fuzz_in){data, size};
    snprintf(g->dir, sizeof g->dir, "%s", dir);
    g->fault = g_pick(g, 3) == 0 ? (fault)(1 + g_pick(g, F_COUNT - 1)) : F_NONE;
    /* The sources, and whether there is an [upload]. */
    unsigned n_ghes = g_pick(g, GEN_GHES + 1);
    for (unsigned i = 0; i < n_ghes; i++) {
        g->inst[I_GHES0 + i].declared = true;
        g->inst[I_GHES0 + i].mode = g_pick(g, 2);
    }
    g->inst[I_GHEC].declared = n_ghes == 0 || g_pick(g, 2);
    g->inst[I_GHEC].mode = g_pick(g, 2);
    g->inst[I_UPLOAD].declared = g_pick(g, 2);
    g->inst[I_UPLOAD].mode = g_pick(g, 2);

    if (g_pick(g, 4) == 0)
        g_put(g, "\xef\xbb\xbf");
    g_filler(g);
    if (g->fault == F_OUTSIDE) {
        g_put(g, "stray_key = 1");
        g->fault_line = g->line + 1;
        g_eol(g);
    }
    int choices[I_COUNT];
    size_t n_choices = 0;
    for (int i = 0; i < I_COUNT; i++)
        if (inst_kind(i) != S_GHES && inst_kind(i) != S_GHEC &&
                    inst_kind(i) != S_UPLOAD
                ? true
                : g->inst[i].declared)
            choices[n_choices++] = i;
    unsigned blocks = g_pick(g, 8);
    for (unsigned b = 0; b < blocks; b++)
        g_block(g, choices[g_pick(g, (unsigned)n_choices)], false);
    /* Whatever the sources still need. */
    for (int n = 0; n < I_COUNT; n++) {
        if (!g->inst[n].declared)
            continue;
        bool header = false;
        for (size_t i = 0; i < sects[inst_kind(n)].n; i++) {
            if (!key_required(g, n, i) || g->inst[n].k[i].line)
                continue;
            if (!header)
                g_header(g, n, F_NONE);
            header = true;
            g_key(g, n, i, F_NONE);
        }
        if (!g->inst[n].line)
            g_header(g, n, F_NONE);
    }
    if (g->fault != F_NONE && !g->fault_line) {
        /* The mistake found no place: an unknown key at the end. */
        g->fault = F_UNKNOWN_KEY;
        g_header(g, I_ENGINE, F_NONE);
        g_put(g, "colour = blue");
        g->fault_line = g->line + 1;
        g_eol(g);
    }
    g_filler(g);
}

/* ------------------------------------------ comparing with the config */

static const sync_cstr *cstr_of(const sync_config *c, int n, const char *key)
{
    if (inst_kind(n) == S_GHES) {
        const sync_ghes_conf *h = NULL;
        for (size_t i = 0; i < c->n_ghes; i++)
            if (strcasecmp(c->ghes[i].host, gen_hosts[n - I_GHES0]) == 0)
                h = &c->ghes[i];
        FUZZ_CHECK(h != NULL, "[ghes] instance %d missing", n - I_GHES0);
        if (strcmp(key, "url") == 0)
            return &h->url;
        if (strcmp(key, "file") == 0)
            return &h->file;
        if (strcmp(key, "user") == 0)
            return &h->user;
        if (strcmp(key, "token_file") == 0)
            return &h->token_file;
        if (strcmp(key, "ca_file") == 0)
            return &h->ca_file;
        return NULL;
    }
    if (inst_kind(n) == S_GHEC) {
        const sync_ghec_conf *h = &c->ghec;
        if (strcmp(key, "api_url") == 0)
            return &h->api_url;
        if (strcmp(key, "file") == 0)
            return &h->file;
        if (strcmp(key, "enterprise") == 0)
            return &h->enterprise;
        if (strcmp(key, "token_file") == 0)
            return &h->token_file;
        if (strcmp(key, "ca_file") == 0)
            return &h->ca_file;
        return NULL;
    }
    if (inst_kind(n) == S_UPLOAD) {
        const sync_upload_conf *u = &c->upload;
        if (strcmp(key, "url") == 0)
            return &u->url;
        if (strcmp(key, "url_file") == 0)
            return &u->url_file;
        if (strcmp(key, "token_file") == 0)
            return &u->token_file;
        if (strcmp(key, "hmac_key_file") == 0)
            return &u->hmac_key_file;
        if (strcmp(key, "pseudonymize_key_file") == 0)
            return &u->pseudonymize_key_file;
        if (strcmp(key, "ca_file") == 0)
            return &u->ca_file;
    }
    return NULL;
}

/* The value of a key that is not a line-tagged string, and its documented
 * default (docs/config.md). */
static uint64_t num_of(const sync_config *c, int n, const char *key,
                       uint64_t *dflt)
{
    const sync_http_conf *h = &c->http;
    static const struct {
        const char *key;
        uint64_t dflt;
        size_t off;
    } http[] = {
        {"connect_timeout", 30000,
         offsetof(sync_http_conf, connect_timeout_ms)},
        {"low_speed_limit", 1024, offsetof(sync_http_conf, low_speed_limit)},
        {"low_speed_time", 60000, offsetof(sync_http_conf, low_speed_time_ms)},
        {"fetch_timeout", 3600000, offsetof(sync_http_conf, fetch_timeout_ms)},
        {"poll_max_wait", 1800000, offsetof(sync_http_conf, poll_max_wait_ms)},
        {"retry_deadline", 900000, offsetof(sync_http_conf, retry_deadline_ms)},
        {"retry_base", 1000, offsetof(sync_http_conf, retry_base_ms)},
        {"retry_max_delay", 60000,
         offsetof(sync_http_conf, retry_max_delay_ms)},
    };
    *dflt = 0;
    switch (inst_kind(n)) {
    case S_ENGINE:
        if (strcmp(key, "policy") == 0)
            return *dflt = HC_POLICY_GITHUB, (uint64_t)c->policy;
        return c->threads; /* threads; default 0 */
    case S_GHES:
        for (size_t i = 0; i < c->n_ghes; i++)
            if (strcasecmp(c->ghes[i].host, gen_hosts[n - I_GHES0]) == 0)
                return c->ghes[i].allow_insecure;
        FUZZ_CHECK(false, "[ghes] instance %d missing", n - I_GHES0);
        return 0;
    case S_GHEC: return c->ghec.allow_insecure;
    case S_UPLOAD:
        if (strcmp(key, "method") == 0)
            return c->upload.put; /* POST */
        if (strcmp(key, "gzip") == 0)
            return c->upload.gzip;
        if (strcmp(key, "timeout") == 0)
            return *dflt = 600000, c->upload.timeout_ms;
        return c->upload.allow_insecure;
    case S_SCHEDULE:
        if (strcmp(key, "weekly") == 0)
            return *dflt = 1 * 10000 + 3 * 100 + 30, /* Mon 03:30 */
                   (uint64_t)c->weekly.wday * 10000 + c->weekly.hour * 100 +
                       c->weekly.minute;
        return *dflt = 3600000, c->jitter_ms;
    case S_HTTP:
        if (strcmp(key, "max_attempts") == 0)
            return *dflt = 8, h->max_attempts;
        for (size_t i = 0; i < N_OF(http); i++)
            if (strcmp(key, http[i].key) == 0) {
                *dflt = http[i].dflt;
                uint64_t v;
                memcpy(&v, (const char *)h + http[i].off, sizeof v);
                return v;
            }
        break;
    case S_STATE: break;
    }
    FUZZ_CHECK(false, "no value for key %s", key);
    return 0;
}

/* The config loaded from g's text holds exactly what g wrote. */
static void config_is(const gen *g, const sync_config *c, const char *use)
{
    FUZZ_CHECK(c->n_ghes == g->n_ghes_written,
               "%s: %zu [ghes] sections, want %zu", use, c->n_ghes,
               g->n_ghes_written);
    for (size_t i = 0; i < g->n_ghes_written; i++) {
        int n = g->ghes_order[i];
        const sync_ghes_conf *h = &c->ghes[i];
        FUZZ_CHECK(strcmp(h->host, g->host[n - I_GHES0]) == 0 &&
                       h->line == g->inst[n].line,
                   "%s: [ghes] %zu is \"%s\" of line %u, want \"%s\" of line "
                   "%u",
                   use, i, h->host, h->line, g->host[n - I_GHES0],
                   g->inst[n].line);
    }
    for (int n = 0; n < I_COUNT; n++) {
        const gen_inst *in = &g->inst[n];
        skind k = inst_kind(n);
        if (k == S_GHES && !in->line)
            continue;
        if (k == S_GHEC)
            FUZZ_CHECK(c->ghec.present == (in->line != 0) &&
                           c->ghec.line == in->line,
                       "%s: [ghec] present %d line %u, want line %u", use,
                       (int)c->ghec.present, c->ghec.line, in->line);
        if (k == S_UPLOAD)
            FUZZ_CHECK(c->upload.present == (in->line != 0) &&
                           c->upload.line == in->line,
                       "%s: [upload] present %d line %u, want line %u", use,
                       (int)c->upload.present, c->upload.line, in->line);
        for (size_t i = 0; i < sects[k].n; i++) {
            const keydef *kd = &sects[k].keys[i];
            const want_val *w = &in->k[i];
            if (kd->kind == V_DOMAINS) {
                bool set = g->domains[0] != '\0';
                FUZZ_CHECK(
                    set ? c->verified_domains &&
                              strcmp(c->verified_domains, g->domains) == 0 &&
                              hc_domains_count(c->domains) == g->n_dom_seen
                        : !c->verified_domains && !c->domains,
                    "%s: verified_domains \"%s\" (%zu domains), want "
                    "\"%s\" (%zu)",
                    use, c->verified_domains ? c->verified_domains : "(none)",
                    c->domains ? hc_domains_count(c->domains) : 0, g->domains,
                    g->n_dom_seen);
                continue;
            }
            if (k == S_STATE) {
                const char *sd = getenv("STATE_DIRECTORY");
                char dflt[256];
                snprintf(dflt, sizeof dflt, "%.*s",
                         (int)(sd && *sd ? strcspn(sd, ":") : 0), sd ? sd : "");
                const char *want = w->line           ? w->s
                                   : dflt[0] != '\0' ? dflt
                                                     : "/var/lib/headcount";
                FUZZ_CHECK(c->state_dir && strcmp(c->state_dir, want) == 0,
                           "%s: state dir \"%s\", want \"%s\"", use,
                           c->state_dir ? c->state_dir : "(none)", want);
                continue;
            }
            const sync_cstr *cs = cstr_of(c, n, kd->name);
            if (cs) {
                FUZZ_CHECK(w->line ? cs->s && strcmp(cs->s, w->s) == 0 &&
                                         cs->line == w->line
                                   : !cs->s && cs->line == 0,
                           "%s: [%s] %s = \"%s\" of line %u, want \"%s\" of "
                           "line %u",
                           use, sects[k].name, kd->name,
                           cs->s ? cs->s : "(none)", cs->line,
                           w->line ? w->s : "(none)", w->line);
                continue;
            }
            uint64_t dflt;
            uint64_t v = num_of(c, n, kd->name, &dflt);
            uint64_t want = w->line ? w->v : dflt;
            FUZZ_CHECK(v == want, "%s: [%s] %s is %llu, want %llu (line %u)",
                       use, sects[k].name, kd->name, (unsigned long long)v,
                       (unsigned long long)want, w->line);
        }
    }
}

/* Generated configs by mistake (F_NONE: none), for a local measure
 * (HC_FUZZ_REF_STATS=1 prints them every 10000 inputs). */
static uint64_t gen_count[F_COUNT], gen_seen;

/* A config written from the bytes: its values, or its one mistake. */
static void generated_check(const uint8_t *data, size_t size)
{
    gen *g = calloc(1, sizeof *g);
    FUZZ_CHECK(g != NULL, "out of memory");
    /* Relative paths are taken from the config file's directory, made
     * canonical (/proc/self/fd is /proc/PID/fd). */
    path = fuzz_memfd_put("", 0);
    const char *slash = strrchr(path, '/');
    FUZZ_CHECK(slash != NULL && slash > path, "memfd path %s", path);
    char dir[64];
    snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
    char *canon = realpath(dir, NULL);
    FUZZ_CHECK(canon != NULL && strlen(canon) < sizeof dir, "realpath %s", dir);
    snprintf(dir, sizeof dir, "%s", canon);
    free(canon);
    gen_config(g, data, size, dir);
    path = fuzz_memfd_put(g->text.p, g->text.n);
    gen_count[g->fault]++;
    if (++gen_seen % 10000 == 0 && getenv("HC_FUZZ_REF_STATS")) {
        fprintf(stderr, "generated configs: %llu, by mistake:",
                (unsigned long long)gen_seen);
        for (int f = 0; f < F_COUNT; f++)
            fprintf(stderr, " %llu", (unsigned long long)gen_count[f]);
        fprintf(stderr, "\n");
    }
    n_lines = count_lines((const uint8_t *)g->text.p, g->text.n);
    static const sync_config_use uses[] = {SYNC_CONFIG_RUN, SYNC_CONFIG_STATUS};
    for (size_t u = 0; u < 2; u++) {
        const char *use = u == 0 ? "run" : "status";
        sync_config *c = NULL;
        sync_err e;
        memset(&e, 0, sizeof e);
        int rc = sync_config_load(path, uses[u], &c, &e);
        if (g->fault == F_NONE) {
            FUZZ_CHECK(rc == 0, "%s: a generated config fails (%d): %s\n%.*s",
                       use, rc, e.msg, (int)g->text.n, g->text.p);
            config_sane(c);
            config_is(g, c, use);
        } else {
            FUZZ_CHECK(rc == 78,
                       "%s: a config with mistake %d on line %u loads (%d)"
                       "\n%.*s",
                       use, (int)g->fault, g->fault_line, rc, (int)g->text.n,
                       g->text.p);
            unsigned long line = error_sane(&e);
            FUZZ_CHECK(line == g->fault_line,
                       "%s: mistake %d on line %u, the error says: %s\n%.*s",
                       use, (int)g->fault, g->fault_line, e.msg, (int)g->text.n,
                       g->text.p);
        }
        sync_config_free(c);
    }
    fuzz_mem_free(&g->text);
    free(g);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    raw_check(data, size);
    generated_check(data, size);
    return 0;
}
