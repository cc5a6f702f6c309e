// Every bit of a return value is part of the action, end to end: `diff`,
// `verify`, `sim`, `stats` and `audit` on filters that differ only in TRAP's
// or TRACE's data or in an unknown action value (the kernel hands TRAP's data
// to the SIGSYS handler as si_errno; it kills the process for every unknown
// action value, yet those are different return values).
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "base/seccomp.h"
#include "bpf/insn.h"
#include "bpf/raw.h"

namespace sysfence {
namespace {

using bpf::jump;
using bpf::stmt;

constexpr uint32_t kAuditX86_64 = 0xc000003eU;
constexpr uint32_t kGetpid = 39;

std::string tmp(std::string_view name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return fmt::format("{}/{}", dir ? dir : "/tmp", name);
}

std::string binary() {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* ws = std::getenv("TEST_WORKSPACE");
  return fmt::format("{}/{}/tools/sysfence", srcdir ? srcdir : ".", ws ? ws : "sysfence");
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_file(const std::string& path, std::string_view bytes) {
  std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

void write_program(const std::string& path, const bpf::Program& p) {
  const auto bytes = bpf::write_raw(p, Endian::kLittle);
  write_file(path, std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

struct CliRun {
  int code;
  std::string out;
  std::string err;
};

// Runs `sysfence ARGS` (a shell fragment).
CliRun sysfence(const std::string& args) {
  const std::string out = tmp("out.txt");
  const std::string err = tmp("err.txt");
  const int status = std::system(fmt::format("{} {} >{} 2>{}", binary(), args, out, err).c_str());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, slurp(out), slurp(err)};
}

bool has(const std::string& text, std::string_view needle) { return text.find(needle) != std::string::npos; }

// x86_64 only: getpid answers `getpid_ret`, everything else `otherwise`.
bpf::Program getpid_filter(uint32_t getpid_ret, uint32_t otherwise = kRetAllow) {
  return {stmt(bpf::kLd | bpf::kW | bpf::kAbs, kOffsetArch),
          jump(bpf::kJmp | bpf::kJeq | bpf::kK, kAuditX86_64, 1, 0),
          stmt(bpf::kRet | bpf::kRetK, kRetKillProcess),
          stmt(bpf::kLd | bpf::kW | bpf::kAbs, kOffsetNr),
          jump(bpf::kJmp | bpf::kJeq | bpf::kK, kGetpid, 0, 1),
          stmt(bpf::kRet | bpf::kRetK, getpid_ret),
          stmt(bpf::kRet | bpf::kRetK, otherwise)};
}

// Writes both filters and diffs them.
CliRun diff(uint32_t a_ret, uint32_t b_ret) {
  write_program(tmp("a.bpf"), getpid_filter(a_ret));
  write_program(tmp("b.bpf"), getpid_filter(b_ret));
  return sysfence(fmt::format("diff {} {} --arch x86_64", tmp("a.bpf"), tmp("b.bpf")));
}

TEST(ActionData, DiffSeesTrapData) {
  const CliRun r = diff(kRetTrap, kRetTrap | 5);
  EXPECT_EQ(r.code, 1) << r.out << r.err;
  EXPECT_TRUE(has(r.out, "differ: 1 region")) << r.out;
  EXPECT_TRUE(has(r.out, "getpid (39)")) << r.out;
  EXPECT_TRUE(has(r.out, ": TRAP ")) << r.out;
  EXPECT_TRUE(has(r.out, ": TRAP(5)\n")) << r.out;
  EXPECT_TRUE(has(r.out, "si_errno")) << r.out;
  EXPECT_EQ(diff(kRetTrap | 5, kRetTrap | 5).code, 0);
}

TEST(ActionData, DiffSeesTraceData) {
  const CliRun r = diff(kRetTrace | 1, kRetTrace | 2);
  EXPECT_EQ(r.code, 1) << r.out << r.err;
  EXPECT_TRUE(has(r.out, "TRACE(1)")) << r.out;
  EXPECT_TRUE(has(r.out, "TRACE(2)")) << r.out;
}

TEST(ActionData, DiffTellsUnknownActionValuesApartButSaysTheyActAlike) {
  CliRun r = diff(0x00010000U, 0x00040000U);
  EXPECT_EQ(r.code, 1) << r.out << r.err;
  EXPECT_TRUE(has(r.out, "KILL_PROCESS (unknown action 0x00010000)")) << r.out;
  EXPECT_TRUE(has(r.out, "KILL_PROCESS (unknown action 0x00040000)")) << r.out;
  EXPECT_TRUE(has(r.out, "both act as KILL_PROCESS")) << r.out;
  // Against KILL_PROCESS itself: also a different return value.
  r = diff(0x00040000U, kRetKillProcess);
  EXPECT_EQ(r.code, 1) << r.out << r.err;
  EXPECT_TRUE(has(r.out, "both act as KILL_PROCESS")) << r.out;
  EXPECT_EQ(diff(0x00040000U, 0x00040000U).code, 0);
}

TEST(ActionData, DataTheKernelIgnoresStillDiffersButIsSaidSo) {
  const CliRun r = diff(kRetAllow, kRetAllow | 3);
  EXPECT_EQ(r.code, 1) << r.out << r.err;
  EXPECT_TRUE(has(r.out, "ALLOW(3)")) << r.out;
  EXPECT_TRUE(has(r.out, "ignores this action's data")) << r.out;
}

TEST(ActionData, SimPrintsTheWholeValue) {
  write_program(tmp("trap5.bpf"), getpid_filter(kRetTrap | 5));
  CliRun r = sysfence(fmt::format("sim --bpf {} --arch x86_64 --syscall getpid", tmp("trap5.bpf")));
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "TRAP(5)\t5\n");
  write_program(tmp("unknown.bpf"), getpid_filter(0x12340000U));
  r = sysfence(fmt::format("sim --bpf {} --arch x86_64 --syscall getpid", tmp("unknown.bpf")));
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "KILL_PROCESS (unknown action 0x12340000)\t5\n");
  write_program(tmp("trap0.bpf"), getpid_filter(kRetTrap));
  r = sysfence(fmt::format("sim --bpf {} --arch x86_64 --syscall getpid", tmp("trap0.bpf")));
  EXPECT_EQ(r.out, "TRAP\t5\n");
}

// runc (and so Docker) gives SCMP_ACT_TRAP no data: errnoRet is only for
// ERRNO and TRACE, and libseccomp's SCMP_ACT_TRAP is exactly 0x00030000.
TEST(ActionData, VerifyCatchesTrapDataThatIsNotTheProfiles) {
  const std::string profile = tmp("trap.json");
  write_file(profile,
             R"({"defaultAction": "SCMP_ACT_ALLOW",
                 "syscalls": [{"names": ["getpid"], "action": "SCMP_ACT_TRAP", "errnoRet": 5}]})");
  CliRun r = sysfence(fmt::format("compile {} --arch x86_64 -o {}", profile, tmp("compiled.bpf")));
  ASSERT_EQ(r.code, 0) << r.err;
  r = sysfence(fmt::format("verify --profile {} --bpf {} --arch x86_64", profile, tmp("compiled.bpf")));
  EXPECT_EQ(r.code, 0) << r.out << r.err;

  const std::string bytes = slurp(tmp("compiled.bpf"));
  auto prog = bpf::read_raw(std::span(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()), Endian::kLittle,
                            "compiled.bpf");
  ASSERT_TRUE(prog.has_value());
  int patched = 0;
  for (bpf::Insn& in : *prog) {
    if (in.code == (bpf::kRet | bpf::kRetK) && in.k == kRetTrap) {
      in.k = kRetTrap | 5;
      ++patched;
    }
  }
  ASSERT_EQ(patched, 1);
  write_program(tmp("patched.bpf"), *prog);
  r = sysfence(fmt::format("verify --profile {} --bpf {} --arch x86_64", profile, tmp("patched.bpf")));
  EXPECT_EQ(r.code, 1) << r.out << r.err;
  EXPECT_TRUE(has(r.out, "filter:  TRAP(5)")) << r.out;
  EXPECT_TRUE(has(r.out, "profile: TRAP ")) << r.out;
  EXPECT_TRUE(has(r.out, "getpid (nr 39)")) << r.out;
}

TEST(ActionData, StatsAndAuditShowTheData) {
  write_program(tmp("stats.bpf"), getpid_filter(kRetTrap | 5, kRetAllow | 3));
  CliRun r =
      sysfence(fmt::format("stats --bpf {} --arch x86_64 --range 30-45 --svg {}", tmp("stats.bpf"), tmp("stats.svg")));
  ASSERT_EQ(r.code, 0) << r.err;
  const std::string svg = slurp(tmp("stats.svg"));
  EXPECT_TRUE(has(svg, "39 getpid: 5 instructions, TRAP(5)")) << svg;
  EXPECT_TRUE(has(svg, "ALLOW(3)")) << svg;
  // ALLOW with data still allows the call.
  EXPECT_TRUE(has(r.out, "allowed numbers:        15,")) << r.out;

  r = sysfence(fmt::format("audit --bpf {} --arch x86_64", tmp("stats.bpf")));
  EXPECT_EQ(r.code, 1) << r.out << r.err;  // a default that allows: high
  EXPECT_TRUE(has(r.out, "x86_64 (ALLOW(3))")) << r.out;
}

}  // namespace
}  // namespace sysfence
