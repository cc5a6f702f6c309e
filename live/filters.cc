#include "live/filters.h"

#include <fmt/format.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>

#include "live/proc_status.h"

namespace sysfence::live {

namespace {

// include/uapi/linux/ptrace.h and seccomp.h; spelled out so that the build
// does not depend on how new the C library's headers are.
constexpr int kPtraceSeccompGetFilter = 0x420c;
constexpr int kPtraceSeccompGetMetadata = 0x420d;
constexpr uint64_t kFilterFlagLog = 1U << 1;

// struct seccomp_metadata.
struct Metadata {
  uint64_t filter_off;
  uint64_t flags;
};

long ptrace_request(int request, pid_t pid, unsigned long addr, void* data) {
  return ptrace(static_cast<enum __ptrace_request>(request), pid, addr, data);
}

constexpr unsigned kCapSysAdmin = 21;  // include/uapi/linux/capability.h

// Whether this process runs in a user namespace other than the initial one,
// whose /proc/self/uid_map maps every uid onto itself ("0 0 4294967295"); a
// namespace not given a map yet has an empty one. A child namespace given
// that same map is not told apart: the kernel's refusal then names the cause.
bool in_child_user_namespace() {
  std::ifstream in("/proc/self/uid_map");
  if (!in) return false;  // a kernel without user namespaces
  unsigned long long inside = 0;
  unsigned long long outside = 0;
  unsigned long long count = 0;
  if (!(in >> inside >> outside >> count)) return true;
  unsigned long long more = 0;
  return inside != 0 || outside != 0 || count != 0xffffffffULL || static_cast<bool>(in >> more);
}

// Why the kernel refuses, or would refuse, this process the filters
// (seccomp_get_filter answers EACCES): it wants CAP_SYS_ADMIN in the initial
// user namespace (capable()) and a caller whose own seccomp mode is disabled.
// Nothing when /proc/self/status and uid_map show all of that;
// `assume_refused` (the kernel did refuse) names the capability then.
std::optional<std::string> refusal(pid_t pid, bool assume_refused) {
  const std::string head = fmt::format("cannot read the filters of process {}: ", pid);
  // Capabilities held in a user namespace of its own do not count for the
  // kernel's check, though /proc/self/status shows them.
  const std::string not_initial =
      "CAP_SYS_ADMIN in the initial user namespace is required, and sysfence runs in a user namespace of its own "
      "(its capabilities there do not count)";
  auto self = read_status_fields(0);
  if (self) {
    const auto mode = status_number(*self, "Seccomp");
    if (mode && *mode != 0) {
      // Its own filter may also be what denies ptrace (EPERM at the attach).
      return head + fmt::format(
                        "sysfence itself runs under seccomp (mode {}), and the kernel hands filters only to an "
                        "unconfined caller",
                        *mode == 1 ? "strict" : "filter");
    }
    const auto it = self->find("CapEff");
    if (it != self->end() && !it->second.empty()) {
      const unsigned long long caps = std::strtoull(it->second.c_str(), nullptr, 16);
      if ((caps >> kCapSysAdmin & 1U) == 0) return head + "CAP_SYS_ADMIN is required";
      if (in_child_user_namespace()) return head + not_initial;
      // The capability is there, and the kernel refused all the same: a
      // child namespace whose uid_map looks initial, or a security module.
      if (assume_refused) {
        return head +
               "CAP_SYS_ADMIN in the initial user namespace is required (the kernel refused although sysfence's "
               "effective set has it: a user namespace of its own, or a security module)";
      }
      return std::nullopt;
    }
  }
  if (in_child_user_namespace()) return head + not_initial;
  if (assume_refused) return head + "CAP_SYS_ADMIN is required";
  return std::nullopt;
}

// The request failed for filter `index`: say why in the user's terms.
std::string request_error(pid_t pid, int err, const char* what) {
  switch (err) {
    case EACCES:
    case EPERM: return *refusal(pid, /*assume_refused=*/true);
    case EINVAL:
      // get_nth_filter answers EINVAL for a task not in filter mode too, but
      // the caller checked the mode first: here it is the stub a kernel
      // without CONFIG_CHECKPOINT_RESTORE compiles in.
      return fmt::format(
          "cannot read the filters of process {}: the kernel was built without CONFIG_CHECKPOINT_RESTORE", pid);
    case EIO:
      return fmt::format("cannot read the filters of process {}: the kernel has no {} (Linux 4.4 and 4.15 added them)",
                         pid, what);
    case EMEDIUMTYPE: return fmt::format("cannot read the filters of process {}: a filter is not classic BPF", pid);
    case ESRCH: return fmt::format("process {} exited while its filters were read", pid);
    default: return fmt::format("cannot read the filters of process {}: {}: {}", pid, what, std::strerror(err));
  }
}

Expected<LiveFilter> read_one(pid_t pid, unsigned index, size_t length) {
  LiveFilter f{.index = index, .program = bpf::Program(length), .log_flag = false};
  const long got = ptrace_request(kPtraceSeccompGetFilter, pid, index, f.program.data());
  if (got < 0) return fail(request_error(pid, errno, "PTRACE_SECCOMP_GET_FILTER"));
  // The kernel copies struct sock_filter in the host's layout, which Insn is.
  static_assert(sizeof(bpf::Insn) == 8);
  f.program.resize(std::min(static_cast<size_t>(got), length));
  Metadata md{.filter_off = index, .flags = 0};
  if (ptrace_request(kPtraceSeccompGetMetadata, pid, sizeof md, &md) < 0) {
    return fail(request_error(pid, errno, "PTRACE_SECCOMP_GET_METADATA"));
  }
  f.log_flag = (md.flags & kFilterFlagLog) != 0;
  return f;
}

}  // namespace

const char* mode_name(SeccompMode mode) {
  switch (mode) {
    case SeccompMode::kDisabled: return "disabled";
    case SeccompMode::kStrict: return "strict";
    case SeccompMode::kFilter: return "filter";
  }
  return "unknown";
}

Expected<ProcessSeccomp> read_process_seccomp(pid_t pid) {
  if (pid <= 0) return fail(fmt::format("process {}: no such process", pid));
  auto fields = read_status_fields(pid);
  if (!fields) return fail(fields.error().message);
  const auto mode = status_number(*fields, "Seccomp");
  if (!mode || *mode > 2) {
    return fail(fmt::format("/proc/{}/status: no Seccomp field (a kernel without CONFIG_SECCOMP)", pid));
  }
  return ProcessSeccomp{
      .mode = static_cast<SeccompMode>(*mode),
      .filter_count = static_cast<unsigned>(status_number(*fields, "Seccomp_filters").value_or(0)),
      .no_new_privs = status_number(*fields, "NoNewPrivs").value_or(0) != 0,
  };
}

Expected<std::vector<LiveFilter>> read_filters_of_stopped(pid_t pid) {
  std::vector<LiveFilter> filters;
  // BPF_MAXINSNS bounds one filter; the kernel's 32768-instruction budget
  // for the whole stack (MAX_INSNS_PER_PATH) bounds their number.
  for (unsigned index = 0; index < 32768; ++index) {
    const long length = ptrace_request(kPtraceSeccompGetFilter, pid, index, nullptr);
    if (length < 0 && errno == ENOENT) break;
    if (length < 0) return fail(request_error(pid, errno, "PTRACE_SECCOMP_GET_FILTER"));
    auto f = read_one(pid, index, static_cast<size_t>(length));
    if (!f) return fail(f.error().message);
    filters.push_back(std::move(*f));
  }
  std::reverse(filters.begin(), filters.end());
  return filters;
}

std::vector<bpf::Program> oldest_first(const std::vector<LiveFilter>& filters) {
  std::vector<bpf::Program> installed;
  std::transform(filters.rbegin(), filters.rend(), std::back_inserter(installed),
                 [](const LiveFilter& f) { return f.program; });
  return installed;
}

namespace {

// A task this process seized: stopped by PTRACE_INTERRUPT, detached on every
// path (with the signal whose delivery the stop interrupted, if any).
class Seized {
 public:
  explicit Seized(pid_t pid) : pid_(pid) {}
  Seized(const Seized&) = delete;
  Seized& operator=(const Seized&) = delete;
  ~Seized() {
    if (stopped_) {
      // NOLINTNEXTLINE(performance-no-int-to-ptr): ptrace's data argument carries the signal number.
      ptrace(PTRACE_DETACH, pid_, nullptr, reinterpret_cast<void*>(static_cast<long>(pending_signal_)));
    } else if (attached_) {
      ptrace(PTRACE_DETACH, pid_, nullptr, nullptr);
    }
  }

