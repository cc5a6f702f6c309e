#include "run/run.h"

#include <fmt/format.h>
#include <linux/futex.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <optional>

#include "base/text.h"
#include "bpf/install.h"
#include "pipeline/pipeline.h"
#include "run/exec_failure.h"
#include "run/host.h"
#include "run/oci_state.h"
#include "run/rewrite.h"
#include "run/supervisor.h"
#include "syscalls/arch.h"

namespace sysfence::run {

namespace {

void say(std::string_view message) { fmt::print(stderr, "sysfence: {}\n", one_line(message)); }

// ---------------------------------------------------------------------------
// Child <-> parent handshake in MAP_SHARED memory (set up before the clone).
// ---------------------------------------------------------------------------

enum HandshakeState : uint32_t {
  kPending = 0,
  kInstalling = 1,     // the child's last call before the filter: from here on the parent polls
  kInstalled = 2,      // listener_fd is valid in the (shared) fd table
  kInstallFailed = 3,  // message says why; the child exits 125
  kExecFailed = 4,     // exec_errno says why; the parent exits 126/127
};

enum GoAhead : uint32_t { kWait = 0, kExec = 1, kAbort = 2 };

struct Handshake {
  std::atomic<uint32_t> state{kPending};  // child -> parent; also a futex word
  // parent -> child, when the child must not start the command before the
  // parent has handed the listener to its agent (read in a spin: see child_main).
  std::atomic<uint32_t> go{kWait};
  bool wait_for_go = false;
  // Locked by the parent before the clone and never unlocked: a robust
  // mutex, whose futex word the kernel marks FUTEX_OWNER_DIED when its owner
  // dies, however it dies (SIGKILL too). The child, spinning for `go`, reads
  // that word and gives up when the parent is gone: no call under the filter.
  pthread_mutex_t parent_alive;
  bool parent_watched = false;  // parent_alive is locked by the parent
  // No core dump of the child before its exec (see child_main).
  bool undumpable = false;
  int listener_fd = -1;
  int exec_errno = 0;
  char message[1024] = {};
};
static_assert(std::atomic<uint32_t>::is_always_lock_free);

long futex(std::atomic<uint32_t>* word, int op, uint32_t value, const timespec* timeout) {
  // Not FUTEX_PRIVATE_FLAG: the word is shared between two processes.
  return syscall(SYS_futex, reinterpret_cast<uint32_t*>(word), op, value, timeout, nullptr, 0);
}

// Tells the processor that this is a spin-wait (less power, and the other
// hyperthread runs faster), without a system call.
void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

// Whether the parent holding `hs->parent_alive` has died (glibc's robust
// mutex keeps the futex word the kernel marks in __data.__lock). Read only,
// with no system call: the child calls it under its filter.
bool parent_died(const Handshake* hs) {
#ifdef __GLIBC__
  if (!hs->parent_watched) return false;
  return (__atomic_load_n(&hs->parent_alive.__data.__lock, __ATOMIC_ACQUIRE) & FUTEX_OWNER_DIED) != 0;
#else
  (void)hs;
  return false;
#endif
}

// Locks `hs->parent_alive` for this process (the parent), before the clone;
// without robust mutexes (a libc or kernel without them) the child cannot
// tell that the parent died and spins as long as the parent is away.
void watch_parent(Handshake* hs) {
  pthread_mutexattr_t attr;
  if (pthread_mutexattr_init(&attr) != 0) return;
  const bool ok = pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED) == 0 &&
                  pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST) == 0 &&
                  pthread_mutex_init(&hs->parent_alive, &attr) == 0;
  pthread_mutexattr_destroy(&attr);
  hs->parent_watched = ok && pthread_mutex_lock(&hs->parent_alive) == 0;
}

// The signals a supervising sysfence passes on to the command.
sigset_t forwarded_signals() {
  sigset_t s;
  sigemptyset(&s);
  for (int sig : {SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGALRM, SIGWINCH}) sigaddset(&s, sig);
  return s;
}

