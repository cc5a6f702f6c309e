// Generation: how long each step from a profile document to a proved filter
// takes, for both real profiles (Docker's default, containers-common) x the
// five architectures of bench/support.h (each compiled as one program with its
// default sub-architectures).
//
//   gen/parse/<profile>                   JSON -> profile::Profile
//   gen/resolve/<profile>/<arch>          Profile -> Policy (caps, kernel 6.1)
//   gen/compile/<profile>/<arch>          Policy -> validated Program (all passes)
//   gen/parse_resolve_compile/<p>/<arch>  the whole chain (target: <= 250 us
//                                         for docker-default/x86_64)
//   gen/chain_stages/<p>/<arch>           the chain again, each stage timed
//                                         apart (counters, us per iteration)
//   gen/parts_in_turn/<p>/<arch>          gen/parse, gen/resolve and
//                                         gen/compile's work taken in turn
// and the compiler's passes one at a time, through their public interfaces:
//   gen/partition/...   number spaces (arch dispatch) + maximal intervals
//   gen/tree_dp/...     one optimal-tree dynamic program per arch value over
//                       all of its intervals (compile() additionally splits
//                       x32 into a tree of its own and may rebuild a tree a
//                       few times for the longest-path budget: gen/compile
//                       is the authority on the total)
//   gen/arg_subtrees/...  every leaf's argument subtree into a fresh graph
//   gen/emit/...        graph -> Program (layout, trampolines, shared returns)
//   gen/validate/...    the kernel-exact validator on the compiled program
//   gen/prove/...       the symbolic proof program == policy (items/s = proofs/s)
//
//   bazel run //bench:generation_bench -- --benchmark_filter=docker-default/x86_64
#include <benchmark/benchmark.h>
#include <fmt/format.h>
#include <time.h>

#include <cstdlib>
#include <map>
#include <memory>
#include <numeric>
#include <string>
#include <vector>

#include "bench/support.h"
#include "bpf/validate.h"
#include "compiler/args.h"
#include "compiler/compile.h"
#include "compiler/graph.h"
#include "compiler/partition.h"
#include "compiler/tree.h"
#include "profile/reader.h"
#include "profile/resolve.h"
#include "verify/verify.h"

