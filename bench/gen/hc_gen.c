/*
 * hc_gen writes synthetic but realistic GitHub Enterprise account data in
 * every input format headcount reads, together with the counts that the
 * data must produce (expected.json). It models people, not rows: each person
 * owns a few canonical keys (normalized email addresses), and every email on
 * every account is rendered as a variant that norm_v1 maps back to its key
 * (letter case, surrounding whitespace, decomposed accents, Unicode or
 * punycode domains, a trailing dot). Because the generator knows which
 * accounts belong to which person and which key each email stands for, it
 * derives the expected seats from its own construction, person by person,
 * and never from the engine under test. Every person is a pure function of
 * (seed, index) through splitmix64, so each output file streams in bounded
 * memory and any size is reproducible. It needs nothing but the C library.
 *
 * Usage: hc_gen --people N --seed S --hosts H --out DIR
 *               [--profile realistic|bench] [--lines N]
 *               [--formats records,ghes-csv,ghes-json,ghec-json,ghec-csv]
 * See docs/benchmarks.md ("Generator") for the data model.
 */
#ifndef _GNU_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#define MAX_HOSTS 100
#define MAX_GHES 9 /* GHES accounts per person (at most one per host) */
#define MAX_GHEC 2 /* GHEC accounts per person */
#define PAGE_USERS 100
#define FLUSH_AT ((size_t)1 << 20)
#define TEXT_MAX 384
#define FIRST_ID 3 /* GHES user ids 1 and 2 are ghost and scim-admin */

/* ---- errors ------------------------------------------------------------ */

static void die(const char *what, const char *detail)
{
    fprintf(stderr, "hc_gen: %s%s%s\n", what, detail ? ": " : "",
            detail ? detail : "");
    exit(1);
}

/* ---- random numbers: splitmix64 ----------------------------------------- */

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xBF58476D1CE4E5B9u;
    x ^= x >> 27;
    x *= 0x94D049BB133111EBu;
    return x ^ (x >> 31);
}

typedef struct rng {
    uint64_t s;
} rng;

/* One independent stream per (seed, person or host, purpose). */
static void rng_seed(rng *r, uint64_t seed, uint64_t stream, uint64_t salt)
{
    r->s = mix64(seed ^ mix64(stream * 0x9E3779B97F4A7C15u + salt));
}

static uint64_t rng_next(rng *r)
{
    r->s += 0x9E3779B97F4A7C15u;
    return mix64(r->s);
}

static unsigned rng_below(rng *r, unsigned n)
{
    return (unsigned)(((rng_next(r) >> 32) * (uint64_t)n) >> 32);
}

/* True with probability per_mille / 1000. */
static bool rng_pm(rng *r, unsigned per_mille)
{
    return rng_below(r, 1000) < per_mille;
}

enum {
    SALT_PERSON = 1,
    SALT_RECORDS = 16,
    SALT_GHEC_RECORDS,
    SALT_GHES_CSV,
    SALT_GHES_JSON,
    SALT_GHEC_JSON,
    SALT_GHEC_CSV,
    SALT_HOST,
};

/* ---- names, domains, accents --------------------------------------------- */

/* A name in lowercase NFC UTF-8 and its ASCII transliteration (logins). */
typedef struct name_def {
    const char *utf8;
    const char *ascii;
} name_def;

/* ASCII names first: the bench profile draws only from them. */
static const name_def first_names[] = {
    {"anna", "anna"},
    {"ben", "ben"},
    {"carlos", "carlos"},
    {"david", "david"},
    {"emma", "emma"},
    {"fatima", "fatima"},
    {"george", "george"},
    {"hana", "hana"},
    {"ivan", "ivan"},
    {"julia", "julia"},
    {"kevin", "kevin"},
    {"laura", "laura"},
    {"mohammed", "mohammed"},
    {"nina", "nina"},
    {"oliver", "oliver"},
    {"priya", "priya"},
    {"quinn", "quinn"},
    {"rosa", "rosa"},
    {"sam", "sam"},
    {"tom", "tom"},
    {"uma", "uma"},
    {"victor", "victor"},
    {"wei", "wei"},
    {"xavier", "xavier"},
    {"yuki", "yuki"},
    {"zara", "zara"},
    {"alex", "alex"},
    {"maria", "maria"},
    {"peter", "peter"},
    {"sofia", "sofia"},
    {"jos\xc3\xa9", "jose"},
    {"zo\xc3\xab", "zoe"},
    {"ren\xc3\xa9\x65", "renee"},
    {"andr\xc3\xa9", "andre"},
    {"fran\xc3\xa7ois", "francois"},
    {"bj\xc3\xb6rn", "bjorn"},
    {"j\xc3\xbcrgen", "jurgen"},
    {"s\xc3\xb8ren", "soren"},
    {"in\xc3\xa9s", "ines"},
    {"no\xc3\xabl", "noel"},
    {"chlo\xc3\xa9", "chloe"},
    {"\xc3\xa1ngel", "angel"},
    {"\xc3\xad\xc3\xb1igo", "inigo"},
    {"\xc3\xa5sa", "asa"},
    {"ram\xc3\xb3n", "ramon"},
};
#define N_FIRST (sizeof first_names / sizeof first_names[0])
#define N_FIRST_ASCII 30u

static const name_def last_names[] = {
    {"smith", "smith"},
    {"jones", "jones"},
    {"nguyen", "nguyen"},
    {"kim", "kim"},
    {"patel", "patel"},
    {"brown", "brown"},
    {"rossi", "rossi"},
    {"dubois", "dubois"},
    {"silva", "silva"},
    {"cohen", "cohen"},
    {"novak", "novak"},
    {"johansson", "johansson"},
    {"wang", "wang"},
    {"okafor", "okafor"},
    {"larsen", "larsen"},
    {"taylor", "taylor"},
    {"schmidt", "schmidt"},
    {"ivanova", "ivanova"},
    {"tanaka", "tanaka"},
    {"murphy", "murphy"},
    {"garc\xc3\xad"
     "a",
     "garcia"},
    {"m\xc3\xbcller", "muller"},
    {"dvo\xc5\x99\xc3\xa1k", "dvorak"},
    {"n\xc3\xba\xc3\xb1\x65z", "nunez"},
    {"\xc3\xb6zt\xc3\xbcrk", "ozturk"},
    {"pe\xc3\xb1\x61", "pena"},
    {"lef\xc3\xa8vre", "lefevre"},
    {"\xc3\xa5str\xc3\xb6m", "astrom"},
    {"g\xc3\xb3mez", "gomez"},
    {"h\xc3\xa4kkinen", "hakkinen"},
};
#define N_LAST (sizeof last_names / sizeof last_names[0])
#define N_LAST_ASCII 20u

/*
 * Every non-ASCII letter the names use: its lowercase and uppercase
 * precomposed (NFC) forms and its canonical decomposition (NFD) as base
 * letter plus combining mark. Unicode lowercase of the uppercase form, and
 * NFC of the decomposition, give back the lowercase form: that is what lets
 * the generator know the key of every variant it prints.
 */
typedef struct accent_def {
    const char *lo, *up; /* 2-byte UTF-8 each */
    char base_lo, base_up;
    const char *mark; /* combining mark, or NULL: no decomposition */
} accent_def;

static const accent_def accents[] = {
    {"\xc3\xa9", "\xc3\x89", 'e', 'E', "\xcc\x81"}, /* e acute */
    {"\xc3\xa8", "\xc3\x88", 'e', 'E', "\xcc\x80"}, /* e grave */
    {"\xc3\xab", "\xc3\x8b", 'e', 'E', "\xcc\x88"}, /* e diaeresis */
    {"\xc3\xbc", "\xc3\x9c", 'u', 'U', "\xcc\x88"}, /* u diaeresis */
    {"\xc3\xb6", "\xc3\x96", 'o', 'O', "\xcc\x88"}, /* o diaeresis */
    {"\xc3\xa4", "\xc3\x84", 'a', 'A', "\xcc\x88"}, /* a diaeresis */
    {"\xc3\xa7", "\xc3\x87", 'c', 'C', "\xcc\xa7"}, /* c cedilla */
    {"\xc3\xb1", "\xc3\x91", 'n', 'N', "\xcc\x83"}, /* n tilde */
    {"\xc3\xa1", "\xc3\x81", 'a', 'A', "\xcc\x81"}, /* a acute */
    {"\xc3\xad", "\xc3\x8d", 'i', 'I', "\xcc\x81"}, /* i acute */
    {"\xc3\xb3", "\xc3\x93", 'o', 'O', "\xcc\x81"}, /* o acute */
    {"\xc3\xba", "\xc3\x9a", 'u', 'U', "\xcc\x81"}, /* u acute */
    {"\xc3\xa5", "\xc3\x85", 'a', 'A', "\xcc\x8a"}, /* a ring */
    {"\xc3\xb8", "\xc3\x98", 0, 0, NULL},           /* o stroke */
    {"\xc5\x99", "\xc5\x98", 'r', 'R', "\xcc\x8c"}, /* r caron */
};
#define N_ACCENTS (sizeof accents / sizeof accents[0])

