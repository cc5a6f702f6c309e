// The rules each syscalls[] entry makes (one per name, ABI and condition
// set), chained per ABI and syscall number; resolve_store.cc makes them the
// policy's rules.
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <map>
#include <optional>
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

}  // namespace

// Each name is looked up once for all ABIs (the shared name index); the
// numbers stay in name_numbers_ for check_names, note_largest and
// make_rules.
void Resolver::look_up_names(const ProfileSyscall& e) {
  // Written through local pointers: a store through the vectors' elements
  // could alias the vectors themselves, which were then reloaded per name.
  const size_t names = e.names.size();
  name_numbers_.resize(names);
  name_calls_.resize(names);
  const syscalls::NameNumbers** const numbers_of = name_numbers_.data();
  const syscalls::MultiplexedCall** const calls_of = name_calls_.data();
  size_t unknown = 0;
  for (size_t i = 0; i < names; ++i) {
    const syscalls::NameNumbers* numbers = syscalls::numbers_by_name(e.names[i]);
    numbers_of[i] = numbers;
    calls_of[i] = numbers != nullptr ? call_of(numbers) : syscalls::multiplexed_call(e.names[i]);
    unknown += numbers == nullptr ? 1 : 0;
  }
  names_unknown_ = unknown;
}

// runc findLastSyscalls: every name of every entry moby kept counts
// towards the largest syscall number per ABI — whatever its action, even
// when the rule itself is dropped below — with the number libseccomp
// resolves it to (for the socket and IPC calls, with libseccomp's view of
// them, profile/libseccomp_names.h). make_rules counts the names of the
// entries it makes rules of.
void Resolver::note_largest(const ProfileSyscall& e) {
  for (size_t a = 0; a < arches_.size(); ++a)
    for (size_t k = 0; k < e.names.size(); ++k) note_largest(e, a, k);
}

void Resolver::note_largest(const ProfileSyscall& e, size_t a, size_t k) {
  const syscalls::NameNumbers* const numbers = name_numbers_[k];
  if (numbers == nullptr) return;
  const ArchId abi = arches_[a];
  std::optional<uint32_t> nr = numbers->on(abi);
  // runc takes libseccomp's number for the name, and libseccomp gives
  // most socket and IPC calls a negative pseudo number on the ABIs
  // that multiplex them, and the names it does not know none
  // (profile/libseccomp_names.h): never the largest.
  if (o_.multiplex == MultiplexRewrite::kLibseccomp) {
    const std::optional<int32_t> libseccomp = libseccomp_call_number(abi, e.names[k]);
    if (libseccomp) nr = *libseccomp >= 0 ? std::optional<uint32_t>(static_cast<uint32_t>(*libseccomp)) : std::nullopt;
  }
  if (nr) largest_[a] = std::max(largest_[a], *nr);
}

// Each name is its own rule, on every ABI of the filter whose table knows
// it; a name an ABI does not know is skipped there (libseccomp resolves
// names per arch), never an error.
// A name listed twice in one entry (or an alias of a name listed) makes
// its rules once. Past kMaxRules rules the profile is refused here, before
// the policy's rules take their memory.
Expected<void> Resolver::make_rules(const ProfileSyscall& e, size_t index, const policy::SourceRef& src,
                                    size_t condition_sets) {
  const auto entry = static_cast<uint32_t>(index);
  // Most names are made here: one the ABI knows, in its slots, not a
  // multiplexer nor reaching one there, of an entry without conditions,
  // outside libseccomp's view of the names (its rule needs no other test;
  // Docker's default: 1,000 of 1,130 names and ABIs). make_name_rules makes
  // the others, in a loop over a MadeCursor (with the sort this replaces:
  // ~118 -> ~58 instructions per name and ABI).
  const bool plain_entry = o_.multiplex != MultiplexRewrite::kLibseccomp && e.args.empty();
  const size_t names = e.names.size();
  const syscalls::NameNumbers* const* const numbers_of = name_numbers_.data();
  const syscalls::MultiplexedCall* const* const calls_of = name_calls_.data();
  for (size_t a = 0; a < arches_.size(); ++a) {
    const ArchId abi = arches_[a];
    const uint32_t stamp = ++stamp_;
    // Where the ABI has no socketcall or ipc, a socket/IPC call is a name
    // like any other. The multiplexers themselves take the other path.
    const bool multiplexes = multiplexer_numbers_[a][0] || multiplexer_numbers_[a][1];
    const uint32_t socketcall = multiplexer_numbers_[a][0].value_or(kNoNumber);
    const uint32_t ipc = multiplexer_numbers_[a][1].value_or(kNoNumber);
    uint32_t* const heads = number_heads_[a].data();
    const size_t slot_count = number_heads_[a].size();
    const uint32_t first_nr = first_numbers_[a];
    MadeCursor at = cursor(a);
    for (size_t k = 0; k < names; ++k) {
      const syscalls::NameNumbers* const name_numbers = numbers_of[k];
      const std::optional<uint32_t> nr = name_numbers != nullptr ? name_numbers->on(abi) : std::nullopt;
      const uint32_t slot = nr ? *nr - first_nr : 0;  // wraps below the first
      const bool reaches_multiplexer = multiplexes && calls_of[k] != nullptr;
      if (plain_entry && !nr && !reaches_multiplexer) [[unlikely]] {
        // A name the ABI lacks makes no rule there (nor the largest
        // number): a note, without make_name_rules' setup.
        if (name_numbers != nullptr) note_unknown(a, name_numbers, e.names[k]);
        continue;
      }
      if (!plain_entry || !nr || reaches_multiplexer || slot >= slot_count || *nr == socketcall || *nr == ipc)
          [[unlikely]] {
        keep(a, at);
        if (auto r = make_name_rules(e, index, src, condition_sets, a, k, stamp); !r) return r;
        at = cursor(a);
        continue;
      }
      at.largest = std::max(at.largest, *nr);  // note_largest's, outside libseccomp's view of the names
      // A name listed twice in the entry (or an alias of one listed) makes
      // its rule once (first_naming).
      uint32_t& head = heads[slot];
      if (head != 0 && at.made[head - 1].entry == entry) continue;
      if (++at.rules_made > kMaxRules) return too_many_rules();
      if (at.count == at.room) [[unlikely]] {
        keep(a, at);
        make_room(made_[a]);
        at = cursor(a);
      }
      if (head == 0) ++at.numbers;
      at.made[at.count] = MadeRule{*nr, head, entry, 0, nullptr};
      head = ++at.count;
    }
    keep(a, at);
  }
  return {};
}

