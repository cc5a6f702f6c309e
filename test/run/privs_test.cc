// `sysfence run` as `docker run` about privileges, in the real kernel: the
// capabilities the profile is resolved for (Docker's default set unless
// --caps says otherwise, the note when they are not the process's own), and
// no_new_privs, set only when asked for or when the process could not
// install the filter without it. The commands read their own
// /proc/self/status; every filter is installed by a spawned sysfence.
#include <gtest/gtest.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "test/run/spawn.h"

namespace sysfence::run::testing {
namespace {

constexpr int kCapSysAdmin = 21;  // include/uapi/linux/capability.h

// This test process's effective set, read here (not through run/host.h).
bool test_has_sys_admin() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("CapEff:", 0) == 0) {
      return (std::stoull(line.substr(7), nullptr, 16) >> kCapSysAdmin) & 1U;
    }
  }
  return false;
}

const std::vector<std::string> kStatus = {"--", "grep", "-E", "^(NoNewPrivs|Seccomp):", "/proc/self/status"};

std::vector<std::string> with(std::vector<std::string> head, const std::vector<std::string>& tail) {
  head.insert(head.end(), tail.begin(), tail.end());
  return head;
}

// `sysfence run ARGS` from a forked child that first drops CAP_SYS_ADMIN
// from its bounding set, so that sysfence (even as root) starts without it.
// Unprivileged, the drop fails and sysfence lacks it anyway.
Outcome run_without_sys_admin(const std::vector<std::string>& args) {
  const std::string out = tmp_path("nosysadmin.out");
  const std::string err = tmp_path("nosysadmin.err");
  const std::string code = tmp_path("nosysadmin.code");
  const pid_t pid = fork();
  if (pid == 0) {
    prctl(PR_CAPBSET_DROP, kCapSysAdmin, 0, 0, 0);
    const Outcome o = sysfence_run(args);
    write_file(out, o.out);
    write_file(err, o.err);
    write_file(code, std::to_string(o.status));
    _exit(0);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  Outcome o;
  o.out = read_file(out);
  o.err = read_file(err);
  o.status = std::stoi(read_file(code));
  return o;
}

TEST(RunNoNewPrivs, NotSetWhenTheProcessHasSysAdmin) {
  if (!test_has_sys_admin()) GTEST_SKIP() << "needs CAP_SYS_ADMIN (run the test as root)";
  for (const std::vector<std::string>& opts :
       {std::vector<std::string>{}, {"--security-opt", "no-new-privileges=false"}}) {
    const Outcome o = sysfence_run(with(opts, kStatus));
    EXPECT_EQ(o.code(), 0) << o.describe();
    EXPECT_EQ(o.out, "NoNewPrivs:\t0\nSeccomp:\t2\n") << o.describe();
    EXPECT_EQ(o.err.find("no_new_privs"), std::string::npos) << o.err;
  }
}

TEST(RunNoNewPrivs, SetWhenAskedForInDockersSpellings) {
  for (const char* opt : {"no-new-privileges", "no-new-privileges=true", "no-new-privileges:true"}) {
    const Outcome o = sysfence_run(with({"--security-opt", opt}, kStatus));
    EXPECT_EQ(o.code(), 0) << opt << ": " << o.describe();
    EXPECT_EQ(o.out, "NoNewPrivs:\t1\nSeccomp:\t2\n") << opt << ": " << o.describe();
    // Asked for: nothing to explain.
    EXPECT_EQ(o.err.find("no_new_privs is set"), std::string::npos) << o.err;
  }
}

TEST(RunNoNewPrivs, SetAndSaidWhenTheProcessLacksSysAdmin) {
  for (const std::vector<std::string>& opts :
       {std::vector<std::string>{}, {"--security-opt", "no-new-privileges=false"}}) {
    const Outcome o = run_without_sys_admin(with(opts, kStatus));
    EXPECT_EQ(o.code(), 0) << o.describe();
    EXPECT_EQ(o.out, "NoNewPrivs:\t1\nSeccomp:\t2\n") << o.describe();
    EXPECT_NE(o.err.find("sysfence: note: no_new_privs is set"), std::string::npos) << o.describe();
    EXPECT_NE(o.err.find("CAP_SYS_ADMIN"), std::string::npos) << o.describe();
  }
}

// The supervised path (--trace-denials) installs in a child: the same rule.
TEST(RunNoNewPrivs, SupervisedInstallFollowsTheSameRule) {
  const Outcome lacking = run_without_sys_admin(with({"--trace-denials"}, kStatus));
  EXPECT_EQ(lacking.code(), 0) << lacking.describe();
  EXPECT_EQ(lacking.out, "NoNewPrivs:\t1\nSeccomp:\t2\n") << lacking.describe();
  if (!test_has_sys_admin()) GTEST_SKIP() << "the CAP_SYS_ADMIN half needs root";
  const Outcome holding = sysfence_run(with({"--trace-denials"}, kStatus));
  EXPECT_EQ(holding.code(), 0) << holding.describe();
  EXPECT_EQ(holding.out, "NoNewPrivs:\t0\nSeccomp:\t2\n") << holding.describe();
}

// A bad value is bad usage, with Docker's exit code for run's own failures.
TEST(RunNoNewPrivs, BadValueIsUsageError) {
  const Outcome o = sysfence_run({"--security-opt", "no-new-privileges=maybe", "--", "true"});
  EXPECT_EQ(o.code(), 125) << o.describe();
  EXPECT_NE(o.err.find("no-new-privileges=maybe"), std::string::npos) << o.describe();
}

// --- capabilities ------------------------------------------------------------

const std::vector<std::string> kUnshare = {"--", "unshare", "--map-root-user", "--user", "true"};

// As every other command (`explain unshare` says blocked), run resolves for
// Docker's 14 capabilities: unshare(CLONE_NEWUSER) is denied even as root,
// and the note says the filter's set is not the process's.
TEST(RunCaps, DefaultIsDockersSetAndSaysSo) {
  const Outcome o = sysfence_run(kUnshare);
  EXPECT_EQ(o.code(), 1) << o.describe();
  EXPECT_NE(o.err.find("Operation not permitted"), std::string::npos) << o.describe();
  if (!test_has_sys_admin()) GTEST_SKIP() << "the note's CAP_SYS_ADMIN half needs root";
  EXPECT_NE(o.err.find("sysfence: note: the profile is resolved for the capabilities docker-default, not for this "
                       "process's own (this process has "),
            std::string::npos)
      << o.describe();
  EXPECT_NE(o.err.find("CAP_SYS_ADMIN"), std::string::npos) << o.describe();
}

// --caps docker-default chosen explicitly: the same filter, and no note (the
// user said which set the filter is for).
TEST(RunCaps, ChosenSetHasNoNote) {
  if (!test_has_sys_admin()) GTEST_SKIP() << "without CAP_SYS_ADMIN no note is due either way";
  const Outcome o = sysfence_run(with({"--caps", "docker-default"}, kUnshare));
  EXPECT_EQ(o.code(), 1) << o.describe();
  EXPECT_NE(o.err.find("Operation not permitted"), std::string::npos) << o.describe();
  EXPECT_EQ(o.err.find("sysfence: note:"), std::string::npos) << o.describe();
}

// --caps current: the process's own effective set, and no note.
TEST(RunCaps, CurrentIsTheProcessesOwnSet) {
  if (!test_has_sys_admin()) GTEST_SKIP() << "needs CAP_SYS_ADMIN so that the profile allows unshare";
  const Outcome bare = spawn({"/usr/bin/unshare", "--map-root-user", "--user", "true"});
  const Outcome o = sysfence_run(with({"--caps", "current"}, kUnshare));
  EXPECT_EQ(o.status, bare.status) << o.describe() << "\nwithout sysfence: " << bare.describe();
  EXPECT_EQ(o.err, bare.err) << o.describe();
  // Without CAP_SYS_ADMIN in the process, current follows it: denied.
  const Outcome lacking = run_without_sys_admin(with({"--caps", "current"}, kUnshare));
  EXPECT_EQ(lacking.code(), 1) << lacking.describe();
  EXPECT_NE(lacking.err.find("Operation not permitted"), std::string::npos) << lacking.describe();
  EXPECT_EQ(lacking.err.find("resolved for the capabilities"), std::string::npos) << lacking.describe();
}

}  // namespace
}  // namespace sysfence::run::testing
