// `explain`'s sections on the same syscall elsewhere: the filter's other
// ABIs, the host's compat ABIs, and the socketcall/ipc multiplexers.
#include <fmt/format.h>

#include <algorithm>
#include <string>

#include "profile/explain.h"
#include "profile/explain_parts.h"
#include "profile/multiplex.h"
#include "syscalls/compat.h"
#include "syscalls/table.h"

namespace sysfence::profile::explain_parts {

using syscalls::ArchId;

// How the other ABIs of the filter answer the same syscall name.
std::string other_abis_text(const policy::Policy& policy, const policy::ArchPolicy* primary, std::string_view name) {
  std::string out = "\non the other ABIs of this filter:\n";
  for (const auto& ap : policy.arches) {
    if (&ap == primary) continue;
    const auto& a = syscalls::arch(ap.arch);
    auto other = syscalls::table(ap.arch).number(name);
    if (!other) {
      out += fmt::format("  {:<12} no {} syscall on this ABI\n", a.name, name);
      continue;
    }
    out +=
        fmt::format("  {:<12} number {}: {}\n", a.name, number(*other), one_line(syscall_verdict(ap, *other), ap.arch));
  }
  return out;
}

// What a program of each compat ABI of the host (i386 through int 0x80 on
// x86_64, arm on aarch64; syscalls/compat.h) gets for the calls that perform
// the same syscall: the same name, the compat spellings (chown32,
// clock_settime64) and socketcall/ipc. One line per compat ABI the filter
// has; x32 is in the list above (its names are x86_64's).
std::string compat_abis_text(const policy::Policy& policy, const policy::ArchPolicy& primary, std::string_view name) {
  std::string out;
  for (const syscalls::CompatAbi* c : syscalls::compat_abis_of(primary.arch)) {
    const policy::ArchPolicy* ap = c->compat == ArchId::kX32 ? nullptr : policy.find(c->compat);
    if (ap == nullptr) continue;
    std::string calls;
    for (std::string_view other : syscalls::compat_counterparts(primary.arch, name, c->compat)) {
      const uint32_t nr = *syscalls::table(c->compat).number(other);
      calls += fmt::format("{}{} (nr {}): {}", calls.empty() ? "" : "; ", other, nr,
                           syscalls::compat_implemented(c->compat, other)
                               ? one_line(syscall_verdict(*ap, nr), c->compat)
                               : std::string("ENOSYS (the kernel does not implement it there)"));
    }
    for (const syscalls::MultiplexedCall& m : syscalls::multiplexed_calls()) {
      const auto twin = syscalls::native_twin(c->compat, m.name, primary.arch);
      const auto mux = syscalls::multiplexer_number(c->compat, m.via);
      if (!twin || *twin != name || !mux) continue;
      SeccompData d;
      d.arch = syscalls::arch(c->compat).audit_arch;
      d.nr = *mux;
      d.args[0] = m.call;
      calls += fmt::format("{}{}({}) (nr {}): {}", calls.empty() ? "" : "; ", syscalls::multiplexer_name(m.via),
                           m.constant, *mux, describe_action(policy::evaluate(policy, d).action, c->compat));
    }
    if (out.empty())
      out = fmt::format("\nthrough the compat ABIs of {} (the same syscall by its compat names):\n",
                        syscalls::arch(primary.arch).name);
    out += fmt::format("  on {} ({}): {}\n", syscalls::arch(c->compat).name, c->entry,
                       calls.empty() ? std::string("no counterpart") : calls);
  }
  return out;
}

// A socket/IPC call on an ABI that multiplexes it: what the filter answers
// for the same call made through socketcall/ipc, and which of the profile's
// argument conditions cannot be checked there (profile/multiplex.h).
std::string multiplexer_text(const Profile& profile, const Resolution& res, const policy::ArchPolicy& primary,
                             std::string_view name) {
  const auto target = multiplex_target(primary.arch, name);
  if (!target) return "";
  const auto& arch = syscalls::arch(primary.arch);
  const std::string_view mux = syscalls::multiplexer_name(target->call->via);
  SeccompData d;
  d.arch = arch.audit_arch;
  d.nr = target->nr;
  d.args[0] = target->call->call;
  const policy::Decision decision = policy::evaluate(res.policy, d);
  bool other_args = false;
  if (auto it = primary.rules.find(target->nr); it != primary.rules.end())
    for (const policy::Rule& r : it->second)
      for (const auto& c : r.conditions) other_args = other_args || c.index != 0;
  std::string out = fmt::format("\nthrough {} on {}:\n", mux, arch.name);
  out += fmt::format("  {} is also reachable as {}({} = {}, args), syscall number {}: {}{}", name, mux,
                     target->call->constant, target->call->call, number(target->nr),
                     other_args ? "with its other arguments 0, " : "", describe_action(decision.action, arch.id));
  out += decision.rule != nullptr ? fmt::format(", from {}.\n", rule_source(decision.rule->source))
                                  : std::string(" (no rule applies).\n");
  std::string unchecked;
  for (const MultiplexGap& gap : res.multiplex_gaps) {
    if (gap.name != name || std::find(gap.arches.begin(), gap.arches.end(), primary.arch) == gap.arches.end()) continue;
    unchecked += fmt::format("\n    {}", where(profile, profile.syscalls[gap.entry], gap.entry));
  }
  if (!unchecked.empty())
    out += fmt::format(
        "  The argument conditions of these entries are not checked there ({}'s arguments are in user\n"
        "  memory, which a seccomp filter cannot read), so they are not applied to {} at all:{}\n",
        mux, mux, unchecked);
  return out;
}

}  // namespace sysfence::profile::explain_parts
