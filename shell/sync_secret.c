/*
 * Reading token and key files safely. The permission check runs on the
 * opened descriptor (fstat), so the file that was checked is the file that
 * is read even if the path is swapped in between. Files must be private to
 * their owner (this user or root): systemd credentials (mode 0400) pass, so
 * do Kubernetes secrets copied to 0400 files of this user (a secret volume
 * under fsGroup is 0440 and does not: docs/operations.md); a 0644 file is
 * refused with exit 77 before a single byte is read. Group bits are let
 * pass only inside $CREDENTIALS_DIRECTORY, and only when that directory is
 * private as systemd makes it: the variable alone proves nothing, since
 * anyone starting headcount can set it.
 */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "cli.h"
#include "sync_secret.h"

void sync_secret_cleanse(void *p, size_t n)
{
    if (p && n)
        OPENSSL_cleanse(p, n);
}

void sync_secret_wipe(sync_secret *s)
{
    if (s->data) {
        sync_secret_cleanse(s->data, s->len + 1);
        free(s->data);
    }
    s->data = NULL;
    s->len = 0;
}

/* $CREDENTIALS_DIRECTORY (systemd LoadCredential=) when path lies in it,
 * else NULL. */
static const char *credentials_dir_of(const char *path)
{
    const char *dir = getenv("CREDENTIALS_DIRECTORY");
    size_t n = dir ? strlen(dir) : 0;
    while (n > 1 && dir[n - 1] == '/')
        n--;
    return n > 1 && strncmp(path, dir, n) == 0 && path[n] == '/' &&
                   !strstr(path + n, "/../")
               ? dir
               : NULL;
}

/* True when dir is a directory as systemd makes $CREDENTIALS_DIRECTORY:
 * owned by root or this user and writable by nobody else, so that no one
 * else can have put a file there. */
static bool credentials_dir_is_private(const char *dir)
{
    struct stat st;
    return stat(dir, &st) == 0 && S_ISDIR(st.st_mode) &&
           (st.st_uid == 0 || st.st_uid == geteuid()) &&
           (st.st_mode & 022) == 0;
}

int sync_secret_read(const char *path, const char *what, sync_secret_kind kind,
                     sync_secret *out, sync_err *err)
{
    int rc = 0;
    char *buf = NULL;
    size_t len = 0;
    /* Non-blocking: opening a FIFO put in the file's place would wait for
     * a writer, holding the run's lock; it is refused below as not a
     * regular file (for which the flag changes nothing). */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    out->data = NULL;
    out->len = 0;
    if (fd < 0) {
        rc = sync_fail(err, errno == EACCES ? CLI_EX_NOPERM : CLI_EX_NOINPUT,
                       "%s: cannot open %s: %s", path, what, strerror(errno));
        goto done;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        rc = sync_fail(err, CLI_EX_IOERR, "%s: cannot stat %s: %s", path, what,
                       strerror(errno));
        goto done;
    }
    if (!S_ISREG(st.st_mode)) {
        rc = sync_fail(err, CLI_EX_NOPERM, "%s: %s is not a regular file", path,
                       what);
        goto done;
    }
    /* systemd may grant the service's user read access to a credential
     * through an ACL, which shows as group bits in the mode; the directory
     * itself is private to the service, so only "other" bits count there. */
    const char *creds = credentials_dir_of(path);
    bool relaxed = creds && credentials_dir_is_private(creds);
    mode_t forbidden = relaxed ? 007 : 077;
    if (st.st_mode & forbidden) {
        rc = sync_fail(err, CLI_EX_NOPERM,
                       "%s: %s is readable or writable by group or others "
                       "(mode %04o); run chmod 600 on it%s",
                       path, what, (unsigned)(st.st_mode & 07777),
                       creds && !relaxed
                           ? " ($CREDENTIALS_DIRECTORY is not a directory "
                             "of root or this user that only its owner may "
                             "write to, so group bits count there too)"
                           : "");
        goto done;
    }
    if (st.st_uid != geteuid() && st.st_uid != 0) {
        rc = sync_fail(err, CLI_EX_NOPERM,
                       "%s: %s is owned by another user (uid %lu)", path, what,
                       (unsigned long)st.st_uid);
        goto done;
    }
    if ((uint64_t)st.st_size > SYNC_SECRET_MAX) {
        rc = sync_fail(err, CLI_EX_CONFIG, "%s: %s is larger than %zu bytes",
                       path, what, SYNC_SECRET_MAX);
        goto done;
    }
    /* One byte more than the cap detects a file that grew after fstat. */
    buf = malloc(SYNC_SECRET_MAX + 2);
    if (!buf) {
        rc = sync_fail(err, CLI_EX_SOFTWARE, "out of memory");
        goto done;
    }
    for (;;) {
        ssize_t r = read(fd, buf + len, SYNC_SECRET_MAX + 1 - len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            rc = sync_fail(err, CLI_EX_IOERR, "%s: cannot read %s: %s", path,
                           what, strerror(errno));
            goto done;
        }
        if (r == 0)
            break;
        len += (size_t)r;
        if (len > SYNC_SECRET_MAX) {
            rc =
                sync_fail(err, CLI_EX_CONFIG, "%s: %s is larger than %zu bytes",
                          path, what, SYNC_SECRET_MAX);
            goto done;
        }
    }
    if (kind == SYNC_SECRET_KEY) {
        if (len > 0 && buf[len - 1] == '\n')
            len--;
        if (len > 0 && buf[len - 1] == '\r')
            len--;
        if (len > 4096) {
            rc = sync_fail(err, CLI_EX_CONFIG,
                           "%s: %s is larger than 4096 bytes", path, what);
            goto done;
        }
    } else {
        while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r' ||
                           buf[len - 1] == ' ' || buf[len - 1] == '\t'))
            len--;
        for (size_t i = 0; i < len; i++) {
            unsigned char c = (unsigned char)buf[i];
            /* A header value is ASCII; other bytes would be sent as they
             * are, or break the header line. */
            if (c <= 0x20 || c >= 0x7f) {
                rc = sync_fail(err, CLI_EX_CONFIG,
                               "%s: %s holds a space, a control character "
                               "or a byte outside ASCII (expected one token "
                               "on one line)",
                               path, what);
                goto done;
            }
        }
    }
    if (len == 0) {
        rc = sync_fail(err, CLI_EX_CONFIG, "%s: %s is empty", path, what);
        goto done;
    }
    /* An exact-size copy, so that the wipe covers every byte it holds. */
    out->data = malloc(len + 1);
    if (!out->data) {
        rc = sync_fail(err, CLI_EX_SOFTWARE, "out of memory");
        goto done;
    }
    memcpy(out->data, buf, len);
    out->data[len] = '\0';
    out->len = len;
done:
    if (buf) {
        sync_secret_cleanse(buf, SYNC_SECRET_MAX + 2);
        free(buf);
    }
    if (fd >= 0)
        close(fd);
    return rc;
}

void sync_secret_no_core_dumps(void)
{
    /* Best effort: neither call can fail for an unprivileged process
     * lowering its own limits, and a failure would only leave the
     * system's defaults in place. */
    struct rlimit none = {0, 0};
    (void)setrlimit(RLIMIT_CORE, &none);
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SYNC_UNDER_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(SYNC_UNDER_ASAN)
    /* The leak checker of sanitizer builds attaches to the process with
     * ptrace, which an undumpable process refuses. */
#else
    (void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
#endif
}
