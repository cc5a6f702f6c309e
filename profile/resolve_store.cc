// How the rules each syscalls[] entry made (resolve_rules.cc) become the
// policy's rules per syscall number: filled, deduplicated and combined,
// number by number in order.
#include <algorithm>
#include <map>
#include <optional>
#include <span>
#include <vector>

#include "profile/resolver.h"

namespace sysfence::profile {

namespace {

// --arg-width abi's decided conditions (narrow_reading), as they stand until
// a number's rules are combined: forms every reader of the policy already
// takes as never / always holding (a 32-bit word > 0xffffffff, <= 0xffffffff),
// so the conflict warnings read the rules as the filter will; drop_decided
// then takes them out.
constexpr uint64_t kDecidedOperand = ~uint64_t{0};

bool never_holds(const policy::ArgCondition& c) {
  return c.width == policy::ArgWidth::k32 && c.op == policy::CmpOp::kGt && c.value == kDecidedOperand;
}
bool always_holds(const policy::ArgCondition& c) {
  return c.width == policy::ArgWidth::k32 && c.op == policy::CmpOp::kLe && c.value == kDecidedOperand;
}

NarrowReading reading_of(const policy::ArgCondition& c) {
  return c.width == policy::ArgWidth::k32 ? narrow_reading(c.op, c.value, c.value_two) : NarrowReading::kLowWord;
}

bool has_decided(const policy::Rule& r) {
  return std::any_of(r.conditions.begin(), r.conditions.end(),
                     [](const policy::ArgCondition& c) { return reading_of(c) != NarrowReading::kLowWord; });
}

// Rewrites the decided conditions of `r` (ArgWidth::k32 under --arg-width
// abi) into their never / always forms.
void read_as_kernel(policy::Rule& r) {
  for (policy::ArgCondition& c : r.conditions) {
    const NarrowReading reading = reading_of(c);
    if (reading == NarrowReading::kLowWord) continue;
    const policy::CmpOp op = reading == NarrowReading::kNever ? policy::CmpOp::kGt : policy::CmpOp::kLe;
    c = policy::ArgCondition{c.index, op, kDecidedOperand, 0, policy::ArgWidth::k32};
  }
}

// A rule with a condition that never holds matches nothing: it goes; a
// condition that always holds says nothing: the rule stays without it.
// One pass each (a profile may have 100,000 such rules for one syscall:
// erasing them one by one was quadratic).
template <typename Rules>
void drop_decided(Rules& rules) {
  const auto kept = std::remove_if(rules.begin(), rules.end(), [](const policy::Rule& r) {
    return std::any_of(r.conditions.begin(), r.conditions.end(), never_holds);
  });
  rules.erase(kept, rules.end());
  for (policy::Rule& r : rules) std::erase_if(r.conditions, always_holds);
}

}  // namespace

// condition_width in the resolution's mode, remembered for the last (ABI,
// number) asked: fill_rule fills a number's rules one after another, and
// the twins of a multiplexer (every socket call's rule on socketcall) ask
// for the same widths.
policy::ArgWidth Resolver::width_of(ArchId abi, uint32_t nr, unsigned index) const {
  WidthMemo& memo = width_memo_;
  if (index >= memo.widths.size()) return condition_width(o_.arg_width, abi, nr, index);
  if (!memo.valid || memo.abi != abi || memo.nr != nr) {
    memo = WidthMemo{abi, nr, true, {}};
  }
  std::optional<policy::ArgWidth>& w = memo.widths[index];
  if (!w) w = condition_width(o_.arg_width, abi, nr, index);
  return *w;
}

// The parts of a rule every rule of its entry shares: fill_rule's for a
// rule without conditions that is no twin, which is most rules (Docker's
// default: 1,000 of 1,026 per resolution). Inline: store_rules fills those
// in its loop, without a call per rule. Used in this file only.
[[gnu::always_inline]] inline void Resolver::fill_unconditional(const MadeRule& m, policy::Rule& r) const {
  const EntryRuleParts& parts = entry_parts_[m.entry];
  r.action = parts.action;
  policy::SourceRef& src = r.source;
  src.file = source_;
  src.line = parts.line;
  src.entry = m.entry;
  if (parts.comment != nullptr) [[unlikely]]
    src.comment = *parts.comment;  // `r` is new: its comment is empty
  src.split_repeated_index = parts.split_repeated_index;
  src.col = parts.col;
}

// Fills `r` (a new, empty rule) with the policy rule `m` stands for on
// `abi`: its entry's conditions (or the one condition of its set, where runc
// split the entry), each of the width compared there, rewritten for the
// multiplexer where `m` is a twin. Filled in place, not moved in: a rule
// holds three strings. The conditions are filled out of line, which keeps
// their lambda's registers and setup off the common path (~83 -> ~67
// instructions per rule).
void Resolver::fill_rule(const MadeRule& m, ArchId abi, policy::Rule& r) const {
  if (!entry_parts_[m.entry].unconditional || m.via != nullptr) fill_conditions(m, abi, r.conditions);
  fill_unconditional(m, r);
  if (m.via != nullptr) [[unlikely]]
    r.source.multiplexed_for = m.via->name;
}

void Resolver::fill_conditions(const MadeRule& m, ArchId abi, std::vector<policy::ArgCondition>& conds) const {
  const ProfileSyscall& e = p_.syscalls[m.entry];
  auto add_condition = [&](const ProfileArg& pa) {
    conds.push_back(policy::ArgCondition{static_cast<uint8_t>(pa.index), pa.op, pa.value, pa.value_two,
                                         width_of(abi, m.nr, pa.index)});
  };
  // A twin's conditions are rewritten in place: the call test first, so
  // one more slot than the entry's own.
  if (out_.entries[m.entry].split_repeated_index) {
    conds.reserve(m.via != nullptr ? 2 : 1);
    add_condition(e.args[m.set]);
  } else {
    conds.reserve(e.args.size() + (m.via != nullptr ? 1 : 0));
    for (const ProfileArg& pa : e.args) add_condition(pa);
  }
  if (m.via != nullptr) to_multiplexer_conditions(o_.multiplex, *m.via, conds, width_of(abi, m.nr, 0));
}

// The MadeRules that make the rules of one syscall number (`made`: its
// MadeRules, in the order made), appended to `kept`. Two names of one entry can be one syscall (an alias such as
// arm's sync_file_range2 = arm_sync_file_range, or a name listed twice): one
// rule is enough, so a rule equal to an earlier one of the same entry and
// number is dropped. A number's rules from one entry are adjacent (they
// are made entry by entry), and their conditions differ only where runc split
// the entry, by the one condition each carries: the check is a set lookup,
// not a scan of the number's rules (linear in the (name, rule) pairs, not
// quadratic).
void Resolver::distinct_rules(std::span<const MadeRule> made, std::vector<const MadeRule*>& kept) {
  uint32_t run_entry = 0;
  bool run_started = false;
  for (const MadeRule& m : made) {
    const ProfileSyscall& e = p_.syscalls[m.entry];
    const EntryOutcome& outcome = out_.entries[m.entry];
    if (!run_started || m.entry != run_entry) {
      run_entry = m.entry;
      run_started = true;
      run_seen_few_.clear();
      run_seen_.clear();
      run_vias_.clear();
    }
    const ProfileArg* split = outcome.split_repeated_index ? &e.args[m.set] : nullptr;
    bool fresh = false;
    if (split != nullptr) {
      fresh = first_in_run(SeenCondition{m.via, split->index, split->op, split->value, split->value_two});
    } else {
      fresh = std::find(run_vias_.begin(), run_vias_.end(), m.via) == run_vias_.end();
      if (fresh) {
        if (run_vias_.capacity() == 0) run_vias_.reserve(16);
        run_vias_.push_back(m.via);
      }
    }
    if (fresh) kept.push_back(&m);
  }
}

// Whether `c` is new in the current run (and now seen): a scan of the
// run's first conditions, then the tree for a long run.
bool Resolver::first_in_run(const SeenCondition& c) {
  if (!run_seen_.empty()) return run_seen_.insert(c).second;
  if (std::find(run_seen_few_.begin(), run_seen_few_.end(), c) != run_seen_few_.end()) return false;
  if (run_seen_few_.size() < kMaxScannedConditions) {
    if (run_seen_few_.capacity() == 0) run_seen_few_.reserve(kMaxScannedConditions);
    run_seen_few_.push_back(c);
    return true;
  }
  run_seen_.insert(run_seen_few_.begin(), run_seen_few_.end());
  run_seen_few_.clear();
  return run_seen_.insert(c).second;
}

// The rules per syscall number, in the order apply_entry made them:
// appending each number's list at the end of the (still empty) map is
// linear, where one map lookup per rule walks the tree every time. The
// numbers come in order from their slots (and the tree of the others).
Expected<void> Resolver::store_rules() {
  std::vector<const MadeRule*> kept;  // one number's, reused
  kept.reserve(16);
  const bool in_number_order = libseccomp_filter_semantics();  // filter_rules and number_loaded read them so
  for (size_t a = 0; a < arches_.size(); ++a) {
    const MadeRule* const made = made_[a].data();
    // Locals, not members: storing a rule could alias them.
    const uint32_t* const heads = number_heads_[a].data();
    const std::map<uint32_t, OtherNumber>& others = other_numbers_[a];
    auto other = others.begin();
    const uint32_t first_nr = first_numbers_[a];
    auto& rules = out_.policy.arches[a].rules;
    rules.reserve(numbers_made_[a] + 1);  // and add_enosys_stub's rule on 0
    if (in_number_order) {
      in_number_order_.clear();
      in_number_order_.reserve(made_[a].size());
    }
    const uint32_t* const heads_end = heads + number_heads_[a].size();
    for (const uint32_t* head = heads;; ++head) {
      // The next number with rules (a third of the slots are empty).
      while (head != heads_end && *head == 0) ++head;
      if (head == heads_end) break;
      const uint32_t nr = first_nr + static_cast<uint32_t>(head - heads);
      for (; other != others.end() && other->first < nr; ++other)
        if (other->second.head != 0)
          if (auto r = store_number(a, other->first, other->second.head, kept); !r) return r;
      // Most numbers: one rule of an entry without conditions, which
      // combines with nothing (combine would return it as is) and has no
      // condition to decide. It is filled in its place in the map.
      const MadeRule& m = made[*head - 1];
      if (m.previous == 0 && m.via == nullptr && entry_parts_[m.entry].unconditional) {
        fill_unconditional(m, rules.emplace_hint(rules.end(), nr)->second.emplace_back());
        if (in_number_order) in_number_order_.push_back(m);
        continue;
      }
      if (auto r = store_number(a, nr, *head, kept); !r) return r;
    }
    for (; other != others.end(); ++other)
      if (other->second.head != 0)
        if (auto r = store_number(a, other->first, other->second.head, kept); !r) return r;
    if (in_number_order) made_[a].swap(in_number_order_);
  }
  return {};
}

Expected<void> Resolver::store_number(size_t a, uint32_t nr, uint32_t head, std::vector<const MadeRule*>& kept) {
  const ArchId abi = arches_[a];
  const MadeRules& made = made_[a];
  auto& rules = out_.policy.arches[a].rules;
  // Only --arg-width abi reads a 32-bit argument as the kernel does; k32
  // under --arg-width 64 is libseccomp's literal truncation of the constant.
  const bool kernel_reading = o_.arg_width == ArgWidthMode::kAbi;
  const MadeRule* single = nullptr;  // the number's one distinct rule, if so
  if (made[head - 1].previous == 0) {
    single = &made[head - 1];
    if (libseccomp_filter_semantics()) in_number_order_.push_back(*single);
  } else {
    // The chain holds the newest first: the run in the order made.
    number_run_.clear();
    if (number_run_.capacity() == 0) number_run_.reserve(16);  // a number's rules: a few (twins)
    for (uint32_t i = head; i != 0; i = made[i - 1].previous) number_run_.push_back(made[i - 1]);
    std::reverse(number_run_.begin(), number_run_.end());
    if (libseccomp_filter_semantics())
      in_number_order_.insert(in_number_order_.end(), number_run_.begin(), number_run_.end());
    kept.clear();
    distinct_rules(number_run_, kept);
    if (kept.size() == 1) single = kept.front();
  }
  // One rule combines with nothing: it is filled in its place in the map,
  // without a copy.
  if (single != nullptr) {
    const auto slot = rules.emplace_hint(rules.end(), nr);
    policy::Rule& r = slot->second.emplace_back();
    fill_rule(*single, abi, r);
    if (kernel_reading && !r.conditions.empty() && has_decided(r)) {
      read_as_kernel(r);
      drop_decided(slot->second);
      if (slot->second.empty()) rules.erase(slot);
    }
    return {};
  }
  std::vector<policy::Rule> list(kept.size());
  for (size_t k = 0; k < kept.size(); ++k) fill_rule(*kept[k], abi, list[k]);
  // libseccomp's view of the rules (the conflict warnings') is of the
  // rules as written, sysfence's of what the kernel reads.
  std::optional<std::vector<policy::Rule>> as_written;
  if (kernel_reading && std::any_of(list.begin(), list.end(), has_decided)) {
    as_written = list;
    for (policy::Rule& r : list) read_as_kernel(r);
  }
  auto combined = db_.combine(abi, nr, std::move(list), as_written ? &*as_written : nullptr);
  if (!combined) return fail(combined.error().message);
  if (as_written) {
    drop_decided(*combined);
    if (combined->empty()) return {};
  }
  rules.emplace_hint(rules.end(), nr, std::move(*combined));
  return {};
}

}  // namespace sysfence::profile
