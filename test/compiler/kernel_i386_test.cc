// The i386 and x32 sections of compiled filters in the real kernel, from an
// x86_64 test process: `int $0x80` enters the kernel's compat (i386) entry,
// so the filter sees AUDIT_ARCH_I386 and i386 numbers; the `syscall`
// instruction with bit 30 set is what an x32 program issues, and the filter
// sees that number under AUDIT_ARCH_X86_64 before the kernel decides whether
// it has x32 at all. Every action is mapped to a distinct ERRNO value (in
// precedence order), so no call ever runs and the errno says which action
// the kernel's run of the filter chose; it must be policy::evaluate's.
// Then socketcall(2) and ipc(2) with their real actions: a profile that
// denies socket and shmget denies socketcall(SYS_SOCKET) and ipc(SHMGET)
// too (profile/multiplex.h). Filters are only ever installed in children.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <linux/filter.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <map>

#include "compiler/compile.h"
#include "profile/load.h"
#include "profile/reader.h"
#include "profile/resolve.h"
#include "syscalls/multiplex.h"
#include "syscalls/table.h"
#include "test/bpf/kernel_child.h"
#include "test/compiler/support.h"

namespace sysfence::compiler {
namespace {

using bpf::testing::die_without_syscall;
using bpf::testing::raw_syscall;
using bpf::testing::run_in_child;
using bpf::testing::run_in_light_child;
using bpf::testing::Shared;
using syscalls::ArchId;

#if defined(__x86_64__)
// An i386 system call through the compat entry: eax = nr, ebx, ecx, edx,
// esi, edi, ebp = the arguments (32 bits each). rbp is the frame pointer, so
// it is swapped in and out around the trap inside the one asm statement;
// its operand is early-clobber so that it never shares a register with an
// input of the same value.
// The result is the 32-bit eax, sign-extended (-errno on failure).
long int80(uint32_t nr, const std::array<uint32_t, 6>& a) {
  uint64_t ax = nr;
  uint64_t a5 = a[5];
  asm volatile(
      "xchg %%rbp, %[a5]\n"
      "int $0x80\n"
      "xchg %%rbp, %[a5]\n"
      : "+a"(ax), [a5] "+&r"(a5)
      : "b"(uint64_t{a[0]}), "c"(uint64_t{a[1]}), "d"(uint64_t{a[2]}), "S"(uint64_t{a[3]}), "D"(uint64_t{a[4]})
      : "r8", "r9", "r10", "r11", "memory");
  return static_cast<int32_t>(ax);
}
#endif

// Whether this kernel runs i386 code (CONFIG_IA32_EMULATION, and not turned
// off by ia32_emulation=0): without it `int $0x80` faults.
bool ia32_available() {
#if defined(__x86_64__)
  Shared<std::atomic<long>> pid;
  const auto st = run_in_child([&] { pid->store(int80(20 /* i386 getpid */, {})); });
  return st.exited && st.exit_code == 0 && pid->load() > 0;
#else
  return false;
#endif
}

constexpr size_t kMaxInputs = 4096;

struct Input {
  bool compat;  // int $0x80 (i386) or syscall (x86_64 / x32)
  uint32_t nr;
  std::array<uint32_t, 6> args;
};

struct ChildState {
  std::atomic<int32_t> install_result{1};
  std::atomic<uint32_t> done{0};
  std::atomic<int64_t> result[kMaxInputs] = {};
};

// i386: every number of the table and past it, the edge numbers, and the
// multiplexers with every call number (ipc also with a version in the upper
// 16 bits) and around every constant of the i386 rules. x32: every number
// of its table and the edges of its range.
std::vector<Input> inputs_for(const policy::Policy& p) {
  std::vector<Input> in;
  const uint32_t i386_max = syscalls::table(ArchId::kI386).max_nr();
  for (uint32_t nr = 0; nr <= i386_max + 16; ++nr) in.push_back({true, nr, {}});
  for (uint32_t nr : {0x3fffffffu, 0x40000000u, 0x7fffffffu, 0x80000000u, 0xbfffffffu, 0xffffffffu})
    in.push_back({true, nr, {}});
  for (const syscalls::MultiplexedCall& c : syscalls::multiplexed_calls()) {
    const uint32_t nr = *syscalls::multiplexer_number(ArchId::kI386, c.via);
    in.push_back({true, nr, {c.call, 0, 0, 0, 0, 0}});
    in.push_back({true, nr, {c.call | 0x10000, 0, 0, 0, 0, 0}});
  }
  for (uint32_t call : {0u, 21u, 25u, 0xffffffffu}) {
    in.push_back({true, 102, {call, 0, 0, 0, 0, 0}});
    in.push_back({true, 117, {call, 0, 0, 0, 0, 0}});
  }
  if (const policy::ArchPolicy* ap = p.find(ArchId::kI386)) {
    for (const auto& [nr, rules] : ap->rules)
      for (const policy::Rule& r : rules)
        for (const policy::ArgCondition& c : r.conditions)
          for (uint64_t v : {c.value, c.value - 1, c.value + 1, c.value_two, c.value_two | ~c.value}) {
            Input x{true, nr, {}};
            x.args[c.index] = static_cast<uint32_t>(v);
            in.push_back(x);
          }
  }
  const uint32_t x32_max = syscalls::table(ArchId::kX32).max_nr();
  for (uint32_t nr = 0x40000000; nr <= x32_max + 8; ++nr) in.push_back({false, nr, {}});
  if (in.size() > kMaxInputs) in.resize(kMaxInputs);
  return in;
}

#if defined(__x86_64__)
void install_or_die(ChildState* s, const bpf::Program* prog) {
  prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
  sock_fprog fprog{static_cast<unsigned short>(prog->size()),
                   reinterpret_cast<sock_filter*>(const_cast<bpf::Insn*>(prog->data()))};
  if (syscall(SYS_seccomp, 1 /* SECCOMP_SET_MODE_FILTER */, 0, &fprog) != 0) {
    s->install_result.store(errno);
    die_without_syscall();
  }
  s->install_result.store(0);
}

void child(ChildState* s, const bpf::Program* prog, const std::vector<Input>* inputs) {
  install_or_die(s, prog);
  for (size_t i = 0; i < inputs->size(); ++i) {
    const Input& x = (*inputs)[i];
    const std::array<uint64_t, 6> wide{x.args[0], x.args[1], x.args[2], x.args[3], x.args[4], x.args[5]};
    s->result[i].store(x.compat ? int80(x.nr, x.args) : raw_syscall(x.nr, wide));
    s->done.store(static_cast<uint32_t>(i + 1));
  }
  die_without_syscall();
}
#endif

size_t check_in_kernel(const policy::Policy& original, const std::string& what) {
  const policy::Policy p = testing::errno_policy(original);
  auto c = compile(p, {});
  EXPECT_TRUE(c) << what << ": " << c.error().message;
  if (!c) return 0;
  const std::vector<Input> inputs = inputs_for(p);
  Shared<ChildState> state;
#if defined(__x86_64__)
  run_in_light_child([&] { child(&*state, &c->program, &inputs); });
#endif
  EXPECT_EQ(state->install_result.load(), 0) << what;
  EXPECT_EQ(state->done.load(), inputs.size()) << what;
  size_t bad = 0;
  for (size_t i = 0; i < state->done.load(); ++i) {
    SeccompData d;
    d.arch = syscalls::arch(inputs[i].compat ? ArchId::kI386 : ArchId::kX86_64).audit_arch;
    d.nr = inputs[i].nr;
    for (size_t k = 0; k < 6; ++k) d.args[k] = inputs[i].args[k];  // the kernel zero-extends compat registers
    const Action want = policy::evaluate(p, d).action;
    const int64_t got = state->result[i].load();
    if (got != -static_cast<int64_t>(want.data) && bad++ < 10)
      ADD_FAILURE() << what << ": " << (inputs[i].compat ? "int 0x80" : "syscall") << " nr 0x" << std::hex << d.nr
                    << " args[0] 0x" << d.args[0] << std::dec << ": kernel returned " << got << ", expected -"
                    << want.data;
  }
  return state->done.load();
}

profile::Resolution resolve_text(std::string_view text, profile::MultiplexRewrite mode) {
  auto read = profile::read_profile(text, "k.json");
  EXPECT_TRUE(read) << read.error().message;
  profile::ResolveOptions o;
  o.native = ArchId::kX86_64;
  o.kernel = {6, 1};
  o.multiplex = mode;
  auto r = profile::resolve(read->profile, o);
  EXPECT_TRUE(r) << r.error().message;
  return std::move(*r);
}

constexpr std::string_view kX86Profile = R"({
  "defaultAction": "SCMP_ACT_ERRNO",
  "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
  "syscalls": [
    {"names": ["read", "write", "getpid", "socketpair", "semget"], "action": "SCMP_ACT_ALLOW"},
    {"names": ["socket", "shmget"], "action": "SCMP_ACT_KILL_PROCESS"},
    {"names": ["connect"], "action": "SCMP_ACT_TRAP"},
    {"names": ["bind"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13,
     "args": [{"index": 0, "value": 3, "op": "SCMP_CMP_EQ"}]},
    {"names": ["ipc"], "action": "SCMP_ACT_LOG"},
    {"names": ["kill"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 1, "value": 0, "op": "SCMP_CMP_EQ"},
                                                             {"index": 0, "value": 7, "op": "SCMP_CMP_GT"}]}
  ]
})";

