// `sysfence run` end to end in the real kernel: the scenarios of Docker's
// profile documentation, its example profile, Docker's exit codes, the option
// spellings. Every filter is installed by a sysfence process the test
// spawns, never by the test itself.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <string>
#include <vector>

#include "test/bpf/kernel_child.h"
#include "test/run/spawn.h"

namespace sysfence::run::testing {
namespace {

std::string seed_profile() {
  const char* dir = std::getenv("TEST_SRCDIR");
  return std::string(dir != nullptr ? dir : ".") + "/sysfence/profile/examples/seed-example.json";
}

const std::vector<std::string> kUnshareWhoami = {"unshare", "--map-root-user", "--user", "sh", "-c", "whoami"};

std::vector<std::string> with(std::vector<std::string> head, const std::vector<std::string>& tail) {
  head.insert(head.end(), tail.begin(), tail.end());
  return head;
}

// --- the documentation's scenario -------------------------------------------

// Docker's default profile allows unshare(CLONE_NEWUSER) only with
// CAP_SYS_ADMIN; with Docker's default capabilities the filter answers EPERM.
TEST(RunSeed, DefaultProfileDeniesUnshareWithDockerCaps) {
  const Outcome o = sysfence_run(with({"--profile", "default", "--caps", "docker-default", "--"}, kUnshareWhoami));
  EXPECT_EQ(o.code(), 1) << o.describe();
  EXPECT_NE(o.err.find("Operation not permitted"), std::string::npos) << o.describe();
  EXPECT_EQ(o.out, "") << o.describe();
}

// The documentation's own spelling of the option, and the profile as the default.
TEST(RunSeed, SecurityOptSpellingsSelectTheSameFilter) {
  const Outcome plain = sysfence_run(with({"--caps", "docker-default", "--"}, kUnshareWhoami));
  const Outcome colon =
      sysfence_run(with({"--security-opt", "seccomp:default", "--caps", "docker-default", "--"}, kUnshareWhoami));
  const Outcome equals =
      sysfence_run(with({"--security-opt=seccomp=default", "--caps", "docker-default", "--"}, kUnshareWhoami));
  for (const Outcome* o : {&plain, &colon, &equals}) {
    EXPECT_EQ(o->code(), 1) << o->describe();
    EXPECT_NE(o->err.find("Operation not permitted"), std::string::npos) << o->describe();
  }
}

// Under unconfined the filter cannot be the reason: the command does
// exactly what it does without sysfence (whatever this machine allows).
TEST(RunSeed, UnconfinedBehavesAsWithoutSysfence) {
  std::vector<std::string> direct = kUnshareWhoami;
  direct[0] = "/usr/bin/unshare";
  const Outcome bare = spawn(direct);
  const Outcome profile = sysfence_run(with({"--profile", "unconfined", "--"}, kUnshareWhoami));
  const Outcome opt = sysfence_run(with({"--security-opt", "seccomp:unconfined", "--"}, kUnshareWhoami));
  for (const Outcome* o : {&profile, &opt}) {
    EXPECT_EQ(o->status, bare.status) << o->describe() << "\nwithout sysfence: " << bare.describe();
    EXPECT_EQ(o->out, bare.out);
    EXPECT_EQ(o->err, bare.err);
  }
}

// With CAP_SYS_ADMIN in the capability set, Docker's profile allows the
// namespace calls: the result is again what the machine itself decides.
TEST(RunSeed, DefaultProfileWithSysAdminLeavesUnshareToTheMachine) {
  std::vector<std::string> direct = kUnshareWhoami;
  direct[0] = "/usr/bin/unshare";
  const Outcome bare = spawn(direct);
  const Outcome o = sysfence_run(with({"--caps", "all", "--"}, kUnshareWhoami));
  EXPECT_EQ(o.status, bare.status) << o.describe() << "\nwithout sysfence: " << bare.describe();
  EXPECT_EQ(o.out, bare.out);
  EXPECT_EQ(o.err, bare.err);
}

// --- the documentation's example profile -----------------------------------

TEST(RunSeedExample, DeniedSyscallsFailWithEperm) {
  const std::string file = tmp_path("victim");
  write_file(file, "x");
  const Outcome o =
      sysfence_run({"--profile", seed_profile(), "--", client_binary(), "getcwd", "chmod:" + file + ":0600",
                    "chown:" + file + ":0:0", "mount:none:/mnt:tmpfs", "getppid"});
  EXPECT_EQ(o.code(), 0) << o.describe();
  EXPECT_EQ(o.out,
            "getcwd = -1 EPERM\n"
            "chmod = -1 EPERM\n"
            "chown = -1 EPERM\n"
            "mount = -1 EPERM\n"
            "getppid = 1\n")
      << o.describe();
  struct stat st {};
  ASSERT_EQ(stat(file.c_str(), &st), 0);
  EXPECT_NE(st.st_mode & 0777, 0600u) << "chmod must not have run";
}

// `pwd -P` (the shell's builtin asks getcwd(2)) fails; `ls` works. (dash
// reports the failure and prints an empty line, with status 0.)
TEST(RunSeedExample, PwdFailsAndLsWorks) {
  const Outcome pwd = sysfence_run({"--profile", seed_profile(), "--", "sh", "-c", "pwd -P"});
  EXPECT_NE(pwd.err.find("getcwd() failed: Operation not permitted"), std::string::npos) << pwd.describe();
  EXPECT_EQ(pwd.out.find('/'), std::string::npos) << pwd.describe();

  const std::string dir = tmp_path("lsdir");
  mkdir(dir.c_str(), 0755);
  write_file(dir + "/listed-file", "");
  const Outcome ls = sysfence_run({"--profile", seed_profile(), "--", "ls", dir});
  EXPECT_EQ(ls.code(), 0) << ls.describe();
  EXPECT_EQ(ls.out, "listed-file\n");
  EXPECT_EQ(ls.err, "");

  // The same command without a filter: pwd works.
  const Outcome bare = sysfence_run({"--profile", "unconfined", "--", "sh", "-c", "pwd -P"});
  EXPECT_EQ(bare.code(), 0) << bare.describe();
  EXPECT_EQ(bare.out.front(), '/') << bare.describe();
  EXPECT_EQ(bare.err, "");
}

// chmod(2) / chown(2) as libc's chmod() and chown() make them fail (the
// client above issues them directly; here through Python's os module).
// Note: coreutils' chmod and chown use fchmodat / fchownat, which the example
// profile does not name, so those commands succeed under it, with Docker
// as with sysfence.
TEST(RunSeedExample, LibcChmodAndChownFail) {
  const std::string file = tmp_path("py-victim");
  write_file(file, "x");
  const Outcome o =
      sysfence_run({"--profile", seed_profile(), "--", "sh", "-c",
                    "chmod 600 " + file + " && echo coreutils-chmod-ok; " +
                        "python3 -c 'import os, sys\n"
                        "for f in (lambda: os.chmod(sys.argv[1], 0o644), lambda: os.chown(sys.argv[1], 0, 0)):\n"
                        " try: f(); print(\"ok\")\n"
                        " except OSError as e: print(e.strerror)' " +
                        file});
  if (o.err.find("python3: not found") != std::string::npos) GTEST_SKIP() << "no python3 here";
  EXPECT_EQ(o.code(), 0) << o.describe();
  EXPECT_EQ(o.out, "coreutils-chmod-ok\nOperation not permitted\nOperation not permitted\n") << o.describe();
}

// --- exit codes --------------------------------------------------------------

TEST(RunExitCodes, CommandStatusPassesThrough) {
  EXPECT_EQ(sysfence_run({"--", "sh", "-c", "exit 7"}).code(), 7);
  EXPECT_EQ(sysfence_run({"sh", "-c", "exit 0"}).code(), 0);  // `--` is optional
  const Outcome killed = sysfence_run({"--", "sh", "-c", "kill -TERM $$"});
  EXPECT_EQ(killed.signal(), SIGTERM) << killed.describe();
}

TEST(RunExitCodes, NotFoundIs127) {
  Outcome o = sysfence_run({"--", "no-such-command-sysfence-test"});
  EXPECT_EQ(o.code(), 127) << o.describe();
  EXPECT_NE(o.err.find("executable file not found in $PATH"), std::string::npos) << o.err;
  o = sysfence_run({"--", "/nonexistent/dir/cmd"});
  EXPECT_EQ(o.code(), 127) << o.describe();
  o = sysfence_run({"--profile", "unconfined", "--", "/nonexistent/dir/cmd"});
  EXPECT_EQ(o.code(), 127) << o.describe();
}

// compile's spelling `run default -- CMD` is a usage error naming --profile,
// not "default: executable file not found".
TEST(RunExitCodes, ProfileAsFirstArgumentIsAUsageError) {
  for (const char* profile : {"default", "unconfined", "my-profile.json"}) {
    const Outcome o = sysfence_run({profile, "--", "true"});
    EXPECT_EQ(o.code(), 125) << o.describe();
    EXPECT_NE(o.err.find(std::string("the profile goes in --profile ") + profile), std::string::npos) << o.err;
  }
  // A command followed by its own `--` still runs.
  EXPECT_EQ(sysfence_run({"sh", "-c", "exit 3", "--"}).code(), 3);
}

TEST(RunExitCodes, CannotRunIs126) {
  const std::string file = tmp_path("not-executable");
  write_file(file, "#!/bin/sh\nexit 0\n");
  chmod(file.c_str(), 0644);
  Outcome o = sysfence_run({"--", file});
  EXPECT_EQ(o.code(), 126) << o.describe();
  o = sysfence_run({"--", tmp_path("")});  // a directory
  EXPECT_EQ(o.code(), 126) << o.describe();
  // execve itself denied by the profile, after the filter is in place.
  const std::string profile = tmp_path("deny-execve.json");
  write_file(profile,
             R"({"defaultAction": "SCMP_ACT_ALLOW",
                 "syscalls": [{"names": ["execve"], "action": "SCMP_ACT_ERRNO"}]})");
  o = sysfence_run({"--profile", profile, "--", "true"});
  EXPECT_EQ(o.code(), 126) << o.describe();
  EXPECT_NE(o.err.find("Operation not permitted"), std::string::npos) << o.err;
}

// A profile that kills or traps execve would end the process with SIGSYS
// before the command starts: 126 and a message naming the answer, not a
// death by signal 31 that looks like the command's own. Only execve: the
// same actions on another call leave the command to run.
TEST(RunExitCodes, ExecveKilledOrTrappedIs126) {
  for (const char* action : {"SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_KILL", "SCMP_ACT_TRAP"}) {
    const std::string profile = tmp_path(std::string("kill-execve-") + action + ".json");
    write_file(profile, std::string(R"({"defaultAction": "SCMP_ACT_ALLOW",
                 "syscalls": [{"names": ["execve"], "action": ")") + action + R"("}]})");
    for (const char* extra : {"", "--trace-denials"}) {
      std::vector<std::string> args = {"--profile", profile};
      if (*extra != '\0') args.push_back(extra);
      args.insert(args.end(), {"--", client_binary(), "exit:6"});
      const Outcome o = sysfence_run(args);
      EXPECT_EQ(o.code(), 126) << action << " " << extra << ": " << o.describe();
      EXPECT_NE(o.err.find("answers its execve"), std::string::npos) << action << ": " << o.err;
      EXPECT_NE(o.err.find("SIGSYS"), std::string::npos) << action << ": " << o.err;
    }
  }
  // The same action on a call the command never makes (nor does a
  // sanitizer's runtime in it: LeakSanitizer calls getppid at exit).
  const std::string profile = tmp_path("kill-vhangup.json");
  write_file(profile, R"({"defaultAction": "SCMP_ACT_ALLOW",
                 "syscalls": [{"names": ["vhangup"], "action": "SCMP_ACT_KILL_PROCESS"}]})");
  const Outcome o = sysfence_run({"--profile", profile, "--", client_binary(), "exit:6"});
  EXPECT_EQ(o.code(), 6) << o.describe();
}

