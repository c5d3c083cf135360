/*
 * Parsing the sync configuration. libinih does the INI lexing; it is fed
 * through our own line reader, which counts lines (the handler learns its
 * line from it, so every message can say file:line even for checks made
 * after parsing) and reads section headers itself: libinih truncates
 * section names at 50 bytes and knows nothing of git-style quoted
 * subsections, and a section without keys never reaches the handler.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ini.h>

#include "cli.h"
#include "sync_config.h"

typedef enum sect {
    SECT_NONE = 0,
    SECT_ENGINE,
    SECT_GHES,
    SECT_GHEC,
    SECT_UPLOAD,
    SECT_SCHEDULE,
    SECT_STATE,
    SECT_HTTP,
} sect;

enum { SEEN_MAX = 4096 };

typedef struct parse_ctx {
    sync_config *cfg;
    FILE *f;
    char *dir;     /* directory of the config file */
    unsigned line; /* line most recently handed to libinih */
    sect sect;
    sync_ghes_conf *ghes; /* current [ghes "HOST"] */
    bool prev_key;        /* a key was seen since the last header */
    bool cont;            /* the line libinih has continues the last key */
    bool stop;            /* an error was recorded; feed no more lines */
    bool oom;
    int code; /* first error */
    char msg[900];
    unsigned msg_line;
    char **seen; /* "section\x1fkey" of every key set so far */
    size_t n_seen;
    /* Where each verified_domains key's entries start in the joined list,
     * and its line: an invalid entry is reported at its own key's line. */
    struct domains_piece {
        size_t off;
        unsigned line;
    } * pieces;
    size_t n_pieces;
    /* The line of a "verified_domains =" without a value, until indented
     * lines below it give its entries; 0 when there is none. */
    unsigned domains_empty;
    sync_config_use use;
} parse_ctx;

static int perr(parse_ctx *c, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Records the first error and stops the parse. Returns 0 for libinih. */
static int perr(parse_ctx *c, unsigned line, const char *fmt, ...)
{
    if (!c->code) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->msg, sizeof c->msg, fmt, ap);
        va_end(ap);
        c->code = CLI_EX_CONFIG;
        c->msg_line = line;
    }
    c->stop = true;
    return 0;
}

/* An empty "verified_domains =" that no indented line continued, once a
 * line that is no such continuation comes (or the file ends). */
static void domains_empty_check(parse_ctx *c)
{
    if (c->domains_empty) {
        unsigned line = c->domains_empty;
        c->domains_empty = 0;
        perr(c, line, "empty value");
    }
}

static const char *sect_name(const parse_ctx *c)
{
    switch (c->sect) {
    case SECT_ENGINE: return "[engine]";
    case SECT_GHES: return "[ghes]";
    case SECT_GHEC: return "[ghec]";
    case SECT_UPLOAD: return "[upload]";
    case SECT_SCHEDULE: return "[schedule]";
    case SECT_STATE: return "[state]";
    case SECT_HTTP: return "[http]";
    case SECT_NONE: break;
    }
    return "(no section)";
}

/* ---- section headers, read by the line reader ---- */

