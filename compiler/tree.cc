#include "compiler/tree.h"

#include <algorithm>
#include <bit>
#include <cassert>
#include <limits>
#include <utility>
#include <vector>

#include "compiler/optimal_tree.h"

namespace sysfence::compiler {

bool parse_strategy(std::string_view text, Strategy* out) {
  if (text == "optimal") *out = Strategy::kOptimal;
  else if (text == "balanced") *out = Strategy::kBalanced;
  else if (text == "linear") *out = Strategy::kLinear;
  else return false;
  return true;
}

std::string_view to_string(Strategy s) {
  switch (s) {
    case Strategy::kOptimal: return "optimal";
    case Strategy::kBalanced: return "balanced";
    case Strategy::kLinear: return "linear";
  }
  return "optimal";
}

namespace {

// ---------------------------------------------------------------------------
// balanced / linear
// ---------------------------------------------------------------------------

int32_t balanced(TreeMaker& m, std::span<const Interval> iv, size_t i, size_t j) {
  bool same = true;
  for (size_t x = i + 1; x <= j && same; ++x) same = iv[x].leaf == iv[i].leaf;
  if (same) return m.leaf(iv[i].leaf);
  const size_t k = (i + j + 1) / 2;
  const int32_t below = balanced(m, iv, i, k - 1);
  const int32_t above = balanced(m, iv, k, j);
  return m.split(iv[k].lo, below, above);
}

int32_t linear(TreeMaker& m, std::span<const Interval> iv) {
  // The outcome that covers the most values is the end of the chain.
  std::vector<std::pair<uint32_t, uint64_t>> span_of;
  for (const Interval& x : iv) {
    auto it = std::find_if(span_of.begin(), span_of.end(), [&](const auto& p) { return p.first == x.leaf; });
    const uint64_t len = uint64_t{x.hi} - x.lo + 1;
    if (it == span_of.end()) span_of.emplace_back(x.leaf, len);
    else it->second += len;
  }
  uint32_t rest = span_of.front().first;
  uint64_t most = 0;
  for (const auto& [leaf, len] : span_of) {
    if (len > most) {
      most = len;
      rest = leaf;
    }
  }
  // Ranges first (as runc's "nr > last" stub does), then single numbers in
  // ascending order, like a libseccomp chain.
  std::vector<const Interval*> order;
  for (const Interval& x : iv) {
    if (x.leaf != rest && x.lo != x.hi) order.push_back(&x);
  }
  for (const Interval& x : iv) {
    if (x.leaf != rest && x.lo == x.hi) order.push_back(&x);
  }
  auto leaf = [&](uint32_t l) { return m.leaf(l); };
  int32_t next = leaf(rest);
  for (size_t r = order.size(); r-- > 0;) {
    const Interval& x = *order[r];
    if (x.lo == x.hi) {
      next = m.equals(x.lo, leaf(x.leaf), next);
      continue;
    }
    int32_t inside = leaf(x.leaf);
    if (x.hi != std::numeric_limits<uint32_t>::max()) inside = m.split(x.hi + 1, inside, next);
    if (x.lo != 0) inside = m.split(x.lo, next, inside);
    next = inside;
  }
  return next;
}

}  // namespace

TreeWalk walk_tree(const DecisionTree& tree, uint32_t value) {
  TreeWalk w;
  int32_t at = tree.root;
  while (true) {
    const TreeNode& n = tree.nodes[static_cast<size_t>(at)];
    switch (n.kind) {
      case TreeNode::Kind::kLeaf: w.leaf = n.leaf; return w;
      case TreeNode::Kind::kSplit:
        ++w.tests;
        at = value >= n.k ? n.above : n.below;
        break;
      case TreeNode::Kind::kEquals:
        ++w.tests;
        at = value == n.k ? n.above : n.below;
        break;
    }
  }
}

namespace {

// Copies `src`'s nodes into `dst` (leaf ids shifted by nothing, node
// indices by dst's size); returns the copy of src's root.
int32_t append(DecisionTree& dst, DecisionTree&& src) {
  if (dst.nodes.empty()) {
    // The whole tree: nothing to shift, and its comparisons per interval
    // stay valid.
    const int32_t root = src.root;
    const size_t tests = dst.tests + src.tests;
    dst = std::move(src);
    dst.tests = tests;
    return root;
  }
  const auto base = static_cast<int32_t>(dst.nodes.size());
  dst.interval_tests.clear();
  for (TreeNode n : src.nodes) {
    if (n.kind != TreeNode::Kind::kLeaf) {
      n.below += base;
      n.above += base;
    }
    dst.nodes.push_back(n);
  }
  dst.tests += src.tests;
  return src.root + base;
}

int32_t optimal_into(DecisionTree& t, std::span<const Interval> iv, std::span<const double> w, const TreeOptions& o) {
  if (iv.size() <= kMaxDynamicProgram) return append(t, optimal_tree(iv, w, o));
  double total = 0;
  for (double x : w) total += x;
  size_t k = 1;
  double left = w[0];
  while (k + 1 < iv.size() && left + w[k] <= total / 2) left += w[k++];
  const int32_t below = optimal_into(t, iv.first(k), w.first(k), o);
  const int32_t above = optimal_into(t, iv.subspan(k), w.subspan(k), o);
  TreeMaker m(t);
  t.interval_tests.clear();  // set_weighted_tests walks the assembled tree
  return m.split(iv[k].lo, below, above);
}

// Fills interval_tests where the build did not (balanced, linear, and
// trees assembled from halves), then weighted_tests from them.
void set_weighted_tests(DecisionTree& t, std::span<const Interval> intervals, std::span<const double> weights) {
  if (t.interval_tests.size() != intervals.size()) {
    t.interval_tests.resize(intervals.size());
    for (size_t i = 0; i < intervals.size(); ++i) t.interval_tests[i] = walk_tree(t, intervals[i].lo).tests;
  }
  // Summed in a local, in the same order: into t.weighted_tests, which a
  // weight might alias for all the compiler knows, each addition waited for
  // the previous one's store.
  double weighted = 0;
  for (size_t i = 0; i < intervals.size(); ++i) weighted += weights[i] * t.interval_tests[i];
  t.weighted_tests = weighted;
}

}  // namespace

DecisionTree TreeRebuilder::build(std::span<const double> weights) {
  assert(!intervals_.empty() && intervals_.size() == weights.size());
  if (options_.strategy != Strategy::kOptimal || intervals_.size() > kMaxDynamicProgram) {
    return build_tree(intervals_, weights, options_);
  }
  // The weights before the first and after the last changed one are the
  // same as in the previous build. They compare bit for bit: the tables
  // must be exactly the ones a fresh run computes.
  const auto same_at = [&](size_t i) {
    return std::bit_cast<uint64_t>(weights[i]) == std::bit_cast<uint64_t>(last_weights_[i]);
  };
  Reuse reuse;
  if (last_run_ != 0) {
    reuse.run = last_run_;
    while (reuse.below < weights.size() && same_at(reuse.below)) ++reuse.below;
    reuse.above = weights.size();
    while (reuse.above > reuse.below && same_at(reuse.above - 1)) --reuse.above;
  }
  DecisionTree t;
  uint64_t run = 0;
  t.root = append(t, optimal_tree(intervals_, weights, options_, reuse, &run));
  last_run_ = run;
  last_weights_.assign(weights.begin(), weights.end());
  set_weighted_tests(t, intervals_, weights);
  return t;
}

DecisionTree build_tree(std::span<const Interval> intervals, std::span<const double> weights,
                        const TreeOptions& options) {
  assert(!intervals.empty() && intervals.size() == weights.size());
  DecisionTree t;
  if (options.strategy == Strategy::kOptimal) {
    t.root = optimal_into(t, intervals, weights, options);
  } else {
    TreeMaker m(t);
    t.root = options.strategy == Strategy::kBalanced ? balanced(m, intervals, 0, intervals.size() - 1)
                                                     : linear(m, intervals);
  }
  set_weighted_tests(t, intervals, weights);
  return t;
}

}  // namespace sysfence::compiler
