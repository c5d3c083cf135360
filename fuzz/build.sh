#!/bin/bash
# Builds every fuzz target the way OSS-Fuzz expects (its build.sh contract):
# compilers and flags come from $CC $CXX $CFLAGS $CXXFLAGS, the fuzzing engine
# from $LIB_FUZZING_ENGINE, and each target lands in $OUT/<target> with its
# seed corpus as $OUT/<target>_seed_corpus.zip and its dictionary as
# $OUT/<target>.dict. The source tree is $SRC/headcount when that exists,
# else the tree this script lives in. Unset variables get defaults that give
# a local libFuzzer + ASan + UBSan build:
#   fuzz/build.sh                 # into build/oss-fuzz/out
#   OUT=/tmp/out fuzz/build.sh    # elsewhere
# The engine is compiled directly (no CMake), so this also checks that the
# sources build with nothing but the compiler and pkg-config.
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
if [ -n "${SRC:-}" ] && [ -d "$SRC/headcount/engine" ]; then
    root="$SRC/headcount"
else
    root="$here"
fi
san="-fsanitize=address,undefined -fno-sanitize-recover=all"
CC="${CC:-clang}"
CXX="${CXX:-clang++}"
CFLAGS="${CFLAGS:--O1 -g -fno-omit-frame-pointer $san -fsanitize=fuzzer-no-link}"
CXXFLAGS="${CXXFLAGS:--O1 -g -fno-omit-frame-pointer $san -fsanitize=fuzzer-no-link}"
LIB_FUZZING_ENGINE="${LIB_FUZZING_ENGINE:--fsanitize=fuzzer}"
OUT="${OUT:-$root/build/oss-fuzz/out}"
work="${WORK:-$root/build/oss-fuzz/work}"
mkdir -p "$OUT" "$work/obj"
OUT="$(cd "$OUT" && pwd)"
work="$(cd "$work" && pwd)"

version="$(sed -n 's/^project(headcount VERSION \([0-9.]*\).*/\1/p' \
    "$root/CMakeLists.txt")"
# The CMake build passes the same definitions (engine/CMakeLists.txt).
defs=(-D_GNU_SOURCE -DHC_BUILDING_LIBRARY "-DHC_VERSION_STRING=\"$version\"")
incs=(-I"$root/engine/include" -I"$root/engine/src")
# libunistring ships no pkg-config file.
# shellcheck disable=SC2207
libs=($(pkg-config --libs libxxhash libidn2 simdjson zlib libcrypto) \
      -lunistring -lpthread)
# shellcheck disable=SC2207
shell_libs=($(pkg-config --libs inih libcurl libssl libcrypto))
# Custom mutators (fuzz/fuzz_json_mutate.h) exist only under libFuzzer, as
# in fuzz/CMakeLists.txt; OSS-Fuzz names its engine in $FUZZING_ENGINE.
tdefs=()
[ "${FUZZING_ENGINE:-libfuzzer}" = libfuzzer ] && tdefs=(-DHC_FUZZ_LIBFUZZER=1)

# The engine: every engine/src/*.c and *.cpp, as engine/CMakeLists.txt does.
objs=()
for src in "$root"/engine/src/*.c; do
    obj="$work/obj/$(basename "${src%.c}").o"
    # shellcheck disable=SC2086
    $CC $CFLAGS -std=c11 "${defs[@]}" "${incs[@]}" -c "$src" -o "$obj"
    objs+=("$obj")
done
for src in "$root"/engine/src/*.cpp; do
    [ -e "$src" ] || continue
    obj="$work/obj/$(basename "${src%.cpp}").o"
    # shellcheck disable=SC2086
    $CXX $CXXFLAGS -std=c++17 "${defs[@]}" "${incs[@]}" -c "$src" -o "$obj"
    objs+=("$obj")
done
rm -f "$work/libheadcount.a"
ar rcs "$work/libheadcount.a" "${objs[@]}"

# Shell sources that a target compiles into itself: the file names of
# HC_FUZZ_EXTRA_<name> in fuzz/CMakeLists.txt, read from there so that the
# two builds cannot drift apart.
extra_sources() {
    awk -v want="set(HC_FUZZ_EXTRA_$1" '
        index($0, want) == 1 && substr($0, length(want) + 1, 1) ~ /^[ \t]?$/ {
            on = 1
        }
        on {
            for (i = 1; i <= NF; i++) {
                f = $i
                sub(/\)$/, "", f)
                if (f ~ /\.c$/) {
                    sub(/.*\//, "", f)
                    print f
                }
            }
            if (index($0, ")") > 0)
                on = 0
        }' "$root/fuzz/CMakeLists.txt"
}

n=0
for src in "$root"/fuzz/*_*.c; do
    name="$(basename "${src%.c}")"
    [ "$name" = fuzz_replay ] && continue
    tobjs=()
    # shellcheck disable=SC2086
    $CC $CFLAGS -std=c11 -D_GNU_SOURCE "${tdefs[@]}" \
        -I"$root/engine/include" -I"$root/engine/src" -I"$root/fuzz" \
        -I"$root/shell" -c "$src" -o "$work/obj/t_$name.o"
    tobjs+=("$work/obj/t_$name.o")
    extra="$(extra_sources "$name")"
    for s in $extra; do
        o="$work/obj/t_${name}_${s%.c}.o"
        # shellcheck disable=SC2086
        $CC $CFLAGS -std=c11 -D_GNU_SOURCE -I"$root/engine/include" \
            -I"$root/shell" -c "$root/shell/$s" -o "$o"
        tobjs+=("$o")
    done
    more=()
    [ -n "$extra" ] && more=("${shell_libs[@]}")
    # shellcheck disable=SC2086
    $CXX $CXXFLAGS $LIB_FUZZING_ENGINE "${tobjs[@]}" "$work/libheadcount.a" \
        "${more[@]}" "${libs[@]}" -o "$OUT/$name"

    if [ -d "$root/fuzz/corpus/$name" ] && command -v zip >/dev/null; then
        rm -f "$OUT/${name}_seed_corpus.zip"
        (cd "$root/fuzz/corpus/$name" && zip -q -r \
            "$OUT/${name}_seed_corpus.zip" .)
    fi
    if [ -f "$root/fuzz/$name.dict" ]; then
        cp "$root/fuzz/$name.dict" "$OUT/$name.dict"
    fi
    n=$((n + 1))
done
echo "built $n fuzz targets into $OUT"
