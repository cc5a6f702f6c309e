// `sysfence record` end to end on the built binary: the recorded profile
// lets `sysfence run` complete the same command with the same output, and
// denies what the command never did.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "test/bpf/kernel_child.h"
#include "test/cli_runner.h"

namespace sysfence {
namespace {

using cli_runner::Result;

std::string subject() { return cli_runner::runfile("test/record/record_subject"); }

std::vector<std::string> full_subject() {
  std::vector<std::string> argv = {subject(), "full"};
  if (bpf::testing::int80_available()) argv.emplace_back("i386");
  return argv;
}

Result sysfence(std::vector<std::string> args, const std::vector<std::string>& command = {}) {
  if (!command.empty()) {
    args.emplace_back("--");
    args.insert(args.end(), command.begin(), command.end());
  }
  return cli_runner::run_sysfence(args);
}

// Records `command` into a new file, expecting success; returns the path.
std::string record(const std::string& name, const std::vector<std::string>& command,
                   std::vector<std::string> flags = {}) {
  std::string path = cli_runner::tmp_path(name);
  flags.insert(flags.begin(), "record");
  flags.insert(flags.end(), {"-o", path});
  const Result r = sysfence(flags, command);
  EXPECT_EQ(r.exit_code, 0) << r.describe();
  return path;
}

TEST(RecordCli, TheRecordedProfileRunsTheProgram) {
  const std::vector<std::string> cmd = full_subject();
  const std::string p = record("full.json", cmd);
  const Result r = sysfence({"run", "--profile", p}, cmd);
  EXPECT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_EQ(r.out, "done\n");
}

TEST(RecordCli, WithArgumentRulesTheProgramStillRuns) {
  const std::vector<std::string> cmd = full_subject();
  const std::string p = record("full-args.json", cmd, {"--args"});
  EXPECT_NE(cli_runner::read_file(p).find("SCMP_CMP_MASKED_EQ"), std::string::npos);
  const Result r = sysfence({"run", "--profile", p}, cmd);
  EXPECT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_EQ(r.out, "done\n");
}

TEST(RecordCli, ACallTheProgramNeverMadeIsDenied) {
  const std::string baseline = record("baseline.json", {subject(), "baseline"});
  const std::string full = record("full-probe.json", full_subject());
  Result r = sysfence({"run", "--profile", baseline}, {subject(), "probe"});
  EXPECT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_EQ(r.out, "sysinfo: EPERM\n");
  r = sysfence({"run", "--profile", full}, {subject(), "probe"});
  EXPECT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_EQ(r.out, "sysinfo: EFAULT\n");
}

TEST(RecordCli, BaseDefaultAddsNothingForAProgramItAllows) {
  const std::string p = record("base.json", {subject(), "probe"}, {"--base", "default"});
  const std::string text = cli_runner::read_file(p);
  EXPECT_NE(text.find("\"defaultAction\": \"SCMP_ACT_ERRNO\""), std::string::npos) << text;
  EXPECT_EQ(text.find("\"names\""), std::string::npos) << text;
}

TEST(RecordCli, ProfileOnStdoutAndTheCommandsExitStatus) {
  Result r = sysfence({"record"}, {"/bin/sh", "-c", "exit 0"});
  EXPECT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_NE(r.out.find("\"defaultAction\""), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"exit_group\""), std::string::npos) << r.out;

