// Filter stacks on the built binary: every command that takes a filter takes
// `--bpf` repeated (the first the oldest) or a dump directory
// (filter-<kernel index>.bpf, 0 = the oldest: index order is installation
// order). "filter N" in the outputs is the kernel's index N. The filters are
// small raw programs written here whose combination is worked out by hand.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <string>
#include <vector>

#include "base/seccomp.h"
#include "bpf/insn.h"
#include "bpf/raw.h"
#include "test/cli_runner.h"

namespace sysfence {
namespace {

using namespace bpf;  // NOLINT: instruction constants
using cli_runner::FailureCase;

std::string tmp(const std::string& name) { return cli_runner::tmp_path(name); }

void write_program(const std::string& path, const Program& p) {
  const auto bytes = write_raw(p, Endian::kLittle);
  cli_runner::write_file(path, std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

cli_runner::Result run(const std::string& args) { return cli_runner::run_sysfence(cli_runner::words(args)); }

// getpid (39) -> `hit`, every other call -> `other`; no arch check.
Program on_getpid(uint32_t hit, uint32_t other) {
  return {stmt(kLd | kW | kAbs, kOffsetNr), jump(kJmp | kJeq | kK, 39, 0, 1), stmt(kRet | kRetK, hit),
          stmt(kRet | kRetK, other)};
}

// A profile: x86_64 only, getpid, getppid and read allowed, ERRNO(1) else.
constexpr std::string_view kProfile = R"({
  "defaultAction": "SCMP_ACT_ERRNO",
  "defaultErrnoRet": 1,
  "architectures": ["SCMP_ARCH_X86_64"],
  "syscalls": [{"names": ["getpid", "getppid", "read"], "action": "SCMP_ACT_ALLOW"}]
})";

class StackCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    cli_runner::write_file(tmp("p.json"), kProfile);
    const auto compiled = run(fmt::format("compile {} --arch x86_64 -o {}", tmp("p.json"), tmp("p.bpf")));
    ASSERT_EQ(compiled.exit_code, 0) << compiled.describe();
    write_program(tmp("allow.bpf"), {stmt(kRet | kRetK, kRetAllow)});
    // ERRNO(1) on getpid, ALLOW else (older); TRAP(7) on getpid, LOG else (newer).
    write_program(tmp("errno1.bpf"), on_getpid(kRetErrno | 1, kRetAllow));
    write_program(tmp("trap7.bpf"), on_getpid(kRetTrap | 7, kRetLog));
    write_program(tmp("errno13.bpf"), on_getpid(kRetErrno | 13, kRetAllow));
    // A dump directory of the same two: filter-0 is the oldest (errno1),
    // filter-1 the newer (trap7).
    mkdir(tmp("dump").c_str(), 0755);
    write_program(tmp("dump/filter-0.bpf"), on_getpid(kRetErrno | 1, kRetAllow));
    write_program(tmp("dump/filter-1.bpf"), on_getpid(kRetTrap | 7, kRetLog));
    cli_runner::write_file(tmp("dump/stack.json"), "{}");
    // Two ERRNOs on getpid: a tie, which the newer filter (filter-1) wins.
    mkdir(tmp("tie").c_str(), 0755);
    write_program(tmp("tie/filter-0.bpf"), on_getpid(kRetErrno | 1, kRetAllow));
    write_program(tmp("tie/filter-1.bpf"), on_getpid(kRetErrno | 13, kRetAllow));
    // The profile's filter (the oldest) with a newer one that changes getpid.
    mkdir(tmp("changed").c_str(), 0755);
    cli_runner::write_file(tmp("changed/filter-0.bpf"), cli_runner::read_file(tmp("p.bpf")));
    write_program(tmp("changed/filter-1.bpf"), on_getpid(kRetErrno | 13, kRetAllow));
  }
};

