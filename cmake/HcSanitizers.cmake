# hc_sanitizers: selected by the single cache option HC_SANITIZE.
#   address -> AddressSanitizer + UndefinedBehaviorSanitizer, no recovery
#   thread  -> ThreadSanitizer (for the tests labelled "concurrency")
add_library(hc_sanitizers INTERFACE)
if(HC_SANITIZE STREQUAL "address")
    set(_hc_san -fsanitize=address,undefined -fno-sanitize-recover=all
                -fno-omit-frame-pointer)
elseif(HC_SANITIZE STREQUAL "thread")
    set(_hc_san -fsanitize=thread -fno-omit-frame-pointer)
elseif(NOT HC_SANITIZE STREQUAL "")
    message(FATAL_ERROR "HC_SANITIZE must be '', 'address' or 'thread'")
endif()
if(_hc_san)
    target_compile_options(hc_sanitizers INTERFACE ${_hc_san})
    target_link_options(hc_sanitizers INTERFACE ${_hc_san})
    # jemalloc replaces malloc, which the sanitizers must own.
    set(HC_JEMALLOC OFF CACHE BOOL "" FORCE)
endif()