TEST(KernelI386, CompiledFiltersAnswerLikeTheSpecificationThroughInt80AndX32) {
  if (bpf::testing::running_under_sanitizer()) GTEST_SKIP() << "see kernel_child.h";
  if (syscalls::native_arch().id != ArchId::kX86_64) GTEST_SKIP() << "x86_64 host only";
  if (!ia32_available()) GTEST_SKIP() << "this kernel does not run i386 code (CONFIG_IA32_EMULATION off or disabled)";
  size_t checked = 0;
  checked += check_in_kernel(resolve_text(kX86Profile, profile::MultiplexRewrite::kExact).policy, "exact");
  checked += check_in_kernel(resolve_text(kX86Profile, profile::MultiplexRewrite::kLibseccomp).policy, "libseccomp");
  // Docker's default for x86_64 (its archMap adds x86 and x32).
  auto loaded = profile::load_profile("default");
  ASSERT_TRUE(loaded) << loaded.error().message;
  profile::ResolveOptions o;
  o.native = ArchId::kX86_64;
  o.kernel = {6, 1};
  auto docker = profile::resolve(loaded->profile, o);
  ASSERT_TRUE(docker) << docker.error().message;
  checked += check_in_kernel(docker->policy, "docker default");
  fmt::print("kernel round trips: {}\n", checked);
  EXPECT_GT(checked, 1000u);
}

