// audit_profile: the profile's own findings (constants wider than the
// argument, defaultAction) and the compiled program's, each naming the rule
// that decides its example input; Docker's default profile in both width
// modes.
#include "audit/profile_audit.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "audit/program_audit.h"
#include "bpf/asm.h"
#include "profile/builtin.h"
#include "profile/caps.h"
#include "profile/reader.h"
#include "profile/resolve.h"
#include "syscalls/arch.h"
#include "syscalls/table.h"

namespace sysfence::audit {
namespace {

using syscalls::ArchId;

struct Audited {
  profile::Resolution resolution;
  Report report;
};

Audited audit_profile_text(std::string_view text, std::string_view name, const profile::ResolveOptions& o) {
  auto read = text.empty() ? profile::read_builtin_default() : profile::read_profile(text, name);
  EXPECT_TRUE(read) << read.error().message;
  auto r = profile::resolve(read->profile, o);
  EXPECT_TRUE(r) << r.error().message;
  ProfileAuditOptions po;
  po.native = &syscalls::arch(o.native);
  po.arg_width = o.arg_width;
  auto report = audit_profile(read->profile, *r, po);
  EXPECT_TRUE(report) << report.error().message;
  return {std::move(*r), std::move(*report)};
}

profile::ResolveOptions options(profile::ArgWidthMode mode = profile::ArgWidthMode::kAbi,
                                profile::CapSet caps = profile::docker_default_caps()) {
  profile::ResolveOptions o;
  o.native = ArchId::kX86_64;
  o.caps = std::move(caps);
  o.kernel = {6, 18};
  o.arg_width = mode;
  return o;
}

std::vector<const Finding*> findings(const Report& r, std::string_view check) {
  std::vector<const Finding*> out;
  for (const Finding& f : r.findings)
    if (f.check == check) out.push_back(&f);
  return out;
}

bool contains(const std::string& s, std::string_view part) { return s.find(part) != std::string::npos; }

TEST(ProfileAudit, DockerDefaultHasNothingAtOrAboveHighInAbiMode) {
  const Audited a = audit_profile_text("", "default", options());
  EXPECT_FALSE(has_finding_at_or_above(a.report, Severity::kHigh)) << format_report(a.report);
  // ptrace is allowed on kernels >= 4.8, and the audit says which rule does it.
  const auto ptrace = findings(a.report, check::kPtrace);
  ASSERT_EQ(ptrace.size(), 1u) << format_report(a.report);
  EXPECT_TRUE(contains(ptrace[0]->where, "rule default:")) << ptrace[0]->where;
  EXPECT_TRUE(contains(a.report.scope.at(0), "--arg-width=abi")) << a.report.scope[0];
  EXPECT_TRUE(findings(a.report, check::kConstantWidth).empty());
}

TEST(ProfileAudit, DockerDefaultInSixtyFourBitModeHasTheSocketBypass) {
  const Audited a = audit_profile_text("", "default", options(profile::ArgWidthMode::k64));
  std::vector<std::string> abis;
  for (const Finding* f : findings(a.report, check::kArgWidth)) {
    if (f->severity != Severity::kHigh) continue;
    EXPECT_TRUE(contains(f->message, "socket on ")) << f->message;
    EXPECT_TRUE(contains(f->message, "socket(0x100000026, 0, 0) is answered ALLOW")) << f->message;
    EXPECT_TRUE(contains(f->where, "rule default:")) << f->where;
    ASSERT_EQ(f->inputs.size(), 2u);
    // The profile, evaluated as resolved (64-bit), agrees with the finding.
    EXPECT_EQ(policy::evaluate(a.resolution.policy, f->inputs[0]).action, Action::Allow());
    EXPECT_EQ(policy::evaluate(a.resolution.policy, f->inputs[1]).action, Action::Errno(1));
    abis.push_back(f->message.substr(10, f->message.find(':') - 10));
  }
  std::sort(abis.begin(), abis.end());
  // Only x86_64: on i386 and x32 the 64-bit mode compares the low word, as
  // libseccomp does on the ABIs it builds as 32-bit.
  EXPECT_EQ(abis, (std::vector<std::string>{"x86_64"})) << format_report(a.report);
  EXPECT_TRUE(has_finding_at_or_above(a.report, Severity::kHigh));
}

TEST(ProfileAudit, ConstantsWiderThanTheArgument) {
  const Audited a = audit_profile_text(R"({
  "defaultAction": "SCMP_ACT_ERRNO",
  "syscalls": [
    {"names": ["socket"], "action": "SCMP_ACT_ALLOW",
     "args": [{"index": 0, "value": 4294967334, "op": "SCMP_CMP_NE"}]},
    {"names": ["exit_group"], "action": "SCMP_ACT_ALLOW"}
  ]
})",
                                       "wide.json", options());
  const auto wide = findings(a.report, check::kConstantWidth);
  ASSERT_EQ(wide.size(), 1u) << format_report(a.report);
  EXPECT_EQ(wide[0]->severity, Severity::kMedium);
  EXPECT_TRUE(contains(wide[0]->message, "wide.json:5:")) << wide[0]->message;
  EXPECT_TRUE(contains(wide[0]->message, "constant 0x100000026 does not fit")) << wide[0]->message;
  EXPECT_EQ(wide[0]->where, "rule wide.json:4 (syscalls[0])");
  // Docker's own profile has none.
  EXPECT_TRUE(findings(audit_profile_text("", "default", options()).report, check::kConstantWidth).empty());
}