static const accent_def *accent_find(const char *p)
{
    for (size_t i = 0; i < N_ACCENTS; i++)
        if (p[0] == accents[i].lo[0] && p[1] == accents[i].lo[1])
            return &accents[i];
    die("internal error", "a name holds a letter missing from accents[]");
    return NULL;
}

enum { DOM_CORP, DOM_EU, DOM_US, DOM_IDN, DOM_MAIL, N_DOMS };

/* Canonical (A-label, lowercase) domain and, for an IDN, its U-label. */
static const struct {
    const char *alabel;
    const char *ulabel;
} domains[N_DOMS] = {
    {"corp.example", NULL},
    {"eu.corp.example", NULL},
    {"us.corp.example", NULL},
    {"xn--bcher-kva.example", "b\xc3\xbc"
                              "cher.example"},
    {"mail.example", NULL},
};

/* ---- the person model ---------------------------------------------------- */

/*
 * The keys a person may own. Keys of different persons never collide: each
 * local part carries the person's index. KT differs from KC only by a
 * "+ghe" tag, which norm_v1 keeps (no +tag stripping): a distinct key.
 */
enum { KC, KA, KP, KT, NK };        /* corporate, alias, personal, tagged */
enum { PR_INVALID = NK, PR_EMPTY }; /* primary emails that give no key */
#define BIT(k) (1u << (k))

typedef struct key_text {
    char local[96];
    size_t n;
    unsigned dom;
} key_text;

typedef struct ghes_acct {
    unsigned host;
    unsigned primary; /* KC..KT, PR_INVALID or PR_EMPTY */
    unsigned shape;   /* which malformed text, for PR_INVALID / PR_EMPTY */
    unsigned sec;     /* keys of the account's other emails (bit mask) */
    bool suspended;
    bool dup; /* the row appears twice (pagination overlap) */
} ghes_acct;

typedef struct ghec_acct {
    bool name_id;      /* SAML NameID = a variant of KC */
    unsigned verified; /* keys of the verified domain emails (bit mask) */
    bool dup;
} ghec_acct;

typedef struct person {
    uint64_t index;
    const name_def *first, *last;
    unsigned dom;
    unsigned has; /* keys this person owns (bit mask) */
    unsigned n_ghes, n_ghec;
    ghes_acct ghes[MAX_GHES];
    ghec_acct ghec[MAX_GHEC];
    key_text keys[NK];
    bool keys_built;
} person;

typedef enum profile { PROFILE_REALISTIC, PROFILE_BENCH } profile;

enum {
    FMT_RECORDS = 1,
    FMT_GHES_CSV = 2,
    FMT_GHES_JSON = 4,
    FMT_GHEC_JSON = 8,
    FMT_GHEC_CSV = 16,
    FMT_ALL = 31,
};

typedef struct config {
    uint64_t people, seed, lines;
    unsigned hosts;
    profile prof;
    unsigned formats;
    const char *out;
    char host[MAX_HOSTS][32];
} config;

/* Draws k distinct hosts out of n (k <= n <= MAX_HOSTS). */
static void pick_hosts(rng *r, unsigned n, unsigned k, unsigned *out)
{
    if (2 * k > n) {
        /* Dense: a partial Fisher-Yates shuffle. */
        unsigned all[MAX_HOSTS];
        for (unsigned h = 0; h < n; h++)
            all[h] = h;
        for (unsigned j = 0; j < k; j++) {
            unsigned x = j + rng_below(r, n - j), tmp = all[x];
            all[x] = all[j];
            all[j] = out[j] = tmp;
        }
        return;
    }
    /* Sparse: rejection, expected fewer than two draws per host. */
    for (unsigned j = 0; j < k; j++) {
        unsigned h;
        bool taken;
        do {
            h = rng_below(r, n);
            taken = false;
            for (unsigned x = 0; x < j; x++)
                taken = taken || out[x] == h;
        } while (taken);
        out[j] = h;
    }
}

static void bench_make(const config *cfg, rng *r, person *p)
{
    p->first = &first_names[rng_below(r, N_FIRST_ASCII)];
    p->last = &last_names[rng_below(r, N_LAST_ASCII)];
    unsigned d = rng_below(r, 1000);
    p->dom = d < 120 ? DOM_EU : d < 200 ? DOM_US : DOM_CORP;
    p->has = BIT(KC) | BIT(KA);
    unsigned k = 1 + rng_below(r, 9);
    if (k > cfg->hosts)
        k = cfg->hosts;
    unsigned hosts[MAX_GHES];
    pick_hosts(r, cfg->hosts, k, hosts);
    for (unsigned j = 0; j < k; j++) {
        ghes_acct *a = &p->ghes[j];
        a->host = hosts[j];
        a->primary = KC;
        a->shape = 0;
        a->sec = BIT(KC) | (rng_pm(r, 300) ? BIT(KA) : 0);
        a->suspended = rng_pm(r, 70);
        a->dup = false;
    }
    p->n_ghes = k;
}

static void realistic_make(const config *cfg, rng *r, person *p)
{
    p->first = &first_names[rng_below(r, N_FIRST)];
    p->last = &last_names[rng_below(r, N_LAST)];
    unsigned d = rng_below(r, 1000);
    p->dom = d < 80    ? DOM_MAIL
             : d < 180 ? DOM_IDN
             : d < 280 ? DOM_EU
             : d < 330 ? DOM_US
                       : DOM_CORP;
    bool contractor = p->dom == DOM_MAIL; /* only a personal address */
    p->has = BIT(KC) | BIT(KT);
    if (!contractor)
        p->has |= BIT(KA) | BIT(KP);

    if (rng_pm(r, contractor ? 300 : 620)) {
        p->n_ghec = rng_pm(r, 50) ? 2 : 1;
        ghec_acct *g = &p->ghec[0];
        g->name_id = rng_pm(r, 900);
        g->verified = rng_pm(r, 850) ? BIT(KC) : 0;
        if ((p->has & BIT(KA)) && rng_pm(r, 300))
            g->verified |= BIT(KA);
        g->dup = rng_pm(r, 15);
        if (p->n_ghec == 2) {
            /* A second (e.g. personal) GitHub account with the same
             * verified corporate email: two seats, one real person. */
            p->ghec[1].name_id = false;
            p->ghec[1].verified = BIT(KC);
            p->ghec[1].dup = rng_pm(r, 15);
        }
    }

    unsigned x = rng_below(r, 1000), k;
    if (p->n_ghec)
        k = x < 250 ? 0 : x < 650 ? 1 : x < 900 ? 2 : 3;
    else
        k = x < 550 ? 1 : x < 850 ? 2 : 3;
    if (k > cfg->hosts)
        k = cfg->hosts;
    unsigned hosts[MAX_GHES];
    pick_hosts(r, cfg->hosts, k, hosts);
    for (unsigned j = 0; j < k; j++) {
        ghes_acct *a = &p->ghes[j];
        a->host = hosts[j];
        a->shape = 0;
        unsigned y = rng_below(r, 1000);
        if (y < 35) {
            a->primary = PR_INVALID;
            a->shape = rng_below(r, 5);
        } else if (y < 70) {
            a->primary = PR_EMPTY;
            a->shape = rng_below(r, 2);
        } else if (y < 90) {
            a->primary = KT;
        } else if (y < 150 && (p->has & BIT(KP))) {
            a->primary = KP;
        } else if (y < 200 && (p->has & BIT(KA))) {
            a->primary = KA;
        } else {
            a->primary = KC;
        }
        a->sec = 0;
        unsigned pc = a->primary == KP ? 700 : a->primary >= NK ? 500 : 300;
        if (a->primary != KC && rng_pm(r, pc))
            a->sec |= BIT(KC);
        if ((p->has & BIT(KA)) && a->primary != KA && rng_pm(r, 150))
            a->sec |= BIT(KA);
        if ((p->has & BIT(KP)) && a->primary != KP && rng_pm(r, 100))
            a->sec |= BIT(KP);
        a->suspended = rng_pm(r, 70);
        a->dup = rng_pm(r, 15);
    }
    p->n_ghes = k;
    if (p->n_ghes == 0 && p->n_ghec == 0)
        die("internal error", "a person without accounts");
}

/* Builds person number i of the population (a pure function of seed, i). */
static void person_make(const config *cfg, uint64_t i, person *p)
{
    rng r;
    rng_seed(&r, cfg->seed, i, SALT_PERSON);
    p->index = i;
    p->keys_built = false;
    p->n_ghec = 0;
    if (cfg->prof == PROFILE_BENCH)
        bench_make(cfg, &r, p);
    else
        realistic_make(cfg, &r, p);
}

static size_t dec(char *out, uint64_t v)
{
    char tmp[24];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (size_t i = 0; i < n; i++)
        out[i] = tmp[n - 1 - i];
    return n;
}

