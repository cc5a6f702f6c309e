// The shared chain (pipeline/pipeline.h): each stage alone, run() stopping
// where asked, failures naming their stage and keeping the diagnostics
// gathered before them, and the compiled filter deciding as the kernel
// would (checked in the interpreter against facts of Docker's profile, not
// against the pipeline's own policy).
#include "pipeline/pipeline.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>

#include <cerrno>
#include <string>
#include <vector>

#include "base/seccomp.h"
#include "bpf/insn.h"
#include "bpf/interp.h"
#include "profile/caps.h"
#include "syscalls/arch.h"
#include "syscalls/table.h"

namespace sysfence::pipeline {
namespace {

using syscalls::ArchId;

// An unknown top-level field (a strict finding) and a condition whose
// constant does not fit socket's 32-bit family argument (a width warning).
constexpr std::string_view kFindingAndWarning = R"({"defaultAction": "SCMP_ACT_ALLOW", "bogus": 1,
 "syscalls": [{"names": ["socket"], "action": "SCMP_ACT_ERRNO",
               "args": [{"index": 0, "value": 4294967334, "op": "SCMP_CMP_EQ"}]}]})";

Request docker_default_for(ArchId native) {
  Request r;
  r.resolve.native = native;
  r.resolve.caps = profile::docker_default_caps();
  r.resolve.kernel = {6, 1};
  return r;
}

Request in_memory(std::string_view text) {
  Request r = docker_default_for(ArchId::kX86_64);
  r.profile = "mem.json";
  r.text = text;
  return r;
}

Action decide(const bpf::Program& program, ArchId abi, std::string_view syscall) {
  const syscalls::Arch& arch = syscalls::arch(abi);
  SeccompData d;
  d.arch = arch.audit_arch;
  d.nr = syscalls::table(abi).number(syscall).value();
  auto interp = bpf::Interpreter::create(program);
  EXPECT_TRUE(interp) << interp.error().message;
  return interp->run(d, arch.endian).action();
}

std::vector<ArchId> abis_of(const policy::Policy& policy) {
  std::vector<ArchId> out;
  for (const policy::ArchPolicy& ap : policy.arches) out.push_back(ap.arch);
  return out;
}

TEST(Load, BuiltInFileOrMemory) {
  auto builtin = load(Request{});
  ASSERT_TRUE(builtin) << builtin.error().message;
  EXPECT_EQ(builtin->profile.source, "default");
  auto mem = load(in_memory(R"({"defaultAction": "SCMP_ACT_ALLOW"})"));
  ASSERT_TRUE(mem) << mem.error().message;
  EXPECT_EQ(mem->profile.source, "mem.json");
  Request missing;
  missing.profile = "/nonexistent/p.json";
  auto e = load(missing);
  ASSERT_FALSE(e);
  EXPECT_NE(e.error().message.find("/nonexistent/p.json"), std::string::npos) << e.error().message;
}

TEST(Run, TheWholeChainGivesAProvedFilterThatDecidesAsDockerSays) {
  auto built = run(docker_default_for(ArchId::kX86_64));
  ASSERT_TRUE(built) << built.error().message;
  ASSERT_TRUE(built->compiled && built->proof);
  EXPECT_TRUE(built->proof->equivalent()) << verify::format_verification(*built->proof);
  EXPECT_EQ(abis_of(built->resolution.policy), (std::vector<ArchId>{ArchId::kX86_64, ArchId::kI386, ArchId::kX32}));
  const bpf::Program& p = built->compiled->program;
  EXPECT_EQ(decide(p, ArchId::kX86_64, "read"), Action::Allow());
  EXPECT_EQ(decide(p, ArchId::kX86_64, "reboot"), Action::Errno(EPERM));  // needs CAP_SYS_BOOT
  EXPECT_EQ(decide(p, ArchId::kI386, "read"), Action::Allow());
  EXPECT_TRUE(built->diagnostics.strict_findings.empty());
  EXPECT_TRUE(built->diagnostics.warnings.empty());
}

TEST(Run, StopsAtTheLastStageAsked) {
  Request r = docker_default_for(ArchId::kAarch64);
  r.last = Stage::kResolve;
  auto resolved = run(r);
  ASSERT_TRUE(resolved) << resolved.error().message;
  EXPECT_FALSE(resolved->compiled);
  EXPECT_FALSE(resolved->proof);
  EXPECT_EQ(abis_of(resolved->resolution.policy), (std::vector<ArchId>{ArchId::kAarch64, ArchId::kArm}));
  r.last = Stage::kCompile;
  auto compiled = run(r);
  ASSERT_TRUE(compiled) << compiled.error().message;
  EXPECT_TRUE(compiled->compiled);
  EXPECT_FALSE(compiled->proof);
}