  Expected<void> attach() {
    if (ptrace(PTRACE_SEIZE, pid_, nullptr, nullptr) != 0) return fail(attach_error(errno));
    attached_ = true;
    if (ptrace(PTRACE_INTERRUPT, pid_, nullptr, nullptr) != 0) {
      return fail(fmt::format("process {}: PTRACE_INTERRUPT: {}", pid_, std::strerror(errno)));
    }
    return wait_for_stop();
  }

 private:
  Expected<void> wait_for_stop() {
    int status = 0;
    pid_t r;
    do r = waitpid(pid_, &status, __WALL);
    while (r < 0 && errno == EINTR);
    if (r < 0) return fail(fmt::format("process {}: waitpid: {}", pid_, std::strerror(errno)));
    if (!WIFSTOPPED(status)) {
      attached_ = false;  // it is gone: nothing to detach
      return fail(fmt::format("process {} exited while its filters were read", pid_));
    }
    stopped_ = true;
    // A signal-delivery-stop (event 0, not our SIGTRAP) swallowed a signal:
    // hand it back on detach. Interrupt and group stops carry an event.
    const int event = status >> 16;
    if (event == 0 && WSTOPSIG(status) != SIGTRAP) pending_signal_ = WSTOPSIG(status);
    return {};
  }

