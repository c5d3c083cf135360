/*
 * Parsing of the input options every counting command shares, and loading
 * the inputs into a census. All inputs are loaded in one call and parsed
 * side by side on all threads; a data error in any input stops the command
 * before anything is written.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "cli_inputs.h"
#include "cli_output.h"
#include "sync_util.h"

void cli_inputs_init(cli_inputs *in)
{
    memset(in, 0, sizeof *in);
    in->policy = HC_POLICY_GITHUB;
}

void cli_inputs_fini(cli_inputs *in)
{
    for (size_t i = 0; i < in->n; i++)
        free(in->hosts[i]);
    in->n = 0;
}

int cli_fail(hc_status st, const char *what)
{
    cli_errorf("%s: %s", what, hc_status_str(st));
    int code = hc_status_exit_code(st);
    return code ? code : CLI_EX_SOFTWARE;
}

/*
 * Standard input can be read once: whichever reads it second would see
 * nothing from a pipe, or the same bytes again under another role. Before
 * an input '-' (or, with for_domains, --verified-domains @-) is taken:
 * true, after a usage error for cmd, when an input '-' or @- already
 * claims it.
 */
static bool stdin_taken(const cli_inputs *in, const char *cmd, bool for_domains)
{
    bool input = false;
    for (size_t i = 0; !input && i < in->n; i++)
        input = strcmp(in->items[i].path, "-") == 0;
    if (input && !for_domains) {
        cli_usage_error(cmd, "standard input ('-') given twice");
        return true;
    }
    if (input ||
        (in->verified_domains && strcmp(in->verified_domains, "@-") == 0)) {
        cli_usage_error(cmd, "standard input given twice: an input '-' and "
                             "--verified-domains @-");
        return true;
    }
    return false;
}

/* "HOST=PATH" when the part before '=' looks like a host (no '/'). */
static int add_input(cli_inputs *in, const char *cmd, hc_input_role role,
                     const char *arg)
{
    if (in->n >= CLI_MAX_INPUTS) {
        cli_usage_error(cmd, "too many inputs (at most %d)", CLI_MAX_INPUTS);
        return -1;
    }
    hc_input *it = &in->items[in->n];
    it->role = role;
    it->path = arg;
    it->host = NULL;
    const char *eq = strchr(arg, '=');
    if (role == HC_INPUT_GHES && eq == arg) {
        cli_usage_error(cmd,
                        "empty HOST in --ghes '%s' (a file whose name starts "
                        "with '=' is given as ./%s)",
                        arg, arg);
        return -1;
    }
    if (role == HC_INPUT_GHES && eq &&
        memchr(arg, '/', (size_t)(eq - arg)) == NULL) {
        size_t n = (size_t)(eq - arg);
        char *host = malloc(n + 1);
        if (!host) {
            cli_errorf("out of memory");
            return -1;
        }
        memcpy(host, arg, n);
        host[n] = '\0';
        if (!sync_host_is_valid(host)) {
            free(host);
            cli_usage_error(cmd,
                            "'%s' in --ghes HOST=PATH is not a host name "
                            "(letters, digits, '.', '-', '_'; at most 253 "
                            "bytes, not starting with '.' or '-')",
                            arg);
            return -1;
        }
        in->hosts[in->n] = host;
        it->host = host;
        it->path = eq + 1;
    }
    if (!*it->path) {
        free(in->hosts[in->n]);
        in->hosts[in->n] = NULL;
        cli_usage_error(cmd, "empty path in '%s'", arg);
        return -1;
    }
    if (strcmp(it->path, "-") == 0 && stdin_taken(in, cmd, false)) {
        free(in->hosts[in->n]);
        in->hosts[in->n] = NULL;
        return -1;
    }
    in->n++;
    return 1;
}

/* The input options, each taking a value. */
static const char *const valued[] = {"--ghes",    "--ghec",
                                     "--records", "--policy",
                                     "--threads", "--verified-domains"};
