// `sysfence verify` and `sysfence diff` end to end: the built binary (a data
// dependency) on filters compiled by `sysfence compile` and on filters this
// test writes itself (other tools' styles, broken files).
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "bpf/raw.h"
#include "profile/caps.h"
#include "profile/load.h"
#include "profile/resolve.h"
#include "test/cli_runner.h"
#include "test/verify/styles.h"

namespace sysfence {
namespace {

using cli_runner::Result;

Result run(const std::vector<std::string>& args) { return cli_runner::run_sysfence(args); }
std::string tmp(std::string_view name) { return cli_runner::tmp_path(name); }

void write_bytes(const std::string& path, const std::vector<uint8_t>& bytes) {
  cli_runner::write_file(path, std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

bool has(const std::string& text, std::string_view needle) { return text.find(needle) != std::string::npos; }

// Compiled by `sysfence compile` (the default profile, and with all
// capabilities, which allows more).
class VerifyCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ASSERT_EQ(run({"compile", "default", "--arch", "x86_64", "-o", tmp("default.bpf")}).exit_code, 0);
    ASSERT_EQ(run({"compile", "default", "--arch", "x86_64", "--caps", "all", "-o", tmp("all.bpf")}).exit_code, 0);
    ASSERT_EQ(run({"compile", "default", "--arch", "aarch64", "-o", tmp("arm64.bpf")}).exit_code, 0);
    ASSERT_EQ(run({"compile", "default", "--arch", "s390x", "-o", tmp("s390x.bpf")}).exit_code, 0);
    ASSERT_EQ(
        run({"compile", "default", "--arch", "x86_64", "--strategy", "linear", "-o", tmp("linear.bpf")}).exit_code, 0);
  }
};

TEST_F(VerifyCli, CompiledProfileIsProved) {
  const Result r = run({"verify", "--profile", "default", "--bpf", tmp("default.bpf"), "--arch", "x86_64"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(r.out.starts_with("equivalent (proved: ")) << r.out;
  EXPECT_TRUE(has(r.out, " paths, ")) << r.out;
  EXPECT_TRUE(has(r.out, " word constraints)")) << r.out;
}

// `compile` proves what it writes: the proof's size is in every format that
// has room for it, and --no-verify says plainly that there is none.
TEST_F(VerifyCli, CompileProvesBeforeWriting) {
  Result r = run({"compile", "default", "--arch", "aarch64", "--format", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(has(r.out, "\"proof\": {\"proved\": true, \"paths\": ")) << r.out.substr(0, 400);
  r = run({"compile", "default", "--arch", "aarch64", "--format", "json", "--no-verify"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(has(r.out, "\"proof\": null")) << r.out.substr(0, 400);
  r = run({"compile", "default", "--arch", "mips64el", "--format", "c", "--strategy", "balanced"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(has(r.out, " *   proof:    proved equal to the policy (")) << r.out.substr(0, 600);
  r = run({"compile", "default", "--arch", "mips64el", "--format", "c", "--no-verify"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(has(r.out, " *   proof:    not proved (compiled with --no-verify)")) << r.out.substr(0, 600);
}

// libseccomp (and so runc and Docker) answer an unknown arch KILL_THREAD;
// sysfence's default is KILL_PROCESS. --bad-arch makes either side match.
TEST_F(VerifyCli, BadArchActionIsChosen) {
  ASSERT_EQ(run({"compile", "default", "--arch", "x86_64", "--bad-arch", "kill-thread", "-o", tmp("kt.bpf")}).exit_code,
            0);
  Result r = run({"verify", "--profile", "default", "--bpf", tmp("kt.bpf"), "--arch", "x86_64"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_TRUE(has(r.out, "filter:  KILL_THREAD")) << r.out;
  EXPECT_TRUE(has(r.out, "profile: KILL_PROCESS")) << r.out;
  r = run(
      {"verify", "--profile", "default", "--bpf", tmp("kt.bpf"), "--arch", "x86_64", "--bad-arch", "SCMP_ACT_KILL"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  // --semantics runc: 64-bit comparisons and KILL_THREAD, both ways round.
  ASSERT_EQ(run({"compile", "default", "--arch", "x86_64", "--semantics", "runc", "-o", tmp("runc.bpf")}).exit_code, 0);
  r = run({"verify", "--profile", "default", "--bpf", tmp("runc.bpf"), "--arch", "x86_64", "--semantics", "runc"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  r = run({"verify", "--profile", "default", "--bpf", tmp("runc.bpf"), "--arch", "x86_64", "--semantics", "runc",
           "--arg-width", "abi"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_TRUE(has(r.out, "args[0].hi >= 0x1")) << r.out;  // only the 64-bit reading looks at it
  r = run({"verify", "--profile", "default", "--bpf", tmp("kt.bpf"), "--arch", "x86_64", "--bad-arch", "errno:99999"});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_TRUE(has(r.err, "invalid --bad-arch \"errno:99999\"")) << r.err;
}

TEST_F(VerifyCli, OtherArchesAndBigEndianFiles) {
  Result r = run({"verify", "--profile", "default", "--bpf", tmp("arm64.bpf"), "--arch", "aarch64"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  r = run({"verify", "--profile", "default", "--bpf", tmp("s390x.bpf"), "--arch", "s390x", "--arg-width", "abi"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  // The compiled filter compares socket's 32-bit family on its low word; the
  // literal 64-bit reading of the profile differs exactly there.
  r = run({"verify", "--profile", "default", "--bpf", tmp("s390x.bpf"), "--arch", "s390x", "--arg-width", "64",
           "--max-counterexamples", "20"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_TRUE(has(r.out, "socket (nr 359)")) << r.out;
  EXPECT_TRUE(has(r.out, "args[0].hi")) << r.out;
  // The x86_64 filter does not implement the aarch64 policy.
  r = run({"verify", "--profile", "default", "--bpf", tmp("default.bpf"), "--arch", "aarch64"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
}

TEST_F(VerifyCli, WrongCapabilitiesGiveCounterexamples) {
  const Result r = run(
      {"verify", "--profile", "default", "--bpf", tmp("all.bpf"), "--arch", "x86_64", "--max-counterexamples", "2"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  // Every counterexample is counted; two are shown.
  EXPECT_TRUE(r.out.starts_with("NOT equivalent: ")) << r.out;
  EXPECT_TRUE(has(r.out, " counterexamples, showing 2 of ")) << r.out;
  EXPECT_TRUE(has(r.out, "counterexample 1: ")) << r.out;
  EXPECT_TRUE(has(r.out, "counterexample 2: ")) << r.out;
  EXPECT_FALSE(has(r.out, "counterexample 3: ")) << r.out;
  EXPECT_TRUE(has(r.out, "filter:  ALLOW")) << r.out;
  EXPECT_TRUE(has(r.out, "profile: ERRNO(1)")) << r.out;
  EXPECT_TRUE(has(r.out, "(arch 0xc000003e)")) << r.out;
  EXPECT_TRUE(has(r.out, "(nr ")) << r.out;
  EXPECT_TRUE(has(r.out, "region:  every input with")) << r.out;
}

TEST_F(VerifyCli, DiffOfEqualFiltersIsAProof) {
  // Two different programs for one policy: an optimal tree and a chain.
  Result r = run({"diff", tmp("default.bpf"), tmp("linear.bpf"), "--arch", "x86_64"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(r.out.starts_with("equivalent (proved: ")) << r.out;
  r = run({"diff", tmp("default.bpf"), tmp("default.bpf")});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(r.out.starts_with("equivalent (identical programs")) << r.out;
}

TEST_F(VerifyCli, DiffGroupsRegionsBySyscall) {
  const Result r = run({"diff", tmp("default.bpf"), tmp("all.bpf"), "--arch", "x86_64"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_TRUE(has(r.out, "differ: ")) << r.out;
  EXPECT_TRUE(has(r.out, "(all of them: exhaustive over ")) << r.out;
  EXPECT_TRUE(has(r.out, "arch x86_64 (0xc000003e):")) << r.out;
  EXPECT_TRUE(has(r.out, "arch i386 (0x40000003):")) << r.out;
  // A syscall the extra capabilities allow, with its argument condition.
  EXPECT_TRUE(has(r.out, "  clone (56) [x86_64]")) << r.out;
  EXPECT_TRUE(has(r.out, "when args[0].lo")) << r.out;
  EXPECT_TRUE(has(r.out, "ERRNO(1)")) << r.out;
  EXPECT_TRUE(has(r.out, "ALLOW")) << r.out;
  EXPECT_TRUE(has(r.out, "e.g. x86_64 (arch 0xc000003e), clone (nr 56)")) << r.out;
  // Several regions, not just one point.
  size_t regions = 0;
  for (size_t p = r.out.find("      e.g. "); p != std::string::npos; p = r.out.find("      e.g. ", p + 1)) ++regions;
  EXPECT_GT(regions, 10u) << r.out;
}

TEST_F(VerifyCli, OtherToolsStylesVerify) {
  auto doc = profile::load_profile("profile/data/docker-default.json");
  ASSERT_TRUE(doc.has_value());
  profile::ResolveOptions o;
  o.native = syscalls::ArchId::kX86_64;
  o.caps = profile::docker_default_caps();
  o.kernel = {6, 1};
  auto res = profile::resolve(doc->profile, o);
  ASSERT_TRUE(res.has_value());
  for (auto style :
       {verify::testing::Style::kLinear, verify::testing::Style::kBinaryTree, verify::testing::Style::kRuncStub}) {
    auto prog = verify::testing::render(res->policy, style);
    ASSERT_TRUE(prog.has_value());
    const std::string path = tmp(fmt::format("style{}.bpf", static_cast<int>(style)));
    write_bytes(path, bpf::write_raw(*prog, Endian::kLittle));
    const Result r = run({"verify", "--profile", "profile/data/docker-default.json", "--bpf", path, "--arch", "x86_64",
                          "--caps", "docker-default", "--kernel", "6.1"});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_TRUE(r.out.starts_with("equivalent (proved: ")) << r.out;
  }
}

TEST_F(VerifyCli, OutsideTheFragmentIsTestingNotProof) {
  // nr + 1 == 60 is nr == 59; `add` on the input is outside the fragment.
  const bpf::Program a = {bpf::stmt(bpf::kLd | bpf::kW | bpf::kAbs, 0), bpf::stmt(bpf::kAlu | bpf::kAdd | bpf::kK, 1),
                          bpf::jump(bpf::kJmp | bpf::kJeq | bpf::kK, 60, 0, 1),
                          bpf::stmt(bpf::kRet | bpf::kRetK, kRetErrno | 1),
                          bpf::stmt(bpf::kRet | bpf::kRetK, kRetAllow)};
  const bpf::Program b = {
      bpf::stmt(bpf::kLd | bpf::kW | bpf::kAbs, 0), bpf::jump(bpf::kJmp | bpf::kJeq | bpf::kK, 59, 0, 1),
      bpf::stmt(bpf::kRet | bpf::kRetK, kRetErrno | 1), bpf::stmt(bpf::kRet | bpf::kRetK, kRetAllow)};
  write_bytes(tmp("add.bpf"), bpf::write_raw(a, Endian::kLittle));
  write_bytes(tmp("eq.bpf"), bpf::write_raw(b, Endian::kLittle));
  Result r = run({"diff", tmp("add.bpf"), tmp("eq.bpf"), "--arch", "x86_64"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_TRUE(has(r.out, "not proved")) << r.out;
  EXPECT_TRUE(has(r.out, "testing, not a proof")) << r.out;
  EXPECT_TRUE(has(r.out, "instruction 1")) << r.out;
  // Identical files are equal without any symbolic work.
  r = run({"diff", tmp("add.bpf"), tmp("add.bpf")});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
}

TEST_F(VerifyCli, BadInputIsExitTwoWithAMessage) {
  write_bytes(tmp("short.bpf"), {1, 2, 3, 4, 5, 6, 7, 8, 9, 10});
  Result r = run({"verify", "--profile", "default", "--bpf", tmp("short.bpf"), "--arch", "x86_64"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(has(r.err, "short.bpf")) << r.err;
  EXPECT_TRUE(has(r.err, "byte offset 8")) << r.err;

  // A filter the kernel would reject: the validator names the instruction.
  const bpf::Program invalid = {bpf::stmt(bpf::kLd | bpf::kW | bpf::kAbs, 3), bpf::stmt(bpf::kRet | bpf::kRetK, 0)};
  write_bytes(tmp("invalid.bpf"), bpf::write_raw(invalid, Endian::kLittle));
  r = run({"verify", "--profile", "default", "--bpf", tmp("invalid.bpf"), "--arch", "x86_64"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(has(r.err, "invalid.bpf: ")) << r.err;
  EXPECT_TRUE(has(r.err, "instruction 0")) << r.err;
  r = run({"diff", tmp("invalid.bpf"), tmp("default.bpf")});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(has(r.err, "instruction 0")) << r.err;

  // Usage errors and missing files: {args, exit code, a substring of stderr}.
  const cli_runner::FailureCase usage[] = {
      {{"verify", "--profile", "default"}, 2, ""},
      {{"verify", "--bpf", tmp("default.bpf")}, 2, ""},
      {{"verify", "--profile", "default", "--bpf", tmp("default.bpf"), "--arg-width", "32"}, 2, "--arg-width"},
      {{"verify", "--profile", "default", "--bpf", tmp("default.bpf"), "--arch", "x86-46"}, 2, "x86-46"},
      {{"verify", "--profile", tmp("missing.json"), "--bpf", tmp("default.bpf")}, 2, "missing.json"},
      {{"verify", "--profile", "default", "--bpf", tmp("missing.bpf")}, 2, "missing.bpf"},
      {{"diff", tmp("default.bpf")}, 2, ""},
      {{"diff", tmp("default.bpf"), tmp("all.bpf"), "--max-regions", "0"}, 2, ""},
  };
  for (const cli_runner::FailureCase& c : usage) cli_runner::expect_failure(c);
}

// 100 rules on ioctl, each one to three conditions (arg & m) == v on flag
// bits of the first four arguments, ALLOW or ERRNO (a fixed generator):
// more joint states than the diagrams' walk can visit.
std::string flag_mask_profile(bool flip_first_action) {
  uint64_t state = 42;
  auto next = [&state] {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return state >> 33;
  };
  std::string text = R"({"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_X86_64"], "syscalls": [)";
  for (int r = 0; r < 100; ++r) {
    std::string args;
    unsigned used = 0;
    for (uint64_t count = 1 + next() % 3; count > 0;) {
      const uint64_t index = next() % 4;
      if ((used & (1u << index)) != 0) continue;
      used |= 1u << index;
      --count;
      uint64_t mask = 0;
      for (uint64_t bits = 1 + next() % 3; bits > 0; --bits) mask |= uint64_t{1} << (next() % 32);
      const uint64_t value = next() & mask;
      args += fmt::format(R"({}{{"index": {}, "op": "SCMP_CMP_MASKED_EQ", "value": {}, "valueTwo": {}}})",
                          args.empty() ? "" : ", ", index, mask, value);
    }
    const bool allow = (next() % 2 == 0) != (flip_first_action && r == 0);
    text += fmt::format(R"({}{{"names": ["ioctl"], "action": "{}", "args": [{}]}})", r == 0 ? "" : ", ",
                        allow ? "SCMP_ACT_ALLOW" : "SCMP_ACT_ERRNO", args);
  }
  return text + "]}\n";
}

// Where the walk cannot finish, the satisfiability search proves the
// program (compile writes it and says how it was proved), and a profile
// that differs in one rule's action is told apart with a confirmed input.
TEST_F(VerifyCli, FlagMaskRulesAreProvedBySearch) {
  const std::string profile = tmp("flags.json");
  cli_runner::write_file(profile, flag_mask_profile(false));
  const std::string other = tmp("flags-flipped.json");
  cli_runner::write_file(other, flag_mask_profile(true));
  Result r = run({"compile", profile, "--arch", "x86_64", "--kernel", "6.1", "--format", "c", "-o", tmp("flags.h")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = run({"compile", profile, "--arch", "x86_64", "--kernel", "6.1", "-o", tmp("flags.bpf")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = run({"verify", "--profile", profile, "--bpf", tmp("flags.bpf"), "--arch", "x86_64", "--kernel", "6.1"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(has(r.out, "a satisfiability search of")) << r.out;
  r = run({"verify", "--profile", other, "--bpf", tmp("flags.bpf"), "--arch", "x86_64", "--kernel", "6.1"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_TRUE(r.out.starts_with("NOT equivalent")) << r.out;
  EXPECT_TRUE(has(r.out, "ioctl")) << r.out;
}

// A filter that allows every syscall but socket, and socket for some
// families: a counterexample on socket's arguments is an ordinary
// difference in the rules' conditions, not a filter that never reads the
// number, although it answers those arguments alike for every number.
TEST_F(VerifyCli, ArgumentDifferenceIsNotCalledANumberTheFilterIgnores) {
  const std::string source = tmp("socket-family.s");
  cli_runner::write_file(source,
                         ".arch x86_64\n"
                         "  A = arch\n"
                         "  if (A == ARCH_X86_64) goto ok\n"
                         "  return KILL_PROCESS\n"
                         "ok:\n"
                         "  A = sys_number\n"
                         "  if (A >= 0x40000000) goto bad\n"
                         "  if (A == socket) goto sock\n"
                         "  return ALLOW\n"
                         "sock:\n"
                         "  A = args[0]\n"
                         "  if (A == 10) goto deny\n"
                         "  return ALLOW\n"
                         "deny:\n"
                         "  return ERRNO(13)\n"
                         "bad:\n"
                         "  return KILL_PROCESS\n");
  ASSERT_EQ(run({"asm", source, "-o", tmp("socket-family.bpf")}).exit_code, 0);
  const std::string profile = tmp("socket-family.json");
  cli_runner::write_file(profile,
                         R"({"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64"], "syscalls": [)"
                         R"({"names": ["socket"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13, "args": )"
                         R"([{"index": 0, "value": 2, "op": "SCMP_CMP_EQ"}]}]})");
  const Result r = run({"verify", "--profile", profile, "--bpf", tmp("socket-family.bpf"), "--arch", "x86_64"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_TRUE(has(r.out, "differences in the rules' conditions or actions: socket")) << r.out;
  EXPECT_FALSE(has(r.out, "answered alike by the filter for every syscall")) << r.out;
}

}  // namespace
}  // namespace sysfence
