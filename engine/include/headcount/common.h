/*
 * Definitions shared by every public header of libheadcount: the export
 * macro, the single error type hc_status, the diagnostic record that carries
 * where a data error happened, and the borrowed string view hc_str.
 */
#ifndef HEADCOUNT_COMMON_H
#define HEADCOUNT_COMMON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The library builds with GCC or Clang on Linux (it uses mremap and
 * madvise); the headers also compile with other C and C++ compilers. */
#if defined(HC_BUILDING_LIBRARY) && (defined(__GNUC__) || defined(__clang__))
#define HC_API __attribute__((visibility("default")))
#else
#define HC_API
#endif

#if defined(__GNUC__) || defined(__clang__)
#define HC_NODISCARD __attribute__((warn_unused_result))
#else
#define HC_NODISCARD
#endif

/*
 * The one error type. HC_OK is 0; every other value is a failure. The
 * comment on each value names the sysexits code the command maps it to.
 */
typedef enum hc_status {
    HC_OK = 0,
    HC_ERR_NOMEM,     /* allocation failed (70) */
    HC_ERR_ARG,       /* caller broke a documented precondition (64/70) */
    HC_ERR_DATA,      /* malformed input; see hc_diag for where (65) */
    HC_ERR_LIMIT,     /* input exceeds a documented size limit (65) */
    HC_ERR_ENCRYPTED, /* input is an encrypted GHES license export (65) */
    HC_ERR_NOINPUT,   /* missing or unreadable input file (66) */
    HC_ERR_IO,        /* read or write failed (74) */
    HC_ERR_FULL,      /* fixed-capacity structure is full; grow it */
    HC_ERR_NOTFOUND,  /* lookup found nothing */
    HC_ERR_INTERNAL,  /* a bug in headcount (70) */
    HC_STATUS_COUNT_
} hc_status;

/* Returns a static, never-NULL, lowercase description of status. */
HC_API const char *hc_status_str(hc_status status);

/* The sysexits(3) code that the command exits with for status. */
HC_API int hc_status_exit_code(hc_status status);

/* Length limits that apply to all inputs. Exceeding one is HC_ERR_LIMIT. */
#define HC_RECORD_MAX ((size_t)64 << 20)  /* one CSV row / JSON record */
#define HC_EMAIL_MAX ((size_t)4096)       /* one email, identity value, login */
#define HC_FIELD_MAX ((size_t)64 << 20)   /* one CSV field */
#define HC_SOURCE_NAME_MAX ((size_t)1024) /* one source (host) name */
/* Emails and identity values of one account (a GHES account's other emails;
 * a GHEC account's identity values and verified emails together). */
#define HC_ACCOUNT_VALUES_MAX ((size_t)4093)

/*
 * Where and why a data error happened. Filled by the readers; `file` is the
 * path as the user gave it ("-" for stdin). line and column are 1-based; 0
 * means unknown. `message` says what was expected, never holds secrets and
 * is always NUL-terminated.
 */
typedef struct hc_diag {
    char file[4096]; /* PATH_MAX: a path is never cut short */
    uint64_t line;
    uint64_t column;
    char message[1024];
} hc_diag;

/* Room for every hc_diag_format text: file, two numbers, message. */
#define HC_DIAG_TEXT_MAX (4096 + 1024 + 48)

/* Formats `file:line[:column]: message` into buf (always terminated). */
HC_API void hc_diag_format(const hc_diag *diag, char *buf, size_t cap);

/* A borrowed byte string, not necessarily NUL-terminated. */
typedef struct hc_str {
    const char *ptr;
    size_t len;
} hc_str;

/* The version of these headers (the project's version in CMakeLists.txt;
 * tests/test_util.c checks they agree). HC_VERSION_NUMBER grows with
 * every release: compare it to decide at compile time what the library
 * offers, and hc_version() to see what is linked at run time. */
#define HC_VERSION_MAJOR 0
#define HC_VERSION_MINOR 1
#define HC_VERSION_PATCH 0
#define HC_VERSION_NUMBER \
    (HC_VERSION_MAJOR * 10000 + HC_VERSION_MINOR * 100 + HC_VERSION_PATCH)

/* Library version, e.g. "0.1.0". Never NULL. */
HC_API const char *hc_version(void);

#ifdef __cplusplus
}
#endif
#endif /* HEADCOUNT_COMMON_H */
