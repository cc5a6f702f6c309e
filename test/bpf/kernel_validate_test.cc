// Validator == Linux. Each program is handed to seccomp(SECCOMP_SET_MODE_FILTER)
// in a child process; the kernel must answer EINVAL exactly when the validator
// rejects. The child records seccomp()'s result in shared memory before
// making any other system call (an accepted random filter may kill or deny
// whatever comes next) and then ends without a system call.
//
// Programs: random valid ones, one-mutation variants of them (boundary cases
// on both sides of every rule), random instruction soup, every 8-bit opcode in
// three contexts, a sample of 16-bit opcodes, the length limits and the
// scratch-check quirks.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <linux/filter.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "bpf/validate.h"
#include "test/bpf/kernel_child.h"
#include "test/bpf/random_program.h"

namespace sysfence::bpf::testing {
namespace {

constexpr int kChunks = 16;
constexpr int kProgramsPerChunk = 250;  // 4000 random programs per run

uint64_t base_seed() {
  const char* s = std::getenv("SYSFENCE_TEST_SEED");
  return s != nullptr ? std::strtoull(s, nullptr, 0) : 0x5eccf17e2024ULL;
}

struct InstallResult {
  std::atomic<uint32_t> done{0};
  std::atomic<int64_t> ret{0};
  std::atomic<int32_t> err{0};
};

// The kernel's verdict: 0 accepted, else the errno of seccomp().
int kernel_verdict(const Program& prog, Shared<InstallResult>& shared, std::string& error) {
  shared.reset();
  // A zero-length program still needs a readable pointer.
  static const Insn kDummy{};
  const Insn* data = prog.empty() ? &kDummy : prog.data();
  const ChildStatus st = run_in_light_child([&] {
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    sock_fprog fprog{static_cast<unsigned short>(prog.size()), reinterpret_cast<sock_filter*>(const_cast<Insn*>(data))};
    const long r = syscall(SYS_seccomp, 1 /* SET_MODE_FILTER */, 0, &fprog);
    shared->err.store(r == 0 ? 0 : errno);
    shared->ret.store(r);
    shared->done.store(1);
    die_without_syscall();
  });
  if (shared->done.load() != 1) {
    error = "child did not report: " + st.describe();
    return -1;
  }
  if (shared->ret.load() != 0 && shared->err.load() != EINVAL) {
    error = fmt::format("seccomp() failed with errno {}, not EINVAL", shared->err.load());
    return -1;
  }
  return shared->err.load();
}

std::string dump(const Program& p) {
  std::string s;
  for (size_t i = 0; i < p.size() && i < 64; ++i) {
    s += fmt::format("  {:4}: {{0x{:04x}, {}, {}, 0x{:08x}}}\n", i, p[i].code, p[i].jt, p[i].jf, p[i].k);
  }
  if (p.size() > 64) s += fmt::format("  ... ({} instructions)\n", p.size());
  return s;
}

struct Tally {
  int programs = 0;
  int accepted = 0;
  int mismatches = 0;
  std::map<std::string, int> rejected_by;
};

// Compares one program; returns false on a mismatch (already reported).
bool compare(const Program& prog, Shared<InstallResult>& shared, Tally& tally, const std::string& label) {
  std::string error;
  const int verdict = kernel_verdict(prog, shared, error);
  EXPECT_TRUE(error.empty()) << label << ": " << error << "\n" << dump(prog);
  if (!error.empty()) return false;
  const auto violation = find_violation(prog);
  ++tally.programs;
  if (!violation) ++tally.accepted;
  else ++tally.rejected_by[std::string(rule_name(violation->rule))];
  const bool kernel_accepts = verdict == 0;
  if (kernel_accepts != !violation.has_value()) {
    ++tally.mismatches;
    ADD_FAILURE() << label << ": kernel " << (kernel_accepts ? "accepts" : "rejects") << ", validator "
                  << (violation ? "rejects: " + violation->message : std::string("accepts")) << "\n"
                  << dump(prog);
    return false;
  }
  return true;
}

class KernelValidate : public ::testing::TestWithParam<int> {};

TEST_P(KernelValidate, RandomProgramsMatchTheKernel) {
  if (running_under_sanitizer()) GTEST_SKIP() << "not under sanitizers (see kernel_child.h)";
  const int chunk = GetParam();
  const uint64_t seed = base_seed() + 0x1000 + static_cast<uint64_t>(chunk) * 1000003ULL;
  RandomProgramGenerator gen(seed);
  RandomProgramOptions opts;
  opts.long_percent = 3;
  Shared<InstallResult> shared;
  Tally tally;
  for (int n = 0; n < kProgramsPerChunk && tally.mismatches < 5; ++n) {
    Program prog;
    std::string what = "valid";
    const int kind = n % 20;
    if (kind < 7) {
      prog = gen.valid(opts);
    } else if (kind < 17) {
      prog = gen.mutate(gen.valid(opts), &what);
    } else {
      prog = gen.soup(8);
      what = "soup";
    }
    compare(prog, shared, tally, fmt::format("seed {:#x} program {} ({})", seed, n, what));
  }
  std::string rules;
  for (const auto& [name, count] : tally.rejected_by) rules += fmt::format(" {}={}", name, count);
  fmt::print("chunk {} seed {:#x}: {} programs, {} accepted, {} mismatches; rejected by:{}\n", chunk, seed,
             tally.programs, tally.accepted, tally.mismatches, rules);
  EXPECT_EQ(tally.mismatches, 0);
  EXPECT_GT(tally.accepted, kProgramsPerChunk / 4);
  for (const char* rule : {"opcode", "seccomp-opcode", "load-offset", "jump-range", "last-not-ret", "scratch-uninit"}) {
    EXPECT_GT(tally.rejected_by[rule], 0) << "no program rejected by " << rule;
  }
}

INSTANTIATE_TEST_SUITE_P(Chunks, KernelValidate, ::testing::Range(0, kChunks));

// Every 8-bit code, with operands that satisfy the operand rules where
// possible, so the opcode tables are compared exactly.
TEST(KernelValidateFixed, EveryEightBitOpcode) {
  if (running_under_sanitizer()) GTEST_SKIP() << "not under sanitizers (see kernel_child.h)";
  Shared<InstallResult> shared;
  Tally tally;
  for (uint32_t code = 0; code < 256; ++code) {
    const auto c = static_cast<uint16_t>(code);
    const Insn ret = stmt(kRet | kRetK, 0x7fff0000);
    // k = 4: a valid load offset, scratch slot, shift, divisor and ja offset.
    const Program with_k4 = {stmt(kSt, 4), Insn{c, 0, 0, 4}, ret, ret, ret, ret, ret};
    const Program with_k0 = {stmt(kSt, 0), Insn{c, 1, 0, 0}, ret, ret};
    const Program alone = {Insn{c, 0, 0, 0}};
    compare(with_k4, shared, tally, fmt::format("code 0x{:02x} k=4", code));
    compare(with_k0, shared, tally, fmt::format("code 0x{:02x} k=0", code));
    compare(alone, shared, tally, fmt::format("code 0x{:02x} alone", code));
  }
  EXPECT_EQ(tally.mismatches, 0);
  fmt::print("8-bit opcodes: {} programs, {} accepted\n", tally.programs, tally.accepted);
}

TEST(KernelValidateFixed, SixteenBitOpcodes) {
  if (running_under_sanitizer()) GTEST_SKIP() << "not under sanitizers (see kernel_child.h)";
  Shared<InstallResult> shared;
  Tally tally;
  Rng rng(base_seed() + 16);
  for (int i = 0; i < 256; ++i) {
    // A real opcode with high bits set, and fully random codes.
    const uint16_t low = seccomp_opcodes()[rng.below(static_cast<uint32_t>(seccomp_opcodes().size()))];
    const uint16_t code = i % 2 == 0 ? static_cast<uint16_t>(low | (rng.between(1, 255) << 8))
                                     : static_cast<uint16_t>(rng.between(256, 0xffff));
    const Program p = {stmt(kSt, 4),          Insn{code, 0, 0, 4},   stmt(kRet | kRetK, 0x7fff0000),
                       stmt(kRet | kRetK, 0), stmt(kRet | kRetK, 0), stmt(kRet | kRetK, 0)};
    compare(p, shared, tally, fmt::format("code 0x{:04x}", code));
  }
  EXPECT_EQ(tally.accepted, 0);
  EXPECT_EQ(tally.mismatches, 0);
}

TEST(KernelValidateFixed, LengthLimits) {
  if (running_under_sanitizer()) GTEST_SKIP() << "not under sanitizers (see kernel_child.h)";
  Shared<InstallResult> shared;
  Tally tally;
  const Insn ret = stmt(kRet | kRetK, 0x7fff0000);
  compare(Program{}, shared, tally, "empty");
  compare(Program{ret}, shared, tally, "one");
  compare(Program(kMaxInsns, ret), shared, tally, "4096");
  // 4097 does not fit the kernel's unsigned short len exactly as written
  // (4097 fits; 65536 would wrap), and is rejected.
  compare(Program(kMaxInsns + 1, ret), shared, tally, "4097");
  // A 4096-instruction program whose first jump spans the whole program.
  Program far(kMaxInsns, ret);
  far[0] = stmt(kJmp | kJa, kMaxInsns - 2);
  compare(far, shared, tally, "ja to the last instruction");
  far[0].k = kMaxInsns - 1;
  compare(far, shared, tally, "ja past the end");
  EXPECT_EQ(tally.mismatches, 0);
  EXPECT_EQ(tally.accepted, 3);
}

TEST(KernelValidateFixed, ScratchCheckQuirks) {
  if (running_under_sanitizer()) GTEST_SKIP() << "not under sanitizers (see kernel_child.h)";
  Shared<InstallResult> shared;
  Tally tally;
  const Insn ret_a = stmt(kRet | kRetA, 0);
  // Unreachable code after `ja` may read anything.
  compare({stmt(kJmp | kJa, 1), stmt(kLd | kMem, 5), ret_a}, shared, tally, "after ja");
  // State flows through `ret` into the next instruction.
  compare({jump(kJmp | kJeq | kK, 5, 0, 2), stmt(kSt, 0), stmt(kJmp | kJa, 1), stmt(kRet | kRetK, 1),
           stmt(kLd | kMem, 0), ret_a},
          shared, tally, "through ret");
  // Written on both branches.
  compare(
      {jump(kJmp | kJeq | kK, 1, 0, 2), stmt(kSt, 3), stmt(kJmp | kJa, 1), stmt(kSt, 3), stmt(kLd | kMem, 3), ret_a},
      shared, tally, "both branches");
  EXPECT_EQ(tally.mismatches, 0);
  EXPECT_EQ(tally.accepted, 2);
}

}  // namespace
}  // namespace sysfence::bpf::testing
