// `sysfence audit` and `--arg-width` end to end, on the built binary: exit
// codes (0 below --fail-on, 1 at or above, 2 bad input), the report, and
// the width flag and warning on the commands that resolve a profile.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "test/cli_runner.h"

namespace sysfence {
namespace {

std::string tmp(const std::string& name) { return cli_runner::tmp_path(name); }

void write(const std::string& path, const std::string& text) { cli_runner::write_file(path, text); }

// What the tests below read of a run.
struct CliRun {
  int code;
  std::string out;
  std::string err;
};

// `sysfence ARGS`, ARGS split at spaces; stdin from `options`.
CliRun run(const std::string& args, const cli_runner::Options& options = {}) {
  const cli_runner::Result r = cli_runner::run_sysfence(cli_runner::words(args), options);
  return {r.exit_code, r.out, r.err};
}

bool contains(const std::string& s, std::string_view part) { return s.find(part) != std::string::npos; }

constexpr std::string_view kDenylist =
    "  A = arch\n"
    "  if (A != ARCH_X86_64) goto kill\n"
    "  A = sys_number\n"
    "  if (A == ptrace) goto deny\n"
    "  return ALLOW\n"
    "deny:\n"
    "  return ERRNO(1)\n"
    "kill:\n"
    "  return KILL_PROCESS\n";

TEST(AuditCli, DefaultProfileIsBelowTheDefaultThreshold) {
  const CliRun r = run("audit default --arch x86_64 --kernel 6.18");
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_TRUE(contains(r.out, "audited profile default: resolved for x86_64 (x86_64+i386+x32)")) << r.out;
  EXPECT_TRUE(contains(r.out, "MEDIUM    ptrace")) << r.out;
  EXPECT_TRUE(contains(r.out, "fix: ")) << r.out;
  EXPECT_TRUE(r.err.empty()) << r.err;
  // A lower threshold turns the medium findings into a failure.
  EXPECT_EQ(run("audit default --arch x86_64 --kernel 6.18 --fail-on medium").code, 1);
}

// The findings that quote Docker's documentation say so, and what they say
// Docker's current default profile does agrees with `sysfence explain` on
// that profile: no finding on Docker's own profile claims that the profile
// blocks what it allows.
TEST(AuditCli, DocumentedReasonsAreAttributedAndAgreeWithExplain) {
  const std::string profile_dir = cli_runner::runfile("profile/data/");
  size_t checked = 0;
  for (const std::string& profile : {std::string("default"), profile_dir + "containers-common.json"}) {
    const CliRun r = run("audit " + profile + " --arch x86_64 --kernel 6.18");
    ASSERT_NE(r.code, 2) << r.err;
    std::istringstream lines(r.out);
    for (std::string line; std::getline(lines, line);) {
      const bool quotes_docs = contains(line, "Docker's documentation");
      const bool blocks = contains(line, "Docker's default profile blocks it");
      const bool allows = contains(line, "but the current default profile allows it");
      if (!quotes_docs) {
        EXPECT_FALSE(blocks || allows) << profile << ": " << line;
        continue;
      }
      EXPECT_NE(blocks, allows) << profile << ": " << line;
      // "SEVERITY  check-id  NAME is allowed ..." / "NAME may create namespaces ...".
      std::istringstream fields(line);
      std::string severity;
      std::string check;
      std::string name;
      fields >> severity >> check >> name;
      const CliRun explained = run("explain " + name + " --arch x86_64 --kernel 6.18");
      ASSERT_EQ(explained.code, 0) << name << ": " << explained.err;
      const bool explain_allows = contains(explained.out, "\ndecision: ALLOW\n");
      if (blocks) {
        EXPECT_FALSE(explain_allows) << profile << ": " << line << "\n" << explained.out;
      }
      if (allows && !contains(line, "for some arguments")) {
        EXPECT_TRUE(explain_allows) << profile << ": " << line << "\n" << explained.out;
      }
      if (profile == "default") {
        EXPECT_FALSE(blocks) << line;
      }
      ++checked;
    }
  }
  EXPECT_GE(checked, 10u);
}

TEST(AuditCli, SixtyFourBitComparisonsFail) {
  const CliRun r = run("audit default --arch x86_64 --kernel 6.18 --arg-width 64");
  EXPECT_EQ(r.code, 1) << r.out << r.err;
  EXPECT_TRUE(contains(r.out, "HIGH      arg-width")) << r.out;
  EXPECT_TRUE(contains(r.out, "socket(0x100000026, 0, 0) is answered ALLOW")) << r.out;
  EXPECT_EQ(run("audit default --arch x86_64 --kernel 6.18 --arg-width 64 --fail-on critical").code, 0);
}

TEST(AuditCli, RawFilters) {
  const std::string compiled = tmp("default.bpf");
  ASSERT_EQ(run(fmt::format("compile default --arch x86_64 --kernel 6.18 -o {}", compiled)).code, 0);
  const CliRun ok = run(fmt::format("audit --bpf {} --arch x86_64", compiled));
  EXPECT_EQ(ok.code, 0) << ok.out << ok.err;
  EXPECT_TRUE(contains(ok.out, "audited filter " + compiled)) << ok.out;

  const std::string src = tmp("deny.s");
  const std::string bin = tmp("deny.bpf");
  write(src, std::string(kDenylist));
  ASSERT_EQ(run(fmt::format("asm {} -o {}", src, bin)).code, 0);
  const CliRun bad = run(fmt::format("audit --bpf {}", bin));
  EXPECT_EQ(bad.code, 1) << bad.out << bad.err;
  EXPECT_TRUE(contains(bad.out, "CRITICAL  x32")) << bad.out;
  EXPECT_TRUE(contains(bad.out, "HIGH      default-allow")) << bad.out;
  // From stdin.
  const CliRun piped = run("audit --bpf -", cli_runner::stdin_from(bin));
  EXPECT_EQ(piped.code, 1);
  EXPECT_TRUE(contains(piped.out, "audited filter <stdin>")) << piped.out;
  // An ABI the filter does not handle: information only.
  const CliRun other = run(fmt::format("audit --bpf {} --arch aarch64 --raw-endian little", compiled));
  EXPECT_EQ(other.code, 0) << other.out << other.err;
  EXPECT_TRUE(contains(other.out, "INFO      abi-not-handled")) << other.out;
}

// --kernel, else the running kernel, is where the filter runs: from 6.12
// uretprobe and from 6.18 uprobe reach no filter, so denying them is noted.
TEST(AuditCli, KernelExemptCallsFollowTheTargetKernel) {
  const std::string compiled = tmp("exempt-default.bpf");
  ASSERT_EQ(run(fmt::format("compile default --arch x86_64 --kernel 6.18 -o {}", compiled)).code, 0);
  const CliRun old = run(fmt::format("audit --bpf {} --arch x86_64 --kernel 6.11", compiled));
  EXPECT_EQ(old.code, 0) << old.out << old.err;
  EXPECT_FALSE(contains(old.out, "kernel-exempt")) << old.out;
  // Docker's default profile allows uretprobe and does not name uprobe.
  const CliRun bpf = run(fmt::format("audit --bpf {} --arch x86_64 --kernel 6.18 --fail-on low", compiled));
  EXPECT_EQ(bpf.code, 1) << bpf.out << bpf.err;
  EXPECT_TRUE(contains(bpf.out, "LOW       kernel-exempt       uprobe on x86_64 is answered ERRNO(1)")) << bpf.out;
  EXPECT_FALSE(contains(bpf.out, "uretprobe on x86_64 is answered")) << bpf.out;
  const CliRun profile = run("audit default --arch x86_64 --kernel 6.18");
  EXPECT_EQ(profile.code, 0) << profile.out << profile.err;
  EXPECT_TRUE(contains(profile.out, "kernel-exempt       uprobe on x86_64 is answered ERRNO(1)")) << profile.out;
  EXPECT_FALSE(contains(run("audit default --arch x86_64 --kernel 6.17").out, "kernel-exempt"));
}

TEST(AuditCli, BadInput) {
  const std::string missing = tmp("missing.bpf");
  const std::string truncated = tmp("truncated.bpf");
  write(truncated, std::string("\x06\x00\x00\x00\x00\x00\xff\x7f\x06", 9));
  const std::string invalid = tmp("invalid.bpf");
  write(invalid, std::string("\x20\x00\x00\x00\x40\x00\x00\x00", 8));  // ld [64], no ret
  const std::string json = tmp("broken.json");
  write(json, "{\"defaultAction\": \"SCMP_ACT_ERRNO\",\n \"syscalls\": [}\n");
  const cli_runner::FailureCase cases[] = {
      {{"audit"}, 2, "give exactly one of PROFILE, --bpf FILE and --pid PID"},
      {{"audit", "default", "--bpf", "x.bpf"}, 2, "give exactly one of PROFILE, --bpf FILE and --pid PID"},
      {{"audit", "default", "--fail-on", "severe"}, 2, "invalid --fail-on \"severe\""},
      {{"audit", "default", "--arg-width", "32"}, 2, "invalid --arg-width \"32\": expected abi or 64"},
      {{"audit", "default", "--arch", "x86_65"}, 2, "unknown architecture"},
      {{"audit", "default", "--max-paths", "0"}, 2, "invalid --max-paths"},
      {{"audit", "default", "--raw-endian", "big"}, 2, "--raw-endian applies to --bpf"},
      {{"audit", "--bpf", tmp("none.bpf"), "--caps", "all"}, 2, "--caps applies to a PROFILE"},
      {{"audit", "--bpf", missing}, 2, missing},
      {{"audit", "--bpf", truncated}, 2, "byte offset 8"},
      {{"audit", "--bpf", invalid}, 2, invalid + ": instruction 0"},
      {{"audit", json}, 2, json + ":2:"},
  };
  for (const cli_runner::FailureCase& c : cases) {
    const cli_runner::Result r = cli_runner::expect_failure(c);
    EXPECT_TRUE(r.out.empty()) << cli_runner::command_line(c.args) << "\n" << r.out;
  }
}

// --arg-width on the commands that resolve a profile.
TEST(ArgWidthCli, CompileAndExplainTakeTheFlag) {
  const std::string wide = tmp("wide.json");
  write(wide,
        "{\"defaultAction\": \"SCMP_ACT_ERRNO\",\n"
        " \"syscalls\": [\n"
        "  {\"names\": [\"socket\"], \"action\": \"SCMP_ACT_ALLOW\",\n"
        "   \"args\": [{\"index\": 0, \"value\": 4294967334, \"op\": \"SCMP_CMP_NE\"}]}]}\n");
  for (const char* mode : {"abi", "64"}) {
    const CliRun r = run(fmt::format("compile {} --arch x86_64 --arg-width {} --format text", wide, mode));
    EXPECT_EQ(r.code, 0) << r.err;
    // The constant does not fit int family: a warning naming the rule.
    EXPECT_TRUE(contains(r.err, fmt::format("sysfence: warning: {}:4:", wide))) << r.err;
    EXPECT_TRUE(contains(r.err, "socket argument 0 (int family) is 32-bit on x86_64")) << r.err;
    // abi reads the low word only; 64 also reads the high word.
    EXPECT_EQ(contains(r.out, "args[0] >> 32"), std::string(mode) == "64") << r.out;
  }
  const CliRun bad = run(fmt::format("compile {} --arg-width wide", wide));
  EXPECT_EQ(bad.code, 2);
  EXPECT_TRUE(contains(bad.err, "invalid --arg-width \"wide\"")) << bad.err;

  const CliRun abi = run("explain socket --arch x86_64 --kernel 6.18");
  EXPECT_EQ(abi.code, 0) << abi.err;
  EXPECT_TRUE(contains(abi.out, "[low 32 bits]")) << abi.out;
  const CliRun wide64 = run("explain socket --arch x86_64 --kernel 6.18 --arg-width 64");
  EXPECT_EQ(wide64.code, 0) << wide64.err;
  EXPECT_FALSE(contains(wide64.out, "[low 32 bits]")) << wide64.out;
}

TEST(ArgWidthCli, VerifyProvesWhicheverModeWasCompiled) {
  for (const char* mode : {"abi", "64"}) {
    const std::string out = tmp(fmt::format("default-{}.bpf", mode));
    ASSERT_EQ(run(fmt::format("compile default --arch x86_64 --kernel 6.18 --arg-width {} -o {}", mode, out)).code, 0);
    const CliRun same =
        run(fmt::format("verify --profile default --bpf {} --arch x86_64 --kernel 6.18 --arg-width {}", out, mode));
    EXPECT_EQ(same.code, 0) << same.out << same.err;
    const char* other = std::string(mode) == "abi" ? "64" : "abi";
    const CliRun cross =
        run(fmt::format("verify --profile default --bpf {} --arch x86_64 --kernel 6.18 --arg-width {}", out, other));
    EXPECT_EQ(cross.code, 1) << cross.out << cross.err;
  }
}

TEST(ArgWidthCli, StatsAndRunAcceptTheFlag) {
  EXPECT_EQ(run("stats default --arch x86_64 --kernel 6.18 --arg-width 64").code, 0);
  EXPECT_EQ(run("stats default --arch x86_64 --arg-width sixty").code, 2);
  // run: the flag reaches the resolver (a bad value is sysfence's own failure, 125).
  const CliRun r = run("run --arg-width sixty -- /bin/true");
  EXPECT_EQ(r.code, 125) << r.err;
  EXPECT_TRUE(contains(r.err, "invalid --arg-width \"sixty\"")) << r.err;
  EXPECT_EQ(run("run --arg-width 64 -- /bin/true").code, 0);
}

}  // namespace
}  // namespace sysfence
