// libseccomp 2.5.4's code generation as `--rule-combination libseccomp`
// models it: where its filter compares a stale accumulator (the word a failed
// sub-tree loaded last instead of the word the next test names), the policy
// answers what that filter answers. Each expectation is derived by hand from
// gen_bpf.c's rules (a block loads its word only where the state it was
// written for says so; the layout reloads it only if the first block found
// jumping to it left another word) and checked once against the filter the
// real libseccomp 2.5.4 writes for the same rules (python3-seccomp,
// export_bpf, read with `sysfence disasm`).
#include "profile/libseccomp_codegen.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <optional>
#include <string>
#include <string_view>

#include "policy/policy.h"
#include "profile/libseccomp_tree.h"
#include "profile/reader.h"
#include "profile/resolve.h"
#include "syscalls/table.h"

namespace sysfence::profile {
namespace {

// A 64-bit linear congruential generator's high words: the same random
// cases on every run.
struct Lcg {
  uint64_t state;
  uint32_t operator()() {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<uint32_t>(state >> 32);
  }
};

using syscalls::ArchId;

Expected<Resolution> resolve_text(std::string_view text, RuleCombination combination, ArchId native) {
  auto doc = read_profile(text, "t.json");
  if (!doc) return fail(doc.error().message);
  ResolveOptions o;
  o.native = native;
  o.caps = docker_default_caps();
  o.kernel = {6, 1};
  o.arg_width = ArgWidthMode::k64;
  o.combination = combination;
  return resolve(doc->profile, o);
}

Action answer(const Resolution& r, ArchId abi, std::string_view name, std::array<uint64_t, 6> args) {
  SeccompData d;
  d.arch = syscalls::arch(abi).audit_arch;
  d.nr = syscalls::table(abi).number(name).value_or(0xffffffffU);
  for (size_t i = 0; i < 6; ++i) d.args[i] = args[i];
  return policy::evaluate(r.policy, d).action;
}

bool has_note(const Resolution& r, std::string_view text) {
  return std::any_of(r.notes.begin(), r.notes.end(),
                     [&](const std::string& n) { return n.find(text) != std::string::npos; });
}

// x86_64, one action: read ALLOW if a2 > 0x200000005, if a2 <= 0x7fffffff,
// if a2 >= 0x1ffffffff. The top level tests the high word: "> 0" (the <=
// rule, whose low-word test "> 0x7fffffff" passing means no match), "> 2",
// "> 1". The "> 2" block relies on the high word, and its first jumper is
// "> 0" (true branch: nothing, fall through), so it gets no reload; the
// failed low-word test of the <= rule falls through to it with the LOW word
// loaded. a2 = 0x80000000: high word 0, low word > 0x7fffffff, then
// 0x80000000 > 2: ALLOW, though no rule matches. The "> 1" block's first
// jumper is the low-word test under "== 2", so it reloads: 0x100000000
// answers the default.
TEST(LibseccompCodegen, OneActionFollowsTheStaleComparison) {
  constexpr std::string_view text = R"({"defaultAction": "SCMP_ACT_KILL", "syscalls": [
    {"names": ["read"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 2, "value": 8589934597, "op": "SCMP_CMP_GT"}]},
    {"names": ["read"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 2, "value": 2147483647, "op": "SCMP_CMP_LE"}]},
    {"names": ["read"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 2, "value": 8589934591, "op": "SCMP_CMP_GE"}]}]})";
  auto lib = resolve_text(text, RuleCombination::kLibseccompDatabase, ArchId::kX86_64);
  ASSERT_TRUE(lib) << lib.error().message;
  EXPECT_TRUE(has_note(*lib, "another argument word"));
  EXPECT_FALSE(has_note(*lib, "does not model"));
  const auto read = [&](uint64_t a2) { return answer(*lib, ArchId::kX86_64, "read", {0, 0, a2}); };
  EXPECT_EQ(read(0x80000000), Action::Allow());  // the stale comparison
  EXPECT_EQ(read(0x80000003), Action::Allow());
  EXPECT_EQ(read(0x7fffffff), Action::Allow());
  EXPECT_EQ(read(0), Action::Allow());
  EXPECT_EQ(read(0x100000000), Action::KillThread());
  EXPECT_EQ(read(0x1fffffffe), Action::KillThread());
  EXPECT_EQ(read(0x1ffffffff), Action::Allow());
  EXPECT_EQ(read(0x200000005), Action::Allow());  // high word 2 > 1
  EXPECT_EQ(read(0x300000000), Action::Allow());
  // sysfence's own combination reads the rules as written.
  auto own = resolve_text(text, RuleCombination::kMostRestrictive, ArchId::kX86_64);
  ASSERT_TRUE(own);
  EXPECT_EQ(answer(*own, ArchId::kX86_64, "read", {0, 0, 0x80000000}), Action::KillThread());
}

