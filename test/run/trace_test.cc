// `sysfence run --trace-denials` in the real kernel: one line per denied
// call naming the call, its decoded arguments, what it got and the rule;
// the command's output and exit status are the same as without the flag.
#include <gtest/gtest.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <csignal>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "test/run/spawn.h"

namespace sysfence::run::testing {
namespace {

std::string seed_profile() {
  const char* dir = std::getenv("TEST_SRCDIR");
  return std::string(dir != nullptr ? dir : ".") + "/sysfence/profile/examples/seed-example.json";
}

// The 1-based line of the `{` that opens the syscalls[] entry naming `name`
// (each entry of the documented example is written as `{` / `"name": ...`).
int entry_line(const std::string& text, const std::string& name) {
  std::istringstream in(text);
  std::string line;
  int n = 0;
  int brace = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.find('{') != std::string::npos) brace = n;
    if (line.find("\"" + name + "\"") != std::string::npos) return brace;
  }
  return -1;
}

std::vector<std::string> with(std::vector<std::string> head, const std::vector<std::string>& tail) {
  head.insert(head.end(), tail.begin(), tail.end());
  return head;
}

// Runs the same command with and without --trace-denials; the program must
// not be able to tell the difference.
struct Pair {
  Outcome plain, traced;
};
Pair both(const std::vector<std::string>& options, const std::vector<std::string>& command) {
  Pair p;
  p.plain = sysfence_run(with(with(options, {"--"}), command));
  p.traced = sysfence_run(with(with(with(options, {"--trace-denials"}), {"--"}), command));
  return p;
}

void expect_same_behaviour(const Pair& p) {
  EXPECT_EQ(p.traced.status, p.plain.status) << "traced: " << p.traced.describe() << "\nplain: " << p.plain.describe();
  EXPECT_EQ(p.traced.out, p.plain.out);
}

TEST(TraceDenials, SeedExampleOneLinePerDeniedCall) {
  const std::string profile = seed_profile();
  const std::string text = read_file(profile);
  const std::string file = tmp_path("traced-file");
  write_file(file, "x");
  const Pair p = both({"--profile", profile}, {client_binary(), "getcwd", "chmod:" + file + ":0600",
                                               "chown:" + file + ":0:0", "mount:none:/mnt:tmpfs", "getppid", "exit:3"});
  expect_same_behaviour(p);
  EXPECT_EQ(p.plain.code(), 3);
  EXPECT_EQ(p.plain.out, "getcwd = -1 EPERM\nchmod = -1 EPERM\nchown = -1 EPERM\nmount = -1 EPERM\ngetppid = 1\n");
  EXPECT_EQ(p.plain.err, "");

  const std::vector<std::string> lines = lines_starting(p.traced.err, "denied: ");
  ASSERT_EQ(lines.size(), 4u) << p.traced.err;
  EXPECT_EQ(lines_starting(p.traced.err, "").size(), 4u) << "nothing else on stderr:\n" << p.traced.err;
  auto rule = [&](const std::string& name) {
    return "  [rule: " + profile + ":" + std::to_string(entry_line(text, name)) + "]";
  };
  EXPECT_TRUE(std::regex_match(lines[0], std::regex("denied: getcwd\\(0x[0-9a-f]+, 256\\) = -EPERM  \\[rule: .*:" +
                                                    std::to_string(entry_line(text, "getcwd")) + "\\]")))
      << lines[0];
  EXPECT_EQ(lines[1], "denied: chmod(\"" + file + "\", 0600) = -EPERM" + rule("chmod"));
  EXPECT_EQ(lines[2], "denied: chown(\"" + file + "\", 0, 0) = -EPERM" + rule("chown"));
  EXPECT_EQ(lines[3], "denied: mount(\"none\", \"/mnt\", \"tmpfs\", 0, NULL) = -EPERM" + rule("mount"));
}

