// The optimal strategy's dynamic program (tree.h describes the strategies),
// and the node builder every strategy shares: internal to the tree library.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "compiler/tree.h"

namespace sysfence::compiler {

// Appends nodes to a tree (their indices are the children of later ones)
// and counts its comparisons.
class TreeMaker {
 public:
  explicit TreeMaker(DecisionTree& t) : t_(t) {}

  int32_t leaf(uint32_t leaf) { return add(TreeNode::Kind::kLeaf, 0, leaf, -1, -1); }
  int32_t split(uint32_t k, int32_t below, int32_t above) {
    ++t_.tests;
    return add(TreeNode::Kind::kSplit, k, 0, below, above);
  }
  int32_t equals(uint32_t k, int32_t match, int32_t other) {
    ++t_.tests;
    return add(TreeNode::Kind::kEquals, k, 0, other, match);
  }

 private:
  // Written in place, field by field: a node built on the stack and pushed
  // was copied with wider loads than its fields were stored with, which
  // waits on the store buffer (as bpf::Builder's items did).
  int32_t add(TreeNode::Kind kind, uint32_t k, uint32_t leaf, int32_t below, int32_t above) {
    TreeNode& n = t_.nodes.emplace_back();
    n.kind = kind;
    n.k = k;
    n.leaf = leaf;
    n.below = below;
    n.above = above;
    return static_cast<int32_t>(t_.nodes.size() - 1);
  }
  DecisionTree& t_;
};

// What a run of the dynamic program may keep of the workspace's tables
// from run `run` (0: nothing), made for the same intervals and options: the
// weights before `below` and from `above` on are bitwise the same as then.
struct Reuse {
  uint64_t run = 0;
  size_t below = 0;
  size_t above = 0;
};

// The dynamic program needs n^2 memory and time: above this many intervals
// (only hand-made policies get there; a profile has at most a few hundred
// per tree) the range is first halved by weight, then each part optimized.
constexpr size_t kMaxDynamicProgram = 1024;
static_assert(kMaxDynamicProgram < (size_t{1} << 14), "the dynamic program packs a range's root in 14 bits");

// The optimal tree over `iv` under weights `w` (at most kMaxDynamicProgram
// intervals). `reuse.run`, when not 0, names the dynamic-program run whose
// tables (same intervals, same options) may be reused (see Reuse and
// TreeRebuilder); *run_out receives the id of this run's tables, 0 when
// they are not kept. interval_tests is filled, weighted_tests is not.
DecisionTree optimal_tree(std::span<const Interval> iv, std::span<const double> w, const TreeOptions& o,
                          Reuse reuse = {}, uint64_t* run_out = nullptr);

}  // namespace sysfence::compiler
