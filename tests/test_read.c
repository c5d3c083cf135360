/*
 * Tests of the readers. Each format is read from the committed fixtures in
 * tests/data/read/ into a recording sink, and the exact accounts delivered
 * are compared with what the fixture holds. Gzip copies are made here with
 * zlib. Seeded generated inputs (CSV with quoted newlines across the split
 * points, NDJSON) are parsed by one thread and by several, and both must
 * give exactly the accounts the generator wrote; errors planted late in
 * them must be reported at the right line. Every malformed file listed in
 * tests/data/bad/EXPECTED is also checked here at the API level.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include "headcount/headcount.h"
#include "read_csv.h"
#include "read_input.h"
#include "read_load.h"
#include "read_ndjson.h"
#include "read_sink.h"

/* ---- a recording sink ------------------------------------------------- */

#define REC_SOURCES 64

typedef struct rec {
    pthread_mutex_t mu;
    char **items;
    size_t n, cap;
    char names[REC_SOURCES][128];
    hc_source_kind kinds[REC_SOURCES];
    uint64_t rejected[REC_SOURCES];
    size_t nsrc;
    int opened, closed;
} rec;

static void rec_init(rec *r)
{
    memset(r, 0, sizeof *r);
    pthread_mutex_init(&r->mu, NULL);
}

static void rec_fini(rec *r)
{
    for (size_t i = 0; i < r->n; i++)
        free(r->items[i]);
    free(r->items);
    pthread_mutex_destroy(&r->mu);
}

static hc_status rec_source(void *ctx, hc_source_kind kind, const void *name,
                            size_t len, uint32_t *id)
{
    rec *r = ctx;
    pthread_mutex_lock(&r->mu);
    size_t i;
    for (i = 0; i < r->nsrc; i++)
        if (r->kinds[i] == kind && strlen(r->names[i]) == len &&
            memcmp(r->names[i], name, len) == 0)
            break;
    if (i == r->nsrc) {
        assert_true(i < REC_SOURCES && len < sizeof r->names[0]);
        memcpy(r->names[i], name, len);
        r->names[i][len] = '\0';
        r->kinds[i] = kind;
        r->nsrc++;
    }
    pthread_mutex_unlock(&r->mu);
    *id = (uint32_t)i;
    return HC_OK;
}

static void rec_reject(void *ctx, uint32_t source, uint64_t n)
{
    rec *r = ctx;
    pthread_mutex_lock(&r->mu);
    assert_true(source < r->nsrc);
    r->rejected[source] += n;
    pthread_mutex_unlock(&r->mu);
}

static hc_status rec_open(void *ctx, void **writer)
{
    rec *r = ctx;
    pthread_mutex_lock(&r->mu);
    r->opened++;
    pthread_mutex_unlock(&r->mu);
    *writer = r;
    return HC_OK;
}

static hc_status rec_close(void *ctx, void *writer)
{
    rec *r = ctx;
    assert_ptr_equal(ctx, writer);
    pthread_mutex_lock(&r->mu);
    r->closed++;
    pthread_mutex_unlock(&r->mu);
    return HC_OK;
}

static void rec_push(rec *r, char *item)
{
    pthread_mutex_lock(&r->mu);
    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 64;
        r->items = realloc(r->items, r->cap * sizeof *r->items);
        assert_non_null(r->items);
    }
    r->items[r->n++] = item;
    pthread_mutex_unlock(&r->mu);
}

/* Capacity used for a string of len bytes: powers of two, so that
 * appending is amortized linear. */
static size_t cat_cap(size_t len)
{
    size_t cap = 64;
    while (cap < len + 1)
        cap *= 2;
    return cap;
}

/* Appends s to a growing string. */
static void cat(char **buf, size_t *len, const char *p, size_t n)
{
    if (!*buf || cat_cap(*len + n) != cat_cap(*len)) {
        *buf = realloc(*buf, cat_cap(*len + n));
        assert_non_null(*buf);
    }
    if (n)
        memcpy(*buf + *len, p, n);
    *len += n;
    (*buf)[*len] = '\0';
}

static void cats(char **buf, size_t *len, const char *s)
{
    cat(buf, len, s, strlen(s));
}

static void cat_list(char **buf, size_t *len, const hc_str *v, size_t n)
{
    cats(buf, len, "[");
    for (size_t i = 0; i < n; i++) {
        if (i)
            cats(buf, len, ",");
        cat(buf, len, v[i].ptr, v[i].len);
    }
    cats(buf, len, "]");
}

static hc_status rec_ghes(void *writer, const hc_ghes_account *a)
{
    rec *r = writer;
    char *s = NULL, num[32];
    size_t n = 0;
    cats(&s, &n, "ghes|");
    cats(&s, &n, r->names[a->source]);
    snprintf(num, sizeof num, "|%llu|", (unsigned long long)a->id);
    cats(&s, &n, num);
    cat(&s, &n, a->login.ptr, a->login.len);
    cats(&s, &n, "|");
    cat(&s, &n, a->primary_email.ptr, a->primary_email.len);
    cats(&s, &n, "|");
    cat_list(&s, &n, a->emails, a->n_emails);
    cats(&s, &n, a->suspended ? "|suspended" : "|active");
    rec_push(r, s);
    return HC_OK;
}

static hc_status rec_ghec(void *writer, const hc_ghec_account *a)
{
    rec *r = writer;
    char *s = NULL;
    size_t n = 0;
    cats(&s, &n, "ghec|");
    cats(&s, &n, r->names[a->source]);
    cats(&s, &n, "|");
    cat(&s, &n, a->login.ptr, a->login.len);
    cats(&s, &n, "|saml=");
    cat(&s, &n, a->saml_name_id.ptr, a->saml_name_id.len);
    cats(&s, &n, "|v=");
    cat_list(&s, &n, a->verified_emails, a->n_verified_emails);
    cats(&s, &n, "|i=");
    cat_list(&s, &n, a->identity_values, a->n_identity_values);
    cats(&s, &n, a->licensed ? "|licensed" : "|unlicensed");
    rec_push(r, s);
    return HC_OK;
}

static const hc__sink rec_sink_proto = {
    .source = rec_source,
    .reject = rec_reject,
    .open = rec_open,
    .close = rec_close,
    .ghes = rec_ghes,
    .ghec = rec_ghec,
};

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Checks that the recorded accounts are exactly `want` (any order). */
static void expect_items(rec *r, const char *const *want, size_t n)
{
    const char **w = malloc((n ? n : 1) * sizeof *w);
    assert_non_null(w);
    memcpy(w, want, n * sizeof *w);
    qsort(w, n, sizeof *w, cmp_str);
    qsort(r->items, r->n, sizeof *r->items, cmp_str);
    for (size_t i = 0; i < n && i < r->n; i++)
        assert_string_equal(r->items[i], w[i]);
    assert_int_equal(r->n, n);
    free(w);
}

static hc_status run(rec *r, hc_input_role role, const char *path,
                     const char *host, unsigned threads, bool skip,
                     const hc__read_tuning *tuning, hc_load_stats *stats,
                     hc_diag *diag)
{
    hc__sink sink = rec_sink_proto;
    sink.ctx = r;
    hc_input in = {role, path, host, NULL};
    hc_load_options o = {threads, skip};
    hc_status rc = hc__read_run(&sink, &in, &o, tuning, stats, diag);
    assert_int_equal(r->opened, r->closed);
    return rc;
}

/* ---- paths and files -------------------------------------------------- */

static char data_dir[1024];
static char tmp_dir[1024];

static const char *data_path(const char *name)
{
    static char buf[4][2048];
    static int k;
    char *b = buf[k++ & 3];
    snprintf(b, sizeof buf[0], "%s/%s", data_dir, name);
    return b;
}

static const char *tmp_path(const char *name)
{
    static char buf[4][2048];
    static int k;
    char *b = buf[k++ & 3];
    snprintf(b, sizeof buf[0], "%s/%s", tmp_dir, name);
    return b;
}

static void write_file(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(p, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
}

static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char *buf = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n == cap) {
            cap = cap ? cap * 2 : 4096;
            buf = realloc(buf, cap);
            assert_non_null(buf);
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        if (got == 0)
            break;
        n += got;
    }
    fclose(f);
    *len = n;
    return buf;
}

/* Writes a gzip copy of src to dst, in `members` gzip members. */
static void gzip_file(const char *src, const char *dst, int members)
{
    size_t n;
    char *p = read_all(src, &n);
    FILE *out = fopen(dst, "wb");
    assert_non_null(out);
    for (int m = 0; m < members; m++) {
        size_t a = n / (size_t)members * (size_t)m;
        size_t b = m == members - 1 ? n : n / (size_t)members * (size_t)(m + 1);
        z_stream zs;
        memset(&zs, 0, sizeof zs);
        assert_int_equal(deflateInit2(&zs, 6, Z_DEFLATED, 16 + MAX_WBITS, 8,
                                      Z_DEFAULT_STRATEGY),
                         Z_OK);
        unsigned char buf[1 << 14];
        zs.next_in = (unsigned char *)p + a;
        zs.avail_in = (uInt)(b - a);
        int zr;
        do {
            zs.next_out = buf;
            zs.avail_out = sizeof buf;
            zr = deflate(&zs, Z_FINISH);
            fwrite(buf, 1, sizeof buf - zs.avail_out, out);
        } while (zr == Z_OK);
        assert_int_equal(zr, Z_STREAM_END);
        deflateEnd(&zs);
    }
    fclose(out);
    free(p);
}

static int setup(void **state)
{
    (void)state;
    const char *d = getenv("HC_TEST_DATA");
    snprintf(data_dir, sizeof data_dir, "%s", d ? d : "tests/data");
    const char *t = getenv("TMPDIR");
    snprintf(tmp_dir, sizeof tmp_dir, "%s/hc_test_read.XXXXXX", t ? t : "/tmp");
    assert_non_null(mkdtemp(tmp_dir));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[2100];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp_dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* ---- fixtures: GHES CSV ----------------------------------------------- */

static const char *const ghes_csv_want[] = {
    "ghes|ghe-1.corp.example|1|ghost||[]|active",
    "ghes|ghe-1.corp.example|2|monalisa|Mona@Corp.Example|[]|active",
    "ghes|ghe-1.corp.example|17|hubot|hubot@corp.example|[]|suspended",
    "ghes|ghe-1.corp.example|42|octo-cat|  octo@corp.example |[]|active",
    "ghes|ghe-1.corp.example|18446744073709551615|max-id|max@corp.example|[]"
    "|active",
};

static void test_ghes_csv(void **state)
{
    (void)state;
    rec r;
    rec_init(&r);
    hc_load_stats st;
    hc_diag d;
    assert_int_equal(run(&r, HC_INPUT_GHES,
                         data_path("read/ghes_all_users.csv"),
                         "ghe-1.corp.example", 1, false, NULL, &st, &d),
                     HC_OK);
    expect_items(&r, ghes_csv_want, 5);
    assert_int_equal(st.format, HC_FORMAT_GHES_CSV);
    assert_int_equal(st.records, 5);
    assert_int_equal(st.accounts, 5);
    assert_int_equal(st.rejected, 0);
    assert_int_equal(r.nsrc, 1);
    assert_int_equal(r.kinds[0], HC_SOURCE_GHES);
    rec_fini(&r);
}

static void test_ghes_csv_gzip(void **state)
{
    (void)state;
    for (int members = 1; members <= 3; members++) {
        const char *gz = tmp_path("all_users.csv.gz");
        gzip_file(data_path("read/ghes_all_users.csv"), gz, members);
        /* The name must not matter: detection is by magic bytes. */
        const char *plain_name = tmp_path("all_users_gz.csv");
        assert_int_equal(rename(gz, plain_name), 0);
        if (members == 3) {
            /* Zeros after the last member (padding) are no garbage. */
            FILE *f = fopen(plain_name, "ab");
            assert_non_null(f);
            static const char zeros[512];
            assert_int_equal(fwrite(zeros, 1, sizeof zeros, f), sizeof zeros);
            assert_int_equal(fclose(f), 0);
        }
        rec r;
        rec_init(&r);
        hc_load_stats st;
        hc_diag d;
        assert_int_equal(run(&r, HC_INPUT_GHES, plain_name,
                             "ghe-1.corp.example", 2, false, NULL, &st, &d),
                         HC_OK);
        expect_items(&r, ghes_csv_want, 5);
        rec_fini(&r);
    }
}

static void test_ghes_csv_reordered(void **state)
{
    (void)state;
    static const char *const want[] = {
        "ghes|h.example|7|alice|alice@corp.example|[]|active",
        "ghes|h.example|8|bob||[]|suspended",
        "ghes|h.example|9|carol|carol@corp.example|[]|active",
    };
    rec r;
    rec_init(&r);
    hc_diag d;
    assert_int_equal(run(&r, HC_INPUT_GHES,
                         data_path("read/ghes_reordered.csv"), "h.example", 1,
                         false, NULL, NULL, &d),
                     HC_OK);
    expect_items(&r, want, 3);
    rec_fini(&r);
}

static void test_ghes_csv_needs_host(void **state)
{
    (void)state;
    rec r;
    rec_init(&r);
    hc_diag d;
    assert_int_equal(run(&r, HC_INPUT_GHES,
                         data_path("read/ghes_all_users.csv"), NULL, 1, false,
                         NULL, NULL, &d),
                     HC_ERR_ARG);
    assert_non_null(strstr(d.message, "--ghes HOST=PATH"));
    assert_int_equal(r.n, 0);
    /* A consumed-licenses report given as GHES without a host is told to
     * use --ghec: a host would not make it load. */
    assert_int_equal(run(&r, HC_INPUT_GHES,
                         data_path("read/ghec_licenses_new.csv"), NULL, 1,
                         false, NULL, NULL, &d),
                     HC_ERR_DATA);
    assert_non_null(strstr(d.message, "use --ghec"));
    assert_int_equal(d.line, 1);
    assert_int_equal(r.n, 0);
    /* An input role the API does not know is an argument error. */
    assert_int_equal(run(&r, (hc_input_role)9,
                         data_path("read/ghes_all_users.csv"), "h", 1, false,
                         NULL, NULL, &d),
                     HC_ERR_ARG);
    assert_int_equal(r.n, 0);
    rec_fini(&r);
}

static void test_ghes_csv_stdin(void **state)
{
    (void)state;
    int saved = dup(0);
    assert_true(saved >= 0);
    int fd = open(data_path("read/ghes_all_users.csv"), O_RDONLY);
    assert_true(fd >= 0);
    assert_int_equal(dup2(fd, 0), 0);
    close(fd);
    rec r;
    rec_init(&r);
    hc_diag d;
    hc_status rc = run(&r, HC_INPUT_GHES, "-", "ghe-1.corp.example", 1, false,
                       NULL, NULL, &d);
    assert_int_equal(dup2(saved, 0), 0);
    close(saved);
    assert_int_equal(rc, HC_OK);
    expect_items(&r, ghes_csv_want, 5);
    rec_fini(&r);
}

/* A stream is read whole before it is parsed: one that starts like no
 * export (here zeros without end) is refused from its first bytes. A NUL
 * in a later row of a stream is that row's problem, as in a file. */
static void test_stream_refused_early(void **state)
{
    (void)state;
    rec r;
    rec_init(&r);
    hc_diag d;
    assert_int_equal(
        run(&r, HC_INPUT_RECORDS, "/dev/zero", NULL, 1, false, NULL, NULL, &d),
        HC_ERR_DATA);
    assert_non_null(strstr(d.message, "input is binary data"));
    assert_int_equal(r.n, 0);
    rec_fini(&r);

    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        FILE *f = fdopen(fds[1], "w");
        fputs("created_at,id,login,email,role,suspended?\n", f);
        fputs("2020,300,u", f); /* a NUL in the first 4 KiB: only its row */
        fputc(0, f);
        fputs(",x,user,false\n", f);
        for (int i = 1; i < 300; i++)
            fprintf(f, "2020,%d,u%d,u%d@corp.example,user,false\n", i, i, i);
        fclose(f);
        _exit(0);
    }
    close(fds[1]);
    char path[64];
    snprintf(path, sizeof path, "/dev/fd/%d", fds[0]);
    hc_load_stats st;
    rec_init(&r);
    assert_int_equal(run(&r, HC_INPUT_GHES, path, "h", 1, true, NULL, &st, &d),
                     HC_OK);
    assert_int_equal(st.accounts, 299);
    assert_int_equal(st.rejected, 1);
    close(fds[0]);
    waitpid(pid, NULL, 0);
    rec_fini(&r);

    /* Random bytes (a binary file piped in) are refused at once too:
     * their control bytes and invalid UTF-8 are far more than text has. */
    assert_int_equal(pipe(fds), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        uint64_t x = 0x9E3779B97F4A7C15u;
        unsigned char buf[8192];
        for (size_t i = 0; i < sizeof buf; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            buf[i] = (unsigned char)(x >> 24);
        }
        buf[0] = '{'; /* not to be taken for a compressed stream */
        ssize_t w = write(fds[1], buf, sizeof buf);
        _exit(w == (ssize_t)sizeof buf ? 0 : 1);
    }
    close(fds[1]);
    snprintf(path, sizeof path, "/dev/fd/%d", fds[0]);
    rec_init(&r);
    assert_int_equal(
        run(&r, HC_INPUT_RECORDS, path, NULL, 1, true, NULL, &st, &d),
        HC_ERR_DATA);
    assert_non_null(strstr(d.message, "input is binary data"));
    close(fds[0]);
    waitpid(pid, NULL, 0);
    rec_fini(&r);
}

