// Pass 3: argument subtrees (compile.h lists the passes).
//
// The compilation of a RuleSet (rule_set.h: what one syscall number does when
// its rules read arguments, as a canonical value) into word tests.
//
// Compilation picks the next word to test (a condition of the most
// restrictive rule still undecided, high word before low word), and decides
// every condition of every rule on that word at once: the word's domain is
// cut at the constants compared against it, each piece gives a smaller
// RuleSet, and tree.h's optimal tree (the one pass 4 builds over numbers)
// chooses the comparisons (so "arg0 is one of 0, 8, 0x20000" is a `jeq`
// chain, not a chain of loads). MASKED_EQ halves are single tests: `jset`
// when the datum is 0 or the mask is one bit, `jeq` when the mask is all
// ones, else `and` + `jeq`. Identical RuleSets reached on different paths
// compile once (memoized), and the graph shares identical tests.
//
// One diagram over all the rules of a syscall is not always small: rules on
// different arguments multiply (every outcome of the rules on arg0 meets
// every outcome of those on arg1 ...), where a chain of the rules, one after
// the other as libseccomp lays them out, stays linear. So compile_rules()
// also builds the rules as a chain of segments, each segment a diagram whose
// "no rule matched" goes on to the next segment (RuleSet::tail): one
// segment per rule; runs of rules that share their action and start with an
// equality on the same word (one test of that word's high half, the values
// in one tree); runs that share action and first word; one diagram. Each
// with the smallest value trees and with the fastest. It keeps the one with
// the fewest segments and fastest trees whose size is within a small slack
// of the smallest, unless one no larger (or, saving a quarter of it, up to
// kZeroSlack larger than the smallest) has a shorter path for zero
// arguments. The diagrams it tries are bounded by the size of the best
// candidate so far (a lower bound on their instructions, counted as their
// states are made) and by the work done, also relative to the chain of
// single rules, so an exponential diagram is abandoned early instead of
// filling the memory.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "base/seccomp.h"
#include "compiler/graph.h"
#include "compiler/rule_set.h"
#include "compiler/rule_set_memo.h"
#include "compiler/tree.h"
#include "policy/policy.h"

namespace sysfence::compiler {

// Value trees (tree.h's optimal trees over the pieces of an interval split)
// by the shape of their intervals, per kind (the smallest ones, or the
// fastest). Of its intervals the optimal tree reads only their leaves and
// which are single values (the weights value_tree gives them follow from
// their count), and it compares the word against their starts: splits of one
// shape, whatever their constants, have one tree, kept with each comparison
// naming its interval (`k` an index) and given the constants of the split
// at hand by `instance`. Valid for one set of tree options: one compile's.
class ValueTrees {
 public:
  // Per interval: its leaf, shifted left, and whether it is a single value.
  using Shape = std::vector<uint32_t>;
  static void shape_of(std::span<const Interval> intervals, Shape& out);

  const DecisionTree* find(bool smallest, const Shape& shape) const;
  // `tree` as built over `intervals` (of shape `shape`).
  const DecisionTree& add(bool smallest, const Shape& shape, std::span<const Interval> intervals, DecisionTree tree);
  // A kept tree with the starts of `intervals` (of its shape) compared
  // against, into `out`.
  static const DecisionTree& instance(const DecisionTree& kept, std::span<const Interval> intervals, DecisionTree& out);
  size_t size() const { return trees_[0].size() + trees_[1].size(); }
  void clear();

