// The other recording mechanism, for bench/record_bench only: a filter that
// answers every call with SECCOMP_RET_TRACE and a ptrace tracer that counts
// each seccomp stop by (arch, nr) and continues it: one stop per call
// (strace without --seccomp-bpf takes two). Follows forks, vforks, clones
// and execs.
//   record_ptrace CMD [ARGS...]      exit status: CMD's
// A measuring prototype: signal-delivery stops are passed on, group stops
// are not modelled, and a new tracee's initial SIGSTOP is swallowed.
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdint>
#include <cstdio>
#include <map>
#include <utility>

namespace {

[[noreturn]] void child(char** argv) {
  ptrace(PTRACE_TRACEME, 0, nullptr, nullptr);
  raise(SIGSTOP);
  sock_filter insn = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRACE);
  sock_fprog prog{1, &insn};
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0) {
    _exit(125);
  }
  execvp(argv[0], argv);
  _exit(127);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: record_ptrace CMD [ARGS...]\n");
    return 2;
  }
  const pid_t first = fork();
  if (first == 0) child(argv + 1);
  int status = 0;
  waitpid(first, &status, 0);
  ptrace(PTRACE_SETOPTIONS, first, nullptr,
         PTRACE_O_TRACESECCOMP | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK | PTRACE_O_TRACECLONE | PTRACE_O_TRACEEXEC |
             PTRACE_O_EXITKILL);
  ptrace(PTRACE_CONT, first, nullptr, nullptr);
  std::map<std::pair<uint32_t, uint64_t>, uint64_t> counts;
  int exit_code = 0;
  for (;;) {
    const pid_t pid = waitpid(-1, &status, __WALL);
    if (pid < 0) break;  // no tracee left
    if (WIFEXITED(status) || WIFSIGNALED(status)) {
      if (pid == first) exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      continue;
    }
    const int sig = WSTOPSIG(status);
    const int event = status >> 16;
    long inject = 0;
    if (sig == SIGTRAP && event == PTRACE_EVENT_SECCOMP) {
      __ptrace_syscall_info info{};
      // ptrace's ABI passes integers in its pointer arguments.
      void* size = reinterpret_cast<void*>(sizeof info);  // NOLINT(performance-no-int-to-ptr)
      ptrace(PTRACE_GET_SYSCALL_INFO, pid, size, &info);
      ++counts[{info.arch, info.seccomp.nr}];
    } else if (!(sig == SIGTRAP && event != 0) && sig != SIGSTOP) {
      inject = sig;  // a signal for the tracee
    }
    ptrace(PTRACE_CONT, pid, nullptr, reinterpret_cast<void*>(inject));  // NOLINT(performance-no-int-to-ptr)
  }
  uint64_t total = 0;
  for (const auto& [key, n] : counts) total += n;
  std::fprintf(stderr, "record_ptrace: %llu calls of %zu distinct syscalls\n", static_cast<unsigned long long>(total),
               counts.size());
  return exit_code;
}