namespace sysfence::bench {
namespace {

using compiler::Interval;
using compiler::NumberSpace;

// One number space cut into intervals, with the weights compile() gives them
// (uniform, normalized per space, plus the same small floor).
struct SpaceParts {
  std::vector<Interval> intervals;
  std::vector<double> weights;
};

// Everything the per-pass benchmarks start from, built once per case.
// Invariant: never moved after construction — `spaces` point into `policy`.
struct Prepared {
  policy::Policy policy;
  std::vector<NumberSpace> spaces;
  compiler::LeafTable leaves;
  std::vector<SpaceParts> parts;
  bpf::Program program;  // what compile() emits
  // A graph lowered the way compile() does it (without the x32 split and the
  // budget rounds), for timing the emitter alone.
  compiler::Graph graph;
  compiler::Edge root;
};

compiler::TreeOptions tree_options() {
  const compiler::CompileOptions defaults;
  compiler::TreeOptions o;
  o.strategy = compiler::Strategy::kOptimal;
  o.size_weight = defaults.size_weight;
  return o;
}

std::vector<double> normalized_weights(const NumberSpace& space, std::span<const Interval> intervals) {
  std::vector<double> w = compiler::interval_weights(space, intervals, compiler::Weights::Uniform());
  const double total = std::accumulate(w.begin(), w.end(), 0.0);
  for (double& x : w) x = (total > 0 ? x / total : 0) + 1e-6;
  return w;
}

// Leaf edges for one space's intervals: each distinct leaf's subtree
// (constant leaves are returns).
std::vector<compiler::Edge> compile_leaves(compiler::Graph& g, const NumberSpace& space,
                                           const compiler::LeafTable& leaves, std::span<const Interval> intervals) {
  compiler::ArgCompiler args(g, space.endian, tree_options());
  std::vector<compiler::Edge> edge(leaves.size());
  std::vector<bool> have(leaves.size(), false);
  for (const Interval& iv : intervals) {
    if (have[iv.leaf]) continue;
    have[iv.leaf] = true;
    edge[iv.leaf] = args.compile(leaves.at(iv.leaf), kOffsetNr);
  }
  return edge;
}

std::unique_ptr<Prepared> prepare(const RealProfile& p, syscalls::ArchId native, std::string* error) {
  auto out = std::make_unique<Prepared>();
  auto policy = resolve_policy(p, native);
  if (!policy) {
    *error = policy.error().message;
    return nullptr;
  }
  out->policy = std::move(*policy);
  auto compiled = compiler::compile(out->policy, {});
  if (!compiled) {
    *error = compiled.error().message;
    return nullptr;
  }
  out->program = std::move(compiled->program);
  out->spaces = compiler::number_spaces(out->policy);

  compiler::Graph& g = out->graph;
  std::vector<compiler::Edge> entries;
  for (const NumberSpace& space : out->spaces) {
    SpaceParts parts;
    parts.intervals = compiler::partition(space, out->policy.bad_arch_action, out->leaves, true);
    parts.weights = normalized_weights(space, parts.intervals);
    const std::vector<compiler::Edge> leaf_edge = compile_leaves(g, space, out->leaves, parts.intervals);
    const compiler::DecisionTree tree = compiler::build_tree(parts.intervals, parts.weights, tree_options());
    const compiler::Edge tree_root = compiler::lower_tree(g, tree, kOffsetNr, leaf_edge);
    entries.push_back(g.enter(tree_root.node, kOffsetArch));
    out->parts.push_back(std::move(parts));
  }
  compiler::Edge next = g.ret(encode(out->policy.bad_arch_action));
  for (size_t i = out->spaces.size(); i-- > 0;) {
    next = g.test(kOffsetArch, bpf::kJeq, out->spaces[i].audit_arch, entries[i], next, kOffsetArch);
  }
  out->root = g.enter(next.node, std::nullopt);
  return out;
}

// Prepared cases, built on first use (a failure is reported by every
// benchmark of the case).
const Prepared* prepared(size_t profile_index, syscalls::ArchId native, std::string* error) {
  static std::map<std::pair<size_t, syscalls::ArchId>, std::unique_ptr<Prepared>> cache;
  static std::map<std::pair<size_t, syscalls::ArchId>, std::string> errors;
  const auto key = std::make_pair(profile_index, native);
  if (auto it = errors.find(key); it != errors.end()) {
    *error = it->second;
    return nullptr;
  }
  auto& slot = cache[key];
  if (!slot) {
    slot = prepare(real_profiles()[profile_index], native, error);
    if (!slot) errors[key] = *error;
  }
  return slot.get();
}

void set_program_counters(benchmark::State& state, const Prepared& p) {
  state.counters["insns"] = static_cast<double>(p.program.size());
  size_t intervals = 0;
  for (const SpaceParts& s : p.parts) intervals += s.intervals.size();
  state.counters["intervals"] = static_cast<double>(intervals);
}

// ---------------------------------------------------------------------------
// The chain
// ---------------------------------------------------------------------------

void BM_Parse(benchmark::State& state, size_t pi) {
  const RealProfile& p = real_profiles()[pi];
  for (auto _ : state) {
    auto read = profile::read_profile(p.json, p.name);
    if (!read) state.SkipWithError(read.error().message.c_str());
    benchmark::DoNotOptimize(read);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * p.json.size()));
}

void BM_Resolve(benchmark::State& state, size_t pi, syscalls::ArchId native) {
  const RealProfile& p = real_profiles()[pi];
  auto read = profile::read_profile(p.json, p.name);
  if (!read) {
    state.SkipWithError(read.error().message.c_str());
    return;
  }
  const profile::ResolveOptions options = resolve_options(native);
  for (auto _ : state) {
    auto res = profile::resolve(read->profile, options);
    if (!res) state.SkipWithError(res.error().message.c_str());
    benchmark::DoNotOptimize(res);
  }
}

void BM_Compile(benchmark::State& state, size_t pi, syscalls::ArchId native) {
  std::string error;
  const Prepared* p = prepared(pi, native, &error);
  if (p == nullptr) {
    state.SkipWithError(error.c_str());
    return;
  }
  const compiler::CompileOptions options;
  for (auto _ : state) {
    auto c = compiler::compile(p->policy, options);
    if (!c) state.SkipWithError(c.error().message.c_str());
    benchmark::DoNotOptimize(c);
  }
  set_program_counters(state, *p);
}

void BM_ParseResolveCompile(benchmark::State& state, size_t pi, syscalls::ArchId native) {
  const RealProfile& p = real_profiles()[pi];
  const profile::ResolveOptions ro = resolve_options(native);
  const compiler::CompileOptions co;
  size_t insns = 0;
  for (auto _ : state) {
    auto read = profile::read_profile(p.json, p.name);
    if (!read) {
      state.SkipWithError(read.error().message.c_str());
      break;
    }
    auto res = profile::resolve(read->profile, ro);
    if (!res) {
      state.SkipWithError(res.error().message.c_str());
      break;
    }
    auto c = compiler::compile(res->policy, co);
    if (!c) {
      state.SkipWithError(c.error().message.c_str());
      break;
    }
    insns = c->program.size();
    benchmark::DoNotOptimize(insns);
  }
  state.counters["insns"] = static_cast<double>(insns);
}

// The chain costs more than the sum of gen/parse, gen/resolve and
// gen/compile although it runs the same instructions: each of those loops
// over one stage, whose code, data and heap chunks stay warm, while in the
// chain every stage starts after the others (see gen/parts_in_turn). The
// counters say where the chain's time goes, freeing the results included:
// this thread's CPU time (four clock reads per iteration, about a
// microsecond, are in the time column but not in the counters).
double thread_cpu_us() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) * 1e6 + static_cast<double>(t.tv_nsec) / 1e3;
}

