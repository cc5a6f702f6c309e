// A tracer skipping a call in the real kernel. strace's `-e inject=...`,
// debuggers and other PTRACE_SYSCALL users skip a call by writing -1 into
// orig_rax at the syscall-entry stop; since Linux 4.8 seccomp runs after that
// stop and sees nr 0xffffffff. A filter compiled from a default-ALLOW profile
// for x86_64 alone (no x32) must give -1 the profile's normal processing, as
// libseccomp's filters do, not the bad-arch action: otherwise every traced
// process is killed. Filters are installed in forked children only.
#include <gtest/gtest.h>
#include <linux/filter.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstring>
#include <string>

#include "bpf/interp.h"
#include "compiler/compile.h"
#include "profile/caps.h"
#include "profile/load.h"
#include "profile/resolve.h"
#include "test/bpf/kernel_child.h"

namespace sysfence::compiler {
namespace {

using bpf::testing::raw_syscall;
using bpf::testing::Shared;

// The first argument that marks the getpid call the tracer skips.
constexpr uint64_t kSkipMarker = 0x5ca1ab1e;
constexpr uint32_t kMinusOne = 0xffffffffU;
// The traced child's exit status when PTRACE_TRACEME is refused (Yama's
// ptrace_scope 3, or a sandbox that denies ptrace).
constexpr int kNoPtrace = 20;

struct Report {
  std::atomic<int> installed{0};  // 1 installed, -errno on failure
  std::atomic<int64_t> skipped{1};
  std::atomic<int64_t> denied{1};
  std::atomic<int64_t> minus_one{1};
  std::atomic<int> done{0};
};

policy::Policy resolve_profile(const std::string& path) {
  auto loaded = profile::load_profile(path);
  EXPECT_TRUE(loaded) << loaded.error().message;
  if (!loaded) return {};
  profile::ResolveOptions o;
  o.native = syscalls::ArchId::kX86_64;
  o.caps = profile::docker_default_caps();
  o.kernel = {6, 1};
  auto r = profile::resolve(loaded->profile, o);
  EXPECT_TRUE(r) << r.error().message;
  return r ? r->policy : policy::Policy{};
}

int install(const bpf::Program& prog) {
  prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
  sock_fprog fprog{static_cast<unsigned short>(prog.size()),
                   reinterpret_cast<sock_filter*>(const_cast<bpf::Insn*>(prog.data()))};
  if (syscall(SYS_seccomp, 1 /* SECCOMP_SET_MODE_FILTER */, 0, &fprog) != 0) return -errno;
  return 1;
}

// The traced child: stops for its parent, installs the filter, then makes
// the call the tracer skips, a call the profile denies, and a raw -1.
[[noreturn]] void traced_child(Report* r, const bpf::Program* prog) {
  bpf::testing::disable_core_dumps();
  if (ptrace(PTRACE_TRACEME, 0, nullptr, nullptr) != 0) _exit(kNoPtrace);
  raise(SIGSTOP);
  r->installed.store(install(*prog));
  if (r->installed.load() != 1) _exit(21);
  r->skipped.store(raw_syscall(SYS_getpid, {kSkipMarker}));
  r->denied.store(raw_syscall(SYS_getppid, {}));
  r->minus_one.store(raw_syscall(kMinusOne, {}));
  r->done.store(1);
  _exit(0);
}

struct Traced {
  int status = 0;           // the child's final wait status
  int skipped_entries = 0;  // getpid entries turned into -1
  std::string error;        // the tracer itself failed
};

// PTRACE_SYSCALL loop: at the entry of the marked getpid, orig_rax = -1.
// Entry and exit stops alternate (no seccomp stops: the profile has no
// SCMP_ACT_TRACE), so a flag tells them apart.
Traced trace(pid_t pid) {
  Traced t;
  int st = 0;
  if (waitpid(pid, &st, 0) != pid || !WIFSTOPPED(st)) return {st, 0, "the child did not stop for its tracer"};
  // NOLINTNEXTLINE(performance-no-int-to-ptr): ptrace's data argument carries the options.
  ptrace(PTRACE_SETOPTIONS, pid, nullptr, reinterpret_cast<void*>(PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL));
  bool in_call = false;
  int deliver = 0;
  for (int stops = 0; stops < 100000; ++stops) {
    // NOLINTNEXTLINE(performance-no-int-to-ptr): ptrace's data argument carries the signal number.
    if (ptrace(PTRACE_SYSCALL, pid, nullptr, reinterpret_cast<void*>(static_cast<intptr_t>(deliver))) != 0)
      return {st, t.skipped_entries, "PTRACE_SYSCALL failed"};
    deliver = 0;
    if (waitpid(pid, &st, 0) != pid) return {st, t.skipped_entries, "waitpid failed"};
    if (WIFEXITED(st) || WIFSIGNALED(st)) {
      t.status = st;
      return t;
    }
    if (WSTOPSIG(st) != (SIGTRAP | 0x80)) {
      deliver = WSTOPSIG(st);  // a signal for the child: pass it on
      continue;
    }
    in_call = !in_call;
    if (!in_call) continue;
    user_regs_struct regs{};
    if (ptrace(PTRACE_GETREGS, pid, nullptr, &regs) != 0) return {st, t.skipped_entries, "PTRACE_GETREGS failed"};
    if (regs.orig_rax == SYS_getpid && regs.rdi == kSkipMarker) {
      regs.orig_rax = static_cast<uint64_t>(-1);  // what strace's inject writes
      if (ptrace(PTRACE_SETREGS, pid, nullptr, &regs) != 0) return {st, t.skipped_entries, "PTRACE_SETREGS failed"};
      ++t.skipped_entries;
    }
  }
  kill(pid, SIGKILL);
  waitpid(pid, &st, 0);
  return {st, t.skipped_entries, "too many stops"};
}

// What a child sees for `a` (the interpreter's answer) when the kernel would
// otherwise run no call: ALLOW of a number no ABI has is -ENOSYS.
int64_t expected_result(Action a) {
  if (a.kind == ActionKind::kAllow) return -ENOSYS;
  if (a.kind == ActionKind::kErrno) return -static_cast<int64_t>(a.data);
  return INT64_MIN;  // the kill actions: no result
}

class SkipTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (bpf::testing::running_under_sanitizer()) GTEST_SKIP() << "see kernel_child.h";
    if (syscalls::native_arch().id != syscalls::ArchId::kX86_64) GTEST_SKIP() << "x86_64 host only";
    policy_ = resolve_profile("test/compiler/testdata/skip.json");
    // The profile names no architectures: x86_64 alone, x32 is a bad arch.
    ASSERT_EQ(policy_.arches.size(), 1u);
    ASSERT_EQ(policy_.find(syscalls::ArchId::kX32), nullptr);
    auto c = compile(policy_, {});
    ASSERT_TRUE(c) << c.error().message;
    program_ = c->program;
  }

