// `sysfence audit` on a filter stack (bpf/stack.h: every filter runs, the
// kernel keeps the lowest action). Each filter is audited with the stack's
// answers (ProgramAuditOptions::stack): the checks that read per-syscall
// paths walk the stack's joint paths (verify/stack.h), so a finding that
// lists syscalls, ABIs or flags lists what the whole stack lets through,
// whichever filter's rule allows it and in whatever order the filters are,
// and names the filter that decides its example. Every filter's audit reads
// the same ABIs (those any filter handles) and finds these alike; each is
// reported once. The findings about one filter's own code (unreachable,
// undefined-action, incomplete, abi-not-handled, instruction-pointer,
// arch-unchecked) are reported per filter, naming it; arch-unchecked only
// when the stack answers its example as the filter does.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "audit/finding.h"
#include "audit/program_audit.h"
#include "base/expected.h"
#include "bpf/insn.h"

namespace sysfence::audit {

// `stack` in installation order (the oldest first), a name per filter.
// Errors: an invalid filter ("NAME: <validator message>").
Expected<Report> audit_stack(std::span<const bpf::Program> stack, std::span<const std::string> names,
                             const ProgramAuditOptions& options);

}  // namespace sysfence::audit
