/*
 * The headcount command's internal interface: one entry point per
 * subcommand, and the few helpers they share (usage errors, exit codes).
 * Everything here uses only libheadcount's public API.
 */
#ifndef CLI_H
#define CLI_H

#include <stdio.h>

/* sysexits(3) codes used by the command. */
enum {
    CLI_EX_OK = 0,
    CLI_EX_USAGE = 64,
    CLI_EX_DATAERR = 65,
    CLI_EX_NOINPUT = 66,
    CLI_EX_UNAVAILABLE = 69,
    CLI_EX_SOFTWARE = 70,
    CLI_EX_IOERR = 74,
    CLI_EX_TEMPFAIL = 75,
    CLI_EX_PROTOCOL = 76,
    CLI_EX_NOPERM = 77,
    CLI_EX_CONFIG = 78,
};

/* Each subcommand gets argv with argv[0] = the subcommand's name. */
typedef int (*cli_cmd_fn)(int argc, char **argv);

typedef struct cli_command {
    const char *name;
    cli_cmd_fn run;
    const char *summary; /* one line for --help */
    const char *usage;   /* full text for `headcount help NAME` */
} cli_command;

/* The command table (cli_main.c), terminated by a NULL name. */
extern const cli_command cli_commands[];

/* Prints "headcount CMD: message" and a one-line usage hint to stderr and
 * returns CLI_EX_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * Option syntax, one rule for every command: an option that takes a value
 * is "--name VALUE" or "--name=VALUE"; a flag is "--name" alone.
 *
 * cli_opt_value: whether argv[*i] is the option name (e.g. "--report").
 * Returns 0 when it is not; 1 with *value set to the value (borrowed from
 * argv; *i advanced past a separate value); -1 after a usage error for cmd
 * ("option --report needs a value") when it is last without a value.
 *
 * cli_opt_flag: whether arg is the flag name (e.g. "--json"). Returns 0 or
 * 1; -1 after a usage error for cmd for "--json=VALUE".
 */
int cli_opt_value(const char *cmd, const char *name, int argc, char **argv,
                  int *i, const char **value);
int cli_opt_flag(const char *cmd, const char *name, const char *arg);

/* Prints "headcount: message" to stderr. */
void cli_errorf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Flushes stdout and reports a write error on it (full disk, closed file):
 * returns code unchanged when all output went out, else CLI_EX_IOERR in
 * place of a success (0, or 1 for "no match"/"differ") after a message.
 * Idempotent; main calls it after every command.
 */
int cli_stdout_check(int code);

/* Keeps errno e of a write to stdout that failed inside a larger write
 * (the buffer went out, and failed, before the final flush), for the
 * message of cli_stdout_check. */
void cli_stdout_note(int e);

int cli_count_main(int argc, char **argv);
int cli_explain_main(int argc, char **argv);
int cli_savings_main(int argc, char **argv);
int cli_diff_main(int argc, char **argv);
int cli_sync_main(int argc, char **argv);
int cli_daemon_main(int argc, char **argv);
int cli_status_main(int argc, char **argv);

extern const char cli_count_usage[];
extern const char cli_explain_usage[];
extern const char cli_savings_usage[];
extern const char cli_diff_usage[];
extern const char cli_sync_usage[];
extern const char cli_daemon_usage[];
extern const char cli_status_usage[];

#endif /* CLI_H */
