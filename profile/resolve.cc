#include "profile/resolve.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <map>
#include <set>
#include <tuple>

#include "base/text.h"
#include "policy/operators.h"
#include "profile/errno_names.h"
#include "profile/rule_database.h"
#include "syscalls/arg_widths.h"
#include "syscalls/multiplex.h"
#include "syscalls/table.h"

namespace sysfence::profile {

using syscalls::ArchId;

std::span<const std::string_view> moby_arch_names(ArchId id) {
  // moby's goToNative map (GOARCH -> libseccomp spelling) plus the
  // spellings its nativeToSeccomp map and the profiles themselves use.
  static constexpr std::array<std::string_view, 1> kAmd64{"amd64"};
  static constexpr std::array<std::string_view, 1> kX86{"x86"};
  static constexpr std::array<std::string_view, 1> kX32{"x32"};
  static constexpr std::array<std::string_view, 1> kArm64{"arm64"};
  static constexpr std::array<std::string_view, 1> kArm{"arm"};
  static constexpr std::array<std::string_view, 1> kMips64{"mips64"};
  static constexpr std::array<std::string_view, 1> kMipsel64{"mipsel64"};
  static constexpr std::array<std::string_view, 1> kMips64n32{"mips64n32"};
  static constexpr std::array<std::string_view, 2> kMipsel64n32{"mips3l64n32", "mipsel64n32"};
  static constexpr std::array<std::string_view, 1> kMips{"mips"};
  static constexpr std::array<std::string_view, 2> kMipsel{"mipsel", "mipsle"};
  static constexpr std::array<std::string_view, 1> kPpc64le{"ppc64le"};
  static constexpr std::array<std::string_view, 1> kPpc64{"ppc64"};
  static constexpr std::array<std::string_view, 1> kPpc{"ppc"};
  static constexpr std::array<std::string_view, 1> kS390x{"s390x"};
  static constexpr std::array<std::string_view, 1> kS390{"s390"};
  static constexpr std::array<std::string_view, 1> kRiscv64{"riscv64"};
  static constexpr std::array<std::string_view, 2> kLoong{"loongarch64", "loong64"};
  switch (id) {
    case ArchId::kX86_64: return kAmd64;
    case ArchId::kI386: return kX86;
    case ArchId::kX32: return kX32;
    case ArchId::kAarch64: return kArm64;
    case ArchId::kArm: return kArm;
    case ArchId::kMips64: return kMips64;
    case ArchId::kMips64el: return kMipsel64;
    case ArchId::kMips64n32: return kMips64n32;
    case ArchId::kMipsel64n32: return kMipsel64n32;
    case ArchId::kMips: return kMips;
    case ArchId::kMipsel: return kMipsel;
    case ArchId::kPpc64le: return kPpc64le;
    case ArchId::kPpc64: return kPpc64;
    case ArchId::kPpc: return kPpc;
    case ArchId::kS390x: return kS390x;
    case ArchId::kS390: return kS390;
    case ArchId::kRiscv64: return kRiscv64;
    case ArchId::kLoongarch64: return kLoong;
    default: break;
  }
  // ABIs moby has no spelling for: their short name.
  static const auto short_names = [] {
    std::array<std::array<std::string_view, 1>, syscalls::kArchCount> n{};
    for (const auto& a : syscalls::all_arches()) n[static_cast<size_t>(a.id)][0] = a.name;
    return n;
  }();
  return short_names[static_cast<size_t>(id)];
}

namespace {

// Bits the kernel reads of argument `index` of syscall `nr` on `abi`: the
// generated entry-point data, or the ABI's register width where the entry
// point is unknown (newer than the kernel sources) or the kernel does not
// read the argument at all (the filter then compares whatever the register
// holds).
unsigned kernel_bits(ArchId abi, uint32_t nr, unsigned index) {
  if (auto info = syscalls::arg_info(abi, nr); info && info->known && index < info->count)
    return info->args[index].bits;
  return syscalls::register_bits(abi);
}

// "int family"; empty when nothing is known about the argument.
std::string arg_declaration(ArchId abi, uint32_t nr, unsigned index) {
  if (auto info = syscalls::arg_info(abi, nr); info && info->known && index < info->count) {
    const auto& a = info->args[index];
    const bool pointer = !a.type.empty() && a.type.back() == '*';
    return fmt::format("{}{}{}", a.type, pointer ? "" : " ", a.name);
  }
  return {};
}

}  // namespace

policy::ArgWidth condition_width(ArgWidthMode mode, ArchId abi, uint32_t nr, unsigned index) {
  // libseccomp builds an ABI it counts as 32-bit (Arch::word_bits: i386,
  // x32, arm, MIPS o32 and n32, ppc, s390, parisc) with one comparison of the
  // argument's low word against the operand truncated to 32 bits; only the
  // 64-bit ABIs compare all 64 bits.
  if (mode == ArgWidthMode::k64)
    return syscalls::arch(abi).word_bits <= 32 ? policy::ArgWidth::k32 : policy::ArgWidth::k64;
  return kernel_bits(abi, nr, index) <= 32 ? policy::ArgWidth::k32 : policy::ArgWidth::k64;
}

bool fits_in_bits(uint64_t value, unsigned bits) {
  if (bits == 0 || bits >= 64) return true;
  const uint64_t upper = value >> (bits - 1);  // the sign bit and everything above it
  const uint64_t all_ones = ~uint64_t{0} >> (bits - 1);
  return upper <= 1 || upper == all_ones;
}

namespace {

bool contains(const std::vector<std::string>& list, std::string_view s) {
  return std::find(list.begin(), list.end(), s) != list.end();
}

// The native arch's spelling that occurs in `list`, if any.
std::optional<std::string_view> native_in(const std::vector<std::string>& list, ArchId native) {
  for (auto n : moby_arch_names(native))
    if (contains(list, n)) return n;
  return std::nullopt;
}

std::string version_string(syscalls::KernelVersion v) { return fmt::format("{}.{}", v.major, v.minor); }

struct Dropped {
  FilterRule rule;
  std::string detail;
  std::string why;
};

// moby setupSeccomp: an entry is kept unless one of these says otherwise, in
// moby's order (excludes first, then includes).
std::optional<Dropped> moby_filter(const ProfileSyscall& e, const ResolveOptions& o) {
  const auto native_name = moby_arch_names(o.native)[0];
  // excludes.arches: dropped when the list holds the native arch.
  if (!e.excludes.arches.empty())
    if (auto n = native_in(e.excludes.arches, o.native))
      return Dropped{FilterRule::kExcludesArches, std::string(*n),
                     fmt::format("excludes.arches lists \"{}\" (the native arch)", *n)};
  // excludes.caps: dropped when any listed capability is present.
  for (const auto& c : e.excludes.caps)
    if (o.caps.contains(c))
      return Dropped{FilterRule::kExcludesCaps, c, fmt::format("excludes.caps: {} is in the capability set", c)};
  // excludes.minKernel: dropped when the kernel is at least that version.
  if (e.excludes.min_kernel && o.kernel >= *e.excludes.min_kernel)
    return Dropped{FilterRule::kExcludesMinKernel, version_string(*e.excludes.min_kernel),
                   fmt::format("excludes.minKernel: kernel {} is at least {}", version_string(o.kernel),
                               version_string(*e.excludes.min_kernel))};
  // includes.arches: dropped when non-empty and without the native arch.
  if (!e.includes.arches.empty() && !native_in(e.includes.arches, o.native))
    return Dropped{FilterRule::kIncludesArches, std::string(native_name),
                   fmt::format("includes.arches does not list \"{}\" (the native arch)", native_name)};
  // includes.caps: dropped when any listed capability is missing.
  for (const auto& c : e.includes.caps)
    if (!o.caps.contains(c))
      return Dropped{FilterRule::kIncludesCaps, c, fmt::format("includes.caps: {} is not in the capability set", c)};
  // includes.minKernel: dropped when the kernel is older ("X.Y" only; moby
  // ignores the patch level and distro suffixes).
  if (e.includes.min_kernel && o.kernel < *e.includes.min_kernel)
    return Dropped{FilterRule::kIncludesMinKernel, version_string(*e.includes.min_kernel),
                   fmt::format("includes.minKernel: kernel {} is older than {}", version_string(o.kernel),
                               version_string(*e.includes.min_kernel))};
  return std::nullopt;
}

// A set of pointers (open addressing, linear probing): one allocation per
// doubling instead of a tree node per element.
class PointerSet {
 public:
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
  Resolver(const Profile& p, const ResolveOptions& o) : p_(p), o_(o), db_(p, o.combination) {}

