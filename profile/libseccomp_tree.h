// libseccomp's rule tree for one syscall on one ABI, modelled as libseccomp
// 2.5 builds and walks it (src/db.c, src/gen_bpf.c), and turned into
// disjoint policy rules.
//
// libseccomp adds each rule as a chain of 32-bit word tests (per argument in
// index order: one low-word test on the 32-bit ABIs; on the 64-bit ones a
// high-word test and a low-word test for ==, != and MASKED_EQ, and three
// tests — high word >, high word ==, low word > or >= — for the range
// operators), prunes the syscall's tree of what the new rule makes redundant,
// and merges the chain into the tree: equal tests share a node (which can
// make it refuse the rule, EEXIST), other tests join the node's level in its
// order (the higher argument first; ==, != and MASKED_EQ before < and <=
// before > and >=; > and >= the larger operand first, < and <= the smaller
// first; else in the order added). The filter walks that tree depth first: a
// level's nodes are tested in order, and a node whose branch has neither an
// action nor a sub-tree, or whose sub-tree fails, falls through to the next
// node of its level; past the top level the default action answers.
//
// The filter gen_bpf writes for that tree (libseccomp_codegen.h) is read
// back into its paths that end in an action: each is a conjunction of the
// word tests it passes, written as ArgConditions (a low word with width k32,
// a high word as a 64-bit range or masked comparison; a failed == or
// MASKED_EQ test becomes several disjoint pieces), and the paths of one
// program never overlap, so the policy's most-restrictive combination gives
// exactly the program's answer — including where libseccomp 2.5.4's program
// compares a stale accumulator instead of the word its rule names.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "policy/policy.h"
#include "profile/libseccomp_codegen.h"

namespace sysfence::profile {

struct LibseccompTree {
  // libseccomp refuses the rule at refused->second (EEXIST) because of the
  // node the earlier rule refused->first put in the tree.
  std::optional<std::pair<size_t, size_t>> refused;
  // The walk's answer as disjoint rules (each with the source of the rule
  // whose action it gives); empty when nothing but the default answers.
  std::vector<policy::Rule> rules;
  // libseccomp's program compares, somewhere, another word than the one its
  // rule names (a stale accumulator): its answer may differ from the rules'.
  bool stale = false;
};

// Bounds on the model: a profile beyond them (hostile: its filter would not
// fit the kernel's 4096 instructions) is left to the caller's fallback.
inline constexpr size_t kMaxTreeSteps = 2'000'000;
inline constexpr size_t kMaxTreePaths = 4096;

// `rules`: one syscall's rules on one ABI, in the order they are added, each
// condition of the width libseccomp compares on that ABI (`word_bits` 32: the
// low word; 64: all 64 bits). nullopt where the model does not apply: a
// condition of another width, two conditions on one argument, or beyond the
// bounds above and libseccomp_codegen.h's.
// `max_steps`: the work allowed (tree operations and program paths walked),
// at most kMaxTreeSteps; a caller that only describes libseccomp's answer
// in a warning gives it less.
std::optional<LibseccompTree> libseccomp_tree(const std::vector<policy::Rule>& rules, unsigned word_bits,
                                              size_t max_steps = kMaxTreeSteps);

// The same program, to run on single inputs: the answer for one input costs
// one path of the program, where libseccomp_tree reads back all of them (a
// conflict warning needs only its witness's answer).
class LibseccompProgram {
 public:
  // As LibseccompTree::refused; answer() is meaningless then.
  std::optional<std::pair<size_t, size_t>> refused;
  // The rule (an index of the rules given) whose action libseccomp's filter
  // returns for syscall arguments `args`; nullopt: the default action.
  std::optional<size_t> answer(const std::array<uint64_t, 6>& args) const;

 private:
  friend std::optional<LibseccompProgram> libseccomp_program(const std::vector<policy::Rule>& rules, unsigned word_bits,
                                                             size_t max_steps);
  std::optional<size_t> unconditional_;  // an unconditional rule answers every input
  std::optional<codegen::Executable> program_;
};

// As libseccomp_tree, but only the program is built, not read back: no
// bound on its paths or their conditions applies, only kMaxBlocks and
// `max_steps` (tree operations and blocks written).
std::optional<LibseccompProgram> libseccomp_program(const std::vector<policy::Rule>& rules, unsigned word_bits,
                                                    size_t max_steps = kMaxTreeSteps);

// The nodes libseccomp's database counts in the entry of one syscall with
// `rules` (as libseccomp_tree takes them): gen_bpf orders the syscalls of an
// ABI by 0xffff minus this (fewest nodes first, then the lower number).
// nullopt where the model does not apply, gives up, or libseccomp refuses a
// rule.
std::optional<int64_t> libseccomp_node_count(const std::vector<policy::Rule>& rules, unsigned word_bits,
                                             size_t max_steps = kMaxTreeSteps);

// One syscall's rules in a filter of several (libseccomp_filter_trees): as
// libseccomp_tree takes them.
struct FilterSyscall {
  const std::vector<policy::Rule>* rules = nullptr;
  unsigned word_bits = 64;
};

// What the model says of one syscall in a filter of several.
struct FilterSyscallProgram {
  enum class Kind : uint8_t {
    kAsAlone,  // its program in the filter answers as its program alone
    kPaths,    // `paths`: the filter's paths for it, as disjoint rules
    kUnread,   // it shares blocks, but its paths pass the model's bounds
  };
  Kind kind = Kind::kAsAlone;
  std::vector<policy::Rule> paths;
};

// gen_bpf shares identical blocks across the syscalls of a filter, and a
// shared block that relies on the accumulator is reloaded, or not, for the
// first block of all that jumps to it: another syscall's program may then
// compare a stale word where its own program alone would not, or the
// reverse. `syscalls`: the filter's syscalls in the order gen_bpf writes
// them; `layout_order`: indexes of `syscalls` in the order its layout pulls
// their blocks. One answer per syscall; a syscall whose paths (in the
// filter or alone) pass the bounds on paths and conditions is kUnread, the
// others are still read. nullopt where the model does not apply to some
// syscall (its tree: every syscall's blocks are needed to know what is
// shared) or gives up (`max_steps` for all together).
std::optional<std::vector<FilterSyscallProgram>> libseccomp_filter_trees(std::span<const FilterSyscall> syscalls,
                                                                        std::span<const size_t> layout_order,
                                                                        size_t max_steps = kMaxTreeSteps);

}  // namespace sysfence::profile