static const size_t n_valued = sizeof valued / sizeof valued[0];

bool cli_inputs_takes_value(const char *arg)
{
    for (size_t k = 0; k < n_valued; k++)
        if (strcmp(arg, valued[k]) == 0)
            return true;
    return false;
}

int cli_inputs_parse(cli_inputs *in, const char *cmd, int argc, char **argv,
                     int *i)
{
    const char *opt = NULL, *val = NULL;
    size_t which = n_valued;
    for (size_t k = 0; which == n_valued && k < n_valued; k++) {
        int got = cli_opt_value(cmd, valued[k], argc, argv, i, &val);
        if (got < 0)
            return -1;
        if (got > 0) {
            which = k;
            opt = valued[k];
        }
    }
    if (which == n_valued) {
        int k = cli_opt_flag(cmd, "--skip-malformed", argv[*i]);
        if (k > 0)
            in->skip_malformed = true;
        if (k == 0) {
            k = strcmp(argv[*i], "-q") == 0
                    ? 1
                    : cli_opt_flag(cmd, "--quiet", argv[*i]);
            if (k > 0)
                in->quiet = true;
        }
        return k;
    }
    /* Settings are given once: the last one silently winning would run
     * under a policy or thread count the administrator did not mean. */
    if ((which == 3 && in->policy_given) || (which == 4 && in->threads_given)) {
        cli_usage_error(cmd, "%s given twice", opt);
        return -1;
    }
    switch (which) {
    case 0: return add_input(in, cmd, HC_INPUT_GHES, val);
    case 1: return add_input(in, cmd, HC_INPUT_GHEC, val);
    case 2: return add_input(in, cmd, HC_INPUT_RECORDS, val);
    case 3:
        in->policy_given = true;
        if (strcmp(val, "github") == 0)
            in->policy = HC_POLICY_GITHUB;
        else if (strcmp(val, "extended") == 0)
            in->policy = HC_POLICY_EXTENDED;
        else {
            cli_usage_error(cmd, "--policy must be 'github' or 'extended'");
            return -1;
        }
        return 1;
    case 4: {
        char *end = NULL;
        errno = 0;
        unsigned long n = strtoul(val, &end, 10);
        /* Digits only, as in a config: strtoul alone would also take
         * a sign or leading blanks. */
        if (errno || val[0] < '0' || val[0] > '9' || *end || n > 256) {
            cli_usage_error(cmd, "--threads takes a number from 0 to 256");
            return -1;
        }
        in->threads = (unsigned)n;
        in->threads_given = true;
        return 1;
    }
    default:
        /* One list: a second one silently replacing the first would count
         * against fewer domains than the administrator named. */
        if (in->verified_domains) {
            cli_usage_error(cmd, "--verified-domains given twice; list every "
                                 "domain in one value or @FILE");
            return -1;
        }
        if (strcmp(val, "@-") == 0 && stdin_taken(in, cmd, true))
            return -1;
        in->verified_domains = val;
        return 1;
    }
}

