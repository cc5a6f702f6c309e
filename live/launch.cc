#include "live/launch.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <optional>
#include <vector>

namespace sysfence::live {

namespace {

Unexpected<LaunchError> launch_error(std::string message, pid_t child) {
  return Unexpected<LaunchError>{LaunchError{std::move(message), child}};
}

pid_t wait_stop(pid_t child, int* status) {
  pid_t r;
  do r = waitpid(child, status, __WALL);
  while (r < 0 && errno == EINTR);
  return r;
}

std::string exe_of(pid_t pid) {
  char buf[PATH_MAX];
  const ssize_t n = readlink(fmt::format("/proc/{}/exe", pid).c_str(), buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string("?");
}

// At an exec or exit stop: the filters, then detach. `when` says which stop;
// `interrupted`, a call made to return EINTR on the way there.
Expected<Launched, LaunchError> read_and_detach(pid_t child, const ProcessSeccomp& status, std::string when,
                                                std::optional<InterruptedCall> interrupted) {
  auto filters = read_filters_of_stopped(child);
  ptrace(PTRACE_DETACH, child, nullptr, nullptr);
  if (!filters) return launch_error(filters.error().message, child);
  Launched out{.stack = {.pid = child,
                         .status = status,
                         .filters = std::move(*filters),
                         .interrupted = std::move(interrupted),
                         .other_threads = {}},
               .child = child,
               .when = std::move(when)};
  if (out.stack.status.filter_count == 0)
    out.stack.status.filter_count = static_cast<unsigned>(out.stack.filters.size());
  return out;
}

// The job-control stops a seized task reports as PTRACE_EVENT_STOP.
bool is_stop_signal(int sig) { return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU; }

// The errno the child sent on `exec_failed` (its execvp's), if it sent one.
std::optional<int> exec_errno(int exec_failed) {
  int err = 0;
  ssize_t n;
  do n = read(exec_failed, &err, sizeof err);
  while (n < 0 && errno == EINTR);
  return n == static_cast<ssize_t>(sizeof err) ? std::optional<int>(err) : std::nullopt;
}

// Runs the seized child from stop to stop until the stop to read at. A
// child that exits before any execve could not start the command: it sent
// its errno on `exec_failed`.
Expected<Launched, LaunchError> follow(pid_t child, unsigned at_exec, const std::string& name, int exec_failed) {
  bool execed = false;
  unsigned execs_under_filter = 0;
  std::optional<InterruptedCall> interrupted;
  for (;;) {
    int st = 0;
    if (wait_stop(child, &st) < 0) return launch_error(fmt::format("waitpid: {}", std::strerror(errno)), child);
    if (!WIFSTOPPED(st)) return launch_error(fmt::format("{} ended before installing a seccomp filter", name), 0);
    const int event = st >> 16;
    const int sig = WSTOPSIG(st);
    if (event == PTRACE_EVENT_EXEC || event == PTRACE_EVENT_EXIT) {
      auto status = read_process_seccomp(child);
      const bool filtered = status && status->mode == SeccompMode::kFilter;
      if (event == PTRACE_EVENT_EXIT) {
        if (filtered) return read_and_detach(child, *status, "at exit", interrupted);
        ptrace(PTRACE_DETACH, child, nullptr, nullptr);
        if (!execed) {
          if (const auto err = exec_errno(exec_failed))
            return launch_error(fmt::format("cannot run {}: {}", name, std::strerror(*err)), child);
        }
        // Its children are not traced: a program that installs its filter
        // in a child (bwrap, man's pipelines) ends here too.
        return launch_error(fmt::format("{} exited before installing a seccomp filter (its children are not "
                                        "followed: for a filter a child installs, use dump --pid on the child)",
                                        name),
                            child);
      }
      execed = execed || event == PTRACE_EVENT_EXEC;
      if (filtered && ++execs_under_filter == at_exec) {
        return read_and_detach(child, *status, fmt::format("at execve {} ({})", at_exec, exe_of(child)), interrupted);
      }
      ptrace(PTRACE_CONT, child, nullptr, nullptr);
    } else if (event == PTRACE_EVENT_STOP && is_stop_signal(sig)) {
      ptrace(PTRACE_LISTEN, child, nullptr, nullptr);  // a job-control stop stays one
    } else if (event == PTRACE_EVENT_STOP) {
      ptrace(PTRACE_CONT, child, nullptr, nullptr);
    } else {
      // A signal-delivery-stop: deliver the signal. A signal a program
      // ignores still wakes its sleep while it is traced (the kernel does not
      // drop it at generation, as it would untraced), and the sleep is then
      // continued through restart_syscall, which its filters may deny.
      if (auto call = keep_restart_harmless(child)) interrupted = std::move(call);
      // NOLINTNEXTLINE(performance-no-int-to-ptr): ptrace's data argument carries the signal number.
      ptrace(PTRACE_CONT, child, nullptr, reinterpret_cast<void*>(static_cast<long>(sig)));
    }
  }
}

}  // namespace

Expected<Launched, LaunchError> launch_and_read(std::span<const std::string> argv, unsigned at_exec) {
  if (argv.empty()) return launch_error("no command to run", 0);
  std::vector<char*> cargv;
  for (const std::string& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  // The child waits on `gate` until it is seized, so that its execve is seen.
  int gate[2];
  if (pipe2(gate, O_CLOEXEC) != 0) return launch_error(fmt::format("pipe: {}", std::strerror(errno)), 0);
  // The child's execvp errno, should it fail (an execve closes it unwritten).
  int failed[2];
  if (pipe2(failed, O_CLOEXEC) != 0) {
    const int err = errno;
    close(gate[0]);
    close(gate[1]);
    return launch_error(fmt::format("pipe: {}", std::strerror(err)), 0);
  }
  std::fflush(nullptr);
  const pid_t child = fork();
  if (child < 0) {
    const int err = errno;
    for (const int fd : {gate[0], gate[1], failed[0], failed[1]}) close(fd);
    return launch_error(fmt::format("fork: {}", std::strerror(err)), 0);
  }
  if (child == 0) {
    close(gate[1]);
    close(failed[0]);
    char byte;
    while (read(gate[0], &byte, 1) < 0 && errno == EINTR) {
    }
    execvp(cargv[0], cargv.data());
    const int err = errno;
    [[maybe_unused]] const ssize_t sent = write(failed[1], &err, sizeof err);
    _exit(127);
  }
  close(gate[0]);
  close(failed[1]);
  const long options = PTRACE_O_TRACEEXEC | PTRACE_O_TRACEEXIT;
  // NOLINTNEXTLINE(performance-no-int-to-ptr): ptrace's data argument carries the options.
  const bool seized = ptrace(PTRACE_SEIZE, child, nullptr, reinterpret_cast<void*>(options)) == 0;
  const int seize_errno = errno;
  close(gate[1]);
  if (!seized) {
    close(failed[0]);
    return launch_error(fmt::format("cannot trace {}: {}", argv[0], std::strerror(seize_errno)), child);
  }
  auto launched = follow(child, at_exec, argv[0], failed[0]);
  close(failed[0]);
  return launched;
}

int wait_for_exit(pid_t child) {
  int status = 0;
  pid_t r;
  do r = waitpid(child, &status, 0);
  while (r < 0 && errno == EINTR);
  return status;
}

}  // namespace sysfence::live