  Expected<Resolution> run() {
    // moby and runc: no defaultAction and no syscalls means "no seccomp at
    // all" — there is no filter to describe.
    if (!p_.default_action && p_.syscalls.empty())
      return fail(
          fmt::format("{}: the profile has neither defaultAction nor syscalls; Docker and runc run such a "
                      "container without seccomp, so there is no filter to build",
                      p_.source));
    // The reader guarantees a defaultAction whenever there are syscalls.
    const ProfileAction def = *p_.default_action;
    // runc: "SCMP_ACT_NOTIFY cannot be used as default action".
    if (def == ProfileAction::kNotify)
      return fail(
          fmt::format("{}:{}:{}: SCMP_ACT_NOTIFY cannot be the default action (runc refuses it: the "
                      "process could not even report the notification fd)",
                      p_.source, p_.pos.line, p_.pos.col));
    auto def_data = errno_data(def, p_.default_errno, p_.default_errno_ret, "defaultErrnoRet", p_.pos);
    if (!def_data) return fail(def_data.error().message);
    // runc getAction: KILL means KILL_THREAD; ERRNO and TRACE take
    // defaultErrnoRet, or EPERM without it.
    default_action_ = to_action(def, *def_data);
    if (auto r = check_errno_range(default_action_, p_.pos, "defaultErrnoRet", std::nullopt); !r)
      return fail(r.error().message);

    if (auto r = choose_arches(); !r) return fail(r.error().message);
    out_.policy.bad_arch_action = o_.bad_arch_action;
    out_.flags = p_.flags;
    out_.listener_path = p_.listener_path;
    for (ArchId a : arches_) {
      policy::ArchPolicy ap;
      ap.arch = a;
      ap.default_action = default_action_;
      ap.enosys_errno = enosys(o_.native);
      out_.policy.arches.push_back(std::move(ap));
    }
    unknown_.assign(arches_.size(), {});
    unknown_seen_.assign(arches_.size(), {});
    made_.assign(arches_.size(), {});
    number_stamps_.assign(arches_.size(), {});
    for (ArchId a : arches_) first_numbers_.push_back(syscalls::table(a).entries().front().nr);
    // An upper bound per ABI (one vector growth at most), capped so that the
    // reservations of all ABIs together stay within kMaxRules.
    size_t most_rules = 0;
    for (const ProfileSyscall& e : p_.syscalls) most_rules += e.names.size() * std::max<size_t>(1, e.args.size());
    for (auto& m : made_) m.reserve(std::min(most_rules, kMaxRules / arches_.size()));

    out_.entries.resize(p_.syscalls.size());
    for (size_t i = 0; i < p_.syscalls.size(); ++i)
      if (auto r = apply_entry(i); !r) return fail(r.error().message);

    if (auto r = store_rules(); !r) return fail(r.error().message);
    add_enosys_stub();
    report_unknown_names();
    for (Warning& w : name_warnings_) out_.warnings.push_back(std::move(w));
    for (Warning& w : errno_warnings_) out_.warnings.push_back(std::move(w));
    for (Warning& w : mask_warnings_) out_.warnings.push_back(std::move(w));
    for (Warning& w : db_.warnings) out_.warnings.push_back(std::move(w));
    for (std::string& n : db_.notes) out_.notes.push_back(std::move(n));
    report_width_warnings();
    return std::move(out_);
  }

