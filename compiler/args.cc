#include "compiler/args.h"

#include <algorithm>
#include <bit>
#include <cassert>

#include "policy/operators.h"

namespace sysfence::compiler {

using policy::CmpOp;

namespace {

constexpr uint32_t kMax32 = 0xffffffffU;

uint32_t hi32(uint64_t v) { return static_cast<uint32_t>(v >> 32); }
uint32_t lo32(uint64_t v) { return static_cast<uint32_t>(v); }

enum class Truth : uint8_t { kTrue, kFalse, kOpen };

Truth truth(std::optional<bool> b) {
  if (!b) return Truth::kOpen;
  return *b ? Truth::kTrue : Truth::kFalse;
}

// Decides what can be decided without reading anything; may turn a high-word
// condition into its low-word remainder (MASKED_EQ with a zero high mask).
// The datum of a MASKED_EQ condition is already masked (rule_set).
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

// The high word of the argument is `h`: what is left of an (interval-type)
// high-word condition.
Truth resolve_hi(OpenCondition& c, uint32_t h) {
  assert(c.hi && c.op != CmpOp::kMaskedEq);
  const uint32_t vh = hi32(c.value);
  const policy::HighWordOutcome outcome = policy::high_word_outcome(c.op);
  if (h < vh) return outcome.when_below ? Truth::kTrue : Truth::kFalse;
  if (h > vh) return outcome.when_above ? Truth::kTrue : Truth::kFalse;
  c.hi = false;
  return simplify(c);
}

bool action_before(const Action& a, const Action& b) { return more_restrictive(a, b); }

bool rule_less(const OpenRule& a, const OpenRule& b) {
  if (a.action != b.action) return action_before(a.action, b.action);
  return a.conditions < b.conditions;
}

// Rules whose conditions have been simplified (kTrue ones removed, rules with
// a kFalse one dropped) -> canonical RuleSet.
RuleSet normalize(std::vector<OpenRule> rules, Action fallback) {
  for (OpenRule& r : rules) {
    std::sort(r.conditions.begin(), r.conditions.end());
    r.conditions.erase(std::unique(r.conditions.begin(), r.conditions.end()), r.conditions.end());
  }
  std::sort(rules.begin(), rules.end(), rule_less);
  rules.erase(std::unique(rules.begin(), rules.end()), rules.end());
  RuleSet s;
  s.otherwise = fallback;
  // The first rule that always matches decides everything less restrictive.
  for (size_t i = 0; i < rules.size(); ++i) {
    if (rules[i].conditions.empty()) {
      s.otherwise = rules[i].action;
      rules.resize(i);
      break;
    }
  }
  // Least restrictive rules with the outcome of "no match" change nothing.
  while (!rules.empty() && rules.back().action == s.otherwise) rules.pop_back();
  s.rules = std::move(rules);
  return s;
}

int compare_action(const Action& a, const Action& b) {
  if (a.kind != b.kind) return a.kind < b.kind ? -1 : 1;
  if (a.data != b.data) return a.data < b.data ? -1 : 1;
  return 0;
}

}  // namespace

bool operator<(const RuleSet& a, const RuleSet& b) {
  if (int c = compare_action(a.otherwise, b.otherwise); c != 0) return c < 0;
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
  // Fast path, most syscalls of a profile: rules without conditions. The
  // most restrictive of them decides.
  if (std::all_of(rules.begin(), rules.end(), [](const policy::Rule& r) { return r.conditions.empty(); })) {
    if (rules.empty()) return RuleSet{{}, fallback};
    Action a = rules.front().action;
    for (const policy::Rule& r : rules) {
      if (more_restrictive(r.action, a)) a = r.action;
    }
    return RuleSet{{}, a};
  }
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
  return normalize(std::move(open), fallback);
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

namespace {

// A RuleSet's rules and conditions: what deciding one word visits, and what
// holding it costs.
size_t set_size(const RuleSet& s) {
  size_t n = s.rules.size();
  for (const OpenRule& r : s.rules) n += r.conditions.size();
  return n;
}

// Pieces of a split count as held while they exist: the count is the memory
// in use, memoized states plus the pieces on the current path.
class HeldWhileAlive {
 public:
  explicit HeldWhileAlive(size_t& held) : held_(held) {}
  HeldWhileAlive(const HeldWhileAlive&) = delete;
  HeldWhileAlive& operator=(const HeldWhileAlive&) = delete;
  ~HeldWhileAlive() { held_ -= n_; }
  size_t add(size_t n) {
    n_ += n;
    return n;
  }

 private:
  size_t& held_;
  size_t n_ = 0;
};

}  // namespace

bool ArgCompiler::charge_steps(size_t n) {
  if (overflowed_ == Limit::kNone && n > max_steps_ - std::min(steps_, max_steps_)) overflowed_ = Limit::kSteps;
  steps_ += n;
  return overflowed_ == Limit::kNone;
}

bool ArgCompiler::charge_held(size_t n) {
  if (overflowed_ == Limit::kNone && n > max_held_ - std::min(held_, max_held_)) overflowed_ = Limit::kHeld;
  held_ += n;
  return overflowed_ == Limit::kNone;
}

uint32_t ArgCompiler::word(uint8_t arg, bool hi) const {
  return hi ? arg_hi_offset(arg, endian_) : arg_lo_offset(arg, endian_);
}

Edge ArgCompiler::compile(const RuleSet& s, std::optional<uint32_t> a_holds) {
  if (s.constant()) return g_.ret(encode(s.otherwise));
  auto key = std::make_pair(s, std::optional<uint32_t>());
  auto it = memo_.find(key);
  Edge e;
  if (it != memo_.end()) {
    e = it->second;
  } else {
    if (overflowed_ == Limit::kNone && memo_.size() >= max_states_) overflowed_ = Limit::kStates;
    if (overflowed_ != Limit::kNone || !charge_held(set_size(s))) return g_.ret(encode(s.otherwise));
    e = build(s, std::nullopt);
    memo_.emplace(std::move(key), e);
  }
  return g_.enter(e.node, a_holds);
}

Edge ArgCompiler::build(const RuleSet& s, std::optional<uint32_t> a_holds) {
  const OpenCondition& c = s.rules.front().conditions.front();
  if (c.op == CmpOp::kMaskedEq) return masked_test(s, c, a_holds);
  return interval_split(s, c.arg, c.hi, a_holds);
}

Edge ArgCompiler::interval_split(const RuleSet& s, uint8_t arg, bool hi, std::optional<uint32_t> a_holds) {
  const uint32_t w = word(arg, hi);
  auto on_word = [&](const OpenCondition& c) { return c.arg == arg && c.hi == hi && c.op != CmpOp::kMaskedEq; };
  // Cut the word's domain at every constant compared against it.
  std::vector<uint32_t> starts{0};
  for (const OpenRule& r : s.rules) {
    for (const OpenCondition& c : r.conditions) {
      if (!on_word(c)) continue;
      const uint32_t k = hi ? hi32(c.value) : lo32(c.value);
      starts.push_back(k);
      if (k != kMax32) starts.push_back(k + 1);
    }
  }
  std::sort(starts.begin(), starts.end());
  starts.erase(std::unique(starts.begin(), starts.end()), starts.end());
  // Every piece visits every rule: charged before any piece is made.
  if (!charge_steps(starts.size() * set_size(s))) return g_.ret(encode(s.otherwise));

  std::vector<RuleSet> children;
  HeldWhileAlive held_children(held_);
  std::vector<Interval> intervals;
  for (size_t i = 0; i < starts.size(); ++i) {
    const uint32_t v = starts[i];
    std::vector<OpenRule> rules;
    for (const OpenRule& r : s.rules) {
      OpenRule nr{r.action, {}};
      bool possible = true;
      for (OpenCondition c : r.conditions) {
        if (!on_word(c)) {
          nr.conditions.push_back(c);
          continue;
        }
        const Truth t =
            hi ? resolve_hi(c, v) : (policy::holds<uint32_t>(c.op, v, lo32(c.value), 0) ? Truth::kTrue : Truth::kFalse);
        if (t == Truth::kFalse) {
          possible = false;
          break;
        }
        if (t == Truth::kOpen) nr.conditions.push_back(c);
      }
      if (possible) rules.push_back(std::move(nr));
    }
    RuleSet child = normalize(std::move(rules), s.otherwise);
    // The search among the pieces, and the new ones held until compiled.
    if (!charge_steps(children.size())) return g_.ret(encode(s.otherwise));
    uint32_t leaf = 0;
    while (leaf < children.size() && !(children[leaf] == child)) ++leaf;
    if (leaf == children.size()) {
      if (!charge_held(held_children.add(set_size(child)))) return g_.ret(encode(s.otherwise));
      children.push_back(std::move(child));
    }
    const uint32_t end = i + 1 < starts.size() ? starts[i + 1] - 1 : kMax32;
    if (!intervals.empty() && intervals.back().leaf == leaf) {
      intervals.back().hi = end;
    } else {
      intervals.push_back(Interval{v, end, leaf});
    }
  }
  std::vector<Edge> leaf_edge;
  leaf_edge.reserve(children.size());
  for (const RuleSet& child : children) leaf_edge.push_back(compile(child, w));
  if (intervals.size() == 1) return compile(children.front(), a_holds);

  // Classes weigh the same, except the one holding 0: zero is by far the most
  // common argument value (flags, the first enum entry, NULL), so it gets as
  // much weight as all other classes together.
  std::vector<double> weights(intervals.size(), 1.0);
  weights.front() = std::max<double>(1.0, static_cast<double>(intervals.size() - 1));
  TreeOptions opts = tree_;
  opts.strategy = Strategy::kOptimal;
  const DecisionTree t = build_tree(intervals, weights, opts);
  const Edge root = lower_tree(g_, t, w, leaf_edge);
  return g_.enter(root.node, a_holds);
}

Edge ArgCompiler::masked_test(const RuleSet& s, const OpenCondition& test, std::optional<uint32_t> a_holds) {
  const OpenCondition c = test;  // `test` lives in `s`, which we copy below
  const uint32_t w = word(c.arg, c.hi);
  const uint32_t m = c.hi ? hi32(c.value) : lo32(c.value);
  const uint32_t d = c.hi ? hi32(c.datum) : lo32(c.datum);
  auto branch = [&](bool match) {
    std::vector<OpenRule> rules;
    for (const OpenRule& r : s.rules) {
      OpenRule nr{r.action, {}};
      bool possible = true;
      for (OpenCondition x : r.conditions) {
        if (!(x == c)) {
          nr.conditions.push_back(x);
          continue;
        }
        if (!match) {
          possible = false;
          break;
        }
        if (x.hi) {
          x.hi = false;
          x.value = lo32(x.value);
          x.datum = lo32(x.datum);
          if (simplify(x) == Truth::kOpen) nr.conditions.push_back(x);
          // kFalse cannot happen: MASKED_EQ is never constantly false.
        }
      }
      if (possible) rules.push_back(std::move(nr));
    }
    return normalize(std::move(rules), s.otherwise);
  };
  if (!charge_steps(2 * set_size(s))) return g_.ret(encode(s.otherwise));
  const RuleSet yes = branch(true);
  const RuleSet no = branch(false);
  HeldWhileAlive held_branches(held_);
  if (!charge_held(held_branches.add(set_size(yes) + set_size(no)))) return g_.ret(encode(s.otherwise));
  if (d == 0) {
    // (A & m) == 0  <=>  !(A & m)
    return g_.test(w, bpf::kJset, m, compile(no, w), compile(yes, w), a_holds);
  }
  if (std::popcount(m) == 1) return g_.test(w, bpf::kJset, m, compile(yes, w), compile(no, w), a_holds);
  if (m == kMax32) return g_.test(w, bpf::kJeq, d, compile(yes, w), compile(no, w), a_holds);
  // `and` leaves A = word & m: the children reload what they read.
  return g_.masked_test(w, m, bpf::kJeq, d, compile(yes, std::nullopt), compile(no, std::nullopt), a_holds);
}

}  // namespace sysfence::compiler
