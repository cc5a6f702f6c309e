#include "profile/resolve.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstring>

#include "base/text.h"
#include "profile/errno_names.h"
#include "profile/libseccomp_names.h"
#include "profile/resolver.h"
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
};

// moby setupSeccomp: an entry is kept unless one of these says otherwise, in
// moby's order (excludes first, then includes). EntryOutcome::why() says
// each in words.
std::optional<Dropped> moby_filter(const ProfileSyscall& e, const ResolveOptions& o) {
  const auto native_name = moby_arch_names(o.native)[0];
  // excludes.arches: dropped when the list holds the native arch.
  if (!e.excludes.arches.empty())
    if (auto n = native_in(e.excludes.arches, o.native)) return Dropped{FilterRule::kExcludesArches, std::string(*n)};
  // excludes.caps: dropped when any listed capability is present.
  for (const auto& c : e.excludes.caps)
    if (o.caps.contains(c)) return Dropped{FilterRule::kExcludesCaps, c};
  // excludes.minKernel: dropped when the kernel is at least that version.
  if (e.excludes.min_kernel && o.kernel >= *e.excludes.min_kernel)
    return Dropped{FilterRule::kExcludesMinKernel, version_string(*e.excludes.min_kernel)};
  // includes.arches: dropped when non-empty and without the native arch.
  if (!e.includes.arches.empty() && !native_in(e.includes.arches, o.native))
    return Dropped{FilterRule::kIncludesArches, std::string(native_name)};
  // includes.caps: dropped when any listed capability is missing.
  for (const auto& c : e.includes.caps)
    if (!o.caps.contains(c)) return Dropped{FilterRule::kIncludesCaps, c};
  // includes.minKernel: dropped when the kernel is older ("X.Y" only; moby
  // ignores the patch level and distro suffixes).
  if (e.includes.min_kernel && o.kernel < *e.includes.min_kernel)
    return Dropped{FilterRule::kIncludesMinKernel, version_string(*e.includes.min_kernel)};
  return std::nullopt;
}

}  // namespace

std::string EntryOutcome::why() const {
  switch (filtered_by) {
    case FilterRule::kNone: break;
    case FilterRule::kExcludesArches: return fmt::format("excludes.arches lists \"{}\" (the native arch)", detail);
    case FilterRule::kExcludesCaps: return fmt::format("excludes.caps: {} is in the capability set", detail);
    case FilterRule::kExcludesMinKernel:
      return fmt::format("excludes.minKernel: kernel {} is at least {}", version_string(kernel), detail);
    case FilterRule::kIncludesArches:
      return fmt::format("includes.arches does not list \"{}\" (the native arch)", detail);
    case FilterRule::kIncludesCaps: return fmt::format("includes.caps: {} is not in the capability set", detail);
    case FilterRule::kIncludesMinKernel:
      return fmt::format("includes.minKernel: kernel {} is older than {}", version_string(kernel), detail);
  }
  return {};
}

// The flags go to the installer as written. runc 1.1 and older (specconv
// SetupSeccomp) refuse any flag with "seccomp flags are not yet supported by
// runc"; 1.2.0 added them. Newer runc accepts the profile, so for runc this
// is a note, not an error.
void Resolver::keep_flags() {
  out_.flags = p_.flags;
  if (!o_.for_runc || p_.flags.empty()) return;
  out_.notes.push_back(fmt::format(
      "{}: flags {}: runc before 1.2.0 refuses the container (\"seccomp flags are not yet supported by runc\"); "
      "runc 1.2.0 and later install the filter with them",
      p_.source, fmt::join(p_.flags, ", ")));
}

std::string Resolver::where(SourcePos pos) const { return fmt::format("{}:{}:{}", p_.source, pos.line, pos.col); }

