// Reading a process must not hurt it: the stop that reading needs wakes a
// sleep, and the kernel continues the sleep through restart_syscall(2), which
// the process's own filter may deny. In the real kernel: a forked child
// installs a filter that answers restart_syscall with ERRNO or KILL_PROCESS
// (or allows it), sleeps 5 s in nanosleep and reports how the sleep ended;
// live::read_stack reads it meanwhile. The sleep must end in EINTR (or run to
// its end), never in the filter's answer, and a sleep the filter can restart
// must go on undisturbed.
#include <gtest/gtest.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "live/filters.h"
#include "live/launch.h"
#include "test/cli_runner.h"
#include "test/live/filtered_child.h"
#include "test/live/sleeping_child.h"

namespace sysfence::live::testing {
namespace {

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

// In a user namespace of its own, sysfence holds every capability there
// (its /proc/self/status says so), but the kernel wants CAP_SYS_ADMIN in the
// initial namespace: a reader there must refuse before it stops a sleeping
// process of the same namespace, which it could attach to.
std::string read_in_own_user_namespace(pid_t) {
  if (unshare(CLONE_NEWUSER) != 0) return std::string("unshare: ") + std::strerror(errno);
  SleepingChild target(answering(kAuditArchX86_64, SYS_restart_syscall, SECCOMP_RET_ERRNO | EACCES), false);
  if (!target.wait_until_sleeping()) return "the target never slept: " + describe(target.finish());
  std::string error = read_error(target.pid());
  const std::string pid = std::to_string(target.pid());
  if (const size_t at = error.find(pid); at != std::string::npos) error.replace(at, pid.size(), "P");
  return error + " | " + describe(target.finish());
}

TEST(ReadStackRestart, ReaderInAUserNamespaceOfItsOwnRefusesBeforeStopping) {
  const std::string got = in_child(nullptr, read_in_own_user_namespace, 0);
  if (got.starts_with("unshare: ")) GTEST_SKIP() << got;
  EXPECT_EQ(got,
            "cannot read the filters of process P: CAP_SYS_ADMIN in the initial user namespace is required, and "
            "sysfence runs in a user namespace of its own (its capabilities there do not count) | nanosleep "
            "returned 0");
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
