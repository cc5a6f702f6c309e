#include "compiler/rule_set.h"

#include <algorithm>
#include <cassert>
#include <optional>

#include "policy/operators.h"

namespace sysfence::compiler {

using policy::CmpOp;

namespace {

Truth truth(std::optional<bool> b) {
  if (!b) return Truth::kOpen;
  return *b ? Truth::kTrue : Truth::kFalse;
}

bool action_before(const Action& a, const Action& b) { return more_restrictive(a, b); }

bool rule_less(const OpenRule& a, const OpenRule& b) {
  if (a.action != b.action) return action_before(a.action, b.action);
  return a.conditions < b.conditions;
}

}  // namespace

Truth simplify(OpenCondition& c) {
  if (c.hi) {
    if (c.op == CmpOp::kMaskedEq) {
      if (hi32(c.value) == 0) {
        c.hi = false;
        return simplify(c);
      }
      return Truth::kOpen;
    }
    return truth(policy::constant_truth<uint64_t>(c.op, c.value));
  }
  c.value = lo32(c.value);
  c.datum = c.op == CmpOp::kMaskedEq ? lo32(c.datum) : 0;
  return truth(policy::constant_truth<uint32_t>(c.op, lo32(c.value)));
}

Truth resolve_hi(OpenCondition& c, uint32_t h) {
  assert(c.hi && c.op != CmpOp::kMaskedEq);
  const uint32_t vh = hi32(c.value);
  const policy::HighWordOutcome outcome = policy::high_word_outcome(c.op);
  if (h < vh) return outcome.when_below ? Truth::kTrue : Truth::kFalse;
  if (h > vh) return outcome.when_above ? Truth::kTrue : Truth::kFalse;
  c.hi = false;
  return simplify(c);
}

RuleSet normalize(std::vector<OpenRule> rules, Action fallback, NodeId tail) {
  // Mostly already in order: the rules of a state in order, a few
  // conditions decided.
  for (OpenRule& r : rules) {
    if (!std::is_sorted(r.conditions.begin(), r.conditions.end())) std::sort(r.conditions.begin(), r.conditions.end());
    const OpenCondition* unique_end = std::unique(r.conditions.begin(), r.conditions.end());
    if (unique_end != r.conditions.end()) r.conditions.erase(unique_end, r.conditions.end());
  }
  if (!std::is_sorted(rules.begin(), rules.end(), rule_less)) std::sort(rules.begin(), rules.end(), rule_less);
  rules.erase(std::unique(rules.begin(), rules.end()), rules.end());
  RuleSet s;
  s.otherwise = fallback;
  s.tail = tail;
  // The first rule that always matches decides everything less restrictive,
  // and the continuation is never reached.
  for (size_t i = 0; i < rules.size(); ++i) {
    if (rules[i].conditions.empty()) {
      s.otherwise = rules[i].action;
      s.tail = kNoTail;
      rules.resize(i);
      break;
    }
  }
  // Least restrictive rules with the outcome of "no match" change nothing
  // (unless "no match" goes on to the next segment).
  while (s.tail == kNoTail && !rules.empty() && rules.back().action == s.otherwise) rules.pop_back();
  s.rules = std::move(rules);
  return s;
}

size_t condition_count(const RuleSet& s) {
  size_t n = 0;
  for (const OpenRule& r : s.rules) n += r.conditions.size();
  return n;
}

int compare_action(const Action& a, const Action& b) {
  if (a.kind != b.kind) return a.kind < b.kind ? -1 : 1;
  if (a.data != b.data) return a.data < b.data ? -1 : 1;
  // Return values the kernel knows no action for stay apart (Action's
  // identity is the whole value); known ones all have 0 here.
  if (a.unknown_bits != b.unknown_bits) return a.unknown_bits < b.unknown_bits ? -1 : 1;
  return 0;
}

void Conditions::push_back_spilled(const OpenCondition& c) {
  if (size_ == kInline) spilled_.assign(inline_.begin(), inline_.end());
  spilled_.push_back(c);
  ++size_;
}

void Conditions::erase(const OpenCondition* first, const OpenCondition* last) {
  assert(last == end());
  (void)last;
  const auto keep = static_cast<uint32_t>(first - begin());
  if (size_ > kInline && keep <= kInline) std::copy(spilled_.begin(), spilled_.begin() + keep, inline_.begin());
  if (keep > kInline) spilled_.resize(keep);
  if (keep <= kInline) spilled_.clear();
  size_ = keep;
}

bool operator<(const RuleSet& a, const RuleSet& b) {
  if (int c = compare_action(a.otherwise, b.otherwise); c != 0) return c < 0;
  if (a.tail != b.tail) return a.tail < b.tail;
  if (a.rules.size() != b.rules.size()) return a.rules.size() < b.rules.size();
  for (size_t i = 0; i < a.rules.size(); ++i) {
    const OpenRule& x = a.rules[i];
    const OpenRule& y = b.rules[i];
    if (int c = compare_action(x.action, y.action); c != 0) return c < 0;
    if (x.conditions != y.conditions) return x.conditions < y.conditions;
  }
  return false;
}

RuleSet rule_set(std::span<const policy::Rule> rules, Action fallback) {
  if (const std::optional<Action> outcome = unconditional_outcome(rules, fallback)) return RuleSet{{}, *outcome};
  std::vector<OpenRule> open;
  open.reserve(rules.size());
  for (const policy::Rule& r : rules) {
    OpenRule o{r.action, {}};
    bool possible = true;
    for (const policy::ArgCondition& c : r.conditions) {
      // policy::evaluate: a condition on an index past args[5] never holds.
      if (c.index >= 6) {
        possible = false;
        break;
      }
      OpenCondition oc{c.index, c.width == policy::ArgWidth::k64, c.op, c.value,
                       c.op == CmpOp::kMaskedEq ? policy::masked_datum(c.value, c.value_two) : 0};
      const Truth t = simplify(oc);
      if (t == Truth::kFalse) {
        possible = false;
        break;
      }
      if (t == Truth::kOpen) o.conditions.push_back(oc);
    }
    if (possible) open.push_back(std::move(o));
  }
  return normalize(std::move(open), fallback, kNoTail);
}

Action decide(const RuleSet& s, const std::array<uint64_t, 6>& args) {
  for (const OpenRule& r : s.rules) {
    bool all = true;
    for (const OpenCondition& c : r.conditions) {
      const uint64_t a = args[c.arg];
      const bool holds = c.hi ? policy::holds<uint64_t>(c.op, a, c.value, c.datum)
                              : policy::holds<uint32_t>(c.op, lo32(a), lo32(c.value), lo32(c.datum));
      if (!holds) {
        all = false;
        break;
      }
    }
    if (all) return r.action;
  }
  return s.otherwise;
}

}  // namespace sysfence::compiler