// make_rules for the name e.names[k] on arches_[a], in every case.
Expected<void> Resolver::make_name_rules(const ProfileSyscall& e, size_t index, const policy::SourceRef& src,
                                         size_t condition_sets, size_t a, size_t k, uint32_t stamp) {
  note_largest(e, a, k);
  const auto entry = static_cast<uint32_t>(index);
  const bool libseccomp_names = o_.multiplex == MultiplexRewrite::kLibseccomp;
  const ArchId abi = arches_[a];
  const std::string& name = e.names[k];
  const syscalls::NameNumbers* numbers = name_numbers_[k];
  const std::optional<uint32_t> nr = numbers != nullptr ? numbers->on(abi) : std::nullopt;
  // runc skips a name libseccomp cannot resolve on the host, and
  // libseccomp an ABI where the name has no number.
  if (libseccomp_names && nr && (!libseccomp_knows(o_.native, name) || !libseccomp_knows(abi, name))) {
    if (std::find(libseccomp_skipped_[a].begin(), libseccomp_skipped_[a].end(), name) == libseccomp_skipped_[a].end())
      libseccomp_skipped_[a].push_back(name);
    return {};
  }
  // socket/IPC calls also reach socketcall/ipc on some ABIs (multiplex.h).
  std::optional<MultiplexTarget> mux;
  if (const syscalls::MultiplexedCall* call = name_calls_[k])
    if (const auto mux_nr = multiplexer_numbers_[a][static_cast<size_t>(call->via)])
      mux = MultiplexTarget{*mux_nr, call};
  const bool twin = mux && widens(o_.multiplex, !e.args.empty());
  if (mux && !twin) note_multiplex_gap(index, name, mux->call, abi);
  if (!nr && libseccomp_names) note_pseudo_rules(a, name, mux.has_value(), index, condition_sets);
  if (!nr && !twin) {
    // Names no ABI knows are warnings (check_names), not notes.
    if (numbers != nullptr) note_unknown(a, numbers, name);
    return {};
  }
  if (nr)
    for (size_t j = 0; j < e.args.size(); ++j) check_width(e, src, j, name, abi, *nr);
  // A name listed twice in the entry (or an alias of one listed) makes
  // its rules once.
  const bool direct = nr && first_naming(a, *nr, entry, stamp);
  if (!direct && !twin) return {};
  rules_made_ += condition_sets * ((direct ? 1 : 0) + (twin ? 1 : 0));
  if (rules_made_ > kMaxRules) return too_many_rules();
  uint32_t* const direct_head = direct ? &number_head(a, *nr) : nullptr;
  uint32_t* const twin_head = twin ? &number_head(a, mux->nr) : nullptr;
  // libseccomp adds the multiplexer's rule before the direct one.
  for (size_t set = 0; set < condition_sets; ++set) {
    if (twin_head != nullptr)
      add_made(a, *twin_head, MadeRule{mux->nr, 0, entry, static_cast<uint32_t>(set), mux->call});
    if (direct_head != nullptr) add_made(a, *direct_head, MadeRule{*nr, 0, entry, static_cast<uint32_t>(set), nullptr});
  }
  return {};
}

void Resolver::note_unknown(size_t a, const syscalls::NameNumbers* numbers, const std::string& name) {
  // A sub-ABI (i386, x32 next to x86_64) lacks a few dozen names: room for
  // them at the first instead of growing there.
  if (unknown_[a].empty()) {
    unknown_[a].reserve(kUnknownRoom);
    unknown_seen_[a].reserve(kUnknownRoom);
  }
  if (unknown_seen_[a].insert(numbers)) unknown_[a].push_back(&name);
}

bool Resolver::first_naming(size_t a, uint32_t nr, uint32_t entry, uint32_t stamp) {
  uint32_t* stamp_of = nullptr;
  for (size_t m = 0; m < multiplexer_numbers_[a].size(); ++m)
    if (multiplexer_numbers_[a][m] == nr) stamp_of = &multiplexer_stamps_[a][m];
  if (stamp_of == nullptr && nr - first_numbers_[a] >= number_heads_[a].size()) stamp_of = &other_numbers_[a][nr].stamp;
  if (stamp_of != nullptr) {
    if (*stamp_of == stamp) return false;
    *stamp_of = stamp;
    return true;
  }
  const uint32_t head = number_heads_[a][nr - first_numbers_[a]];
  return head == 0 || made_[a][head - 1].entry != entry;
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

}  // namespace sysfence::profile
