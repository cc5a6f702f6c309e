// The resolution's working state, internal to profile/: resolve() (resolve.h)
// runs one Resolver. Its jobs live in one file each: resolve.cc (moby's
// includes/excludes, the ABIs, errnos, each entry's fate, runc's ENOSYS
// stub), resolve_rules.cc (the rules each entry makes, per ABI and syscall
// number, and how they are stored) and resolve_warnings.cc (what the
// profile says that it cannot mean).
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "base/expected.h"
#include "policy/policy.h"
#include "profile/multiplex.h"
#include "profile/profile.h"
#include "profile/resolve.h"
#include "profile/rule_database.h"
#include "syscalls/multiplex.h"
#include "syscalls/table.h"

namespace sysfence::profile {

// A set of pointers (open addressing, linear probing): one allocation per
// doubling instead of a tree node per element.
class PointerSet {
 public:
  // Room for `n` pointers without growing.
  void reserve(size_t n) {
    size_t slots = 16;
    while (slots < 2 * n) slots *= 2;
    if (slots > slots_.size()) {
      std::vector<const void*> old(slots, nullptr);
      old.swap(slots_);
      size_ = 0;
      for (const void* p : old)
        if (p != nullptr) insert(p);
    }
  }

  // False when `p` was there already.
  bool insert(const void* p) {
    if (2 * (size_ + 1) > slots_.size()) grow();
    const size_t mask = slots_.size() - 1;
    for (size_t i = slot_of(p) & mask;; i = (i + 1) & mask) {
      if (slots_[i] == p) return false;
      if (slots_[i] == nullptr) {
        slots_[i] = p;
        ++size_;
        return true;
      }
    }
  }

 private:
  static size_t slot_of(const void* p) {
    return static_cast<size_t>((reinterpret_cast<uintptr_t>(p) >> 3) * 0x9E3779B97F4A7C15ULL >> 17);
  }
  void grow() {
    std::vector<const void*> old(std::max<size_t>(16, 2 * slots_.size()), nullptr);
    old.swap(slots_);
    size_ = 0;
    for (const void* p : old)
      if (p != nullptr) insert(p);
  }
  std::vector<const void*> slots_;
  size_t size_ = 0;
};

class Resolver {
 public:
  Resolver(const Profile& p, const ResolveOptions& o) : p_(p), o_(o), source_(p.source), db_(p, o.combination) {}

  Expected<Resolution> run();