void BM_ChainStages(benchmark::State& state, size_t pi, syscalls::ArchId native) {
  const RealProfile& p = real_profiles()[pi];
  const profile::ResolveOptions ro = resolve_options(native);
  const compiler::CompileOptions co;
  double stage[4]{};  // parse, resolve, compile, free
  for (auto _ : state) {
    const double start = thread_cpu_us();
    double parsed = 0, resolved = 0, compiled = 0;
    {
      auto read = profile::read_profile(p.json, p.name);
      parsed = thread_cpu_us();
      if (!read) {
        state.SkipWithError(read.error().message.c_str());
        break;
      }
      auto res = profile::resolve(read->profile, ro);
      resolved = thread_cpu_us();
      if (!res) {
        state.SkipWithError(res.error().message.c_str());
        break;
      }
      auto c = compiler::compile(res->policy, co);
      compiled = thread_cpu_us();
      if (!c) {
        state.SkipWithError(c.error().message.c_str());
        break;
      }
      benchmark::DoNotOptimize(c->program.size());
    }
    const double freed = thread_cpu_us();
    stage[0] += parsed - start;
    stage[1] += resolved - parsed;
    stage[2] += compiled - resolved;
    stage[3] += freed - compiled;
  }
  const char* const kNames[] = {"parse_us", "resolve_us", "compile_us", "free_us"};
  for (size_t i = 0; i < 4; ++i)
    state.counters[kNames[i]] = benchmark::Counter(stage[i], benchmark::Counter::kAvgIterations);
}

// What gen/parse, gen/resolve and gen/compile run, each from its own held
// input and freeing its result, one after the other in every iteration:
// each part starts with the caches and the heap the other two left, as in
// the chain, whose time this comes close to while the three loops alone add
// up to less.
void BM_PartsInTurn(benchmark::State& state, size_t pi, syscalls::ArchId native) {
  std::string error;
  const Prepared* prep = prepared(pi, native, &error);
  const RealProfile& p = real_profiles()[pi];
  auto held = profile::read_profile(p.json, p.name);
  if (prep == nullptr || !held) {
    state.SkipWithError(prep == nullptr ? error.c_str() : held.error().message.c_str());
    return;
  }
  const profile::ResolveOptions ro = resolve_options(native);
  const compiler::CompileOptions co;
  for (auto _ : state) {
    {
      auto read = profile::read_profile(p.json, p.name);
      benchmark::DoNotOptimize(read);
    }
    {
      auto res = profile::resolve(held->profile, ro);
      benchmark::DoNotOptimize(res);
    }
    auto c = compiler::compile(prep->policy, co);
    benchmark::DoNotOptimize(c);
  }
}

// ---------------------------------------------------------------------------
// The passes
// ---------------------------------------------------------------------------

void BM_Partition(benchmark::State& state, size_t pi, syscalls::ArchId native) {
  std::string error;
  const Prepared* p = prepared(pi, native, &error);
  if (p == nullptr) {
    state.SkipWithError(error.c_str());
    return;
  }
  for (auto _ : state) {
    const std::vector<NumberSpace> spaces = compiler::number_spaces(p->policy);
    compiler::LeafTable leaves;
    size_t n = 0;
    for (const NumberSpace& s : spaces) n += compiler::partition(s, p->policy.bad_arch_action, leaves, true).size();
    benchmark::DoNotOptimize(n);
  }
  set_program_counters(state, *p);
}

