// Every command that resolves a profile (compile, verify, audit, explain,
// sim, stats, run) takes the same resolution flags, reports the profile's
// strict findings and warnings the same way, and fails under --strict on a
// profile with an unknown field: end to end, on the built binary.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

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

// Allows everything but getppid, so that `run` can run `true` under it.
constexpr std::string_view kClean =
    R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["getppid"], "action": "SCMP_ACT_ERRNO"}]})";
// The same with a field no profile format has.
constexpr std::string_view kUnknownField =
    R"({"defaultAction": "SCMP_ACT_ALLOW", "bogus": 1,
        "syscalls": [{"names": ["getppid"], "action": "SCMP_ACT_ERRNO"}]})";
// A constant wider than socket's 32-bit family argument: a width warning.
constexpr std::string_view kWide =
    R"({"defaultAction": "SCMP_ACT_ALLOW",
        "syscalls": [{"names": ["socket"], "action": "SCMP_ACT_ERRNO",
                      "args": [{"index": 0, "value": 4294967334, "op": "SCMP_CMP_EQ"}]}]})";

// Each resolving command on PROFILE, with FLAGS where its resolution flags
// go. verify proves a filter compiled from the same profile with the same
// flags, so it exits 0 whenever the flags are accepted.
struct Command {
  std::string name;
  std::string (*args)(const std::string& profile, const std::string& flags);
  int ok_exit;  // audit: the clean profile has findings below the default threshold only
  int bad_input_exit;
};

std::string verify_args(const std::string& profile, const std::string& flags) {
  const std::string bpf = tmp("verify.bpf");
  std::remove(bpf.c_str());
  run(fmt::format("compile {} {} -o {}", profile, flags, bpf));
  return fmt::format("verify --profile {} --bpf {} {}", profile, bpf, flags);
}

const std::vector<Command>& commands() {
  static const std::vector<Command> kCommands = {
      {"compile",
       [](const std::string& p, const std::string& f) { return fmt::format("compile {} {} -o /dev/null", p, f); }, 0,
       2},
      {"verify", &verify_args, 0, 2},
      {"audit",
       [](const std::string& p, const std::string& f) { return fmt::format("audit {} {} --fail-on critical", p, f); },
       0, 2},
      {"explain",
       [](const std::string& p, const std::string& f) { return fmt::format("explain read --profile {} {}", p, f); }, 0,
       2},
      {"sim", [](const std::string& p, const std::string& f) { return fmt::format("sim {} --syscall read {}", p, f); },
       0, 2},
      {"stats", [](const std::string& p, const std::string& f) { return fmt::format("stats {} {}", p, f); }, 0, 2},
      // run's own failures are 125, as docker run's.
      {"run",
       [](const std::string& p, const std::string& f) { return fmt::format("run --profile {} {} -- true", p, f); }, 0,
       125},
  };
  return kCommands;
}

const std::vector<std::string> kSharedFlags = {
    "--caps all",
    "--caps none",
    "--kernel 5.8",
    "--downgrade-actions log=allow,kill-process=kill-thread",
    "--unknown-syscalls default",
    "--arg-width 64",
    "--bad-arch kill-thread",
    "--semantics libseccomp",
    "--semantics sysfence",
    "--rule-combination libseccomp",
    "--strict",
};

TEST(SharedFlags, EveryResolvingCommandAcceptsEachOne) {
  const std::string profile = tmp("clean.json");
  write(profile, std::string(kClean));
  for (const Command& c : commands()) {
    for (const std::string& flag : kSharedFlags) {
      const CliRun r = run(c.args(profile, flag));
      EXPECT_EQ(r.code, c.ok_exit) << c.name << " " << flag << ": " << r.err;
      EXPECT_FALSE(contains(r.err, "unknown option")) << c.name << " " << flag << ": " << r.err;
    }
  }
}

// The help (and so the man page and the completion generated from it) names
// every value --semantics accepts.
TEST(SharedFlags, EveryHelpListsEachSemantics) {
  std::vector<std::string> names;
  for (const Command& c : commands()) names.push_back(c.name);
  names.emplace_back("record");
  for (const std::string& name : names) {
    const CliRun r = run(name + " --help");
    EXPECT_EQ(r.code, 0) << name << ": " << r.err;
    EXPECT_TRUE(contains(r.out, "--semantics sysfence|runc|libseccomp")) << name << ": " << r.out;
  }
}

