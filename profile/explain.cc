#include "profile/explain.h"

#include <fmt/format.h>

#include <algorithm>

#include "policy/operators.h"
#include "policy/overlap.h"
#include "profile/builtin.h"
#include "profile/explain_parts.h"
#include "syscalls/compat.h"
#include "syscalls/filter_support.h"
#include "syscalls/table.h"

namespace sysfence::profile {

using explain_parts::absent_from_filter;
using explain_parts::compat_abis_text;
using explain_parts::multiplexer_text;
using explain_parts::number;
using explain_parts::other_abis_text;
using explain_parts::route_text;
using explain_parts::rule_source;
using explain_parts::Subject;
using explain_parts::where;
using syscalls::ArchId;

namespace {

// What an action does to the calling program, in a few words.
std::string_view consequence(Action a) {
  switch (a.kind) {
    case ActionKind::kKillProcess: return "blocked: the whole process is killed";
    case ActionKind::kKillThread: return "blocked: the calling thread is killed";
    case ActionKind::kTrap: return "blocked: the thread gets SIGSYS";
    case ActionKind::kErrno:
      // SECCOMP_RET_ERRNO with errno 0 returns 0 without running the call.
      if (a.data == 0) return "skipped: the kernel never runs the call, which returns 0 as if it succeeded";
      return "blocked: the call fails with this errno, the kernel never runs it";
    case ActionKind::kUserNotif: return "sent to the user-space supervisor (seccomp notify) to decide";
    case ActionKind::kTrace: return "handed to the ptrace tracer (fails with ENOSYS without one)";
    case ActionKind::kLog: return "allowed, and logged";
    case ActionKind::kAllow: return "allowed";
  }
  return "";
}

bool is_blocking(Action a) { return a.kind != ActionKind::kAllow && a.kind != ActionKind::kLog; }
std::string conditions_text(std::string_view syscall, const std::vector<policy::ArgCondition>& conds) {
  std::string out;
  for (const auto& c : conds) out += (out.empty() ? "" : " && ") + describe_condition(syscall, c);
  return out;
}

std::string default_action_text(const Profile& p) {
  std::string out = fmt::format("defaultAction {}", p.default_action ? to_string(*p.default_action) : "(none)");
  if (!p.default_errno.empty()) out += fmt::format(", defaultErrno {}", p.default_errno);
  else if (p.default_errno_ret) out += fmt::format(", defaultErrnoRet {}", *p.default_errno_ret);
  return out;
}

std::string caps_text(const CapSet& caps) {
  if (caps == docker_default_caps()) return "docker-default (Docker's 14 default capabilities)";
  if (caps == all_caps()) return "all";
  if (caps.empty()) return "none";
  std::string out;
  for (const auto& c : caps) out += (out.empty() ? "" : ",") + c;
  return out;
}

// A name some ABI's table has but none of the filter's (fcntl64 on x86_64):
// libseccomp resolves names per ABI, so the profile's rules for it are
// skipped here. Said quietly, as resolution's notes do; not an error.
std::string explain_absent_name(const Profile& profile, const policy::Policy& policy, std::string_view name,
                                const syscalls::NameNumbers& numbers) {
  std::string filter_abis;
  for (const auto& ap : policy.arches)
    filter_abis += (filter_abis.empty() ? "" : ", ") + std::string(syscalls::arch(ap.arch).name);
  std::string other_abis;
  for (const auto& a : syscalls::all_arches())
    if (numbers.on(a.id)) other_abis += (other_abis.empty() ? "" : ", ") + std::string(a.name);
  std::string out = fmt::format("{}: no ABI of this filter ({}) has this syscall; {} {}.\n", name, filter_abis,
                                "it exists on", other_abis);
  out += fmt::format("\nprofile entries naming {}:\n", name);
  size_t listed = 0;
  for (size_t i = 0; i < profile.syscalls.size(); ++i) {
    const ProfileSyscall& e = profile.syscalls[i];
    if (std::find(e.names.begin(), e.names.end(), name) == e.names.end()) continue;
    ++listed;
    out += fmt::format("  {}: {}\n      -> skipped on {}: no such syscall there (libseccomp resolves names per ABI)\n",
                       where(profile, e, i), to_string(e.action), filter_abis);
  }
  if (listed == 0) out += "  (none)\n";
  return out;
}

// The decision when no argument changes it, and what decides it.
std::string constant_decision_text(const Profile& profile, syscalls::ArchId abi, const SyscallVerdict& v,
                                   std::string_view shown) {
  std::string out;
  out += fmt::format("decision: {}\n", describe_action(v.action, abi));
  out += fmt::format("  {}.\n", consequence(v.action));
  switch (v.why) {
    case SyscallVerdict::Why::kRule: {
      out += fmt::format("  decided by the rule from {}", rule_source(v.floor->source));
      if (!v.floor->source.comment.empty()) out += fmt::format(" — \"{}\"", v.floor->source.comment);
      out += ".\n";
      break;
    }
    case SyscallVerdict::Why::kDefault:
      out += fmt::format("  No rule applies to {}, so the default action decides ({}).\n", shown,
                         default_action_text(profile));
      break;
    case SyscallVerdict::Why::kEnosys:
      out += fmt::format(
          "  No rule names it and it is above {}, the largest syscall number the profile names on {}: runc's\n"
          "  stub answers ENOSYS for such newer syscalls so that programs fall back to older ones.\n",
          *v.stub->enosys_above, syscalls::arch(v.stub->arch).name);
      // runc's stub tells x86_64 from x32 by bit 30 alone, not by the
      // filter's split (0x80000000..0xbfffffff are x32's, bit 30 clear).
      if (v.stub->arch != abi)
        out += fmt::format("  (The stub tells x86_64 from x32 by bit 30 of the number alone: {} here.)\n",
                           v.stub->arch == syscalls::ArchId::kX32 ? "set" : "clear");
      break;
    case SyscallVerdict::Why::kBadArch:
      out += fmt::format(
          "  The filter has no {} ABI, so its answer for the ABIs it does not cover (--bad-arch) decides.\n",
          syscalls::arch(abi).name);
      break;
  }
  return out;
}

// The decision when arguments change it: each deciding rule, then the answer
// otherwise.
std::string conditional_decision_text(const Profile& profile, syscalls::ArchId abi, const SyscallVerdict& v,
                                      std::string_view name) {
  std::vector<size_t> arg_indexes;
  for (const policy::Rule* r : v.deciding)
    for (const auto& c : r->conditions)
      if (std::find(arg_indexes.begin(), arg_indexes.end(), c.index) == arg_indexes.end())
        arg_indexes.push_back(c.index);
  std::sort(arg_indexes.begin(), arg_indexes.end());
  std::string args;
  for (size_t i : arg_indexes) args += (args.empty() ? "" : ", ") + fmt::format("arg{}", i);
  std::string out = fmt::format("decision: depends on the arguments ({})\n", args);
  bool split_note = false;
  bool several_actions = false;
  for (const policy::Rule* r : v.deciding) several_actions = several_actions || !(r->action == v.deciding[0]->action);
  for (const policy::Rule* r : v.deciding) {
    out += fmt::format("  {:<16} if {}\n  {:<16}    from {}\n", describe_action(r->action, abi),
                       conditions_text(name, r->conditions), "", rule_source(r->source));
    split_note = split_note || r->source.split_repeated_index;
  }
  if (v.floor != nullptr)
    out += fmt::format("  otherwise {}: the unconditional rule from {}\n", describe_action(v.action, abi),
                       rule_source(v.floor->source));
  else
    out += fmt::format("  otherwise {}: the default action ({})\n", describe_action(v.action, abi),
                       default_action_text(profile));
  out += "  Each line is its own rule; a call matching any of them gets that rule's action";
  out += several_actions ? " (the most restrictive one when several match).\n" : ".\n";
  if (split_note)
    out +=
        "  Note: an entry above repeats an argument index, so (as runc does) each of its conditions became a\n"
        "  rule of its own: they are ORed, not ANDed.\n";
  return out;
}

// What resolution made of one profile entry.
// `matches_nothing`: the entry is in force but no call matches it.
std::string entry_fate_text(const EntryOutcome& o, bool matches_nothing) {
  switch (o.fate) {
    case EntryFate::kApplied:
      return fmt::format("      -> applied{}{}\n",
                         o.split_repeated_index ? ", one rule per condition (it repeats an argument index)" : "",
                         matches_nothing ? " (it matches no call)" : "");
    case EntryFate::kFiltered: {
      std::string out = fmt::format("      -> not applied: {}\n", o.why());
      if (o.filtered_by == FilterRule::kIncludesCaps)
        out += fmt::format("         (it applies when the container has {}: --caps docker-default,{})\n", o.detail,
                           o.detail);
      else if (o.filtered_by == FilterRule::kExcludesCaps)
        out += fmt::format("         (it applies when the container lacks {})\n", o.detail);
      return out;
    }
    case EntryFate::kSameAsDefault:
      return "      -> no rule: its action equals the default action (runc drops such rules)\n";
  }
  return "";
}

// The other entries whose rules for `name` match an input entry `i`'s rules
// match too, with another action (the kRuleConflict warnings).
std::string conflicts_text(const Resolution& res, size_t i, std::string_view name) {
  std::string out;
  for (const Warning& w : res.warnings) {
    if (w.kind != WarningKind::kRuleConflict || w.syscall != name) continue;
    if (w.rule.entry != i && w.other.entry != i) continue;
    const bool first = w.rule.entry == i;
    const policy::SourceRef& peer = first ? w.other : w.rule;
    const SourcePos peer_pos = first ? w.other_pos : w.pos;
    out += fmt::format(
        "      conflict: {} {}:{}:{} (syscalls[{}]) matches the same input with another action; sysfence answers {} "
        "there, libseccomp (runc, Docker, Podman) {}\n",
        first ? "the later entry" : "the earlier entry", peer.file, peer_pos.line, peer_pos.col, peer.entry,
        to_string(w.most_restrictive),
        w.libseccomp_refuses      ? std::string("refuses the profile")
        : w.libseccomp_unmodelled ? std::string("decides by its rule tree there, which sysfence does not model")
                                  : "answers " + to_string(w.libseccomp));
  }
  return out;
}

// The conditions of entry `e` as written, each --arg-width abi decides on
// `arch` (a 32-bit argument and a constant no 32-bit value reaches) marked
// with that decision: the policy holds the rule without them, or not at all.
// `never`: set when one never holds.
std::string written_conditions_text(const ProfileSyscall& e, ArgWidthMode mode, ArchId arch, uint32_t nr,
                                    std::string_view name, bool& never) {
  std::string out;
  for (const auto& a : e.args) {
    const policy::ArgCondition c{static_cast<uint8_t>(a.index), a.op, a.value, a.value_two, policy::ArgWidth::k64};
    out += (out.empty() ? "" : " && ") + describe_condition(name, c);
    if (mode != ArgWidthMode::kAbi || condition_width(mode, arch, nr, a.index) != policy::ArgWidth::k32) continue;
    switch (narrow_reading(a.op, a.value, a.value_two)) {
      case NarrowReading::kLowWord: break;
      case NarrowReading::kNever:
        out += fmt::format(" [never: arg{} is 32-bit]", a.index);
        never = true;
        break;
      case NarrowReading::kAlways: out += fmt::format(" [always: arg{} is 32-bit]", a.index); break;
    }
  }
  return out;
}

// The profile entries that name syscall `nr` of `arch`, and their fate.
// Whether entry `e`'s rules match no call of number `nr` on `arch`: its
// conditions, each read as the resolution reads it (--arg-width abi decides
// some on 32-bit arguments outright), never hold together (or, where runc
// split the entry, none holds alone).
bool matches_no_call(const ProfileSyscall& e, bool split, ArgWidthMode mode, ArchId arch, uint32_t nr) {
  std::vector<policy::ArgCondition> conditions;
  bool some_never = false;   // a condition no value satisfies as the kernel reads it
  bool some_always = false;  // one every value satisfies
  for (const auto& a : e.args) {
    const policy::ArgWidth width = condition_width(mode, arch, nr, a.index);
    if (mode == ArgWidthMode::kAbi && width == policy::ArgWidth::k32) {
      const NarrowReading reading = narrow_reading(a.op, a.value, a.value_two);
      some_never = some_never || reading == NarrowReading::kNever;
      some_always = some_always || reading == NarrowReading::kAlways;
      if (reading != NarrowReading::kLowWord) continue;
    }
    conditions.push_back(policy::ArgCondition{static_cast<uint8_t>(a.index), a.op, a.value, a.value_two, width});
  }
  if (!split) return some_never || !policy::common_input(conditions, {});
  if (some_always) return false;
  return std::none_of(conditions.begin(), conditions.end(), [](const policy::ArgCondition& c) {
    return policy::common_input(std::span<const policy::ArgCondition>(&c, 1), {}).has_value();
  });
}

std::string entries_text(const Profile& profile, const Resolution& res, ArgWidthMode mode, ArchId arch, uint32_t nr,
                         std::string_view name, std::string_view shown) {
  std::string out = fmt::format("\nprofile entries naming {}:\n", shown);
  const auto& table = syscalls::table(arch);
  size_t listed = 0;
  for (size_t i = 0; i < profile.syscalls.size(); ++i) {
    const ProfileSyscall& e = profile.syscalls[i];
    bool names_it = false;
    for (const auto& n : e.names) names_it = names_it || (table.number(n) == std::optional<uint32_t>(nr));
    if (!names_it) continue;
    ++listed;
    std::string what = std::string(to_string(e.action));
    if (e.errno_ret) what += fmt::format(" errnoRet {}", *e.errno_ret);
    if (!e.errno_name.empty()) what += fmt::format(" errno {}", e.errno_name);
    if (e.names.size() > 1) what += fmt::format(", one of {} names", e.names.size());
    out += fmt::format("  {}: {}\n", where(profile, e, i), what);
    bool never = false;
    if (!e.args.empty()) out += fmt::format("      args: {}\n", written_conditions_text(e, mode, arch, nr, name, never));
    const EntryOutcome& fate = res.entries[i];
    const bool applied = fate.fate == EntryFate::kApplied;
    // Where runc split the entry, each condition is a rule of its own.
    const bool never_32 = never && applied && !fate.split_repeated_index;
    const bool matches_nothing = applied && !e.args.empty() && matches_no_call(e, fate.split_repeated_index, mode, arch, nr);
    if (never_32)
      out += fmt::format(
          "      matches no call on {}: the kernel reads that argument as 32 bits, and no 32-bit value satisfies the "
          "condition (--arg-width 64 compares all 64 bits, as libseccomp does)\n",
          syscalls::arch(arch).name);
    else if (matches_nothing)
      out += fmt::format("      matches no call on {}: no argument values satisfy {}\n", syscalls::arch(arch).name,
                         fate.split_repeated_index ? "any one of its conditions" : "its conditions together");
    if (!e.comment.empty()) out += fmt::format("      comment: {}\n", e.comment);
    for (const Warning& w : res.warnings) {
      if (w.kind != WarningKind::kMaskedDatum || w.rule.entry != i) continue;
      out += fmt::format(
          "      warning: arg{}: the SCMP_CMP_MASKED_EQ datum 0x{:x} has bits outside the mask 0x{:x}; only datum & "
          "mask (0x{:x}) is compared, as libseccomp and Docker do\n",
          w.arg, w.datum, w.mask, policy::masked_datum(w.mask, w.datum));
    }
    out += conflicts_text(res, i, name);
    out += entry_fate_text(fate, matches_nothing);
  }
  if (listed == 0) out += "  (none)\n";
  return out;
}

}  // namespace

namespace {

// The first lines: the syscall, its ABI and number, and what it was resolved for.
std::string heading_text(const Profile& profile, const policy::Policy& policy, const ResolveOptions& opts,
                         const Subject& s, std::string_view shown) {
  const auto& arch = syscalls::arch(s.abi);
  std::string out;
  if (s.routed)
    out += fmt::format("{} {} (0x{:x} on AUDIT_ARCH_X86_64): {}'s syscall number {}, not {}'s\n  {}\n", arch.name,
                       shown, s.nr, arch.name, number(s.nr), syscalls::arch(opts.native).name, route_text(s));
  else
    out += fmt::format("{} on {} ({}, AUDIT_ARCH 0x{:08x}): syscall number {}\n", shown, arch.name, arch.scmp_name,
                       arch.audit_arch, number(s.nr));
  out += fmt::format("profile {}; resolved for {} with capabilities {} and kernel {}.{}\n", profile.source,
                     syscalls::arch(opts.native).name, caps_text(opts.caps), opts.kernel.major, opts.kernel.minor);
  std::string abis;
  for (const auto& ap : policy.arches) abis += (abis.empty() ? "" : ", ") + std::string(syscalls::arch(ap.arch).name);
  out += fmt::format("ABIs in this filter: {}\n\n", abis);
  return out;
}

// What follows the decision for a syscall of an ABI the filter has: the
// profile's entries, the other routes to the same operation, the target
// kernel, Docker's reason and the other ABIs.
std::string context_text(const Profile& profile, const Resolution& res, const ResolveOptions& opts, const Subject& s,
                         std::string_view shown) {
  const policy::ArchPolicy& primary = *s.primary;
  const std::string& name = s.name;
  const SyscallVerdict& v = s.verdict;
  const auto& arch = syscalls::arch(s.abi);
  std::string out = entries_text(profile, res, opts.arg_width, s.abi, s.nr, name, shown);
  if (!name.empty()) out += multiplexer_text(profile, res, primary, name);
  if (!name.empty()) out += siblings_text(primary, name);

  // --- Newer than the target kernel (pipeline's target-kernel pass) ---------
  if (const syscalls::Syscall* sc = name.empty() ? nullptr : syscalls::table(s.abi).find(name);
      sc != nullptr && sc->since.known() && sc->since > opts.kernel) {
    out += fmt::format(
        "\nnewer than the target kernel: {} came with Linux {} on {}; kernel {} answers ENOSYS for it (with "
        "--enosys-newer so does the filter, unless the profile allows or logs it)\n",
        name, syscalls::to_string(sc->since), arch.name, syscalls::to_string(opts.kernel));
  }

  // --- A call the kernel never filters --------------------------------------
  if (const syscalls::SeccompExemption* e = syscalls::seccomp_exemption(arch.audit_arch, s.nr, opts.kernel);
      e != nullptr && s.abi == syscalls::ArchId::kX86_64) {
    out += fmt::format(
        "\nnever filtered: from Linux {} on, the kernel lets {} through on x86_64 without running any seccomp filter "
        "(kernel/seccomp.c seccomp_uprobe_exception), so it runs whatever the decision above says; only uprobe "
        "trampolines call it\n",
        syscalls::to_string(e->since), e->name);
  }

  // --- Why Docker blocks it -----------------------------------------------
  const bool blocked = v.constant ? is_blocking(v.action) : true;
  if (blocked && !name.empty()) {
    if (auto reason = seed_reason(name)) {
      const bool is_default = profile.source == kBuiltinDefaultName;
      const std::string_view verb = v.constant ? "blocks" : "restricts";
      out += fmt::format("\nwhy Docker's default profile {} it{}: {}\n", verb,
                         is_default ? "" : " (from Docker's documentation)", *reason);
    }
  }

  if (res.policy.arches.size() > 1 && !name.empty()) {
    out += other_abis_text(res.policy, &primary, name);
    out += compat_abis_text(res.policy, primary, name);
  }
  return out;
}

// A number newer than every syscall the profile names on an ABI that has
// no ENOSYS stub (runc's covers only the architectures a profile lists):
// why the default action, not ENOSYS, answers it.
std::string stubless_newer_text(const Resolution& res, const Subject& s) {
  if (s.primary == nullptr || s.primary->enosys_above || s.verdict.why != SyscallVerdict::Why::kDefault) return {};
  const auto& rules = s.primary->rules;
  if (rules.empty() || s.nr <= (rules.end() - 1)->first) return {};
  const auto& stubless = res.without_enosys_stub;
  if (std::find(stubless.begin(), stubless.end(), s.abi) == stubless.end()) return {};
  return fmt::format(
      "  It is above {}, the largest syscall number the profile names on {}, but runc's ENOSYS stub covers only\n"
      "  the architectures the profile lists ({} is not one of them), so newer syscalls get the default action\n"
      "  there, as Docker and runc answer them (--unknown-syscalls enosys answers them ENOSYS).\n",
      (rules.end() - 1)->first, syscalls::arch(s.abi).name, syscalls::arch(s.abi).name);
}

}  // namespace

Expected<std::string> explain_syscall(const Profile& profile, const Resolution& res, const ResolveOptions& opts,
                                      std::string_view syscall) {
  const policy::Policy& policy = res.policy;
  if (absent_from_filter(policy, syscall)) {
    if (const syscalls::NameNumbers* numbers = syscalls::numbers_by_name(syscall))
      return explain_absent_name(profile, policy, syscall, *numbers);
  }
  auto subject = explain_parts::find_subject(policy, opts, syscall);
  if (!subject) return Unexpected<Error>{subject.error()};
  const Subject& s = *subject;
  const std::string shown = s.name.empty() ? fmt::format("syscall {}", s.nr) : s.name;

  std::string out = heading_text(profile, policy, opts, s, shown);
  out += s.verdict.constant ? constant_decision_text(profile, s.abi, s.verdict, shown)
                            : conditional_decision_text(profile, s.abi, s.verdict, s.name);
  out += stubless_newer_text(res, s);
  const auto& lost = res.number_load_lost_arches;
  if (std::find(lost.begin(), lost.end(), s.abi) != lost.end())
    out += fmt::format(
        "  libseccomp 2.5.4's filter for this profile loads no syscall number on {}: every call there gets the "
        "default action, and the profile's rules for {} are not applied (the warning says why).\n",
        syscalls::arch(s.abi).name, syscalls::arch(s.abi).name);
  const auto& followed = res.filter_paths;
  if (!s.verdict.constant &&
      std::find(followed.begin(), followed.end(), std::pair{s.abi, s.nr}) != followed.end())
    out += "  These are what libseccomp 2.5.4's filter answers, which differs from the rules as written on some "
           "inputs: its program compares an argument word another test left, merges the rules' chains, or shares "
           "blocks with another syscall's (the note says which).\n";
  // An ABI the filter lacks has no entries, rules or siblings to speak of.
  if (s.primary != nullptr) out += context_text(profile, res, opts, s, shown);
  return out;
}

}  // namespace sysfence::profile
