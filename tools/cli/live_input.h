// `--pid PID` on the commands that read a filter (verify, diff, audit, stats,
// disasm): a fresh dump of the process's filters instead of a --bpf file.
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

// --pid PID as a command's one filter: the process's filter when it has
// exactly one. Error for several: "process 12 has a stack of 2 filters; ...".
Expected<bpf::Program> pid_filter(std::string_view pid_text);

// "process 12", the filter's name in reports and messages.
std::string pid_source(std::string_view pid_text);

}  // namespace sysfence::cli
