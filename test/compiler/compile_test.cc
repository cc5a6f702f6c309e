// The compiler's correctness: the interpreter on the compiled program agrees
// with policy::evaluate (the specification) for every ABI, the real
// profiles, Docker's documented example and hundreds of random policies, on every
// syscall number up to each table's maximum + 64, the bias ranges, the 32-bit
// extremes and boundary argument values. Plus: long jumps, the 4096 limit,
// the action cache, strategies.
#include "compiler/compile.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "bpf/validate.h"
#include "profile/caps.h"
#include "profile/load.h"
#include "profile/resolve.h"
#include "syscalls/table.h"
#include "test/compiler/support.h"

namespace sysfence::compiler {
namespace {

using testing::check_equivalence;
using testing::CheckResult;
using testing::uncached_constant_allows;

std::string explain(const CheckResult& r) {
  std::string s = r.error;
  for (const auto& m : r.mismatches) s += "\n  " + m.describe();
  return s;
}

policy::Policy resolve_file(const std::string& path, syscalls::ArchId native, const profile::CapSet& caps,
                            syscalls::KernelVersion kernel,
                            std::optional<profile::UnknownSyscalls> unknown = std::nullopt) {
  auto loaded = profile::load_profile(path);
  EXPECT_TRUE(loaded) << loaded.error().message;
  if (!loaded) return {};
  profile::ResolveOptions o;
  o.native = native;
  o.caps = caps;
  o.kernel = kernel;
  o.unknown_syscalls = unknown;
  auto r = profile::resolve(loaded->profile, o);
  EXPECT_TRUE(r) << r.error().message;
  return r ? r->policy : policy::Policy{};
}

void expect_compiles_exactly(const policy::Policy& policy, const CompileOptions& options, const std::string& what,
                             bool check_cache = true) {
  auto c = compile(policy, options);
  ASSERT_TRUE(c) << what << ": " << c.error().message;
  ASSERT_TRUE(validate(c->program)) << what;
  const CheckResult r = check_equivalence(policy, c->program);
  EXPECT_EQ(r.mismatch_count, 0u) << what << " (" << r.inputs << " inputs)" << explain(r);
  EXPECT_TRUE(r.error.empty()) << what << ": " << r.error;
  if (check_cache && options.strategy == Strategy::kOptimal) {
    const auto uncached = uncached_constant_allows(policy, c->program);
    EXPECT_TRUE(uncached.empty()) << what << ": constant ALLOWs the kernel cache misses: "
                                  << fmt::format("{}", fmt::join(uncached, ", "));
  }
}

TEST(Compile, EmptyPolicyIsOneReturn) {
  policy::Policy p;
  p.bad_arch_action = Action::Errno(7);
  auto c = compile(p, {});
  ASSERT_TRUE(c) << c.error().message;
  ASSERT_EQ(c->program.size(), 1u);
  EXPECT_EQ(c->program[0], bpf::stmt(bpf::kRet | bpf::kRetK, encode(Action::Errno(7))));
}

TEST(Compile, EveryAbiWithTheBuiltInProfile) {
  for (const syscalls::Arch& a : syscalls::all_arches()) {
    const policy::Policy p = resolve_file("default", a.id, profile::docker_default_caps(), {6, 1});
    ASSERT_FALSE(p.arches.empty()) << a.name;
    expect_compiles_exactly(p, {}, fmt::format("default profile, native {}", a.name));
  }
}

TEST(Compile, RealProfiles) {
  const char* files[] = {"profile/data/docker-default.json", "profile/data/containers-common.json"};
  const syscalls::ArchId natives[] = {syscalls::ArchId::kX86_64,      syscalls::ArchId::kAarch64,
                                      syscalls::ArchId::kRiscv64,     syscalls::ArchId::kPpc64le,
                                      syscalls::ArchId::kS390x,       syscalls::ArchId::kMips64el,
                                      syscalls::ArchId::kMips64,      syscalls::ArchId::kArm,
                                      syscalls::ArchId::kLoongarch64, syscalls::ArchId::kI386};
  for (const char* f : files) {
    for (syscalls::ArchId n : natives) {
      for (const auto& caps : {profile::docker_default_caps(), profile::all_caps()}) {
        for (auto unknown :
             {std::optional<profile::UnknownSyscalls>(), std::optional(profile::UnknownSyscalls::kDefault)}) {
          const policy::Policy p = resolve_file(f, n, caps, {6, 1}, unknown);
          expect_compiles_exactly(p, {}, fmt::format("{} native {} ({} caps)", f, syscalls::arch(n).name, caps.size()));
        }
      }
      const policy::Policy old = resolve_file(f, n, profile::docker_default_caps(), {4, 14});
      expect_compiles_exactly(old, {}, fmt::format("{} native {} kernel 4.14", f, syscalls::arch(n).name));
    }
  }
}

TEST(Compile, SeedExample) {
  for (syscalls::ArchId n : {syscalls::ArchId::kX86_64, syscalls::ArchId::kAarch64, syscalls::ArchId::kMips}) {
    const policy::Policy p =
        resolve_file("profile/examples/seed-example.json", n, profile::docker_default_caps(), {6, 1});
    expect_compiles_exactly(p, {}, fmt::format("seed example, native {}", syscalls::arch(n).name));
  }
}

TEST(Compile, RandomPolicies) {
  // >= 500 random policies per run: every ABI as native, random actions,
  // operators, masks, 64-bit values, repeated syscalls, sub-arches.
  constexpr int kPolicies = 520;
  testing::Rng rng(0x5eed5eedULL);
  const auto arches = syscalls::all_arches();
  size_t inputs = 0;
  for (int i = 0; i < kPolicies; ++i) {
    testing::RandomPolicyOptions o;
    o.native = arches[static_cast<size_t>(i) % arches.size()].id;
    const policy::Policy p = testing::random_policy(rng, o);
    CompileOptions co;
    if (i % 5 == 3) co.strategy = Strategy::kBalanced;
    if (i % 5 == 4) co.strategy = Strategy::kLinear;
    if (i % 7 == 2) co.weights = Weights::Hot();
    auto c = compile(p, co);
    ASSERT_TRUE(c) << "policy " << i << ": " << c.error().message;
    const CheckResult r = check_equivalence(p, c->program);
    inputs += r.inputs;
    ASSERT_EQ(r.mismatch_count, 0u) << "policy " << i << " (native " << syscalls::arch(o.native).name << ", "
                                    << to_string(co.strategy) << ")" << explain(r);
    if (co.strategy == Strategy::kOptimal) {
      const auto uncached = uncached_constant_allows(p, c->program);
      ASSERT_TRUE(uncached.empty()) << "policy " << i << ": " << fmt::format("{}", fmt::join(uncached, ", "));
    }
  }
  // Reported so the closing note can quote the coverage.
  fmt::print("random policies: {}, inputs checked: {}\n", kPolicies, inputs);
}

// Many syscalls with argument rules of their own: the program is far longer
// than a conditional jump reaches, so the layout needs trampolines.
policy::Policy big_policy(unsigned syscalls_with_args, unsigned values_per_syscall) {
  policy::Policy p;
  policy::ArchPolicy ap;
  ap.arch = syscalls::ArchId::kX86_64;
  ap.default_action = Action::Errno(1);
  for (unsigned s = 0; s < syscalls_with_args; ++s) {
    auto& rules = ap.rules[s];
    for (unsigned v = 0; v < values_per_syscall; ++v) {
      policy::Rule r;
      r.action = v % 3 == 0 ? Action::Trap() : Action::Allow();
      r.conditions.push_back(policy::ArgCondition{static_cast<uint8_t>(v % 3), policy::CmpOp::kEq,
                                                  (uint64_t{s + 1} << 33) + uint64_t{v} * 7919 + s, 0,
                                                  policy::ArgWidth::k64});
      rules.push_back(r);
    }
  }
  p.arches.push_back(std::move(ap));
  return p;
}

TEST(Compile, LongJumpsThroughTrampolines) {
  const policy::Policy p = big_policy(120, 6);
  auto c = compile(p, {});
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_GT(c->program.size(), 600u);
  EXPECT_GT(c->layout.trampolines + c->layout.return_copies, 0u);
  // Some conditional jump really spans more than 255 instructions' worth of
  // body (through a trampoline or a copied return).
  const CheckResult r = check_equivalence(p, c->program);
  EXPECT_EQ(r.mismatch_count, 0u) << explain(r);
  for (Strategy s : {Strategy::kBalanced, Strategy::kLinear}) {
    CompileOptions o;
    o.strategy = s;
    expect_compiles_exactly(p, o, fmt::format("big policy, {}", to_string(s)));
  }
}

TEST(Compile, MoreThan4096InstructionsIsAnError) {
  const policy::Policy p = big_policy(400, 14);
  auto c = compile(p, {});
  ASSERT_FALSE(c);
  const std::string& m = c.error().message;
  EXPECT_TRUE(m.starts_with("the filter needs ")) << m;
  EXPECT_NE(m.find("more than the kernel's limit of 4096"), std::string::npos) << m;
  EXPECT_NE(m.find("(instructions per architecture on its own: x86_64: "), std::string::npos) << m;
}

TEST(Compile, ArgumentFreeAllowsAreCacheable) {
  const policy::Policy p = resolve_file("default", syscalls::ArchId::kX86_64, profile::docker_default_caps(), {6, 1});
  auto c = compile(p, {});
  ASSERT_TRUE(c);
  EXPECT_TRUE(uncached_constant_allows(p, c->program).empty());
  // And the syscalls with argument rules are exactly the allowed ones the
  // cache cannot serve.
  size_t with_args = 0;
  for (const auto& [nr, rules] : p.find(syscalls::ArchId::kX86_64)->rules) {
    for (const auto& r : rules) with_args += !r.conditions.empty();
  }
  EXPECT_GT(with_args, 0u);
}

TEST(Compile, RestrictAbis) {
  policy::Policy p = resolve_file("default", syscalls::ArchId::kX86_64, profile::docker_default_caps(), {6, 1});
  ASSERT_EQ(p.arches.size(), 3u);
  const syscalls::ArchId keep[] = {syscalls::ArchId::kX86_64, syscalls::ArchId::kI386};
  ASSERT_TRUE(restrict_abis(p, keep));
  ASSERT_EQ(p.arches.size(), 2u);
  // x32 numbers now get the bad-arch action.
  SeccompData d;
  d.arch = syscalls::arch(syscalls::ArchId::kX86_64).audit_arch;
  d.nr = 0x40000000;
  EXPECT_EQ(policy::evaluate(p, d).action, p.bad_arch_action);
  expect_compiles_exactly(p, {}, "x86_64 + i386 only");

  const syscalls::ArchId wrong[] = {syscalls::ArchId::kArm};
  auto r = restrict_abis(p, wrong);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "arm is not an architecture of this filter (it has x86_64, i386)");
}

}  // namespace
}  // namespace sysfence::compiler

