// The compat route in the real kernel: a profile that denies the chown
// family on x86_64, x86 and x32 (the names chown, fchown, lchown, fchownat
// deny i386's 16-bit-uid calls too) leaves i386's chown32 (nr 212) allowed.
// In a forked child under the compiled filter, x86_64 chown fails with EPERM
// while chown32 through int $0x80 changes the file's owner (to the owner it
// already has, which needs no privilege) — the route the audit names is
// real. Naming chown32 as well closes it (EPERM). The int $0x80 part skips
// where the kernel does not offer it to 64-bit processes (no
// IA32_EMULATION, or ia32_emulation=0); the native part always runs.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/filter.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include "audit/program_audit.h"
#include "compiler/compile.h"
#include "profile/reader.h"
#include "profile/resolve.h"
#include "syscalls/arch.h"
#include "test/bpf/kernel_child.h"

namespace sysfence {
namespace {

using bpf::testing::die_without_syscall;
using bpf::testing::int80;
using bpf::testing::int80_available;
using bpf::testing::raw_syscall;
using bpf::testing::run_in_child;
using bpf::testing::Shared;
using syscalls::ArchId;

constexpr uint32_t kI386Chown32 = 212;  // arch/x86/entry/syscalls/syscall_32.tbl

struct Compiled {
  policy::Policy policy;
  bpf::Program program;
};

Compiled compile_profile(const std::string& names) {
  const std::string text = R"({"defaultAction": "SCMP_ACT_ALLOW",
      "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
      "syscalls": [{"names": [)" +
                           names + R"(], "action": "SCMP_ACT_ERRNO"}]})";
  auto read = profile::read_profile(text, "chown.json");
  EXPECT_TRUE(read) << read.error().message;
  profile::ResolveOptions o;
  o.native = ArchId::kX86_64;
  o.kernel = {6, 12};
  auto r = profile::resolve(read->profile, o);
  EXPECT_TRUE(r) << r.error().message;
  auto c = compiler::compile(r->policy, {});
  EXPECT_TRUE(c) << c.error().message;
  return {r->policy, c->program};
}

struct Results {
  std::atomic<int32_t> install_errno{-1};
  std::atomic<int64_t> native_chown{1};
  std::atomic<int64_t> compat_chown32{1};
  std::atomic<bool> compat_done{false};
};

class CompatRouteKernel : public ::testing::Test {
 protected:
  void SetUp() override {
    if (bpf::testing::running_under_sanitizer()) GTEST_SKIP() << "kernel tests skip under sanitizers";
    // The path in memory below 4 GiB, where a 32-bit pointer reaches it.
    void* low = mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
    ASSERT_NE(low, MAP_FAILED);
    path_ = static_cast<char*>(low);
    const std::string dir = ::testing::TempDir();
    std::snprintf(path_, 4096, "%s/compat_route_XXXXXX", dir.c_str());
    const int fd = mkstemp(path_);
    ASSERT_GE(fd, 0) << std::strerror(errno);
    close(fd);
  }
  void TearDown() override {
    if (path_ != nullptr) {
      unlink(path_);
      munmap(path_, 4096);
    }
  }

  // Runs x86_64 chown and (when `compat`) i386 chown32 on the file in a
  // child under `prog`.
  void run(const bpf::Program& prog, bool compat, Results& out) {
    const char* path = path_;
    const uint64_t uid = getuid();
    const uint64_t gid = getgid();
    Results* res = &out;
    const auto st = run_in_child([&] {
      prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
      sock_fprog fprog{static_cast<unsigned short>(prog.size()),
                       reinterpret_cast<sock_filter*>(const_cast<bpf::Insn*>(prog.data()))};
      if (syscall(SYS_seccomp, 1 /* SECCOMP_SET_MODE_FILTER */, 0, &fprog) != 0) {
        res->install_errno.store(errno);
        die_without_syscall();
      }
      res->install_errno.store(0);
      res->native_chown.store(raw_syscall(SYS_chown, {reinterpret_cast<uint64_t>(path), uid, gid, 0, 0, 0}));
      if (compat) {
        res->compat_chown32.store(int80(kI386Chown32, reinterpret_cast<uint64_t>(path), uid, gid));
        res->compat_done.store(true);
      }
      die_without_syscall();
    });
    EXPECT_FALSE(st.timed_out) << st.describe();
    EXPECT_EQ(out.install_errno.load(), 0);
  }

  char* path_ = nullptr;
};

TEST_F(CompatRouteKernel, Chown32ThroughInt80GetsPastADeniedChown) {
  const Compiled open = compile_profile(R"("chown", "fchown", "lchown", "fchownat")");
  // The audit names the route, with i386 chown32 as the example.
  audit::ProgramAuditOptions ao;
  ao.arch = &syscalls::arch(ArchId::kX86_64);
  ao.intent = &open.policy;
  auto report = audit::audit_program(open.program, ao);
  ASSERT_TRUE(report) << report.error().message;
  const audit::Finding* route = nullptr;
  for (const audit::Finding& f : report->findings)
    if (f.check == audit::check::kCompatRoute) route = &f;
  ASSERT_NE(route, nullptr) << audit::format_report(*report);
  ASSERT_EQ(route->inputs.size(), 1U);
  EXPECT_EQ(route->inputs[0].arch, syscalls::arch(ArchId::kI386).audit_arch);
  EXPECT_EQ(route->inputs[0].nr, kI386Chown32);

  const bool compat = int80_available();
  Shared<Results> res;
  run(open.program, compat, *res);
  EXPECT_EQ(res->native_chown.load(), -EPERM);  // the rule works natively
  if (!compat) GTEST_SKIP() << "int $0x80 is not available to 64-bit processes on this kernel (IA32_EMULATION)";
  ASSERT_TRUE(res->compat_done.load());
  EXPECT_EQ(res->compat_chown32.load(), 0) << "chown32 through int $0x80 should get past the chown rules";

  // Naming chown32 too closes the route.
  const Compiled closed = compile_profile(R"("chown", "fchown", "lchown", "fchownat", "chown32")");
  Shared<Results> res2;
  run(closed.program, true, *res2);
  EXPECT_EQ(res2->native_chown.load(), -EPERM);
  ASSERT_TRUE(res2->compat_done.load());
  EXPECT_EQ(res2->compat_chown32.load(), -EPERM);
}

}  // namespace
}  // namespace sysfence
