// `sysfence sim` end to end: the binary is run on raw files written here and
// its answers are compared with the interpreter library.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "base/seccomp.h"
#include "bpf/interp.h"
#include "bpf/raw.h"
#include "test/bpf/random_program.h"
#include "test/cli_runner.h"

namespace sysfence::bpf {
namespace {

std::string tmp(const std::string& name) { return cli_runner::tmp_path(name); }

using cli_runner::write_file;

void write_program(const std::string& path, const Program& p, Endian e) {
  const auto bytes = write_raw(p, e);
  write_file(path, std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

// What the tests below read of a run.
struct CliRun {
  int code;
  std::string out;
  std::string err;
};

// Runs `sysfence sim ARGS` (ARGS split at spaces; stdin from `options`).
CliRun sim(const std::string& args, const cli_runner::Options& options = {}) {
  const cli_runner::Result r = cli_runner::run_sysfence(cli_runner::words("sim " + args), options);
  return {r.exit_code, r.out, r.err};
}

// if (args[0] high word == 1) ERRNO(1); else if (nr == read) ERRNO(2); else ALLOW.
// "high word" is word 5 on little-endian targets and word 4 on big-endian ones.
Program sample(Endian e) {
  return {stmt(kLd | kW | kAbs, arg_hi_offset(0, e)),
          jump(kJmp | kJeq | kK, 1, 0, 1),
          stmt(kRet | kRetK, kRetErrno | 1),
          stmt(kLd | kW | kAbs, kOffsetNr),
          jump(kJmp | kJeq | kK, 0, 0, 1),
          stmt(kRet | kRetK, kRetErrno | 2),
          stmt(kRet | kRetK, kRetAllow)};
}

TEST(SimCli, SingleSyscall) {
  const std::string f = tmp("le.bpf");
  write_program(f, sample(Endian::kLittle), Endian::kLittle);
  CliRun r = sim(fmt::format("--bpf {} --arch x86_64 --syscall read", f));
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "ERRNO(2)\t5\n");
  r = sim(fmt::format("--bpf {} --arch x86_64 --syscall 1 --args 0x100000000,2", f));
  EXPECT_EQ(r.out, "ERRNO(1)\t3\n");
  r = sim(fmt::format("--bpf {} --arch SCMP_ARCH_X86_64 --syscall write --args 0xffffffff", f));
  EXPECT_EQ(r.out, "ALLOW\t5\n");
}

// uretprobe (6.12 on) and uprobe (6.18 on) run on x86_64 without any
// filter (kernel/seccomp.c seccomp_uprobe_exception): sim answers what the
// kernel does and says what the filters would have; kernel_exemption_test
// checks the table against the running kernel.
TEST(SimCli, CallsTheKernelNeverFiltersAreAllowedAndSaidSo) {
  const std::string p = tmp("deny-uprobes.json");
  write_file(p, R"({"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X32"],
    "syscalls": [{"names": ["uretprobe", "uprobe", "getppid"], "action": "SCMP_ACT_ERRNO"}]})");
  CliRun r = sim(fmt::format("{} --arch x86_64 --kernel 6.12 --syscall uretprobe", p));
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out,
            "ALLOW\t0\tthe kernel runs no seccomp filter for uretprobe on x86_64 since Linux 6.12 (the filters "
            "answer ERRNO(1))\n");
  r = sim(fmt::format("{} --arch x86_64 --kernel 6.11 --syscall uretprobe", p));
  EXPECT_TRUE(r.out.starts_with("ERRNO(1)\t")) << r.out;
  r = sim(fmt::format("{} --arch x86_64 --kernel 6.17 --syscall uprobe", p));
  EXPECT_TRUE(r.out.starts_with("ERRNO(1)\t")) << r.out;
  r = sim(fmt::format("{} --arch x86_64 --kernel 6.18 --syscall uprobe --format json", p));
  EXPECT_NE(r.out.find(R"("kernel_exempt")"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(R"("since": "6.18")"), std::string::npos) << r.out;
  // x32's numbers carry bit 30: filtered as ever.
  r = sim(fmt::format("{} --arch x32 --kernel 6.18 --syscall uretprobe", p));
  EXPECT_TRUE(r.out.starts_with("ERRNO(1)\t")) << r.out;
}

// A negative number is the kernel's `int nr` as the filter reads it: -1 (a
// tracer skipping the call) is 0xffffffff, -2 is 0xfffffffe; beyond the int's
// range, or not a number, it is an error.
TEST(SimCli, NegativeSyscallNumbersAreTheKernelsInt) {
  // if (nr == 0xffffffff) ERRNO(7); else if (nr == 0xfffffffe) ERRNO(8); else ALLOW.
  const Program p = {stmt(kLd | kW | kAbs, kOffsetNr),  jump(kJmp | kJeq | kK, 0xffffffffU, 0, 1),
                     stmt(kRet | kRetK, kRetErrno | 7), jump(kJmp | kJeq | kK, 0xfffffffeU, 0, 1),
                     stmt(kRet | kRetK, kRetErrno | 8), stmt(kRet | kRetK, kRetAllow)};
  const std::string f = tmp("negative.bpf");
  write_program(f, p, Endian::kLittle);
  CliRun r = sim(fmt::format("--bpf {} --arch x86_64 --syscall -1", f));
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "ERRNO(7)\t3\n");
  const std::string in = tmp("negative.in");
  write_file(in, "-1\n-2 1\n-0\n0xffffffff\n");
  r = sim(fmt::format("--bpf {} --arch x86_64 --inputs {}", f, in));
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "ERRNO(7)\t3\nERRNO(8)\t4\nALLOW\t4\nERRNO(7)\t3\n");
  r = sim(fmt::format("--bpf {} --arch x86_64 --syscall -2147483649", f));
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("does not fit the kernel's int"), std::string::npos) << r.err;
  r = sim(fmt::format("--bpf {} --arch x86_64 --syscall -x", f));
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("invalid syscall number \"-x\""), std::string::npos) << r.err;
}

