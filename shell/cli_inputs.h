/*
 * Options shared by count, explain and savings: which inputs to read, how
 * (threads, policy, verified domains, skip-malformed), and the one routine
 * that loads them all into a census and runs it.
 */
#ifndef CLI_INPUTS_H
#define CLI_INPUTS_H

#include <stdbool.h>

#include "headcount/headcount.h"

#define CLI_MAX_INPUTS 4096

typedef struct cli_inputs {
    hc_input items[CLI_MAX_INPUTS];
    char *hosts[CLI_MAX_INPUTS]; /* owned copies of HOST= parts */
    size_t n;
    hc_policy policy;
    bool policy_given;  /* --policy was on the command line */
    bool threads_given; /* --threads was */
    unsigned threads;
    const char *verified_domains; /* LIST or @FILE */
    bool skip_malformed;
    bool quiet;
} cli_inputs;

void cli_inputs_init(cli_inputs *in);
void cli_inputs_fini(cli_inputs *in);

/*
 * If argv[*i] is an input option (--ghes, --ghec, --records, --policy,
 * --threads, --verified-domains, --skip-malformed, --quiet), consumes it
 * (and its value, advancing *i) and returns 1; returns 0 when it is not
 * one; returns -1 after printing a usage error for cmd.
 */
/* True when arg is an input option that takes the next argument as its
 * value ("--ghes", not "--ghes=..."). */
bool cli_inputs_takes_value(const char *arg);

int cli_inputs_parse(cli_inputs *in, const char *cmd, int argc, char **argv,
                     int *i);

/*
 * Loads every input and runs the census under in->policy. On failure
 * prints the diagnostic and returns the exit code (never 0); on success
 * returns 0 and the caller owns *census, *domains and *result.
 */
int cli_inputs_run(const cli_inputs *in, const char *cmd, unsigned run_flags,
                   hc_census **census, hc_domains **domains,
                   hc_result **result);

/* Exit code for a status, printing "headcount: what: status" first. */
int cli_fail(hc_status st, const char *what);

#endif /* CLI_INPUTS_H */
