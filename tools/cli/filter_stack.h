// Reading the filter stack a command works on, the same way for every command
// that takes filters (sim, verify, diff, stats, audit):
//   --bpf FILE [--bpf FILE ..]  raw filters in installation order: the first
//                               --bpf is the oldest filter, the last the newest;
//   --bpf DIR                   a dump directory (`sysfence dump -o DIR`):
//                               files filter-<index>.bpf with the kernel's
//                               index, 0 = the oldest, so index order is
//                               installation order; other files (stack.json)
//                               are ignored;
//   --pid PID                   the stack the running process enforces, read
//                               now (live::read_stack).
// "filter N" everywhere means the kernel's index N: the installation
// position, the number `sysfence dump` prints and writes.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/expected.h"
#include "base/seccomp.h"
#include "bpf/insn.h"
#include "tools/cli/args.h"

namespace sysfence::cli {

struct FilterStack {
  // Installation order: programs[0] is the oldest, programs.back() the newest.
  std::vector<bpf::Program> programs;
  // Where each came from, for messages ("a.bpf", "dump/filter-0.bpf",
  // "<stdin>", "process 42 filter 1"; a process's only filter is "process 42").
  std::vector<std::string> names;

  size_t size() const { return programs.size(); }
};

// Every --bpf value, or --pid (see above), read in `byte_order`. Errors name the file:
// unreadable or malformed files, a directory without filter-0.bpf or with a
// gap in its numbering, a directory given together with other --bpf values,
// stdin ("-") twice. The programs are read, not validated.
Expected<FilterStack> read_filter_stack(const ParsedArgs& parsed, Endian byte_order);

// The same for explicit values (a diff side's DIR, a list of files).
Expected<FilterStack> read_filter_stack(const std::vector<std::string>& sources, Endian byte_order);

// The stack of the process `pid_text` names (a --pid value), in installation
// order. Errors: parse_pid's and live::read_stack's.
Expected<FilterStack> read_pid_stack(std::string_view pid_text);

// Whether `path` names a directory (a dump directory rather than a raw file).
bool is_directory(const std::string& path);

}  // namespace sysfence::cli