  const std::string p = cli_runner::tmp_path("exit3.json");
  r = sysfence({"record", "-o", p}, {"/bin/sh", "-c", "exit 3"});
  EXPECT_EQ(r.exit_code, 3) << r.describe();
  EXPECT_NE(r.err.find("the command exited with 3"), std::string::npos) << r.err;
  EXPECT_TRUE(cli_runner::exists(p));
}

TEST(RecordCli, FailuresWriteNothing) {
  const std::string p = cli_runner::tmp_path("never.json");
  Result r = sysfence({"record", "-o", p}, {"no-such-command-anywhere"});
  EXPECT_EQ(r.exit_code, 127) << r.describe();
  EXPECT_NE(r.err.find("no-such-command-anywhere"), std::string::npos) << r.err;
  r = sysfence({"record", "-o", p});
  EXPECT_EQ(r.exit_code, 125) << r.describe();
  EXPECT_NE(r.err.find("no command given"), std::string::npos) << r.err;
  r = sysfence({"record", "--args=everything", "-o", p}, {"/bin/true"});
  EXPECT_EQ(r.exit_code, 125) << r.describe();
  EXPECT_NE(r.err.find("--args=everything"), std::string::npos) << r.err;
  r = sysfence({"record", "--base", "no-such-profile.json", "-o", p}, {"/bin/true"});
  EXPECT_EQ(r.exit_code, 125) << r.describe();
  EXPECT_NE(r.err.find("no-such-profile.json"), std::string::npos) << r.err;
  EXPECT_FALSE(cli_runner::exists(p));
}

// Records `cmd` and runs it under the recording: same status, same output.
void record_then_run(const std::string& name, const std::vector<std::string>& cmd) {
  const Result plain = cli_runner::spawn(cmd);
  ASSERT_EQ(plain.exit_code, 0) << plain.describe();
  const std::string p = record(name, cmd);
  const Result r = sysfence({"run", "--profile", p}, cmd);
  EXPECT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_EQ(r.out, plain.out);
}

TEST(RecordCli, AShellPipeline) { record_then_run("sh.json", {"/bin/sh", "-c", "ls / | wc -l"}); }

TEST(RecordCli, Python) {
  if (access("/usr/bin/python3", X_OK) != 0) GTEST_SKIP() << "no /usr/bin/python3";
  record_then_run("python.json", {"/usr/bin/python3", "-c",
                                  "import threading, socket, json\n"
                                  "t = threading.Thread(target=lambda: None); t.start(); t.join()\n"
                                  "socket.socket(socket.AF_INET6, socket.SOCK_DGRAM).close()\n"
                                  "print(json.dumps({'ok': sum(range(100))}))"});
}

// --merge and --diff on the binary, on two recordings of the same program:
// the union of a run and a run that does less means the same as the larger
// run, and the diff names what the larger run needs on top.
TEST(RecordCli, MergeAndDiffOfTwoRecordings) {
  const std::string small = record("small.json", {subject(), "baseline"});
  const std::string large = record("large.json", full_subject());
  const std::string merged = cli_runner::tmp_path("merged.json");
  const Result m = sysfence({"record", "--merge", small, large, "-o", merged});
  ASSERT_EQ(m.exit_code, 0) << m.describe();

  const Result same = sysfence({"record", "--diff", large, merged});
  EXPECT_EQ(same.exit_code, 0) << same.describe();
  EXPECT_EQ(same.out.find("+ "), std::string::npos) << same.out;

  const Result more = sysfence({"record", "--diff", small, large});
  EXPECT_EQ(more.exit_code, 1) << more.describe();
  EXPECT_NE(more.out.find("+ "), std::string::npos) << more.out;
  EXPECT_EQ(more.out.find("- "), std::string::npos) << more.out;

  const Result json = sysfence({"record", "--diff", small, large, "--format", "json"});
  EXPECT_EQ(json.exit_code, 1) << json.describe();
  EXPECT_NE(json.out.find("\"command\": \"record\""), std::string::npos) << json.out;

  // Bad usage of the file modes exits 2, as every file command's does (125
  // is for recording a command, whose own status sysfence passes on).
  const Result wrong = sysfence({"record", "--merge", small, "-o", merged, "--base", "default"});
  EXPECT_EQ(wrong.exit_code, 2) << wrong.describe();
  EXPECT_NE(wrong.err.find("--base does not apply to --merge"), std::string::npos) << wrong.err;
  const Result misspelt = sysfence({"record", "--diff", small, large, "--fromat", "json"});
  EXPECT_EQ(misspelt.exit_code, 2) << misspelt.describe();
  EXPECT_NE(misspelt.err.find("--format"), std::string::npos) << misspelt.err;
  const Result both = sysfence({"record", "--merge", small, large, "--diff"});
  EXPECT_EQ(both.exit_code, 2) << both.describe();
  const Result one = sysfence({"record", "--diff", small});
  EXPECT_EQ(one.exit_code, 2) << one.describe();
  // Recording a command keeps 125 for its own bad usage.
  const Result unknown = sysfence({"record", "--bogus", "--", subject(), "baseline"});
  EXPECT_EQ(unknown.exit_code, 125) << unknown.describe();
}

// The coverage summary names what was recorded, per ABI.
TEST(RecordCli, PrintsTheCoverageSummary) {
  const std::string path = cli_runner::tmp_path("summary.json");
  const Result r = sysfence({"record", "-o", path}, {subject(), "baseline"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_NE(r.err.find("sysfence: x86_64: "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("top callers: "), std::string::npos) << r.err;
}

}  // namespace
}  // namespace sysfence
