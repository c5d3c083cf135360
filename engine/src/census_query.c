/*
 * Read-only accessors over a census result: summary, sources, accounts with
 * their keys, persons, and the lookup behind `headcount explain`.
 */
#include <limits.h>
#include <stdlib.h>

#include "census_internal.h"

const char *hc_policy_name(hc_policy policy)
{
    return policy == HC_POLICY_EXTENDED ? "extended" : "github";
}

const char *hc_join_rule_name(hc_join_rule rule)
{
    switch (rule) {
    case HC_JOIN_SELF: return "self";
    case HC_JOIN_IDENTITY: return "identity";
    case HC_JOIN_VERIFIED_EMAIL: return "verified_email";
    case HC_JOIN_SAME_PRIMARY: return "same_primary_email";
    case HC_JOIN_SHARED_EMAIL: return "shared_email";
    }
    return "unknown";
}

const char *hc_exclusion_name(hc_exclusion reason)
{
    switch (reason) {
    case HC_EXCLUDE_NONE: return "none";
    case HC_EXCLUDE_SUSPENDED: return "suspended";
    case HC_EXCLUDE_SYSTEM: return "system_account";
    case HC_EXCLUDE_UNLICENSED: return "unlicensed";
    case HC_EXCLUDE_DUPLICATE: return "duplicate_row";
    }
    return "unknown";
}

void hc_result_summary(const hc_result *r, hc_summary *out)
{
    *out = r->sum;
}

size_t hc_result_source_count(const hc_result *r)
{
    return r->census->n_sources;
}

void hc_result_source(const hc_result *r, size_t i, hc_source_info *out)
{
    uint32_t id = r->src_order[i];
    const hc__source *s = &r->census->sources[id];
    out->name.ptr = s->name;
    out->name.len = s->len;
    out->kind = s->kind;
    out->accounts = r->src_accounts[id];
    out->eligible = r->src_eligible[id];
    out->rejected = hc_atomic_load_u64(&s->rejected, HC_RELAXED);
}

size_t hc_result_account_count(const hc_result *r)
{
    return r->n_accts;
}

static uint32_t acct_source(const hc_result *r, const hc__acct *a)
{
    const hc__segment *s = r->census->segs[a->seg];
    return a->kind == HC_ACCOUNT_GHES ? hc__ghes_at(s, a->rec)->source
                                      : hc__ghec_at(s, a->rec)->source;
}

hc_str hc__acct_login(const hc_result *r, const hc__acct *a)
{
    const hc__segment *s = r->census->segs[a->seg];
    return hc__seg_str(s, a->kind == HC_ACCOUNT_GHES
                              ? hc__ghes_login(s, a->rec)
                              : hc__ghec_at(s, a->rec)->login);
}

hc_str hc__acct_source(const hc_result *r, const hc__acct *a)
{
    const hc__source *src = &r->census->sources[acct_source(r, a)];
    hc_str out = {src->name, src->len};
    return out;
}

static hc_str key_str(const hc_result *r, uint32_t id)
{
    hc_str none = {"", 0};
    return id == HC__NOKEY ? none : hc_hset_key(r->census->keys, id);
}

void hc_result_account(const hc_result *r, size_t i, hc_account_info *out)
{
    const hc__acct *a = &r->accts[i];
    const hc__segment *s = r->census->segs[a->seg];
    memset(out, 0, sizeof *out);
    out->kind = (hc_account_kind)a->kind;
    out->source = hc__acct_source(r, a);
    out->login = hc__acct_login(r, a);
    if (a->kind == HC_ACCOUNT_GHES) {
        out->ghes_id = hc__acct_ghes_id(s, a);
        out->key = key_str(r, a->n_a ? a->keys[0] : HC__NOKEY);
    } else {
        out->saml_name_id = hc__seg_str(s, hc__ghec_at(s, a->rec)->saml);
    }
    out->exclusion = (hc_exclusion)a->exclusion;
    out->person = a->person == HC__NONE ? SIZE_MAX : a->person;
    out->rule = (hc_join_rule)a->rule;
    out->join_key = key_str(r, a->join_key);
    out->n_keys = (size_t)a->n_a + a->n_b;
}