  static SeccompData x86_64_call(uint32_t nr) {
    SeccompData d;
    d.arch = syscalls::arch(syscalls::ArchId::kX86_64).audit_arch;
    d.nr = nr;
    return d;
  }

  Action interpreted(uint32_t nr) const {
    auto r = bpf::run(program_, x86_64_call(nr), Endian::kLittle);
    EXPECT_TRUE(r) << r.error().message;
    return r ? r->action() : Action::KillProcess();
  }

  policy::Policy policy_;
  bpf::Program program_;
};

TEST_F(SkipTest, ATracerSkippingACallDoesNotKillTheTracee) {
  // The interpreter already says it; the kernel must agree below.
  EXPECT_EQ(interpreted(kMinusOne), Action::Allow());
  EXPECT_EQ(interpreted(kMinusOne), policy::evaluate(policy_, x86_64_call(kMinusOne)).action);

  Shared<Report> report;
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) traced_child(&*report, &program_);
  const Traced t = trace(pid);
  if (WIFEXITED(t.status) && WEXITSTATUS(t.status) == kNoPtrace) GTEST_SKIP() << "ptrace is not permitted here";
  ASSERT_TRUE(t.error.empty()) << t.error;
  EXPECT_FALSE(WIFSIGNALED(t.status)) << "the traced child was killed by signal " << WTERMSIG(t.status) << " ("
                                      << strsignal(WTERMSIG(t.status)) << ")";
  ASSERT_TRUE(WIFEXITED(t.status));
  ASSERT_EQ(WEXITSTATUS(t.status), 0) << "installed: " << report->installed.load();
  EXPECT_EQ(t.skipped_entries, 1);
  EXPECT_EQ(report->done.load(), 1);
  // The skipped call was not run: the child sees -ENOSYS, not its pid.
  EXPECT_EQ(report->skipped.load(), -ENOSYS);
  // The profile still applies to the traced child.
  EXPECT_EQ(report->denied.load(), -13);
  EXPECT_EQ(report->minus_one.load(), expected_result(interpreted(kMinusOne)));
}

TEST_F(SkipTest, RawMinusOneAnswersAsTheInterpreter) {
  // Untraced: the kernel runs the filter on nr 0xffffffff itself.
  Shared<Report> report;
  const auto st = bpf::testing::run_in_child([&] {
    report->installed.store(install(program_));
    if (report->installed.load() != 1) _exit(21);
    report->minus_one.store(raw_syscall(kMinusOne, {}));
    report->denied.store(raw_syscall(SYS_getppid, {}));
    report->done.store(1);
  });
  ASSERT_FALSE(st.signaled) << st.describe();
  ASSERT_TRUE(st.exited && st.exit_code == 0) << st.describe() << ", installed " << report->installed.load();
  EXPECT_EQ(report->minus_one.load(), expected_result(interpreted(kMinusOne)));
  EXPECT_EQ(report->minus_one.load(), -ENOSYS);
  EXPECT_EQ(report->denied.load(), expected_result(interpreted(SYS_getppid)));
}

}  // namespace
}  // namespace sysfence::compiler
