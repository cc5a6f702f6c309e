// Reading a process must not hurt it: the stop that reading needs wakes a
// sleep, and the kernel continues the sleep through restart_syscall(2), which
// the process's own filter may deny. In the real kernel: a forked child
// installs a filter that answers restart_syscall with ERRNO or KILL_PROCESS
// (or allows it), sleeps 5 s in nanosleep and reports how the sleep ended;
// live::read_stack reads it meanwhile. The sleep must end in EINTR (or run to
// its end), never in the filter's answer, and a sleep the filter can restart
// must go on undisturbed.
#include <gtest/gtest.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "live/filters.h"
#include "live/launch.h"
#include "test/cli_runner.h"
#include "test/live/filtered_child.h"

namespace sysfence::live::testing {
namespace {

constexpr uint32_t kAuditArchX86_64 = 0xc000003eU;
constexpr uint32_t kAuditArchI386 = 0x40000003U;
constexpr long kNanosleepI386 = 162;
constexpr uint32_t kRestartSyscallI386 = 0;

// `nr` of `arch` -> `answer`, everything else ALLOW.
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

// The sleep, as the x86_64 ABI or as i386 (`int $0x80`, its timespec below
// 4 GiB); the kernel's return value.
long sleep_five_seconds(bool i386) {
  if (!i386) {
    timespec t{5, 0};
    return syscall(SYS_nanosleep, &t, nullptr) == 0 ? 0 : -errno;
  }
  void* page = mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
  if (page == MAP_FAILED) return -errno;
  auto* t = static_cast<int32_t*>(page);
  t[0] = 5;
  t[1] = 0;
  long r = kNanosleepI386;
  asm volatile("int $0x80" : "+a"(r) : "b"(t), "c"(0L) : "memory", "r8", "r9", "r10", "r11");
  return r;
}

struct Ending {
  bool reported = false;  // false: killed before it could say
  long result = 0;        // nanosleep's return value (-errno)
  int status = 0;         // wait status
};

// A child that installs `filter`, then sleeps 5 s and writes the result.
class SleepingChild {
 public:
  SleepingChild(const std::vector<sock_filter>& filter, bool i386) : i386_(i386) {
    int up[2];
    if (pipe(up) != 0) return;
    pid_ = fork();
    if (pid_ == 0) {
      close(up[0]);
      sock_fprog prog{static_cast<unsigned short>(filter.size()), const_cast<sock_filter*>(filter.data())};
      if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) _exit(4);
      if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0) _exit(5);
      const long r = sleep_five_seconds(i386);
      if (write(up[1], &r, sizeof r) != sizeof r) _exit(6);
      _exit(0);
    }
    close(up[1]);
    from_child_ = up[0];
  }
  ~SleepingChild() {
    if (pid_ > 0 && !reaped_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    close(from_child_);
  }
  SleepingChild(const SleepingChild&) = delete;
  SleepingChild& operator=(const SleepingChild&) = delete;

  pid_t pid() const { return pid_; }

  // Until /proc/PID/syscall shows it blocked in nanosleep (bounded: false
  // when it never gets there, e.g. a kernel without i386 emulation).
  bool wait_until_sleeping() const {
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

  Ending finish() {
    Ending e;
    e.reported = read(from_child_, &e.result, sizeof e.result) == sizeof e.result;
    waitpid(pid_, &e.status, 0);
    reaped_ = true;
    return e;
  }

 private:
  bool i386_;
  pid_t pid_ = -1;
  int from_child_ = -1;
  bool reaped_ = false;
};

std::string describe(const Ending& e) {
  if (WIFSIGNALED(e.status)) return "killed by signal " + std::to_string(WTERMSIG(e.status));
  return e.reported ? "nanosleep returned " + std::to_string(e.result) : "no report";
}

// The filter denies restart_syscall: the read makes the sleep return EINTR
// and says so, where the restart would have failed with EACCES or killed it.
void expect_eintr_after_read(uint32_t arch, uint32_t restart_nr, uint32_t answer, bool i386) {
  SleepingChild child(answering(arch, restart_nr, answer), i386);
  ASSERT_GT(child.pid(), 0);
  ASSERT_TRUE(child.wait_until_sleeping()) << describe(child.finish());
  auto stack = read_stack(child.pid());
  ASSERT_TRUE(stack) << stack.error().message;
  const Ending e = child.finish();
  ASSERT_TRUE(WIFEXITED(e.status) && WEXITSTATUS(e.status) == 0) << describe(e);
  EXPECT_EQ(e.result, -EINTR) << describe(e);
  ASSERT_TRUE(stack->interrupted.has_value());
  EXPECT_EQ(stack->interrupted->tid, child.pid());
  EXPECT_EQ(stack->interrupted->restart_nr, restart_nr);
  EXPECT_EQ(stack->interrupted->answer, answer);
  EXPECT_EQ(stack->interrupted->poke_error, 0);
  EXPECT_NE(describe(*stack->interrupted).find("returns EINTR"), std::string::npos);
}

TEST(ReadStackRestart, SleepWhoseRestartIsDeniedWithErrnoReturnsEintr) {
  expect_eintr_after_read(kAuditArchX86_64, SYS_restart_syscall, SECCOMP_RET_ERRNO | EACCES, false);
}

TEST(ReadStackRestart, SleepWhoseRestartKillsTheProcessReturnsEintr) {
  expect_eintr_after_read(kAuditArchX86_64, SYS_restart_syscall, SECCOMP_RET_KILL_PROCESS, false);
}

// An i386 call is restarted as i386 number 0: the filter below allows
// x86_64's restart_syscall and denies only i386's.
TEST(ReadStackRestart, I386SleepIsJudgedByTheI386RestartNumber) {
  {
    SleepingChild probe({BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)}, true);
    if (!probe.wait_until_sleeping()) GTEST_SKIP() << "no i386 emulation: " << describe(probe.finish());
  }
  expect_eintr_after_read(kAuditArchI386, kRestartSyscallI386, SECCOMP_RET_ERRNO | EACCES, true);
}

// A filter that lets restart_syscall through: the sleep is restarted and
// runs to its end.
TEST(ReadStackRestart, SleepWhoseRestartIsAllowedGoesOn) {
  SleepingChild child(answering(kAuditArchX86_64, 0xfffe, SECCOMP_RET_ERRNO | EACCES), false);
  ASSERT_TRUE(child.wait_until_sleeping()) << describe(child.finish());
  auto stack = read_stack(child.pid());
  ASSERT_TRUE(stack) << stack.error().message;
  EXPECT_FALSE(stack->interrupted.has_value());
  const Ending e = child.finish();
  EXPECT_EQ(e.result, 0) << describe(e);
}

std::string read_error(pid_t pid) {
  auto r = read_stack(pid);
  return r ? std::string("no error") : r.error().message;
}

// A reader the kernel would refuse the filters does not stop the process at
// all: its sleep is not woken.
TEST(ReadStackRestart, RefusedReaderLeavesTheSleepAlone) {
  SleepingChild child(answering(kAuditArchX86_64, SYS_restart_syscall, SECCOMP_RET_ERRNO | EACCES), false);
  ASSERT_TRUE(child.wait_until_sleeping()) << describe(child.finish());
  const std::string got = in_child(drop_cap_sys_admin, read_error, child.pid());
  EXPECT_EQ(got, "cannot read the filters of process " + std::to_string(child.pid()) + ": CAP_SYS_ADMIN is required");
  const Ending e = child.finish();
  EXPECT_EQ(e.result, 0) << describe(e);
}

// The children of this process blocked in nanosleep (the one launch_and_read
// started, once it sleeps); bounded like wait_until_sleeping.
pid_t sleeping_child_of_this_process() {
  const std::string parent = "PPid:\t" + std::to_string(getpid());
  const std::string want = std::to_string(static_cast<long>(SYS_nanosleep)) + " ";
  for (int i = 0; i < 5000; ++i) {
    for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
      const std::string name = entry.path().filename();
      if (name.find_first_not_of("0123456789") != std::string::npos) continue;
      std::ifstream status(entry.path() / "status");
      std::ifstream call(entry.path() / "syscall");
      std::string line;
      bool ours = false;
      while (std::getline(status, line)) ours = ours || line == parent;
      std::getline(call, line);
      if (ours && line.rfind(want, 0) == 0) return static_cast<pid_t>(std::stoi(name));
    }
    usleep(1000);
  }
  return 0;
}

// `dump -- CMD`: while CMD is traced, a signal it ignores (SIGWINCH) still
// wakes its sleep, which is then continued through restart_syscall; the
// sleep must end in EINTR, not in the filter's EACCES.
TEST(LaunchRestart, IgnoredSignalWhileTracedEndsTheSleepInEintr) {
  const std::string out = ::testing::TempDir() + "/sleep_then_exec.out";
  const std::vector<std::string> argv = {cli_runner::runfile("test/live/sleep_then_exec"), out, "/bin/true"};
  std::thread signaller([] {
    if (const pid_t pid = sleeping_child_of_this_process(); pid > 0) kill(pid, SIGWINCH);
  });
  auto launched = launch_and_read(argv, 1);
  signaller.join();
  ASSERT_TRUE(launched) << launched.error().message;
  const int status = wait_for_exit(launched->child);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  std::ifstream in(out);
  long result = 1;
  in >> result;
  EXPECT_EQ(result, -EINTR);
  ASSERT_TRUE(launched->stack.interrupted.has_value());
  EXPECT_EQ(launched->stack.interrupted->answer, static_cast<uint32_t>(SECCOMP_RET_ERRNO | EACCES));
}

}  // namespace
}  // namespace sysfence::live::testing
