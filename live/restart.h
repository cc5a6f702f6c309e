// What stopping a thread to read it would do to a call it is blocked in.
//
// PTRACE_INTERRUPT (and a signal reported to a tracer) wakes a thread blocked
// in nanosleep, clock_nanosleep, a futex wait with a timeout or poll; the call
// ends with -ERESTART_RESTARTBLOCK, and when the thread resumes without a
// signal handler to run, the kernel continues the call through
// restart_syscall(2) (arch_do_signal_or_restart, get_nr_restart_syscall),
// which passes through seccomp like any call. A filter that does not allow
// restart_syscall would turn a mere read into a failed sleep or a killed
// process. The kernel decides on the restart after the stop, from the
// thread's registers, so a tracer that sets the return register to -EINTR
// while the thread is stopped makes the call return EINTR instead: what a
// signal with a handler would have caused, which every program handles.
//
// A tracer that stops a thread more than once (`record --pid`: at the
// attach, at syscall and signal stops, at the detach; `dump -- CMD` at its
// signal stops) checks those stops with keep_restart_harmless, which reads
// the thread's filters only when the stop is in such a call: always the
// stack the thread holds then (a filter installed meanwhile, by the thread
// or through TSYNC, included), and only a PTRACE_GETREGS at the other stops.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "bpf/insn.h"

namespace sysfence::live {

// A call that now returns EINTR instead of being restarted.
struct InterruptedCall {
  pid_t tid = 0;
  uint32_t nr = 0;          // the interrupted call's number, as its ABI numbers it
  const char* abi = "";     // "x86_64", "i386" or "x32": the ABI the kernel restarts it in
  uint32_t restart_nr = 0;  // restart_syscall's number in that ABI
  uint32_t answer = 0;      // the filters' answer to restart_syscall
  int poke_error = 0;       // errno when the return value could not be set (the call then ends as `answer` says)
  // Why the filters could not be read ("CAP_SYS_ADMIN is required"), empty
  // when they were. Unread filters are taken as denying restart_syscall: the
  // call returns EINTR (`answer` 0), a sleep cut short rather than a process
  // its filter might kill.
  std::string unread;
};

// For thread `tid`, in a ptrace stop, whose filters were read (`installed`:
// oldest first, the kernel's index order): when it was stopped in a call the kernel
// would continue through restart_syscall and the filters answer that with
// anything but ALLOW or LOG, makes the call return EINTR and says so. Nothing
// otherwise, and nothing on hosts other than x86_64 (there the call is
// restarted as the kernel decides).
std::optional<InterruptedCall> return_eintr_if_restart_denied(pid_t tid, std::span<const bpf::Program> installed);

// The same for thread `tid` of a task this process traces, in a ptrace stop,
// whose filters the caller has not read: one PTRACE_GETREGS, and only when
// the stop is in a call the kernel would continue through restart_syscall
// and the thread is in filter mode, its filters read now
// (read_filters_of_stopped). When they cannot be read, the call returns
// EINTR all the same and InterruptedCall::unread says why.
std::optional<InterruptedCall> keep_restart_harmless(pid_t tid);

// "thread 123 was interrupted in syscall 35 (x86_64), which the kernel continues through
// restart_syscall; its filters answer that with ERRNO(13), so the call returns EINTR instead (as
// after a signal with a handler)"; for unread filters "...; its filters could not be read
// (CAP_SYS_ADMIN is required), so the call returns EINTR instead, in case they deny that ...".
std::string describe(const InterruptedCall& call);

}  // namespace sysfence::live
