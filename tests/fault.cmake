# hc_fault_io: a fault injector the script tests load with LD_PRELOAD into
# the real binary (tests/fault/fault_io.c), to make a directory fsync, a
# rename or the mapping of a file fail, or to move the wall clock. Built
# without sanitizers: it only forwards calls. test_cli, sync_fetch,
# sync_upload and sync_daemon find it through HC_FAULT_LIB (cli.cmake,
# sync.cmake).
add_library(hc_fault_io MODULE fault/fault_io.c)
target_link_libraries(hc_fault_io PRIVATE hc_warnings ${CMAKE_DL_LIBS})
# Its functions must be seen by the dynamic linker to take the place of
# the C library's.
set_target_properties(hc_fault_io PROPERTIES C_VISIBILITY_PRESET default)