TEST(RestrictAbis, KeepsOnlyTheListedAbis) {
  Request r = docker_default_for(ArchId::kX86_64);
  r.keep_abis = {ArchId::kI386, ArchId::kX86_64};
  auto built = run(r);
  ASSERT_TRUE(built) << built.error().message;
  EXPECT_EQ(abis_of(built->resolution.policy), (std::vector<ArchId>{ArchId::kX86_64, ArchId::kI386}));
  // x32 numbers now get the bad-arch action, in the real program too.
  EXPECT_EQ(decide(built->compiled->program, ArchId::kX32, "read"), Action::KillProcess());
  EXPECT_TRUE(built->proof->equivalent());
}

// Where the rule combination asked for (libseccomp's database) is not
// modelled, the filter answers otherwise than libseccomp's on some inputs:
// the commands print that among the warnings, not only in the JSON notes.
TEST(Run, AnUnmodelledRuleCombinationIsAmongTheWarnings) {
  // Ordered and masked comparisons whose libseccomp program the model does
  // not read back, overlapping with another action (as in
  // test/profile/rule_database_test.cc).
  constexpr std::string_view text = R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
  {"names": ["ioctl"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 1, "op": "SCMP_CMP_EQ", "value": 40982}]},
  {"names": ["ioctl"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "op": "SCMP_CMP_MASKED_EQ", "value": 65280,
   "valueTwo": 0}, {"index": 2, "op": "SCMP_CMP_EQ", "value": 463030}, {"index": 3, "op": "SCMP_CMP_GT", "value": 303465}]},
  {"names": ["ioctl"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13, "args": [{"index": 1, "op": "SCMP_CMP_EQ",
   "value": 291167}]},
  {"names": ["ioctl"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "op": "SCMP_CMP_EQ", "value": 897758}]},
  {"names": ["ioctl"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "op": "SCMP_CMP_EQ", "value": 1027749},
   {"index": 3, "op": "SCMP_CMP_MASKED_EQ", "value": 65280, "valueTwo": 0}]},
  {"names": ["ioctl"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 2, "op": "SCMP_CMP_GT", "value": 321836},
   {"index": 3, "op": "SCMP_CMP_EQ", "value": 1002313}]},
  {"names": ["ioctl"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "op": "SCMP_CMP_EQ", "value": 951699}]},
  {"names": ["ioctl"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 2, "op": "SCMP_CMP_EQ", "value": 357926}]},
  {"names": ["ioctl"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "op": "SCMP_CMP_GT", "value": 1010889}]}]})";
  auto contains = [](const std::vector<std::string>& lines, std::string_view what) {
    for (const std::string& l : lines)
      if (l.find(what) != std::string::npos) return true;
    return false;
  };
  Request r = in_memory(text);
  r.last = Stage::kResolve;
  r.resolve.arg_width = profile::ArgWidthMode::k64;
  r.resolve.combination = profile::RuleCombination::kLibseccompDatabase;
  auto lib = run(r);
  ASSERT_TRUE(lib) << lib.error().message;
  EXPECT_TRUE(contains(lib->diagnostics.warnings, "which sysfence does not model"));
  r.resolve.combination = profile::RuleCombination::kMostRestrictive;
  auto own = run(r);
  ASSERT_TRUE(own) << own.error().message;
  EXPECT_FALSE(contains(own->diagnostics.warnings, "which sysfence does not model"));
  EXPECT_TRUE(contains(own->diagnostics.warnings, "both match ioctl"));
}

TEST(Failure, NamesItsStageAndKeepsEarlierDiagnostics) {
  Request r = in_memory(kFindingAndWarning);
  r.keep_abis = {ArchId::kArm};  // not an ABI of an x86_64 filter
  auto built = run(r);
  ASSERT_FALSE(built);
  EXPECT_EQ(built.error().stage, Stage::kRestrictAbis);
  EXPECT_NE(built.error().message.find("arm"), std::string::npos) << built.error().message;
  ASSERT_EQ(built.error().diagnostics.strict_findings.size(), 1u);
  EXPECT_NE(built.error().diagnostics.strict_findings[0].find("bogus"), std::string::npos);
  ASSERT_FALSE(built.error().diagnostics.warnings.empty());
  EXPECT_NE(built.error().diagnostics.warnings[0].find("socket"), std::string::npos);

  auto disabled = run(in_memory(R"({"syscalls": []})"));  // no defaultAction: seccomp disabled
  ASSERT_FALSE(disabled);
  EXPECT_EQ(disabled.error().stage, Stage::kResolve);
}

TEST(Failure, StrictTurnsFindingsIntoALoadError) {
  Request r = in_memory(kFindingAndWarning);
  auto lenient = run(r);
  ASSERT_TRUE(lenient) << lenient.error().message;
  EXPECT_EQ(lenient->diagnostics.strict_findings.size(), 1u);
  r.read.strict = true;
  auto strict = run(r);
  ASSERT_FALSE(strict);
  EXPECT_EQ(strict.error().stage, Stage::kLoad);
  EXPECT_NE(strict.error().message.find("bogus"), std::string::npos) << strict.error().message;
}

