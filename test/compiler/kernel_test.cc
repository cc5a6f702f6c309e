// Compiled filters in the real kernel. Every action of a policy is mapped to
// a distinct ERRNO value (in the same precedence order, so "most restrictive
// wins" is unchanged), the policy is compiled and installed in a child, and
// the child issues syscalls: no denied syscall ever runs, and the errno each
// one returns says which action the kernel's run of the filter chose. It must
// be the one policy::evaluate chose.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <linux/filter.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <map>

#include "compiler/compile.h"
#include "profile/caps.h"
#include "profile/load.h"
#include "profile/resolve.h"
#include "syscalls/table.h"
#include "test/bpf/kernel_child.h"
#include "test/compiler/support.h"

namespace sysfence::compiler {
namespace {

using bpf::testing::die_without_syscall;
using bpf::testing::raw_syscall;
using bpf::testing::run_in_light_child;
using bpf::testing::Shared;

constexpr size_t kMaxInputs = 4096;

struct Input {
  uint32_t nr;
  std::array<uint64_t, 6> args;
};

struct ChildState {
  std::atomic<int32_t> install_result{1};
  std::atomic<uint32_t> done{0};
  std::atomic<int64_t> result[kMaxInputs] = {};
};

std::vector<Input> inputs_for(const policy::Policy& p) {
  std::vector<Input> in;
  const syscalls::Table& t = syscalls::table(syscalls::ArchId::kX86_64);
  // The kernel lets uretprobe/uprobe through without running any filter
  // (seccomp_uprobe_exception, 6.11+); outside a probe trampoline they
  // SIGSEGV the caller.
  auto bypassed = [&](uint32_t nr) {
    const auto name = t.name(nr);
    return name && (*name == "uretprobe" || *name == "uprobe");
  };
  for (uint32_t nr = 0; nr <= t.max_nr() + 16; ++nr) {
    if (!bypassed(nr)) in.push_back({nr, {}});
  }
  const uint32_t x32_max = syscalls::table(syscalls::ArchId::kX32).max_nr();
  for (uint32_t nr = 0x40000000; nr <= x32_max + 8; nr += 3) in.push_back({nr, {}});
  // The edges of libseccomp's x86_64/x32 split, and -1: the kernel runs the
  // filter on nr 0xffffffff too (what a tracer's skip looks like).
  for (uint32_t nr : {0x3fffffffu, 0x40000000u, 0x7fffffffu, 0x80000000u, 0xbfffffffu, 0xc0000000u, 0xc0000001u,
                      0xfffffffeu, 0xffffffffu})
    in.push_back({nr, {}});
  // Argument values around every constant of the x86_64 rules.
  if (const policy::ArchPolicy* ap = p.find(syscalls::ArchId::kX86_64)) {
    for (const auto& [nr, rules] : ap->rules) {
      if (bypassed(nr)) continue;
      for (const policy::Rule& r : rules) {
        for (const policy::ArgCondition& c : r.conditions) {
          if (c.index >= 6) continue;
          for (uint64_t v : std::initializer_list<uint64_t>{c.value, c.value - 1, c.value + 1, c.value_two,
                                                            c.value_two | ~c.value, c.value | 0x100000000ULL}) {
            Input x{nr, {}};
            x.args[c.index] = v;
            in.push_back(x);
          }
        }
      }
    }
  }
  if (in.size() > kMaxInputs) in.resize(kMaxInputs);
  return in;
}

void child(ChildState* s, const bpf::Program* prog, const std::vector<Input>* inputs) {
  prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
  sock_fprog fprog{static_cast<unsigned short>(prog->size()),
                   reinterpret_cast<sock_filter*>(const_cast<bpf::Insn*>(prog->data()))};
  if (syscall(SYS_seccomp, 1 /* SECCOMP_SET_MODE_FILTER */, 0, &fprog) != 0) {
    s->install_result.store(errno);
    die_without_syscall();
  }
  s->install_result.store(0);
  for (size_t i = 0; i < inputs->size(); ++i) {
    s->result[i].store(raw_syscall((*inputs)[i].nr, (*inputs)[i].args));
    s->done.store(static_cast<uint32_t>(i + 1));
  }
  die_without_syscall();
}

// Returns the number of inputs checked.
size_t check_in_kernel(const policy::Policy& original, const std::string& what) {
  const policy::Policy p = testing::errno_policy(original);
  auto c = compile(p, {});
  EXPECT_TRUE(c) << what << ": " << c.error().message;
  if (!c) return 0;
  const std::vector<Input> inputs = inputs_for(p);
  Shared<ChildState> state;
  run_in_light_child([&] { child(&*state, &c->program, &inputs); });
  EXPECT_EQ(state->install_result.load(), 0) << what;
  EXPECT_EQ(state->done.load(), inputs.size()) << what;
  const uint32_t audit = syscalls::arch(syscalls::ArchId::kX86_64).audit_arch;
  size_t bad = 0;
  for (size_t i = 0; i < state->done.load(); ++i) {
    SeccompData d;
    d.arch = audit;
    d.nr = inputs[i].nr;
    d.args = inputs[i].args;
    const Action want = policy::evaluate(p, d).action;
    const int64_t got = state->result[i].load();
    if (got != -static_cast<int64_t>(want.data) && bad++ < 10) {
      ADD_FAILURE() << what << ": nr 0x" << std::hex << d.nr << " args[0] 0x" << d.args[0] << std::dec
                    << ": kernel returned " << got << ", expected -" << want.data;
    }
  }
  return state->done.load();
}

policy::Policy resolve(const std::string& path) {
  auto loaded = profile::load_profile(path);
  EXPECT_TRUE(loaded) << loaded.error().message;
  profile::ResolveOptions o;
  o.native = syscalls::ArchId::kX86_64;
  o.caps = profile::docker_default_caps();
  o.kernel = {6, 1};
  auto r = profile::resolve(loaded->profile, o);
  EXPECT_TRUE(r) << r.error().message;
  return r->policy;
}

TEST(Kernel, CompiledProfilesAnswerLikeTheSpecification) {
  if (bpf::testing::running_under_sanitizer()) GTEST_SKIP() << "see kernel_child.h";
  if (syscalls::native_arch().id != syscalls::ArchId::kX86_64) GTEST_SKIP() << "x86_64 host only";
  size_t checked = 0;
  checked += check_in_kernel(resolve("default"), "docker default");
  checked += check_in_kernel(resolve("profile/data/containers-common.json"), "containers-common");
  checked += check_in_kernel(resolve("test/compiler/testdata/args.json"), "args.json");
  testing::Rng rng(42);
  for (int i = 0; i < 20; ++i) {
    testing::RandomPolicyOptions o;
    o.native = syscalls::ArchId::kX86_64;
    checked += check_in_kernel(testing::random_policy(rng, o), fmt::format("random policy {}", i));
  }
  fmt::print("kernel round trips: {}\n", checked);
  EXPECT_GT(checked, 10000u);
}

}  // namespace
}  // namespace sysfence::compiler
