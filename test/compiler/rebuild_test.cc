// TreeRebuilder (the compiler's longest-path budget rounds): every build
// must be exactly the tree build_tree makes for the same weights, whatever
// changed since the previous build and whatever other trees were built in
// between (the rebuilder reuses dynamic-program tables only when they are
// still its own and only for ranges no changed weight reaches).
#include <gtest/gtest.h>

#include <vector>

#include "compiler/tree.h"
#include "test/bpf/random_program.h"

namespace sysfence::compiler {
namespace {

using sysfence::bpf::testing::Rng;

std::vector<Interval> random_intervals(Rng& rng, size_t n, uint32_t leaves) {
  std::vector<Interval> iv;
  uint32_t at = 0;
  for (size_t i = 0; i < n; ++i) {
    const uint32_t len = rng.chance(50) ? 1 : rng.between(2, 20);
    const uint32_t hi = i + 1 < n ? at + len - 1 : 0xffffffffU;
    uint32_t leaf = rng.below(leaves);
    if (!iv.empty() && leaf == iv.back().leaf) leaf = (leaf + 1) % leaves;
    iv.push_back(Interval{at, hi, leaf});
    at = hi + 1;
  }
  return iv;
}

void expect_same_tree(const DecisionTree& got, const DecisionTree& want) {
  ASSERT_EQ(got.nodes.size(), want.nodes.size());
  EXPECT_EQ(got.root, want.root);
  EXPECT_EQ(got.tests, want.tests);
  EXPECT_EQ(got.weighted_tests, want.weighted_tests);
  for (size_t i = 0; i < got.nodes.size(); ++i) {
    const TreeNode& a = got.nodes[i];
    const TreeNode& b = want.nodes[i];
    EXPECT_EQ(a.kind, b.kind) << i;
    EXPECT_EQ(a.k, b.k) << i;
    EXPECT_EQ(a.leaf, b.leaf) << i;
    EXPECT_EQ(a.below, b.below) << i;
    EXPECT_EQ(a.above, b.above) << i;
  }
}

// Rounds of re-weighting as compile() does them: a few intervals multiplied
// by powers of two, sometimes none, sometimes the first or the last. The
// expected trees are built first: any other tree built on this thread
// replaces the tables, and the rounds must run back to back for the
// rebuilder to reuse its own (unless `interleave` asks for the opposite).
// The weights are scaled by `magnitude` (their sum may overflow a double,
// or its quantum be a subnormal one).
void check_rounds(Rng& rng, size_t n, const TreeOptions& options, bool interleave, bool release = false,
                  double magnitude = 1) {
  const std::vector<Interval> iv = random_intervals(rng, n, 1 + rng.below(5));
  std::vector<std::vector<double>> rounds(1, std::vector<double>(n));
  for (double& x : rounds[0])
    x = magnitude * (rng.chance(10) ? 1e-6 : static_cast<double>(rng.between(1, 1000)) / 1000.0);
  for (int r = 1; r < 8; ++r) {
    std::vector<double> w = rounds.back();
    const uint32_t changes = rng.below(4);
    for (uint32_t c = 0; c < changes; ++c) {
      const size_t at = rng.chance(20) ? (rng.chance(50) ? 0 : n - 1) : rng.below(static_cast<uint32_t>(n));
      w[at] *= static_cast<double>(1u << rng.between(1, 8));
    }
    rounds.push_back(std::move(w));
  }
  std::vector<DecisionTree> want;
  want.reserve(rounds.size());
  for (const auto& w : rounds) want.push_back(build_tree(iv, w, options));
  const std::vector<Interval> other = random_intervals(rng, n, 3);
  const std::vector<double> other_w(n, 1.0);

  TreeRebuilder rebuilder(iv, options);
  for (size_t r = 0; r < rounds.size(); ++r) {
    SCOPED_TRACE(::testing::Message() << "n=" << n << " round " << r);
    expect_same_tree(rebuilder.build(rounds[r]), want[r]);
    // Another tree in between: the rebuilder's tables are gone.
    if (interleave && rng.chance(50)) (void)build_tree(other, other_w, options);
    // The tables freed in between (as the pipeline does before the proof):
    // the next build makes them again and must not take their run for its own.
    if (release && rng.chance(50)) release_tree_tables();
  }
}

TEST(TreeRebuilder, SameTreesAsFreshBuilds) {
  Rng rng(20240611);
  TreeOptions o;
  o.size_weight = 1e-3;
  for (int trial = 0; trial < 60; ++trial) check_rounds(rng, 2 + rng.below(150), o, false);
}

// The dynamic program's weights are whole quanta of their sum: a sum that
// overflows a double, or that is subnormal, must still give exact range
// weights (or none at all), so that a rebuild is a fresh build.
TEST(TreeRebuilder, WeightsNearTheLargestAndTheLeastDouble) {
  Rng rng(1308);
  TreeOptions o;
  for (int trial = 0; trial < 30; ++trial) {
    check_rounds(rng, 150 + rng.below(100), o, false, false, 1e290);
    check_rounds(rng, 2 + rng.below(100), o, false, false, 1e-303);
  }
  o.size_weight = 1e308;
  for (int trial = 0; trial < 10; ++trial) check_rounds(rng, 2 + rng.below(200), o, false, false, 1e290);
  // Finite weights whose sum is not: one of the first changes.
  std::vector<Interval> iv;
  std::vector<double> w;
  for (uint32_t i = 0; i < 200; ++i) {
    iv.push_back(Interval{10 * i, i == 199 ? 0xffffffffU : 10 * i + 9, i % 2});
    w.push_back(1e308 * (1 + (i % 3) / 4.0));
  }
  std::vector<std::vector<double>> rounds{w};
  for (const double first : {1.5e308, 1.7e308, 1e300}) {
    rounds.push_back(rounds.back());
    rounds.back()[0] = first;
  }
  // Built first: a tree built between two rounds takes the rebuilder's tables.
  std::vector<DecisionTree> want;
  for (const auto& weights : rounds) want.push_back(build_tree(iv, weights, o));
  TreeRebuilder rebuilder(iv, o);
  for (size_t r = 0; r < rounds.size(); ++r) {
    SCOPED_TRACE(::testing::Message() << "round " << r);
    expect_same_tree(rebuilder.build(rounds[r]), want[r]);
  }
}

TEST(TreeRebuilder, OtherTreesInBetween) {
  Rng rng(77);
  TreeOptions o;
  o.size_weight = 1e-3;
  for (int trial = 0; trial < 20; ++trial) check_rounds(rng, 2 + rng.below(120), o, true);
}

TEST(TreeRebuilder, TablesReleasedInBetween) {
  Rng rng(4242);
  TreeOptions o;
  o.size_weight = 1e-3;
  for (int trial = 0; trial < 20; ++trial) check_rounds(rng, 2 + rng.below(120), o, false, true);
}

TEST(TreeRebuilder, ExhaustiveSearchAndLargeTables) {
  Rng rng(5);
  TreeOptions exhaustive;
  exhaustive.exhaustive = true;
  for (int trial = 0; trial < 5; ++trial) check_rounds(rng, 2 + rng.below(60), exhaustive, false);
  // Over 256 intervals the tables are released after each build: no reuse.
  TreeOptions o;
  check_rounds(rng, 300, o, false);
}

TEST(TreeRebuilder, OtherStrategiesBuildFresh) {
  Rng rng(9);
  for (Strategy s : {Strategy::kBalanced, Strategy::kLinear}) {
    TreeOptions o;
    o.strategy = s;
    check_rounds(rng, 40, o, false);
  }
}

}  // namespace
}  // namespace sysfence::compiler
