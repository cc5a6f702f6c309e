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

// Argument rules that alone pass the kernel's limit: the compiler stops at
// the syscall where they do and says so.
TEST(Compile, MoreThan4096InstructionsIsAnError) {
  const policy::Policy p = big_policy(400, 14);
  auto c = compile(p, {});
  ASSERT_FALSE(c);
  const std::string& m = c.error().message;
  EXPECT_TRUE(
      m.starts_with("the filter needs more than the kernel's limit of 4096 instructions: the argument "
                    "rules of x86_64 up to syscall "))
      << m;
  EXPECT_NE(m.find(" alone take "), std::string::npos) << m;
  // The count is past the limit, stretched by at most the size slack.
  const unsigned long taken = std::stoul(m.substr(m.rfind(' ') + 1));
  EXPECT_GT(taken, 4096u);
}

// A program over the limit whose argument rules alone fit: the message
// gives the size and each architecture's share.
TEST(Compile, ProgramOverTheLimitNamesEachArchitecture) {
  policy::Policy p;
  for (syscalls::ArchId id : {syscalls::ArchId::kX86_64, syscalls::ArchId::kAarch64, syscalls::ArchId::kRiscv64,
                              syscalls::ArchId::kPpc64le, syscalls::ArchId::kS390x}) {
    policy::ArchPolicy ap;
    ap.arch = id;
    ap.default_action = Action::Errno(1);
    // Every number a different errno: no two neighbours merge, far more
    // intervals than 4096 instructions can tell apart, no argument rules.
    for (uint32_t nr = 0; nr < 3000; ++nr) ap.rules[nr].push_back(policy::Rule{Action::Errno(nr + 2), {}, {}});
    p.arches.push_back(ap);
  }
  auto c = compile(p, {});
  ASSERT_FALSE(c) << c->program.size();
  const std::string& m = c.error().message;
  EXPECT_TRUE(m.starts_with("the filter needs ")) << m;
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
// compiler abandons that diagram and lays the rules out as a chain, which
// never refuses a filter that fits (the bound is lowered here so that the
// fallback runs).
TEST(Compile, TooManyArgumentStatesFallBackToAChainOfRules) {
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
  auto unbounded = compile(p, o);
  ASSERT_TRUE(unbounded) << unbounded.error().message;
  o.max_argument_states = 16;
  auto bounded = compile(p, o);
  ASSERT_TRUE(bounded) << bounded.error().message;
  const CheckResult r = check_equivalence(p, bounded->program);
  EXPECT_EQ(r.mismatch_count, 0u) << explain(r);
}

}  // namespace
}  // namespace sysfence::compiler
