# Tests of the concurrent hash map (engine/src/hset.c).
hc_unit_test(test_hset SOURCES test_hset.c LABELS fast)
hc_unit_test(test_hset_stress SOURCES test_hset_stress.c
             LABELS stress concurrency)