TEST(SimCli, TraceShowsEveryExecutedInstruction) {
  const std::string f = tmp("le.bpf");
  write_program(f, sample(Endian::kLittle), Endian::kLittle);
  const CliRun r = sim(fmt::format("--bpf {} --arch x86_64 --syscall write --trace", f));
  EXPECT_EQ(r.code, 0) << r.err;
  std::istringstream lines(r.out);
  std::string line;
  std::string last;
  int count = 0;
  while (std::getline(lines, line)) {
    ++count;
    last = line;
  }
  EXPECT_EQ(count, 6);  // 5 instructions + the result line
  EXPECT_EQ(last, "ALLOW\t5");
  EXPECT_NE(r.out.find("0006: "), std::string::npos) << r.out;
}

TEST(SimCli, BigEndianTargetsReadTheirOwnLayout) {
  // The same logic compiled for a big-endian target: the raw file is
  // big-endian and args[0]'s high word is seccomp_data word 4.
  const std::string f = tmp("be.bpf");
  write_program(f, sample(Endian::kBig), Endian::kBig);
  CliRun r = sim(fmt::format("--bpf {} --arch s390x --syscall 1 --args 0x100000000", f));
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "ERRNO(1)\t3\n");
  r = sim(fmt::format("--bpf {} --arch s390x --syscall 1 --args 1", f));
  EXPECT_EQ(r.out, "ALLOW\t5\n");
  // Read as little-endian the file is garbage, which the validator reports.
  r = sim(fmt::format("--bpf {} --arch s390x --raw-endian little --syscall 1", f));
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("be.bpf: instruction 0:"), std::string::npos) << r.err;
}

TEST(SimCli, SyscallNamesIncludeTheArchBias) {
  // nr == 4003 (MIPS o32 read) -> ERRNO(3), else ALLOW.
  const Program p = {stmt(kLd | kW | kAbs, kOffsetNr), jump(kJmp | kJeq | kK, 4003, 0, 1),
                     stmt(kRet | kRetK, kRetErrno | 3), stmt(kRet | kRetK, kRetAllow)};
  const std::string f = tmp("mips.bpf");
  write_program(f, p, Endian::kBig);
  CliRun r = sim(fmt::format("--bpf {} --arch mips --syscall read", f));
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "ERRNO(3)\t3\n");
  r = sim(fmt::format("--bpf {} --arch mips --syscall 3", f));
  EXPECT_EQ(r.out, "ALLOW\t3\n");
}

