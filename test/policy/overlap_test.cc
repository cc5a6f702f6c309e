#include "policy/overlap.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace sysfence::policy {
namespace {

using Conds = std::vector<ArgCondition>;

ArgCondition c(uint8_t index, CmpOp op, uint64_t value, uint64_t two = 0, ArgWidth w = ArgWidth::k64) {
  return ArgCondition{index, op, value, two, w};
}

// The witness is checked against the operators' meaning written out here,
// not through policy::condition_holds.
bool holds_by_hand(const ArgCondition& x, uint64_t arg) {
  uint64_t a = arg;
  uint64_t v = x.value;
  uint64_t d = x.value_two;
  if (x.width == ArgWidth::k32) {
    a &= 0xffffffffU;
    v &= 0xffffffffU;
    d &= 0xffffffffU;
  }
  switch (x.op) {
    case CmpOp::kNe: return a != v;
    case CmpOp::kLt: return a < v;
    case CmpOp::kLe: return a <= v;
    case CmpOp::kEq: return a == v;
    case CmpOp::kGe: return a >= v;
    case CmpOp::kGt: return a > v;
    case CmpOp::kMaskedEq: return (a & v) == (d & v);
  }
  return false;
}

void expect_witness(const Conds& a, const Conds& b) {
  const auto w = common_input(a, b);
  ASSERT_TRUE(w.has_value());
  for (const Conds* rule : {&a, &b})
    for (const ArgCondition& x : *rule)
      EXPECT_TRUE(holds_by_hand(x, (*w)[x.index])) << int(x.index) << " " << (*w)[x.index];
}

TEST(Overlap, UnconditionalRulesOverlapEverything) {
  EXPECT_EQ(common_input(Conds{}, Conds{}), (std::array<uint64_t, 6>{}));
  expect_witness({}, {c(2, CmpOp::kGt, 128)});
}

TEST(Overlap, IntervalsOnOneArgument) {
  // a2 > 128 and a2 > 256 share 257; a2 <= 64 and a2 > 128 share nothing.
  expect_witness({c(2, CmpOp::kGt, 128)}, {c(2, CmpOp::kGt, 256)});
  EXPECT_EQ(common_input(Conds{c(2, CmpOp::kGt, 256)}, Conds{c(2, CmpOp::kGt, 128)})->at(2), 257u);
  EXPECT_FALSE(common_input(Conds{c(2, CmpOp::kLe, 64)}, Conds{c(2, CmpOp::kGt, 128)}));
  EXPECT_FALSE(common_input(Conds{c(0, CmpOp::kLt, 5)}, Conds{c(0, CmpOp::kGe, 5)}));
  expect_witness({c(0, CmpOp::kLe, 5)}, {c(0, CmpOp::kGe, 5)});
  // Nothing is below 0 or above the maximum.
  EXPECT_FALSE(common_input(Conds{c(0, CmpOp::kLt, 0)}, Conds{}));
  EXPECT_FALSE(common_input(Conds{c(0, CmpOp::kGt, ~uint64_t{0})}, Conds{}));
}

TEST(Overlap, DifferentArgumentsAlwaysMeet) {
  expect_witness({c(0, CmpOp::kEq, 1)}, {c(1, CmpOp::kEq, 2)});
  EXPECT_EQ(common_input(Conds{c(0, CmpOp::kEq, 1)}, Conds{c(1, CmpOp::kEq, 2)}),
            (std::array<uint64_t, 6>{1, 2, 0, 0, 0, 0}));
}

TEST(Overlap, NotEqualRemovesOnePoint) {
  EXPECT_FALSE(common_input(Conds{c(0, CmpOp::kEq, 7)}, Conds{c(0, CmpOp::kNe, 7)}));
  // [5, 6] without 5 and 6 is empty; without 5 alone it is {6}.
  EXPECT_FALSE(
      common_input(Conds{c(0, CmpOp::kGe, 5), c(0, CmpOp::kLe, 6)}, Conds{c(0, CmpOp::kNe, 5), c(0, CmpOp::kNe, 6)}));
  EXPECT_EQ(common_input(Conds{c(0, CmpOp::kGe, 5), c(0, CmpOp::kLe, 6)}, Conds{c(0, CmpOp::kNe, 5)})->at(0), 6u);
}

TEST(Overlap, MaskedEqualityComparesOnlyTheMaskedBits) {
  // Docker's clone rule, (flags & 0x7e020000) == 0, against a bit outside
  // its mask (bit 31) and one inside (bit 28, CLONE_NEWUSER).
  expect_witness({c(0, CmpOp::kMaskedEq, 0x7e020000, 0)}, {c(0, CmpOp::kMaskedEq, 0x80000000, 0x80000000)});
  EXPECT_FALSE(common_input(Conds{c(0, CmpOp::kMaskedEq, 0x7e020000, 0)},
                            Conds{c(0, CmpOp::kMaskedEq, 0x10000000, 0x10000000)}));
  EXPECT_FALSE(common_input(Conds{c(0, CmpOp::kMaskedEq, 0xff, 0x01)}, Conds{c(0, CmpOp::kMaskedEq, 0x0f, 0x02)}));
  // Datum bits outside the mask mean nothing: 0x101 under mask 0xff is 0x01.
  expect_witness({c(0, CmpOp::kMaskedEq, 0xff, 0x101)}, {c(0, CmpOp::kEq, 0x01)});
  // A mask and an interval: the smallest value >= 0x100 with low byte 0x42.
  EXPECT_EQ(common_input(Conds{c(0, CmpOp::kMaskedEq, 0xff, 0x42)}, Conds{c(0, CmpOp::kGe, 0x100)})->at(0), 0x142u);
  // ... and with no room: bit 0 set, below 1.
  EXPECT_FALSE(common_input(Conds{c(0, CmpOp::kMaskedEq, 0x1, 0x1)}, Conds{c(0, CmpOp::kLt, 1)}));
  // High mask bits against a bound: x & (1 << 63) == 0 and x > 2^63 - 1.
  EXPECT_FALSE(common_input(Conds{c(0, CmpOp::kMaskedEq, uint64_t{1} << 63, 0)},
                            Conds{c(0, CmpOp::kGt, (uint64_t{1} << 63) - 1)}));
}

TEST(Overlap, LowWordConditionsCompareTheLowWord) {
  // On the low word 0x1_00000005 is 5.
  expect_witness({c(0, CmpOp::kEq, 0x100000005, 0, ArgWidth::k32)}, {c(0, CmpOp::kEq, 5, 0, ArgWidth::k32)});
  EXPECT_FALSE(common_input(Conds{c(0, CmpOp::kGt, 0xffffffff, 0, ArgWidth::k32)}, Conds{}));
  EXPECT_FALSE(common_input(Conds{c(0, CmpOp::kEq, 0x100000005)}, Conds{c(0, CmpOp::kEq, 5)}));
}

TEST(Overlap, LowWordAndMaskedSixtyFourBitConditionsOnOneArgument) {
  // Low word < 4, all 64 bits > 7, (x & 5) == 1: 0x1_00000001. The smallest
  // low word (0) fails the mask; a low word the mask allows (1) does not.
  expect_witness({c(0, CmpOp::kLt, 4, 0, ArgWidth::k32), c(0, CmpOp::kGt, 7)}, {c(0, CmpOp::kMaskedEq, 5, 1)});
}

TEST(Overlap, ManyExcludedPointsAreSteppedOver) {
  Conds a{c(1, CmpOp::kGe, 10)};
  Conds b;
  for (uint64_t v = 10; v < 60; ++v) b.push_back(c(1, CmpOp::kNe, v));
  EXPECT_EQ(common_input(a, b)->at(1), 60u);
}

// Whether some value of argument `index` satisfies every condition on it,
// tried on 0..63 with a high word of 0 or 1: with constants and masks below
// 8 and at most six conditions, a satisfiable argument has such a value (the
// masked bits repeat every 8, each excluded point or bound moves the least
// low word by at most 8, and a 64-bit condition tells high words 1 and above
// apart from each other only through its small constant, never).
bool brute_force(const Conds& conds, uint8_t index) {
  for (uint64_t high : {uint64_t{0}, uint64_t{1} << 32}) {
    for (uint64_t x = high; x < high + 64; ++x) {
      bool all = true;
      for (const ArgCondition& k : conds) all = all && (k.index != index || holds_by_hand(k, x));
      if (all) return true;
    }
  }
  return false;
}

TEST(Conjunction, GrownOneConditionAtATimeAnswersLikeBruteForce) {
  uint64_t state = 12345;
  auto next = [&](uint64_t n) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (state >> 33) % n;
  };
  for (int round = 0; round < 2000; ++round) {
    // Conditions of both widths mixed on one argument too: the search then
    // tries a bounded set of low words against the 64-bit conditions.
    Conjunction sat;
    Conds prefix;
    for (int step = 0; step < 6; ++step) {
      const ArgWidth width = next(2) == 0 ? ArgWidth::k64 : ArgWidth::k32;
      const auto op = static_cast<CmpOp>(next(7));
      const auto index = static_cast<uint8_t>(next(2));
      const ArgCondition k = c(index, op, next(8), next(8), width);
      prefix.push_back(k);
      sat.add(k);
      const bool arg0 = brute_force(prefix, 0);
      const bool arg1 = brute_force(prefix, 1);
      std::string why;
      for (const ArgCondition& x : prefix)
        why += fmt::format("[{} op{} {} {} w{}] ", static_cast<int>(x.index), static_cast<int>(x.op), x.value,
                           x.value_two, static_cast<int>(x.width));
      SCOPED_TRACE(why);
      EXPECT_EQ(sat.satisfiable(1), arg0);
      EXPECT_EQ(sat.satisfiable(2), arg1);
      EXPECT_EQ(sat.satisfiable(), arg0 && arg1);
      const auto w = sat.witness();
      ASSERT_EQ(w.has_value(), arg0 && arg1);
      EXPECT_EQ(w, common_input(prefix, {}));
      if (w) {
        for (const ArgCondition& x : prefix) EXPECT_TRUE(holds_by_hand(x, (*w)[x.index]));
      }
    }
  }
}

