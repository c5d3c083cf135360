/*
 * The human summary, atomic report files and the pseudonymization key.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "cli_output.h"
#include "sync_util.h"

/*
 * The code point of a character a terminal may act on, or that reorders
 * the text around it, at s[i] (UTF-8): the C1 controls U+0080-U+009F
 * (U+009B starts escape sequences like ESC [) and the bidirectional
 * overrides and isolates U+202A-U+202E, U+2066-U+2069. Sets *n to its
 * length; 0 for anything else.
 */
static unsigned risky_char(const unsigned char *s, size_t len, size_t i,
                           size_t *n)
{
    if (i + 1 < len && s[i] == 0xc2 && s[i + 1] >= 0x80 && s[i + 1] <= 0x9f) {
        *n = 2;
        return s[i + 1];
    }
    if (i + 2 < len && s[i] == 0xe2 &&
        ((s[i + 1] == 0x80 && s[i + 2] >= 0xaa && s[i + 2] <= 0xae) ||
         (s[i + 1] == 0x81 && s[i + 2] >= 0xa6 && s[i + 2] <= 0xa9))) {
        *n = 3;
        return 0x2000u | ((unsigned)(s[i + 1] & 0x3f) << 6) |
               (unsigned)(s[i + 2] & 0x3f);
    }
    return 0;
}

void cli_print_str(FILE *f, hc_str s)
{
    const unsigned char *p = (const unsigned char *)s.ptr;
    for (size_t i = 0; i < s.len; i++) {
        unsigned char ch = p[i];
        size_t n = 0;
        unsigned cp = ch >= 0xc2 ? risky_char(p, s.len, i, &n) : 0;
        if (ch < 0x20 || ch == 0x7f) {
            fprintf(f, "\\x%02x", ch);
        } else if (cp) {
            fprintf(f, "\\u%04x", cp);
            i += n - 1;
        } else if (ch < 0x80) {
            fputc(ch, f);
        } else if ((n = sync_utf8_len(p + i, s.len - i)) > 0) {
            fwrite(p + i, 1, n, f);
            i += n - 1;
        } else {
            /* Not UTF-8 (or cut by the caller): shown, not passed on. */
            fprintf(f, "\\x%02x", ch);
        }
    }
}

void cli_csv_field(FILE *f, hc_str s)
{
    hc_status st = hc_csv_write_field(hc_write_file, f, s.ptr, s.len);
    (void)st; /* a write error stays on f's error flag for the final check */
}

int cli_str_cmp(hc_str a, hc_str b)
{
    size_t n = a.len < b.len ? a.len : b.len;
    int c = n ? memcmp(a.ptr, b.ptr, n) : 0;
    return c ? c : (a.len > b.len) - (a.len < b.len);
}

int cli_str_ref_cmp(const void *pa, const void *pb)
{
    const cli_str_ref *a = pa, *b = pb;
    int c = cli_str_cmp(a->s, b->s);
    return c ? c : (a->i > b->i) - (a->i < b->i);
}

void cli_json_str(FILE *f, hc_str s)
{
    if (hc_json_write_string(hc_write_file, f, s.ptr, s.len) != HC_OK)
        fputs("null", f); /* only on a write error, caught by fflush */
}

void cli_print_summary(FILE *f, const hc_result *r, uint64_t elapsed_ms)
{
    hc_summary s;
    hc_result_summary(r, &s);
    fprintf(f, "Seats consumed: %llu (policy %s, rules_v1, norm_v1)\n",
            (unsigned long long)s.total_seats_consumed,
            hc_policy_name(s.policy));
    fprintf(f, "  GHEC licensed accounts:        %llu\n",
            (unsigned long long)s.ghec_accounts);
    fprintf(f,
            "  GHES accounts consuming seats: %llu "
            "(%llu matched to GHEC)\n",
            (unsigned long long)s.ghes_accounts,
            (unsigned long long)s.ghes_accounts_matched);
    fprintf(f, "  Persons with GHES accounts only: %llu\n",
            (unsigned long long)s.ghes_only_persons);
    /* An account count, not a person count: under policy extended a
     * keyless account may share a person with GHEC or keyed accounts. */
    fprintf(f, "  GHES accounts without a valid primary email: %llu\n",
            (unsigned long long)s.keyless_accounts);
    fprintf(f,
            "  Not counted: %llu suspended, %llu system, "
            "%llu repeated rows\n",
            (unsigned long long)s.suspended_accounts,
            (unsigned long long)s.system_accounts,
            (unsigned long long)s.duplicate_rows);
    if (s.ghec_unlicensed_accounts)
        fprintf(f,
                "  GHEC rows without a GitHub.com user: %llu (not counted; "
                "GitHub bills unlinked Visual Studio subscribers and "
                "pending invitations among them)\n",
                (unsigned long long)s.ghec_unlicensed_accounts);
    if (s.verified_domains_given)
        fprintf(f, "  Persons without a verified-domain email: %llu\n",
                (unsigned long long)s.persons_without_verified_domain_email);
    fprintf(f,
            "  Potential savings: %llu seat%s "
            "(github %llu, extended %llu; see 'headcount savings')\n",
            (unsigned long long)s.potential_savings,
            s.potential_savings == 1 ? "" : "s",
            (unsigned long long)s.github_seats,
            (unsigned long long)s.extended_seats);
    if (s.rejected_rows)
        fprintf(f, "  Rejected rows (--skip-malformed): %llu\n",
                (unsigned long long)s.rejected_rows);
    size_t n = hc_result_source_count(r);
    for (size_t i = 0; i < n; i++) {
        hc_source_info si;
        hc_result_source(r, i, &si);
        fprintf(f, "  source %s ", si.kind == HC_SOURCE_GHES ? "ghes" : "ghec");
        cli_print_str(f, si.name);
        fprintf(f, ": %llu accounts, %llu eligible\n",
                (unsigned long long)si.accounts,
                (unsigned long long)si.eligible);
    }
    fprintf(f, "  Elapsed: %llu ms\n", (unsigned long long)elapsed_ms);
}

