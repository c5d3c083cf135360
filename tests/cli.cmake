# The counting commands end to end: savings formats, output that does not
# depend on input order or threads, stdout write errors, usage errors.
hc_script_test(test_cli cli/test_cli.py LABELS fast)
