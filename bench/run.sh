#!/bin/sh
# Runs the benchmark suite and prints the results as a table.
#
#   bench/run.sh [BUILD_DIR] [google-benchmark flags...]
#   e.g. bench/run.sh build/bench --benchmark_filter='hset/'
#
# The executable is $HC_BENCH, else BUILD_DIR/bench/hc_bench, BUILD_DIR
# defaulting to build/bench (configure and build it first with `make bench`
# or `cmake --preset bench && cmake --build --preset bench`). Each benchmark
# is repeated HC_BENCH_REPS times (default 3) and the median is reported
# with the mean and spread. Run it on a quiet machine: numbers from a busy
# one are not comparable.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=$here/../build/bench
if [ $# -gt 0 ] && [ -d "$1" ]; then
    build=$1
    shift
fi
bin=${HC_BENCH:-$build/bench/hc_bench}
reps=${HC_BENCH_REPS:-3}
if [ ! -x "$bin" ]; then
    echo "run.sh: $bin not found; build the bench preset first" >&2
    exit 66
fi
echo "host: $(uname -srm), $(nproc) cpus," \
    "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
exec "$bin" \
    --benchmark_repetitions="$reps" \
    --benchmark_report_aggregates_only=true \
    --benchmark_counters_tabular=true \
    "$@"