constexpr std::string_view kDenylist = R"({
  "defaultAction": "SCMP_ACT_ALLOW",
  "syscalls": [
    {"names": ["mount", "ptrace"], "action": "SCMP_ACT_ERRNO"}
  ]
})";

// A misspelled excludes value keeps the rule its author meant to lift
// (medium); a misspelled includes value only loses the entry (low).
TEST(ProfileAudit, FilterValuesThatNeverMatch) {
  const auto text = R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
  {"names": ["mount"], "action": "SCMP_ACT_ERRNO", "excludes": {"caps": ["CAP_SYS_ADMN"]}},
  {"names": ["chroot"], "action": "SCMP_ACT_ERRNO", "includes": {"arches": ["amd46"]}}]})";
  const Audited a = audit_profile_text(text, "f.json", options());
  const auto values = findings(a.report, check::kFilterValue);
  ASSERT_EQ(values.size(), 2u) << format_report(a.report);
  EXPECT_EQ(values[0]->severity, Severity::kMedium);
  EXPECT_TRUE(contains(values[0]->message, "excludes.caps: no kernel has capability \"CAP_SYS_ADMN\""))
      << values[0]->message;
  EXPECT_EQ(values[1]->severity, Severity::kLow);
  EXPECT_TRUE(contains(values[1]->message, "includes.arches: moby has no machine \"amd46\"")) << values[1]->message;
  EXPECT_TRUE(findings(audit_profile_text("", "default", options()).report, check::kFilterValue).empty());
}

TEST(ProfileAudit, MaskedDatumBitsOutsideTheMaskAndUnknownNames) {
  const auto text =
      "{\"defaultAction\": \"SCMP_ACT_ERRNO\",\n"
      "\"syscalls\": [\n"
      "  {\"names\": [\"read\", \"getrandon\"], \"action\": \"SCMP_ACT_ALLOW\"},\n"
      "  {\"names\": [\"personality\"], \"action\": \"SCMP_ACT_ALLOW\", \"args\": [\n"
      "    {\"index\": 0, \"value\": 255, \"valueTwo\": 511, \"op\": \"SCMP_CMP_MASKED_EQ\"}]}]}";
  const Audited a = audit_profile_text(text, "p.json", options());
  const auto masked = findings(a.report, check::kMaskedDatum);
  ASSERT_EQ(masked.size(), 1u) << format_report(a.report);
  EXPECT_EQ(masked[0]->severity, Severity::kLow);
  EXPECT_TRUE(contains(masked[0]->message, "p.json:5:5: syscalls[1]: personality argument 0")) << masked[0]->message;
  EXPECT_EQ(masked[0]->fix, "use datum & mask: valueTwo 0xff");
  EXPECT_EQ(masked[0]->where, "rule p.json:4 (syscalls[1])");
  const auto unknown = findings(a.report, check::kUnknownSyscall);
  ASSERT_EQ(unknown.size(), 1u) << format_report(a.report);
  EXPECT_EQ(unknown[0]->severity, Severity::kLow);
  EXPECT_TRUE(contains(unknown[0]->message, "unknown syscall \"getrandon\"")) << unknown[0]->message;
  EXPECT_EQ(unknown[0]->fix, "spell it getrandom");
  // Docker's default profile has neither.
  const Audited d = audit_profile_text("", "default", options());
  EXPECT_TRUE(findings(d.report, check::kMaskedDatum).empty());
  EXPECT_TRUE(findings(d.report, check::kUnknownSyscall).empty());
}