static void key_set(key_text *k, unsigned dom, const char *a, const char *b,
                    const char *c, uint64_t num, const char *suffix)
{
    size_t la = strlen(a), lb = strlen(b), lc = strlen(c);
    memcpy(k->local, a, la);
    memcpy(k->local + la, b, lb);
    memcpy(k->local + la + lb, c, lc);
    k->n = la + lb + lc;
    k->n += dec(k->local + k->n, num);
    size_t ls = strlen(suffix);
    memcpy(k->local + k->n, suffix, ls);
    k->n += ls;
    k->dom = dom;
}

/* Fills the canonical keys (lowercase NFC local part, A-label domain). */
static void person_keys(person *p)
{
    if (p->keys_built)
        return;
    const char *f = p->first->utf8, *l = p->last->utf8;
    uint64_t n = p->index;
    key_set(&p->keys[KC], p->dom, f, ".", l, n, "");
    /* Alias: the first letter (one UTF-8 sequence) and the last name. */
    char initial[4] = {f[0], 0, 0, 0};
    if ((unsigned char)f[0] >= 0x80)
        initial[1] = f[1];
    key_set(&p->keys[KA], p->dom, initial, "", l, n, "");
    key_set(&p->keys[KP], DOM_MAIL, f, ".", l, n, "");
    key_set(&p->keys[KT], p->dom, f, ".", l, n, "+ghe");
    p->keys_built = true;
}

/* ---- the expected counts, from the construction -------------------------- */

typedef struct tally {
    uint64_t github, extended, extended_primary;
    uint64_t novd, novd_primary; /* see person_novd */
    uint64_t ghes_eligible, ghes_matched, ghec, keyless, suspended;
    uint64_t ghes_rows, ghec_rows;
} tally;

static unsigned uf_find(unsigned *parent, unsigned x)
{
    while (parent[x] != x)
        x = parent[x] = parent[parent[x]];
    return x;
}

static void uf_union(unsigned *parent, unsigned a, unsigned b)
{
    a = uf_find(parent, a);
    b = uf_find(parent, b);
    if (a != b)
        parent[a] = b;
}

static unsigned ghec_keys(const ghec_acct *g)
{
    return (g->name_id ? BIT(KC) : 0) | g->verified;
}

static unsigned ghec_keys_all(const person *p)
{
    unsigned m = 0;
    for (unsigned x = 0; x < p->n_ghec; x++)
        m |= ghec_keys(&p->ghec[x]);
    return m;
}

/*
 * Persons under policy extended that this person's eligible accounts form:
 * accounts are joined by the abstract keys they hold (the person's keys are
 * nobody else's, so components never cross persons). with_secondary says
 * whether the input carries GHES secondary emails (the CSV report does not).
 */
static unsigned extended_persons(const person *p, bool with_secondary)
{
    unsigned parent[MAX_GHEC + MAX_GHES + NK];
    unsigned kbase = MAX_GHEC + MAX_GHES;
    for (unsigned x = 0; x < kbase + NK; x++)
        parent[x] = x;
    for (unsigned x = 0; x < p->n_ghec; x++)
        for (unsigned k = 0; k < NK; k++)
            if (ghec_keys(&p->ghec[x]) & BIT(k))
                uf_union(parent, x, kbase + k);
    for (unsigned j = 0; j < p->n_ghes; j++) {
        const ghes_acct *a = &p->ghes[j];
        if (a->suspended)
            continue;
        unsigned m = with_secondary ? a->sec : 0;
        if (a->primary < NK)
            m |= BIT(a->primary);
        for (unsigned k = 0; k < NK; k++)
            if (m & BIT(k))
                uf_union(parent, MAX_GHEC + j, kbase + k);
    }
    bool root[MAX_GHEC + MAX_GHES + NK] = {false};
    unsigned n = 0;
    for (unsigned x = 0; x < p->n_ghec; x++)
        root[uf_find(parent, x)] = true;
    for (unsigned j = 0; j < p->n_ghes; j++)
        if (!p->ghes[j].suspended)
            root[uf_find(parent, MAX_GHEC + j)] = true;
    for (unsigned x = 0; x < kbase + NK; x++)
        n += root[x];
    return n;
}

/*
 * Persons under policy github with no email on a verified domain, for the
 * list "corp.example, *.corp.example" the end-to-end tests pass: a person's
 * keys other than KP are on its own domain, KP on mail.example. A GHEC
 * person is verified when its account has a key; a GHES account it
 * matches adds keys on the same domain, so it changes nothing. GHES
 * persons are the unmatched primary keys and the keyless accounts; with_sec
 * counts the accounts' other emails (records and JSON exports carry them,
 * the CSV report does not).
 */
static uint64_t person_novd(const person *p, bool with_sec)
{
    bool dv = p->dom == DOM_CORP || p->dom == DOM_EU || p->dom == DOM_US;
    unsigned gk = ghec_keys_all(p), unmatched = 0, group_vd = 0;
    uint64_t n = 0;
    for (unsigned x = 0; x < p->n_ghec; x++)
        n += !(dv && ghec_keys(&p->ghec[x]));
    for (unsigned j = 0; j < p->n_ghes; j++) {
        const ghes_acct *a = &p->ghes[j];
        if (a->suspended)
            continue;
        unsigned keys =
            (a->primary < NK ? BIT(a->primary) : 0) | (with_sec ? a->sec : 0);
        bool vd = dv && (keys & ~BIT(KP));
        if (a->primary >= NK) {
            n += !vd;
        } else if (!(gk & BIT(a->primary))) {
            unmatched |= BIT(a->primary);
            if (vd)
                group_vd |= BIT(a->primary);
        }
    }
    for (unsigned k = 0; k < NK; k++)
        n += (unmatched & ~group_vd) >> k & 1;
    return n;
}

/*
 * Seats under policy github: every licensed GHEC account; every eligible
 * GHES account whose primary key some GHEC account of the person holds (as
 * NameID or verified email) is matched and adds nothing; the others group
 * by primary key, one seat per key; keyless ones are a seat each.
 */
static void person_tally(const person *p, tally *t)
{
    unsigned gk = ghec_keys_all(p), unmatched = 0;
    t->ghec += p->n_ghec;
    t->github += p->n_ghec;
    for (unsigned j = 0; j < p->n_ghes; j++) {
        const ghes_acct *a = &p->ghes[j];
        t->ghes_rows += a->dup ? 2 : 1;
        if (a->suspended) {
            t->suspended++;
            continue;
        }
        t->ghes_eligible++;
        if (a->primary >= NK) {
            t->keyless++;
            t->github++;
        } else if (gk & BIT(a->primary)) {
            t->ghes_matched++;
        } else {
            unmatched |= BIT(a->primary);
        }
    }
    for (unsigned k = 0; k < NK; k++)
        t->github += (unmatched >> k) & 1;
    for (unsigned x = 0; x < p->n_ghec; x++)
        t->ghec_rows += p->ghec[x].dup ? 2 : 1;
    t->extended += extended_persons(p, true);
    t->extended_primary += extended_persons(p, false);
    t->novd += person_novd(p, true);
    t->novd_primary += person_novd(p, false);
}

/* ---- text rendering ------------------------------------------------------ */

typedef struct text {
    char s[TEXT_MAX];
    size_t n;
} text;

static void t_mem(text *t, const char *p, size_t n)
{
    if (t->n + n > TEXT_MAX)
        die("internal error", "text buffer overflow");
    memcpy(t->s + t->n, p, n);
    t->n += n;
}

static void t_str(text *t, const char *s)
{
    t_mem(t, s, strlen(s));
}

static inline void t_ch(text *t, char c)
{
    if (t->n == TEXT_MAX)
        die("internal error", "text buffer overflow");
    t->s[t->n++] = c;
}

static void t_dec(text *t, uint64_t v)
{
    char b[24];
    t_mem(t, b, dec(b, v));
}

enum { CASE_LOWER, CASE_UPPER, CASE_TITLE, CASE_RANDOM };

/*
 * Appends the lowercase NFC string s in a case variant, decomposing its
 * accented letters when nfd is set. Both transformations are undone by
 * norm_v1 (NFC, then lowercase; UTS #46 mapping for domains).
 */
static void put_cased(text *t, const char *s, size_t n, unsigned mode, bool nfd,
                      rng *r)
{
    bool word_start = true;
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        bool up = mode == CASE_UPPER || (mode == CASE_TITLE && word_start) ||
                  (mode == CASE_RANDOM && (rng_next(r) & 1));
        if (c < 0x80) {
            if (c >= 'a' && c <= 'z')
                t_ch(t, (char)(up ? c - 32 : c));
            else
                t_ch(t, (char)c);
            word_start = c == '.' || c == '-' || c == '+';
            i++;
            continue;
        }
        const accent_def *a = accent_find(s + i);
        if (nfd && a->mark) {
            t_ch(t, up ? a->base_up : a->base_lo);
            t_str(t, a->mark);
        } else {
            t_str(t, up ? a->up : a->lo);
        }
        word_start = false;
        i += 2;
    }
}

static unsigned pick4(rng *r, unsigned a, unsigned b, unsigned c)
{
    unsigned x = rng_below(r, 1000);
    return x < a ? 0 : x < a + b ? 1 : x < a + b + c ? 2 : 3;
}

