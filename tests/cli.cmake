# The counting commands end to end: savings formats, output that does not
# depend on input order or threads, stdout write errors, usage errors.
hc_script_test(test_cli cli/test_cli.py LABELS fast)
set_property(TEST test_cli APPEND PROPERTY ENVIRONMENT
             "HC_FAULT_LIB=$<TARGET_FILE:hc_fault_io>")