TEST(TraceDenials, DefaultProfileUnshareAndNewerSyscalls) {
  const Pair p = both({"--caps", "docker-default"}, {"unshare", "--map-root-user", "--user", "sh", "-c", "whoami"});
  expect_same_behaviour(p);
  EXPECT_EQ(p.plain.code(), 1);
  EXPECT_EQ(lines_starting(p.traced.err, "denied: "),
            std::vector<std::string>{"denied: unshare(CLONE_NEWUSER) = -EPERM  [default action]"})
      << p.traced.err;
  // The command's own message is still there.
  EXPECT_NE(p.traced.err.find("unshare failed: Operation not permitted"), std::string::npos);

  const Pair q = both({"--caps", "docker-default"}, {client_binary(), "raw:1000", "raw:1001"});
  expect_same_behaviour(q);
  EXPECT_EQ(q.plain.out, "raw = -1 ENOSYS\nraw = -1 ENOSYS\n");
  EXPECT_EQ(
      lines_starting(q.traced.err, "denied: "),
      (std::vector<std::string>{"denied: syscall_0x3e8(0, 0, 0, 0, 0, 0) = -ENOSYS  [newer than profile: ENOSYS]",
                                "denied: syscall_0x3e9(0, 0, 0, 0, 0, 0) = -ENOSYS  [newer than profile: ENOSYS]"}))
      << q.traced.err;
}

// The directory fd and the flag words print as strace prints them: the
// filter denies the calls in the kernel, the supervisor describes them.
TEST(TraceDenials, FlagsAndAtFdcwdAsStraceSpellsThem) {
  const std::string profile = tmp_path("flags-profile.json");
  write_file(profile, R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
      {"names": ["openat"], "action": "SCMP_ACT_ERRNO",
       "args": [{"index": 2, "value": 64, "valueTwo": 64, "op": "SCMP_CMP_MASKED_EQ"}]},
      {"names": ["mmap"], "action": "SCMP_ACT_ERRNO",
       "args": [{"index": 2, "value": 7, "op": "SCMP_CMP_EQ"}]},
      {"names": ["unlinkat"], "action": "SCMP_ACT_ERRNO"}]})");
  const std::string dir = tmp_path("flags-dir");
  const Pair p = both({"--profile", profile}, {client_binary(), "openat:" + dir + "/f:80241", "mmap:7:22",
                                               "unlinkat:" + dir + ":200", "exit:0"});
  expect_same_behaviour(p);
  EXPECT_EQ(p.plain.out, "openat = -1 EPERM\nmmap = -1 EPERM\nunlinkat = -1 EPERM\n");
  EXPECT_EQ(lines_starting(p.traced.err, "denied: "),
            (std::vector<std::string>{
                "denied: openat(AT_FDCWD, \"" + dir +
                    "/f\", O_WRONLY|O_CREAT|O_TRUNC|O_CLOEXEC, 0644) = -EPERM  [rule: " + profile + ":2]",
                "denied: mmap(NULL, 4096, PROT_READ|PROT_WRITE|PROT_EXEC, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = -EPERM  "
                "[rule: " +
                    profile + ":4]",
                "denied: unlinkat(AT_FDCWD, \"" + dir + "\", AT_REMOVEDIR) = -EPERM  [rule: " + profile + ":6]"}))
      << p.traced.err;
}

TEST(TraceDenials, CallsOfChildProcessesNameTheirPid) {
  const Pair p = both({"--profile", seed_profile()}, {"sh", "-c", client_binary() + " getcwd; exit 4"});
  expect_same_behaviour(p);
  EXPECT_EQ(p.plain.code(), 4);
  const auto lines = lines_starting(p.traced.err, "denied: ");
  ASSERT_EQ(lines.size(), 1u) << p.traced.err;
  EXPECT_TRUE(
      std::regex_match(lines[0], std::regex("denied: \\[pid [0-9]+\\] getcwd\\(.*\\) = -EPERM  \\[rule: .*\\]")))
      << lines[0];
}

