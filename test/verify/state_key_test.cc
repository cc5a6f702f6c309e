// The key of the diagrams' walk states (verify/state_key.h): what it leaves
// out of a word's known bits and clauses must never let the walk take a
// state for one it proved when the residuals could tell them apart, and it
// must let states that differ only in bits no test reads share one key.
#include "verify/state_key.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <random>
#include <vector>

#include "test/verify/small_diagrams.h"
#include "verify/dag_pool.h"
#include "verify/decision.h"
#include "verify/equiv.h"

namespace sysfence::verify {
namespace {

// Random diagrams over words 4 and 5 whose tests are masked (masks within
// 0xf), with an ordered or == test now and then when `mixed`: the values
// 0..31 of each word decide equality exactly.
WordAtom random_masked_atom(std::mt19937_64& rng, bool mixed) {
  const auto mask = static_cast<uint32_t>(1 + rng() % 15);
  const auto k = static_cast<uint32_t>(rng() % 16) & mask;
  if (mixed && rng() % 6 == 0) return rng() % 2 == 0 ? WordAtom::Eq(k) : WordAtom::Gt(k);
  return rng() % 2 == 0 ? WordAtom::MaskedEq(mask, k) : WordAtom::MaskedNe(mask, k);
}

using small_diagrams::build;
using small_diagrams::equal_everywhere;
using small_diagrams::NodeSpec;

// Sound on the diagrams the projection is for: proved exactly when equal,
// with memos small enough to be forgotten and pools collected often (keys
// of residuals built again), over masked tests with and without others.
TEST(StateKeys, ProvesExactlyTheEqualPairsOfMaskedTests) {
  std::mt19937_64 rng(4242);
  const std::vector<Action> leaves = {Action::Allow(), Action::Errno(1), Action::Errno(2)};
  int equal = 0;
  int different = 0;
  for (int round = 0; round < 4000; ++round) {
    const bool mixed = round % 2 == 1;
    std::vector<NodeSpec> spec;
    const size_t nodes = 2 + rng() % 14;
    for (size_t i = 0; i < nodes; ++i)
      spec.push_back(
          {4 + static_cast<unsigned>(rng() % 2), random_masked_atom(rng, mixed), rng() % (3 + i), rng() % (3 + i)});
    std::vector<NodeSpec> other = spec;
    if (rng() % 3 == 0) {
      other[rng() % other.size()].atom = random_masked_atom(rng, mixed);
    } else {  // the same decisions written the other way round, so that the residuals are other nodes
      for (NodeSpec& s : other) {
        s.atom = negate(s.atom);
        std::swap(s.if_true, s.if_false);
      }
      if (rng() % 2 == 0) other[rng() % other.size()].atom = random_masked_atom(rng, mixed);
    }
    const DecisionDag a = build(spec, leaves);
    const DecisionDag b = build(other, leaves);
    const bool same = equal_everywhere(a, b);
    ASSERT_EQ(prove_by_diagrams(a, b, 1u << 20).proved, same) << "round " << round;
    ASSERT_EQ(prove_by_diagrams(b, a, 1u << 20, DiagramMemory{24, 3}).proved, same) << "round " << round;
    ASSERT_EQ(prove_by_diagrams(a, b, 1u << 20, DiagramMemory{SIZE_MAX, 0}).proved, same) << "round " << round;
    ++(same ? equal : different);
  }
  EXPECT_GT(equal, 800);
  EXPECT_GT(different, 800);
}

// Twelve stages on the bits of words 4 and 5: stage i denies when the
// `width` bits of word 4 from bit i are all set and bit i of word 5 too,
// and goes on otherwise (written with the opposite tests when `negated`).
// Each stage leaves known bits, or with two bits clauses sharing their bits
// with the next stage's, that no later test reads: keys without them make
// 2^12 paths a few states per stage.
DecisionDag stages(unsigned width, bool negated, Action last) {
  DecisionDag d;
  const DecisionDag::Ref deny = d.leaf(Action::Errno(1), "deny");
  DecisionDag::Ref next = d.leaf(last, "last");
  for (int i = 11; i >= 0; --i) {
    const uint32_t bits = ((1u << width) - 1) << i;
    const uint32_t bit = 1u << i;
    if (negated) {
      const DecisionDag::Ref second = d.test(5, WordAtom::MaskedNe(bit, bit), next, deny);
      next = d.test(4, WordAtom::MaskedNe(bits, bits), next, second);
    } else {
      const DecisionDag::Ref second = d.test(5, WordAtom::MaskedEq(bit, bit), deny, next);
      next = d.test(4, WordAtom::MaskedEq(bits, bits), second, next);
    }
  }
  d.set_root(next);
  return d;
}

TEST(StateKeys, KnownBitsNoTestReadsAreLeftOut) {
  const DiagramProof proof =
      prove_by_diagrams(stages(1, false, Action::Allow()), stages(1, true, Action::Allow()), 1u << 20);
  EXPECT_TRUE(proof.proved);
  EXPECT_LT(proof.atoms, 100u);  // 2^12 leaf pairs or more with every known bit in the keys
  EXPECT_LT(proof.leaf_pairs, 50u);
  // Behind every stage, a difference is still found.
  EXPECT_FALSE(
      prove_by_diagrams(stages(1, false, Action::Allow()), stages(1, true, Action::Errno(2)), 1u << 20).proved);
}

// Two paths to the same residuals, picked by word 5: each adds constraints
// on word 4 that decide none of the residuals' tests, the second's on bits
// they do not read or weaker than the first's. The residuals differ only where the
// first path's constraints exclude, so the pair is different past the
// second path, which the walk takes after proving the first.
using Tail = DecisionDag::Ref (*)(DecisionDag&, bool b_side);
void expect_different_past_the_second_path(const std::vector<WordAtom>& first, const std::vector<WordAtom>& second,
                                           Tail tail, uint32_t differing) {
  auto diagram = [&](bool b_side) {
    DecisionDag d;
    const DecisionDag::Ref deny = d.leaf(Action::Errno(1), "deny");
    const DecisionDag::Ref end = tail(d, b_side);
    auto path = [&](const std::vector<WordAtom>& atoms) {
      DecisionDag::Ref r = end;
      for (const WordAtom& atom : atoms) r = d.test(4, atom, r, deny);
      return r;
    };
    d.set_root(d.test(5, WordAtom::Eq(0), path(first), path(second)));
    return d;
  };
  const DecisionDag a = diagram(false);
  const DecisionDag b = diagram(true);
  SeccompWords in{};
  in[4] = differing;
  in[5] = 1;
  ASSERT_NE(a.run(in), b.run(in));
  for (uint32_t v = 0; v < 64; ++v) {  // no difference on the first path
    in[4] = v;
    in[5] = 0;
    ASSERT_EQ(a.run(in), b.run(in)) << v;
  }
  EXPECT_FALSE(prove_by_diagrams(a, b, 1u << 20).proved);
  EXPECT_FALSE(prove_by_diagrams(b, a, 1u << 20).proved);
  const EquivResult r = check_equivalent(a, b);
  ASSERT_EQ(r.verdict, EquivResult::Verdict::kDifferent);
  ASSERT_FALSE(r.mismatches.empty());
  EXPECT_NE(r.mismatches[0].input[5], 0u);
}

// A clause on bits 0 and 1, (w & 3) != 3, decides neither test of one
// bit, yet it excludes the cell where both hold: the key keeps it.
TEST(StateKeys, ClauseOnReadBitsIsKept) {
  const auto tail = [](DecisionDag& d, bool b_side) {
    const DecisionDag::Ref allow = d.leaf(Action::Allow(), "allow");
    const DecisionDag::Ref both = d.leaf(b_side ? Action::Errno(2) : Action::Allow(), "both");
    return d.test(4, WordAtom::MaskedEq(1, 1), d.test(4, WordAtom::MaskedEq(2, 2), both, allow), allow);
  };
  expect_different_past_the_second_path({WordAtom::MaskedNe(3, 3)}, {WordAtom::MaskedNe(0x30, 0x30)}, tail, 3);
}

// A known bit, bit 0 set, decides neither (w & 3) == 1 nor (w & 3) == 3,
// yet it excludes the cell where both fail: the key keeps it.
TEST(StateKeys, KnownBitOnReadBitsIsKept) {
  const auto tail = [](DecisionDag& d, bool b_side) {
    const DecisionDag::Ref allow = d.leaf(Action::Allow(), "allow");
    const DecisionDag::Ref neither = d.leaf(b_side ? Action::Errno(2) : Action::Allow(), "neither");
    return d.test(4, WordAtom::MaskedEq(3, 1), allow, d.test(4, WordAtom::MaskedEq(3, 3), allow, neither));
  };
  expect_different_past_the_second_path({WordAtom::MaskedEq(1, 1)}, {WordAtom::MaskedEq(0x10, 0x10)}, tail, 0x10);
}

// Two clauses whose one bit outside the residuals' reads is the same, bit
// 2: (w & 5) != 1 and (w & 6) != 6. Each alone could be broken by that
// bit, but not both at once where bits 0 and 1 are set (the first needs
// bit 2 set, the second clear): together they exclude that cell, and the
// key keeps them.
TEST(StateKeys, ClausesSharingTheirFreeBitAreKept) {
  const auto tail = [](DecisionDag& d, bool b_side) {
    const DecisionDag::Ref allow = d.leaf(Action::Allow(), "allow");
    const DecisionDag::Ref both = d.leaf(b_side ? Action::Errno(2) : Action::Allow(), "both");
    return d.test(4, WordAtom::MaskedEq(3, 3), both, allow);
  };
  expect_different_past_the_second_path({WordAtom::MaskedNe(5, 1), WordAtom::MaskedNe(6, 6)},
                                        {WordAtom::MaskedNe(0x30, 0x30)}, tail, 3);
}

// The residuals below test bit 0 alone: the first path allows it only
// clear, the second either way.
DecisionDag::Ref bit_0_tail(DecisionDag& d, bool b_side) {
  const DecisionDag::Ref allow = d.leaf(Action::Allow(), "allow");
  const DecisionDag::Ref set = d.leaf(b_side ? Action::Errno(2) : Action::Allow(), "bit 0 set");
  return d.test(4, WordAtom::MaskedEq(1, 1), set, allow);
}

// Bit 2 known set and (w & 5) != 5: bit 0 must be clear. The clause's one
// bit outside the reads is a known bit, which no value of the set may
// flip: the key keeps the clause. (The second path, bit 2 known set and a
// clause on bits 2 and 4, has the same known bits in its key.)
TEST(StateKeys, ClauseWhoseFreeBitIsKnownIsKept) {
  expect_different_past_the_second_path({WordAtom::MaskedEq(4, 4), WordAtom::MaskedNe(5, 5)},
                                        {WordAtom::MaskedEq(4, 4), WordAtom::MaskedNe(0x14, 0x14)}, bit_0_tail, 5);
}

// The same through a known bit no test reads but a clause kept does: bit 2
// known set, (w & 5) != 5 and (w & 0xc) != 0xc, against the two clauses
// alone (which allow bit 0 with bit 2 clear). The key keeps the known bit.
TEST(StateKeys, KnownBitAClauseReadsIsKept) {
  expect_different_past_the_second_path(
      {WordAtom::MaskedEq(4, 4), WordAtom::MaskedNe(5, 5), WordAtom::MaskedNe(0xc, 0xc)},
      {WordAtom::MaskedNe(5, 5), WordAtom::MaskedNe(0xc, 0xc)}, bit_0_tail, 1);
}

// A clause reading a bit the residuals read and one they do not, bit 2,
// which other clauses read too: (w & 5) != 5 beside (w & 0xc) != 0 and
// (w & 0xc) != 8, which together need bit 2 set, so that bit 0 must be
// clear. The clauses on unread bits alone are kept with it. (The second
// path, (w & 5) != 5 and (w & 0x14) != 0x14, keeps the first clause too,
// and allows bit 0 with bit 2 clear.)
TEST(StateKeys, ClausesOnUnreadBitsBesideAMixedClauseAreKept) {
  expect_different_past_the_second_path(
      {WordAtom::MaskedNe(5, 5), WordAtom::MaskedNe(0xc, 0), WordAtom::MaskedNe(0xc, 8)},
      {WordAtom::MaskedNe(5, 5), WordAtom::MaskedNe(0x14, 0x14)}, bit_0_tail, 1);
}

TEST(StateKeys, SharedClausesNoTestReadsAreLeftOut) {
  const DiagramProof proof =
      prove_by_diagrams(stages(2, false, Action::Allow()), stages(2, true, Action::Allow()), 1u << 20);
  EXPECT_TRUE(proof.proved);
  EXPECT_LT(proof.atoms, 200u);
  EXPECT_FALSE(
      prove_by_diagrams(stages(2, false, Action::Allow()), stages(2, true, Action::Errno(2)), 1u << 20).proved);
}

// Two paths excluding ten values of word 4 each, different ones, to one
// tail comparing word 4 with forty other constants: no test names an
// excluded value, so both paths reach one key and the tail is walked once
// (the constants' bits in the residuals' filters say nothing about the
// excluded values: forty of them set most of the 32 bits).
TEST(StateKeys, ExclusionsNoTestNamesShareOneKey) {
  auto diagram = [](Action named) {
    DecisionDag d;
    const DecisionDag::Ref allow = d.leaf(Action::Allow(), "allow");
    const DecisionDag::Ref deny = d.leaf(Action::Errno(1), "deny");
    const DecisionDag::Ref hit = d.leaf(named, "named");
    DecisionDag::Ref tail = allow;
    for (uint32_t c = 0; c < 40; ++c) tail = d.test(4, WordAtom::Eq(1000 + 7 * c), hit, tail);
    auto path = [&](uint32_t first) {
      DecisionDag::Ref r = tail;
      for (uint32_t e = first; e < first + 10; ++e) r = d.test(4, WordAtom::Eq(e), deny, r);
      return r;
    };
    d.set_root(d.test(5, WordAtom::Eq(0), path(100), path(200)));
    return d;
  };
  const DiagramProof proof = prove_by_diagrams(diagram(Action::Errno(2)), diagram(Action::Errno(2)), 1u << 20);
  EXPECT_TRUE(proof.proved);
  EXPECT_LT(proof.leaf_pairs, 41u + 2 * 10 + 10);  // the tail's 41 once, the exclusions' denials
  EXPECT_FALSE(prove_by_diagrams(diagram(Action::Errno(2)), diagram(Action::Errno(3)), 1u << 20).proved);
}

// An exclusion a later constraint made redundant: the first path excludes
// 50 and then narrows the set to values without it (`narrowing`: below 40,
// or 0x100..0x10f), the second only narrows. The sets are one, and so are
// the keys: the tail, comparing word 4 with every value of the narrowed
// set, is walked once.
void expect_redundant_exclusion_left_out(WordAtom narrowing, uint32_t first_value, uint32_t values) {
  auto diagram = [&](Action named) {
    DecisionDag d;
    const DecisionDag::Ref allow = d.leaf(Action::Allow(), "allow");
    const DecisionDag::Ref deny = d.leaf(Action::Errno(1), "deny");
    const DecisionDag::Ref hit = d.leaf(named, "named");
    DecisionDag::Ref tail = allow;
    for (uint32_t c = 0; c < values; ++c) tail = d.test(4, WordAtom::Eq(first_value + c), hit, tail);
    const DecisionDag::Ref narrowed = d.test(4, narrowing, tail, deny);
    const DecisionDag::Ref first = d.test(4, WordAtom::Eq(50), deny, narrowed);
    d.set_root(d.test(5, WordAtom::Eq(0), first, narrowed));
    return d;
  };
  const DiagramProof proof = prove_by_diagrams(diagram(Action::Errno(2)), diagram(Action::Errno(2)), 1u << 20);
  EXPECT_TRUE(proof.proved);
  EXPECT_LT(proof.leaf_pairs, values + 1 + 6);  // the tail's leaves once, and the denials
  EXPECT_FALSE(prove_by_diagrams(diagram(Action::Errno(2)), diagram(Action::Errno(3)), 1u << 20).proved);
}

TEST(StateKeys, ExclusionsOutsideTheBoundsAreLeftOut) { expect_redundant_exclusion_left_out(WordAtom::Lt(40), 0, 40); }

// (A masked test on all bits but four leaves no cell of an unnamed value
// that could keep others: only the known bits tell that 50 is out.)
TEST(StateKeys, ExclusionsTheKnownBitsRuleOutAreLeftOut) {
  expect_redundant_exclusion_left_out(WordAtom::MaskedEq(0xfffffff0U, 0x100), 0x100, 16);
}

// reads(): a masked test its mask, any other test every bit, over the
// tests below on that word only.
TEST(StateKeys, ReadsTheMasksOfTheTestsBelow) {
  DagPool pool;
  const DagPool::Ref allow = pool.leaf(Action::Allow());
  const DagPool::Ref deny = pool.leaf(Action::Errno(1));
  const DagPool::Ref low = pool.node(4, WordAtom::MaskedEq(0x3, 0x1), allow, deny);
  const DagPool::Ref other_word = pool.node(5, WordAtom::Eq(7), deny, low);
  const DagPool::Ref high = pool.node(4, WordAtom::MaskedNe(0x300, 0x100), other_word, allow);
  const DagPool::Ref ordered = pool.node(4, WordAtom::Gt(9), high, deny);
  StateKeys keys(pool);
  EXPECT_EQ(keys.reads(allow, 4), 0u);
  EXPECT_EQ(keys.reads(low, 4), 0x3u);
  EXPECT_EQ(keys.reads(other_word, 4), 0x3u);
  EXPECT_EQ(keys.reads(other_word, 5), 0xffffffffU);
  EXPECT_EQ(keys.reads(high, 4), 0x303u);
  EXPECT_EQ(keys.reads(high, 6), 0u);
  EXPECT_EQ(keys.reads(ordered, 4), 0xffffffffU);
}

// A collection frees nodes whose slots node() reuses: after
// forget_nodes(), a node in a reused slot reads its own masks.
TEST(StateKeys, ForgetsWhatItReadOfFreedNodes) {
  DagPool pool;
  const DagPool::Ref allow = pool.leaf(Action::Allow());
  const DagPool::Ref deny = pool.leaf(Action::Errno(1));
  StateKeys keys(pool);
  const DagPool::Ref freed = pool.node(4, WordAtom::MaskedEq(0x1, 0x1), allow, deny);
  EXPECT_EQ(keys.reads(freed, 4), 0x1u);
  pool.begin_collect();
  pool.end_collect();
  keys.forget_nodes();
  const DagPool::Ref reused = pool.node(4, WordAtom::MaskedEq(0x2, 0x2), allow, deny);
  ASSERT_EQ(reused, freed);  // the freed slot
  EXPECT_EQ(keys.reads(reused, 4), 0x2u);
}

// A chain of 12,000 masked tests over words 4..7 (bit 7i % 32 of word
// 4 + i % 4): asking about every node fills the cache past its size many
// times over, and every answer is still the union of the masks below.
TEST(StateKeys, ReadsStayRightPastTheCachesSize) {
  DagPool pool;
  const DagPool::Ref allow = pool.leaf(Action::Allow());
  const DagPool::Ref deny = pool.leaf(Action::Errno(1));
  std::vector<DagPool::Ref> chain;
  std::vector<std::array<uint32_t, 4>> below;  // the masks at and below chain[i], per word
  DagPool::Ref next = deny;
  std::array<uint32_t, 4> masks{};
  for (uint32_t i = 0; i < 12000; ++i) {
    const uint32_t bit = 1u << (i * 7 % 32);
    next = pool.node(4 + i % 4, WordAtom::MaskedEq(bit, bit), next, allow);
    masks[i % 4] |= bit;
    chain.push_back(next);
    below.push_back(masks);
  }
  StateKeys keys(pool);
  for (size_t round = 0; round < 2; ++round) {
    for (size_t i = 0; i < chain.size(); i += 97) {
      for (unsigned w = 0; w < 4; ++w) ASSERT_EQ(keys.reads(chain[i], 4 + w), below[i][w]) << i << " " << w;
    }
  }
}

}  // namespace
}  // namespace sysfence::verify