static void section_header(parse_ctx *c, const char *p)
{
    const char *close = strchr(p, ']');
    c->prev_key = false;
    if (!close) {
        perr(c, c->line, "expected ']' to close the section header");
        return;
    }
    for (const char *q = close + 1; *q; q++) {
        if (*q == ';' || *q == '#')
            break;
        if (!isspace((unsigned char)*q)) {
            perr(c, c->line, "unexpected text after ']'");
            return;
        }
    }
    p++;
    while (*p == ' ' || *p == '\t')
        p++;
    char name[32];
    size_t n = 0;
    while (p < close && (isalnum((unsigned char)*p) || *p == '_')) {
        if (n + 1 >= sizeof name) {
            perr(c, c->line, "unknown section");
            return;
        }
        name[n++] = *p++;
    }
    name[n] = '\0';
    while (p < close && (*p == ' ' || *p == '\t'))
        p++;
    char sub[256];
    bool has_sub = false;
    if (p < close && *p == '"') {
        size_t k = 0;
        p++;
        while (p < close && *p != '"') {
            if (*p == '\\' && p + 1 < close)
                p++;
            if (k + 1 >= sizeof sub) {
                perr(c, c->line, "subsection name too long");
                return;
            }
            sub[k++] = *p++;
        }
        if (p >= close) {
            perr(c, c->line, "unterminated quoted subsection name");
            return;
        }
        sub[k] = '\0';
        has_sub = true;
        p++;
        while (p < close && (*p == ' ' || *p == '\t'))
            p++;
    }
    if (p != close) {
        perr(c, c->line,
             "malformed section header (expected [name] or [name \"sub\"])");
        return;
    }
    static const struct {
        const char *name;
        sect s;
    } known[] = {
        {"engine", SECT_ENGINE},     {"ghes", SECT_GHES},
        {"ghec", SECT_GHEC},         {"upload", SECT_UPLOAD},
        {"schedule", SECT_SCHEDULE}, {"state", SECT_STATE},
        {"http", SECT_HTTP},
    };
    c->sect = SECT_NONE;
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (strcmp(name, known[i].name) == 0)
            c->sect = known[i].s;
    if (c->sect == SECT_NONE) {
        perr(c, c->line,
             "unknown section [%s] (expected engine, ghes \"HOST\", ghec, "
             "upload, schedule, state or http)",
             name);
        return;
    }
    if (c->sect != SECT_GHES && has_sub) {
        perr(c, c->line, "section [%s] takes no subsection", name);
        return;
    }
    sync_config *cfg = c->cfg;
    if (c->sect == SECT_GHEC && !cfg->ghec.present) {
        cfg->ghec.present = true;
        cfg->ghec.line = c->line;
    }
    if (c->sect == SECT_UPLOAD && !cfg->upload.present) {
        cfg->upload.present = true;
        cfg->upload.line = c->line;
    }
    if (c->sect != SECT_GHES)
        return;
    if (!has_sub) {
        perr(c, c->line,
             "[ghes] needs the instance's host name: [ghes \"HOST\"]");
        return;
    }
    if (!sync_host_is_valid(sub)) {
        perr(c, c->line,
             "[ghes \"%s\"]: not a host name (letters, digits, '.', '-', "
             "'_'; at most 253 bytes, not starting with '.' or '-')",
             sub);
        return;
    }
    /* Sections spelled `ghe.example` and `GHE.example.` are one [ghes]
     * section whose keys add up (the first spelling is kept), not two
     * sources of the same accounts. */
    for (size_t i = 0; i < cfg->n_ghes; i++)
        if (sync_host_same(cfg->ghes[i].host, sub)) {
            c->ghes = &cfg->ghes[i];
            return;
        }
    if (cfg->n_ghes == SYNC_GHES_MAX) {
        perr(c, c->line, "more than %d [ghes] sections", SYNC_GHES_MAX);
        return;
    }
    c->ghes = &cfg->ghes[cfg->n_ghes];
    memset(c->ghes, 0, sizeof *c->ghes);
    c->ghes->host = strdup(sub);
    if (!c->ghes->host) {
        c->oom = c->stop = true;
        return;
    }
    c->ghes->line = c->line;
    cfg->n_ghes++;
}

/* libinih's reader callback: one line per call, at most num - 1 bytes. */
static char *read_line(char *str, int num, void *stream)
{
    parse_ctx *c = stream;
    size_t n = 0;
    int ch = 0;
    if (c->stop)
        return NULL;
    /* A line holds num - 2 bytes before its end, which is "\n", "\r\n"
     * (handed on as "\n", so that both count alike) or the end of the
     * file. */
    while ((ch = getc(c->f)) != EOF) {
        if (ch == '\0') {
            perr(c, c->line + 1, "NUL byte in the config file");
            return NULL;
        }
        if (ch == '\r') {
            int next = getc(c->f);
            if (next == '\n')
                ch = '\n';
            else if (next != EOF)
                ungetc(next, c->f);
        }
        if (ch != '\n' && n + 2 >= (size_t)num) {
            perr(c, c->line + 1,
                 "line longer than %d bytes (for a long upload URL use "
                 "url_file)",
                 num - 2);
            return NULL;
        }
        str[n++] = (char)ch;
        if (ch == '\n')
            break;
    }
    if (n == 0)
        return NULL;
    str[n] = '\0';
    c->line++;
    const char *p = str;
    if (c->line == 1 && strncmp(p, "\xef\xbb\xbf", 3) == 0)
        p += 3;
    const char *start = p;
    /* The blanks libinih skips (isspace, as its lskip). */
    while (*p && isspace((unsigned char)*p))
        p++;
    /* Mirror libinih: an indented line after a key continues its value. */
    c->cont = c->prev_key && p > start;
    if (*p == '[' && !c->cont) {
        domains_empty_check(c);
        section_header(c, p);
    }
    return c->stop ? NULL : str;
}