hc_str hc_result_account_key(const hc_result *r, size_t i, size_t j,
                             hc_key_role *role)
{
    const hc__acct *a = &r->accts[i];
    if (role) {
        if (a->kind == HC_ACCOUNT_GHES)
            *role = j < a->n_a ? HC_KEY_PRIMARY : HC_KEY_EMAIL;
        else
            *role = j < a->n_a ? HC_KEY_IDENTITY : HC_KEY_VERIFIED;
    }
    return key_str(r, a->keys[j]);
}

size_t hc_result_person_count(const hc_result *r)
{
    return r->n_persons;
}

void hc_result_person(const hc_result *r, size_t p, hc_person_info *out)
{
    const hc__person *pp = &r->persons[p];
    out->n_accounts = pp->n;
    out->has_ghec =
        pp->n && r->accts[r->person_accts[pp->first]].kind == HC_ACCOUNT_GHEC;
    out->has_verified_domain_email = pp->vd;
    out->group = pp->group;
    out->group_size = pp->group_size;
}

size_t hc_result_person_account(const hc_result *r, size_t p, size_t j)
{
    return r->person_accts[r->persons[p].first + j];
}

static bool str_eq_nocase(hc_str a, const char *b, size_t n)
{
    if (a.len != n)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (hc__ascii_lower((unsigned char)a.ptr[i]) !=
            hc__ascii_lower((unsigned char)b[i]))
            return false;
    }
    return true;
}

/* Parses a decimal id; false on anything else. */
static bool parse_id(const char *p, size_t n, uint64_t *out)
{
    uint64_t v = 0;
    if (n == 0 || n > 20)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return false;
        uint64_t d = (uint64_t)(p[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return false;
        v = v * 10 + d;
    }
    *out = v;
    return true;
}

/* The ASCII whitespace that email normalization trims too. */
static bool is_query_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
           c == '\f';
}

/* Prefers an account that consumes a seat over an excluded one. */
static void consider(const hc_result *r, size_t i, size_t *best)
{
    if (*best == SIZE_MAX ||
        (r->accts[*best].person == HC__NONE && r->accts[i].person != HC__NONE))
        *best = i;
}

/* Accounts [from, to) of this kind whose login is q: byte for byte when
 * exact, else ignoring ASCII case; with trim, the login without the
 * blanks around it (a CSV cell written " bob "). */
static void find_login(const hc_result *r, size_t from, size_t to,
                       hc_account_kind kind, const char *q, size_t len,
                       bool exact, bool trim, size_t *best)
{
    for (size_t i = from; i < to; i++) {
        const hc__acct *a = &r->accts[i];
        if (a->kind != kind)
            continue;
        hc_str l = hc__acct_login(r, a);
        while (trim && l.len && is_query_space(l.ptr[0])) {
            l.ptr++;
            l.len--;
        }
        while (trim && l.len && is_query_space(l.ptr[l.len - 1]))
            l.len--;
        if (exact ? l.len == len && (len == 0 || memcmp(l.ptr, q, len) == 0)
                  : str_eq_nocase(l, q, len))
            consider(r, i, best);
    }
}

/* The account holding the email q by the rules' order of matching: a GHEC
 * identity value, a GHES primary email, a GHEC verified email, then a
 * GHES account's other email; an account that consumes a seat before one
 * that does not, and in each class the first account in result order.
 * *best stays SIZE_MAX when no account holds it. */
