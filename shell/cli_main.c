/*
 * Entry point of the headcount command: global options (--version, --help),
 * `help COMMAND`, and dispatch to the subcommands. Unknown commands and
 * options exit 64 with a one-line hint, as sysexits(3) prescribes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "headcount/headcount.h"
#include "cli.h"
#include "cli_inputs.h"
#include "cli_output.h"

const cli_command cli_commands[] = {
    {"count", cli_count_main, "count seats across GHES and GHEC exports",
     cli_count_usage},
    {"explain", cli_explain_main,
     "show the person an email, login or host:id belongs to, and why",
     cli_explain_usage},
    {"savings", cli_savings_main,
     "list seats paid twice for one person, with the fix", cli_savings_usage},
    {"diff", cli_diff_main, "compare two reports", cli_diff_usage},
    {"sync", cli_sync_main, "fetch, count, save and upload once (--config)",
     cli_sync_usage},
    {"daemon", cli_daemon_main, "run sync weekly and on SIGUSR1 (--config)",
     cli_daemon_usage},
    {"status", cli_status_main, "show the last sync runs and the next one",
     cli_status_usage},
    {NULL, NULL, NULL, NULL},
};

static const cli_command *find_command(const char *name)
{
    for (const cli_command *c = cli_commands; c->name; c++)
        if (strcmp(c->name, name) == 0)
            return c;
    return NULL;
}

static const char version_usage[] =
    "usage: headcount version | headcount --version\n";

static void print_help(FILE *f)
{
    fprintf(f,
            "usage: headcount COMMAND [OPTIONS]\n"
            "       headcount help COMMAND\n"
            "       headcount --version\n\n"
            "Counts GitHub Enterprise seats the way license sync does,\n"
            "across GHES instances and GHEC, and explains every grouping.\n\n"
            "Commands:\n");
    for (const cli_command *c = cli_commands; c->name; c++)
        fprintf(f, "  %-9s %s\n", c->name, c->summary);
    fprintf(f, "\nExit codes: 0 ok, 64 usage, 65 bad data, 66 no input, "
               "69 unavailable,\n70 internal, 74 I/O, 75 busy/temporary, "
               "76 protocol, 77 permission, 78 config.\n");
}

void cli_errorf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("headcount: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "headcount %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, " (see 'headcount help %s')\n", cmd);
    va_end(ap);
    return CLI_EX_USAGE;
}

/* The length of name when arg is name or "name=...", else 0. */
static size_t opt_match(const char *name, const char *arg)
{
    size_t n = strlen(name);
    return strncmp(arg, name, n) == 0 && (arg[n] == '\0' || arg[n] == '=') ? n
                                                                           : 0;
}

int cli_opt_value(const char *cmd, const char *name, int argc, char **argv,
                  int *i, const char **value)
{
    const char *arg = argv[*i];
    size_t n = opt_match(name, arg);
    if (!n)
        return 0;
    if (arg[n] == '=') {
        *value = arg + n + 1;
        return 1;
    }
    if (*i + 1 >= argc) {
        cli_usage_error(cmd, "option %s needs a value", name);
        return -1;
    }
    *value = argv[++*i];
    return 1;
}

int cli_opt_flag(const char *cmd, const char *name, const char *arg)
{
    size_t n = opt_match(name, arg);
    if (!n)
        return 0;
    if (arg[n] == '=') {
        cli_usage_error(cmd, "option %s takes no value", name);
        return -1;
    }
    return 1;
}

/* The cause of a failed write to stdout seen before the final check, when
 * the flush there has nothing left to fail on (cli_stdout_note). */
static int stdout_errno;

void cli_stdout_note(int e)
{
    if (!stdout_errno)
        stdout_errno = e;
}

int cli_stdout_check(int code)
{
    static bool reported;
    int e = fflush(stdout) != 0 ? errno : 0;
    if (!e && !ferror(stdout))
        return code;
    if (!e)
        e = stdout_errno;
    if (!reported)
        cli_errorf("stdout: cannot write%s%s", e ? ": " : "",
                   e ? strerror(e) : "");
    reported = true;
    return code == CLI_EX_OK || code == 1 ? CLI_EX_IOERR : code;
}