 private:
  const Profile& p_;
  const ResolveOptions& o_;
  Resolution out_;
  Action default_action_;
  std::vector<ArchId> arches_;  // native first
  // Per arch: the names skipped there (the profile's strings), and their
  // NameNumbers as a set (one per distinct name).
  std::vector<std::vector<const std::string*>> unknown_;
  std::vector<PointerSet> unknown_seen_;
  // Per arch: the largest number any kept entry names (runc findLastSyscalls).
  std::vector<uint32_t> largest_;
  // Width warnings being collected: one per (entry, condition, name, bits,
  // constant), the ABIs where it applies appended as they are met.
  struct WidthKey {
    uint32_t entry;
    size_t arg;
    std::string name;
    unsigned bits;
    uint64_t constant;
  };
  std::vector<std::pair<WidthKey, Warning>> width_warnings_;
  // width_warnings_'s index by key: one lookup per (name, rule, condition)
  // however many warnings there are.
  std::map<std::tuple<uint32_t, size_t, std::string, unsigned, uint64_t>, size_t> width_index_;
  // Names no ABI knows and MASKED_EQ datums with bits outside the mask, in
  // profile order.
  std::vector<Warning> name_warnings_;
  std::set<std::string, std::less<>> warned_names_;
  std::vector<Warning> mask_warnings_;
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
  uint32_t stamp_ = 0;
  std::set<uint32_t> other_numbers_;  // the current stamp's numbers outside the slots
  static constexpr uint32_t kMaxStampSlots = 1u << 16;

