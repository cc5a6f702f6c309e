// The program the `record` tests record. Two runs of it differ only in
// marker system calls, one per place a recorder must see, none of which the
// dynamic loader or libc make on their own:
//
//   record_subject baseline|full [i386]
//   record_subject probe     (prints how sysinfo(NULL) ends: EPERM when a
//                             profile denies it, EFAULT when it runs)
//
// Both modes start a thread, fork a child that execs this program again
// (mode "child"), wait for it, make one futex call (so that futex is there
// whether or not the join had to wait) and print "done". "full" adds:
//   main thread       sysinfo, socket(AF_NETLINK, ...), clone(CLONE_NEWUTS|SIGCHLD)
//                     and, with "i386", getpid through int $0x80 (i386 nr 20)
//   second thread     getpriority
//   forked child      getpgrp (before its execve)
//   exec'd child      getcwd
#include <linux/futex.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>

namespace {

long int80_getpid() {
  long ret;
  // The kernel clobbers r8-r11 on this path.
  asm volatile("int $0x80" : "=a"(ret) : "a"(20L) : "memory", "r8", "r9", "r10", "r11");
  return ret;
}

void fork_and_exec(const char* self, bool full) {
  const pid_t pid = fork();
  if (pid == 0) {
    if (full) syscall(SYS_getpgrp);
    const char* argv[] = {self, "child", full ? "full" : "baseline", nullptr};
    execv(self, const_cast<char* const*>(argv));
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
}

void clone_new_uts() {
  // Unprivileged it fails with EPERM: the attempt is what is recorded.
  const long pid = syscall(SYS_clone, CLONE_NEWUTS | SIGCHLD, 0, 0, 0, 0);
  if (pid == 0) syscall(SYS_exit_group, 0);
  if (pid > 0) waitpid(static_cast<pid_t>(pid), nullptr, 0);
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "child") {
    if (argc > 2 && std::strcmp(argv[2], "full") == 0) {
      char buf[512];
      syscall(SYS_getcwd, buf, sizeof buf);
    }
    return 0;
  }
  if (mode == "probe") {
    const long r = syscall(SYS_sysinfo, nullptr);
    std::printf("sysinfo: %s\n", r == 0 ? "0" : strerrorname_np(errno));
    return 0;
  }
  if (mode != "baseline" && mode != "full") {
    std::fprintf(stderr, "usage: record_subject baseline|full [i386]\n");
    return 2;
  }
  const bool full = mode == "full";
  std::thread t([full] {
    // getpriority: a marker nothing else in the process makes (sanitizer
    // runtimes call sched_yield from their locks, so that would hide).
    if (full) syscall(SYS_getpriority, 0 /* PRIO_PROCESS */, 0);
  });
  t.join();
  fork_and_exec(argv[0], full);
  int word = 0;
  syscall(SYS_futex, &word, FUTEX_WAKE_PRIVATE, 1, nullptr, nullptr, 0);
  if (full) {
    syscall(SYS_sysinfo, nullptr);  // EFAULT: still a call
    const int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, 0);
    if (fd >= 0) close(fd);
    clone_new_uts();
    if (argc > 2 && std::strcmp(argv[2], "i386") == 0 && int80_getpid() <= 0) return 3;
  }
  std::printf("done\n");
  return 0;
}