Expected<Resolution> Resolver::run() {
  // moby and runc: no defaultAction and no syscalls means "no seccomp at
  // all" — there is no filter to describe.
  if (!p_.default_action && p_.syscalls.empty()) {
    // At the empty defaultAction where there is one, else the seccomp object.
    const SourcePos at = p_.default_action_pos.line != 0 ? p_.default_action_pos : p_.pos;
    return fail(fmt::format(
        "{}: the profile has {} and no syscall rules; Docker and runc run such a container without seccomp, so "
        "there is no filter to build",
        at.line != 0 ? where(at) : p_.source,
        p_.default_action_pos.line != 0 ? "an empty defaultAction" : "no defaultAction"));
  }
  // The reader guarantees a defaultAction whenever there are syscalls.
  const ProfileAction def = *p_.default_action;
  // runc: "SCMP_ACT_NOTIFY cannot be used as default action".
  if (def == ProfileAction::kNotify)
    return fail(
        fmt::format("{}: SCMP_ACT_NOTIFY cannot be the default action (runc refuses it: the "
                    "process could not even report the notification fd)",
                    where(p_.default_action_pos.line != 0 ? p_.default_action_pos : p_.pos)));
  // Messages about the errno point at its value, else at the seccomp object.
  const SourcePos errno_pos = p_.default_errno_pos.line != 0 ? p_.default_errno_pos : p_.pos;
  auto def_data = errno_data(def, p_.default_errno, p_.default_errno_ret, "defaultErrnoRet", errno_pos, std::nullopt);
  if (!def_data) return fail(def_data.error().message);
  // runc getAction: KILL means KILL_THREAD; ERRNO and TRACE take
  // defaultErrnoRet, or EPERM without it.
  default_action_ = to_action(def, *def_data);
  db_.set_default_action(default_action_);
  if (auto r = check_errno_range(default_action_, errno_pos, "defaultErrnoRet", std::nullopt, true); !r)
    return fail(r.error().message);

  if (auto r = choose_arches(); !r) return fail(r.error().message);
  out_.policy.bad_arch_action = o_.bad_arch_action;
  if (auto r = check_bad_arch_errno(); !r) return fail(r.error().message);
  keep_flags();
  out_.listener_path = p_.listener_path;
  out_.policy.arches.reserve(arches_.size());
  first_numbers_.reserve(arches_.size());
  multiplexer_numbers_.reserve(arches_.size());
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
  made_count_.assign(arches_.size(), 0);
  number_heads_.assign(arches_.size(), {});
  multiplexer_stamps_.assign(arches_.size(), {});
  other_numbers_.assign(arches_.size(), {});
  numbers_made_.assign(arches_.size(), 0);
  for (size_t i = 0; i < arches_.size(); ++i) {
    const ArchId a = arches_[i];
    const auto entries = syscalls::table(a).entries();
    first_numbers_.push_back(entries.front().nr);
    // One slot per number of the table, sized once (number_head).
    NumberHeads& heads = number_heads_[i];
    heads.resize(std::min<size_t>(size_t{entries.back().nr} - entries.front().nr + 1, kMaxNumberSlots));
    std::memset(heads.data(), 0, heads.size() * sizeof(uint32_t));
    multiplexer_numbers_.push_back({syscalls::multiplexer_number(a, syscalls::Multiplexer::kSocketcall),
                                    syscalls::multiplexer_number(a, syscalls::Multiplexer::kIpc)});
  }
  // An upper bound per ABI (one vector growth at most), capped so that the
  // reservations of all ABIs together stay within kMaxRules.
  size_t most_rules = 0;
  size_t most_names = 0;  // in one entry
  for (const ProfileSyscall& e : p_.syscalls) {
    most_rules += e.names.size() * std::max<size_t>(1, e.args.size());
    most_names = std::max(most_names, e.names.size());
  }
  for (auto& m : made_) m.reserve(std::min(most_rules, kMaxRules / arches_.size()));
  // look_up_names' per-entry scratch, sized for the longest entry once.
  name_numbers_.reserve(most_names);
  name_calls_.reserve(most_names);

  out_.entries.resize(p_.syscalls.size());
  entry_parts_.resize(p_.syscalls.size());
  for (size_t i = 0; i < p_.syscalls.size(); ++i)
    if (auto r = apply_entry(i); !r) return fail(r.error().message);

  for (size_t a = 0; a < arches_.size(); ++a) made_[a].resize(made_count_[a]);
  if (auto r = store_rules(); !r) return fail(r.error().message);
  if (auto r = refuse_pseudo_conflicts(); !r) return fail(r.error().message);
  lose_number_loads();
  share_libseccomp_blocks();
  add_enosys_stub();
  note_libseccomp_skipped();
  report_unknown_names();
  const size_t warning_count = name_warnings_.size() + errno_warnings_.size() + mask_warnings_.size() +
                               filter_warnings_.size() + db_.warnings.size() + width_warnings_.size();
  // The conflict warnings, most of an argument-heavy profile's, are taken
  // whole where none comes before them (moved one by one, 100 of them cost
  // 57k instructions).
  if (out_.warnings.empty() && name_warnings_.empty() && errno_warnings_.empty() && mask_warnings_.empty() &&
      filter_warnings_.empty()) {
    out_.warnings = std::move(db_.warnings);
    db_.warnings.clear();
  }
  out_.warnings.reserve(warning_count);
  for (Warning& w : name_warnings_) out_.warnings.push_back(std::move(w));
  for (Warning& w : errno_warnings_) out_.warnings.push_back(std::move(w));
  for (Warning& w : mask_warnings_) out_.warnings.push_back(std::move(w));
  for (Warning& w : filter_warnings_) out_.warnings.push_back(std::move(w));
  for (Warning& w : db_.warnings) out_.warnings.push_back(std::move(w));
  for (std::string& n : db_.notes) out_.notes.push_back(std::move(n));
  // Before the resolution's own (libseccomp's filter as a whole: its
  // number load, its blocks shared across syscalls).
  out_.unmodelled_combination.insert(out_.unmodelled_combination.begin(), db_.unmodelled.begin(), db_.unmodelled.end());
  out_.filter_paths.insert(out_.filter_paths.begin(), db_.followed.begin(), db_.followed.end());
  report_width_warnings();
  return std::move(out_);
}

