// The checks of the program audit (program_audit.h describes each), one
// function per check with one signature; program_audit.cc runs them in a
// fixed order from a table. Private to audit/.
#pragma once

#include "audit/audit_context.h"

namespace sysfence::audit {

using Check = void (*)(AuditContext& ctx, Findings& out);

// checks_program.cc: facts of the whole program.
void check_abi_not_handled(AuditContext& ctx, Findings& out);
void check_arch_unchecked(AuditContext& ctx, Findings& out);
void check_instruction_pointer(AuditContext& ctx, Findings& out);
void check_unreachable(AuditContext& ctx, Findings& out);
void check_undefined_action(AuditContext& ctx, Findings& out);
void check_incomplete(AuditContext& ctx, Findings& out);

// checks_abi.cc: per ABI, over its whole syscall table.
void check_arg_width(AuditContext& ctx, Findings& out);
void check_x32(AuditContext& ctx, Findings& out);
void check_default_allow(AuditContext& ctx, Findings& out);
void check_no_enosys(AuditContext& ctx, Findings& out);

// checks_abi_routes.cc: the host's compat ABIs (syscalls/compat.h).
void check_compat_route(AuditContext& ctx, Findings& out);
void check_compat_only(AuditContext& ctx, Findings& out);
// socketcall/ipc answering every call of a socket/IPC syscall alike while
// the direct syscall is answered by its arguments.
void check_multiplex_bypass(AuditContext& ctx, Findings& out);

// checks_syscalls.cc: particular dangerous syscalls.
void check_seed_blocked(AuditContext& ctx, Findings& out);
void check_ptrace(AuditContext& ctx, Findings& out);
void check_personality(AuditContext& ctx, Findings& out);
void check_clone_flags(AuditContext& ctx, Findings& out);
void check_unshare(AuditContext& ctx, Findings& out);
void check_clone3(AuditContext& ctx, Findings& out);
void check_kernel_exempt(AuditContext& ctx, Findings& out);

// checks_siblings.cc: routes around a rule (syscalls/siblings.h).
void check_sibling_route(AuditContext& ctx, Findings& out);
void check_io_uring(AuditContext& ctx, Findings& out);

}  // namespace sysfence::audit
