/*
 * `headcount diff OLD NEW`: persons added, removed and changed between two
 * reports. A person is identified by its GHEC login, else by its smallest
 * host:id; it "changed" when its set of accounts differs.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cli_inputs.h"
#include "cli_output.h"

static bool same_ids(const hc_report_person_info *a,
                     const hc_report_person_info *b)
{
    if (a->n_ids != b->n_ids)
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

/* One change: p as it is now (as it was, for "removed"); for "changed",
 * was is the person in the old report. */
static void emit(bool json, bool *first, const char *what,
                 const hc_report_person_info *p,
                 const hc_report_person_info *was)
{
    if (json) {
        printf("%s{\"change\":\"%s\",\"person\":", *first ? "" : ",", what);
        cli_json_str(stdout, p->id);
        printf(",\"accounts\":");
        print_ids(true, p);
        if (was) {
            printf(",\"old_accounts\":");
            print_ids(true, was);
        }
        putchar('}');
    } else {
        printf("%c ", what[0] == 'a' ? '+' : what[0] == 'r' ? '-' : '~');
        cli_print_str(stdout, p->id);
        putchar(' ');
        if (was) {
            print_ids(false, was);
            printf(" -> ");
        }
        print_ids(false, p);
        putchar('\n');
    }
    *first = false;
}

static int read_report(const char *path, hc_report **out)
{
    hc_diag diag;
    memset(&diag, 0, sizeof diag);
    hc_status st = hc_report_read(path, out, &diag);
    if (st == HC_OK)
        return 0;
    char msg[1200];
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
        if (options && strcmp(argv[i], "--") == 0)
            options = false;
        else if (options && strcmp(argv[i], "--json") == 0)
            json = true;
        else if (options && argv[i][0] == '-' && argv[i][1])
            return cli_usage_error("diff", "unknown option '%s'", argv[i]);
        else if (np == 2)
            return cli_usage_error("diff", "exactly two reports");
        else
            paths[np++] = argv[i];
    }
    if (np != 2)
        return cli_usage_error("diff", "exactly two reports: OLD NEW");
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
    size_t no = hc_report_person_count(old), nn = hc_report_person_count(new);
    size_t i = 0, j = 0, added = 0, removed = 0, changed = 0;
    bool first = true;
    if (json)
        printf("{\"changes\":[");
    while (i < no || j < nn) {
        hc_report_person_info a, b;
        int c;
        if (i < no)
            hc_report_person(old, i, &a);
        if (j < nn)
            hc_report_person(new, j, &b);
        if (i >= no)
            c = 1;
        else if (j >= nn)
            c = -1;
        else
            c = cli_str_cmp(a.id, b.id);
        if (c < 0) {
            emit(json, &first, "removed", &a, NULL);
            removed++;
            i++;
        } else if (c > 0) {
            emit(json, &first, "added", &b, NULL);
            added++;
            j++;
        } else {
            if (!same_ids(&a, &b)) {
                emit(json, &first, "changed", &b, &a);
                changed++;
            }
            i++;
            j++;
        }
    }
    /* Totals are unsigned 64-bit: the change is printed as a sign and a
     * magnitude, which no total can overflow. */
    unsigned long long so = hc_report_total_seats(old);
    unsigned long long sn = hc_report_total_seats(new);
    char sign = sn >= so ? '+' : '-';
    unsigned long long delta = sn >= so ? sn - so : so - sn;
    if (json)
        printf("],\"added\":%zu,\"removed\":%zu,\"changed\":%zu,"
               "\"old_seats\":%llu,\"new_seats\":%llu,\"seat_change\":%s%llu}"
               "\n",
               added, removed, changed, so, sn, sign == '-' ? "-" : "", delta);
    else
        printf("%zu added, %zu removed, %zu changed; seats %llu -> %llu "
               "(%c%llu)\n",
               added, removed, changed, so, sn, sign, delta);
    hc_report_destroy(old);
    hc_report_destroy(new);
    return added || removed || changed || so != sn ? 1 : 0;
}
