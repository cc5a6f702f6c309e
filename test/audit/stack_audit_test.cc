// audit_stack on hand-written stacks: the findings that list what gets
// through (syscalls, ABIs) list what the whole stack lets through — every
// filter run, the answers combined as the kernel does — whatever the order
// of the filters, and each listed syscall is allowed by the stack's
// interpreter.
#include "audit/stack_audit.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "bpf/asm.h"
#include "bpf/stack.h"
#include "syscalls/arch.h"
#include "syscalls/table.h"

namespace sysfence::audit {
namespace {

using syscalls::ArchId;

bpf::Program assemble(const std::string& text) {
  bpf::AsmOptions o;
  o.arch = &syscalls::arch(ArchId::kX86_64);
  auto a = bpf::assemble(text, o);
  EXPECT_TRUE(a) << a.error().message << "\n" << text;
  return a ? a->program : bpf::Program{};
}

// Denies mount, reboot and bpf with EPERM (and every x32 number), allows
// the rest of x86_64.
constexpr std::string_view kDenylist = R"(.arch x86_64
  A = arch
  if (A == ARCH_X86_64) goto ok
  return KILL_PROCESS
ok:
  A = sys_number
  if (A >= 0x40000000) goto deny
  if (A == mount) goto deny
  if (A == reboot) goto deny
  if (A == bpf) goto deny
  return ALLOW
deny:
  return ERRNO(1)
)";

// Allows every x86_64 call, denies the x32 numbers: on its own its default
// allows mount, reboot and bpf.
constexpr std::string_view kAllowAll = R"(.arch x86_64
  A = arch
  if (A == ARCH_X86_64) goto ok
  return KILL_PROCESS
ok:
  A = sys_number
  if (A >= 0x40000000) goto deny
  return ALLOW
deny:
  return ERRNO(1)
)";

Report audit(const std::vector<bpf::Program>& stack) {
  const std::vector<std::string> names = {"older", "newer"};
  ProgramAuditOptions o;
  o.arch = &syscalls::arch(ArchId::kX86_64);
  auto r = audit_stack(stack, names, o);
  EXPECT_TRUE(r) << r.error().message;
  return r ? std::move(*r) : Report{};
}

// The input-less finding of `check` (one that lists rather than shows).
std::vector<const Finding*> listing(const Report& r, std::string_view check) {
  std::vector<const Finding*> out;
  for (const Finding& f : r.findings)
    if (f.check == check && f.inputs.empty()) out.push_back(&f);
  return out;
}

// The names after "are allowed: " in "a, b, c and d".
std::vector<std::string> listed_names(const std::string& message) {
  const std::string marker = "are allowed: ";
  std::string rest = message.substr(message.find(marker) + marker.size());
  std::vector<std::string> out;
  for (size_t at = 0; at < rest.size();) {
    size_t end = rest.find(", ", at);
    const size_t and_at = rest.find(" and ", at);
    if (end == std::string::npos || (and_at != std::string::npos && and_at < end)) end = and_at;
    out.push_back(rest.substr(at, end - at));
    if (end == std::string::npos) break;
    at = end + (rest.compare(end, 5, " and ") == 0 ? 5 : 2);
  }
  return out;
}

TEST(StackAudit, SeedBlockedListsWhatTheStackAllowsInEitherOrder) {
  const bpf::Program deny = assemble(std::string(kDenylist));
  const bpf::Program all = assemble(std::string(kAllowAll));
  const Report a = audit({deny, all});
  const Report b = audit({all, deny});
  const auto la = listing(a, "seed-blocked");
  const auto lb = listing(b, "seed-blocked");
  ASSERT_EQ(la.size(), 1U);
  ASSERT_EQ(lb.size(), 1U);
  EXPECT_EQ(la[0]->message, lb[0]->message);
  const std::vector<std::string> names = listed_names(la[0]->message);
  ASSERT_FALSE(names.empty()) << la[0]->message;
  // Each name the finding lists is one the stack allows; the ones the older
  // filter denies are not listed.
  for (const std::string& name : names) {
    EXPECT_NE(name, "mount");
    EXPECT_NE(name, "reboot");
    EXPECT_NE(name, "bpf");
    const auto nr = syscalls::table(ArchId::kX86_64).number(name);
    ASSERT_TRUE(nr) << name;
    SeccompData d;
    d.arch = syscalls::arch(ArchId::kX86_64).audit_arch;
    d.nr = *nr;
    auto run = bpf::run_stack(std::vector<bpf::Program>{deny, all}, d, Endian::kLittle);
    ASSERT_TRUE(run);
    EXPECT_EQ(run->action(), Action::Allow()) << name;
  }
  EXPECT_NE(std::find(names.begin(), names.end(), "kexec_load"), names.end()) << la[0]->message;
}