  // Adds `nr` to the numbers of the current stamp on ABI `a`; false when it
  // was there already.
  bool add_entry_number(size_t a, uint32_t nr) {
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

  std::string where(SourcePos pos) const { return fmt::format("{}:{}:{}", p_.source, pos.line, pos.col); }

  // The 16-bit data of ERRNO/TRACE. containers-common's errno name wins over
  // the number (and is resolved with the native arch's errno table, as the
  // runtime would on that host); runc keeps the low 16 bits of errnoRet
  // (int16 conversion); without either, EPERM.
  Expected<uint16_t> errno_data(ProfileAction a, const std::string& name, std::optional<uint64_t> number,
                                std::string_view field, SourcePos pos) {
    if (a != ProfileAction::kErrno && a != ProfileAction::kTrace) return uint16_t{0};
    if (!name.empty()) {
      auto n = errno_number(name, o_.native);
      if (!n)
        return fail(fmt::format("{}: errno name {} does not exist on {}", where(pos), quote(name),
                                syscalls::arch(o_.native).name));
      return *n;
    }
    if (number) {
      if (*number > 0xffff)
        out_.notes.push_back(fmt::format("{}: {} {} does not fit in 16 bits; runc keeps the low 16 bits ({})",
                                         where(pos), field, *number, *number & 0xffff));
      return static_cast<uint16_t>(*number & 0xffff);
    }
    return eperm(o_.native);
  }

  // The ABIs of the filter, native first.
  //  - moby archMap: only the entry whose architecture is the native arch
  //    counts; it contributes that arch and its subArchitectures. No such
  //    entry: nothing (libseccomp then filters the native ABI only).
  //  - "architectures" (and OCI configs): the list as written.
  //  - libseccomp always includes the native ABI (seccomp_init), and runc's
  //    ENOSYS stub adds it too, so it is first whatever the lists say.
  Expected<void> choose_arches() {
    std::vector<std::string> listed;
    const auto& native = syscalls::arch(o_.native);
    if (p_.format == ProfileFormat::kDocker && !p_.arch_map.empty()) {
      bool found = false;
      for (const auto& m : p_.arch_map) {
        if (m.architecture == native.scmp_name) {
          listed.push_back(m.architecture);
          listed.insert(listed.end(), m.sub_architectures.begin(), m.sub_architectures.end());
          found = true;
          break;  // moby stops at the first match
        }
      }
      if (!found)
        out_.notes.push_back(fmt::format("{}: archMap has no entry for {}; only the native ABI is filtered", p_.source,
                                         native.scmp_name));
    } else {
      listed = p_.architectures;
    }
    arches_.push_back(o_.native);
    for (const auto& s : listed) {
      ArchId id = o_.native;
      if (s != "SCMP_ARCH_NATIVE") {
        const syscalls::Arch* a = nullptr;
        for (const auto& cand : syscalls::all_arches())
          if (cand.scmp_name == s) a = &cand;
        if (a == nullptr) return fail(fmt::format("{}: unknown architecture {}", p_.source, quote(s)));
        id = a->id;
      }
      if (std::find(arches_.begin(), arches_.end(), id) == arches_.end()) arches_.push_back(id);
    }
    largest_.assign(arches_.size(), 0);
    return {};
  }

  Expected<void> apply_entry(size_t index) {
    const ProfileSyscall& e = p_.syscalls[index];
    EntryOutcome& outcome = out_.entries[index];
    // moby's includes/excludes apply to Docker profiles only; an OCI config
    // goes to runc as it is.
    if (p_.format == ProfileFormat::kDocker) {
      if (auto dropped = moby_filter(e, o_)) {
        outcome.fate = EntryFate::kFiltered;
        outcome.filtered_by = dropped->rule;
        outcome.detail = std::move(dropped->detail);
        outcome.why = std::move(dropped->why);
        return {};
      }
    }
    auto data = errno_data(e.action, e.errno_name, e.errno_ret, "errnoRet", e.pos);
    if (!data) return fail(data.error().message);
    const Action action = to_action(e.action, *data);
    outcome.action = action;

    // runc (InitSeccomp): NOTIFY for write(2) would deadlock runc itself.
    if (e.action == ProfileAction::kNotify && contains(e.names, "write"))
      return fail(
          fmt::format("{}: SCMP_ACT_NOTIFY cannot be used for the write syscall (runc refuses it)", where(e.pos)));

    // runc findLastSyscalls: every name of every entry moby kept counts
    // towards the largest syscall number per ABI — whatever its action, even
    // when the rule itself is dropped below.
    note_largest(e);
    if (auto r = check_names(index); !r) return r;

    // runc matchCall: a rule whose action equals the default action is
    // redundant and skipped (compared with the errno/trace data included).
    if (action == default_action_) {
      outcome.fate = EntryFate::kSameAsDefault;
      return {};
    }
    outcome.fate = EntryFate::kApplied;
    if (auto r = check_errno_range(action, e.pos, "errnoRet", static_cast<uint32_t>(index)); !r) return r;
    check_masks(index);

    // runc matchCall: when one entry repeats an argument index, each
    // condition becomes a rule of its own (ORed) instead of one rule with
    // all of them ANDed.
    std::array<unsigned, 6> per_index{};
    for (const auto& a : e.args) per_index[a.index]++;
    const bool split = std::any_of(per_index.begin(), per_index.end(), [](unsigned n) { return n > 1; });
    outcome.split_repeated_index = split;

    // The rules' conditions: one set with every condition, or (split) one
    // set per condition; store_rules() builds them per ABI and syscall,
    // because their width is the kernel's width there.
    const size_t condition_sets = split ? e.args.size() : 1;

    policy::SourceRef src;
    src.file = p_.source;
    src.line = e.pos.line;
    src.col = e.pos.col;
    src.entry = static_cast<uint32_t>(index);
    src.comment = e.comment;
    src.split_repeated_index = split;

    return make_rules(e, index, src, condition_sets);
  }

  // runc findLastSyscalls: every name of every entry moby kept counts
  // towards the largest syscall number per ABI — whatever its action, even
  // when the rule itself is dropped below.
  // Each name is looked up once for all ABIs (the shared name index).
  // Each name is looked up once for all ABIs (the shared name index); the
  // numbers stay in name_numbers_ for check_names and make_rules.
  void note_largest(const ProfileSyscall& e) {
    name_numbers_.clear();
    name_calls_.clear();
    for (const auto& name : e.names) {
      name_numbers_.push_back(syscalls::numbers_by_name(name));
      name_calls_.push_back(syscalls::multiplexed_call(name));
    }
    for (size_t a = 0; a < arches_.size(); ++a) {
      for (const syscalls::NameNumbers* numbers : name_numbers_)
        if (numbers != nullptr)
          if (auto nr = numbers->on(arches_[a])) largest_[a] = std::max(largest_[a], *nr);
    }
  }

  // Each name is its own rule, on every ABI of the filter whose table knows
  // it; a name an ABI does not know is skipped there (libseccomp resolves
  // names per arch), never an error.
  // A name listed twice in one entry (or an alias of a name listed) makes
  // its rules once. Past kMaxRules rules the profile is refused here, before
  // the policy's rules take their memory.
  Expected<void> make_rules(const ProfileSyscall& e, size_t index, const policy::SourceRef& src,
                            size_t condition_sets) {
    for (size_t a = 0; a < arches_.size(); ++a) {
      const ArchId abi = arches_[a];
      std::vector<MadeRule>& made = made_[a];
      ++stamp_;
      other_numbers_.clear();
      for (size_t k = 0; k < e.names.size(); ++k) {
        const std::string& name = e.names[k];
        const std::optional<uint32_t> nr = name_numbers_[k] != nullptr ? name_numbers_[k]->on(abi) : std::nullopt;
        // socket/IPC calls also reach socketcall/ipc on some ABIs (multiplex.h).
        std::optional<MultiplexTarget> mux;
        if (const syscalls::MultiplexedCall* call = name_calls_[k])
          if (const auto mux_nr = syscalls::multiplexer_number(abi, call->via)) mux = MultiplexTarget{*mux_nr, call};
        const bool twin = mux && widens(o_.multiplex, !e.args.empty());
        if (mux && !twin) note_multiplex_gap(index, name, mux->call, abi);
        if (!nr && !twin) {
          // Names no ABI knows are warnings (check_names), not notes.
          if (name_numbers_[k] != nullptr && unknown_seen_[a].insert(name_numbers_[k])) unknown_[a].push_back(&name);
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

  Expected<void> too_many_rules() const {
    return fail(fmt::format(
        "{}: the profile makes more than {} rules (one per syscall name, ABI and condition set; {} ABI{} here): "
        "sysfence's limit, which bounds the memory a profile can take; list each syscall once per action and "
        "conditions",
        p_.source, kMaxRules, arches_.size(), arches_.size() == 1 ? "" : "s"));
  }

  // A rule with argument conditions on a socket/IPC call that `abi`'s
  // multiplexer reaches unchecked (kExact): one gap per entry and name.
  void note_multiplex_gap(size_t index, const std::string& name, const syscalls::MultiplexedCall* call, ArchId abi) {
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
  void sort_by_number(std::vector<MadeRule>& made) {
    if (made.empty()) return;
    const auto [lo, hi] =
        std::minmax_element(made.begin(), made.end(), [](const MadeRule& x, const MadeRule& y) { return x.nr < y.nr; });
    const size_t range = size_t{hi->nr} - lo->nr + 1;
    if (range > 4 * made.size() + 4096) {
      // seq is unique: creation order within each number.
      std::sort(made.begin(), made.end(),
                [](const MadeRule& x, const MadeRule& y) { return x.nr != y.nr ? x.nr < y.nr : x.seq < y.seq; });
      return;
    }
    const uint32_t base = lo->nr;
    std::vector<uint32_t> start(range + 1, 0);
    for (const MadeRule& m : made) ++start[m.nr - base + 1];
    for (size_t i = 1; i <= range; ++i) start[i] += start[i - 1];
    std::vector<MadeRule> sorted(made.size());
    for (const MadeRule& m : made) sorted[start[m.nr - base]++] = m;
    made.swap(sorted);
  }

  // The rules per syscall number, in the order apply_entry made them. Sorting
  // once and appending each number's list at the end of the (still empty)
  // map is linear, where one map lookup per rule walks the tree every time.
  // Two names of one entry can be one syscall (an alias such as arm's
  // sync_file_range2 = arm_sync_file_range, or a name listed twice): one rule
  // is enough, so a rule equal to an earlier one of the same entry and number
  // is dropped. A number's rules from one entry are adjacent (seq follows the
  // entries), and their conditions differ only where runc split the entry, by
  // the one condition each carries: the check is a set lookup, not a scan of
  // the number's rules (linear in the (name, rule) pairs, not quadratic).
  Expected<void> store_rules() {
    // An unsplit entry's rules on one number differ only by their
    // multiplexer call, of which there are a few dozen: a scan of the calls
    // kept, without the tree's allocation per rule.
    std::vector<const void*> run_vias;
    // The rules of the current entry kept so far on one number, for a split
    // entry: which multiplexer call (nullptr: the direct syscall) and which
    // condition.
    std::set<std::tuple<const void*, unsigned, policy::CmpOp, uint64_t, uint64_t>> run_seen;
    for (size_t a = 0; a < arches_.size(); ++a) {
      const ArchId abi = arches_[a];
      std::vector<MadeRule>& made = made_[a];
      sort_by_number(made);
      auto& rules = out_.policy.arches[a].rules;
      size_t numbers = 0;
      for (size_t x = 0; x < made.size(); ++x) numbers += x == 0 || made[x].nr != made[x - 1].nr ? 1 : 0;
      rules.reserve(numbers + 1);  // and add_enosys_stub's rule on 0
      for (size_t first = 0; first < made.size();) {
        const uint32_t nr = made[first].nr;
        size_t end = first;
        while (end < made.size() && made[end].nr == nr) ++end;
        std::vector<policy::Rule> list;
        list.reserve(end - first);
        uint32_t run_entry = 0;
        bool run_started = false;
        for (size_t x = first; x < end; ++x) {
          const MadeRule& m = made[x];
          const ProfileSyscall& e = p_.syscalls[m.entry];
          const EntryOutcome& outcome = out_.entries[m.entry];
          if (!run_started || m.entry != run_entry) {
            run_entry = m.entry;
            run_started = true;
            run_seen.clear();
            run_vias.clear();
          }
          const ProfileArg* split = outcome.split_repeated_index ? &e.args[m.set] : nullptr;
          bool fresh = false;
          if (split != nullptr) {
            fresh = run_seen.emplace(m.via, split->index, split->op, split->value, split->value_two).second;
          } else {
            fresh = std::find(run_vias.begin(), run_vias.end(), m.via) == run_vias.end();
            if (fresh) run_vias.push_back(m.via);
          }
          if (!fresh) continue;
          std::vector<policy::ArgCondition> conds;
          auto add_condition = [&](const ProfileArg& pa) {
            conds.push_back(policy::ArgCondition{static_cast<uint8_t>(pa.index), pa.op, pa.value, pa.value_two,
                                                 condition_width(o_.arg_width, abi, nr, pa.index)});
          };
          if (outcome.split_repeated_index) {
            add_condition(e.args[m.set]);
          } else {
            conds.reserve(e.args.size());
            for (const ProfileArg& pa : e.args) add_condition(pa);
          }
          if (m.via != nullptr)
            conds = multiplexer_conditions(o_.multiplex, *m.via, conds, condition_width(o_.arg_width, abi, nr, 0));
          list.push_back(
              policy::Rule{outcome.action, std::move(conds),
                           policy::SourceRef{p_.source, e.pos.line, m.entry, e.comment, outcome.split_repeated_index,
                                             e.pos.col, m.via != nullptr ? std::string(m.via->name) : std::string()}});
        }
        first = end;
        // One rule combines with nothing (combine would return it as is).
        if (list.size() < 2) {
          rules.emplace_hint(rules.end(), nr, std::move(list));
          continue;
        }
        auto combined = db_.combine(abi, nr, std::move(list));
        if (!combined) return fail(combined.error().message);
        rules.emplace_hint(rules.end(), nr, std::move(*combined));
      }
    }
    return {};
  }

  // ERRNO data above MAX_ERRNO (4095): the kernel answers -4095 instead
  // (kernel/seccomp.c clamps it), libseccomp refuses the action (EINVAL),
  // and runc with it the profile.
  // `entry`: the syscalls[] entry's index; nullopt for the default action.
  Expected<void> check_errno_range(Action action, SourcePos pos, std::string_view field,
                                   std::optional<uint32_t> entry) {
    static constexpr uint16_t kMaxErrno = 4095;
    if (action.kind != ActionKind::kErrno || action.data <= kMaxErrno) return {};
    const std::string what = entry ? fmt::format("syscalls[{}]", *entry) : std::string("the default action");
    const std::string head =
        fmt::format("{}: {}: {} {} is above 4095 (MAX_ERRNO)", where(pos), what, field, action.data);
    if (o_.combination == RuleCombination::kLibseccompDatabase)
      return fail(head + ": libseccomp refuses the action (EINVAL), so runc would refuse the profile");
    Warning w;
    w.kind = WarningKind::kErrnoRange;
    w.pos = pos;
    w.rule = policy::SourceRef{p_.source, pos.line, entry.value_or(0), {}, false, pos.col, {}};
    w.constant = action.data;
    w.message = head + ": the kernel answers errno 4095 instead; libseccomp, and so runc, refuses the profile";
    errno_warnings_.push_back(std::move(w));
    return {};
  }

  // runc patchbpf (generatePatch / findLastSyscalls / generateEnosysStub):
  // unless the default action is ALLOW, LOG or TRACE, a stub in front of the
  // filter answers ERRNO(ENOSYS) for every number above the largest one the
  // profile names on that ABI, so that programs probing for newer syscalls
  // fall back instead of failing with the default errno. Details kept:
  //  - the largest number counts every name moby kept, whatever its action;
  //  - an ABI whose largest number is 0 gets no stub;
  //  - x86_64 and x32 share AUDIT_ARCH_X86_64, each with its own maximum.
  //    runc's stub tells them apart by bit 30, evaluate() as libseccomp
  //    (x32 from 0x40000000 up, -1 x86_64's): with both ABIs in the filter
  //    every number the two split differently lies above both maxima, so
  //    the answer is ENOSYS either way; with x86_64 alone they differ on
  //    0x80000000..0xbfffffff (runc: ENOSYS, here the bad-arch action) and
  //    on -1 (runc: the default action, here ENOSYS);
  //  - on s390 and s390x, syscall 0 also answers ENOSYS: the kernel leaves
  //    an unknown "large" syscall number as 0 (the setup(2) multiplexer).
  // runc skips the stub when defaultErrnoRet "is ENOSYS"; a default of
  // ERRNO(ENOSYS) answers the same as the stub, so that is not modelled.
  void add_enosys_stub() {
    bool want;
    if (o_.unknown_syscalls) {
      want = *o_.unknown_syscalls == UnknownSyscalls::kEnosys;
    } else {
      const ActionKind k = default_action_.kind;
      want = k != ActionKind::kAllow && k != ActionKind::kLog && k != ActionKind::kTrace &&
             default_action_ != Action::Errno(enosys(o_.native));
    }
    if (!want) return;
    for (size_t a = 0; a < arches_.size(); ++a) {
      if (largest_[a] == 0) continue;
      policy::ArchPolicy& ap = out_.policy.arches[a];
      ap.enosys_above = largest_[a];
      if (arches_[a] == ArchId::kS390 || arches_[a] == ArchId::kS390x) {
        policy::SourceRef src;
        src.file = "(runc ENOSYS stub)";
        src.comment =
            "s390: an unknown syscall number reaches the filter as 0 (setup multiplexer); runc answers ENOSYS";
        auto& rules = ap.rules[0];
        if (rules.empty()) rules.push_back(policy::Rule{Action::Errno(ap.enosys_errno), {}, src});
      }
    }
  }

  // The names of syscalls[index] that no ABI's table knows (name_numbers_
  // holds nullptr for them): runc skips them silently, which hides typos.
  // One warning per distinct name, where it first appears; an error with
  // unknown_names_are_errors. Suggestions cost a scan of every ABI's names,
  // so only the first kMaxSuggestions names get one: a profile of thousands
  // of made-up names stays fast.
  Expected<void> check_names(size_t index) {
    static constexpr size_t kMaxSuggestions = 64;
    const ProfileSyscall& e = p_.syscalls[index];
    for (size_t k = 0; k < e.names.size(); ++k) {
      if (name_numbers_[k] != nullptr) continue;
      const std::string& name = e.names[k];
      if (!warned_names_.insert(name).second) continue;
      Warning w;
      w.kind = WarningKind::kUnknownName;
      w.rule = policy::SourceRef{p_.source, e.pos.line, static_cast<uint32_t>(index), e.comment, false, e.pos.col, {}};
      w.pos = e.pos;
      w.syscall = name;
      if (name_warnings_.size() < kMaxSuggestions)
        if (auto near = syscalls::nearest_known_name(name)) w.suggestion = std::string(*near);
      w.message = fmt::format("{}: unknown syscall {} (no architecture has it{})", where(e.pos), quote(name),
                              w.suggestion.empty() ? "" : fmt::format("; did you mean {}?", w.suggestion));
      if (o_.unknown_names_are_errors) return fail(w.message + " (--strict)");
      name_warnings_.push_back(std::move(w));
    }
    return {};
  }

  // MASKED_EQ conditions of syscalls[index] whose datum has bits outside the
  // mask: libseccomp drops them (operators.h), so the rule does not test what
  // it seems to. A deny rule written that way lets through what its author
  // meant to block; Docker's filter does the same, and so does sysfence's.
  void check_masks(size_t index) {
    const ProfileSyscall& e = p_.syscalls[index];
    for (const ProfileArg& pa : e.args) {
      if (pa.op != policy::CmpOp::kMaskedEq) continue;
      const uint64_t ignored = pa.value_two & ~pa.value;
      if (ignored == 0) continue;
      Warning w;
      w.kind = WarningKind::kMaskedDatum;
      w.rule = policy::SourceRef{p_.source, e.pos.line, static_cast<uint32_t>(index), e.comment, false, e.pos.col, {}};
      w.pos = pa.pos.line != 0 ? pa.pos : e.pos;
      for (const auto& n : e.names)
        w.syscall += (w.syscall.empty() ? "" : ", ") + one_line(std::string_view{n}.substr(0, 64));
      w.arg = static_cast<uint8_t>(pa.index);
      w.mask = pa.value;
      w.datum = pa.value_two;
      w.message = fmt::format(
          "{}: syscalls[{}]: {} argument {}: SCMP_CMP_MASKED_EQ datum {:#x} has bits outside the mask {:#x} ({:#x}); "
          "libseccomp, and so Docker, compares only datum & mask ({:#x})",
          where(w.pos), index, w.syscall, w.arg, w.datum, w.mask, ignored, policy::masked_datum(w.mask, w.datum));
      mask_warnings_.push_back(std::move(w));
    }
  }

  // Condition `j` of entry `e` for syscall `name` (number `nr`) on `abi`:
  // records a warning when an operand does not fit the argument's width.
  void check_width(const ProfileSyscall& e, const policy::SourceRef& src, size_t j, const std::string& name, ArchId abi,
                   uint32_t nr) {
    const ProfileArg& pa = e.args[j];
    const unsigned bits = kernel_bits(abi, nr, pa.index);
    if (bits >= 64) return;
    std::vector<uint64_t> operands{pa.value};
    if (pa.op == policy::CmpOp::kMaskedEq) operands.push_back(pa.value_two);
    for (uint64_t v : operands) {
      if (fits_in_bits(v, bits)) continue;
      const WidthKey key{src.entry, j, name, bits, v};
      const auto [slot, added] =
          width_index_.try_emplace(std::make_tuple(src.entry, j, name, bits, v), width_warnings_.size());
      if (added) {
        Warning w;
        w.kind = WarningKind::kWidth;
        w.rule = src;
        w.pos = pa.pos.line != 0 ? pa.pos : e.pos;
        w.syscall = name;
        w.arg = static_cast<uint8_t>(pa.index);
        w.arg_decl = arg_declaration(abi, nr, pa.index);
        w.bits = bits;
        w.constant = v;
        w.compared = condition_width(o_.arg_width, abi, nr, pa.index);
        width_warnings_.emplace_back(key, std::move(w));
      }
      std::vector<ArchId>& arches = width_warnings_[slot->second].second.arches;
      if (std::find(arches.begin(), arches.end(), abi) == arches.end()) arches.push_back(abi);
    }
  }

  void report_width_warnings() {
    for (auto& [key, w] : width_warnings_) {
      std::string abis;
      for (ArchId a : w.arches) abis += (abis.empty() ? "" : ", ") + std::string(syscalls::arch(a).name);
      const std::string decl = w.arg_decl.empty() ? "" : fmt::format(" ({})", w.arg_decl);
      const std::string consequence =
          w.compared == policy::ArgWidth::k32
              ? fmt::format("the filter compares only its low 32 bits ({:#x})", w.constant & 0xffffffffU)
              : std::string("the 64-bit comparison (--arg-width=64) tests bits the kernel ignores");
      w.message = fmt::format(
          "{}: syscalls[{}]: {} argument {}{} is {}-bit on {}: constant {:#x} does not fit "
          "the argument's width; {}",
          where(w.pos), w.rule.entry, w.syscall, w.arg, decl, w.bits, abis, w.constant, consequence);
      out_.warnings.push_back(std::move(w));
    }
  }

  void report_unknown_names() {
    for (size_t a = 0; a < arches_.size(); ++a) {
      if (unknown_[a].empty()) continue;
      const auto& arch = syscalls::arch(arches_[a]);
      std::string list;
      // Each is the spelling of a name in some ABI's table (numbers_by_name
      // found it): no control characters to escape.
      for (const std::string* n : unknown_[a]) {
        if (!list.empty()) list += ", ";
        list += std::string_view(*n).substr(0, 64);
      }
      out_.notes.push_back(fmt::format("{}: {} syscall name{} unknown to {} ({}) skipped: {}", p_.source,
                                       unknown_[a].size(), unknown_[a].size() == 1 ? "" : "s", arch.name,
                                       arch.scmp_name, list));
    }
  }
};

}  // namespace

Expected<Resolution> resolve(const Profile& profile, const ResolveOptions& options) {
  return Resolver(profile, options).run();
}

}  // namespace sysfence::profile
