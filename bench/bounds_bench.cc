// Hostile profiles: how the cost of the whole pipeline (parse -> resolve ->
// compile -> prove, what `sysfence compile` runs) grows with the size of
// each shape of test/hostile/hostile_profiles.h, up to the parser's limits.
// Each must stay linear (or stop at one of the compiler's limits with an
// error) so that any input under 16 MiB costs bounded time and memory.
//
//   bounds/<shape>/<n>   n entries (conditions, names) of that shape
//
// Counters: bytes (the document), rules (the resolved policy's, all ABIs),
// ok (1: a filter; 0: refused with an error), heap_MiB (the heap in use when
// the pipeline returns, result alive: the memory the input costs).
//
//   bazel run -c opt //bench:bounds_bench
#include <benchmark/benchmark.h>
#include <fmt/format.h>
#include <malloc.h>

#include <algorithm>
#include <string>

#include "pipeline/pipeline.h"
#include "syscalls/arch.h"
#include "test/hostile/hostile_profiles.h"

namespace sysfence::bench {
namespace {

using hostile::Shape;

double heap_mib() { return static_cast<double>(mallinfo2().uordblks) / (1 << 20); }

void run_shape(benchmark::State& state, Shape shape) {
  const auto n = static_cast<size_t>(state.range(0));
  const std::string text = hostile::profile(shape, n);
  pipeline::Request request;
  request.profile = fmt::format("{}.json", hostile::info(shape).name);
  request.text = text;
  request.resolve.native = syscalls::ArchId::kX86_64;
  request.resolve.kernel = {6, 1, 0};
  size_t rules = 0;
  bool ok = false;
  double heap = 0;
  for (auto _ : state) {
    const double before = heap_mib();
    auto r = pipeline::run(request);
    heap = std::max(0.0, heap_mib() - before);  // a failure frees everything (and a little more)
    ok = r.has_value();
    rules = 0;
    if (r)
      for (const auto& a : r->resolution.policy.arches)
        for (const auto& [nr, list] : a.rules) rules += list.size();
    benchmark::DoNotOptimize(r);
  }
  state.counters["bytes"] = static_cast<double>(text.size());
  state.counters["rules"] = static_cast<double>(rules);
  state.counters["ok"] = ok ? 1 : 0;
  state.counters["heap_MiB"] = heap;
}

void register_all() {
  for (const auto& info : hostile::shapes()) {
    const Shape shape = info.shape;
    auto* b = benchmark::RegisterBenchmark(fmt::format("bounds/{}", info.name).c_str(),
                                           [shape](benchmark::State& s) { run_shape(s, shape); });
    // From a thousandth of the limit up to the limit, by factors of 10 (and
    // the limit itself).
    for (size_t n = std::max<size_t>(1, info.at_limit / 1000); n < info.at_limit; n *= 10)
      b->Arg(static_cast<int64_t>(n));
    b->Arg(static_cast<int64_t>(info.at_limit));
    b->Unit(benchmark::kMillisecond)->Iterations(1);
  }
}

}  // namespace
}  // namespace sysfence::bench

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  sysfence::bench::register_all();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