 private:
  using ArchId = syscalls::ArchId;
  const Profile& p_;
  const ResolveOptions& o_;
  // p_.source once for every rule's SourceRef::file (shared, not copied).
  policy::SharedText source_;
  Resolution out_;
  Action default_action_;
  std::vector<syscalls::ArchId> arches_;  // native first
  // Per arch (arches_' order): whether the profile lists it (architectures,
  // or the native archMap entry; SCMP_ARCH_NATIVE the native ABI). runc's
  // ENOSYS stub covers only these (findLastSyscalls loops over the config's
  // architectures); libseccomp filters the native ABI whatever the lists say.
  std::vector<bool> listed_;
  // Per arch: the names skipped there (the profile's strings), and their
  // NameNumbers as a set (one per distinct name).
  std::vector<std::vector<const std::string*>> unknown_;
  std::vector<PointerSet> unknown_seen_;
  static constexpr size_t kUnknownRoom = 64;  // reserved at an ABI's first
  // Per arch: the largest number any kept entry names (runc findLastSyscalls).
  std::vector<uint32_t> largest_;
  // Per arch: the names whose rules libseccomp 2.5.4 leaves out (it has no
  // number for them there or on the host), with MultiplexRewrite::kLibseccomp.
  std::vector<std::vector<std::string_view>> libseccomp_skipped_;
  // Per arch, with libseccomp's semantics: the rules libseccomp 2.5.4 files
  // under a pseudo number there (a socket/IPC call the ABI has no number of
  // its own for, and, where its arch code keeps them, a name the ABI
  // lacks), in the order made. Never in its filter, they can still come
  // first in its order of syscalls (resolve_number_load.cc).
  struct PseudoRule {
    std::string_view name;
    uint32_t entry;
    uint32_t set;
  };
  std::vector<std::vector<PseudoRule>> pseudo_rules_;
  // Width warnings being collected: one per (entry, condition, name, bits,
  // constant), the ABIs where it applies appended as they are met.
  struct WidthKey {
    uint32_t entry;
    size_t arg;
    std::string name;
    unsigned bits;
    uint64_t constant;
    // How the filter compares it: ABIs that compare it otherwise (x86_64's
    // 64 bits, libseccomp's low word on i386 and x32) get a warning each.
    policy::ArgWidth compared;
  };
  std::vector<std::pair<WidthKey, Warning>> width_warnings_;
  // width_warnings_'s index by key: one lookup per (name, rule, condition)
  // however many warnings there are.
  std::map<std::tuple<uint32_t, size_t, std::string, unsigned, uint64_t, policy::ArgWidth>, size_t> width_index_;
  // Names no ABI knows and MASKED_EQ datums with bits outside the mask, in
  // profile order.
  std::vector<Warning> name_warnings_;
  std::set<std::string, std::less<>> warned_names_;
  // Unknown names are warned about one by one up to this many distinct
  // ones; the rest are counted (from the entry at unlisted_from_ on).
  static constexpr size_t kMaxNameWarnings = 256;
  size_t unlisted_names_ = 0;
  SourcePos unlisted_from_;
  std::vector<Warning> mask_warnings_;
  std::vector<Warning> filter_warnings_;
  std::vector<Warning> errno_warnings_;
  // How several rules of one syscall combine, and their conflicts.
  RuleDatabase db_;
  // apply_entry's scratch: the numbers of the entry's names, index-aligned
  // with ProfileSyscall::names (nullptr: no ABI knows the name).
  std::vector<const syscalls::NameNumbers*> name_numbers_;
  // Likewise the socket/IPC call each name is (nullptr: none), looked up
  // once for all ABIs.
  std::vector<const syscalls::MultiplexedCall*> name_calls_;
  // A rule apply_entry decided on: syscall number `nr`, made as the `seq`-th
  // of its ABI, from syscalls[entry], with condition set `set` (see
  // apply_entry). store_rules() turns these into the policy's Rules.
  struct MadeRule {
    uint32_t nr;
    uint32_t seq;
    uint32_t entry;
    uint32_t set;
    // Set for the twin of a socket/IPC rule on its multiplexer.
    const syscalls::MultiplexedCall* via = nullptr;
  };
  std::vector<std::vector<MadeRule>> made_;  // per ABI, in the order made
  // The rules of a policy, over all its ABIs: a 16 MiB profile can list a
  // million names, or one name with a hundred thousand conditions on a
  // repeated index (one rule each), times the ABIs; each rule costs some
  // hundred bytes here and in the proof's diagram. Docker's default makes
  // about 1,200.
  static constexpr size_t kMaxRules = size_t{1} << 20;
  size_t rules_made_ = 0;
  // make_rules' scratch: the numbers of the entry's names on one ABI. A
  // number is in the set when its slot (number minus the table's first
  // number) holds the current stamp: a set per entry and ABI without
  // clearing or allocating, where a tree of numbers allocated per name.
  std::vector<std::vector<uint32_t>> number_stamps_;  // per ABI
  std::vector<uint32_t> first_numbers_;               // per ABI: its table's first number
  // Per ABI: socketcall's and ipc's numbers (syscalls::Multiplexer order),
  // looked up once instead of per socket/IPC name.
  std::vector<std::array<std::optional<uint32_t>, 2>> multiplexer_numbers_;
  uint32_t stamp_ = 0;
  std::set<uint32_t> other_numbers_;  // the current stamp's numbers outside the slots
  static constexpr uint32_t kMaxStampSlots = 1u << 16;
  // distinct_rules' scratch, for the run of one entry's rules on one number.
  // An unsplit entry's rules on one number differ only by their
  // multiplexer call, of which there are a few dozen: a scan of the calls
  // kept, without the tree's allocation per rule.
  std::vector<const void*> run_vias_;
  // For a split entry: which multiplexer call (nullptr: the direct
  // syscall) and which condition. A run holds a few conditions: they are
  // scanned while few (no allocation per condition), and only a long run
  // (a profile repeating one index many times) moves to the tree.
  using SeenCondition = std::tuple<const void*, unsigned, policy::CmpOp, uint64_t, uint64_t>;
  static constexpr size_t kMaxScannedConditions = 32;
  std::vector<SeenCondition> run_seen_few_;
  std::set<SeenCondition> run_seen_;
  bool first_in_run(const SeenCondition& c);
  // sort_by_number's scratch: each ABI's sorted rules are swapped in, so
  // the next ABI sorts into the previous one's storage instead of a new
  // zeroed vector.
  std::vector<uint32_t> sort_starts_;
  std::vector<MadeRule> sorted_;