TEST(SharedFlags, AValueIsCheckedTheSameWayEverywhere) {
  const std::string profile = tmp("clean.json");
  write(profile, std::string(kClean));
  for (const Command& c : commands()) {
    const CliRun r = run(c.args(profile, "--semantics docker"));
    EXPECT_EQ(r.code, c.bad_input_exit) << c.name << ": " << r.err;
    EXPECT_TRUE(contains(r.err, "invalid --semantics \"docker\"")) << c.name << ": " << r.err;
  }
}

// An empty --caps (an unset variable) or a stray comma would have dropped
// Docker's default capabilities without a word; "none" in a list would be
// ignored by the union.
TEST(SharedFlags, AnEmptyCapsListOrItemIsRefusedEverywhere) {
  const std::string profile = tmp("clean.json");
  write(profile, std::string(kClean));
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"--caps ''", "invalid --caps \"\": empty capability list (none says no capabilities)"},
      {"--caps ,", "invalid --caps \",\": item 1 of the list is empty"},
      {"--caps CAP_SYS_ADMIN,,", "invalid --caps \"CAP_SYS_ADMIN,,\": item 2 of the list is empty"},
      {"--caps all,none", "invalid --caps \"all,none\": none is the empty set and cannot be combined with other items"},
  };
  for (const Command& c : commands()) {
    for (const auto& [flag, message] : cases) {
      const CliRun r = run(c.args(profile, flag));
      EXPECT_EQ(r.code, c.bad_input_exit) << c.name << " " << flag << ": " << r.err;
      EXPECT_EQ(r.err, "sysfence: " + message + "\n") << c.name << " " << flag;
      EXPECT_EQ(r.out, "") << c.name << " " << flag;
    }
  }
}

TEST(SharedFlags, ADowngradeSpecIsCheckedTheSameWayEverywhere) {
  const std::string profile = tmp("clean.json");
  write(profile, std::string(kClean));
  for (const Command& c : commands()) {
    const CliRun r = run(c.args(profile, "--downgrade-actions log"));
    EXPECT_EQ(r.code, c.bad_input_exit) << c.name << ": " << r.err;
    EXPECT_TRUE(contains(r.err, "invalid --downgrade-actions \"log\"")) << c.name << ": " << r.err;
  }
}

TEST(TargetKernel, AnActionTheTargetLacksFailsEveryCommand) {
  const std::string profile = tmp("log-default.json");
  write(profile, R"({"defaultAction": "SCMP_ACT_LOG", "syscalls": []})");
  for (const Command& c : commands()) {
    if (c.name == "run") continue;  // runs on this machine, whose kernel is the target
    const CliRun r = run(c.args(profile, "--kernel 4.13"));
    EXPECT_EQ(r.code, 2) << c.name << ": " << r.err;
    EXPECT_TRUE(contains(r.err, "defaultAction SCMP_ACT_LOG needs Linux 4.14")) << c.name << ": " << r.err;
  }
}

TEST(Strict, AnUnknownFieldFailsEveryCommandAndIsReportedWithout) {
  const std::string profile = tmp("unknown-field.json");
  write(profile, std::string(kUnknownField));
  for (const Command& c : commands()) {
    const CliRun strict = run(c.args(profile, "--strict"));
    EXPECT_EQ(strict.code, c.bad_input_exit) << c.name << ": " << strict.err;
    EXPECT_TRUE(contains(strict.err, "bogus")) << c.name << ": " << strict.err;
    EXPECT_TRUE(strict.out.empty()) << c.name << ": " << strict.out;

    const CliRun lenient = run(c.args(profile, "--kernel 6.1"));
    EXPECT_EQ(lenient.code, c.ok_exit) << c.name << ": " << lenient.err;
    EXPECT_TRUE(contains(lenient.err, fmt::format("sysfence: warning: {}:1:", profile)))
        << c.name << ": " << lenient.err;
    EXPECT_TRUE(contains(lenient.err, "unknown field \"bogus\"")) << c.name << ": " << lenient.err;
  }
}

