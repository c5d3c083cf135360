hc_unit_test(test_census SOURCES test_census.c LABELS "fast;concurrency")