TEST(SimCli, BatchMatchesTheInterpreter) {
  testing::RandomProgramGenerator gen(99);
  testing::Rng& rng = gen.rng();
  testing::RandomProgramOptions opts;
  opts.constants = {0, 1, 2, 3, 0xc000003e, 0xffffffff, 7};
  opts.max_length = 80;
  opts.loadable_words = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
  for (int round = 0; round < 3; ++round) {
    const Program p = gen.valid(opts);
    const std::string f = tmp("batch.bpf");
    write_program(f, p, Endian::kLittle);
    auto interp = Interpreter::create(p);
    ASSERT_TRUE(interp.has_value());
    std::string input;
    std::string expected;
    for (int i = 0; i < 500; ++i) {
      SeccompData d;
      d.arch = 0xc000003e;
      d.nr = rng.below(8);
      for (auto& a : d.args) a = rng.chance(50) ? rng.below(4) : rng.next();
      d.instruction_pointer = rng.chance(50) ? 0 : rng.next();
      // Alternate spellings: decimal / hex, trailing zero arguments omitted.
      input += fmt::format("{}", d.nr);
      for (uint64_t a : d.args) input += rng.chance(50) ? fmt::format(" {}", a) : fmt::format(" {:#x}", a);
      input += fmt::format(" {:#x}\n", d.instruction_pointer);
      const RunResult res = interp->run(d, Endian::kLittle);
      expected += fmt::format("{}\t{}\n", to_string(res.action()), res.insns);
    }
    // Missing fields are zero.
    input += "5\n\n# a comment line\n  6 1\n";
    SeccompData five;
    five.nr = 5;
    five.arch = 0xc000003e;
    SeccompData six = five;
    six.nr = 6;
    six.args[0] = 1;
    for (const SeccompData& d : {five, six}) {
      const RunResult res = interp->run(d, Endian::kLittle);
      expected += fmt::format("{}\t{}\n", to_string(res.action()), res.insns);
    }
    const std::string in = tmp("inputs.txt");
    write_file(in, input);
    CliRun r = sim(fmt::format("--bpf {} --arch x86_64 --inputs {}", f, in));
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, expected);
    r = sim(fmt::format("--bpf {} --arch x86_64 --inputs -", f), cli_runner::stdin_from(in));
    EXPECT_EQ(r.out, expected);
  }
}

TEST(SimCli, BadInputIsReportedWithItsLocation) {
  const std::string f = tmp("le.bpf");
  write_program(f, sample(Endian::kLittle), Endian::kLittle);
  const std::string in = tmp("bad.txt");
  write_file(in, "1 2\n3 0x\n");
  CliRun r = sim(fmt::format("--bpf {} --arch x86_64 --inputs {}", f, in));
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err, fmt::format("sysfence: {}:2:3: invalid args[0] \"0x\" (expected a decimal or "
                               "0x-hex number up to 64 bits)\n",
                               in));
  write_file(in, "1 2 3 4 5 6 7 8 9\n");
  r = sim(fmt::format("--bpf {} --arch x86_64 --inputs -", f), cli_runner::stdin_from(in));
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("<stdin>:1:17: too many fields"), std::string::npos) << r.err;
  write_file(in, "wirte\n");
  r = sim(fmt::format("--bpf {} --arch x86_64 --inputs {}", f, in));
  EXPECT_NE(r.err.find(":1:1: unknown syscall \"wirte\" for x86_64 (did you mean \"write\"?)"), std::string::npos)
      << r.err;
  write_file(in, std::string(5000, '1') + "\n");
  r = sim(fmt::format("--bpf {} --arch x86_64 --inputs {}", f, in));
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find(":1:1: line longer than 4096 bytes"), std::string::npos) << r.err;
}

