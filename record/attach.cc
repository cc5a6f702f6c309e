#include "record/attach.h"

#include <dirent.h>
#include <fmt/format.h>
#include <poll.h>
#include <sys/ptrace.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <vector>

#include "live/proc_status.h"
#include "live/restart.h"

namespace sysfence::record {

namespace {

using Clock = std::chrono::steady_clock;

constexpr long kOwnFailure = 125;
// No PTRACE_O_EXITKILL: the process must outlive sysfence.
constexpr unsigned long kTraceOptions =
    PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACECLONE | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK | PTRACE_O_TRACEEXEC;
constexpr int kSyscallStop = SIGTRAP | 0x80;
// -ERESTART_RESTARTBLOCK (include/linux/errno.h): a call the kernel continues
// through restart_syscall.
constexpr int64_t kErestartRestartblock = -516;

// A stop as PTRACE_GET_SYSCALL_INFO tells it; kOther: not a syscall stop (or
// a kernel that does not say).
enum class SyscallStop : uint8_t { kEntry, kExit, kExitToRestart, kOther };

long trace(int request, pid_t tid, unsigned long addr, unsigned long data) {
  // NOLINTNEXTLINE(performance-no-int-to-ptr): ptrace's data argument carries a number for these requests.
  return ptrace(static_cast<enum __ptrace_request>(request), tid, addr, reinterpret_cast<void*>(data));
}

std::vector<pid_t> threads_of(pid_t pid) {
  std::vector<pid_t> out;
  DIR* dir = ::opendir(fmt::format("/proc/{}/task", pid).c_str());
  if (dir == nullptr) return out;
  while (const dirent* e = ::readdir(dir)) {
    if (e->d_name[0] >= '0' && e->d_name[0] <= '9') out.push_back(static_cast<pid_t>(std::atol(e->d_name)));
  }
  ::closedir(dir);
  return out;
}

std::vector<std::string> command_line(pid_t pid) {
  std::ifstream in(fmt::format("/proc/{}/cmdline", pid), std::ios::binary);
  const std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::string> argv;
  for (size_t at = 0; at < all.size();) {
    const size_t end = std::min(all.find('\0', at), all.size());
    argv.push_back(all.substr(at, end - at));
    at = end + 1;
  }
  if (argv.empty()) argv.push_back(fmt::format("pid {}", pid));
  return argv;
}

bool zombie(pid_t tid) {
  auto fields = live::read_status_fields(tid);
  return fields && fields->contains("State") && fields->at("State").starts_with("Z");
}

long tracer_of(pid_t tid) {
  auto fields = live::read_status_fields(tid);
  if (!fields) return 0;
  return static_cast<long>(live::status_number(*fields, "TracerPid").value_or(0));
}

// What Yama (when loaded) adds to the permission ptrace wants.
std::string yama_rule() {
  std::ifstream in("/proc/sys/kernel/yama/ptrace_scope");
  int scope = -1;
  if (!(in >> scope)) return "";
  switch (scope) {
    case 1: return "; Yama ptrace_scope is 1: only a parent may trace without CAP_SYS_PTRACE";
    case 2: return "; Yama ptrace_scope is 2: only with CAP_SYS_PTRACE";
    case 3: return "; Yama ptrace_scope is 3: no process may be traced";
    default: return "";
  }
}

RecordError seize_error(pid_t pid, int err) {
  if (err == ESRCH) return {kOwnFailure, fmt::format("process {}: no such process", pid)};
  if (err == EPERM) {
    if (const long tracer = tracer_of(pid); tracer != 0) {
      return {kOwnFailure,
              fmt::format("process {} is already traced by process {} (a debugger or another recorder)", pid, tracer)};
    }
    if (pid == getpid()) return {kOwnFailure, fmt::format("process {} is sysfence itself", pid)};
    return {kOwnFailure,
            fmt::format("cannot trace process {}: permission denied (ptrace needs CAP_SYS_PTRACE or the same user{})",
                        pid, yama_rule())};
  }
  return {kOwnFailure, fmt::format("cannot trace process {}: {}", pid, std::strerror(err))};
}

// The tasks of one traced process tree and what to do at their stops.
class Tracer {
 public:
  Tracer(pid_t root, Recording& rec, bool keep_args) : root_(root), rec_(rec), counter_(rec.observations, keep_args) {}