/* ---- values ---- */

static bool seen_once(parse_ctx *c, const char *key)
{
    char id[512];
    snprintf(id, sizeof id, "%s\x1f%s\x1f%s", sect_name(c),
             c->sect == SECT_GHES && c->ghes ? c->ghes->host : "", key);
    for (size_t i = 0; i < c->n_seen; i++)
        if (strcmp(c->seen[i], id) == 0)
            return false;
    if (c->n_seen < SEEN_MAX) {
        char *dup = strdup(id);
        if (!dup) {
            c->oom = c->stop = true;
            return true;
        }
        c->seen[c->n_seen++] = dup;
    }
    return true;
}

static int set_str(parse_ctx *c, sync_cstr *dst, const char *value)
{
    if (!*value)
        return perr(c, c->line, "empty value");
    char *s = strdup(value);
    if (!s) {
        c->oom = c->stop = true;
        return 0;
    }
    free(dst->s);
    dst->s = s;
    dst->line = c->line;
    return 1;
}

/*
 * Path values: a leading ${CREDENTIALS_DIRECTORY} or ${STATE_DIRECTORY} is
 * replaced by that environment variable (set by systemd for
 * LoadCredential= and StateDirectory=); relative paths are taken from the
 * config file's directory.
 */
static int set_path(parse_ctx *c, sync_cstr *dst, const char *value)
{
    static const char *const vars[] = {"CREDENTIALS_DIRECTORY",
                                       "STATE_DIRECTORY"};
    char buf[PATH_MAX];
    const char *prefix = NULL, *rest = value;
    if (!*value)
        return perr(c, c->line, "empty path");
    for (size_t i = 0; i < 2; i++) {
        char pat[40];
        snprintf(pat, sizeof pat, "${%s}", vars[i]);
        if (strncmp(value, pat, strlen(pat)) == 0) {
            prefix = getenv(vars[i]);
            if ((!prefix || !*prefix) && i == 0 && c->use == SYNC_CONFIG_STATUS)
                return set_str(c, dst, value); /* never opened by status */
            if (!prefix || !*prefix)
                return perr(c, c->line,
                            "%s is not set in the environment (it is set "
                            "by systemd for the service)",
                            vars[i]);
            rest = value + strlen(pat);
            /* systemd may list several state directories, ':'-separated;
             * the first is ours. */
            break;
        }
    }
    if (!prefix && strstr(value, "${"))
        return perr(c, c->line,
                    "only ${CREDENTIALS_DIRECTORY} and ${STATE_DIRECTORY} "
                    "may start a path");
    int n;
    if (prefix) {
        size_t plen = strcspn(prefix, ":");
        n = snprintf(buf, sizeof buf, "%.*s%s", (int)plen, prefix, rest);
    } else if (value[0] == '/') {
        n = snprintf(buf, sizeof buf, "%s", value);
    } else {
        n = snprintf(buf, sizeof buf, "%s/%s", c->dir, value);
    }
    if (n < 0 || (size_t)n >= sizeof buf)
        return perr(c, c->line, "path too long");
    return set_str(c, dst, buf);
}

/* An optional path (ca_file, hmac_key_file, pseudonymize_key_file) given
 * as "key =" with nothing after it is as if the line were not there, as in
 * a template that lists the key with its value left out: it neither counts
 * as given (on_key) nor clears a value given before. A required key stays
 * an error when empty: "empty path" says more than "needs token_file". */
static bool is_opt_path(const char *name)
{
    return strcmp(name, "ca_file") == 0 || strcmp(name, "hmac_key_file") == 0 ||
           strcmp(name, "pseudonymize_key_file") == 0;
}

static int set_opt_path(parse_ctx *c, sync_cstr *dst, const char *value)
{
    return *value ? set_path(c, dst, value) : 1;
}

static int set_bool(parse_ctx *c, bool *dst, const char *v)
{
    static const char *const yes[] = {"true", "yes", "on", "1"};
    static const char *const no[] = {"false", "no", "off", "0"};
    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp(v, yes[i]) == 0) {
            *dst = true;
            return 1;
        }
        if (strcasecmp(v, no[i]) == 0) {
            *dst = false;
            return 1;
        }
    }
    return perr(c, c->line, "expected true or false, got '%s'", v);
}

