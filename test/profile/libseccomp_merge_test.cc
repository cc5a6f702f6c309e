// Conditional rules of one action under libseccomp's database: its rule
// tree can merge their chains so that its filter matches inputs no rule
// matches (a failed test of one rule falls through into another rule's
// tests). The answers below were observed with the real libseccomp 2.5.4
// (python3-seccomp: the rules added in profile order, CTL_OPTIMIZE 2, the
// exported filter run by sysfence sim); they are facts, not derived here.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "policy/policy.h"
#include "profile/caps.h"
#include "profile/reader.h"
#include "profile/resolve.h"
#include "syscalls/table.h"

namespace sysfence::profile {
namespace {

using syscalls::ArchId;

Expected<Resolution> resolve_text(std::string_view text, ArgWidthMode width) {
  auto read = read_profile(text, "m.json");
  EXPECT_TRUE(read) << read.error().message;
  ResolveOptions o;
  o.native = ArchId::kX86_64;
  o.caps = docker_default_caps();
  o.kernel = {6, 1};
  o.arg_width = width;
  o.combination = RuleCombination::kLibseccompDatabase;
  return resolve(read->profile, o);
}

Action read_answer(const Resolution& r, std::array<uint64_t, 6> args) {
  SeccompData d;
  d.arch = syscalls::arch(ArchId::kX86_64).audit_arch;
  d.nr = syscalls::table(ArchId::kX86_64).number("read").value();
  d.args = args;
  return policy::evaluate(r.policy, d).action;
}

bool any_contains(const std::vector<std::string>& lines, std::string_view part) {
  return std::any_of(lines.begin(), lines.end(), [&](const std::string& l) { return l.find(part) != l.npos; });
}

// Default ALLOW; read TRAP if a4 == 0 && a1 > 1; read TRAP if a1 > 3 &&
// (a2 & 5) == 0.
constexpr std::string_view kMerged = R"({"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64"],
  "syscalls": [
  {"names": ["read"], "action": "SCMP_ACT_TRAP", "args": [{"index": 4, "value": 0, "op": "SCMP_CMP_EQ"},
                                                         {"index": 1, "value": 1, "op": "SCMP_CMP_GT"}]},
  {"names": ["read"], "action": "SCMP_ACT_TRAP", "args": [{"index": 1, "value": 3, "op": "SCMP_CMP_GT"},
                                                         {"index": 2, "value": 5, "valueTwo": 0,
                                                          "op": "SCMP_CMP_MASKED_EQ"}]}]})";

TEST(LibseccompMerge, OneActionRulesGetWhatTheMergedTreeAnswers) {
  auto r = resolve_text(kMerged, ArgWidthMode::k64);
  ASSERT_TRUE(r) << r.error().message;
  struct Fact {
    std::array<uint64_t, 6> args;
    Action libseccomp;  // observed with libseccomp 2.5.4
  };
  const Fact facts[] = {
      {{0, 2, 0, 0, 1, 0}, Action::Trap()},  // neither rule matches: the merge
      {{0, 2, 0, 0, 0x8000000000000000ULL, 0}, Action::Trap()},
      {{0, 2, 0, 0, 0, 0}, Action::Trap()},
      {{0, 1, 0, 0, 0, 0}, Action::Allow()},
      {{0, 4, 0, 0, 1, 0}, Action::Trap()},
      {{0, 2, 1, 0, 1, 0}, Action::Allow()},
      {{0, 4, 1, 0, 0, 0}, Action::Trap()},
      {{0, 4, 1, 0, 1, 0}, Action::Allow()},
  };
  for (const Fact& f : facts) EXPECT_EQ(read_answer(*r, f.args), f.libseccomp) << f.args[1] << " " << f.args[4];
  EXPECT_TRUE(any_contains(r->notes, "matches other inputs than the rules do")) << r->notes.size();
  EXPECT_TRUE(r->unmodelled_combination.empty()) << r->unmodelled_combination.front();
}

// Rules of one action whose tree matches what they match stay as written
// (fewer tests than libseccomp's paths), without a note.
TEST(LibseccompMerge, RulesTheTreeDoesNotChangeStayAsWritten) {
  constexpr std::string_view text = R"({"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_X86_64"],
    "syscalls": [
    {"names": ["read"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 0, "op": "SCMP_CMP_EQ"}]},
    {"names": ["read"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 8, "op": "SCMP_CMP_EQ"}]},
    {"names": ["read"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 1, "value": 5, "op": "SCMP_CMP_GT"}]}]})";
  auto r = resolve_text(text, ArgWidthMode::k64);
  ASSERT_TRUE(r) << r.error().message;
  const policy::ArchPolicy* ap = r->policy.find(ArchId::kX86_64);
  const policy::RuleList& rules = ap->rules.at(syscalls::table(ArchId::kX86_64).number("read").value());
  ASSERT_EQ(rules.size(), 3u);
  EXPECT_EQ(rules.begin()->conditions,
            (std::vector<policy::ArgCondition>{{0, policy::CmpOp::kEq, 0, 0, policy::ArgWidth::k64}}));
  EXPECT_FALSE(any_contains(r->notes, "matches other inputs"));
  EXPECT_TRUE(r->unmodelled_combination.empty());
}

// Where the tree is not read back (here: read's unsigned int fd compared
// at 32 bits, --arg-width abi, where libseccomp compares 64), the rules are
// taken as written, and that is said as a warning, not only a note.
TEST(LibseccompMerge, ATreeBeyondTheModelIsAWarning) {
  constexpr std::string_view text = R"({"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64"],
    "syscalls": [
    {"names": ["read"], "action": "SCMP_ACT_TRAP", "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_EQ"},
                                                           {"index": 1, "value": 1, "op": "SCMP_CMP_GT"}]},
    {"names": ["read"], "action": "SCMP_ACT_TRAP", "args": [{"index": 0, "value": 2, "op": "SCMP_CMP_EQ"}]}]})";
  auto r = resolve_text(text, ArgWidthMode::kAbi);
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->unmodelled_combination.size(), 1u);
  EXPECT_NE(r->unmodelled_combination[0].find("read (x86_64)"), std::string::npos);
  EXPECT_NE(r->unmodelled_combination[0].find("may answer otherwise"), std::string::npos);
  EXPECT_TRUE(any_contains(r->notes, "read (x86_64)"));
}

}  // namespace
}  // namespace sysfence::profile
