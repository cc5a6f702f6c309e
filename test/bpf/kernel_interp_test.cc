// Interpreter == Linux. Thousands of random valid programs (seeded, see
// SYSFENCE_TEST_SEED) are each installed in a child process (a light
// clone(CLONE_VM) child, see kernel_child.h: the filter belongs to the child
// alone) that issues 8 system calls with chosen numbers and arguments; what
// the kernel did with each call must be what the interpreter predicts from
// its return value.
//
// Observability: the programs' `ret #k` values are distinct ERRNO(n), and
// most `ret a` are funnelled into ERRNO((A >> s) & 0xfff), so the errno names
// the return taken and exposes A. Other actions are observed as: ERRNO(n) ->
// -min(n, 4095); ALLOW / LOG / TRACE (no tracer) / USER_NOTIF (no listener) ->
// -ENOSYS, because every syscall number used is unassigned; TRAP -> SIGSYS,
// caught by a handler that records si_errno (the 16 data bits) and longjmps
// back without a system call; KILL_* and undefined actions -> the child dies
// of SIGSYS and the parent resumes with the next input in a new child.
//
// The child makes its calls with an inline `syscall` instruction at a known
// address, so even instruction_pointer is predictable and programs may load
// all 16 words of seccomp_data.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <linux/filter.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <csetjmp>
#include <csignal>
#include <cstdlib>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "base/seccomp.h"
#include "bpf/interp.h"
#include "bpf/validate.h"
#include "test/bpf/kernel_child.h"
#include "test/bpf/random_program.h"