/*
 * The temporary report, for the signal handler: a count killed while it
 * runs (Ctrl-C, a service manager's SIGTERM) must not leave a file of
 * clear emails beside the report. Written before the handlers are
 * installed and cleared before the path is freed; the handler only reads
 * it and calls unlink and raise, both async-signal-safe.
 */
static char g_tmp_path[PATH_MAX];
static volatile sig_atomic_t g_tmp_set;
static const int g_cleanup_signals[] = {SIGINT,  SIGTERM, SIGHUP,
                                        SIGPIPE, SIGQUIT, SIGXFSZ,
                                        SIGALRM, SIGUSR1, SIGUSR2};

static void on_fatal_signal(int sig)
{
    if (g_tmp_set)
        (void)unlink(g_tmp_path);
    g_tmp_set = 0;
    signal(sig, SIG_DFL);
    raise(sig); /* die of the signal, as without the handler */
}

/*
 * Inputs are read through memory mappings. A mapped file that shrinks
 * while it is read (another program truncates or rewrites it in place),
 * or whose pages the kernel cannot read (an I/O error, a network file
 * system gone), raises SIGBUS at the access: without a handler, the
 * count dies with "Bus error" and leaves its temporary report. The
 * handler says what happened, removes the temporary report and exits 74
 * (an I/O error); write, unlink and _exit are async-signal-safe.
 */
static void on_bus_error(int sig, siginfo_t *si, void *ctx)
{
    (void)ctx;
    if (si && si->si_code == BUS_ADRALN) {
        /* A misaligned access is a bug, not an input: die of it. */
        signal(sig, SIG_DFL);
        raise(sig);
        return;
    }
    static const char msg[] =
        "headcount: an input file could not be read where it was mapped "
        "(it shrank while being read, or a read error); nothing was "
        "written\n";
    if (g_tmp_set)
        (void)unlink(g_tmp_path);
    ssize_t w = write(STDERR_FILENO, msg, sizeof msg - 1);
    (void)w;
    _exit(CLI_EX_IOERR);
}

void cli_guard_bus_errors(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_bus_error;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    (void)sigaction(SIGBUS, &sa, NULL);
}

static void tmp_guard(const char *tmp)
{
    size_t n = strlen(tmp);
    if (n >= sizeof g_tmp_path)
        return; /* cannot be: the name was built to fit */
    memcpy(g_tmp_path, tmp, n + 1);
    g_tmp_set = 1;
    for (size_t i = 0; i < sizeof g_cleanup_signals / sizeof *g_cleanup_signals;
         i++) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_fatal_signal;
        sigemptyset(&sa.sa_mask);
        struct sigaction old;
        /* A signal the caller ignores (nohup, SIGPIPE ignored) stays so. */
        if (sigaction(g_cleanup_signals[i], NULL, &old) == 0 &&
            old.sa_handler != SIG_IGN)
            (void)sigaction(g_cleanup_signals[i], &sa, NULL);
    }
}

static void tmp_unguard(void)
{
    g_tmp_set = 0;
}

