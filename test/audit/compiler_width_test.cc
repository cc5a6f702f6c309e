// The compiler's side of ABI argument widths: ArgCondition.width k32 compares the low
// word only. Checked three ways on little- and big-endian ABIs: the program
// never loads the high word of an argument that only has k32 conditions; a
// high word the kernel ignores cannot change the answer (interpreter); and
// the program is proved equal to policy::evaluate, whose k32 semantics are
// (u32)arg op (u32)value (verify/). Then Docker's default profile in abi
// mode on six ABIs: proved, and no arg-width finding from the audit.
#include <gtest/gtest.h>

#include <random>

#include "audit/program_audit.h"
#include "bpf/interp.h"
#include "compiler/compile.h"
#include "policy/policy.h"
#include "profile/builtin.h"
#include "profile/caps.h"
#include "profile/resolve.h"
#include "syscalls/arch.h"
#include "syscalls/table.h"
#include "verify/verify.h"

namespace sysfence {
namespace {

using policy::ArgCondition;
using policy::ArgWidth;
using policy::CmpOp;
using syscalls::ArchId;

policy::Rule rule(Action a, std::vector<ArgCondition> conds) {
  policy::Rule r;
  r.action = a;
  r.conditions = std::move(conds);
  return r;
}

ArgCondition cond32(uint8_t i, CmpOp op, uint64_t v, uint64_t v2 = 0) { return {i, op, v, v2, ArgWidth::k32}; }

// One ABI, socket with k32 conditions on args 0 and 2 and a 64-bit
// condition on arg 1 (so both kinds share one program).
policy::Policy policy_for(ArchId abi) {
  policy::Policy p;
  policy::ArchPolicy ap;
  ap.arch = abi;
  ap.default_action = Action::Errno(1);
  const uint32_t socket = *syscalls::table(abi).number("socket");
  ap.rules[socket] = {
      rule(Action::Allow(), {cond32(0, CmpOp::kLt, 38)}),
      rule(Action::Allow(), {cond32(0, CmpOp::kEq, 39)}),
      rule(Action::Allow(), {cond32(0, CmpOp::kGt, 40)}),
      // A k32 constant wider than 32 bits: only its low word counts.
      rule(Action::Errno(13), {cond32(2, CmpOp::kEq, 0x500000007ULL)}),
      rule(Action::Trap(), {cond32(2, CmpOp::kMaskedEq, 0xffffffff000000f0ULL, 0x30)}),
      rule(Action::Log(), {ArgCondition{1, CmpOp::kGe, 0x100000000ULL, 0, ArgWidth::k64}}),
  };
  p.arches.push_back(std::move(ap));
  return p;
}

bpf::Program compile_ok(const policy::Policy& p) {
  auto c = compiler::compile(p, {});
  EXPECT_TRUE(c) << c.error().message;
  return c ? c->program : bpf::Program{};
}

class CompilerWidth : public ::testing::TestWithParam<ArchId> {};

TEST_P(CompilerWidth, HighWordsOfK32ArgumentsAreNeverLoaded) {
  const syscalls::Arch& a = syscalls::arch(GetParam());
  const bpf::Program prog = compile_ok(policy_for(a.id));
  bool loads_arg1_hi = false;
  for (const bpf::Insn& in : prog) {
    if (in.code != (bpf::kLd | bpf::kW | bpf::kAbs)) continue;
    EXPECT_NE(in.k, arg_hi_offset(0, a.endian)) << a.name;
    EXPECT_NE(in.k, arg_hi_offset(2, a.endian)) << a.name;
    loads_arg1_hi = loads_arg1_hi || in.k == arg_hi_offset(1, a.endian);
  }
  EXPECT_TRUE(loads_arg1_hi) << "the k64 condition must still read its high word";
}

TEST_P(CompilerWidth, TheHighWordCannotChangeTheAnswer) {
  const syscalls::Arch& a = syscalls::arch(GetParam());
  const policy::Policy policy = policy_for(a.id);
  const bpf::Program prog = compile_ok(policy);
  auto interp = bpf::Interpreter::create(prog);
  ASSERT_TRUE(interp);
  std::mt19937_64 rng(7);
  const uint32_t socket = *syscalls::table(a.id).number("socket");
  const uint64_t lows[] = {0, 37, 38, 39, 40, 41, 7, 0x30, 0x3f, 0xf0, 0xffffffff};
  for (uint64_t lo0 : lows) {
    for (uint64_t lo2 : lows) {
      SeccompData d;
      d.arch = a.audit_arch;
      d.nr = socket;
      d.args = {lo0, 5, lo2, 0, 0, 0};
      const Action clean = interp->run(d, a.endian).action();
      EXPECT_EQ(clean, policy::evaluate(policy, d).action);
      for (int k = 0; k < 4; ++k) {
        SeccompData dirty = d;
        dirty.args[0] |= rng() << 32;
        dirty.args[2] |= rng() << 32;
        EXPECT_EQ(interp->run(dirty, a.endian).action(), clean)
            << a.name << " args 0x" << std::hex << dirty.args[0] << ", 0x" << dirty.args[2];
      }
    }
  }
  // The wide constant 0x5_0000_0007 matches 7 in the low word, whatever the high word.
  SeccompData d;
  d.arch = a.audit_arch;
  d.nr = socket;
  d.args = {38, 0, 0x900000007ULL, 0, 0, 0};
  EXPECT_EQ(interp->run(d, a.endian).action(), Action::Errno(13));
}

TEST_P(CompilerWidth, ProvedEqualToTheEvaluator) {
  const policy::Policy policy = policy_for(GetParam());
  auto v = verify::prove_equivalent(compile_ok(policy), policy);
  ASSERT_TRUE(v) << v.error().message;
  EXPECT_TRUE(v->equivalent()) << verify::format_verification(*v);
  EXPECT_TRUE(v->equiv.proved);
}

INSTANTIATE_TEST_SUITE_P(LittleAndBigEndian, CompilerWidth,
                         ::testing::Values(ArchId::kX86_64, ArchId::kS390x, ArchId::kI386, ArchId::kMips),
                         [](const auto& info) { return std::string(syscalls::arch(info.param).name); });

class DefaultProfileAbiMode : public ::testing::TestWithParam<ArchId> {};

TEST_P(DefaultProfileAbiMode, ProvedAndNoArgWidthFinding) {
  const syscalls::Arch& a = syscalls::arch(GetParam());
  auto read = profile::read_builtin_default();
  ASSERT_TRUE(read);
  profile::ResolveOptions o;
  o.native = a.id;
  o.caps = profile::docker_default_caps();
  o.kernel = {6, 18};
  auto r = profile::resolve(read->profile, o);
  ASSERT_TRUE(r) << r.error().message;
  const bpf::Program prog = compile_ok(r->policy);
  auto v = verify::prove_equivalent(prog, r->policy);
  ASSERT_TRUE(v);
  EXPECT_TRUE(v->equivalent() && v->equiv.proved) << verify::format_verification(*v);
  audit::ProgramAuditOptions ao;
  ao.arch = &a;
  auto report = audit::audit_program(prog, ao);
  ASSERT_TRUE(report);
  for (const auto& f : report->findings) {
    EXPECT_NE(f.check, audit::check::kArgWidth) << f.message;
    EXPECT_LT(f.severity, audit::Severity::kHigh) << f.message;
  }
}

INSTANTIATE_TEST_SUITE_P(SixAbis, DefaultProfileAbiMode,
                         ::testing::Values(ArchId::kX86_64, ArchId::kAarch64, ArchId::kS390x, ArchId::kMips64el,
                                           ArchId::kPpc64le, ArchId::kRiscv64),
                         [](const auto& info) { return std::string(syscalls::arch(info.param).name); });

}  // namespace
}  // namespace sysfence