static const char *const blanks[] = {"", " ", "  ", "\t", " \t "};

/*
 * Renders key k of p as one random variant that normalizes back to it. The
 * bench profile uses ASCII names, no IDN, and only spaces around the
 * address, so that lower(trim(x)) in other tools equals norm_v1 there.
 */
static void render_key(text *t, const config *cfg, person *p, unsigned k,
                       rng *r)
{
    static const unsigned lcase[4] = {CASE_LOWER, CASE_TITLE, CASE_UPPER,
                                      CASE_RANDOM};
    person_keys(p);
    const key_text *key = &p->keys[k];
    bool bench = cfg->prof == PROFILE_BENCH;
    unsigned cl =
        lcase[bench ? pick4(r, 600, 200, 100) : pick4(r, 550, 200, 100)];
    unsigned cd =
        lcase[bench ? pick4(r, 800, 100, 100) : pick4(r, 700, 100, 150)];
    unsigned lead = 0, trail = 0;
    if (rng_pm(r, bench ? 100 : 60))
        lead = bench ? 1 + rng_below(r, 2) : 1 + rng_below(r, 4);
    if (rng_pm(r, bench ? 100 : 60))
        trail = bench ? 1 + rng_below(r, 2) : 1 + rng_below(r, 4);
    bool nfd = !bench && rng_pm(r, 300);
    bool dot = !bench && rng_pm(r, 20);
    unsigned idn = rng_below(r, 3); /* U-label, U-label NFD, A-label */

    t->n = 0;
    t_str(t, blanks[lead]);
    put_cased(t, key->local, key->n, cl, nfd, r);
    t_ch(t, '@');
    const char *ul = domains[key->dom].ulabel;
    if (ul && idn != 2)
        put_cased(t, ul, strlen(ul), cd, idn == 1, r);
    else
        put_cased(t, domains[key->dom].alabel, strlen(domains[key->dom].alabel),
                  cd, false, r);
    if (dot)
        t_ch(t, '.');
    t_str(t, blanks[trail]);
}

/* Renders a primary email that yields no key under norm_v1. */
static void render_keyless(text *t, person *p, const ghes_acct *a, rng *r)
{
    person_keys(p);
    const key_text *kc = &p->keys[KC];
    const char *dom = domains[kc->dom].alabel;
    t->n = 0;
    if (a->primary == PR_EMPTY) {
        if (a->shape == 1)
            t_str(t, "  "); /* blank: empty once trimmed */
        return;
    }
    switch (a->shape) {
    case 0: t_str(t, "n/a"); break;
    case 1: put_cased(t, kc->local, kc->n, CASE_TITLE, false, r); break;
    case 2:
        put_cased(t, kc->local, kc->n, CASE_LOWER, false, r);
        t_ch(t, '@');
        break;
    case 3:
        t_ch(t, '@');
        t_str(t, dom);
        break;
    default: /* a space inside the local part */
        t_str(t, p->first->ascii);
        t_ch(t, ' ');
        t_str(t, p->last->ascii);
        t_dec(t, p->index);
        t_ch(t, '@');
        t_str(t, dom);
        break;
    }
}

static void render_primary(text *t, const config *cfg, person *p,
                           const ghes_acct *a, rng *r)
{
    if (a->primary < NK)
        render_key(t, cfg, p, a->primary, r);
    else
        render_keyless(t, p, a, r);
}

/* GHES login: "first-lastN" on even hosts, "flastN" on odd ones. */
static void render_ghes_login(text *t, const person *p, unsigned host)
{
    t->n = 0;
    if (host % 2 == 0) {
        t_str(t, p->first->ascii);
        t_ch(t, '-');
    } else {
        t_ch(t, p->first->ascii[0]);
    }
    t_str(t, p->last->ascii);
    t_dec(t, p->index);
}

/* GHEC logins: "first-lastN", and "firstlastN" for a second account. */
static void render_ghec_login(text *t, const person *p, unsigned x)
{
    t->n = 0;
    t_str(t, p->first->ascii);
    if (x == 0)
        t_ch(t, '-');
    t_str(t, p->last->ascii);
    t_dec(t, p->index);
}

static void render_name(text *t, const person *p, bool last_first)
{
    const char *a = last_first ? p->last->utf8 : p->first->utf8;
    const char *b = last_first ? p->first->utf8 : p->last->utf8;
    t->n = 0;
    put_cased(t, a, strlen(a), CASE_TITLE, false, NULL);
    t_str(t, last_first ? ", " : " ");
    put_cased(t, b, strlen(b), CASE_TITLE, false, NULL);
}

/* ---- buffered output ----------------------------------------------------- */

/*
 * One output file. Rows are built in a growable buffer that is written out
 * only between rows (out_row_end), so a row just written can be repeated
 * byte for byte from the buffer.
 */
typedef struct out {
    FILE *f;
    char path[4096];
    char *buf;
    size_t n, cap;
} out;

static void out_open(out *o, const config *cfg, const char *name,
                     const char *suffix)
{
    int k =
        snprintf(o->path, sizeof o->path, "%s/%s%s", cfg->out, name, suffix);
    if (k < 0 || (size_t)k >= sizeof o->path)
        die("output path too long", cfg->out);
    o->f = fopen(o->path, "wb");
    if (!o->f)
        die(o->path, strerror(errno));
    o->cap = 2 * FLUSH_AT;
    o->n = 0;
    o->buf = malloc(o->cap);
    if (!o->buf)
        die("out of memory", NULL);
}

static void out_flush(out *o)
{
    if (o->n && fwrite(o->buf, 1, o->n, o->f) != o->n)
        die(o->path, strerror(errno));
    o->n = 0;
}

static void out_reserve(out *o, size_t more)
{
    if (o->cap - o->n >= more)
        return;
    size_t cap = o->cap * 2 + more;
    char *b = realloc(o->buf, cap);
    if (!b)
        die("out of memory", NULL);
    o->buf = b;
    o->cap = cap;
}

static inline void out_mem(out *o, const void *p, size_t n)
{
    if (o->cap - o->n < n)
        out_reserve(o, n);
    memcpy(o->buf + o->n, p, n);
    o->n += n;
}

static void out_s(out *o, const char *s)
{
    out_mem(o, s, strlen(s));
}

static void out_ch(out *o, char c)
{
    if (o->n == o->cap)
        out_reserve(o, 1);
    o->buf[o->n++] = c;
}

static void out_u64(out *o, uint64_t v)
{
    char b[24];
    out_mem(o, b, dec(b, v));
}

/* Zero-padded decimal of a fixed width. */
static void out_pad(out *o, unsigned v, unsigned width)
{
    char b[8];
    for (unsigned i = width; i-- > 0; v /= 10)
        b[i] = (char)('0' + v % 10);
    out_mem(o, b, width);
}

static void out_bool(out *o, bool b)
{
    out_s(o, b ? "true" : "false");
}

/* Appends a copy of the bytes written since mark (no flush in between). */
static void out_repeat(out *o, size_t mark)
{
    size_t len = o->n - mark;
    out_reserve(o, len);
    memcpy(o->buf + o->n, o->buf + mark, len);
    o->n += len;
}

static void out_row_end(out *o)
{
    if (o->n >= FLUSH_AT)
        out_flush(o);
}

static void out_close(out *o)
{
    out_flush(o);
    if (fclose(o->f) != 0)
        die(o->path, strerror(errno));
    free(o->buf);
    o->buf = NULL;
}

/* A JSON string; non-ASCII as raw UTF-8 or, with uesc, \u escapes. */
static void out_json_str(out *o, const char *s, size_t n, bool uesc)
{
    static const char hex[] = "0123456789abcdef";
    out_reserve(o, 6 * n + 2);
    char *d = o->buf + o->n;
    *d++ = '"';
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\' && (c < 0x80 || !uesc)) {
            *d++ = (char)c;
        } else if (c == '"' || c == '\\') {
            *d++ = '\\';
            *d++ = (char)c;
        } else if (c == '\t' || c == '\n') {
            *d++ = '\\';
            *d++ = c == '\t' ? 't' : 'n';
        } else {
            /* A control, or a 2-byte sequence (the only non-ASCII ones
             * the names hold) as \uXXXX. */
            unsigned cp = c;
            if (c >= 0x80)
                cp = (unsigned)(c & 0x1F) << 6 | ((unsigned char)s[++i] & 0x3F);
            char e[6] = {'\\',
                         'u',
                         hex[cp >> 12],
                         hex[(cp >> 8) & 15],
                         hex[(cp >> 4) & 15],
                         hex[cp & 15]};
            memcpy(d, e, 6);
            d += 6;
        }
    }
    *d++ = '"';
    o->n = (size_t)(d - o->buf);
}

static void out_json_text(out *o, const text *t, bool uesc)
{
    out_json_str(o, t->s, t->n, uesc);
}

static void out_json_cstr(out *o, const char *s)
{
    out_json_str(o, s, strlen(s), false);
}

