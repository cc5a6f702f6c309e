// The policy side: the decision diagram against policy::evaluate, and
// prove_equivalent on programs in other tools' styles, on compiled programs
// and on policies that differ from the program.
#include <gtest/gtest.h>

#include <cstdio>
#include <random>
#include <set>

#include "bpf/interp.h"
#include "compiler/compile.h"
#include "profile/load.h"
#include "profile/resolve.h"
#include "syscalls/table.h"
#include "test/verify/styles.h"
#include "verify/describe.h"
#include "verify/policy_dag.h"
#include "verify/verify.h"

namespace sysfence::verify {
namespace {

using syscalls::ArchId;
using testing::Style;

constexpr ArchId kNatives[] = {ArchId::kX86_64,  ArchId::kAarch64, ArchId::kMips64, ArchId::kS390x,
                               ArchId::kPpc64le, ArchId::kRiscv64, ArchId::kMipsel, ArchId::kMips64n32};

// Inputs around everything a policy compares: every arch it covers plus an
// unknown one; rule numbers and their neighbours, ENOSYS boundaries, x32
// numbers; argument words from the condition constants (+-1).
std::vector<SeccompData> policy_inputs(const policy::Policy& p, std::mt19937_64& rng, int per_nr) {
  std::vector<uint32_t> archs = {0, 0x12345678};
  std::vector<uint64_t> args = {0, 1, ~0ULL, 0x100000000ULL, 0xffffffffULL};
  std::vector<uint32_t> nrs = {0,          1,          0x3fffffff, 0x40000000, 0x40000001, 0x7fffffff,
                               0x80000000, 0xbfffffff, 0xc0000000, 0xfffffffe, 0xffffffff};
  for (const auto& a : p.arches) {
    archs.push_back(syscalls::arch(a.arch).audit_arch);
    if (a.enosys_above)
      for (uint32_t d : {0u, 1u, 2u}) nrs.push_back(*a.enosys_above + d);
    for (const auto& [nr, rules] : a.rules) {
      for (uint32_t d : {0u, 1u, 0xffffffffu}) nrs.push_back(nr + d);
      for (const auto& r : rules) {
        for (const auto& c : r.conditions) {
          for (uint64_t v : {c.value, c.value_two}) {
            for (uint64_t d : {0ULL, 1ULL, ~0ULL, 0x100000000ULL}) args.push_back(v + d);
            args.push_back(v & 0xffffffffULL);
            args.push_back(v >> 32);
          }
        }
      }
    }
  }
  std::vector<SeccompData> out;
  for (uint32_t arch : archs) {
    for (uint32_t nr : nrs) {
      for (int i = 0; i < per_nr; ++i) {
        SeccompData d;
        d.arch = arch;
        d.nr = nr;
        for (auto& a : d.args) a = rng() % 3 == 0 ? rng() : args[rng() % args.size()];
        out.push_back(d);
      }
    }
  }
  return out;
}

Endian endian_for(const SeccompData& d) {
  for (const auto& a : syscalls::all_arches())
    if (a.audit_arch == d.arch) return a.endian;
  return Endian::kLittle;
}

TEST(PolicyDag, AgreesWithEvaluateOnRandomPolicies) {
  std::mt19937_64 rng(42);
  uint64_t checked = 0;
  for (int round = 0; round < 160; ++round) {
    const ArchId native = kNatives[round % std::size(kNatives)];
    const policy::Policy p = testing::random_policy(rng, native);
    const DecisionDag dag = policy_dag(p);
    for (const SeccompData& d : policy_inputs(p, rng, 4)) {
      const SeccompWords w = to_words(d, endian_for(d));
      ASSERT_EQ(dag.run(w), policy::evaluate(p, d).action)
          << "round " << round << ": " << describe_input(w) << " -> " << dag.label(dag.run_leaf(w));
      ++checked;
    }
  }
  EXPECT_GT(checked, 100000u);
}

// x86_64 without x32, and x32 alone: the diagram splits AUDIT_ARCH_X86_64's
// numbers as libseccomp does (x32 from 0x40000000 up, unsigned; -1, a
// tracer's skip, with the x86_64 rules).
TEST(PolicyDag, SplitsTheX86_64NumbersAsLibseccomp) {
  const uint32_t audit = syscalls::arch(ArchId::kX86_64).audit_arch;
  auto run = [&](const policy::Policy& p, uint32_t nr) {
    SeccompData d;
    d.arch = audit;
    d.nr = nr;
    return policy_dag(p).run(to_words(d, Endian::kLittle));
  };
  policy::Policy p;
  p.bad_arch_action = Action::KillProcess();
  policy::ArchPolicy x64;
  x64.arch = ArchId::kX86_64;
  x64.default_action = Action::Allow();
  x64.rules[59].push_back(policy::Rule{Action::Errno(1), {}, {}});
  p.arches.push_back(x64);
  EXPECT_EQ(run(p, 0xffffffff), Action::Allow());
  EXPECT_EQ(run(p, 59), Action::Errno(1));
  EXPECT_EQ(run(p, 0x3fffffff), Action::Allow());
  for (uint32_t nr : {0x40000000u, 0x7fffffffu, 0x80000000u, 0xbfffffffu, 0xc0000000u, 0xfffffffeu})
    EXPECT_EQ(run(p, nr), Action::KillProcess()) << std::hex << nr;
  policy::ArchPolicy x32;
  x32.arch = ArchId::kX32;
  x32.default_action = Action::Errno(2);
  p.arches.push_back(x32);
  EXPECT_EQ(run(p, 0xffffffff), Action::Allow());
  EXPECT_EQ(run(p, 0x80000000), Action::Errno(2));
  p.arches.erase(p.arches.begin());  // x32 alone takes -1 too
  EXPECT_EQ(run(p, 0xffffffff), Action::Errno(2));
  EXPECT_EQ(run(p, 0x3fffffff), Action::KillProcess());
}

// Programs written in other tools' shapes implement their policy: proved.
TEST(Styles, RandomPoliciesInEveryStyleAreProved) {
  std::mt19937_64 rng(7);
  for (int round = 0; round < 60; ++round) {
    const ArchId native = kNatives[round % std::size(kNatives)];
    const policy::Policy p = testing::random_policy(rng, native);
    for (Style s : {Style::kLinear, Style::kBinaryTree, Style::kRuncStub}) {
      auto prog = testing::render(p, s);
      ASSERT_TRUE(prog.has_value()) << prog.error().message;
      auto v = prove_equivalent(*prog, p);
      ASSERT_TRUE(v.has_value()) << v.error().message;
      ASSERT_TRUE(v->equivalent()) << "round " << round << " style " << static_cast<int>(s) << "\n"
                                   << format_verification(*v);
      EXPECT_TRUE(v->equiv.proved);
      EXPECT_GT(v->equiv.paths, 0u);
    }
  }
}

// A policy that differs from the program in one rule: the checker's verdict
// matches an independent tester, and every counterexample is confirmed by the
// interpreter and policy::evaluate.
TEST(Styles, ChangedPolicyGivesConfirmedCounterexamples) {
  std::mt19937_64 rng(8);
  int different = 0;
  int rounds = 0;
  for (int round = 0; round < 80; ++round) {
    const ArchId native = kNatives[round % std::size(kNatives)];
    const policy::Policy p = testing::random_policy(rng, native);
    auto prog = testing::render(p, round % 2 ? Style::kBinaryTree : Style::kLinear);
    ASSERT_TRUE(prog.has_value());
    // Change one thing: a rule's action, a condition's constant, the
    // default action, or the bad-arch action.
    policy::Policy q = p;
    auto& a = q.arches[rng() % q.arches.size()];
    switch (rng() % 4) {
      case 0: a.default_action = Action::Errno(99); break;
      case 1: q.bad_arch_action = Action::Errno(98); break;
      default: {
        auto it = a.rules.begin();
        std::advance(it, static_cast<long>(rng() % a.rules.size()));
        policy::Rule& r = it->second[rng() % it->second.size()];
        if (!r.conditions.empty() && rng() % 2) r.conditions[0].value += 1;
        else r.action = Action::Errno(97);
      }
    }
    EquivOptions o;
    o.max_mismatches = 5;
    auto v = prove_equivalent(*prog, q, o);
    ASSERT_TRUE(v.has_value());
    ASSERT_TRUE(v->equiv.internal_errors.empty()) << v->equiv.internal_errors[0];
    ASSERT_TRUE(v->equiv.proved);
    auto interp = bpf::Interpreter::create(*prog);
    bool tester_found = false;
    for (const SeccompData& d : policy_inputs(q, rng, 2)) {
      if (interp->run(d, endian_for(d)).action() != policy::evaluate(q, d).action) {
        tester_found = true;
        break;
      }
    }
    if (tester_found) {
      ASSERT_EQ(v->equiv.verdict, EquivResult::Verdict::kDifferent) << "round " << round;
    }
    for (const Counterexample& c : v->counterexamples) {
      EXPECT_EQ(interp->run(c.words).action(), c.filter_action);
      EXPECT_EQ(policy::evaluate(q, c.data).action, c.policy_action);
      EXPECT_NE(c.filter_action, c.policy_action);
      EXPECT_FALSE(c.region.empty());
      EXPECT_FALSE(c.input.empty());
    }
    if (v->equiv.verdict == EquivResult::Verdict::kDifferent) ++different;
    ++rounds;
  }
  EXPECT_GT(different, rounds / 2);
}

policy::Policy resolve_real(const std::string& path, ArchId native) {
  auto doc = profile::load_profile(path);
  EXPECT_TRUE(doc.has_value()) << (doc ? "" : doc.error().message);
  profile::ResolveOptions o;
  o.native = native;
  auto r = profile::resolve(doc->profile, o);
  EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().message);
  return r->policy;
}

constexpr const char* kProfiles[] = {"profile/data/docker-default.json", "profile/data/containers-common.json"};
constexpr ArchId kRealArches[] = {ArchId::kX86_64, ArchId::kAarch64, ArchId::kS390x,
                                  ArchId::kMips64, ArchId::kPpc64le, ArchId::kRiscv64};

TEST(Styles, RealProfilesInEveryStyleAreProved) {
  for (const char* path : kProfiles) {
    for (ArchId native : kRealArches) {
      const policy::Policy p = resolve_real(path, native);
      for (Style s : {Style::kLinear, Style::kBinaryTree, Style::kRuncStub}) {
        auto prog = testing::render(p, s);
        ASSERT_TRUE(prog.has_value()) << prog.error().message;
        auto v = prove_equivalent(*prog, p);
        ASSERT_TRUE(v.has_value()) << path << " " << syscalls::arch(native).name << ": " << v.error().message;
        ASSERT_TRUE(v->equivalent()) << path << " " << syscalls::arch(native).name << "\n" << format_verification(*v);
      }
    }
  }
}

// The compiler's output for real profiles is proved equal to the policy
// (every compiled program comes with a proof).
TEST(Compiled, RealProfilesAreProved) {
  for (const char* path : kProfiles) {
    for (ArchId native : kRealArches) {
      const policy::Policy p = resolve_real(path, native);
      for (auto strategy : {compiler::Strategy::kOptimal, compiler::Strategy::kBalanced, compiler::Strategy::kLinear}) {
        compiler::CompileOptions o;
        o.strategy = strategy;
        auto c = compiler::compile(p, o);
        ASSERT_TRUE(c.has_value()) << c.error().message;
        auto v = prove_equivalent(c->program, p);
        ASSERT_TRUE(v.has_value());
        ASSERT_TRUE(v->equivalent()) << path << " " << syscalls::arch(native).name << "\n" << format_verification(*v);
        EXPECT_NE(format_verification(*v).find("equivalent (proved: "), std::string::npos);
      }
    }
  }
}

TEST(Compiled, RandomPoliciesAreProved) {
  std::mt19937_64 rng(3);
  for (int round = 0; round < 80; ++round) {
    const policy::Policy p = testing::random_policy(rng, kNatives[round % std::size(kNatives)]);
    auto c = compiler::compile(p, {});
    ASSERT_TRUE(c.has_value()) << c.error().message;
    auto v = prove_equivalent(c->program, p);
    ASSERT_TRUE(v.has_value());
    ASSERT_TRUE(v->equivalent()) << "round " << round << "\n" << format_verification(*v);
  }
}

// The numbers where libseccomp's x86_64/x32 split and a bit-30 split differ,
// and their neighbours: compiled by every strategy, run in the interpreter,
// they answer what evaluate() answers — and, for x86_64 without x32, what
// libseccomp's filter answers (-1, a tracer's skip, is not a bad arch) — and
// the proof passes.
TEST(Compiled, MinusOneAndTheUpperHalfFollowLibseccomp) {
  const uint32_t audit = syscalls::arch(ArchId::kX86_64).audit_arch;
  const uint32_t edges[] = {0xffffffff, 0x3fffffff, 0x40000000, 0x7fffffff,
                            0x80000000, 0xbfffffff, 0xc0000000, 0xfffffffe};
  policy::ArchPolicy x64;
  x64.arch = ArchId::kX86_64;
  x64.default_action = Action::Allow();
  x64.rules[59].push_back(policy::Rule{Action::Errno(1), {}, {}});   // execve
  x64.rules[101].push_back(policy::Rule{Action::Errno(1), {}, {}});  // ptrace
  policy::ArchPolicy x32;
  x32.arch = ArchId::kX32;
  x32.default_action = Action::Errno(2);
  policy::Policy only64;
  only64.arches = {x64};
  policy::Policy both = only64;
  both.arches.push_back(x32);
  policy::Policy only32;
  only32.arches = {x32};
  policy::Policy with_enosys = both;
  for (policy::ArchPolicy& a : with_enosys.arches) a.enosys_above = 400 | (a.arch == ArchId::kX32 ? 0x40000000 : 0);
  // runc's stub for one of the two ABIs only (it goes by bit 30).
  policy::Policy enosys_64 = with_enosys;
  enosys_64.arches[1].enosys_above.reset();
  policy::Policy enosys_32 = with_enosys;
  enosys_32.arches[0].enosys_above.reset();
  policy::Policy only64_enosys = only64;
  only64_enosys.arches[0].enosys_above = 400;
  policy::Policy only32_enosys = only32;
  only32_enosys.arches[0].enosys_above = 0x40000000 | 400;

  for (const policy::Policy* p :
       {&only64, &both, &only32, &with_enosys, &enosys_64, &enosys_32, &only64_enosys, &only32_enosys}) {
    for (compiler::Strategy s :
         {compiler::Strategy::kOptimal, compiler::Strategy::kBalanced, compiler::Strategy::kLinear}) {
      compiler::CompileOptions o;
      o.strategy = s;
      auto c = compiler::compile(*p, o);
      ASSERT_TRUE(c.has_value()) << c.error().message;
      auto interp = bpf::Interpreter::create(c->program);
      ASSERT_TRUE(interp.has_value()) << interp.error().message;
      for (uint32_t nr : edges) {
        SeccompData d;
        d.arch = audit;
        d.nr = nr;
        EXPECT_EQ(interp->run(d, Endian::kLittle).action(), policy::evaluate(*p, d).action)
            << std::hex << "nr 0x" << nr << " policy " << p->arches.size() << " abis";
      }
      auto v = prove_equivalent(c->program, *p);
      ASSERT_TRUE(v.has_value()) << v.error().message;
      EXPECT_TRUE(v->equivalent()) << format_verification(*v);
    }
  }
  // libseccomp's answers for x86_64 alone (jge 0x40000000, then jeq -1).
  auto c = compiler::compile(only64, {});
  ASSERT_TRUE(c.has_value());
  auto interp = bpf::Interpreter::create(c->program);
  ASSERT_TRUE(interp.has_value());
  auto answer = [&](uint32_t nr) {
    SeccompData d;
    d.arch = audit;
    d.nr = nr;
    return interp->run(d, Endian::kLittle).action();
  };
  EXPECT_EQ(answer(0xffffffff), Action::Allow());
  EXPECT_EQ(answer(0x3fffffff), Action::Allow());
  EXPECT_EQ(answer(59), Action::Errno(1));
  for (uint32_t nr : {0x40000000u, 0x7fffffffu, 0x80000000u, 0xbfffffffu, 0xc0000000u, 0xfffffffeu})
    EXPECT_EQ(answer(nr), only64.bad_arch_action) << std::hex << nr;
}

TEST(Verify, InvalidProgramIsAnError) {
  const policy::Policy p;
  auto v = prove_equivalent(
      bpf::Program{bpf::stmt(bpf::kLd | bpf::kW | bpf::kAbs, 3), bpf::stmt(bpf::kRet | bpf::kRetK, 0)}, p);
  ASSERT_FALSE(v.has_value());
  EXPECT_NE(v.error().message.find("instruction 0"), std::string::npos) << v.error().message;
}

TEST(Verify, CounterexampleNamesArchAndSyscall) {
  policy::Policy p;
  p.bad_arch_action = Action::Allow();  // so that x32 numbers agree too
  policy::ArchPolicy a;
  a.arch = ArchId::kX86_64;
  a.default_action = Action::Allow();
  policy::Rule r;
  r.action = Action::Errno(1);
  r.source = {"test.json", 12, 3, "", false, 0, {}};
  a.rules[59].push_back(r);  // execve
  p.arches.push_back(a);
  // A filter that allows everything on x86_64.
  const bpf::Program prog = {bpf::stmt(bpf::kLd | bpf::kW | bpf::kAbs, kOffsetArch),
                             bpf::jump(bpf::kJmp | bpf::kJeq | bpf::kK, 0xc000003e, 1, 0),
                             bpf::stmt(bpf::kRet | bpf::kRetK, kRetKillProcess),
                             bpf::stmt(bpf::kRet | bpf::kRetK, kRetAllow)};
  auto v = prove_equivalent(prog, p);
  ASSERT_TRUE(v.has_value());
  ASSERT_EQ(v->equiv.verdict, EquivResult::Verdict::kDifferent);
  ASSERT_EQ(v->counterexamples.size(), 1u);
  const Counterexample& c = v->counterexamples[0];
  EXPECT_EQ(c.data.nr, 59u);
  EXPECT_EQ(c.filter_action, Action::Allow());
  EXPECT_EQ(c.policy_action, Action::Errno(1));
  EXPECT_NE(c.input.find("x86_64"), std::string::npos) << c.input;
  EXPECT_NE(c.input.find("execve"), std::string::npos) << c.input;
  EXPECT_NE(c.policy_where.find("test.json:12"), std::string::npos) << c.policy_where;
  const std::string text = format_verification(*v);
  EXPECT_NE(text.find("NOT equivalent"), std::string::npos) << text;
  EXPECT_NE(text.find("ERRNO(1)"), std::string::npos) << text;
}

}  // namespace
}  // namespace sysfence::verify