/* ---- fixtures: GHEC CSV and JSON -------------------------------------- */

static void test_ghec_csv(void **state)
{
    (void)state;
    /* snake_case names; Title case with "saml name ID"; the header GitHub
     * documents now ("GitHub com saml name", 28 columns); and GHE.com's,
     * which says "GitHub" for "GitHub com". */
    const char *files[] = {
        "read/ghec_licenses_old.csv", "read/ghec_licenses_new.csv",
        "read/ghec_licenses_2025.csv", "read/ghec_licenses_ghe_com.csv"};
    const char *names[] = {"ghec_licenses_old.csv", "ghec_licenses_new.csv",
                           "ghec_licenses_2025.csv",
                           "ghec_licenses_ghe_com.csv"};
    for (int f = 0; f < 4; f++) {
        char want[4][256];
        const char *wp[4];
        snprintf(want[0], 256,
                 "ghec|%s|monalisa|saml=mona@corp.example|v=[mona@corp."
                 "example,mona.lisa@corp.example]|i=[]|licensed",
                 names[f]);
        snprintf(want[1], 256,
                 "ghec|%s|octocat|saml=|v=[octo@corp.example]|i=[]|licensed",
                 names[f]);
        snprintf(want[2], 256, "ghec|%s||saml=|v=[]|i=[]|unlicensed", names[f]);
        snprintf(want[3], 256,
                 "ghec|%s|spacey|saml=|v=[a@corp.example,b@corp.example,c@"
                 "corp.example]|i=[]|licensed",
                 names[f]);
        for (int i = 0; i < 4; i++)
            wp[i] = want[i];
        rec r;
        rec_init(&r);
        hc_load_stats st;
        hc_diag d;
        assert_int_equal(run(&r, HC_INPUT_GHEC, data_path(files[f]), NULL, 1,
                             false, NULL, &st, &d),
                         HC_OK);
        assert_int_equal(st.format, HC_FORMAT_GHEC_CSV);
        expect_items(&r, wp, 4);
        assert_int_equal(r.kinds[0], HC_SOURCE_GHEC);
        rec_fini(&r);
    }
}

/* Reads text as host h's all_users.csv, which must fail with HC_ERR_DATA
 * at line, the message holding what; *d is left for more checks. */
static void ghes_csv_fails_at(const char *path, const char *text, size_t len,
                              uint64_t line, const char *what, hc_diag *d)
{
    rec r;
    hc_load_stats st;
    write_file(path, text, len);
    rec_init(&r);
    assert_int_equal(run(&r, HC_INPUT_GHES, path, "h", 1, false, NULL, &st, d),
                     HC_ERR_DATA);
    assert_int_equal(d->line, line);
    assert_non_null(strstr(d->message, what));
    rec_fini(&r);
}

/* Rows of nothing but blanks and commas are blank lines; a cell that is
 * not UTF-8 is a row error naming its column. */
static void test_csv_blank_rows_and_encoding(void **state)
{
    (void)state;
    static const char text[] = "created_at,id,login,email,role,suspended?\r\n"
                               "2020,1,ann,ann@corp.example,user,false\r\n"
                               "  \r\n"
                               ",,,,,\r\n"
                               "\"\",\t,,\"  \",,\r\n"
                               "2020,2,j,j\xf6rg@corp.example,user,false\r\n"
                               "2020,3,b\xff,bob@corp.example,user,false\r\n"
                               "2020,4,cy,cy@corp.example,user,false\r\n"
                               ",,,,\r\n" /* too few commas: still blank */
                               ",,,,,,,,,, ,\t,\"\",,\r\n" /* too many: too */
                               ",,,,,,,,x\r\n"; /* too many, not blank */
    const char *path = tmp_path("blank_latin1.csv");
    write_file(path, text, sizeof text - 1);
    rec r;
    hc_load_stats st;
    hc_diag d;
    rec_init(&r);
    assert_int_equal(run(&r, HC_INPUT_GHES, path, "h", 1, false, NULL, &st, &d),
                     HC_ERR_DATA);
    assert_int_equal(d.line, 6);
    assert_int_equal(d.column, 11); /* the byte 0xf6 */
    assert_non_null(strstr(d.message, "invalid UTF-8 in column 'email'"));
    rec_fini(&r);

    rec_init(&r);
    assert_int_equal(run(&r, HC_INPUT_GHES, path, "h", 1, true, NULL, &st, &d),
                     HC_OK);
    assert_int_equal(st.records, 5);
    assert_int_equal(st.accounts, 2);
    assert_int_equal(st.rejected, 3);
    assert_int_equal(st.first_rejected.line, 6);
    const char *want[] = {"ghes|h|1|ann|ann@corp.example|[]|active",
                          "ghes|h|4|cy|cy@corp.example|[]|active"};
    expect_items(&r, want, 2);
    rec_fini(&r);

    /* Blank rows before the header are skipped too, and the lines of
     * later errors still count them. */
    static const char lead[] = " \n\t,\r\n\n"
                               "created_at,id,login,email,role,suspended?\n"
                               "2020,6,e,e@corp.example,user,false\n"
                               "2020,x,f,f@corp.example,user,false\n";
    ghes_csv_fails_at(path, lead, sizeof lead - 1, 6, "column 'id'", &d);

    /* The bad byte of a cell with a "" escape, on the cell's second
     * line: found in the input, not in the unescaped copy. */
    static const char escaped[] =
        "created_at,id,login,email,role,suspended?\n"
        "2020,5,\"d\"\"\ny\xe9\",d@corp.example,user,false\n";
    ghes_csv_fails_at(path, escaped, sizeof escaped - 1, 3,
                      "invalid UTF-8 in column 'login'", &d);
    assert_int_equal(d.column, 2);

    /* Two names of one column are a duplicate, named as written. */
    static const char dup[] =
        "GitHub com login,GitHub com user,GitHub com saml name ID,"
        "GitHub com saml name\nm,true,a@b.example,a@b.example\n";
    write_file(path, dup, sizeof dup - 1);
    rec_init(&r);
    assert_int_equal(
        run(&r, HC_INPUT_GHEC, path, NULL, 1, false, NULL, &st, &d),
        HC_ERR_DATA);
    assert_non_null(strstr(d.message,
                           "duplicate column 'github_com_saml_name_id' in "
                           "header ('GitHub com saml name' is another name"));
    rec_fini(&r);

    /* Lone-CR line ends under a quoted header, and under a plain one
     * with the next line starting with a quote. */
    static const char *const macs[] = {
        "\"github_com_login\",\"github_com_user\"\r\"a\",\"true\"\r",
        "github_com_login,github_com_user\r\"a\",true\r"};
    for (size_t i = 0; i < sizeof macs / sizeof macs[0]; i++) {
        write_file(path, macs[i], strlen(macs[i]));
        rec_init(&r);
        assert_int_equal(
            run(&r, HC_INPUT_GHEC, path, NULL, 1, true, NULL, &st, &d),
            HC_ERR_DATA);
        assert_non_null(strstr(d.message, "lone carriage return"));
        rec_fini(&r);
    }
}

static void ghec_json_want(const char *src, char want[4][256],
                           const char *wp[4])
{
    snprintf(want[0], 256,
             "ghec|%s|monalisa|saml=mona@corp.example|v=[mona@corp.example,"
             "mona.lisa@corp.example]|i=[]|licensed",
             src);
    snprintf(want[1], 256,
             "ghec|%s|octocat|saml=|v=[octo@corp.example]|i=[]|licensed", src);
    snprintf(want[2], 256, "ghec|%s||saml=|v=[]|i=[]|unlicensed", src);
    snprintf(want[3], 256,
             "ghec|%s|spacey|saml=sp\xc3\xa4"
             "cey@corp.example|v=[a@corp."
             "example,b@corp.example,c@corp.example]|i=[]|licensed",
             src);
    for (int i = 0; i < 4; i++)
        wp[i] = want[i];
}

static void test_ghec_json_shapes(void **state)
{
    (void)state;
    const char *files[] = {"ghec_page.json", "ghec_pages_array.json",
                           "ghec_pages_concat.json"};
    for (int f = 0; f < 3; f++) {
        char want[4][256];
        const char *wp[4];
        ghec_json_want(files[f], want, wp);
        char rel[128];
        snprintf(rel, sizeof rel, "read/%s", files[f]);
        rec r;
        rec_init(&r);
        hc_load_stats st;
        hc_diag d;
        hc_status rc = run(&r, HC_INPUT_GHEC, data_path(rel), NULL, 2, false,
                           NULL, &st, &d);
        if (rc != HC_OK)
            print_error("%s: %s\n", rel, d.message);
        assert_int_equal(rc, HC_OK);
        assert_int_equal(st.format, HC_FORMAT_GHEC_JSON);
        assert_int_equal(st.records, 4);
        expect_items(&r, wp, 4);
        rec_fini(&r);
    }
}

static void test_ghec_json_gzip_stdin(void **state)
{
    (void)state;
    const char *gz = tmp_path("pages.gz");
    gzip_file(data_path("read/ghec_pages_concat.json"), gz, 1);
    int saved = dup(0);
    int fd = open(gz, O_RDONLY);
    assert_true(fd >= 0 && saved >= 0);
    assert_int_equal(dup2(fd, 0), 0);
    close(fd);
    rec r;
    rec_init(&r);
    hc_diag d;
    hc_status rc = run(&r, HC_INPUT_GHEC, "-", NULL, 1, false, NULL, NULL, &d);
    assert_int_equal(dup2(saved, 0), 0);
    close(saved);
    assert_int_equal(rc, HC_OK);
    char want[4][256];
    const char *wp[4];
    ghec_json_want("ghec", want, wp);
    expect_items(&r, wp, 4);
    rec_fini(&r);
}

/* Consumed-licenses JSON larger than the first simdjson batch: one page
 * bigger than it between small ones, and all pages in one array. */
static void test_ghec_json_large(void **state)
{
    (void)state;
    const size_t big = 120000;
    for (int shape = 0; shape < 2; shape++) {
        char *buf = NULL;
        size_t len = 0;
        size_t users = 0;
        cats(&buf, &len, shape ? "[" : "");
        for (int page = 0; page < 3; page++) {
            size_t n = page == 1 ? big : 3;
            if (page)
                cats(&buf, &len, shape ? ",\n" : "\n");
            cats(&buf, &len, "{\"total_seats_consumed\":0,\"users\":[");
            for (size_t u = 0; u < n; u++) {
                char row[256];
                snprintf(row, sizeof row,
                         "%s{\"github_com_login\":\"p%du%zu\","
                         "\"github_com_user\":%s,\"github_com_profile\":"
                         "\"https://github.com/p%du%zu\",\"github_com_"
                         "verified_domain_emails\":[\"p%du%zu@corp.example\"]}",
                         u ? "," : "", page, u, u % 3 ? "true" : "false", page,
                         u, page, u);
                cats(&buf, &len, row);
                users++;
            }
            cats(&buf, &len, "]}");
        }
        cats(&buf, &len, shape ? "]\n" : "\n");
        assert_true(len > ((size_t)16 << 20));
        const char *path = tmp_path("large.json");
        write_file(path, buf, len);
        free(buf);
        rec r;
        rec_init(&r);
        hc_load_stats st;
        hc_diag d;
        hc_status rc =
            run(&r, HC_INPUT_GHEC, path, NULL, 2, false, NULL, &st, &d);
        if (rc != HC_OK)
            print_error("%s:%llu: %s\n", d.file, (unsigned long long)d.line,
                        d.message);
        assert_int_equal(rc, HC_OK);
        assert_int_equal(st.records, users);
        assert_int_equal(r.n, users);
        qsort(r.items, r.n, sizeof *r.items, cmp_str);
        assert_string_equal(r.items[0], "ghec|large.json|p0u0|saml=|v=[p0u0@"
                                        "corp.example]|i=[]|unlicensed");
        assert_string_equal(r.items[r.n - 1],
                            "ghec|large.json|p2u2|saml=|v=[p2u2@corp.example]"
                            "|i=[]|licensed");
        rec_fini(&r);
    }
}

/* Consumed-licenses pages read through pread windows of any size give
 * what the mapping gives: pages pretty-printed and minified, separated by
 * newlines or not, some longer than the window (which hands the rest to
 * the mapping), and the same error for a bad token, bad UTF-8 or a
 * truncated last page (at the same line and column, but for bad UTF-8). */
