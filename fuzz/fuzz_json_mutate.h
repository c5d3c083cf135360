/*
 * A mutator for the targets whose inputs are JSON (read_ghes_json,
 * read_ghec_json, read_ghec_windows, read_records, report_read). Byte
 * mutations leave nearly every JSON input invalid: in 60 s of
 * read_ghes_json from its seeds, 1 to 2% of the inputs reached the checks
 * of delivered accounts. Half of the mutations here keep the input's JSON
 * structure: one token is replaced (a value by one of the values below,
 * which the readers treat specially, or by another value token of the
 * same input; a member name by another field name the formats use; a
 * string by a byte-mutated copy of itself, escaped again so that it stays
 * a string), or an object that is an array element is copied after
 * itself. The other half are libFuzzer's own mutations, so nothing the
 * byte mutations reach is lost.
 *
 * Only the libFuzzer build defines LLVMFuzzerCustomMutator
 * (HC_FUZZ_LIBFUZZER); the replay driver runs the same target without it.
 */
#ifndef HC_FUZZ_JSON_MUTATE_H
#define HC_FUZZ_JSON_MUTATE_H

#ifdef HC_FUZZ_LIBFUZZER

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);

enum { JM_TOKENS = 4096, JM_DEPTH = 64 };

typedef struct jm_tok {
    size_t off, len;
    char kind; /* 's' string value, 'k' member name, 'v' number or
                  literal, 'o' object in an array */
} jm_tok;

/* Values a reader treats in a special way, as JSON text. */
static const char *const jm_values[] = {
    "\"\"",
    "null",
    "true",
    "false",
    "0",
    "1",
    "-1",
    "007",
    "18446744073709551615",
    "18446744073709551616",
    "1e3",
    "\"12\"",
    "\"Mona@Corp.Example\"",
    "\" mona@corp.example\\t\"",
    "\"M\\u00d6NA@B\\u00dccher.example\"",
    "\"mo\\u0308na@xn--bcher-kva.example\"",
    "\"mona@corp.example.\"",
    "\"mona+ghe@corp.example\"",
    "\"ghost\"",
    "\"scim-admin\"",
    "\"n/a\"",
    "\"@corp.example\"",
    "\"a@\"",
    "\"\\ud83d\\ude00@x.example\"",
    "\"ghe-1.corp.example:2\"",
    "\"GHE-1.Corp.Example.:2\"",
    "\"ghes\"",
    "\"ghec\"",
    "[]",
    "{}",
    "[\"a@corp.example\",\"A@corp.example \"]",
    "[{\"email\":\"a@corp.example\"},{\"address\":\"b@corp.example\"}]",
    "[null,1,\"x@y.example\"]",
};

/* Member names of the formats (docs/formats.md, docs/internals/report.md). */
static const char *const jm_names[] = {
    "id",
    "login",
    "primary_email",
    "email",
    "emails",
    "address",
    "suspended",
    "host_name",
    "instance",
    "users",
    "kind",
    "source",
    "identity_values",
    "verified_emails",
    "licensed",
    "github_com_login",
    "github_com_user",
    "github_com_saml_name_id",
    "github_com_verified_domain_emails",
    "enterprise_server_user_ids",
    "enterprise_server_user",
    "headcount_github_com_logins",
    "total_seats_consumed",
};

static uint64_t jm_state;

static uint32_t jm_below(uint32_t n)
{
    jm_state ^= jm_state << 13;
    jm_state ^= jm_state >> 7;
    jm_state ^= jm_state << 17;
    return n ? (uint32_t)(jm_state % n) : 0;
}

static bool jm_ws(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* The end of the string starting at the quote d[i], past its closing
 * quote, or 0 when it is not closed. */
static size_t jm_string_end(const uint8_t *d, size_t n, size_t i)
{
    for (size_t p = i + 1; p < n; p++) {
        if (d[p] == '\\')
            p++;
        else if (d[p] == '"')
            return p + 1;
    }
    return 0;
}

/* Finds the tokens of d (as far as they look like JSON). */
static size_t jm_scan(const uint8_t *d, size_t n, jm_tok *t)
{
    size_t nt = 0, depth = 0;
    size_t open[JM_DEPTH];
    bool in_array[JM_DEPTH];
    bool element[JM_DEPTH]; /* the object at open[k] is an array element */
    for (size_t i = 0; i < n && nt < JM_TOKENS;) {
        uint8_t c = d[i];
        if (c == '"') {
            size_t e = jm_string_end(d, n, i);
            if (!e)
                break;
            size_t a = e;
            while (a < n && jm_ws(d[a]))
                a++;
            t[nt++] = (jm_tok){i, e - i, a < n && d[a] == ':' ? 'k' : 's'};
            i = e;
        } else if (c == '-' || (c >= '0' && c <= '9') || c == 't' || c == 'f' ||
                   c == 'n') {
            size_t e = i + 1;
            while (e < n && ((d[e] >= '0' && d[e] <= '9') ||
                             (d[e] >= 'a' && d[e] <= 'z') || d[e] == '.' ||
                             d[e] == '+' || d[e] == '-' || d[e] == 'E'))
                e++;
            t[nt++] = (jm_tok){i, e - i, 'v'};
            i = e;
        } else if (c == '{' || c == '[') {
            if (depth < JM_DEPTH) {
                open[depth] = i;
                in_array[depth] = c == '[';
                element[depth] = depth > 0 && in_array[depth - 1];
            }
            depth++;
            i++;
        } else if (c == '}' || c == ']') {
            if (depth == 0)
                break;
            depth--;
            if (c == '}' && depth < JM_DEPTH && !in_array[depth] &&
                element[depth])
                t[nt++] = (jm_tok){open[depth], i + 1 - open[depth], 'o'};
            i++;
        } else {
            i++;
        }
    }
    return nt;
}

/* Writes s (n bytes) as the content of a JSON string into out. */
static size_t jm_escape(const uint8_t *s, size_t n, uint8_t *out, size_t cap)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    for (size_t i = 0; i < n && o + 6 < cap; i++) {
        if (s[i] == '"' || s[i] == '\\') {
            out[o++] = '\\';
            out[o++] = s[i];
        } else if (s[i] < 0x20) {
            memcpy(out + o, "\\u00", 4);
            out[o + 4] = (uint8_t)hex[s[i] >> 4];
            out[o + 5] = (uint8_t)hex[s[i] & 15];
            o += 6;
        } else {
            out[o++] = s[i];
        }
    }
    return o;
}

