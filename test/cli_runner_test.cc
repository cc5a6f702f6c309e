// The runner itself, on /bin/sh: what the end-to-end tests rely on it for.
#include "test/cli_runner.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <csignal>
#include <string>
#include <vector>

namespace sysfence::cli_runner {
namespace {

Result sh(const std::string& script, const Options& o = {}) { return spawn({"/bin/sh", "-c", script}, o); }

TEST(CliRunner, CapturesBothStreamsAndTheExitCode) {
  const Result r = sh("printf out; printf err >&2; exit 3");
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.signal, 0);
  EXPECT_EQ(r.out, "out");
  EXPECT_EQ(r.err, "err");
  EXPECT_FALSE(r.timed_out);
}

TEST(CliRunner, OutputLargerThanAPipeDoesNotBlock) {
  const Result r = sh("head -c 1000000 /dev/zero");
  EXPECT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_EQ(r.out.size(), 1000000u);
}

TEST(CliRunner, DeathBySignalIsReported) {
  const Result r = sh("kill -TERM $$");
  EXPECT_EQ(r.exit_code, -1);
  EXPECT_EQ(r.signal, SIGTERM);
  EXPECT_NE(r.describe().find("signal 15"), std::string::npos) << r.describe();
}

TEST(CliRunner, StdinChoices) {
  const std::string in = tmp_path("runner_stdin.txt");
  write_file(in, "from the file\n");
  EXPECT_EQ(sh("cat", stdin_from(in)).out, "from the file\n");
  EXPECT_EQ(sh("cat").out, "");  // /dev/null
  const Result closed = sh("cat <&0 2>/dev/null || echo closed", closed_stdin());
  EXPECT_EQ(closed.out, "closed\n");
}

TEST(CliRunner, FullStdoutMakesWritesFail) {
  const Result r = sh("echo x || echo failed >&2", full_stdout());
  EXPECT_NE(r.err.find("failed"), std::string::npos) << r.describe();
}

TEST(CliRunner, EnvironmentIsAddedAndReplaced) {
  Options o;
  o.env = {"CLI_RUNNER_A=1", "HOME=/nowhere"};
  const Result r = sh("echo \"$CLI_RUNNER_A $HOME\"", o);
  EXPECT_EQ(r.out, "1 /nowhere\n");
}

TEST(CliRunner, LimitsAreAppliedInTheChild) {
  Options o;
  o.cpu_seconds = 7;
  o.address_space = rlim_t{1} << 32;
  const Result r = sh("ulimit -t; ulimit -v", o);  // -v is in KiB
  EXPECT_EQ(r.out, "7\n4194304\n");
}

TEST(CliRunner, DeadlineKillsTheChild) {
  Options o;
  o.timeout_ms = 200;
  const Result r = sh("exec sleep 30", o);
  EXPECT_TRUE(r.timed_out);
  EXPECT_EQ(r.signal, SIGKILL);
}

TEST(CliRunner, MissingProgramExits127) { EXPECT_EQ(spawn({tmp_path("no-such-program")}).exit_code, 127); }

TEST(CliRunner, WordsSplitAtSpaces) {
  EXPECT_EQ(words("  compile default  --arch x86_64 "),
            (std::vector<std::string>{"compile", "default", "--arch", "x86_64"}));
  EXPECT_TRUE(words("").empty());
}

TEST(CliRunner, CommandLineCutsLongArguments) {
  EXPECT_EQ(command_line({"disasm", std::string(100, 'a')}), "sysfence disasm " + std::string(80, 'a') + "...");
}

TEST(CliRunner, FilesAndListings) {
  const std::string dir = tmp_path("");
  write_file(tmp_path("listed_b"), std::string("b\0b", 3));
  write_file(tmp_path("listed_a"), "");
  EXPECT_EQ(read_file(tmp_path("listed_b")), std::string("b\0b", 3));
  EXPECT_TRUE(exists(tmp_path("listed_a")));
  EXPECT_FALSE(exists(tmp_path("listed_c")));
  EXPECT_EQ(read_file(tmp_path("listed_c")), "");
  const std::vector<std::string> names = list_dir(dir);
  const auto a = std::find(names.begin(), names.end(), "listed_a");
  ASSERT_NE(a, names.end());
  ASSERT_NE(a + 1, names.end());
  EXPECT_EQ(*(a + 1), "listed_b");
}

}  // namespace
}  // namespace sysfence::cli_runner