/* An RFC 4180 field: quoted when it must be, or when force is set. */
static void out_csv(out *o, const char *s, size_t n, bool force)
{
    bool q = force || (n && (s[0] == ' ' || s[0] == '\t' || s[n - 1] == ' ' ||
                             s[n - 1] == '\t'));
    for (size_t i = 0; i < n && !q; i++)
        q = s[i] == ',' || s[i] == '"' || s[i] == '\r' || s[i] == '\n';
    if (!q) {
        out_mem(o, s, n);
        return;
    }
    out_ch(o, '"');
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"')
            out_ch(o, '"');
        out_ch(o, s[i]);
    }
    out_ch(o, '"');
}

static void out_csv_text(out *o, const text *t, bool force)
{
    out_csv(o, t->s, t->n, force);
}

/* ---- GHES accounts ------------------------------------------------------- */

/* A GHES account rendered once, so that every format can print it. */
typedef struct ghes_view {
    text login, primary;
    text emails[NK + 1];
    unsigned n_emails;
    uint64_t id;
} ghes_view;

static void ghes_view_make(ghes_view *v, const config *cfg, person *p,
                           const ghes_acct *a, bool primary_in_emails, rng *r)
{
    v->id = FIRST_ID + p->index;
    render_ghes_login(&v->login, p, a->host);
    render_primary(&v->primary, cfg, p, a, r);
    v->n_emails = 0;
    if (primary_in_emails && a->primary < NK)
        render_key(&v->emails[v->n_emails++], cfg, p, a->primary, r);
    for (unsigned k = 0; k < NK; k++)
        if (a->sec & BIT(k))
            render_key(&v->emails[v->n_emails++], cfg, p, k, r);
}

/* The built-in accounts of host h: ghost everywhere, scim-admin on even
 * hosts. They never consume a seat. */
typedef struct system_acct {
    uint64_t id;
    const char *login;
    bool has_email;
} system_acct;

static unsigned system_accounts(unsigned h, system_acct sys[2])
{
    sys[0] = (system_acct){1, "ghost", false};
    if (h % 2 != 0)
        return 1;
    sys[1] = (system_acct){2, "scim-admin", true};
    return 2;
}

static void system_email(text *t, const config *cfg, unsigned h,
                         const system_acct *s)
{
    t->n = 0;
    if (!s->has_email)
        return;
    t_str(t, s->login);
    t_ch(t, '@');
    t_str(t, cfg->host[h]);
}

/* ---- records.ndjson ------------------------------------------------------ */

static void record_ghes(out *o, const config *cfg, unsigned h,
                        const ghes_view *v, const person *p, bool suspended,
                        rng *r)
{
    bool real = cfg->prof == PROFILE_REALISTIC;
    out_s(o, "{\"kind\":\"ghes\",\"source\":");
    out_json_cstr(o, cfg->host[h]);
    out_s(o, ",\"id\":");
    out_u64(o, v->id);
    out_s(o, ",\"login\":");
    out_json_text(o, &v->login, false);
    if (real && p && rng_pm(r, 150)) {
        /* Unknown fields are ignored by the reader. */
        text name;
        render_name(&name, p, false);
        out_s(o, ",\"name\":");
        out_json_text(o, &name, rng_pm(r, 300));
    }
    out_s(o, ",\"primary_email\":");
    out_json_text(o, &v->primary, real && rng_pm(r, 50));
    out_s(o, ",\"emails\":[");
    for (unsigned e = 0; e < v->n_emails; e++) {
        if (e)
            out_ch(o, ',');
        out_json_text(o, &v->emails[e], real && rng_pm(r, 50));
    }
    out_s(o, "],\"suspended\":");
    out_bool(o, suspended);
    out_s(o, "}\n");
}

static void record_ghec(out *o, const config *cfg, person *p, unsigned x,
                        rng *r)
{
    const ghec_acct *g = &p->ghec[x];
    text t;
    out_s(o, "{\"kind\":\"ghec\",\"source\":\"ghec\",\"login\":");
    render_ghec_login(&t, p, x);
    out_json_text(o, &t, false);
    out_s(o, ",\"verified_emails\":[");
    bool first = true;
    for (unsigned k = 0; k < NK; k++) {
        if (!(g->verified & BIT(k)))
            continue;
        if (!first)
            out_ch(o, ',');
        first = false;
        render_key(&t, cfg, p, k, r);
        out_json_text(o, &t, rng_pm(r, 50));
    }
    out_s(o, "],\"identity_values\":[");
    if (g->name_id) {
        render_key(&t, cfg, p, KC, r);
        out_json_text(o, &t, rng_pm(r, 50));
    }
    out_s(o, "],\"licensed\":true}\n");
}

/* ---- the bench profile -------------------------------------------------- */

/*
 * Bench: every account of a person carries the same primary key, so the
 * seats are the persons with at least one eligible account written (the
 * line limit may cut the last host short); one bit per person tracks it.
 */
static uint64_t gen_bench(const config *cfg, tally *t)
{
    person p;
    uint64_t people = cfg->people;
    if (cfg->lines) {
        uint64_t lines = 0;
        for (people = 0; lines < cfg->lines; people++) {
            person_make(cfg, people, &p);
            lines += p.n_ghes;
        }
    }
    uint8_t *seen = calloc(people / 8 + 1, 1);
    if (!seen)
        die("out of memory", NULL);
    uint64_t left = cfg->lines ? cfg->lines : UINT64_MAX;
    out o;
    out_open(&o, cfg, "records.ndjson", "");
    ghes_view v;
    for (unsigned h = 0; h < cfg->hosts && left; h++) {
        for (uint64_t i = 0; i < people && left; i++) {
            person_make(cfg, i, &p);
            for (unsigned j = 0; j < p.n_ghes && left; j++) {
                const ghes_acct *a = &p.ghes[j];
                if (a->host != h)
                    continue;
                rng r;
                rng_seed(&r, cfg->seed, i, SALT_RECORDS + 64 * (h + 1));
                ghes_view_make(&v, cfg, &p, a, false, &r);
                record_ghes(&o, cfg, h, &v, &p, a->suspended, &r);
                out_row_end(&o);
                left--;
                t->ghes_rows++;
                if (a->suspended) {
                    t->suspended++;
                } else {
                    t->ghes_eligible++;
                    seen[i / 8] |= (uint8_t)(1u << (i % 8));
                }
            }
        }
    }
    out_close(&o);
    for (uint64_t i = 0; i < people; i++)
        t->github += (seen[i / 8] >> (i % 8)) & 1;
    t->extended = t->extended_primary = t->github;
    free(seen);
    return people;
}

/* ---- realistic: GHES outputs --------------------------------------------- */

static void gen_records(const config *cfg)
{
    out o;
    out_open(&o, cfg, "records.ndjson", "");
    person p;
    ghes_view v;
    for (unsigned h = 0; h < cfg->hosts; h++) {
        system_acct sys[2];
        unsigned ns = system_accounts(h, sys);
        rng hr;
        rng_seed(&hr, cfg->seed, h, SALT_HOST);
        for (unsigned s = 0; s < ns; s++) {
            v.id = sys[s].id;
            v.login.n = 0;
            t_str(&v.login, sys[s].login);
            system_email(&v.primary, cfg, h, &sys[s]);
            v.n_emails = 0;
            record_ghes(&o, cfg, h, &v, NULL, false, &hr);
        }
        for (uint64_t i = 0; i < cfg->people; i++) {
            person_make(cfg, i, &p);
            for (unsigned j = 0; j < p.n_ghes; j++) {
                const ghes_acct *a = &p.ghes[j];
                if (a->host != h)
                    continue;
                rng r;
                rng_seed(&r, cfg->seed, i, SALT_RECORDS + 64 * (h + 1));
                ghes_view_make(&v, cfg, &p, a, rng_pm(&r, 300), &r);
                size_t mark = o.n;
                record_ghes(&o, cfg, h, &v, &p, a->suspended, &r);
                if (a->dup)
                    out_repeat(&o, mark);
                out_row_end(&o);
            }
        }
    }
    for (uint64_t i = 0; i < cfg->people; i++) {
        person_make(cfg, i, &p);
        rng r;
        rng_seed(&r, cfg->seed, i, SALT_GHEC_RECORDS);
        for (unsigned x = 0; x < p.n_ghec; x++) {
            size_t mark = o.n;
            record_ghec(&o, cfg, &p, x, &r);
            if (p.ghec[x].dup)
                out_repeat(&o, mark);
            out_row_end(&o);
        }
    }
    out_close(&o);
}

