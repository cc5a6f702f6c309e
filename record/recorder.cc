#include "record/recorder.h"

#include <fmt/format.h>
#include <linux/futex.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <optional>
#include <unordered_map>

#include "bpf/insn.h"
#include "bpf/install.h"
#include "run/command.h"
#include "run/host.h"
#include "syscalls/table.h"

// Linux 6.6: the waiter is woken on the listener's CPU, which makes the
// round trip of a notification markedly cheaper (uapi headers may lack it).
#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS SECCOMP_IOW(4, __u64)
#endif
#ifndef SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (1UL << 0)
#endif

namespace sysfence::record {

namespace {

constexpr uint32_t kX32Bit = 0x40000000U;

enum State : uint32_t { kPending = 0, kInstalled = 1, kInstallFailed = 2, kExecFailed = 3 };

// Child -> parent, in MAP_SHARED memory set up before the clone.
struct Handshake {
  std::atomic<uint32_t> state{kPending};
  int listener_fd = -1;
  int exec_errno = 0;
  char message[1024] = {};
};

long futex_wait(std::atomic<uint32_t>* word, uint32_t value, const timespec* timeout) {
  return syscall(SYS_futex, reinterpret_cast<uint32_t*>(word), FUTEX_WAIT, value, timeout, nullptr, 0);
}

sigset_t forwarded_signals() {
  sigset_t s;
  sigemptyset(&s);
  for (int sig : {SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGALRM, SIGWINCH}) sigaddset(&s, sig);
  return s;
}

// Only system calls and plain stores after the raw clone (the fd table is
// shared with the parent; glibc's thread state is stale). After install,
// execve is the first call: it is the first one the recorder keeps.
[[noreturn]] void child_main(Handshake* hs, const sigset_t& original_mask, const bpf::InstallOptions& options,
                             const run::ExecImage& image) {
  static const bpf::Insn kNotifyAll[] = {{.code = bpf::kRet | bpf::kK, .k = kRetUserNotif}};
  sigprocmask(SIG_SETMASK, &original_mask, nullptr);
  auto installed = bpf::install(kNotifyAll, options);
  if (!installed) {
    std::snprintf(hs->message, sizeof hs->message, "%s", installed.error().message.c_str());
    hs->state.store(kInstallFailed, std::memory_order_release);
    _exit(run::kExitOwnFailure);
  }
  hs->listener_fd = installed->listener_fd;
  hs->state.store(kInstalled, std::memory_order_release);
  const int err = run::exec_image(image);
  hs->exec_errno = err;
  hs->state.store(kExecFailed, std::memory_order_release);
  _exit(run::exit_code_for_exec_errno(err));
}

bool readable(int fd) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, 0) == 1;
}

std::string read_link(const std::string& path) {
  char buf[4096];
  const ssize_t n = ::readlink(path.c_str(), buf, sizeof buf);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
}

bool send_continue(int fd, uint64_t id) {
  seccomp_notif_resp resp{};
  resp.id = id;
  resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
  while (ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND, &resp) != 0) {
    if (errno != EINTR) return false;
  }
  return true;
}

// Counts the notifications of one listener and lets every call run.
class Tracker {
 public:
  Tracker(Observations& obs, pid_t first_pid, std::string command_path, bool keep_args)
      : obs_(obs), counter_(obs, keep_args), first_pid_(first_pid), command_path_(std::move(command_path)) {
    const auto& native = syscalls::native_arch();
    const auto& t = syscalls::table(native);
    execve_ = t.number("execve").value_or(~0U);
    execveat_ = t.number("execveat").value_or(~0U);
    native_audit_ = native.audit_arch;
  }

  Expected<void> handle_one(int fd) {
    seccomp_notif req;
    std::memset(&req, 0, sizeof req);  // the kernel insists on a zeroed buffer
    if (ioctl(fd, SECCOMP_IOCTL_NOTIF_RECV, &req) != 0) {
      if (errno == EINTR || errno == ENOENT) return {};
      return fail(fmt::format("SECCOMP_IOCTL_NOTIF_RECV: {}", std::strerror(errno)));
    }
    const auto tid = static_cast<pid_t>(req.pid);
    const bool is_exec = req.data.arch == native_audit_ &&
                         (req.data.nr == static_cast<int>(execve_) || req.data.nr == static_cast<int>(execveat_));
    if (!started_) {
      // sysfence's own setup before the command's first execve is not the command's.
      if (!(is_exec && tid == first_pid_)) {
        send_continue(fd, req.id);
        return {};
      }
      started_ = true;
      // The execve that starts the command: sysfence's child makes it, the command's path names it.
      names_[tid] = command_path_;
    }
    // The caller's program is looked up while the call still waits (its
    // execve may replace it); once known, the call is let go first.
    auto name = names_.find(tid);
    if (name == names_.end()) name = names_.emplace(tid, program_of(tid)).first;
    send_continue(fd, req.id);
    std::array<uint64_t, 6> args{};
    for (size_t i = 0; i < args.size(); ++i) args[i] = req.data.args[i];
    counter_.note(req.data.arch, static_cast<uint32_t>(req.data.nr), args);
    ++obs_.callers[name->second];
    if (is_exec) names_.erase(name);  // the next call comes from the new program
    return {};
  }

