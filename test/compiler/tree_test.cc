// Pass 4: decision trees over intervals — correctness of every strategy, the
// dynamic program against brute force, Knuth's bounds against the full search.
#include "compiler/tree.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>

#include "test/bpf/random_program.h"

namespace sysfence::compiler {
namespace {

using sysfence::bpf::testing::Rng;

// Random maximal intervals covering [0, 2^32-1]: adjacent leaves differ.
std::vector<Interval> random_intervals(Rng& rng, size_t n, uint32_t leaves, bool merged = true) {
  std::vector<uint32_t> starts{0};
  uint32_t at = 0;
  for (size_t i = 1; i < n; ++i) {
    at += rng.chance(50) ? 1 : rng.between(1, 20);
    starts.push_back(at);
  }
  std::vector<Interval> iv;
  for (size_t i = 0; i < n; ++i) {
    const uint32_t hi = i + 1 < n ? starts[i + 1] - 1 : 0xffffffffU;
    uint32_t leaf = rng.below(leaves);
    if (merged && !iv.empty() && leaf == iv.back().leaf) leaf = (leaf + 1) % leaves;
    iv.push_back(Interval{starts[i], hi, leaf});
  }
  return iv;
}

std::vector<double> random_weights(Rng& rng, size_t n) {
  std::vector<double> w(n);
  for (double& x : w) x = rng.chance(20) ? 0.0 : static_cast<double>(rng.between(1, 1000));
  return w;
}

// Every value of every interval reaches the interval's leaf.
void expect_maps(const DecisionTree& t, std::span<const Interval> iv) {
  for (const Interval& x : iv) {
    for (uint32_t v : {x.lo, x.hi, x.lo + (x.hi - x.lo) / 2}) {
      ASSERT_EQ(walk_tree(t, v).leaf, x.leaf) << "value " << v;
    }
  }
}

double cost_of(const DecisionTree& t, std::span<const Interval> iv, std::span<const double> w, double size_weight) {
  double c = size_weight * static_cast<double>(t.tests);
  for (size_t i = 0; i < iv.size(); ++i) c += w[i] * walk_tree(t, iv[i].lo).tests;
  return c;
}

TEST(Tree, ParseStrategy) {
  Strategy s = Strategy::kOptimal;
  EXPECT_TRUE(parse_strategy("linear", &s));
  EXPECT_EQ(s, Strategy::kLinear);
  EXPECT_TRUE(parse_strategy("balanced", &s));
  EXPECT_EQ(s, Strategy::kBalanced);
  EXPECT_TRUE(parse_strategy("optimal", &s));
  EXPECT_EQ(s, Strategy::kOptimal);
  EXPECT_FALSE(parse_strategy("fast", &s));
  EXPECT_EQ(to_string(Strategy::kBalanced), "balanced");
}

TEST(Tree, SingleIntervalIsALeaf) {
  const Interval iv[] = {{0, 0xffffffffU, 3}};
  const double w[] = {1};
  for (Strategy s : {Strategy::kOptimal, Strategy::kBalanced, Strategy::kLinear}) {
    const DecisionTree t = build_tree(iv, w, {.strategy = s});
    EXPECT_EQ(t.tests, 0u);
    EXPECT_EQ(walk_tree(t, 12345).leaf, 3u);
  }
}

TEST(Tree, EveryStrategyMapsEveryValue) {
  Rng rng(7);
  for (int iter = 0; iter < 300; ++iter) {
    const size_t n = rng.between(1, 80);
    const bool merged = rng.chance(70);
    const auto iv = random_intervals(rng, n, rng.between(2, 6), merged);
    const auto w = random_weights(rng, n);
    for (Strategy s : {Strategy::kOptimal, Strategy::kBalanced, Strategy::kLinear}) {
      TreeOptions o;
      o.strategy = s;
      o.size_weight = rng.chance(50) ? 0 : 0.5;
      const DecisionTree t = build_tree(iv, w, o);
      expect_maps(t, iv);
      EXPECT_NEAR(t.weighted_tests, cost_of(t, iv, w, 0), 1e-6);
    }
  }
}

// The comparisons per interval a build records (for the optimal strategy
// while it assembles the tree from its tables, equals-chains included) are
// the ones walking the finished tree counts, for every strategy, for trees
// assembled from halves, and for every rebuild with changed weights.
TEST(Tree, IntervalTestsAreTheComparisonsAWalkCounts) {
  auto expect_walked = [](const DecisionTree& t, std::span<const Interval> iv) {
    ASSERT_EQ(t.interval_tests.size(), iv.size());
    for (size_t i = 0; i < iv.size(); ++i) {
      ASSERT_EQ(t.interval_tests[i], walk_tree(t, iv[i].lo).tests) << "interval " << i;
    }
  };
  Rng rng(29);
  for (int iter = 0; iter < 200; ++iter) {
    const size_t n = iter == 0 ? 1100 : rng.between(1, 90);
    const auto iv = random_intervals(rng, n, rng.between(2, 5), rng.chance(70));
    auto w = random_weights(rng, n);
    for (Strategy s : {Strategy::kOptimal, Strategy::kBalanced, Strategy::kLinear}) {
      TreeOptions o;
      o.strategy = s;
      o.size_weight = rng.chance(50) ? 0 : 0.5;
      expect_walked(build_tree(iv, w, o), iv);
    }
    TreeRebuilder rebuilder(iv, {});
    for (int round = 0; round < 3; ++round) {
      expect_walked(rebuilder.build(w), iv);
      w[rng.below(static_cast<uint32_t>(n))] *= 4;
    }
  }
}

// Thousands of intervals: the range is halved by weight before the
// quadratic dynamic program runs on the parts.
TEST(Tree, LargeInputsAreSplitFirst) {
  Rng rng(17);
  const auto iv = random_intervals(rng, 3000, 4);
  const auto w = random_weights(rng, 3000);
  const DecisionTree t = build_tree(iv, w, {.strategy = Strategy::kOptimal});
  expect_maps(t, iv);
  const DecisionTree b = build_tree(iv, w, {.strategy = Strategy::kBalanced});
  EXPECT_LT(t.weighted_tests, b.weighted_tests);
}

// The equals-chain: a range that is "A except a few single numbers".
TEST(Tree, ChainPeelsSingleNumbers) {
  const Interval iv[] = {{0, 9, 0}, {10, 10, 1}, {11, 20, 0}, {21, 21, 2}, {22, 0xffffffffU, 0}};
  const double w[] = {10, 1, 10, 1, 10};
  const DecisionTree t = build_tree(iv, w, {.strategy = Strategy::kOptimal});
  expect_maps(t, iv);
  // Two `jeq` in front of leaf 0 instead of four `jge`.
  EXPECT_EQ(t.tests, 2u);
  const TreeNode& root = t.nodes[static_cast<size_t>(t.root)];
  EXPECT_EQ(root.kind, TreeNode::Kind::kEquals);
}

TEST(Tree, HeavyIntervalsSitNearTheRoot) {
  std::vector<Interval> iv;
  std::vector<double> w;
  for (uint32_t i = 0; i < 64; ++i) {
    iv.push_back(Interval{i * 10, i == 63 ? 0xffffffffU : i * 10 + 9, i % 2});
    w.push_back(i == 40 ? 1000.0 : 1.0);
  }
  const DecisionTree t = build_tree(iv, w, {.strategy = Strategy::kOptimal});
  expect_maps(t, iv);
  EXPECT_LE(walk_tree(t, 400).tests, 2u);
  const DecisionTree b = build_tree(iv, w, {.strategy = Strategy::kBalanced});
  EXPECT_EQ(walk_tree(b, 400).tests, 6u);  // log2(64): balanced ignores weights
  EXPECT_LT(t.weighted_tests, b.weighted_tests);
}

// The dynamic program works in whole quanta of the total weight: weights
// whose sum overflows a double, that span hundreds of orders of magnitude,
// that are subnormal (their quantum must not round to 0) or infinite still
// give a tree over every value, the heaviest on top (TreeRebuilder's tests
// check that such weights rebuild as they build).
TEST(Tree, WeightsOfAnyMagnitude) {
  const Interval iv[] = {{0, 9, 0}, {10, 19, 1}, {20, 29, 0}, {30, 0xffffffffU, 1}};
  for (const std::vector<double>& w : {std::vector<double>{1e308, 1e308, 1, 1e-300},
                                       std::vector<double>{1e-300, 1e-310, 1e300, 0},
                                       std::vector<double>{1e-310, 0, 0, 0},
                                       std::vector<double>{std::numeric_limits<double>::infinity(), 1, 0, 1},
                                       std::vector<double>{0, 0, 0, 0}}) {
    const DecisionTree t = build_tree(iv, w, {.strategy = Strategy::kOptimal});
    expect_maps(t, iv);
    const size_t heaviest = static_cast<size_t>(std::max_element(w.begin(), w.end()) - w.begin());
    if (w[heaviest] > 0) {
      EXPECT_LE(walk_tree(t, iv[heaviest].lo).tests, 2u);
    }
  }
}

TEST(Tree, BalancedDepthIsLogarithmic) {
  Rng rng(11);
  for (int iter = 0; iter < 50; ++iter) {
    const size_t n = rng.between(2, 500);
    const auto iv = random_intervals(rng, n, 3);
    const std::vector<double> w(n, 1.0);
    const DecisionTree t = build_tree(iv, w, {.strategy = Strategy::kBalanced});
    unsigned depth = 0;
    for (const Interval& x : iv) depth = std::max(depth, walk_tree(t, x.lo).tests);
    EXPECT_LE(depth, static_cast<unsigned>(std::ceil(std::log2(static_cast<double>(n)))));
  }
}

TEST(Tree, LinearTestsEachOddIntervalInTurn) {
  // Rest = leaf 0 (covers the most values). Singles cost one `jeq`, ranges
  // two comparisons (one at the ends of the domain).
  const Interval iv[] = {{0, 4, 1},     {5, 5, 2},     {6, 99, 0},           {100, 100, 3},
                         {101, 199, 0}, {200, 299, 1}, {300, 0xffffffffU, 0}};
  const double w[] = {1, 1, 1, 1, 1, 1, 1};
  const DecisionTree t = build_tree(iv, w, {.strategy = Strategy::kLinear});
  expect_maps(t, iv);
  EXPECT_EQ(t.tests, 1u /*[0,4]*/ + 2u /*[200,299]*/ + 1u + 1u);
  // Ranges come first ([0,4] needs one test, [200,299] one for values below
  // it), then single numbers in ascending order.
  EXPECT_EQ(walk_tree(t, 5).tests, 3u);
  EXPECT_EQ(walk_tree(t, 100).tests, 4u);
}

// The dynamic program finds the optimum of its own recursion: compared with
// a memo-free brute force over the same tree shapes on small inputs.
double brute(std::span<const Interval> iv, std::span<const double> w, size_t i, size_t j, const TreeOptions& o) {
  if (i == j) return 0;
  double W = 0;
  for (size_t x = i; x <= j; ++x) W += w[x];
  double best = std::numeric_limits<double>::infinity();
  for (size_t k = i + 1; k <= j; ++k) {
    best = std::min(best, W + o.size_weight + brute(iv, w, i, k - 1, o) + brute(iv, w, k, j, o));
  }
  // Chains: every non-single interval shares one leaf; try every leaf as rest.
  for (size_t r = i; r <= j; ++r) {
    const uint32_t rest = iv[r].leaf;
    std::vector<double> ex;
    bool ok = true;
    double ew = 0;
    for (size_t x = i; x <= j && ok; ++x) {
      if (iv[x].leaf == rest) continue;
      if (iv[x].lo != iv[x].hi) ok = false;
      ex.push_back(w[x]);
      ew += w[x];
    }
    if (!ok || ex.size() > o.max_chain) continue;
    std::sort(ex.begin(), ex.end(), std::greater<>());
    double c = 0;
    for (size_t t = 0; t < ex.size(); ++t) c += ex[t] * static_cast<double>(t + 1);
    c += (W - ew + o.size_weight) * static_cast<double>(ex.size());
    best = std::min(best, c);
  }
  return best;
}

TEST(Tree, ExhaustiveProgramMatchesBruteForce) {
  Rng rng(3);
  for (int iter = 0; iter < 150; ++iter) {
    const size_t n = rng.between(1, 8);
    const auto iv = random_intervals(rng, n, rng.between(2, 4));
    const auto w = random_weights(rng, n);
    TreeOptions o;
    o.exhaustive = true;
    o.size_weight = rng.chance(50) ? 0 : 0.25;
    const DecisionTree t = build_tree(iv, w, o);
    const double expect = brute(iv, w, 0, n - 1, o);
    EXPECT_NEAR(cost_of(t, iv, w, o.size_weight), expect, 1e-6) << "iter " << iter;
  }
}

// Knuth's bound is exact for the plain optimal alphabetic tree (no chains).
TEST(Tree, KnuthBoundsAreExactWithoutChains) {
  Rng rng(5);
  for (int iter = 0; iter < 100; ++iter) {
    const size_t n = rng.between(2, 120);
    const auto iv = random_intervals(rng, n, 4);
    const auto w = random_weights(rng, n);
    TreeOptions fast;
    TreeOptions full;
    fast.max_chain = full.max_chain = 0;
    full.exhaustive = true;
    const double a = build_tree(iv, w, fast).weighted_tests;
    const double b = build_tree(iv, w, full).weighted_tests;
    EXPECT_NEAR(a, b, 1e-6 * std::max(1.0, b)) << "iter " << iter << " n " << n;
  }
}

// With chains the Knuth-bounded search is a heuristic: never better than the
// full search, and close to it even on adversarial random inputs (on real
// profiles the two agree: compile_test.KnuthBoundsMatchFullSearchOnProfiles).
TEST(Tree, KnuthBoundsWithChainsStayClose) {
  Rng rng(9);
  double worst = 0;
  for (int iter = 0; iter < 100; ++iter) {
    const size_t n = rng.between(2, 120);
    const auto iv = random_intervals(rng, n, 3);
    const auto w = random_weights(rng, n);
    TreeOptions fast;
    TreeOptions full;
    full.exhaustive = true;
    const double a = cost_of(build_tree(iv, w, fast), iv, w, 0);
    const double b = cost_of(build_tree(iv, w, full), iv, w, 0);
    EXPECT_GE(a, b - 1e-6);
    if (b > 0) worst = std::max(worst, a / b - 1);
  }
  EXPECT_LT(worst, 0.10) << "Knuth-bounded search more than 10% off the optimum";
}

}  // namespace
}  // namespace sysfence::compiler
