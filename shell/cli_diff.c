/*
 * `headcount diff OLD NEW`: persons added, removed and changed between two
 * reports. A person is named by its GHEC login, else by its smallest
 * host:id. Persons of the two reports that share an account are compared
 * with each other: the same accounts is no change; other accounts, or
 * several persons merged into one or one split into several, is a change.
 * A person sharing no account with the other report was added or removed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_inputs.h"
#include "cli_output.h"

static bool same_ids(const hc_report_person_info *a,
                     const hc_report_person_info *b)
{
    if (a->n_ids != b->n_ids || a->n_logins != b->n_logins)
        return false;
    for (uint64_t i = 0; i < a->n_ids; i++)
        if (cli_str_cmp(a->ids[i], b->ids[i]) != 0)
            return false;
    return true;
}

/* The accounts of p: a JSON array, or "(a, b)" as text. */
static void print_ids(bool json, const hc_report_person_info *p)
{
    printf(json ? "[" : "(");
    for (uint64_t i = 0; i < p->n_ids; i++) {
        if (i)
            printf(json ? "," : ", ");
        if (json)
            cli_json_str(stdout, p->ids[i]);
        else
            cli_print_str(stdout, p->ids[i]);
    }
    printf(json ? "]" : ")");
}

/* An account id and where it came from (a node of the change groups, or a
 * position): a GHEC login and a host:id of the same bytes are two
 * accounts. */
typedef struct id_ref {
    hc_str s;
    bool login;
    size_t node;
} id_ref;

/* Equal ids are neighbours; the order never depends on qsort. */
static int cmp_id_ref(const void *pa, const void *pb)
{
    const id_ref *a = pa, *b = pb;
    if (a->login != b->login)
        return a->login ? -1 : 1;
    int c = cli_str_cmp(a->s, b->s);
    return c ? c : (a->node > b->node) - (a->node < b->node);
}

/* Ids by position alone. */
static int cmp_position(const void *pa, const void *pb)
{
    const id_ref *a = pa, *b = pb;
    return (a->node > b->node) - (a->node < b->node);
}

/* The accounts of persons[0..n) of a report, as text "(a, b), (c)" (each
 * person in parentheses) or as one JSON array in which an account two of
 * the persons list appears once, where it first does. False when out of
 * memory (nothing printed). */
static bool print_group(bool json, const hc_report *r, const size_t *persons,
                        size_t n)
{
    if (!json) {
        for (size_t k = 0; k < n; k++) {
            hc_report_person_info p;
            hc_report_person(r, persons[k], &p);
            printf(k ? ", " : "");
            print_ids(false, &p);
        }
        return true;
    }
    size_t total = 0;
    for (size_t k = 0; k < n; k++) {
        hc_report_person_info p;
        hc_report_person(r, persons[k], &p);
        total += (size_t)p.n_ids;
    }
    id_ref *v = malloc((total ? total : 1) * sizeof *v);
    if (!v)
        return false;
    size_t m = 0;
    for (size_t k = 0; k < n; k++) {
        hc_report_person_info p;
        hc_report_person(r, persons[k], &p);
        for (uint64_t i = 0; i < p.n_ids; i++, m++)
            v[m] = (id_ref){p.ids[i], i < p.n_logins, m};
    }
    if (n > 1) { /* one person lists each id once already */
        qsort(v, m, sizeof *v, cmp_id_ref);
        size_t kept = 0;
        for (size_t i = 0; i < m; i++)
            if (!kept || v[i].login != v[kept - 1].login ||
                cli_str_cmp(v[i].s, v[kept - 1].s) != 0)
                v[kept++] = v[i];
        m = kept;
        qsort(v, m, sizeof *v, cmp_position);
    }
    putchar('[');
    for (size_t i = 0; i < m; i++) {
        if (i)
            putchar(',');
        cli_json_str(stdout, v[i].s);
    }
    putchar(']');
    free(v);
    return true;
}