static int set_duration(parse_ctx *c, uint64_t *dst, const char *v,
                        uint64_t min_ms)
{
    uint64_t ms;
    if (!sync_duration_parse(v, &ms))
        return perr(c, c->line,
                    "expected a duration like 30s, 5m, 1h or 250ms, got '%s'",
                    v);
    if (ms < min_ms)
        return perr(c, c->line, "duration '%s' is too short (minimum %llu ms)",
                    v, (unsigned long long)min_ms);
    *dst = ms;
    return 1;
}

static int set_uint(parse_ctx *c, uint64_t *dst, const char *v, uint64_t lo,
                    uint64_t hi)
{
    uint64_t x;
    if (!sync_parse_u64(v, &x) || x < lo || x > hi)
        return perr(c, c->line,
                    "expected an integer from %llu to %llu, "
                    "got '%s'",
                    (unsigned long long)lo, (unsigned long long)hi, v);
    *dst = x;
    return 1;
}

static int unknown_key(parse_ctx *c, const char *name)
{
    return perr(c, c->line, "unknown key '%s' in %s", name, sect_name(c));
}

static int on_engine(parse_ctx *c, const char *name, const char *value)
{
    sync_config *cfg = c->cfg;
    if (strcmp(name, "policy") == 0) {
        if (strcmp(value, "github") == 0)
            cfg->policy = HC_POLICY_GITHUB;
        else if (strcmp(value, "extended") == 0)
            cfg->policy = HC_POLICY_EXTENDED;
        else
            return perr(c, c->line,
                        "policy must be github or extended, got '%s'", value);
        return 1;
    }
    if (strcmp(name, "threads") == 0) {
        uint64_t t = 0;
        if (!set_uint(c, &t, value, 0, 256))
            return 0;
        cfg->threads = (unsigned)t;
        return 1;
    }
    return unknown_key(c, name);
}

static int on_ghes(parse_ctx *c, const char *name, const char *value)
{
    sync_ghes_conf *g = c->ghes;
    if (strcmp(name, "url") == 0)
        return set_str(c, &g->url, value);
    if (strcmp(name, "file") == 0)
        return set_path(c, &g->file, value);
    if (strcmp(name, "user") == 0) {
        for (const char *p = value; *p; p++)
            if ((unsigned char)*p < 0x20 || *p == ':' || *p == 0x7f)
                return perr(c, c->line,
                            "user must not hold ':' or control characters");
        return set_str(c, &g->user, value);
    }
    if (strcmp(name, "token_file") == 0)
        return set_path(c, &g->token_file, value);
    if (strcmp(name, "ca_file") == 0)
        return set_opt_path(c, &g->ca_file, value);
    if (strcmp(name, "allow_insecure_loopback_http") == 0)
        return set_bool(c, &g->allow_insecure, value);
    return unknown_key(c, name);
}

static int on_ghec(parse_ctx *c, const char *name, const char *value)
{
    sync_ghec_conf *g = &c->cfg->ghec;
    if (strcmp(name, "api_url") == 0)
        return set_str(c, &g->api_url, value);
    if (strcmp(name, "file") == 0)
        return set_path(c, &g->file, value);
    if (strcmp(name, "enterprise") == 0) {
        for (const char *p = value; *p; p++)
            if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_' &&
                *p != '.')
                return perr(c, c->line,
                            "enterprise must be the enterprise's slug "
                            "(letters, digits, '-', '_', '.')");
        return set_str(c, &g->enterprise, value);
    }
    if (strcmp(name, "token_file") == 0)
        return set_path(c, &g->token_file, value);
    if (strcmp(name, "ca_file") == 0)
        return set_opt_path(c, &g->ca_file, value);
    if (strcmp(name, "allow_insecure_loopback_http") == 0)
        return set_bool(c, &g->allow_insecure, value);
    return unknown_key(c, name);
}

static int on_upload(parse_ctx *c, const char *name, const char *value)
{
    sync_upload_conf *u = &c->cfg->upload;
    if (strcmp(name, "url") == 0)
        return set_str(c, &u->url, value);
    if (strcmp(name, "url_file") == 0)
        return set_path(c, &u->url_file, value);
    if (strcmp(name, "method") == 0) {
        if (strcasecmp(value, "POST") == 0)
            u->put = false;
        else if (strcasecmp(value, "PUT") == 0)
            u->put = true;
        else
            return perr(c, c->line, "method must be POST or PUT, got '%s'",
                        value);
        return 1;
    }
    if (strcmp(name, "token_file") == 0)
        return set_path(c, &u->token_file, value);
    if (strcmp(name, "hmac_key_file") == 0)
        return set_opt_path(c, &u->hmac_key_file, value);
    if (strcmp(name, "pseudonymize_key_file") == 0)
        return set_opt_path(c, &u->pseudonymize_key_file, value);
    if (strcmp(name, "ca_file") == 0)
        return set_opt_path(c, &u->ca_file, value);
    if (strcmp(name, "gzip") == 0)
        return set_bool(c, &u->gzip, value);
    if (strcmp(name, "allow_insecure_loopback_http") == 0)
        return set_bool(c, &u->allow_insecure, value);
    if (strcmp(name, "timeout") == 0)
        return set_duration(c, &u->timeout_ms, value, 0);
    return unknown_key(c, name);
}