// An allowlist that forgets execve forgets exit_group and close too: the
// process that installed the filter could then neither exit nor pass the
// CLI's end-of-run close(1). Still 126, said on stderr, and nothing else.
TEST(RunExitCodes, ExecveDeniedWithExitAndCloseDeniedIs126) {
  // The sanitizers' runtime in the filtered sysfence makes calls of its own
  // (sigaltstack, mmap) that these profiles deny: it aborts, and cannot exit.
  if (bpf::testing::running_under_sanitizer()) GTEST_SKIP() << "not under sanitizers (see kernel_child.h)";
  struct Case {
    std::string name;
    std::string allowed;  // JSON names the profile allows (default ERRNO)
    std::vector<std::string> options;
  };
  const std::vector<Case> cases = {
      {"read-write", R"("read", "write")", {}},
      {"read-only", R"("read")", {}},  // not even write: the message is not the child's to write
      {"exit-write", R"("exit_group", "exit", "write")", {}},  // close denied, exit allowed
      {"read-write-traced", R"("read", "write")", {"--trace-denials"}},
  };
  for (const Case& c : cases) {
    const std::string profile = tmp_path("allow-" + c.name + ".json");
    write_file(profile, R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": [)" + c.allowed +
                            R"(], "action": "SCMP_ACT_ALLOW"}]})");
    std::vector<std::string> args = {"--profile", profile};
    args.insert(args.end(), c.options.begin(), c.options.end());
    args.insert(args.end(), {"--", "/bin/true"});
    const Outcome o = sysfence_run(args);
    EXPECT_EQ(o.code(), 126) << c.name << ": " << o.describe();
    EXPECT_NE(o.err.find("sysfence: cannot run /bin/true: Operation not permitted\n"), std::string::npos)
        << c.name << ": " << o.err;
    EXPECT_EQ(o.err.find("standard output"), std::string::npos) << c.name << ": " << o.err;
    EXPECT_EQ(o.out, "") << c.name;
    if (c.options.empty()) {
      EXPECT_EQ(lines_starting(o.err, "sysfence: ").size(), 1U) << c.name << ": " << o.err;
    } else {
      // The denied execve is the command's, reported; sysfence's own way out is not.
      EXPECT_EQ(lines_starting(o.err, "denied: ").size(), 1U) << c.name << ": " << o.err;
      EXPECT_EQ(o.err.find("exit_group"), std::string::npos) << c.name << ": " << o.err;
    }
  }
}

