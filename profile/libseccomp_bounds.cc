// libseccomp's rule tree where every rule of a syscall is one > or >=
// comparison of one and the same argument (rule_database.h): modelled level
// by level, fall-throughs included, where the general tree model
// (libseccomp_tree.h) does not apply.
#include "profile/libseccomp_bounds.h"

#include <algorithm>
#include <functional>
#include <map>
#include <optional>

namespace sysfence::profile {

namespace {

bool is_lower_bound(policy::CmpOp op) { return op == policy::CmpOp::kGt || op == policy::CmpOp::kGe; }

// The least value a > or >= comparison accepts (it accepts every value from
// there to `max`); nullopt when it accepts none.
std::optional<uint64_t> least_accepted(const policy::ArgCondition& c, uint64_t max) {
  if (c.op == policy::CmpOp::kGe) return c.value;
  if (c.value == max) return std::nullopt;
  return c.value + 1;
}

// `r` limited to [lo, hi] (within what its own comparison accepts).
policy::Rule limited(policy::Rule r, uint64_t lo, uint64_t hi, uint64_t max) {
  const policy::ArgCondition c = r.conditions[0];
  if (lo > least_accepted(c, max).value_or(max)) r.conditions.push_back({c.index, policy::CmpOp::kGe, lo, 0, c.width});
  if (hi < max) r.conditions.push_back({c.index, policy::CmpOp::kLe, hi, 0, c.width});
  return r;
}

// One level of libseccomp's tree holding > and >= comparisons of one word:
// the larger operand first, equal operands in the order added, the first
// that holds decides and a failed one falls through to the next. As disjoint
// rules within [floor, ceiling]: each keeps what it accepts minus what the
// ones before it accept. Returns the least value any of them accepts.
std::optional<uint64_t> first_match_level(std::vector<policy::Rule> level, uint64_t floor, uint64_t ceiling,
                                          uint64_t max, std::vector<policy::Rule>& out) {
  std::stable_sort(level.begin(), level.end(), [](const policy::Rule& x, const policy::Rule& y) {
    return x.conditions[0].value > y.conditions[0].value;
  });
  std::optional<uint64_t> above;  // the ones before accept [*above, max]
  for (policy::Rule& r : level) {
    const auto least = least_accepted(r.conditions[0], max);
    if (!least) continue;
    const uint64_t lo = std::max(*least, floor);
    const uint64_t hi = above ? (*above == 0 ? 0 : std::min(ceiling, *above - 1)) : ceiling;
    const bool empty = (above && *above <= lo) || lo > hi;
    above = std::min(above.value_or(max), *least);
    if (!empty) out.push_back(limited(std::move(r), lo, hi, max));
  }
  return above;
}

}  // namespace

// Whether every rule is one > or >= comparison of one and the same argument,
// read with one width: the shape whose tree is modelled.
bool one_argument_lower_bounds(const std::vector<policy::Rule>& rules) {
  for (const policy::Rule& r : rules) {
    if (r.conditions.size() != 1 || !is_lower_bound(r.conditions[0].op)) return false;
    const policy::ArgCondition& first = rules[0].conditions[0];
    if (r.conditions[0].index != first.index || r.conditions[0].width != first.width) return false;
  }
  return true;
}

// libseccomp's tree for > and >= comparisons of one 64-bit argument (in the
// order added). Each comparison is a high-word test "hi > H" (true: the
// action), then "hi == H" and the low-word comparison. Comparisons with one
// high word H share those nodes: the low-word comparisons form one level
// (first_match_level), and the shared "hi > H" node keeps the first rule's
// action unless a later rule's whole 64-bit operand is larger than that first
// rule's, then it takes the later rule's action (the operand it compares to
// stays the first rule's). The "hi > H" nodes form a level too, the larger H
// first; an input whose high word is H and which no low-word comparison of H
// accepts falls through to the next, smaller H, whose "hi > H" test holds.
std::vector<policy::Rule> tree_as_disjoint_rules(const std::vector<policy::Rule>& kept) {
  std::vector<policy::Rule> out;
  if (kept[0].conditions[0].width == policy::ArgWidth::k32) {
    std::vector<policy::Rule> level = kept;
    for (auto& r : level) r.conditions[0].value &= 0xffffffffU;
    first_match_level(std::move(level), 0, 0xffffffffU, 0xffffffffU, out);
    return out;
  }
  constexpr uint64_t kMax = ~uint64_t{0};
  std::map<uint64_t, std::vector<policy::Rule>, std::greater<>> by_high;
  for (const policy::Rule& r : kept) by_high[r.conditions[0].value >> 32].push_back(r);
  std::optional<uint64_t> fall_through_below;  // the larger H's level accepts from here on
  for (auto& [high, level] : by_high) {
    size_t node_rule = 0;
    for (size_t i = 1; i < level.size(); ++i)
      if (level[i].conditions[0].value > level[0].conditions[0].value) node_rule = i;
    // "hi > H" decides from (H + 1) << 32 up to where the previous level
    // begins to accept (or its high word ends).
    const uint64_t ceiling = fall_through_below ? *fall_through_below - 1 : kMax;
    if (high < 0xffffffffU && ceiling >= (high + 1) << 32)
      out.push_back(limited(level[node_rule], (high + 1) << 32, ceiling, kMax));
    const uint64_t floor = high << 32;
    const uint64_t top = floor | 0xffffffffU;
    const auto least = first_match_level(std::move(level), floor, top, kMax, out);
    // Every operand of this level is at most `top`, so `least` <= top + 1.
    fall_through_below = least ? least : (top == kMax ? std::nullopt : std::optional<uint64_t>(top + 1));
  }
  return out;
}

}  // namespace sysfence::profile
