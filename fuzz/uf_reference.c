/*
 * Fuzz target: union-find against a naive reference. The first byte sets
 * the element count (1..256); the rest is a program of unions and queries.
 * The reference keeps, for every element, the smallest element of its set
 * and relabels on each union. hc_uf_union must report a merge exactly when
 * the two sets differed, hc_uf_same must agree with the labels, and
 * hc_uf_find must return the smallest element of the set, as uf.h promises
 * when no union runs concurrently.
 */
#include "fuzz_common.h"

#define N_MAX 256

static void check_elem(hc_uf *uf, const uint32_t *label, uint32_t a)
{
    uint32_t r = hc_uf_find(uf, a);
    FUZZ_CHECK(r == label[a], "find(%u) = %u, smallest of its set is %u",
               (unsigned)a, (unsigned)r, (unsigned)label[a]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_in in = {data, size};
    uint32_t label[N_MAX];
    hc_uf *uf = NULL;
    size_t n = 1 + (size_t)fuzz_u8(&in);

    FUZZ_OK(hc_uf_create(n, &uf));
    FUZZ_CHECK(hc_uf_size(uf) == n, "size %zu, want %zu", hc_uf_size(uf), n);
    for (size_t i = 0; i < n; i++)
        label[i] = (uint32_t)i;

    while (in.n > 0) {
        uint8_t op = fuzz_u8(&in);
        uint32_t a = (uint32_t)(fuzz_u8(&in) % n);
        uint32_t b = (uint32_t)(fuzz_u8(&in) % n);
        switch (op % 4) {
        case 0:
        case 1: {
            bool want = label[a] != label[b];
            bool got = hc_uf_union(uf, a, b);
            FUZZ_CHECK(got == want, "union(%u, %u) = %d, reference %d",
                       (unsigned)a, (unsigned)b, got, want);
            uint32_t lo = label[a] < label[b] ? label[a] : label[b];
            uint32_t hi = label[a] < label[b] ? label[b] : label[a];
            for (size_t i = 0; i < n; i++)
                if (label[i] == hi)
                    label[i] = lo;
            break;
        }
        case 2: {
            bool want = label[a] == label[b];
            bool got = hc_uf_same(uf, a, b);
            FUZZ_CHECK(got == want, "same(%u, %u) = %d, reference %d",
                       (unsigned)a, (unsigned)b, got, want);
            break;
        }
        default:
            check_elem(uf, label, a);
            check_elem(uf, label, b);
            break;
        }
    }
    for (size_t i = 0; i < n; i++)
        check_elem(uf, label, (uint32_t)i);
    hc_uf_destroy(uf);
    return 0;
}
