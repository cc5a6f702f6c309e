// The recorder behind `sysfence record`: runs a command and notes every
// system call it and all its descendants (threads, forks, execs) make, per
// ABI, without changing what they do.
//
// Mechanism: a child installs a one-instruction filter that answers every
// call with SECCOMP_RET_USER_NOTIF (flag NEW_LISTENER) and execs the
// command; sysfence, its parent, receives each notification (pid, arch, nr,
// arguments), counts it and lets the call run with
// SECCOMP_USER_NOTIF_FLAG_CONTINUE. One listener serves the whole process
// tree, since filters are inherited across fork, clone and execve. (The
// README compares this with SECCOMP_RET_TRACE + ptrace and the audit log,
// with measurements.) The listener reaches the parent as run.h describes:
// the child is created with CLONE_FILES, so the fd seccomp(2) returns is in
// the parent's table at once and the child makes no call between installing
// and execve that would wait for a listener not yet watched.
//
// What the program may notice:
//  * no_new_privs is set unless sysfence has CAP_SYS_ADMIN (as `sysfence
//    run`): a set-uid or file-capability program then runs without its
//    privilege, and what it does may differ from a privileged run.
//  * a filter chain has one listener: a program that installs a
//    NEW_LISTENER filter of its own gets EBUSY.
//  * a signal arriving while a call waits for the recorder (before the
//    recorder received it) interrupts the wait: the call is restarted (and
//    counted twice), or fails with EINTR under a handler without SA_RESTART.
//    After receipt the wait is killable only (WAIT_KILLABLE_RECV, 5.19+).
//  * every call takes a round trip through sysfence (see bench/RESULTS.md).
#pragma once

#include <sys/types.h>

#include <array>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "base/expected.h"
#include "record/observations.h"

namespace sysfence::record {

struct RecordOptions {
  // Keep the argument tuples of the calls `--args` turns into rules
  // (argument_rule_syscall below).
  bool keep_args = true;
  // Set no_new_privs even with CAP_SYS_ADMIN.
  bool no_new_privs = false;
};

struct Recording {
  Observations observations;
  // How the command ended: its exit code, or the signal that killed it
  // (then term_signal != 0 and exit_code is 128 + the signal).
  int exit_code = 0;
  int term_signal = 0;
  // execve of the command failed (errno), the recording is then empty.
  int exec_errno = 0;
  // What recording did to the process, one sentence each, for the CLI to
  // print as notes (`--pid`: the calls made to return EINTR, live/restart.h).
  std::vector<std::string> notes;
};

// Whether the arguments of syscall `name` are kept for `--args`: clone,
// unshare, socket, personality, prctl, ioctl.
bool argument_rule_syscall(std::string_view name);

// Runs `command` (argv; argv[0] looked up in $PATH as execvp does) and
// records it from its first execve on, until the command and every process
// that inherited the filter are gone. Signals sysfence receives (HUP, INT,
// QUIT, TERM, USR1, USR2, ALRM, WINCH) are forwarded to the command.
// Errors: the command cannot be found (the message says so, with the exit
// code 126/127 in `code`), the filter cannot be installed.
struct RecordError {
  int exit_code = 125;  // Docker's: 125 own failure, 126 cannot run, 127 not found
  std::string message;
};
Expected<Recording, RecordError> record_command(const std::vector<std::string>& command, const RecordOptions& options);

// Counts calls into Observations as every recording mode does: per
// (ABI, number), with the argument tuples of the argument-rule syscalls when
// keep_args (bounded by kMaxArgTuplesPerSyscall). Unknown ABIs are ignored.
class CallCounter {
 public:
  CallCounter(Observations& obs, bool keep_args) : obs_(obs), keep_args_(keep_args) {}
  void note(uint32_t audit_arch, uint32_t nr, const std::array<uint64_t, 6>& args);

 private:
  Observations& obs_;
  bool keep_args_;
  std::set<SyscallKey> wants_args_;
};

// The program a task runs, for Observations::callers: its executable's
// path, else its comm ("?" when neither can be read).
std::string program_of(pid_t tid);

// Now, in UTC, as Observations::started_at: "2026-12-02T03:15:00Z".
std::string utc_timestamp();

// The ArchId of a notification's (seccomp_data.arch, nr): x32 is x86_64's
// AUDIT_ARCH with the x32 bit in the number. False for an unknown arch.
bool arch_of(uint32_t audit_arch, uint32_t nr, syscalls::ArchId& out);

}  // namespace sysfence::record
