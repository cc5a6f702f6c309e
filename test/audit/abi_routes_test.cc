// compat-route and compat-only: every route with a filter that has it and
// one that closes it. Expectations come from the kernel's i386 table
// (arch/x86/entry/syscalls/syscall_32.tbl: chown 182 is chown16, chown32
// 212 the 32-bit-uid call; umount 22 is oldumount; clock_settime64 404;
// socketcall 102) and the arm one (ustat 62), not from the code under test;
// the example input of each finding is replayed through the interpreter.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "audit/profile_audit.h"
#include "audit/program_audit.h"
#include "bpf/asm.h"
#include "bpf/interp.h"
#include "profile/reader.h"
#include "profile/resolve.h"
#include "syscalls/arch.h"

namespace sysfence::audit {
namespace {

using syscalls::ArchId;

constexpr uint32_t kAuditArchI386 = 0x40000003U;

struct Audited {
  Report report;
  bpf::Program program;  // empty for a profile audit
};

Report audit_profile_text(std::string_view text, ArchId native = ArchId::kX86_64) {
  auto read = profile::read_profile(text, "r.json");
  EXPECT_TRUE(read) << read.error().message;
  profile::ResolveOptions o;
  o.native = native;
  o.kernel = {6, 12};
  auto r = profile::resolve(read->profile, o);
  EXPECT_TRUE(r) << r.error().message;
  ProfileAuditOptions po;
  po.native = &syscalls::arch(native);
  auto report = audit_profile(read->profile, *r, po);
  EXPECT_TRUE(report) << report.error().message;
  return std::move(*report);
}

Audited audit_asm(const std::string& text) {
  bpf::AsmOptions o;
  o.arch = &syscalls::arch(ArchId::kX86_64);
  auto a = bpf::assemble(text, o);
  EXPECT_TRUE(a) << a.error().message;
  Audited out;
  out.program = a->program;
  ProgramAuditOptions po;
  po.arch = &syscalls::arch(ArchId::kX86_64);
  auto r = audit_program(out.program, po);
  EXPECT_TRUE(r) << r.error().message;
  out.report = std::move(*r);
  return out;
}

std::vector<const Finding*> of(const Report& r, std::string_view check) {
  std::vector<const Finding*> out;
  for (const Finding& f : r.findings)
    if (f.check == check) out.push_back(&f);
  return out;
}

bool has(const std::string& s, std::string_view part) { return s.find(part) != std::string::npos; }

// Default ALLOW on x86_64, x86 and x32 (Docker's archMap for x86_64).
std::string deny_profile(
    const std::string& names,
    const std::string& arches = R"("architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"], )") {
  return R"({"defaultAction": "SCMP_ACT_ALLOW", )" + arches + R"("syscalls": [{"names": [)" + names +
         R"(], "action": "SCMP_ACT_ERRNO"}]})";
}

TEST(CompatRoute, DockersDocumentedExampleLeavesChown32OpenOnI386) {
  // Docker's documentation denies chown (and five others); i386's chown is
  // the 16-bit-uid call, its chown32 (212) is not named and stays allowed
  // once the profile lists i386 (without `architectures` the filter has
  // x86_64 alone and kills i386 calls).
  const Report r = audit_profile_text(deny_profile(R"("getcwd", "mount", "setns", "create_module", "chown", "chmod")"));
  const auto found = of(r, check::kCompatRoute);
  ASSERT_EQ(found.size(), 1U) << format_report(r);
  const Finding& f = *found[0];
  EXPECT_EQ(f.severity, Severity::kHigh);
  EXPECT_TRUE(has(f.message, "on i386 (int 0x80, AUDIT_ARCH 0x40000003)")) << f.message;
  EXPECT_TRUE(has(f.message, "chown through chown32 (nr 212)")) << f.message;
  // chmod, mount, getcwd, setns have the same name on i386 and are denied
  // there too: no route.
  EXPECT_FALSE(has(f.message, "chmod")) << f.message;
  EXPECT_FALSE(has(f.message, "mount")) << f.message;
  ASSERT_EQ(f.inputs.size(), 1U);
  EXPECT_EQ(f.inputs[0].arch, kAuditArchI386);
  EXPECT_EQ(f.inputs[0].nr, 212U);
  EXPECT_TRUE(has(f.fix, "SCMP_ARCH_X86")) << f.fix;
  EXPECT_TRUE(has(f.fix, "give chown32 the rules")) << f.fix;
}

TEST(CompatRoute, NamingTheCounterpartOrDroppingI386ClosesIt) {
  EXPECT_TRUE(of(audit_profile_text(deny_profile(R"("chown", "chown32")")), check::kCompatRoute).empty());
  // Only x86_64 (and x32) in the filter: i386 is killed as a bad arch.
  const Report r =
      audit_profile_text(deny_profile(R"("chown")", R"("architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X32"], )"));
  EXPECT_TRUE(of(r, check::kCompatRoute).empty()) << format_report(r);
}

TEST(CompatRoute, TimeAndUnmountSpellings) {
  const Report r = audit_profile_text(deny_profile(R"("clock_settime", "umount2", "setuid")"));
  const auto found = of(r, check::kCompatRoute);
  ASSERT_EQ(found.size(), 1U) << format_report(r);
  EXPECT_TRUE(has(found[0]->message, "clock_settime through clock_settime64 (nr 404)")) << found[0]->message;
  EXPECT_TRUE(has(found[0]->message, "umount2 through umount (nr 22)")) << found[0]->message;
  EXPECT_TRUE(has(found[0]->message, "setuid through setuid32 (nr 213)")) << found[0]->message;
  // i386's own clock_settime (the 32-bit-time call) is named: denied.
  EXPECT_FALSE(has(found[0]->message, "clock_settime (")) << found[0]->message;
  EXPECT_TRUE(of(audit_profile_text(deny_profile(R"("clock_settime", "clock_settime64", "umount2", "umount",
                                                    "setuid", "setuid32")")),
                 check::kCompatRoute)
                  .empty());
}

// A raw filter that denies socket and chown by number on x86_64 and i386
// alike, but lets socketcall and chown32 through on i386.
constexpr const char* kRawFilter =
    "  A = arch\n"
    "  if (A == ARCH_X86_64) goto x86_64\n"
    "  if (A == ARCH_I386) goto i386\n"
    "  return KILL_PROCESS\n"
    "x86_64:\n"
    "  A = sys_number\n"
    "  if (A >= 0x40000000) goto kill\n"
    "  if (A == 41) goto deny\n"  // socket
    "  if (A == 92) goto deny\n"  // chown
    "  return ALLOW\n"
    "i386:\n"
    "  A = sys_number\n"
    "  if (A == 359) goto deny\n"  // socket
    "  if (A == 182) goto deny\n"  // chown (16-bit uids)
    "  return ALLOW\n"
    "deny:\n"
    "  return ERRNO(1)\n"
    "kill:\n"
    "  return KILL_PROCESS\n";

TEST(CompatRoute, RawFilterThroughSocketcallAndChown32) {
  const Audited a = audit_asm(kRawFilter);
  const auto found = of(a.report, check::kCompatRoute);
  ASSERT_EQ(found.size(), 1U) << format_report(a.report);
  const Finding& f = *found[0];
  EXPECT_TRUE(has(f.message, "socket through socketcall(SYS_SOCKET) (nr 102)")) << f.message;
  EXPECT_TRUE(has(f.message, "chown through chown32 (nr 212)")) << f.message;
  EXPECT_TRUE(has(f.message, "see multiplex-bypass")) << f.message;
  ASSERT_EQ(f.inputs.size(), 1U);
  auto got = bpf::run(a.program, f.inputs[0], Endian::kLittle);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->action(), Action::Allow());
  EXPECT_EQ(f.inputs[0].arch, kAuditArchI386);
}

TEST(CompatRoute, RawFilterWithTheCompatAbiKilledHasNone) {
  std::string text = kRawFilter;
  text.replace(text.find("if (A == ARCH_I386) goto i386"), 29, "if (A == ARCH_I386) goto kill");
  const Audited a = audit_asm(text);
  EXPECT_TRUE(of(a.report, check::kCompatRoute).empty()) << format_report(a.report);
}

TEST(CompatRoute, LooserOnTheCompatAbiIsMedium) {
  // x86_64 allows chown only for uid 0 (arg1 == 0); i386 chown32 every call.
  const Audited a = audit_asm(
      "  A = arch\n"
      "  if (A == ARCH_X86_64) goto x86_64\n"
      "  if (A == ARCH_I386) goto i386\n"
      "  return KILL_PROCESS\n"
      "x86_64:\n"
      "  A = sys_number\n"
      "  if (A >= 0x40000000) goto kill\n"
      "  if (A != 92) goto allow\n"
      "  A = args[1]\n"
      "  if (A == 0) goto allow\n"
      "  return ERRNO(1)\n"
      "i386:\n"
      "  A = sys_number\n"
      "  if (A == 182) goto deny\n"
      "allow:\n"
      "  return ALLOW\n"
      "deny:\n"
      "  return ERRNO(1)\n"
      "kill:\n"
      "  return KILL_PROCESS\n");
  const auto found = of(a.report, check::kCompatRoute);
  ASSERT_EQ(found.size(), 1U) << format_report(a.report);
  EXPECT_EQ(found[0]->severity, Severity::kMedium);
  EXPECT_TRUE(has(found[0]->message, "only for some arguments: chown through chown32 (nr 212)")) << found[0]->message;
}

TEST(CompatRoute, MultiplexBypassKeepsTheConditionalSocketRules) {
  // socket allowed natively except AF_ALG: a conditional rule, which
  // socketcall cannot check — multiplex-bypass's, not compat-route's.
  const Report r = audit_profile_text(R"({"defaultAction": "SCMP_ACT_ALLOW",
      "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"], "syscalls": [
      {"names": ["socket"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": 38, "op": "SCMP_CMP_EQ"}]}]})");
  EXPECT_EQ(of(r, check::kMultiplexBypass).size(), 1U) << format_report(r);
  EXPECT_TRUE(of(r, check::kCompatRoute).empty()) << format_report(r);
}

constexpr std::string_view kArm = R"("architectures": ["SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"], )";

TEST(CompatOnly, ArmCallsAarch64HasNoneOf) {
  // On aarch64 with arm: ustat (seed-blocked) and cacheflush exist only on arm.
  const Report r = audit_profile_text(R"({"defaultAction": "SCMP_ACT_ERRNO", )" + std::string(kArm) + R"("syscalls": [
      {"names": ["read", "ustat", "cacheflush"], "action": "SCMP_ACT_ALLOW"}]})",
                                      ArchId::kAarch64);
  const auto found = of(r, check::kCompatOnly);
  ASSERT_EQ(found.size(), 1U) << format_report(r);
  EXPECT_EQ(found[0]->severity, Severity::kMedium);
  EXPECT_TRUE(has(found[0]->message, "on arm (AArch32 EL0")) << found[0]->message;
  EXPECT_TRUE(has(found[0]->message, "ustat (nr 62)")) << found[0]->message;
  EXPECT_TRUE(has(found[0]->message, "cacheflush")) << found[0]->message;
  ASSERT_EQ(found[0]->inputs.size(), 1U);
  EXPECT_EQ(found[0]->inputs[0].nr, 62U);
  // Without ustat only ARM's own cache/TLS call is left: information.
  const Report info =
      audit_profile_text(R"({"defaultAction": "SCMP_ACT_ERRNO", )" + std::string(kArm) + R"("syscalls": [
      {"names": ["read", "cacheflush"], "action": "SCMP_ACT_ALLOW"}]})",
                         ArchId::kAarch64);
  const auto i = of(info, check::kCompatOnly);
  ASSERT_EQ(i.size(), 1U) << format_report(info);
  EXPECT_EQ(i[0]->severity, Severity::kInfo);
  // Neither allowed: nothing.
  const Report none =
      audit_profile_text(R"({"defaultAction": "SCMP_ACT_ERRNO", )" + std::string(kArm) + R"("syscalls": [
      {"names": ["read"], "action": "SCMP_ACT_ALLOW"}]})",
                         ArchId::kAarch64);
  EXPECT_TRUE(of(none, check::kCompatOnly).empty()) << format_report(none);
}

