#include "test/live/sleeping_child.h"

#include <linux/seccomp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstddef>
#include <ctime>
#include <fstream>

namespace sysfence::live::testing {

namespace {

// The sleep, as the x86_64 ABI or as i386 (`int $0x80`, its timespec below
// 4 GiB); the kernel's return value.
long sleep_five_seconds(bool i386) {
  if (!i386) {
    timespec t{5, 0};
    return syscall(SYS_nanosleep, &t, nullptr) == 0 ? 0 : -errno;
  }
#if defined(__x86_64__)
  void* page = mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
  if (page == MAP_FAILED) return -errno;
  auto* t = static_cast<int32_t*>(page);
  t[0] = 5;
  t[1] = 0;
  long r = kNanosleepI386;
  asm volatile("int $0x80" : "+a"(r) : "b"(t), "c"(0L) : "memory", "r8", "r9", "r10", "r11");
  return r;
#else
  return -ENOSYS;
#endif
}

}  // namespace

std::vector<sock_filter> answering(uint32_t arch, uint32_t nr, uint32_t answer) {
  return {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, arch, 0, 3),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, nr, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, answer),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
}

std::string describe(const Ending& e) {
  if (e.reaped && WIFSIGNALED(e.status)) return "killed by signal " + std::to_string(WTERMSIG(e.status));
  return e.reported ? "nanosleep returned " + std::to_string(e.result) : "no report";
}

SleepingChild::SleepingChild(const std::vector<sock_filter>& filter, bool i386, bool gated) : i386_(i386) {
  int up[2];
  int gate[2];
  if (pipe(up) != 0 || pipe(gate) != 0) return;
  pid_ = fork();
  if (pid_ == 0) {
    close(up[0]);
    close(gate[1]);
    sock_fprog prog{static_cast<unsigned short>(filter.size()), const_cast<sock_filter*>(filter.data())};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) _exit(4);
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0) _exit(5);
    char byte = 0;
    // A read restarted in place (ERESTARTSYS), not through restart_syscall.
    if (gated && read(gate[0], &byte, 1) != 1) _exit(7);
    const long r = sleep_five_seconds(i386);
    if (write(up[1], &r, sizeof r) != sizeof r) _exit(6);
    _exit(0);
  }
  close(up[1]);
  close(gate[0]);
  from_child_ = up[0];
  gate_ = gate[1];
}

SleepingChild::~SleepingChild() {
  if (pid_ > 0 && !reaped_) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  close(from_child_);
  close(gate_);
}

void SleepingChild::open_gate() const {
  const char byte = 'g';
  (void)!write(gate_, &byte, 1);
}

bool SleepingChild::wait_until_sleeping() const {
  const std::string want = std::to_string(i386_ ? kNanosleepI386 : static_cast<long>(SYS_nanosleep)) + " ";
  for (int i = 0; i < 5000; ++i) {
    std::ifstream in("/proc/" + std::to_string(pid_) + "/syscall");
    std::string line;
    std::getline(in, line);
    if (line.rfind(want, 0) == 0) return true;
    usleep(1000);
  }
  return false;
}

Ending SleepingChild::finish() {
  Ending e;
  e.reported = read(from_child_, &e.result, sizeof e.result) == sizeof e.result;
  e.reaped = waitpid(pid_, &e.status, 0) == pid_;
  reaped_ = true;
  return e;
}

}  // namespace sysfence::live::testing
