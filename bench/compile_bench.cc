// Parse -> resolve -> compile of Docker's default profile for x86_64
// (x86_64 + i386 + x32 in one program), Docker's 14 default capabilities,
// kernel 6.1 — the target is <= 200 us for the whole chain — and each
// stage on its own, plus the optimal-tree pass for the x86_64 number space.
//   bazel run //bench:compile_bench
#include <benchmark/benchmark.h>

#include "compiler/compile.h"
#include "profile/builtin.h"
#include "profile/caps.h"
#include "profile/reader.h"
#include "profile/resolve.h"

namespace sysfence {
namespace {

profile::ResolveOptions options(syscalls::ArchId native) {
  profile::ResolveOptions o;
  o.native = native;
  o.caps = profile::docker_default_caps();
  o.kernel = {6, 1};
  return o;
}

void BM_ParseResolveCompile(benchmark::State& state, syscalls::ArchId native) {
  const std::string_view json = profile::builtin_default_profile_json();
  const profile::ResolveOptions ro = options(native);
  const compiler::CompileOptions co;
  size_t insns = 0;
  while (state.KeepRunning()) {
    auto read = profile::read_profile(json, "default");
    auto res = profile::resolve(read->profile, ro);
    auto c = compiler::compile(res->policy, co);
    insns = c->program.size();
    benchmark::DoNotOptimize(insns);
  }
  state.counters["insns"] = static_cast<double>(insns);
}
BENCHMARK_CAPTURE(BM_ParseResolveCompile, x86_64, syscalls::ArchId::kX86_64)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_ParseResolveCompile, aarch64, syscalls::ArchId::kAarch64)->Unit(benchmark::kMicrosecond);

void BM_Parse(benchmark::State& state) {
  const std::string_view json = profile::builtin_default_profile_json();
  while (state.KeepRunning()) {
    auto read = profile::read_profile(json, "default");
    benchmark::DoNotOptimize(read);
  }
}
BENCHMARK(BM_Parse)->Unit(benchmark::kMicrosecond);

void BM_Resolve(benchmark::State& state) {
  auto read = profile::read_profile(profile::builtin_default_profile_json(), "default");
  const profile::ResolveOptions ro = options(syscalls::ArchId::kX86_64);
  while (state.KeepRunning()) {
    auto res = profile::resolve(read->profile, ro);
    benchmark::DoNotOptimize(res);
  }
}
BENCHMARK(BM_Resolve)->Unit(benchmark::kMicrosecond);

void BM_Compile(benchmark::State& state, compiler::Strategy strategy) {
  auto read = profile::read_profile(profile::builtin_default_profile_json(), "default");
  auto res = profile::resolve(read->profile, options(syscalls::ArchId::kX86_64));
  compiler::CompileOptions co;
  co.strategy = strategy;
  while (state.KeepRunning()) {
    auto c = compiler::compile(res->policy, co);
    benchmark::DoNotOptimize(c);
  }
}
BENCHMARK_CAPTURE(BM_Compile, optimal, compiler::Strategy::kOptimal)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Compile, balanced, compiler::Strategy::kBalanced)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Compile, linear, compiler::Strategy::kLinear)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace sysfence
