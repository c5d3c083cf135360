/*
 * Report writers: the per-person report in GitHub's consumed-licenses shape
 * (JSON) and as a Title-case CSV, and the machine-readable run summary. Each
 * row is assembled from the census result accessors: a person's accounts are
 * visited in canonical account order (GHEC by login, then GHES by host and
 * id), and every list of emails is sorted and deduplicated, so the bytes
 * written depend only on the result, never on thread count or input order.
 * With a pseudonymization key every email is written as its HMAC pseudonym
 * before sorting, so the order of the pseudonyms leaks nothing about the
 * addresses. Output goes through a 64 KiB buffer to the caller's callback.
 * Field-by-field mapping: docs/internals/report.md.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "census_internal.h"
#include "headcount/report.h"
#include "report_json.h"
#include "util.h"

/* Caps of the per-row scratch space: one person cannot list more items or
 * a CSV cell grow larger than this (HC_ERR_LIMIT beyond). */
#define ROW_ITEMS_MAX ((size_t)1 << 28)
/* A cell holds what one person has, and the result already holds all of it:
 * no cap of its own below that (a shared mailbox under extended can put
 * millions of accounts in one person). */
#define CSV_CELL_MAX (SIZE_MAX / 4)

typedef struct strvec {
    hc_str *v;
    size_t n;
    size_t cap;
} strvec;

/* Everything one row needs, reused from person to person. */
typedef struct row {
    const hc_result *res;
    const unsigned char *hmac_key; /* NULL: emails in the clear */
    size_t hmac_key_len;

    size_t *acc; /* account indices, ascending = canonical order */
    hc_account_info *info;
    size_t n_acc;
    size_t cap_acc;
    size_t cap_info;

    strvec logins;    /* GHEC logins, canonical order, empty ones left out */
    size_t n_ghec;    /* GHEC accounts, with or without a login */
    strvec es_emails; /* GHES primary keys */
    strvec verified;  /* GHEC verified emails */
    size_t n_ghes;
    unsigned rules; /* bit per hc_join_rule other than SELF */

    char (*pseudo)[HC_PSEUDONYM_LEN + 1];
    size_t cap_pseudo;
    char saml_pseudo[HC_PSEUDONYM_LEN + 1];
    hc_str saml; /* ptr NULL: none */
} row;

/* Grows the array whose pointer is at pp (any object pointer type) to at
 * least need elements of size bytes. */
static hc_status grow(void *pp, size_t *cap, size_t need, size_t size)
{
    void *p;
    if (need <= *cap)
        return HC_OK;
    if (need > ROW_ITEMS_MAX)
        return HC_ERR_LIMIT;
    size_t cap2 = *cap ? *cap : 16;
    while (cap2 < need)
        cap2 *= 2;
    memcpy(&p, pp, sizeof p);
    void *q = realloc(p, cap2 * size);
    if (!q)
        return HC_ERR_NOMEM;
    memcpy(pp, &q, sizeof q);
    *cap = cap2;
    return HC_OK;
}

static hc_status strvec_push(strvec *sv, hc_str s)
{
    hc_status rc = grow(&sv->v, &sv->cap, sv->n + 1, sizeof *sv->v);
    if (rc == HC_OK)
        sv->v[sv->n++] = s;
    return rc;
}

static void row_fini(row *r)
{
    free(r->acc);
    free(r->info);
    free(r->logins.v);
    free(r->es_emails.v);
    free(r->verified.v);
    free(r->pseudo);
}

static int cmp_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return (x > y) - (x < y);
}

static int cmp_str(const void *a, const void *b)
{
    const hc_str *x = a, *y = b;
    size_t n = HC_MIN(x->len, y->len);
    int c = n ? memcmp(x->ptr, y->ptr, n) : 0;
    if (c)
        return c;
    return (x->len > y->len) - (x->len < y->len);
}