// The older filter answers every i386 call ERRNO(1); the newer allows i386
// by default. Only x86_64's default allows on the stack.
TEST(StackAudit, DefaultAllowListsTheAbisTheStackAllowsOn) {
  const bpf::Program x86_64_only = assemble(R"(.arch x86_64
  A = arch
  if (A == ARCH_I386) goto deny
  if (A == ARCH_X86_64) goto ok
  return KILL_PROCESS
ok:
  A = sys_number
  if (A >= 0x40000000) goto deny
  if (A == mount) goto deny
  return ALLOW
deny:
  return ERRNO(1)
)");
  const bpf::Program both = assemble(R"(.arch x86_64
  A = arch
  if (A == ARCH_I386) goto i386
  if (A == ARCH_X86_64) goto ok
  return KILL_PROCESS
i386:
  A = sys_number
  if (A == 21) goto deny
  return ALLOW
ok:
  A = sys_number
  if (A >= 0x40000000) goto deny
  if (A == reboot) goto deny
  return ALLOW
deny:
  return ERRNO(1)
)");
  for (const Report& r : {audit({x86_64_only, both}), audit({both, x86_64_only})}) {
    const auto d = listing(r, "default-allow");
    ASSERT_EQ(d.size(), 1U);
    EXPECT_NE(d[0]->message.find("on x86_64 (ALLOW)"), std::string::npos) << d[0]->message;
    EXPECT_EQ(d[0]->message.find("i386"), std::string::npos) << d[0]->message;
    const auto s = listing(r, "seed-blocked");
    ASSERT_EQ(s.size(), 1U);
    EXPECT_EQ(s[0]->message.find("i386"), std::string::npos) << s[0]->message;
    for (const std::string& name : listed_names(s[0]->message)) {
      EXPECT_NE(name, "mount");
      EXPECT_NE(name, "reboot");
    }
  }
}

// Nothing left: when the older filter denies by default, the newer one's
// default is no way through and no listing is reported.
TEST(StackAudit, NoListingWhenTheStackDeniesEverythingListed) {
  const bpf::Program deny_all = assemble(R"(.arch x86_64
  A = arch
  if (A == ARCH_X86_64) goto ok
  return KILL_PROCESS
ok:
  A = sys_number
  if (A == read) goto allow
  return ERRNO(1)
allow:
  return ALLOW
)");
  const bpf::Program all = assemble(std::string(kAllowAll));
  for (const Report& r : {audit({deny_all, all}), audit({all, deny_all})}) {
    EXPECT_TRUE(listing(r, "seed-blocked").empty());
    EXPECT_TRUE(listing(r, "default-allow").empty());
  }
}

// multiplex-bypass on a stack: one filter answers i386 socket (359)
// by its family, the other allows every i386 call but ipc, so it leaves
// socketcall (102) open: the stack answers socket ERRNO for every family
// but socketcall(SYS_SOCKET) ALLOW, whichever filter is newer.
TEST(StackAudit, MultiplexBypassOnTheStack) {
  const bpf::Program by_family = assemble(R"(.arch x86_64
  A = arch
  if (A == ARCH_X86_64) goto allow
  if (A != ARCH_I386) goto kill
  A = sys_number
  if (A != 359) goto allow
  A = args[0]
  if (A == 1) goto allow
  return ERRNO(97)
allow:
  return ALLOW
kill:
  return KILL_PROCESS
)");
  const bpf::Program all = assemble(R"(.arch x86_64
  A = arch
  if (A == ARCH_X86_64) goto allow
  if (A != ARCH_I386) goto kill
  A = sys_number
  if (A == 117) goto deny
  return ALLOW
deny:
  return ERRNO(1)
allow:
  return ALLOW
kill:
  return KILL_PROCESS
)");
  for (const Report& r : {audit({by_family, all}), audit({all, by_family})}) {
    std::vector<const Finding*> found;
    for (const Finding& f : r.findings)
      if (f.check == "multiplex-bypass") found.push_back(&f);
    ASSERT_EQ(found.size(), 1U) << format_report(r);
    EXPECT_NE(found[0]->message.find("socket (ERRNO(97) for some arguments; every socketcall(SYS_SOCKET, ...) ALLOW)"),
              std::string::npos)
        << found[0]->message;
    ASSERT_EQ(found[0]->inputs.size(), 2U);
    for (size_t k = 0; k < 2; ++k) {
      auto run = bpf::run_stack(std::vector<bpf::Program>{by_family, all}, found[0]->inputs[k], Endian::kLittle);
      ASSERT_TRUE(run);
      EXPECT_EQ(run->action() == Action::Allow(), k == 0) << found[0]->message;
    }
  }
}

}  // namespace
}  // namespace sysfence::audit
