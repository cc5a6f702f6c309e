#include "test/bpf/random_program.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

#include "bpf/interp.h"
#include "bpf/validate.h"

namespace sysfence::bpf::testing {
namespace {

TEST(RandomProgram, ValidProgramsAreValid) {
  RandomProgramGenerator gen(1);
  RandomProgramOptions opts;
  opts.constants = {1000, 1001, 0xc000003e, 0, 5};
  for (int i = 0; i < 5000; ++i) {
    const Program p = gen.valid(opts);
    auto v = find_violation(p);
    ASSERT_FALSE(v.has_value()) << "program " << i << ": " << v->message;
  }
}

TEST(RandomProgram, SameSeedSameProgramsDifferentSeedDifferentPrograms) {
  RandomProgramOptions opts;
  RandomProgramGenerator a(42);
  RandomProgramGenerator b(42);
  RandomProgramGenerator c(43);
  bool any_difference = false;
  for (int i = 0; i < 100; ++i) {
    const Program pa = a.valid(opts);
    EXPECT_EQ(pa, b.valid(opts));
    any_difference = any_difference || pa != c.valid(opts);
  }
  EXPECT_TRUE(any_difference);
  // Pinned: the first value of seed 0 never changes (reproducibility across
  // machines and library versions).
  EXPECT_EQ(Rng(0).next(), 0xe220a8397b1dcdafULL);
}

TEST(RandomProgram, CoversEveryOpcodeAndLongJumps) {
  RandomProgramGenerator gen(7);
  RandomProgramOptions opts;
  std::set<uint16_t> seen;
  unsigned max_offset = 0;
  for (int i = 0; i < 2000; ++i) {
    for (const Insn& insn : gen.valid(opts)) {
      seen.insert(insn.code);
      if (insn_class(insn.code) == kJmp && insn.code != (kJmp | kJa)) {
        max_offset = std::max<unsigned>(max_offset, std::max(insn.jt, insn.jf));
      }
    }
  }
  for (uint16_t code : seccomp_opcodes()) EXPECT_TRUE(seen.count(code)) << std::hex << code;
  EXPECT_GT(max_offset, 200U);
}

TEST(RandomProgram, MutationsAndSoupMixValidAndInvalid) {
  RandomProgramGenerator gen(3);
  RandomProgramOptions opts;
  std::map<Rule, int> rules;
  int valid_mutants = 0;
  int valid_soup = 0;
  for (int i = 0; i < 3000; ++i) {
    const Program m = gen.mutate(gen.valid(opts));
    if (auto v = find_violation(m)) ++rules[v->rule];
    else ++valid_mutants;
    const Program s = gen.soup(6);
    if (auto v = find_violation(s)) ++rules[v->rule];
    else ++valid_soup;
  }
  EXPECT_GT(valid_mutants, 100);
  EXPECT_GT(valid_soup, 20);
  for (Rule r : {Rule::kOpcode, Rule::kSeccompOpcode, Rule::kLoadOffset, Rule::kDivByZero, Rule::kShiftRange,
                 Rule::kScratchIndex, Rule::kJumpRange, Rule::kLastNotRet, Rule::kScratchUninit}) {
    EXPECT_GT(rules[r], 10) << rule_name(r);
  }
}

}  // namespace
}  // namespace sysfence::bpf::testing