static void csv_ghes_row(out *o, const ghes_view *v, const person *p,
                         bool suspended, rng *r)
{
    /* created_at */
    out_s(o, "20");
    out_pad(o, 12 + rng_below(r, 13), 2);
    out_ch(o, '-');
    out_pad(o, 1 + rng_below(r, 12), 2);
    out_ch(o, '-');
    out_pad(o, 1 + rng_below(r, 28), 2);
    out_ch(o, ' ');
    out_pad(o, rng_below(r, 24), 2);
    out_ch(o, ':');
    out_pad(o, rng_below(r, 60), 2);
    out_ch(o, ':');
    out_pad(o, rng_below(r, 60), 2);
    out_s(o, " UTC,");
    out_u64(o, v->id);
    out_ch(o, ',');
    out_csv_text(o, &v->login, false);
    out_ch(o, ',');
    out_csv_text(o, &v->primary, rng_pm(r, 100));
    out_s(o, rng_pm(r, 20) ? ",admin," : ",user,");
    out_bool(o, suspended);
    out_s(o, ",10.");
    out_u64(o, rng_below(r, 256));
    out_ch(o, '.');
    out_u64(o, rng_below(r, 256));
    out_ch(o, '.');
    out_u64(o, 1 + rng_below(r, 254));
    out_ch(o, ',');
    out_u64(o, rng_below(r, 40)); /* repos */
    out_ch(o, ',');
    out_u64(o, rng_below(r, 4)); /* ssh_keys */
    out_ch(o, ',');
    out_u64(o, rng_below(r, 8)); /* org_memberships */
    out_ch(o, ',');
    bool dormant = rng_pm(r, 100);
    out_bool(o, dormant); /* dormant users still consume a seat */
    out_ch(o, ',');
    if (!dormant) {
        out_s(o, "2024-");
        out_pad(o, 1 + rng_below(r, 12), 2);
        out_ch(o, '-');
        out_pad(o, 1 + rng_below(r, 28), 2);
    }
    out_ch(o, ',');
    /* raw_login: a JSON blob, so quotes, commas and newlines */
    text raw = {.n = 0}, name;
    t_str(&raw, "{\"login\":\"");
    t_mem(&raw, v->login.s, v->login.n);
    t_str(&raw, rng_pm(r, 100) ? "\",\n\"name\":\"" : "\",\"name\":\"");
    if (p) {
        render_name(&name, p, true);
        t_mem(&raw, name.s, name.n);
    }
    t_str(&raw, "\",\"source\":\"ldap\"}");
    out_csv_text(o, &raw, false);
    out_ch(o, ',');
    out_bool(o, rng_pm(r, 800));
    out_s(o, "\r\n");
}

static const char ghes_csv_header[] =
    "created_at,id,login,email,role,suspended?,last_logged_ip,repos,"
    "ssh_keys,org_memberships,dormant?,last_active,raw_login,2fa_enabled?"
    "\r\n";

static void gen_ghes_csv(const config *cfg, unsigned h)
{
    out o;
    out_open(&o, cfg, cfg->host[h], ".all_users.csv");
    if (h % 2 == 1)
        out_s(&o, "\xef\xbb\xbf"); /* some exports start with a BOM */
    out_s(&o, ghes_csv_header);
    rng r;
    rng_seed(&r, cfg->seed, h, SALT_HOST);
    ghes_view v;
    system_acct sys[2];
    unsigned ns = system_accounts(h, sys);
    for (unsigned s = 0; s < ns; s++) {
        v.id = sys[s].id;
        v.login.n = 0;
        t_str(&v.login, sys[s].login);
        system_email(&v.primary, cfg, h, &sys[s]);
        csv_ghes_row(&o, &v, NULL, false, &r);
    }
    person p;
    for (uint64_t i = 0; i < cfg->people; i++) {
        person_make(cfg, i, &p);
        for (unsigned j = 0; j < p.n_ghes; j++) {
            const ghes_acct *a = &p.ghes[j];
            if (a->host != h)
                continue;
            rng_seed(&r, cfg->seed, i, SALT_GHES_CSV + 64 * (h + 1));
            ghes_view_make(&v, cfg, &p, a, false, &r);
            size_t mark = o.n;
            csv_ghes_row(&o, &v, &p, a->suspended, &r);
            if (a->dup)
                out_repeat(&o, mark);
            out_row_end(&o);
        }
    }
    out_close(&o);
}

static void json_ghes_user(out *o, const ghes_view *v, bool suspended, rng *r)
{
    out_s(o, "{\"id\":");
    out_u64(o, v->id);
    out_s(o, ",\"login\":");
    out_json_text(o, &v->login, false);
    out_s(o, ",\"primary_email\":");
    out_json_text(o, &v->primary, rng_pm(r, 50));
    out_s(o, ",\"emails\":[");
    for (unsigned e = 0; e < v->n_emails; e++) {
        if (e)
            out_ch(o, ',');
        out_json_text(o, &v->emails[e], rng_pm(r, 50));
    }
    out_s(o, "],\"suspended\":");
    out_bool(o, suspended);
    out_ch(o, '}');
}

static void gen_ghes_json(const config *cfg, unsigned h)
{
    out o;
    out_open(&o, cfg, cfg->host[h], ".json");
    rng r;
    rng_seed(&r, cfg->seed, h, SALT_HOST);
    /* Odd hosts nest the instance fields under "instance". */
    bool nested = h % 2 == 1;
    out_s(&o, nested ? "{\"instance\":{\"server_id\":\"" : "{\"server_id\":\"");
    static const char hex[] = "0123456789abcdef";
    for (unsigned i = 0; i < 32; i++) {
        if (i == 8 || i == 12 || i == 16 || i == 20)
            out_ch(&o, '-');
        out_ch(&o, hex[rng_below(&r, 16)]);
    }
    out_s(&o, "\",\"host_name\":");
    out_json_cstr(&o, cfg->host[h]);
    out_s(&o, ",\"version\":\"3.1");
    out_u64(&o, 1 + h % 5);
    out_s(&o, ".2\"");
    out_s(&o, nested ? "},\"users\":[\n" : ",\"users\":[\n");
    bool first = true;
    ghes_view v;
    system_acct sys[2];
    unsigned ns = system_accounts(h, sys);
    for (unsigned s = 0; s < ns; s++) {
        v.id = sys[s].id;
        v.login.n = 0;
        t_str(&v.login, sys[s].login);
        system_email(&v.primary, cfg, h, &sys[s]);
        v.n_emails = 0;
        if (!first)
            out_s(&o, ",\n");
        first = false;
        json_ghes_user(&o, &v, false, &r);
    }
    person p;
    for (uint64_t i = 0; i < cfg->people; i++) {
        person_make(cfg, i, &p);
        for (unsigned j = 0; j < p.n_ghes; j++) {
            const ghes_acct *a = &p.ghes[j];
            if (a->host != h)
                continue;
            rng_seed(&r, cfg->seed, i, SALT_GHES_JSON + 64 * (h + 1));
            ghes_view_make(&v, cfg, &p, a, rng_pm(&r, 500), &r);
            if (!first)
                out_s(&o, ",\n");
            first = false;
            size_t mark = o.n;
            json_ghes_user(&o, &v, a->suspended, &r);
            if (a->dup) {
                size_t end = o.n;
                out_s(&o, ",\n");
                out_reserve(&o, end - mark);
                memcpy(o.buf + o.n, o.buf + mark, end - mark);
                o.n += end - mark;
            }
            out_row_end(&o);
        }
    }
    out_s(&o, "\n]}\n");
    out_close(&o);
}

/* ---- realistic: GHEC consumed-licenses ---------------------------------- */

/*
 * The rows of the consumed-licenses report for one person, as GitHub would
 * list them after a license sync under its rules: one row per licensed
 * GHEC account (with the GHES accounts matched to it), one row per group
 * of unmatched GHES accounts sharing a primary key, one row per keyless
 * account. Rows without a GHEC account have github_com_user false; the
 * engine counts only the licensed ones as GHEC accounts.
 */
typedef struct ghec_row {
    int ghec; /* GHEC account index, or -1 */
    unsigned accts[MAX_GHES];
    unsigned n_accts; /* GHES accounts (indexes into person.ghes) */
} ghec_row;

static unsigned ghec_rows(const person *p, ghec_row rows[])
{
    unsigned n = 0;
    for (unsigned x = 0; x < p->n_ghec; x++)
        rows[n++] = (ghec_row){.ghec = (int)x, .n_accts = 0};
    unsigned first_of_key[NK];
    for (unsigned k = 0; k < NK; k++)
        first_of_key[k] = UINT32_MAX;
    for (unsigned j = 0; j < p->n_ghes; j++) {
        const ghes_acct *a = &p->ghes[j];
        if (a->suspended)
            continue;
        ghec_row *row = NULL;
        if (a->primary < NK) {
            /* Identity first, then the lowest login with the email
             * verified: account 0's login sorts first ('-' < letters). */
            for (unsigned x = 0; x < p->n_ghec && !row; x++)
                if (a->primary == KC && p->ghec[x].name_id)
                    row = &rows[x];
            for (unsigned x = 0; x < p->n_ghec && !row; x++)
                if (p->ghec[x].verified & BIT(a->primary))
                    row = &rows[x];
            if (!row) {
                if (first_of_key[a->primary] == UINT32_MAX) {
                    first_of_key[a->primary] = n;
                    rows[n++] = (ghec_row){.ghec = -1, .n_accts = 0};
                }
                row = &rows[first_of_key[a->primary]];
            }
        } else {
            rows[n++] = (ghec_row){.ghec = -1, .n_accts = 0};
            row = &rows[n - 1];
        }
        row->accts[row->n_accts++] = j;
    }
    return n;
}