 private:
  struct ShapeHash {
    size_t operator()(const Shape& v) const;
  };
  std::array<std::unordered_map<Shape, DecisionTree, ShapeHash>, 2> trees_;
};

// The buffers of an interval split's piece lookups (piece_leaves.h), which
// one argument compiler lends to every split in turn: a split is done with
// them before it compiles its pieces (which split again).
struct PieceScratch {
  std::string seen;                 // the signatures seen, end to end
  std::vector<uint32_t> seen_leaf;  // the leaf of each
  std::vector<uint32_t> signature_index;
  std::vector<uint32_t> child_index;
};

class ArgCompiler {
 public:
  // `size_slack`: how much larger (a fraction) than the chain of single
  // rules a diagram of fewer segments may be and still be chosen by
  // compile_rules (fewer segments execute fewer instructions).
  ArgCompiler(Graph& graph, Endian endian, TreeOptions tree, size_t max_states = kMaxStates,
              double size_slack = kSizeSlack)
      : g_(graph),
        endian_(endian),
        tree_(tree),
        max_states_(max_states),
        size_slack_(size_slack),
        candidate_insns_(graph) {}

  // The subtree for `s` as one decision diagram, entered with A holding
  // `a_holds` (a seccomp_data word offset) or something unknown. Unbounded:
  // rules on many arguments can need exponentially many states.
  Edge compile(RuleSet s, std::optional<uint32_t> a_holds);

  // The subtree for `s`: the smallest of the diagram and the chains of
  // segments (see above). Never fails; the states of the diagrams it tries
  // are bounded by `max_states` and by the best candidate's size.
  Edge compile_rules(const RuleSet& s, std::optional<uint32_t> a_holds);

  // Whether compile_rules(s) is a function of `s` alone (given the graph's
  // hash-consing, the byte order, the options and the bound): a RuleSet of
  // several rules compiled with no states kept from earlier calls. A single
  // rule is compiled straight into the memo, whose states it leaves for the
  // next call, where they are found instead of counted against its bounds.
  bool compiles_alone(const RuleSet& s) const { return s.rules.size() > 1 && memo_[0].empty() && memo_[1].empty(); }

  static constexpr size_t kMaxStates = size_t{1} << 14;
  static constexpr double kSizeSlack = 0.03;
  // How much larger than the smallest a candidate may be when it saves a
  // quarter of the path for zero arguments (see compile_rules).
  static constexpr double kZeroSlack = 0.1;
  // Conditions held by the memoized states of one diagram attempt: the
  // memory bound (each state is a copy of its rules).
  static constexpr size_t kMaxStateConditions = size_t{1} << 19;
  // ... and at most this many per condition of the rules compiled.
  static constexpr size_t kWorkPerCondition = 4096;
  // ... and at most this many times the conditions of the chain of single
  // rules (plus the floor). 4 rather than 8: the attempts abandoned past it
  // overflowed later anyway (50 allowed + 70 conditions on ioctl: compile
  // 5.78M -> 5.22M instructions, no program of the scaling families or the
  // real profiles changed).
  static constexpr size_t kWorkPerLinear = 4;
  static constexpr size_t kWorkFloor = 1024;
  // Rules read by the interval splits of one attempt (pieces x rules).
  static constexpr size_t kMaxScan = size_t{1} << 22;
  size_t max_states() const { return max_states_; }
  // Whether diagram attempts are bounded by the chain of single rules'
  // work (kWorkPerLinear), which abandons early the diagrams that grow past
  // it. A filter whose argument rules then overflow the kernel's limit is
  // compiled again without it: a diagram cut short there may be what fits.
  void bound_by_linear(bool on) { bound_by_linear_ = on; }
  // Value trees of at most kKeptIntervals intervals go to `kept`, which the
  // argument compilers of one compile share (every number space): the same
  // shapes (one constant: below, at, above it) come back on every ABI and in
  // most syscalls, and each tree is a dynamic program. At most kMaxKept of
  // them (then it starts over).
  // Larger ones are kept for one syscall's rules only (memory).
  void keep_small_value_trees(ValueTrees* kept) { kept_ = kept; }
  static constexpr size_t kKeptIntervals = 16;
  static constexpr size_t kMaxKept = 64;