static void test_ghec_json_windows(void **state)
{
    (void)state;
    for (int variant = 0; variant < 4; variant++) {
        char *buf = NULL;
        size_t len = 0;
        for (int page = 0; page < 60; page++) {
            bool pretty = page % 3 != 1;
            int users = page % 7 == 3 ? 40 : 1 + page % 4;
            cats(&buf, &len, pretty ? "{\n  \"users\": [\n" : "{\"users\":[");
            for (int u = 0; u < users; u++) {
                char row[300];
                snprintf(row, sizeof row,
                         "%s{\"github_com_login\":\"p%du%d\",\"github_com_"
                         "name\":\"Jos\u00e9 \xc3\xa9%d\",\"github_com_user\":"
                         "%s,\"github_com_verified_domain_emails\":[\"p%du%d@"
                         "corp.example\"]}",
                         u ? (pretty ? ",\n    " : ",")
                           : (pretty ? "    " : ""),
                         page, u, u, u % 3 ? "true" : "false", page, u);
                cats(&buf, &len, row);
            }
            if (variant == 1 && page == 30)
                cats(&buf, &len, ",{\"github_com_user\":tru}");
            if (variant == 2 && page == 41)
                cats(&buf, &len, ",{\"github_com_login\":\"bad\xff\"}");
            cats(&buf, &len, pretty ? "\n  ]\n}" : "]}");
            cats(&buf, &len, page % 5 == 4 ? " " : "\n");
        }
        if (variant == 3)
            len -= 40; /* the last page ends early */
        const char *path = tmp_path("windows.json");
        write_file(path, buf, len);
        free(buf);

        rec want;
        rec_init(&want);
        hc_load_stats wst;
        hc_diag wd;
        memset(&wd, 0, sizeof wd);
        hc__read_tuning t = {0, 0, HC__JSON_WINDOW_OFF, 0};
        hc_status wrc =
            run(&want, HC_INPUT_GHEC, path, NULL, 1, false, &t, &wst, &wd);
        assert_int_equal(wrc, variant ? HC_ERR_DATA : HC_OK);
        if (!variant)
            assert_true(want.n > 200);
        if (!variant) /* rows of several threads come in any order */
            qsort(want.items, want.n, sizeof *want.items, cmp_str);
        /* Then windows alone, and windows with the pages cut into jobs
         * (a cut every `cut` bytes) parsed on one thread or three. */
        const struct {
            size_t window, cut;
            unsigned threads;
        } runs[] = {{0, 0, 1},      {150, 0, 1},     {700, 0, 1},
                    {4096, 0, 1},   {700, 900, 1},   {700, 900, 3},
                    {4096, 900, 3}, {4096, 5000, 1}, {4096, 5000, 3}};
        for (size_t w = 0; w < HC_ARRAY_LEN(runs); w++) {
            rec got;
            rec_init(&got);
            hc_load_stats gst;
            hc_diag gd;
            memset(&gd, 0, sizeof gd);
            t.json_window = runs[w].window;
            t.json_cut = runs[w].cut;
            hc_status grc = run(&got, HC_INPUT_GHEC, path, NULL,
                                runs[w].threads, false, &t, &gst, &gd);
            /* Bad UTF-8 fails simdjson's first stage, which reports the
             * first document of its batch: a place that depends on where
             * batches start, so only the error itself must agree. */
            bool place = variant != 2;
            if (grc != wrc || strcmp(gd.message, wd.message) != 0 ||
                (place && (gd.line != wd.line || gd.column != wd.column)))
                fail_msg("variant %d, window %zu, cut %zu, %u threads: %d "
                         "%llu:%llu %s; mapping: %d %llu:%llu %s",
                         variant, runs[w].window, runs[w].cut, runs[w].threads,
                         (int)grc, (unsigned long long)gd.line,
                         (unsigned long long)gd.column, gd.message, (int)wrc,
                         (unsigned long long)wd.line,
                         (unsigned long long)wd.column, wd.message);
            /* After an error, later jobs may have delivered rows too:
             * then only the error is compared. */
            if (!variant || (place && runs[w].cut == 0)) {
                if (!variant)
                    qsort(got.items, got.n, sizeof *got.items, cmp_str);
                assert_int_equal(got.n, want.n);
                for (size_t i = 0; i < got.n; i++)
                    assert_string_equal(got.items[i], want.items[i]);
            }
            if (grc == HC_OK)
                assert_int_equal(gst.records, wst.records);
            rec_fini(&got);
        }
        rec_fini(&want);
    }
}

/* ---- fixtures: GHES JSON ---------------------------------------------- */

static void test_ghes_json(void **state)
{
    (void)state;
    struct {
        const char *file, *host, *want_host;
    } cases[] = {
        {"read/ghes_export.json", NULL, "ghe-2.corp.example"},
        {"read/ghes_export_instance.json", NULL, "ghe-3.corp.example"},
        {"read/ghes_export.json", "override.example", "override.example"},
    };
    for (size_t c = 0; c < HC_ARRAY_LEN(cases); c++) {
        char want[3][256];
        const char *wp[3];
        snprintf(want[0], 256,
                 "ghes|%s|5|alice|alice@corp.example|[alice@corp.example,"
                 "alice@home.example]|active",
                 cases[c].want_host);
        snprintf(want[1], 256,
                 "ghes|%s|6|bob||[bob@corp.example,bob2@corp.example]|"
                 "suspended",
                 cases[c].want_host);
        snprintf(want[2], 256, "ghes|%s|7|carol|carol@corp.example|[]|active",
                 cases[c].want_host);
        for (int i = 0; i < 3; i++)
            wp[i] = want[i];
        rec r;
        rec_init(&r);
        hc_load_stats st;
        hc_diag d;
        hc_status rc = run(&r, HC_INPUT_GHES, data_path(cases[c].file),
                           cases[c].host, 1, false, NULL, &st, &d);
        if (rc != HC_OK)
            print_error("%s: %s\n", cases[c].file, d.message);
        assert_int_equal(rc, HC_OK);
        assert_int_equal(st.format, HC_FORMAT_GHES_JSON);
        expect_items(&r, wp, 3);
        rec_fini(&r);
    }
}

static void test_ghes_json_encrypted(void **state)
{
    (void)state;
    rec r;
    rec_init(&r);
    hc_diag d;
    assert_int_equal(run(&r, HC_INPUT_GHES,
                         data_path("read/ghes_export_encrypted.json"), NULL, 1,
                         false, NULL, NULL, &d),
                     HC_ERR_ENCRYPTED);
    assert_int_equal(hc_status_exit_code(HC_ERR_ENCRYPTED), 65);
    assert_non_null(strstr(d.message, "encrypted"));
    assert_non_null(
        strstr(d.message,
               "https://ghe-4.corp.example/stafftools/reports/all_users.csv"));
    assert_int_equal(d.line, 1);
    assert_int_equal(r.n, 0);
    rec_fini(&r);

    /* A host_name that is no host name (here a terminal escape) is not
     * copied into the message. */
    const char *path = tmp_path("encrypted_escape.json");
    const char *text = "{\"host_name\":\"evil\\u001b[2J.example\","
                       "\"users\":\"U2FsdGVkX19h\"}";
    write_file(path, text, strlen(text));
    rec_init(&r);
    assert_int_equal(
        run(&r, HC_INPUT_GHES, path, NULL, 1, false, NULL, NULL, &d),
        HC_ERR_ENCRYPTED);
    assert_null(strchr(d.message, '\x1b'));
    assert_null(strstr(d.message, "evil"));
    assert_non_null(strstr(d.message, "https://HOST/stafftools/"));
    rec_fini(&r);
}

/* ---- fixtures: NDJSON records ----------------------------------------- */

static void test_records(void **state)
{
    (void)state;
    static const char *const want[] = {
        "ghes|ghe-1.corp.example|2|monalisa|mona@corp.example|[mona@corp."
        "example,ml@home.example]|active",
        "ghes|ghe-2.corp.example|99|zed|zed@corp.example|[]|suspended",
        "ghec|acme|monalisa|saml=|v=[mona@corp.example]|i=[mona@corp.example,"
        "Mona Lisa]|licensed",
        "ghec|ghec|unlicensed-one|saml=|v=[]|i=[]|unlicensed",
        "ghes|ghe-1.corp.example|3|nomail||[]|active",
    };
    rec r;
    rec_init(&r);
    hc_load_stats st;
    hc_diag d;
    hc_status rc = run(&r, HC_INPUT_RECORDS, data_path("read/records.ndjson"),
                       NULL, 1, false, NULL, &st, &d);
    if (rc != HC_OK)
        print_error("%s\n", d.message);
    assert_int_equal(rc, HC_OK);
    assert_int_equal(st.format, HC_FORMAT_RECORDS);
    assert_int_equal(st.records, 5);
    assert_int_equal(st.accounts, 5);
    expect_items(&r, want, 5);
    rec_fini(&r);
}

/* A line rejected for what follows its object adds neither its account
 * nor its source; a source name over HC_SOURCE_NAME_MAX is a rejected row,
 * counted against the input. */
static void test_records_rejected_source(void **state)
{
    (void)state;
    char *b = NULL;
    size_t bl = 0;
    cats(&b, &bl,
         "{\"kind\":\"ghes\",\"source\":\"h1\",\"id\":1,\"login\":\"a\","
         "\"primary_email\":\"a@x.example\"}\n"
         "{\"kind\":\"ghes\",\"source\":\"phantom\",\"id\":2,\"login\":\"b\","
         "\"primary_email\":\"b@x.example\"} {\"x\":1}\n"
         "{\"kind\":\"ghes\",\"source\":\"");
    for (size_t i = 0; i <= HC_SOURCE_NAME_MAX; i++)
        cats(&b, &bl, "h");
    cats(&b, &bl,
         "\",\"id\":3,\"login\":\"c\",\"primary_email\":\"c@x.example\"}\n");
    const char *path = tmp_path("rejected_source.ndjson");
    write_file(path, b, bl);
    free(b);
    for (unsigned threads = 1; threads <= 2; threads++) {
        rec r;
        rec_init(&r);
        hc_load_stats st;
        hc_diag d;
        hc_status rc =
            run(&r, HC_INPUT_RECORDS, path, NULL, threads, true, NULL, &st, &d);
        assert_int_equal(rc, HC_OK);
        assert_int_equal(st.accounts, 1);
        assert_int_equal(st.rejected, 2);
        for (size_t i = 0; i < r.nsrc; i++)
            assert_true(strcmp(r.names[i], "phantom") != 0 &&
                        strlen(r.names[i]) <= HC_SOURCE_NAME_MAX);
        rec_fini(&r);
    }
}

/* A field of the other kind is ignored whatever its type: a GHEC record
 * may carry GitHub's string node id, a GHES record a "licensed" flag.
 * Fields of the record's own kind are still checked, and the first
 * problem on the line is the one reported. */
