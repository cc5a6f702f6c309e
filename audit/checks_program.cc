#include <fmt/format.h>

#include <algorithm>
#include <string>
#include <vector>

#include "audit/checks.h"
#include "bpf/flow.h"
#include "bpf/insn.h"
#include "syscalls/table.h"

namespace sysfence::audit {

using syscalls::ArchId;
using verify::WordSet;

namespace {

// What the filter answers on `arch`, which it does not tell syscalls
// apart on (the number is not read there): one action for every call, or,
// where the arguments decide (a `ret A` of an argument, a test of one),
// two of its answers with their calls.
std::string answer_there(AuditContext& ctx, const syscalls::Arch& arch) {
  SeccompData d;
  d.arch = arch.audit_arch;
  const Action zero = ctx.explorer().run(to_words(d, arch.endian)).action();
  const auto abi = std::ranges::find_if(ctx.abis(), [&](const Abi& a) { return a.id == arch.id; });
  if (abi == ctx.abis().end()) return fmt::format("a call with zero arguments there is answered {}", to_string(zero));
  const std::vector<verify::Path>& paths = ctx.view(*abi, 0);
  // A path whose answer is no one action: outside the fragment, or a value
  // computed from the input.
  const auto not_fixed = [](const verify::Path& p) {
    return p.outcome.kind != verify::Outcome::Kind::kAction || p.outcome.symbolic_ret;
  };
  const auto answer = [](const verify::Path& p) { return verify::leaf_action(p.outcome, p.witness); };
  if (!paths.empty() && std::ranges::none_of(paths, not_fixed)) {
    const auto other =
        std::ranges::find_if(paths, [&](const verify::Path& p) { return !(answer(p) == answer(paths.front())); });
    if (other == paths.end()) return fmt::format("every call there is answered {}", to_string(zero));
    return fmt::format("its answer there depends on the arguments (e.g. {} for {}, {} for {})",
                       to_string(answer(paths.front())), AuditContext::call(*abi, paths.front().witness),
                       to_string(answer(*other)), AuditContext::call(*abi, other->witness));
  }
  return fmt::format("its answer there depends on the arguments (a call with zero arguments is answered {})",
                     to_string(zero));
}

}  // namespace

void check_abi_not_handled(AuditContext& ctx, Findings& out) {
  const ProgramAuditOptions& o = ctx.options();
  const ProgramFacts& f = ctx.facts();
  if (o.arch == nullptr || f.handled_arches.contains(o.arch->audit_arch) || f.unchecked || f.stats.truncated) return;
  // A path of that ABI left the fragment: it may tell syscalls apart past
  // the point the walk stopped (`A += 1` on the number), so "every call is
  // answered X" would be a guess; `incomplete` says what was not followed.
  if (f.unsupported_kernel_arches.contains(o.arch->audit_arch)) return;
  out.add(check::kAbiNotHandled, Severity::kInfo,
          fmt::format("the filter does not tell syscalls apart on {} (AUDIT_ARCH {:#x}): {}", o.arch->name,
                      o.arch->audit_arch, answer_there(ctx, *o.arch)),
          "audit with the --arch the filter was written for, or add that ABI to the filter");
}

namespace {

// The ABI the example reads the number in: for the confusion the check is
// about, one whose table disagrees with the ABI the number most likely
// belongs to (`reference`: the meant ABI, else one of its kernel's compat
// ABIs, when the path admits it), and one the filter handles nowhere else.
const syscalls::Arch* example_abi(const AuditContext& ctx, const WordSet& arch_set, uint32_t nr,
                                  const syscalls::Arch* reference) {
  const syscalls::Arch& meant = ctx.meant_arch();
  const auto reference_name = reference != nullptr ? syscalls::table(reference->id).name(nr) : std::nullopt;
  auto score = [&](const syscalls::Arch& a) {  // lower is a better example
    const bool agrees = reference != nullptr && syscalls::table(a.id).name(nr) == reference_name;
    return (agrees ? 4 : 0) + (a.audit_arch == meant.audit_arch ? 2 : 0) +
           (ctx.facts().handled_arches.contains(a.audit_arch) ? 1 : 0);
  };
  const syscalls::Arch* shown = nullptr;
  for (const auto& a : syscalls::all_arches()) {
    if (a.id == ArchId::kX32 || !arch_set.contains(a.audit_arch)) continue;
    if (shown == nullptr || score(a) < score(*shown)) shown = &a;
  }
  return shown;
}

// ", for socket(0x1, 0, 0): the path tests args[0] too" when the answer
// depends on arguments the path tests; else empty.
std::string argument_condition(const verify::Path& p, const syscalls::Arch& a, const SeccompWords& w) {
  std::vector<std::string> tested;
  for (unsigned i = 0; i < 6; ++i) {
    const unsigned lo = arg_lo_offset(i, a.endian) / 4;
    const unsigned hi = arg_hi_offset(i, a.endian) / 4;
    if (!p.words[lo].unconstrained() || !p.words[hi].unconstrained()) tested.push_back(fmt::format("args[{}]", i));
  }
  if (tested.empty()) return {};
  const Abi abi{a.id, a.audit_arch, a.endian};
  return fmt::format(" for {}: the answer depends on {}, which the path tests too", AuditContext::call(abi, w),
                     list_some(tested));
}

}  // namespace

// Reading the number without the arch confuses syscalls only when inputs of
// two ABIs whose tables differ reach it. On the kernel of the ABI the filter
// is written for (--arch, else this machine's; the filter handles it, so it
// was written for that kernel), only that ABI and its compat ABIs exist:
// when at most one of them reaches the unchecked paths, every number there
// is that ABI's own and the finding is low (firejail's i386 branch, written
// in i386 numbers, that only int 0x80 reaches on x86_64). Installed on
// another machine's kernel the filter would still read the numbers wrongly,
// which an audit with that --arch shows as critical.
void check_arch_unchecked(AuditContext& ctx, Findings& out) {
  const ProgramFacts& f = ctx.facts();
  if (!f.unchecked) return;
  const verify::Path& p = f.unchecked->path;
  const syscalls::Arch& meant = ctx.meant_arch();
  const bool one_abi_reaches =
      !f.stats.truncated && f.handled_arches.contains(meant.audit_arch) && f.unchecked_kernel_arches.size() <= 1;
  const syscalls::Arch* reference = nullptr;
  for (const syscalls::Arch* a : ctx.kernel_abis())
    if (reference == nullptr && p.words[verify::kWordArch].contains(a->audit_arch)) reference = a;
  SeccompWords w = p.witness;
  const uint32_t nr = w[verify::kWordNr];
  const syscalls::Arch* shown =
      one_abi_reaches && reference != nullptr ? reference : example_abi(ctx, p.words[verify::kWordArch], nr, reference);
  std::string example;
  if (shown != nullptr) {
    w[verify::kWordArch] = shown->audit_arch;
    const auto meaning = syscalls::table(shown->id).name(nr);
    example = fmt::format("nr {} under AUDIT_ARCH {:#x} ({}: {}) is answered {}", nr, shown->audit_arch, shown->name,
                          meaning ? std::string(*meaning) : std::string("no such syscall"),
                          to_string(ctx.explorer().run(w).action()));
    // What the number means to the ABI the filter was written for, where
    // that ABI has it: the path may exclude that ABI (the arch tested after
    // the number, with the number's answer kept for every other arch).
    const syscalls::Arch* meaning_of = syscalls::table(meant.id).name(nr) ? &meant : reference;
    if (meaning_of != nullptr && meaning_of->id != shown->id)
      if (auto m = syscalls::table(meaning_of->id).name(nr))
        example += fmt::format(" as if it were {} {}", meaning_of->name, *m);
    example += argument_condition(p, *shown, w);
  } else {
    example = fmt::format("nr {} with arch {:#x} is answered {}", nr, w[verify::kWordArch],
                          to_string(ctx.explorer().run(w).action()));
  }
  std::string message = fmt::format("the filter decides on the syscall number without knowing the ABI on {}: {}",
                                    plural(f.unchecked_paths, "path"), example);
  if (one_abi_reaches)
    message += fmt::format(
        "; on a kernel for {} {} reaches these paths, so no number is read in the wrong ABI there, but on another "
        "machine's kernel the filter would read its syscalls by these numbers",
        meant.name, reference != nullptr ? fmt::format("only {}", reference->name) : std::string("no ABI"));
  out.add(check::kArchUnchecked, one_abi_reaches ? Severity::kLow : Severity::kCritical, std::move(message),
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
            fmt::format("{} {} the symbolic fragment ({}); checks that need those paths may miss findings",
                        plural(f.unsupported_paths, "path"), f.unsupported_paths == 1 ? "leaves" : "leave",
                        list_some(f.unsupported, 4)),
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