// i386 (one word per argument), two actions: read ALLOW if a0 != 5 and
// a1 == 1; ERRNO(2) if a0 > 3. Level one: "a0 == 5" (its true branch falls
// through: the != rule's action is on the false branch) then "a0 > 3", which
// relies on a0 and whose first jumper is "a0 == 5" itself: no reload. The
// false branch's "a1 == 1" loads a1 and, failing, falls through to "a0 > 3",
// which then compares a1.
TEST(LibseccompCodegen, AFailedSubTreeLeavesAnotherArgumentOnA32BitAbi) {
  constexpr std::string_view text = R"({"defaultAction": "SCMP_ACT_KILL", "syscalls": [
    {"names": ["read"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 5, "op": "SCMP_CMP_NE"}, {"index": 1, "value": 1, "op": "SCMP_CMP_EQ"}]},
    {"names": ["read"], "action": "SCMP_ACT_ERRNO", "errnoRet": 2, "args": [{"index": 0, "value": 3, "op": "SCMP_CMP_GT"}]}]})";
  auto lib = resolve_text(text, RuleCombination::kLibseccompDatabase, ArchId::kI386);
  ASSERT_TRUE(lib) << lib.error().message;
  EXPECT_FALSE(has_note(*lib, "does not model"));
  const auto read = [&](uint64_t a0, uint64_t a1) { return answer(*lib, ArchId::kI386, "read", {a0, a1}); };
  EXPECT_EQ(read(0, 7), Action::Errno(2));      // a1 = 7 > 3; no rule matches
  EXPECT_EQ(read(4, 0), Action::KillThread());  // a1 = 0; the ERRNO rule matches
  EXPECT_EQ(read(4, 3), Action::KillThread());
  EXPECT_EQ(read(4, 1), Action::Allow());
  EXPECT_EQ(read(5, 0), Action::Errno(2));  // a0 == 5: "a0 > 3" sees a0
  EXPECT_EQ(read(2, 9), Action::Errno(2));
  EXPECT_EQ(read(2, 2), Action::KillThread());
}

// x86_64, a masked test first: readv KILL_THREAD if a0 > 0xc2fb3fa05ff48af8,
// KILL_THREAD if (a0 & 0x95d505c640814c0c) == 8, KILL if a0 < 2 (KILL is
// KILL_THREAD: one action), default TRAP. The < rule's low-word test ">= 2"
// passing falls through to the > rule's "high word > 0xc2fb3fa0", which
// relies on the high word but was placed behind the < rule's high-word test:
// it compares the low word. a0 = 0xc2fb3fa1 matches no rule and answers
// KILL_THREAD; so does 0xc2fb3fa0 (the "== 0xc2fb3fa0" test that follows
// reloads, and the low word passes "> 0x5ff48af8").
TEST(LibseccompCodegen, AMaskedTestThenARangeOnTheOtherWord) {
  constexpr std::string_view text = R"({"defaultAction": "SCMP_ACT_TRAP", "syscalls": [
    {"names": ["readv"], "action": "SCMP_ACT_KILL_THREAD", "args": [{"index": 0, "value": 14049893420549573368, "op": "SCMP_CMP_GT"}]},
    {"names": ["readv"], "action": "SCMP_ACT_KILL_THREAD", "args": [{"index": 0, "value": 10796542030734511116, "valueTwo": 8, "op": "SCMP_CMP_MASKED_EQ"}]},
    {"names": ["readv"], "action": "SCMP_ACT_KILL", "args": [{"index": 0, "value": 2, "op": "SCMP_CMP_LT"}]}]})";
  auto lib = resolve_text(text, RuleCombination::kLibseccompDatabase, ArchId::kX86_64);
  ASSERT_TRUE(lib) << lib.error().message;
  const auto readv = [&](uint64_t a0) { return answer(*lib, ArchId::kX86_64, "readv", {a0}); };
  EXPECT_EQ(readv(0xc2fb3fa1), Action::KillThread());  // no rule matches
  EXPECT_EQ(readv(0xc2fb3fa0), Action::KillThread());  // no rule matches
  EXPECT_EQ(readv(0x10), Action::Trap());
  EXPECT_EQ(readv(8), Action::KillThread());  // the masked rule
  EXPECT_EQ(readv(1), Action::KillThread());  // the < rule
  EXPECT_EQ(readv(0xc2fb3fa05ff48af9), Action::KillThread());
  EXPECT_EQ(readv(0xc2fb3fa05ff48af8), Action::Trap());
}

}  // namespace
}  // namespace sysfence::profile