namespace sysfence::compiler {
namespace {

// The differential check itself can fail: a program compiled from a
// slightly different policy is caught.
TEST(Compile, CheckCatchesADifferentPolicy) {
  policy::Policy p = resolve_file("default", syscalls::ArchId::kX86_64, profile::docker_default_caps(), {6, 1});
  auto c = compile(p, {});
  ASSERT_TRUE(c);
  policy::Policy q = p;
  // personality(8) is allowed by the profile; forbid it in q.
  auto& rules = q.arches[0].rules[135];
  ASSERT_FALSE(rules.empty());
  rules.erase(rules.begin());
  const CheckResult r = check_equivalence(q, c->program);
  EXPECT_GT(r.mismatch_count, 0u);
  policy::Policy k = p;
  k.arches[0].enosys_above = *k.arches[0].enosys_above + 1;
  EXPECT_GT(check_equivalence(k, c->program).mismatch_count, 0u);
}

}  // namespace
}  // namespace sysfence::compiler

namespace sysfence::compiler {
namespace {

TEST(Compile, KnuthBoundsMatchFullSearchOnProfiles) {
  for (syscalls::ArchId n :
       {syscalls::ArchId::kX86_64, syscalls::ArchId::kAarch64, syscalls::ArchId::kS390x, syscalls::ArchId::kMips64el}) {
    const policy::Policy p = resolve_file("default", n, profile::docker_default_caps(), {6, 1});
    for (const Weights& w : {Weights::Uniform(), Weights::Hot()}) {
      CompileOptions fast;
      CompileOptions full;
      fast.weights = full.weights = w;
      full.exhaustive_search = true;
      auto a = compile(p, fast);
      auto b = compile(p, full);
      ASSERT_TRUE(a && b);
      ASSERT_EQ(a->arches.size(), b->arches.size());
      for (size_t i = 0; i < a->arches.size(); ++i) {
        EXPECT_LE(a->arches[i].tree_cost, b->arches[i].tree_cost * 1.005 + 1e-9)
            << syscalls::arch(n).name << " " << w.description() << " " << abi_names(a->arches[i].abis);
      }
    }
  }
}

}  // namespace
}  // namespace sysfence::compiler