// The 16-bit data of ERRNO/TRACE. containers-common's errno name wins over
// the number (and is resolved with the native arch's errno table, as the
// runtime would on that host); runc keeps the low 16 bits of errnoRet
// (int16 conversion); without either, EPERM.
Expected<uint16_t> Resolver::errno_data(ProfileAction a, const std::string& name, std::optional<uint64_t> number,
                                        std::string_view field, SourcePos pos, std::optional<uint32_t> entry) {
  if (a != ProfileAction::kErrno && a != ProfileAction::kTrace) return uint16_t{0};
  if (!name.empty()) {
    auto n = errno_number(name, o_.native);
    if (!n)
      return fail(fmt::format("{}: errno name {} does not exist on {}", where(pos), quote(name),
                              syscalls::arch(o_.native).name));
    return *n;
  }
  if (number) {
    const auto low = static_cast<uint16_t>(*number & 0xffff);
    // A warning, not a note: the profile means another errno than the
    // filter returns, and where the low bits are 0 the call is skipped and
    // returns 0, as if it succeeded.
    if (*number > 0xffff)
      warn_errno(pos, entry, *number,
                 fmt::format("{}: {}: {} {} does not fit in 16 bits; runc keeps the low 16 bits ({}){}", where(pos),
                             errno_owner(entry), field, *number, low,
                             low == 0 ? ": ERRNO(0) skips the call, which returns 0 as if it succeeded" : ""));
    else if (*number == 0 && a == ProfileAction::kErrno)
      warn_errno(pos, entry, 0,
                 fmt::format("{}: {}: {} 0: ERRNO(0) skips the call, which returns 0 as if it succeeded (a denial "
                             "the program cannot see)",
                             where(pos), errno_owner(entry), field));
    return low;
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
Expected<void> Resolver::choose_arches() {
  // Views of the profile's spellings (SCMP_ARCH_X86_64 is too long for a
  // string to hold without an allocation).
  std::vector<std::string_view> listed;
  const auto& native = syscalls::arch(o_.native);
  if (p_.format == ProfileFormat::kDocker && !p_.arch_map.empty()) {
    bool found = false;
    for (const auto& m : p_.arch_map) {
      if (m.architecture == native.scmp_name) {
        listed.reserve(m.sub_architectures.size() + 1);
        listed.push_back(m.architecture);
        listed.insert(listed.end(), m.sub_architectures.begin(), m.sub_architectures.end());
        found = true;
        break;  // moby stops at the first match
      }
    }
    if (!found)
      out_.notes.push_back(
          fmt::format("{}: archMap has no entry for {}; only the native ABI is filtered", p_.source, native.scmp_name));
  } else {
    listed.assign(p_.architectures.begin(), p_.architectures.end());
  }
  arches_.reserve(listed.size() + 1);
  arches_.push_back(o_.native);
  listed_.assign(1, false);
  for (const auto& s : listed) {
    ArchId id = o_.native;
    if (s != "SCMP_ARCH_NATIVE") {
      const syscalls::Arch* a = nullptr;
      for (const auto& cand : syscalls::all_arches())
        if (cand.scmp_name == s) a = &cand;
      if (a == nullptr) return fail(fmt::format("{}: unknown architecture {}", p_.source, quote(s)));
      id = a->id;
    }
    const auto at = std::find(arches_.begin(), arches_.end(), id);
    if (at == arches_.end()) {
      arches_.push_back(id);
      listed_.push_back(true);
    } else {
      listed_[static_cast<size_t>(at - arches_.begin())] = true;
    }
  }
  largest_.assign(arches_.size(), 0);
  libseccomp_skipped_.assign(arches_.size(), {});
  pseudo_rules_.assign(arches_.size(), {});
  return {};
}

Expected<void> Resolver::apply_entry(size_t index) {
  const ProfileSyscall& e = p_.syscalls[index];
  EntryOutcome& outcome = out_.entries[index];
  // moby's includes/excludes apply to Docker profiles only; an OCI config
  // goes to runc as it is.
  if (p_.format == ProfileFormat::kDocker) {
    check_filter_values(index);
    if (auto dropped = moby_filter(e, o_)) {
      outcome.fate = EntryFate::kFiltered;
      outcome.filtered_by = dropped->rule;
      outcome.detail = std::move(dropped->detail);
      outcome.kernel = o_.kernel;
      return {};
    }
  }
  if (e.name_and_names)
    return fail(
        fmt::format(R"({}: syscalls[{}]: both "name" and "names" are set; use one of them (moby refuses the profile))",
                    where(e.pos), index));
  auto data = errno_data(e.action, e.errno_name, e.errno_ret, "errnoRet", e.pos, static_cast<uint32_t>(index));
  if (!data) return fail(data.error().message);
  const Action action = to_action(e.action, *data);
  outcome.action = action;

  // runc (InitSeccomp): NOTIFY for write(2) would deadlock runc itself.
  if (e.action == ProfileAction::kNotify && contains(e.names, "write"))
    return fail(
        fmt::format("{}: SCMP_ACT_NOTIFY cannot be used for the write syscall (runc refuses it)", where(e.pos)));

  look_up_names(e);
  if (auto r = check_names(index); !r) return r;

  // runc findLastSyscalls: every name of every entry moby kept counts
  // towards the largest syscall number per ABI — whatever its action, even
  // when the rule itself is dropped below. make_rules counts them for the
  // entries it makes rules of (on its way over the names and ABIs).
  // runc matchCall: a rule whose action equals the default action is
  // redundant and skipped (compared with the errno/trace data included).
  if (action == default_action_) {
    note_largest(e);
    outcome.fate = EntryFate::kSameAsDefault;
    return {};
  }
  outcome.fate = EntryFate::kApplied;
  // runc resolves each name on the host before libseccomp sees the action
  // (matchCall): an entry none of whose names resolves is skipped whole,
  // its errno never checked.
  // (look_up_names looked them up.)
  bool reaches_libseccomp = false;
  for (size_t k = 0; k < e.names.size() && !reaches_libseccomp; ++k)
    reaches_libseccomp = name_numbers_[k] != nullptr && libseccomp_knows(o_.native, e.names[k]);
  if (auto r = check_errno_range(action, e.pos, "errnoRet", static_cast<uint32_t>(index), reaches_libseccomp); !r)
    return r;
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
  src.file = source_;
  src.line = e.pos.line;
  src.col = e.pos.col;
  src.entry = static_cast<uint32_t>(index);
  src.comment = e.comment;
  src.split_repeated_index = split;

  entry_parts_[index] =
      EntryRuleParts{action, split, e.args.empty(), e.pos.line, e.pos.col, e.comment.empty() ? nullptr : &e.comment};
  return make_rules(e, index, src, condition_sets);
}

// runc patchbpf (generatePatch / findLastSyscalls / generateEnosysStub):
// unless the default action is ALLOW, LOG or TRACE, a stub in front of the
// filter answers ERRNO(ENOSYS) for every number above the largest one the
// profile names on that ABI, so that programs probing for newer syscalls
// fall back instead of failing with the default errno. Details kept:
//  - only the ABIs the profile lists get a stub (runc's findLastSyscalls
//    loops over the config's architectures): none without "architectures"
//    (or a native archMap entry), and the native ABI, which libseccomp
//    always filters, only when listed — sysfence's own --unknown-syscalls
//    enosys stubs every ABI of the filter;
//  - the largest number counts every name moby kept, whatever its action;
//  - an ABI whose largest number is 0 gets no stub;
//  - x86_64 and x32 share AUDIT_ARCH_X86_64, each with its own maximum;
//    runc's stub tells them apart by bit 30, and so does policy::evaluate
//    (every command): with x86_64 listed alone, 0x80000000..0xbfffffff
//    answer ENOSYS and -1 the filter's default, with x32 alone the reverse;
//  - with libseccomp's view of the socket and IPC calls, a name counts with
//    libseccomp's number for it (note_largest), which leaves out their
//    pseudo numbers; rules above the stub are dropped (drop_rules_above_stub);
//  - on s390 and s390x, syscall 0 also answers ENOSYS: the kernel leaves
//    an unknown "large" syscall number as 0 (the setup(2) multiplexer).
// runc skips the stub when defaultErrnoRet "is ENOSYS"; a default of
// ERRNO(ENOSYS) answers the same as the stub, so that is not modelled.
void Resolver::add_enosys_stub() {
  bool want;
  if (o_.unknown_syscalls) {
    want = *o_.unknown_syscalls == UnknownSyscalls::kEnosys;
  } else {
    const ActionKind k = default_action_.kind;
    want = k != ActionKind::kAllow && k != ActionKind::kLog && k != ActionKind::kTrace &&
           default_action_ != Action::Errno(enosys(o_.native));
  }
  if (!want) return;
  const bool runc_choice = !o_.unknown_syscalls;
  std::vector<std::string_view> unlisted;
  for (size_t a = 0; a < arches_.size(); ++a) {
    if (largest_[a] == 0) continue;
    if (runc_choice && !listed_[a]) {
      unlisted.push_back(syscalls::arch(arches_[a]).name);
      out_.without_enosys_stub.push_back(arches_[a]);
      continue;
    }
    policy::ArchPolicy& ap = out_.policy.arches[a];
    ap.enosys_above = largest_[a];
    drop_rules_above_stub(ap);
    if (arches_[a] == ArchId::kS390 || arches_[a] == ArchId::kS390x) {
      policy::SourceRef src;
      src.file = "(runc ENOSYS stub)";
      src.comment = "s390: an unknown syscall number reaches the filter as 0 (setup multiplexer); runc answers ENOSYS";
      auto& rules = ap.rules[0];
      if (rules.empty()) rules.push_back(policy::Rule{Action::Errno(ap.enosys_errno), {}, src});
    }
  }
  if (!unlisted.empty())
    out_.notes.push_back(fmt::format(
        "{}: runc's ENOSYS stub covers only the architectures the profile lists, so on {} syscalls newer than the "
        "profile get the default action, as Docker and runc answer them (--unknown-syscalls enosys answers them "
        "ENOSYS)",
        p_.source, fmt::join(unlisted, ", ")));
}

// runc's stub runs before the filter: a rule on a number above its
// threshold never applies. Only libseccomp's numbers put one there (the
// socket and IPC calls on the ABIs that multiplex them, and the multiplexers
// their rules are rewritten onto, above a small profile's largest number);
// every number the profile names itself is at most the largest.
void Resolver::drop_rules_above_stub(policy::ArchPolicy& ap) {
  const uint32_t above = *ap.enosys_above;
  // The map is in number order: the rules above are its tail (a search,
  // where a walk over every number cost ~6k instructions per resolution).
  const auto first_above = ap.rules.upper_bound(above);
  if (first_above == ap.rules.end()) return;
  std::vector<std::string> dropped;
  for (auto it = first_above; it != ap.rules.end(); ++it) {
    const auto name = syscalls::table(ap.arch).name(it->first);
    dropped.push_back(name ? std::string(*name) : fmt::format("nr {}", it->first));
  }
  for (size_t k = 0; k < dropped.size(); ++k) ap.rules.erase(ap.rules.end() - 1);
  const auto largest = syscalls::table(ap.arch).name(above);
  out_.notes.push_back(fmt::format(
      "{}: on {}, runc's ENOSYS stub answers every syscall number above {} ({}) before the filter runs, so the "
      "rules for {} never apply (libseccomp gives the socket and IPC calls pseudo numbers there, which the stub "
      "does not count)",
      p_.source, syscalls::arch(ap.arch).name, above, largest ? *largest : "?", fmt::join(dropped, ", ")));
}

Expected<Resolution> resolve(const Profile& profile, const ResolveOptions& options) {
  return Resolver(profile, options).run();
}

}  // namespace sysfence::profile