namespace sysfence::profile::codegen {
namespace {

// word_test's pieces for a masked word, ordered tests included (what a
// stale accumulator holding a MASKED_EQ's masked word meets): for random
// masks, operands and words (low and high), exactly one piece holds when
// the jump's outcome is `truth` and none otherwise — the outcome computed
// directly as the BPF jump computes it.
TEST(LibseccompCodegenWordTest, MaskedWordPiecesPartitionTheOutcomes) {
  Lcg next{0x5eccd1ff};
  const uint32_t edges[] = {0, 1, 0x7fffffff, 0x80000000, 0xffffffff, 0xff, 0xf0f0, 8};
  for (int round = 0; round < 4000; ++round) {
    const uint32_t mask = round % 3 == 0 ? edges[next() % 8] | (next() & next()) : next() & next();
    if (mask == 0xffffffffU) continue;
    const uint32_t k = round % 2 ? edges[next() % 8] : next() & (mask | (next() & next() & next()));
    const bool high = round % 4 == 1;
    const Word word{1, high, mask};
    for (const codegen::Test test : {codegen::Test::kEq, codegen::Test::kGt, codegen::Test::kGe}) {
      for (const bool truth : {true, false}) {
        const auto pieces = word_test(word, test, k, truth);
        for (int sample = 0; sample < 8; ++sample) {
          const uint32_t w = sample < 2 ? (sample ? k : k & mask) : next();
          const uint32_t x = w & mask;
          const bool outcome = test == codegen::Test::kEq ? x == k : test == codegen::Test::kGt ? x > k : x >= k;
          const uint64_t arg = high ? uint64_t{w} << 32 | next() : uint64_t{next()} << 32 | w;
          int holding = 0;
          for (const auto& piece : pieces)
            holding += std::all_of(piece.begin(), piece.end(),
                                   [&](const policy::ArgCondition& c) { return policy::condition_holds(c, arg); });
          ASSERT_EQ(holding, outcome == truth ? 1 : 0)
              << "mask " << mask << " k " << k << " w " << w << " test " << static_cast<int>(test) << " truth " << truth
              << " high " << high;
        }
      }
    }
  }
}

}  // namespace
}  // namespace sysfence::profile::codegen