 private:
  Observations& obs_;
  CallCounter counter_;
  pid_t first_pid_;
  std::string command_path_;
  bool started_ = false;
  uint32_t execve_ = 0;
  uint32_t execveat_ = 0;
  uint32_t native_audit_ = 0;
  std::unordered_map<pid_t, std::string> names_;
};

struct Child {
  Handshake* hs = nullptr;
  sigset_t original_mask{};  // restored when the recording ends
  pid_t pid = 0;
  int pidfd = -1;
  int sigfd = -1;
};

Expected<Child, RecordError> start_child(const bpf::InstallOptions& install, const run::ExecImage& image) {
  auto own = [](std::string m) { return Unexpected<RecordError>{{run::kExitOwnFailure, std::move(m)}}; };
  void* mem = mmap(nullptr, sizeof(Handshake), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) return own(fmt::format("mmap: {}", std::strerror(errno)));
  Child c;
  c.hs = new (mem) Handshake();
  const sigset_t forward = forwarded_signals();
  sigprocmask(SIG_BLOCK, &forward, &c.original_mask);
  c.sigfd = signalfd(-1, &forward, SFD_CLOEXEC | SFD_NONBLOCK);
  if (c.sigfd < 0) {
    sigprocmask(SIG_SETMASK, &c.original_mask, nullptr);
    return own(fmt::format("signalfd: {}", std::strerror(errno)));
  }
  const long pid = syscall(SYS_clone, CLONE_FILES | CLONE_PIDFD | SIGCHLD, nullptr, &c.pidfd, nullptr, nullptr);
  if (pid == 0) child_main(c.hs, c.original_mask, install, image);
  if (pid < 0) {
    ::close(c.sigfd);
    sigprocmask(SIG_SETMASK, &c.original_mask, nullptr);
    return own(fmt::format("clone: {}", std::strerror(errno)));
  }
  c.pid = static_cast<pid_t>(pid);
  return c;
}

void forward_signal(int sigfd, pid_t child) {
  signalfd_siginfo si{};
  while (::read(sigfd, &si, sizeof si) == static_cast<ssize_t>(sizeof si)) {
    if (si.ssi_code == SI_KERNEL) continue;  // a terminal's signal reached the command already
    ::kill(child, static_cast<int>(si.ssi_signo));
  }
}

// Serves the listener and forwards signals until the command has exited
// (reaped into `info`) and no process holds the filter any more.
Expected<void> serve(const Child& c, Tracker& tracker, int listener, siginfo_t& info) {
  bool child_running = true;
  for (;;) {
    pollfd fds[3] = {{child_running ? c.pidfd : -1, POLLIN, 0}, {c.sigfd, POLLIN, 0}, {listener, POLLIN, 0}};
    if (::poll(fds, 3, -1) < 0) {
      if (errno == EINTR) continue;
      return fail(fmt::format("poll: {}", std::strerror(errno)));
    }
    const bool notified = (fds[2].revents & POLLIN) != 0;
    if (notified) {
      if (auto ok = tracker.handle_one(listener); !ok) return ok;
    }
    // Checked on every round, so that a busy command cannot starve them.
    if (fds[1].revents & POLLIN) forward_signal(c.sigfd, c.pid);
    if (child_running && (fds[0].revents & POLLIN)) {
      waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(c.pidfd), &info, WEXITED);
      child_running = false;
    }
    if (!child_running && !notified && (fds[2].revents & (POLLHUP | POLLERR | POLLNVAL))) return {};
  }
}

}  // namespace

std::string utc_timestamp() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

bool argument_rule_syscall(std::string_view name) {
  return name == "clone" || name == "unshare" || name == "socket" || name == "personality" || name == "prctl" ||
         name == "ioctl";
}

