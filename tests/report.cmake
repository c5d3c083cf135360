# Reports: JSON/CSV writers, summary, pseudonyms, reading reports back.
hc_unit_test(test_report SOURCES test_report.c LABELS fast)
# One finished result shared by threads that query it and write its
# reports at once (run under TSan with the other concurrency tests).
hc_unit_test(test_report_threads SOURCES test_report_threads.c
             LABELS fast concurrency)