static void test_records_other_kind_fields(void **state)
{
    (void)state;
    static const char *const want[] = {
        "ghec|acme|octo|saml=|v=[o@corp.example]|i=[]|licensed",
        "ghes|h|7|mona|m@corp.example|[]|active",
    };
    const char *path = tmp_path("other_kind.ndjson");
    const char *text =
        "{\"kind\":\"ghec\",\"source\":\"acme\",\"id\":\"MDQ6VXNlcjE=\","
        "\"login\":\"octo\",\"primary_email\":7,\"emails\":\"x\","
        "\"suspended\":\"no\",\"verified_emails\":[\"o@corp.example\"],"
        "\"licensed\":true}\n"
        "{\"kind\":\"ghes\",\"source\":\"h\",\"id\":7,\"login\":\"mona\","
        "\"primary_email\":\"m@corp.example\",\"licensed\":\"yes\","
        "\"verified_emails\":5,\"identity_values\":{}}\n";
    write_file(path, text, strlen(text));
    rec r;
    rec_init(&r);
    hc_diag d;
    hc_status rc =
        run(&r, HC_INPUT_RECORDS, path, NULL, 1, false, NULL, NULL, &d);
    if (rc != HC_OK)
        print_error("%s\n", d.message);
    assert_int_equal(rc, HC_OK);
    expect_items(&r, want, 2);
    rec_fini(&r);

    static const struct {
        const char *line;
        const char *msg;
    } bad[] = {
        {"{\"kind\":\"ghes\",\"source\":\"h\",\"id\":\"x\",\"login\":\"a\"}\n",
         "field 'id'"},
        {"{\"kind\":\"ghec\",\"login\":\"a\",\"licensed\":\"yes\"}\n",
         "'licensed'"},
        /* The ghes-only field comes first on the line, so it is named. */
        {"{\"suspended\":1,\"kind\":\"ghes\",\"source\":\"h\",\"id\":1,"
         "\"login\":2}\n",
         "'suspended'"},
        {"{\"login\":2,\"kind\":\"ghes\",\"source\":\"h\",\"id\":1,"
         "\"suspended\":1}\n",
         "'login'"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        write_file(path, bad[i].line, strlen(bad[i].line));
        rec_init(&r);
        rc = run(&r, HC_INPUT_RECORDS, path, NULL, 1, false, NULL, NULL, &d);
        if (rc != HC_ERR_DATA || !strstr(d.message, bad[i].msg))
            print_error("line %zu: %s: %s\n", i, hc_status_str(rc), d.message);
        assert_int_equal(rc, HC_ERR_DATA);
        assert_non_null(strstr(d.message, bad[i].msg));
        assert_int_equal(d.line, 1);
        rec_fini(&r);
    }
}

/* A known field given twice in one object is a row error at its second
 * value, in every JSON shape and on both NDJSON paths (the fast one hands
 * the line to the full reader); a repeat of a field of the other kind of
 * record stops nothing, and under skip_malformed only that row goes. */
typedef struct json_fault {
    hc_input_role role;
    const char *text;
    const char *msg;
    uint64_t line, column;
} json_fault;

/* Each case's text must fail with HC_ERR_DATA, its message and place, on
 * both NDJSON paths. */
static void expect_json_faults(const json_fault *cases, size_t n)
{
    const char *path = tmp_path("fault.json");
    for (size_t i = 0; i < n; i++) {
        write_file(path, cases[i].text, strlen(cases[i].text));
        for (int fast = 0; fast < 2; fast++) {
            hc__ndjson_fast_off = fast == 0;
            rec r;
            rec_init(&r);
            hc_diag d;
            hc_status rc =
                run(&r, cases[i].role, path, NULL, 1, false, NULL, NULL, &d);
            if (rc != HC_ERR_DATA || !strstr(d.message, cases[i].msg) ||
                d.line != cases[i].line || d.column != cases[i].column)
                print_error("case %zu: %s %llu:%llu %s\n", i, hc_status_str(rc),
                            (unsigned long long)d.line,
                            (unsigned long long)d.column, d.message);
            assert_int_equal(rc, HC_ERR_DATA);
            assert_non_null(strstr(d.message, cases[i].msg));
            assert_int_equal(d.line, cases[i].line);
            assert_int_equal(d.column, cases[i].column);
            rec_fini(&r);
        }
    }
    hc__ndjson_fast_off = false;
}

static void test_json_field_twice(void **state)
{
    (void)state;
    static const json_fault cases[] = {
        {HC_INPUT_GHEC,
         "{\"users\":[{\"github_com_login\":\"a\",\"github_com_user\":false,"
         "\n\"github_com_user\":true}]}",
         "field 'github_com_user' given twice", 2, 19},
        {HC_INPUT_GHES,
         "{\"host_name\":\"h\",\"users\":[{\"id\":1,\"login\":\"a\","
         "\"suspended\":true,\"suspended\":false}]}",
         "field 'suspended' given twice", 1, 76},
        {HC_INPUT_GHES,
         "{\"host_name\":\"h\",\"users\":[{\"id\":1,\"id\":2,\"login\":\"b\"}]"
         "}",
         "field 'id' given twice", 1, 40},
        {HC_INPUT_RECORDS,
         "{\"kind\":\"ghec\",\"login\":\"x\",\"licensed\":false,"
         "\"licensed\":true}\n",
         "field 'licensed' given twice", 1, 56},
        {HC_INPUT_RECORDS,
         "{\"kind\":\"ghes\",\"source\":\"h\",\"id\":1,\"login\":\"a\","
         "\"login\":\"b\"}\n",
         "field 'login' given twice", 1, 56},
        /* One address per object of "emails". */
        {HC_INPUT_GHES,
         "{\"host_name\":\"h\",\"users\":[{\"id\":1,\"login\":\"a\","
         "\"emails\":[{\"email\":\"b@x.example\",\"email\":\"c@x.example\"}]}"
         "]}",
         "field 'email' given twice", 1, 88},
        {HC_INPUT_GHES,
         "{\"host_name\":\"h\",\"users\":[{\"id\":1,\"login\":\"a\","
         "\"emails\":[{\"address\":\"b@x.example\",\"email\":\"c@x.example\"}]}"
         "]}",
         "fields 'email' and 'address' both given", 1, 90},
        /* Also when one of them is null (it would have been skipped). */
        {HC_INPUT_GHES,
         "{\"host_name\":\"h\",\"users\":[{\"id\":1,\"login\":\"a\","
         "\"emails\":[{\"email\":\"b@x.example\",\"email\":null}]}]}",
         "field 'email' given twice", 1, 88},
        {HC_INPUT_GHES,
         "{\"host_name\":\"h\",\"users\":[{\"id\":1,\"login\":\"a\","
         "\"emails\":[{\"email\":null,\"address\":\"b@x.example\"}]}]}",
         "fields 'email' and 'address' both given", 1, 81},
        /* Fields of the document, which fail the whole input: a second
         * "users" must not add its accounts, nor a second host name pick
         * the source. */
        {HC_INPUT_GHES,
         "{\"host_name\":\"h\",\"users\":[{\"id\":1,\"login\":\"a\"}],"
         "\n\"users\":[{\"id\":2,\"login\":\"b\"}]}",
         "field 'users' given twice", 2, 9},
        {HC_INPUT_GHES,
         "{\"host_name\":\"h1\",\"host_name\":\"h2\",\"users\":[]}",
         "field 'host_name' given twice", 1, 31},
        {HC_INPUT_GHES,
         "{\"instance\":{\"host_name\":\"h1\"},\"host_name\":\"h2\",\"users\":["
         "]}",
         "field 'host_name' given twice", 1, 44},
        {HC_INPUT_GHEC,
         "{\"users\":[{\"github_com_login\":\"a\",\"github_com_user\":true}],"
         "\"users\":[]}",
         "field 'users' given twice", 1, 68},
    };
    expect_json_faults(cases, sizeof cases / sizeof cases[0]);
    const char *path = tmp_path("twice.json");

    /* A ghes record repeating a ghec-only field is read; under
     * skip_malformed the record with a repeat is the one rejected. */
    static const char *const want[] = {"ghes|h|1|a||[]|active",
                                       "ghes|h|3|c||[]|active"};
    const char *text =
        "{\"kind\":\"ghes\",\"source\":\"h\",\"id\":1,\"login\":\"a\","
        "\"licensed\":true,\"licensed\":false}\n"
        "{\"kind\":\"ghes\",\"source\":\"h\",\"id\":2,\"id\":4,"
        "\"login\":\"b\"}\n"
        "{\"kind\":\"ghes\",\"source\":\"h\",\"id\":3,\"login\":\"c\"}\n";
    write_file(path, text, strlen(text));
    rec r;
    rec_init(&r);
    hc_diag d;
    hc_load_stats st;
    assert_int_equal(
        run(&r, HC_INPUT_RECORDS, path, NULL, 1, true, NULL, &st, &d), HC_OK);
    assert_int_equal(st.rejected, 1);
    assert_int_equal(st.first_rejected.line, 2);
    expect_items(&r, want, 2);
    rec_fini(&r);
}

/* A structure error in one JSON document (a GHES export, an NDJSON line)
 * is named where it is, not at the last value read before it: a stray
 * token after a field or an element, a missing comma, also after a long
 * value and on a later line. */
static void test_json_structure_fault_place(void **state)
{
    (void)state;
    static const char obj[] = "expected a string key, or ',' or '}' after "
                              "an object field";
    static const char arr[] = "expected a value, or ',' or ']' after an "
                              "array element";
    static char long_line[3200];
    snprintf(long_line, sizeof long_line,
             "{\"kind\":\"ghes\",\"source\":\"h\",\"id\":1,\"login\":\"%0*d\" "
             "@}\n",
             3000, 0);
    const json_fault cases[] = {
        {HC_INPUT_GHES,
         "{\"host_name\": \"h\",\n \"users\": [\n  {\n   \"id\": 1,\n"
         "   \"login\": \"a\"\n   @\n  }]}",
         obj, 6, 4},
        {HC_INPUT_GHES,
         "{\"host_name\":\"h\",\"users\":[{\"id\":1,\"login\":\"a\"}\n\n   x]}",
         arr, 3, 4},
        {HC_INPUT_GHES, "{\"host_name\":\"h\" \"users\":[]}", obj, 1, 18},
        {HC_INPUT_RECORDS, long_line, obj, 1, 3047},
        {HC_INPUT_RECORDS,
         "{\"kind\":\"ghes\",\"source\":\"h\",\"id\":1,\"emails\":[\"a\" "
         "\"b\"],"
         "\"login\":\"a\"}\n",
         arr, 1, 50},
    };
    expect_json_faults(cases, sizeof cases / sizeof cases[0]);
}

/* Past HC_SOURCES_MAX sources the load stops with the same message for
 * any thread count (which record meets the limit depends on the
 * threads), naming the limit; one source fewer loads. */
static void test_records_source_limit(void **state)
{
    (void)state;
    char *text = NULL;
    size_t len = 0;
    char line[160];
    for (unsigned i = 0; i <= HC_SOURCES_MAX; i++) {
        snprintf(line, sizeof line,
                 "{\"kind\":\"ghes\",\"source\":\"h%u.example\",\"id\":1,"
                 "\"login\":\"u\",\"primary_email\":\"u%u@x.example\"}\n",
                 i, i);
        cats(&text, &len, line);
    }
    const char *path = tmp_path("sources.ndjson");
    write_file(path, text, len);
    hc_input in = {HC_INPUT_RECORDS, path, NULL, NULL};
    for (unsigned t = 1; t <= 4; t += 3) {
        hc_census *c = NULL;
        assert_int_equal(hc_census_create(NULL, &c), HC_OK);
        hc_load_options o = {t, false};
        hc_load_stats st;
        hc_diag d;
        assert_int_equal(hc_census_load(c, &in, &o, &st, &d), HC_ERR_LIMIT);
        assert_int_equal(d.line, 0);
        assert_non_null(strstr(d.message, "more than 65535 sources"));
        hc_census_destroy(c);
    }
    /* Without the last line every source fits, each one found again by
     * name (a second line of the first source adds none). */
    len -= strlen(line);
    cats(&text, &len,
         "{\"kind\":\"ghes\",\"source\":\"H0.example.\","
         "\"id\":2,\"login\":\"v\"}\n");
    write_file(path, text, len);
    free(text);
    hc_census *c = NULL;
    assert_int_equal(hc_census_create(NULL, &c), HC_OK);
    hc_load_options o = {4, false};
    hc_load_stats st;
    hc_diag d;
    assert_int_equal(hc_census_load(c, &in, &o, &st, &d), HC_OK);
    assert_int_equal(st.accounts, HC_SOURCES_MAX + 1);
    hc_result *res = NULL;
    assert_int_equal(hc_census_run(c, HC_POLICY_GITHUB, &res), HC_OK);
    assert_int_equal(hc_result_source_count(res), HC_SOURCES_MAX);
    hc_result_destroy(res);
    hc_census_destroy(c);

    /* One more source from an input of one source says the same, without
     * quoting the name: a GHES export's host_name is external data, a
     * GHEC source is named after its file. */
    const char *ghes = tmp_path("one-more.json");
    const char *ghes_text = "{\"host_name\":\"zz-one-more.example\",\"users\":"
                            "[{\"id\":1,\"login\":\"a\"}]}";
    write_file(ghes, ghes_text, strlen(ghes_text));
    const char *ghec = tmp_path("one-more-ghec.json");
    const char *ghec_text =
        "{\"users\":[{\"github_com_login\":\"a\",\"github_com_user\":true}]}";
    write_file(ghec, ghec_text, strlen(ghec_text));
    const hc_input more[] = {{HC_INPUT_GHES, ghes, NULL, NULL},
                             {HC_INPUT_GHEC, ghec, NULL, NULL}};
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(hc_census_create(NULL, &c), HC_OK);
        assert_int_equal(hc_census_load(c, &in, &o, &st, &d), HC_OK);
        assert_int_equal(hc_census_load(c, &more[i], &o, &st, &d),
                         HC_ERR_LIMIT);
        assert_int_equal(d.line, 0);
        assert_non_null(strstr(d.message, "more than 65535 sources"));
        assert_null(strstr(d.message, "zz-one-more"));
        hc_census_destroy(c);
    }
}

/*
 * A GHES source must be a host name (hc_host_name_valid): its host is
 * written before the ':' of host:id values and in lists joined by ", ".
 * A GHES export's host_name fails the input, a HOST= argument is refused,
 * an NDJSON ghes record's source is a row error on the fast path and the
 * full reader alike; a GHEC source name may be anything.
 */
static void test_ghes_host_names(void **state)
{
    (void)state;
    static const char *const good[] = {"ghe.corp.example", "GHE-2.Corp_x",
                                       "10.0.0.7", "h", "ghe.corp.example."};
    static const char *const bad[] = {
        "", ".corp", "-x", "a:1", "a,b", "a b", "h\x1b[31m", "caf\xc3\xa9"};
    for (size_t i = 0; i < sizeof good / sizeof *good; i++)
        assert_true(hc_host_name_valid(good[i], strlen(good[i])));
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_false(hc_host_name_valid(bad[i], strlen(bad[i])));
    char longest[254];
    memset(longest, 'a', sizeof longest);
    assert_true(hc_host_name_valid(longest, 253));
    assert_false(hc_host_name_valid(longest, 254));

    hc_census *c = NULL;
    hc_load_options o = {2, false};
    hc_load_stats st;
    hc_diag d;
    const char *json = tmp_path("bad-host.json");
    const char *text = "{\"host_name\":\"ghe, other:9\\u001b\",\"users\":"
                       "[{\"id\":1,\"login\":\"a\"}]}";
    write_file(json, text, strlen(text));
    hc_input in = {HC_INPUT_GHES, json, NULL, NULL};
    assert_int_equal(hc_census_create(NULL, &c), HC_OK);
    assert_int_equal(hc_census_load(c, &in, &o, &st, &d), HC_ERR_DATA);
    assert_non_null(strstr(d.message, "field 'host_name' of the GHES "
                                      "export, 'ghe, other:9?', is not a "
                                      "host name"));
    hc_census_destroy(c);
    /* Named on the command line instead, it is read. */
    in.host = "ghe.example";
    assert_int_equal(hc_census_create(NULL, &c), HC_OK);
    assert_int_equal(hc_census_load(c, &in, &o, &st, &d), HC_OK);
    assert_int_equal(st.accounts, 1);
    hc_census_destroy(c);
    in.host = "ghe:1";
    assert_int_equal(hc_census_create(NULL, &c), HC_OK);
    assert_int_equal(hc_census_load(c, &in, &o, &st, &d), HC_ERR_ARG);
    assert_non_null(strstr(d.message, "'ghe:1' is not a host name"));
    hc_census_destroy(c);

    /* NDJSON: the same lines through the fast path and without it. */
    const char *nd = tmp_path("bad-source.ndjson");
    const char *lines =
        "{\"kind\":\"ghes\",\"source\":\"ghe.example\",\"id\":1,"
        "\"login\":\"a\"}\n"
        "{\"kind\":\"ghes\",\"source\":\"ghe.example, x:2\",\"id\":2,"
        "\"login\":\"b\"}\n"
        "{\"kind\":\"ghec\",\"source\":\"acme, inc.\",\"login\":\"c\"}\n";
    write_file(nd, lines, strlen(lines));
    hc_input rin = {HC_INPUT_RECORDS, nd, NULL, NULL};
    for (int fast = 0; fast < 2; fast++) {
        hc__ndjson_fast_off = !fast;
        for (int skip = 0; skip < 2; skip++) {
            hc_load_options ro = {2, skip != 0};
            assert_int_equal(hc_census_create(NULL, &c), HC_OK);
            hc_status rc = hc_census_load(c, &rin, &ro, &st, &d);
            if (!skip) {
                assert_int_equal(rc, HC_ERR_DATA);
                assert_int_equal(d.line, 2);
                assert_non_null(strstr(d.message, "field 'source' of a ghes "
                                                  "record is not a host "
                                                  "name"));
            } else {
                assert_int_equal(rc, HC_OK);
                assert_int_equal(st.accounts, 2);
                assert_int_equal(st.rejected, 1);
            }
            hc_census_destroy(c);
        }
    }
    hc__ndjson_fast_off = false;
}

/*
 * The NDJSON fast path: which lines it takes, and that reading a file with
 * it gives exactly what the full reader gives without it (accounts, the
 * rows rejected, and the first error), over lines on both sides of every
 * rule it checks.
 */
