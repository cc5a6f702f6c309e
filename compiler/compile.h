// The compiler: Policy -> classic BPF, provably equal to policy::evaluate.
//
// Program shape:
//   A = arch
//   if (A == <native>) -> number tree of the native AUDIT_ARCH value
//   if (A == <sub-arch>) -> its number tree          (one test per further value)
//   return <bad-arch action>
// Each number tree starts with `A = nr` and is an optimal search tree over
// the maximal intervals of its whole 32-bit number space. x32 lives inside
// the x86_64 tree as the intervals in 0x40000000..0xfffffffe (0xffffffff, a
// tracer's skip, answers as x86_64, as libseccomp has it, though its
// interval sits in x32's subtree), and the ENOSYS range is one more
// interval. Leaves are shared returns or argument subtrees.
//
// The passes, in the order compile() runs them:
//   1. Arch dispatch (partition.h, number_spaces): one number space per
//      AUDIT_ARCH value, native first, its numbers cut into the ABIs that
//      own them (x32 inside x86_64). The chain of arch tests in front of the
//      number trees is built last, once every tree exists.
//   2. Partition (partition.h, partition): each number space cut into
//      maximal intervals of equal outcome. Numbers no rule names take the
//      default action, or ERRNO(ENOSYS) above the largest number the profile
//      names (unnamed_number_action states that rule on its own).
//   3. Argument subtrees (args.h, ArgCompiler::compile_rules): each interval
//      whose rules read arguments becomes word tests in the test graph
//      (graph.h), one diagram or a chain of smaller ones, whichever is
//      smaller; fails early when they alone pass the kernel's limit.
//   4. Number trees (tree.h, build_tree / TreeRebuilder; partition.h,
//      interval_weights): an optimal search tree per number space under the
//      weights, its longest path bounded, x32's intervals (from its bit up,
//      -1 included) as a subtree of their own on x32's own weights, entered
//      no deeper than an average x86_64 number's path; lowered into the test
//      graph (graph.h, lower_tree).
//   5. Decided tests (prune.h, prune_decided_tests): each branch is
//      redirected past the tests that the tests above it (on every path
//      into it) decide; the chains of argument diagrams leave such tests
//      where an earlier rule settled a later one's word. Optimal strategy
//      only: balanced and linear are libseccomp's shapes, as built.
//   6. Layout and emission (graph.h, emit): the graph in topological order
//      through the label builder (bpf/builder.h) into a bpf::Program; then
//      the 4096-instruction limit and validation (bpf/validate.h).
// Afterwards, a guarantee rather than a pass: paths of syscalls without
// argument rules load only `arch` and `nr`, so the kernel's action cache
// (5.11+) serves every constant ALLOW without running the filter.
// measure/cache.h emulates that cache; `stats` and the tests check it.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "base/expected.h"
#include "bpf/builder.h"
#include "bpf/insn.h"
#include "compiler/tree.h"
#include "compiler/weights.h"
#include "policy/policy.h"
#include "syscalls/arch.h"

namespace sysfence::compiler {

struct CompileOptions {
  Strategy strategy = Strategy::kOptimal;
  Weights weights = Weights::Uniform();
  // Program size against speed: an extra instruction must save at least this
  // many executed instructions per 1000 syscalls (weights normalized per
  // arch) to be worth it.
  double size_weight = 1e-3;
  // Longest-path guarantee: a syscall of an ABI's table takes at most this
  // many comparisons (plus the extra instructions of its argument subtree)
  // more than a balanced tree would give it; where no search tree meets
  // every such bound (many long argument subtrees), every bound is raised
  // alike until one can. Optimal strategy only.
  unsigned depth_slack = 2;
  // Search every split point in the dynamic program instead of Knuth's
  // bounds (O(n^3) instead of O(n^2); for tests and comparisons).
  bool exhaustive_search = false;
  // Bound on the new decision states of one argument diagram (see
  // ArgCompiler::compile_rules); past it that syscall's rules are compiled
  // as a chain of smaller diagrams instead.
  size_t max_argument_states = size_t{1} << 14;
  // How much larger (a fraction) a syscall's argument diagram may be than its
  // smallest chain of rules and still be chosen: it executes fewer
  // instructions. A program over the kernel's limit is rebuilt without it.
  double argument_size_slack = 0.03;
  // Pass 5 (prune.h): tests the tests above them decide are bypassed, with
  // the optimal strategy (balanced and linear are libseccomp's shapes, for
  // comparison). Off only to compare with the program before it.
  bool bypass_decided_tests = true;
};

// What the compiler knows about one AUDIT_ARCH value of the program.
struct ArchReport {
  uint32_t audit_arch = 0;
  std::vector<syscalls::ArchId> abis;  // x86_64 and x32 share one value
  size_t intervals = 0;                // pass 2: maximal intervals
  size_t tree_tests = 0;               // pass 4: comparison nodes of the number tree
  // Instructions before the number tree: `A = arch`, the arch tests up to
  // and including this one, `A = nr`.
  unsigned dispatch_insns = 0;
  // Expected comparisons in the number tree under the weights (the optimal
  // tree's cost for the optimal strategy).
  double tree_cost = 0;
  // The model's expected executed instructions: dispatch + tree + one `ret`
  // (argument subtrees count as their return only). `stats` measures the
  // real program and compares.
  double bound() const { return dispatch_insns + tree_cost + 1; }
};

struct Compiled {
  bpf::Program program;
  std::vector<ArchReport> arches;
  bpf::Builder::LayoutStats layout;
};

// Errors: more than 4096 instructions (naming how many and which arch needs
// how many, or the syscall where the argument rules alone pass the limit),
// an internal validation failure (a bug; the message says so).
Expected<Compiled> compile(const policy::Policy& policy, const CompileOptions& options);

// Keeps only the listed ABIs of the policy (policy order is kept). Each
// listed ABI must be in the policy: `--arch x86_64,arm` fails with
// `arm is not an architecture of this filter (it has x86_64, i386, x32)`.
// Dropped ABIs then get the bad-arch action (x32 numbers included).
Expected<void> restrict_abis(policy::Policy& policy, std::span<const syscalls::ArchId> keep);

// "x86_64+x32" for a report's ABIs.
std::string abi_names(const std::vector<syscalls::ArchId>& abis);

}  // namespace sysfence::compiler