namespace sysfence::bpf::testing {
namespace {

constexpr uint32_t kAuditArchX86_64 = 0xc000003e;
constexpr size_t kInputsPerProgram = 8;
constexpr int kChunks = 16;
constexpr int kProgramsPerChunk = 250;  // 4000 programs per run

uint64_t base_seed() {
  const char* s = std::getenv("SYSFENCE_TEST_SEED");
  return s != nullptr ? std::strtoull(s, nullptr, 0) : 0x5eccf17e2024ULL;
}

struct Input {
  uint32_t nr;
  std::array<uint64_t, 6> args;
};

enum ObservedKind : uint32_t { kNone = 0, kReturned = 1, kTrapped = 2, kKilled = 3 };

struct Observation {
  ObservedKind kind = kNone;
  int64_t value = 0;  // syscall result for kReturned, si_errno for kTrapped
  friend bool operator==(const Observation&, const Observation&) = default;
};

// Coarse class of an observation, for the coverage summary.
std::string outcome_class(const Observation& o) {
  switch (o.kind) {
    case kReturned:
      if (o.value == -ENOSYS) return "enosys";
      return o.value == 0 ? "zero" : "errno";
    case kTrapped: return "trap";
    case kKilled: return "killed";
    default: return "none";
  }
}

std::string to_string(const Observation& o) {
  switch (o.kind) {
    case kReturned: return "returned " + std::to_string(o.value);
    case kTrapped: return "SIGSYS trap data " + std::to_string(o.value);
    case kKilled: return "killed by SIGSYS";
    default: return "nothing observed";
  }
}

// What the kernel does with a filter result for an unassigned syscall number
// in a process without tracer or listener (kernel/seccomp.c __seccomp_filter).
Observation predict(uint32_t ret) {
  const uint32_t data = ret & kRetData;
  switch (ret & kRetActionFull) {
    case kRetErrno: return {kReturned, -static_cast<int64_t>(std::min(data, kMaxErrno))};
    case kRetTrap: return {kTrapped, data};
    case kRetAllow:
    case kRetLog:
    case kRetTrace:
    case kRetUserNotif: return {kReturned, -ENOSYS};
    default: return {kKilled, 0};  // KILL_PROCESS, KILL_THREAD, undefined actions
  }
}

struct ChildState {
  std::atomic<int32_t> install_result{1};  // 0 ok, else errno
  std::atomic<uint32_t> current{0};
  std::atomic<uint32_t> finished{0};
  std::atomic<uint32_t> kind[kInputsPerProgram] = {};
  std::atomic<int64_t> value[kInputsPerProgram] = {};
};

ChildState* g_state = nullptr;
sigjmp_buf g_resume;

void on_sigsys(int, siginfo_t* info, void*) {
  const uint32_t i = g_state->current.load();
  g_state->value[i].store(info->si_errno);
  g_state->kind[i].store(kTrapped);
  siglongjmp(g_resume, 1);  // savemask = 0 at sigsetjmp: no system call
}

// Runs in the child: install, then inputs[start..] one by one.
void child_main(ChildState* state, const Program& prog, const std::vector<Input>& inputs, uint32_t start) {
  g_state = state;
  struct sigaction sa {};
  sa.sa_sigaction = on_sigsys;
  // SA_NODEFER: we leave the handler by longjmp, so SIGSYS must not stay blocked.
  sa.sa_flags = SA_SIGINFO | SA_NODEFER;
  sigaction(SIGSYS, &sa, nullptr);
  prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
  sock_fprog fprog{static_cast<unsigned short>(prog.size()),
                   reinterpret_cast<sock_filter*>(const_cast<Insn*>(prog.data()))};
  if (syscall(SYS_seccomp, 1 /* SET_MODE_FILTER */, 0, &fprog) != 0) {
    state->install_result.store(errno);
    die_without_syscall();
  }
  state->install_result.store(0);
  state->current.store(start);
  while (state->current.load() < inputs.size()) {
    const uint32_t i = state->current.load();
    if (sigsetjmp(g_resume, 0) == 0) {
      const long r = raw_syscall(inputs[i].nr, inputs[i].args);
      state->value[i].store(r);
      state->kind[i].store(kReturned);
    }
    state->current.store(state->current.load() + 1);
  }
  state->finished.store(1);
  die_without_syscall();
}

// Unassigned syscall numbers (safe to allow: the kernel answers ENOSYS),
// including negative ones and x32-looking ones above the x32 table.
constexpr uint32_t kSyscallNumbers[] = {1000,
                                        1001,
                                        1002,
                                        1003,
                                        1004,
                                        1005,
                                        1006,
                                        1007,
                                        1010,
                                        1023,
                                        1024,
                                        2000,
                                        0x40000000 + 1000,
                                        0x40001000,
                                        0x7fffff00,
                                        0x80000000,
                                        0x80000001,
                                        0xfffff000,
                                        0xfffffffe,
                                        0xdeadbeef};

std::vector<Input> random_inputs(Rng& rng) {
  std::vector<Input> inputs(kInputsPerProgram);
  for (size_t i = 0; i < inputs.size(); ++i) {
    inputs[i].nr = rng.pick(std::span<const uint32_t>(kSyscallNumbers));
    for (auto& a : inputs[i].args) {
      const uint32_t roll = rng.below(100);
      if (roll < 25) a = 0;
      else if (roll < 40) a = rng.below(64);
      else if (roll < 55) {
        constexpr uint64_t kEdges[] = {0xffffffffULL, 0x100000000ULL, 0x8000000000000000ULL,
                                       ~0ULL,         0x7fffffffULL,  0xffffffff00000000ULL};
        a = rng.pick(std::span<const uint64_t>(kEdges));
      } else if (roll < 75 || i == 0) {
        a = rng.next();
      } else {
        a = inputs[rng.below(static_cast<uint32_t>(i))].args[rng.below(6)];
      }
    }
  }
  return inputs;
}

SeccompData to_data(const Input& in) {
  SeccompData d;
  d.nr = in.nr;
  d.arch = kAuditArchX86_64;
  d.instruction_pointer = raw_syscall_ip();
  d.args = in.args;
  return d;
}

struct Totals {
  int programs = 0;
  int syscalls = 0;
  int children = 0;
  int mismatches = 0;
  std::map<std::string, int> outcomes;
  std::map<uint16_t, int> executed_opcodes;
  int shift_x_ge_32 = 0;
  int div_by_zero_x = 0;
};

std::string dump(const Program& p) {
  std::string s;
  for (size_t i = 0; i < p.size(); ++i) {
    s += fmt::format("  {:4}: {{0x{:04x}, {}, {}, 0x{:08x}}}\n", i, p[i].code, p[i].jt, p[i].jf, p[i].k);
  }
  return s;
}

std::string describe(const Input& in) {
  return fmt::format("nr=0x{:x} args=[0x{:x}, 0x{:x}, 0x{:x}, 0x{:x}, 0x{:x}, 0x{:x}]", in.nr, in.args[0], in.args[1],
                     in.args[2], in.args[3], in.args[4], in.args[5]);
}

// Runs one program in as many children as it takes (a kill ends a child;
// the next one resumes after the killing input). Returns the observations.
std::vector<Observation> observe_in_kernel(const Program& prog, const std::vector<Input>& inputs,
                                           Shared<ChildState>& shared, Totals& totals, std::string& error) {
  std::vector<Observation> seen(inputs.size());
  uint32_t start = 0;
  while (start < inputs.size()) {
    shared.reset();
    ++totals.children;
    const ChildStatus st = run_in_light_child([&] { child_main(&*shared, prog, inputs, start); });
    if (shared->install_result.load() != 0) {
      error = fmt::format("seccomp() refused a program the validator accepts: errno {}", shared->install_result.load());
      return seen;
    }
    auto upto = static_cast<uint32_t>(inputs.size());
    if (st.signaled && st.signal == SIGSYS) {
      upto = shared->current.load();
      seen[upto] = {kKilled, 0};
    } else if (!(st.signaled && st.signal == SIGILL && shared->finished.load() == 1)) {
      error = "child ended unexpectedly: " + st.describe();
      return seen;
    }
    for (uint32_t i = start; i < upto; ++i) {
      seen[i] = {static_cast<ObservedKind>(shared->kind[i].load()), shared->value[i].load()};
    }
    start = upto + 1;
  }
  return seen;
}

class KernelInterp : public ::testing::TestWithParam<int> {};

TEST_P(KernelInterp, RandomProgramsMatchTheKernel) {
  if (running_under_sanitizer()) GTEST_SKIP() << "not under sanitizers (see kernel_child.h)";
  const int chunk = GetParam();
  const uint64_t seed = base_seed() + static_cast<uint64_t>(chunk) * 1000003ULL;
  RandomProgramGenerator gen(seed);
  Shared<ChildState> shared;
  Totals totals;
  std::vector<TraceStep> trace;

  for (int n = 0; n < kProgramsPerChunk; ++n) {
    const std::vector<Input> inputs = random_inputs(gen.rng());
    RandomProgramOptions opts;
    opts.other_action_percent = 10;
    opts.raw_ret_a_percent = 10;
    opts.loadable_words.clear();
    for (uint8_t w = 0; w < 16; ++w) {
      if ((w == 2 || w == 3) && raw_syscall_ip() == 0) continue;
      opts.loadable_words.push_back(w);
    }
    std::vector<SeccompWords> words;
    for (const Input& in : inputs) {
      words.push_back(to_words(to_data(in), Endian::kLittle));
      opts.constants.insert(opts.constants.end(), words.back().begin(), words.back().end());
    }
    const Program prog = gen.valid(opts);
    auto interp = Interpreter::create(prog);
    ASSERT_TRUE(interp.has_value()) << interp.error().message << "\n" << dump(prog);

    std::vector<Observation> expected;
    for (const SeccompWords& w : words) {
      const RunResult r = interp->run_traced(w, trace);
      expected.push_back(predict(r.ret));
      for (const TraceStep& step : trace) {
        const uint16_t code = prog[step.pc].code;
        ++totals.executed_opcodes[code];
        if ((code == (kAlu | kLsh | kX) || code == (kAlu | kRsh | kX)) && step.x >= 32) {
          ++totals.shift_x_ge_32;
        }
        if (code == (kAlu | kDiv | kX) && step.x == 0) ++totals.div_by_zero_x;
      }
    }

    std::string error;
    const std::vector<Observation> seen = observe_in_kernel(prog, inputs, shared, totals, error);
    ASSERT_TRUE(error.empty()) << error << "\nseed " << seed << " program " << n << "\n" << dump(prog);
    ++totals.programs;
    for (size_t i = 0; i < inputs.size(); ++i) {
      ++totals.syscalls;
      ++totals.outcomes[outcome_class(expected[i])];
      if (seen[i] != expected[i]) {
        ++totals.mismatches;
        ADD_FAILURE() << "seed " << seed << " program " << n << " input " << i << ": " << describe(inputs[i])
                      << "\n  interpreter predicts " << to_string(expected[i]) << ", kernel " << to_string(seen[i])
                      << "\n"
                      << dump(prog);
        if (totals.mismatches > 5) return;
      }
    }
  }

  // The run must have exercised what it claims to cover.
  for (uint16_t code : seccomp_opcodes()) {
    EXPECT_GT(totals.executed_opcodes[code], 0) << "opcode never executed: " << opcode_mnemonic(code);
  }
  EXPECT_GT(totals.shift_x_ge_32, 0);
  EXPECT_GT(totals.div_by_zero_x, 0);
  for (const char* kind : {"errno", "enosys", "zero", "trap", "killed"}) {
    EXPECT_GT(totals.outcomes[kind], 0) << "no input ended as " << kind;
  }
  EXPECT_EQ(totals.mismatches, 0);
  std::string outcomes;
  for (const auto& [name, count] : totals.outcomes) outcomes += fmt::format(" {}={}", name, count);
  fmt::print(
      "chunk {} seed {:#x}: {} programs, {} syscalls in {} children, {} mismatches; "
      "shift-by-X>=32 executed {}x, div-by-X=0 {}x; outcomes:{}\n",
      chunk, seed, totals.programs, totals.syscalls, totals.children, totals.mismatches, totals.shift_x_ge_32,
      totals.div_by_zero_x, outcomes);
}

INSTANTIATE_TEST_SUITE_P(Chunks, KernelInterp, ::testing::Range(0, kChunks));

// Fixed cases for the semantics the random programs might rarely hit.
TEST(KernelInterpFixed, ShiftByXAtLeast32AndDivisionByZero) {
  if (running_under_sanitizer()) GTEST_SKIP() << "not under sanitizers (see kernel_child.h)";
  Shared<ChildState> shared;
  Totals totals;
  const std::vector<Input> inputs = {{1000, {0, 0, 0, 0, 0, 0}},          {1000, {32, 0, 0, 0, 0, 0}},
                                     {1000, {33, 0, 0, 0, 0, 0}},         {1000, {63, 0, 0, 0, 0, 0}},
                                     {1000, {64, 0, 0, 0, 0, 0}},         {1000, {0xffffffff, 0, 0, 0, 0, 0}},
                                     {1000, {0x80000001, 0, 0, 0, 0, 0}}, {1000, {31, 0, 0, 0, 0, 0}}};
  // X = args[0] (low word); errno = ((1 << X) | (0x80000000 >> X)) & 0xfff ... made observable.
  const auto shift_program = [](uint16_t op, uint32_t value, uint32_t observe_shift) {
    return Program{stmt(kLd | kW | kAbs, 16),
                   stmt(kMisc | kTax, 0),
                   stmt(kLd | kImm, value),
                   stmt(kAlu | op | kX, 0),
                   stmt(kAlu | kRsh | kK, observe_shift),
                   stmt(kAlu | kAnd | kK, 0xfff),
                   stmt(kAlu | kOr | kK, kRetErrno),
                   stmt(kRet | kRetA, 0)};
  };
  const Program programs[] = {
      shift_program(kLsh, 1, 0),
      shift_program(kLsh, 1, 20),
      shift_program(kRsh, 0x80000000, 0),
      shift_program(kRsh, 0x80000000, 20),
      shift_program(kLsh, 0xabcdef01, 0),
      shift_program(kRsh, 0xabcdef01, 12),
      // A = 77 / X, X = args[0]: X == 0 returns 0 (KILL_THREAD).
      Program{stmt(kLd | kW | kAbs, 16), stmt(kMisc | kTax, 0), stmt(kLd | kImm, 77), stmt(kAlu | kDiv | kX, 0),
              stmt(kAlu | kOr | kK, kRetErrno), stmt(kRet | kRetA, 0)},
  };
  for (const Program& prog : programs) {
    auto interp = Interpreter::create(prog);
    ASSERT_TRUE(interp.has_value()) << interp.error().message;
    std::string error;
    const auto seen = observe_in_kernel(prog, inputs, shared, totals, error);
    ASSERT_TRUE(error.empty()) << error;
    for (size_t i = 0; i < inputs.size(); ++i) {
      EXPECT_EQ(seen[i], predict(interp->run(to_words(to_data(inputs[i]), Endian::kLittle)).ret))
          << describe(inputs[i]) << "\n"
          << dump(prog) << "kernel: " << to_string(seen[i]);
    }
  }
}

}  // namespace
}  // namespace sysfence::bpf::testing