namespace sysfence::compiler {
namespace {

// Rules whose decision diagram needs more states than the bound: the
// compiler stops and says so instead of running out of time or memory
// (exponential cases exist; the bound is lowered here to keep the test fast).
TEST(Compile, TooManyArgumentStatesIsAnError) {
  policy::Policy p;
  policy::ArchPolicy ap;
  ap.arch = syscalls::ArchId::kX86_64;
  ap.default_action = Action::Errno(1);
  auto& rules = ap.rules[1];  // write
  for (uint64_t r = 0; r < 40; ++r) {
    policy::Rule rule;
    rule.action = r % 2 == 0 ? Action::Allow() : Action::Trap();
    rule.conditions.push_back(policy::ArgCondition{0, policy::CmpOp::kEq, r, 0, policy::ArgWidth::k64});
    rule.conditions.push_back(policy::ArgCondition{1, policy::CmpOp::kEq, r, 0, policy::ArgWidth::k64});
    rules.push_back(rule);
  }
  p.arches.push_back(ap);
  CompileOptions o;
  EXPECT_TRUE(compile(p, o));
  o.max_argument_states = 16;
  auto c = compile(p, o);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().message,
            "the argument rules of x86_64 syscall write need more than 16 decision states: their filter could "
            "not fit the kernel's limit of 4096 instructions");
}

// Few states can still take unbounded work and memory (thousands of rules in
// each): the steps and the rules and conditions held are bounded too, and the
// error names the syscall, its rules and conditions and the limit met.
policy::Policy many_range_rules(size_t n) {
  policy::Policy p;
  policy::ArchPolicy ap;
  ap.arch = syscalls::ArchId::kX86_64;
  ap.default_action = Action::Errno(1);
  auto& rules = ap.rules[16];  // ioctl
  for (uint64_t r = 0; r < n; ++r) {
    policy::Rule rule;
    rule.action = Action::Allow();
    rule.conditions.push_back(policy::ArgCondition{0, policy::CmpOp::kGt, r * 977, 0, policy::ArgWidth::k32});
    rule.conditions.push_back(policy::ArgCondition{1, policy::CmpOp::kLe, r * 1009, 0, policy::ArgWidth::k32});
    rules.push_back(rule);
  }
  p.arches.push_back(ap);
  return p;
}

TEST(Compile, TooMuchArgumentWorkIsAnError) {
  const policy::Policy p = many_range_rules(20);
  CompileOptions o;
  EXPECT_TRUE(compile(p, o));
  o.max_argument_steps = 100;
  auto c = compile(p, o);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().message,
            "the argument rules of x86_64 syscall ioctl (20 rules, 40 conditions) are too many to compile: their "
            "decision diagram needs more than 100 steps to build (sysfence's limit for one filter); use fewer rules "
            "or fewer distinct argument values per syscall");
}

