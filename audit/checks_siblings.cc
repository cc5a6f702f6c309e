// Routes around a rule: a syscall denied while a sibling that reaches the
// same kernel operation is allowed (syscalls/siblings.h), and io_uring, whose
// submitted operations the kernel never runs the filter on.
#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "audit/checks.h"
#include "policy/policy.h"
#include "profile/errno_names.h"
#include "syscalls/siblings.h"
#include "syscalls/table.h"

namespace sysfence::audit {

using verify::Outcome;

namespace {

// What the filter answers one syscall on one ABI.
struct Answer {
  enum class Kind {
    kDenied,   // a non-permissive action for every input
    kAllowed,  // permissive for every input
    kPartly,   // permissive for some inputs only
    kUnknown,  // not in the table, ENOSYS for every input (the filter says
               // "absent": libc falls back to a sibling), or outside the
               // symbolic fragment
  } kind = Kind::kUnknown;
  const verify::Path* example = nullptr;  // denied: the first path; else the first permissive one
};

// ENOSYS on the ABI, or 38, the number profiles write for it whatever the
// ABI (Docker's clone3 rule answers errnoRet 38 on MIPS too, where ENOSYS is
// 89: meant as "absent" all the same).
bool is_enosys(Action a, syscalls::ArchId abi) {
  constexpr uint16_t kGenericEnosys = 38;
  const auto enosys = profile::errno_number("ENOSYS", abi);
  return a.kind == ActionKind::kErrno && (a.data == kGenericEnosys || (enosys && a.data == *enosys));
}

Answer answer(AuditContext& ctx, const Abi& abi, std::string_view name) {
  Answer out;
  const auto nr = AuditContext::number(abi, name);
  if (!nr) return out;
  const std::vector<verify::Path>& paths = ctx.view(abi, *nr);
  if (paths.empty()) return out;
  bool any_permissive = false;
  bool all_permissive = true;
  bool all_enosys = true;
  const verify::Path* first_permissive = nullptr;
  for (const verify::Path& p : paths) {
    if (p.outcome.kind != Outcome::Kind::kAction) return out;
    const bool ok = permissive(p.outcome.action);
    if (ok && first_permissive == nullptr) first_permissive = &p;
    any_permissive = any_permissive || ok;
    all_permissive = all_permissive && ok;
    all_enosys = all_enosys && is_enosys(p.outcome.action, abi.id);
  }
  if (!any_permissive) {
    if (all_enosys) return out;
    out.kind = Answer::Kind::kDenied;
    out.example = &paths.front();
  } else {
    out.kind = all_permissive ? Answer::Kind::kAllowed : Answer::Kind::kPartly;
    out.example = first_permissive;
  }
  return out;
}

Severity lowered(Severity s) { return s == Severity::kInfo ? s : static_cast<Severity>(static_cast<int>(s) - 1); }

Severity severity_of(syscalls::SiblingRisk r) {
  switch (r) {
    case syscalls::SiblingRisk::kHigh: return Severity::kHigh;
    case syscalls::SiblingRisk::kMedium: return Severity::kMedium;
    case syscalls::SiblingRisk::kLow: return Severity::kLow;
  }
  return Severity::kLow;
}

// "a, b and c"
std::string joined(const std::vector<std::string>& names) { return list_some(names, names.size()); }

// With a profile: the position of the rule that decides `w` (the denial), so
// the finding points at the rule its author wrote.
std::optional<SourceLocation> rule_location(const AuditContext& ctx, const Abi& abi, const SeccompWords& w) {
  if (ctx.options().intent == nullptr) return std::nullopt;
  const policy::Decision d = policy::evaluate(*ctx.options().intent, AuditContext::data_of(abi, w));
  if (d.rule == nullptr || d.rule->source.line == 0) return std::nullopt;
  return SourceLocation{d.rule->source.file, d.rule->source.line, d.rule->source.col};
}

struct Named {
  std::string name;
  Answer answer;
  // The example input where the answer's path's witness would not show the
  // route (a clone that makes a process).
  std::optional<SeccompWords> input = std::nullopt;
  const SeccompWords& example() const { return input ? *input : answer.example->witness; }
};

// Whether path `p`'s denial comes from a rule rather than the default action
// (without a profile: an action other than the one the table's holes get).
bool denied_by_rule(const AuditContext& ctx, const Abi& abi, const verify::Path& p) {
  if (ctx.options().intent != nullptr)
    return policy::evaluate(*ctx.options().intent, AuditContext::data_of(abi, p.witness)).rule != nullptr;
  const auto fallback = ctx.default_action(abi);
  return !fallback || !(*fallback == p.outcome.action);
}

// Whether `m` came to the ABI after a member the filter allows: an allowlist
// that leaves it out may just predate it (Docker's with CAP_SYS_ADMIN
// allows mount and fsopen, not open_tree_attr of Linux 6.15).
bool newer_than_open_siblings(const Abi& abi, const syscalls::SiblingFamily& fam, std::string_view m,
                              AuditContext& ctx);

// Whether denying member `m` says the operation was meant to be stopped. A
// rule that names it does, except for a legacy spelling outside the
// high-risk families (containers-common denies ustat and oldstat to retire
// them). Leaving it out of an allowlist does only in a high-risk family: an
// allowlist without readv did not mean to stop reading, one with fsopen but
// without mount leaves a mount route its author may not see.
bool meant_to_stop(AuditContext& ctx, const Abi& abi, const syscalls::SiblingFamily& fam, std::string_view m,
                   const verify::Path& denial) {
  const bool high = fam.risk == syscalls::SiblingRisk::kHigh;
  const bool by_rule = denied_by_rule(ctx, abi, denial);
  if (syscalls::is_legacy(fam, m)) return high && by_rule;
  return by_rule || (high && !newer_than_open_siblings(abi, fam, m, ctx));
}

bool newer_than_open_siblings(const Abi& abi, const syscalls::SiblingFamily& fam, std::string_view m,
                              AuditContext& ctx) {
  const auto& table = syscalls::table(abi.id);
  const syscalls::Syscall* own = table.find(m);
  if (own == nullptr || !own->since.known()) return false;
  for (std::string_view other : fam.members) {
    if (other == m) continue;
    const syscalls::Syscall* sc = table.find(other);
    if (sc == nullptr || (sc->since.known() && sc->since >= own->since)) continue;
    const Answer a = answer(ctx, abi, other);
    if (a.kind == Answer::Kind::kAllowed || a.kind == Answer::Kind::kPartly) return true;
  }
  return false;
}

// Whether the filter may let the process open a file by path on `abi` (for
// some arguments at least; a path outside the symbolic fragment may).
bool opens_files(AuditContext& ctx, const Abi& abi) {
  for (std::string_view name : syscalls::file_openers()) {
    const auto nr = AuditContext::number(abi, name);
    if (!nr) continue;
    for (const verify::Path& p : ctx.view(abi, *nr))
      if (p.outcome.kind != Outcome::Kind::kAction || permissive(p.outcome.action)) return true;
  }
  return false;
}

// A clone the filter lets through on `abi` that makes a process, not a
// thread: a permissive path's input without CLONE_THREAD (a path outside
// the symbolic fragment may let anything through: its witness). None when
// clone passes only with CLONE_THREAD, which makes a thread of the caller's
// process (the kernel requires CLONE_SIGHAND and CLONE_VM with it): no route
// around a denied fork or vfork (Chromium's renderers allow clone for
// threads alone).
std::optional<SeccompWords> process_making_clone(AuditContext& ctx, const Abi& abi) {
  constexpr uint32_t kCloneThread = 0x00010000;
  const auto nr = AuditContext::number(abi, "clone");
  if (!nr) return std::nullopt;
  const unsigned word = abi.lo_word(arg_index(abi.id, *nr, "clone_flags", 0));
  const verify::WordAtom without_thread[] = {verify::WordAtom::MaskedEq(kCloneThread, 0)};
  for (const verify::Path& p : ctx.view(abi, *nr)) {
    if (p.outcome.kind != Outcome::Kind::kAction) return p.witness;
    if (!permissive(p.outcome.action)) continue;
    if (const auto flags = verify::restrict(p.words[word], without_thread)) {
      SeccompWords input = p.witness;
      input[word] = flags->witness();
      return input;
    }
  }
  return std::nullopt;
}

struct Route {
  std::vector<Named> denied;
  std::vector<Named> open;
};

Route route_of(AuditContext& ctx, const Abi& abi, const syscalls::SiblingFamily& fam) {
  Route r;
  for (std::string_view m : fam.members) {
    const Answer a = answer(ctx, abi, m);
    if (a.kind == Answer::Kind::kDenied && meant_to_stop(ctx, abi, fam, m, *a.example))
      r.denied.push_back({std::string(m), a});
    const bool opens = a.kind == Answer::Kind::kAllowed || a.kind == Answer::Kind::kPartly;
    if (opens && !syscalls::is_dual_use(fam, m)) r.open.push_back({std::string(m), a});
  }
  if (r.denied.empty()) return r;
  if (fam.id == "fork") {
    const auto clone = std::find_if(r.open.begin(), r.open.end(), [](const Named& n) { return n.name == "clone"; });
    if (clone != r.open.end() && !(clone->input = process_making_clone(ctx, abi))) r.open.erase(clone);
  }
  for (std::string_view name : fam.routes) {
    const Answer a = answer(ctx, abi, name);
    if (a.kind == Answer::Kind::kAllowed || a.kind == Answer::Kind::kPartly) r.open.push_back({std::string(name), a});
  }
  // fchmod after a denied chmod reaches only the files the process can
  // open: no route where it can open none (and a denied descriptor member
  // is routed around by any open sibling, as before).
  const bool path_members_denied = std::none_of(r.denied.begin(), r.denied.end(), [](const Named& n) {
    return syscalls::is_descriptor_only(n.name);
  });
  if (path_members_denied && !opens_files(ctx, abi))
    std::erase_if(r.open, [](const Named& n) { return syscalls::is_descriptor_only(n.name); });
  return r;
}

void family_route(AuditContext& ctx, Findings& out, const Abi& abi, const syscalls::SiblingFamily& fam) {
  const Route r = route_of(ctx, abi, fam);
  if (r.denied.empty() || r.open.empty()) return;
  // The example: a sibling allowed for every input when there is one.
  const auto full = std::find_if(r.open.begin(), r.open.end(),
                                 [](const Named& n) { return n.answer.kind == Answer::Kind::kAllowed; });
  const bool partly = full == r.open.end();
  const Named& ex = partly ? r.open.front() : *full;
  std::vector<std::string> denied_names;
  std::vector<std::string> open_names;
  std::vector<std::string> shown_open;
  for (const Named& n : r.denied) denied_names.push_back(n.name);
  for (const Named& n : r.open) {
    open_names.push_back(n.name);
    const bool some = n.answer.kind == Answer::Kind::kPartly && !partly;
    shown_open.push_back(some ? n.name + " (for some arguments)" : n.name);
  }
  const verify::Path& deny_path = *r.denied.front().answer.example;
  std::string message = fmt::format(
      "{} {} denied on {} but {} {} allowed{}: the kernel operation \"{}\" stays reachable (e.g. {}; the kernel "
      "implements it in {})",
      joined(denied_names), r.denied.size() == 1 ? "is" : "are", abi.name(), joined(shown_open),
      r.open.size() == 1 ? "is" : "are", partly ? " for some arguments" : "", fam.operation,
      AuditContext::call(abi, ex.example()), fam.source);
  if (!fam.note.empty()) message += fmt::format("; {}", fam.note);
  std::string fix = fam.fix.empty() ? fmt::format("deny {} as well, or allow {} deliberately", joined(open_names),
                                                  joined(denied_names))
                                    : std::string(fam.fix);
  Severity s = severity_of(fam.risk);
  if (partly) s = lowered(s);
  Finding& f = out.add(check::kSiblingRoute, s, std::move(message), std::move(fix), ctx.where(abi, deny_path));
  f.inputs = {AuditContext::data_of(abi, ex.example()), AuditContext::data_of(abi, deny_path.witness)};
  f.location = rule_location(ctx, abi, deny_path.witness);
}

}  // namespace

void check_sibling_route(AuditContext& ctx, Findings& out) {
  for (const Abi& abi : ctx.abis()) {
    if (!ctx.tells_apart(abi)) continue;
    for (const syscalls::SiblingFamily& fam : syscalls::sibling_families()) family_route(ctx, out, abi, fam);
  }
}

namespace {

// The syscalls io_uring's opcodes perform that the filter denies on `abi`
// (for some input at least), each named once.
std::vector<std::string> reached_around(AuditContext& ctx, const Abi& abi) {
  std::vector<std::string> out;
  for (const syscalls::IoUringOp& op : syscalls::io_uring_ops()) {
    for (std::string_view call : op.calls) {
      const Answer a = answer(ctx, abi, call);
      if (a.kind != Answer::Kind::kDenied && a.kind != Answer::Kind::kPartly) continue;
      std::string shown =
          a.kind == Answer::Kind::kPartly ? fmt::format("{} (for some arguments)", call) : std::string(call);
      if (std::find(out.begin(), out.end(), shown) == out.end()) out.push_back(std::move(shown));
    }
  }
  return out;
}

}  // namespace

void check_io_uring(AuditContext& ctx, Findings& out) {
  for (const Abi& abi : ctx.abis()) {
    if (!ctx.tells_apart(abi)) continue;
    std::vector<std::string> allowed;
    const verify::Path* example = nullptr;
    for (std::string_view name : syscalls::io_uring_syscalls()) {
      const Answer a = answer(ctx, abi, name);
      if (a.kind != Answer::Kind::kAllowed && a.kind != Answer::Kind::kPartly) continue;
      allowed.emplace_back(name);
      if (example == nullptr) example = a.example;
    }
    if (example == nullptr) continue;
    const std::vector<std::string> around = reached_around(ctx, abi);
    std::string message = fmt::format(
        "{} {} allowed on {} (e.g. {}): operations submitted through an io_uring ring (open, read, write, connect, "
        "accept, send, recv, statx, ...) run without the kernel running the seccomp filter on them",
        joined(allowed), allowed.size() == 1 ? "is" : "are", abi.name(), AuditContext::call(abi, example->witness));
    if (!around.empty())
      message += fmt::format(", so they reach around the filter's denial of {}", list_some(around, 12));
    out.add(check::kIoUring, around.empty() ? Severity::kMedium : Severity::kHigh, std::move(message),
            "deny io_uring_setup, io_uring_enter and io_uring_register, as Docker's default profile does",
            ctx.where(abi, *example))
        .inputs = {AuditContext::data_of(abi, example->witness)};
  }
}

}  // namespace sysfence::audit