TEST(Conjunction, AnArgumentAboveFiveNeverHolds) {
  Conjunction sat;
  EXPECT_TRUE(sat.satisfiable());
  sat.add(c(6, CmpOp::kEq, 1));
  EXPECT_FALSE(sat.satisfiable(1));
  EXPECT_FALSE(sat.witness().has_value());
}

// PinnedValues' "disjoint" is a shortcut for common_input's: on any rules
// it never says so where common_input finds an input, and on rules of one
// equality per argument (all it reads) the two agree.
TEST(PinnedValues, NeverExcludesRulesThatShareAnInput) {
  std::mt19937_64 rng(7);
  auto pick = [&](uint64_t n) { return std::uniform_int_distribution<uint64_t>(0, n - 1)(rng); };
  // Values with few distinct low and high words, so pins often agree in one
  // and differ in the other.
  auto value = [&] { return pick(3) << 32 | pick(3); };
  const CmpOp ops[] = {CmpOp::kEq, CmpOp::kNe, CmpOp::kLt, CmpOp::kLe, CmpOp::kGe, CmpOp::kGt, CmpOp::kMaskedEq};
  auto rule = [&](bool equalities_only) {
    Conds r;
    const size_t n = pick(4);
    for (size_t k = 0; k < n; ++k) {
      // Equalities only: one per argument (0..2 in turn), as few as drawn.
      const auto index = static_cast<uint8_t>(equalities_only ? k : pick(3));
      if (equalities_only && k >= 3) break;
      const CmpOp op = equalities_only ? CmpOp::kEq : ops[pick(7)];
      r.push_back(c(index, op, value(), value(), pick(2) == 0 ? ArgWidth::k32 : ArgWidth::k64));
    }
    return r;
  };
  size_t excluded = 0;
  for (int round = 0; round < 20000; ++round) {
    const bool equalities_only = round % 2 == 0;
    const Conds a = rule(equalities_only);
    const Conds b = rule(equalities_only);
    const bool disjoint = PinnedValues(a).excludes(PinnedValues(b));
    EXPECT_EQ(disjoint, PinnedValues(b).excludes(PinnedValues(a)));
    const bool shared = common_input(a, b).has_value();
    if (disjoint) ++excluded;
    if (equalities_only) {
      EXPECT_EQ(disjoint, !shared) << round;
    } else if (disjoint) {
      EXPECT_FALSE(shared) << round;
    }
  }
  EXPECT_GT(excluded, 1000u);  // the shortcut is taken, not only sound
}