static int on_schedule(parse_ctx *c, const char *name, const char *value)
{
    sync_config *cfg = c->cfg;
    if (strcmp(name, "weekly") == 0) {
        if (!sync_weekly_parse(value, &cfg->weekly))
            return perr(c, c->line,
                        "weekly must be 'DAY HH:MM' like 'Mon 03:30', got "
                        "'%s'",
                        value);
        return 1;
    }
    if (strcmp(name, "jitter") == 0) {
        /* The window after each weekly slot must end before the next
         * one, or "this week's run" would mean nothing. Slots are a week
         * apart on the calendar, which a change of summer time shortens
         * by an hour (two in a few zones): 166 hours always fit. */
        if (set_duration(c, &cfg->jitter_ms, value, 0) != 1)
            return 0;
        if (cfg->jitter_ms > 166ull * 3600 * 1000)
            return perr(c, c->line,
                        "jitter '%s' is longer than 166h: it must end "
                        "before the next weekly slot, which a change of "
                        "summer time brings up to two hours closer",
                        value);
        return 1;
    }
    return unknown_key(c, name);
}

static int on_http(parse_ctx *c, const char *name, const char *value)
{
    sync_http_conf *h = &c->cfg->http;
    if (strcmp(name, "connect_timeout") == 0)
        return set_duration(c, &h->connect_timeout_ms, value, 1);
    if (strcmp(name, "low_speed_limit") == 0)
        return set_uint(c, &h->low_speed_limit, value, 0, 1ull << 30);
    if (strcmp(name, "low_speed_time") == 0)
        return set_duration(c, &h->low_speed_time_ms, value, 1000);
    if (strcmp(name, "poll_max_wait") == 0)
        return set_duration(c, &h->poll_max_wait_ms, value, 0);
    if (strcmp(name, "fetch_timeout") == 0)
        return set_duration(c, &h->fetch_timeout_ms, value, 0);
    if (strcmp(name, "retry_deadline") == 0)
        return set_duration(c, &h->retry_deadline_ms, value, 0);
    if (strcmp(name, "retry_base") == 0)
        return set_duration(c, &h->retry_base_ms, value, 1);
    if (strcmp(name, "retry_max_delay") == 0)
        return set_duration(c, &h->retry_max_delay_ms, value, 1);
    if (strcmp(name, "max_attempts") == 0) {
        uint64_t n = 0;
        if (!set_uint(c, &n, value, 1, 100))
            return 0;
        h->max_attempts = (unsigned)n;
        return 1;
    }
    return unknown_key(c, name);
}

static int on_state(parse_ctx *c, const char *name, const char *value)
{
    if (strcmp(name, "dir") == 0) {
        sync_cstr d = {0};
        if (!set_path(c, &d, value))
            return 0;
        free(c->cfg->state_dir);
        c->cfg->state_dir = d.s;
        return 1;
    }
    return unknown_key(c, name);
}

static int append_domains(parse_ctx *c, const char *value)
{
    sync_config *cfg = c->cfg;
    /* "verified_domains =" may hold its list on the indented lines below
     * it; without any, it is an empty value (domains_empty_check). */
    if (!*value) {
        c->domains_empty = c->line;
        return 1;
    }
    unsigned key_line = c->domains_empty ? c->domains_empty : c->line;
    bool new_piece = !c->cont || c->n_pieces == 0 || c->domains_empty;
    c->domains_empty = 0;
    size_t old = cfg->verified_domains ? strlen(cfg->verified_domains) : 0;
    size_t add = strlen(value);
    if (old + add + 1 > (1u << 20))
        return perr(c, c->line, "verified_domains is longer than 1 MiB");
    char *s = realloc(cfg->verified_domains, old + add + 2);
    if (!s) {
        c->oom = c->stop = true;
        return 0;
    }
    /* Lines joined by a line end, as they were: a '#' comment in one
     * line's value ends there and hides none of the lines after it. */
    if (old)
        s[old++] = '\n';
    memcpy(s + old, value, add + 1);
    cfg->verified_domains = s;
    if (new_piece) {
        struct domains_piece *pc =
            realloc(c->pieces, (c->n_pieces + 1) * sizeof *pc);
        if (!pc) {
            c->oom = c->stop = true;
            return 0;
        }
        c->pieces = pc;
        pc[c->n_pieces++] = (struct domains_piece){old, key_line};
    }
    return 1;
}

