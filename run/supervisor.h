// The --trace-denials supervisor: receives the USER_NOTIF notifications of
// the filter from rewrite.h's notify_variant, decides each call with
// policy::evaluate on the ORIGINAL policy, prints it, and makes the call
// end the way the original filter would have ended it.
//
// Fidelity (what the program sees, compared with the plain filter):
//  * ERRNO(n): the call returns -n (ERRNO(0): returns 0 without running),
//    exactly as the kernel does. TRACE with no tracer: -ENOSYS, as the
//    kernel. (With a ptracer using PTRACE_O_TRACESECCOMP attached the plain
//    filter would stop in the tracer instead; the supervisor does not.)
//  * KILL_PROCESS / KILL_THREAD: the kernel forces SIGSYS with a core dump,
//    ignoring handlers and masks. The supervisor sends SIGSYS to the calling
//    thread (tgkill) when the thread neither catches, ignores nor blocks it,
//    which ends the process with the same signal and core-dump rules, and
//    with the filter installed WAIT_KILLABLE_RECV (5.19+) the signal is
//    pending before the call returns, so no further instruction runs.
//    Otherwise it uses SIGKILL (the status then says SIGKILL) and says so.
//    KILL_THREAD of a thread in a multi-threaded process kills the whole
//    process here (the kernel would end only that thread).
//  * TRAP: the call returns its own number (the kernel's syscall_rollback)
//    and SIGSYS is delivered to the thread; with WAIT_KILLABLE_RECV the
//    signal is pending when the call returns, as with the kernel. The
//    siginfo differs: si_code is SI_TKILL and si_pid the supervisor, not
//    SYS_SECCOMP with si_syscall / si_call_addr / si_arch (the kernel lets
//    no process forge a positive si_code). A thread that blocks or ignores
//    SIGSYS would be killed by the kernel's forced signal; here it gets
//    SIGKILL.
//  * A signal that arrives while a call waits for the supervisor (before it
//    was received) interrupts the wait: the call restarts (and is reported
//    once it completes) or fails with EINTR under a handler without
//    SA_RESTART, where the plain filter would have answered at once.
//  * If sysfence itself is killed (SIGKILL), the listener closes and every
//    call the filter notifies fails with ENOSYS from then on.
//  * A filter chain has one listener: with the supervisor's filter in
//    place, the program cannot install a NEW_LISTENER filter of its own
//    (EBUSY).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <string>

#include "base/expected.h"
#include "base/seccomp.h"
#include "policy/policy.h"
#include "syscalls/arch.h"

namespace sysfence::run {

// How one notified call ends, from the action alone.
struct Answer {
  enum class Kind : uint8_t {
    kReturn,    // reply: the call returns `error` if non-zero, else `val`
    kContinue,  // ALLOW / LOG: let the call run (never for the notify variant)
    kKill,      // KILL_PROCESS / KILL_THREAD
    kTrap,      // TRAP
  };
  Kind kind = Kind::kReturn;
  int32_t error = 0;  // -errno for kReturn
  int64_t val = 0;    // kReturn's success value; the rolled-back number for kKill / kTrap
};

// `native` is the ABI of the kernel's errno values (ENOSYS for TRACE and for
// USER_NOTIF, which has no listener to answer it in the original filter's
// place either).
Answer answer_for(Action action, uint32_t nr, syscalls::ArchId native);

struct SupervisorOptions {
  const policy::Policy* policy = nullptr;
  syscalls::ArchId native = syscalls::ArchId::kX86_64;
  pid_t first_pid = 0;         // the command's process: lines for it carry no [pid N]
  bool killable_wait = false;  // the filter has SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
  size_t string_limit = 256;   // bytes of a string argument shown
  // Receives each finished line (no newline); default: one write(2) to stderr.
  std::function<void(const std::string&)> print;
};

// Handles notifications of one listener fd.
class Supervisor {
 public:
  explicit Supervisor(SupervisorOptions options);

  // Receives and answers one notification (call when the fd is readable).
  // A notification that went away meanwhile (the caller died or was
  // interrupted) is not an error and prints nothing. Errors: the listener
  // fd is unusable.
  Expected<void> handle_one(int listener_fd);

  // Denied calls answered so far.
  uint64_t denials() const { return denials_; }

 private:
  void emit(const std::string& line) const;
  void deliver_signal_death(pid_t tid, uint64_t id, int listener_fd, const Answer& a, bool kill_thread);
  void deliver_trap(pid_t tid, uint64_t id, int listener_fd, const Answer& a);

  SupervisorOptions options_;
  uint64_t denials_ = 0;
  bool warned_kill_thread_ = false;
};

}  // namespace sysfence::run