static void test_records_fast_path(void **state)
{
    (void)state;
#define G "{\"kind\":\"ghes\",\"source\":\"h\",\"login\":\"u\","
    static const struct {
        int taken;
        const char *line;
    } lines[] = {
        {1, G "\"id\":1,\"primary_email\":\"A@b.example\",\"emails\":"
              "[\"a@b.example\",\"\",\" c@b.example \"],\"suspended\":true}"},
        {1, "{\"kind\":\"ghec\",\"login\":\"m\",\"verified_emails\":["
            "\"m@b.example\"],\"identity_values\":[\"M\"],\"licensed\":"
            "true}"},
        {1, "{\"kind\":\"ghec\",\"source\":null,\"login\":null}"},
        {1, "  {  \"kind\" : \"ghes\" , \"source\":\"h\",\"login\":\"v\","
            "\"id\" : \"42\" }\r"},
        /* Every known name spaced from its colon is still that field. */
        {1, "{\"kind\" :\"ghes\",\"source\"\t:\"h\",\"login\" :\"s\","
            "\"id\" :43,\"primary_email\" :\"s@b.example\",\"emails\" :"
            "[\"t@b.example\"],\"suspended\" :true}"},
        {1, "{\"kind\":\"ghec\",\"login\" :\"n\",\"verified_emails\" :["
            "\"n@b.example\"],\"identity_values\" :[\"N\"],\"licensed\" :"
            "true}"},
        {1, G "\"id\":18446744073709551615,\"x\":-3,\"y\":[\"s\"],"
              "\"z\":null,\"w\":false,\"v\":[]}"},
        {1, G "\"id\":0,\"primary_email\":null,\"emails\":null,"
              "\"suspended\":null}"},
        {0, G "\"id\":2,\"primary_email\":\"a\\u0040b.example\"}"},
        {1, G "\"id\":3,\"primary_email\":\"\xc3\xa9@b.example\"}"},
        {1, G "\"id\":4,\"primary_email\":\"a\x7f@b.example\"}"},
        {0, G "\"id\":19,\"primary_email\":\"\xc0\xafx@b.example\"}"},
        {0, G "\"id\":20,\"primary_email\":\"x@b.example\xed\xa0\x80\"}"},
        {0, G "\"id\":21,\"login\":\"\xe2\x82\"}"},
        {0, G "\"id\":5,\"x\":{\"a\":1}}"},
        {0, G "\"id\":6,\"x\":1.5}"},
        {0, G "\"id\":7,\"emails\":[{\"email\":\"e@b.example\"}]}"},
        /* A field given twice: left to the full reader, which rejects
         * the row. */
        {0, G "\"id\":8,\"login\":\"again\"}"},
        {0, G "\"id\":9,\"emails\":[\"1\",\"2\",\"3\",\"4\",\"5\",\"6\","
              "\"7\",\"8\",\"9\",\"10\",\"11\",\"12\",\"13\",\"14\","
              "\"15\",\"16\",\"17\"]}"},
        {0, G "\"id\":\"4x\"}"},
        {0, G "\"id\":-1}"},
        {0, G "\"id\":1.0}"},
        {0, G "\"id\":18446744073709551616}"},
        {0, G "\"id\":012}"},
        {0, G "\"id\":10} {\"kind\":\"ghec\"}"},
        {0, G "\"id\":11,}"},
        {0, G "\"id\":12,\"suspended\":truex}"},
        {0, G "\"id\":13,\"suspended\":\"yes\"}"},
        {0, G "\"id\":14,\"primary_email\":\"a\tb\"}"},
        {0, "{\"kind\":\"ghes\",\"source\":\"h\",\"id\":15}"},
        {0, "{\"kind\":\"other\"}"},
        {0, "{\"source\":\"h\"}"},
        {0, "{}"},
        {0, "[1]"},
        {0, G "\"id\":16"},
        {1, G "\"id\":17,\"x\":-123456789012345678}"},
        /* Valid JSON beyond 64 bits, in a field nobody reads: accepted
         * by the full parser (the fast path leaves it to it). */
        {0, G "\"id\":18,\"x\":-1234567890123456789012345678901234567890}"},
    };
#undef G
    char *text = NULL;
    size_t len = 0;
    for (size_t i = 0; i < HC_ARRAY_LEN(lines); i++) {
        hc__ndjson_rec r;
        size_t n = strlen(lines[i].line);
        size_t skip = strspn(lines[i].line, " ");
        size_t took =
            hc__ndjson_fast(lines[i].line + skip, lines[i].line + n, &r);
        if ((took != 0) != lines[i].taken)
            fail_msg("line %zu (%s): taken %d, want %d", i, lines[i].line,
                     took != 0, lines[i].taken);
        cats(&text, &len, lines[i].line);
        cats(&text, &len, "\n");
    }
    const char *path = tmp_path("fast.ndjson");
    write_file(path, text, len);
    free(text);
    for (int skip = 0; skip < 2; skip++) {
        rec fast, full;
        hc_load_stats sf, sl;
        hc_diag df, dl;
        rec_init(&fast);
        rec_init(&full);
        hc_status rf =
            run(&fast, HC_INPUT_RECORDS, path, NULL, 1, skip, NULL, &sf, &df);
        hc__ndjson_fast_off = true;
        hc_status rl =
            run(&full, HC_INPUT_RECORDS, path, NULL, 1, skip, NULL, &sl, &dl);
        hc__ndjson_fast_off = false;
        assert_int_equal(rf, rl);
        if (rf != HC_OK) {
            assert_int_equal(df.line, dl.line);
            assert_int_equal(df.column, dl.column);
            assert_string_equal(df.message, dl.message);
        } else {
            assert_int_equal(sf.records, sl.records);
            assert_int_equal(sf.accounts, sl.accounts);
            assert_int_equal(sf.rejected, sl.rejected);
            assert_int_equal(fast.n, full.n);
            for (size_t i = 0; i < fast.n; i++)
                assert_string_equal(fast.items[i], full.items[i]);
            for (size_t i = 0; i < REC_SOURCES; i++)
                assert_int_equal(fast.rejected[i], full.rejected[i]);
        }
        if (skip) { /* the taken lines and the unusual-yet-valid ones */
            assert_int_equal(rf, HC_OK);
            assert_int_equal(sf.accounts, 17);
            assert_int_equal(sf.rejected, HC_ARRAY_LEN(lines) - 17);
        }
        rec_fini(&fast);
        rec_fini(&full);
    }
}

static void test_format_detect(void **state)
{
    (void)state;
    struct {
        const char *text;
        hc_input_role role;
        hc_status rc;
        hc_format f;
        size_t start;
    } cases[] = {
        {"\xef\xbb\xbf id,login", HC_INPUT_GHES, HC_OK, HC_FORMAT_GHES_CSV, 3},
        {"\n  {\"users\":[]}", HC_INPUT_GHES, HC_OK, HC_FORMAT_GHES_JSON, 0},
        {"[{}]", HC_INPUT_GHEC, HC_OK, HC_FORMAT_GHEC_JSON, 0},
        {"github_com_login", HC_INPUT_GHEC, HC_OK, HC_FORMAT_GHEC_CSV, 0},
        {"{\"kind\":1}", HC_INPUT_RECORDS, HC_OK, HC_FORMAT_RECORDS, 0},
        {"id,login", HC_INPUT_RECORDS, HC_ERR_DATA, HC_FORMAT_UNKNOWN, 0},
        {" \r\n\t", HC_INPUT_GHEC, HC_ERR_DATA, HC_FORMAT_UNKNOWN, 0},
        {"\xff\xfei\0d\0", HC_INPUT_GHES, HC_ERR_DATA, HC_FORMAT_UNKNOWN, 0},
    };
    for (size_t i = 0; i < HC_ARRAY_LEN(cases); i++) {
        hc_format f;
        size_t start;
        hc_diag d;
        size_t len = strlen(cases[i].text);
        if (cases[i].text[0] == '\xff')
            len = 6;
        assert_int_equal(hc__format_detect("x", cases[i].text, len,
                                           cases[i].role, &f, &start, &d),
                         cases[i].rc);
        assert_int_equal(f, cases[i].f);
        if (cases[i].rc == HC_OK)
            assert_int_equal(start, cases[i].start);
    }
    /* Other encodings and compressions are named. */
    static const struct {
        const char *bytes;
        size_t len;
        const char *says;
    } other[] = {
        {"\xff\xfe\0\0i\0\0\0", 8, "input is UTF-32;"},
        {"\xfe\xffi\0", 4, "input is UTF-16;"},
        {"i\0d\0,\0", 6, "UTF-16 (without a byte order mark)"},
        {"\0i\0d", 4, "UTF-16 (without a byte order mark)"},
        {"\x1f\x8b\x08\0", 4, "gzip inside gzip"},
        {"PK\x03\x04\x14\0", 6, "a zip archive"},
        {"\xfd"
         "7zXZ\0\0",
         7, "compressed with xz"},
        {"\x28\xb5\x2f\xfd\0", 5, "compressed with zstd"},
        {"BZh91AY", 7, "compressed with bzip2"},
        {"7z\xbc\xaf\x27\x1c\0", 7, "a 7-Zip archive"},
    };
    for (size_t i = 0; i < HC_ARRAY_LEN(other); i++) {
        hc_format f;
        size_t start;
        hc_diag d;
        assert_int_equal(hc__format_detect("x", other[i].bytes, other[i].len,
                                           HC_INPUT_GHES, &f, &start, &d),
                         HC_ERR_DATA);
        assert_non_null(strstr(d.message, other[i].says));
    }
    /* "BZh" without a block size is text. */
    hc_format f;
    size_t start;
    hc_diag d;
    assert_int_equal(
        hc__format_detect("x", "BZh,id", 6, HC_INPUT_GHES, &f, &start, &d),
        HC_OK);
    assert_string_equal(hc_format_name(HC_FORMAT_GHES_CSV), "ghes-csv");
    assert_string_equal(hc_format_name(HC_FORMAT_RECORDS), "records");
    assert_string_equal(hc_format_name((hc_format)99), "unknown");
}

/* The tokenizer on its own: quoting rules and row-level errors. */
static void test_csv_tokenizer(void **state)
{
    (void)state;
    const char *in = "a,\"b,\"\"c\"\"\",\r\n"
                     "\n"
                     "\"x\ny\",z\"q,w\n"
                     "1,2,3";
    hc__csv t;
    hc__csv_row row;
    assert_int_equal(hc__csv_init(&t, in, 0, strlen(in), 8), HC_OK);
    assert_int_equal(hc__csv_next(&t, &row), HC__CSV_ROW);
    assert_int_equal(row.n_fields, 3);
    assert_int_equal(row.fields[0].len, 1);
    assert_memory_equal(row.fields[1].ptr, "b,\"c\"", 5);
    assert_int_equal(row.fields[1].len, 5);
    assert_int_equal(row.fields[2].len, 0);
    /* A stray quote: skipping the row by quote parity runs to the end of
     * the input, so nothing after it can be trusted and the error is
     * fatal. */
    assert_int_equal(hc__csv_next(&t, &row), HC__CSV_FATAL);
    assert_int_equal(row.error, HC__CSV_E_STRAY_QUOTE);
    hc__csv_fini(&t);

    const char *in2 = "p,q\"r\ns,t\n";
    assert_int_equal(hc__csv_init(&t, in2, 0, strlen(in2), 8), HC_OK);
    assert_int_equal(hc__csv_next(&t, &row), HC__CSV_FATAL);
    hc__csv_fini(&t);

    /* One stray quote, then good rows, then another: skipping by parity
     * would take the good rows with it, so the first error is fatal. */
    const char *in_odd = "a,o\"brien\nb,c\nd,e\nf,d\"arcy\ng,h\n";
    assert_int_equal(hc__csv_init(&t, in_odd, 0, strlen(in_odd), 2), HC_OK);
    assert_int_equal(hc__csv_next(&t, &row), HC__CSV_FATAL);
    assert_int_equal(row.error, HC__CSV_E_STRAY_QUOTE);
    assert_int_equal(row.err_off, 3);
    hc__csv_fini(&t);

    /* Two stray quotes in one line leave the parity as it was: only that
     * row is bad. */
    const char *in_even = "a,o\"bri\"en\nb,c\n";
    assert_int_equal(hc__csv_init(&t, in_even, 0, strlen(in_even), 2), HC_OK);
    assert_int_equal(hc__csv_next(&t, &row), HC__CSV_BAD);
    assert_int_equal(row.error, HC__CSV_E_STRAY_QUOTE);
    assert_int_equal(hc__csv_next(&t, &row), HC__CSV_ROW);
    assert_memory_equal(row.fields[0].ptr, "b", 1);
    assert_int_equal(hc__csv_next(&t, &row), HC__CSV_EOF);
    hc__csv_fini(&t);

    /* A bad field before a quoted field that spans lines, as raw_login
     * is: the NUL (or junk with even quotes) leaves parity alone, so only
     * that row is skipped, and the next row is read. */
    static const char *const multi[] = {"1,a\0b,\"{\n}\"\n2,c,d\n",
                                        "1,\"x\"y,\"{\n}\"\n2,c,d\n",
                                        "1,a\"b\"c,\"{\n}\"\n2,c,d\n"};
    for (size_t i = 0; i < HC_ARRAY_LEN(multi); i++) {
        size_t n = strlen(multi[i]) + (i == 0 ? strlen(multi[i] + 4) + 1 : 0);
        assert_int_equal(hc__csv_init(&t, multi[i], 0, n, 3), HC_OK);
        assert_int_equal(hc__csv_next(&t, &row), HC__CSV_BAD);
        assert_int_equal(hc__csv_next(&t, &row), HC__CSV_ROW);
        assert_memory_equal(row.fields[0].ptr, "2", 1);
        assert_int_equal(hc__csv_next(&t, &row), HC__CSV_EOF);
        hc__csv_fini(&t);
    }
    /* A NUL with a stray quote later in its row (after it in a plain
     * field, or in a field after a quoted one holding the NUL): the quote
     * flips parity, so skipping by parity would take the good rows up to
     * the next odd quote along. Fatal, as without the NUL. */
    static const char odd_nul[][40] = {"1,ob\0\"rien,a\n2,b,c\n3,e\"e,f\n",
                                       "1,\"o\0b\",fa\"lse\n2,b,c\n3,e\"e,f\n"};
    static const size_t odd_nul_len[] = {27, 29}; /* NULs inside */
    for (size_t i = 0; i < HC_ARRAY_LEN(odd_nul); i++) {
        assert_int_equal(hc__csv_init(&t, odd_nul[i], 0, odd_nul_len[i], 3),
                         HC_OK);
        assert_int_equal(hc__csv_next(&t, &row), HC__CSV_FATAL);
        assert_int_equal(row.error, HC__CSV_E_NUL);
        hc__csv_fini(&t);
    }
    /* A quote never closed on its line, closed by a stray quote lines
     * later and followed by junk there: the good row in between would go
     * with the bad one, so the error is fatal. */
    const char *swallow = "1,a,\"a@x,false\n2,b,b@x,false\n3,o\"c,c@x,false\n";
    assert_int_equal(hc__csv_init(&t, swallow, 0, strlen(swallow), 4), HC_OK);
    assert_int_equal(hc__csv_next(&t, &row), HC__CSV_FATAL);
    assert_int_equal(row.error, HC__CSV_E_AFTER_QUOTE);
    hc__csv_fini(&t);

    /* A stray quote opening a field, before a quoted field that spans
     * lines (a typo in all_users.csv before raw_login): read by parity,
     * the field closes at raw_login's opening quote, and every row after
     * would start inside a quoted field. Fatal, not a skipped row. */
    const char *opened = "1,\"a,b,\"{\n}\"\n2,c,d,\"{\n}\"\n";
    assert_int_equal(hc__csv_init(&t, opened, 0, strlen(opened), 4), HC_OK);
    assert_int_equal(hc__csv_next(&t, &row), HC__CSV_FATAL);
    assert_int_equal(row.error, HC__CSV_E_AFTER_QUOTE);
    assert_int_equal(row.err_field, 2);
    hc__csv_fini(&t);

    const char *in3 = "p,\"q\"r\ns,t\nu,\"v\"";
    assert_int_equal(hc__csv_init(&t, in3, 0, strlen(in3), 1), HC_OK);
    assert_int_equal(hc__csv_next(&t, &row), HC__CSV_BAD);
    assert_int_equal(row.error, HC__CSV_E_AFTER_QUOTE);
    assert_int_equal(row.err_off, 5);
    assert_int_equal(hc__csv_next(&t, &row), HC__CSV_ROW);
    assert_int_equal(row.n_fields, 2);
    assert_int_equal(row.n_stored, 1);
    assert_memory_equal(row.fields[0].ptr, "s", 1);
    assert_int_equal(hc__csv_next(&t, &row), HC__CSV_ROW);
    assert_int_equal(row.start, 11);
    assert_int_equal(hc__csv_next(&t, &row), HC__CSV_EOF);
    hc__csv_fini(&t);

    /* A CRLF input whose last line lost its LF: the bare CR at the very
     * end ends the row, after a plain or a quoted field. */
    static const char *const cr_end[] = {"a,b\r\nc,d\r", "a,b\r\nc,\"d\"\r"};
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(hc__csv_init(&t, cr_end[i], 0, strlen(cr_end[i]), 4),
                         HC_OK);
        assert_int_equal(hc__csv_next(&t, &row), HC__CSV_ROW);
        assert_int_equal(hc__csv_next(&t, &row), HC__CSV_ROW);
        assert_int_equal(row.n_fields, 2);
        assert_int_equal(row.fields[1].len, 1);
        assert_memory_equal(row.fields[1].ptr, "d", 1);
        assert_int_equal(hc__csv_next(&t, &row), HC__CSV_EOF);
        hc__csv_fini(&t);
    }

    char canon[64];
    hc__csv_canon("GitHub com saml name ID", 23, canon, sizeof canon);
    assert_string_equal(canon, "github_com_saml_name_id");
    hc__csv_canon(" suspended? ", 12, canon, sizeof canon);
    assert_string_equal(canon, "suspended");
    hc__csv_canon("GitHub.com login", 16, canon, sizeof canon);
    assert_string_equal(canon, "github_com_login");
}

/* ---- generated inputs: chunked parsing -------------------------------- */

static uint64_t rng_state;

static uint64_t rnd(void)
{
    /* xorshift64* */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1Dull;
}

