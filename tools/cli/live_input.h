// `--pid PID` on the commands that read filters (verify, diff, audit, stats,
// disasm): a fresh dump of the process's filters instead of a --bpf file.
// filter_stack.h turns it into the command's filter stack.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>
#include <vector>

#include "base/expected.h"
#include "bpf/insn.h"

namespace sysfence::cli {

// Every filter the process enforces, newest first (live::read_stack's
// errors).
Expected<std::vector<bpf::Program>> read_pid_filters(pid_t pid);

// The --pid value. Error: `invalid --pid "x": expected a process id`.
Expected<pid_t> parse_pid(std::string_view text);

// "process 12", the filter's name in reports and messages.
std::string pid_source(std::string_view pid_text);

}  // namespace sysfence::cli