TEST(ProfileAudit, DefaultAllowComesFromTheProfile) {
  const Audited a = audit_profile_text(kDenylist, "deny.json", options());
  const auto def = findings(a.report, check::kDefaultAllow);
  ASSERT_EQ(def.size(), 1u) << format_report(a.report);  // not a second one from the program
  EXPECT_EQ(def[0]->severity, Severity::kHigh);
  EXPECT_EQ(def[0]->where, "deny.json: defaultAction");
  EXPECT_TRUE(contains(def[0]->message, "defaultAction is ALLOW")) << def[0]->message;
  // The documented blocked syscalls it lets through by default: one grouped finding.
  const auto seed = findings(a.report, check::kSeedBlocked);
  ASSERT_EQ(seed.size(), 1u) << format_report(a.report);
  EXPECT_TRUE(contains(seed[0]->message, "with the default action allowing on x86_64")) << seed[0]->message;
  // Both sit where the profile writes its defaultAction (line 2, its value
  // at column 20), as does a finding whose example input the default decides.
  for (const Finding* f : {def[0], seed[0]}) {
    ASSERT_TRUE(f->location.has_value()) << f->check;
    EXPECT_EQ(f->location->file, "deny.json");
    EXPECT_EQ(f->location->line, 2u) << f->check;
    EXPECT_EQ(f->location->col, 20u) << f->check;
  }
  const auto personality = findings(a.report, check::kPersonality);
  ASSERT_FALSE(personality.empty()) << format_report(a.report);
  ASSERT_TRUE(personality[0]->location.has_value());
  EXPECT_EQ(personality[0]->location->line, 2u);
  EXPECT_EQ(personality[0]->location->col, 20u);
  // ptrace is denied on x86_64; the profile has no x32, so x32 numbers get
  // the bad-arch action and nothing leaks there.
  EXPECT_TRUE(findings(a.report, check::kX32).empty()) << format_report(a.report);
  EXPECT_TRUE(findings(a.report, check::kPtrace).empty()) << format_report(a.report);
}

TEST(ProfileAudit, ProgramThatAllowsX32AgainstAProfileWithoutIt) {
  // The profile (x86_64 only) against a program that lets x32 numbers through.
  auto read = profile::read_profile(kDenylist, "deny.json");
  ASSERT_TRUE(read);
  auto r = profile::resolve(read->profile, options());
  ASSERT_TRUE(r);
  ASSERT_EQ(r->policy.find(ArchId::kX32), nullptr);
  bpf::AsmOptions ao;
  ao.arch = &syscalls::arch(ArchId::kX86_64);
  auto prog = bpf::assemble(
      "  A = arch\n"
      "  if (A != ARCH_X86_64) goto kill\n"
      "  A = sys_number\n"
      "  if (A == mount) goto deny\n"
      "  if (A == ptrace) goto deny\n"
      "  return ALLOW\n"
      "deny:\n"
      "  return ERRNO(1)\n"
      "kill:\n"
      "  return KILL_PROCESS\n",
      ao);
  ASSERT_TRUE(prog) << prog.error().message;
  ProgramAuditOptions po;
  po.arch = ao.arch;
  po.intent = &r->policy;
  auto report = audit_program(prog->program, po);
  ASSERT_TRUE(report);
  const auto x32 = findings(*report, check::kX32);
  ASSERT_EQ(x32.size(), 1u) << format_report(*report);
  EXPECT_TRUE(contains(x32[0]->message, "although the profile does not list SCMP_ARCH_X32")) << x32[0]->message;
  EXPECT_TRUE(contains(x32[0]->where, "the bad-arch action")) << x32[0]->where;
}

TEST(ProfileAudit, NoEnosysNamesTheDefaultAction) {
  profile::ResolveOptions o = options();
  o.unknown_syscalls = profile::UnknownSyscalls::kDefault;
  const Audited a = audit_profile_text("", "default", o);
  const auto f = findings(a.report, check::kNoEnosys);
  ASSERT_FALSE(f.empty()) << format_report(a.report);
  EXPECT_TRUE(contains(f[0]->where, "the profile's defaultAction")) << f[0]->where;
  EXPECT_TRUE(findings(audit_profile_text("", "default", options()).report, check::kNoEnosys).empty());
}

TEST(ProfileAudit, CapSysAdminOpensNamespaces) {
  profile::CapSet caps = profile::docker_default_caps();
  caps.insert("CAP_SYS_ADMIN");
  const Audited a = audit_profile_text("", "default", options(profile::ArgWidthMode::kAbi, caps));
  EXPECT_FALSE(findings(a.report, check::kCloneNamespaces).empty()) << format_report(a.report);
  EXPECT_FALSE(findings(a.report, check::kUnshare).empty()) << format_report(a.report);
  for (const Finding* f : findings(a.report, check::kUnshare))
    EXPECT_TRUE(contains(f->where, "rule default:")) << f->where;
}

}  // namespace
}  // namespace sysfence::audit
