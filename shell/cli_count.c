/*
 * `headcount count`: read the exports, count seats, print the summary (or
 * --json), and write the per-person report. The report is written to a
 * temporary file beside its destination and renamed into place only after
 * everything succeeded, so a failed run never leaves half a report and never
 * touches an existing one.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "cli_inputs.h"
#include "cli_output.h"
#include "sync_secret.h"

const char cli_count_usage[] =
    "usage: headcount count [--policy github|extended] [--threads N]\n"
    "                       [--verified-domains LIST|@FILE]\n"
    "                       [--ghes HOST=PATH]... [--ghes PATH]...\n"
    "                       [--ghec PATH]... [--records PATH]...\n"
    "                       [--json] [--report FILE.json|FILE.csv]\n"
    "                       [--pseudonymize KEYFILE] [--skip-malformed]\n"
    "                       [--quiet]\n\n"
    "Counts the seats GitHub Enterprise bills across GHES instances and\n"
    "GHEC: one seat per person, persons found by GitHub's matching rules\n"
    "(policy github) or by any shared email (policy extended).\n\n"
    "  --ghes HOST=PATH   a GHES all_users.csv report (or JSON export)\n"
    "  --ghec PATH        GHEC consumed-licenses JSON or CSV\n"
    "  --records PATH     NDJSON accounts, one per line\n"
    "  --json             print the summary as one JSON object\n"
    "  --report FILE      write one row per person (.json or .csv)\n"
    "  --pseudonymize K   replace emails and SAML NameIDs in the report\n"
    "                     by HMAC-SHA256 under the key in file K\n"
    "Inputs may be gzip-compressed or '-' for standard input.\n";

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/*
 * Reads the --pseudonymize key through the reader sync uses for its key
 * files, so that both take the same bytes and refuse the same files (not
 * ours, readable by others, not a regular file: exit 77). Bad contents are
 * bad input to this command (65), where sync calls them a config error.
 */
static int load_key(const char *path, sync_secret *key)
{
    sync_err err;
    /* Whoever reads the key can reverse the pseudonyms: keep it out of
     * core dumps while this process holds it. */
    sync_secret_no_core_dumps();
    int code = sync_secret_read(path, "key file", SYNC_SECRET_KEY, key, &err);
    if (code != 0)
        cli_errorf("%s", err.msg);
    return code == CLI_EX_CONFIG ? CLI_EX_DATAERR : code;
}

int cli_count_main(int argc, char **argv)
{
    cli_inputs in;
    cli_inputs_init(&in);
    bool json = false;
    const char *report = NULL, *keyfile = NULL;
    int code = 0;
    hc_census *c = NULL;
    hc_domains *d = NULL;
    hc_result *r = NULL;
    sync_secret key = {0};
    cli_report_file rf = {NULL, NULL, -1};

    for (int i = 1; i < argc; i++) {
        int k = cli_inputs_parse(&in, "count", argc, argv, &i);
        if (k < 0) {
            code = CLI_EX_USAGE;
            goto done;
        }
        if (k > 0)
            continue;
        const char *val = NULL, **slot = NULL;
        if ((k = cli_opt_value("count", "--report", argc, argv, &i, &val)))
            slot = &report;
        else if ((k = cli_opt_value("count", "--pseudonymize", argc, argv, &i,
                                    &val)))
            slot = &keyfile;
        else if ((k = cli_opt_flag("count", "--json", argv[i])) > 0)
            json = true;
        else if (k == 0)
            cli_usage_error("count", "unknown option '%s'", argv[i]);
        if (k > 0 && slot && *slot) {
            /* The last one winning would leave the administrator without
             * a report, or a key, they asked for. */
            cli_usage_error("count", "%s given twice",
                            slot == &report ? "--report" : "--pseudonymize");
            k = -1;
        } else if (k > 0 && slot)
            *slot = val;
        if (k <= 0) {
            code = CLI_EX_USAGE;
            goto done;
        }
    }
    if (report && !ends_with(report, ".json") && !ends_with(report, ".csv")) {
        code = cli_usage_error("count", "--report must end in .json or .csv");
        goto done;
    }
    if (keyfile && !report) {
        code = cli_usage_error("count", "--pseudonymize applies to the "
                                        "--report file; give --report");
        goto done;
    }
    if (keyfile && (code = load_key(keyfile, &key)) != 0)
        goto done;
    if (report && (code = cli_report_open(&rf, report)) != 0)
        goto done;

    uint64_t t0 = now_ms();
    if ((code = cli_inputs_run(&in, "count", report ? HC_RUN_PERSONS : 0u, &c,
                               &d, &r)) != 0)
        goto done;
    if (report) {
        hc_report_options ro = {0};
        ro.hmac_key = keyfile ? (const unsigned char *)key.data : NULL;
        ro.hmac_key_len = key.len;
        code = cli_report_prepare(&rf, r, &ro);
        if (code)
            goto done;
        size_t n = keyfile && !in.quiet ? cli_email_logins(r) : 0;
        if (n)
            cli_errorf("warning: %s", cli_email_logins_text(n));
    }
    uint64_t elapsed = now_ms() - t0;
    if (json) {
        hc_status st = hc_summary_write_json(r, elapsed, hc_write_file, stdout);
        if (st == HC_OK && fputc('\n', stdout) == EOF)
            st = HC_ERR_IO;
        if (st == HC_ERR_IO) {
            /* One message, with the cause, as for every command. */
            cli_stdout_note(errno);
            code = cli_stdout_check(CLI_EX_OK);
        }
        if (st != HC_OK) {
            if (!code)
                code = cli_fail(st, "stdout");
            goto done;
        }
    } else {
        cli_print_summary(stdout, r, elapsed);
    }
    /* The report replaces the old one only once the summary is out. */
    if ((code = cli_stdout_check(code)) == 0 && report)
        code = cli_report_commit(&rf);
done:
    cli_report_discard(&rf);
    sync_secret_wipe(&key);
    hc_result_destroy(r);
    hc_census_destroy(c);
    hc_domains_destroy(d);
    cli_inputs_fini(&in);
    return code;
}