TEST_F(StackCli, SimNamesTheDecidingFilter) {
  // getpid: TRAP(7) beats ERRNO(1); 3 + 3 instructions. trap7.bpf is the
  // second --bpf: installation position, kernel index, 1.
  auto r =
      run(fmt::format("sim --bpf {} --bpf {} --arch x86_64 --syscall getpid", tmp("errno1.bpf"), tmp("trap7.bpf")));
  EXPECT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_EQ(r.out, fmt::format("TRAP(7)\t6\tfilter 1 ({})\n", tmp("trap7.bpf")));
  // Reversed installation order: TRAP still wins, now from filter 0.
  r = run(fmt::format("sim --bpf {} --bpf {} --arch x86_64 --syscall getpid", tmp("trap7.bpf"), tmp("errno1.bpf")));
  EXPECT_EQ(r.out, fmt::format("TRAP(7)\t6\tfilter 0 ({})\n", tmp("trap7.bpf")));
  // getppid: LOG (trap7.bpf, filter-1 of the directory) beats ALLOW.
  r = run(fmt::format("sim --bpf {} --arch x86_64 --syscall getppid", tmp("dump")));
  EXPECT_EQ(r.out, fmt::format("LOG\t6\tfilter 1 ({})\n", tmp("dump/filter-1.bpf")));
  // A tie is won by the newer filter: the directory is read in index order
  // as installation order, so filter-1.bpf is the newer one.
  r = run(fmt::format("sim --bpf {} --arch x86_64 --syscall getpid", tmp("tie")));
  EXPECT_EQ(r.out, fmt::format("ERRNO(13)\t6\tfilter 1 ({})\n", tmp("tie/filter-1.bpf")));
  // Every filter allows.
  r = run(fmt::format("sim --bpf {} --bpf {} --arch x86_64 --syscall getppid", tmp("allow.bpf"), tmp("errno1.bpf")));
  EXPECT_EQ(r.out, "ALLOW\t4\tevery filter allows\n");
  // One filter: the output of old, two columns.
  r = run(fmt::format("sim --bpf {} --arch x86_64 --syscall getpid", tmp("errno1.bpf")));
  EXPECT_EQ(r.out, "ERRNO(1)\t3\n");
  // JSON names the deciding filter and each filter's answer.
  r = run(fmt::format("sim --bpf {} --arch x86_64 --syscall getpid --format json", tmp("dump")));
  EXPECT_NE(r.out.find("\"decided_by\": 1"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"name\": \"ERRNO(1)\""), std::string::npos) << r.out;
}