// Every action kind, compared with the plain filter.
class TraceActions : public ::testing::Test {
 protected:
  void SetUp() override {
    profile_ = tmp_path("actions.json");
    write_file(profile_, R"({
  "defaultAction": "SCMP_ACT_ALLOW",
  "syscalls": [
    {"names": ["getuid"], "action": "SCMP_ACT_TRAP"},
    {"names": ["getgid"], "action": "SCMP_ACT_KILL_PROCESS"},
    {"names": ["geteuid"], "action": "SCMP_ACT_TRACE"},
    {"names": ["getegid"], "action": "SCMP_ACT_ERRNO", "errnoRet": 0},
    {"names": ["getpgrp"], "action": "SCMP_ACT_KILL"}
  ]
})");
  }
  Pair run(const std::vector<std::string>& steps) {
    return both({"--profile", profile_}, with({client_binary()}, steps));
  }
  std::string profile_;
};

TEST_F(TraceActions, ErrnoZeroAndTraceWithoutTracer) {
  const Pair p = run({"raw:108", "raw:107"});
  expect_same_behaviour(p);
  EXPECT_EQ(p.plain.out, "raw = 0\nraw = -1 ENOSYS\n");
  EXPECT_EQ(
      lines_starting(p.traced.err, "denied: "),
      (std::vector<std::string>{"denied: getegid() = 0  [rule: " + profile_ + ":7]",
                                "denied: geteuid() = -ENOSYS (TRACE without a tracer)  [rule: " + profile_ + ":6]"}))
      << p.traced.err;
}

TEST_F(TraceActions, TrapWithAHandlerReturnsTheNumberAndSignals) {
  const Pair p = run({"on-sigsys", "raw:102", "sigsys-count", "exit:0"});
  expect_same_behaviour(p);
  EXPECT_EQ(p.plain.out, "raw = 102\nsigsys = 1\n");
  EXPECT_EQ(lines_starting(p.traced.err, "denied: "),
            std::vector<std::string>{"denied: getuid() = SIGSYS (TRAP)  [rule: " + profile_ + ":4]"});
}

TEST_F(TraceActions, TrapAndKillsWithoutHandlerEndInSigsys) {
  for (const char* step : {"raw:102", "raw:104", "raw:111"}) {
    const Pair p = run({"pid", step, "exit:0"});
    EXPECT_EQ(p.plain.signal(), SIGSYS) << step << ": " << p.plain.describe();
    EXPECT_EQ(p.traced.signal(), SIGSYS) << step << ": " << p.traced.describe();
    EXPECT_EQ(lines_starting(p.traced.err, "denied: ").size(), 1u) << p.traced.err;
  }
}

// The documented differences: the kernel forces its SIGSYS through handlers
// and masks; from outside only SIGKILL can do that, and the supervisor says so.
TEST_F(TraceActions, KillOfAProcessThatCatchesSigsysUsesSigkill) {
  Pair p = run({"on-sigsys", "raw:104", "exit:0"});
  EXPECT_EQ(p.plain.signal(), SIGSYS) << p.plain.describe();
  EXPECT_EQ(p.traced.signal(), SIGKILL) << p.traced.describe();
  EXPECT_NE(p.traced.err.find("catches SIGSYS, so it is killed with SIGKILL"), std::string::npos) << p.traced.err;

  p = run({"block-sigsys", "raw:102", "exit:0"});
  EXPECT_EQ(p.plain.signal(), SIGSYS) << p.plain.describe();
  EXPECT_EQ(p.traced.signal(), SIGKILL) << p.traced.describe();
  EXPECT_NE(p.traced.err.find("blocks SIGSYS"), std::string::npos) << p.traced.err;
}

TEST(TraceDenials, ExitStatusAndSignalsPassThrough) {
  Pair p = both({"--profile", seed_profile()}, {client_binary(), "getcwd", "kill-self:15"});
  expect_same_behaviour(p);
  EXPECT_EQ(p.traced.signal(), SIGTERM) << p.traced.describe();
  p = both({"--profile", seed_profile()}, {"sh", "-c", "exit 42"});
  expect_same_behaviour(p);
  EXPECT_EQ(p.traced.code(), 42);
  EXPECT_EQ(p.traced.err, "");
}

