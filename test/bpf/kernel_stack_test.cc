// Filter stacks against the running kernel: a forked child installs two or
// three filters that disagree, makes system calls, and records what really
// happened (the return value, a SIGSYS with its si_errno, or its death);
// bpf::run_stack, given the same seccomp_data, must predict exactly that.
// The cases cover ties (the newest filter's ERRNO / TRAP data), TRAP against
// ERRNO in either order, TRACE and LOG against ALLOW, KILL_PROCESS and an
// unknown action value below TRAP (the kernel kills the process for it).
#include <gtest/gtest.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <string>
#include <vector>

#include "base/seccomp.h"
#include "bpf/insn.h"
#include "bpf/install.h"
#include "bpf/stack.h"
#include "test/bpf/kernel_child.h"

namespace sysfence::bpf {
namespace {

using testing::raw_syscall;
using testing::run_in_child;
using testing::Shared;

constexpr uint32_t kAuditArchX86_64 = 0xc000003eU;
// getpid: allowed (ALLOW or LOG), it returns the child's pid; TRACE without
// a tracer skips it with ENOSYS; ERRNO returns -errno.
constexpr uint32_t kGetpid = 39;
constexpr size_t kMaxCases = 16;

// A filter answering getpid with answers[c] when args[0] == c (ALLOW for any
// other input): the cases of one child run through the same stack.
Program case_filter(const std::vector<uint32_t>& answers) {
  Program p;
  const auto n = static_cast<uint8_t>(answers.size());
  p.push_back(stmt(kLd | kW | kAbs, kOffsetNr));
  p.push_back(jump(kJmp | kJeq | kK, kGetpid, 1, 0));
  p.push_back(stmt(kRet | kRetK, kRetAllow));
  p.push_back(stmt(kLd | kW | kAbs, arg_lo_offset(0, Endian::kLittle)));
  for (uint8_t c = 0; c < n; ++c) {
    // if (A == c) goto the c-th return (after the remaining tests and the default).
    p.push_back(jump(kJmp | kJeq | kK, c, static_cast<uint8_t>(n - c), 0));
  }
  p.push_back(stmt(kRet | kRetK, kRetAllow));
  for (uint32_t a : answers) p.push_back(stmt(kRet | kRetK, a));
  return p;
}

struct Observed {
  std::atomic<int> installed{0};
  std::atomic<int> done{0};  // cases completed
  std::array<std::atomic<long>, kMaxCases> result{};
  std::array<std::atomic<int>, kMaxCases> signals{};
  std::array<std::atomic<int>, kMaxCases> si_errno{};
  std::atomic<long> pid{0};
};

Observed* g_observed = nullptr;
std::atomic<int> g_case{0};

void on_sigsys(int, siginfo_t* info, void*) {
  const int c = g_case.load();
  g_observed->si_errno[c].store(info->si_errno);
  g_observed->signals[c].fetch_add(1);
}

// Installs `stack` (installation order) and calls getpid(c) for each case.
testing::ChildStatus run_cases(Observed& o, const std::vector<Program>& stack, size_t cases) {
  return run_in_child([&] {
    g_observed = &o;
    o.pid.store(getpid());
    struct sigaction sa {};
    sa.sa_sigaction = on_sigsys;
    sa.sa_flags = SA_SIGINFO;
    if (sigaction(SIGSYS, &sa, nullptr) != 0) return;
    for (const Program& p : stack) {
      if (!install(p)) return;
    }
    o.installed.store(1);
    for (size_t c = 0; c < cases; ++c) {
      g_case.store(static_cast<int>(c));
      o.result[c].store(raw_syscall(kGetpid, {c, 0, 0, 0, 0, 0}));
      o.done.fetch_add(1);
    }
  });
}

// What the kernel does, as a comparable string.
std::string observed(const Observed& o, size_t c) {
  if (o.signals[c].load() > 0) return "trap " + std::to_string(o.si_errno[c].load());
  const long r = o.result[c].load();
  if (r == o.pid.load()) return "allowed";
  if (r < 0) return "error " + std::to_string(-r);
  return "returned " + std::to_string(r);
}

// What run_stack predicts the kernel does, in the same words.
std::string predicted(const std::vector<Program>& stack, size_t c) {
  SeccompData d;
  d.nr = kGetpid;
  d.arch = kAuditArchX86_64;
  d.instruction_pointer = testing::raw_syscall_ip();
  d.args[0] = c;
  auto r = run_stack(stack, d, Endian::kLittle);
  if (!r) return "invalid: " + r.error().message;
  const Action a = r->action();
  if (!a.known()) return "killed";
  switch (a.kind) {
    case ActionKind::kAllow:
    case ActionKind::kLog: return "allowed";
    case ActionKind::kErrno: return "error " + std::to_string(a.data);
    case ActionKind::kTrap: return "trap " + std::to_string(a.data);
    case ActionKind::kTrace: return "error " + std::to_string(ENOSYS);  // no tracer attached
    case ActionKind::kKillProcess:
    case ActionKind::kKillThread: return "killed";
    case ActionKind::kUserNotif: return "no listener";
  }
  return "?";
}

// Filters as columns: answers[k][c] is filter k's answer (installation
// order) for case c.
std::vector<Program> stack_of(const std::vector<std::vector<uint32_t>>& answers) {
  std::vector<Program> out;
  out.reserve(answers.size());
  for (const auto& a : answers) out.push_back(case_filter(a));
  return out;
}

TEST(KernelStack, DisagreeingFiltersCombineAsRunStackSays) {
  if (testing::raw_syscall_ip() == 0) GTEST_SKIP() << "raw system calls are only written for x86_64";
  if (testing::running_under_sanitizer()) GTEST_SKIP() << "the sanitizer runtime makes calls the filters answer";
  // Case:                 0           1           2           3           4           5           6           7
  const std::vector<uint32_t> oldest = {0x00050001, 0x00050005, 0x00030004, 0x7fff0000,
                                        0x7ff00001, 0x00050006, 0x00030001, 0x7fff0000};
  const std::vector<uint32_t> middle = {0x00050002, 0x00030009, 0x00050007, 0x7ffc0000,
                                        0x7ffc0000, 0x7ff00002, 0x00030002, 0x7fff0000};
  const std::vector<uint32_t> newest = {0x00050003, 0x7fff0000, 0x7ffc0000, 0x7fff0000,
                                        0x7fff0000, 0x7fff0000, 0x7fff0000, 0x7fff0000};
  for (const auto& stack : {stack_of({oldest, middle, newest}), stack_of({oldest, middle}), stack_of({middle, oldest}),
                            stack_of({newest, oldest})}) {
    const size_t cases = oldest.size();
    Shared<Observed> o;
    const testing::ChildStatus st = run_cases(*o, stack, cases);
    EXPECT_TRUE(st.exited && st.exit_code == 0) << st.describe();
    ASSERT_EQ(o->installed.load(), 1) << "installing the stack failed";
    ASSERT_EQ(o->done.load(), static_cast<int>(cases));
    for (size_t c = 0; c < cases; ++c) {
      EXPECT_EQ(observed(*o, c), predicted(stack, c)) << "case " << c << " of a stack of " << stack.size();
    }
  }
}

TEST(KernelStack, ThreeErrnosKeepTheNewest) {
  if (testing::raw_syscall_ip() == 0) GTEST_SKIP() << "raw system calls are only written for x86_64";
  if (testing::running_under_sanitizer()) GTEST_SKIP() << "the sanitizer runtime makes calls the filters answer";
  // A plain statement of the rule, checked in the kernel as well.
  const std::vector<Program> stack = stack_of({{0x00050001}, {0x00050002}, {0x00050003}});
  Shared<Observed> o;
  const testing::ChildStatus st = run_cases(*o, stack, 1);
  EXPECT_TRUE(st.exited && st.exit_code == 0) << st.describe();
  EXPECT_EQ(observed(*o, 0), "error 3");
  EXPECT_EQ(predicted(stack, 0), "error 3");
}

TEST(KernelStack, KillingValuesWinWhereverTheyAre) {
  if (testing::raw_syscall_ip() == 0) GTEST_SKIP() << "raw system calls are only written for x86_64";
  if (testing::running_under_sanitizer()) GTEST_SKIP() << "the sanitizer runtime makes calls the filters answer";
  // KILL_PROCESS in the oldest filter against ERRNO and TRAP; an unknown
  // action value (0x00010000, below TRAP) against TRAP and ERRNO; in both
  // orders. The first call kills the child.
  const std::vector<std::vector<Program>> stacks = {
      stack_of({{0x80000000}, {0x00050001}, {0x00030001}}), stack_of({{0x00030001}, {0x00050001}, {0x80000000}}),
      stack_of({{0x00010000}, {0x00030003}, {0x00050001}}), stack_of({{0x00030003}, {0x00010000}})};
  for (const auto& stack : stacks) {
    ASSERT_EQ(predicted(stack, 0), "killed");
    Shared<Observed> o;
    const testing::ChildStatus st = run_cases(*o, stack, 1);
    ASSERT_EQ(o->installed.load(), 1);
    EXPECT_EQ(o->done.load(), 0);
    EXPECT_TRUE(st.signaled && st.signal == SIGSYS) << st.describe();
  }
}

}  // namespace
}  // namespace sysfence::bpf