static uint64_t test_seed(void)
{
    const char *s = getenv("HC_TEST_SEED");
    uint64_t seed = s ? strtoull(s, NULL, 0) : 0x5eed1234abcdull;
    print_message("seed %llu (set HC_TEST_SEED to repeat)\n",
                  (unsigned long long)seed);
    return seed ? seed : 1;
}

typedef struct gen {
    char *buf;
    size_t len;
    char **want;
    size_t n_want;
    uint64_t *row_line; /* physical line each data row starts on */
    size_t *row_off;
} gen;

static void gen_free(gen *g)
{
    free(g->buf);
    for (size_t i = 0; i < g->n_want; i++)
        free(g->want[i]);
    free(g->want);
    free(g->row_line);
    free(g->row_off);
}

static uint64_t lines_in(const char *p, size_t n)
{
    uint64_t c = 0;
    for (size_t i = 0; i < n; i++)
        c += p[i] == '\n';
    return c;
}

/* A GHES all_users.csv with `rows` rows whose raw_login fields hold quoted
 * newlines, commas and doubled quotes. */
static void gen_csv(gen *g, size_t rows, const char *host)
{
    memset(g, 0, sizeof *g);
    g->want = calloc(rows, sizeof *g->want);
    g->row_line = calloc(rows, sizeof *g->row_line);
    g->row_off = calloc(rows, sizeof *g->row_off);
    assert_true(g->want && g->row_line && g->row_off);
    cats(&g->buf, &g->len,
         "created_at,id,login,email,role,suspended?,last_logged_ip,repos,"
         "ssh_keys,org_memberships,dormant?,last_active,raw_login,"
         "2fa_enabled?\n");
    for (size_t i = 0; i < rows; i++) {
        char row[2048], email[64], login[64], raw[1024];
        uint64_t id = rnd() % 1000000000u;
        bool susp = rnd() % 7 == 0;
        snprintf(login, sizeof login, "user%zu", i);
        if (rnd() % 10 == 0)
            email[0] = '\0';
        else
            snprintf(email, sizeof email, "u%llu@corp.example",
                     (unsigned long long)(rnd() % 5000));
        size_t rl = 0;
        int parts = 1 + (int)(rnd() % 8);
        rl += (size_t)snprintf(raw + rl, sizeof raw - rl,
                               "\"{\"\"login\"\":\"\"%s\"\"", login);
        for (int k = 0; k < parts; k++) {
            switch (rnd() % 4) {
            case 0:
                rl += (size_t)snprintf(raw + rl, sizeof raw - rl, ",\n");
                break;
            case 1:
                rl += (size_t)snprintf(raw + rl, sizeof raw - rl,
                                       ",\"\"bio\"\":\"\"a, b\r\nc\"\"");
                break;
            case 2:
                rl += (size_t)snprintf(raw + rl, sizeof raw - rl, " \"\"\"\" ");
                break;
            default:
                rl += (size_t)snprintf(raw + rl, sizeof raw - rl,
                                       "\n\n  padding, padding, \n "
                                       "padding, padding, padding");
                break;
            }
        }
        rl += (size_t)snprintf(raw + rl, sizeof raw - rl, "}\"");
        (void)rl;
        snprintf(row, sizeof row,
                 "2020-01-01 00:00:00 UTC,%llu,%s,%s,user,%s,,0,0,0,false,,"
                 "%s,false%s",
                 (unsigned long long)id, login, email,
                 susp ? (rnd() % 2 ? "true" : "TRUE") : "false", raw,
                 rnd() % 3 == 0 ? "\r\n" : "\n");
        g->row_off[i] = g->len;
        g->row_line[i] = 1 + lines_in(g->buf, g->len);
        cats(&g->buf, &g->len, row);
        char w[256];
        snprintf(w, sizeof w, "ghes|%s|%llu|%s|%s|[]|%s", host,
                 (unsigned long long)id, login, email,
                 susp ? "suspended" : "active");
        g->want[i] = strdup(w);
        g->n_want++;
    }
}

static void expect_gen(rec *r, const gen *g)
{
    expect_items(r, (const char *const *)g->want, g->n_want);
}

static void test_csv_chunked(void **state)
{
    (void)state;
    rng_state = test_seed();
    gen g;
    gen_csv(&g, 6000, "big.example");
    const char *path = tmp_path("big.csv");
    write_file(path, g.buf, g.len);

    /* The split points must really fall inside quoted fields for this test
     * to mean anything: check that with a plain reference scan at the
     * points the reader aims at, for each thread count below (the chunk
     * count that read_load.c plans: one per chunk_min bytes, at most
     * HC__CHUNKS_PER_THREAD per thread, one thread taking the file whole). */
    size_t body = (size_t)(strchr(g.buf, '\n') - g.buf) + 1;
    hc__read_tuning tune = {1, 4096, 0, 0};
    unsigned threads[] = {1, 2, 3, 4, 7};
    size_t inside = 0;
    for (size_t t = 0; t < HC_ARRAY_LEN(threads); t++) {
        size_t n = (g.len - body) / tune.chunk_min;
        n = HC_MIN(n, (size_t)threads[t] * HC__CHUNKS_PER_THREAD);
        if (threads[t] == 1)
            n = 1;
        for (size_t k = 1; k < n; k++) {
            size_t target = body + (g.len - body) / n * k;
            size_t q = 0;
            for (size_t i = body; i < target; i++)
                q += g.buf[i] == '"';
            inside += q & 1;
        }
    }
    if (inside == 0)
        print_error("%.*s\n", 600, g.buf);
    assert_true(inside > 0);

    for (size_t t = 0; t < HC_ARRAY_LEN(threads); t++) {
        rec r;
        rec_init(&r);
        hc_load_stats st;
        hc_diag d;
        hc_status rc = run(&r, HC_INPUT_GHES, path, "big.example", threads[t],
                           false, &tune, &st, &d);
        if (rc != HC_OK)
            print_error("%s:%llu: %s\n", d.file, (unsigned long long)d.line,
                        d.message);
        assert_int_equal(rc, HC_OK);
        /* One writer per thread that took a chunk: the input is cut into
         * more chunks than threads, and a thread that starts late may find
         * none left. */
        assert_true(r.opened >= 1 && r.opened <= (int)threads[t]);
        assert_int_equal(st.records, g.n_want);
        expect_gen(&r, &g);
        rec_fini(&r);
    }

    /* A bad boolean planted in a late row: the line must be exact. */
    size_t bad = g.n_want - 17;
    char *p = strstr(g.buf + g.row_off[bad], ",user,");
    assert_non_null(p);
    p += 6;
    size_t old_len = (size_t)(strchr(p, ',') - p);
    char *mod = NULL;
    size_t mlen = 0;
    cat(&mod, &mlen, g.buf, (size_t)(p - g.buf));
    cats(&mod, &mlen, "maybe");
    cat(&mod, &mlen, p + old_len, g.len - (size_t)(p - g.buf) - old_len);
    write_file(path, mod, mlen);
    for (unsigned t = 1; t <= 4; t += 3) {
        rec r;
        rec_init(&r);
        hc_diag d;
        hc_load_stats st;
        assert_int_equal(run(&r, HC_INPUT_GHES, path, "big.example", t, false,
                             &tune, &st, &d),
                         HC_ERR_DATA);
        assert_int_equal(d.line, g.row_line[bad]);
        assert_int_equal(d.column,
                         (uint64_t)(p - (g.buf + g.row_off[bad])) + 1);
        assert_non_null(strstr(d.message, "expected a boolean in column "
                                          "'suspended?', found 'maybe'"));
        assert_string_equal(d.file, path);
        rec_fini(&r);
        /* Under skip_malformed the row is rejected, the rest kept. */
        rec_init(&r);
        assert_int_equal(run(&r, HC_INPUT_GHES, path, "big.example", t, true,
                             &tune, &st, &d),
                         HC_OK);
        assert_int_equal(st.rejected, 1);
        assert_int_equal(r.rejected[0], 1);
        assert_int_equal(r.n, g.n_want - 1);
        rec_fini(&r);
    }
    free(mod);

    /* An unterminated quote in the last row. */
    mod = NULL;
    mlen = 0;
    size_t last = g.n_want - 1;
    cat(&mod, &mlen, g.buf, g.row_off[last]);
    cats(&mod, &mlen, "2020,1,x,\"x@corp.example,user,false\n,,,,,,,,\n");
    write_file(path, mod, mlen);
    for (unsigned t = 1; t <= 4; t += 3) {
        rec r;
        rec_init(&r);
        hc_diag d;
        assert_int_equal(run(&r, HC_INPUT_GHES, path, "big.example", t, true,
                             &tune, NULL, &d),
                         HC_ERR_DATA);
        assert_int_equal(d.line, g.row_line[last]);
        assert_int_equal(d.column, 10);
        assert_non_null(strstr(d.message, "unterminated quoted field"));
        rec_fini(&r);
    }
    free(mod);
    gen_free(&g);
}

static void gen_records(gen *g, size_t n)
{
    memset(g, 0, sizeof *g);
    g->want = calloc(n, sizeof *g->want);
    g->row_line = calloc(n, sizeof *g->row_line);
    g->row_off = calloc(n, sizeof *g->row_off);
    assert_true(g->want && g->row_line && g->row_off);
    uint64_t line = 1;
    for (size_t i = 0; i < n; i++) {
        char row[1024], w[512];
        while (rnd() % 10 == 0) {
            cats(&g->buf, &g->len, rnd() % 2 ? "\n" : "  \r\n");
            line++;
        }
        if (rnd() % 4 == 0) {
            bool lic = rnd() % 5 != 0;
            snprintf(row, sizeof row,
                     "{\"kind\":\"ghec\",\"source\":\"acme\",\"login\":"
                     "\"l%zu\",\"verified_emails\":[\"v%zu@corp.example\"],"
                     "\"licensed\":%s,\"pad\":\"%0*d\"}",
                     i, i, lic ? "true" : "false", (int)(rnd() % 200), 0);
            snprintf(w, sizeof w,
                     "ghec|acme|l%zu|saml=|v=[v%zu@corp.example]|i=[]|%s", i, i,
                     lic ? "licensed" : "unlicensed");
        } else {
            uint64_t id = rnd() % 100000000u;
            bool susp = rnd() % 14 == 0;
            bool str_id = rnd() % 3 == 0;
            char idtxt[32];
            snprintf(idtxt, sizeof idtxt, str_id ? "\"%llu\"" : "%llu",
                     (unsigned long long)id);
            snprintf(row, sizeof row,
                     "{\"kind\":\"ghes\",\"source\":\"ghe-%d.example\","
                     "\"id\":%s,\"login\":\"u%zu\",\"primary_email\":"
                     "\"U%llu@Corp.Example\",\"emails\":[],\"suspended\":%s,"
                     "\"x\":{\"y\":[%zu]}}",
                     (int)(i % 3), idtxt, i, (unsigned long long)(rnd() % 9999),
                     susp ? "true" : "false", i);
            const char *pe = strstr(row, "\"primary_email\":\"") + 17;
            snprintf(w, sizeof w, "ghes|ghe-%d.example|%llu|u%zu|%.*s|[]|%s",
                     (int)(i % 3), (unsigned long long)id, i,
                     (int)(strchr(pe, '"') - pe), pe,
                     susp ? "suspended" : "active");
        }
        g->row_off[i] = g->len;
        g->row_line[i] = line;
        cats(&g->buf, &g->len, row);
        if (i + 1 < n || rnd() % 2)
            cats(&g->buf, &g->len, "\n");
        line++;
        g->want[i] = strdup(w);
        g->n_want++;
    }
}

static void test_records_chunked(void **state)
{
    (void)state;
    rng_state = test_seed();
    gen g;
    gen_records(&g, 20000);
    const char *path = tmp_path("big.ndjson");
    write_file(path, g.buf, g.len);
    hc__read_tuning tune = {1, 4096, 0, 0};
    for (unsigned t = 1; t <= 5; t += 2) {
        rec r;
        rec_init(&r);
        hc_load_stats st;
        hc_diag d;
        hc_status rc =
            run(&r, HC_INPUT_RECORDS, path, NULL, t, false, &tune, &st, &d);
        if (rc != HC_OK)
            print_error("%s:%llu: %s\n", d.file, (unsigned long long)d.line,
                        d.message);
        assert_int_equal(rc, HC_OK);
        assert_int_equal(st.records, g.n_want);
        expect_gen(&r, &g);
        rec_fini(&r);
    }

    /* Syntax and type errors planted late: exact lines, and resync under
     * skip_malformed. */
    size_t bad1 = g.n_want - 300, bad2 = g.n_want - 40;
    char *mod = NULL;
    size_t mlen = 0;
    cat(&mod, &mlen, g.buf, g.row_off[bad1]);
    cats(&mod, &mlen, "{\"kind\":\"ghes\",\"id\":\"12\" \"login\":1}");
    size_t e1 = g.row_off[bad1] + strcspn(g.buf + g.row_off[bad1], "\n");
    cat(&mod, &mlen, g.buf + e1, g.row_off[bad2] - e1);
    cats(&mod, &mlen,
         "{\"kind\":\"ghes\",\"source\":\"s\",\"id\":{},"
         "\"login\":\"x\"}");
    size_t e2 = g.row_off[bad2] + strcspn(g.buf + g.row_off[bad2], "\n");
    cat(&mod, &mlen, g.buf + e2, g.len - e2);
    write_file(path, mod, mlen);
    for (unsigned t = 1; t <= 4; t += 3) {
        rec r;
        rec_init(&r);
        hc_diag d;
        hc_load_stats st;
        assert_int_equal(
            run(&r, HC_INPUT_RECORDS, path, NULL, t, false, &tune, &st, &d),
            HC_ERR_DATA);
        assert_int_equal(d.line, g.row_line[bad1]);
        rec_fini(&r);
        rec_init(&r);
        hc_diag fatal = d;
        assert_int_equal(
            run(&r, HC_INPUT_RECORDS, path, NULL, t, true, &tune, &st, &d),
            HC_OK);
        assert_int_equal(st.rejected, 2);
        /* The first row skipped is described as the error it would be. */
        assert_int_equal(st.first_rejected.line, fatal.line);
        assert_int_equal(st.first_rejected.column, fatal.column);
        assert_string_equal(st.first_rejected.message, fatal.message);
        assert_string_equal(st.first_rejected.file, fatal.file);
        assert_int_equal(r.n, g.n_want - 2);
        assert_int_equal(st.records, g.n_want);
        rec_fini(&r);
    }
    /* The type error alone is reported at its own line. */
    free(mod);
    mod = NULL;
    mlen = 0;
    cat(&mod, &mlen, g.buf, g.row_off[bad2]);
    cats(&mod, &mlen,
         "{\"kind\":\"ghes\",\"source\":\"s\",\"id\":{},"
         "\"login\":\"x\"}");
    cat(&mod, &mlen, g.buf + e2, g.len - e2);
    write_file(path, mod, mlen);
    rec r;
    rec_init(&r);
    hc_diag d;
    assert_int_equal(
        run(&r, HC_INPUT_RECORDS, path, NULL, 4, false, &tune, NULL, &d),
        HC_ERR_DATA);
    assert_int_equal(d.line, g.row_line[bad2]);
    assert_int_equal(d.column, 34);
    assert_non_null(strstr(d.message, "field 'id'"));
    rec_fini(&r);
    free(mod);
    gen_free(&g);
}