// The real actions: socketcall(SYS_SOCKET, [AF_ALG, ...]) and ipc(SHMGET)
// get what the profile says about socket and shmget; calls it does not name
// run (and fail harmlessly on bad arguments).
struct MultiplexResults {
  std::atomic<int32_t> install{1};
  std::atomic<long> socket_via_socketcall{0};
  std::atomic<long> shutdown_via_socketcall{0};
  std::atomic<long> shmget_via_ipc{0};
  std::atomic<long> shmget_via_ipc_version{0};
  std::atomic<long> direct_socket{0};
};

constexpr std::string_view kDenySocketAndShmget = R"({
  "defaultAction": "SCMP_ACT_ALLOW",
  "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"],
  "syscalls": [
    {"names": ["socket"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13},
    {"names": ["shmget"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}
  ]
})";

void multiplex_child(MultiplexResults* r, const bpf::Program* prog, uint32_t* argp) {
#if defined(__x86_64__)
  prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
  sock_fprog fprog{static_cast<unsigned short>(prog->size()),
                   reinterpret_cast<sock_filter*>(const_cast<bpf::Insn*>(prog->data()))};
  if (syscall(SYS_seccomp, 1, 0, &fprog) != 0) {
    r->install.store(errno);
    return;
  }
  r->install.store(0);
  const auto addr = static_cast<uint32_t>(reinterpret_cast<uintptr_t>(argp));
  argp[0] = 38;  // AF_ALG
  argp[1] = 5;   // SOCK_SEQPACKET
  argp[2] = 0;
  r->socket_via_socketcall.store(int80(102, {1 /* SYS_SOCKET */, addr, 0, 0, 0, 0}));
  argp[0] = 0xffffffff;  // fd -1
  argp[1] = 0;
  r->shutdown_via_socketcall.store(int80(102, {13 /* SYS_SHUTDOWN */, addr, 0, 0, 0, 0}));
  // ipc(SHMGET, IPC_PRIVATE, size 0, 0): EINVAL (size below SHMMIN) if it runs.
  r->shmget_via_ipc.store(int80(117, {23, 0, 0, 0, 0, 0}));
  r->shmget_via_ipc_version.store(int80(117, {0x10000 | 23, 0, 0, 0, 0, 0}));
  r->direct_socket.store(raw_syscall(41, {38, 5, 0, 0, 0, 0}));
#else
  (void)r, (void)prog, (void)argp;
#endif
}

TEST(KernelI386, SocketcallAndIpcGetTheRulesOfTheCallsTheyDispatch) {
  if (bpf::testing::running_under_sanitizer()) GTEST_SKIP() << "see kernel_child.h";
  if (syscalls::native_arch().id != ArchId::kX86_64) GTEST_SKIP() << "x86_64 host only";
  if (!ia32_available()) GTEST_SKIP() << "this kernel does not run i386 code (CONFIG_IA32_EMULATION off or disabled)";
  // socketcall's argument block must be addressable by 32-bit code.
  void* low = mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
  ASSERT_NE(low, MAP_FAILED);
  for (auto mode : {profile::MultiplexRewrite::kExact, profile::MultiplexRewrite::kLibseccomp}) {
    const bool exact = mode == profile::MultiplexRewrite::kExact;
    SCOPED_TRACE(exact ? "exact" : "libseccomp");
    auto c = compile(resolve_text(kDenySocketAndShmget, mode).policy, {});
    ASSERT_TRUE(c) << c.error().message;
    Shared<MultiplexResults> r;
    const auto st = run_in_child([&] { multiplex_child(&*r, &c->program, static_cast<uint32_t*>(low)); });
    ASSERT_TRUE(st.exited) << st.describe();
    ASSERT_EQ(r->install.load(), 0);
    EXPECT_EQ(r->direct_socket.load(), -13);
    EXPECT_EQ(r->socket_via_socketcall.load(), -13);   // denied like socket(AF_ALG, ...)
    EXPECT_EQ(r->shutdown_via_socketcall.load(), -9);  // ran: EBADF
    EXPECT_EQ(r->shmget_via_ipc.load(), -1);           // denied like shmget
    // The kernel dispatches on call & 0xffff; libseccomp's rule tests all of
    // arg0, so the versioned call gets past it and runs (EINVAL, size 0).
    EXPECT_EQ(r->shmget_via_ipc_version.load(), exact ? -1 : -22);
  }
  munmap(low, 4096);
}

}  // namespace
}  // namespace sysfence::compiler