TEST_F(StackCli, VerifyProvesAStackAndNamesTheChangingFilter) {
  auto r = run(fmt::format("verify --profile {} --arch x86_64 --bpf {} --bpf {}", tmp("p.json"), tmp("p.bpf"),
                           tmp("allow.bpf")));
  EXPECT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_EQ(r.out.rfind("equivalent (proved: ", 0), 0U) << r.out;
  r = run(fmt::format("verify --profile {} --arch x86_64 --bpf {}", tmp("p.json"), tmp("changed")));
  EXPECT_EQ(r.exit_code, 1) << r.describe();
  EXPECT_NE(r.out.find("getpid"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("  filter:  ERRNO(13) "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(fmt::format(" filter 1 ({}): ret at instruction 2", tmp("changed/filter-1.bpf"))),
            std::string::npos)
      << r.out;
  r = run(fmt::format("verify --profile {} --arch x86_64 --bpf {} --format json", tmp("p.json"), tmp("changed")));
  EXPECT_NE(r.out.find(fmt::format("\"deciding_filter\": {{\n        \"index\": 1,\n        \"name\": \"{}\"",
                                   tmp("changed/filter-1.bpf"))),
            std::string::npos)
      << r.out;
}

TEST_F(StackCli, DiffComparesStacks) {
  // The profile's filter vs the same under an ALLOW-everything filter.
  mkdir(tmp("same").c_str(), 0755);
  cli_runner::write_file(tmp("same/filter-0.bpf"), cli_runner::read_file(tmp("p.bpf")));
  cli_runner::write_file(tmp("same/filter-1.bpf"), cli_runner::read_file(tmp("allow.bpf")));
  auto r = run(fmt::format("diff {} {}", tmp("p.bpf"), tmp("same")));
  EXPECT_EQ(r.exit_code, 0) << r.describe();
  r = run(fmt::format("diff {} {}", tmp("p.bpf"), tmp("changed")));
  EXPECT_EQ(r.exit_code, 1) << r.describe();
  EXPECT_NE(r.out.find(fmt::format("{} decided by filter 1 ({}): ret at instruction 2", tmp("changed"),
                                   tmp("changed/filter-1.bpf"))),
            std::string::npos)
      << r.out;
  r = run(fmt::format("diff {} {} --format json", tmp("p.bpf"), tmp("changed")));
  EXPECT_NE(r.out.find("\"b_filter\""), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("\"a_filter\""), std::string::npos) << r.out;
  r = run(fmt::format("diff {} {}", tmp("dump"), tmp("dump")));
  EXPECT_EQ(r.out, "equivalent (identical stacks of 2 filters)\n");
}

// On a kernel before 6.12: from there the kernel caches the calls it runs
// no filter for (uretprobe, uprobe) whatever the filters say.
TEST_F(StackCli, StatsCountsEveryFilter) {
  auto one = run(fmt::format("stats --bpf {} --arch x86_64 --kernel 6.11", tmp("errno1.bpf")));
  ASSERT_EQ(one.exit_code, 0) << one.describe();
  EXPECT_EQ(one.out.rfind("program: 4 instructions\n", 0), 0U) << one.out;
  auto r = run(fmt::format("stats --bpf {} --bpf {} --arch x86_64 --kernel 6.11", tmp("errno1.bpf"), tmp("trap7.bpf")));
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_EQ(r.out.rfind("stack: 2 filters, 8 instructions (filter 0: 4, filter 1: 4;", 0), 0U) << r.out;
  // Every number runs 3 instructions per filter: max 6 for the stack.
  EXPECT_NE(r.out.find("max 6 (uniform)"), std::string::npos) << r.out;
  // The cache: the LOG filter caches nothing, so the stack caches nothing;
  // the errno filter alone caches every x86_64 syscall but getpid.
  EXPECT_NE(r.out.find("kernel action cache:    0 of "), std::string::npos) << r.out;
  EXPECT_EQ(one.out.find("kernel action cache:    0 of "), std::string::npos) << one.out;
  auto dir = run(fmt::format("stats --bpf {} --arch x86_64 --kernel 6.11", tmp("dump")));
  EXPECT_EQ(dir.out, r.out);
}

TEST_F(StackCli, AuditNamesFilters) {
  // Two filters without an arch check: the finding is confirmed on the
  // stack and names the filter that shows it, the newer of the two that do
  // (dump/filter-1.bpf, kernel index 1).
  auto r = run(fmt::format("audit --bpf {} --arch x86_64", tmp("dump")));
  EXPECT_EQ(r.exit_code, 1) << r.describe();
  EXPECT_NE(r.out.find("audited stack: 2 filters (filter 0 is the oldest)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(fmt::format("[filter 1 ({})", tmp("dump/filter-1.bpf"))), std::string::npos) << r.out;
  // The profile's filter under ALLOW-everything: the ALLOW filter's default
  // is not the stack's (the profile's denies), so no default-allow.
  r = run(fmt::format("audit --bpf {} --bpf {} --arch x86_64", tmp("p.bpf"), tmp("allow.bpf")));
  EXPECT_EQ(r.out.find("default-allow"), std::string::npos) << r.out;
  auto alone = run(fmt::format("audit --bpf {} --arch x86_64", tmp("allow.bpf")));
  EXPECT_NE(alone.out.find("default-allow"), std::string::npos) << alone.out;
}

TEST_F(StackCli, BadStacksAreUsageErrors) {
  mkdir(tmp("empty").c_str(), 0755);
  mkdir(tmp("gap").c_str(), 0755);
  write_program(tmp("gap/filter-0.bpf"), {stmt(kRet | kRetK, kRetAllow)});
  write_program(tmp("gap/filter-2.bpf"), {stmt(kRet | kRetK, kRetAllow)});
  // The kernel counts each filter converted to eBPF, + 4 per older filter,
  // against 32768 for a thread's filters together. 4095 loads and a `ret`
  // count 3 + 4095 + 2 = 4100: 8 * 4100 + 7 * 4 = 32828 is over.
  bpf::Program longest(4095, stmt(kLd | kW | kAbs, 0));
  longest.push_back(stmt(kRet | kRetK, kRetAllow));
  write_program(tmp("longest.bpf"), longest);
  std::vector<std::string> too_long = {"sim", "--syscall", "0"};
  for (int k = 0; k < 8; ++k) too_long.insert(too_long.end(), {"--bpf", tmp("longest.bpf")});
  // 4096 `ret`s count 3 + 2 * 4096 = 8195: four are 32792, over, although
  // their classic lengths (16396 with the 4s) are far below the limit.
  write_program(tmp("rets.bpf"), bpf::Program(4096, stmt(kRet | kRetK, kRetAllow)));
  std::vector<std::string> rets = {"sim", "--syscall", "0"};
  for (int k = 0; k < 4; ++k) rets.insert(rets.end(), {"--bpf", tmp("rets.bpf")});
  const std::vector<FailureCase> cases = {
      {too_long, 2,
       "8 filters of 32828 instructions as the kernel counts them (each filter converted to eBPF, + 4 per older "
       "filter), over its limit of 32768: the kernel refuses filter 7 (" +
           tmp("longest.bpf") + ")"},
      {rets, 2, "4 filters of 32792 instructions as the kernel counts them"},
      {{"sim", "--bpf", tmp("empty"), "--syscall", "0"}, 2, "no filter-0.bpf: not a dump directory"},
      {{"sim", "--bpf", tmp("gap"), "--syscall", "0"}, 2, "filter-1.bpf is missing"},
      {{"sim", "--bpf", tmp("dump"), "--bpf", tmp("allow.bpf"), "--syscall", "0"}, 2, "give it alone"},
      {{"verify", "--profile", tmp("p.json"), "--bpf", "-", "--bpf", "-"}, 2, "only one filter can be read from stdin"},
      {{"stats", "--bpf", tmp("allow.bpf"), "--bpf", tmp("missing.bpf")}, 2, "missing.bpf"},
      // What resolves or compiles a profile changes nothing in a filter
      // built elsewhere: refused, as sim and audit refuse it, not ignored.
      {{"stats", "--bpf", tmp("allow.bpf"), "--caps", "none"}, 2, "--caps applies to a PROFILE, not to --bpf"},
      {{"stats", "--bpf", tmp("allow.bpf"), "--semantics", "runc"}, 2, "--semantics applies to a PROFILE"},
      {{"stats", "--bpf", tmp("allow.bpf"), "--strategy", "linear"}, 2, "--strategy applies to a PROFILE"},
      {{"audit", "--bpf", tmp("gap")}, 2, "filter-1.bpf is missing"},
      {{"diff", tmp("gap"), tmp("p.bpf")}, 2, "filter-1.bpf is missing"},
  };
  for (const FailureCase& c : cases) {
    const auto r = cli_runner::expect_failure(c);
    EXPECT_TRUE(r.out.empty()) << r.out;
  }
  // Seven fit (28,724), and three of the `ret` filters (24,593).
  too_long.resize(too_long.size() - 2);
  EXPECT_EQ(cli_runner::run_sysfence(too_long).exit_code, 0);
  rets.resize(rets.size() - 2);
  EXPECT_EQ(cli_runner::run_sysfence(rets).exit_code, 0);
}

}  // namespace
}  // namespace sysfence
