// live::read_stack in the real kernel: a forked child installs three filters
// (TSYNC across two threads, LOG, plain) and keeps answering on a pipe; the
// reader must return the very programs in the kernel's order with the right
// flags, and leave the child running. Every error has its exact message.
#include "live/filters.h"

#include <gtest/gtest.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstddef>
#include <cstring>
#include <string>
#include <vector>

#include "test/live/filtered_child.h"

namespace sysfence::live::testing {
namespace {

std::string bytes_of(const bpf::Program& p) {
  return std::string(reinterpret_cast<const char*>(p.data()), p.size() * sizeof(bpf::Insn));
}

std::string state_of(pid_t pid) {
  FILE* f = fopen(("/proc/" + std::to_string(pid) + "/stat").c_str(), "r");
  if (f == nullptr) return "?";
  char buf[512] = {};
  const size_t got = fread(buf, 1, sizeof buf - 1, f);
  buf[got] = 0;
  fclose(f);
  const char* paren = strrchr(buf, ')');
  return paren != nullptr && paren[1] == ' ' ? std::string(1, paren[2]) : "?";
}

TEST(ReadStack, ReturnsEveryFilterNewestFirstWithFlagsAndLeavesTheProcessRunning) {
  const std::vector<TestFilter> installed = three_filters();
  FilteredChild child(installed);
  ASSERT_TRUE(child.ready());
  ASSERT_TRUE(child.answers());

  auto stack = read_stack(child.pid());
  ASSERT_TRUE(stack) << stack.error().message;
  EXPECT_EQ(stack->pid, child.pid());
  EXPECT_EQ(stack->status.mode, SeccompMode::kFilter);
  EXPECT_TRUE(stack->status.no_new_privs);
  EXPECT_EQ(stack->status.filter_count, 3U);
  ASSERT_EQ(stack->filters.size(), 3U);
  // Newest first; the kernel's index counts from the oldest.
  for (size_t position = 0; position < 3; ++position) {
    const TestFilter& want = installed[2 - position];
    const LiveFilter& got = stack->filters[position];
    EXPECT_EQ(got.index, 2 - position);
    EXPECT_EQ(bytes_of(got.program), raw_bytes(want)) << "position " << position;
    EXPECT_EQ(got.log_flag, (want.flags & SECCOMP_FILTER_FLAG_LOG) != 0) << "position " << position;
  }
  // Not stopped, not killed, not traced any more.
  EXPECT_TRUE(child.answers());
  EXPECT_NE(state_of(child.pid()), "t");
  EXPECT_NE(state_of(child.pid()), "T");

  // Reading twice gives the same (the first read left nothing attached).
  auto again = read_stack(child.pid());
  ASSERT_TRUE(again) << again.error().message;
  ASSERT_EQ(again->filters.size(), 3U);
  EXPECT_EQ(again->filters[0].program, stack->filters[0].program);
}

// TSYNC put the first filter on the second thread too; the later ones are
// the main thread's alone.
TEST(ReadStack, TsyncFilterIsOnTheOtherThreadAlone) {
  const std::vector<TestFilter> installed = three_filters();
  FilteredChild child(installed);
  ASSERT_TRUE(child.ready());
  ASSERT_GT(child.thread_tid(), 0);
  auto stack = read_stack(child.thread_tid());
  ASSERT_TRUE(stack) << stack.error().message;
  ASSERT_EQ(stack->filters.size(), 1U);
  EXPECT_EQ(stack->filters[0].index, 0U);
  EXPECT_EQ(bytes_of(stack->filters[0].program), raw_bytes(installed[0]));
  EXPECT_FALSE(stack->filters[0].log_flag);
  EXPECT_TRUE(child.answers());
}

TEST(ReadProcessSeccomp, ReportsModeCountAndNoNewPrivs) {
  FilteredChild plain({});
  ASSERT_TRUE(plain.ready());
  auto s = read_process_seccomp(plain.pid());
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->mode, SeccompMode::kDisabled);
  EXPECT_EQ(s->filter_count, 0U);

