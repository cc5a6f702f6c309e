// The same policy under every strategy, side by side (`sysfence stats
// --compare`): the compiler's optimal tree against the shapes
// libseccomp produces — a balanced tree without weights or interval merging
// (optimize=2) and a linear chain (optimize=1) — each compiled by sysfence
// from the same Policy and measured with the interpreter exactly like
// `stats` measures any filter.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/expected.h"
#include "bpf/insn.h"
#include "compiler/compile.h"
#include "compiler/weights.h"
#include "measure/stats.h"
#include "policy/policy.h"
#include "syscalls/arch.h"

namespace sysfence::measure {

struct StrategyRun {
  compiler::Strategy strategy = compiler::Strategy::kOptimal;
  ProgramStats stats;  // length + per-ABI measurements (weighted under Comparison::weights)
  // The column's name: the strategy's ("optimal"), or the name an external
  // filter was given ("runc").
  std::string label;
  bool external = false;  // a filter sysfence did not build (add_external)
};

struct Comparison {
  std::vector<StrategyRun> runs;  // optimal, balanced, linear, then the external filters
  // What the weighted means average over: the caller's model, or the built-in
  // hot table when the caller's is uniform (a uniform "weighted mean" would
  // only repeat the mean).
  compiler::Weights weights = compiler::Weights::Hot();
  std::string compiled_weights;  // the model the optimal tree was built for
};

// Compiles `policy` with each strategy (the other options from `base`) and
// measures the programs for `abis` (usually the policy's ABIs). The error is
// the first failing compilation or measurement, naming the strategy.
Expected<Comparison> compare_strategies(const policy::Policy& policy, const compiler::CompileOptions& base,
                                        std::span<const syscalls::ArchId> abis, const StatsOptions& options);

// Measures `program`, a filter built elsewhere (libseccomp's, runc's), for
// the same ABIs and numbers as the strategies and appends it as the column
// `name`. Its answers may differ from the policy's: the table says on how
// many numbers. Error: the measurement's, naming `name`.
Expected<void> add_external(Comparison& c, std::string name, const bpf::Program& program,
                            std::span<const syscalls::ArchId> abis, const StatsOptions& options);

// How many numbers of the ABI `abi_index` (an index into every run's
// stats.abis) `run` answers otherwise than the optimal strategy, the first
// run. Nonzero only for an external filter: the strategies compile one policy.
size_t answers_unlike_optimal(const Comparison& c, const StrategyRun& run, size_t abi_index);

// A table: one column per strategy (and external filter); rows: program length, then per ABI the
// mean / max executed instructions, the weighted mean, the mean over allowed
// numbers, the syscalls the kernel's action cache serves, and each mean and
// length relative to the optimal strategy.
std::string format_comparison(const Comparison& c);

// An SVG chart per ABI: instructions executed per syscall number (log
// scale), one line per strategy, the answer per number as a strip below, and
// a tooltip per number naming the syscall and each strategy's count.
std::string comparison_svg(const Comparison& c, std::string_view title);

}  // namespace sysfence::measure
