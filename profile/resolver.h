// The resolution's working state, internal to profile/: resolve() (resolve.h)
// runs one Resolver. Its jobs live in one file each: resolve.cc (moby's
// includes/excludes, the ABIs, errnos, each entry's fate, runc's ENOSYS
// stub), resolve_rules.cc (the rules each entry makes, per ABI and syscall
// number), resolve_store.cc (how they become the policy's rules) and
// resolve_warnings.cc (what the profile says that it cannot mean).
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

// std::allocator, but what it value-initializes it default-initializes:
// for a trivial type, nothing, where a vector's resize zeroed every element
// one by one (the room the resolution fills ahead of its rules, ~9k
// instructions per resolution of Docker's default).
template <class T>
struct UninitializedAllocator : std::allocator<T> {
  UninitializedAllocator() = default;
  template <class U>
  UninitializedAllocator(const UninitializedAllocator<U>&) noexcept {}  // NOLINT(google-explicit-constructor)
  template <class U>
  struct rebind {
    using other = UninitializedAllocator<U>;
  };
  template <class U, class... Args>
  void construct(U* p, Args&&... args) {
    if constexpr (sizeof...(Args) == 0) ::new (static_cast<void*>(p)) U;
    else ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
  }
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
  // Reserved at an ABI's first: x32 next to x86_64 lacks 65 of Docker's
  // default names.
  static constexpr size_t kUnknownRoom = 128;
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
  size_t names_unknown_ = 0;  // the entry's names no ABI knows (check_names)
  // What every rule of syscalls[entry] carries, for the entries that make
  // rules (apply_entry sets it): read together per rule, where the entry
  // and its outcome, in two vectors of large elements, were read apart.
  struct EntryRuleParts {
    Action action;
    bool split_repeated_index;
    bool unconditional;  // no argument conditions
    uint32_t line;
    uint32_t col;
    const std::string* comment;  // null: none
  };
  std::vector<EntryRuleParts> entry_parts_;  // per entry
  // A rule apply_entry decided on: syscall number `nr`, from
  // syscalls[entry], with condition set `set` (see apply_entry).
  // store_rules() turns these into the policy's Rules.
  struct MadeRule {
    uint32_t nr;
    // The rule made before it on `nr` on this ABI, as its index in
    // made_[abi] plus one (0: none): each number's rules are a chain, the
    // newest first.
    uint32_t previous;
    uint32_t entry;
    uint32_t set;
    // Set for the twin of a socket/IPC rule on its multiplexer. No default
    // member initializer: the room add_made writes into is not zeroed.
    const syscalls::MultiplexedCall* via;
  };
  // Per ABI, in the order made; after store_rules, with libseccomp's filter
  // semantics, in number order (each number's rules in the order made).
  // While apply_entry makes them, only the first made_count_[abi] are
  // rules: add_made writes into room made ahead, where std::vector's
  // push_back, called from a few places, was a call of ~31 instructions
  // per rule.
  using MadeRules = std::vector<MadeRule, UninitializedAllocator<MadeRule>>;
  std::vector<MadeRules> made_;
  std::vector<uint32_t> made_count_;
  // The rules of a policy, over all its ABIs: a 16 MiB profile can list a
  // million names, or one name with a hundred thousand conditions on a
  // repeated index (one rule each), times the ABIs; each rule costs some
  // hundred bytes here and in the proof's diagram. Docker's default makes
  // about 1,200.
  static constexpr size_t kMaxRules = size_t{1} << 20;
  size_t rules_made_ = 0;
  // The newest rule made on each syscall number of an ABI (its index in
  // made_[abi] plus one; 0: none), the head of the number's chain.
  // store_rules walks the numbers in order and takes each chain as it is,
  // where sorting the rules by number cost ~40 instructions a rule. One
  // slot per number from the table's first on (a table spans at most 548
  // numbers, but for ARM's private calls from 0xf0001 on: those, and any
  // number outside the slots, are in the tree).
  using NumberHeads = std::vector<uint32_t, UninitializedAllocator<uint32_t>>;
  std::vector<NumberHeads> number_heads_;  // per ABI, zeroed by run()
  static constexpr size_t kMaxNumberSlots = 1024;
  static constexpr uint32_t kNoNumber = ~uint32_t{0};  // no table has it
  struct OtherNumber {
    uint32_t head = 0;
    uint32_t stamp = 0;  // as multiplexer_stamps_
  };
  std::vector<std::map<uint32_t, OtherNumber>> other_numbers_;  // per ABI
  std::vector<uint32_t> first_numbers_;                         // per ABI: its table's first number
  std::vector<size_t> numbers_made_;                            // per ABI: how many numbers have rules
  // Per ABI: socketcall's and ipc's numbers (syscalls::Multiplexer order),
  // looked up once instead of per socket/IPC name.
  std::vector<std::array<std::optional<uint32_t>, 2>> multiplexer_numbers_;
  // A name listed twice in an entry (or an alias of one listed) makes its
  // rules once. A number below a socketcall or ipc is named by the current
  // entry already when the newest rule on it is the entry's (every rule
  // there is a direct one). On the multiplexers, which also hold twins, and
  // the numbers outside the slots, the number holds the current stamp (one
  // per entry and ABI) once the entry names it.
  std::vector<std::array<uint32_t, 2>> multiplexer_stamps_;  // per ABI
  uint32_t stamp_ = 0;
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
  // store_rules' scratch: a number's chain of rules, when it has several;
  // with libseccomp's filter semantics, an ABI's rules in number order.
  MadeRules number_run_;
  MadeRules in_number_order_;

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
  // The numbers of e.names (name_numbers_) and the socket/IPC calls among
  // them (name_calls_), once for every ABI.
  void look_up_names(const ProfileSyscall& e);
  // runc's largest number per ABI (largest_) with e.names (looked up), or
  // with e.names[k] on arches_[a].
  void note_largest(const ProfileSyscall& e);
  void note_largest(const ProfileSyscall& e, size_t a, size_t k);
  void note_libseccomp_skipped();
  // Removes ap's rules on numbers above ap.enosys_above, with a note.
  void drop_rules_above_stub(policy::ArchPolicy& ap);
  // The head of `nr`'s chain on ABI `a`. The references stay valid: the
  // slots are never resized, and the tree's nodes stay where they are.
  uint32_t& number_head(size_t a, uint32_t nr) {
    NumberHeads& heads = number_heads_[a];
    const uint32_t slot = nr - first_numbers_[a];  // wraps below the first
    if (slot >= heads.size()) [[unlikely]]
      return other_numbers_[a][nr].head;
    return heads[slot];
  }
  // Notes `name` (with `numbers`: some ABI knows it), which arches_[a]
  // lacks, once.
  void note_unknown(size_t a, const syscalls::NameNumbers* numbers, const std::string& name);
  // Whether the current entry (syscalls[entry], `stamp`) names `nr` on ABI
  // `a` for the first time; it then does.
  bool first_naming(size_t a, uint32_t nr, uint32_t entry, uint32_t stamp);
  // Prepends `m` (on m.nr, whose chain's head is `head`) to the chain, in
  // made_[a].
  [[gnu::always_inline]] void add_made(size_t a, uint32_t& head, MadeRule m) {
    MadeRules& made = made_[a];
    uint32_t& count = made_count_[a];
    if (count == made.size()) [[unlikely]]
      make_room(made);
    if (head == 0) ++numbers_made_[a];
    m.previous = head;
    made[count] = m;
    head = ++count;
  }
  Expected<void> make_rules(const ProfileSyscall& e, size_t index, const policy::SourceRef& src, size_t condition_sets);
  // make_rules' view of an ABI's rules while it makes them, in locals the
  // compiler keeps in registers (a rule's store could alias the members,
  // which it then reloaded for every name); kept back around the calls
  // that make rules themselves.
  struct MadeCursor {
    MadeRule* made;  // room for `room`, the first `count` made
    size_t room;
    uint32_t count;
    size_t numbers;     // numbers_made_[a]
    size_t rules_made;  // rules_made_
    uint32_t largest;   // largest_[a]
  };
  MadeCursor cursor(size_t a) {
    return MadeCursor{made_[a].data(), made_[a].size(), made_count_[a], numbers_made_[a], rules_made_, largest_[a]};
  }
  void keep(size_t a, const MadeCursor& at) {
    made_count_[a] = at.count;
    numbers_made_[a] = at.numbers;
    rules_made_ = at.rules_made;
    largest_[a] = at.largest;
  }
  // Room for more rules in `made` (to its capacity, or twice its size).
  [[gnu::noinline]] static void make_room(MadeRules& made) {
    made.resize(std::max<size_t>({made.capacity(), 2 * made.size(), 64}));
  }
  Expected<void> make_name_rules(const ProfileSyscall& e, size_t index, const policy::SourceRef& src,
                                 size_t condition_sets, size_t a, size_t k, uint32_t stamp);
  Expected<void> too_many_rules() const;
  void note_multiplex_gap(size_t index, const std::string& name, const syscalls::MultiplexedCall* call, ArchId abi);

  // resolve_store.cc
  // The rules of number `nr` on ABI `a` (its chain from made_[a][head - 1])
  // into the policy, the common case aside (store_rules).
  Expected<void> store_number(size_t a, uint32_t nr, uint32_t head, std::vector<const MadeRule*>& kept);
  // fill_rule for a rule of an entry without conditions, not a twin.
  void fill_unconditional(const MadeRule& m, policy::Rule& r) const;
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
