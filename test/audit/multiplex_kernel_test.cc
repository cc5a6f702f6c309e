// multiplex-bypass on a raw filter stack, in the real kernel: one filter
// answers i386 socket (359) by its family (AF_UNIX only, else
// ERRNO(EOPNOTSUPP)), the other allows every i386 call; the stack audit
// reports socketcall (102) as the way past the family rule, and in a forked
// child with both filters installed, socket(AF_NETLINK, SOCK_RAW, 0) through
// int $0x80 fails EOPNOTSUPP while socketcall(SYS_SOCKET, {AF_NETLINK,
// SOCK_RAW, 0}) returns a socket. Numbers from syscall_32.tbl and
// include/uapi/linux/net.h (SYS_SOCKET 1). Skips where int $0x80 is not
// offered to 64-bit processes.
#include <gtest/gtest.h>
#include <linux/filter.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <string>
#include <vector>

#include "audit/finding.h"
#include "audit/stack_audit.h"
#include "bpf/asm.h"
#include "syscalls/arch.h"
#include "test/bpf/kernel_child.h"

namespace sysfence {
namespace {

using bpf::testing::die_without_syscall;
using bpf::testing::int80;
using bpf::testing::int80_available;
using bpf::testing::run_in_child;
using bpf::testing::Shared;
using syscalls::ArchId;

constexpr uint32_t kI386Socket = 359;
constexpr uint32_t kI386Socketcall = 102;
constexpr uint32_t kSysSocket = 1;
constexpr uint32_t kAfNetlink = 16;
constexpr uint32_t kSockRaw = 3;

bpf::Program assemble(const std::string& text) {
  bpf::AsmOptions o;
  o.arch = &syscalls::arch(ArchId::kX86_64);
  auto a = bpf::assemble(text, o);
  EXPECT_TRUE(a) << a.error().message;
  return a ? a->program : bpf::Program{};
}

const std::string kByFamily =
    "  A = arch\n"
    "  if (A == ARCH_X86_64) goto allow\n"
    "  if (A != ARCH_I386) goto kill\n"
    "  A = sys_number\n"
    "  if (A != 359) goto allow\n"
    "  A = args[0]\n"
    "  if (A == 1) goto allow\n"
    "  return ERRNO(95)\n"
    "allow:\n"
    "  return ALLOW\n"
    "kill:\n"
    "  return KILL_PROCESS\n";

const std::string kAllowAll =
    "  A = arch\n"
    "  if (A == ARCH_X86_64) goto allow\n"
    "  if (A == ARCH_I386) goto allow\n"
    "  return KILL_PROCESS\n"
    "allow:\n"
    "  return ALLOW\n";

struct Results {
  std::atomic<int32_t> install_errno{-1};
  std::atomic<int64_t> direct{1};
  std::atomic<int64_t> through{-1};
};

TEST(MultiplexBypassKernel, SocketcallGetsPastTheFamilyRuleOfAStack) {
  if (bpf::testing::running_under_sanitizer()) GTEST_SKIP() << "kernel tests skip under sanitizers";
  const std::vector<bpf::Program> stack = {assemble(kByFamily), assemble(kAllowAll)};
  const std::vector<std::string> names = {"by-family", "allow-all"};
  audit::ProgramAuditOptions o;
  o.arch = &syscalls::arch(ArchId::kX86_64);
  auto report = audit::audit_stack(stack, names, o);
  ASSERT_TRUE(report) << report.error().message;
  const audit::Finding* found = nullptr;
  for (const audit::Finding& f : report->findings)
    if (f.check == audit::check::kMultiplexBypass) found = &f;
  ASSERT_NE(found, nullptr) << audit::format_report(*report);
  ASSERT_EQ(found->inputs.size(), 2U);
  EXPECT_EQ(found->inputs[0].nr, kI386Socketcall);
  EXPECT_EQ(found->inputs[0].args[0], kSysSocket);
  EXPECT_EQ(found->inputs[1].nr, kI386Socket);

  if (!int80_available()) GTEST_SKIP() << "int $0x80 is not available to 64-bit processes on this kernel";
  // socketcall's arguments, below 4 GiB where a 32-bit pointer reaches them.
  void* low = mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
  ASSERT_NE(low, MAP_FAILED);
  auto* args = static_cast<uint32_t*>(low);
  args[0] = kAfNetlink;
  args[1] = kSockRaw;
  args[2] = 0;
  Shared<Results> res;
  Results* r = &*res;
  const auto st = run_in_child([&] {
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    for (const bpf::Program& p : stack) {  // the oldest first
      sock_fprog fprog{static_cast<unsigned short>(p.size()),
                       reinterpret_cast<sock_filter*>(const_cast<bpf::Insn*>(p.data()))};
      if (syscall(SYS_seccomp, 1 /* SECCOMP_SET_MODE_FILTER */, 0, &fprog) != 0) {
        r->install_errno.store(errno);
        die_without_syscall();
      }
    }
    r->install_errno.store(0);
    r->direct.store(int80(kI386Socket, kAfNetlink, kSockRaw, 0));
    r->through.store(int80(kI386Socketcall, kSysSocket, reinterpret_cast<uint64_t>(args), 0));
    die_without_syscall();
  });
  munmap(low, 4096);
  EXPECT_FALSE(st.timed_out) << st.describe();
  ASSERT_EQ(res->install_errno.load(), 0);
  EXPECT_EQ(res->direct.load(), -EOPNOTSUPP) << "the family rule holds for the direct call";
  EXPECT_GE(res->through.load(), 0) << "socketcall(SYS_SOCKET) should get a netlink socket past the rule";
}

}  // namespace
}  // namespace sysfence