// ERRNO(0) for execve is no error: the kernel skips the call and returns 0,
// so the command never runs. Said so (not "cannot run /bin/true: Success"),
// still 126, whether sysfence execs itself (write and exit_group allowed),
// from a parent (a default ERRNO(0) answers those too) or traced.
TEST(RunExitCodes, ExecveAnsweredErrnoZeroIsSaidToBeSkipped) {
  // The filtered sysfence's sanitizer runtime makes calls these profiles
  // answer ERRNO(0) (see kernel_child.h).
  if (bpf::testing::running_under_sanitizer()) GTEST_SKIP() << "not under sanitizers (see kernel_child.h)";
  struct Case {
    std::string name;
    std::string profile;
    std::vector<std::string> options;
  };
  const std::string explicit_zero = R"({"defaultAction": "SCMP_ACT_ALLOW",
      "syscalls": [{"names": ["execve"], "action": "SCMP_ACT_ERRNO", "errnoRet": 0}]})";
  const std::vector<Case> cases = {
      {"errno-ret-0", explicit_zero, {}},
      {"errno-ret-0-traced", explicit_zero, {"--trace-denials"}},
      {"default-errno-ret-0", R"({"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 0, "syscalls": []})", {}},
  };
  for (const Case& c : cases) {
    const std::string profile = tmp_path(c.name + ".json");
    write_file(profile, c.profile);
    std::vector<std::string> args = {"--profile", profile};
    args.insert(args.end(), c.options.begin(), c.options.end());
    args.insert(args.end(), {"--", "/bin/true"});
    const Outcome o = sysfence_run(args);
    EXPECT_EQ(o.code(), 126) << c.name << ": " << o.describe();
    EXPECT_NE(o.err.find("sysfence: the profile answers execve ERRNO(0): the kernel skips the call and returns 0, so "
                         "/bin/true never runs\n"),
              std::string::npos)
        << c.name << ": " << o.err;
    EXPECT_EQ(o.err.find("Success"), std::string::npos) << c.name << ": " << o.err;
    EXPECT_EQ(o.out, "") << c.name;
  }
}