static int load_domains(const char *spec, hc_domains **out)
{
    hc_domains *d = NULL;
    hc_status st = hc_domains_create(&d);
    if (st != HC_OK)
        return cli_fail(st, "verified domains");
    char *text = NULL;
    size_t len = 0;
    const char *name = "--verified-domains";
    if (spec[0] == '@') {
        hc_diag diag;
        name = spec + 1;
        st = hc_file_slurp(spec + 1, (size_t)16 << 20, &text, &len, &diag);
        if (st != HC_OK) {
            char msg[HC_DIAG_TEXT_MAX];
            hc_diag_format(&diag, msg, sizeof msg);
            cli_errorf("%s", msg);
            hc_domains_destroy(d);
            return hc_status_exit_code(st);
        }
    }
    size_t bad = 0;
    const char *list = text ? text : spec;
    size_t list_len = text ? len : strlen(spec);
    /* A file saved with a UTF-8 BOM, as the inputs may be. Offsets below
     * count from after it: the BOM is on line 1 and no entry starts in it. */
    if (text && list_len >= 3 && memcmp(list, "\xef\xbb\xbf", 3) == 0)
        list += 3, list_len -= 3;
    st = hc_domains_add_list(d, list, list_len, &bad);
    if (st == HC_ERR_DATA) {
        /* Name the entry, and its line in a file. */
        size_t off = 0, n = 0;
        if (hc_domains_list_entry(list, list_len, bad, &off, &n)) {
            size_t line = 1;
            for (size_t i = 0; i < off; i++)
                line += list[i] == '\n';
            char where[32] = "";
            if (text)
                snprintf(where, sizeof where, ":%zu", line);
            fprintf(stderr, "headcount: %s%s: ", name, where);
            cli_print_str(stderr, (hc_str){list + off, n < 60 ? n : 60});
            fprintf(stderr, "%s is not a valid domain (entry %zu)\n",
                    n > 60 ? "..." : "", bad);
        } else {
            cli_errorf("%s: entry %zu is not a valid domain", name, bad);
        }
    } else if (st != HC_OK) {
        cli_errorf("%s: %s", name, hc_status_str(st));
    }
    free(text);
    if (st != HC_OK) {
        hc_domains_destroy(d);
        return st == HC_ERR_DATA && spec[0] != '@' ? CLI_EX_USAGE
                                                   : hc_status_exit_code(st);
    }
    if (hc_domains_count(d) == 0) {
        /* An empty list would find every person without a verified-domain
         * email: a mistake (an unset variable, an empty file), not a
         * finding. */
        cli_errorf("%s: no domain given", name);
        hc_domains_destroy(d);
        return spec[0] != '@' ? CLI_EX_USAGE : CLI_EX_DATAERR;
    }
    *out = d;
    return 0;
}

/*
 * Two files given one HOST= are legal (an instance's users in two
 * exports), but rows of different files with the same id then count as
 * one account: a host name copied and not edited costs seats without a
 * word. Warns once, for the first such pair.
 */
static void warn_shared_host(const cli_inputs *in)
{
    for (size_t i = 0; i < in->n; i++)
        for (size_t j = 0; j < i; j++) {
            const hc_input *a = &in->items[j], *b = &in->items[i];
            if (!a->host || !b->host || !sync_host_same(a->host, b->host) ||
                strcmp(a->path, b->path) == 0)
                continue;
            cli_errorf("warning: --ghes %s= names two files (%s and %s): "
                       "their rows with the same user id count as one "
                       "account",
                       b->host, a->path, b->path);
            return;
        }
}