// The child's side. Only system calls and plain stores after the clone: the
// child shares the parent's fd table and, having been created by a raw
// clone, glibc's idea of its thread id is stale, so nothing here may rely on
// it (no raise, no locks held across the clone: sysfence is single-threaded).
// Once the filter is installed the only call left is execve: any other call
// (a futex to wake the parent, a wait) would be the command's for the
// profile to decide, and the supervisor would report it as the command's.
[[noreturn]] void child_main(Handshake* hs, const sigset_t& original_mask, std::span<const bpf::Insn> program,
                             const bpf::InstallOptions& options, const ExecImage& image) {
  // Before the filter: the command gets the signal mask sysfence was given.
  sigprocmask(SIG_SETMASK, &original_mask, nullptr);
  // After a failed execve, _exit ends with a fault when the filter denies
  // exit_group and exit; that copy of sysfence should leave no core. The
  // exec resets the flag for the command.
  if (hs->undumpable) prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  hs->state.store(kInstalling, std::memory_order_release);
  futex(&hs->state, FUTEX_WAKE, 1, nullptr);
  auto installed = bpf::install(program, options);
  if (!installed) {
    // Nothing was installed: the wake is no call of the command's.
    std::snprintf(hs->message, sizeof hs->message, "%s", installed.error().message.c_str());
    hs->state.store(kInstallFailed, std::memory_order_release);
    futex(&hs->state, FUTEX_WAKE, 1, nullptr);
    _exit(kExitOwnFailure);
  }
  hs->listener_fd = installed->listener_fd;
  hs->state.store(kInstalled, std::memory_order_release);
  if (hs->wait_for_go) {
    // The command must not run before its agent has the listener (runc's
    // init waits the same way). A wait in the kernel would be a call under
    // the filter, so the child spins; the parent, connected to the agent
    // before the clone, needs one sendmsg to answer. A parent killed before
    // it answers leaves the command unstarted: the child exits.
    while (hs->go.load(std::memory_order_acquire) == kWait && !parent_died(hs)) cpu_relax();
    if (hs->go.load(std::memory_order_acquire) != kExec) _exit(kExitOwnFailure);
  }
  const int err = exec_image(image);
  hs->exec_errno = err;
  hs->state.store(kExecFailed, std::memory_order_release);
  // The parent reports the failure, whichever way this process ends: by
  // exit_group, or by the fault glibc's _exit falls back to when the filter
  // denies exit_group and exit, or by the parent's SIGKILL (a supervisor
  // that is sent these calls).
  _exit(exit_code_for_exec_errno(err));
}

bool child_exited(int pidfd) {
  pollfd p{pidfd, POLLIN, 0};
  return ::poll(&p, 1, 0) == 1;
}

// Exits the way the command did: its code, or its signal re-raised.
int finish_like(const siginfo_t& info) {
  if (info.si_code == CLD_EXITED) return info.si_status;
  const int sig = info.si_status;
  // The command already dumped core (or did not); sysfence must not add one.
  const rlimit no_core{0, 0};
  setrlimit(RLIMIT_CORE, &no_core);
  signal(sig, SIG_DFL);
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, sig);
  sigprocmask(SIG_UNBLOCK, &s, nullptr);
  ::kill(getpid(), sig);
  return 128 + sig;
}

void forward_signal(int sigfd, pid_t child) {
  signalfd_siginfo si{};
  while (::read(sigfd, &si, sizeof si) == static_cast<ssize_t>(sizeof si)) {
    // A terminal's signals (SI_KERNEL) go to the whole foreground process
    // group: the command received its own copy already.
    if (si.ssi_code == SI_KERNEL) continue;
    ::kill(child, static_cast<int>(si.ssi_signo));
  }
}

