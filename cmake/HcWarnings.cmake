# hc_warnings: the warning set every headcount target is built with.
# Linked PRIVATE so that consumers of the library do not inherit it.
add_library(hc_warnings INTERFACE)
target_compile_options(hc_warnings INTERFACE
    -Wall -Wextra                     # the baseline
    -Wshadow                          # a local hiding another is a bug magnet
    -Wpointer-arith                   # no arithmetic on void *
    -Wcast-align                      # misaligned casts break on strict targets
    -Wwrite-strings                   # string literals are const
    -Wformat=2                        # printf-family format checking
    -Wundef                           # #if on an undefined macro is a typo
    -Wvla                             # stacks are bounded: no VLAs
    -Wnull-dereference
    -Wdouble-promotion
    $<$<COMPILE_LANGUAGE:C>:-Wstrict-prototypes>   # f() means f(void)
    $<$<COMPILE_LANGUAGE:C>:-Wmissing-prototypes>  # non-static needs a header
    $<$<COMPILE_LANGUAGE:C>:-Wold-style-definition>
    $<$<BOOL:${HC_WERROR}>:-Werror>)
