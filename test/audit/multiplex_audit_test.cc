// The multiplex-bypass finding: rules with argument conditions on socket and
// SysV IPC calls that socketcall(2)/ipc(2) reach without them. Expectations
// derived by hand from Docker's default profile (socketcall allowed
// outright, socket allowed only for families other than AF_ALG 38 and
// AF_VSOCK 40) and from small profiles.
#include <gtest/gtest.h>

#include "audit/profile_audit.h"
#include "profile/builtin.h"
#include "profile/reader.h"
#include "profile/resolve.h"
#include "syscalls/arch.h"

namespace sysfence::audit {
namespace {

using syscalls::ArchId;

Report audit_text(std::string_view text, ArchId native, profile::MultiplexRewrite mode) {
  auto read = text.empty() ? profile::read_builtin_default() : profile::read_profile(text, "m.json");
  EXPECT_TRUE(read) << read.error().message;
  profile::ResolveOptions o;
  o.native = native;
  o.kernel = {6, 12};
  o.multiplex = mode;
  auto r = profile::resolve(read->profile, o);
  EXPECT_TRUE(r) << r.error().message;
  ProfileAuditOptions po;
  po.native = &syscalls::arch(native);
  auto report = audit_profile(read->profile, *r, po);
  EXPECT_TRUE(report) << report.error().message;
  return std::move(*report);
}

std::vector<Finding> bypasses(const Report& r) {
  std::vector<Finding> out;
  for (const Finding& f : r.findings)
    if (f.check == check::kMultiplexBypass) out.push_back(f);
  return out;
}

TEST(MultiplexAudit, DockerDefaultSocketRulesAreBypassedThroughSocketcallOnI386) {
  const Report r = audit_text("", ArchId::kX86_64, profile::MultiplexRewrite::kExact);
  const auto found = bypasses(r);
  // Three socket entries with conditions (family < 38, == 39, > 40), each
  // bypassed on the filter's i386 section.
  ASSERT_EQ(found.size(), 3U);
  for (const Finding& f : found) {
    EXPECT_EQ(f.severity, Severity::kMedium) << f.message;
    EXPECT_NE(f.message.find("socketcall(SYS_SOCKET, ...) on i386"), std::string::npos) << f.message;
    EXPECT_NE(f.message.find("answers ALLOW for every socket made that way"), std::string::npos) << f.message;
    EXPECT_NE(f.message.find("socket answers ERRNO(1) for some arguments"), std::string::npos) << f.message;
    ASSERT_EQ(f.inputs.size(), 1U);
    EXPECT_EQ(f.inputs[0].arch, 0x40000003U);  // AUDIT_ARCH_I386
    EXPECT_EQ(f.inputs[0].nr, 102U);
    EXPECT_EQ(f.inputs[0].args[0], 1U);
  }
}

TEST(MultiplexAudit, NoFindingWhereNothingMultiplexesOrLibseccompRewrites) {
  // aarch64 alone: no multiplexer.
  EXPECT_TRUE(bypasses(audit_text("", ArchId::kAarch64, profile::MultiplexRewrite::kExact)).empty());
  // libseccomp's rewrite puts every socket rule on socketcall: no gap.
  EXPECT_TRUE(bypasses(audit_text("", ArchId::kX86_64, profile::MultiplexRewrite::kLibseccomp)).empty());
}

TEST(MultiplexAudit, AStricterMultiplexerIsOnlyInformation) {
  // socket allowed for AF_UNIX only; socketcall is left to the default
  // (ERRNO): nothing gets through that socket itself refuses.
  const Report r = audit_text(R"({"defaultAction": "SCMP_ACT_ERRNO",
      "syscalls": [{"names": ["socket"], "action": "SCMP_ACT_ALLOW",
                    "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_EQ"}]}]})",
                              ArchId::kS390x, profile::MultiplexRewrite::kExact);
  const auto found = bypasses(r);
  ASSERT_EQ(found.size(), 1U);
  EXPECT_EQ(found[0].severity, Severity::kInfo) << found[0].message;
  EXPECT_NE(found[0].message.find("on s390x"), std::string::npos) << found[0].message;
}

TEST(MultiplexAudit, ACallWithoutADirectSyscallComparesWithTheRule) {
  // i386 has no direct accept: a conditional ERRNO rule on it decides
  // nothing there, and socketcall(SYS_ACCEPT) gets the default ALLOW.
  const Report r = audit_text(R"({"defaultAction": "SCMP_ACT_ALLOW",
      "syscalls": [{"names": ["accept"], "action": "SCMP_ACT_ERRNO",
                    "args": [{"index": 0, "value": 3, "op": "SCMP_CMP_EQ"}]}]})",
                              ArchId::kI386, profile::MultiplexRewrite::kExact);
  const auto found = bypasses(r);
  ASSERT_EQ(found.size(), 1U);
  EXPECT_EQ(found[0].severity, Severity::kMedium) << found[0].message;
  EXPECT_NE(found[0].message.find("accept has no syscall of its own there"), std::string::npos) << found[0].message;
  EXPECT_EQ(found[0].inputs[0].args[0], 5U);  // SYS_ACCEPT
}

}  // namespace
}  // namespace sysfence::audit
