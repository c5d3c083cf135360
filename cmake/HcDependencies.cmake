# Finds every third-party dependency from the system (Debian 12 packages).
# Nothing is vendored; a missing package is a configure error naming it.
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)
find_package(ZLIB REQUIRED)
find_package(OpenSSL REQUIRED)
find_package(CURL REQUIRED)
find_package(simdjson REQUIRED)
pkg_check_modules(XXHASH REQUIRED IMPORTED_TARGET libxxhash)
pkg_check_modules(IDN2 REQUIRED IMPORTED_TARGET libidn2)
pkg_check_modules(INIH REQUIRED IMPORTED_TARGET inih)

# libunistring ships no pkg-config file.
find_path(UNISTRING_INCLUDE_DIR uninorm.h REQUIRED)
find_library(UNISTRING_LIBRARY unistring REQUIRED)
add_library(hc_unistring INTERFACE)
target_include_directories(hc_unistring INTERFACE ${UNISTRING_INCLUDE_DIR})
target_link_libraries(hc_unistring INTERFACE ${UNISTRING_LIBRARY})

if(HC_JEMALLOC)
    pkg_check_modules(JEMALLOC REQUIRED IMPORTED_TARGET jemalloc)
endif()
if(HC_BUILD_TESTS)
    pkg_check_modules(CMOCKA REQUIRED IMPORTED_TARGET cmocka)
endif()
if(HC_BUILD_BENCH)
    find_package(benchmark REQUIRED)
endif()
