// Measurements of any seccomp filter (ours or anyone's): instructions the
// kernel executes per syscall number, per ABI, averaged uniformly and under a
// weight model; what the kernel's action cache serves; and the optimal-tree
// bound for the answers the filter gives. The interpreter is the measuring
// device, so the numbers are the kernel's own instruction counts.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/expected.h"
#include "base/seccomp.h"
#include "bpf/insn.h"
#include "bpf/interp.h"
#include "bpf/stack.h"
#include "compiler/weights.h"
#include "syscalls/arch.h"
#include "syscalls/filter_support.h"
#include "syscalls/table.h"

namespace sysfence::measure {

struct NumberRange {
  uint32_t lo = 0;
  uint32_t hi = 0;
};

// A number of the measured range the target kernel lets through without
// running any filter (syscalls::seccomp_exemption). The kernel marks it in
// the action cache's bitmap (seccomp_is_const_allow), so it is measured as
// the kernel answers it: ALLOW, 0 instructions, served by the cache; what the
// filter would have done is kept here.
struct ExemptCall {
  uint32_t nr = 0;
  std::string_view name;
  syscalls::KernelVersion since;
  Action filters_action;
  uint32_t filters_insns = 0;
};

struct AbiStats {
  syscalls::ArchId abi = syscalls::ArchId::kX86_64;
  NumberRange range;  // measured numbers (seccomp_data.nr, bias included)
  // Per number of `range`, all arguments 0: what the kernel answers and how
  // many instructions the filter executes (the return included); for an
  // exempt number (below) ALLOW and 0.
  std::vector<uint32_t> insns;
  std::vector<Action> actions;
  std::vector<ExemptCall> exempt;

  unsigned max_insns = 0;
  double mean_insns = 0;           // uniform over `range`
  double weighted_mean_insns = 0;  // under the weight model (0 if it names none here)
  bool weighted = false;           // the weight model names syscalls of this ABI
  // Over the numbers of `range` the filter ALLOWs (arguments 0).
  unsigned allowed = 0;
  unsigned allowed_max_insns = 0;
  double allowed_mean_insns = 0;
  // The kernel's action cache: whether it exists for this ABI, and how many
  // syscalls of the table (numbers below kActionCacheLimit) it answers
  // without running the filter (the exempt calls included: the kernel sets
  // their bits whatever the filters say); `allowed_uncached` counts table syscalls the
  // filter ALLOWs with arguments 0 that the cache does not serve (they read
  // arguments, or the program shape defeats the emulation).
  bool has_cache = false;
  // Known when the ABI has a cache but the target kernel predates it
  // (StatsOptions::kernel older than kActionCacheSince): that kernel.
  syscalls::KernelVersion kernel_without_cache;
  unsigned table_syscalls = 0;
  unsigned cached = 0;
  unsigned allowed_uncached = 0;
  // Optimal-tree bound: the fewest comparisons on `nr` any search tree needs
  // on average (under the same weights as weighted_mean_insns, else uniform)
  // to give these answers, over `range`. A filter also needs `A = arch`, an
  // arch test, `A = nr` and a return.
  double bound_tests = 0;
};

struct ProgramStats {
  size_t length = 0;  // instructions (of every filter of a stack)
  // A stack of several filters (measure_stack): each filter's length by the
  // kernel's index (installation order, 0 = the oldest); empty for one program.
  std::vector<size_t> filter_lengths;
  std::vector<AbiStats> abis;
};

// The most syscall numbers one ABI's measurement covers (each is run
// through the filter, and its answer and count kept).
inline constexpr uint32_t kMaxRangeNumbers = uint32_t{1} << 20;

struct StatsOptions {
  compiler::Weights weights = compiler::Weights::Uniform();
  // Measure [bias + lo, bias + hi] instead of each ABI's table range
  // [bias, largest] (bias: x32 0x40000000, MIPS 4000/5000/6000, else 0).
  std::optional<NumberRange> range;  // at most kMaxRangeNumbers
  // The kernel the filter will run on; the action cache counts only from
  // kActionCacheSince, the calls the kernel never filters from their
  // release (syscalls::seccomp_exemption). Unset: a kernel that has the
  // cache and no such call (5.11 to 6.11).
  std::optional<syscalls::KernelVersion> kernel;
};

// The action cache ("seccomp: cache result of seccomp filters", Linux 5.11).
inline constexpr syscalls::KernelVersion kActionCacheSince{5, 11, 0};

// Measures `prog` (validated; the error is the validator's) for each ABI.
Expected<ProgramStats> measure(std::span<const bpf::Insn> prog, std::span<const syscalls::ArchId> abis,
                               const StatsOptions& options);

// A filter stack (installation order, the oldest first), as the kernel runs
// it (bpf/stack.h): the instructions of every filter are counted, the answer
// is the kernel's combination, and a syscall is cached only when every
// filter's emulation gives a constant ALLOW (the kernel ANDs the filters'
// bitmaps, seccomp_cache_prepare). One filter measures exactly as `measure`.
Expected<ProgramStats> measure_stack(std::span<const bpf::Program> stack, std::span<const syscalls::ArchId> abis,
                                     const StatsOptions& options);

// A human-readable report (the `stats` command's output).
std::string format_stats(const ProgramStats& s, const compiler::Weights& w);

// An SVG chart: instructions executed per syscall number, one panel per ABI,
// bars coloured by the answer (with a tooltip naming the syscall).
std::string stats_svg(const ProgramStats& s, std::string_view title);

}  // namespace sysfence::measure
