# Tests of the concurrent union-find (engine/src/uf.c).
hc_unit_test(test_uf SOURCES test_uf.c LABELS fast)
hc_unit_test(test_uf_stress SOURCES test_uf_stress.c
             LABELS stress concurrency)
