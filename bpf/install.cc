#include "bpf/install.h"

#include <fmt/format.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <string_view>

#include "bpf/kernel_length.h"
#include "bpf/validate.h"

namespace sysfence::bpf {

// Insn is passed to the kernel as struct sock_filter without copying.
static_assert(sizeof(Insn) == sizeof(sock_filter));
static_assert(offsetof(Insn, code) == offsetof(sock_filter, code));
static_assert(offsetof(Insn, jt) == offsetof(sock_filter, jt));
static_assert(offsetof(Insn, jf) == offsetof(sock_filter, jf));
static_assert(offsetof(Insn, k) == offsetof(sock_filter, k));

namespace {

// seccomp(2) operations (uapi).
constexpr unsigned kSetModeFilter = 1;
constexpr unsigned kGetActionAvail = 2;
constexpr unsigned long kModeFilter = 2;

struct FlagName {
  uint32_t bit;
  std::string_view name;
};
constexpr FlagName kFlagNames[] = {
    {kFlagTsync, "TSYNC"},
    {kFlagLog, "LOG"},
    {kFlagSpecAllow, "SPEC_ALLOW"},
    {kFlagNewListener, "NEW_LISTENER"},
    {kFlagTsyncEsrch, "TSYNC_ESRCH"},
    {kFlagWaitKillableRecv, "WAIT_KILLABLE_RECV"},
};

long sys_seccomp(unsigned op, unsigned flags, const void* arg) { return syscall(SYS_seccomp, op, flags, arg); }

std::string errno_text(int err) { return fmt::format("{} ({})", strerrordesc_np(err), strerrorname_np(err)); }

// Why the kernel answered EINVAL, most specific explanation first.
std::string explain_einval(std::span<const Insn> prog, uint32_t flags, bool via_prctl) {
  if (!via_prctl) {
    if (flags & ~kAllFilterFlags) {
      return fmt::format("unknown filter flag bits 0x{:x}", flags & ~kAllFilterFlags);
    }
    if ((flags & kFlagTsync) && (flags & kFlagNewListener) && !(flags & kFlagTsyncEsrch)) {
      return "TSYNC together with NEW_LISTENER also needs TSYNC_ESRCH (otherwise a thread id "
             "and a listener fd could not be told apart)";
    }
    if ((flags & kFlagWaitKillableRecv) && !(flags & kFlagNewListener)) {
      return "WAIT_KILLABLE_RECV needs NEW_LISTENER";
    }
    const uint32_t unsupported = flags & ~probe_flags(flags);
    if (unsupported != 0) {
      return fmt::format("this kernel does not support the flag(s) {}", flag_names(unsupported));
    }
  }
  if (auto v = find_violation(prog)) return "the filter is invalid: " + v->message;
  return "the filter passes sysfence's validator, so the kernel probably lacks "
         "CONFIG_SECCOMP_FILTER or the task is in strict seccomp mode";
}

Expected<Installed> install_with_prctl(std::span<const Insn> prog, const sock_fprog& fprog) {
  if (prctl(PR_SET_SECCOMP, kModeFilter, &fprog, 0, 0) == 0) {
    return Installed{-1, true};
  }
  const int err = errno;
  if (err == EINVAL) {
    return fail("prctl(PR_SET_SECCOMP) refused the filter: " + explain_einval(prog, 0, true));
  }
  if (err == EACCES) {
    return fail(
        "prctl(PR_SET_SECCOMP) refused: no_new_privs is not set and the caller lacks "
        "CAP_SYS_ADMIN");
  }
  return fail("prctl(PR_SET_SECCOMP) failed: " + errno_text(err));
}

}  // namespace

std::string flag_names(uint32_t flags) {
  if (flags == 0) return "0";
  std::string out;
  for (const auto& f : kFlagNames) {
    if (flags & f.bit) {
      if (!out.empty()) out += '|';
      out += f.name;
    }
  }
  if (const uint32_t unknown = flags & ~kAllFilterFlags; unknown != 0) {
    if (!out.empty()) out += '|';
    out += fmt::format("0x{:x}", unknown);
  }
  return out;
}

Expected<uint32_t> parse_flags(std::string_view text) {
  uint32_t flags = 0;
  while (!text.empty()) {
    const size_t end = text.find_first_of(",|");
    std::string_view word = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
    if (word.starts_with("SECCOMP_FILTER_FLAG_")) word.remove_prefix(20);
    bool found = false;
    for (const auto& f : kFlagNames) {
      if (word.size() != f.name.size()) continue;
      bool same = true;
      for (size_t i = 0; i < word.size(); ++i) {
        const char c = word[i] >= 'a' && word[i] <= 'z' ? static_cast<char>(word[i] - 32) : word[i];
        same = same && c == f.name[i];
      }
      if (same) {
        flags |= f.bit;
        found = true;
        break;
      }
    }
    if (!found) {
      return fail(
          fmt::format("unknown seccomp filter flag \"{}\" (known: TSYNC, LOG, SPEC_ALLOW, "
                      "NEW_LISTENER, TSYNC_ESRCH, WAIT_KILLABLE_RECV)",
                      word));
    }
  }
  return flags;
}

Expected<Installed> install(std::span<const Insn> prog, const InstallOptions& options) {
  // The kernel reads `len` as an unsigned short; longer programs must not be
  // silently truncated into a different (possibly valid) filter.
  if (prog.empty() || prog.size() > kMaxInsns) {
    return fail(
        fmt::format("cannot install a filter of {} instructions: the kernel accepts 1 to {}", prog.size(), kMaxInsns));
  }
  if (options.set_no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    return fail("prctl(PR_SET_NO_NEW_PRIVS) failed: " + errno_text(errno));
  }
  sock_fprog fprog{};
  fprog.len = static_cast<unsigned short>(prog.size());
  // The kernel only reads the program; sock_fprog just lacks const.
  fprog.filter = reinterpret_cast<sock_filter*>(const_cast<Insn*>(prog.data()));

  const uint32_t flags = options.flags;
  const long ret = sys_seccomp(kSetModeFilter, flags, &fprog);
  if (ret >= 0) {
    if (flags & kFlagNewListener) return Installed{static_cast<int>(ret), false};
    if (ret > 0) {
      // TSYNC without TSYNC_ESRCH reports the thread that blocked
      // synchronisation; nothing was installed.
      return fail(
          fmt::format("seccomp(TSYNC) could not synchronize thread {}: it already has a filter chain that is "
                      "not an ancestor of this thread's, or is in strict mode; nothing was installed",
                      ret));
    }
    return Installed{-1, false};
  }
  const int err = errno;
  switch (err) {
    case ENOSYS:
      if (!options.allow_prctl_fallback) {
        return fail(
            "the seccomp(2) system call is not available (ENOSYS) and the prctl "
            "fallback is disabled");
      }
      if (flags != 0) {
        return fail(
            fmt::format("the seccomp(2) system call is not available (ENOSYS), and the "
                        "prctl(PR_SET_SECCOMP) fallback cannot apply the flags {}",
                        flag_names(flags)));
      }
      return install_with_prctl(prog, fprog);
    case EINVAL:
      return fail("seccomp(SECCOMP_SET_MODE_FILTER) refused the filter (EINVAL): " +
                  explain_einval(prog, flags, false));
    case EACCES:
      return fail(options.set_no_new_privs ? std::string("seccomp(SECCOMP_SET_MODE_FILTER) refused (EACCES): "
                                                         "no_new_privs could not be relied on and the caller lacks "
                                                         "CAP_SYS_ADMIN")
                                           : std::string("seccomp(SECCOMP_SET_MODE_FILTER) refused (EACCES): "
                                                         "no_new_privs was not set (opted out) and the caller lacks "
                                                         "CAP_SYS_ADMIN in its user namespace"));
    case ENOMEM:
      return fail(fmt::format(
          "seccomp(SECCOMP_SET_MODE_FILTER) failed (ENOMEM): the filters on this thread would exceed {} "
          "instructions as the kernel counts them (each filter converted to eBPF, + {} per older filter; this "
          "one counts {}), or the kernel is out of memory",
          kMaxInsnsPerPath, kOlderFilterPenalty, kernel_charged_length(prog)));
    case EBUSY:
      return fail(
          "seccomp(NEW_LISTENER) failed (EBUSY): a filter in this thread's chain "
          "already has a notification listener");
    case ESRCH:
      return fail(
          "seccomp(TSYNC) failed (ESRCH): another thread of the process has a "
          "diverging filter chain or is in strict mode; nothing was installed");
    case EFAULT:
      return fail(
          "seccomp(SECCOMP_SET_MODE_FILTER) failed (EFAULT): the kernel could not read "
          "the program");
    default: return fail("seccomp(SECCOMP_SET_MODE_FILTER) failed: " + errno_text(err));
  }
}

bool action_available(uint32_t ret) {
  const uint32_t action = ret & kRetActionFull;
  return sys_seccomp(kGetActionAvail, 0, &action) == 0;
}

uint32_t probe_flags(uint32_t candidates) {
  uint32_t supported = 0;
  for (const auto& f : kFlagNames) {
    if (!(candidates & f.bit)) continue;
    const uint32_t probe = f.bit == kFlagWaitKillableRecv ? (f.bit | kFlagNewListener) : f.bit;
    // A NULL program: a kernel that understands the flags proceeds to copy it
    // and fails with EFAULT; nothing can be installed either way.
    if (sys_seccomp(kSetModeFilter, probe, nullptr) != 0 && errno == EFAULT) supported |= f.bit;
  }
  return supported;
}

KernelSupport probe_kernel() {
  KernelSupport s;
  const uint32_t allow = kRetAllow;
  s.seccomp_syscall = !(sys_seccomp(kGetActionAvail, 0, &allow) != 0 && errno == ENOSYS);
  if (!s.seccomp_syscall) return s;
  s.flags = probe_flags();
  const ActionKind kinds[] = {ActionKind::kKillProcess, ActionKind::kKillThread, ActionKind::kTrap, ActionKind::kErrno,
                              ActionKind::kUserNotif,   ActionKind::kTrace,      ActionKind::kLog,  ActionKind::kAllow};
  for (ActionKind k : kinds) s.actions[static_cast<int>(k)] = action_available(encode(Action{k, 0}));
  return s;
}

}  // namespace sysfence::bpf