/* data[off..off+len) becomes rep[0..rn); false when it would not fit. */
static bool jm_splice(uint8_t *data, size_t *size, size_t max, size_t off,
                      size_t len, const uint8_t *rep, size_t rn)
{
    if (*size - len + rn > max)
        return false;
    memmove(data + off + rn, data + off + len, *size - off - len);
    memcpy(data + off, rep, rn);
    *size = *size - len + rn;
    return true;
}

/* One structure-keeping mutation of data; false when none applied. */
static bool jm_mutate(uint8_t *data, size_t *size, size_t max)
{
    static jm_tok tok[JM_TOKENS];
    static uint8_t buf[1024];
    size_t nt = jm_scan(data, *size, tok);
    if (nt == 0)
        return false;
    const jm_tok *t = &tok[jm_below((uint32_t)nt)];
    switch (jm_below(5)) {
    case 0: /* a value token becomes a special value */
        if (t->kind == 'k' || t->kind == 'o')
            return false;
        {
            /* Mostly a value of the same kind (a string for a string), so
             * that the element often stays valid and its account is
             * checked; sometimes any, for the readers' type errors. */
            size_t nv = sizeof jm_values / sizeof *jm_values;
            const char *v = jm_values[jm_below((uint32_t)nv)];
            for (int k = 0;
                 k < 8 && jm_below(4) != 0 && (v[0] == '"') != (t->kind == 's');
                 k++)
                v = jm_values[jm_below((uint32_t)nv)];
            return jm_splice(data, size, max, t->off, t->len,
                             (const uint8_t *)v, strlen(v));
        }
    case 1: /* a member name becomes another field name */
        if (t->kind != 'k')
            return false;
        {
            const char *nm = jm_names[jm_below(
                (uint32_t)(sizeof jm_names / sizeof *jm_names))];
            size_t l = strlen(nm);
            buf[0] = '"';
            memcpy(buf + 1, nm, l);
            buf[l + 1] = '"';
            return jm_splice(data, size, max, t->off, t->len, buf, l + 2);
        }
    case 2: { /* a value token becomes another value token of the input */
        const jm_tok *u = &tok[jm_below((uint32_t)nt)];
        if (t->kind == 'k' || u->kind == 'k' || t->kind == 'o' ||
            u->len > sizeof buf)
            return false;
        memcpy(buf, data + u->off, u->len);
        return jm_splice(data, size, max, t->off, t->len, buf, u->len);
    }
    case 3: { /* a string's bytes mutated, escaped again */
        if (t->kind != 's' || t->len < 2 || t->len - 2 > 200)
            return false;
        uint8_t raw[256];
        size_t rn = t->len - 2;
        memcpy(raw, data + t->off + 1, rn);
        rn = LLVMFuzzerMutate(raw, rn, sizeof raw);
        buf[0] = '"';
        size_t o = 1 + jm_escape(raw, rn, buf + 1, sizeof buf - 2);
        buf[o++] = '"';
        return jm_splice(data, size, max, t->off, t->len, buf, o);
    }
    default: /* an array element object copied after itself */
        if (t->kind != 'o' || *size + t->len + 1 > max)
            return false;
        {
            size_t at = t->off + t->len;
            memmove(data + at + 1 + t->len, data + at, *size - at);
            data[at] = ',';
            memcpy(data + at + 1, data + t->off, t->len);
            *size += t->len + 1;
            return true;
        }
    }
}

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size,
                               unsigned int seed);

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size,
                               unsigned int seed)
{
    jm_state = (uint64_t)seed * 0x9E3779B97F4A7C15ull + 1;
    if (jm_below(2) == 0) {
        for (int tries = 0; tries < 8; tries++)
            if (jm_mutate(data, &size, max_size))
                return size;
    }
    return LLVMFuzzerMutate(data, size, max_size);
}

#endif /* HC_FUZZ_LIBFUZZER */
#endif /* HC_FUZZ_JSON_MUTATE_H */