static int on_key(void *user, const char *section, const char *name,
                  const char *value)
{
    parse_ctx *c = user;
    (void)section; /* our reader tracks sections itself */
    if (c->stop)
        return 1;
    c->prev_key = true;
    if (!(c->cont && c->sect == SECT_ENGINE &&
          strcmp(name, "verified_domains") == 0))
        domains_empty_check(c);
    if (c->stop)
        return 0;
    if (c->sect == SECT_NONE)
        return perr(c, c->line, "key '%s' outside of any section", name);
    /* verified_domains may span several lines or repeat: entries add up. */
    if (c->sect == SECT_ENGINE && strcmp(name, "verified_domains") == 0)
        return append_domains(c, value);
    /* libinih hands an indented line on as more of the key above it. */
    if (c->cont)
        return perr(c, c->line,
                    "an indented line continues '%s' above it, which takes "
                    "one value (only verified_domains is a list): remove the "
                    "indentation",
                    name);
    if ((*value || !is_opt_path(name)) && !seen_once(c, name))
        return perr(c, c->line, "duplicate key '%s' in %s", name, sect_name(c));
    switch (c->sect) {
    case SECT_ENGINE: return on_engine(c, name, value);
    case SECT_GHES: return on_ghes(c, name, value);
    case SECT_GHEC: return on_ghec(c, name, value);
    case SECT_UPLOAD: return on_upload(c, name, value);
    case SECT_SCHEDULE: return on_schedule(c, name, value);
    case SECT_STATE: return on_state(c, name, value);
    case SECT_HTTP: return on_http(c, name, value);
    case SECT_NONE: break;
    }
    return unknown_key(c, name);
}

/* ---- checks after parsing ---- */

static int check_url(parse_ctx *c, const sync_cstr *url, bool insecure,
                     bool has_user, const char *where, const char *key)
{
    sync_err e;
    char what[600]; /* where is at most 299 bytes, key a short name */
    snprintf(what, sizeof what, "%s %s", where, key);
    if (sync_http_check_url(url->s, insecure, has_user, what, &e) != 0)
        return perr(c, url->line, "%s", e.msg);
    return 1;
}

/* The earliest line of the keys given among a, b and c (at least one). */
static unsigned first_line(const sync_cstr *a, const sync_cstr *b,
                           const sync_cstr *c)
{
    unsigned l = UINT_MAX;
    const sync_cstr *v[] = {a, b, c};
    for (size_t i = 0; i < 3; i++)
        if (v[i]->s && v[i]->line < l)
            l = v[i]->line;
    return l == UINT_MAX ? 0 : l;
}

/* A server's base URL: headcount appends the export's path to it. */
static int check_base_url(parse_ctx *c, const sync_cstr *url, bool insecure,
                          bool has_user, const char *where, const char *key)
{
    if (!check_url(c, url, insecure, has_user, where, key))
        return 0;
    if (!sync_http_url_is_base(url->s))
        return perr(c, url->line,
                    "%s %s must not hold a query (?) or a fragment (#): "
                    "headcount appends the export's path to it",
                    where, key);
    return 1;
}

static int check_readable(parse_ctx *c, const sync_cstr *f, const char *what)
{
    /* status reads no CA file (nor any secret). */
    if (f->s && c->use == SYNC_CONFIG_RUN && access(f->s, R_OK) != 0)
        return perr(c, f->line, "%s %s: %s", what, f->s, strerror(errno));
    return 1;
}