  // width_of's memo: the widths of one (ABI, number), per argument index.
  struct WidthMemo {
    ArchId abi = ArchId::kX86_64;
    uint32_t nr = 0;
    bool valid = false;
    std::array<std::optional<policy::ArgWidth>, 6> widths{};
  };
  mutable WidthMemo width_memo_;

  std::string where(SourcePos pos) const;

  // resolve.cc
  // `entry`: the syscalls[] entry's index; nullopt for the default action.
  Expected<uint16_t> errno_data(ProfileAction a, const std::string& name, std::optional<uint64_t> number,
                                std::string_view field, SourcePos pos, std::optional<uint32_t> entry);
  Expected<void> choose_arches();
  Expected<void> apply_entry(size_t index);
  void add_enosys_stub();
  // The profile's flags into the resolution; with --semantics runc, a note
  // that runc before 1.2.0 refuses them.
  void keep_flags();

  // resolve_number_load.cc
  // Records the rules of `name` (no number on arches_[a]) that libseccomp
  // files under a pseudo number there.
  void note_pseudo_rules(size_t a, std::string_view name, bool multiplexed, size_t entry, size_t condition_sets);
  // Fails where libseccomp refuses the rules it files under a pseudo number
  // (EEXIST: the same conditions, a prefix or a shared tree node with
  // different actions), as it does any syscall's (under its semantics).
  Expected<void> refuse_pseudo_conflicts() const;
  // Where libseccomp 2.5.4 writes no load of the syscall number for an ABI,
  // that ABI's rules go: its filter answers every call there with the
  // default action.
  void lose_number_loads();
  // The resolution reads the profile as libseccomp's filter answers it
  // (its rule database, its socketcall/ipc rewrite, 64-bit arguments).
  bool libseccomp_filter_semantics() const;
  bool runc_keeps_level_one() const;
  // The optimize level libseccomp's filter is written at (ResolveOptions).
  unsigned libseccomp_level() const;
  // gen_bpf's blocks of ABIs (indexes of arches_) in the filter's order:
  // x86_64 with x32 (where the first of them is), or one.
  std::vector<std::vector<size_t>> libseccomp_blocks() const;
  // The pseudo-numbered entry gen_bpf orders first in a block (the fewest
  // nodes; `db` 1: x32 beside x86_64); no name where there is none.
  // The rules filed under pseudo numbers on arches_[a], one group per name
  // in the order the names were first made, each group's rules in the order
  // made (fill_rule's: under libseccomp's widths a rule's widths depend on
  // the ABI alone, so the number it is given is moot).
  struct PseudoGroup {
    std::string_view name;
    std::vector<policy::Rule> rules;
  };
  std::vector<PseudoGroup> pseudo_groups(size_t a) const;
  struct FirstPseudo {
    int64_t nodes = 0;
    size_t db = 0;
    std::string_view name;
    bool beyond_model = false;  // a rule set the tree model does not take
  };
  FirstPseudo first_pseudo(std::span<const size_t> block) const;
  // Whether a written syscall comes before `pseudo` (and loads the number);
  // nullopt beyond the model. `collides`: a written number equals the
  // block's AUDIT_ARCH.
  std::optional<bool> number_loaded(std::span<const size_t> block, const FirstPseudo& pseudo, bool& collides) const;

