// Compiled filters with their REAL actions in the kernel (kernel_test.cc maps
// every action to an errno; this test does not). A policy whose getpid rules
// compare two arguments, with every action kind among them, is compiled; for
// each input a forked child installs the filter and makes the call from a
// second thread, so the outcome tells the kill actions apart:
//   KILL_PROCESS  the child dies of SIGSYS
//   KILL_THREAD   only the calling thread ends; the main thread joins it and
//                 the child exits normally
//   TRAP(d)       a SIGSYS handler runs with si_errno == d
//   ERRNO(e)      the call returns -e
//   TRACE         without a tracer the kernel answers -ENOSYS
//   LOG, ALLOW    the call runs (getpid returns the child's pid)
// The observed outcome must be the one policy::evaluate's action implies, and
// the interpreter must choose that same action on the same seccomp_data.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <map>
#include <thread>

#include "bpf/install.h"
#include "bpf/interp.h"
#include "compiler/compile.h"
#include "policy/policy.h"
#include "syscalls/table.h"
#include "test/bpf/kernel_child.h"

namespace sysfence::compiler {
namespace {

using bpf::testing::raw_syscall;
using bpf::testing::run_in_child;
using bpf::testing::Shared;
using policy::ArgCondition;
using policy::CmpOp;

constexpr int kSysSeccompCode = 1;  // si_code of a seccomp SIGSYS (SYS_SECCOMP)
constexpr uint64_t k2p31 = 1ULL << 31;
constexpr uint64_t k2p32 = 1ULL << 32;
constexpr uint64_t k2p63 = 1ULL << 63;
constexpr uint64_t kAllOnes = ~0ULL;
// Both halves of every argument word take their extremes and sign bits.
constexpr std::array<uint64_t, 6> kBoundaries = {0, k2p31, k2p32 - 1, k2p32, k2p63, kAllOnes};

ArgCondition cond(uint8_t index, CmpOp op, uint64_t value, uint64_t value_two = 0,
                  policy::ArgWidth width = policy::ArgWidth::k64) {
  ArgCondition c;
  c.index = index;
  c.op = op;
  c.value = value;
  c.value_two = value_two;
  c.width = width;
  return c;
}

// Default ALLOW (the child's own exit, futex and rt_sigreturn must run);
// getpid's rules overlap, so precedence between them is exercised too.
policy::Policy actions_policy() {
  policy::ArchPolicy ap;
  ap.arch = syscalls::ArchId::kX86_64;
  ap.default_action = Action::Allow();
  const auto rule = [](Action a, std::vector<ArgCondition> cs) { return policy::Rule{a, std::move(cs), {}}; };
  ap.rules[SYS_getpid] = {
      rule(Action::KillProcess(), {cond(0, CmpOp::kEq, k2p32), cond(1, CmpOp::kGe, k2p63)}),
      rule(Action::KillThread(),
           {cond(0, CmpOp::kEq, k2p31), cond(1, CmpOp::kMaskedEq, 0xffffffff00000000ULL, 0xffffffff00000000ULL)}),
      rule(Action::Trap(0x1234), {cond(0, CmpOp::kGt, k2p32), cond(1, CmpOp::kLe, k2p32 - 1)}),
      rule(Action::Errno(77), {cond(0, CmpOp::kEq, 0), cond(1, CmpOp::kNe, 0)}),
      rule(Action::Errno(3), {cond(0, CmpOp::kEq, k2p63), cond(1, CmpOp::kEq, 0, 0, policy::ArgWidth::k32)}),
      rule(Action::Trace(5), {cond(0, CmpOp::kEq, k2p32 - 1), cond(1, CmpOp::kLe, k2p32)}),
      rule(Action::Log(), {cond(0, CmpOp::kEq, kAllOnes), cond(1, CmpOp::kGt, 0)}),
  };
  ap.rules[SYS_getppid] = {rule(Action::Log(), {})};
  policy::Policy p;
  p.arches.push_back(ap);
  p.bad_arch_action = Action::KillProcess();
  return p;
}

struct Input {
  uint32_t nr;
  std::array<uint64_t, 6> args;
};

std::vector<Input> inputs() {
  std::vector<Input> in;
  for (size_t i = 0; i < kBoundaries.size(); ++i) {
    for (size_t j = 0; j < kBoundaries.size(); ++j) {
      Input x{SYS_getpid, {}};
      x.args[0] = kBoundaries[i];
      x.args[1] = kBoundaries[j];
      // The other words carry boundary values too: the filter must ignore them.
      for (size_t k = 2; k < 6; ++k) x.args[k] = kBoundaries[(i + j + k) % kBoundaries.size()];
      in.push_back(x);
    }
  }
  in.push_back({SYS_getppid, {kAllOnes, k2p63, k2p32, k2p32 - 1, k2p31, 0}});
  return in;
}

struct Outcome {
  enum class Kind { kProcessKilled, kThreadKilled, kTrapped, kReturned, kUnexplained };
  Kind kind = Kind::kUnexplained;
  int64_t value = 0;  // trap data or the call's return value
  std::string detail;
  int64_t child_pid = 0;  // what getpid returns when it runs
  bool operator==(const Outcome& o) const { return kind == o.kind && value == o.value; }
};

std::string describe(const Outcome& o) {
  switch (o.kind) {
    case Outcome::Kind::kProcessKilled: return "process killed by SIGSYS";
    case Outcome::Kind::kThreadKilled: return "calling thread killed, process lives";
    case Outcome::Kind::kTrapped: return fmt::format("SIGSYS handler, si_errno {}", o.value);
    case Outcome::Kind::kReturned: return fmt::format("call returned {}", o.value);
    case Outcome::Kind::kUnexplained: break;
  }
  return "unexplained: " + o.detail;
}

// What the kernel does for `a` (Documentation/userspace-api/seccomp_filter.rst).
Outcome implied_by(Action a, int64_t success_value) {
  using K = Outcome::Kind;
  switch (a.kind) {
    case ActionKind::kKillProcess: return {K::kProcessKilled, 0, {}};
    case ActionKind::kKillThread: return {K::kThreadKilled, 0, {}};
    case ActionKind::kTrap: return {K::kTrapped, a.data, {}};
    case ActionKind::kErrno: return {K::kReturned, -static_cast<int64_t>(a.data), {}};
    case ActionKind::kTrace: return {K::kReturned, -ENOSYS, {}};
    case ActionKind::kLog:
    case ActionKind::kAllow: return {K::kReturned, success_value, {}};
    case ActionKind::kUserNotif: break;
  }
  return {K::kUnexplained, 0, "no listener for USER_NOTIF in this test"};
}

struct Report {
  std::atomic<int64_t> pid{0};
  std::atomic<int> installed{0};
  std::atomic<int> call_started{0};
  std::atomic<int> call_returned{0};
  std::atomic<int64_t> result{0};
  std::atomic<int> signals{0};
  std::atomic<int> trap_data{-1};
  std::atomic<int> trap_code{0};
  std::atomic<int> trap_nr{-1};
};

Report* g_report = nullptr;

void on_sigsys(int, siginfo_t* info, void*) {
  g_report->trap_data.store(info->si_errno);
  g_report->trap_code.store(info->si_code);
  g_report->trap_nr.store(info->si_syscall);
  g_report->signals.fetch_add(1);
}

Outcome classify(const bpf::testing::ChildStatus& st, Report& rep, const Input& in);

Outcome observe(const bpf::Program& prog, const Input& in) {
  Shared<Report> rep;
  const bpf::testing::ChildStatus st = run_in_child([&] {
    g_report = &*rep;
    struct sigaction sa {};
    sa.sa_sigaction = on_sigsys;
    sa.sa_flags = SA_SIGINFO;
    if (sigaction(SIGSYS, &sa, nullptr) != 0) return;
    rep->pid.store(getpid());
    if (!bpf::install(prog)) return;
    rep->installed.store(1);
    std::thread caller([&] {
      rep->call_started.store(1);
      rep->result.store(raw_syscall(in.nr, in.args));
      rep->call_returned.store(1);
    });
    caller.join();
  });
  Outcome o = classify(st, *rep, in);
  o.child_pid = rep->pid.load();
  return o;
}

// The outcome the child's status and report show, or kUnexplained.
Outcome classify(const bpf::testing::ChildStatus& st, Report& rep, const Input& in) {
  using K = Outcome::Kind;
  const std::string detail =
      fmt::format("child {}, installed {}, started {}, returned {}, signals {}", st.describe(), rep.installed.load(),
                  rep.call_started.load(), rep.call_returned.load(), rep.signals.load());
  if (rep.installed.load() != 1 || rep.call_started.load() != 1) return {K::kUnexplained, 0, detail};
  if (st.signaled && st.signal == SIGSYS && rep.call_returned.load() == 0) return {K::kProcessKilled, 0, detail};
  if (!st.exited || st.exit_code != 0) return {K::kUnexplained, 0, detail};
  if (rep.call_returned.load() == 0 && rep.signals.load() == 0) return {K::kThreadKilled, 0, detail};
  if (rep.call_returned.load() == 1 && rep.signals.load() == 1 && rep.trap_code.load() == kSysSeccompCode &&
      rep.trap_nr.load() == static_cast<int>(in.nr))
    return {K::kTrapped, rep.trap_data.load(), detail};
  if (rep.call_returned.load() == 1 && rep.signals.load() == 0) return {K::kReturned, rep.result.load(), detail};
  return {K::kUnexplained, 0, detail};
}

std::vector<std::string> seen_names(const std::map<ActionKind, int>& seen) {
  std::vector<std::string> out;
  for (const auto& [kind, n] : seen) {
    const std::string name = to_string(Action{kind, 0});
    out.push_back(fmt::format("{} {}", name.substr(0, name.find('(')), n));
  }
  return out;
}

TEST(KernelActions, RealActionsOnTwoArgumentRulesAnswerLikeTheSpecification) {
  if (bpf::testing::running_under_sanitizer()) GTEST_SKIP() << "see kernel_child.h";
  if (syscalls::native_arch().id != syscalls::ArchId::kX86_64) GTEST_SKIP() << "x86_64 host only";
  const policy::Policy p = actions_policy();
  auto c = compile(p, {});
  ASSERT_TRUE(c) << c.error().message;
  const uint32_t audit = syscalls::arch(syscalls::ArchId::kX86_64).audit_arch;
  std::map<ActionKind, int> seen;
  for (const Input& in : inputs()) {
    SeccompData d;
    d.arch = audit;
    d.nr = in.nr;
    d.instruction_pointer = bpf::testing::raw_syscall_ip();
    d.args = in.args;
    const std::string what = fmt::format("nr {} args {:#x}", in.nr, fmt::join(in.args, " "));
    const Action want = policy::evaluate(p, d).action;
    auto interpreted = bpf::run(c->program, d, Endian::kLittle);
    ASSERT_TRUE(interpreted) << what;
    EXPECT_EQ(interpreted->action(), want)
        << what << ": interpreter " << to_string(interpreted->action()) << ", policy " << to_string(want);
    // A forked child's getpid is its own pid; its getppid is this process.
    const Outcome got = observe(c->program, in);
    const int64_t success_value = in.nr == SYS_getppid ? getpid() : got.child_pid;
    const Outcome expected = implied_by(want, success_value);
    EXPECT_EQ(got, expected) << what << ": kernel: " << describe(got) << "; policy says " << to_string(want)
                             << ", i.e. " << describe(expected) << " (" << got.detail << ")";
    ++seen[want.kind];
  }
  fmt::print("inputs per action: {}\n", fmt::join(seen_names(seen), ", "));
  // Every action the test is about was exercised.
  for (ActionKind k : {ActionKind::kKillProcess, ActionKind::kKillThread, ActionKind::kTrap, ActionKind::kErrno,
                       ActionKind::kTrace, ActionKind::kLog, ActionKind::kAllow})
    EXPECT_GT(seen[k], 0) << "no input decided " << to_string(Action{k, 0});
}

}  // namespace
}  // namespace sysfence::compiler
