// Reading the filter stack a command works on, the same way for every command
// that takes filters (sim, verify, diff, stats, audit):
//   --bpf FILE [--bpf FILE ..]  raw filters in installation order: the first
//                               --bpf is the oldest filter, the last the newest;
//   --bpf DIR                   a dump directory (`sysfence dump -o DIR`):
//                               files filter-<index>.bpf, index 0 = the
//                               newest, as the kernel numbers them; other
//                               files (stack.json) are ignored.
// One source of filters for the commands, so that another (a live process)
// is one more branch here.
#pragma once

#include <string>
#include <vector>

#include "base/expected.h"
#include "base/seccomp.h"
#include "bpf/insn.h"
#include "tools/cli/args.h"

namespace sysfence::cli {

struct FilterStack {
  // Installation order: programs[0] is the oldest, programs.back() the newest.
  std::vector<bpf::Program> programs;
  // Where each came from, for messages ("a.bpf", "dump/filter-0.bpf", "<stdin>").
  std::vector<std::string> names;

  size_t size() const { return programs.size(); }
  // The name of the filter the kernel numbers `index` (0 = the newest).
  const std::string& name_of_kernel_index(size_t index) const { return names[names.size() - 1 - index]; }
};

// Every --bpf value (see above), read in `byte_order`. Errors name the file:
// unreadable or malformed files, a directory without filter-0.bpf or with a
// gap in its numbering, a directory given together with other --bpf values,
// stdin ("-") twice. The programs are read, not validated.
Expected<FilterStack> read_filter_stack(const ParsedArgs& parsed, Endian byte_order);

// The same for explicit values (a diff side's DIR, a list of files).
Expected<FilterStack> read_filter_stack(const std::vector<std::string>& sources, Endian byte_order);

// Whether `path` names a directory (a dump directory rather than a raw file).
bool is_directory(const std::string& path);

}  // namespace sysfence::cli
