#include "audit/program_audit.h"

#include "audit/audit_context.h"
#include "audit/checks.h"

namespace sysfence::audit {

namespace {

struct CheckEntry {
  std::string_view id;  // the check id its findings carry
  Check run;
};

// In this order: the per-syscall path sets are walked on first use under a
// budget shared by all checks, so the order decides which findings a filter
// over the budget still gets; `incomplete` comes last to see every budget.
constexpr CheckEntry kChecks[] = {
    {check::kAbiNotHandled, check_abi_not_handled},
    {check::kArchUnchecked, check_arch_unchecked},
    {check::kInstructionPointer, check_instruction_pointer},
    {check::kUnreachable, check_unreachable},
    {check::kUndefinedAction, check_undefined_action},
    {check::kArgWidth, check_arg_width},
    {check::kX32, check_x32},
    {check::kCompatRoute, check_compat_route},
    {check::kCompatOnly, check_compat_only},
    {check::kMultiplexBypass, check_multiplex_bypass},
    {check::kDefaultAllow, check_default_allow},
    {check::kNoEnosys, check_no_enosys},
    {check::kSeedBlocked, check_seed_blocked},
    {check::kPtrace, check_ptrace},
    {check::kPersonality, check_personality},
    {check::kCloneNamespaces, check_clone_flags},
    {check::kUnshare, check_unshare},
    {check::kCloneNamespaces, check_clone3},
    {check::kSiblingRoute, check_sibling_route},
    {check::kIoUring, check_io_uring},
    {check::kKernelExempt, check_kernel_exempt},
    {check::kIncomplete, check_incomplete},
};

}  // namespace

bool is_own_code_check(std::string_view check) {
  return check == check::kUnreachable || check == check::kUndefinedAction || check == check::kIncomplete ||
         check == check::kAbiNotHandled || check == check::kInstructionPointer || check == check::kArchUnchecked;
}

Report audit_program(const verify::PathExplorer& program, const ProgramAuditOptions& options) {
  AuditContext ctx(program, options);
  Findings findings;
  for (const CheckEntry& c : kChecks) {
    if (options.skip_default_check && c.id == check::kDefaultAllow) continue;
    if (options.own_code_only && !is_own_code_check(c.id)) continue;
    c.run(ctx, findings);
  }
  Report report;
  report.findings = findings.take();
  report.scope = ctx.scope();
  sort_findings(report.findings);
  return report;
}

std::vector<uint32_t> audited_arches(const verify::PathExplorer& program, const ProgramAuditOptions& options) {
  const AuditContext ctx(program, options);
  std::vector<uint32_t> out;
  for (const Abi& abi : ctx.abis()) out.push_back(abi.audit_arch);
  return out;
}

Expected<Report> audit_program(std::span<const bpf::Insn> program, const ProgramAuditOptions& options) {
  auto explorer = verify::PathExplorer::create(bpf::Program(program.begin(), program.end()));
  if (!explorer) return fail(explorer.error().message);
  return audit_program(*explorer, options);
}

}  // namespace sysfence::audit
