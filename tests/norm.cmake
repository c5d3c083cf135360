# Normalization norm_v1 and the verified-domain matcher.
hc_unit_test(test_norm SOURCES test_norm.c LABELS fast)
hc_unit_test(test_norm_threads SOURCES test_norm_threads.c
             LABELS fast concurrency)