// 1000 unknown keys, one a line from line 2: the first 256 are listed, the
// other 744 counted in one line from the 257th's position (line 258).
TEST(Strict, UnknownFieldsPastTheFirst256AreCountedByEveryCommand) {
  std::string text = "{\"defaultAction\": \"SCMP_ACT_ALLOW\",\n";
  for (int i = 0; i < 1000; ++i) text += fmt::format("\"k{}\": 0{}\n", i, i == 999 ? "}" : ",");
  const std::string profile = tmp("many-unknown-fields.json");
  write(profile, text);
  for (const Command& c : commands()) {
    const CliRun r = run(c.args(profile, "--kernel 6.1"));
    EXPECT_EQ(r.code, c.ok_exit) << c.name << ": " << r.err;
    size_t listed = 0;
    for (size_t at = r.err.find("unknown field \""); at != std::string::npos;
         at = r.err.find("unknown field \"", at + 1))
      ++listed;
    EXPECT_EQ(listed, 256U) << c.name;
    EXPECT_TRUE(contains(r.err, "unknown field \"k255\"")) << c.name;
    EXPECT_FALSE(contains(r.err, "unknown field \"k256\"")) << c.name;
    EXPECT_TRUE(contains(r.err, fmt::format("sysfence: warning: {}:258:1: 744 more findings like the above", profile)))
        << c.name << ": " << r.err.substr(r.err.size() > 600 ? r.err.size() - 600 : 0);
  }
}

// What Go's encoding/json accepts silently (a repeated key, a key matched
// case-insensitively, an unknown one) is a warning like any other outside
// --strict: every line about the profile says so.
TEST(Strict, FindingsArePrintedAsWarningsByEveryCommand) {
  const std::string profile = tmp("findings.json");
  write(profile, R"({"defaultAction": "SCMP_ACT_ERRNO", "defaultAction": "SCMP_ACT_ALLOW", "DefaultErrnoRet": 1,
                     "bogus": 1, "syscalls": [{"names": ["getppid"], "action": "SCMP_ACT_ERRNO"}]})");
  for (const Command& c : commands()) {
    const CliRun r = run(c.args(profile, "--kernel 6.1"));
    EXPECT_EQ(r.code, c.ok_exit) << c.name << ": " << r.err;
    EXPECT_TRUE(contains(r.err, "given more than once")) << c.name << ": " << r.err;
    EXPECT_TRUE(contains(r.err, "matched case-insensitively")) << c.name << ": " << r.err;
    EXPECT_TRUE(contains(r.err, "unknown field \"bogus\"")) << c.name << ": " << r.err;
    std::istringstream lines(r.err);
    for (std::string line; std::getline(lines, line);) {
      if (!contains(line, profile)) continue;
      EXPECT_TRUE(line.starts_with("sysfence: warning: ")) << c.name << ": " << line;
    }
  }
}

// "name" with "names": the reader's warning, then the resolver's error for
// the entry it keeps; only the error reads as one.
TEST(Strict, NameWithNamesIsAWarningThenTheError) {
  const std::string profile = tmp("name-and-names.json");
  write(profile, R"({"defaultAction": "SCMP_ACT_ALLOW",
                     "syscalls": [{"name": "read", "names": ["write"], "action": "SCMP_ACT_ERRNO"}]})");
  const CliRun r = run(fmt::format("compile {} --arch x86_64 -o /dev/null", profile));
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_TRUE(contains(r.err, fmt::format("sysfence: warning: {}:2:35: /syscalls/0: both \"name\" and \"names\" "
                                          "are set; use one of them\n",
                                          profile)))
      << r.err;
  EXPECT_TRUE(contains(r.err, fmt::format("sysfence: {}:2:35: syscalls[0]: both", profile))) << r.err;
}

TEST(Warnings, PrintedAlikeByEveryCommandButAudit) {
  const std::string profile = tmp("wide.json");
  write(profile, std::string(kWide));
  for (const Command& c : commands()) {
    const CliRun r = run(c.args(profile, "--kernel 6.1"));
    EXPECT_EQ(r.code, c.ok_exit) << c.name << ": " << r.err;
    const std::string expected = fmt::format("sysfence: warning: {}:", profile);
    if (c.name == "audit") {
      // There the warning is a finding of the report, not a second copy on stderr.
      EXPECT_FALSE(contains(r.err, "warning")) << r.err;
      EXPECT_TRUE(contains(r.out, "socket")) << r.out;
    } else {
      EXPECT_TRUE(contains(r.err, expected)) << c.name << ": " << r.err;
    }
  }
}

