// The dump directory round trip in the real kernel: a forked child installs
// two filters that disagree, `sysfence dump --pid P -o DIR` reads them, and
// `sysfence sim --bpf DIR` must answer each system call as the child's kernel
// really did when the child then made it. The filters are built so that the
// answers depend on reading the directory in the right order (a tie between
// two ERRNOs goes to the newer filter) and so that each filter decides one
// of the calls.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <csignal>
#include <string>
#include <vector>

#include "test/cli_runner.h"

namespace sysfence {
namespace {

// nr == a ? ra : (nr == b ? rb : ALLOW). No arch check: the child runs on
// the native ABI, which is the one sim is asked about.
std::vector<sock_filter> two_calls(uint32_t a, uint32_t ra, uint32_t b, uint32_t rb) {
  return {BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0),
          BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, a, 2, 0),
          BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, b, 2, 0),
          BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
          BPF_STMT(BPF_RET | BPF_K, ra),
          BPF_STMT(BPF_RET | BPF_K, rb)};
}

// The calls the child makes, and what the filters say about them:
//   getppid: oldest ERRNO(1), newest ERRNO(2): a tie, the newest wins;
//   getpgid: oldest ERRNO(5), newest ALLOW: the oldest decides;
//   getsid:  both ALLOW.
constexpr std::array<long, 3> kCalls = {SYS_getppid, SYS_getpgid, SYS_getsid};
const std::vector<sock_filter> kOldest =
    two_calls(SYS_getppid, SECCOMP_RET_ERRNO | 1, SYS_getpgid, SECCOMP_RET_ERRNO | 5);
const std::vector<sock_filter> kNewest = two_calls(SYS_getppid, SECCOMP_RET_ERRNO | 2, SYS_getsid, SECCOMP_RET_ALLOW);

int install(const std::vector<sock_filter>& insns) {
  sock_fprog prog{static_cast<unsigned short>(insns.size()), const_cast<sock_filter*>(insns.data())};
  return static_cast<int>(syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog));
}

// Installs both filters, says so, waits for a byte, then makes each call
// and reports its errno (0 for success).
[[noreturn]] void child_main(int in, int out) {
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || install(kOldest) != 0 || install(kNewest) != 0) _exit(4);
  char c = 'r';
  if (write(out, &c, 1) != 1 || read(in, &c, 1) != 1) _exit(5);
  for (long nr : kCalls) {
    const long r = syscall(nr, 0);
    const int32_t e = r < 0 ? errno : 0;
    if (write(out, &e, sizeof e) != sizeof e) _exit(6);
  }
  _exit(0);
}

TEST(StackRoundTrip, SimOnTheDumpDirectoryAnswersAsTheKernelDid) {
  int down[2];
  int up[2];
  ASSERT_EQ(pipe(down), 0);
  ASSERT_EQ(pipe(up), 0);
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    close(down[1]);
    close(up[0]);
    child_main(down[0], up[1]);
  }
  close(down[0]);
  close(up[1]);
  char c = 0;
  ASSERT_EQ(read(up[0], &c, 1), 1);

  const std::string dir = cli_runner::tmp_path("roundtrip");
  const auto dumped = cli_runner::run_sysfence({"dump", "--pid", std::to_string(pid), "-o", dir});
  ASSERT_EQ(dumped.exit_code, 0) << dumped.describe();

  // Now the child makes the calls, in the kernel.
  ASSERT_EQ(write(down[1], "g", 1), 1);
  std::array<int32_t, kCalls.size()> live{};
  for (int32_t& e : live) ASSERT_EQ(read(up[0], &e, sizeof e), static_cast<ssize_t>(sizeof e));
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  close(down[1]);
  close(up[0]);
  // The kernel's answers, as worked out above.
  EXPECT_EQ(live, (std::array<int32_t, 3>{2, 5, 0}));

  // The deciding filter of each call by kernel index: filter-1.bpf is the
  // newest (the tie on getppid), filter-0.bpf the oldest (getpgid).
  const std::array<std::string, 3> decided_by = {fmt::format("filter 1 ({}/filter-1.bpf)", dir),
                                                 fmt::format("filter 0 ({}/filter-0.bpf)", dir), "every filter allows"};
  for (size_t k = 0; k < kCalls.size(); ++k) {
    const auto sim = cli_runner::run_sysfence(
        {"sim", "--bpf", dir, "--arch", "native", "--syscall", std::to_string(kCalls[k]), "--args", "0"});
    ASSERT_EQ(sim.exit_code, 0) << sim.describe();
    const std::string action = live[k] == 0 ? "ALLOW" : fmt::format("ERRNO({})", live[k]);
    const size_t tab = sim.out.find('\t');
    ASSERT_NE(tab, std::string::npos) << sim.out;
    EXPECT_EQ(sim.out.substr(0, tab), action) << kCalls[k];
    EXPECT_TRUE(sim.out.ends_with("\t" + decided_by[k] + "\n")) << sim.out;
  }
}

}  // namespace
}  // namespace sysfence
