// `--kernel X.Y` is the target's kernel for the actions too, end to end on
// the built binary: a profile whose action the target lacks fails with exit
// 2 and the profile line, --downgrade-actions maps it and the outputs record
// the mapping, sysfence's default bad-arch action quietly becomes
// KILL_THREAD before 4.14.
#include <gtest/gtest.h>

#include <string>

#include "test/cli_runner.h"

namespace sysfence {
namespace {

using cli_runner::run_sysfence;
using cli_runner::tmp_path;
using cli_runner::write_file;

bool contains(const std::string& s, std::string_view part) { return s.find(part) != std::string::npos; }

// defaultAction on line 2, the LOG rule's entry on line 4.
constexpr std::string_view kLogDefault = R"({
  "defaultAction": "SCMP_ACT_LOG",
  "syscalls": [
    {"names": ["getppid"], "action": "SCMP_ACT_ERRNO"}
  ]
}
)";
constexpr std::string_view kRules = R"({
  "defaultAction": "SCMP_ACT_ALLOW",
  "syscalls": [
    {"names": ["getppid"], "action": "SCMP_ACT_ERRNO"},
    {"names": ["getuid"], "action": "SCMP_ACT_KILL_PROCESS"}
  ]
}
)";

std::string profile(std::string_view name, std::string_view text) {
  const std::string path = tmp_path(name);
  write_file(path, text);
  return path;
}

TEST(TargetKernelCli, ADefaultActionTheTargetLacksFailsWithExit2AndTheFix) {
  const std::string p = profile("log.json", kLogDefault);
  const auto r = run_sysfence({"compile", p, "--kernel", "3.18", "--arch", "arm", "--format", "c"});
  EXPECT_EQ(r.exit_code, 2) << r.describe();
  EXPECT_TRUE(r.out.empty()) << r.describe();
  EXPECT_TRUE(contains(r.err, p + ":2:20: defaultAction SCMP_ACT_LOG needs Linux 4.14; the target kernel is 3.18"))
      << r.describe();
  EXPECT_TRUE(contains(r.err, "--downgrade-actions log=allow")) << r.describe();
}

TEST(TargetKernelCli, ARuleTheTargetLacksNamesItsLine) {
  const std::string p = profile("rules.json", kRules);
  const auto r = run_sysfence({"compile", p, "--kernel", "4.13", "--arch", "arm", "-o", "/dev/null"});
  EXPECT_EQ(r.exit_code, 2) << r.describe();
  EXPECT_TRUE(contains(r.err, p + ":5: SCMP_ACT_KILL_PROCESS needs Linux 4.14")) << r.describe();
}

TEST(TargetKernelCli, TheDowngradeIsAppliedAndRecordedInTheHeader) {
  const std::string p = profile("log.json", kLogDefault);
  const auto r = run_sysfence(
      {"compile", p, "--kernel", "3.18", "--arch", "arm", "--format", "c", "--downgrade-actions", "log=allow"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  const std::string header = r.out.substr(0, r.out.find("*/"));
  EXPECT_TRUE(contains(header, "SCMP_ACT_LOG -> SCMP_ACT_ALLOW")) << header;
  EXPECT_TRUE(contains(header, "3.18")) << header;
  // The filter itself no longer returns LOG (0x7ffc0000) anywhere.
  EXPECT_FALSE(contains(r.out, "0x7ffc0000")) << r.out;
  EXPECT_TRUE(contains(r.out, "0x7fff0000")) << r.out;
}

TEST(TargetKernelCli, TheJsonOutputHasTheMapping) {
  const std::string p = profile("rules.json", kRules);
  const auto r = run_sysfence({"compile", p, "--kernel", "3.18", "--arch", "arm", "--format", "json",
                               "--downgrade-actions", "kill-process=kill-thread"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_TRUE(contains(r.out, R"("target_kernel": {"kernel": "3.18", "downgrades": ["SCMP_ACT_KILL_PROCESS -> )"
                              R"(SCMP_ACT_KILL_THREAD"]})"))
      << r.out;
}

TEST(TargetKernelCli, DockersDefaultOn413GetsAKillThreadBadArchWithANote) {
  // Docker's default profile itself uses no action newer than 3.5; only
  // sysfence's default bad-arch action (KILL_PROCESS) needs 4.14.
  const auto old = run_sysfence({"compile", "default", "--kernel", "4.13", "--arch", "x86_64", "--format", "json"});
  ASSERT_EQ(old.exit_code, 0) << old.describe();
  EXPECT_TRUE(contains(old.out, R"("bad_arch_action": "KILL_THREAD")")) << old.out.substr(0, 4000);
  EXPECT_TRUE(contains(old.out, "the bad-arch action is SCMP_ACT_KILL_THREAD")) << old.out.substr(0, 4000);
  EXPECT_FALSE(contains(old.out, "target_kernel")) << "nothing the user wrote was mapped";

  const auto current = run_sysfence({"compile", "default", "--kernel", "4.14", "--arch", "x86_64", "--format", "json"});
  ASSERT_EQ(current.exit_code, 0) << current.describe();
  EXPECT_TRUE(contains(current.out, R"("bad_arch_action": "KILL_PROCESS")")) << current.out.substr(0, 4000);

  const auto chosen =
      run_sysfence({"compile", "default", "--kernel", "4.13", "--bad-arch", "kill-process", "-o", "/dev/null"});
  EXPECT_EQ(chosen.exit_code, 2) << chosen.describe();
  EXPECT_TRUE(contains(chosen.err, "the bad-arch action SCMP_ACT_KILL_PROCESS needs Linux 4.14")) << chosen.describe();
}

TEST(TargetKernelCli, ABadDowngradeSpecIsABadValue) {
  const std::string p = profile("rules.json", kRules);
  for (const char* spec : {"log", "log=loud", "loud=allow", "log=allow,log=errno"}) {
    const auto r = run_sysfence({"compile", p, "--downgrade-actions", spec, "-o", "/dev/null"});
    EXPECT_EQ(r.exit_code, 2) << spec << ": " << r.describe();
    EXPECT_TRUE(contains(r.err, "invalid --downgrade-actions")) << spec << ": " << r.describe();
  }
}

}  // namespace
}  // namespace sysfence
