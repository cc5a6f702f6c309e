#include <fmt/format.h>

#include "audit/checks.h"
#include "bpf/flow.h"
#include "bpf/insn.h"
#include "syscalls/table.h"

namespace sysfence::audit {

using syscalls::ArchId;
using verify::WordSet;

void check_abi_not_handled(AuditContext& ctx, Findings& out) {
  const ProgramAuditOptions& o = ctx.options();
  const ProgramFacts& f = ctx.facts();
  if (o.arch == nullptr || f.handled_arches.contains(o.arch->audit_arch) || f.unchecked || f.stats.truncated) return;
  SeccompData d;
  d.arch = o.arch->audit_arch;
  const Action a = ctx.explorer().run(to_words(d, o.arch->endian)).action();
  out.add(check::kAbiNotHandled, Severity::kInfo,
          fmt::format("the filter does not tell syscalls apart on {} (AUDIT_ARCH {:#x}): every call there is "
                      "answered {}",
                      o.arch->name, o.arch->audit_arch, to_string(a)),
          "audit with the --arch the filter was written for, or add that ABI to the filter");
}

void check_arch_unchecked(AuditContext& ctx, Findings& out) {
  const ProgramFacts& f = ctx.facts();
  if (!f.unchecked) return;
  const verify::Path& p = f.unchecked->path;
  // Show the number on a real ABI the path admits, preferably one the
  // filter handles nowhere else (the confusion the check is about).
  const WordSet& arch_set = p.words[verify::kWordArch];
  const syscalls::Arch& meant = ctx.meant_arch();
  auto score = [&](const syscalls::Arch& a) {  // lower is a better example
    return (a.audit_arch == meant.audit_arch ? 2 : 0) + (f.handled_arches.contains(a.audit_arch) ? 1 : 0);
  };
  const syscalls::Arch* shown = nullptr;
  for (const auto& a : syscalls::all_arches()) {
    if (a.id == ArchId::kX32 || !arch_set.contains(a.audit_arch)) continue;
    if (shown == nullptr || score(a) < score(*shown)) shown = &a;
  }
  SeccompWords w = p.witness;
  std::string example;
  const uint32_t nr = w[verify::kWordNr];
  const Action action = ctx.explorer().run(w).action();
  if (shown != nullptr) {
    w[verify::kWordArch] = shown->audit_arch;
    const Action again = ctx.explorer().run(w).action();
    const auto meaning = syscalls::table(shown->id).name(nr);
    example = fmt::format("nr {} under AUDIT_ARCH {:#x} ({}: {}) is answered {}", nr, shown->audit_arch, shown->name,
                          meaning ? std::string(*meaning) : std::string("no such syscall"), to_string(again));
    if (meant.id != shown->id)
      if (auto m = syscalls::table(meant.id).name(nr)) example += fmt::format(" as if it were {} {}", meant.name, *m);
  } else {
    example = fmt::format("nr {} with arch {:#x} is answered {}", nr, w[verify::kWordArch], to_string(action));
  }
  out.add(check::kArchUnchecked, Severity::kCritical,
          fmt::format("the filter decides on the syscall number without knowing the ABI on {}: {}",
                      plural(f.unchecked_paths, "path"), example),
          "load seccomp_data.arch first and return KILL_PROCESS for every arch the filter was not written for",
          fmt::format("instruction {}", f.unchecked->pc))
      .inputs = {from_words(w, shown != nullptr ? shown->endian : ctx.default_endian())};
}

void check_instruction_pointer(AuditContext& ctx, Findings& out) {
  const ProgramFacts& f = ctx.facts();
  if (!f.ip) return;
  const SeccompWords& w = f.ip->path.witness;
  out.add(check::kInstructionPointer, Severity::kMedium,
          fmt::format("decisions depend on seccomp_data.instruction_pointer ({}; e.g. ip {:#x} is answered {}): any "
                      "code in the process can jump to an allowed syscall instruction, so this is no security "
                      "boundary",
                      plural(f.ip_paths, "path"), (uint64_t{w[verify::kWordIpHi]} << 32) | w[verify::kWordIpLo],
                      to_string(ctx.explorer().run(w).action())),
          "decide on the syscall and its arguments only", fmt::format("instruction {}", f.ip->pc))
      .inputs = {from_words(w, ctx.default_endian())};
}

// `ret K` with action bits no SECCOMP_RET_* action has: the kernel kills
// the process, which such a value rarely means (a typo, a lost shift).
void check_undefined_action(AuditContext& ctx, Findings& out) {
  const bpf::Program& prog = ctx.explorer().program();
  const auto facts = bpf::analyze_flow(prog);
  std::vector<uint32_t> where;
  for (uint32_t i = 0; i < prog.size(); ++i) {
    if (prog[i].code == (bpf::kRet | bpf::kRetK) && facts[i].reached && !decode(prog[i].k).known()) where.push_back(i);
  }
  if (where.empty()) return;
  out.add(check::kUndefinedAction, Severity::kLow,
          fmt::format("{} {} {} {:#010x}, which selects no seccomp action: the kernel kills the process",
                      where.size() == 1 ? "instruction" : "instructions", ranges(where),
                      where.size() == 1 ? "returns" : "return values such as", prog[where.front()].k),
          "return the SECCOMP_RET_* action meant (KILL_PROCESS when killing is meant)");
}

void check_unreachable(AuditContext& ctx, Findings& out) {
  const ProgramFacts& f = ctx.facts();
  const auto flow = bpf::analyze_flow(ctx.explorer().program());
  std::vector<uint32_t> no_jump;
  std::vector<uint32_t> no_input;
  for (uint32_t i = 0; i < flow.size(); ++i) {
    if (!flow[i].reached) no_jump.push_back(i);
    else if (!f.executed[i]) no_input.push_back(i);
  }
  // Without every path walked, "no input runs it" is not known.
  const bool complete = !f.stats.truncated && f.unsupported_paths == 0 && f.traces_complete;
  if (!complete) no_input.clear();
  if (no_jump.empty() && no_input.empty()) return;
  std::string what;
  if (!no_jump.empty())
    what = fmt::format("{} {} no jump reaches", no_jump.size() == 1 ? "instruction" : "instructions", ranges(no_jump));
  if (!no_input.empty())
    what +=
        fmt::format("{}{} {} never executed for any seccomp_data (their tests contradict earlier ones)",
                    what.empty() ? "" : "; ", no_input.size() == 1 ? "instruction" : "instructions", ranges(no_input));
  out.add(check::kUnreachable, Severity::kLow, what,
          "remove the dead code, or fix the jump offsets or tests that were meant to reach it");
}

void check_incomplete(AuditContext& ctx, Findings& out) {
  const ProgramFacts& f = ctx.facts();
  if (f.unsupported_paths > 0) {
    out.add(check::kIncomplete, Severity::kInfo,
            fmt::format("{} leave the symbolic fragment ({}); checks that need those paths may miss findings",
                        plural(f.unsupported_paths, "path"), list_some(f.unsupported, 4)),
            "");
  }
  if (f.stats.truncated || ctx.view_truncated() || ctx.pairs_truncated()) {
    out.add(check::kIncomplete, Severity::kInfo,
            fmt::format("the filter has more paths than the audit's budget ({} paths, {} word constraints); "
                        "findings may be missing",
                        ctx.options().max_paths, ctx.options().max_work),
            "");
  }
}

}  // namespace sysfence::audit
