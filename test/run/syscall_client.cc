// A command for the `sysfence run` tests that makes exactly the system calls
// its arguments name, one syscall(2) each, and prints what each returned:
//
//   syscall_client getcwd chmod:/tmp/f:0644 exit:3
//   getcwd = -1 EPERM
//   chmod = -1 EPERM
//
// Steps (each one argument, fields separated by ':'):
//   getcwd | getppid | pid (prints "pid = N", no syscall of interest)
//   chmod:PATH:OCTAL | chown:PATH:UID:GID | mount:SRC:TARGET:TYPE
//   unshare:HEX | personality:HEX | raw:NR (a raw number, six zero arguments)
//   openat:PATH:HEXFLAGS (openat(AT_FDCWD, PATH, FLAGS, 0644))
//   unlinkat:PATH:HEXFLAGS (unlinkat(AT_FDCWD, PATH, FLAGS))
//   mmap:HEXPROT:HEXFLAGS (mmap(NULL, 4096, PROT, FLAGS, -1, 0))
//   on-sigsys (a SIGSYS handler that counts) | block-sigsys | sigsys-count
//   kill-self:SIG | exit:N
// Output is unbuffered so that it interleaves with the supervisor's lines
// in causal order.
#include <fcntl.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

volatile sig_atomic_t g_sigsys = 0;
volatile sig_atomic_t g_sigsys_code = 0;

void on_sigsys(int, siginfo_t* info, void*) {
  g_sigsys = g_sigsys + 1;
  g_sigsys_code = info->si_code;
}

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  size_t pos = 0;
  for (;;) {
    const size_t c = s.find(':', pos);
    out.push_back(s.substr(pos, c == std::string::npos ? std::string::npos : c - pos));
    if (c == std::string::npos) return out;
    pos = c + 1;
  }
}

void report(const std::string& name, long r, int err) {
  if (r == -1) {
    std::printf("%s = -1 %s\n", name.c_str(), strerrorname_np(err) != nullptr ? strerrorname_np(err) : "?");
  } else {
    std::printf("%s = %ld\n", name.c_str(), r);
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IONBF, 0);
  for (int i = 1; i < argc; ++i) {
    const std::vector<std::string> f = split(argv[i]);
    const std::string& op = f[0];
    auto arg = [&](size_t k) -> const char* { return k < f.size() ? f[k].c_str() : ""; };
    long r = 0;
    errno = 0;
    if (op == "getcwd") {
      char buf[256];
      r = syscall(SYS_getcwd, buf, sizeof buf);
      report(op, r < 0 ? -1 : 0, errno);  // the length is not stable across directories
    } else if (op == "getppid") {
      r = syscall(SYS_getppid);
      report(op, r > 0 ? 1 : r, errno);  // 1: a parent pid (its value varies)
    } else if (op == "pid") {
      std::printf("pid = %d\n", getpid());
    } else if (op == "chmod") {
      r = syscall(SYS_chmod, arg(1), std::strtoul(arg(2), nullptr, 8));
      report(op, r, errno);
    } else if (op == "chown") {
      r = syscall(SYS_chown, arg(1), std::strtoul(arg(2), nullptr, 10), std::strtoul(arg(3), nullptr, 10));
      report(op, r, errno);
    } else if (op == "mount") {
      r = syscall(SYS_mount, arg(1), arg(2), arg(3), 0UL, nullptr);
      report(op, r, errno);
    } else if (op == "unshare") {
      r = syscall(SYS_unshare, std::strtoul(arg(1), nullptr, 16));
      report(op, r, errno);
    } else if (op == "openat") {
      r = syscall(SYS_openat, AT_FDCWD, arg(1), std::strtoul(arg(2), nullptr, 16), 0644);
      report(op, r < 0 ? -1 : 0, errno);  // the fd number is not of interest
    } else if (op == "unlinkat") {
      r = syscall(SYS_unlinkat, AT_FDCWD, arg(1), std::strtoul(arg(2), nullptr, 16));
      report(op, r, errno);
    } else if (op == "mmap") {
      r = syscall(SYS_mmap, nullptr, 4096UL, std::strtoul(arg(1), nullptr, 16), std::strtoul(arg(2), nullptr, 16), -1,
                  0L);
      report(op, r == -1 ? -1 : 0, errno);  // the address varies
    } else if (op == "personality") {
      r = syscall(SYS_personality, std::strtoul(arg(1), nullptr, 16));
      report(op, r, errno);
    } else if (op == "raw") {
      r = syscall(std::strtol(arg(1), nullptr, 0), 0, 0, 0, 0, 0, 0);
      report(op, r, errno);
    } else if (op == "on-sigsys") {
      struct sigaction sa {};
      sa.sa_sigaction = on_sigsys;
      sa.sa_flags = SA_SIGINFO;
      sigaction(SIGSYS, &sa, nullptr);
    } else if (op == "block-sigsys") {
      sigset_t s;
      sigemptyset(&s);
      sigaddset(&s, SIGSYS);
      sigprocmask(SIG_BLOCK, &s, nullptr);
    } else if (op == "sigsys-count") {
      std::printf("sigsys = %d\n", static_cast<int>(g_sigsys));
    } else if (op == "kill-self") {
      kill(getpid(), std::atoi(arg(1)));
    } else if (op == "exit") {
      std::exit(std::atoi(arg(1)));
    } else {
      std::fprintf(stderr, "syscall_client: unknown step %s\n", argv[i]);
      return 99;
    }
  }
  return 0;
}