/*
 * One change. "added" and "removed" name one person of the new or old
 * report; "changed" names the persons of each report that share accounts:
 * one person with other accounts, or several merged into one (what license
 * sync does when it matches a GHES account to a GHEC one), or one split in
 * several. The person printed is the first id of the new side.
 */
typedef struct change {
    const char *what;
    const hc_report *now, *was; /* new and old reports */
    const size_t *now_p, *was_p;
    size_t n_now, n_was;
} change;

static bool emit(bool json, bool *first, const change *c)
{
    /* Added: the new side; removed: the old one; changed: both. */
    bool added = c->what[0] == 'a', removed = c->what[0] == 'r';
    const hc_report *r = removed ? c->was : c->now;
    const size_t *ps = removed ? c->was_p : c->now_p;
    size_t n = removed ? c->n_was : c->n_now;
    hc_report_person_info head;
    hc_report_person(r, ps[0], &head);
    if (json) {
        printf("%s{\"change\":\"%s\",\"person\":", *first ? "" : ",", c->what);
        cli_json_str(stdout, head.id);
        printf(",\"accounts\":");
        if (!print_group(true, r, ps, n))
            return false;
        if (!added && !removed) {
            printf(",\"old_accounts\":");
            if (!print_group(true, c->was, c->was_p, c->n_was))
                return false;
            if (c->n_was != 1 || c->n_now != 1)
                printf(",\"old_persons\":%zu,\"new_persons\":%zu", c->n_was,
                       c->n_now);
        }
        putchar('}');
    } else {
        printf("%c ", added ? '+' : removed ? '-' : '~');
        cli_print_str(stdout, head.id);
        putchar(' ');
        if (!added && !removed) {
            print_group(false, c->was, c->was_p, c->n_was);
            printf(" -> ");
        }
        print_group(false, r, ps, n);
        if (!added && !removed && (c->n_was != 1 || c->n_now != 1))
            printf(" [%zu person%s -> %zu]", c->n_was, c->n_was == 1 ? "" : "s",
                   c->n_now);
        putchar('\n');
    }
    *first = false;
    return true;
}

/* True when the old persons wp[0..nw) and the new np[0..nn) are the same
 * persons with the same accounts: both lists are in report order, which
 * sorts persons by their ids. */
static bool same_persons(const hc_report *old, const size_t *wp, size_t nw,
                         const hc_report *new, const size_t *np, size_t nn)
{
    if (nw != nn)
        return false;
    for (size_t k = 0; k < nw; k++) {
        hc_report_person_info a, b;
        hc_report_person(old, wp[k], &a);
        hc_report_person(new, np[k], &b);
        if (!same_ids(&a, &b))
            return false;
    }
    return true;
}

static size_t uf_find(size_t *parent, size_t x)
{
    while (parent[x] != x) {
        parent[x] = parent[parent[x]]; /* path halving */
        x = parent[x];
    }
    return x;
}

/* Nodes of one group in order of their component's first id: the lowest
 * person id of the group, then old before new, then by index. */
typedef struct node_ord {
    hc_str key; /* the component's lowest person id */
    size_t root, node;
} node_ord;

static int cmp_node_ord(const void *pa, const void *pb)
{
    const node_ord *a = pa, *b = pb;
    int c = cli_str_cmp(a->key, b->key);
    if (!c)
        c = (a->root > b->root) - (a->root < b->root);
    return c ? c : (a->node > b->node) - (a->node < b->node);
}

/*
 * Persons of the two reports that share an account id are one change
 * group (union-find over the persons, by sorted ids); a group with one
 * person on each side and the same ids is no change. Returns false when
 * out of memory; sets the three counts.
 */
