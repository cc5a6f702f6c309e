// Passes 1 and 2: number spaces per AUDIT_ARCH value (x32 inside x86_64),
// and the partition into maximal intervals with the ENOSYS interval.
#include "compiler/partition.h"

#include <gtest/gtest.h>

#include "syscalls/table.h"
#include "test/compiler/support.h"

namespace sysfence::compiler {
namespace {

using syscalls::ArchId;

policy::ArchPolicy arch_policy(ArchId id, Action def) {
  policy::ArchPolicy ap;
  ap.arch = id;
  ap.default_action = def;
  return ap;
}

uint32_t audit(ArchId id) { return syscalls::arch(id).audit_arch; }

TEST(NumberSpaces, X32SharesTheX86_64Space) {
  policy::Policy p;
  p.arches = {arch_policy(ArchId::kX86_64, Action::Allow()), arch_policy(ArchId::kI386, Action::Allow()),
              arch_policy(ArchId::kX32, Action::Allow())};
  const auto spaces = number_spaces(p);
  ASSERT_EQ(spaces.size(), 2u);
  EXPECT_EQ(spaces[0].audit_arch, audit(ArchId::kX86_64));
  EXPECT_EQ(spaces[1].audit_arch, audit(ArchId::kI386));
  EXPECT_EQ(spaces[0].abis, (std::vector<ArchId>{ArchId::kX86_64, ArchId::kX32}));
  // libseccomp's split: x32 from 0x40000000 up (unsigned) but -1, a
  // tracer's skip, which keeps the x86_64 rules.
  ASSERT_EQ(spaces[0].segments.size(), 3u);
  EXPECT_EQ(spaces[0].segments[0].abi, ArchId::kX86_64);
  EXPECT_EQ(spaces[0].segments[0].lo, 0u);
  EXPECT_EQ(spaces[0].segments[0].hi, 0x3fffffffu);
  EXPECT_EQ(spaces[0].segments[1].abi, ArchId::kX32);
  EXPECT_EQ(spaces[0].segments[1].lo, 0x40000000u);
  EXPECT_EQ(spaces[0].segments[1].hi, 0xfffffffeu);
  EXPECT_EQ(spaces[0].segments[2].abi, ArchId::kX86_64);
  EXPECT_EQ(spaces[0].segments[2].lo, 0xffffffffu);
  EXPECT_EQ(spaces[0].segments[2].hi, 0xffffffffu);
  for (const NumberSegment& s : spaces[0].segments) EXPECT_NE(s.policy, nullptr);
  ASSERT_EQ(spaces[1].segments.size(), 1u);
  EXPECT_EQ(spaces[1].segments[0].lo, 0u);
  EXPECT_EQ(spaces[1].segments[0].hi, 0xffffffffu);
}

TEST(NumberSpaces, MissingX32IsBadArch) {
  policy::Policy p;
  p.arches = {arch_policy(ArchId::kX86_64, Action::Allow())};
  const auto spaces = number_spaces(p);
  ASSERT_EQ(spaces.size(), 1u);
  ASSERT_EQ(spaces[0].segments.size(), 3u);
  EXPECT_NE(spaces[0].segments[0].policy, nullptr);
  EXPECT_EQ(spaces[0].segments[1].policy, nullptr);
  // -1 is not a bad arch without x32.
  EXPECT_EQ(spaces[0].segments[2].lo, 0xffffffffu);
  EXPECT_NE(spaces[0].segments[2].policy, nullptr);
  // x32 alone: the x86_64 numbers are the bad ones, every other (-1
  // included) goes with x32.
  p.arches = {arch_policy(ArchId::kX32, Action::Allow())};
  const auto only = number_spaces(p);
  ASSERT_EQ(only.size(), 1u);
  ASSERT_GE(only[0].segments.size(), 2u);
  EXPECT_EQ(only[0].segments[0].policy, nullptr);
  EXPECT_EQ(only[0].segments[0].hi, 0x3fffffffu);
  for (size_t i = 1; i < only[0].segments.size(); ++i) EXPECT_EQ(only[0].segments[i].policy, p.arches.data()) << i;
  EXPECT_EQ(only[0].segments.back().hi, 0xffffffffu);
}

// runc's ENOSYS stub tells x86_64 and x32 numbers apart by bit 30 alone:
// with a threshold on one ABI only, the numbers whose bit 30 disagrees with
// their owner take the other ABI's threshold (none, or this one).
TEST(NumberSpaces, EnosysThresholdGoesByBit30) {
  policy::Policy p;
  p.arches = {arch_policy(ArchId::kX86_64, Action::Errno(1))};
  p.arches[0].enosys_above = 300;
  const auto spaces = number_spaces(p);
  ASSERT_EQ(spaces.size(), 1u);
  auto segment_of = [&](uint32_t nr) {
    for (const NumberSegment& s : spaces[0].segments)
      if (nr >= s.lo && nr <= s.hi) return s;
    ADD_FAILURE() << "no segment holds " << nr;
    return NumberSegment{};
  };
  EXPECT_EQ(segment_of(0x3fffffff).enosys, p.arches.data());
  EXPECT_EQ(segment_of(0x80000000).enosys, p.arches.data());  // bit 30 clear: x86_64's stub
  EXPECT_EQ(segment_of(0x80000000).policy, nullptr);          // libseccomp: an x32 number
  EXPECT_EQ(segment_of(0x40000000).enosys, nullptr);
  EXPECT_EQ(segment_of(0xffffffff).enosys, nullptr);  // bit 30 set: no x32 stub
  EXPECT_EQ(segment_of(0xffffffff).policy, p.arches.data());
}

TEST(NumberSpaces, NativeFirstAndEndianness) {
  policy::Policy p;
  p.arches = {arch_policy(ArchId::kMips64, Action::Allow()), arch_policy(ArchId::kMips, Action::Allow()),
              arch_policy(ArchId::kMips64n32, Action::Allow())};
  const auto spaces = number_spaces(p);
  ASSERT_EQ(spaces.size(), 3u);
  EXPECT_EQ(spaces[0].audit_arch, audit(ArchId::kMips64));
  EXPECT_EQ(spaces[0].endian, Endian::kBig);
  EXPECT_EQ(spaces[2].audit_arch, audit(ArchId::kMips64n32));
}

TEST(Enosys, AboveTheLargestNamedNumber) {
  policy::ArchPolicy ap = arch_policy(ArchId::kX86_64, Action::Errno(1));
  EXPECT_EQ(unnamed_number_action(ap, 500), Action::Errno(1));
  ap.enosys_above = 450;
  ap.enosys_errno = 38;
  EXPECT_EQ(unnamed_number_action(ap, 450), Action::Errno(1));
  EXPECT_EQ(unnamed_number_action(ap, 451), Action::Errno(38));
  EXPECT_EQ(unnamed_number_action(ap, 0xffffffff), Action::Errno(38));
}

void expect_maximal_cover(const std::vector<Interval>& iv) {
  ASSERT_FALSE(iv.empty());
  EXPECT_EQ(iv.front().lo, 0u);
  EXPECT_EQ(iv.back().hi, 0xffffffffu);
  for (size_t i = 1; i < iv.size(); ++i) {
    EXPECT_EQ(iv[i].lo, iv[i - 1].hi + 1);
    EXPECT_NE(iv[i].leaf, iv[i - 1].leaf) << "not maximal at " << iv[i].lo;
  }
}

TEST(Partition, MaximalIntervalsAgreeWithTheSpecification) {
  testing::Rng rng(77);
  for (int iter = 0; iter < 200; ++iter) {
    testing::RandomPolicyOptions o;
    o.native = rng.chance(50) ? ArchId::kX86_64 : ArchId::kAarch64;
    const policy::Policy p = testing::random_policy(rng, o);
    LeafTable leaves;
    for (const NumberSpace& space : number_spaces(p)) {
      const auto iv = partition(space, p.bad_arch_action, leaves, /*merge=*/true);
      expect_maximal_cover(iv);
      // Constant leaves give evaluate's action at both ends and inside.
      for (const Interval& x : iv) {
        const RuleSet& s = leaves.at(x.leaf);
        for (uint32_t nr : {x.lo, x.hi, x.lo + (x.hi - x.lo) / 2}) {
          SeccompData d;
          d.arch = space.audit_arch;
          d.nr = nr;
          EXPECT_EQ(decide(s, d.args), policy::evaluate(p, d).action) << "nr " << nr;
        }
      }
    }
  }
}

TEST(Partition, UnknownNumbersMergeWithTheirNeighbours) {
  policy::Policy p;
  policy::ArchPolicy ap = arch_policy(ArchId::kX86_64, Action::Allow());
  // Block 5 and 7; 6 and everything unknown stays ALLOW.
  ap.rules[5] = {policy::Rule{Action::Errno(1), {}, {}}};
  ap.rules[7] = {policy::Rule{Action::Errno(1), {}, {}}};
  // A rule equal to the default changes nothing.
  ap.rules[9] = {policy::Rule{Action::Allow(), {}, {}}};
  p.arches.push_back(ap);
  LeafTable leaves;
  const auto space = number_spaces(p)[0];
  const auto iv = partition(space, p.bad_arch_action, leaves, true);
  // [0,4] A, [5] E, [6] A, [7] E, [8, 0x3fffffff] A, x32 bad, -1 A.
  ASSERT_EQ(iv.size(), 7u);
  EXPECT_EQ(iv[0].hi, 4u);
  EXPECT_EQ(iv[1].lo, 5u);
  EXPECT_EQ(iv[1].hi, 5u);
  EXPECT_EQ(iv[2].lo, 6u);
  EXPECT_EQ(iv[4].lo, 8u);
  EXPECT_EQ(iv[4].hi, 0x3fffffffu);
  EXPECT_EQ(iv[1].leaf, iv[3].leaf);
  EXPECT_EQ(iv[5].lo, 0x40000000u);
  EXPECT_EQ(iv[5].hi, 0xfffffffeu);
  EXPECT_EQ(leaves.at(iv[5].leaf).otherwise, p.bad_arch_action);
  EXPECT_EQ(iv[6].lo, 0xffffffffu);
  EXPECT_EQ(iv[6].leaf, iv[0].leaf);
  expect_maximal_cover(iv);
  // Without merging (libseccomp style) every number with rules stands alone.
  LeafTable l2;
  const auto raw = partition(space, p.bad_arch_action, l2, false);
  EXPECT_GT(raw.size(), iv.size());
  bool nine_alone = false;
  for (const Interval& x : raw) nine_alone |= x.lo == 9 && x.hi == 9;
  EXPECT_TRUE(nine_alone);
}

TEST(Partition, EnosysIsOneMoreInterval) {
  policy::Policy p;
  policy::ArchPolicy ap = arch_policy(ArchId::kAarch64, Action::Errno(1));
  for (uint32_t nr = 0; nr < 100; ++nr) ap.rules[nr] = {policy::Rule{Action::Allow(), {}, {}}};
  ap.enosys_above = 99;
  ap.enosys_errno = 38;
  p.arches.push_back(ap);
  LeafTable leaves;
  const auto iv = partition(number_spaces(p)[0], p.bad_arch_action, leaves, true);
  ASSERT_EQ(iv.size(), 2u);
  EXPECT_EQ(iv[0].hi, 99u);
  EXPECT_EQ(iv[1].lo, 100u);
  EXPECT_EQ(iv[1].hi, 0xffffffffu);
  EXPECT_EQ(leaves.at(iv[1].leaf).otherwise, Action::Errno(38));
  // A number above the threshold that has rules keeps them.
  p.arches[0].rules[300] = {policy::Rule{Action::Trap(), {}, {}}};
  LeafTable l2;
  const auto iv2 = partition(number_spaces(p)[0], p.bad_arch_action, l2, true);
  ASSERT_EQ(iv2.size(), 4u);
  EXPECT_EQ(iv2[2].lo, 300u);
  EXPECT_EQ(l2.at(iv2[2].leaf).otherwise, Action::Trap());
}

TEST(Partition, WeightsFollowTheOwningAbi) {
  policy::Policy p;
  p.arches = {arch_policy(ArchId::kX86_64, Action::Allow()), arch_policy(ArchId::kX32, Action::Errno(1))};
  LeafTable leaves;
  const auto space = number_spaces(p)[0];
  const auto iv = partition(space, p.bad_arch_action, leaves, true);
  const auto w = interval_weights(space, iv, Weights::Uniform());
  ASSERT_EQ(w.size(), iv.size());
  double total = 0;
  for (double x : w) total += x;
  const uint32_t x64 = syscalls::table(ArchId::kX86_64).max_nr() + 1;
  const uint32_t x32 = syscalls::table(ArchId::kX32).max_nr() - 0x40000000 + 1;
  EXPECT_NEAR(total, x64 + 0.01 * x32, 1e-6);
}

}  // namespace
}  // namespace sysfence::compiler