  // RuleSets as the memo tells them apart: as operator< orders them.
  struct RuleSetHash {
    size_t operator()(const RuleSet& s) const;
  };
  struct RuleSetSame {
    bool operator()(const RuleSet& a, const RuleSet& b) const;
  };

 private:
  // A diagram attempt: its new states are counted and, past the limits,
  // the attempt stops expanding (placeholder edges) and is rolled back.
  struct Attempt {
    size_t max_states = 0;
    size_t max_conditions = 0;
    // A lower bound on the instructions of the attempt's subtree: a test per
    // new state, and its load where the caller's A holds another word.
    size_t max_insns = 0;
    size_t states = 0;
    size_t conditions = 0;
    size_t insns = 0;
    size_t scanned = 0;  // rules read by interval splits
    bool overflowed = false;
  };
  // Per kind of value trees (index: the smallest ones), keyed by the RuleSet
  // (flattened: rule_set_memo.h).
  using Memo = std::array<RuleSetMemo, 2>;

  // The rules cut at `cuts` (segment starts after the first), each segment
  // a diagram continuing at the next; nullopt when the attempt overflowed.
  std::optional<Edge> chain(const RuleSet& s, std::span<const size_t> cuts, size_t max_states, size_t max_insns,
                            size_t max_conditions, bool small_trees);
  Edge build(const RuleSet& s, std::optional<uint32_t> a_holds);
  Edge interval_split(const RuleSet& s, uint8_t arg, bool hi, std::optional<uint32_t> a_holds);
  // The value tree of an interval split over `intervals` (its shape's tree,
  // cached, given these constants): valid until the next call.
  const DecisionTree& value_tree(const std::vector<Interval>& intervals);
  // The kept tree of value_shape_'s shape, the smallest or the fastest,
  // built (and kept in `cache`) when it is not there.
  const DecisionTree& kept_tree(bool smallest, const std::vector<Interval>& intervals, ValueTrees& cache);
  Edge masked_test(const RuleSet& s, const OpenCondition& test, std::optional<uint32_t> a_holds);
  uint32_t word(uint8_t arg, bool hi) const;
  // subgraph_insns(g_, e), with the counter's buffers kept between calls.
  size_t candidate_size(Edge e);

  Graph& g_;
  Endian endian_;
  TreeOptions tree_;
  size_t max_states_;
  double size_slack_;
  bool bound_by_linear_ = true;
  Memo memo_;
  ValueTrees trees_;  // those of the syscall being compiled
  ValueTrees* kept_ = nullptr;
  std::optional<Attempt> attempt_;
  // The value trees of interval splits: the smallest (equals-chains, as
  // libseccomp lays values out) instead of the fastest.
  bool small_trees_ = false;
  // Whether one of the smallest value trees built since compile_rules began
  // (every state its memo of smallest-tree states holds) differs from the
  // fastest tree of its shape: if not, the fastest attempts are skipped.
  bool fast_trees_differ_ = false;
  size_t last_work_ = 0;  // conditions copied by the last chain()
  // interval_split's scratch: its cuts, the conditions on the word, a
  // piece's signature; free again before it compiles the pieces.
  std::vector<uint32_t> split_starts_;
  std::vector<OpenCondition> split_conditions_;
  std::string split_signature_;
  std::vector<std::pair<uint32_t, uint32_t>> split_events_;  // (piece start, condition)
  PieceScratch piece_scratch_;
  std::vector<double> value_weights_;  // value_tree's
  ValueTrees::Shape value_shape_;      // value_tree's
  DecisionTree value_instance_;        // value_tree's answer
  DecisionTree fast_instance_;         // value_tree's fastest tree, to compare
  // Spare buffers for interval_split's intervals and leaf edges, which live
  // across the compilation of its pieces (one per level of splits).
  std::vector<std::vector<Interval>> spare_intervals_;
  std::vector<std::vector<Edge>> spare_edges_;
  InsnCounter candidate_insns_;  // candidate_size's
};

}  // namespace sysfence::compiler
