// Proving compiled filters equal to their policy (the symbolic checker).
// The target: Docker's default profile for ALL its architectures —
// one program per native arch of its archMap, each covering that arch's
// sub-architectures — proved in <= 1 s in total (BM_ProveDockerAllArches).
// Per-arch proofs, the policy diagram and a filter-vs-filter `diff` are
// measured too.
//   bazel run //bench:verify_bench
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <vector>

#include "compiler/compile.h"
#include "profile/builtin.h"
#include "profile/caps.h"
#include "profile/reader.h"
#include "profile/resolve.h"
#include "syscalls/arch.h"
#include "verify/equiv.h"
#include "verify/policy_dag.h"
#include "verify/symbolic.h"
#include "verify/verify.h"

namespace sysfence {
namespace {

struct Case {
  syscalls::ArchId native;
  policy::Policy policy;
  bpf::Program program;
};

// Every native arch Docker's default profile maps (its archMap), resolved
// with Docker's default capabilities and compiled.
const std::vector<Case>& docker_cases() {
  static const std::vector<Case> cases = [] {
    std::vector<Case> out;
    auto read = profile::read_profile(profile::builtin_default_profile_json(), "default");
    if (!read) std::abort();
    for (const auto& entry : read->profile.arch_map) {
      const syscalls::Arch* a = syscalls::find_arch(entry.architecture);
      if (a == nullptr) continue;
      profile::ResolveOptions o;
      o.native = a->id;
      o.caps = profile::docker_default_caps();
      o.kernel = {6, 1};
      auto res = profile::resolve(read->profile, o);
      if (!res) std::abort();
      auto c = compiler::compile(res->policy, {});
      if (!c) std::abort();
      out.push_back({a->id, std::move(res->policy), std::move(c->program)});
    }
    return out;
  }();
  return cases;
}

void BM_ProveDockerAllArches(benchmark::State& state) {
  const auto& cases = docker_cases();
  uint64_t paths = 0;
  for (auto _ : state) {
    paths = 0;
    for (const Case& c : cases) {
      auto v = verify::prove_equivalent(c.program, c.policy);
      if (!v || !v->equivalent()) state.SkipWithError("not proved");
      paths += v->equiv.paths;
    }
    benchmark::DoNotOptimize(paths);
  }
  state.counters["arches"] = static_cast<double>(cases.size());
  state.counters["paths"] = static_cast<double>(paths);
}
BENCHMARK(BM_ProveDockerAllArches)->Unit(benchmark::kMillisecond);

void BM_ProveDocker(benchmark::State& state, syscalls::ArchId native) {
  for (const Case& c : docker_cases()) {
    if (c.native != native) continue;
    uint64_t paths = 0;
    uint64_t atoms = 0;
    for (auto _ : state) {
      auto v = verify::prove_equivalent(c.program, c.policy);
      if (!v || !v->equivalent()) state.SkipWithError("not proved");
      paths = v->equiv.paths;
      atoms = v->equiv.word_constraints;
    }
    state.counters["insns"] = static_cast<double>(c.program.size());
    state.counters["paths"] = static_cast<double>(paths);
    state.counters["word_constraints"] = static_cast<double>(atoms);
    return;
  }
  state.SkipWithError("arch not in the profile's archMap");
}
BENCHMARK_CAPTURE(BM_ProveDocker, x86_64, syscalls::ArchId::kX86_64)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_ProveDocker, aarch64, syscalls::ArchId::kAarch64)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_ProveDocker, mips64, syscalls::ArchId::kMips64)->Unit(benchmark::kMillisecond);

void BM_PolicyDiagram(benchmark::State& state) {
  const Case& c = docker_cases().front();
  size_t nodes = 0;
  for (auto _ : state) {
    const verify::DecisionDag dag = verify::policy_dag(c.policy);
    nodes = dag.node_count();
    benchmark::DoNotOptimize(nodes);
  }
  state.counters["nodes"] = static_cast<double>(nodes);
}
BENCHMARK(BM_PolicyDiagram)->Unit(benchmark::kMicrosecond);

// `diff` of two compilations of the same policy (optimal tree vs linear
// chain): BPF against BPF.
void BM_DiffOptimalVsLinear(benchmark::State& state) {
  const Case& c = docker_cases().front();
  compiler::CompileOptions linear;
  linear.strategy = compiler::Strategy::kLinear;
  auto other = compiler::compile(c.policy, linear);
  auto a = verify::BpfProcedure::create(c.program);
  auto b = verify::BpfProcedure::create(other->program);
  for (auto _ : state) {
    const verify::EquivResult r = verify::check_equivalent(*a, *b);
    if (r.verdict != verify::EquivResult::Verdict::kEquivalent) state.SkipWithError("not equivalent");
    benchmark::DoNotOptimize(r.paths);
  }
}
BENCHMARK(BM_DiffOptimalVsLinear)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace sysfence