/* A record larger than the default simdjson batch. */
static void test_records_big_record(void **state)
{
    (void)state;
    size_t pad = (size_t)3 << 20;
    char *buf = NULL;
    size_t len = 0;
    cats(&buf, &len, "{\"kind\":\"ghec\",\"login\":\"a\",\"licensed\":true}\n");
    cats(&buf, &len, "{\"kind\":\"ghec\",\"login\":\"b\",\"pad\":\"");
    char *chunk = malloc(pad);
    assert_non_null(chunk);
    memset(chunk, 'x', pad);
    cat(&buf, &len, chunk, pad);
    cats(&buf, &len, "\",\"licensed\":true}\n");
    cats(&buf, &len, "{\"kind\":\"ghec\",\"login\":\"c\",\"licensed\":true}\n");
    free(chunk);
    const char *path = tmp_path("bigrec.ndjson");
    write_file(path, buf, len);
    static const char *const want[] = {
        "ghec|ghec|a|saml=|v=[]|i=[]|licensed",
        "ghec|ghec|b|saml=|v=[]|i=[]|licensed",
        "ghec|ghec|c|saml=|v=[]|i=[]|licensed",
    };
    rec r;
    rec_init(&r);
    hc_diag d;
    hc_status rc =
        run(&r, HC_INPUT_RECORDS, path, NULL, 1, false, NULL, NULL, &d);
    if (rc != HC_OK)
        print_error("%s:%llu: %s\n", d.file, (unsigned long long)d.line,
                    d.message);
    assert_int_equal(rc, HC_OK);
    expect_items(&r, want, 3);
    rec_fini(&r);
    free(buf);
}

/* ---- malformed inputs: tests/data/bad/EXPECTED ------------------------ */

