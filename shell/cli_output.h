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
 * Writes the report of r to path (.json or .csv chosen by the suffix):
 * to a temporary file in the same directory, fsync, rename over path,
 * fsync the directory. On failure nothing is left behind and an existing
 * file at path is untouched. Returns an exit code (0 on success).
 */
int cli_write_report(const hc_result *r, const char *path,
                     const hc_report_options *o);

/* A secret read from a file; wiped and freed by cli_secret_wipe. */
typedef struct cli_secret {
    unsigned char *data;
    size_t len;
    size_t cap; /* bytes allocated, all wiped */
} cli_secret;

/*
 * Reads a key file (at most 4 KiB, one trailing newline dropped). Refuses
 * (exit 77) a file that group or others may read, and never prints its
 * contents. Returns an exit code.
 */
int cli_secret_load(const char *path, cli_secret *out);
void cli_secret_wipe(cli_secret *s);

/* Prints s with control bytes escaped, so untrusted data cannot drive
 * the terminal. */
void cli_print_str(FILE *f, hc_str s);

/* Writes s to f as one RFC 4180 CSV field (quoted when needed). */
void cli_csv_field(FILE *f, hc_str s);

/* Writes s to f as a JSON string literal; write errors surface at the
 * final fflush of f. */
void cli_json_str(FILE *f, hc_str s);

#endif /* CLI_OUTPUT_H */