TEST(PinnedValues, AThirtyTwoBitPinComparesTheLowWordOnly) {
  const uint64_t wide = uint64_t{1} << 32 | 5;
  // a0 == 0x100000005 and (u32)a0 == 5 share 0x100000005.
  EXPECT_FALSE(
      PinnedValues(Conds{c(0, CmpOp::kEq, wide)}).excludes(PinnedValues(Conds{c(0, CmpOp::kEq, 5, 0, ArgWidth::k32)})));
  // Both 64 bits wide: the high words differ.
  EXPECT_TRUE(PinnedValues(Conds{c(0, CmpOp::kEq, wide)}).excludes(PinnedValues(Conds{c(0, CmpOp::kEq, 5)})));
  EXPECT_TRUE(
      PinnedValues(Conds{c(0, CmpOp::kEq, 6, 0, ArgWidth::k32)}).excludes(PinnedValues(Conds{c(0, CmpOp::kEq, wide)})));
  // Other arguments, or no equality: nothing pinned against each other.
  EXPECT_FALSE(PinnedValues(Conds{c(0, CmpOp::kEq, 1)}).excludes(PinnedValues(Conds{c(1, CmpOp::kEq, 2)})));
  EXPECT_FALSE(PinnedValues(Conds{c(0, CmpOp::kGt, 1)}).excludes(PinnedValues(Conds{c(0, CmpOp::kEq, 0)})));
  EXPECT_FALSE(PinnedValues(Conds{c(6, CmpOp::kEq, 1)}).excludes(PinnedValues(Conds{c(6, CmpOp::kEq, 2)})));
}

}  // namespace
}  // namespace sysfence::policy
