// policy::RuleMap against std::map, the container whose interface it keeps:
// the same operations in the same order leave the same numbers, rules and
// iteration order, and lookups answer alike.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <stdexcept>
#include <thread>
#include <vector>

#include "policy/policy.h"

namespace sysfence::policy {
namespace {

Rule rule_with_errno(uint16_t e) { return Rule{Action::Errno(e), {}, {}}; }

void expect_same(const RuleMap& got, const std::map<uint32_t, std::vector<Rule>>& want) {
  ASSERT_EQ(got.size(), want.size());
  auto w = want.begin();
  for (const auto& [nr, rules] : got) {
    EXPECT_EQ(nr, w->first);
    EXPECT_EQ(rules, w->second) << "nr " << nr;
    ++w;
  }
}

TEST(RuleMap, RandomOperationsMatchStdMap) {
  std::mt19937 rng(20261202);
  RuleMap got;
  std::map<uint32_t, std::vector<Rule>> want;
  for (int step = 0; step < 20000; ++step) {
    const uint32_t nr = rng() % 64;
    const auto e = static_cast<uint16_t>(rng() % 100);
    switch (rng() % 6) {
      case 0:
        got[nr].push_back(rule_with_errno(e));
        want[nr].push_back(rule_with_errno(e));
        break;
      case 1: {
        const auto g = got.emplace(nr, std::vector<Rule>{rule_with_errno(e)});
        const auto m = want.emplace(nr, std::vector<Rule>{rule_with_errno(e)});
        EXPECT_EQ(g.second, m.second);
        EXPECT_EQ(g.first->first, m.first->first);
        break;
      }
      case 2: EXPECT_EQ(got.erase(nr), want.erase(nr)); break;
      case 3: {
        const auto g = got.emplace_hint(got.end(), nr, std::vector<Rule>{rule_with_errno(e)});
        const auto m = want.emplace_hint(want.end(), nr, std::vector<Rule>{rule_with_errno(e)});
        EXPECT_EQ(g->first, m->first);
        EXPECT_EQ(g->second, m->second);
        break;
      }
      case 4: {
        const auto g = got.lower_bound(nr);
        const auto m = want.lower_bound(nr);
        ASSERT_EQ(g == got.end(), m == want.end());
        if (m != want.end()) {
          EXPECT_EQ(g->first, m->first);
        }
        const auto gu = got.upper_bound(nr);
        const auto mu = want.upper_bound(nr);
        ASSERT_EQ(gu == got.end(), mu == want.end());
        if (mu != want.end()) {
          EXPECT_EQ(gu->first, mu->first);
        }
        break;
      }
      default:
        EXPECT_EQ(got.contains(nr), want.contains(nr));
        EXPECT_EQ(got.count(nr), want.count(nr));
        EXPECT_EQ(got.find(nr) == got.end(), want.find(nr) == want.end());
        break;
    }
  }
  expect_same(got, want);
}

TEST(RuleMap, AppendingInOrderAndOutOfOrderKeepsNumberOrder) {
  RuleMap m;
  for (uint32_t nr : {5u, 9u, 12u}) m.emplace_hint(m.end(), nr, std::vector<Rule>{rule_with_errno(1)});
  m.emplace_hint(m.end(), 7, std::vector<Rule>{rule_with_errno(2)});  // a hint that does not fit
  m.emplace_hint(m.end(), 9, std::vector<Rule>{rule_with_errno(3)});  // already there: kept as is
  std::vector<uint32_t> order;
  for (const auto& [nr, rules] : m) order.push_back(nr);
  EXPECT_EQ(order, (std::vector<uint32_t>{5, 7, 9, 12}));
  EXPECT_EQ(m.at(9), std::vector<Rule>{rule_with_errno(1)});
  EXPECT_THROW((void)m.at(8), std::out_of_range);
  const RuleMap copy{
      {12, {rule_with_errno(1)}}, {5, {rule_with_errno(1)}}, {9, {rule_with_errno(1)}}, {7, {rule_with_errno(2)}}};
  EXPECT_EQ(copy, m);
}

// RuleList against std::vector: one rule in place, more on the heap, the
// same rules in the same order either way.
TEST(RuleList, PushEraseAndClearMatchStdVector) {
  std::mt19937 rng(20261203);
  for (int round = 0; round < 200; ++round) {
    RuleList got;
    std::vector<Rule> want;
    for (int step = 0; step < 12; ++step) {
      const auto e = static_cast<uint16_t>(rng() % 50);
      switch (rng() % 6) {
        case 0:
        case 1:
          got.push_back(rule_with_errno(e));
          want.push_back(rule_with_errno(e));
          break;
        case 2:
          got.emplace_back().action = Action::Errno(e);
          want.emplace_back().action = Action::Errno(e);
          break;
        case 3:
          if (!want.empty()) {  // a rule of the list itself, copied in
            got.push_back(got.front());
            want.push_back(want.front());
          }
          break;
        case 4:
          if (!want.empty()) {
            const size_t at = rng() % want.size();
            got.erase(got.begin() + at);
            want.erase(want.begin() + static_cast<std::ptrdiff_t>(at));
          }
          break;
        default:
          if (rng() % 4 == 0) {
            got.clear();
            want.clear();
          }
      }
      ASSERT_EQ(got.size(), want.size());
      EXPECT_EQ(got, want);
      EXPECT_EQ(std::vector<Rule>(got), want);
      const RuleList copy = got;
      EXPECT_EQ(copy, got);
    }
  }
}

TEST(RuleList, TakesAVectorsRules) {
  const std::vector<Rule> three{rule_with_errno(1), rule_with_errno(2), rule_with_errno(3)};
  const RuleList many = three;
  EXPECT_EQ(many, three);
  const RuleList one = std::vector<Rule>{rule_with_errno(4)};
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one.front(), rule_with_errno(4));
  EXPECT_TRUE(RuleList(std::vector<Rule>{}).empty());
  EXPECT_NE(one, many);
}

// A list that outlives its thread's recycled blocks (a thread_local made
// before them, so destroyed after them) hands its rule back to the heap.
TEST(RuleList, OutlivesTheThreadsBlocks) {
  bool held_one = false;
  std::thread t([&] {
    thread_local RuleList held;  // constructed before the thread's RuleBlocks
    held.push_back(rule_with_errno(7));
    held_one = held.size() == 1;
  });
  t.join();
  EXPECT_TRUE(held_one);
}

}  // namespace
}  // namespace sysfence::policy