// A profile that denies exit_group runs the command in a child of sysfence
// (which can report a failed execve): the command's status and signal still
// come through, and the signals sent to sysfence reach the command.
TEST(RunExitCodes, StatusPassesThroughWhenTheProfileDeniesExitGroup) {
  const std::string profile = tmp_path("deny-exit-group.json");
  write_file(profile, R"({"defaultAction": "SCMP_ACT_ALLOW",
                          "syscalls": [{"names": ["exit_group"], "action": "SCMP_ACT_ERRNO"}]})");
  // sh's exit_group fails; glibc's _exit then calls exit, which ends the
  // single thread with the status.
  EXPECT_EQ(sysfence_run({"--profile", profile, "--", "sh", "-c", "exit 7"}).code(), 7);
  const Outcome killed = sysfence_run({"--profile", profile, "--", "sh", "-c", "kill -TERM $$"});
  EXPECT_EQ(killed.signal(), SIGTERM) << killed.describe();
  const Outcome forwarded =
      sysfence_run({"--profile", profile, "--", "sh", "-c", "kill -USR1 $PPID; exec sleep 5"}, 20000);
  EXPECT_EQ(forwarded.signal(), SIGUSR1) << forwarded.describe();
}

TEST(RunExitCodes, ScriptsWithoutInterpreterLineRunThroughSh) {
  const std::string file = tmp_path("plain-script");
  write_file(file, "exit 5\n");
  chmod(file.c_str(), 0755);
  EXPECT_EQ(sysfence_run({"--", file}).code(), 5);
}