void CallCounter::note(uint32_t audit_arch, uint32_t nr, const std::array<uint64_t, 6>& args) {
  SyscallKey key;
  if (!arch_of(audit_arch, nr, key.arch)) return;
  key.nr = nr;
  auto [it, inserted] = obs_.calls.try_emplace(key);
  if (inserted) {
    const auto n = syscalls::table(key.arch).name(nr);
    if (n && argument_rule_syscall(*n)) wants_args_.insert(key);
  }
  SyscallRecord& r = it->second;
  ++r.count;
  if (!keep_args_ || !wants_args_.contains(key)) return;
  if (r.args.size() < kMaxArgTuplesPerSyscall) {
    r.args.insert(args);
  } else if (!r.args.contains(args)) {
    r.args_truncated = true;
  }
}

std::string program_of(pid_t tid) {
  std::string exe = read_link(fmt::format("/proc/{}/exe", tid));
  if (!exe.empty()) return exe;
  std::ifstream in(fmt::format("/proc/{}/comm", tid));
  std::string comm;
  std::getline(in, comm);
  return comm.empty() ? "?" : comm;
}

bool arch_of(uint32_t audit_arch, uint32_t nr, syscalls::ArchId& out) {
  for (const syscalls::Arch& a : syscalls::all_arches()) {
    if (a.audit_arch != audit_arch || a.id == syscalls::ArchId::kX32) continue;
    out = a.id;
    if (a.id == syscalls::ArchId::kX86_64 && (nr & kX32Bit) != 0) out = syscalls::ArchId::kX32;
    return true;
  }
  return false;
}

Expected<Recording, RecordError> record_command(const std::vector<std::string>& command, const RecordOptions& options) {
  if (command.empty()) return Unexpected<RecordError>{{run::kExitOwnFailure, "no command given"}};
  auto path = run::find_executable(command[0]);
  if (!path) return Unexpected<RecordError>{{path.error().exit_code, path.error().message}};
  const run::ExecImage image = run::make_exec_image(*path, command);

  bpf::InstallOptions install;
  install.flags = bpf::kFlagNewListener | bpf::probe_flags(bpf::kFlagWaitKillableRecv);
  install.set_no_new_privs = options.no_new_privs || !run::has_effective_sys_admin();
  install.allow_prctl_fallback = false;

  Recording rec;
  rec.observations.command = command;
  rec.observations.started_at = utc_timestamp();
  auto child = start_child(install, image);
  if (!child) return Unexpected<RecordError>{child.error()};
  const Child& c = *child;

  siginfo_t info{};
  while (c.hs->state.load(std::memory_order_acquire) == kPending && !readable(c.pidfd)) {
    const timespec tick{0, 1'000'000};
    futex_wait(&c.hs->state, kPending, &tick);
  }
  if (c.hs->state.load(std::memory_order_acquire) != kInstalled) {
    waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(c.pidfd), &info, WEXITED);
    ::close(c.sigfd);
    ::close(c.pidfd);
    sigprocmask(SIG_SETMASK, &c.original_mask, nullptr);
    const std::string why = c.hs->state.load() == kInstallFailed ? std::string(c.hs->message)
                                                                 : "the child exited before installing the filter";
    return Unexpected<RecordError>{{run::kExitOwnFailure, why}};
  }
  const int listener = c.hs->listener_fd;
  // Best effort: older kernels lack it and merely run slower.
  ioctl(listener, SECCOMP_IOCTL_NOTIF_SET_FLAGS, SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP);
  // /proc/PID/exe names the file with its links resolved: so must the command's name.
  char* real = ::realpath(image.path.c_str(), nullptr);
  Tracker tracker(rec.observations, c.pid, real != nullptr ? real : image.path, options.keep_args);
  std::free(real);
  auto served = serve(c, tracker, listener, info);
  ::close(listener);
  ::close(c.sigfd);
  ::close(c.pidfd);
  sigprocmask(SIG_SETMASK, &c.original_mask, nullptr);
  if (!served) return Unexpected<RecordError>{{run::kExitOwnFailure, served.error().message}};
  if (c.hs->state.load(std::memory_order_acquire) == kExecFailed) rec.exec_errno = c.hs->exec_errno;
  if (info.si_code == CLD_EXITED) {
    rec.exit_code = info.si_status;
  } else {
    rec.term_signal = info.si_status;
    rec.exit_code = 128 + info.si_status;
  }
  munmap(c.hs, sizeof(Handshake));
  return rec;
}

}  // namespace sysfence::record
