// explain's line per compat ABI: the decisions for every call that performs
// the syscall there (i386 chown 182 and chown32 212, socketcall(SYS_SOCKET)
// 102; arm chmod 15 for aarch64's fchmodat; numbers from the kernel's
// syscall_32.tbl and arm's syscall.tbl).
#include <gtest/gtest.h>

#include "profile/builtin.h"
#include "profile/explain.h"
#include "profile/reader.h"
#include "profile/resolve.h"

namespace sysfence::profile {
namespace {

using syscalls::ArchId;
#define EXPECT_CONTAINS(text, part) \
  EXPECT_NE((text).find(part), std::string::npos) << "missing: " << (part) << "\n--- in ---\n" << (text)
#define EXPECT_LACKS(text, part) \
  EXPECT_EQ((text).find(part), std::string::npos) << "unexpected: " << (part) << "\n--- in ---\n" << (text)

std::string explain(std::string_view text, std::string_view syscall, ArchId arch = ArchId::kX86_64) {
  auto r = text.empty() ? read_builtin_default() : read_profile(text, "p.json");
  EXPECT_TRUE(r) << (r ? "" : r.error().message);
  ResolveOptions o;
  o.native = arch;
  o.kernel = {6, 12};
  auto res = resolve(r->profile, o);
  EXPECT_TRUE(res) << (res ? "" : res.error().message);
  auto out = explain_syscall(r->profile, *res, o, syscall);
  EXPECT_TRUE(out) << (out ? "" : out.error().message);
  return out ? *out : std::string();
}

constexpr std::string_view kDenyChown = R"({"defaultAction": "SCMP_ACT_ALLOW",
    "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
    "syscalls": [{"names": ["chown", "socket"], "action": "SCMP_ACT_ERRNO"}]})";

TEST(ExplainCompat, ChownShowsI386Chown32) {
  const std::string t = explain(kDenyChown, "chown");
  EXPECT_CONTAINS(t, std::string_view("\nthrough the compat ABIs of x86_64 (the same syscall by its compat names):\n"
                                      "  on i386 (int 0x80): chown (nr 182): ERRNO(1) EPERM (a profile rule); "
                                      "chown32 (nr 212): ALLOW (the default action)\n"));
  // x32 shares x86_64's names: it stays in the other-ABIs list only.
  EXPECT_LACKS(t, std::string_view("on x32 ("));
}

TEST(ExplainCompat, SocketShowsTheMultiplexer) {
  const std::string t = explain(kDenyChown, "socket");
  EXPECT_CONTAINS(t, std::string_view("  on i386 (int 0x80): socket (nr 359): ERRNO(1) EPERM (a profile rule); "
                                      "socketcall(SYS_SOCKET) (nr 102): ERRNO(1) EPERM\n"));
}

TEST(ExplainCompat, ArmSpellingsOfAarch64Calls) {
  const std::string t = explain("", "fchmodat", ArchId::kAarch64);
  EXPECT_CONTAINS(t, std::string_view("  on arm (AArch32 EL0): fchmodat (nr 333): ALLOW (a profile rule); "
                                      "chmod (nr 15): ALLOW (a profile rule)\n"));
}

TEST(ExplainCompat, NoSectionWithoutACompatAbi) {
  const std::string t = explain(R"({"defaultAction": "SCMP_ACT_ALLOW",
      "syscalls": [{"names": ["chown"], "action": "SCMP_ACT_ERRNO"}]})",
                                "chown");
  EXPECT_LACKS(t, std::string_view("through the compat ABIs"));
}

}  // namespace
}  // namespace sysfence::profile
