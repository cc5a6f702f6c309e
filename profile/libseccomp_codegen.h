// The BPF program libseccomp 2.5.4's gen_bpf.c writes for one syscall's rule
// tree, modelled as far as it decides which 32-bit word each comparison sees,
// and read back as disjoint paths of word tests.
//
// gen_bpf writes one block per tree node and level visit: a load of the
// node's word unless its accumulator state says the word is already there,
// an AND where the mask differs, and the comparison. The state it assumes is
// threaded along a level (each node expects what its predecessor on the level
// loaded) and handed down to sub-levels; a failed sub-level falls through to
// the next node of its parent's level, arriving with whatever word the
// sub-level loaded last. Identical blocks are shared (by their instructions,
// whatever state each was written for), and when the blocks are laid out a
// block that did not load its word gets a reload only if the first block
// found jumping to it (a depth-first pull from the syscall's test, the true
// branch first) left another state. Where neither applies, the block compares
// a stale accumulator: the word of another node (libseccomp 2.5.4's bug).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "policy/policy.h"

namespace sysfence::profile::codegen {

// What the BPF accumulator holds: one word of one argument ANDed with a mask
// (`arg` kNr: the syscall number).
struct Word {
  static constexpr uint8_t kNr = 0xff;
  uint8_t arg = kNr;
  bool high = false;  // the argument's high word (64-bit ABIs)
  uint32_t mask = 0xffffffffU;
  friend bool operator==(const Word&, const Word&) = default;
  friend auto operator<=>(const Word&, const Word&) = default;
};

// The tests a node makes of its word (libseccomp rewrites !=, < and <= into
// ==, >= and > with the action on the false branch). kMaskedEq and kEq write
// the same jump.
enum class Test : uint8_t { kEq, kMaskedEq, kGt, kGe };

// One node of libseccomp's rule tree (db.c's db_arg_chain_tree) as gen_bpf
// reads it: its word (`word.mask` the node's mask), test and datum, its
// sub-levels (by their first node) and actions, and the next node of its
// level (-1: none).
struct Node {
  Word word;
  Test test = Test::kEq;
  uint32_t datum = 0;
  int nxt_t = -1, nxt_f = -1, lvl_nxt = -1;
  bool act_t_flg = false, act_f_flg = false;
  uint32_t act_t = 0, act_f = 0;  // encoded actions
  size_t src_t = 0, src_f = 0;    // the rule whose action each branch gives
};

// One way through the program: the word tests it passes (as ArgConditions,
// disjoint from every other path's) and the rule whose action it returns.
struct Path {
  std::vector<policy::ArgCondition> conditions;
  size_t src = 0;
};

struct Program {
  std::vector<Path> paths;
  // Some comparison the program makes can see another word than the one its
  // node tests: the program's answer may differ from the tree's.
  bool stale = false;
  // In a filter of several trees (emitted_programs): no block this tree's
  // program runs is reached from another tree's, so the program is the one
  // the tree alone gets; its paths are not read (left empty).
  bool own_blocks = false;
  // In a filter of several: its paths passed the bounds on paths or
  // conditions (left empty); the other trees' are read all the same.
  bool unread = false;
};

inline constexpr size_t kMaxBlocks = 4096;
// Where a path compares a masked word by order (its pieces go bit by bit),
// the most conditions all paths together may have.
inline constexpr size_t kMaxMaskedOrderConditions = 512;
// The most conditions all paths together may have: the failed == and
// MASKED_EQ tests along a path split it bit by bit, and the pieces multiply.
inline constexpr size_t kMaxConditions = 4096;

// The program for the tree whose top level starts at `first`. `steps` is the
// caller's budget, charged per block written and per test walked; nullopt
// where it runs out, where the program needs more than kMaxBlocks blocks or
// `max_paths` paths or kMaxConditions conditions, or where ordered
// comparisons of masked words need more than kMaxMaskedOrderConditions.
std::optional<Program> emitted_program(const std::vector<Node>& nodes, int first, size_t max_paths, size_t& steps);

// The same program laid out as blocks, to run on single inputs: where only a
// few inputs' answers matter (a conflict warning's), running it costs a walk
// of one path where emitted_program enumerates them all.
class Executable {
 public:
  // The rule whose action the program returns for syscall arguments `args`
  // (the syscall's own test passed); nullopt: it falls through to the
  // default action.
  std::optional<size_t> run(const std::array<uint64_t, 6>& args) const;

  // One block as it runs: what it puts in the accumulator, its test, and
  // where each outcome goes.
  struct Step {
    std::optional<Word> reload;  // loads this word and masks it first
    bool load = false;           // loads `word`'s argument word
    bool and_mask = false;       // ANDs `word.mask`
    Word word;
    Test test = Test::kEq;
    uint32_t datum = 0;
    // Per outcome (false, true): a block, a rule's action or the default.
    enum Kind : uint8_t { kDefault, kAction, kBlock };
    std::array<Kind, 2> kind{};
    std::array<size_t, 2> target{};  // the block's index, or the rule's (src)
  };
  std::vector<Step> steps;
  size_t head = 0;
};

// One syscall's tree among the trees of a filter: its nodes and the first
// node of its top level (-1: no argument tests, no blocks).
struct TreeInFilter {
  const std::vector<Node>* nodes = nullptr;
  int first = -1;
};

// The programs of several syscalls' trees written into one filter, one per
// tree (empty for a tree without blocks). gen_bpf shares identical blocks
// across syscalls, not only within one: `trees` in the order it writes them
// (a block keeps the state its first writer expected), `layout` the order
// in which the layout pulls the syscalls' blocks (a shared block's reload is
// decided by the first jumper of all, which may be another syscall's). Each
// path's `src` names a rule of its own tree. A tree none of whose blocks
// another tree reaches gets its program as it would alone, unread
// (Program::own_blocks); one whose paths pass the bounds on paths or
// conditions is Program::unread. nullopt where `steps` runs out or the
// blocks pass kMaxBlocks (for all together).
std::optional<std::vector<Program>> emitted_programs(std::span<const TreeInFilter> trees, std::span<const size_t> layout,
                                                     size_t max_paths, size_t& steps);

// The program for the tree whose top level starts at `first` (which must be
// a node), as emitted_program writes it; nullopt where `steps` runs out or
// it needs more than kMaxBlocks blocks.
std::optional<Executable> emitted_executable(const std::vector<Node>& nodes, int first, size_t& steps);

// The inputs for which `(word & mask) test datum` has the outcome `truth`,
// as disjoint alternatives, each a conjunction (an empty one: every input;
// none: no input). A masked word compared by order goes by the highest bit
// where it and the datum differ.
std::vector<std::vector<policy::ArgCondition>> word_test(const Word& word, Test test, uint32_t datum, bool truth);

}  // namespace sysfence::profile::codegen