TEST(TraceDenials, ExitCodes) {
  EXPECT_EQ(sysfence_run({"--trace-denials", "--", "/nonexistent/cmd"}).code(), 127);
  const std::string profile = tmp_path("deny-execve.json");
  write_file(profile, R"({"defaultAction": "SCMP_ACT_ALLOW",
 "syscalls": [{"names": ["execve"], "action": "SCMP_ACT_ERRNO"}]})");
  const Pair p = both({"--profile", profile}, {"/bin/true"});
  EXPECT_EQ(p.plain.code(), 126) << p.plain.describe();
  EXPECT_EQ(p.traced.code(), 126) << p.traced.describe();
  const auto lines = lines_starting(p.traced.err, "denied: ");
  ASSERT_EQ(lines.size(), 1u) << p.traced.err;
  EXPECT_TRUE(std::regex_match(lines[0], std::regex("denied: execve\\(\"/bin/true\", 0x[0-9a-f]+, 0x[0-9a-f]+\\) = "
                                                    "-EPERM  \\[rule: .*deny-execve.json:2\\]")))
      << lines[0];
}

// sysfence makes no call of its own under the filter: the child that
// installs it calls only execve afterwards. /bin/true makes no futex call,
// so a profile that kills or traps futex lets it run, traced or not, and
// --trace-denials has nothing to report.
TEST(TraceDenials, NoCallOfSysfencesOwnGoesThroughTheFilter) {
  for (const char* action : {"SCMP_ACT_KILL_PROCESS", "SCMP_ACT_TRAP", "SCMP_ACT_ERRNO"}) {
    const std::string profile = tmp_path(std::string("futex-") + action + ".json");
    const std::string rule = std::string(R"({"names": ["futex"], "action": ")") + action + "\"}";
    write_file(profile, R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [)" + rule + "]}");
    const Pair p = both({"--profile", profile}, {"/bin/true"});
    expect_same_behaviour(p);
    EXPECT_EQ(p.plain.code(), 0) << action << ": " << p.plain.describe();
    EXPECT_EQ(p.traced.code(), 0) << action << ": " << p.traced.describe();
    EXPECT_EQ(p.traced.err, "") << action;
  }
}

// sysfence forwards the signals it is sent to the command and exits as the
// command did.
TEST(TraceDenials, ForwardsSignals) {
  const std::string ready = tmp_path("ready-for-term");
  const std::string script = sysfence_binary() +
                             R"( run --trace-denials -- sh -c 'trap "kill \$!; echo got-term; exit 9" TERM; touch )" +
                             ready + "; sleep 20 & wait' & pid=$!; while [ ! -e " + ready +
                             " ]; do sleep 0.05; done; kill -TERM $pid; wait $pid; "
                             "echo status=$?";
  const Outcome o = spawn({"/bin/sh", "-c", script});
  EXPECT_EQ(o.code(), 0) << o.describe();
  EXPECT_EQ(o.out, "got-term\nstatus=9\n") << o.describe();
}

// Calls of descendants that outlive the command are still answered as the
// profile says (EPERM, not the ENOSYS of a listener-less USER_NOTIF) and
// reported, by a background sysfence.
TEST(TraceDenials, DescendantsOutlivingTheCommandAreStillAnswered) {
  const std::string out = tmp_path("late-call.out");
  const Outcome o = sysfence_run(
      {"--profile", seed_profile(), "--trace-denials", "--", "sh", "-c",
       "(sleep 0.5; " + client_binary() + " getcwd > " + out + ".tmp; mv " + out + ".tmp " + out + ") & exit 0"});
  EXPECT_EQ(o.code(), 0) << o.describe();
  std::string late;
  for (int i = 0; i < 200 && late.empty(); ++i) {
    usleep(50000);
    late = read_file(out);
  }
  EXPECT_EQ(late, "getcwd = -1 EPERM\n");
}

TEST(TraceDenials, WithTsyncAndLog) {
  const Pair p = both({"--profile", seed_profile(), "--tsync", "--log"}, {client_binary(), "getcwd", "exit:2"});
  expect_same_behaviour(p);
  EXPECT_EQ(p.plain.out, "getcwd = -1 EPERM\n");
  EXPECT_EQ(lines_starting(p.traced.err, "denied: ").size(), 1u) << p.traced.err;
}

}  // namespace
}  // namespace sysfence::run::testing
