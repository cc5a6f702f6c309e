// TRAP's 16 data bits against the running kernel: a forked child installs a
// filter that answers one syscall SECCOMP_RET_TRAP | data, makes the call,
// and its SIGSYS handler records what the kernel delivered (si_errno,
// si_syscall, si_arch, si_code). The interpreter, run on the same
// seccomp_data, must name that very action: TRAP with the same data, which a
// handler such as Chromium's sandbox dispatches on.
#include <gtest/gtest.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <csignal>
#include <cstdint>

#include "base/seccomp.h"
#include "bpf/insn.h"
#include "bpf/install.h"
#include "bpf/interp.h"
#include "test/bpf/kernel_child.h"

namespace sysfence::bpf {
namespace {

using testing::raw_syscall;
using testing::run_in_child;
using testing::Shared;

constexpr uint32_t kAuditArchX86_64 = 0xc000003eU;
constexpr uint32_t kTrappedNr = 1001;  // unassigned: nothing runs if the trap misses
constexpr int kSysSeccompCode = 1;     // si_code of a seccomp SIGSYS (SYS_SECCOMP)

struct Delivered {
  std::atomic<int> signals{0};
  std::atomic<int> trap_data{-1};  // si_errno
  std::atomic<int> syscall_nr{-1};
  std::atomic<uint32_t> arch{0};
  std::atomic<int> code{0};
  std::atomic<int> installed{0};
};

Delivered* g_delivered = nullptr;

void on_sigsys(int, siginfo_t* info, void*) {
  g_delivered->trap_data.store(info->si_errno);
  g_delivered->syscall_nr.store(info->si_syscall);
  g_delivered->arch.store(info->si_arch);
  g_delivered->code.store(info->si_code);
  g_delivered->signals.fetch_add(1);
}

// Installs `prog`, calls kTrappedNr with `args` and records the SIGSYS.
void trap_in_child(Delivered& d, const Program& prog, const std::array<uint64_t, 6>& args) {
  const testing::ChildStatus st = run_in_child([&] {
    g_delivered = &d;
    struct sigaction sa {};
    sa.sa_sigaction = on_sigsys;
    sa.sa_flags = SA_SIGINFO;
    if (sigaction(SIGSYS, &sa, nullptr) != 0) return;
    if (!install(prog)) return;
    d.installed.store(1);
    raw_syscall(kTrappedNr, args);  // the handler returns; the call was skipped
  });
  EXPECT_TRUE(st.exited && st.exit_code == 0) << st.describe();
  ASSERT_EQ(d.installed.load(), 1);
  ASSERT_EQ(d.signals.load(), 1);
  EXPECT_EQ(d.code.load(), kSysSeccompCode);
  EXPECT_EQ(d.syscall_nr.load(), static_cast<int>(kTrappedNr));
  EXPECT_EQ(d.arch.load(), kAuditArchX86_64);
}

// What the interpreter answers for the child's call.
Action interpreted(const Program& prog, const std::array<uint64_t, 6>& args) {
  SeccompData data;
  data.nr = kTrappedNr;
  data.arch = kAuditArchX86_64;
  data.instruction_pointer = testing::raw_syscall_ip();
  data.args = args;
  auto r = run(prog, data, Endian::kLittle);
  EXPECT_TRUE(r.has_value());
  return r ? r->action() : Action::Allow();
}

TEST(KernelTrapData, ConstantDataReachesTheHandlerAsSiErrno) {
  if (testing::raw_syscall_ip() == 0) GTEST_SKIP() << "raw system calls are only written for x86_64";
  for (uint32_t data : {0U, 1U, 5U, 0x1234U, 0xffffU}) {
    const Program prog = {stmt(kLd | kW | kAbs, kOffsetNr), jump(kJmp | kJeq | kK, kTrappedNr, 0, 1),
                          stmt(kRet | kRetK, kRetTrap | data), stmt(kRet | kRetK, kRetAllow)};
    const std::array<uint64_t, 6> args{};
    Shared<Delivered> d;
    trap_in_child(*d, prog, args);
    EXPECT_EQ(d->trap_data.load(), static_cast<int>(data));
    const Action predicted = interpreted(prog, args);
    EXPECT_EQ(predicted, Action::Trap(static_cast<uint16_t>(d->trap_data.load())))
        << "interpreter: " << to_string(predicted) << ", kernel si_errno " << d->trap_data.load();
  }
}

TEST(KernelTrapData, DataComputedFromTheArgumentsReachesTheHandler) {
  if (testing::raw_syscall_ip() == 0) GTEST_SKIP() << "raw system calls are only written for x86_64";
  // ret A with A = TRAP | (args[0].lo & 0xffff): the data follows the input.
  const Program prog = {stmt(kLd | kW | kAbs, kOffsetNr),
                        jump(kJmp | kJeq | kK, kTrappedNr, 0, 4),
                        stmt(kLd | kW | kAbs, arg_lo_offset(0, Endian::kLittle)),
                        stmt(kAlu | kAnd | kK, kRetData),
                        stmt(kAlu | kOr | kK, kRetTrap),
                        stmt(kRet | kRetA, 0),
                        stmt(kRet | kRetK, kRetAllow)};
  for (uint64_t arg : {0x0ULL, 0x7ULL, 0x1234abcdULL, 0xffffffff0000fffeULL}) {
    const std::array<uint64_t, 6> args{arg, 0, 0, 0, 0, 0};
    Shared<Delivered> d;
    trap_in_child(*d, prog, args);
    EXPECT_EQ(d->trap_data.load(), static_cast<int>(arg & 0xffff));
    const Action predicted = interpreted(prog, args);
    EXPECT_EQ(predicted, Action::Trap(static_cast<uint16_t>(d->trap_data.load())))
        << "interpreter: " << to_string(predicted) << ", kernel si_errno " << d->trap_data.load();
  }
}

}  // namespace
}  // namespace sysfence::bpf
