/*
 * Secret files (API tokens, HMAC keys): read into memory after checking
 * that nobody but the owner can read them, and wiped when no longer needed.
 * A secret's bytes never go into argv, logs, reports, state files or error
 * messages; errors name the file only.
 */
#ifndef SYNC_SECRET_H
#define SYNC_SECRET_H

#include <stddef.h>

#include "sync_util.h"

/* Largest secret file accepted (tokens and keys are far smaller). */
#define SYNC_SECRET_MAX ((size_t)64 << 10)

/* A secret in memory: `data` is NUL-terminated (len excludes the NUL) and
 * owned by the struct; release with sync_secret_wipe. */
typedef struct sync_secret {
    char *data;
    size_t len;
} sync_secret;

/* How the bytes of a secret file are taken. */
typedef enum sync_secret_kind {
    /* An HTTP token: trailing ASCII whitespace removed, then only
     * printable ASCII without spaces allowed (anything else would break
     * or change a header). */
    SYNC_SECRET_TOKEN = 0,
    /* An HMAC key: raw bytes, at most 4096, one trailing "\n" and then one
     * "\r" dropped, exactly as `headcount count --pseudonymize` reads it,
     * so that both give the same pseudonyms. */
    SYNC_SECRET_KEY,
} sync_secret_kind;

/*
 * Reads the secret file at path into *out. Fails with
 *   66 (CLI_EX_NOINPUT) when the file cannot be opened,
 *   77 (CLI_EX_NOPERM)  when it is not a regular file owned by us (or root)
 *                       or when its mode grants any group/other permission
 *                       (only "other" inside $CREDENTIALS_DIRECTORY, where
 *                       systemd may grant access through an ACL, when that
 *                       directory belongs to root or this user and is not
 *                       writable by group or others),
 *   78 (CLI_EX_CONFIG)  when it is empty, too large, or a token with
 *                       spaces, control characters or bytes >= 0x80,
 *   74 (CLI_EX_IOERR)   on a read error.
 * `what` names the secret in messages ("token_file of [ghec]").
 */
int sync_secret_read(const char *path, const char *what, sync_secret_kind kind,
                     sync_secret *out, sync_err *err);

/* Overwrites and frees the secret; a zeroed struct is a no-op. */
void sync_secret_wipe(sync_secret *s);

/* Keeps this process's memory, which holds the tokens while it runs, out
 * of core dumps (PR_SET_DUMPABLE 0, a core size limit of 0). For sync and
 * daemon, before any secret is read. */
void sync_secret_no_core_dumps(void);

/* Overwrites n bytes at p in a way the compiler cannot elide. */
void sync_secret_cleanse(void *p, size_t n);

#endif /* SYNC_SECRET_H */
