// The reference evaluator: ABI dispatch (under AUDIT_ARCH_X86_64 x32 owns
// 0x40000000..0xfffffffe, as libseccomp's unsigned `jge 0x40000000`; -1, a
// tracer's skip, stays x86_64's), bad arch, the most restrictive matching rule, the
// ENOSYS range, the default; and condition_holds for every operator/width.
#include <gtest/gtest.h>

#include "policy/policy.h"
#include "profile/reader.h"
#include "profile/resolve.h"
#include "test/profile/test_files.h"

namespace sysfence::profile {
namespace {

using syscalls::ArchId;

constexpr uint32_t kAuditX86_64 = 0xc000003e;
constexpr uint32_t kAuditI386 = 0x40000003;
constexpr uint32_t kAuditAarch64 = 0xc00000b7;
constexpr uint32_t kX32Bit = 0x40000000;

SeccompData data(uint32_t arch, uint32_t nr, std::array<uint64_t, 6> args = {}) {
  SeccompData d;
  d.arch = arch;
  d.nr = nr;
  d.args = args;
  return d;
}

policy::Rule rule(Action a, std::vector<policy::ArgCondition> conds = {}, uint32_t entry = 0) {
  policy::Rule r;
  r.action = a;
  r.conditions = std::move(conds);
  r.source.entry = entry;
  return r;
}

policy::ArgCondition cond(uint8_t index, policy::CmpOp op, uint64_t value, uint64_t value_two = 0,
                          policy::ArgWidth w = policy::ArgWidth::k64) {
  return policy::ArgCondition{index, op, value, value_two, w};
}

policy::ArchPolicy abi(ArchId id, Action def) {
  policy::ArchPolicy a;
  a.arch = id;
  a.default_action = def;
  return a;
}

TEST(Evaluate, AuditArchValuesAreTheKernels) {
  EXPECT_EQ(syscalls::arch(ArchId::kX86_64).audit_arch, kAuditX86_64);
  EXPECT_EQ(syscalls::arch(ArchId::kX32).audit_arch, kAuditX86_64);
  EXPECT_EQ(syscalls::arch(ArchId::kI386).audit_arch, kAuditI386);
  EXPECT_EQ(syscalls::arch(ArchId::kAarch64).audit_arch, kAuditAarch64);
}

TEST(Evaluate, DispatchesOnArchAndTellsX32FromX86_64AsLibseccomp) {
  policy::Policy p;
  p.arches.push_back(abi(ArchId::kX86_64, Action::Errno(1)));
  p.arches.push_back(abi(ArchId::kX32, Action::Errno(2)));
  p.arches.push_back(abi(ArchId::kI386, Action::Errno(3)));
  EXPECT_EQ(evaluate(p, data(kAuditX86_64, 0)).action, Action::Errno(1));
  EXPECT_EQ(evaluate(p, data(kAuditX86_64, 0x3fffffff)).action, Action::Errno(1));
  EXPECT_EQ(evaluate(p, data(kAuditX86_64, kX32Bit | 1)).action, Action::Errno(2));
  EXPECT_EQ(evaluate(p, data(kAuditX86_64, 0x7fffffff)).action, Action::Errno(2));
  // Bit 30 clear, but above 0x40000000 unsigned: x32's, as libseccomp's jge.
  EXPECT_EQ(evaluate(p, data(kAuditX86_64, 0x80000000)).action, Action::Errno(2));
  EXPECT_EQ(evaluate(p, data(kAuditX86_64, 0xbfffffff)).action, Action::Errno(2));
  EXPECT_EQ(evaluate(p, data(kAuditX86_64, 0xc0000000)).action, Action::Errno(2));
  EXPECT_EQ(evaluate(p, data(kAuditX86_64, 0xfffffffe)).action, Action::Errno(2));
  // -1 (a tracer skipping the call): x86_64's, although bit 30 is set.
  EXPECT_EQ(evaluate(p, data(kAuditX86_64, 0xffffffff)).action, Action::Errno(1));
  EXPECT_EQ(evaluate(p, data(kAuditI386, 0)).action, Action::Errno(3));
  const policy::Decision d = evaluate(p, data(kAuditX86_64, kX32Bit | 1));
  ASSERT_NE(d.arch, nullptr);
  EXPECT_EQ(d.arch->arch, ArchId::kX32);
  EXPECT_EQ(d.rule, nullptr);
}

TEST(Evaluate, UncoveredArchGetsTheBadArchAction) {
  policy::Policy p;
  p.arches.push_back(abi(ArchId::kX86_64, Action::Allow()));
  EXPECT_EQ(evaluate(p, data(kAuditAarch64, 0)).action, Action::KillProcess());
  // x32 numbers are not x86_64 numbers: without x32 in the policy they are a bad arch.
  const policy::Decision d = evaluate(p, data(kAuditX86_64, kX32Bit | 0));
  EXPECT_EQ(d.action, Action::KillProcess());
  EXPECT_EQ(d.arch, nullptr);
  p.bad_arch_action = Action::Errno(99);
  EXPECT_EQ(evaluate(p, data(kAuditI386, 0)).action, Action::Errno(99));
  EXPECT_EQ(evaluate(p, data(0, 0)).action, Action::Errno(99));
}

// What strace -e inject, debuggers and other PTRACE_SYSCALL users write into
// orig_rax to skip a call; the filter runs after the tracer's entry stop
// (4.8+) and sees it.
TEST(Evaluate, MinusOneOnX86_64WithoutX32GetsTheNormalProcessing) {
  policy::Policy p;
  p.arches.push_back(abi(ArchId::kX86_64, Action::Allow()));
  p.arches[0].rules[59] = {rule(Action::Errno(1))};  // execve
  const policy::Decision d = evaluate(p, data(kAuditX86_64, 0xffffffff));
  EXPECT_EQ(d.action, Action::Allow());
  ASSERT_NE(d.arch, nullptr);
  EXPECT_EQ(d.arch->arch, ArchId::kX86_64);
  EXPECT_EQ(d.rule, nullptr);
  // A rule for -1 is honoured; so is the ENOSYS range above the largest number.
  p.arches[0].rules[0xffffffff] = {rule(Action::Errno(7))};
  EXPECT_EQ(evaluate(p, data(kAuditX86_64, 0xffffffff)).action, Action::Errno(7));
  p.arches[0].rules.erase(0xffffffff);
  // x32 is not in the policy: the rest of the upper half is a bad arch.
  for (uint32_t nr : {0x40000000u, 0x7fffffffu, 0x80000000u, 0xbfffffffu, 0xc0000000u, 0xfffffffeu})
    EXPECT_EQ(evaluate(p, data(kAuditX86_64, nr)).action, Action::KillProcess()) << std::hex << nr;
}

// runc's ENOSYS stub runs before libseccomp's filter and tells x86_64 from
// x32 by bit 30 alone (patchbpf: `jset 0x40000000` to the x32 part, else
// x86_64's threshold): with only x86_64 listed, 0x80000000..0xbfffffff
// answer ENOSYS and -1 is the filter's (observed in a runc 1.1.5 container:
// syscall(0x80000000) ENOSYS, syscall(-1) EPERM, the default).
TEST(Evaluate, EnosysStubOnX86_64AloneGoesByBit30) {
  policy::Policy p;
  p.arches.push_back(abi(ArchId::kX86_64, Action::Errno(1)));
  p.arches[0].rules[59] = {rule(Action::Allow())};  // execve
  p.arches[0].enosys_above = 59;
  EXPECT_EQ(evaluate(p, data(kAuditX86_64, 0x3fffffff)).action, Action::Errno(38));
  for (uint32_t nr : {0x80000000u, 0xbfffffffu}) {
    const policy::Decision d = evaluate(p, data(kAuditX86_64, nr));
    EXPECT_EQ(d.action, Action::Errno(38)) << std::hex << nr;
    EXPECT_TRUE(d.enosys);
  }
  const policy::Decision skipped = evaluate(p, data(kAuditX86_64, 0xffffffff));
  EXPECT_EQ(skipped.action, Action::Errno(1));
  EXPECT_FALSE(skipped.enosys);
  for (uint32_t nr : {0x40000000u, 0x7fffffffu, 0xc0000000u, 0xfffffffeu})
    EXPECT_EQ(evaluate(p, data(kAuditX86_64, nr)).action, Action::KillProcess()) << std::hex << nr;
}

// With only x32 listed, runc's stub has only its x32 part: -1 (bit 30 set)
// answers ENOSYS there, 0x80000000..0xbfffffff (bit 30 clear) pass to the
// filter, which gives them to x32 (its default), and x86_64's numbers get
// no ENOSYS.
TEST(Evaluate, EnosysStubOnX32AloneGoesByBit30) {
  policy::Policy p;
  p.arches.push_back(abi(ArchId::kX86_64, Action::Errno(1)));
  p.arches.push_back(abi(ArchId::kX32, Action::Errno(2)));
  p.arches[1].enosys_above = 0x40000000u + 300;
  EXPECT_EQ(evaluate(p, data(kAuditX86_64, 0xffffffff)).action, Action::Errno(38));
  EXPECT_EQ(evaluate(p, data(kAuditX86_64, 0x40000000u + 301)).action, Action::Errno(38));
  EXPECT_EQ(evaluate(p, data(kAuditX86_64, 0x40000000u + 300)).action, Action::Errno(2));
  EXPECT_EQ(evaluate(p, data(kAuditX86_64, 0x80000000u)).action, Action::Errno(2));
  EXPECT_EQ(evaluate(p, data(kAuditX86_64, 0x3fffffffu)).action, Action::Errno(1));
  // Both listed: every number the two ways of splitting tell apart is above
  // both thresholds.
  p.arches[0].enosys_above = 300;
  EXPECT_TRUE(policy::x86_64_thresholds_follow_owner(p));
  for (uint32_t nr : {0x80000000u, 0xbfffffffu, 0xffffffffu, 0x3fffffffu})
    EXPECT_EQ(evaluate(p, data(kAuditX86_64, nr)).action, Action::Errno(38)) << std::hex << nr;
}

TEST(Evaluate, MinusOneOnX86_64WithX32StaysX86_64s) {
  policy::Policy p;
  p.arches.push_back(abi(ArchId::kX86_64, Action::Errno(1)));
  p.arches.push_back(abi(ArchId::kX32, Action::Errno(2)));
  const policy::Decision d = evaluate(p, data(kAuditX86_64, 0xffffffff));
  EXPECT_EQ(d.action, Action::Errno(1));
  ASSERT_NE(d.arch, nullptr);
  EXPECT_EQ(d.arch->arch, ArchId::kX86_64);
}

TEST(Evaluate, X32AloneTakesMinusOneAndTheUpperHalf) {
  // libseccomp's x32-only filter: every nr >= 0x40000000 (unsigned) to the
  // x32 rules, the rest to the bad-arch action.
  policy::Policy p;
  p.arches.push_back(abi(ArchId::kX32, Action::Errno(2)));
  EXPECT_EQ(evaluate(p, data(kAuditX86_64, 0xffffffff)).action, Action::Errno(2));
  EXPECT_EQ(evaluate(p, data(kAuditX86_64, 0x80000000)).action, Action::Errno(2));
  EXPECT_EQ(evaluate(p, data(kAuditX86_64, kX32Bit)).action, Action::Errno(2));
  EXPECT_EQ(evaluate(p, data(kAuditX86_64, 0x3fffffff)).action, Action::KillProcess());
}

TEST(Evaluate, TheMostRestrictiveMatchingRuleWins) {
  policy::Policy p;
  policy::ArchPolicy a = abi(ArchId::kX86_64, Action::Errno(1));
  a.rules[41] = {
      rule(Action::Allow(), {cond(0, policy::CmpOp::kNe, 40)}, 0),
      rule(Action::Errno(13), {cond(0, policy::CmpOp::kEq, 16)}, 1),
      rule(Action::Log(), {cond(0, policy::CmpOp::kEq, 16)}, 2),
      rule(Action::Trap(), {cond(0, policy::CmpOp::kEq, 16), cond(2, policy::CmpOp::kEq, 9)}, 3),
      rule(Action::Errno(5), {cond(0, policy::CmpOp::kEq, 16)}, 4),
  };
  p.arches.push_back(a);
  // Only the first rule matches.
  policy::Decision d = evaluate(p, data(kAuditX86_64, 41, {2}));
  EXPECT_EQ(d.action, Action::Allow());
  EXPECT_EQ(d.rule->source.entry, 0u);
  // ALLOW, ERRNO(13), LOG, ERRNO(5) match: ERRNO beats LOG and ALLOW, and the
  // lower errno wins between the two ERRNOs (independent of rule order).
  d = evaluate(p, data(kAuditX86_64, 41, {16}));
  EXPECT_EQ(d.action, Action::Errno(5));
  EXPECT_EQ(d.rule->source.entry, 4u);
  // TRAP beats ERRNO.
  EXPECT_EQ(evaluate(p, data(kAuditX86_64, 41, {16, 0, 9})).action, Action::Trap());
  // No rule matches: the default.
  d = evaluate(p, data(kAuditX86_64, 41, {40}));
  EXPECT_EQ(d.action, Action::Errno(1));
  EXPECT_EQ(d.rule, nullptr);
}

TEST(Evaluate, FullPrecedenceOrder) {
  const Action order[] = {Action::KillProcess(), Action::KillThread(), Action::Trap(), Action::Errno(1),
                          Action::UserNotif(),   Action::Trace(1),     Action::Log(),  Action::Allow()};
  for (size_t i = 0; i < std::size(order); ++i) {
    for (size_t j = i + 1; j < std::size(order); ++j) {
      policy::Policy p;
      policy::ArchPolicy a = abi(ArchId::kX86_64, Action::Allow());
      a.rules[1] = {rule(order[j]), rule(order[i])};
      p.arches.push_back(a);
      EXPECT_EQ(evaluate(p, data(kAuditX86_64, 1)).action, order[i]) << i << " vs " << j;
    }
  }
}

TEST(Evaluate, EnosysAboveTheLargestNamedNumberOnly) {
  policy::Policy p;
  policy::ArchPolicy a = abi(ArchId::kX86_64, Action::Errno(1));
  a.enosys_above = 466;
  a.enosys_errno = 38;
  a.rules[3] = {rule(Action::Allow())};
  a.rules[500] = {rule(Action::Allow(), {cond(0, policy::CmpOp::kEq, 1)})};  // impossible from resolve; rules win
  p.arches.push_back(a);
  EXPECT_EQ(evaluate(p, data(kAuditX86_64, 3)).action, Action::Allow());
  EXPECT_EQ(evaluate(p, data(kAuditX86_64, 400)).action, Action::Errno(1));
  EXPECT_EQ(evaluate(p, data(kAuditX86_64, 466)).action, Action::Errno(1));
  EXPECT_EQ(evaluate(p, data(kAuditX86_64, 467)).action, Action::Errno(38));
  EXPECT_EQ(evaluate(p, data(kAuditX86_64, 0x3fffffff)).action, Action::Errno(38));
  // A number with rules answers by its rules or the default, never ENOSYS.
  EXPECT_EQ(evaluate(p, data(kAuditX86_64, 500, {1})).action, Action::Allow());
  EXPECT_EQ(evaluate(p, data(kAuditX86_64, 500, {2})).action, Action::Errno(1));
}

TEST(ConditionHolds, EveryOperatorOn64Bits) {
  const uint64_t big = 0x100000005ULL;
  EXPECT_TRUE(condition_holds(cond(0, policy::CmpOp::kEq, big), big));
  EXPECT_FALSE(condition_holds(cond(0, policy::CmpOp::kEq, big), 5));  // the high word counts
  EXPECT_TRUE(condition_holds(cond(0, policy::CmpOp::kNe, big), 5));
  EXPECT_TRUE(condition_holds(cond(0, policy::CmpOp::kLt, big), 0xffffffff));
  EXPECT_FALSE(condition_holds(cond(0, policy::CmpOp::kLt, big), big));
  EXPECT_TRUE(condition_holds(cond(0, policy::CmpOp::kLe, big), big));
  EXPECT_TRUE(condition_holds(cond(0, policy::CmpOp::kGe, big), big));
  EXPECT_FALSE(condition_holds(cond(0, policy::CmpOp::kGe, big), 0xffffffff));
  EXPECT_TRUE(condition_holds(cond(0, policy::CmpOp::kGt, 5), big));
  EXPECT_FALSE(condition_holds(cond(0, policy::CmpOp::kGt, big), big));
  // Comparisons are unsigned: "-1" is the largest value.
  EXPECT_TRUE(condition_holds(cond(0, policy::CmpOp::kGt, 40), ~0ULL));
  // MASKED_EQ: (arg & value) == value_two.
  EXPECT_TRUE(condition_holds(cond(0, policy::CmpOp::kMaskedEq, 0x7E020000, 0), 0x01200011));
  EXPECT_FALSE(condition_holds(cond(0, policy::CmpOp::kMaskedEq, 0x7E020000, 0), 0x10000000));
  EXPECT_TRUE(condition_holds(cond(0, policy::CmpOp::kMaskedEq, 0xff00000000ULL, 0x1200000000ULL), 0x12abcdef01ULL));
}

// Docker's MASKED_EQ: libseccomp masks the datum when the rule is added, so
// (arg & mask) == (datum & mask). Expectations worked out by hand.
TEST(ConditionHolds, MaskedEqualityIgnoresDatumBitsOutsideTheMask) {
  const auto masked = [](uint64_t mask, uint64_t datum, policy::ArgWidth w = policy::ArgWidth::k64) {
    return cond(0, policy::CmpOp::kMaskedEq, mask, datum, w);
  };
  EXPECT_TRUE(condition_holds(masked(0xff, 0x1ff), 0xff));
  EXPECT_TRUE(condition_holds(masked(0xff, 0x1ff), 0x1ff));
  EXPECT_TRUE(condition_holds(masked(0xff, 0x1ff), 0x7700ff));
  EXPECT_FALSE(condition_holds(masked(0xff, 0x1ff), 0x0));
  EXPECT_FALSE(condition_holds(masked(0xff, 0x1ff), 0x100));
  // Only high-word datum bits outside the mask: the low byte must be 0x01.
  EXPECT_TRUE(condition_holds(masked(0xff, 0xabcd00000001ULL), 0x1));
  EXPECT_FALSE(condition_holds(masked(0xff, 0xabcd00000001ULL), 0xabcd00000000ULL));
  // Mask 0: nothing is compared, every argument matches.
  EXPECT_TRUE(condition_holds(masked(0, 0x5), 0x0));
  EXPECT_TRUE(condition_holds(masked(0, 0x5), 0x5));
  // 32-bit width: the same on the low words.
  EXPECT_TRUE(condition_holds(masked(0xff, 0x1ff, policy::ArgWidth::k32), 0x5000000ff));
  EXPECT_FALSE(condition_holds(masked(0xff, 0x1ff, policy::ArgWidth::k32), 0x500000000));
}

TEST(Evaluate, MaskedEqualityDenyRuleBlocksWhatDockerBlocks) {
  // A deny rule written with datum 0x1ff under mask 0xff denies every
  // argument whose low byte is 0xff: the one Docker denies too.
  policy::Policy p;
  p.arches.push_back(abi(ArchId::kX86_64, Action::Allow()));
  p.arches[0].rules[135] = {rule(Action::Errno(1), {cond(0, policy::CmpOp::kMaskedEq, 0xff, 0x1ff)})};
  EXPECT_EQ(evaluate(p, data(kAuditX86_64, 135, {0xff})).action, Action::Errno(1));
  EXPECT_EQ(evaluate(p, data(kAuditX86_64, 135, {0x1ff})).action, Action::Errno(1));
  EXPECT_EQ(evaluate(p, data(kAuditX86_64, 135, {0x0})).action, Action::Allow());
}

TEST(ConditionHolds, ThirtyTwoBitWidthComparesTheLowWordOnly) {
  const auto w = policy::ArgWidth::k32;
  EXPECT_TRUE(condition_holds(cond(0, policy::CmpOp::kEq, 0xffffffff, 0, w), 0xffffffffffffffffULL));
  EXPECT_FALSE(condition_holds(cond(0, policy::CmpOp::kEq, 0xffffffff), 0xffffffffffffffffULL));
  EXPECT_TRUE(condition_holds(cond(0, policy::CmpOp::kLt, 10, 0, w), 0x500000003ULL));
  EXPECT_TRUE(condition_holds(cond(0, policy::CmpOp::kMaskedEq, 0xf0000000f, 0x3, w), 0x100000003ULL));
  EXPECT_FALSE(condition_holds(cond(0, policy::CmpOp::kMaskedEq, 0xf0000000f, 0x3), 0x100000003ULL));
}

TEST(Evaluate, DockerDefaultOnX86_64) {
  auto read = read_profile(testing::read_data_file(testing::kDockerDefault), "default");
  ASSERT_TRUE(read);
  ResolveOptions o;
  o.native = ArchId::kX86_64;
  o.caps = docker_default_caps();
  o.kernel = {6, 18};
  o.arg_width = ArgWidthMode::k64;  // Docker's 64-bit comparisons (abi mode: arg_width_test)
  auto res = resolve(read->profile, o);
  ASSERT_TRUE(res) << res.error().message;
  const policy::Policy& p = res->policy;
  auto x86_64 = [&](uint32_t nr, std::array<uint64_t, 6> args = {}) {
    return evaluate(p, data(kAuditX86_64, nr, args)).action;
  };
  EXPECT_EQ(x86_64(0), Action::Allow());      // read
  EXPECT_EQ(x86_64(165), Action::Errno(1));   // mount
  EXPECT_EQ(x86_64(466), Action::Allow());    // removexattrat, the newest named
  EXPECT_EQ(x86_64(467), Action::Errno(38));  // newer than the profile: ENOSYS
  EXPECT_EQ(x86_64(435), Action::Errno(38));  // clone3 without CAP_SYS_ADMIN
  // clone (56): a thread is fine, a new namespace is not.
  EXPECT_EQ(x86_64(56, {0x3d0f00}), Action::Allow());
  EXPECT_EQ(x86_64(56, {0x3d0f00 | 0x10000000}), Action::Errno(1));  // CLONE_NEWUSER
  // socket (41): AF_INET yes, AF_ALG (38) and AF_VSOCK (40) no, AF_NFC (39) yes.
  EXPECT_EQ(x86_64(41, {2}), Action::Allow());
  EXPECT_EQ(x86_64(41, {38}), Action::Errno(1));
  EXPECT_EQ(x86_64(41, {39}), Action::Allow());
  EXPECT_EQ(x86_64(41, {40}), Action::Errno(1));
  EXPECT_EQ(x86_64(41, {41}), Action::Allow());
  // personality (135): only the listed personas, compared on all 64 bits.
  EXPECT_EQ(x86_64(135, {8}), Action::Allow());
  EXPECT_EQ(x86_64(135, {0xffffffff}), Action::Allow());
  EXPECT_EQ(x86_64(135, {0xffffffffffffffffULL}), Action::Errno(1));
  EXPECT_EQ(x86_64(135, {0x0400000}), Action::Errno(1));
  // x32: pwritev2 (x32 547) is the largest named; 548 gets ENOSYS; x32 mount EPERM.
  EXPECT_EQ(evaluate(p, data(kAuditX86_64, kX32Bit | 547)).action, Action::Allow());
  EXPECT_EQ(evaluate(p, data(kAuditX86_64, kX32Bit | 548)).action, Action::Errno(38));
  EXPECT_EQ(evaluate(p, data(kAuditX86_64, kX32Bit | 165)).action, Action::Errno(1));
  // i386 and an uncovered ABI.
  EXPECT_EQ(evaluate(p, data(kAuditI386, 21)).action, Action::Errno(1));  // mount
  EXPECT_EQ(evaluate(p, data(kAuditI386, 3)).action, Action::Allow());    // read
  EXPECT_EQ(evaluate(p, data(kAuditAarch64, 63)).action, Action::KillProcess());
}

}  // namespace
}  // namespace sysfence::profile