static bool diff_reports(bool json, const hc_report *old, const hc_report *new,
                         size_t *added, size_t *removed, size_t *changed)
{
    size_t no = hc_report_person_count(old), nn = hc_report_person_count(new);
    size_t nodes = no + nn, n_ids = 0;
    for (size_t x = 0; x < nodes; x++) {
        hc_report_person_info p;
        hc_report_person(x < no ? old : new, x < no ? x : x - no, &p);
        n_ids += (size_t)p.n_ids;
    }
    /* Every account id of both reports with its node: node x < no is old
     * person x, node no + k new person k. */
    id_ref *refs = malloc((n_ids ? n_ids : 1) * sizeof *refs);
    size_t *parent = malloc((nodes ? nodes : 1) * sizeof *parent);
    node_ord *ord = malloc((nodes ? nodes : 1) * sizeof *ord);
    size_t *side = malloc((nodes ? nodes : 1) * sizeof *side);
    hc_str *low = malloc((nodes ? nodes : 1) * sizeof *low);
    bool ok = refs && parent && ord && side && low;
    if (!ok)
        goto done;
    if (json) /* nothing is printed before the memory is there */
        printf("{\"changes\":[");
    size_t k = 0;
    for (size_t x = 0; x < nodes; x++) {
        hc_report_person_info p;
        hc_report_person(x < no ? old : new, x < no ? x : x - no, &p);
        for (uint64_t i = 0; i < p.n_ids; i++)
            refs[k++] = (id_ref){p.ids[i], i < p.n_logins, x};
        parent[x] = x;
    }
    qsort(refs, n_ids, sizeof *refs, cmp_id_ref);
    for (size_t i = 1; i < n_ids; i++)
        if (refs[i].login == refs[i - 1].login &&
            cli_str_cmp(refs[i].s, refs[i - 1].s) == 0) {
            size_t a = uf_find(parent, refs[i].node);
            size_t b = uf_find(parent, refs[i - 1].node);
            if (a != b)
                parent[a > b ? a : b] = a > b ? b : a;
        }
    /* Each component's lowest person id, kept at its root. */
    for (size_t x = 0; x < nodes; x++)
        low[x] = (hc_str){NULL, 0};
    for (size_t x = 0; x < nodes; x++) {
        hc_report_person_info p;
        hc_report_person(x < no ? old : new, x < no ? x : x - no, &p);
        size_t root = uf_find(parent, x);
        if (!low[root].ptr || cli_str_cmp(p.id, low[root]) < 0)
            low[root] = p.id;
    }
    for (size_t x = 0; x < nodes; x++) {
        size_t root = uf_find(parent, x);
        ord[x] = (node_ord){low[root], root, x};
    }
    qsort(ord, nodes, sizeof *ord, cmp_node_ord);
    bool first = true;
    for (size_t i = 0; i < nodes;) {
        size_t j = i, n_was = 0;
        while (j < nodes && ord[j].root == ord[i].root)
            j++;
        /* Old nodes sort first: side[0..n_was) old, the rest new. */
        for (size_t y = i; y < j; y++) {
            size_t x = ord[y].node;
            side[y - i] = x < no ? x : x - no;
            n_was += x < no;
        }
        size_t n_now = (j - i) - n_was;
        change c = {"changed", new, old, side + n_was, side, n_now, n_was};
        if (n_was == 0 || n_now == 0) {
            /* Only one side: each person alone (they share no account). */
            c.what = n_was ? "removed" : "added";
            for (size_t y = 0; y < j - i; y++) {
                if (n_was)
                    c.was_p = side + y, c.n_was = 1;
                else
                    c.now_p = side + y, c.n_now = 1;
                if (!emit(json, &first, &c)) {
                    ok = false;
                    goto done;
                }
            }
            *(n_was ? removed : added) += j - i;
        } else if (!same_persons(old, side, n_was, new, side + n_was, n_now)) {
            if (!emit(json, &first, &c)) {
                ok = false;
                goto done;
            }
            (*changed)++;
        }
        i = j;
    }
done:
    free(refs);
    free(parent);
    free(ord);
    free(side);
    free(low);
    return ok;
}