  // Seizes every thread of the root, re-reading /proc/PID/task until a
  // round finds none new (threads started meanwhile by a seized thread are
  // already ours through PTRACE_O_TRACECLONE), then interrupts them all.
  Expected<void, RecordError> attach() {
    // A main thread that ended before the others is a zombie, which ptrace
    // refuses: its threads are traced all the same.
    if (trace(PTRACE_SEIZE, root_, 0, kTraceOptions) == 0) {
      tasks_.insert(root_);
    } else if (const int err = errno; err != EPERM || !zombie(root_)) {
      return Unexpected<RecordError>{seize_error(root_, err)};
    }
    const long self = syscall(SYS_gettid);
    for (bool found = true; found;) {
      found = false;
      for (pid_t tid : threads_of(root_)) {
        if (tasks_.contains(tid)) continue;
        const int err = trace(PTRACE_SEIZE, tid, 0, kTraceOptions) == 0 ? 0 : errno;
        // EPERM for a thread one of ours started meanwhile: already traced, by us.
        const bool ours = err == 0 || (err == EPERM && tracer_of(tid) == self);
        if (!ours) {
          if (err == ESRCH || (err == EPERM && zombie(tid))) continue;  // it ended meanwhile
          const RecordError e = seize_error(tid, err);
          begin_detach();
          return Unexpected<RecordError>{e};
        }
        tasks_.insert(tid);
        found = true;
      }
    }
    if (tasks_.empty()) {
      return Unexpected<RecordError>{
          {kOwnFailure, fmt::format("process {} has ended (a zombie its parent has not reaped)", root_)}};
    }
    for (pid_t tid : tasks_) trace(PTRACE_INTERRUPT, tid, 0, 0);
    return {};
  }

  bool done() const { return tasks_.empty(); }
  const std::string& failure() const { return failure_; }

  // The calls made to return EINTR, one sentence each; a process of many
  // sleeping threads gets the first few and a count.
  std::vector<std::string> notes() const {
    constexpr size_t kNamed = 8;
    std::vector<std::string> out;
    for (size_t i = 0; i < std::min(interrupted_.size(), kNamed); ++i) out.push_back(live::describe(interrupted_[i]));
    if (interrupted_.size() > kNamed) {
      out.push_back(
          fmt::format("{} more interrupted calls returned EINTR instead of being continued through "
                      "restart_syscall",
                      interrupted_.size() - kNamed));
    }
    return out;
  }

  // Interrupts every task: each is detached at its next stop.
  void begin_detach() {
    if (detaching_) return;
    detaching_ = true;
    for (pid_t tid : tasks_) trace(PTRACE_INTERRUPT, tid, 0, 0);
  }

  // Handles every stop or exit waiting to be collected; false when none was.
  bool collect() {
    bool any = false;
    const std::vector<pid_t> tids(tasks_.begin(), tasks_.end());
    for (pid_t tid : tids) {
      int status = 0;
      const pid_t r = waitpid(tid, &status, __WALL | WNOHANG);
      if (r == 0 && detaching_ && zombie(tid)) {
        // A thread-group leader that ended before its threads: it never
        // stops again and cannot be detached, and its exit is reported only
        // once the whole group ends. Untraced when sysfence exits.
        forget(tid);
        any = true;
      }
      if (r == 0) continue;
      any = true;
      if (r < 0) {
        if (errno == ECHILD) forget(tid);  // a thread whose tid an execve in another thread took over
        continue;
      }
      handle(tid, status);
    }
    return any;
  }

 private:
  void forget(pid_t tid) {
    tasks_.erase(tid);
    names_.erase(tid);
  }

