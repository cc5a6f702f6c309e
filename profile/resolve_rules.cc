// The rules each syscalls[] entry makes (one per name, ABI and condition
// set) and how they become the policy's rules per syscall number.
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <set>
#include <span>
#include <tuple>
#include <utility>
#include <vector>

#include "profile/libseccomp_names.h"
#include "profile/resolver.h"

namespace sysfence::profile {

namespace {

// syscalls::multiplexed_call for a name some ABI knows, by its NameNumbers
// (one per name): one probe of a small table of the few dozen calls'
// NameNumbers, where a binary search over them cost ~90 instructions for
// each name of a profile (Docker's default: 377 names, 34k per resolve).
const syscalls::MultiplexedCall* call_of(const syscalls::NameNumbers* numbers) {
  constexpr size_t kSlots = 256;  // a power of two, well above the ~32 calls
  struct Slot {
    const syscalls::NameNumbers* numbers = nullptr;
    const syscalls::MultiplexedCall* call = nullptr;
  };
  static constexpr auto slot_of = [](const syscalls::NameNumbers* n) {
    return static_cast<size_t>((reinterpret_cast<uintptr_t>(n) >> 2) * 0x9E3779B97F4A7C15ULL >> 56) & (kSlots - 1);
  };
  static const std::array<Slot, kSlots> slots = [] {
    std::array<Slot, kSlots> out{};
    for (const syscalls::MultiplexedCall& c : syscalls::multiplexed_calls()) {
      const syscalls::NameNumbers* n = syscalls::numbers_by_name(c.name);
      if (n == nullptr) continue;
      size_t i = slot_of(n);
      while (out[i].numbers != nullptr && out[i].numbers != n) i = (i + 1) & (kSlots - 1);
      if (out[i].numbers == nullptr) out[i] = Slot{n, &c};
    }
    return out;
  }();
  for (size_t i = slot_of(numbers);; i = (i + 1) & (kSlots - 1)) {
    if (slots[i].numbers == numbers) return slots[i].call;
    if (slots[i].numbers == nullptr) return nullptr;
  }
}

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

// runc findLastSyscalls: every name of every entry moby kept counts
// towards the largest syscall number per ABI — whatever its action, even
// when the rule itself is dropped below — with the number libseccomp
// resolves it to (for the socket and IPC calls, with libseccomp's view of
// them, profile/libseccomp_names.h).
// Each name is looked up once for all ABIs (the shared name index); the
// numbers stay in name_numbers_ for check_names and make_rules.
void Resolver::note_largest(const ProfileSyscall& e) {
  name_numbers_.clear();
  name_calls_.clear();
  for (const auto& name : e.names) {
    const syscalls::NameNumbers* numbers = syscalls::numbers_by_name(name);
    name_numbers_.push_back(numbers);
    name_calls_.push_back(numbers != nullptr ? call_of(numbers) : syscalls::multiplexed_call(name));
  }
  for (size_t a = 0; a < arches_.size(); ++a) {
    // A local maximum: largest_[a] in memory could alias the names' numbers.
    const ArchId abi = arches_[a];
    uint32_t largest = largest_[a];
    for (size_t i = 0; i < name_numbers_.size(); ++i) {
      if (name_numbers_[i] == nullptr) continue;
      std::optional<uint32_t> nr = name_numbers_[i]->on(abi);
      // runc takes libseccomp's number for the name, and libseccomp gives
      // most socket and IPC calls a negative pseudo number on the ABIs
      // that multiplex them, and the names it does not know none
      // (profile/libseccomp_names.h): never the largest.
      if (o_.multiplex == MultiplexRewrite::kLibseccomp) {
        const std::optional<int32_t> libseccomp = libseccomp_call_number(abi, e.names[i]);
        if (libseccomp)
          nr = *libseccomp >= 0 ? std::optional<uint32_t>(static_cast<uint32_t>(*libseccomp)) : std::nullopt;
      }
      if (nr) largest = std::max(largest, *nr);
    }
    largest_[a] = largest;
  }
}

// add_entry_number where `nr` is outside the slots run() sized.
bool Resolver::add_number_outside_slots(size_t a, uint32_t nr) {
  std::vector<uint32_t>& slots = number_stamps_[a];
  const uint32_t first = first_numbers_[a];
  // Numbers of the table lie in [first, max_nr()]; anything else (never
  // met) takes the tree.
  if (nr < first || nr - first > kMaxStampSlots) return other_numbers_.insert(nr).second;
  const size_t slot = nr - first;
  if (slot >= slots.size()) slots.resize(std::max<size_t>(slot + 1, 2 * slots.size()), 0);
  if (slots[slot] == stamp_) return false;
  slots[slot] = stamp_;
  return true;
}

// Each name is its own rule, on every ABI of the filter whose table knows
// it; a name an ABI does not know is skipped there (libseccomp resolves
// names per arch), never an error.
// A name listed twice in one entry (or an alias of a name listed) makes
// its rules once. Past kMaxRules rules the profile is refused here, before
// the policy's rules take their memory.
Expected<void> Resolver::make_rules(const ProfileSyscall& e, size_t index, const policy::SourceRef& src,
                                    size_t condition_sets) {
  for (size_t a = 0; a < arches_.size(); ++a) {
    const ArchId abi = arches_[a];
    std::vector<MadeRule>& made = made_[a];
    ++stamp_;
    other_numbers_.clear();
    for (size_t k = 0; k < e.names.size(); ++k) {
      const std::string& name = e.names[k];
      const std::optional<uint32_t> nr = name_numbers_[k] != nullptr ? name_numbers_[k]->on(abi) : std::nullopt;
      // runc skips a name libseccomp cannot resolve on the host, and
      // libseccomp an ABI where the name has no number.
      if (o_.multiplex == MultiplexRewrite::kLibseccomp && nr &&
          (!libseccomp_knows(o_.native, name) || !libseccomp_knows(abi, name))) {
        if (std::find(libseccomp_skipped_[a].begin(), libseccomp_skipped_[a].end(), name) ==
            libseccomp_skipped_[a].end())
          libseccomp_skipped_[a].push_back(name);
        continue;
      }
      // socket/IPC calls also reach socketcall/ipc on some ABIs (multiplex.h).
      std::optional<MultiplexTarget> mux;
      if (const syscalls::MultiplexedCall* call = name_calls_[k])
        if (const auto mux_nr = multiplexer_numbers_[a][static_cast<size_t>(call->via)])
          mux = MultiplexTarget{*mux_nr, call};
      const bool twin = mux && widens(o_.multiplex, !e.args.empty());
      if (mux && !twin) note_multiplex_gap(index, name, mux->call, abi);
      if (!nr && o_.multiplex == MultiplexRewrite::kLibseccomp)
        note_pseudo_rules(a, name, mux.has_value(), index, condition_sets);
      if (!nr && !twin) {
        // Names no ABI knows are warnings (check_names), not notes.
        if (name_numbers_[k] != nullptr) {
          // A sub-ABI (i386, x32 next to x86_64) lacks a few dozen names:
          // room for them at the first instead of growing there.
          if (unknown_[a].empty()) {
            unknown_[a].reserve(kUnknownRoom);
            unknown_seen_[a].reserve(kUnknownRoom);
          }
          if (unknown_seen_[a].insert(name_numbers_[k])) unknown_[a].push_back(&name);
        }
        continue;
      }
      if (nr)
        for (size_t j = 0; j < e.args.size(); ++j) check_width(e, src, j, name, abi, *nr);
      // A name listed twice in the entry makes its rules once.
      const bool direct = nr && (e.names.size() == 1 || add_entry_number(a, *nr));
      if (!direct && !twin) continue;
      rules_made_ += condition_sets * ((direct ? 1 : 0) + (twin ? 1 : 0));
      if (rules_made_ > kMaxRules) return too_many_rules();
      // libseccomp adds the multiplexer's rule before the direct one.
      for (size_t set = 0; set < condition_sets; ++set) {
        const auto entry = static_cast<uint32_t>(index);
        if (twin)
          made.push_back(
              MadeRule{mux->nr, static_cast<uint32_t>(made.size()), entry, static_cast<uint32_t>(set), mux->call});
        if (direct)
          made.push_back(MadeRule{*nr, static_cast<uint32_t>(made.size()), entry, static_cast<uint32_t>(set)});
      }
    }
  }
  return {};
}

// The names whose rules runc and libseccomp 2.5.4 leave out, one note per
// ABI: a runc built with a newer libseccomp applies them.
void Resolver::note_libseccomp_skipped() {
  for (size_t a = 0; a < arches_.size(); ++a) {
    if (libseccomp_skipped_[a].empty()) continue;
    out_.notes.push_back(fmt::format(
        "{}: on {}, libseccomp 2.5.4 has no number for {}: runc skips their rules (the default action answers "
        "them, or ENOSYS above its stub's threshold, which they do not count); a runc built with a newer "
        "libseccomp applies them",
        p_.source, syscalls::arch(arches_[a]).name, fmt::join(libseccomp_skipped_[a], ", ")));
  }
}

Expected<void> Resolver::too_many_rules() const {
  return fail(fmt::format(
      "{}: the profile makes more than {} rules (one per syscall name, ABI and condition set; {} ABI{} here): "
      "sysfence's limit, which bounds the memory a profile can take; list each syscall once per action and "
      "conditions",
      p_.source, kMaxRules, arches_.size(), arches_.size() == 1 ? "" : "s"));
}

// A rule with argument conditions on a socket/IPC call that `abi`'s
// multiplexer reaches unchecked (kExact): one gap per entry and name.
void Resolver::note_multiplex_gap(size_t index, const std::string& name, const syscalls::MultiplexedCall* call,
                                  ArchId abi) {
  // The current entry's gaps are the last ones: the search stays short
  // however many entries came before.
  auto& gaps = out_.multiplex_gaps;
  for (auto it = gaps.rbegin(); it != gaps.rend() && it->entry == index; ++it) {
    if (it->name != name) continue;
    if (std::find(it->arches.begin(), it->arches.end(), abi) == it->arches.end()) it->arches.push_back(abi);
    return;
  }
  gaps.push_back(MultiplexGap{static_cast<uint32_t>(index), name, call, {abi}});
}

// Sorts `made` (in creation order, seq ascending) by (nr, seq). The
// numbers of one ABI span a few hundred values: counting them and placing
// each rule at its number's next slot keeps creation order within a number
// in linear time; a wider spread falls back to the comparison sort.
// Returns how many distinct numbers there are.
size_t Resolver::sort_by_number(std::vector<MadeRule>& made) {
  if (made.empty()) return 0;
  const auto [lo, hi] =
      std::minmax_element(made.begin(), made.end(), [](const MadeRule& x, const MadeRule& y) { return x.nr < y.nr; });
  const size_t range = size_t{hi->nr} - lo->nr + 1;
  if (range > 4 * made.size() + 4096) {
    // seq is unique: creation order within each number.
    std::sort(made.begin(), made.end(),
              [](const MadeRule& x, const MadeRule& y) { return x.nr != y.nr ? x.nr < y.nr : x.seq < y.seq; });
    size_t numbers = 0;
    for (size_t x = 0; x < made.size(); ++x) numbers += x == 0 || made[x].nr != made[x - 1].nr ? 1 : 0;
    return numbers;
  }
  const uint32_t base = lo->nr;
  std::vector<uint32_t>& start = sort_starts_;
  start.assign(range + 1, 0);
  for (const MadeRule& m : made) ++start[m.nr - base + 1];
  size_t numbers = 0;
  for (size_t i = 1; i <= range; ++i) {
    numbers += start[i] != 0 ? 1 : 0;
    start[i] += start[i - 1];
  }
  std::vector<MadeRule>& sorted = sorted_;
  sorted.resize(made.size());  // every element is overwritten below
  for (const MadeRule& m : made) sorted[start[m.nr - base]++] = m;
  made.swap(sorted);
  return numbers;
}

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

// Fills `r` (a new, empty rule) with the policy rule `m` stands for on
// `abi`: its entry's conditions (or the one condition of its set, where runc
// split the entry), each of the width compared there, rewritten for the
// multiplexer where `m` is a twin. Filled in place, not moved in: a rule
// holds three strings. Most rules have no condition (Docker's default:
// 1,000 of 1,026 per resolution): the conditions are filled out of line,
// which keeps their lambda's registers and setup off the common path (~83
// -> ~67 instructions per rule).
void Resolver::fill_rule(const MadeRule& m, ArchId abi, policy::Rule& r) const {
  const ProfileSyscall& e = p_.syscalls[m.entry];
  const EntryOutcome& outcome = out_.entries[m.entry];
  r.action = outcome.action;
  if (!e.args.empty() || m.via != nullptr) fill_conditions(m, abi, r.conditions);
  policy::SourceRef& src = r.source;
  src.file = source_;
  src.line = e.pos.line;
  src.entry = m.entry;
  if (!e.comment.empty()) [[unlikely]]
    src.comment = e.comment;  // `r` is new: its comment is empty
  src.split_repeated_index = outcome.split_repeated_index;
  src.col = e.pos.col;
  if (m.via != nullptr) [[unlikely]]
    src.multiplexed_for = m.via->name;
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
// number is dropped. A number's rules from one entry are adjacent (seq
// follows the entries), and their conditions differ only where runc split
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

// The rules per syscall number, in the order apply_entry made them. Sorting
// once and appending each number's list at the end of the (still empty)
// map is linear, where one map lookup per rule walks the tree every time.
Expected<void> Resolver::store_rules() {
  std::vector<const MadeRule*> kept;  // one number's, reused
  kept.reserve(16);
  // Only --arg-width abi reads a 32-bit argument as the kernel does; k32
  // under --arg-width 64 is libseccomp's literal truncation of the constant.
  const bool kernel_reading = o_.arg_width == ArgWidthMode::kAbi;
  for (size_t a = 0; a < arches_.size(); ++a) {
    const ArchId abi = arches_[a];
    std::vector<MadeRule>& made = made_[a];
    const size_t numbers = sort_by_number(made);
    auto& rules = out_.policy.arches[a].rules;
    rules.reserve(numbers + 1);  // and add_enosys_stub's rule on 0
    for (size_t first = 0; first < made.size();) {
      const uint32_t nr = made[first].nr;
      size_t end = first + 1;
      while (end < made.size() && made[end].nr == nr) ++end;
      const MadeRule* single = end - first == 1 ? &made[first] : nullptr;  // most numbers: nothing to compare
      if (single == nullptr) {
        kept.clear();
        distinct_rules(std::span<const MadeRule>(made).subspan(first, end - first), kept);
        if (kept.size() == 1) single = kept.front();
      }
      first = end;
      // One rule (most numbers) combines with nothing (combine would return
      // it as is): it is filled in its place in the map, without a copy.
      if (single != nullptr) {
        const auto slot = rules.emplace_hint(rules.end(), nr);
        policy::Rule& r = slot->second.emplace_back();
        fill_rule(*single, abi, r);
        // Most rules have no condition to decide: no call for them.
        if (kernel_reading && !r.conditions.empty() && has_decided(r)) {
          read_as_kernel(r);
          drop_decided(slot->second);
          if (slot->second.empty()) rules.erase(slot);
        }
        continue;
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
        if (combined->empty()) continue;
      }
      rules.emplace_hint(rules.end(), nr, std::move(*combined));
    }
  }
  return {};
}

}  // namespace sysfence::profile
