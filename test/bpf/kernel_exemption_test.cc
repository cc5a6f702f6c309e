// The calls the running kernel lets through without running any seccomp
// filter (syscalls::seccomp_exemption), against the kernel itself: a forked
// child installs a filter answering ERRNO(EPERM) to uretprobe and uprobe and
// makes the call. Filtered, it returns -EPERM; let through, it runs: uprobe
// outside a trampoline fails with another errno (ENXIO), uretprobe raises
// SIGILL. sysfence's table must say which, for this kernel's version.
#include <gtest/gtest.h>
#include <sys/utsname.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdio>

#include "base/seccomp.h"
#include "bpf/insn.h"
#include "bpf/install.h"
#include "syscalls/arch.h"
#include "syscalls/filter_support.h"
#include "syscalls/table.h"
#include "test/bpf/kernel_child.h"

namespace sysfence::bpf {
namespace {

using testing::raw_syscall;
using testing::run_in_child;
using testing::Shared;

syscalls::KernelVersion running_kernel() {
  utsname u{};
  unsigned major = 0;
  unsigned minor = 0;
  if (uname(&u) != 0 || std::sscanf(u.release, "%u.%u", &major, &minor) != 2) return {};
  return {static_cast<uint16_t>(major), static_cast<uint16_t>(minor), 0};
}

// ERRNO(EPERM) for `nr`, ALLOW for everything else.
Program deny(uint32_t nr) {
  return {stmt(kLd | kW | kAbs, kOffsetNr), jump(kJmp | kJeq | kK, nr, 0, 1), stmt(kRet | kRetK, kRetErrno | EPERM),
          stmt(kRet | kRetK, kRetAllow)};
}

struct Observed {
  std::atomic<int> installed{0};
  std::atomic<long> ret{0};
};

// Whether the kernel ran the filter for `name`: the child's call came back
// -EPERM (filtered), or anything else happened (it ran).
bool kernel_filters(std::string_view name) {
  const auto nr = syscalls::table(syscalls::ArchId::kX86_64).number(name);
  EXPECT_TRUE(nr.has_value());
  Shared<Observed> seen;
  const Program prog = deny(*nr);
  const testing::ChildStatus st = run_in_child([&] {
    if (!install(prog)) return;
    seen->installed.store(1);
    seen->ret.store(raw_syscall(*nr, {}));
  });
  EXPECT_EQ(seen->installed.load(), 1) << st.describe();
  if (st.signaled) {
    EXPECT_EQ(st.signal, SIGILL) << st.describe();  // uretprobe ran outside a trampoline
    return false;
  }
  return seen->ret.load() == -EPERM;
}

TEST(KernelExemption, TheTableSaysWhichCallsThisKernelNeverFilters) {
#if !defined(__x86_64__)
  GTEST_SKIP() << "the exemptions are x86_64's";
#endif
  const syscalls::KernelVersion kernel = running_kernel();
  ASSERT_TRUE(kernel.known());
  const uint32_t audit = syscalls::arch(syscalls::ArchId::kX86_64).audit_arch;
  for (std::string_view name : {"uretprobe", "uprobe"}) {
    const uint32_t nr = *syscalls::table(syscalls::ArchId::kX86_64).number(name);
    const bool exempt = syscalls::seccomp_exemption(audit, nr, kernel) != nullptr;
    EXPECT_EQ(!kernel_filters(name), exempt) << name << " on Linux " << syscalls::to_string(kernel);
  }
  // A filtered call next to them (getppid) is filtered: the probe works.
  EXPECT_TRUE(kernel_filters("getppid"));
}

TEST(KernelExemption, OnlyTheNativeAbiFromItsKernelOn) {
  const uint32_t x86_64 = syscalls::arch(syscalls::ArchId::kX86_64).audit_arch;
  const uint32_t i386 = syscalls::arch(syscalls::ArchId::kI386).audit_arch;
  const syscalls::SeccompExemption* e = syscalls::seccomp_exemption(x86_64, 335, {6, 12, 0});
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->name, "uretprobe");
  EXPECT_EQ(syscalls::seccomp_exemption(x86_64, 335, {6, 11, 0}), nullptr);
  EXPECT_EQ(syscalls::seccomp_exemption(x86_64, 336, {6, 17, 0}), nullptr);
  ASSERT_NE(syscalls::seccomp_exemption(x86_64, 336, {6, 18, 0}), nullptr);
  EXPECT_EQ(syscalls::seccomp_exemption(x86_64, 0x40000000U | 335, {6, 18, 0}), nullptr);  // x32: filtered
  EXPECT_EQ(syscalls::seccomp_exemption(i386, 335, {6, 18, 0}), nullptr);
  EXPECT_EQ(syscalls::seccomp_exemption(x86_64, 334, {6, 18, 0}), nullptr);
}

}  // namespace
}  // namespace sysfence::bpf
