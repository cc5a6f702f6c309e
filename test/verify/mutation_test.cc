// Mutation testing of the checker on compiled real profiles: for
// each real profile and three architectures (one big-endian), 1000
// single-instruction mutations of the compiled program (jump targets,
// constants, operators, return values). Every mutant that an independent
// randomized tester tells apart from the profile must be reported
// non-equivalent with a valid counterexample, and no mutant may be reported
// non-equivalent without one.
#include <gtest/gtest.h>

#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "bpf/interp.h"
#include "compiler/compile.h"
#include "profile/load.h"
#include "profile/resolve.h"
#include "syscalls/arch.h"
#include "test/verify/support.h"
#include "verify/verify.h"

namespace sysfence::verify {
namespace {

using syscalls::ArchId;

// The tester: inputs drawn from what the policy mentions (its arches and an
// unknown one, rule numbers +-1, the ENOSYS boundary, x32 numbers) and from
// the condition constants (+-1, both halves), plus random words.
class PolicyTester {
 public:
  explicit PolicyTester(const policy::Policy& p) : policy_(p) {
    archs_ = {0x12345678};
    nrs_ = {0, 1, 0x40000000, 0xffffffff};
    args_ = {0, 1, ~0ULL, 0xffffffffULL, 0x100000000ULL};
    for (const auto& a : p.arches) {
      archs_.push_back(syscalls::arch(a.arch).audit_arch);
      if (a.enosys_above)
        for (uint32_t d : {0u, 1u}) nrs_.push_back(*a.enosys_above + d);
      for (const auto& [nr, rules] : a.rules) {
        for (uint32_t d : {0u, 1u, 0xffffffffu}) nrs_.push_back(nr + d);
        for (const auto& r : rules)
          for (const auto& c : r.conditions)
            for (uint64_t v : {c.value, c.value_two})
              for (uint64_t d : {0ULL, 1ULL, ~0ULL}) args_.push_back(v + d);
      }
    }
  }

  // The first input where the program and policy::evaluate disagree.
  std::optional<SeccompData> find(const bpf::Interpreter& prog, int count, uint64_t seed) const {
    std::mt19937_64 rng(seed);
    for (int i = 0; i < count; ++i) {
      SeccompData d;
      d.arch = archs_[rng() % archs_.size()];
      d.nr = rng() % 4 == 0 ? static_cast<uint32_t>(rng() % 600) : nrs_[rng() % nrs_.size()];
      for (auto& a : d.args) a = rng() % 4 == 0 ? rng() : args_[rng() % args_.size()];
      if (prog.run(d, endian(d.arch)).action() != policy::evaluate(policy_, d).action) return d;
    }
    return std::nullopt;
  }

  static Endian endian(uint32_t audit) {
    for (const auto& a : syscalls::all_arches())
      if (a.audit_arch == audit) return a.endian;
    return Endian::kLittle;
  }

 private:
  const policy::Policy& policy_;
  std::vector<uint32_t> archs_;
  std::vector<uint32_t> nrs_;
  std::vector<uint64_t> args_;
};

struct Param {
  const char* profile;
  ArchId arch;
};

class Mutation : public ::testing::TestWithParam<Param> {};

TEST_P(Mutation, EveryDetectableMutantHasAConfirmedCounterexample) {
  const Param param = GetParam();
  auto doc = profile::load_profile(param.profile);
  ASSERT_TRUE(doc.has_value()) << doc.error().message;
  profile::ResolveOptions ro;
  ro.native = param.arch;
  auto res = profile::resolve(doc->profile, ro);
  ASSERT_TRUE(res.has_value()) << res.error().message;
  const policy::Policy& policy = res->policy;
  auto compiled = compiler::compile(policy, {});
  ASSERT_TRUE(compiled.has_value()) << compiled.error().message;
  const bpf::Program& original = compiled->program;

  // The unmutated program is proved.
  auto base = prove_equivalent(original, policy);
  ASSERT_TRUE(base.has_value());
  ASSERT_TRUE(base->equivalent()) << format_verification(*base);

  const PolicyTester tester(policy);
  std::mt19937_64 rng(static_cast<uint64_t>(param.arch) * 7919 + 17);
  int mutants = 0;
  int told_apart = 0;
  int different = 0;
  int proved = 0;
  int tested = 0;
  EquivOptions options;
  options.max_mismatches = 2;
  options.test_budget = 20000;
  while (mutants < 1000) {
    std::string what;
    auto m = testing::mutate_once(original, rng, &what);
    ASSERT_TRUE(m.has_value());
    ++mutants;
    auto v = prove_equivalent(*m, policy, options);
    ASSERT_TRUE(v.has_value()) << what;
    ASSERT_TRUE(v->equiv.internal_errors.empty()) << what << ": " << v->equiv.internal_errors[0];
    auto interp = bpf::Interpreter::create(*m);
    ASSERT_TRUE(interp.has_value());
    const auto diff = tester.find(*interp, 3000, static_cast<uint64_t>(mutants));
    if (diff) {
      ++told_apart;
      ASSERT_EQ(v->equiv.verdict, EquivResult::Verdict::kDifferent) << what << "\n" << format_verification(*v);
    }
    if (v->equiv.verdict == EquivResult::Verdict::kDifferent) {
      ++different;
      ASSERT_FALSE(v->counterexamples.empty()) << what;
      for (const Counterexample& c : v->counterexamples) {
        // Valid: the interpreter and the reference evaluator really disagree.
        const Action filter = interp->run(c.words).action();
        const Action spec = policy::evaluate(policy, c.data).action;
        ASSERT_EQ(filter, c.filter_action) << what;
        ASSERT_EQ(spec, c.policy_action) << what;
        ASSERT_NE(filter, spec) << what;
      }
    } else {
      ASSERT_TRUE(v->counterexamples.empty()) << what;
    }
    if (v->equiv.proved) ++proved;
    if (v->equiv.tested) ++tested;
  }
  std::printf(
      "%s %s: %d mutants, %d told apart by the tester, %d reported different, %d proved symbolically, "
      "%d needed testing\n",
      param.profile, std::string(syscalls::arch(param.arch).name).c_str(), mutants, told_apart, different, proved,
      tested);
  // The mutations matter: many are detectable, and the checker finds at
  // least what the tester finds.
  EXPECT_GT(told_apart, 200);
  EXPECT_GE(different, told_apart);
  EXPECT_GT(proved, 900);
}

INSTANTIATE_TEST_SUITE_P(RealProfiles, Mutation,
                         ::testing::Values(Param{"profile/data/docker-default.json", ArchId::kX86_64},
                                           Param{"profile/data/docker-default.json", ArchId::kAarch64},
                                           Param{"profile/data/docker-default.json", ArchId::kS390x},
                                           Param{"profile/data/containers-common.json", ArchId::kX86_64},
                                           Param{"profile/data/containers-common.json", ArchId::kAarch64},
                                           Param{"profile/data/containers-common.json", ArchId::kS390x}),
                         [](const ::testing::TestParamInfo<Param>& info) {
                           const std::string p = info.param.profile;
                           return std::string(p.find("docker") != std::string::npos ? "docker_"
                                                                                    : "containers_common_") +
                                  std::string(syscalls::arch(info.param.arch).name);
                         });

}  // namespace
}  // namespace sysfence::verify
