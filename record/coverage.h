// The coverage summary `sysfence record` prints on stderr, so that the user
// sees what they are about to allow: the syscalls per ABI, the programs that
// made the most calls, what the base profile (--base) denied, and every
// recorded syscall Docker would refuse a container or documents as
// dangerous, with the reason.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "policy/policy.h"
#include "record/observations.h"

namespace sysfence::record {

struct CoverageOptions {
  // The --base profile resolved for this machine (not owned; null: no
  // base), and the name it goes by ("default", a path).
  const policy::Policy* base = nullptr;
  std::string base_name;
  // Docker's default profile resolved for this machine (not owned; may be
  // null). Where the default allows a syscall only for some arguments, the
  // argument tuples the recorder kept are checked against it, and a syscall
  // whose every recorded call it allows is not flagged for that.
  const policy::Policy* docker_default = nullptr;
  // How many callers the "top callers" line names.
  size_t top_callers = 5;
};

// Plain text lines, no trailing newline, in a fixed order:
//   x86_64: 41 syscalls, 18342 calls
//   i386: 3 syscalls, 12 calls
//   top callers: /usr/bin/python3 (18000 calls), /bin/sh (354 calls)
//   denied by the base (default) on x86_64: mount, ptrace
//   allowed by the base (default) on x86_64 only for some arguments: clone
//   dangerous: mount (x86_64): Docker's default profile blocks it (Docker's documentation: "...")
// ABIs in ArchId order, callers by calls (most first, then by name), names
// alphabetically. Without recorded calls, one line saying so.
std::vector<std::string> coverage_summary(const Observations& observations, const CoverageOptions& options);

}  // namespace sysfence::record
