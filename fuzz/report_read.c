/*
 * Fuzz target: hc_report_read (what `headcount diff` reads) on any bytes,
 * against the JSON reference scanner of fuzz_json_ref.h, written from RFC
 * 8259 and not from the reader. When a read succeeds the scanner must
 * have read the input too, and the persons must be exactly what
 * docs/internals/report.md says of the `users` elements: the strings of
 * `github_com_login`, of the `headcount_github_com_logins` array and of
 * the `enterprise_server_user_ids` array (host before the last ':' in
 * ASCII lowercase without trailing dots), empty strings dropped, each id
 * once; an element without ids is no person, and elements with the same
 * ids are one. Without a page total, the total is the elements less those
 * repeats. Each person's id is its first id and no id repeats; an
 * element giving github_com_login twice is refused. A failed
 * read must name a line for a data error. Gzip input is read but not
 * compared (the scanner sees compressed bytes).
 */
#include "fuzz_json_mutate.h"
#include <inttypes.h>

#include "fuzz_json_ref.h"

#define REF_IDS_MAX 4096

typedef struct ref_id {
    const char *p;
    size_t n;
    bool login;
} ref_id;

/* One person: ids[first .. first + n) of a shared array. */
typedef struct ref_person {
    size_t first, n;
} ref_person;

static ref_id g_ids[REF_IDS_MAX];
static char g_canon[REF_IDS_MAX][256];

static int ref_id_cmp(const void *x, const void *y)
{
    const ref_id *a = x, *b = y;
    if (a->login != b->login)
        return a->login ? -1 : 1;
    return fuzz_bytes_cmp(a->p, a->n, b->p, b->n);
}

/* By the strings (the order the comparison of persons uses), then logins
 * first: a login and a host:id can have the same bytes. */
static int ref_str_cmp(const void *x, const void *y)
{
    const ref_id *a = x, *b = y;
    int c = fuzz_bytes_cmp(a->p, a->n, b->p, b->n);
    return c ? c : (b->login > a->login) - (b->login < a->login);
}

static const ref_id *g_person_ids; /* for ref_person_cmp */

static int ref_person_cmp(const void *x, const void *y)
{
    const ref_person *a = x, *b = y;
    size_t n = a->n < b->n ? a->n : b->n;
    for (size_t i = 0; i < n; i++) {
        const ref_id *u = &g_person_ids[a->first + i];
        const ref_id *v = &g_person_ids[b->first + i];
        int c = fuzz_bytes_cmp(u->p, u->n, v->p, v->n);
        if (c)
            return c;
    }
    return (a->n > b->n) - (a->n < b->n);
}

/* ref_person_cmp, then by which ids are logins: the reader reads a login
 * and a host:id of the same bytes as two ids, so two entries are one
 * person again only when both agree (docs/internals/report.md: the same
 * ids). The reader's persons say which of their ids are logins (the
 * first n_logins), so they are matched to these the same way. */
static int ref_person_cmp_kind(const void *x, const void *y)
{
    int c = ref_person_cmp(x, y);
    const ref_person *a = x, *b = y;
    for (size_t i = 0; !c && i < a->n; i++)
        c = (int)g_person_ids[b->first + i].login -
            (int)g_person_ids[a->first + i].login;
    return c;
}

/* The report reader's host:id: the host before the last ':' (all of it
 * without one) in ASCII lowercase, trailing dots dropped (one kept). */
static size_t canon_server_id(const char *s, size_t n, char *out, size_t cap)
{
    size_t colon = n;
    while (colon > 0 && s[colon - 1] != ':')
        colon--;
    size_t host = colon ? colon - 1 : n;
    size_t h = host;
    while (h > 1 && s[h - 1] == '.')
        h--;
    if (h + (n - host) > cap)
        return SIZE_MAX;
    for (size_t i = 0; i < h; i++)
        out[i] = (char)((s[i] >= 'A' && s[i] <= 'Z') ? s[i] + 32 : s[i]);
    memcpy(out + h, s + host, n - host);
    return h + (n - host);
}

