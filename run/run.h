// `sysfence run`: run a command under a seccomp profile, as
// `docker run --security-opt seccomp=PROFILE` would run the container's
// process (Docker's exit codes: 125 sysfence's own failure, 126 the command
// cannot be run, 127 not found; otherwise the command's status).
//
// Two ways to run:
//  * direct (the usual case): sysfence resolves and compiles the profile,
//    installs the filter on itself (seccomp(2) with the profile's flags and
//    --log / --tsync; no_new_privs first only when asked for or needed) and execve's the command, which
//    thus keeps sysfence's pid, and its exit status is the command's own.
//    Should that execve fail, sysfence is under the filter: it writes the
//    message prepared beforehand with one write(2) and _exits 126/127
//    (exec_failure.h). That needs the filter to allow write and
//    exit_group, checked before installing it; a filter that does not gets
//    the second way, without a listener.
//  * supervised (--trace-denials, or a profile with SCMP_ACT_NOTIFY, or a
//    filter under which a failed execve could not be reported): a
//    child process installs the filter (with NEW_LISTENER for the first two) and execs the
//    command; sysfence stays as its parent, holding the listener (to answer
//    and print denials, supervisor.h) or handing it to the profile's
//    listenerPath agent (oci_state.h), forwards the signals it is sent, and
//    finally exits the way the command did (same code, or the same signal).
//    A failed execve is the parent's to report, outside the filter: 126/127
//    however the child then ended (the filter may deny it exit_group).
//
// How the parent gets the listener: the child is created with CLONE_FILES,
// so the fd the child's seccomp(2) returns is at once in the parent's fd
// table too; the child publishes its number in shared memory and execs
// (exec unshares the table and closes the child's copy, O_CLOEXEC). Passing
// it over a socket (SCM_RIGHTS) instead would need a sendmsg(2) after the
// filter is installed, and under a profile that denies sendmsg that call
// would itself wait on the listener that has not been handed over yet: a
// deadlock. The only call the child makes under the filter is execve, which
// the profile decides as Docker's would: any other (even the futex that
// would wake the parent) would be the command's call in the profile's eyes,
// reported by --trace-denials and killed by a profile that kills futex. So
// the child wakes the parent just before installing, and the parent then
// polls the shared word until it says the filter is in place (or why not).
// With a listenerPath agent the child waits before execve for the parent's
// go-ahead in shared memory (as runc's init waits), so that the command never
// runs before its agent holds the listener; it spins, as a wait in the kernel
// would be a call, and the parent, connected to the agent before the child
// was created, needs only a sendmsg to give it.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "run/command.h"
#include "run/plan.h"

namespace sysfence::run {

struct RunRequest {
  ProfileChoice profile;  // "default", "unconfined" or a path
  FilterRequest filter;   // flags for resolution and installation (filter.profile is ignored)
  bool trace_denials = false;
  // --security-opt no-new-privileges[=BOOL]. As docker run, no_new_privs is
  // set only when asked for (true), or when the filter cannot be installed
  // without it: the process lacks CAP_SYS_ADMIN (said on stderr, unless it
  // was set already). Without it setuid programs keep their privilege.
  std::optional<bool> no_new_privileges;
  std::vector<std::string> command;  // CMD ARGS...; not empty
};

// Returns the exit code sysfence should exit with. In direct mode it returns
// only on failure (on success the process has become the command). When a
// supervised command was killed by a signal, sysfence re-raises that signal
// on itself (without a core dump: the command's was already written) and
// returns 128+N only if it survives that.
int run(const RunRequest& request);

}  // namespace sysfence::run