static hc_status find_email(const hc_result *r, const char *q, size_t len,
                            size_t *best)
{
    char key[HC_KEY_MAX + 1];
    size_t klen = 0;
    uint32_t id;
    hc_status rc = hc_email_normalize(q, len, key, &klen);
    if (rc != HC_OK)
        return rc;
    if (klen == 0 || hc_hset_find(r->census->keys, key, klen, &id) != HC_OK)
        return HC_OK;
    unsigned best_rank = UINT_MAX;
    for (size_t i = 0; i < r->n_accts; i++) {
        const hc__acct *a = &r->accts[i];
        for (size_t j = 0; j < (size_t)a->n_a + a->n_b; j++) {
            if (a->keys[j] != id)
                continue;
            bool first = j < a->n_a;
            unsigned rank = a->kind == HC_ACCOUNT_GHEC ? (first ? 0u : 2u)
                                                       : (first ? 1u : 3u);
            if (a->person == HC__NONE)
                rank += 4;
            if (rank < best_rank) {
                best_rank = rank;
                *best = i;
            }
            break;
        }
    }
    return HC_OK;
}

/* A login: GHEC first, then GHES; the exact spelling first, as two GHEC
 * logins may differ only in case; logins as the input gives them, then
 * without blanks around them (the query has none). Passes [from, 8) of
 * that order. */
static void find_any_login(const hc_result *r, const char *q, size_t len,
                           int from, size_t *best)
{
    for (int pass = from; *best == SIZE_MAX && pass < 8; pass++)
        find_login(r, 0, r->n_accts,
                   pass % 4 < 2 ? HC_ACCOUNT_GHEC : HC_ACCOUNT_GHES, q, len,
                   pass % 2 == 0, pass >= 4, best);
}

hc_status hc_result_find(const hc_result *r, const void *query, size_t len,
                         size_t *account)
{
    const char *q = query;
    size_t best = SIZE_MAX;
    if (!r || (!q && len) || !account || !r->has_persons)
        return HC_ERR_ARG;

    /* Logins and HOST:ID hold no spaces: a query pasted with some around
     * it still finds its account, as an email does (normalizing trims). */
    const char *t = q;
    size_t tlen = len;
    while (tlen && is_query_space(t[0])) {
        t++;
        tlen--;
    }
    while (tlen && is_query_space(t[tlen - 1]))
        tlen--;
    if (memchr(q, '@', len)) {
        /* An identity provider's export may use the user principal name,
         * an email address, as the GHEC login. That exact login names one
         * account (explain lists other accounts by it), so it comes
         * before the email; other spellings of a login after it. */
        find_login(r, 0, r->n_accts, HC_ACCOUNT_GHEC, t, tlen, true, false,
                   &best);
        if (best == SIZE_MAX) {
            hc_status rc = find_email(r, q, len, &best);
            if (rc != HC_OK)
                return rc;
        }
        if (best == SIZE_MAX && tlen)
            find_any_login(r, t, tlen, 1, &best);
    } else {
        q = t;
        len = tlen;
        if (len == 0)
            return HC_ERR_NOTFOUND;
        const char *colon = NULL;
        for (size_t i = len; i > 0; i--)
            if (q[i - 1] == ':') {
                colon = q + i - 1;
                break;
            }
        uint64_t ghes_id = 0;
        bool host_id =
            colon &&
            parse_id(colon + 1, len - (size_t)(colon + 1 - q), &ghes_id);
        /* Hosts are kept without trailing dots (hc_census_source). */
        size_t host_len = colon ? hc__host_len(q, (size_t)(colon - q)) : 0;
        for (size_t i = 0; host_id && i < r->n_accts; i++) {
            const hc__acct *a = &r->accts[i];
            if (a->kind != HC_ACCOUNT_GHES)
                continue;
            const hc__segment *s = r->census->segs[a->seg];
            if (hc__acct_ghes_id(s, a) == ghes_id &&
                str_eq_nocase(hc__acct_source(r, a), q, host_len))
                consider(r, i, &best);
        }
        if (!host_id)
            find_any_login(r, q, len, 0, &best);
    }
    if (best == SIZE_MAX)
        return HC_ERR_NOTFOUND;
    *account = best;
    return HC_OK;
}