namespace sysfence::profile {
namespace {

// libseccomp_program runs the program libseccomp_tree reads back: for random
// rule sets (a few arguments, operands from a small pool so that rules
// share nodes and overlap, ERRNO and ALLOW mixed, both word widths) and
// inputs built from the same pool, the rule it answers with is the one
// whose path holds, and both refuse the same rules.
TEST(LibseccompProgram, AnswersWhatTheTreesPathsSay) {
  Lcg next{0x7e57ab1e};
  const uint64_t pool[] = {0, 1, 2, 0xff, 0x100, 0x7fffffff, 0x80000000, 0xffffffff, 0x100000000, 0x1000000ff};
  const policy::CmpOp ops[] = {policy::CmpOp::kEq, policy::CmpOp::kNe, policy::CmpOp::kLt,      policy::CmpOp::kLe,
                               policy::CmpOp::kGt, policy::CmpOp::kGe, policy::CmpOp::kMaskedEq};
  size_t compared = 0;
  for (int round = 0; round < 600; ++round) {
    const bool wide = round % 2 == 0;
    const auto width = wide ? policy::ArgWidth::k64 : policy::ArgWidth::k32;
    std::vector<policy::Rule> rules(2 + next() % 5);
    for (size_t i = 0; i < rules.size(); ++i) {
      rules[i].action = next() % 2 ? Action::Allow() : Action::Errno(13);
      rules[i].source.entry = static_cast<uint32_t>(i);
      const unsigned args = next() % 3 + (i + 1 < rules.size() ? 1 : 0);
      unsigned used = 0;
      for (unsigned k = 0; k < args; ++k) {
        const auto index = static_cast<uint8_t>(next() % 3);
        if (used & (1U << index)) continue;
        used |= 1U << index;
        const uint64_t value = pool[next() % 10];
        rules[i].conditions.push_back({index, ops[next() % 7], value, pool[next() % 10] & value, width});
      }
    }
    const auto tree = libseccomp_tree(rules, wide ? 64 : 32);
    const auto program = libseccomp_program(rules, wide ? 64 : 32);
    // The program is bounded by less than the paths read back.
    if (tree) {
      ASSERT_TRUE(program) << "round " << round;
    }
    if (!tree) continue;
    ASSERT_EQ(tree->refused, program->refused) << "round " << round;
    if (tree->refused) continue;
    for (int sample = 0; sample < 64; ++sample) {
      std::array<uint64_t, 6> input{};
      for (size_t a = 0; a < 3; ++a) input[a] = pool[next() % 10] + (next() % 4 == 0 ? 1 : 0);
      std::optional<uint32_t> by_paths;
      for (const policy::Rule& r : tree->rules) {
        if (!std::all_of(r.conditions.begin(), r.conditions.end(),
                         [&](const policy::ArgCondition& c) { return policy::condition_holds(c, input[c.index]); }))
          continue;
        ASSERT_FALSE(by_paths) << "round " << round << ": the paths overlap";
        by_paths = r.source.entry;
      }
      const auto by_program = program->answer(input);
      ASSERT_EQ(by_paths, by_program ? std::optional<uint32_t>(rules[*by_program].source.entry) : std::nullopt)
          << "round " << round << " sample " << sample;
      ++compared;
    }
  }
  EXPECT_GT(compared, 10000u);
}

// The work budget runs out by a flag, not an exception: the tree and its
// program are abandoned wherever the last step falls. For random rule sets
// and every budget up to the one the full answer needs, libseccomp_tree and
// libseccomp_program give up (nullopt) below a threshold and give exactly
// the unbounded answer from it on, whichever operation the budget stops.
TEST(LibseccompTree, EveryBudgetGivesUpOrAnswersInFull) {
  Lcg next{0xb0d9e7};
  const uint64_t pool[] = {0, 1, 2, 0xff, 0x7fffffff, 0x80000000, 0xffffffff, 0x100000000};
  const policy::CmpOp ops[] = {policy::CmpOp::kEq, policy::CmpOp::kNe, policy::CmpOp::kLt,      policy::CmpOp::kLe,
                               policy::CmpOp::kGt, policy::CmpOp::kGe, policy::CmpOp::kMaskedEq};
  size_t budgets_tried = 0;
  size_t rounds_compared = 0;
  for (int round = 0; round < 60; ++round) {
    const bool wide = round % 2 == 0;
    const unsigned bits = wide ? 64 : 32;
    std::vector<policy::Rule> rules(2 + next() % 6);
    for (size_t i = 0; i < rules.size(); ++i) {
      rules[i].action = next() % 2 ? Action::Allow() : Action::Errno(13);
      rules[i].source.entry = static_cast<uint32_t>(i);
      unsigned used = 0;
      for (unsigned k = 0; k < 1 + next() % 3; ++k) {
        const auto index = static_cast<uint8_t>(next() % 3);
        if (used & (1U << index)) continue;
        used |= 1U << index;
        const uint64_t value = pool[next() % 8];
        rules[i].conditions.push_back({index, ops[next() % 7], value, pool[next() % 8] & value,
                                       wide ? policy::ArgWidth::k64 : policy::ArgWidth::k32});
      }
    }
    const auto full_tree = libseccomp_tree(rules, bits);
    const auto full_program = libseccomp_program(rules, bits);
    if (!full_tree || !full_program) continue;  // beyond the model's bounds whatever the budget
    ++rounds_compared;
    std::optional<size_t> tree_from, program_from;
    for (size_t budget = 0; budget < 4000 && !(tree_from && program_from); ++budget, ++budgets_tried) {
      const auto tree = libseccomp_tree(rules, bits, budget);
      if (tree_from) {
        ASSERT_TRUE(tree) << "round " << round << " budget " << budget;
      }
      if (tree) {
        tree_from = tree_from.value_or(budget);
        ASSERT_EQ(tree->refused, full_tree->refused) << "round " << round << " budget " << budget;
        ASSERT_EQ(tree->rules, full_tree->rules) << "round " << round << " budget " << budget;
        ASSERT_EQ(tree->stale, full_tree->stale) << "round " << round << " budget " << budget;
      }
      const auto program = libseccomp_program(rules, bits, budget);
      if (program_from) {
        ASSERT_TRUE(program) << "round " << round << " budget " << budget;
      }
      if (!program) continue;
      program_from = program_from.value_or(budget);
      ASSERT_EQ(program->refused, full_program->refused) << "round " << round << " budget " << budget;
      if (program->refused) continue;
      for (int sample = 0; sample < 16; ++sample) {
        std::array<uint64_t, 6> input{};
        for (size_t a = 0; a < 3; ++a) input[a] = pool[next() % 8] + (next() % 4 == 0 ? 1 : 0);
        ASSERT_EQ(program->answer(input), full_program->answer(input)) << "round " << round << " budget " << budget;
      }
    }
    ASSERT_TRUE(tree_from && program_from) << "round " << round;
  }
  EXPECT_GT(rounds_compared, 40u);
  EXPECT_GT(budgets_tried, 1000u);
}

}  // namespace
}  // namespace sysfence::profile