TEST(CompatOnly, MipsO32IndirectSyscallIsLow) {
  // o32's syscall(2) (nr 4000) has no n64 counterpart and is in no table
  // of Docker's: low.
  const Report r = audit_profile_text(R"({"defaultAction": "SCMP_ACT_ERRNO",
      "architectures": ["SCMP_ARCH_MIPS64", "SCMP_ARCH_MIPS"], "syscalls": [
      {"names": ["read", "syscall"], "action": "SCMP_ACT_ALLOW"}]})",
                                      ArchId::kMips64);
  const auto found = of(r, check::kCompatOnly);
  ASSERT_EQ(found.size(), 1U) << format_report(r);
  EXPECT_EQ(found[0]->severity, Severity::kLow);
  EXPECT_TRUE(has(found[0]->message, "on mips (o32")) << found[0]->message;
  EXPECT_TRUE(has(found[0]->message, "syscall (nr 4000)")) << found[0]->message;
  ASSERT_EQ(found[0]->inputs.size(), 1U);
  EXPECT_EQ(found[0]->inputs[0].nr, 4000U);
}

TEST(CompatRoute, ForkIsNoLooserThanACloneRuleOnFlags) {
  // aarch64 allows clone only without CLONE_NEWUSER; arm's fork and vfork
  // pass fixed flags, so they are no route (Docker's default has this shape).
  const Report r = audit_profile_text(R"({"defaultAction": "SCMP_ACT_ERRNO",
      "architectures": ["SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"], "syscalls": [
      {"names": ["fork", "vfork", "read"], "action": "SCMP_ACT_ALLOW"},
      {"names": ["clone"], "action": "SCMP_ACT_ALLOW",
       "args": [{"index": 0, "value": 268435456, "valueTwo": 0, "op": "SCMP_CMP_MASKED_EQ"}]}]})",
                                      ArchId::kAarch64);
  EXPECT_TRUE(of(r, check::kCompatRoute).empty()) << format_report(r);
}