static int run(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr,
                "headcount: missing command (see 'headcount --help')\n");
        return CLI_EX_USAGE;
    }
    const char *arg = argv[1];
    bool version = strcmp(arg, "--version") == 0 || strcmp(arg, "version") == 0;
    bool help = strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0 ||
                strcmp(arg, "help") == 0;
    /* help and version are not in the table: they take no options, and
     * help one command name at most. */
    if ((version && argc > 2) || (help && argc > (arg[0] == '-' ? 2 : 3))) {
        fprintf(stderr,
                "headcount: unexpected argument '%s' (see 'headcount "
                "--help')\n",
                argv[argc > 2 && !version && arg[0] != '-' ? 3 : 2]);
        return CLI_EX_USAGE;
    }
    if (version) {
        printf("headcount %s (norm_v1, rules_v1)\n", hc_version());
        return CLI_EX_OK;
    }
    if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
        print_help(stdout);
        return CLI_EX_OK;
    }
    if (strcmp(arg, "help") == 0) {
        if (argc < 3) {
            print_help(stdout);
            return CLI_EX_OK;
        }
        if (strcmp(argv[2], "help") == 0) {
            print_help(stdout);
            return CLI_EX_OK;
        }
        if (strcmp(argv[2], "version") == 0) {
            fputs(version_usage, stdout);
            return CLI_EX_OK;
        }
        const cli_command *c = find_command(argv[2]);
        if (!c) {
            fprintf(stderr,
                    "headcount: unknown command '%s' "
                    "(see 'headcount --help')\n",
                    argv[2]);
            return CLI_EX_USAGE;
        }
        fputs(c->usage, stdout);
        return CLI_EX_OK;
    }
    const cli_command *c = find_command(arg);
    if (!c) {
        if (arg[0] == '-')
            fprintf(stderr,
                    "headcount: unknown option '%s' "
                    "(see 'headcount --help')\n",
                    arg);
        else
            fprintf(stderr,
                    "headcount: unknown command '%s' "
                    "(see 'headcount --help')\n",
                    arg);
        return CLI_EX_USAGE;
    }
    /* Up to "--": after it, "--help" is an operand (a QUERY, a path).
     * Nor is it one as the value of an option: the input options and the
     * ones below take the next argument as their value (unless written
     * --opt=value), which may begin with '-'. Flags and unknown options take none, so that
     * "--bogus --help" still shows the usage. */
    static const char *const valued[] = {"--report", "--pseudonymize",
                                         "--config"};
    for (int i = 2; i < argc && strcmp(argv[i], "--") != 0; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(c->usage, stdout);
            return CLI_EX_OK;
        }
        bool takes_value = cli_inputs_takes_value(argv[i]);
        for (size_t v = 0; !takes_value && v < sizeof valued / sizeof *valued;
             v++)
            takes_value = strcmp(argv[i], valued[v]) == 0;
        i += takes_value; /* skip the value */
    }
    /* The commands that read inputs in one go; sync and daemon record
     * their runs in the state directory and keep the default (a report
     * of "nothing was written" would be false there). */
    if (strcmp(c->name, "sync") != 0 && strcmp(c->name, "daemon") != 0 &&
        strcmp(c->name, "status") != 0)
        cli_guard_bus_errors();
    return c->run(argc - 1, argv + 1);
}

/*
 * Standard input, output and error must be open before anything else is:
 * started with one closed, the next open() would take its number, and "-"
 * would then read an input file a second time, or the summary land in a
 * report. /dev/null stands in for a closed one. Standard input reads it
 * empty and standard error writes into it (there is nowhere to say more),
 * but standard output gets it read-only: its writes fail with EBADF as on
 * the closed descriptor, so a summary nobody can see is the I/O error
 * (74) of cli_stdout_check, not a silent success.
 */
static bool std_fds_open(void)
{
    for (int fd = 0; fd <= 2; fd++) {
        if (fcntl(fd, F_GETFD) != -1 || errno != EBADF)
            continue;
        int nul = open("/dev/null", fd == 2 ? O_WRONLY : O_RDONLY);
        if (nul != fd) {
            if (nul >= 0)
                close(nul);
            return false;
        }
    }
    return true;
}

int main(int argc, char **argv)
{
    if (!std_fds_open())
        return CLI_EX_IOERR; /* with no stderr to say so */
    return cli_stdout_check(run(argc, argv));
}
