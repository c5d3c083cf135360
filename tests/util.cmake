# Tests of the engine's internal utilities (engine/src/util.c).
hc_unit_test(test_util SOURCES test_util.c LABELS fast)