static bool is_id_item(const jref *j, const jref_item *t, bool *login)
{
    if (t->kind != 's' || t->val.len == 0)
        return false;
    if (t->rel == 1 && jref_is(j, t->field, "github_com_login")) {
        *login = true;
        return true;
    }
    if (t->rel == 2 && jref_is(j, t->field, "headcount_github_com_logins")) {
        *login = true;
        return true;
    }
    if (t->rel == 2 && jref_is(j, t->field, "enterprise_server_user_ids")) {
        *login = false;
        return true;
    }
    return false;
}

static void check_against_reference(const uint8_t *data, size_t size,
                                    const hc_report *rep)
{
    jref j;
    jref_scan(&j, data, size, true); /* the report reader checks all */
    FUZZ_CHECK(j.ok, "the reader accepted input the reference scanner "
                     "could not read");
    FUZZ_CHECK(!j.users_twice, "the reader accepted a page with two "
                               "\"users\"");
    /* Each element's ids, deduplicated; persons with ids, by strings. */
    static ref_person persons[REF_IDS_MAX];
    /* Canonical host:ids get buffers of their own, never reused: the ids
     * of a person are compacted after deduplication, and a later person's
     * ids must not overwrite what an earlier one's point to. */
    size_t n_ids = 0, n_persons = 0, n_canon = 0;
    size_t unnamed = 0, unnamed_repeats = 0;
    static bool elem_ids[REF_IDS_MAX]; /* element k has an id */
    if (j.n_elems > REF_IDS_MAX)
        goto out; /* too many to compare: inputs are small */
    bool page_total = false;
    for (size_t i = 0; i < j.n_it; i++)
        if (j.it[i].elem < 0 &&
            jref_is(&j, j.it[i].key, "total_seats_consumed"))
            page_total = true;
    for (size_t k = 0; k < j.n_elems; k++) {
        size_t first = n_ids, logins_given = 0;
        elem_ids[k] = false;
        for (size_t i = j.elem_first[k]; i < j.elem_end[k]; i++) {
            const jref_item *t = &j.it[i];
            bool login;
            if (t->rel == 1 && jref_is(&j, t->field, "github_com_login"))
                FUZZ_CHECK(++logins_given == 1,
                           "users[%zu] gives github_com_login twice and was "
                           "read",
                           k);
            if (!is_id_item(&j, t, &login))
                continue;
            if (n_ids == REF_IDS_MAX || n_canon == REF_IDS_MAX)
                goto out; /* too many to compare: inputs are small */
            const char *s = jref_str(&j, t->val);
            size_t n = t->val.len;
            if (!login) {
                n = canon_server_id(s, n, g_canon[n_canon], sizeof g_canon[0]);
                if (n == SIZE_MAX)
                    goto out;
                s = g_canon[n_canon++];
            }
            g_ids[n_ids++] = (ref_id){s, n, login};
        }
        size_t n = n_ids - first;
        if (n == 0) {
            /* A user without ids: once when it repeats the element just
             * before it, itself without ids, byte for byte. */
            bool repeat = k > 0 && !elem_ids[k - 1] &&
                          j.elem_len[k] == j.elem_len[k - 1] &&
                          memcmp(j.d + j.elem_at[k], j.d + j.elem_at[k - 1],
                                 j.elem_len[k]) == 0;
            unnamed_repeats += repeat;
            unnamed += !repeat;
            continue;
        }
        elem_ids[k] = true;
        qsort(g_ids + first, n, sizeof *g_ids, ref_id_cmp);
        size_t kept = 1;
        for (size_t i = 1; i < n; i++)
            if (ref_id_cmp(&g_ids[first + i], &g_ids[first + kept - 1]))
                g_ids[first + kept++] = g_ids[first + i];
        /* Compared by strings: sorted by them alone from here. */
        qsort(g_ids + first, kept, sizeof *g_ids, ref_str_cmp);
        n_ids = first + kept;
        persons[n_persons++] = (ref_person){first, kept};
    }
    g_person_ids = g_ids;
    qsort(persons, n_persons, sizeof *persons, ref_person_cmp_kind);
    size_t distinct = 0;
    for (size_t i = 0; i < n_persons; i++)
        if (!distinct ||
            ref_person_cmp_kind(&persons[i], &persons[distinct - 1]))
            persons[distinct++] = persons[i];
    FUZZ_CHECK(hc_report_unnamed_count(rep) == unnamed,
               "%" PRIu64 " users without ids, want %zu",
               hc_report_unnamed_count(rep), unnamed);
    if (!page_total)
        FUZZ_CHECK(hc_report_total_seats(rep) ==
                       (uint64_t)(j.n_elems - (n_persons - distinct) -
                                  unnamed_repeats),
                   "total %" PRIu64 ", want %zu elements less %zu repeats",
                   hc_report_total_seats(rep), j.n_elems,
                   n_persons - distinct + unnamed_repeats);

    /* The reader's persons, their ids sorted by strings the same way. */
    size_t got = hc_report_person_count(rep);
    FUZZ_CHECK(got == distinct, "%zu persons, want %zu", got, distinct);
    static ref_id mine[REF_IDS_MAX];
    static ref_person mp[REF_IDS_MAX];
    size_t m = 0;
    for (size_t i = 0; i < got; i++) {
        hc_report_person_info p;
        hc_report_person(rep, i, &p);
        FUZZ_CHECK(p.n_ids > 0 && p.id.len == p.ids[0].len &&
                       memcmp(p.id.ptr, p.ids[0].ptr, p.id.len) == 0,
                   "person %zu: its id is not its first id", i);
        FUZZ_CHECK(m + p.n_ids <= REF_IDS_MAX, "more ids than the reference");
        mp[i] = (ref_person){m, (size_t)p.n_ids};
        FUZZ_CHECK(p.n_logins <= p.n_ids, "person %zu: %llu logins of %llu ids",
                   i, (unsigned long long)p.n_logins,
                   (unsigned long long)p.n_ids);
        for (uint64_t k = 0; k < p.n_ids; k++)
            mine[m++] = (ref_id){p.ids[k].ptr, p.ids[k].len, k < p.n_logins};
        qsort(mine + mp[i].first, mp[i].n, sizeof *mine, ref_str_cmp);
    }
    g_person_ids = mine;
    qsort(mp, got, sizeof *mp, ref_person_cmp_kind);
    for (size_t i = 0; i < got; i++) {
        const ref_person *a = &mp[i], *b = &persons[i];
        bool same = a->n == b->n;
        for (size_t k = 0; same && k < a->n; k++)
            same =
                mine[a->first + k].login == g_ids[b->first + k].login &&
                !fuzz_bytes_cmp(mine[a->first + k].p, mine[a->first + k].n,
                                g_ids[b->first + k].p, g_ids[b->first + k].n);
        FUZZ_CHECK(same,
                   "person %zu (by ids) differs from the reference: "
                   "%zu ids, want %zu; first \"%.*s\", want \"%.*s\"",
                   i, a->n, b->n, (int)mine[a->first].n, mine[a->first].p,
                   (int)g_ids[b->first].n, g_ids[b->first].p);
    }
out:
    jref_free(&j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_memfd_put(data, size);
    hc_report *rep = NULL;
    hc_diag diag;
    memset(&diag, 0, sizeof diag);
    hc_status rc = hc_report_read(path, &rep, &diag);
    if (rc != HC_OK) {
        FUZZ_CHECK(rep == NULL, "a failed read returned a report");
        FUZZ_CHECK(rc == HC_ERR_DATA || rc == HC_ERR_LIMIT ||
                       rc == HC_ERR_NOMEM,
                   "unexpected status %s", hc_status_str(rc));
        FUZZ_CHECK(rc != HC_ERR_DATA || diag.line > 0 ||
                       (size >= 2 && data[0] == 0x1f && data[1] == 0x8b),
                   "a data error names no line: %s", diag.message);
        return 0;
    }
    bool gzip = size >= 2 && data[0] == 0x1f && data[1] == 0x8b;
    if (!gzip)
        check_against_reference(data, size, rep);
    hc_report_destroy(rep);
    return 0;
}
