// Equivalence of two decision procedures over seccomp_data, by a product
// walk: every path of A is walked, and under each path's constraints every
// path of B that is still satisfiable; each such pair must end in the same
// action. Every input follows exactly one path of each side, and a pair is
// pruned only when its conjunction is unsatisfiable (exactly, per word), so
// when no pair differs and no path left the fragment, the procedures are
// equal on all 2^512 inputs: a proof, not a test.
//
// Each differing pair yields a region (its constraints) and a concrete input
// inside it; the input is run through both procedures' concrete `run` (the
// interpreter for BPF) and reported only when they really disagree.
//
// When a path leaves the fragment (Outcome::kUnsupported) or a budget runs
// out, the answer is no longer a proof: the checker then tests boundary and
// random inputs built from the constants both sides compare with, and says
// so (`proved == false`, `tested == true`).
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "verify/procedure.h"

namespace sysfence::verify {

struct EquivOptions {
  // Stop after this many differing regions (each confirmed).
  size_t max_mismatches = 1;
  // Joint paths compared before the walk gives up (then: testing).
  uint64_t max_paths = 2'000'000;
  // Instructions the walk of a BPF side may step through (PathState's step
  // budget); past it the walk stops and the rest is tested.
  uint64_t max_steps = 200'000'000;
  // Concrete inputs the testing fallback may run: at most this many, and
  // at most max_steps instructions of both sides' programs together.
  uint64_t test_budget = 1'000'000;
  uint64_t seed = 0x5eccull;
  // When the memoized walk over both sides as diagrams (verify/dag_pool.h)
  // is tried: once the plain walk has taken 2,048 joint paths (kAuto), before
  // it (kFirst: pairs known to be argument-heavy), or never (kNever: pairs
  // known to be light, whose plain walk is the cheaper however long).
  enum class Diagrams : uint8_t { kAuto, kFirst, kNever };
  Diagrams diagrams = Diagrams::kAuto;
};

struct Mismatch {
  SeccompWords input{};  // concrete; a.run(input) == a_action, b.run(input) == b_action
  Action a_action;
  Action b_action;
  std::string a_where;  // the leaf each side ended in ("ret at instruction 12")
  std::string b_where;
  // The joint path's constraints: every input satisfying all of them is
  // decided a_action by A and b_action by B. Absent (region_known false) for
  // differences found by the testing fallback.
  bool region_known = false;
  std::array<WordSet, kWordCount> region;
};

// A path that left the symbolic fragment.
struct UnsupportedPath {
  int side = 0;  // 0 = A, 1 = B
  uint32_t where = 0;
  std::string what;  // the procedure's description of the leaf
};

struct EquivResult {
  enum class Verdict : uint8_t {
    kEquivalent,  // proved: every joint path agrees
    kDifferent,   // at least one confirmed counterexample in `mismatches`
    kUndecided,   // not proved, and testing found no difference
  };
  Verdict verdict = Verdict::kUndecided;
  // The symbolic walk met no path outside the fragment and no budget limit,
  // so the verdict rests on it alone (for kDifferent the walk may have
  // stopped early at max_mismatches: see mismatch_limit_reached).
  bool proved = false;
  uint64_t paths = 0;             // joint paths compared
  uint64_t word_constraints = 0;  // atoms added during the walk
  // Conflicts of the satisfiability search that proved the pair, when the
  // diagrams' walk could not (verify/sat_proof.h); 0 when a walk proved it.
  uint64_t sat_conflicts = 0;
  std::vector<Mismatch> mismatches;
  // The walk stopped because max_mismatches were found: there may be more.
  bool mismatch_limit_reached = false;
  std::vector<UnsupportedPath> unsupported;  // distinct, at most 32
  bool tested = false;
  uint64_t tests_run = 0;
  // The counterexample is the satisfiability search's input, which neither
  // the walk (past its budget) nor the tests found.
  bool found_by_search = false;
  // Why the walk is not a proof (empty when proved).
  std::string not_proved_reason;
  // A symbolic leaf whose concrete run disagreed with it: a checker bug,
  // reported rather than hidden. Empty in a healthy build.
  std::vector<std::string> internal_errors;
};

EquivResult check_equivalent(const Procedure& a, const Procedure& b, const EquivOptions& options = {});

// The inputs the testing fallback runs, in order (deterministic for a seed),
// at most `budget` of them; `visit` returns false to stop early. Exposed so
// tests can use the same generator.
//   0. inside each of `regions` (the parts of the input space the walk could
//      not decide — no difference can lie anywhere else): its witness, then
//      variations that stay inside it (about 3/4 of the budget);
//   1. every (arch, nr) pair from the compared constants, all other words 0;
//   2. for each of those, each other word set to each of its boundary values
//      (constants compared with it, +-1, 0, 1, 0x7fffffff, 0x80000000, ~0);
//   3. random mixes of boundary values and random words.
void for_each_test_input(const Procedure& a, const Procedure& b,
                         std::span<const std::array<WordSet, kWordCount>> regions, uint64_t budget, uint64_t seed,
                         const std::function<bool(const SeccompWords&)>& visit);

}  // namespace sysfence::verify
