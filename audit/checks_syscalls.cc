#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "audit/checks.h"
#include "profile/builtin.h"
#include "syscalls/filter_support.h"
#include "syscalls/table.h"

namespace sysfence::audit {

using verify::Outcome;
using verify::WordAtom;

namespace {

// The namespace flags of clone(2)/unshare(2) (include/uapi/linux/sched.h),
// in the order a finding names them (the most dangerous first).
struct FlagName {
  uint32_t bit;
  std::string_view name;
};
constexpr FlagName kNamespaceFlags[] = {
    {0x10000000, "CLONE_NEWUSER"},   {0x00020000, "CLONE_NEWNS"},   {0x40000000, "CLONE_NEWNET"},
    {0x20000000, "CLONE_NEWPID"},    {0x08000000, "CLONE_NEWIPC"},  {0x04000000, "CLONE_NEWUTS"},
    {0x02000000, "CLONE_NEWCGROUP"}, {0x00000080, "CLONE_NEWTIME"},
};
// CLONE_NEWTIME shares its bit with CSIGNAL in clone(2): only unshare and
// clone3 take it.
constexpr uint32_t kCloneNamespaceMask = 0x7e020000U;
constexpr uint32_t kUnshareNamespaceMask = 0x7e020080U;

// personality(2) values Docker's default profile allows: PER_LINUX,
// PER_LINUX32, UNAME26, PER_LINUX32|UNAME26 and the query 0xffffffff.
constexpr uint32_t kSafePersonas[] = {0x0, 0x8, 0x20000, 0x20008, 0xffffffffU};

// Docker's documented reason for blocking `name`, said as the
// documentation's, and whether the current default profile still blocks
// it: the documentation's table is older than the profile, which now allows
// some of the calls it lists. Empty when the table does not list `name`.
std::string documented_block(std::string_view name) {
  const auto reason = profile::seed_reason(name);
  if (!reason) return "";
  switch (profile::builtin_default_stance(name)) {
    case profile::DefaultProfileStance::kBlocks:
      return fmt::format("Docker's default profile blocks it (Docker's documentation: \"{}\")", *reason);
    case profile::DefaultProfileStance::kAllows:
      return fmt::format(
          "Docker's documentation lists it as blocked by the default profile (\"{}\"), but the current default "
          "profile allows it",
          *reason);
    case profile::DefaultProfileStance::kAllowsSome:
      return fmt::format(
          "Docker's documentation lists it as blocked by the default profile (\"{}\"), but the current default "
          "profile allows it for some arguments",
          *reason);
  }
  return "";
}

// One example input on one ABI, and the instruction that decides it.
struct Example {
  const Abi* abi = nullptr;
  SeccompWords input{};
  uint32_t pc = 0;
};

// The first permissive path of `a`'s syscall that admits a persona outside
// the safe ones, as an example input (preferring personas that weaken the
// process: READ_IMPLIES_EXEC, ADDR_NO_RANDOMIZE).
std::optional<Example> unsafe_persona(AuditContext& ctx, const Allowed& a) {
  const uint32_t nr = a.path->witness[verify::kWordNr];
  for (const verify::Path& p : ctx.view(*a.abi, nr)) {
    if (p.outcome.kind != Outcome::Kind::kAction || !permissive(p.outcome.action)) continue;
    std::vector<WordAtom> unsafe;
    for (uint32_t v : kSafePersonas) unsafe.push_back(WordAtom::Ne(v));
    auto lo = restrict(p.words[a.abi->lo_word(0)], unsafe);
    if (!lo) continue;
    SeccompWords w = p.witness;
    uint32_t v = lo->witness();
    for (uint32_t preferred : {0x0400000U, 0x0040000U})
      if (lo->contains(preferred)) {
        v = preferred;
        break;
      }
    w[a.abi->lo_word(0)] = v;
    return Example{a.abi, w, p.outcome.where};
  }
  return std::nullopt;
}

// Which of `mask`'s namespace flags some permissive path of `nr` admits in
// argument `arg`'s low word, with an example input.
struct NamespaceHit {
  std::vector<std::string> flags;
  Example example;
};
std::optional<NamespaceHit> namespace_flags(AuditContext& ctx, const Abi& abi, uint32_t nr, unsigned arg,
                                            uint32_t mask) {
  NamespaceHit hit;
  bool any = false;
  for (const FlagName& f : kNamespaceFlags) {
    if ((f.bit & mask) == 0) continue;
    for (const verify::Path& p : ctx.view(abi, nr)) {
      if (p.outcome.kind != Outcome::Kind::kAction || !permissive(p.outcome.action)) continue;
      const WordAtom has_flag[] = {WordAtom::MaskedEq(f.bit, f.bit)};
      auto lo = restrict(p.words[abi.lo_word(arg)], has_flag);
      if (!lo) continue;
      hit.flags.emplace_back(f.name);
      if (!any) {
        hit.example = Example{&abi, p.witness, p.outcome.where};
        hit.example.input[abi.lo_word(arg)] = lo->witness();
        any = true;
      }
      break;
    }
  }
  if (!any) return std::nullopt;
  return hit;
}

// clone (is_clone) or unshare admitting CLONE_NEW* flags on some ABI.
void check_namespace_flags(AuditContext& ctx, Findings& out, std::string_view name, bool is_clone) {
  std::vector<NamespaceHit> hits;
  for (const Abi& abi : ctx.abis()) {
    auto nr = AuditContext::number(abi, name);
    if (!nr) continue;
    const unsigned arg = is_clone ? arg_index(abi.id, *nr, "clone_flags", 0) : 0;
    if (auto h = namespace_flags(ctx, abi, *nr, arg, is_clone ? kCloneNamespaceMask : kUnshareNamespaceMask))
      hits.push_back(std::move(*h));
  }
  if (hits.empty()) return;
  std::vector<std::string> abis;
  abis.reserve(hits.size());
  for (const NamespaceHit& h : hits) abis.emplace_back(h.example.abi->name());
  std::string flags;
  for (const auto& f : hits.front().flags) flags += fmt::format("{}{}", flags.empty() ? "" : "|", f);
  const Example& ex = hits.front().example;
  out.add(is_clone ? check::kCloneNamespaces : check::kUnshare, Severity::kHigh,
          fmt::format("{} may create namespaces on {}: {} reachable (e.g. {}); {}", name, list_some(abis), flags,
                      AuditContext::call(*ex.abi, ex.input), documented_block(name)),
          is_clone ? "allow clone only when (flags & 0x7e020000) == 0 (no CLONE_NEW* flag), as Docker's default "
                     "profile does without CAP_SYS_ADMIN"
                   : "deny unshare, or allow it only without CLONE_NEW* flags",
          ctx.where(*ex.abi, ex.input, ex.pc))
      .inputs = {AuditContext::data_of(*ex.abi, ex.input)};
}

}  // namespace

void check_seed_blocked(AuditContext& ctx, Findings& out) {
  // Where the default action allows, every syscall the filter does not
  // name is allowed: one finding lists them (default-allow says why).
  std::vector<std::string> by_default;
  for (const auto& [name, reason] : profile::seed_blocked_reasons()) {
    if (name == "ptrace" || name == "personality" || name == "unshare" || name == "clone") continue;  // own checks
    auto allowed = ctx.allowed_on(name);
    const auto defaulted = std::partition(allowed.begin(), allowed.end(),
                                          [&](const Allowed& a) { return !ctx.default_is_permissive(*a.abi); });
    if (defaulted != allowed.end()) by_default.emplace_back(name);
    allowed.erase(defaulted, allowed.end());
    if (allowed.empty()) continue;
    const bool always = std::all_of(allowed.begin(), allowed.end(), [](const Allowed& a) { return a.unconditional; });
    // A call Docker's current default profile allows too (restart_syscall,
    // which the kernel itself restarts interrupted sleeps through) is the
    // documentation's history, not a gap: low.
    const bool docker_blocks = profile::builtin_default_stance(name) == profile::DefaultProfileStance::kBlocks;
    const Allowed& ex = allowed.front();
    out.add(check::kSeedBlocked, always && docker_blocks ? Severity::kMedium : Severity::kLow,
            fmt::format("{} is allowed{} on {} (e.g. {}); {}", name, always ? "" : " for some inputs",
                        AuditContext::abi_list(allowed), AuditContext::call(*ex.abi, ex.path->witness),
                        documented_block(name)),
            fmt::format("deny {} unless the workload needs it", name), ctx.where(*ex.abi, *ex.path))
        .inputs = {AuditContext::data_of(*ex.abi, ex.path->witness)};
  }
  if (!by_default.empty()) {
    std::vector<std::string> abis;
    for (const Abi& abi : ctx.abis())
      if (ctx.default_is_permissive(abi)) abis.emplace_back(abi.name());
    out.add(check::kSeedBlocked, Severity::kMedium,
            fmt::format("with the default action allowing on {}, {} Docker's documentation lists as blocked by its "
                        "default profile are allowed: {}",
                        list_some(abis), plural(by_default.size(), "syscall"), list_some(by_default, 60)),
            "deny by default; `sysfence explain NAME` gives Docker's documented reason for each");
  }
}

void check_ptrace(AuditContext& ctx, Findings& out) {
  const auto allowed = ctx.allowed_on("ptrace");
  if (allowed.empty()) return;
  const Allowed& ex = allowed.front();
  out.add(check::kPtrace, Severity::kMedium,
          fmt::format("ptrace is allowed{} on {} (e.g. {}); {}. Before Linux 4.8 a tracer could also change a "
                      "syscall after seccomp checked it",
                      ex.unconditional ? "" : " for some inputs", AuditContext::abi_list(allowed),
                      AuditContext::call(*ex.abi, ex.path->witness), documented_block("ptrace")),
          "deny ptrace unless the workload debugs or traces its own processes", ctx.where(*ex.abi, *ex.path))
      .inputs = {AuditContext::data_of(*ex.abi, ex.path->witness)};
}

void check_personality(AuditContext& ctx, Findings& out) {
  std::vector<std::string> abis;
  std::optional<Example> example;
  for (const Allowed& a : ctx.allowed_on("personality")) {
    // Every permissive path, not only the first: is a persona outside the
    // safe ones admitted anywhere?
    auto unsafe = unsafe_persona(ctx, a);
    if (!unsafe) continue;
    abis.emplace_back(a.abi->name());
    if (!example) example = *unsafe;
  }
  if (abis.empty()) return;
  out.add(check::kPersonality, Severity::kMedium,
          fmt::format("personality accepts personas other than PER_LINUX, PER_LINUX32, UNAME26 and the query "
                      "0xffffffff on {} (e.g. {}); {}",
                      list_some(abis), AuditContext::call(*example->abi, example->input),
                      documented_block("personality")),
          "allow personality only for 0x0, 0x8, 0x20000, 0x20008 and 0xffffffff, as Docker's default profile does",
          ctx.where(*example->abi, example->input, example->pc))
      .inputs = {AuditContext::data_of(*example->abi, example->input)};
}

void check_clone_flags(AuditContext& ctx, Findings& out) { check_namespace_flags(ctx, out, "clone", true); }

void check_unshare(AuditContext& ctx, Findings& out) { check_namespace_flags(ctx, out, "unshare", false); }

// clone3 keeps its flags in memory, out of a filter's reach.
void check_clone3(AuditContext& ctx, Findings& out) {
  const auto clone3 = ctx.allowed_on("clone3");
  if (clone3.empty()) return;
  const Allowed& ex = clone3.front();
  out.add(check::kCloneNamespaces, Severity::kHigh,
          fmt::format("clone3 is allowed on {}: its flags live in a struct in memory, which a seccomp filter "
                      "cannot read, so CLONE_NEW* flags cannot be refused",
                      AuditContext::abi_list(clone3)),
          "answer clone3 with ERRNO(ENOSYS): libc falls back to clone, whose flags the filter can check",
          ctx.where(*ex.abi, *ex.path))
      .inputs = {AuditContext::data_of(*ex.abi, ex.path->witness)};
}

// A call the target kernel runs no filter for (kernel/seccomp.c
// seccomp_uprobe_exception): whatever the filter answers, the call runs, so a
// denial there only reads as protection. It is low: outside the trampolines
// a uprobe installs, the calls fail by themselves (uretprobe raises SIGILL,
// uprobe returns ENXIO).
void check_kernel_exempt(AuditContext& ctx, Findings& out) {
  const std::optional<syscalls::KernelVersion>& kernel = ctx.options().kernel;
  if (!kernel) return;
  for (const Abi& abi : ctx.abis()) {
    for (const syscalls::Syscall& sc : syscalls::table(abi.id).entries()) {
      const syscalls::SeccompExemption* exempt = syscalls::seccomp_exemption(abi.audit_arch, sc.nr, *kernel);
      if (exempt == nullptr) continue;
      const auto& paths = ctx.view(abi, sc.nr);
      const auto denied = std::ranges::find_if(paths, [](const verify::Path& p) {
        return p.outcome.kind == Outcome::Kind::kAction && !permissive(p.outcome.action);
      });
      if (denied == paths.end()) continue;
      out.add(check::kKernelExempt, Severity::kLow,
              fmt::format("{} on {} is answered {} (e.g. {}), but Linux {} and later run no seccomp filter for {} "
                          "(the target kernel is {}): the filter's answer is never applied",
                          exempt->name, abi.name(), to_string(verify::leaf_action(denied->outcome, denied->witness)),
                          AuditContext::call(abi, denied->witness), syscalls::to_string(exempt->since), exempt->name,
                          syscalls::to_string(*kernel)),
              fmt::format("do not count on the filter to stop {}; it only works from the trampoline the kernel "
                          "installs for a uprobe, so keep uprobes out (perf_event_open, bpf) where that matters",
                          exempt->name),
              ctx.where(abi, *denied))
          .inputs = {AuditContext::data_of(abi, denied->witness)};
    }
  }
}

}  // namespace sysfence::audit
