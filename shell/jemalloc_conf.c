/*
 * Settings of jemalloc, which the release executable links in place of the
 * C library's malloc. jemalloc reads this string when it starts, then
 * MALLOC_CONF from the environment, so any setting here can still be
 * overridden at run time (for example MALLOC_CONF=thp:default).
 *
 * thp:always: jemalloc advises transparent huge pages (MADV_HUGEPAGE) for
 * the memory it maps. A count writes most of its memory once, in large
 * fresh arrays (the readers' records, the census's sort keys and
 * accounts), so with 4 KiB pages a good part of its time went to page
 * faults, one per 4 KiB. With huge pages the kernel backs those arrays
 * 2 MiB at a time. Measured on the 2-core reference VM: the usual count of
 * four reports and a consumed-licenses file 3.46-3.70 s to 2.94-3.02 s,
 * 10M NDJSON lines 1.56-1.60 s to 1.46-1.48 s, for 13-20 MB more peak RSS
 * (docs/benchmarks.md). The price is memory that is mapped but barely
 * touched, now backed 2 MiB at a time: a count of the bundled examples
 * peaks at 29 MB instead of 12. Where the kernel has transparent huge pages
 * disabled ("never"), the advice does nothing. The build hides symbols by
 * default and jemalloc finds this one by name in the executable, hence
 * the visibility attribute and the export in shell/CMakeLists.txt.
 */
__attribute__((visibility("default"))) const char *malloc_conf = "thp:always";
