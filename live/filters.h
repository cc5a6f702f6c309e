// The seccomp filters a running process enforces, as the kernel holds them.
//
// The kernel hands a task's filters to its ptrace tracer only
// (PTRACE_SECCOMP_GET_FILTER, Linux 4.4; the flags through
// PTRACE_SECCOMP_GET_METADATA, 4.15), only when it was built with
// CONFIG_CHECKPOINT_RESTORE, and only to a caller with CAP_SYS_ADMIN in the
// initial user namespace that is not itself under seccomp (read_stack checks
// both before it stops the task).
// read_stack attaches with PTRACE_SEIZE (which, unlike PTRACE_ATTACH, sends no
// SIGSTOP), stops the task with PTRACE_INTERRUPT, reads, and detaches on every
// path: the task is never left stopped, and a signal that arrived meanwhile is
// delivered. The stop wakes a call the task is blocked in; the kernel
// continues a sleep through restart_syscall(2), which the task's own filters
// may deny, so on x86_64 such a call is made to return EINTR instead
// (live/restart.h). Filters are per thread: only the thread PID is read, and
// the other threads of its process whose seccomp state differs are named.
//
// Numbering: the kernel's filter index counts from the first filter installed
// (index 0 = the oldest; get_nth_filter in kernel/seccomp.c). The kernel runs
// the newest filter first, so LiveStack::filters lists them newest first, each
// with its kernel index.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/expected.h"
#include "bpf/insn.h"
#include "live/restart.h"

namespace sysfence::live {

// /proc/PID/status `Seccomp:` (SECCOMP_MODE_DISABLED, _STRICT, _FILTER).
enum class SeccompMode : uint8_t { kDisabled, kStrict, kFilter };

// "disabled", "strict", "filter".
const char* mode_name(SeccompMode mode);

struct ProcessSeccomp {
  SeccompMode mode;
  unsigned filter_count;  // `Seccomp_filters:` (5.9); 0 where the kernel does not say
  bool no_new_privs;      // `NoNewPrivs:`
};

// Reads /proc/PID/status. Error: "process 123: no such process".
Expected<ProcessSeccomp> read_process_seccomp(pid_t pid);

struct LiveFilter {
  unsigned index;  // the kernel's PTRACE_SECCOMP_GET_FILTER index: 0 = the oldest
  bpf::Program program;
  bool log_flag;  // installed with SECCOMP_FILTER_FLAG_LOG
};

// Another thread of the process, whose seccomp mode or filter count differs
// from the thread read's (a thread that installed a filter without TSYNC).
struct OtherThread {
  pid_t tid;
  ProcessSeccomp status;
};

struct LiveStack {
  pid_t pid;
  ProcessSeccomp status;
  std::vector<LiveFilter> filters;  // newest first: the order the kernel runs them
  // The call the stop interrupted that now returns EINTR (restart.h).
  std::optional<InterruptedCall> interrupted;
  std::vector<OtherThread> other_threads;
};

// The other threads of PID's process (/proc/PID/task) whose mode or filter
// count differs from `read` (PID's own state).
std::vector<OtherThread> threads_differing(pid_t pid, const ProcessSeccomp& read);

// "thread 124 has 2 filters: dump --pid 124" (no seccomp / strict mode likewise).
std::string describe(const OtherThread& thread);

// What reading did and what it did not read, one sentence each, for the CLI
// to print as notes: the interrupted call, then the threads that differ.
std::vector<std::string> notes(const LiveStack& stack);

// PTRACE_SEIZE + PTRACE_INTERRUPT, read every filter, PTRACE_DETACH. Errors
// (exact, tested):
//   process 123: no such process
//   process 123 has no seccomp filter (Seccomp: 0)
//     (followed by "; thread 124 has 1 filter: dump --pid 124" for the threads that have)
//   process 123 is in seccomp strict mode, which has no filter to read
//   process 123 is already traced by process 45; the kernel hands filters to one tracer only
//   cannot read the filters of process 123: CAP_SYS_ADMIN is required
//   cannot read the filters of process 123: CAP_SYS_ADMIN in the initial user namespace is required, and
//     sysfence runs in a user namespace of its own (its capabilities there do not count)
//   cannot read the filters of process 123: sysfence itself runs under seccomp (mode filter), and the
//     kernel hands filters only to an unconfined caller
//   cannot read the filters of process 123: the kernel was built without CONFIG_CHECKPOINT_RESTORE
Expected<LiveStack> read_stack(pid_t pid);

// The same for a task this process already traces and that is in a ptrace
// stop (launch.h): every filter, newest first. Does not detach.
Expected<std::vector<LiveFilter>> read_filters_of_stopped(pid_t pid);

// The programs of `filters` (newest first) oldest first: the kernel's index
// order, which bpf::StackInterpreter takes.
std::vector<bpf::Program> oldest_first(const std::vector<LiveFilter>& filters);

}  // namespace sysfence::live