// socket ERRNO if family >= 2^32, on the built binary: with --arg-width abi
// (the default) socket(AF_INET) is allowed, as the kernel reads an int
// family no value reaches 2^32 with; --arg-width 64 compares all 64 bits.
TEST(ArgWidth, AFamilyAboveEveryIntDeniesNoSocketCall) {
  const std::string profile = tmp("ge.json");
  write(profile, R"({"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64"],
    "syscalls": [{"names": ["socket"], "action": "SCMP_ACT_ERRNO",
                  "args": [{"index": 0, "value": 4294967296, "op": "SCMP_CMP_GE"}]}]})");
  const std::string inputs = tmp("ge.in");
  write(inputs, "socket 2\nsocket 0x100000002\n");
  const CliRun abi = run(fmt::format("sim {} --arch x86_64 --inputs {}", profile, inputs));
  EXPECT_EQ(abi.code, 0) << abi.err;
  EXPECT_TRUE(contains(abi.out, "ALLOW")) << abi.out;
  EXPECT_FALSE(contains(abi.out, "ERRNO")) << abi.out;
  EXPECT_TRUE(contains(abi.err, "the condition never holds and the rule matches no call")) << abi.err;
  const CliRun wide = run(fmt::format("sim {} --arch x86_64 --arg-width 64 --inputs {}", profile, inputs));
  EXPECT_EQ(wide.code, 0) << wide.err;
  EXPECT_TRUE(wide.out.starts_with("ALLOW")) << wide.out;
  EXPECT_TRUE(contains(wide.out, "\nERRNO(1)")) << wide.out;
}

// getppid allowed, then denied: the two entries conflict (line 2 and 3).
constexpr std::string_view kConflict =
    "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [\n"
    "  {\"names\": [\"getppid\"], \"action\": \"SCMP_ACT_LOG\"},\n"
    "  {\"names\": [\"getppid\"], \"action\": \"SCMP_ACT_ERRNO\"}]}";

TEST(Warnings, ARuleConflictIsReportedByEveryCommand) {
  const std::string profile = tmp("conflict.json");
  write(profile, std::string(kConflict));
  // (On the native ABI: run takes no --arch.)
  const std::string both = fmt::format(
      "{}:2:3: syscalls[0] (LOG) and {}:3:3: syscalls[1] (ERRNO(1)) both match getppid on ", profile, profile);
  for (const Command& c : commands()) {
    const CliRun r = run(c.args(profile, "--kernel 6.1"));
    EXPECT_EQ(r.code, c.ok_exit) << c.name << ": " << r.err;
    if (c.name == "audit") {
      EXPECT_TRUE(contains(r.out, "rule-conflict")) << r.out;
      EXPECT_TRUE(contains(r.out, both)) << r.out;
    } else {
      EXPECT_TRUE(contains(r.err, fmt::format("sysfence: warning: {}", both))) << c.name << ": " << r.err;
      EXPECT_TRUE(contains(r.err, "libseccomp, and so runc, Docker and Podman, answers LOG"))
          << c.name << ": " << r.err;
    }
  }
}

TEST(RuleCombination, LibseccompKeepsTheFirstUnconditionalRule) {
  const std::string profile = tmp("conflict.json");
  write(profile, std::string(kConflict));
  const CliRun own = run(fmt::format("sim {} --arch x86_64 --syscall getppid --kernel 6.1", profile));
  EXPECT_EQ(own.code, 0) << own.err;
  EXPECT_TRUE(contains(own.out, "ERRNO(1)")) << own.out;
  for (const std::string flags : {"--rule-combination libseccomp", "--semantics runc", "--semantics libseccomp"}) {
    const CliRun lib = run(fmt::format("sim {} --arch x86_64 --syscall getppid --kernel 6.1 {}", profile, flags));
    EXPECT_EQ(lib.code, 0) << flags << ": " << lib.err;
    EXPECT_TRUE(contains(lib.out, "LOG")) << flags << ": " << lib.out;
    EXPECT_FALSE(contains(lib.out, "ERRNO(1)")) << flags << ": " << lib.out;
  }
  // An explicit flag wins over the preset.
  const CliRun back = run(fmt::format(
      "sim {} --arch x86_64 --syscall getppid --kernel 6.1 --semantics runc --rule-combination most-restrictive",
      profile));
  EXPECT_TRUE(contains(back.out, "ERRNO(1)")) << back.out;
  const CliRun bad = run(fmt::format("compile {} --rule-combination first -o /dev/null", profile));
  EXPECT_EQ(bad.code, 2);
  EXPECT_TRUE(contains(bad.err, "invalid --rule-combination \"first\": expected most-restrictive or libseccomp"))
      << bad.err;
}