static void test_bad_inputs(void **state)
{
    (void)state;
    size_t n;
    char *exp = read_all(data_path("bad/EXPECTED"), &n);
    exp = realloc(exp, n + 1);
    exp[n] = '\0';
    size_t checked = 0;
    char *save = NULL;
    for (char *line = strtok_r(exp, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        if (line[0] == '#' || line[0] == '\0')
            continue;
        char name[256], flag[32], lno[32];
        int code, used = 0;
        assert_int_equal(sscanf(line, "%255s %31s %d %31s %n", name, flag,
                                &code, lno, &used),
                         4);
        const char *frag = line + used;
        char path[2048];
        if (strcmp(name, "@missing") == 0) {
            snprintf(path, sizeof path, "%s", tmp_path("does-not-exist"));
        } else if (strcmp(name, "@directory") == 0) {
            snprintf(path, sizeof path, "%s", tmp_dir);
        } else if (strcmp(name, "@deep_json") == 0) {
            /* 200k-deep nesting inside an ignored field. */
            size_t depth = 200000;
            char *b = NULL;
            size_t bl = 0;
            cats(&b, &bl, "{\"kind\":\"ghes\",\"x\":");
            char *open_ = malloc(depth), *close_ = malloc(depth);
            memset(open_, '[', depth);
            memset(close_, ']', depth);
            cat(&b, &bl, open_, depth);
            cat(&b, &bl, close_, depth);
            cats(&b, &bl, "}\n");
            free(open_);
            free(close_);
            snprintf(path, sizeof path, "%s", tmp_path("deep.ndjson"));
            write_file(path, b, bl);
            free(b);
        } else if (name[0] == '@') {
            continue; /* generated by the script test only (large) */
        } else {
            char rel[300];
            snprintf(rel, sizeof rel, "bad/%s", name);
            snprintf(path, sizeof path, "%s", data_path(rel));
        }
        hc_input_role role = HC_INPUT_GHES;
        const char *host = NULL;
        if (strcmp(flag, "ghes") == 0)
            host = "ghe.example";
        else if (strcmp(flag, "ghec") == 0)
            role = HC_INPUT_GHEC;
        else if (strcmp(flag, "records") == 0)
            role = HC_INPUT_RECORDS;
        else
            assert_string_equal(flag, "ghes-bare");
        for (unsigned threads = 1; threads <= 3; threads += 2) {
            rec r;
            rec_init(&r);
            hc_diag d;
            memset(&d, 0, sizeof d);
            hc__read_tuning tune = {1, 64, 0, 0};
            hc_status rc =
                run(&r, role, path, host, threads, false, &tune, NULL, &d);
            char msg[1200];
            hc_diag_format(&d, msg, sizeof msg);
            if (getenv("HC_TEST_VERBOSE")) /* still checked below */
                print_message("%s: %d %s\n", name, hc_status_exit_code(rc),
                              msg);
            if (hc_status_exit_code(rc) != code || !strstr(msg, frag) ||
                (strcmp(lno, "-") != 0 && d.line != strtoull(lno, NULL, 10)))
                print_error("%s (%u threads): got %d '%s', want %d line %s "
                            "'%s'\n",
                            name, threads, hc_status_exit_code(rc), msg, code,
                            lno, frag);
            assert_int_equal(hc_status_exit_code(rc), code);
            assert_non_null(strstr(msg, frag));
            assert_string_equal(d.file, path);
            if (strcmp(lno, "-") != 0)
                assert_int_equal(d.line, strtoull(lno, NULL, 10));
            rec_fini(&r);
        }
        checked++;
    }
    free(exp);
    assert_true(checked >= 40);
}

/* ---- hc_file_slurp and the census adapter ----------------------------- */

static void test_file_slurp(void **state)
{
    (void)state;
    const char *src = data_path("read/ghes_export.json");
    size_t want_len;
    char *want = read_all(src, &want_len);
    char *out = NULL;
    size_t out_len = 0;
    hc_diag d;
    assert_int_equal(hc_file_slurp(src, 1 << 20, &out, &out_len, &d), HC_OK);
    assert_int_equal(out_len, want_len);
    assert_memory_equal(out, want, want_len);
    assert_int_equal(out[out_len], '\0');
    free(out);
    const char *gz = tmp_path("slurp.gz");
    gzip_file(src, gz, 2);
    assert_int_equal(hc_file_slurp(gz, 1 << 20, &out, &out_len, &d), HC_OK);
    assert_int_equal(out_len, want_len);
    assert_memory_equal(out, want, want_len);
    free(out);
    out = NULL;
    assert_int_equal(hc_file_slurp(src, 100, &out, &out_len, &d), HC_ERR_LIMIT);
    assert_null(out);
    assert_int_equal(hc_file_slurp(gz, 100, &out, &out_len, &d), HC_ERR_LIMIT);
    assert_int_equal(hc_file_slurp(tmp_path("nope"), 100, &out, &out_len, &d),
                     HC_ERR_NOINPUT);
    assert_non_null(strstr(d.message, "No such file or directory"));
    free(want);
}

static void test_census_load(void **state)
{
    (void)state;
    hc_census *c = NULL;
    assert_int_equal(hc_census_create(NULL, &c), HC_OK);
    hc_input in = {HC_INPUT_GHES, data_path("read/ghes_all_users.csv"),
                   "ghe-1.corp.example", NULL};
    hc_load_options o = {2, false};
    hc_load_stats st;
    hc_diag d;
    assert_int_equal(hc_census_load(c, &in, &o, &st, &d), HC_OK);
    assert_int_equal(st.accounts, 5);
    hc_input in2 = {HC_INPUT_GHEC, data_path("read/ghec_page.json"), NULL,
                    NULL};
    assert_int_equal(hc_census_load(c, &in2, &o, &st, &d), HC_OK);
    assert_int_equal(st.accounts, 4);
    hc_input in3 = {HC_INPUT_RECORDS, data_path("bad/records_bad_json.ndjson"),
                    NULL, NULL};
    hc_load_options skip = {1, true};
    assert_int_equal(hc_census_load(c, &in3, &skip, &st, &d), HC_OK);
    assert_true(st.rejected >= 1);
    hc_result *res = NULL;
    assert_int_equal(hc_census_run(c, HC_POLICY_GITHUB, &res), HC_OK);
    hc_summary sum;
    hc_result_summary(res, &sum);
    assert_int_equal(sum.rejected_rows, st.rejected);
    bool seen_ghes = false, seen_ghec = false;
    for (size_t i = 0; i < hc_result_source_count(res); i++) {
        hc_source_info si;
        hc_result_source(res, i, &si);
        if (si.kind == HC_SOURCE_GHES && si.name.len == 18 &&
            memcmp(si.name.ptr, "ghe-1.corp.example", 18) == 0) {
            seen_ghes = true;
            assert_int_equal(si.accounts, 5);
        }
        if (si.kind == HC_SOURCE_GHEC && si.name.len == 14 &&
            memcmp(si.name.ptr, "ghec_page.json", 14) == 0) {
            seen_ghec = true;
            assert_int_equal(si.accounts, 4);
        }
    }
    assert_true(seen_ghes && seen_ghec);
    hc_result_destroy(res);
    hc_census_destroy(c);
}

/*
 * Rule 5 of rules_v1 (docs/rules.md): a dormant GHES user consumes a seat;
 * only suspension takes it away. The census has no notion of dormancy: the
 * `dormant?` column of the GHES export is where it lives, and the reader
 * must not let it drop an account. An export of a dormant user, an active
 * one and a dormant suspended one counts two seats, the dormant user's
 * among them.
 */
static void test_ghes_csv_dormant_counts(void **state)
{
    (void)state;
    static const char csv[] =
        "created_at,id,login,email,role,suspended?,last_logged_ip,repos,"
        "ssh_keys,org_memberships,dormant?,last_active,raw_login,"
        "2fa_enabled?\r\n"
        "2020-01-02 03:04:05 UTC,2,dora,dora@corp.example,user,false,,0,0,1,"
        "true,2021-01-01 00:00:00 UTC,\"{\"\"login\"\":\"\"dora\"\"}\",true\r\n"
        "2020-01-02 03:04:05 UTC,3,ava,ava@corp.example,user,false,,0,0,1,"
        "false,2024-01-01 00:00:00 UTC,\"{\"\"login\"\":\"\"ava\"\"}\",true\r\n"
        "2020-01-02 03:04:05 UTC,4,sam,sam@corp.example,user,true,,0,0,1,"
        "true,2021-01-01 00:00:00 "
        "UTC,\"{\"\"login\"\":\"\"sam\"\"}\",false\r\n";
    const char *path = tmp_path("dormant.csv");
    write_file(path, csv, sizeof csv - 1);
    hc_census *c = NULL;
    assert_int_equal(hc_census_create(NULL, &c), HC_OK);
    hc_input in = {HC_INPUT_GHES, path, "ghe-1.corp.example", NULL};
    hc_load_options o = {1, false};
    hc_load_stats st;
    hc_diag d;
    assert_int_equal(hc_census_load(c, &in, &o, &st, &d), HC_OK);
    assert_int_equal(st.accounts, 3);
    assert_int_equal(st.rejected, 0);
    hc_result *res = NULL;
    assert_int_equal(
        hc_census_run_ex(c, HC_POLICY_GITHUB, HC_RUN_PERSONS, &res), HC_OK);
    hc_summary sum;
    hc_result_summary(res, &sum);
    assert_int_equal(sum.total_seats_consumed, 2);
    assert_int_equal(sum.ghes_accounts, 2);
    assert_int_equal(sum.ghes_only_persons, 2);
    assert_int_equal(sum.suspended_accounts, 1);
    size_t acct;
    hc_account_info a;
    assert_int_equal(hc_result_find(res, "dora", 4, &acct), HC_OK);
    hc_result_account(res, acct, &a);
    assert_int_equal(a.exclusion, HC_EXCLUDE_NONE);
    assert_true(a.person != SIZE_MAX);
    assert_int_equal(hc_result_find(res, "sam", 3, &acct), HC_OK);
    hc_result_account(res, acct, &a);
    assert_int_equal(a.exclusion, HC_EXCLUDE_SUSPENDED);
    hc_result_destroy(res);
    hc_census_destroy(c);
}

/*
 * hc__count_byte against a plain loop: random buffers of every length up
 * to a few thousand bytes and past the vector path's 255-round batches, at
 * every alignment, dense and sparse in the byte counted, and a buffer of
 * nothing else (every lane at its limit).
 */
static void test_count_byte(void **state)
{
    (void)state;
    rng_state = test_seed() ^ 0xc0b7;
    enum { CAP = 16 * 255 * 3 + 64 };
    char *buf = malloc(CAP);
    assert_non_null(buf);
    for (int it = 0; it < 3000; it++) {
        size_t n = it < 200 ? (size_t)it : (size_t)(rnd() % (CAP - 16));
        size_t at = rnd() % 16;
        unsigned dense = (unsigned)(rnd() % 4);
        for (size_t i = 0; i < n; i++)
            buf[at + i] = rnd() % (dense ? 2 * dense : 50) == 0
                              ? '\n'
                              : (char)(rnd() % 256);
        size_t want = 0;
        for (size_t i = 0; i < n; i++)
            want += buf[at + i] == '\n';
        assert_int_equal(hc__count_byte(buf + at, n, '\n'), want);
    }
    memset(buf, '"', CAP);
    assert_int_equal(hc__count_byte(buf + 3, CAP - 3, '"'), CAP - 3);
    assert_int_equal(hc__count_byte(buf, CAP, '\n'), 0);
    free(buf);
}

/* ---- several inputs in one load ---------------------------------------- */

#define MANY_MAX 8

/* One input of a load test: a fixture under tests/data, or (tmp) a file
 * of this run's scratch directory. */
typedef struct input_spec {
    hc_input_role role;
    const char *name;
    const char *host;
    bool tmp;
} input_spec;

/* The inputs of spec[0..n), each path copied to paths[k]: data_path and
 * tmp_path reuse four buffers. */
static void make_inputs(const input_spec *spec, size_t n, char (*paths)[2048],
                        hc_input *in)
{
    assert_true(n <= MANY_MAX);
    for (size_t k = 0; k < n; k++) {
        snprintf(paths[k], sizeof paths[k], "%s",
                 spec[k].tmp ? tmp_path(spec[k].name)
                             : data_path(spec[k].name));
        in[k] = (hc_input){spec[k].role, paths[k], spec[k].host, NULL};
    }
}

/* Sorts both recorders' accounts and checks they are the same. */
static void expect_same_items(rec *got, rec *want)
{
    qsort(got->items, got->n, sizeof *got->items, cmp_str);
    qsort(want->items, want->n, sizeof *want->items, cmp_str);
    assert_int_equal(got->n, want->n);
    for (size_t i = 0; i < got->n; i++)
        assert_string_equal(got->items[i], want->items[i]);
}

/*
 * One load of several inputs against one load per input, in order, into
 * the same kind of recorder: the same accounts, the same sources, the same
 * statistics per input. Inputs are cut into chunks of
 * a few dozen bytes, so that the JSON documents (parsed whole) run beside
 * the other inputs' chunks; a gzip input in the middle runs on its own.
 */
static void test_read_many(void **state)
{
    (void)state;
    gzip_file(data_path("read/records.ndjson"),
              tmp_path("many_records.ndjson.gz"), 1);
    static const input_spec spec[] = {
        {HC_INPUT_GHES, "read/ghes_all_users.csv", "ghe-1.corp.example", false},
        {HC_INPUT_GHEC, "read/ghec_pages_concat.json", NULL, false},
        {HC_INPUT_RECORDS, "read/records.ndjson", NULL, false},
        {HC_INPUT_RECORDS, "many_records.ndjson.gz", NULL, true},
        {HC_INPUT_GHES, "read/ghes_export.json", NULL, false},
        {HC_INPUT_GHEC, "read/ghec_licenses_new.csv", NULL, false},
    };
    char paths[MANY_MAX][2048];
    hc_input in[MANY_MAX];
    const size_t n = HC_ARRAY_LEN(spec);
    make_inputs(spec, n, paths, in);
    const hc__read_tuning tiny = {64, 32, 0, 0};
    for (unsigned threads = 1; threads <= 3; threads++) {
        rec want, got;
        rec_init(&want);
        rec_init(&got);
        hc_load_stats ws[MANY_MAX], gs[MANY_MAX];
        hc_diag d;
        for (size_t k = 0; k < n; k++)
            assert_int_equal(run(&want, in[k].role, in[k].path, in[k].host,
                                 threads, false, &tiny, &ws[k], &d),
                             HC_OK);
        hc__sink sink = rec_sink_proto;
        sink.ctx = &got;
        hc_load_options o = {threads, false};
        size_t failed = 99;
        assert_int_equal(
            hc__read_many(&sink, in, n, &o, &tiny, gs, &failed, &d), HC_OK);
        assert_int_equal(failed, 0);
        assert_int_equal(got.opened, got.closed);
        /* Two rounds of parsing: up to the gzip input, then the rest;
         * each opens a writer per thread that takes chunks. */
        assert_true(got.opened >= 2 && got.opened <= 2 * (int)threads);
        /* Sources named by the inputs get the same ids: they are added
         * before any parsing, in input order. Those named by records are
         * added as threads meet them, in any order. */
        assert_int_equal(got.nsrc, want.nsrc);
        for (size_t i = 0; i < got.nsrc; i++) {
            size_t j = 0;
            while (j < want.nsrc && (strcmp(got.names[i], want.names[j]) ||
                                     got.kinds[i] != want.kinds[j]))
                j++;
            assert_true(j < want.nsrc);
        }
        assert_string_equal(got.names[0], "ghe-1.corp.example");
        assert_string_equal(got.names[1], "ghec_pages_concat.json");
        for (size_t k = 0; k < n; k++) {
            assert_int_equal(gs[k].format, ws[k].format);
            assert_int_equal(gs[k].bytes, ws[k].bytes);
            assert_int_equal(gs[k].records, ws[k].records);
            assert_int_equal(gs[k].accounts, ws[k].accounts);
            assert_int_equal(gs[k].rejected, ws[k].rejected);
        }
        assert_true(got.n > 20);
        expect_same_items(&got, &want);
        rec_fini(&want);
        rec_fini(&got);
    }
}

/* The failure reported by a load of inputs `which` (indexes into pool):
 * that of the input at `expect`, loaded alone, with its status and
 * diagnostic exactly. */
static void expect_many_failure(const hc_input *pool, const size_t *which,
                                size_t n, size_t expect, unsigned threads)
{
    hc_input in[MANY_MAX];
    for (size_t k = 0; k < n; k++)
        in[k] = pool[which[k]];
    rec alone, all;
    rec_init(&alone);
    rec_init(&all);
    const hc__read_tuning tiny = {64, 32, 0, 0};
    hc_diag want, got;
    hc_status rc_alone =
        run(&alone, in[expect].role, in[expect].path, in[expect].host, threads,
            false, &tiny, NULL, &want);
    assert_int_not_equal(rc_alone, HC_OK);
    hc__sink sink = rec_sink_proto;
    sink.ctx = &all;
    hc_load_options o = {threads, false};
    size_t failed = 99;
    hc_status rc = hc__read_many(&sink, in, n, &o, &tiny, NULL, &failed, &got);
    if (rc != rc_alone || failed != expect ||
        strcmp(got.file, want.file) != 0 ||
        strcmp(got.message, want.message) != 0 || got.line != want.line ||
        got.column != want.column)
        fail_msg("inputs %zu..: got input %zu, %s:%llu:%llu: %s; want input "
                 "%zu, %s:%llu:%llu: %s",
                 which[0], failed, got.file, (unsigned long long)got.line,
                 (unsigned long long)got.column, got.message, expect, want.file,
                 (unsigned long long)want.line, (unsigned long long)want.column,
                 want.message);
    assert_int_equal(all.opened, all.closed);
    rec_fini(&alone);
    rec_fini(&all);
}

/*
 * The first failure in input order wins, as if the inputs were loaded one
 * after another: a data error in a chunk or in a JSON document, an input
 * that cannot be opened, a CSV report without its host, a corrupt gzip
 * file, in every order against each other and against good inputs.
 */
static void test_read_many_first_failure(void **state)
{
    (void)state;
    /* 0 good CSV, 1 good JSON, 2 JSON with a data error, 3 CSV with a
     * data error, 4 missing, 5 CSV without its host, 6 corrupt gzip, 7
     * NDJSON with a data error */
    static const input_spec spec[] = {
        {HC_INPUT_GHES, "read/ghes_all_users.csv", "ghe-1.corp.example", false},
        {HC_INPUT_GHEC, "read/ghec_pages_concat.json", NULL, false},
        {HC_INPUT_GHEC, "bad/ghec_truncated.json", NULL, false},
        {HC_INPUT_GHES, "bad/csv_short_row.csv", "h.example", false},
        {HC_INPUT_RECORDS, "no_such_input.ndjson", NULL, true},
        {HC_INPUT_GHES, "read/ghes_all_users.csv", NULL, false},
        {HC_INPUT_GHES, "bad/csv_corrupt.gz", "h.example", false},
        {HC_INPUT_RECORDS, "bad/records_bad_json.ndjson", NULL, false},
    };
    char paths[MANY_MAX][2048];
    hc_input pool[MANY_MAX];
    make_inputs(spec, HC_ARRAY_LEN(spec), paths, pool);
    static const struct {
        size_t which[4], n, expect;
    } cases[] = {
        {{0, 2, 4}, 3, 1}, {{0, 4, 2}, 3, 1},    {{4, 2}, 2, 0},
        {{2, 3}, 2, 0},    {{3, 2}, 2, 0},       {{0, 1, 3}, 3, 2},
        {{0, 1, 5}, 3, 2}, {{3, 5}, 2, 0},       {{5, 3}, 2, 0},
        {{1, 6, 2}, 3, 1}, {{2, 6}, 2, 0},       {{0, 7, 1, 2}, 4, 1},
        {{1, 0, 7}, 3, 2}, {{7, 2, 3, 4}, 4, 0},
    };
    for (unsigned threads = 1; threads <= 2; threads++)
        for (size_t c = 0; c < HC_ARRAY_LEN(cases); c++)
            expect_many_failure(pool, cases[c].which, cases[c].n,
                                cases[c].expect, threads);
}

/* Through the census: one hc_census_load_many gives the summary and the
 * sources of one hc_census_load per input. */
static void test_census_load_many(void **state)
{
    (void)state;
    static const input_spec spec[] = {
        {HC_INPUT_GHES, "read/ghes_all_users.csv", "ghe-1.corp.example", false},
        {HC_INPUT_GHEC, "read/ghec_page.json", NULL, false},
        {HC_INPUT_RECORDS, "read/records.ndjson", NULL, false},
    };
    char paths[MANY_MAX][2048];
    hc_input in[MANY_MAX];
    make_inputs(spec, HC_ARRAY_LEN(spec), paths, in);
    hc_load_options o = {2, false};
    hc_census *one = NULL, *many = NULL;
    assert_int_equal(hc_census_create(NULL, &one), HC_OK);
    assert_int_equal(hc_census_create(NULL, &many), HC_OK);
    hc_diag d;
    hc_load_stats st[3];
    for (size_t k = 0; k < 3; k++)
        assert_int_equal(hc_census_load(one, &in[k], &o, &st[k], &d), HC_OK);
    size_t failed = 99;
    assert_int_equal(hc_census_load_many(many, in, 3, &o, st, &failed, &d),
                     HC_OK);
    assert_int_equal(failed, 0);
    hc_result *ra = NULL, *rb = NULL;
    assert_int_equal(hc_census_run(one, HC_POLICY_GITHUB, &ra), HC_OK);
    assert_int_equal(hc_census_run(many, HC_POLICY_GITHUB, &rb), HC_OK);
    hc_summary a, b;
    hc_result_summary(ra, &a);
    hc_result_summary(rb, &b);
    assert_true(a.total_seats_consumed > 0);
    assert_int_equal(a.total_seats_consumed, b.total_seats_consumed);
    assert_int_equal(a.extended_seats, b.extended_seats);
    assert_int_equal(a.ghec_accounts, b.ghec_accounts);
    assert_int_equal(a.ghes_accounts_total, b.ghes_accounts_total);
    assert_int_equal(a.ghes_accounts_matched, b.ghes_accounts_matched);
    assert_int_equal(a.duplicate_rows, b.duplicate_rows);
    assert_int_equal(hc_result_source_count(ra), hc_result_source_count(rb));
    for (size_t i = 0; i < hc_result_source_count(ra); i++) {
        hc_source_info x, y;
        hc_result_source(ra, i, &x);
        hc_result_source(rb, i, &y);
        assert_int_equal(x.name.len, y.name.len);
        assert_memory_equal(x.name.ptr, y.name.ptr, x.name.len);
        assert_int_equal(x.accounts, y.accounts);
        assert_int_equal(x.eligible, y.eligible);
    }
    hc_result_destroy(ra);
    hc_result_destroy(rb);
    hc_census_destroy(one);
    hc_census_destroy(many);
}

/* hc__parse_u64: digits only, at most 20, and within 64 bits; a table of
 * the edges, then random digit strings (this file's seeded generator)
 * against strtoull. */
/*
 * Ids through the NDJSON fast path: 1 to 21 digits, with or without
 * leading zeros, then one byte of every kind and a tail that closes the
 * line in one of three ways, so that the id stands at every distance from
 * the end of the line (the scanner reads a word of 8 bytes when 8 are
 * left). Compared with a reference written here: the line is taken
 * exactly when the id is a JSON integer that fits 64 bits and what
 * follows it is a delimiter that completes the object, and then the id is
 * strtoull's value.
 */
static void test_records_fast_ids(void **state)
{
    (void)state;
    /* Delimiters, the bytes just outside the digits' range, and bytes
     * whose +6 carries into the next byte. */
    static const char after[] = {',', '}', ' ', '\t', '/',        ':',
                                 '?', '.', 'e', 'x',  (char)0xFA, (char)0xFF};
    static const char *const tails[] = {"", "}", "\"z\":1}"};
    rng_state = test_seed();
    for (int it = 0; it < 200000; it++) {
        char digits[24];
        size_t n = 1 + (size_t)(rnd() % 21);
        for (size_t j = 0; j < n; j++) {
            unsigned d = (unsigned)(rnd() % 13); /* 9s often: range edge */
            digits[j] = (char)('0' + (d > 9 ? 9 : d));
        }
        if (rnd() % 4 == 0)
            digits[0] = '0';
        digits[n] = '\0';
        char stop = after[rnd() % sizeof after];
        size_t t = (size_t)(rnd() % 3);
        char line[96];
        int len = snprintf(line, sizeof line,
                           "{\"kind\":\"ghes\",\"source\":\"h\","
                           "\"login\":\"u\",\"id\":%s%c%s",
                           digits, stop, tails[t]);
        assert_true(len > 0 && (size_t)len < sizeof line);

        errno = 0;
        unsigned long long want = strtoull(digits, NULL, 10);
        bool integer = n == 1 || digits[0] != '0';
        bool fits = errno != ERANGE;
        bool closed = (stop == ',' && t == 2) || (stop == '}' && t == 0) ||
                      ((stop == ' ' || stop == '\t') && t == 1);
        bool take = integer && fits && closed;

        hc__ndjson_rec r;
        r.id = 42;
        size_t took = hc__ndjson_fast(line, line + len, &r);
        if ((took != 0) != take || (take && r.id != want))
            fail_msg("id \"%s\" then 0x%02x \"%s\": taken %d id %llu, "
                     "want %d id %llu",
                     digits, (unsigned char)stop, tails[t], took != 0,
                     (unsigned long long)r.id, take, want);
    }
}

static void test_parse_u64(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        bool ok;
        uint64_t v;
    } cases[] = {
        {"0", true, 0},
        {"7", true, 7},
        {"00012", true, 12},
        {"9999999999999999999", true, 9999999999999999999u},
        {"10000000000000000000", true, 10000000000000000000u},
        {"18446744073709551615", true, UINT64_MAX},
        {"18446744073709551616", false, 0},
        {"18446744073709551620", false, 0},
        {"99999999999999999999", false, 0},
        {"00000000000000000001", true, 1},
        {"000000000000000000001", false, 0},
        {"", false, 0},
        {"12a", false, 0},
        {"a12", false, 0},
        {"-1", false, 0},
        {" 1", false, 0},
        {"1844674407370955161x", false, 0},
        {"184467440737095516x5", false, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint64_t v = 42;
        bool ok = hc__parse_u64(cases[i].in, strlen(cases[i].in), &v);
        if (ok != cases[i].ok || (ok && v != cases[i].v))
            fail_msg("hc__parse_u64(\"%s\")", cases[i].in);
    }
    rng_state = test_seed();
    for (int it = 0; it < 100000; it++) {
        char buf[24];
        size_t n = 1 + (size_t)(rnd() >> 59) % 20;
        for (size_t j = 0; j < n; j++) {
            /* Mostly 9s near the top, to reach the range edge often. */
            unsigned d = (unsigned)(rnd() >> 60) % 13;
            buf[j] = (char)('0' + (d > 9 ? 9 : d));
        }
        buf[n] = '\0';
        errno = 0;
        unsigned long long want = strtoull(buf, NULL, 10);
        bool fits = errno != ERANGE;
        uint64_t v = 0;
        bool ok = hc__parse_u64(buf, n, &v);
        if (ok != fits || (ok && v != want))
            fail_msg("hc__parse_u64(\"%s\") disagrees with strtoull", buf);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_u64),
        cmocka_unit_test(test_records_fast_ids),
        cmocka_unit_test(test_format_detect),
        cmocka_unit_test(test_csv_tokenizer),
        cmocka_unit_test(test_ghes_csv),
        cmocka_unit_test(test_ghes_csv_gzip),
        cmocka_unit_test(test_ghes_csv_reordered),
        cmocka_unit_test(test_ghes_csv_needs_host),
        cmocka_unit_test(test_ghes_csv_stdin),
        cmocka_unit_test(test_stream_refused_early),
        cmocka_unit_test(test_ghec_csv),
        cmocka_unit_test(test_csv_blank_rows_and_encoding),
        cmocka_unit_test(test_ghec_json_shapes),
        cmocka_unit_test(test_ghec_json_gzip_stdin),
        cmocka_unit_test(test_ghec_json_large),
        cmocka_unit_test(test_ghec_json_windows),
        cmocka_unit_test(test_ghes_json),
        cmocka_unit_test(test_ghes_json_encrypted),
        cmocka_unit_test(test_records),
        cmocka_unit_test(test_records_rejected_source),
        cmocka_unit_test(test_records_other_kind_fields),
        cmocka_unit_test(test_json_field_twice),
        cmocka_unit_test(test_json_structure_fault_place),
        cmocka_unit_test(test_records_source_limit),
        cmocka_unit_test(test_records_fast_path),
        cmocka_unit_test(test_records_big_record),
        cmocka_unit_test(test_csv_chunked),
        cmocka_unit_test(test_records_chunked),
        cmocka_unit_test(test_bad_inputs),
        cmocka_unit_test(test_file_slurp),
        cmocka_unit_test(test_census_load),
        cmocka_unit_test(test_ghes_csv_dormant_counts),
        cmocka_unit_test(test_ghes_host_names),
        cmocka_unit_test(test_count_byte),
        cmocka_unit_test(test_read_many),
        cmocka_unit_test(test_read_many_first_failure),
        cmocka_unit_test(test_census_load_many),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