TEST(Compile, TooMuchArgumentMemoryIsAnError) {
  const policy::Policy p = many_range_rules(20);
  CompileOptions o;
  o.max_argument_held = 100;
  auto c = compile(p, o);
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message.find("the argument rules of x86_64 syscall ioctl (20 rules, 40 conditions) are too "
                                   "many to compile: their decision diagram needs more than 100 rules and "
                                   "conditions in its states at once"),
            std::string::npos)
      << c.error().message;
}

// The limits hold for the whole filter: ABIs with their own number spaces
// share one budget, so one that fits alone fails after others spent it.
TEST(Compile, ArgumentWorkIsSharedByTheAbis) {
  policy::Policy one = many_range_rules(20);
  CompileOptions o;
  o.max_argument_steps = size_t{1} << 40;
  ASSERT_TRUE(compile(one, o));
  // The steps one ABI takes: the smallest limit it compiles under, found by
  // halving (the count is deterministic).
  size_t lo = 1;
  size_t hi = size_t{1} << 30;
  while (lo < hi) {
    o.max_argument_steps = lo + (hi - lo) / 2;
    if (compile(one, o)) {
      hi = o.max_argument_steps;
    } else {
      lo = o.max_argument_steps + 1;
    }
  }
  policy::Policy two = one;
  policy::ArchPolicy arm = two.arches.front();
  arm.arch = syscalls::ArchId::kAarch64;
  arm.rules = {{29, arm.rules.begin()->second}};  // aarch64's ioctl
  two.arches.push_back(arm);
  o.max_argument_steps = lo;
  EXPECT_TRUE(compile(one, o));
  EXPECT_FALSE(compile(two, o));
  o.max_argument_steps = 2 * lo;
  EXPECT_TRUE(compile(two, o));
}

}  // namespace
}  // namespace sysfence::compiler