void BM_TreeDp(benchmark::State& state, size_t pi, syscalls::ArchId native) {
  std::string error;
  const Prepared* p = prepared(pi, native, &error);
  if (p == nullptr) {
    state.SkipWithError(error.c_str());
    return;
  }
  const compiler::TreeOptions options = tree_options();
  size_t tests = 0;
  for (auto _ : state) {
    tests = 0;
    for (const SpaceParts& s : p->parts) tests += compiler::build_tree(s.intervals, s.weights, options).tests;
    benchmark::DoNotOptimize(tests);
  }
  set_program_counters(state, *p);
  state.counters["tree_tests"] = static_cast<double>(tests);
}

void BM_ArgSubtrees(benchmark::State& state, size_t pi, syscalls::ArchId native) {
  std::string error;
  const Prepared* p = prepared(pi, native, &error);
  if (p == nullptr) {
    state.SkipWithError(error.c_str());
    return;
  }
  size_t nodes = 0;
  for (auto _ : state) {
    compiler::Graph g;
    for (size_t i = 0; i < p->spaces.size(); ++i) {
      benchmark::DoNotOptimize(compile_leaves(g, p->spaces[i], p->leaves, p->parts[i].intervals));
    }
    nodes = g.size();
  }
  set_program_counters(state, *p);
  state.counters["graph_nodes"] = static_cast<double>(nodes);
}

void BM_Emit(benchmark::State& state, size_t pi, syscalls::ArchId native) {
  std::string error;
  const Prepared* p = prepared(pi, native, &error);
  if (p == nullptr) {
    state.SkipWithError(error.c_str());
    return;
  }
  size_t insns = 0;
  for (auto _ : state) {
    auto e = compiler::emit(p->graph, p->root);
    if (!e) {
      state.SkipWithError(e.error().message.c_str());
      break;
    }
    insns = e->program.size();
    benchmark::DoNotOptimize(insns);
  }
  set_program_counters(state, *p);
  state.counters["emitted_insns"] = static_cast<double>(insns);
}

void BM_Validate(benchmark::State& state, size_t pi, syscalls::ArchId native) {
  std::string error;
  const Prepared* p = prepared(pi, native, &error);
  if (p == nullptr) {
    state.SkipWithError(error.c_str());
    return;
  }
  for (auto _ : state) {
    auto ok = bpf::validate(p->program);
    if (!ok) state.SkipWithError(ok.error().message.c_str());
    benchmark::DoNotOptimize(ok);
  }
  set_program_counters(state, *p);
}

void BM_Prove(benchmark::State& state, size_t pi, syscalls::ArchId native) {
  std::string error;
  const Prepared* p = prepared(pi, native, &error);
  if (p == nullptr) {
    state.SkipWithError(error.c_str());
    return;
  }
  uint64_t paths = 0;
  for (auto _ : state) {
    auto v = verify::prove_equivalent(p->program, p->policy);
    if (!v || !v->equivalent()) {
      state.SkipWithError(v ? "not proved equivalent" : v.error().message.c_str());
      break;
    }
    paths = v->equiv.paths;
  }
  set_program_counters(state, *p);
  state.counters["paths"] = static_cast<double>(paths);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));  // proofs/s
}

// ---------------------------------------------------------------------------

using CaseFn = void (*)(benchmark::State&, size_t, syscalls::ArchId);

const bool kRegistered = [] {
  for (size_t pi = 0; pi < real_profiles().size(); ++pi) {
    const std::string profile_name(real_profiles()[pi].name);
    benchmark::RegisterBenchmark(("gen/parse/" + profile_name).c_str(), BM_Parse, pi)->Unit(benchmark::kMicrosecond);
  }
  const std::pair<const char*, CaseFn> kCases[] = {
      {"resolve", BM_Resolve},
      {"compile", BM_Compile},
      {"parse_resolve_compile", BM_ParseResolveCompile},
      {"chain_stages", BM_ChainStages},
      {"parts_in_turn", BM_PartsInTurn},
      {"partition", BM_Partition},
      {"tree_dp", BM_TreeDp},
      {"arg_subtrees", BM_ArgSubtrees},
      {"emit", BM_Emit},
      {"validate", BM_Validate},
      {"prove", BM_Prove},
  };
  for (const auto& [pass, fn] : kCases) {
    for (size_t pi = 0; pi < real_profiles().size(); ++pi) {
      for (syscalls::ArchId a : bench_arches()) {
        const std::string name = fmt::format("gen/{}/{}/{}", pass, real_profiles()[pi].name, syscalls::arch(a).name);
        benchmark::RegisterBenchmark(name.c_str(), fn, pi, a)->Unit(benchmark::kMicrosecond);
      }
    }
  }
  return true;
}();

}  // namespace
}  // namespace sysfence::bench
