#include "policy/cover.h"

#include "policy/overlap.h"

namespace sysfence::policy {

namespace {

// The negation of `c` as alternatives, each one condition of c's width:
// the ordered operators and ==/!= negate into one; MASKED_EQ into one
// single-bit test per bit of its mask (in c's width), the bit differing
// from the datum's.
std::vector<ArgCondition> negations(const ArgCondition& c) {
  const auto with = [&](CmpOp op) { return std::vector<ArgCondition>{{c.index, op, c.value, 0, c.width}}; };
  switch (c.op) {
    case CmpOp::kEq: return with(CmpOp::kNe);
    case CmpOp::kNe: return with(CmpOp::kEq);
    case CmpOp::kLt: return with(CmpOp::kGe);
    case CmpOp::kLe: return with(CmpOp::kGt);
    case CmpOp::kGe: return with(CmpOp::kLt);
    case CmpOp::kGt: return with(CmpOp::kLe);
    case CmpOp::kMaskedEq: break;
  }
  const uint64_t width_mask = c.width == ArgWidth::k32 ? 0xffffffffULL : ~uint64_t{0};
  const uint64_t mask = c.value & width_mask;
  std::vector<ArgCondition> out;
  for (unsigned b = 0; b < 64; ++b) {
    const uint64_t bit = uint64_t{1} << b;
    if ((mask & bit) != 0) out.push_back({c.index, CmpOp::kMaskedEq, bit, ~c.value_two & bit, c.width});
  }
  return out;
}

// The arguments `conditions` name, as Conjunction::satisfiable takes them:
// adding conditions to a satisfiable conjunction can only empty those.
unsigned arguments(const std::vector<ArgCondition>& conditions) {
  unsigned out = 0;
  for (const ArgCondition& c : conditions) out |= c.index < 6 ? 1u << c.index : 0x3fu;
  return out;
}
unsigned argument(const ArgCondition& c) { return c.index < 6 ? 1u << c.index : 0x3fu; }

// Whether rule `r` matches every input of `inputs` (satisfiable): no
// negation of one of its conditions leaves an input.
bool contains(const Rule& r, const Conjunction& inputs) {
  for (const ArgCondition& c : r.conditions) {
    for (const ArgCondition& n : negations(c)) {
      Conjunction rest = inputs;
      rest.add(n);
      if (rest.satisfiable(argument(n))) return false;
    }
  }
  return true;
}

// Whether every input of `inputs` (satisfiable) is matched by some rule of
// `rules` from `k` on: the inputs no rule before k matches are split by the
// negation of rule k's conditions, where rule k meets them, and each piece
// must be matched by a later rule. `steps` counts down; nullopt when it runs out.
std::optional<bool> covered(const Conjunction& inputs, const std::vector<Rule>& rules, size_t k, size_t& steps) {
  for (; k < rules.size(); ++k) {
    if (steps == 0) return std::nullopt;
    --steps;
    Conjunction meet = inputs;
    for (const ArgCondition& c : rules[k].conditions) meet.add(c);
    if (!meet.satisfiable(arguments(rules[k].conditions))) continue;  // rule k matches none of them
    for (const ArgCondition& c : rules[k].conditions) {
      for (const ArgCondition& n : negations(c)) {
        Conjunction rest = inputs;
        rest.add(n);
        if (!rest.satisfiable(argument(n))) continue;
        const auto piece = covered(rest, rules, k + 1, steps);
        if (!piece || !*piece) return piece;
      }
    }
    return true;  // what rule k leaves is matched later
  }
  return false;  // a satisfiable set of inputs no rule matches
}

// Whether every rule of `a` matches only inputs some rule of `b` matches.
// libseccomp's paths mostly lie within the rule they take their action (and
// source) from, and a rule within one of its paths: a rule of `b` from the
// same profile entry is tried on its own first, a few tests per condition
// where the split over all of `b` makes one per rule and piece.
std::optional<bool> within(const std::vector<Rule>& a, const std::vector<Rule>& b, size_t& steps) {
  for (const Rule& r : a) {
    Conjunction inputs;
    for (const ArgCondition& c : r.conditions) inputs.add(c);
    if (!inputs.satisfiable()) continue;
    bool one = false;
    for (size_t k = 0; k < b.size() && !one; ++k) {
      if (b[k].source != r.source) continue;
      if (steps == 0) return std::nullopt;
      --steps;
      one = contains(b[k], inputs);
    }
    if (one) continue;
    const auto all = covered(inputs, b, 0, steps);
    if (!all || !*all) return all;
  }
  return true;
}

}  // namespace

std::optional<bool> match_same_inputs_charged(const std::vector<Rule>& a, const std::vector<Rule>& b, size_t& steps) {
  const auto forward = within(a, b, steps);
  if (!forward || !*forward) return forward;
  return within(b, a, steps);
}

std::optional<bool> match_same_inputs(const std::vector<Rule>& a, const std::vector<Rule>& b, size_t budget) {
  return match_same_inputs_charged(a, b, budget);
}

}  // namespace sysfence::policy
