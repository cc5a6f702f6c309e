// policy::match_same_inputs: whether two lists of rules match the same
// inputs. Each expectation is worked out by hand from the conditions.
#include "policy/cover.h"

#include <gtest/gtest.h>

#include <vector>

namespace sysfence::policy {
namespace {

Rule rule(std::vector<ArgCondition> conditions) { return Rule{Action::Trap(), std::move(conditions), {}}; }
ArgCondition c64(uint8_t index, CmpOp op, uint64_t value, uint64_t datum = 0) {
  return {index, op, value, datum, ArgWidth::k64};
}
ArgCondition c32(uint8_t index, CmpOp op, uint64_t value, uint64_t datum = 0) {
  return {index, op, value, datum, ArgWidth::k32};
}

constexpr size_t kBudget = 10'000;

TEST(MatchSameInputs, ARuleSplitByWordMatchesWhatItDid) {
  // a0 > 5 at 64 bits = high word > 0, or high word 0 and low word > 5.
  const std::vector<Rule> written = {rule({c64(0, CmpOp::kGt, 5)})};
  const std::vector<Rule> split = {rule({c64(0, CmpOp::kGt, 0xffffffff)}),
                                   rule({c64(0, CmpOp::kLe, 0xffffffff), c32(0, CmpOp::kGt, 5)})};
  EXPECT_EQ(match_same_inputs(written, split, kBudget), std::optional<bool>(true));
  EXPECT_EQ(match_same_inputs(split, written, kBudget), std::optional<bool>(true));
}

TEST(MatchSameInputs, OverlappingRulesAgainstTheirDisjointPieces) {
  const std::vector<Rule> written = {rule({c64(0, CmpOp::kLt, 10)}), rule({c64(0, CmpOp::kGe, 5), c64(1, CmpOp::kEq, 1)})};
  const std::vector<Rule> pieces = {rule({c64(0, CmpOp::kLt, 10)}),
                                    rule({c64(0, CmpOp::kGe, 10), c64(1, CmpOp::kEq, 1)})};
  EXPECT_EQ(match_same_inputs(written, pieces, kBudget), std::optional<bool>(true));
  // Without the second piece, a0 = 10 and a1 = 1 is matched by one side only.
  EXPECT_EQ(match_same_inputs(written, {pieces[0]}, kBudget), std::optional<bool>(false));
  EXPECT_EQ(match_same_inputs({pieces[0]}, written, kBudget), std::optional<bool>(false));
}

// The merge libseccomp 2.5.4 makes of a4 == 0 && a1 > 1 and a1 > 3 &&
// (a2 & 5) == 0: a1 > 1 && (a2 & 5) == 0 is matched too (a4 = 1, a1 = 2).
TEST(MatchSameInputs, AMergedConditionMatchesMore) {
  const std::vector<Rule> written = {rule({c64(4, CmpOp::kEq, 0), c64(1, CmpOp::kGt, 1)}),
                                     rule({c64(1, CmpOp::kGt, 3), c64(2, CmpOp::kMaskedEq, 5, 0)})};
  std::vector<Rule> merged = written;
  merged.push_back(rule({c64(1, CmpOp::kGt, 1), c64(2, CmpOp::kMaskedEq, 5, 0)}));
  EXPECT_EQ(match_same_inputs(written, merged, kBudget), std::optional<bool>(false));
  EXPECT_EQ(match_same_inputs(merged, merged, kBudget), std::optional<bool>(true));
}

TEST(MatchSameInputs, AMaskedTestIsSplitBitByBit) {
  // (a0 & 3) == 1 is a0 bit 0 set and bit 1 clear.
  const std::vector<Rule> masked = {rule({c64(0, CmpOp::kMaskedEq, 3, 1)})};
  const std::vector<Rule> bits = {rule({c64(0, CmpOp::kMaskedEq, 1, 1), c64(0, CmpOp::kMaskedEq, 2, 0)})};
  EXPECT_EQ(match_same_inputs(masked, bits, kBudget), std::optional<bool>(true));
  const std::vector<Rule> one_bit = {rule({c64(0, CmpOp::kMaskedEq, 1, 1)})};
  EXPECT_EQ(match_same_inputs(masked, one_bit, kBudget), std::optional<bool>(false));
}

TEST(MatchSameInputs, AnUnconditionalRuleMatchesEverything) {
  const std::vector<Rule> all = {rule({})};
  const std::vector<Rule> halves = {rule({c32(3, CmpOp::kLt, 7)}), rule({c32(3, CmpOp::kGe, 7)})};
  EXPECT_EQ(match_same_inputs(all, halves, kBudget), std::optional<bool>(true));
  EXPECT_EQ(match_same_inputs(all, {halves[0]}, kBudget), std::optional<bool>(false));
  // No rule matches nothing: an empty list equals one that matches no input.
  EXPECT_EQ(match_same_inputs({}, {rule({c64(0, CmpOp::kLt, 0)})}, kBudget), std::optional<bool>(true));
}

TEST(MatchSameInputs, PastTheBudgetItDoesNotSay) {
  const std::vector<Rule> a = {rule({c64(0, CmpOp::kGt, 5)})};
  EXPECT_EQ(match_same_inputs(a, a, 0), std::nullopt);
}

}  // namespace
}  // namespace sysfence::policy
