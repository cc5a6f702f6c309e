// Pass 4: the search tree over interval boundaries (compile.h lists the
// passes; pass 3 reuses it for the constants of one argument word).
//
// Input: a 32-bit word's whole domain cut into intervals, each with an
// outcome ("leaf"), and a weight per interval (how often a value falls in
// it). Output: a decision tree of classic-BPF comparisons on that word. Every
// comparison is one executed instruction with both branches explicit, so the
// cost of a tree is
//     sum over intervals of weight(interval) * comparisons on its path
// plus `size_weight` per comparison node (program size as a tie-breaker).
//
// Node shapes:
//   split  `jge k`: values >= k go right, the others left;
//   equals `jeq k`: one value (a one-number interval) is peeled off and the
//           rest continues: a chain of these in front of a leaf serves ranges
//           such as "ALLOW everything here except 5 and 9", which a plain
//           binary tree needs twice as many comparisons for.
//
// Strategies (`sysfence stats --compare` compares them):
//   optimal  — dynamic programming over interval ranges (optimal alphabetic
//              tree, Knuth's O(n^2) bounds for the split point) plus the
//              equals-chain option; minimizes the cost above.
//   balanced — a binary tree halving the interval count at each node, no
//              weights, no chains (what libseccomp's optimize=2 does).
//   linear   — a chain of tests, one per interval that differs from the most
//              common outcome (libseccomp's optimize=1).
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace sysfence::compiler {

enum class Strategy : uint8_t { kOptimal, kBalanced, kLinear };

// Parses "optimal" / "balanced" / "linear".
bool parse_strategy(std::string_view text, Strategy* out);
std::string_view to_string(Strategy s);

// [lo, hi] (inclusive) of the tested word, all values of which share `leaf`.
struct Interval {
  uint32_t lo = 0;
  uint32_t hi = 0;
  uint32_t leaf = 0;
  friend bool operator==(const Interval&, const Interval&) = default;
};

struct TreeNode {
  enum class Kind : uint8_t { kLeaf, kSplit, kEquals };
  Kind kind = Kind::kLeaf;
  uint32_t k = 0;     // kSplit: jge k; kEquals: jeq k
  uint32_t leaf = 0;  // kLeaf
  // kSplit: below = values < k, above = values >= k.
  // kEquals: above = the value k, below = every other value.
  // Children are node indices; a node may be shared (the linear chain).
  int32_t below = -1;
  int32_t above = -1;

  friend bool operator==(const TreeNode&, const TreeNode&) = default;
};

struct DecisionTree {
  std::vector<TreeNode> nodes;
  int32_t root = -1;
  size_t tests = 0;  // comparison nodes
  // sum of weight * comparisons, over the given weights (not normalized).
  double weighted_tests = 0;
  // The comparisons each interval it was built from takes (index-aligned
  // with them): what walk_tree(tree, interval.lo).tests says, kept so that
  // callers weighing or budgeting the intervals need not walk the tree.
  std::vector<unsigned> interval_tests;
};

struct TreeOptions {
  Strategy strategy = Strategy::kOptimal;
  // Cost of one comparison node in units of "weight * comparisons". The
  // caller normalizes weights; this trades program size against speed.
  double size_weight = 0;
  // Longest equals-chain the optimal strategy considers.
  unsigned max_chain = 8;
  // Use the full O(n^3) range search instead of Knuth's bounds (tests
  // compare the two).
  bool exhaustive = false;
};

// `intervals` must be sorted, contiguous and cover the domain they describe
// (usually [0, 0xffffffff]); adjacent intervals may share a leaf only when
// the caller deliberately did not merge them (balanced/linear). `weights`
// has one entry per interval, each >= 0.
DecisionTree build_tree(std::span<const Interval> intervals, std::span<const double> weights,
                        const TreeOptions& options);

// Successive trees over the same intervals whose weights change between
// builds (the compiler's longest-path budget rounds re-weight a few
// intervals and build again). Each build returns exactly what build_tree
// returns for those weights; the optimal strategy keeps the previous build's
// dynamic-program tables and recomputes only the ranges that end at or after
// the first interval whose weight changed: a range that ends before it has
// bitwise the same inputs (its prefix sums included), so its cell would come
// out the same. Ranges that start after the last changed interval keep their
// cells too when their weight (a difference of prefix sums) and the weights of
// the ranges inside them come out as before: always, unless the total weight
// moved past a power of two (the dynamic program's weights are whole numbers
// of a quantum that follows the total, its sums exact). Invariant:
// `intervals` outlives the rebuilder.
class TreeRebuilder {
 public:
  TreeRebuilder(std::span<const Interval> intervals, const TreeOptions& options)
      : intervals_(intervals), options_(options) {}
  DecisionTree build(std::span<const double> weights);

 private:
  std::span<const Interval> intervals_;
  TreeOptions options_;
  std::vector<double> last_weights_;
  uint64_t last_run_ = 0;  // the table run holding this rebuilder's tables; 0: none
};

// The leaf a value reaches, and how many comparisons it takes.
struct TreeWalk {
  uint32_t leaf = 0;
  unsigned tests = 0;
};
TreeWalk walk_tree(const DecisionTree& tree, uint32_t value);

// Frees the dynamic program's tables, which a thread keeps from one tree to
// the next (up to ~1 MB for trees of a few hundred intervals): for a caller
// done compiling that goes on to other work (the proof), so that its peak
// does not hold them too. The next tree allocates them again.
void release_tree_tables();

}  // namespace sysfence::compiler