TEST(Prove, FindsAProgramThatIsNotThePolicy) {
  auto built = run(docker_default_for(ArchId::kX86_64));
  ASSERT_TRUE(built) << built.error().message;
  const bpf::Program allow_all = {bpf::Insn{0x06, 0, 0, kRetAllow}};
  auto proof = prove(allow_all, built->resolution.policy, verify::EquivOptions{});
  ASSERT_TRUE(proof) << proof.error().message;
  EXPECT_FALSE(proof->equivalent());
}

TEST(DiagnosticLines, OneLineEachAsTheCliPrintsThem) {
  Diagnostics d;
  d.strict_findings = {"p.json:1:2: /bogus: unknown field \"bogus\" (ignored)"};
  d.warnings = {"p.json:3:4: a\nb"};
  EXPECT_EQ(diagnostic_lines(d), (std::vector<std::string>{
                                     "sysfence: warning: p.json:1:2: /bogus: unknown field \"bogus\" (ignored)",
                                     "sysfence: warning: p.json:3:4: a\\nb",
                                 }));
}

TEST(DiagnosticText, WarningsPastTheCapAreCountedInOneLine) {
  Diagnostics d;
  for (size_t i = 0; i < kMaxWarningLines + 40; ++i) d.warnings.push_back(fmt::format("p.json:{}:1: w", i + 1));
  const std::string text = diagnostic_text(d);
  EXPECT_EQ(static_cast<size_t>(std::count(text.begin(), text.end(), '\n')), kMaxWarningLines + 1);
  EXPECT_NE(text.find(fmt::format("p.json:{}:1: w\n", kMaxWarningLines)), std::string::npos);
  EXPECT_EQ(text.find(fmt::format("p.json:{}:1: w\n", kMaxWarningLines + 1)), std::string::npos);
  EXPECT_NE(text.find("sysfence: warning: 40 more warnings are not listed (only the first 256 are)\n"),
            std::string::npos);
  // The lines a library caller gets are all of them.
  EXPECT_EQ(diagnostic_lines(d).size(), kMaxWarningLines + 40);
}

// The resolver lists 256 unknown names and counts the rest in one line of
// its own: the line counting what the cap leaves out counts those names,
// not that one line.
TEST(DiagnosticText, UnknownNamesPastTheCapAreCountedOneEach) {
  for (const size_t names : {size_t{300}, size_t{1000}}) {
    std::string text = R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": [)";
    for (size_t i = 0; i < names; ++i) text += fmt::format("{}\"nosuchcall{}\"", i == 0 ? "" : ", ", i);
    text += R"(], "action": "SCMP_ACT_ALLOW"}]})";
    auto built = run(in_memory(text));
    ASSERT_TRUE(built) << built.error().message;
    const std::string shown = diagnostic_text(built->diagnostics);
    EXPECT_NE(shown.find(fmt::format("sysfence: warning: {} more warnings are not listed (only the first 256 are)\n",
                                     names - kMaxWarningLines)),
              std::string::npos)
        << names << " names:\n"
        << shown.substr(shown.size() > 400 ? shown.size() - 400 : 0);
    EXPECT_EQ(static_cast<size_t>(std::count(shown.begin(), shown.end(), '\n')), kMaxWarningLines + 1);
  }
  // Other warnings past the cap add one each to the names counted.
  Diagnostics d;
  for (size_t i = 0; i < kMaxWarningLines; ++i) d.warnings.push_back("unknown name");
  d.warnings.push_back("p.json:1:1: 44 more unknown syscall names from here on (only the first 256 are listed)");
  d.counting_lines = {{kMaxWarningLines, 44}};
  d.warnings.push_back("a width warning");
  EXPECT_NE(diagnostic_text(d).find("sysfence: warning: 45 more warnings are not listed (only the first 256 are)\n"),
            std::string::npos);
  // Listed in full, the counting line is a line like the others.
  EXPECT_EQ(diagnostic_lines(d).size(), kMaxWarningLines + 2);
}

TEST(DiagnosticText, TheLinesEachEndedByANewline) {
  Diagnostics d;
  EXPECT_EQ(diagnostic_text(d), "");
  d.strict_findings = {"p.json:1:2: /bogus: unknown field \"bogus\" (ignored)"};
  d.warnings = {"p.json:3:4: a\nb", "p.json:5:6: \x1b[2Jc"};
  EXPECT_EQ(diagnostic_text(d),
            "sysfence: warning: p.json:1:2: /bogus: unknown field \"bogus\" (ignored)\n"
            "sysfence: warning: p.json:3:4: a\\nb\n"
            "sysfence: warning: p.json:5:6: \\x1b[2Jc\n");
}

}  // namespace
}  // namespace sysfence::pipeline