  FilteredChild strict({}, /*strict=*/true);
  ASSERT_TRUE(strict.ready());
  ASSERT_TRUE(strict.answers());  // it is in strict mode once it answers
  auto t = read_process_seccomp(strict.pid());
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_EQ(t->mode, SeccompMode::kStrict);
}

// A pid that no process has: a child already reaped.
pid_t vanished_pid() {
  const pid_t pid = fork();
  if (pid == 0) _exit(0);
  waitpid(pid, nullptr, 0);
  return pid;
}

std::string read_error(pid_t pid) {
  auto r = read_stack(pid);
  return r ? std::string("no error") : r.error().message;
}

TEST(ReadStackErrors, NoSuchProcess) {
  const pid_t pid = vanished_pid();
  EXPECT_EQ(read_error(pid), "process " + std::to_string(pid) + ": no such process");
}

TEST(ReadStackErrors, NoFilter) {
  FilteredChild plain({});
  ASSERT_TRUE(plain.ready());
  EXPECT_EQ(read_error(plain.pid()), "process " + std::to_string(plain.pid()) + " has no seccomp filter (Seccomp: 0)");
  EXPECT_TRUE(plain.answers());
}

TEST(ReadStackErrors, StrictMode) {
  FilteredChild strict({}, /*strict=*/true);
  ASSERT_TRUE(strict.ready());
  ASSERT_TRUE(strict.answers());
  EXPECT_EQ(read_error(strict.pid()),
            "process " + std::to_string(strict.pid()) + " is in seccomp strict mode, which has no filter to read");
  EXPECT_TRUE(strict.answers());
}

TEST(ReadStackErrors, WithoutCapSysAdmin) {
  FilteredChild child(three_filters());
  ASSERT_TRUE(child.ready());
  const std::string got = in_child(drop_cap_sys_admin, read_error, child.pid());
  EXPECT_EQ(got, "cannot read the filters of process " + std::to_string(child.pid()) + ": CAP_SYS_ADMIN is required");
  EXPECT_TRUE(child.answers());  // detached again after the refusal
}

TEST(ReadStackErrors, CallerUnderSeccomp) {
  FilteredChild child(three_filters());
  ASSERT_TRUE(child.ready());
  const std::string got = in_child(install_allow_all_filter, read_error, child.pid());
  EXPECT_EQ(got, "cannot read the filters of process " + std::to_string(child.pid()) +
                     ": sysfence itself runs under seccomp (mode filter), and the kernel hands filters only to an "
                     "unconfined caller");
  EXPECT_TRUE(child.answers());
}

TEST(ReadStackErrors, AlreadyTraced) {
  FilteredChild child(three_filters());
  ASSERT_TRUE(child.ready());
  ASSERT_EQ(ptrace(PTRACE_SEIZE, child.pid(), nullptr, nullptr), 0) << std::strerror(errno);
  const std::string got = in_child(nullptr, read_error, child.pid());
  EXPECT_EQ(got, "process " + std::to_string(child.pid()) + " is already traced by process " +
                     std::to_string(getpid()) + "; the kernel hands filters to one tracer only");
  // The child is killed (and reaped) by its destructor, traced or not.
}

// sysfence itself under a filter that denies ptrace (EPERM, as firejail's
// does): the message names its own seccomp, not a missing capability.
void install_ptrace_denying_filter() {
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) _exit(15);
  std::vector<sock_filter> insns = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_ptrace, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  sock_fprog prog{static_cast<unsigned short>(insns.size()), insns.data()};
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0) _exit(16);
}

TEST(ReadStackErrors, CallerUnderAFilterDenyingPtrace) {
  FilteredChild child(three_filters());
  ASSERT_TRUE(child.ready());
  const std::string got = in_child(install_ptrace_denying_filter, read_error, child.pid());
  EXPECT_EQ(got, "cannot read the filters of process " + std::to_string(child.pid()) +
                     ": sysfence itself runs under seccomp (mode filter), and the kernel hands filters only to an "
                     "unconfined caller");
  EXPECT_TRUE(child.answers());
}

// A process whose second thread installed a filter without TSYNC: the main
// thread has none, and reading it names the thread that has.
class ThreadFilteredChild {
 public:
  ThreadFilteredChild() {
    int up[2];
    if (pipe(up) != 0) return;
    pid_ = fork();
    if (pid_ == 0) {
      close(up[0]);
      static int report_fd;
      report_fd = up[1];
      pthread_t t;
      auto body = [](void*) -> void* {
        sock_filter allow = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
        sock_fprog prog{1, &allow};
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) _exit(4);
        if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0) _exit(5);
        const auto tid = static_cast<int32_t>(syscall(SYS_gettid));
        if (write(report_fd, &tid, sizeof tid) != sizeof tid) _exit(6);
        for (;;) pause();
        return nullptr;
      };
      if (pthread_create(&t, nullptr, body, nullptr) != 0) _exit(7);
      for (;;) pause();
    }
    close(up[1]);
    int32_t tid = 0;
    if (read(up[0], &tid, sizeof tid) == sizeof tid) tid_ = tid;
    close(up[0]);
  }
  ~ThreadFilteredChild() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  ThreadFilteredChild(const ThreadFilteredChild&) = delete;
  ThreadFilteredChild& operator=(const ThreadFilteredChild&) = delete;

  pid_t pid() const { return pid_; }
  pid_t tid() const { return tid_; }

 private:
  pid_t pid_ = -1;
  pid_t tid_ = 0;
};

TEST(ReadStackThreads, MainThreadWithoutFilterNamesTheThreadWithOne) {
  ThreadFilteredChild child;
  ASSERT_GT(child.tid(), 0);
  const std::string p = std::to_string(child.pid());
  const std::string t = std::to_string(child.tid());
  EXPECT_EQ(read_error(child.pid()),
            "process " + p + " has no seccomp filter (Seccomp: 0); thread " + t + " has 1 filter: dump --pid " + t);

  auto stack = read_stack(child.tid());
  ASSERT_TRUE(stack) << stack.error().message;
  ASSERT_EQ(stack->other_threads.size(), 1U);
  EXPECT_EQ(stack->other_threads[0].tid, child.pid());
  EXPECT_EQ(stack->other_threads[0].status.mode, SeccompMode::kDisabled);
  const std::vector<std::string> said = notes(*stack);
  ASSERT_EQ(said.size(), 1U);
  EXPECT_EQ(said[0], "only thread " + t + " was read: thread " + p + " has no seccomp filter");
}

// A thread whose stack is longer than the main thread's is named too.
TEST(ReadStackThreads, OtherThreadWithMoreFiltersIsNamed) {
  const std::vector<TestFilter> installed = three_filters();
  FilteredChild child(installed);  // the second thread has the first (TSYNC) filter only
  ASSERT_TRUE(child.ready());
  auto stack = read_stack(child.thread_tid());
  ASSERT_TRUE(stack) << stack.error().message;
  ASSERT_EQ(stack->other_threads.size(), 1U);
  EXPECT_EQ(notes(*stack)[0], "only thread " + std::to_string(child.thread_tid()) + " was read: thread " +
                                  std::to_string(child.pid()) + " has 3 filters: dump --pid " +
                                  std::to_string(child.pid()));
}

}  // namespace
}  // namespace sysfence::live::testing
