# Tests of the sync shell (headcount sync / daemon / status).
#
# test_sync_util: the pure helpers of shell/sync_util.c (parsers, schedule,
# backoff, state-file JSON), compiled into the test directly.
hc_unit_test(test_sync_util
    SOURCES sync/test_sync_util.c ${PROJECT_SOURCE_DIR}/shell/sync_util.c
    LABELS fast)
target_include_directories(test_sync_util PRIVATE ${PROJECT_SOURCE_DIR}/shell)

# Integration tests: the real binary against tests/sync/server.py, a
# Python 3 standard-library HTTPS server on 127.0.0.1 (ephemeral port) with
# certificates made by the openssl command line. Loopback only; every
# server and headcount process is killed when a script ends.
hc_script_test(sync_config sync/sync_config_test.py LABELS slow)
hc_script_test(sync_fetch sync/sync_fetch_test.py LABELS slow)
hc_script_test(sync_upload sync/sync_upload_test.py LABELS slow)
hc_script_test(sync_daemon sync/sync_daemon_test.py LABELS slow)
set_tests_properties(sync_config sync_fetch sync_upload
    PROPERTIES TIMEOUT 120)
# One case waits a minute for the daemon to notice a clock jump unasked.
set_tests_properties(sync_daemon PROPERTIES TIMEOUT 300)
set_property(TEST sync_fetch sync_upload sync_daemon APPEND PROPERTY ENVIRONMENT
             "HC_FAULT_LIB=$<TARGET_FILE:hc_fault_io>")