static int read_report(const char *path, hc_report **out)
{
    hc_diag diag;
    memset(&diag, 0, sizeof diag);
    hc_status st = hc_report_read(path, out, &diag);
    if (st == HC_OK)
        return 0;
    char msg[HC_DIAG_TEXT_MAX];
    if (!diag.file[0])
        snprintf(diag.file, sizeof diag.file, "%s", path);
    if (!diag.message[0])
        snprintf(diag.message, sizeof diag.message, "%s", hc_status_str(st));
    hc_diag_format(&diag, msg, sizeof msg);
    fprintf(stderr, "headcount: %s\n", msg);
    int code = hc_status_exit_code(st);
    return code > 1 ? code : CLI_EX_SOFTWARE;
}

int cli_diff_main(int argc, char **argv)
{
    bool json = false;
    const char *paths[2] = {NULL, NULL};
    size_t np = 0;
    bool options = true; /* until "--": a path may begin with '-' */
    for (int i = 1; i < argc; i++) {
        int k = options ? cli_opt_flag("diff", "--json", argv[i]) : 0;
        if (k < 0)
            return CLI_EX_USAGE;
        if (k > 0)
            json = true;
        else if (options && strcmp(argv[i], "--") == 0)
            options = false;
        else if (options && argv[i][0] == '-' && argv[i][1])
            return cli_usage_error("diff", "unknown option '%s'", argv[i]);
        else if (np == 2)
            return cli_usage_error("diff", "exactly two reports");
        else
            paths[np++] = argv[i];
    }
    if (np != 2)
        return cli_usage_error("diff", "exactly two reports: OLD NEW");
    /* Standard input can be read once: the second '-' would be empty, or
     * the same bytes compared with themselves. */
    if (strcmp(paths[0], "-") == 0 && strcmp(paths[1], "-") == 0)
        return cli_usage_error("diff", "standard input ('-') given twice");
    hc_report *old = NULL, *new = NULL;
    int code = read_report(paths[0], &old);
    if (code == 0)
        code = read_report(paths[1], &new);
    if (code) {
        hc_report_destroy(old);
        return code;
    }
    /* Seats counted under two policies differ by the policies alone. */
    const char *po = hc_report_policy(old), *pn = hc_report_policy(new);
    if (po && pn && strcmp(po, pn) != 0)
        cli_errorf("warning: %s was counted under policy %s and %s under "
                   "policy %s; the seats compare the two policies",
                   paths[0], po, paths[1], pn);
    size_t added = 0, removed = 0, changed = 0;
    if (!diff_reports(json, old, new, &added, &removed, &changed)) {
        hc_report_destroy(old);
        hc_report_destroy(new);
        return cli_fail(HC_ERR_NOMEM, "diff");
    }
    /* Totals are unsigned 64-bit: the change is printed as a sign and a
     * magnitude, which no total can overflow. */
    unsigned long long so = hc_report_total_seats(old);
    unsigned long long sn = hc_report_total_seats(new);
    char sign = sn >= so ? '+' : '-';
    unsigned long long delta = sn >= so ? sn - so : so - sn;
    /* Users with neither a login nor a host:id cannot be matched across
     * reports: only their numbers are compared. */
    unsigned long long uo = hc_report_unnamed_count(old);
    unsigned long long un = hc_report_unnamed_count(new);
    if (json) {
        printf("],\"added\":%zu,\"removed\":%zu,\"changed\":%zu,"
               "\"old_seats\":%llu,\"new_seats\":%llu,\"seat_change\":%s%llu,"
               "\"old_unnamed\":%llu,\"new_unnamed\":%llu}\n",
               added, removed, changed, so, sn, sign == '-' ? "-" : "", delta,
               uo, un);
    } else {
        printf("%zu added, %zu removed, %zu changed; seats %llu -> %llu "
               "(%c%llu)",
               added, removed, changed, so, sn, sign, delta);
        if (uo || un)
            printf("; users without a login or host:id %llu -> %llu", uo, un);
        putchar('\n');
    }
    hc_report_destroy(old);
    hc_report_destroy(new);
    return added || removed || changed || so != sn || uo != un ? 1 : 0;
}
