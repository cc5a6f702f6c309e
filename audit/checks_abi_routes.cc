// The routes around a rule through the host's compat ABIs (i386 through
// int 0x80 on x86_64, AArch32 on aarch64, ...; syscalls/compat.h): a
// syscall the filter denies on the host ABI whose compat counterpart — the
// same name, or the compat ABI's own spelling of it (chown32, clock_settime64,
// _llseek, the i386 umount) — is allowed; and syscalls that only a compat ABI
// has. x32 is the x32 check's; conditional socket/IPC rules that
// socketcall/ipc reach without their conditions are multiplex-bypass's
// (below, and from the profile's rules in the profile audit): compat-route
// counts the multiplexers only for syscalls the host denies outright, so the
// two never report the same call.
#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "audit/checks.h"
#include "profile/builtin.h"
#include "syscalls/compat.h"
#include "syscalls/multiplex.h"
#include "syscalls/table.h"

namespace sysfence::audit {

using syscalls::ArchId;
using verify::Outcome;

namespace {

bool permissive_path(const verify::Path& p) {
  return p.outcome.kind == Outcome::Kind::kAction && permissive(p.outcome.action);
}

// Every input of the syscall is denied (killed, errno, trap, ...).
bool denies_all(const std::vector<verify::Path>& paths) {
  return !paths.empty() && std::all_of(paths.begin(), paths.end(), [](const verify::Path& p) {
    return p.outcome.kind == Outcome::Kind::kAction && !permissive(p.outcome.action);
  });
}

bool allows_all(const std::vector<verify::Path>& paths) {
  return !paths.empty() && std::all_of(paths.begin(), paths.end(), permissive_path);
}

const verify::Path* first_permissive(const std::vector<verify::Path>& paths) {
  for (const verify::Path& p : paths)
    if (permissive_path(p)) return &p;
  return nullptr;
}

// A host ABI of the audit and one of its compat ABIs the filter handles.
struct AbiPair {
  const Abi* host;
  const Abi* compat;
  const syscalls::CompatAbi* facts;
};

std::vector<AbiPair> compat_pairs(const AuditContext& ctx) {
  std::vector<AbiPair> out;
  for (const Abi& host : ctx.abis())
    for (const syscalls::CompatAbi* c : syscalls::compat_abis_of(host.id)) {
      if (c->compat == ArchId::kX32) continue;  // the x32 check
      if (const Abi* compat = ctx.find_abi(c->compat)) out.push_back(AbiPair{&host, compat, c});
    }
  return out;
}

// One way around: the host's syscall and the compat call that performs it.
struct Route {
  std::string text;  // "chown through chown32 (nr 212)"
  std::string call;  // the compat syscall: "chown32"
  SeccompWords input{};
  uint32_t pc = 0;
  bool multiplexed = false;  // through socketcall/ipc
};

// The multiplexed calls (socketcall(SYS_SOCKET), ipc(SHMGET)) of `pair`'s
// compat ABI that perform host syscall `name` and are allowed.
void multiplexer_routes(AuditContext& ctx, const AbiPair& pair, std::string_view name, std::vector<Route>& out) {
  const Abi& c = *pair.compat;
  for (const syscalls::MultiplexedCall& m : syscalls::multiplexed_calls()) {
    const auto twin = syscalls::native_twin(c.id, m.name, pair.host->id);
    if (!twin || *twin != name) continue;
    const auto mux = syscalls::multiplexer_number(c.id, m.via);
    if (!mux) continue;
    for (const verify::Path& p : ctx.view(c, *mux)) {
      if (!permissive_path(p) || !p.words[c.lo_word(0)].contains(m.call) || !p.words[c.hi_word(0)].contains(0))
        continue;
      SeccompWords x = p.witness;
      x[c.lo_word(0)] = m.call;
      x[c.hi_word(0)] = 0;
      if (!permissive(ctx.run(x))) continue;  // the interpreter must agree
      out.push_back(
          Route{fmt::format("{} through {}({}) (nr {})", name, syscalls::multiplexer_name(m.via), m.constant, *mux),
                std::string(syscalls::multiplexer_name(m.via)), x, p.outcome.where, true});
      break;
    }
  }
}

// The routes of one host syscall: `strict` when the host denies every call
// (then any allowed input of a counterpart is a route), else the host
// allows some calls and a counterpart with the same arguments that allows
// every call is looser (fork is no looser than a clone rule on flags: it
// has no flags to pass).
void routes_of(AuditContext& ctx, const AbiPair& pair, const syscalls::Syscall& sys, bool strict,
               std::vector<Route>& out) {
  const Abi& c = *pair.compat;
  for (std::string_view other : syscalls::compat_counterparts(pair.host->id, sys.name, c.id)) {
    if (!syscalls::compat_implemented(c.id, other)) continue;
    if (!strict && !syscalls::same_arguments(other, sys.name)) continue;
    const auto nr = AuditContext::number(c, other);
    if (!nr) continue;
    const std::vector<verify::Path>& paths = ctx.view(c, *nr);
    const verify::Path* p = first_permissive(paths);
    if (p == nullptr || (!strict && !allows_all(paths))) continue;
    out.push_back(Route{other == sys.name ? fmt::format("{} (nr {})", sys.name, *nr)
                                          : fmt::format("{} through {} (nr {})", sys.name, other, *nr),
                        std::string(other), p->witness, p->outcome.where});
  }
  if (strict) multiplexer_routes(ctx, pair, sys.name, out);
}

std::string compat_label(const AbiPair& pair) {
  return fmt::format("{} ({}, AUDIT_ARCH {:#x})", pair.compat->name(), pair.facts->entry, pair.compat->audit_arch);
}

void report_routes(AuditContext& ctx, Findings& out, const AbiPair& pair, const std::vector<Route>& denied,
                   const std::vector<Route>& looser) {
  std::vector<std::string> a;
  std::vector<std::string> b;
  a.reserve(denied.size());
  b.reserve(looser.size());
  for (const Route& r : denied) a.push_back(r.text);
  for (const Route& r : looser) b.push_back(r.text);
  std::string message;
  if (!a.empty())
    message = fmt::format("on {} the filter allows calls that perform syscalls it denies on {}: {}", compat_label(pair),
                          pair.host->name(), list_some(a, 12));
  if (!b.empty())
    message += fmt::format("{}on {} the filter allows every call of syscalls {} allows only for some arguments: {}",
                           message.empty() ? "" : "; ", message.empty() ? compat_label(pair) : pair.compat->name(),
                           pair.host->name(), list_some(b, 12));
  if (std::any_of(denied.begin(), denied.end(), [](const Route& r) { return r.multiplexed; }))
    message += " (socket/IPC rules with argument conditions that the multiplexers cannot check: see multiplex-bypass)";
  const Route& ex = denied.empty() ? looser.front() : denied.front();
  const syscalls::Arch& compat = syscalls::arch(pair.compat->id);
  std::vector<std::string> calls;
  for (const auto* list : {&denied, &looser})
    for (const Route& r : *list)
      if (std::find(calls.begin(), calls.end(), r.call) == calls.end()) calls.push_back(r.call);
  out.add(check::kCompatRoute, denied.empty() ? Severity::kMedium : Severity::kHigh, std::move(message),
          fmt::format("deny {} wholesale unless the workload runs {} programs (leave {} out of the profile's "
                      "architectures/archMap, as Docker does for ABIs it need not run; a raw filter answers its "
                      "AUDIT_ARCH with the bad-arch action), or give {} the rules of the {} syscalls they perform",
                      compat.name, compat.name, compat.scmp_name, list_some(calls, 12), pair.host->name()),
          ctx.where(*pair.compat, ex.input, ex.pc))
      .inputs = {AuditContext::data_of(*pair.compat, ex.input)};
}

// Compat-only calls every program of the ABI may need and that reach no
// kernel state beyond the caller's own: ARM's cacheflush and set_tls
// (arch/arm/kernel/traps.c: the caller's caches and TLS register), and
// pause (waits for a signal). Reported as information only.
bool harmless(std::string_view name) { return name == "cacheflush" || name == "set_tls" || name == "pause"; }

// What the filter answers the calls `call` selects through multiplexer
// `mux` on `abi` (first argument `call`, its high word 0): one answer when
// every such input gets the same one, with an example; nullopt when the
// answer depends on the other arguments or a path leaves the fragment.
struct Answered {
  Action action;
  SeccompWords input{};
  uint32_t pc = 0;
};
std::optional<Answered> answered_alike(AuditContext& ctx, const Abi& abi, uint32_t mux, uint32_t call) {
  std::optional<Answered> out;
  for (const verify::Path& p : ctx.view(abi, mux)) {
    if (!p.words[abi.lo_word(0)].contains(call) || !p.words[abi.hi_word(0)].contains(0)) continue;
    if (p.outcome.kind != Outcome::Kind::kAction || p.outcome.symbolic_ret) return std::nullopt;
    if (out && !(out->action == p.outcome.action)) return std::nullopt;
    if (out) continue;
    SeccompWords x = p.witness;
    x[abi.lo_word(0)] = call;
    x[abi.hi_word(0)] = 0;
    out = Answered{p.outcome.action, x, p.outcome.where};
  }
  return out;
}

// The direct syscall's strictest answer when it depends on the arguments
// (two paths answer differently), with an example input; else nullopt.
std::optional<Answered> conditional_strictest(AuditContext& ctx, const Abi& abi, uint32_t nr) {
  const std::vector<verify::Path>& paths = ctx.view(abi, nr);
  const verify::Path* strictest = nullptr;
  bool differ = false;
  for (const verify::Path& p : paths) {
    if (p.outcome.kind != Outcome::Kind::kAction || p.outcome.symbolic_ret) return std::nullopt;
    if (strictest == nullptr) {
      strictest = &p;
      continue;
    }
    differ = differ || !(p.outcome.action == strictest->outcome.action);
    if (looser(strictest->outcome.action, p.outcome.action)) strictest = &p;
  }
  if (!differ) return std::nullopt;
  return Answered{strictest->outcome.action, strictest->witness, strictest->outcome.where};
}

// One call the multiplexer reaches more loosely than the direct syscall.
struct Bypass {
  const syscalls::MultiplexedCall* call;
  Answered through;
  Answered direct;
};

void report_multiplex_bypass(AuditContext& ctx, Findings& out, const Abi& abi, syscalls::Multiplexer via,
                             const std::vector<Bypass>& found) {
  const std::string_view mux = syscalls::multiplexer_name(via);
  std::vector<std::string> items;
  items.reserve(found.size());
  for (const Bypass& b : found)
    items.push_back(fmt::format("{} ({} for some arguments; every {}({}, ...) {})", b.call->name,
                                to_string(b.direct.action), mux, b.call->constant, to_string(b.through.action)));
  const Bypass& ex = found.front();
  out.add(check::kMultiplexBypass, Severity::kMedium,
          fmt::format("on {} (AUDIT_ARCH {:#x}) {}(2) performs calls whose direct syscalls the filter answers by "
                      "their arguments, but answers them alike whatever the arguments, so it gets past those "
                      "conditions: {}; e.g. {} is answered {} while {} is answered {}",
                      abi.name(), abi.audit_arch, mux, list_some(items, 12), AuditContext::call(abi, ex.through.input),
                      to_string(ex.through.action), AuditContext::call(abi, ex.direct.input),
                      to_string(ex.direct.action)),
          fmt::format("deny {} on {} unless the workload needs it, or give it its own rules on argument 0", mux,
                      abi.name()),
          ctx.where(abi, ex.through.input, ex.through.pc))
      .inputs = {AuditContext::data_of(abi, ex.through.input), AuditContext::data_of(abi, ex.direct.input)};
}

}  // namespace

void check_multiplex_bypass(AuditContext& ctx, Findings& out) {
  // A profile's audit reports these from the profile's rules, naming them.
  if (ctx.options().intent != nullptr) return;
  for (const Abi& abi : ctx.abis()) {
    for (const syscalls::Multiplexer via : {syscalls::Multiplexer::kSocketcall, syscalls::Multiplexer::kIpc}) {
      const auto mux = syscalls::multiplexer_number(abi.id, via);
      if (!mux) continue;
      std::vector<Bypass> found;
      for (const syscalls::MultiplexedCall& m : syscalls::multiplexed_calls()) {
        if (m.via != via) continue;
        const auto nr = AuditContext::number(abi, m.name);
        if (!nr) continue;
        const auto direct = conditional_strictest(ctx, abi, *nr);
        if (!direct) continue;
        const auto through = answered_alike(ctx, abi, *mux, m.call);
        if (through && looser(through->action, direct->action)) found.push_back(Bypass{&m, *through, *direct});
      }
      if (!found.empty()) report_multiplex_bypass(ctx, out, abi, via, found);
    }
  }
}

void check_compat_route(AuditContext& ctx, Findings& out) {
  for (const AbiPair& pair : compat_pairs(ctx)) {
    std::vector<Route> denied;
    std::vector<Route> looser;
    for (const syscalls::Syscall& sys : syscalls::table(pair.host->id).entries()) {
      const std::vector<verify::Path>& paths = ctx.view(*pair.host, sys.nr);
      if (denies_all(paths)) {
        routes_of(ctx, pair, sys, true, denied);
      } else if (first_permissive(paths) != nullptr && !allows_all(paths)) {
        routes_of(ctx, pair, sys, false, looser);
      }
    }
    if (!denied.empty() || !looser.empty()) report_routes(ctx, out, pair, denied, looser);
  }
}

void check_compat_only(AuditContext& ctx, Findings& out) {
  for (const AbiPair& pair : compat_pairs(ctx)) {
    const Abi& c = *pair.compat;
    std::vector<std::string> blocked;  // in Docker's documented table
    std::vector<std::string> other;
    std::vector<std::string> benign;
    std::optional<Route> example;
    for (const syscalls::Syscall& sys : syscalls::table(c.id).entries()) {
      if (sys.name == "socketcall" || sys.name == "ipc") continue;  // their calls are routes (compat-route)
      if (!syscalls::compat_implemented(c.id, sys.name)) continue;
      if (syscalls::native_twin(c.id, sys.name, pair.host->id)) continue;
      const verify::Path* p = first_permissive(ctx.view(c, sys.nr));
      if (p == nullptr) continue;
      const bool documented = profile::seed_reason(sys.name).has_value();
      (documented           ? blocked
       : harmless(sys.name) ? benign
                            : other)
          .push_back(fmt::format("{} (nr {})", sys.name, sys.nr));
      const bool better =
          documented ? blocked.size() == 1 : !harmless(sys.name) && blocked.empty() && other.size() == 1;
      if (!example || better) example = Route{"", "", p->witness, p->outcome.where};
    }
    if (blocked.empty() && other.empty() && benign.empty()) continue;
    std::string message = fmt::format(
        "on {} the filter allows syscalls that {} has no counterpart of: ", compat_label(pair), pair.host->name());
    if (!blocked.empty())
      message += fmt::format("{} that Docker's documentation lists as blocked ({})", plural(blocked.size(), "syscall"),
                             list_some(blocked, 12));
    if (!other.empty()) message += fmt::format("{}{}", blocked.empty() ? "" : "; ", list_some(other, 12));
    if (!benign.empty())
      message += fmt::format("{}{}, which touch only the caller's own state (caches, TLS) or wait for a signal",
                             blocked.empty() && other.empty() ? "" : "; and ", list_some(benign, 12));
    message += fmt::format("; rules written with {} in mind do not cover them", pair.host->name());
    const Severity s = !blocked.empty() ? Severity::kMedium : !other.empty() ? Severity::kLow : Severity::kInfo;
    out.add(check::kCompatOnly, s, std::move(message),
            fmt::format("deny them on {} unless the workload needs them (or deny {} wholesale)", c.name(), c.name()),
            ctx.where(c, example->input, example->pc))
        .inputs = {AuditContext::data_of(c, example->input)};
  }
}

}  // namespace sysfence::audit
