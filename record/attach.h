// `sysfence record --pid PID`: recording a process that is already running.
// A seccomp filter can only be installed by a process on itself, so the
// USER_NOTIF mechanism of recorder.h cannot reach it; this mode traces it
// instead: PTRACE_SEIZE of every thread (new threads and children follow
// through PTRACE_O_TRACECLONE/FORK/VFORK), PTRACE_SYSCALL, and at each
// syscall-entry stop PTRACE_GET_SYSCALL_INFO (Linux 5.3) gives the ABI the
// call really used (i386 through int 0x80, x32), its number and arguments.
//
// What it sees: only the calls made while attached; nothing from before.
// What the process may notice: every call stops twice (entry and exit)
// for a round trip through sysfence, so it runs several times slower; it
// has a tracer (TracerPid, and no other debugger can attach meanwhile). A
// stop wakes a sleep, which the kernel continues through restart_syscall;
// where the thread's filters deny that (or cannot be read), the sleep returns
// EINTR instead (live/restart.h), and Recording::notes names the thread.
// Signals and job-control stops reach it as before; when the recording
// ends every thread is detached with the signal it was about to receive,
// and it runs on (PTRACE_O_EXITKILL is not used: sysfence dying kills it
// not).
#pragma once

#include <sys/types.h>

#include <chrono>

#include "base/expected.h"
#include "record/recorder.h"

namespace sysfence::record {

struct AttachOptions {
  bool keep_args = true;
  // Stop after this long (zero: until the process tree is gone or sysfence
  // gets SIGINT or SIGTERM).
  std::chrono::milliseconds duration{0};
};

// Records process `pid` and every thread and child it starts while
// attached, until they are all gone, SIGINT/SIGTERM reaches sysfence (both
// are blocked and taken through a signalfd meanwhile), or `duration`
// passes; then detaches from every task still traced. Observations::command
// is the process's command line. When the process itself exited while
// traced, Recording::exit_code/term_signal say how; otherwise 0.
// Errors (exit_code 125), exact:
//   process 123: no such process
//   process 123 is already traced by process 45 (a debugger or another recorder)
//   cannot trace process 123: permission denied (ptrace needs CAP_SYS_PTRACE or the same user[; Yama ...])
//   process 123 has ended (a zombie its parent has not reaped)
Expected<Recording, RecordError> record_process(pid_t pid, const AttachOptions& options);

}  // namespace sysfence::record