TEST(CompatOnly, I386LegacyCallsAreSpellingsNotCompatOnly) {
  // Default ALLOW on x86_64 + i386: every i386-only name is either a
  // spelling of an x86_64 call (allowed there too), a multiplexer or
  // unimplemented under a 64-bit kernel (vm86): nothing to report.
  const Report r = audit_profile_text(deny_profile(R"("getcwd")"));
  EXPECT_TRUE(of(r, check::kCompatOnly).empty()) << format_report(r);
}

}  // namespace
}  // namespace sysfence::audit

namespace sysfence::audit {
namespace {

// multiplex-bypass on a raw filter. i386 numbers from syscall_32.tbl:
// socketcall 102, ipc 117, socket 359, shmat 397; SYS_SOCKET 1, SHMAT 21,
// SHM_EXEC 0x8000 (include/uapi/linux/net.h, ipc.h, shm.h). `socketcall`
// and `ipc` are spliced in as each case needs.
std::string i386_conditional(const std::string& multiplexers) {
  return "  A = arch\n"
         "  if (A == ARCH_X86_64) goto allow\n"
         "  if (A != ARCH_I386) goto kill\n"
         "  A = sys_number\n" +
         multiplexers +
         "  if (A == 359) goto socket\n"
         "  if (A == 397) goto shmat\n"
         "  return ALLOW\n"
         "socket:\n"
         "  A = args[0]\n"
         "  if (A == 1) goto allow\n"
         "  return ERRNO(97)\n"
         "shmat:\n"
         "  A = args[2]\n"
         "  if (A & 0x8000) goto deny\n"
         "allow:\n"
         "  return ALLOW\n"
         "deny:\n"
         "  return ERRNO(1)\n"
         "kill:\n"
         "  return KILL_PROCESS\n";
}

Action answer(const bpf::Program& p, const SeccompData& d) {
  auto r = bpf::run(p, d, Endian::kLittle);
  EXPECT_TRUE(r);
  return r ? r->action() : Action::KillProcess();
}

TEST(MultiplexBypass, RawFilterSocketcallAndIpcGetPastConditionalRules) {
  const Audited a = audit_asm(i386_conditional(""));
  const auto found = of(a.report, "multiplex-bypass");
  ASSERT_EQ(found.size(), 2U) << format_report(a.report);
  for (const Finding* f : found) {
    EXPECT_EQ(f->severity, Severity::kMedium);
    ASSERT_EQ(f->inputs.size(), 2U);
    // The multiplexed call is allowed, the direct one with the example's
    // arguments is not: the interpreter agrees with the finding.
    EXPECT_EQ(f->inputs[0].arch, kAuditArchI386);
    EXPECT_EQ(answer(a.program, f->inputs[0]), Action::Allow()) << f->message;
    EXPECT_NE(answer(a.program, f->inputs[1]), Action::Allow()) << f->message;
  }
  const bool socketcall = std::any_of(found.begin(), found.end(), [](const Finding* f) {
    return f->inputs[0].nr == 102 && f->inputs[0].args[0] == 1 && f->inputs[1].nr == 359 &&
           has(f->message, "socket (ERRNO(97) for some arguments; every socketcall(SYS_SOCKET, ...) ALLOW)");
  });
  const bool ipc = std::any_of(found.begin(), found.end(), [](const Finding* f) {
    return f->inputs[0].nr == 117 && f->inputs[0].args[0] == 21 && f->inputs[1].nr == 397 &&
           (f->inputs[1].args[2] & 0x8000) != 0 && has(f->message, "shmat (ERRNO(1) for some arguments");
  });
  EXPECT_TRUE(socketcall) << format_report(a.report);
  EXPECT_TRUE(ipc) << format_report(a.report);
}

TEST(MultiplexBypass, NoneWhenTheMultiplexerIsAsStrict) {
  // socketcall and ipc denied: nothing gets past the rules.
  const Audited closed = audit_asm(i386_conditional("  if (A == 102) goto deny\n  if (A == 117) goto deny\n"));
  EXPECT_TRUE(of(closed.report, "multiplex-bypass").empty()) << format_report(closed.report);
  // socketcall(SYS_SOCKET) answered by its own rule as strictly as the
  // strictest socket answer.
  const Audited own_rule = audit_asm(
      i386_conditional("  if (A == 102) goto mux\n  if (A == 117) goto deny\n  goto direct\nmux:\n  A = args[0]\n"
                       "  if (A == 1) goto deny\n  return ALLOW\ndirect:\n  A = sys_number\n"));
  EXPECT_TRUE(of(own_rule.report, "multiplex-bypass").empty()) << format_report(own_rule.report);
}

}  // namespace
}  // namespace sysfence::audit
