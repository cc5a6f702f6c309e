// The test graph: hash-consing, load elision, layout.
#include "compiler/graph.h"

#include <gtest/gtest.h>

#include "bpf/interp.h"
#include "bpf/validate.h"

namespace sysfence::compiler {
namespace {

constexpr uint32_t kAllow = 0x7fff0000;
constexpr uint32_t kEperm = 0x00050001;

TEST(Graph, IdenticalNodesAreOne) {
  Graph g;
  const Edge a = g.ret(kAllow);
  const Edge b = g.ret(kAllow);
  EXPECT_EQ(a, b);
  const Edge t1 = g.test(0, bpf::kJeq, 5, a, g.ret(kEperm), std::nullopt);
  const Edge t2 = g.test(0, bpf::kJeq, 5, a, g.ret(kEperm), std::nullopt);
  EXPECT_EQ(t1, t2);
  EXPECT_EQ(g.size(), 3u);
  // A test whose branches agree is no test.
  EXPECT_EQ(g.test(0, bpf::kJeq, 6, a, a, std::nullopt), a);
}

TEST(Graph, EnteringWithTheWordInAPassesTheLoad) {
  Graph g;
  const Edge t = g.test(16, bpf::kJeq, 5, g.ret(kAllow), g.ret(kEperm), std::nullopt);
  EXPECT_TRUE(t.load);
  EXPECT_FALSE(g.enter(t.node, 16u).load);
  EXPECT_TRUE(g.enter(t.node, 20u).load);
  EXPECT_FALSE(g.ret(kAllow).load);
}

TEST(Graph, EmitsLoadsOnlyWhereNeeded) {
  Graph g;
  // nr == 1 -> (arg0 == 7 ? ALLOW : EPERM); nr == 2 -> ALLOW; else EPERM.
  const Edge arg = g.test(16, bpf::kJeq, 7, g.ret(kAllow), g.ret(kEperm), 0u);
  const Edge two = g.test(0, bpf::kJeq, 2, g.ret(kAllow), g.ret(kEperm), 0u);
  const Edge root = g.test(0, bpf::kJeq, 1, arg, two, std::nullopt);
  auto out = emit(g, root);
  ASSERT_TRUE(out) << out.error().message;
  const bpf::Program& p = out->program;
  ASSERT_TRUE(validate(p));
  size_t loads = 0;
  for (const bpf::Insn& in : p) loads += in.code == (bpf::kLd | bpf::kW | bpf::kAbs);
  EXPECT_EQ(loads, 2u);  // nr once, arg0 once; `nr == 2` reuses A
  auto in = bpf::Interpreter::create(p);
  ASSERT_TRUE(in);
  SeccompData d;
  d.nr = 1;
  d.args[0] = 7;
  EXPECT_EQ(in->run(d, Endian::kLittle).ret, kAllow);
  EXPECT_EQ(in->run(d, Endian::kLittle).insns, 5u);
  EXPECT_EQ(path_length(g, root, to_words(d, Endian::kLittle)), 5u);
  d.args[0] = 8;
  EXPECT_EQ(in->run(d, Endian::kLittle).ret, kEperm);
  d.nr = 2;
  EXPECT_EQ(in->run(d, Endian::kLittle).ret, kAllow);
  EXPECT_EQ(in->run(d, Endian::kLittle).insns, 4u);
  EXPECT_EQ(path_length(g, root, to_words(d, Endian::kLittle)), 4u);
  d.nr = 3;
  EXPECT_EQ(in->run(d, Endian::kLittle).ret, kEperm);
}

TEST(Graph, SharedNodesComeAfterAllTheirParents) {
  Graph g;
  const Edge shared = g.test(16, bpf::kJge, 100, g.ret(kAllow), g.ret(kEperm), std::nullopt);
  Edge next = g.ret(kEperm);
  for (uint32_t k = 1; k <= 40; ++k) next = g.test(0, bpf::kJeq, k, shared, next, 0u);
  const Edge root = g.enter(next.node, std::nullopt);
  auto out = emit(g, root);
  ASSERT_TRUE(out) << out.error().message;
  ASSERT_TRUE(validate(out->program));
  // The shared subtree exists once.
  size_t arg_tests = 0;
  for (const bpf::Insn& in : out->program) arg_tests += in.code == (bpf::kJmp | bpf::kJge | bpf::kK) && in.k == 100;
  EXPECT_EQ(arg_tests, 1u);
}

TEST(Graph, MaskedTestReloadsAfterTheAnd) {
  Graph g;
  // (arg0 & 0xf0) == 0x30 -> then arg0 == 0x35 decides.
  const Edge inner = g.test(16, bpf::kJeq, 0x35, g.ret(kAllow), g.ret(kEperm), std::nullopt);
  const Edge root = g.masked_test(16, 0xf0, bpf::kJeq, 0x30, inner, g.ret(kEperm), std::nullopt);
  auto out = emit(g, root);
  ASSERT_TRUE(out);
  auto in = bpf::Interpreter::create(out->program);
  ASSERT_TRUE(in);
  for (uint64_t v : {0x35ULL, 0x36ULL, 0x45ULL}) {
    SeccompData d;
    d.args[0] = v;
    EXPECT_EQ(in->run(d, Endian::kLittle).ret, v == 0x35 ? kAllow : kEperm);
  }
}

// A chain of `n` tests on `word`, each value from `first` on answering
// `ret`, the rest EPERM; entered at its load.
Edge test_chain(Graph& g, uint32_t word, uint32_t first, size_t n, uint32_t ret) {
  Edge e = g.ret(kEperm);
  for (size_t i = 0; i < n; ++i) e = g.test(word, bpf::kJeq, first + static_cast<uint32_t>(i), g.ret(ret), e, word);
  return g.enter(e.node, std::nullopt);
}

// The counter's marks grow with the graph between additions (here past the
// first thousand nodes): the union is what one subgraph over both parts
// takes, less the joining test and its load.
TEST(Graph, InsnCounterCountsTheUnionAsTheGraphGrows) {
  Graph g;
  InsnCounter c(g);
  const Edge a = test_chain(g, 0, 0, 300, kAllow);
  c.add(a);
  EXPECT_EQ(c.insns(), subgraph_insns(g, a));
  const Edge b = test_chain(g, 0, 1000, 1200, kAllow);
  ASSERT_GT(g.size(), 1024u);
  c.add(b);
  c.add(a);  // counted once
  const Edge joined = g.test(4, bpf::kJeq, 7, a, b, std::nullopt);
  EXPECT_EQ(c.insns(), subgraph_insns(g, joined) - 2);
  c.clear();
  c.add(b);
  EXPECT_EQ(c.insns(), subgraph_insns(g, b));
}

TEST(Graph, LowerTree) {
  const Interval iv[] = {{0, 9, 0}, {10, 19, 1}, {20, 0xffffffff, 0}};
  const double w[] = {1, 1, 1};
  const DecisionTree t = build_tree(iv, w, {});
  Graph g;
  const Edge leaves[] = {g.ret(kEperm), g.ret(kAllow)};
  const Edge root = lower_tree(g, t, 0, leaves);
  auto out = emit(g, g.enter(root.node, std::nullopt));
  ASSERT_TRUE(out);
  auto in = bpf::Interpreter::create(out->program);
  ASSERT_TRUE(in);
  for (uint32_t nr : {0u, 9u, 10u, 19u, 20u, 0xffffffffu}) {
    SeccompData d;
    d.nr = nr;
    EXPECT_EQ(in->run(d, Endian::kLittle).ret, nr >= 10 && nr <= 19 ? kAllow : kEperm) << nr;
  }
}

}  // namespace
}  // namespace sysfence::compiler