TEST(SimCli, BadFiltersAndUsage) {
  const std::string f = tmp("short.bpf");
  write_file(f, std::string(20, '\0'));
  CliRun r = sim(fmt::format("--bpf {} --arch x86_64 --syscall 1", f));
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err, fmt::format("sysfence: {}: truncated instruction at byte offset 16 (size 20 "
                               "is not a multiple of 8)\n",
                               f));
  write_file(f, "");
  r = sim(fmt::format("--bpf {} --arch x86_64 --syscall 1", f));
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("empty filter"), std::string::npos) << r.err;
  write_program(f, {stmt(kLd | kMem, 2), stmt(kRet | kRetA, 0)}, Endian::kLittle);
  r = sim(fmt::format("--bpf {} --arch x86_64 --syscall 1", f));
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find(f + ": instruction 0: M[2] is read"), std::string::npos) << r.err;

  const std::string ok = tmp("le.bpf");
  write_program(ok, sample(Endian::kLittle), Endian::kLittle);
  const cli_runner::FailureCase usage[] = {
      {{"sim", "--bpf", ok, "--arch", "x86_64"}, 2, ""},
      {{"sim", "--bpf", ok, "--arch", "nosuch", "--syscall", "1"}, 2, ""},
      {{"sim", "--bpf", ok, "--syscall", "1", "--inputs", "-"}, 2, ""},
      {{"sim", "--bpf", ok, "--syscall", "1", "--args", "1,2,3,4,5,6,7"}, 2, ""},
      {{"sim", "--bpf", ok, "--syscall", "0x1ffffffff"}, 2, ""},
      {{"sim", "--bpf", tmp("") + "/missing.bpf", "--syscall", "1"}, 2, ""},
  };
  for (const cli_runner::FailureCase& c : usage) cli_runner::expect_failure(c);
}

// A profile is resolved, compiled and run; its answers follow the profile
// (Docker's default: socket families, personality values, the ABI-width rule).
TEST(SimCli, ProfileFollowsItsRules) {
  CliRun r = sim("default --arch x86_64 --kernel 6.1 --syscall socket --args 38,5");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(r.out.starts_with("ERRNO(1)\t")) << r.out;
  r = sim("default --arch x86_64 --kernel 6.1 --syscall socket --args 1,1");
  EXPECT_TRUE(r.out.starts_with("ALLOW\t")) << r.out;
  // The kernel reads `int family`: a high word does not get AF_ALG through...
  r = sim("default --arch x86_64 --kernel 6.1 --syscall socket --args 0x100000026,5");
  EXPECT_TRUE(r.out.starts_with("ERRNO(1)\t")) << r.out;
  // ...unless the user asks for libseccomp's literal 64-bit comparisons.
  r = sim("default --arch x86_64 --kernel 6.1 --arg-width 64 --syscall socket --args 0x100000026,5");
  EXPECT_TRUE(r.out.starts_with("ALLOW\t")) << r.out;
  // Batch mode over a profile, and the ENOSYS answer above the profile's syscalls.
  const std::string inputs = tmp("profile-inputs.txt");
  write_file(inputs, "personality 8\npersonality 9\nmount\n1000\n");
  r = sim(fmt::format("default --arch x86_64 --kernel 6.1 --inputs {}", inputs));
  EXPECT_EQ(r.code, 0) << r.err;
  std::istringstream lines(r.out);
  std::string line;
  std::vector<std::string> actions;
  while (std::getline(lines, line)) actions.push_back(line.substr(0, line.find('\t')));
  EXPECT_EQ(actions, (std::vector<std::string>{"ALLOW", "ERRNO(1)", "ERRNO(1)", "ERRNO(38)"}));
}

TEST(SimCli, ProfileFlagsAreChecked) {
  const cli_runner::FailureCase cases[] = {
      {{"sim", "default", "--bpf", "x.bpf", "--syscall", "read"}, 2, "exactly one of PROFILE and --bpf"},
      {{"sim", "--bpf", "x.bpf", "--caps", "none", "--syscall", "read"}, 2, "go with a PROFILE"},
      {{"sim", "no-such-profile.json", "--syscall", "read"}, 2, "no-such-profile.json"},
  };
  for (const cli_runner::FailureCase& c : cases) cli_runner::expect_failure(c);
}

}  // namespace
}  // namespace sysfence::bpf
