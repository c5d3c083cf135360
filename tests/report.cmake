# Reports: JSON/CSV writers, summary, pseudonyms, reading reports back.
hc_unit_test(test_report SOURCES test_report.c LABELS fast)
