#include "run/supervisor.h"

#include <fmt/format.h>
#include <linux/seccomp.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <csignal>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string_view>

#include "profile/errno_names.h"
#include "run/describe.h"
#include "run/remote_memory.h"

namespace sysfence::run {

namespace {

// What /proc/TID/status says about the calling thread's SIGSYS handling.
struct ThreadSignals {
  pid_t tgid = 0;
  int threads = 1;
  bool blocked = false;  // in this thread's mask
  bool ignored = false;  // process-wide disposition SIG_IGN
  bool caught = false;   // process-wide disposition: a handler
  bool known = false;    // the file could be read
};

uint64_t hex_field(std::string_view v) {
  uint64_t x = 0;
  std::from_chars(v.data(), v.data() + v.size(), x, 16);
  return x;
}

ThreadSignals thread_signals(pid_t tid) {
  ThreadSignals s;
  std::ifstream in(fmt::format("/proc/{}/status", tid));
  if (!in) return s;
  const uint64_t bit = uint64_t{1} << (SIGSYS - 1);
  std::string line;
  while (std::getline(in, line)) {
    const size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string_view key(line.data(), colon);
    std::string_view value(line.data() + colon + 1, line.size() - colon - 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    if (key == "Tgid") {
      std::from_chars(value.data(), value.data() + value.size(), s.tgid);
    } else if (key == "Threads") {
      std::from_chars(value.data(), value.data() + value.size(), s.threads);
    } else if (key == "SigBlk") {
      s.blocked = hex_field(value) & bit;
    } else if (key == "SigIgn") {
      s.ignored = hex_field(value) & bit;
    } else if (key == "SigCgt") {
      s.caught = hex_field(value) & bit;
      s.known = true;
    }
  }
  if (s.tgid == 0) s.known = false;
  return s;
}

// Sends the reply; false when the notification is gone (ENOENT: the caller
// was interrupted by a signal or died).
bool send_reply(int fd, uint64_t id, int64_t val, int32_t error, uint32_t flags) {
  seccomp_notif_resp resp{};
  resp.id = id;
  resp.val = val;
  resp.error = error;
  resp.flags = flags;
  while (ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND, &resp) != 0) {
    if (errno != EINTR) return false;
  }
  return true;
}

int tgkill(pid_t tgid, pid_t tid, int sig) { return static_cast<int>(syscall(SYS_tgkill, tgid, tid, sig)); }

}  // namespace

Answer answer_for(Action action, uint32_t nr, syscalls::ArchId native) {
  Answer a;
  // The value syscall_rollback leaves in the return register: the number
  // the call was made with (as a 32-bit register value).
  const auto rolled_back = static_cast<int64_t>(nr);
  switch (action.kind) {
    case ActionKind::kErrno: {
      const uint32_t e = std::min<uint32_t>(action.data, kMaxErrno);
      a.kind = Answer::Kind::kReturn;
      a.error = -static_cast<int32_t>(e);
      a.val = 0;
      return a;
    }
    case ActionKind::kTrace:
    case ActionKind::kUserNotif:
      a.kind = Answer::Kind::kReturn;
      a.error = -static_cast<int32_t>(profile::enosys(native));
      return a;
    case ActionKind::kAllow:
    case ActionKind::kLog: a.kind = Answer::Kind::kContinue; return a;
    case ActionKind::kKillProcess:
    case ActionKind::kKillThread:
      a.kind = Answer::Kind::kKill;
      a.val = rolled_back;
      return a;
    case ActionKind::kTrap:
      a.kind = Answer::Kind::kTrap;
      a.val = rolled_back;
      return a;
  }
  return a;
}

Supervisor::Supervisor(SupervisorOptions options) : options_(std::move(options)) {}

void Supervisor::emit(const std::string& line) const {
  if (options_.print) {
    options_.print(line);
    return;
  }
  const std::string text = line + "\n";
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(STDERR_FILENO, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    done += static_cast<size_t>(n);
  }
}

Expected<void> Supervisor::handle_one(int fd) {
  seccomp_notif req;
  std::memset(&req, 0, sizeof req);  // the kernel insists on a zeroed buffer
  if (ioctl(fd, SECCOMP_IOCTL_NOTIF_RECV, &req) != 0) {
    // ENOENT: the caller went away between poll and receive.
    if (errno == EINTR || errno == ENOENT) return {};
    return fail(fmt::format("SECCOMP_IOCTL_NOTIF_RECV: {}", std::strerror(errno)));
  }
  SeccompData d;
  d.nr = static_cast<uint32_t>(req.data.nr);
  d.arch = req.data.arch;
  d.instruction_pointer = req.data.instruction_pointer;
  for (int i = 0; i < 6; ++i) d.args[i] = req.data.args[i];

  const policy::Decision decision = policy::evaluate(*options_.policy, d);
  const auto tid = static_cast<pid_t>(req.pid);
  const size_t limit = options_.string_limit;
  StringReader reader = [tid, limit](uint64_t address) { return read_remote_string(tid, address, limit); };
  const std::string line = denial_line(d, decision, reader, options_.native, tid == options_.first_pid ? 0 : tid);
  // The strings were read from memory the caller owns; they describe this
  // call only if it is still waiting for the answer.
  if (ioctl(fd, SECCOMP_IOCTL_NOTIF_ID_VALID, &req.id) != 0) return {};

  const Answer answer = answer_for(decision.action, d.nr, options_.native);
  switch (answer.kind) {
    case Answer::Kind::kReturn:
      if (send_reply(fd, req.id, answer.val, answer.error, 0)) {
        ++denials_;
        emit(line);
      }
      return {};
    case Answer::Kind::kContinue:
      // Not reachable with notify_variant's filter (ALLOW and LOG never
      // notify); answered faithfully anyway.
      send_reply(fd, req.id, 0, 0, SECCOMP_USER_NOTIF_FLAG_CONTINUE);
      return {};
    case Answer::Kind::kKill:
      ++denials_;
      emit(line);
      deliver_signal_death(tid, req.id, fd, answer, decision.action.kind == ActionKind::kKillThread);
      return {};
    case Answer::Kind::kTrap:
      ++denials_;
      emit(line);
      deliver_trap(tid, req.id, fd, answer);
      return {};
  }
  return {};
}

void Supervisor::deliver_signal_death(pid_t tid, uint64_t id, int fd, const Answer& a, bool kill_thread) {
  const ThreadSignals s = thread_signals(tid);
  const pid_t tgid = s.known ? s.tgid : tid;
  if (kill_thread && s.threads > 1 && !warned_kill_thread_) {
    warned_kill_thread_ = true;
    emit(
        fmt::format("sysfence: KILL_THREAD in a process of {} threads: the whole process {} is killed "
                    "(the kernel would end only thread {})",
                    s.threads, tgid, tid));
  }
  if (s.known && !s.blocked && !s.ignored && !s.caught) {
    tgkill(tgid, tid, SIGSYS);
    // With a killable wait the signal did not end the wait: answer, and the
    // call returns straight into the pending, fatal SIGSYS. Without, the
    // signal already interrupted the wait and this reply finds nothing.
    if (options_.killable_wait) send_reply(fd, id, a.val, 0, 0);
    return;
  }
  emit(fmt::format("sysfence: process {} {} SIGSYS, so it is killed with SIGKILL instead", tgid,
                   !s.known    ? "cannot be inspected for"
                   : s.caught  ? "catches"
                   : s.ignored ? "ignores"
                               : "blocks"));
  ::kill(tgid, SIGKILL);
}

void Supervisor::deliver_trap(pid_t tid, uint64_t id, int fd, const Answer& a) {
  const ThreadSignals s = thread_signals(tid);
  const pid_t tgid = s.known ? s.tgid : tid;
  if (!s.known || s.blocked || s.ignored) {
    // The kernel's forced SIGSYS would unblock / un-ignore it and kill the
    // process; from outside only SIGKILL can end it.
    emit(fmt::format("sysfence: process {} {} SIGSYS, so it is killed with SIGKILL instead", tgid,
                     !s.known    ? "cannot be inspected for"
                     : s.blocked ? "blocks"
                                 : "ignores"));
    ::kill(tgid, SIGKILL);
    return;
  }
  if (options_.killable_wait) {
    // Pending first, then the reply: the call returns into the signal.
    tgkill(tgid, tid, SIGSYS);
    send_reply(fd, id, a.val, 0, 0);
  } else {
    // An interruptible wait would be ended by the signal (and the call
    // restarted): reply first, then signal.
    send_reply(fd, id, a.val, 0, 0);
    tgkill(tgid, tid, SIGSYS);
  }
}

}  // namespace sysfence::run
