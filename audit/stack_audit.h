// `sysfence audit` on a filter stack (bpf/stack.h: every filter runs, the
// kernel keeps the lowest action). Each filter is audited on its own
// (audit/program_audit.h), then its findings are sorted by what they are about:
//   * structural findings (unreachable, undefined-action, incomplete,
//     abi-not-handled, instruction-pointer) describe one filter's code and are
//     reported per filter, naming it;
//   * semantic findings (a way through: default-allow, clone-namespaces,
//     arch-unchecked, x32, arg-width, ...) are about what gets through, which
//     for a stack is the combined answer: one is reported only when the whole
//     stack answers its demonstrating inputs as the filter did (another
//     filter may deny them), naming the filter whose paths showed it.
// A semantic issue that no single filter demonstrates on an input the stack
// lets through is not found; the report's scope says so.
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

// Whether a check is about one filter's code rather than what gets through.
bool is_structural_check(std::string_view check);

}  // namespace sysfence::audit