TEST(RunExitCodes, OwnFailuresAre125) {
  const std::string bad = tmp_path("bad.json");
  write_file(bad, "{\"defaultAction\": \"SCMP_ACT_ALLOW\",\n \"syscalls\": [ {\"names\": [\"read\"], }\n]}");
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{"--profile", tmp_path("missing.json"), "--", "true"}, "missing.json: cannot open"},
      {{"--profile", bad, "--", "true"}, "bad.json:2:"},
      {{"--caps", "CAP_NOPE", "--", "true"}, "CAP_NOPE"},
      {{"--kernel", "five", "--", "true"}, "invalid kernel version"},
      {{"--bogus", "--", "true"}, "unknown option --bogus"},
      {{"--profile", "default"}, "no command given"},
      {{"--profile", "default", "--security-opt", "seccomp=default", "--", "true"}, "not both"},
      {{"--security-opt", "apparmor=foo", "--", "true"}, "apparmor=foo"},
      {{"--security-opt", "seccomp=", "--", "true"}, "empty"},
  };
  for (const Case& c : cases) {
    const Outcome o = sysfence_run(c.args);
    EXPECT_EQ(o.code(), 125) << o.describe();
    EXPECT_NE(o.err.find(c.message), std::string::npos) << "expected \"" << c.message << "\" in:\n" << o.err;
  }
}

TEST(RunOptions, NoNewPrivilegesIsAcceptedAndLogAndTsyncInstall) {
  Outcome o = sysfence_run({"--security-opt", "no-new-privileges", "--log", "--tsync", "--", "sh", "-c",
                            "grep -E '^(NoNewPrivs|Seccomp):' /proc/self/status"});
  EXPECT_EQ(o.code(), 0) << o.describe();
  EXPECT_EQ(o.out, "NoNewPrivs:\t1\nSeccomp:\t2\n");
  o = sysfence_run({"--profile", "unconfined", "--", "sh", "-c", "grep -E '^Seccomp:' /proc/self/status"});
  EXPECT_EQ(o.out, "Seccomp:\t0\n") << o.describe();
}

// The profile's own "flags" are applied; WAIT_KILLABLE_RECV without a
// listener is dropped with a note (the kernel would refuse it).
TEST(RunOptions, ProfileFlags) {
  const std::string profile = tmp_path("flags.json");
  write_file(profile,
             R"({"defaultAction": "SCMP_ACT_ALLOW",
                 "flags": ["SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"],
                 "syscalls": [{"names": ["getcwd"], "action": "SCMP_ACT_ERRNO"}]})");
  const Outcome o = sysfence_run({"--profile", profile, "--", client_binary(), "getcwd"});
  EXPECT_EQ(o.code(), 0) << o.describe();
  EXPECT_EQ(o.out, "getcwd = -1 EPERM\n");
  EXPECT_NE(o.err.find("WAIT_KILLABLE_RECV is dropped"), std::string::npos) << o.err;
}

}  // namespace
}  // namespace sysfence::run::testing
