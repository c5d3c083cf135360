/*
 * Output helpers of the counting commands: the human summary, writing a
 * report file atomically, and loading the pseudonymization key.
 */
#ifndef CLI_OUTPUT_H
#define CLI_OUTPUT_H

#include <stdint.h>
#include <stdio.h>

#include "headcount/headcount.h"

/* Prints the human-readable seat summary of r. */
void cli_print_summary(FILE *f, const hc_result *r, uint64_t elapsed_ms);

/*
 * Logins stay in clear in a pseudonymized report (they are needed to act
 * on it), but an identity provider's export may use the user principal
 * name, an email address, as the login. cli_email_logins counts the
 * logins of counted GHEC accounts (the only ones a report names by login)
 * that hold an '@'; cli_email_logins_text says
 * so, for a warning (a static string).
 */
size_t cli_email_logins(const hc_result *r);
const char *cli_email_logins_text(size_t n);

/*
 * A report written in steps, so that it replaces the file at path only
 * when everything else the command does has succeeded.
 * cli_report_open creates a temporary file in the directory of path
 * (before the count, so that a missing directory or a permission problem
 * is reported at once) and removes it again if the process is killed by
 * SIGINT, SIGTERM, SIGHUP or SIGPIPE; cli_report_prepare writes the report
 * of r into it (.json or .csv chosen by the suffix of path) and fsyncs it;
 * cli_report_commit renames it over path and fsyncs the directory;
 * cli_report_discard removes it. On any failure nothing is left behind and
 * an existing file at path is untouched. path is borrowed until commit or
 * discard. Each returns an exit code (0 on success). One report at a time.
 */
typedef struct cli_report_file {
    const char *path;
    char *tmp; /* NULL when nothing is pending */
    int fd;    /* the temporary file until prepare, else -1 */
} cli_report_file;

int cli_report_open(cli_report_file *rf, const char *path);

/* Turns SIGBUS (a mapped input that shrank while read, or a read error
 * behind a mapping) into a message and exit 74, removing a temporary
 * report. Installed once, at start. */
void cli_guard_bus_errors(void);
int cli_report_prepare(cli_report_file *rf, const hc_result *r,
                       const hc_report_options *o);
int cli_report_commit(cli_report_file *rf);
void cli_report_discard(cli_report_file *rf);

/* Prints s so that untrusted data cannot drive the terminal: control
 * bytes, C1 controls and bidirectional overrides escaped, and bytes that
 * are not UTF-8 shown as \xNN. */
void cli_print_str(FILE *f, hc_str s);

/* Writes s to f as one RFC 4180 CSV field (quoted when needed, with the
 * report's guard against spreadsheet formulas). */
void cli_csv_field(FILE *f, hc_str s);
/* Byte order of two strings, a shorter one first when it is a prefix. */
int cli_str_cmp(hc_str a, hc_str b);

/* A string and an index (the account, person or position it came from),
 * for sorting so that equal strings are neighbours: qsort comparator by
 * cli_str_cmp, then by index, so the order never depends on qsort. */
typedef struct cli_str_ref {
    hc_str s;
    size_t i;
} cli_str_ref;

int cli_str_ref_cmp(const void *a, const void *b);

/* Writes s to f as a JSON string literal; write errors surface at the
 * final fflush of f. */
void cli_json_str(FILE *f, hc_str s);

#endif /* CLI_OUTPUT_H */