/* The strings of one report row, rendered once for JSON and CSV alike. */
typedef struct row_view {
    bool licensed;
    text login, name;
    text ids[MAX_GHES];
    text es_emails[MAX_GHES];
    unsigned n_ids;
    text verified[NK];
    unsigned n_verified;
    text name_id;
    bool has_name_id;
    unsigned orgs; /* bit mask over org_names */
    bool owner, two_factor;
} row_view;

static const char *const org_names[] = {"acme", "acme-labs", "acme-oss"};

static void row_view_make(row_view *v, const config *cfg, person *p,
                          const ghec_row *row, rng *r)
{
    v->licensed = row->ghec >= 0;
    v->login.n = v->name.n = v->name_id.n = 0;
    v->n_verified = 0;
    v->has_name_id = false;
    if (v->licensed) {
        const ghec_acct *g = &p->ghec[row->ghec];
        render_ghec_login(&v->login, p, (unsigned)row->ghec);
        render_name(&v->name, p, false);
        for (unsigned k = 0; k < NK; k++)
            if (g->verified & BIT(k))
                render_key(&v->verified[v->n_verified++], cfg, p, k, r);
        if (g->name_id) {
            render_key(&v->name_id, cfg, p, KC, r);
            v->has_name_id = true;
        }
        v->orgs = 1 + rng_below(r, 7);
        v->owner = rng_pm(r, 30);
        v->two_factor = rng_pm(r, 900);
    }
    v->n_ids = row->n_accts;
    for (unsigned e = 0; e < row->n_accts; e++) {
        const ghes_acct *a = &p->ghes[row->accts[e]];
        text *id = &v->ids[e];
        id->n = 0;
        t_str(id, cfg->host[a->host]);
        t_ch(id, ':');
        t_dec(id, FIRST_ID + p->index);
        render_primary(&v->es_emails[e], cfg, p, a, r);
    }
}

static void json_text_array(out *o, const text *t, unsigned n, rng *r)
{
    out_ch(o, '[');
    for (unsigned i = 0; i < n; i++) {
        if (i)
            out_ch(o, ',');
        out_json_text(o, &t[i], r && rng_pm(r, 50));
    }
    out_ch(o, ']');
}

static void json_ghec_row(out *o, const row_view *v, rng *r)
{
    out_s(o, "{\"github_com_login\":");
    out_json_text(o, &v->login, false);
    out_s(o, ",\"github_com_name\":");
    if (v->licensed)
        out_json_text(o, &v->name, rng_pm(r, 100));
    else
        out_s(o, "null");
    out_s(o, ",\"enterprise_server_user_ids\":");
    json_text_array(o, v->ids, v->n_ids, NULL);
    out_s(o, ",\"github_com_user\":");
    out_bool(o, v->licensed);
    out_s(o, ",\"enterprise_server_user\":");
    out_bool(o, v->n_ids > 0);
    out_s(o, ",\"visual_studio_subscription_user\":false,"
             "\"license_type\":\"enterprise\",\"github_com_profile\":");
    if (v->licensed) {
        out_s(o, "\"https://github.com/");
        out_mem(o, v->login.s, v->login.n);
        out_ch(o, '"');
    } else {
        out_s(o, "null");
    }
    out_s(o, ",\"github_com_member_roles\":[");
    bool first = true;
    for (unsigned x = 0; x < 3; x++) {
        if (!v->licensed || !(v->orgs & BIT(x)))
            continue;
        if (!first)
            out_ch(o, ',');
        first = false;
        out_ch(o, '"');
        out_s(o, org_names[x]);
        out_s(o, v->owner && x == 0 ? ":Owner\"" : ":Member\"");
    }
    out_s(o, "],\"github_com_enterprise_roles\":");
    out_s(o, !v->licensed ? "[]" : v->owner ? "[\"owner\"]" : "[\"member\"]");
    out_s(o, ",\"github_com_verified_domain_emails\":");
    json_text_array(o, v->verified, v->n_verified, r);
    out_s(o, ",\"github_com_saml_name_id\":");
    if (v->has_name_id)
        out_json_text(o, &v->name_id, rng_pm(r, 50));
    else
        out_s(o, "null");
    out_s(o, ",\"github_com_orgs_with_pending_invites\":[],"
             "\"github_com_two_factor_auth\":");
    out_s(o, !v->licensed ? "null" : v->two_factor ? "true" : "false");
    out_s(o, ",\"enterprise_server_emails\":");
    json_text_array(o, v->es_emails, v->n_ids, r);
    out_s(o, ",\"visual_studio_license_status\":\"\","
             "\"visual_studio_subscription_email\":\"\","
             "\"total_user_accounts\":");
    out_u64(o, (v->licensed ? 1 : 0) + v->n_ids);
    out_ch(o, '}');
}

static void page_open(out *o, const tally *t)
{
    out_s(o, "{\"total_seats_consumed\":");
    out_u64(o, t->github);
    out_s(o, ",\"total_seats_purchased\":");
    out_u64(o, (t->github + 99) / 100 * 100 + 100);
    out_s(o, ",\"users\":[\n");
}

/*
 * consumed-licenses.json: the REST pages of 100 users, one after another.
 * Like a real paginated fetch while the list changes, a page sometimes
 * starts with the last user of the page before (pagination overlap).
 */
static void gen_ghec_json(const config *cfg, const tally *t)
{
    out o;
    out_open(&o, cfg, "consumed-licenses.json", "");
    rng pr;
    rng_seed(&pr, cfg->seed, 0, SALT_GHEC_JSON);
    char *last = NULL;
    size_t last_n = 0;
    unsigned in_page = 0;
    bool open = false;
    person p;
    ghec_row rows[MAX_GHEC + MAX_GHES + NK];
    row_view v;
    for (uint64_t i = 0; i < cfg->people; i++) {
        person_make(cfg, i, &p);
        rng r;
        rng_seed(&r, cfg->seed, i, SALT_GHEC_JSON);
        unsigned n = ghec_rows(&p, rows);
        for (unsigned x = 0; x < n; x++) {
            if (open && in_page == PAGE_USERS) {
                out_s(&o, "\n]}\n");
                out_row_end(&o);
                open = false;
            }
            if (!open) {
                page_open(&o, t);
                open = true;
                in_page = 0;
                if (last && rng_pm(&pr, 200)) {
                    out_mem(&o, last, last_n);
                    in_page++;
                }
            }
            if (in_page)
                out_s(&o, ",\n");
            row_view_make(&v, cfg, &p, &rows[x], &r);
            size_t mark = o.n;
            json_ghec_row(&o, &v, &r);
            in_page++;
            if (in_page == PAGE_USERS) {
                free(last);
                last_n = o.n - mark;
                last = malloc(last_n);
                if (!last)
                    die("out of memory", NULL);
                memcpy(last, o.buf + mark, last_n);
            }
        }
    }
    if (!open)
        page_open(&o, t);
    out_s(&o, "\n]}\n");
    free(last);
    out_close(&o);
}

static const char ghec_csv_header[] =
    "github_com_login,github_com_name,enterprise_server_user_ids,"
    "github_com_user,enterprise_server_user,visual_studio_subscription_user,"
    "license_type,github_com_profile,github_com_member_roles,"
    "github_com_enterprise_role,github_com_verified_domain_emails,"
    "github_com_saml_name_id,github_com_orgs_with_pending_invites,"
    "github_com_two_factor_auth,enterprise_server_primary_emails,"
    "visual_studio_license_status,visual_studio_subscription_email,"
    "total_user_accounts\n";

/* Several values in one cell, comma separated (sometimes ", "). */
static void csv_text_list(out *o, const text *t, unsigned n, rng *r)
{
    text cell = {.n = 0};
    const char *sep = rng_pm(r, 300) ? ", " : ",";
    for (unsigned i = 0; i < n; i++) {
        if (i)
            t_str(&cell, sep);
        t_mem(&cell, t[i].s, t[i].n);
    }
    out_csv_text(o, &cell, false);
}

static void csv_ghec_row(out *o, const row_view *v, rng *r)
{
    out_csv_text(o, &v->login, false);
    out_ch(o, ',');
    out_csv_text(o, &v->name, false);
    out_ch(o, ',');
    csv_text_list(o, v->ids, v->n_ids, r);
    out_ch(o, ',');
    out_bool(o, v->licensed);
    out_ch(o, ',');
    out_bool(o, v->n_ids > 0);
    out_s(o, ",false,enterprise,");
    if (v->licensed) {
        out_s(o, "https://github.com/");
        out_mem(o, v->login.s, v->login.n);
    }
    out_ch(o, ',');
    text roles = {.n = 0};
    for (unsigned x = 0; x < 3; x++) {
        if (!v->licensed || !(v->orgs & BIT(x)))
            continue;
        if (roles.n)
            t_ch(&roles, ',');
        t_str(&roles, org_names[x]);
        t_str(&roles, v->owner && x == 0 ? ":Owner" : ":Member");
    }
    out_csv_text(o, &roles, false);
    out_ch(o, ',');
    out_s(o, !v->licensed ? "" : v->owner ? "Owner" : "Member");
    out_ch(o, ',');
    csv_text_list(o, v->verified, v->n_verified, r);
    out_ch(o, ',');
    out_csv_text(o, &v->name_id, false);
    out_s(o, ",,");
    if (v->licensed)
        out_bool(o, v->two_factor);
    out_ch(o, ',');
    csv_text_list(o, v->es_emails, v->n_ids, r);
    out_s(o, ",,,");
    out_u64(o, (v->licensed ? 1 : 0) + v->n_ids);
    out_ch(o, '\n');
}