  void handle(pid_t tid, int status) {
    if (WIFEXITED(status) || WIFSIGNALED(status)) {
      if (tid == root_) {
        rec_.term_signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
        rec_.exit_code = WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
      }
      forget(tid);
      return;
    }
    if (!WIFSTOPPED(status)) return;
    const int sig = WSTOPSIG(status);
    const int event = status >> 16;
    const SyscallStop stop = sig == kSyscallStop ? syscall_stop(tid) : SyscallStop::kOther;
    const bool entry = stop == SyscallStop::kEntry;
    // A stop may have woken a sleep that the kernel, once the thread runs on,
    // continues through restart_syscall: the interrupt stops of the attach
    // and the detach, the syscall-exit stop that reports such an interrupt
    // while PTRACE_SYSCALL is in effect, a signal's delivery stop (traced,
    // even an ignored signal wakes the sleep). Checked before the thread is
    // resumed or detached (live/restart.h); an entry stop, or an exit stop
    // whose call returned anything else, needs no check.
    if (stop == SyscallStop::kOther || stop == SyscallStop::kExitToRestart) {
      if (auto call = live::keep_restart_harmless(tid)) interrupted_.push_back(std::move(*call));
    }
    if (event == PTRACE_EVENT_CLONE || event == PTRACE_EVENT_FORK || event == PTRACE_EVENT_VFORK) {
      unsigned long child = 0;
      if (trace(PTRACE_GETEVENTMSG, tid, 0, reinterpret_cast<unsigned long>(&child)) == 0) {
        tasks_.insert(static_cast<pid_t>(child));
        // Auto-attached, it stops at its first trap: then it is detached too.
        if (detaching_) trace(PTRACE_INTERRUPT, static_cast<pid_t>(child), 0, 0);
      }
    } else if (event == PTRACE_EVENT_EXEC) {
      unsigned long former = 0;
      trace(PTRACE_GETEVENTMSG, tid, 0, reinterpret_cast<unsigned long>(&former));
      if (static_cast<pid_t>(former) != tid) forget(static_cast<pid_t>(former));
      names_.erase(tid);  // a new program from now on
    }
    // A signal-delivery-stop (no event, not a syscall stop) holds the signal
    // the task is about to receive: it is delivered on resuming or detaching.
    const int deliver = event == 0 && sig != kSyscallStop ? sig : 0;
    if (detaching_ && entry) {
      // Detached here, the thread would run the call with the wake-up of the
      // detach's PTRACE_INTERRUPT still pending (TIF_SIGPENDING outlives the
      // stop): a sleep it starts ends at once and is continued through
      // restart_syscall with no tracer left to check it. It is detached at
      // the call's exit stop instead, which that wake-up brings at once.
      trace(PTRACE_SYSCALL, tid, 0, 0);
    } else if (detaching_) {
      trace(PTRACE_DETACH, tid, 0, static_cast<unsigned long>(deliver));
      forget(tid);
    } else if (event == PTRACE_EVENT_STOP && sig != SIGTRAP) {
      // A group-stop (SIGSTOP, SIGTSTP, ...): the task stays stopped, and
      // PTRACE_LISTEN lets SIGCONT wake it (reported as a trap stop).
      trace(PTRACE_LISTEN, tid, 0, 0);
    } else {
      trace(PTRACE_SYSCALL, tid, 0, static_cast<unsigned long>(deliver));
    }
  }

  // What a syscall stop is; the call of an entry stop is counted unless
  // detaching.
  SyscallStop syscall_stop(pid_t tid) {
    __ptrace_syscall_info info{};
    if (trace(PTRACE_GET_SYSCALL_INFO, tid, sizeof info, reinterpret_cast<unsigned long>(&info)) <= 0) {
      if (errno == EIO || errno == EINVAL) {
        failure_ = "the kernel has no PTRACE_GET_SYSCALL_INFO (Linux 5.3 added it)";
        begin_detach();
      }
      return SyscallStop::kOther;
    }
    if (info.op == PTRACE_SYSCALL_INFO_EXIT) {
      return info.exit.rval == kErestartRestartblock ? SyscallStop::kExitToRestart : SyscallStop::kExit;
    }
    if (info.op != PTRACE_SYSCALL_INFO_ENTRY) return SyscallStop::kOther;
    if (detaching_) return SyscallStop::kEntry;
    std::array<uint64_t, 6> args{};
    for (size_t i = 0; i < args.size(); ++i) args[i] = info.entry.args[i];
    counter_.note(info.arch, static_cast<uint32_t>(info.entry.nr), args);
    auto name = names_.find(tid);
    if (name == names_.end()) name = names_.emplace(tid, program_of(tid)).first;
    ++rec_.observations.callers[name->second];
    return SyscallStop::kEntry;
  }

