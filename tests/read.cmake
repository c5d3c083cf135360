# Readers (engine/src/read_*): every input format from committed fixtures,
# chunked multi-threaded parsing against one thread, and the malformed
# inputs of tests/data/bad/ at the API level and through the command.
hc_unit_test(test_read SOURCES test_read.c LABELS fast concurrency)
hc_script_test(test_bad_inputs test_bad_inputs.sh LABELS fast)
