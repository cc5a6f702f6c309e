// `sysfence dump -- CMD`: start a command under ptrace and read its filters
// at the moment it runs under them: its N-th execve made with a filter
// installed (a launcher such as `sysfence run` or runc installs the filter,
// then execs the workload), or, when it never gets there, just before it
// exits. Only the process itself is followed, not the children it forks.
#pragma once

#include <sys/types.h>

#include <span>
#include <string>

#include "base/expected.h"
#include "live/filters.h"

namespace sysfence::live {

struct Launched {
  LiveStack stack;
  pid_t child = 0;   // detached and running again; reap it with wait_for_exit
  std::string when;  // "at execve 1 (/usr/bin/sleep)" or "at exit"
};

// Forks and execs argv[0] (searched in PATH) under PTRACE_SEIZE with
// PTRACE_O_TRACEEXEC | PTRACE_O_TRACEEXIT; signals it receives meanwhile are
// delivered. On success and on every error after the fork the child is
// detached and left running (an error names the child; the caller reaps it).
// Errors: "CMD exited before installing a seccomp filter", and read_stack's.
struct LaunchError {
  std::string message;
  pid_t child = 0;  // 0 when no child runs
};
Expected<Launched, LaunchError> launch_and_read(std::span<const std::string> argv, unsigned at_exec);

// Waits for the child; its wait status.
int wait_for_exit(pid_t child);

}  // namespace sysfence::live