  pid_t root_;
  Recording& rec_;
  CallCounter counter_;
  std::set<pid_t> tasks_;  // the traced tids
  std::map<pid_t, std::string> names_;
  std::vector<live::InterruptedCall> interrupted_;
  bool detaching_ = false;
  std::string failure_;
};

// SIGINT and SIGTERM end the recording; SIGCHLD (its default disposition
// for the time, since an ignored SIGCHLD is never sent) wakes the loop for
// every stop. All three are blocked and read through a signalfd.
class SignalScope {
 public:
  SignalScope() {
    sigemptyset(&set_);
    for (int sig : {SIGINT, SIGTERM, SIGCHLD}) sigaddset(&set_, sig);
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    sigaction(SIGCHLD, &dfl, &old_chld_);
    sigprocmask(SIG_BLOCK, &set_, &old_mask_);
    fd_ = signalfd(-1, &set_, SFD_CLOEXEC | SFD_NONBLOCK);
  }
  SignalScope(const SignalScope&) = delete;
  SignalScope& operator=(const SignalScope&) = delete;
  ~SignalScope() {
    if (fd_ >= 0) ::close(fd_);
    sigprocmask(SIG_SETMASK, &old_mask_, nullptr);
    sigaction(SIGCHLD, &old_chld_, nullptr);
  }
  int fd() const { return fd_; }

  // Drains the signals read so far; whether SIGINT or SIGTERM was one.
  bool stop_requested() const {
    bool stop = false;
    signalfd_siginfo si{};
    while (::read(fd_, &si, sizeof si) == static_cast<ssize_t>(sizeof si)) {
      stop = stop || si.ssi_signo == SIGINT || si.ssi_signo == SIGTERM;
    }
    return stop;
  }

 private:
  sigset_t set_{};
  sigset_t old_mask_{};
  struct sigaction old_chld_ {};
  int fd_ = -1;
};

}  // namespace

Expected<Recording, RecordError> record_process(pid_t pid, const AttachOptions& options) {
  if (pid <= 0) return Unexpected<RecordError>{{kOwnFailure, fmt::format("process {}: no such process", pid)}};
  Recording rec;
  rec.observations.command = command_line(pid);
  rec.observations.started_at = utc_timestamp();
  SignalScope signals;
  if (signals.fd() < 0) {
    return Unexpected<RecordError>{{kOwnFailure, fmt::format("signalfd: {}", std::strerror(errno))}};
  }
  Tracer tracer(pid, rec, options.keep_args);
  auto attached = tracer.attach();
  const bool timed = options.duration.count() > 0;
  const auto deadline = Clock::now() + options.duration;
  bool stopping = !attached;
  while (!tracer.done()) {
    const bool requested = signals.stop_requested();  // drained on every round, so that poll can wait
    if (!stopping && (requested || (timed && Clock::now() >= deadline))) {
      tracer.begin_detach();
      stopping = true;
    }
    if (tracer.collect()) continue;
    // Nothing to collect: wait for a SIGCHLD (a stop or an exit), a stop
    // request or the deadline; the timeout is a backstop only.
    int wait_ms = 50;
    if (timed && !stopping) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
      wait_ms = static_cast<int>(std::clamp<long>(left, 0, wait_ms));
    }
    pollfd p{signals.fd(), POLLIN, 0};
    ::poll(&p, 1, wait_ms);
  }
  if (!attached) return Unexpected<RecordError>{attached.error()};
  if (!tracer.failure().empty()) return Unexpected<RecordError>{{kOwnFailure, tracer.failure()}};
  rec.notes = tracer.notes();
  return rec;
}

}  // namespace sysfence::record
