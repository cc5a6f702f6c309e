// `sysfence audit` and `--arg-width` end to end, on the built binary: exit
// codes (0 below --fail-on, 1 at or above, 2 bad input), the report, and
// the width flag and warning on the commands that resolve a profile.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

namespace sysfence {
namespace {

std::string tmp(const std::string& name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return std::string(dir != nullptr ? dir : "/tmp") + "/" + name;
}

std::string binary() {
  const char* dir = std::getenv("TEST_SRCDIR");
  return std::string(dir != nullptr ? dir : ".") + "/sysfence/tools/sysfence";
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write(const std::string& path, const std::string& text) { std::ofstream(path, std::ios::binary) << text; }

struct CliRun {
  int code;
  std::string out;
  std::string err;
};

CliRun run(const std::string& args) {
  const std::string out = tmp("out.txt");
  const std::string err = tmp("err.txt");
  const std::string cmd = fmt::format("{} {} >{} 2>{}", binary(), args, out, err);
  const int status = std::system(cmd.c_str());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, slurp(out), slurp(err)};
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
  const CliRun piped = run(fmt::format("audit --bpf - < {}", bin));
  EXPECT_EQ(piped.code, 1);
  EXPECT_TRUE(contains(piped.out, "audited filter <stdin>")) << piped.out;
  // An ABI the filter does not handle: information only.
  const CliRun other = run(fmt::format("audit --bpf {} --arch aarch64 --raw-endian little", compiled));
  EXPECT_EQ(other.code, 0) << other.out << other.err;
  EXPECT_TRUE(contains(other.out, "INFO      abi-not-handled")) << other.out;
}

TEST(AuditCli, BadInput) {
  auto expect_usage = [](const std::string& args, std::string_view message) {
    const CliRun r = run(args);
    EXPECT_EQ(r.code, 2) << args << "\n" << r.out << r.err;
    EXPECT_TRUE(contains(r.err, message)) << args << "\n" << r.err;
    EXPECT_TRUE(r.out.empty()) << args << "\n" << r.out;
  };
  expect_usage("audit", "give exactly one of PROFILE and --bpf FILE");
  expect_usage("audit default --bpf x.bpf", "give exactly one of PROFILE and --bpf FILE");
  expect_usage("audit default --fail-on severe", "invalid --fail-on \"severe\"");
  expect_usage("audit default --arg-width 32", "invalid --arg-width \"32\": expected abi or 64");
  expect_usage("audit default --arch x86_65", "unknown architecture");
  expect_usage("audit default --max-paths 0", "invalid --max-paths");
  expect_usage("audit default --raw-endian big", "--raw-endian applies to --bpf");
  expect_usage(fmt::format("audit --bpf {} --caps all", tmp("none.bpf")), "--caps applies to a PROFILE");

  const std::string missing = tmp("missing.bpf");
  expect_usage(fmt::format("audit --bpf {}", missing), missing);
  const std::string truncated = tmp("truncated.bpf");
  write(truncated, std::string("\x06\x00\x00\x00\x00\x00\xff\x7f\x06", 9));
  expect_usage(fmt::format("audit --bpf {}", truncated), "byte offset 8");
  const std::string invalid = tmp("invalid.bpf");
  write(invalid, std::string("\x20\x00\x00\x00\x40\x00\x00\x00", 8));  // ld [64], no ret
  expect_usage(fmt::format("audit --bpf {}", invalid), invalid + ": instruction 0");
  const std::string json = tmp("broken.json");
  write(json, "{\"defaultAction\": \"SCMP_ACT_ERRNO\",\n \"syscalls\": [}\n");
  expect_usage(fmt::format("audit {}", json), json + ":2:");
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