static int str_eq(hc_str a, hc_str b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

/* Pseudonymizes sv[first..] into the pseudonym pool starting at slot
 * *slot. The pool is sized beforehand, so its pointers stay valid. */
static hc_status pseudo_fill(row *r, strvec *sv, size_t *slot)
{
    hc_status rc = HC_OK;
    for (size_t i = 0; i < sv->n; i++) {
        char *out = r->pseudo[*slot];
        HC_TRY(hc_pseudonymize(r->hmac_key, r->hmac_key_len, sv->v[i].ptr,
                               sv->v[i].len, out));
        sv->v[i].ptr = out;
        sv->v[i].len = HC_PSEUDONYM_LEN;
        (*slot)++;
    }
done:
    return rc;
}

/*
 * The SAML NameID is written as given, so under pseudonymization it is
 * replaced by the pseudonym of its normalized key when it is an email (the
 * same pseudonym as that address elsewhere), and of its bytes as given when
 * it is not (an employee number or user name is personal data too).
 */
static hc_status pseudo_name_id(row *r)
{
    hc_status rc = HC_OK;
    char key[HC_KEY_MAX + 1];
    size_t klen = 0;

    if (r->saml.len <= HC_EMAIL_MAX)
        HC_TRY(hc_email_normalize(r->saml.ptr, r->saml.len, key, &klen));
    if (klen)
        HC_TRY(hc_pseudonymize(r->hmac_key, r->hmac_key_len, key, klen,
                               r->saml_pseudo));
    else
        HC_TRY(hc_pseudonymize(r->hmac_key, r->hmac_key_len, r->saml.ptr,
                               r->saml.len, r->saml_pseudo));
    r->saml.ptr = r->saml_pseudo;
    r->saml.len = HC_PSEUDONYM_LEN;
done:
    return rc;
}

static void sort_unique(strvec *sv)
{
    if (sv->n < 2)
        return;
    qsort(sv->v, sv->n, sizeof *sv->v, cmp_str);
    size_t k = 1;
    for (size_t i = 1; i < sv->n; i++)
        if (!str_eq(sv->v[i], sv->v[k - 1]))
            sv->v[k++] = sv->v[i];
    sv->n = k;
}

/* Gathers person p's accounts and lists into r. */
static hc_status row_load(row *r, size_t p)
{
    hc_status rc = HC_OK;
    hc_person_info pi;

    hc_result_person(r->res, p, &pi);
    HC_TRY(grow(&r->acc, &r->cap_acc, pi.n_accounts, sizeof *r->acc));
    HC_TRY(grow(&r->info, &r->cap_info, pi.n_accounts, sizeof *r->info));
    r->n_acc = pi.n_accounts;
    for (size_t j = 0; j < pi.n_accounts; j++)
        r->acc[j] = hc_result_person_account(r->res, p, j);
    qsort(r->acc, r->n_acc, sizeof *r->acc, cmp_size);

    r->logins.n = r->es_emails.n = r->verified.n = 0;
    r->n_ghes = r->n_ghec = 0;
    r->rules = 0;
    r->saml.ptr = NULL;
    r->saml.len = 0;
    for (size_t j = 0; j < r->n_acc; j++) {
        hc_account_info *ai = &r->info[j];
        hc_result_account(r->res, r->acc[j], ai);
        if (ai->rule != HC_JOIN_SELF && (unsigned)ai->rule < 32)
            r->rules |= 1u << ai->rule;
        if (ai->kind == HC_ACCOUNT_GHES) {
            r->n_ghes++;
            if (ai->key.len)
                HC_TRY(strvec_push(&r->es_emails, ai->key));
            continue;
        }
        r->n_ghec++;
        /* An empty login is no login: the report says null. */
        if (ai->login.len)
            HC_TRY(strvec_push(&r->logins, ai->login));
        if (!r->saml.ptr && ai->saml_name_id.len)
            r->saml = ai->saml_name_id;
        for (size_t k = 0; k < ai->n_keys; k++) {
            hc_key_role role = HC_KEY_PRIMARY;
            hc_str key = hc_result_account_key(r->res, r->acc[j], k, &role);
            if (role == HC_KEY_VERIFIED)
                HC_TRY(strvec_push(&r->verified, key));
        }
    }

    if (r->hmac_key) {
        size_t need = r->es_emails.n + r->verified.n;
        size_t slot = 0;
        HC_TRY(grow(&r->pseudo, &r->cap_pseudo, need, sizeof *r->pseudo));
        HC_TRY(pseudo_fill(r, &r->es_emails, &slot));
        HC_TRY(pseudo_fill(r, &r->verified, &slot));
        if (r->saml.ptr)
            HC_TRY(pseudo_name_id(r));
    }
    sort_unique(&r->es_emails);
    sort_unique(&r->verified);
done:
    return rc;
}

static hc_status row_init(row *r, const hc_result *res,
                          const hc_report_options *o)
{
    memset(r, 0, sizeof *r);
    r->res = res;
    if (o && o->hmac_key) {
        if (o->hmac_key_len == 0)
            return HC_ERR_ARG;
        r->hmac_key = o->hmac_key;
        r->hmac_key_len = o->hmac_key_len;
    }
    return HC_OK;
}

/* ------------------------------------------------------------------ JSON */

static void json_str_array(hc__out *o, const strvec *sv)
{
    hc__out_char(o, '[');
    for (size_t i = 0; i < sv->n; i++) {
        if (i)
            hc__out_char(o, ',');
        hc__out_json_string(o, sv->v[i].ptr, sv->v[i].len);
    }
    hc__out_char(o, ']');
}

static void json_bool(hc__out *o, int b)
{
    hc__out_cstr(o, b ? "true" : "false");
}

static void json_row(hc__out *o, const row *r)
{
    hc__out_cstr(o, "{\"github_com_login\":");
    if (r->logins.n)
        hc__out_json_string(o, r->logins.v[0].ptr, r->logins.v[0].len);
    else
        hc__out_cstr(o, "null");
    hc__out_cstr(o, ",\"github_com_user\":");
    json_bool(o, r->n_ghec > 0);
    hc__out_cstr(o, ",\"enterprise_server_user\":");
    json_bool(o, r->n_ghes > 0);
    hc__out_cstr(o, ",\"enterprise_server_user_ids\":[");
    size_t k = 0;
    for (size_t j = 0; j < r->n_acc; j++) {
        const hc_account_info *ai = &r->info[j];
        if (ai->kind != HC_ACCOUNT_GHES)
            continue;
        if (k++)
            hc__out_char(o, ',');
        hc__out_char(o, '"');
        hc__out_json_body(o, ai->source.ptr, ai->source.len);
        hc__out_char(o, ':');
        hc__out_u64(o, ai->ghes_id);
        hc__out_char(o, '"');
    }
    hc__out_cstr(o, "],\"enterprise_server_emails\":");
    json_str_array(o, &r->es_emails);
    hc__out_cstr(o, ",\"github_com_verified_domain_emails\":");
    json_str_array(o, &r->verified);
    hc__out_cstr(o, ",\"github_com_saml_name_id\":");
    if (r->saml.ptr)
        hc__out_json_string(o, r->saml.ptr, r->saml.len);
    else
        hc__out_cstr(o, "null");
    hc__out_cstr(o, ",\"total_user_accounts\":");
    hc__out_u64(o, r->n_acc);
    hc__out_cstr(o, ",\"visual_studio_subscription_user\":false"
                    ",\"license_type\":\"enterprise\""
                    ",\"headcount_join_rules\":[");
    k = 0;
    for (unsigned rule = 0; rule < 32; rule++) {
        if (!(r->rules & (1u << rule)))
            continue;
        if (k++)
            hc__out_char(o, ',');
        const char *name = hc_join_rule_name((hc_join_rule)rule);
        hc__out_json_string(o, name, strlen(name));
    }
    hc__out_char(o, ']');
    if (r->logins.n > 1) {
        hc__out_cstr(o, ",\"headcount_github_com_logins\":");
        json_str_array(o, &r->logins);
    }
    hc__out_char(o, '}');
}

hc_status hc_report_write_json(const hc_result *result,
                               const hc_report_options *options, hc_write_fn fn,
                               void *ctx)
{
    hc_status rc = HC_OK;
    char *buf = NULL;
    row r;
    hc__out o;
    hc_summary sum;

    /* A summary-only result lists nobody: its report would say seats
     * without users. */
    HC_FAIL_IF(!result || !fn || !result->has_persons, HC_ERR_ARG);
    HC_TRY(row_init(&r, result, options));
    buf = malloc(HC__OUT_BUFSIZE);
    HC_FAIL_IF(!buf, HC_ERR_NOMEM);
    hc__out_init(&o, fn, ctx, buf, HC__OUT_BUFSIZE);

    hc_result_summary(result, &sum);
    size_t n = hc_result_person_count(result);
    uint64_t accounts = 0;
    for (size_t p = 0; p < n; p++) {
        hc_person_info pi;
        hc_result_person(result, p, &pi);
        accounts += pi.n_accounts;
    }
    hc__out_cstr(&o, "{\"total_seats_consumed\":");
    hc__out_u64(&o, sum.total_seats_consumed);
    hc__out_cstr(&o, ",\"policy\":");
    const char *policy = hc_policy_name(sum.policy);
    hc__out_json_string(&o, policy, strlen(policy));
    hc__out_cstr(&o, ",\"normalization\":\"norm_v1\",\"rules\":\"rules_v1\""
                     ",\"total_user_accounts\":");
    hc__out_u64(&o, accounts);
    hc__out_cstr(&o, ",\"users\":[");
    for (size_t p = 0; p < n && o.rc == HC_OK; p++) {
        HC_TRY(row_load(&r, p));
        hc__out_cstr(&o, p ? ",\n" : "\n");
        json_row(&o, &r);
    }
    hc__out_cstr(&o, n ? "\n]}\n" : "]}\n");
    HC_TRY(hc__out_flush(&o));
done:
    if (buf)
        row_fini(&r);
    free(buf);
    return rc;
}

/* ------------------------------------------------------------------- CSV */

static const char csv_header[] =
    "GitHub com login,GitHub com user,Enterprise server user,"
    "Enterprise server user IDs,Enterprise server primary emails,"
    "GitHub com verified domain emails,GitHub com SAML name ID,"
    "Total user accounts,Visual Studio subscription user,License type,"
    "Headcount join rules,Headcount GitHub com logins\n";

/* A C0 control a cell must not carry: NUL ends the cell for C-string
 * readers, ESC starts terminal sequences when the file is printed. TAB,
 * CR and LF are text (they get the cell quoted). C1 controls are the
 * UTF-8 sequences cell_add checks. */
static bool cell_control(unsigned char c)
{
    return (c < 0x20 && c != '\t' && c != '\r' && c != '\n') || c == 0x7F;
}

/* Appends (s, n) to a cell with each ill-formed UTF-8 subpart, and each
 * control cell_control names, replaced by U+FFFD (the JSON writer escapes
 * controls instead: a CSV cell has no escape). */
static hc_status cell_add(hc__buf *cell, const void *s, size_t n)
{
    hc_status rc = HC_OK;
    const unsigned char *p = s;
    size_t i = 0;
    while (i < n) {
        size_t run = i;
        while (run < n && p[run] < 0x80 && !cell_control(p[run]))
            run++;
        HC_TRY(hc__buf_append(cell, p + i, run - i));
        i = run;
        if (i == n)
            break;
        if (cell_control(p[i])) {
            HC_TRY(hc__buf_append(cell, "\xEF\xBF\xBD", 3));
            i++;
            continue;
        }
        size_t bad = 0;
        size_t len = hc__utf8_seq(p + i, n - i, &bad);
        if (len == 2 && p[i] == 0xC2 && p[i + 1] < 0xA0) {
            /* A C1 control (U+0080..U+009F): CSI starts a terminal
             * sequence like ESC does. */
            HC_TRY(hc__buf_append(cell, "\xEF\xBF\xBD", 3));
            i += 2;
        } else if (len) {
            HC_TRY(hc__buf_append(cell, p + i, len));
            i += len;
        } else {
            HC_TRY(hc__buf_append(cell, "\xEF\xBF\xBD", 3));
            i += bad;
        }
    }
done:
    return rc;
}

static hc_status cell_list(hc__buf *cell, const strvec *sv)
{
    hc_status rc = HC_OK;
    for (size_t i = 0; i < sv->n; i++) {
        if (i)
            HC_TRY(hc__buf_append(cell, ", ", 2));
        HC_TRY(cell_add(cell, sv->v[i].ptr, sv->v[i].len));
    }
done:
    return rc;
}

/* What a spreadsheet runs as a formula when a cell begins with it. */
static bool csv_formula_start(char c)
{
    return c == '=' || c == '+' || c == '-' || c == '@' || c == '\t' ||
           c == '\r';
}

/* Where a reader may start a new cell or row inside a quoted cell: one
 * that splits at ';' (the list separator of many locales) or TAB does not
 * honour quotes that open mid-field, and ends the row at a line end. */
static bool csv_splits(char c)
{
    return c == ';' || c == '\t' || c == '\r' || c == '\n';
}

/* Whether the piece of s starting at i, past any '"' and spaces (a
 * spreadsheet may trim the spaces when it imports), would run as a
 * formula. */
static bool csv_piece_formula(const char *s, size_t i, size_t n)
{
    while (i < n && (s[i] == '"' || s[i] == ' '))
        i++;
    return i < n && csv_formula_start(s[i]);
}

/*
 * Writes one field, quoted per RFC 4180 when it holds a quote, comma, CR or
 * LF, and also a semicolon or tab. What a spreadsheet would run as a
 * formula gets an apostrophe before it: at the start of the field, and
 * after every ';', TAB, CR or LF whose piece would start one
 * (csv_piece_formula), since a reader splitting there sees that piece as a
 * cell of its own.
 * Reports are opened in spreadsheets, and an email local part may begin
 * with '='.
 */
void hc__out_csv_field(hc__out *o, const void *p, size_t n)
{
    const char *s = p;
    int quote = 0;
    for (size_t i = 0; i < n && !quote; i++)
        quote = s[i] == '"' || s[i] == ',' || csv_splits(s[i]);
    if (quote)
        hc__out_char(o, '"');
    if (csv_piece_formula(s, 0, n))
        hc__out_char(o, '\'');
    size_t start = 0;
    for (size_t i = 0; quote && i < n; i++) {
        char extra = s[i] == '"' ? '"' : 0;
        /* Each run of quotes and spaces is looked at once, by the split
         * before it: linear in n. */
        if (csv_splits(s[i]) && csv_piece_formula(s, i + 1, n))
            extra = '\'';
        if (!extra)
            continue;
        hc__out_write(o, s + start, i + 1 - start);
        hc__out_char(o, extra);
        start = i + 1;
    }
    if (n > start) /* s may be NULL for an empty field */
        hc__out_write(o, s + start, n - start);
    if (quote)
        hc__out_char(o, '"');
}

hc_status hc_csv_write_field(hc_write_fn fn, void *ctx, const void *s,
                             size_t len)
{
    hc_status rc = HC_OK;
    char buf[1024];
    hc__out o;
    hc__buf cell;

    hc__buf_init(&cell, CSV_CELL_MAX);
    HC_FAIL_IF(!fn || (!s && len), HC_ERR_ARG);
    /* The cell as the report would hold it: valid UTF-8, no controls. */
    HC_TRY(cell_add(&cell, s, len));
    hc__out_init(&o, fn, ctx, buf, sizeof buf);
    hc__out_csv_field(&o, cell.data, cell.len);
    rc = hc__out_flush(&o);
done:
    hc__buf_fini(&cell);
    return rc;
}

static void cell_emit(hc__out *o, const hc__buf *cell, int last)
{
    hc__out_csv_field(o, cell->data, cell->len);
    hc__out_char(o, last ? '\n' : ',');
}

static hc_status csv_row(hc__out *o, const row *r, hc__buf *cell)
{
    hc_status rc = HC_OK;
    char num[24];

    hc__buf_clear(cell);
    if (r->logins.n)
        HC_TRY(cell_add(cell, r->logins.v[0].ptr, r->logins.v[0].len));
    cell_emit(o, cell, 0);

    hc__buf_clear(cell);
    HC_TRY(
        hc__buf_append(cell, r->n_ghec ? "true" : "false", r->n_ghec ? 4 : 5));
    cell_emit(o, cell, 0);

    hc__buf_clear(cell);
    HC_TRY(
        hc__buf_append(cell, r->n_ghes ? "true" : "false", r->n_ghes ? 4 : 5));
    cell_emit(o, cell, 0);

    hc__buf_clear(cell);
    size_t k = 0;
    for (size_t j = 0; j < r->n_acc; j++) {
        const hc_account_info *ai = &r->info[j];
        if (ai->kind != HC_ACCOUNT_GHES)
            continue;
        if (k++)
            HC_TRY(hc__buf_append(cell, ", ", 2));
        HC_TRY(cell_add(cell, ai->source.ptr, ai->source.len));
        int len =
            snprintf(num, sizeof num, ":%llu", (unsigned long long)ai->ghes_id);
        HC_TRY(hc__buf_append(cell, num, (size_t)len));
    }
    cell_emit(o, cell, 0);

    hc__buf_clear(cell);
    HC_TRY(cell_list(cell, &r->es_emails));
    cell_emit(o, cell, 0);

    hc__buf_clear(cell);
    HC_TRY(cell_list(cell, &r->verified));
    cell_emit(o, cell, 0);

    hc__buf_clear(cell);
    if (r->saml.ptr)
        HC_TRY(cell_add(cell, r->saml.ptr, r->saml.len));
    cell_emit(o, cell, 0);

    hc__buf_clear(cell);
    int len = snprintf(num, sizeof num, "%llu", (unsigned long long)r->n_acc);
    HC_TRY(hc__buf_append(cell, num, (size_t)len));
    cell_emit(o, cell, 0);

    hc__out_cstr(o, "false,enterprise,");

    hc__buf_clear(cell);
    k = 0;
    for (unsigned rule = 0; rule < 32; rule++) {
        if (!(r->rules & (1u << rule)))
            continue;
        if (k++)
            HC_TRY(hc__buf_append(cell, ", ", 2));
        const char *name = hc_join_rule_name((hc_join_rule)rule);
        HC_TRY(cell_add(cell, name, strlen(name)));
    }
    cell_emit(o, cell, 0);

    /* As headcount_github_com_logins in JSON: every login, when the
     * person has more than one GHEC account (policy extended). */
    hc__buf_clear(cell);
    if (r->logins.n > 1)
        HC_TRY(cell_list(cell, &r->logins));
    cell_emit(o, cell, 1);
done:
    return rc;
}

hc_status hc_report_write_csv(const hc_result *result,
                              const hc_report_options *options, hc_write_fn fn,
                              void *ctx)
{
    hc_status rc = HC_OK;
    char *buf = NULL;
    row r;
    hc__out o;
    hc__buf cell;

    hc__buf_init(&cell, CSV_CELL_MAX);
    HC_FAIL_IF(!result || !fn || !result->has_persons, HC_ERR_ARG);
    HC_TRY(row_init(&r, result, options));
    buf = malloc(HC__OUT_BUFSIZE);
    HC_FAIL_IF(!buf, HC_ERR_NOMEM);
    hc__out_init(&o, fn, ctx, buf, HC__OUT_BUFSIZE);

    hc__out_write(&o, csv_header, sizeof csv_header - 1);
    size_t n = hc_result_person_count(result);
    for (size_t p = 0; p < n && o.rc == HC_OK; p++) {
        HC_TRY(row_load(&r, p));
        HC_TRY(csv_row(&o, &r, &cell));
    }
    HC_TRY(hc__out_flush(&o));
done:
    if (buf)
        row_fini(&r);
    free(buf);
    hc__buf_fini(&cell);
    return rc;
}

/* --------------------------------------------------------------- summary */

static void json_field_u64(hc__out *o, const char *name, uint64_t v)
{
    hc__out_cstr(o, ",\"");
    hc__out_cstr(o, name);
    hc__out_cstr(o, "\":");
    hc__out_u64(o, v);
}

hc_status hc_summary_write_json(const hc_result *result, uint64_t elapsed_ms,
                                hc_write_fn fn, void *ctx)
{
    hc_status rc = HC_OK;
    char buf[4096];
    hc__out o;
    hc_summary s;

    HC_FAIL_IF(!result || !fn, HC_ERR_ARG);
    hc__out_init(&o, fn, ctx, buf, sizeof buf);
    hc_result_summary(result, &s);

    hc__out_cstr(&o, "{\"total_seats_consumed\":");
    hc__out_u64(&o, s.total_seats_consumed);
    hc__out_cstr(&o, ",\"policy\":");
    const char *policy = hc_policy_name(s.policy);
    hc__out_json_string(&o, policy, strlen(policy));
    hc__out_cstr(&o, ",\"normalization\":\"norm_v1\",\"rules\":\"rules_v1\"");
    /* One person per seat; the result may hold no person list (summary
     * only), so the count comes from the summary. */
    json_field_u64(&o, "persons", s.total_seats_consumed);
    json_field_u64(&o, "github_seats", s.github_seats);
    json_field_u64(&o, "extended_seats", s.extended_seats);
    json_field_u64(&o, "potential_savings", s.potential_savings);
    json_field_u64(&o, "ghec_accounts", s.ghec_accounts);
    json_field_u64(&o, "ghec_unlicensed_accounts", s.ghec_unlicensed_accounts);
    json_field_u64(&o, "ghes_accounts", s.ghes_accounts);
    json_field_u64(&o, "ghes_accounts_total", s.ghes_accounts_total);
    json_field_u64(&o, "ghes_accounts_matched", s.ghes_accounts_matched);
    json_field_u64(&o, "ghes_only_persons", s.ghes_only_persons);
    json_field_u64(&o, "keyless_accounts", s.keyless_accounts);
    hc__out_cstr(&o, ",\"persons_without_verified_domain_email\":");
    if (s.verified_domains_given)
        hc__out_u64(&o, s.persons_without_verified_domain_email);
    else
        hc__out_cstr(&o, "null");
    json_field_u64(&o, "suspended_accounts", s.suspended_accounts);
    json_field_u64(&o, "system_accounts", s.system_accounts);
    json_field_u64(&o, "duplicate_rows", s.duplicate_rows);
    json_field_u64(&o, "rejected_rows", s.rejected_rows);
    hc__out_cstr(&o, ",\"sources\":[");
    size_t n = hc_result_source_count(result);
    for (size_t i = 0; i < n && o.rc == HC_OK; i++) {
        hc_source_info si;
        hc_result_source(result, i, &si);
        hc__out_cstr(&o, i ? ",{\"name\":" : "{\"name\":");
        hc__out_json_string(&o, si.name.ptr, si.name.len);
        hc__out_cstr(&o, si.kind == HC_SOURCE_GHEC ? ",\"kind\":\"ghec\""
                                                   : ",\"kind\":\"ghes\"");
        json_field_u64(&o, "accounts", si.accounts);
        json_field_u64(&o, "eligible", si.eligible);
        json_field_u64(&o, "rejected", si.rejected);
        hc__out_char(&o, '}');
    }
    hc__out_char(&o, ']');
    json_field_u64(&o, "elapsed_ms", elapsed_ms);
    hc__out_char(&o, '}');
    HC_TRY(hc__out_flush(&o));
done:
    return rc;
}
