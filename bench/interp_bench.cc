// Interpreter throughput: evaluations per second on ~300-instruction filters
// of the two shapes real filters have:
//   linear  libseccomp-style chain "nr == N? ALLOW" (long paths, ~150 insns)
//   tree    a binary search over syscall numbers with some argument checks
//           (short paths, ~12 insns) — what sysfence's compiler emits.
// and on the real thing: Docker's default profile for x86_64 (x86_64 + i386 +
// x32 in one program) compiled by each of sysfence's strategies, on syscall
// numbers 0..450 with arguments 0 (BM_DockerDefault/<strategy>).
// Inputs are 1024 pre-built seccomp_data word arrays with random syscall
// numbers, cycled so the measurement is the interpreter, not input set-up.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <vector>

#include "base/seccomp.h"
#include "bench/support.h"
#include "bpf/insn.h"
#include "bpf/interp.h"
#include "compiler/compile.h"

namespace sysfence::bpf {
namespace {

constexpr uint32_t kAuditArchX86_64 = 0xc000003e;
constexpr uint32_t kMaxNr = 335;

uint64_t splitmix(uint64_t& s) {
  uint64_t z = (s += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

Program arch_check() {
  return {stmt(kLd | kW | kAbs, kOffsetArch), jump(kJmp | kJeq | kK, kAuditArchX86_64, 1, 0),
          stmt(kRet | kRetK, kRetKillProcess), stmt(kLd | kW | kAbs, kOffsetNr)};
}

// 148 allowed syscalls, each `if (A == nr) return ALLOW`, then ERRNO(EPERM).
Program linear_filter() {
  Program p = arch_check();
  for (uint32_t nr = 0; nr < 2 * 148; nr += 2) {
    p.push_back(jump(kJmp | kJeq | kK, nr, 0, 1));
    p.push_back(stmt(kRet | kRetK, kRetAllow));
  }
  p.push_back(stmt(kRet | kRetK, kRetErrno | 1));
  return p;
}

// What a syscall in the tree leads to: plain ALLOW, or (every 5th) a check
// that args[0] is 0 or 1.
Program leaf_body(uint32_t nr) {
  if (nr % 5 != 0) return {stmt(kRet | kRetK, kRetAllow)};
  return {stmt(kLd | kW | kAbs, arg_hi_offset(0, Endian::kLittle)),
          jump(kJmp | kJeq | kK, 0, 0, 3),
          stmt(kLd | kW | kAbs, arg_lo_offset(0, Endian::kLittle)),
          jump(kJmp | kJgt | kK, 1, 1, 0),
          stmt(kRet | kRetK, kRetAllow),
          stmt(kRet | kRetK, kRetErrno | 22)};
}

// Binary search over sorted[lo, hi): position-independent block (relative
// jumps only), every path returns.
Program tree_block(const std::vector<uint32_t>& sorted, size_t lo, size_t hi) {
  Program out;
  if (hi - lo <= 3) {
    for (size_t i = lo; i < hi; ++i) {
      const Program body = leaf_body(sorted[i]);
      out.push_back(jump(kJmp | kJeq | kK, sorted[i], 0, static_cast<uint8_t>(body.size())));
      out.insert(out.end(), body.begin(), body.end());
    }
    out.push_back(stmt(kRet | kRetK, kRetErrno | 1));
    return out;
  }
  const size_t mid = (lo + hi) / 2;
  const Program left = tree_block(sorted, lo, mid);
  const Program right = tree_block(sorted, mid, hi);
  out.push_back(jump(kJmp | kJge | kK, sorted[mid], static_cast<uint8_t>(left.size()), 0));
  out.insert(out.end(), left.begin(), left.end());
  out.insert(out.end(), right.begin(), right.end());
  return out;
}

Program tree_filter() {
  std::vector<uint32_t> allowed;
  for (uint32_t nr = 0; nr < kMaxNr; nr += 4) allowed.push_back(nr);
  Program p = arch_check();
  const Program tree = tree_block(allowed, 0, allowed.size());
  p.insert(p.end(), tree.begin(), tree.end());
  return p;
}

std::vector<SeccompWords> inputs() {
  std::vector<SeccompWords> out;
  uint64_t s = 1;
  for (int i = 0; i < 1024; ++i) {
    SeccompData d;
    d.arch = kAuditArchX86_64;
    d.nr = static_cast<uint32_t>(splitmix(s) % kMaxNr);
    for (auto& a : d.args) a = splitmix(s) % 3;
    out.push_back(to_words(d, Endian::kLittle));
  }
  return out;
}

void run_bench(benchmark::State& state, const Program& prog, bool traced) {
  auto interp = Interpreter::create(prog);
  if (!interp) {
    state.SkipWithError(interp.error().message.c_str());
    return;
  }
  const std::vector<SeccompWords> data = inputs();
  std::vector<TraceStep> trace;
  trace.reserve(kMaxInsns);
  uint64_t insns = 0;
  size_t i = 0;
  for (auto _ : state) {
    const RunResult r = traced ? interp->run_traced(data[i], trace) : interp->run(data[i]);
    benchmark::DoNotOptimize(r);
    insns += r.insns;
    i = (i + 1) & 1023;
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.counters["filter_insns"] = static_cast<double>(prog.size());
  state.counters["insns/eval"] =
      static_cast<double>(insns) / static_cast<double>(std::max<int64_t>(1, state.iterations()));
  state.counters["insns/s"] = benchmark::Counter(static_cast<double>(insns), benchmark::Counter::kIsRate);
}

void BM_Linear300(benchmark::State& state) { run_bench(state, linear_filter(), false); }
void BM_Tree300(benchmark::State& state) { run_bench(state, tree_filter(), false); }
void BM_Tree300Traced(benchmark::State& state) { run_bench(state, tree_filter(), true); }

// Validation + decoding, paid once per filter.
void BM_CreateTree300(benchmark::State& state) {
  const Program prog = tree_filter();
  for (auto _ : state) {
    auto interp = Interpreter::create(prog);
    benchmark::DoNotOptimize(interp);
  }
  state.counters["filter_insns"] = static_cast<double>(prog.size());
}

// Docker's default for x86_64, compiled by `strategy`; inputs: x86_64
// numbers drawn uniformly from 0..450, arguments 0 (what `stats` averages).
void BM_DockerDefault(benchmark::State& state, compiler::Strategy strategy) {
  compiler::CompileOptions options;
  options.strategy = strategy;
  auto c = bench::compile_docker_default(syscalls::ArchId::kX86_64, options);
  if (!c) {
    state.SkipWithError(c.error().message.c_str());
    return;
  }
  auto interp = Interpreter::create(c->program);
  if (!interp) {
    state.SkipWithError(interp.error().message.c_str());
    return;
  }
  std::vector<SeccompWords> data;
  uint64_t s = 7;
  for (int i = 0; i < 1024; ++i) {
    SeccompData d;
    d.arch = kAuditArchX86_64;
    d.nr = static_cast<uint32_t>(splitmix(s) % 451);
    data.push_back(to_words(d, Endian::kLittle));
  }
  uint64_t insns = 0;
  size_t i = 0;
  for (auto _ : state) {
    const RunResult r = interp->run(data[i]);
    benchmark::DoNotOptimize(r);
    insns += r.insns;
    i = (i + 1) & 1023;
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.counters["filter_insns"] = static_cast<double>(c->program.size());
  state.counters["insns/eval"] =
      static_cast<double>(insns) / static_cast<double>(std::max<int64_t>(1, state.iterations()));
  state.counters["insns/s"] = benchmark::Counter(static_cast<double>(insns), benchmark::Counter::kIsRate);
}
BENCHMARK_CAPTURE(BM_DockerDefault, optimal, compiler::Strategy::kOptimal);
BENCHMARK_CAPTURE(BM_DockerDefault, balanced, compiler::Strategy::kBalanced);
BENCHMARK_CAPTURE(BM_DockerDefault, linear, compiler::Strategy::kLinear);

BENCHMARK(BM_Linear300);
BENCHMARK(BM_Tree300);
BENCHMARK(BM_Tree300Traced);
BENCHMARK(BM_CreateTree300);

}  // namespace
}  // namespace sysfence::bpf
