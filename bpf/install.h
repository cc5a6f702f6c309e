// The installer: puts a filter on the calling thread (or, with TSYNC, on every
// thread of the process) the way the kernel expects it:
//   prctl(PR_SET_NO_NEW_PRIVS, 1)   unless the caller opts out (then it needs
//                                   CAP_SYS_ADMIN in its user namespace)
//   seccomp(SECCOMP_SET_MODE_FILTER, flags, &prog)
//   prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog)   when seccomp(2) is ENOSYS
//                                                       (kernels before 3.17; no flags)
// plus probing what the running kernel supports. A filter can never be removed:
// callers that only want to test a filter must do it in a forked child.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "base/expected.h"
#include "base/seccomp.h"
#include "bpf/insn.h"

namespace sysfence::bpf {

// SECCOMP_FILTER_FLAG_* (include/uapi/linux/seccomp.h).
inline constexpr uint32_t kFlagTsync = 1U << 0;             // apply to all threads
inline constexpr uint32_t kFlagLog = 1U << 1;               // log every non-ALLOW action
inline constexpr uint32_t kFlagSpecAllow = 1U << 2;         // keep speculative-store-bypass mitigation off
inline constexpr uint32_t kFlagNewListener = 1U << 3;       // return a USER_NOTIF listener fd
inline constexpr uint32_t kFlagTsyncEsrch = 1U << 4;        // TSYNC failure is ESRCH, not a tid
inline constexpr uint32_t kFlagWaitKillableRecv = 1U << 5;  // notifications wait killable (needs NEW_LISTENER)
inline constexpr uint32_t kAllFilterFlags = (1U << 6) - 1;

// "TSYNC|NEW_LISTENER"; "0" for none; unknown bits as hex.
std::string flag_names(uint32_t flags);
// Parses "TSYNC,LOG" / "tsync|new_listener" (also with SECCOMP_FILTER_FLAG_ prefix).
Expected<uint32_t> parse_flags(std::string_view text);

struct InstallOptions {
  uint32_t flags = 0;
  // prctl(PR_SET_NO_NEW_PRIVS, 1) before installing. Without it the kernel
  // demands CAP_SYS_ADMIN (EACCES otherwise).
  bool set_no_new_privs = true;
  // Use prctl(PR_SET_SECCOMP) when the seccomp syscall does not exist. Only
  // possible without flags.
  bool allow_prctl_fallback = true;
};

struct Installed {
  int listener_fd = -1;     // with kFlagNewListener: the notification fd (O_CLOEXEC; caller closes)
  bool used_prctl = false;  // installed through the prctl fallback
};

// Installs `prog`. On failure nothing was installed and the message says what
// the kernel refused and the likely reason (an EINVAL is explained with the
// validator's diagnosis or the unsupported flag; TSYNC names the thread that
// could not be synchronized).
Expected<Installed> install(std::span<const Insn> prog, const InstallOptions& options = {});

// ---------------------------------------------------------------------------
// Probing the running kernel (never installs anything).
// ---------------------------------------------------------------------------

struct KernelSupport {
  bool seccomp_syscall = false;  // seccomp(2) exists (else only prctl)
  uint32_t flags = 0;            // supported SECCOMP_FILTER_FLAG_* bits
  // SECCOMP_GET_ACTION_AVAIL for each ActionKind, indexed by the enum value.
  bool actions[8] = {};

  bool action(ActionKind k) const { return actions[static_cast<int>(k)]; }
};

// Is the action `ret & SECCOMP_RET_ACTION_FULL` known to the kernel?
// (SECCOMP_GET_ACTION_AVAIL; false when seccomp(2) is missing.)
bool action_available(uint32_t ret);

// Which of the given flag bits the kernel accepts, by the NULL-filter trick:
// seccomp(SECCOMP_SET_MODE_FILTER, flag, NULL) fails with EFAULT when the flag
// is understood (the kernel got as far as copying the filter) and with EINVAL
// when it is not. WAIT_KILLABLE_RECV is probed together with NEW_LISTENER,
// which it requires.
uint32_t probe_flags(uint32_t candidates = kAllFilterFlags);

KernelSupport probe_kernel();

}  // namespace sysfence::bpf