static void gen_ghec_csv(const config *cfg)
{
    out o;
    out_open(&o, cfg, "consumed-licenses.csv", "");
    out_s(&o, ghec_csv_header);
    person p;
    ghec_row rows[MAX_GHEC + MAX_GHES + NK];
    row_view v;
    for (uint64_t i = 0; i < cfg->people; i++) {
        person_make(cfg, i, &p);
        rng r;
        rng_seed(&r, cfg->seed, i, SALT_GHEC_CSV);
        unsigned n = ghec_rows(&p, rows);
        for (unsigned x = 0; x < n; x++) {
            row_view_make(&v, cfg, &p, &rows[x], &r);
            csv_ghec_row(&o, &v, &r);
            out_row_end(&o);
        }
    }
    out_close(&o);
}

/* ---- expected.json and the command line --------------------------------- */

static void put_field(out *o, const char *name, uint64_t v, bool last)
{
    out_s(o, "  \"");
    out_s(o, name);
    out_s(o, "\": ");
    out_u64(o, v);
    out_s(o, last ? "\n" : ",\n");
}

static void write_expected(const config *cfg, const tally *t, uint64_t system,
                           uint64_t records_lines)
{
    out o;
    out_open(&o, cfg, "expected.json", "");
    out_s(&o, "{\n  \"profile\": \"");
    out_s(&o, cfg->prof == PROFILE_BENCH ? "bench" : "realistic");
    out_s(&o, "\",\n");
    put_field(&o, "seed", cfg->seed, false);
    put_field(&o, "people", cfg->people, false);
    put_field(&o, "hosts", cfg->hosts, false);
    put_field(&o, "github_seats", t->github, false);
    put_field(&o, "extended_seats", t->extended, false);
    put_field(&o, "extended_seats_primary_only", t->extended_primary, false);
    put_field(&o, "persons_without_verified_domain_email", t->novd, false);
    put_field(&o, "persons_without_verified_domain_email_primary_only",
              t->novd_primary, false);
    put_field(&o, "ghes_accounts", t->ghes_eligible, false);
    put_field(&o, "ghes_accounts_matched", t->ghes_matched, false);
    put_field(&o, "ghec_accounts", t->ghec, false);
    put_field(&o, "keyless_accounts", t->keyless, false);
    put_field(&o, "suspended_accounts", t->suspended, false);
    put_field(&o, "system_accounts", system, false);
    put_field(&o, "records_lines", records_lines, true);
    out_s(&o, "}\n");
    out_close(&o);
}

static const char usage[] =
    "usage: hc_gen --people N --seed S --hosts H --out DIR\n"
    "              [--profile realistic|bench] [--lines N]\n"
    "              [--formats records,ghes-csv,ghes-json,ghec-json,"
    "ghec-csv]\n\n"
    "Writes synthetic GitHub Enterprise accounts of N people on H GHES\n"
    "hosts (and GHEC) into DIR, with expected.json holding the counts the\n"
    "data must give. --profile bench writes only records.ndjson (ASCII,\n"
    "GHES only) for the speed comparison; --lines caps its line count.\n";

static uint64_t parse_u64(const char *opt, const char *s)
{
    char *end;
    errno = 0;
    if (!s || *s < '0' || *s > '9')
        die("expected a number after", opt);
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end)
        die("expected a number after", opt);
    return (uint64_t)v;
}

static unsigned parse_formats(const char *s)
{
    static const struct {
        const char *name;
        unsigned bit;
    } names[] = {{"records", FMT_RECORDS},     {"ghes-csv", FMT_GHES_CSV},
                 {"ghes-json", FMT_GHES_JSON}, {"ghec-json", FMT_GHEC_JSON},
                 {"ghec-csv", FMT_GHEC_CSV},   {"all", FMT_ALL}};
    unsigned m = 0;
    while (*s) {
        size_t n = strcspn(s, ",");
        bool found = false;
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
            if (strlen(names[i].name) == n &&
                strncmp(names[i].name, s, n) == 0) {
                m |= names[i].bit;
                found = true;
            }
        if (!found)
            die("unknown format in --formats", s);
        s += n + (s[n] == ',');
    }
    return m;
}

static void parse_args(int argc, char **argv, config *cfg)
{
    bool hosts_given = false, people_given = false;
    memset(cfg, 0, sizeof *cfg);
    cfg->seed = 1;
    cfg->people = 1000;
    cfg->formats = FMT_ALL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(usage, stdout);
            exit(0);
        }
        if (!v) {
            fputs(usage, stderr);
            die("missing value or unknown option", a);
        }
        i++;
        if (strcmp(a, "--people") == 0) {
            cfg->people = parse_u64(a, v);
            people_given = true;
        } else if (strcmp(a, "--seed") == 0) {
            cfg->seed = parse_u64(a, v);
        } else if (strcmp(a, "--hosts") == 0) {
            uint64_t h = parse_u64(a, v);
            if (h < 1 || h > MAX_HOSTS)
                die("--hosts must be between 1 and 100", v);
            cfg->hosts = (unsigned)h;
            hosts_given = true;
        } else if (strcmp(a, "--lines") == 0) {
            /* 0 stands for "not given" below. */
            cfg->lines = parse_u64(a, v);
            if (cfg->lines == 0)
                die("--lines must be at least 1", v);
        } else if (strcmp(a, "--out") == 0) {
            cfg->out = v;
        } else if (strcmp(a, "--formats") == 0) {
            cfg->formats = parse_formats(v);
        } else if (strcmp(a, "--profile") == 0) {
            if (strcmp(v, "realistic") == 0)
                cfg->prof = PROFILE_REALISTIC;
            else if (strcmp(v, "bench") == 0)
                cfg->prof = PROFILE_BENCH;
            else
                die("--profile must be realistic or bench", v);
        } else {
            fputs(usage, stderr);
            die("unknown option", a);
        }
    }
    if (!cfg->out) {
        fputs(usage, stderr);
        die("--out DIR is required", NULL);
    }
    if (!hosts_given)
        cfg->hosts = cfg->prof == PROFILE_BENCH ? 10 : 4;
    if (cfg->prof == PROFILE_BENCH) {
        if (cfg->formats & ~(unsigned)FMT_RECORDS && cfg->formats != FMT_ALL)
            die("the bench profile writes only records", NULL);
        cfg->formats = FMT_RECORDS;
        if (cfg->lines && people_given)
            die("give --people or --lines, not both", NULL);
    } else if (cfg->lines) {
        die("--lines needs --profile bench", NULL);
    }
    for (unsigned h = 0; h < cfg->hosts; h++)
        snprintf(cfg->host[h], sizeof cfg->host[h], "ghe-%02u.corp.example",
                 h + 1);
}

int main(int argc, char **argv)
{
    static config cfg;
    parse_args(argc, argv, &cfg);
    if (mkdir(cfg.out, 0777) != 0 && errno != EEXIST)
        die(cfg.out, strerror(errno));
    /* expected.json is written last: gone first, so that a run that fails
     * half way leaves no oracle beside data it does not describe. */
    {
        char path[4096];
        snprintf(path, sizeof path, "%s/expected.json", cfg.out);
        if (remove(path) != 0 && errno != ENOENT)
            die(path, strerror(errno));
    }

    tally t = {0};
    uint64_t system = 0, lines = 0;
    if (cfg.prof == PROFILE_BENCH) {
        cfg.people = gen_bench(&cfg, &t);
        lines = t.ghes_rows;
    } else {
        person p;
        for (uint64_t i = 0; i < cfg.people; i++) {
            person_make(&cfg, i, &p);
            person_tally(&p, &t);
        }
        system_acct sys[2];
        for (unsigned h = 0; h < cfg.hosts; h++)
            system += system_accounts(h, sys);
        lines = t.ghes_rows + t.ghec_rows + system;
        if (cfg.formats & FMT_RECORDS)
            gen_records(&cfg);
        for (unsigned h = 0; h < cfg.hosts; h++) {
            if (cfg.formats & FMT_GHES_CSV)
                gen_ghes_csv(&cfg, h);
            if (cfg.formats & FMT_GHES_JSON)
                gen_ghes_json(&cfg, h);
        }
        if (cfg.formats & FMT_GHEC_JSON)
            gen_ghec_json(&cfg, &t);
        if (cfg.formats & FMT_GHEC_CSV)
            gen_ghec_csv(&cfg);
    }
    write_expected(&cfg, &t, system, lines);
    return 0;
}