// Serves a listener whose command has exited but whose filter still has
// users (descendants of the command): until the last of them is gone.
void serve_remaining(Supervisor& supervisor, int listener) {
  for (;;) {
    pollfd p{listener, POLLIN, 0};
    if (::poll(&p, 1, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (p.revents & POLLIN) {
      if (!supervisor.handle_one(listener)) return;
      continue;
    }
    if (p.revents & (POLLHUP | POLLERR | POLLNVAL)) return;
  }
}

struct Supervised {
  const FilterPlan* plan = nullptr;
  std::span<const bpf::Insn> program;
  bpf::InstallOptions install;  // kFlagNewListener set: a listener to serve or hand over
  bool trace = false;
};

// The command's process from the clone on: the handshake page, its pidfd,
// and the signalfd that reads the signals sysfence forwards to it.
struct Child {
  Handshake* hs = nullptr;
  pid_t pid = 0;
  int pidfd = -1;
  int sigfd = -1;
};

// Clones the child that installs the filter and runs the command; nullopt
// (having said why) when that fails.
std::optional<Child> start_child(const Supervised& s, const ExecImage& image) {
  void* mem = mmap(nullptr, sizeof(Handshake), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) {
    say(fmt::format("mmap: {}", std::strerror(errno)));
    return std::nullopt;
  }
  Child c;
  c.hs = new (mem) Handshake();
  c.hs->wait_for_go = s.plan->uses_notify;
  if (c.hs->wait_for_go) watch_parent(c.hs);
  // Nothing reads the child's memory before its exec when nobody holds a listener.
  c.hs->undumpable = (s.install.flags & bpf::kFlagNewListener) == 0;

  // Block the forwarded signals before the clone so that none sent in
  // between is lost; the child restores the original mask.
  const sigset_t forward = forwarded_signals();
  sigset_t original;
  sigprocmask(SIG_BLOCK, &forward, &original);
  c.sigfd = signalfd(-1, &forward, SFD_CLOEXEC | SFD_NONBLOCK);
  if (c.sigfd < 0) {
    say(fmt::format("signalfd: {}", std::strerror(errno)));
    return std::nullopt;
  }

  const long pid = syscall(SYS_clone, CLONE_FILES | CLONE_PIDFD | SIGCHLD, nullptr, &c.pidfd, nullptr, nullptr);
  if (pid == 0) child_main(c.hs, original, s.program, s.install, image);
  if (pid < 0) {
    say(fmt::format("clone: {}", std::strerror(errno)));
    return std::nullopt;
  }
  c.pid = static_cast<pid_t>(pid);
  return c;
}

void reap(const Child& c, siginfo_t& info) {
  waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(c.pidfd), &info, WEXITED);
}

// Waits while the handshake word holds `value` and the child lives, each
// wait at most `tick` long (a wake from the child ends it early), the tick
// doubling up to `max_tick`.
void wait_while(const Child& c, uint32_t value, long tick_ns, long max_tick_ns) {
  while (c.hs->state.load(std::memory_order_acquire) == value && !child_exited(c.pidfd)) {
    const timespec tick{0, tick_ns};
    futex(&c.hs->state, FUTEX_WAIT, value, &tick);
    tick_ns = std::min(tick_ns * 2, max_tick_ns);
  }
}

// Waits until the filter is in place; false (the child reaped, and said
// why) when the child gave up instead.
bool wait_for_install(const Child& c, siginfo_t& info) {
  constexpr long kMaxTickNs = 10'000'000;
  // The child wakes the parent just before it installs the filter ...
  wait_while(c, kPending, kMaxTickNs, kMaxTickNs);
  // ... but not after, when a wake would be a call under the filter: the
  // word is polled, first often (seccomp(2) takes microseconds), then less.
  wait_while(c, kInstalling, 20'000, kMaxTickNs);
  const uint32_t state = c.hs->state.load(std::memory_order_acquire);
  if (state == kPending || state == kInstalling || state == kInstallFailed) {
    reap(c, info);
    say(state == kInstallFailed ? std::string(c.hs->message) : "the child exited before installing the filter");
    return false;
  }
  return true;
}

// Hands the listener to the plan's agent (on `agent`, the socket connected
// to it) and lets the child run the command; false (the child killed and
// reaped) when the agent did not get it.
bool hand_to_agent(const Child& c, const FilterPlan& plan, const std::string& bundle, int agent, int listener,
                   siginfo_t& info) {
  const std::string doc = container_process_state(c.pid, plan.listener_metadata, bundle);
  auto sent = send_to_agent(agent, plan.listener_path, doc, listener);
  c.hs->go.store(sent ? kExec : kAbort, std::memory_order_release);
  if (!sent) {
    say(sent.error().message);
    ::kill(c.pid, SIGKILL);
    reap(c, info);
    return false;
  }
  return true;
}

// Answers the listener's calls and forwards signals until the command exits.
void supervise(const Child& c, Supervisor& supervisor, int listener) {
  bool listener_open = listener >= 0;
  for (;;) {
    pollfd fds[3] = {{c.pidfd, POLLIN, 0}, {c.sigfd, POLLIN, 0}, {listener_open ? listener : -1, POLLIN, 0}};
    if (::poll(fds, 3, -1) < 0) {
      if (errno == EINTR) continue;
      say(fmt::format("poll: {}", std::strerror(errno)));
      ::kill(c.pid, SIGKILL);
      break;
    }
    if ((fds[2].revents & POLLIN) && c.hs->state.load(std::memory_order_acquire) == kExecFailed) {
      // sysfence's own calls on its way out after a failed execve, not the
      // command's: not reported; the child is ended here.
      ::kill(c.pid, SIGKILL);
      listener_open = false;
    } else if (fds[2].revents & POLLIN) {
      if (auto ok = supervisor.handle_one(listener); !ok) {
        say(ok.error().message);
        listener_open = false;
      }
    } else if (fds[2].revents & (POLLHUP | POLLERR | POLLNVAL)) {
      listener_open = false;
    }
    if (fds[1].revents & POLLIN) forward_signal(c.sigfd, c.pid);
    if (fds[0].revents & POLLIN) break;
  }
}

// Answers what is already queued, then hands whatever remains (calls of the
// command's surviving descendants) to a background keeper, so that they keep
// getting the profile's answers after sysfence exits.
void hand_off_listener(const Child& c, Supervisor& supervisor, int listener) {
  for (;;) {
    pollfd p{listener, POLLIN, 0};
    if (::poll(&p, 1, 0) != 1 || !(p.revents & POLLIN)) {
      if (p.revents == 0 && fork() == 0) {
        ::close(c.sigfd);
        ::close(c.pidfd);
        serve_remaining(supervisor, listener);
        _exit(0);
      }
      break;
    }
    if (!supervisor.handle_one(listener)) break;
  }
}

int run_supervised(const Supervised& s, const ExecImage& image) {
  char cwd_buf[4096];
  const std::string bundle = ::getcwd(cwd_buf, sizeof cwd_buf) != nullptr ? cwd_buf : "/";
  // Connected before the child exists, so that the child, which spins until
  // the agent has the listener, spins only for one sendmsg; and no agent
  // means no child.
  int agent = -1;
  if (s.plan->uses_notify) {
    auto connected = connect_to_agent(s.plan->listener_path);
    if (!connected) {
      say(connected.error().message);
      return kExitOwnFailure;
    }
    agent = *connected;
  }
  const auto started = start_child(s, image);
  siginfo_t info{};
  if (!started || !wait_for_install(*started, info)) {
    if (agent >= 0) ::close(agent);
    return kExitOwnFailure;
  }
  const Child& c = *started;
  int listener = c.hs->listener_fd;
  // Ignored only here: the command got the original disposition already.
  signal(SIGPIPE, SIG_IGN);

  if (s.plan->uses_notify) {
    const bool handed = hand_to_agent(c, *s.plan, bundle, agent, listener, info);
    ::close(agent);
    if (!handed) return kExitOwnFailure;
    ::close(listener);  // the agent has its own copy now
    listener = -1;
  }

  SupervisorOptions options;
  options.policy = &s.plan->policy;
  options.native = syscalls::native_arch().id;
  options.first_pid = c.pid;
  options.killable_wait = (s.install.flags & bpf::kFlagWaitKillableRecv) != 0;
  Supervisor supervisor(options);
  supervise(c, supervisor, listener);
  reap(c, info);
  const bool exec_failed = c.hs->state.load(std::memory_order_acquire) == kExecFailed;
  if (exec_failed) {
    say(exec_failure_message(image.path, c.hs->exec_errno, skips_exec(s.plan->program, image)));
  }

  if (listener >= 0) {
    hand_off_listener(c, supervisor, listener);
    ::close(listener);
  }
  ::close(c.sigfd);
  ::close(c.pidfd);
  // After a failed execve the child's end is sysfence's, not the command's.
  if (exec_failed) return exit_code_for_exec_errno(c.hs->exec_errno);
  return finish_like(info);
}

// Whether to set no_new_privs before installing; says so when it had to be
// set although nobody asked for it.
bool needs_no_new_privs(std::optional<bool> asked) {
  if (asked.value_or(false)) return true;
  if (has_effective_sys_admin()) return false;
  if (!no_new_privs_set()) {
    say("note: no_new_privs is set: installing a filter without it needs CAP_SYS_ADMIN, which this process "
        "lacks (setuid programs will not gain privileges)");
  }
  return true;
}

// Installs the filter on sysfence itself and becomes the command; returns
// only when the filter cannot be installed. A filter under which a failed
// execve could be neither reported nor exited from gets a parent instead.
int run_direct(const FilterPlan& plan, const bpf::InstallOptions& install, const ExecImage& image) {
  ExecFailureReport report(image.path, skips_exec(plan.program, image));
  if (report.allowed_by(plan.program)) {
    auto installed = bpf::install(plan.program, install);
    if (!installed) {
      say(installed.error().message);
      return kExitOwnFailure;
    }
    report.report_and_exit(exec_image(image));
  }
  Supervised s;
  s.plan = &plan;
  s.program = plan.program;
  s.install = install;
  return run_supervised(s, image);
}

}  // namespace

int run(const RunRequest& request) {
  if (request.command.empty()) {
    say("no command given (usage: sysfence run [OPTIONS] -- CMD [ARGS...])");
    return kExitOwnFailure;
  }
  auto path = find_executable(request.command[0]);
  if (!path) {
    say(path.error().message);
    return path.error().exit_code;
  }
  ExecImage image = make_exec_image(*path, request.command);

  if (request.profile.unconfined()) {
    const int err = exec_image(image);
    say(exec_failure_message(image.path, err, /*profile_skips=*/false));
    return exit_code_for_exec_errno(err);
  }

  FilterRequest filter = request.filter;
  filter.profile = request.profile.profile;
  auto plan = plan_filter(filter);
  if (!plan) {
    say(plan.error().message);
    return kExitOwnFailure;
  }
  for (const std::string& note : plan->notes) say("note: " + note);
  const std::string diagnostics = pipeline::diagnostic_text(plan->diagnostics);
  std::fwrite(diagnostics.data(), 1, diagnostics.size(), stderr);
  // Docker's container would die of SIGSYS (exit 159), indistinguishable
  // from a command that ran and was killed: the profile's answer is known
  // before anything runs.
  if (const auto never = exec_never_starts(plan->program, image)) {
    say(*never);
    return kExitCannotRun;
  }

  if (request.trace_denials && plan->uses_notify) {
    say(
        fmt::format("--trace-denials cannot be used with {}: it sends SCMP_ACT_NOTIFY calls to the agent at "
                    "{}, and a filter chain can have only one listener",
                    plan->source, plan->listener_path));
    return kExitOwnFailure;
  }

  bpf::InstallOptions install;
  install.flags = plan->flags;
  install.set_no_new_privs = needs_no_new_privs(request.no_new_privileges);
  if (!request.trace_denials && !plan->uses_notify) return run_direct(*plan, install, image);

  Supervised s;
  s.plan = &*plan;
  bpf::Program variant;
  if (request.trace_denials) {
    auto v = notify_variant(plan->program);
    if (!v) {
      say(v.error().message);
      return kExitOwnFailure;
    }
    variant = std::move(*v);
    s.program = variant;
    s.trace = true;
    // Once the supervisor has received a call, only SIGKILL may interrupt
    // its wait: like a call the kernel answers at once, a notified call is
    // not cut short by a signal (5.19+; older kernels run without).
    install.flags |= bpf::probe_flags(bpf::kFlagWaitKillableRecv);
  } else {
    s.program = plan->program;
  }
  install.flags |= bpf::kFlagNewListener;
  // TSYNC's error would be a thread id, indistinguishable from a listener fd.
  if (install.flags & bpf::kFlagTsync) install.flags |= bpf::kFlagTsyncEsrch;
  s.install = install;
  return run_supervised(s, image);
}

}  // namespace sysfence::run
