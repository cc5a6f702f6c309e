// ABI argument widths in the real kernel: under Docker's default profile compiled with
// ABI widths (the default), socket(0x1_0000_0026, SOCK_SEQPACKET, 0) — which
// the kernel reads as family 38, AF_ALG — fails with EPERM in a child; with
// --arg-width=64 (libseccomp's literal comparison) the filter lets it
// through. The filter's decision is asserted three ways: the interpreter,
// the kernel running the real program (EPERM), and the kernel running the
// program with every `ret K` renamed to a distinct errno (run/rewrite.h),
// which shows the decision without ever executing an allowed call — so
// nothing depends on the AF_ALG module. The audit's concrete bypass for the
// 64-bit program is replayed the same way.
//
// i386 (int $0x80) cases run only where the kernel offers int $0x80 to a
// 64-bit process; this VM faults on it, so they skip there.
#include <gtest/gtest.h>
#include <linux/filter.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>

#include "audit/program_audit.h"
#include "bpf/interp.h"
#include "compiler/compile.h"
#include "profile/builtin.h"
#include "profile/caps.h"
#include "profile/resolve.h"
#include "run/rewrite.h"
#include "syscalls/arch.h"
#include "syscalls/table.h"
#include "test/bpf/kernel_child.h"

namespace sysfence {
namespace {

using bpf::testing::die_without_syscall;
using bpf::testing::int80;
using bpf::testing::int80_available;
using bpf::testing::raw_syscall;
using bpf::testing::run_in_child;
using bpf::testing::run_in_light_child;
using bpf::testing::Shared;
using syscalls::ArchId;

constexpr uint64_t kAfAlgWithHighWord = 0x100000026ULL;  // the kernel reads int family = 38
constexpr uint64_t kAfAlg = 38;
constexpr uint64_t kAfInet = 2;
constexpr uint32_t kFirstProbeErrno = 1000;

const syscalls::Arch& x86_64() { return syscalls::arch(ArchId::kX86_64); }

struct Compiled {
  policy::Policy policy;
  bpf::Program program;
};

Compiled compile_default(profile::ArgWidthMode mode) {
  auto read = profile::read_builtin_default();
  EXPECT_TRUE(read) << read.error().message;
  profile::ResolveOptions o;
  o.native = ArchId::kX86_64;
  o.caps = profile::docker_default_caps();
  o.kernel = {6, 18};
  o.arg_width = mode;
  auto r = profile::resolve(read->profile, o);
  EXPECT_TRUE(r) << r.error().message;
  auto c = compiler::compile(r->policy, {});
  EXPECT_TRUE(c) << c.error().message;
  return {r->policy, c->program};
}

SeccompData socket_call(uint64_t family, uint32_t arch = x86_64().audit_arch,
                        uint32_t nr = static_cast<uint32_t>(SYS_socket)) {
  SeccompData d;
  d.arch = arch;
  d.nr = nr;
  d.args = {family, SOCK_SEQPACKET, 0, 0, 0, 0};
  return d;
}

Action interpret(const bpf::Program& p, const SeccompData& d) {
  auto r = bpf::run(p, d, Endian::kLittle);
  EXPECT_TRUE(r) << r.error().message;
  return r ? r->action() : Action::KillProcess();
}

// The program with each distinct `ret K` answering ERRNO(1000 + i).
struct Probe {
  bpf::Program program;
  std::vector<uint32_t> returns;  // index i -> the original value
  // The errno the probe answers where the original answers `a`.
  long errno_for(Action a) const {
    const auto it = std::find(returns.begin(), returns.end(), encode(a));
    EXPECT_NE(it, returns.end()) << to_string(a);
    return kFirstProbeErrno + (it - returns.begin());
  }
};

Probe probe_of(const bpf::Program& p) {
  Probe probe;
  const auto values = run::return_values(p);
  probe.returns.assign(values.begin(), values.end());
  auto mapped = run::map_returns(p, [&](uint32_t k) {
    const auto it = std::find(probe.returns.begin(), probe.returns.end(), k);
    return kRetErrno | static_cast<uint32_t>(kFirstProbeErrno + (it - probe.returns.begin()));
  });
  EXPECT_TRUE(mapped) << mapped.error().message;
  probe.program = std::move(*mapped);
  return probe;
}

// --- a child that installs a filter and issues calls -------------------------

constexpr size_t kMaxCalls = 16;

struct Call {
  uint32_t nr = 0;
  std::array<uint64_t, 6> args{};
  bool int80 = false;
};

struct ChildState {
  std::atomic<int32_t> install_errno{-1};
  std::atomic<uint32_t> done{0};
  std::atomic<int64_t> result[kMaxCalls] = {};
};

// Runs `calls` in a light child under `prog`; the raw results (-errno).
std::vector<long> run_under(const bpf::Program& prog, const std::vector<Call>& calls) {
  EXPECT_LE(calls.size(), kMaxCalls);
  Shared<ChildState> state;
  const auto status = run_in_light_child([&] {
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    sock_fprog fprog{static_cast<unsigned short>(prog.size()),
                     reinterpret_cast<sock_filter*>(const_cast<bpf::Insn*>(prog.data()))};
    if (syscall(SYS_seccomp, 1 /* SECCOMP_SET_MODE_FILTER */, 0, &fprog) != 0) {
      state->install_errno.store(errno);
      die_without_syscall();
    }
    state->install_errno.store(0);
    for (size_t i = 0; i < calls.size(); ++i) {
      const Call& c = calls[i];
      state->result[i].store(c.int80 ? int80(c.nr, c.args[0], c.args[1], c.args[2]) : raw_syscall(c.nr, c.args));
      state->done.store(static_cast<uint32_t>(i + 1));
    }
    die_without_syscall();
  });
  EXPECT_FALSE(status.timed_out) << status.describe();
  EXPECT_EQ(state->install_errno.load(), 0);
  EXPECT_EQ(state->done.load(), calls.size());
  std::vector<long> out;
  for (size_t i = 0; i < state->done.load(); ++i) out.push_back(static_cast<long>(state->result[i].load()));
  return out;
}

Call call_of(const SeccompData& d, bool int80 = false) { return Call{d.nr, d.args, int80}; }

class AbiWidthKernel : public ::testing::Test {
 protected:
  void SetUp() override {
    if (bpf::testing::running_under_sanitizer()) GTEST_SKIP() << "kernel tests skip under sanitizers";
  }
};

// --- the interpreter ------------------------------------------------------------

TEST(AbiWidthDecision, InterpreterAndEvaluatorAgree) {
  const Compiled abi = compile_default(profile::ArgWidthMode::kAbi);
  const Compiled wide = compile_default(profile::ArgWidthMode::k64);
  const SeccompData trick = socket_call(kAfAlgWithHighWord);
  EXPECT_EQ(interpret(abi.program, trick), Action::Errno(1));
  EXPECT_EQ(policy::evaluate(abi.policy, trick).action, Action::Errno(1));
  EXPECT_EQ(interpret(wide.program, trick), Action::Allow());
  EXPECT_EQ(policy::evaluate(wide.policy, trick).action, Action::Allow());
  // Where the high word is clean both modes agree.
  for (const Compiled* c : {&abi, &wide}) {
    EXPECT_EQ(interpret(c->program, socket_call(kAfAlg)), Action::Errno(1));
    EXPECT_EQ(interpret(c->program, socket_call(kAfInet)), Action::Allow());
  }
}

// --- the kernel ----------------------------------------------------------------------

TEST_F(AbiWidthKernel, AbiModeFailsTheHighWordTrickWithEperm) {
  const Compiled abi = compile_default(profile::ArgWidthMode::kAbi);
  const auto results = run_under(abi.program, {call_of(socket_call(kAfAlgWithHighWord)), call_of(socket_call(kAfAlg))});
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[0], -EPERM);
  EXPECT_EQ(results[1], -EPERM);
}

TEST_F(AbiWidthKernel, ProbedDecisionsInBothModes) {
  const Compiled abi = compile_default(profile::ArgWidthMode::kAbi);
  const Compiled wide = compile_default(profile::ArgWidthMode::k64);
  const std::vector<SeccompData> inputs = {socket_call(kAfAlgWithHighWord), socket_call(kAfAlg), socket_call(kAfInet)};
  std::vector<Call> calls;
  calls.reserve(inputs.size());
  for (const auto& d : inputs) calls.push_back(call_of(d));
  for (const Compiled* c : {&abi, &wide}) {
    const Probe probe = probe_of(c->program);
    const auto results = run_under(probe.program, calls);
    ASSERT_EQ(results.size(), inputs.size());
    for (size_t i = 0; i < inputs.size(); ++i) {
      // The kernel's run of the filter decides what the interpreter decides.
      EXPECT_EQ(results[i], -probe.errno_for(interpret(c->program, inputs[i])))
          << (c == &abi ? "abi" : "64") << " input " << i;
    }
  }
  // And those decisions are the point: abi denies the trick, 64 lets it through.
  const Probe pa = probe_of(abi.program);
  const Probe pw = probe_of(wide.program);
  EXPECT_EQ(run_under(pa.program, {calls[0]}).at(0), -pa.errno_for(Action::Errno(1)));
  EXPECT_EQ(run_under(pw.program, {calls[0]}).at(0), -pw.errno_for(Action::Allow()));
}

// The audit finds the bypass in the 64-bit program, and its example inputs
// are answered in the kernel as the finding says.
TEST_F(AbiWidthKernel, AuditBypassReplaysInTheKernel) {
  const Compiled wide = compile_default(profile::ArgWidthMode::k64);
  audit::ProgramAuditOptions o;
  o.arch = &x86_64();
  auto report = audit::audit_program(wide.program, o);
  ASSERT_TRUE(report) << report.error().message;
  const Probe probe = probe_of(wide.program);
  size_t replayed = 0;
  for (const audit::Finding& f : report->findings) {
    if (f.check != audit::check::kArgWidth || f.severity != audit::Severity::kHigh) continue;
    ASSERT_EQ(f.inputs.size(), 2u) << f.message;
    if (f.inputs[0].arch != x86_64().audit_arch) continue;  // i386: int $0x80, below
    const auto results = run_under(probe.program, {call_of(f.inputs[0]), call_of(f.inputs[1])});
    ASSERT_EQ(results.size(), 2u);
    EXPECT_EQ(results[0], -probe.errno_for(Action::Allow())) << f.message;
    EXPECT_EQ(results[1], -probe.errno_for(interpret(wide.program, f.inputs[1]))) << f.message;
    EXPECT_NE(results[0], results[1]) << f.message;
    ++replayed;
  }
  // socket on x86_64. x32 has no bypass: like libseccomp, --arg-width 64
  // compares the low word on ABIs libseccomp builds as 32-bit.
  EXPECT_EQ(replayed, 1u) << audit::format_report(*report);

  // The abi program has no such finding.
  const Compiled abi = compile_default(profile::ArgWidthMode::kAbi);
  auto clean = audit::audit_program(abi.program, o);
  ASSERT_TRUE(clean);
  for (const audit::Finding& f : clean->findings) EXPECT_NE(f.check, audit::check::kArgWidth) << f.message;
}

TEST_F(AbiWidthKernel, I386ThroughInt80) {
  if (!int80_available()) GTEST_SKIP() << "int $0x80 is not available to 64-bit processes on this kernel";
  const uint32_t i386_socket = *syscalls::table(ArchId::kI386).number("socket");
  const uint32_t i386_audit = syscalls::arch(ArchId::kI386).audit_arch;
  const SeccompData trick = socket_call(kAfAlgWithHighWord, i386_audit, i386_socket);
  for (const auto mode : {profile::ArgWidthMode::kAbi, profile::ArgWidthMode::k64}) {
    const Compiled c = compile_default(mode);
    const Probe probe = probe_of(c.program);
    // Both modes compare the low word on i386 (--arg-width 64 as libseccomp
    // does on its 32-bit ABIs), so the high word set through int $0x80 does
    // not get AF_ALG past the filter.
    const Action want = Action::Errno(1);
    EXPECT_EQ(interpret(c.program, trick), want);
    EXPECT_EQ(run_under(probe.program, {call_of(trick, /*int80=*/true)}).at(0), -probe.errno_for(want));
  }
}

}  // namespace
}  // namespace sysfence