int cli_report_open(cli_report_file *rf, const char *path)
{
    rf->path = path;
    rf->fd = -1;
    /* A directory at the path would fail only the final rename, after
     * the count and its summary. lstat: a symlink is replaced, whatever
     * it points to. */
    struct stat st;
    if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        cli_errorf("%s: cannot create: %s", path, strerror(EISDIR));
        return CLI_EX_IOERR;
    }
    /* A short name in the report's directory: FILE.tmpXXXXXX would fail
     * for a valid FILE near NAME_MAX, and the rename needs one file
     * system. Created before the count runs, so a missing directory or a
     * permission problem is known before minutes of work. */
    char *copy = strdup(path);
    const char *dir = copy ? dirname(copy) : NULL;
    size_t cap = dir ? strlen(dir) + 32 : 0;
    rf->tmp = dir && cap <= sizeof g_tmp_path ? malloc(cap) : NULL;
    if (!rf->tmp) {
        free(copy);
        cli_errorf("%s: cannot create: %s", path,
                   dir ? strerror(ENAMETOOLONG) : "out of memory");
        return dir ? CLI_EX_IOERR : CLI_EX_SOFTWARE;
    }
    snprintf(rf->tmp, cap, "%s/.headcount-report.XXXXXX", dir);
    free(copy);
    /* The file and its handlers come into being together: a signal in
     * between would leave the file. Held back meanwhile, it is delivered
     * (to the handler) once unblocked. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    rf->fd = mkstemp(rf->tmp);
    int e = errno;
    if (rf->fd >= 0)
        tmp_guard(rf->tmp);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rf->fd < 0) {
        cli_errorf("%s: cannot create: %s", path, strerror(e));
        free(rf->tmp); /* nothing was created */
        rf->tmp = NULL;
        return CLI_EX_IOERR;
    }
    return 0;
}

int cli_report_prepare(cli_report_file *rf, const hc_result *r,
                       const hc_report_options *o)
{
    size_t n = strlen(rf->path);
    bool csv = n >= 4 && strcmp(rf->path + n - 4, ".csv") == 0;
    FILE *f = fdopen(rf->fd, "w");
    if (!f) {
        cli_errorf("%s: cannot write report: %s", rf->path, strerror(errno));
        cli_report_discard(rf);
        return CLI_EX_IOERR;
    }
    rf->fd = -1; /* f owns it now */
    errno = 0;
    hc_status st = csv ? hc_report_write_csv(r, o, hc_write_file, f)
                       : hc_report_write_json(r, o, hc_write_file, f);
    int e = st == HC_ERR_IO ? errno : 0; /* from the failed write */
    if (st == HC_OK && (fflush(f) != 0 || fsync(fileno(f)) != 0)) {
        st = HC_ERR_IO;
        e = errno;
    }
    if (fclose(f) != 0 && st == HC_OK) {
        st = HC_ERR_IO;
        e = errno;
    }
    if (st != HC_OK) {
        cli_errorf("%s: cannot write report: %s", rf->path,
                   e ? strerror(e) : hc_status_str(st));
        cli_report_discard(rf);
        return hc_status_exit_code(st);
    }
    return 0;
}

int cli_report_commit(cli_report_file *rf)
{
    if (rename(rf->tmp, rf->path) != 0) {
        cli_errorf("%s: cannot rename into place: %s", rf->path,
                   strerror(errno));
        cli_report_discard(rf);
        return CLI_EX_IOERR;
    }
    tmp_unguard();
    free(rf->tmp);
    rf->tmp = NULL;
    /* The rename itself must survive a crash: the report is in place
     * now, but until its directory is synced a crash may undo it, so a
     * failure here is an I/O error the caller must hear of. */
    char *dircopy = strdup(rf->path);
    if (!dircopy) {
        cli_errorf("%s: out of memory", rf->path);
        return CLI_EX_SOFTWARE;
    }
    int e = 0;
    int dfd = open(dirname(dircopy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0 || fsync(dfd) != 0)
        e = errno;
    if (dfd >= 0)
        close(dfd);
    free(dircopy);
    if (e != 0) {
        cli_errorf("%s: written, but its directory cannot be synced to disk: "
                   "%s",
                   rf->path, strerror(e));
        return CLI_EX_IOERR;
    }
    return 0;
}

void cli_report_discard(cli_report_file *rf)
{
    if (rf->fd >= 0) {
        close(rf->fd);
        rf->fd = -1;
    }
    if (rf->tmp) {
        unlink(rf->tmp);
        tmp_unguard();
        free(rf->tmp);
        rf->tmp = NULL;
    }
}

size_t cli_email_logins(const hc_result *r)
{
    size_t n = 0;
    for (size_t i = 0, count = hc_result_account_count(r); i < count; i++) {
        hc_account_info a;
        hc_result_account(r, i, &a);
        /* Only GHEC logins are in a report (GHES accounts appear as
         * host:id). */
        if (a.person != SIZE_MAX && a.kind == HC_ACCOUNT_GHEC && a.login.len &&
            memchr(a.login.ptr, '@', a.login.len))
            n++;
    }
    return n;
}

const char *cli_email_logins_text(size_t n)
{
    static char buf[160];
    snprintf(buf, sizeof buf,
             n == 1 ? "%zu login in the report looks like an email address; "
                      "logins are not pseudonymized and stay in clear"
                    : "%zu logins in the report look like email addresses; "
                      "logins are not pseudonymized and stay in clear",
             n);
    return buf;
}