// --semantics runc notes a profile's flags, which runc before 1.2.0 refuses.
TEST(Semantics, RuncNotesTheProfilesFlags) {
  const std::string profile = tmp("flags.json");
  write(profile,
        "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"flags\": [\"SECCOMP_FILTER_FLAG_SPEC_ALLOW\"],\n"
        " \"syscalls\": [{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ALLOW\"}]}\n");
  const std::string note = "flags SECCOMP_FILTER_FLAG_SPEC_ALLOW: runc before 1.2.0 refuses the container";
  const CliRun runc = run(fmt::format("compile {} --arch x86_64 --kernel 6.1 --semantics runc --format json", profile));
  EXPECT_EQ(runc.code, 0) << runc.err;
  EXPECT_TRUE(contains(runc.out, note)) << runc.out;
  for (const std::string semantics : {"--semantics sysfence", "--semantics libseccomp", ""}) {
    const CliRun other = run(fmt::format("compile {} --arch x86_64 --kernel 6.1 {} --format json", profile, semantics));
    EXPECT_EQ(other.code, 0) << semantics << ": " << other.err;
    EXPECT_FALSE(contains(other.out, note)) << semantics << ": " << other.out;
  }
}

TEST(RuleCombination, WhatLibseccompRefusesIsExit2NamingBothEntries) {
  const std::string profile = tmp("eexist.json");
  write(profile,
        "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [\n"
        "  {\"names\": [\"getppid\"], \"action\": \"SCMP_ACT_LOG\", \"args\": [{\"index\": 0, \"value\": 1, "
        "\"op\": \"SCMP_CMP_EQ\"}]},\n"
        "  {\"names\": [\"getppid\"], \"action\": \"SCMP_ACT_ERRNO\", \"args\": [{\"index\": 0, \"value\": 1, "
        "\"op\": \"SCMP_CMP_EQ\"}]}]}");
  const std::string bpf = tmp("eexist.bpf");
  std::remove(bpf.c_str());
  // A filter for verify to read: sysfence's own combination compiles it.
  const std::string own_bpf = tmp("eexist-own.bpf");
  ASSERT_EQ(run(fmt::format("compile {} --arch x86_64 --kernel 6.1 -o {}", profile, own_bpf)).code, 0);
  for (const std::string verb : {"compile", "verify"}) {
    const std::string args =
        verb == std::string("compile")
            ? fmt::format("compile {} --arch x86_64 --kernel 6.1 --semantics runc -o {}", profile, bpf)
            : fmt::format("verify --profile {} --bpf {} --arch x86_64 --kernel 6.1 --semantics runc", profile, own_bpf);
    const CliRun r = run(args);
    EXPECT_EQ(r.code, 2) << verb << ": " << r.err;
    EXPECT_TRUE(
        contains(r.err, fmt::format("{}:2:3: syscalls[0] and {}:3:3: syscalls[1] give getppid (x86_64) the same "
                                    "conditions with different actions (LOG, ERRNO(1))",
                                    profile, profile)))
        << verb << ": " << r.err;
    EXPECT_TRUE(contains(r.err, "so runc would refuse the profile")) << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
  }
  EXPECT_FALSE(std::ifstream(bpf).good()) << "no partial output";
  // sysfence's own combination compiles it, with the warning.
  const CliRun own = run(fmt::format("compile {} --arch x86_64 --kernel 6.1 -o /dev/null", profile));
  EXPECT_EQ(own.code, 0) << own.err;
  EXPECT_TRUE(contains(own.err, "refuses the profile (EEXIST")) << own.err;
}

}  // namespace
}  // namespace sysfence
