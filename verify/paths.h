// The feasible paths of a classic BPF filter, as the audit checks see them:
// for every path the symbolic executor (verify/symbolic.h) finds, how it ends,
// the constraint on each seccomp_data word that every input on the path
// satisfies, and one concrete input on it. Running that input through the
// interpreter retraces the path exactly (every branch on the path is one of
// its word constraints), which is how a check learns which instructions a
// path executes and which input words each of its jumps reads.
//
// Machine level: knows nothing of profiles or syscall tables.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "base/expected.h"
#include "base/seccomp.h"
#include "bpf/insn.h"
#include "bpf/interp.h"
#include "verify/procedure.h"
#include "verify/symbolic.h"
#include "verify/word_set.h"

namespace sysfence::verify {

// seccomp_data word indices (word i = byte offset 4*i).
inline constexpr unsigned kWordNr = kOffsetNr / 4;
inline constexpr unsigned kWordArch = kOffsetArch / 4;
inline constexpr unsigned kWordIpLo = kOffsetIp / 4;  // either half, by byte order
inline constexpr unsigned kWordIpHi = kOffsetIp / 4 + 1;

struct Constraint {
  unsigned word = 0;
  verify::WordAtom atom;
};

using WordSets = std::array<WordSet, kWordCount>;

struct Path {
  verify::Outcome outcome;
  WordSets words;          // every input on the path satisfies all of them
  SeccompWords witness{};  // one such input
};

// How much a walk may do: paths reported, and word constraints added (the
// walk's work: a filter with 2^N paths of 4000 instructions costs thousands
// of constraints per path, so paths alone do not bound the time).
struct WalkLimits {
  static constexpr uint64_t kUnlimited = ~uint64_t{0};
  WalkLimits(uint64_t paths, uint64_t atoms = kUnlimited) : max_paths(paths), max_atoms(atoms) {}
  uint64_t max_paths;
  uint64_t max_atoms;
};

struct WalkStats {
  uint64_t paths = 0;
  uint64_t atoms = 0;      // word constraints added
  bool truncated = false;  // stopped at a limit: more paths exist
};

// A conditional jump (or `ret A`) executed on some input, and the input
// words its operands were computed from (bit w = word w).
struct WordUse {
  uint32_t pc = 0;
  uint32_t words = 0;
};

// Calls `visit` for each feasible path of `procedure` (a program, a
// stack) whose inputs also satisfy `constraints`, until a limit is reached
// (checked at each path: the overshoot is at most one path's work).
WalkStats walk_paths(const Procedure& procedure, std::span<const Constraint> constraints, WalkLimits limits,
                     const std::function<void(const Path&)>& visit);

class PathExplorer {
 public:
  // Fails with the validator's message when the kernel would reject `program`.
  static Expected<PathExplorer> create(bpf::Program program);

  // Calls `visit` for each feasible path whose inputs also satisfy
  // `constraints`, until a limit is reached (checked at each path: the
  // overshoot is at most one path's work).
  WalkStats walk(std::span<const Constraint> constraints, WalkLimits limits,
                 const std::function<void(const Path&)>& visit) const;
  // The same, collected.
  std::vector<Path> paths(std::span<const Constraint> constraints, WalkLimits limits, WalkStats* stats = nullptr) const;

  bpf::RunResult run(const SeccompWords& input) const { return proc_interp().run(input); }
  // The instructions `input` executes, in order (the final `ret` included).
  std::vector<uint32_t> trace(const SeccompWords& input) const;
  // The conditional jumps and `ret A` that `input` executes, with the input
  // words each one's operands derive from (a conservative taint: any ALU
  // mix of two words counts both).
  std::vector<WordUse> word_uses(const SeccompWords& input) const;

  const bpf::Program& program() const { return proc_.program(); }

 private:
  PathExplorer(BpfProcedure proc, bpf::Interpreter interp) : proc_(std::move(proc)), interp_(std::move(interp)) {}
  const bpf::Interpreter& proc_interp() const { return interp_; }

  BpfProcedure proc_;
  bpf::Interpreter interp_;
};

// The atoms that describe `set` exactly (its normal form: bounds, known
// bits, excluded values, masked clauses; an unsatisfiable pair for an empty
// set); adding them to another set intersects the two.
std::vector<verify::WordAtom> atoms_of(const WordSet& set);

// `a` ∩ `b` when satisfiable (checked, so witness() is valid), else nullopt.
std::optional<WordSet> intersect(const WordSet& a, const WordSet& b);

// `set` with `atoms` added, when satisfiable (checked), else nullopt.
std::optional<WordSet> restrict(const WordSet& set, std::span<const verify::WordAtom> atoms);

}  // namespace sysfence::verify