  // resolve_shared_blocks.cc
  // Where libseccomp 2.5.4 shares blocks across syscalls and a syscall's
  // filter then answers otherwise than its program alone, its rules become
  // that filter's paths.
  void share_libseccomp_blocks();
  // One syscall's rules as libseccomp's database gets them (those with
  // argument conditions), per ABI block of libseccomp_blocks().
  struct FilterRules {
    size_t arch = 0;  // index of arches_
    uint32_t nr = 0;
    size_t db = 0;  // 0: the block's primary database, 1: x32 beside x86_64
    std::vector<policy::Rule> rules;
  };
  std::vector<std::vector<FilterRules>> filter_rules();

  // resolve_rules.cc
  void note_largest(const ProfileSyscall& e);
  void note_libseccomp_skipped();
  // Removes ap's rules on numbers above ap.enosys_above, with a note.
  void drop_rules_above_stub(policy::ArchPolicy& ap);
  // Adds `nr` to the numbers of the current stamp on ABI `a`; false when it
  // was there already. Inline: make_rules asks once per name and ABI.
  bool add_entry_number(size_t a, uint32_t nr) {
    std::vector<uint32_t>& slots = number_stamps_[a];
    const size_t slot = size_t{nr} - first_numbers_[a];
    if (nr < first_numbers_[a] || slot > kMaxStampSlots || slot >= slots.size()) return add_number_outside_slots(a, nr);
    if (slots[slot] == stamp_) return false;
    slots[slot] = stamp_;
    return true;
  }
  bool add_number_outside_slots(size_t a, uint32_t nr);
  Expected<void> make_rules(const ProfileSyscall& e, size_t index, const policy::SourceRef& src, size_t condition_sets);
  Expected<void> too_many_rules() const;
  void note_multiplex_gap(size_t index, const std::string& name, const syscalls::MultiplexedCall* call, ArchId abi);
  size_t sort_by_number(std::vector<MadeRule>& made);
  policy::ArgWidth width_of(ArchId abi, uint32_t nr, unsigned index) const;
  void fill_rule(const MadeRule& m, ArchId abi, policy::Rule& r) const;
  [[gnu::noinline]] void fill_conditions(const MadeRule& m, ArchId abi, std::vector<policy::ArgCondition>& conds) const;
  void distinct_rules(std::span<const MadeRule> made, std::vector<const MadeRule*>& kept);
  Expected<void> store_rules();

  // resolve_warnings.cc
  // "syscalls[3]", or "the default action" (no entry).
  static std::string errno_owner(std::optional<uint32_t> entry);
  // An errno-range warning at `pos` (the entry's, or the default action's).
  void warn_errno(SourcePos pos, std::optional<uint32_t> entry, uint64_t constant, std::string message);
  // `libseccomp_sees`: runc hands the action to libseccomp (some name of
  // the entry resolves on the host; the default action always).
  Expected<void> check_errno_range(Action action, SourcePos pos, std::string_view field, std::optional<uint32_t> entry,
                                   bool libseccomp_sees);
  // The same for the bad-arch action (--bad-arch errno:N), which is no
  // field of the profile: the warning has no position.
  Expected<void> check_bad_arch_errno();
  Expected<void> check_names(size_t index);
  void check_masks(size_t index);
  // includes/excludes values of syscalls[index] that can never match.
  void check_filter_values(size_t index);
  void check_width(const ProfileSyscall& e, const policy::SourceRef& src, size_t j, const std::string& name, ArchId abi,
                   uint32_t nr);
  void report_width_warnings();
  void report_unknown_names();
};

}  // namespace sysfence::profile