int cli_inputs_run(const cli_inputs *in, const char *cmd, unsigned run_flags,
                   hc_census **census, hc_domains **domains, hc_result **result)
{
    hc_census *c = NULL;
    hc_domains *d = NULL;
    hc_result *r = NULL;
    hc_load_stats *stats = NULL;
    int code = 0;
    hc_status st;
    if (in->n == 0)
        return cli_usage_error(cmd, "no input: give --ghes, --ghec or "
                                    "--records");
    if (in->verified_domains &&
        (code = load_domains(in->verified_domains, &d)) != 0)
        return code;
    if (!in->quiet)
        warn_shared_host(in);
    hc_census_options copt = {0};
    copt.threads = in->threads;
    /* Size the key table from the inputs: exports carry at most about
     * one distinct email per 500 bytes (an NDJSON record of ~200 bytes
     * with a primary and an alias, people on several hosts). The table
     * grows past the estimate when needed, but growing costs a second
     * table's fresh memory and a rehash; an estimate too high costs 16
     * bytes of slots per key. */
    uint64_t bytes = 0;
    for (size_t i = 0; i < in->n; i++) {
        struct stat sb;
        if (strcmp(in->items[i].path, "-") != 0 &&
            stat(in->items[i].path, &sb) == 0 && S_ISREG(sb.st_mode))
            bytes += (uint64_t)sb.st_size;
    }
    copt.expected_keys = (size_t)(bytes / 512);
    copt.verified_domains = d;
    copt.summary_only = !(run_flags & HC_RUN_PERSONS);
    st = hc_census_create(&copt, &c);
    if (st != HC_OK) {
        code = cli_fail(st, "census");
        goto done;
    }
    bool progress = !in->quiet && isatty(STDERR_FILENO);
    hc_load_options lopt = {in->threads, in->skip_malformed};
    /* All inputs in one load: they are parsed side by side. */
    for (size_t i = 0; progress && i < in->n; i++)
        fprintf(stderr, "headcount: reading %s\n", in->items[i].path);
    stats = calloc(in->n, sizeof *stats);
    if (!stats) {
        code = cli_fail(HC_ERR_NOMEM, "census");
        goto done;
    }
    hc_diag diag;
    size_t failed = 0;
    st = hc_census_load_many(c, in->items, in->n, &lopt, stats, &failed, &diag);
    if (st != HC_OK) {
        char msg[HC_DIAG_TEXT_MAX];
        if (!diag.file[0])
            snprintf(diag.file, sizeof diag.file, "%s", in->items[failed].path);
        if (!diag.message[0])
            snprintf(diag.message, sizeof diag.message, "%s",
                     hc_status_str(st));
        hc_diag_format(&diag, msg, sizeof msg);
        fprintf(stderr, "headcount: %s\n", msg);
        code = hc_status_exit_code(st);
        if (code == 0 || code == 1)
            code = CLI_EX_SOFTWARE;
        goto done;
    }
    /* An input all of whose rows were malformed is not an input with
     * nobody in it: the file is of another shape than its flag says
     * (another export, another delimiter), and a count of the others
     * would look complete. */
    for (size_t i = 0; i < in->n; i++) {
        if (!stats[i].records || stats[i].rejected != stats[i].records)
            continue;
        char first[HC_DIAG_TEXT_MAX];
        hc_diag_format(&stats[i].first_rejected, first, sizeof first);
        cli_errorf("%s: every row (%llu) is malformed, none counted; the "
                   "first: %s",
                   in->items[i].path, (unsigned long long)stats[i].records,
                   first);
        code = CLI_EX_DATAERR;
        goto done;
    }
    for (size_t i = 0; !in->quiet && i < in->n; i++) {
        if (!stats[i].rejected)
            continue;
        char first[HC_DIAG_TEXT_MAX];
        hc_diag_format(&stats[i].first_rejected, first, sizeof first);
        if (stats[i].rejected == 1)
            fprintf(stderr, "headcount: %s (row skipped)\n", first);
        else
            fprintf(stderr,
                    "headcount: %s (row skipped, the first of %llu "
                    "malformed rows skipped in %s)\n",
                    first, (unsigned long long)stats[i].rejected,
                    in->items[i].path);
    }
    free(stats);
    stats = NULL;
    st = hc_census_run_ex(c, in->policy, run_flags, &r);
    if (st == HC_ERR_LIMIT) {
        /* Each input was within its limits; only the accounts taken
         * together can exceed one (formats.md, Limits). */
        cli_errorf("%s: the inputs together exceed a limit of the count "
                   "(over 4 billion accounts, or the rows of one GHEC login "
                   "holding over 65535 identity values or verified emails)",
                   cmd);
        code = hc_status_exit_code(st);
        goto done;
    }
    if (st != HC_OK) {
        code = cli_fail(st, "count");
        goto done;
    }
    *census = c;
    *domains = d;
    *result = r;
    return 0;
done:
    free(stats);
    hc_result_destroy(r);
    hc_census_destroy(c);
    hc_domains_destroy(d);
    return code;
}
