# The synthetic-data generator and the end-to-end tests built on it.
#
# hc_gen (bench/gen/hc_gen.c) writes realistic exports in every input format
# with the counts they must give (expected.json). It deliberately links
# nothing from the engine: its expected counts come from its own model of
# who is who, so the tests below check the engine against an independent
# oracle. It also writes the benchmark input (bench/compare.sh).
add_executable(hc_gen ${PROJECT_SOURCE_DIR}/bench/gen/hc_gen.c)
target_link_libraries(hc_gen PRIVATE hc_warnings)

#   hc_e2e_test(NAME SCRIPT [LABELS ...])
# runs SCRIPT with the headcount binary and the hc_gen binary as $1 and $2.
function(hc_e2e_test name script)
    cmake_parse_arguments(T "" "" "LABELS" ${ARGN})
    add_test(NAME ${name}
             COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/${script}
                     $<TARGET_FILE:headcount> $<TARGET_FILE:hc_gen>)
    if(NOT T_LABELS)
        set(T_LABELS slow)
    endif()
    set_tests_properties(${name} PROPERTIES LABELS "${T_LABELS}")
endfunction()

hc_e2e_test(e2e_formats e2e/e2e_formats.sh LABELS slow)
hc_e2e_test(e2e_streams e2e/e2e_streams.sh LABELS slow)
# Compares one thread with four: also run under ThreadSanitizer.
hc_e2e_test(e2e_order e2e/e2e_order.sh LABELS "slow;concurrency")