  std::string attach_error(int err) const {
    if (err == ESRCH) return fmt::format("process {}: no such process", pid_);
    if (err == EPERM) {
      auto fields = read_status_fields(pid_);
      if (fields) {
        const auto tracer = status_number(*fields, "TracerPid");
        if (tracer && *tracer != 0) {
          return fmt::format("process {} is already traced by process {}; the kernel hands filters to one tracer only",
                             pid_, *tracer);
        }
      }
      if (pid_ == getpid()) return fmt::format("process {} is sysfence itself", pid_);
      return fmt::format(
          "cannot attach to process {}: permission denied (ptrace needs CAP_SYS_PTRACE or the same user)", pid_);
    }
    return fmt::format("cannot attach to process {}: {}", pid_, std::strerror(err));
  }

  pid_t pid_;
  bool attached_ = false;
  bool stopped_ = false;
  int pending_signal_ = 0;
};

}  // namespace

Expected<LiveStack> read_stack(pid_t pid) {
  auto status = read_process_seccomp(pid);
  if (!status) return fail(status.error().message);
  if (status->mode == SeccompMode::kDisabled) {
    std::string message = fmt::format("process {} has no seccomp filter (Seccomp: 0)", pid);
    for (const OtherThread& t : threads_differing(pid, *status)) {
      if (t.status.mode == SeccompMode::kFilter) message += "; " + describe(t);
    }
    return fail(message);
  }
  if (status->mode == SeccompMode::kStrict) {
    return fail(fmt::format("process {} is in seccomp strict mode, which has no filter to read", pid));
  }
  // A stop the read cannot follow would only wake the task's calls.
  if (auto refused = refusal(pid, /*assume_refused=*/false)) return fail(*refused);
  Seized seized(pid);
  if (auto ok = seized.attach(); !ok) return fail(ok.error().message);
  auto filters = read_filters_of_stopped(pid);
  if (!filters) return fail(filters.error().message);
  LiveStack stack{
      .pid = pid, .status = *status, .filters = std::move(*filters), .interrupted = {}, .other_threads = {}};
  if (stack.status.filter_count == 0) stack.status.filter_count = static_cast<unsigned>(stack.filters.size());
  // Still stopped: the detach (seized's destructor) is what resumes the call.
  stack.interrupted = return_eintr_if_restart_denied(pid, oldest_first(stack.filters));
  stack.other_threads = threads_differing(pid, stack.status);
  return stack;
}

std::vector<OtherThread> threads_differing(pid_t pid, const ProcessSeccomp& read) {
  std::vector<OtherThread> out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(fmt::format("/proc/{}/task", pid), ec)) {
    // The name kept: strtol's end points into it.
    const std::string name = entry.path().filename().string();
    char* end = nullptr;
    const long tid = std::strtol(name.c_str(), &end, 10);
    if (end == nullptr || *end != 0 || tid <= 0 || tid == pid) continue;
    auto status = read_process_seccomp(static_cast<pid_t>(tid));
    if (!status) continue;  // the thread ended meanwhile
    if (status->mode != read.mode || status->filter_count != read.filter_count) {
      out.push_back({static_cast<pid_t>(tid), *status});
    }
  }
  std::sort(out.begin(), out.end(), [](const OtherThread& a, const OtherThread& b) { return a.tid < b.tid; });
  return out;
}

std::string describe(const OtherThread& thread) {
  const ProcessSeccomp& s = thread.status;
  switch (s.mode) {
    case SeccompMode::kDisabled: return fmt::format("thread {} has no seccomp filter", thread.tid);
    case SeccompMode::kStrict: return fmt::format("thread {} is in seccomp strict mode", thread.tid);
    case SeccompMode::kFilter: break;
  }
  if (s.filter_count == 0) return fmt::format("thread {} has seccomp filters: dump --pid {}", thread.tid, thread.tid);
  return fmt::format("thread {} has {} filter{}: dump --pid {}", thread.tid, s.filter_count,
                     s.filter_count == 1 ? "" : "s", thread.tid);
}

std::vector<std::string> notes(const LiveStack& stack) {
  std::vector<std::string> out;
  if (stack.interrupted) out.push_back(describe(*stack.interrupted));
  // A process of many threads: the first few say where to look.
  constexpr size_t kNamed = 4;
  const size_t n = stack.other_threads.size();
  for (size_t i = 0; i < std::min(n, kNamed); ++i) {
    out.push_back(fmt::format("only thread {} was read: {}", stack.pid, describe(stack.other_threads[i])));
  }
  if (n > kNamed) out.push_back(fmt::format("{} more threads of process {} differ", n - kNamed, stack.pid));
  return out;
}

}  // namespace sysfence::live