static void validate(parse_ctx *c)
{
    sync_config *cfg = c->cfg;
    if (cfg->n_ghes == 0 && !cfg->ghec.present) {
        perr(c, 0,
             "no source configured: add a [ghes \"HOST\"] or [ghec] "
             "section");
        return;
    }
    for (size_t i = 0; i < cfg->n_ghes && !c->stop; i++) {
        sync_ghes_conf *g = &cfg->ghes[i];
        char where[300];
        snprintf(where, sizeof where, "[ghes \"%s\"]", g->host);
        if (!g->url.s == !g->file.s) {
            perr(c, g->line, "%s needs exactly one of url and file", where);
        } else if (g->url.s) {
            if (!check_base_url(c, &g->url, g->allow_insecure, true, where,
                                "url"))
                return;
            if (!g->user.s)
                perr(c, g->line, "%s needs user (a site administrator)", where);
            else if (!g->token_file.s)
                perr(c, g->line, "%s needs token_file", where);
            else
                check_readable(c, &g->ca_file, "ca_file");
        } else if (g->user.s || g->token_file.s || g->ca_file.s) {
            perr(c, first_line(&g->user, &g->token_file, &g->ca_file),
                 "%s: user, token_file and ca_file only apply to url", where);
        }
    }
    sync_ghec_conf *h = &cfg->ghec;
    if (!c->stop && h->present) {
        if (!h->api_url.s == !h->file.s) {
            perr(c, h->line, "[ghec] needs exactly one of api_url and file");
        } else if (h->api_url.s) {
            if (!check_base_url(c, &h->api_url, h->allow_insecure, false,
                                "[ghec]", "api_url"))
                return;
            if (!h->enterprise.s)
                perr(c, h->line, "[ghec] needs enterprise");
            else if (!h->token_file.s)
                perr(c, h->line, "[ghec] needs token_file");
            else
                check_readable(c, &h->ca_file, "ca_file");
        } else if (h->enterprise.s || h->token_file.s || h->ca_file.s) {
            perr(c, first_line(&h->enterprise, &h->token_file, &h->ca_file),
                 "[ghec]: enterprise, token_file and ca_file only apply to "
                 "api_url");
        }
    }
    sync_upload_conf *u = &cfg->upload;
    if (!c->stop && u->present) {
        if (!u->url.s == !u->url_file.s)
            perr(c, u->line, "[upload] needs exactly one of url and url_file");
        else if (u->url.s && !check_url(c, &u->url, u->allow_insecure, false,
                                        "[upload]", "url"))
            return;
        else
            check_readable(c, &u->ca_file, "ca_file");
    }
    if (!c->stop && cfg->verified_domains) {
        size_t bad = 0, len = strlen(cfg->verified_domains);
        unsigned line = c->pieces[0].line;
        hc_status st = hc_domains_create(&cfg->domains);
        if (st == HC_OK)
            st = hc_domains_add_list(cfg->domains, cfg->verified_domains, len,
                                     &bad);
        if (st == HC_ERR_DATA) {
            /* The key whose value holds the entry. */
            size_t off = 0, elen = 0;
            if (hc_domains_list_entry(cfg->verified_domains, len, bad, &off,
                                      &elen))
                for (size_t i = 1; i < c->n_pieces; i++)
                    if (c->pieces[i].off <= off)
                        line = c->pieces[i].line;
            perr(c, line, "verified_domains: entry %zu is not a valid domain",
                 bad);
        } else if (st != HC_OK) {
            perr(c, line, "verified_domains: %s", hc_status_str(st));
        } else if (hc_domains_count(cfg->domains) == 0) {
            /* As on the command line: an empty list would report every
             * person as without a verified-domain email. */
            perr(c, line, "verified_domains: no domain given");
        }
    }
}

static void config_defaults(sync_config *cfg)
{
    cfg->policy = HC_POLICY_GITHUB;
    cfg->threads = 0;
    cfg->weekly = (sync_weekly){.wday = 1, .hour = 3, .minute = 30};
    cfg->jitter_ms = 3600000;
    cfg->upload.gzip = false;
    cfg->upload.timeout_ms = 10 * 60000;
    sync_http_conf_default(&cfg->http);
}

