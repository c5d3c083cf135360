/*
 * The C interface of bench_shim.h over Google Benchmark, and the benchmark
 * executable's main(). hcb_state and hcb_bench are never defined: they are
 * the C names of benchmark::State and benchmark::internal::Benchmark, cast
 * at this boundary. Nothing here knows about libheadcount; the C files do.
 */
#include "bench_shim.h"

#include <benchmark/benchmark.h>

namespace
{

benchmark::State &state_of(hcb_state *st)
{
    return *reinterpret_cast<benchmark::State *>(st);
}

const benchmark::State &state_of(const hcb_state *st)
{
    return *reinterpret_cast<const benchmark::State *>(st);
}

benchmark::internal::Benchmark *bench_of(hcb_bench *b)
{
    return reinterpret_cast<benchmark::internal::Benchmark *>(b);
}

hcb_bench *handle_of(benchmark::internal::Benchmark *b)
{
    return reinterpret_cast<hcb_bench *>(b);
}

} // namespace

extern "C" {

hcb_bench *hcb_register(const char *name, hcb_fn fn, void *arg)
{
    return handle_of(
        benchmark::RegisterBenchmark(name, [fn, arg](benchmark::State &state) {
            fn(reinterpret_cast<hcb_state *>(&state), arg);
        }));
}

hcb_bench *hcb_bench_arg(hcb_bench *b, int64_t arg)
{
    return handle_of(bench_of(b)->Arg(arg));
}

hcb_bench *hcb_bench_threads(hcb_bench *b, int n)
{
    return handle_of(bench_of(b)->Threads(n));
}

hcb_bench *hcb_bench_iterations(hcb_bench *b, int64_t n)
{
    return handle_of(bench_of(b)->Iterations(n));
}

hcb_bench *hcb_bench_real_time(hcb_bench *b)
{
    return handle_of(bench_of(b)->UseRealTime());
}

hcb_bench *hcb_bench_unit_ms(hcb_bench *b)
{
    return handle_of(bench_of(b)->Unit(benchmark::kMillisecond));
}

bool hcb_keep_running(hcb_state *st)
{
    return state_of(st).KeepRunning();
}

bool hcb_keep_running_batch(hcb_state *st, int64_t n)
{
    return state_of(st).KeepRunningBatch(n);
}

int64_t hcb_range(const hcb_state *st, int i)
{
    return state_of(st).range(static_cast<std::size_t>(i));
}

int hcb_thread_index(const hcb_state *st)
{
    return state_of(st).thread_index();
}

int hcb_threads(const hcb_state *st)
{
    return state_of(st).threads();
}

int64_t hcb_iterations(const hcb_state *st)
{
    return static_cast<int64_t>(state_of(st).iterations());
}

void hcb_set_items(hcb_state *st, int64_t items)
{
    state_of(st).SetItemsProcessed(items);
}

void hcb_set_bytes(hcb_state *st, int64_t bytes)
{
    state_of(st).SetBytesProcessed(bytes);
}

void hcb_pause(hcb_state *st)
{
    state_of(st).PauseTiming();
}

void hcb_resume(hcb_state *st)
{
    state_of(st).ResumeTiming();
}

void hcb_counter(hcb_state *st, const char *name, double value,
                 hcb_counter_kind kind)
{
    benchmark::Counter::Flags flags = kind == HCB_COUNTER_RATE
                                          ? benchmark::Counter::kIsRate
                                          : benchmark::Counter::kDefaults;
    state_of(st).counters[name] = benchmark::Counter(value, flags);
}

void hcb_skip_with_error(hcb_state *st, const char *msg)
{
    state_of(st).SkipWithError(msg);
}

void hcb_consume(uint64_t value)
{
    benchmark::DoNotOptimize(value);
}

} // extern "C"

int main(int argc, char **argv)
{
#define HCB_CALL_(module) hcb_register_##module();
    HCB_MODULES(HCB_CALL_)
#undef HCB_CALL_
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv))
        return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
