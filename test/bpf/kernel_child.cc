#include "test/bpf/kernel_child.h"

#include <fmt/format.h>
#include <poll.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <stdexcept>

#if defined(__x86_64__)
extern "C" char sysfence_test_raw_syscall_ret[];
#endif

namespace sysfence::bpf::testing {

std::string ChildStatus::describe() const {
  if (timed_out) return "timed out (killed)";
  if (exited) return fmt::format("exited with status {}", exit_code);
  if (signaled) return fmt::format("killed by signal {} ({})", signal, strsignal(signal));
  return "unknown";
}

void disable_core_dumps() {
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  const rlimit none{0, 0};
  setrlimit(RLIMIT_CORE, &none);
}

void die_without_syscall() {
  for (;;) __builtin_trap();
}

#if defined(__x86_64__)
// noinline + noclone: the asm (and its global label) must exist exactly once.
__attribute__((noinline, noclone)) long raw_syscall(uint32_t nr, const std::array<uint64_t, 6>& args) {
  long ret;
  register uint64_t r10 asm("r10") = args[3];
  register uint64_t r8 asm("r8") = args[4];
  register uint64_t r9 asm("r9") = args[5];
  asm volatile(
      "syscall\n"
      ".globl sysfence_test_raw_syscall_ret\n"
      ".hidden sysfence_test_raw_syscall_ret\n"
      "sysfence_test_raw_syscall_ret:\n"
      : "=a"(ret)
      : "a"(uint64_t{nr}), "D"(args[0]), "S"(args[1]), "d"(args[2]), "r"(r10), "r"(r8), "r"(r9)
      : "rcx", "r11", "memory");
  return ret;
}

uint64_t raw_syscall_ip() { return reinterpret_cast<uint64_t>(&sysfence_test_raw_syscall_ret[0]); }
#else
long raw_syscall(uint32_t nr, const std::array<uint64_t, 6>& a) {
  const long r = syscall(static_cast<long>(nr), a[0], a[1], a[2], a[3], a[4], a[5]);
  return r == -1 ? -errno : r;
}
uint64_t raw_syscall_ip() { return 0; }
#endif

namespace {

ChildStatus decode_status(int status) {
  ChildStatus st;
  st.exited = WIFEXITED(status);
  st.exit_code = st.exited ? WEXITSTATUS(status) : 0;
  st.signaled = WIFSIGNALED(status);
  st.signal = st.signaled ? WTERMSIG(status) : 0;
  return st;
}

// Waits for `pid` through its pidfd with a timeout; SIGKILLs it when the time
// is up. Always reaps the child.
ChildStatus wait_for(pid_t pid, int pidfd, int timeout_ms) {
  bool done = false;
  if (pidfd >= 0) {
    pollfd pfd{pidfd, POLLIN, 0};
    int r;
    do r = poll(&pfd, 1, timeout_ms);
    while (r < 0 && errno == EINTR);
    done = r > 0;
    close(pidfd);
  } else {
    for (int waited = 0; waited < timeout_ms * 10; ++waited) {
      int status;
      if (waitpid(pid, &status, WNOHANG) == pid) return decode_status(status);
      usleep(100);
    }
  }
  if (!done) kill(pid, SIGKILL);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!done) {
    ChildStatus st;
    st.timed_out = true;
    return st;
  }
  return decode_status(status);
}

int light_child_entry(void* arg) {
  const auto* body = static_cast<const std::function<void()>*>(arg);
  (*body)();
  raw_syscall(SYS_exit_group, {0, 0, 0, 0, 0, 0});
  die_without_syscall();  // exit_group denied by the child's filter
}

}  // namespace

ChildStatus run_in_light_child(const std::function<void()>& body, int timeout_ms) {
  // One stack for all light children (they run one at a time).
  static constexpr size_t kStackSize = 1 << 20;
  static void* stack = [] {
    void* p = mmap(nullptr, kStackSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::runtime_error("mmap of the child stack failed");
    return p;
  }();
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);  // per mm: see the header
  int pidfd = -1;
  const pid_t pid = clone(light_child_entry, static_cast<char*>(stack) + kStackSize, CLONE_VM | CLONE_PIDFD | SIGCHLD,
                          const_cast<std::function<void()>*>(&body), &pidfd);
  if (pid < 0) throw std::runtime_error(std::string("clone: ") + strerror(errno));
  ChildStatus st = wait_for(pid, pidfd, timeout_ms);
  return st;
}

ChildStatus run_in_child(const std::function<void()>& body, int timeout_ms) {
  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error(std::string("fork: ") + strerror(errno));
  if (pid == 0) {
    disable_core_dumps();
    body();
    _exit(0);
  }
  return wait_for(pid, static_cast<int>(syscall(SYS_pidfd_open, pid, 0)), timeout_ms);
}

#if defined(__x86_64__)
// rbp is the sixth argument; it is saved in r15 around the gate, and the
// kernel clobbers r8-r11.
__attribute__((noinline)) long int80(uint32_t nr, const std::array<uint64_t, 6>& args) {
  long ret;
  register uint64_t r12 asm("r12") = args[5];
  asm volatile(
      "mov %%rbp, %%r15\n\t"
      "mov %%r12, %%rbp\n\t"
      "int $0x80\n\t"
      "mov %%r15, %%rbp\n\t"
      : "=a"(ret)
      : "a"(uint64_t{nr}), "b"(args[0]), "c"(args[1]), "d"(args[2]), "S"(args[3]), "D"(args[4]), "r"(r12)
      : "r8", "r9", "r10", "r11", "r15", "memory");
  return static_cast<int32_t>(ret);
}

long int80(uint32_t nr, uint64_t a0, uint64_t a1, uint64_t a2) { return int80(nr, {a0, a1, a2, 0, 0, 0}); }

bool int80_available() {
  constexpr uint32_t kI386Getpid = 20;
  const ChildStatus st = run_in_child([] {
    if (int80(kI386Getpid, 0, 0, 0) != getpid()) _exit(3);
  });
  return st.exited && st.exit_code == 0;
}
#endif

}  // namespace sysfence::bpf::testing