int sync_config_load(const char *path, sync_config_use use, sync_config **out,
                     sync_err *err)
{
    int rc = 0;
    parse_ctx c;
    memset(&c, 0, sizeof c);
    c.use = use;
    *out = NULL;
    c.cfg = calloc(1, sizeof *c.cfg);
    c.seen = calloc(SEEN_MAX, sizeof *c.seen);
    if (c.cfg)
        c.cfg->ghes = calloc(SYNC_GHES_MAX, sizeof *c.cfg->ghes);
    if (!c.cfg || !c.seen || !c.cfg->ghes || !(c.cfg->path = strdup(path))) {
        rc = sync_fail(err, CLI_EX_SOFTWARE, "out of memory");
        goto done;
    }
    config_defaults(c.cfg);
    const char *slash = strrchr(path, '/');
    char *spelled =
        slash ? strndup(path, (size_t)(slash - path == 0 ? 1 : slash - path))
              : strdup(".");
    /* Relative paths in the file are taken from the config's directory,
     * canonical: `sync` and `status` must resolve a source to the same
     * name however each was given --config (status finds a GHEC file's
     * last sync by that name). */
    c.dir = spelled ? realpath(spelled, NULL) : NULL;
    if (!c.dir && spelled && errno != ENOMEM) {
        c.dir = spelled; /* the open below says what is wrong */
        spelled = NULL;
    }
    free(spelled);
    if (!c.dir) {
        rc = sync_fail(err, CLI_EX_SOFTWARE, "out of memory");
        goto done;
    }
    c.f = fopen(path, "r");
    if (!c.f) {
        rc = sync_fail(err, errno == EACCES ? CLI_EX_NOPERM : CLI_EX_NOINPUT,
                       "%s: cannot open config: %s", path, strerror(errno));
        goto done;
    }
    /* A directory opens for reading and fails at the first read: say
     * what it is, with the exit of a config that cannot be opened. */
    struct stat st;
    if (fstat(fileno(c.f), &st) == 0 && S_ISDIR(st.st_mode)) {
        rc = sync_fail(err, CLI_EX_NOINPUT,
                       "%s: cannot open config: Is a directory", path);
        goto done;
    }
    int r = ini_parse_stream(read_line, &c, on_key, &c);
    domains_empty_check(&c);
    if (c.oom || r == -2) {
        rc = sync_fail(err, CLI_EX_SOFTWARE, "out of memory");
        goto done;
    }
    if (ferror(c.f)) {
        rc = sync_fail(err, CLI_EX_IOERR, "%s: read error", path);
        goto done;
    }
    /* libinih goes on after a line it cannot parse and returns the first
     * one: an error met on a later line must not hide it. */
    if (r > 0 && (!c.code || (unsigned)r < c.msg_line)) {
        c.code = 0;
        perr(&c, (unsigned)r,
             "syntax error (expected [section], key = value or a comment)");
    }
    if (!c.code)
        validate(&c);
    if (c.oom) {
        rc = sync_fail(err, CLI_EX_SOFTWARE, "out of memory");
        goto done;
    }
    if (c.code) {
        if (c.msg_line)
            rc = sync_fail(err, c.code, "%s:%u: %s", path, c.msg_line, c.msg);
        else
            rc = sync_fail(err, c.code, "%s: %s", path, c.msg);
        goto done;
    }
    if (!c.cfg->state_dir) {
        const char *sd = getenv("STATE_DIRECTORY");
        c.cfg->state_dir = sd && *sd ? strndup(sd, strcspn(sd, ":"))
                                     : strdup("/var/lib/headcount");
        if (!c.cfg->state_dir) {
            rc = sync_fail(err, CLI_EX_SOFTWARE, "out of memory");
            goto done;
        }
    }
    *out = c.cfg;
    c.cfg = NULL;
done:
    if (c.f)
        fclose(c.f);
    for (size_t i = 0; i < c.n_seen; i++)
        free(c.seen[i]);
    free(c.seen);
    free(c.pieces);
    free(c.dir);
    sync_config_free(c.cfg);
    return rc;
}

static void cstr_free(sync_cstr *s)
{
    free(s->s);
}

void sync_config_free(sync_config *cfg)
{
    if (!cfg)
        return;
    for (size_t i = 0; i < cfg->n_ghes; i++) {
        sync_ghes_conf *g = &cfg->ghes[i];
        free(g->host);
        cstr_free(&g->url);
        cstr_free(&g->file);
        cstr_free(&g->user);
        cstr_free(&g->token_file);
        cstr_free(&g->ca_file);
    }
    free(cfg->ghes);
    cstr_free(&cfg->ghec.api_url);
    cstr_free(&cfg->ghec.file);
    cstr_free(&cfg->ghec.enterprise);
    cstr_free(&cfg->ghec.token_file);
    cstr_free(&cfg->ghec.ca_file);
    cstr_free(&cfg->upload.url);
    cstr_free(&cfg->upload.url_file);
    cstr_free(&cfg->upload.token_file);
    cstr_free(&cfg->upload.hmac_key_file);
    cstr_free(&cfg->upload.pseudonymize_key_file);
    cstr_free(&cfg->upload.ca_file);
    free(cfg->verified_domains);
    hc_domains_destroy(cfg->domains);
    free(cfg->state_dir);
    free(cfg->path);
    free(cfg);
}
