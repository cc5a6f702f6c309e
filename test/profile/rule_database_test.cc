// Several rules for one syscall: libseccomp's database (--rule-combination
// libseccomp), the refusals, and the conflict warnings every resolution
// gives. Expectations derived by hand from libseccomp's documented
// behaviour (src/db.c) and from the profiles' text.
#include "profile/rule_database.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <initializer_list>
#include <random>
#include <string>
#include <tuple>

#include "profile/reader.h"
#include "test/profile/test_files.h"

namespace sysfence::profile {
namespace {

using policy::CmpOp;
using syscalls::ArchId;

ResolveOptions options(RuleCombination combination, ArchId native = ArchId::kX86_64) {
  ResolveOptions o;
  o.native = native;
  o.caps = docker_default_caps();
  o.kernel = {6, 1};
  o.arg_width = ArgWidthMode::k64;
  o.combination = combination;
  return o;
}

Profile parse(std::string_view text, std::string_view name = "t.json") {
  auto r = read_profile(text, name);
  EXPECT_TRUE(r) << (r ? "" : r.error().message);
  return r ? r->profile : Profile{};
}

Expected<Resolution> resolve_text(std::string_view text, RuleCombination combination, ArchId native = ArchId::kX86_64) {
  return resolve(parse(text), options(combination, native));
}

// What the policy answers for `name` with `args` on `abi`.
Action answer(const Resolution& r, ArchId abi, std::string_view name, std::array<uint64_t, 6> args = {}) {
  SeccompData d;
  d.arch = syscalls::arch(abi).audit_arch;
  d.nr = syscalls::table(abi).number(name).value_or(0xffffffffU);
  for (size_t i = 0; i < 6; ++i) d.args[i] = args[i];
  return policy::evaluate(r.policy, d).action;
}

std::vector<const Warning*> conflicts(const Resolution& r) {
  std::vector<const Warning*> out;
  for (const Warning& w : r.warnings)
    if (w.kind == WarningKind::kRuleConflict) out.push_back(&w);
  return out;
}

constexpr std::string_view kUnconditionalTwice = R"({"defaultAction": "SCMP_ACT_KILL_PROCESS", "syscalls": [
  {"names": ["setns"], "action": "SCMP_ACT_ALLOW"},
  {"names": ["setns"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]})";

TEST(RuleDatabase, TheFirstUnconditionalRuleWins) {
  auto lib = resolve_text(kUnconditionalTwice, RuleCombination::kLibseccompDatabase);
  ASSERT_TRUE(lib) << lib.error().message;
  EXPECT_EQ(answer(*lib, ArchId::kX86_64, "setns"), Action::Allow());
  // sysfence: the most restrictive, whatever the order.
  auto own = resolve_text(kUnconditionalTwice, RuleCombination::kMostRestrictive);
  ASSERT_TRUE(own);
  EXPECT_EQ(answer(*own, ArchId::kX86_64, "setns"), Action::Errno(1));
}

TEST(RuleDatabase, AnUnconditionalRuleReplacesEarlierConditionalOnes) {
  constexpr std::string_view text = R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
    {"names": ["personality"], "action": "SCMP_ACT_KILL_PROCESS", "args": [{"index": 0, "value": 8, "op": "SCMP_CMP_EQ"}]},
    {"names": ["personality"], "action": "SCMP_ACT_ERRNO", "errnoRet": 3}]})";
  auto lib = resolve_text(text, RuleCombination::kLibseccompDatabase);
  ASSERT_TRUE(lib) << lib.error().message;
  EXPECT_EQ(answer(*lib, ArchId::kX86_64, "personality", {8}), Action::Errno(3));
  EXPECT_EQ(answer(*lib, ArchId::kX86_64, "personality", {9}), Action::Errno(3));
  auto own = resolve_text(text, RuleCombination::kMostRestrictive);
  ASSERT_TRUE(own);
  EXPECT_EQ(answer(*own, ArchId::kX86_64, "personality", {8}), Action::KillProcess());
}

TEST(RuleDatabase, AConditionalRuleAfterAnUnconditionalOneIsDropped) {
  constexpr std::string_view text = R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
    {"names": ["read"], "action": "SCMP_ACT_ALLOW"},
    {"names": ["read"], "action": "SCMP_ACT_KILL_PROCESS", "args": [{"index": 0, "value": 3, "op": "SCMP_CMP_GT"}]}]})";
  auto lib = resolve_text(text, RuleCombination::kLibseccompDatabase);
  ASSERT_TRUE(lib) << lib.error().message;
  EXPECT_EQ(answer(*lib, ArchId::kX86_64, "read", {4}), Action::Allow());
  auto own = resolve_text(text, RuleCombination::kMostRestrictive);
  ASSERT_TRUE(own);
  EXPECT_EQ(answer(*own, ArchId::kX86_64, "read", {4}), Action::KillProcess());
  EXPECT_EQ(answer(*own, ArchId::kX86_64, "read", {3}), Action::Allow());
}

TEST(RuleDatabase, ARuleExtendingAnEarlierRulesConditionsIsDropped) {
  // libseccomp's tree ends at the first rule's a0 == 1 node: the second rule
  // (a0 == 1 && a1 == 2) never gets a node of its own.
  constexpr std::string_view text = R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
    {"names": ["read"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_EQ"}]},
    {"names": ["read"], "action": "SCMP_ACT_KILL_PROCESS", "args": [
      {"index": 1, "value": 2, "op": "SCMP_CMP_EQ"}, {"index": 0, "value": 1, "op": "SCMP_CMP_EQ"}]}]})";
  auto lib = resolve_text(text, RuleCombination::kLibseccompDatabase);
  ASSERT_TRUE(lib) << lib.error().message;
  EXPECT_EQ(answer(*lib, ArchId::kX86_64, "read", {1, 2}), Action::Allow());
  EXPECT_EQ(answer(*lib, ArchId::kX86_64, "read", {2, 2}), Action::Errno(1));
}

TEST(RuleDatabase, ASharedPrefixWithTheSameActionReplacesTheLongerRule) {
  constexpr std::string_view text = R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
    {"names": ["read"], "action": "SCMP_ACT_ERRNO", "errnoRet": 5, "args": [
      {"index": 0, "value": 1, "op": "SCMP_CMP_EQ"}, {"index": 1, "value": 2, "op": "SCMP_CMP_EQ"}]},
    {"names": ["read"], "action": "SCMP_ACT_ERRNO", "errnoRet": 5, "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_EQ"}]}]})";
  auto lib = resolve_text(text, RuleCombination::kLibseccompDatabase);
  ASSERT_TRUE(lib) << lib.error().message;
  EXPECT_EQ(answer(*lib, ArchId::kX86_64, "read", {1, 7}), Action::Errno(5));
  EXPECT_EQ(answer(*lib, ArchId::kX86_64, "read", {0, 2}), Action::Allow());
}

TEST(RuleDatabase, EqualConditionsWithDifferentActionsAreRefused) {
  // The datum of MASKED_EQ is masked before libseccomp compares: 0x101 under
  // mask 0xff is the first rule's 0x01.
  constexpr std::string_view text =
      "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [\n"
      "  {\"names\": [\"read\"], \"action\": \"SCMP_ACT_ALLOW\", \"args\": [\n"
      "    {\"index\": 0, \"value\": 255, \"valueTwo\": 1, \"op\": \"SCMP_CMP_MASKED_EQ\"}]},\n"
      "  {\"names\": [\"read\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 2, \"args\": [\n"
      "    {\"index\": 0, \"value\": 255, \"valueTwo\": 257, \"op\": \"SCMP_CMP_MASKED_EQ\"}]}]}";
  auto lib = resolve_text(text, RuleCombination::kLibseccompDatabase);
  ASSERT_FALSE(lib);
  EXPECT_EQ(lib.error().message,
            "t.json:2:3: syscalls[0] and t.json:4:3: syscalls[1] give read (x86_64) the same conditions with different "
            "actions (ALLOW, ERRNO(2)): libseccomp refuses the later rule (EEXIST), so runc would refuse the profile");
  // sysfence resolves it, with a conflict warning naming both entries.
  auto own = resolve_text(text, RuleCombination::kMostRestrictive);
  ASSERT_TRUE(own) << own.error().message;
  EXPECT_EQ(answer(*own, ArchId::kX86_64, "read", {0x301}), Action::Errno(2));
  const auto found = conflicts(*own);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0]->pos, (SourcePos{2, 3}));
  EXPECT_EQ(found[0]->other_pos, (SourcePos{4, 3}));
  EXPECT_EQ(found[0]->witness[0] & 0xff, 1u);
  EXPECT_EQ(found[0]->message,
            "t.json:2:3: syscalls[0] (ALLOW) and t.json:4:3: syscalls[1] (ERRNO(2)) both match read on x86_64, e.g. "
            "with arguments (0x1, 0x0, 0x0, 0x0, 0x0, 0x0): sysfence answers ERRNO(2) (the most restrictive matching "
            "rule); libseccomp, and so runc, Docker and Podman, refuses the profile (EEXIST: a rule with conditions "
            "equal to, or a prefix of, an earlier rule's and another action)");
}

TEST(RuleDatabase, APrefixOfEarlierConditionsWithAnotherActionIsRefused) {
  constexpr std::string_view text = R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
    {"names": ["read"], "action": "SCMP_ACT_ALLOW", "args": [
      {"index": 0, "value": 1, "op": "SCMP_CMP_EQ"}, {"index": 1, "value": 2, "op": "SCMP_CMP_EQ"}]},
    {"names": ["read"], "action": "SCMP_ACT_ERRNO", "errnoRet": 2, "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_EQ"}]}]})";
  auto lib = resolve_text(text, RuleCombination::kLibseccompDatabase);
  ASSERT_FALSE(lib);
  EXPECT_NE(lib.error().message.find("the later ones are a prefix of the earlier ones"), std::string::npos)
      << lib.error().message;
  EXPECT_NE(lib.error().message.find("runc would refuse the profile"), std::string::npos);
}

// runc resolves each name on the host before libseccomp checks the action
// (matchCall): an entry none of whose names libseccomp 2.5.4 knows (a typo,
// a syscall newer than it: mseal) is skipped, not refused.
TEST(RuleDatabase, AnErrnoFrom4095OnIsRefusedOnlyWhereLibseccompSeesTheRule) {
  for (const std::string_view names : {R"("getrandon")", R"("mseal")", R"("getrandon", "mseal")"}) {
    const std::string text = fmt::format(
        R"({{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{{"names": [{}], "action": "SCMP_ACT_ERRNO", "errnoRet": 4095}}]}})",
        names);
    auto lib = resolve_text(text, RuleCombination::kLibseccompDatabase);
    EXPECT_TRUE(lib) << names << ": " << lib.error().message;
    auto own = resolve_text(text, RuleCombination::kMostRestrictive);
    ASSERT_TRUE(own) << own.error().message;
    bool said = false;
    for (const Warning& w : own->warnings)
      if (w.kind == WarningKind::kErrnoRange) {
        said = true;
        EXPECT_NE(w.message.find("(runc skips the entry: libseccomp knows none of its names)"), std::string::npos)
            << w.message;
      }
    EXPECT_TRUE(said) << names;
  }
  // One name it knows: the rule reaches libseccomp, which refuses it.
  auto known = resolve_text(
      R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["getrandon", "mount"], "action": "SCMP_ACT_ERRNO", "errnoRet": 4095}]})",
      RuleCombination::kLibseccompDatabase);
  ASSERT_FALSE(known);
  EXPECT_NE(known.error().message.find("errnoRet 4095 is MAX_ERRNO: libseccomp refuses the action"), std::string::npos)
      << known.error().message;
}

TEST(RuleDatabase, AnErrnoFrom4095OnIsRefusedByLibseccompAndWarnedAboutOtherwise) {
  constexpr std::string_view text =
      "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [\n"
      "  {\"names\": [\"mount\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 4096}]}";
  auto lib = resolve_text(text, RuleCombination::kLibseccompDatabase);
  ASSERT_FALSE(lib);
  EXPECT_EQ(lib.error().message,
            "t.json:2:3: syscalls[0]: errnoRet 4096 is above 4095 (MAX_ERRNO): libseccomp refuses the action "
            "(EINVAL: it takes errno values up to 4094), so runc would refuse the profile");
  auto own = resolve_text(text, RuleCombination::kMostRestrictive);
  ASSERT_TRUE(own);
  ASSERT_EQ(own->warnings.size(), 1u);
  EXPECT_EQ(own->warnings[0].kind, WarningKind::kErrnoRange);
  EXPECT_EQ(own->warnings[0].rule.entry, 0u);
  // 4095 itself: the kernel answers it, libseccomp 2.5.4 refuses it
  // (seccomp_init and seccomp_rule_add: EINVAL; runc 1.1.5 then fails the
  // container); 4094 is the largest it takes.
  constexpr std::string_view edge_text =
      R"({"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 4095, "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW"}]})";
  auto edge = resolve_text(edge_text, RuleCombination::kLibseccompDatabase);
  ASSERT_FALSE(edge);
  EXPECT_NE(edge.error().message.find("defaultErrnoRet 4095 is MAX_ERRNO: libseccomp refuses the action"),
            std::string::npos)
      << edge.error().message;
  auto edge_own = resolve_text(edge_text, RuleCombination::kMostRestrictive);
  ASSERT_TRUE(edge_own);
  ASSERT_EQ(edge_own->warnings.size(), 1u);
  EXPECT_EQ(edge_own->warnings[0].kind, WarningKind::kErrnoRange);
  auto below = resolve_text(
      R"({"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 4094, "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW"}]})",
      RuleCombination::kLibseccompDatabase);
  ASSERT_TRUE(below) << below.error().message;
  EXPECT_TRUE(below->warnings.empty());
  auto def = resolve_text(
      R"({"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 5000, "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW"}]})",
      RuleCombination::kLibseccompDatabase);
  ASSERT_FALSE(def);
  EXPECT_NE(def.error().message.find("the default action: defaultErrnoRet 5000 is above 4095"), std::string::npos)
      << def.error().message;
}

TEST(RuleDatabase, ConflictWarningsNameBothEntriesAndWhatLibseccompDoes) {
  constexpr std::string_view text =
      "{\"defaultAction\": \"SCMP_ACT_KILL_PROCESS\", \"syscalls\": [\n"
      "  {\"names\": [\"setns\"], \"action\": \"SCMP_ACT_ALLOW\"},\n"
      "  {\"names\": [\"read\"], \"action\": \"SCMP_ACT_ALLOW\", \"args\": [{\"index\": 0, \"value\": 3, \"op\": "
      "\"SCMP_CMP_LT\"}]},\n"
      "  {\"names\": [\"read\"], \"action\": \"SCMP_ACT_KILL_PROCESS\", \"args\": [{\"index\": 0, \"value\": 3, "
      "\"op\": \"SCMP_CMP_GE\"}]},\n"
      "  {\"names\": [\"setns\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 1}]}";
  for (RuleCombination mode : {RuleCombination::kMostRestrictive, RuleCombination::kLibseccompDatabase}) {
    auto r = resolve_text(text, mode);
    ASSERT_TRUE(r) << r.error().message;
    // read's two rules are disjoint (a0 < 3, a0 >= 3): no conflict.
    const auto found = conflicts(*r);
    ASSERT_EQ(found.size(), 1u);
    EXPECT_EQ(found[0]->syscall, "setns");
    EXPECT_EQ(found[0]->message,
              fmt::format("t.json:2:3: syscalls[0] (ALLOW) and t.json:5:3: syscalls[3] (ERRNO(1)) both match setns on "
                          "x86_64, e.g. with arguments (0x0, 0x0, 0x0, 0x0, 0x0, 0x0): {} ERRNO(1) (the most "
                          "restrictive matching rule); libseccomp, and so runc, Docker and Podman, answers ALLOW (its "
                          "first unconditional rule for a syscall wins)",
                          mode == RuleCombination::kLibseccompDatabase ? "sysfence's own semantics answers"
                                                                       : "sysfence answers"));
  }
}

TEST(RuleDatabase, OneWarningPerPairOfEntriesWhateverTheAbisAndNames) {
  constexpr std::string_view text = R"({"defaultAction": "SCMP_ACT_ERRNO",
    "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"], "syscalls": [
    {"names": ["read", "write"], "action": "SCMP_ACT_ALLOW"},
    {"names": ["read", "write"], "action": "SCMP_ACT_TRAP"}]})";
  auto r = resolve_text(text, RuleCombination::kMostRestrictive);
  ASSERT_TRUE(r);
  EXPECT_EQ(conflicts(*r).size(), 1u);
}

// The actions' texts are formatted once per resolution and shared by the
// warnings of every syscall and ABI: each warning still names its own
// actions (ERRNO(1) on x86_64's newfstatat, ERRNO(2) on i386's waitpid,
// neither of which the other ABI has).
TEST(RuleDatabase, ConflictWarningsOfTwoSyscallsOnTwoAbisNameTheirOwnActions) {
  constexpr std::string_view text =
      "{\"defaultAction\": \"SCMP_ACT_KILL_PROCESS\",\n"
      " \"architectures\": [\"SCMP_ARCH_X86_64\", \"SCMP_ARCH_X86\"], \"syscalls\": [\n"
      "  {\"names\": [\"newfstatat\"], \"action\": \"SCMP_ACT_ALLOW\"},\n"
      "  {\"names\": [\"newfstatat\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 1},\n"
      "  {\"names\": [\"waitpid\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 2},\n"
      "  {\"names\": [\"waitpid\"], \"action\": \"SCMP_ACT_TRACE\", \"errnoRet\": 7}]}";
  auto r = resolve_text(text, RuleCombination::kMostRestrictive);
  ASSERT_TRUE(r) << r.error().message;
  const auto found = conflicts(*r);
  ASSERT_EQ(found.size(), 2u);
  EXPECT_EQ(found[0]->message,
            "t.json:3:3: syscalls[0] (ALLOW) and t.json:4:3: syscalls[1] (ERRNO(1)) both match newfstatat on x86_64, "
            "e.g. with arguments (0x0, 0x0, 0x0, 0x0, 0x0, 0x0): sysfence answers ERRNO(1) (the most restrictive "
            "matching rule); libseccomp, and so runc, Docker and Podman, answers ALLOW (its first unconditional rule "
            "for a syscall wins)");
  EXPECT_EQ(found[1]->message,
            "t.json:5:3: syscalls[2] (ERRNO(2)) and t.json:6:3: syscalls[3] (TRACE(7)) both match waitpid on i386, "
            "e.g. with arguments (0x0, 0x0, 0x0, 0x0, 0x0, 0x0): sysfence answers ERRNO(2) (the most restrictive "
            "matching rule); libseccomp, and so runc, Docker and Podman, answers ERRNO(2) (its first unconditional "
            "rule for a syscall wins)");
}

TEST(RuleDatabase, ConflictsAreReportedUpToTheCap) {
  // 150 entries for read, each a different errno on all inputs: every pair
  // conflicts; the first kMaxReports are reported and a note says so.
  std::string text = R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [)";
  for (int i = 1; i <= 150; ++i)
    text += fmt::format("{}{{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": {}}}",
                        i == 1 ? "" : ",", i);
  text += "]}";
  auto r = resolve_text(text, RuleCombination::kMostRestrictive);
  ASSERT_TRUE(r);
  EXPECT_EQ(conflicts(*r).size(), RuleDatabase::kMaxReports);
  EXPECT_TRUE(std::any_of(r->notes.begin(), r->notes.end(), [](const std::string& n) {
    return n.find("has more rules than sysfence compares for conflicts") != std::string::npos;
  }));
  // libseccomp keeps the first: ERRNO(1).
  auto lib = resolve_text(text, RuleCombination::kLibseccompDatabase);
  ASSERT_TRUE(lib);
  EXPECT_EQ(answer(*lib, ArchId::kX86_64, "read"), Action::Errno(1));
}

// containers-common allows setns in its big allow list (syscalls[1]) and
// denies it with EPERM in a later entry kept with Docker's default
// capabilities: Podman (libseccomp) ALLOWs it.
TEST(RuleDatabase, ContainersCommonSetnsIsAllowedAsPodmanDoes) {
  const std::string text = testing::read_data_file(testing::kContainersCommon);
  auto p = read_profile(text, "containers-common.json");
  ASSERT_TRUE(p);
  for (ArchId abi : {ArchId::kX86_64, ArchId::kAarch64, ArchId::kS390x}) {
    auto lib = resolve(p->profile, options(RuleCombination::kLibseccompDatabase, abi));
    ASSERT_TRUE(lib) << lib.error().message;
    EXPECT_EQ(answer(*lib, abi, "setns"), Action::Allow()) << syscalls::arch(abi).name;
    auto own = resolve(p->profile, options(RuleCombination::kMostRestrictive, abi));
    ASSERT_TRUE(own);
    EXPECT_EQ(answer(*own, abi, "setns"), Action::Errno(1));
    const auto found = conflicts(*own);
    EXPECT_TRUE(std::any_of(found.begin(), found.end(), [](const Warning* w) { return w->syscall == "setns"; }));
  }
}

// libseccomp's regression test 43-sim-a2_order: read with a2 <= 64 ALLOW,
// a2 > 128 ERRNO(5), a2 > 256 ERRNO(6). sysfence answers read(..., 257)
// with ERRNO(5) (both match; the lower errno is the more restrictive);
// libseccomp's tree tests the larger bound first and answers ERRNO(6); the
// warning says so, and --rule-combination libseccomp follows the tree.
TEST(RuleDatabase, OverlappingRangesFollowTheTreeOrder) {
  constexpr std::string_view text = R"({"defaultAction": "SCMP_ACT_KILL", "syscalls": [
    {"names": ["read"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 2, "value": 64, "op": "SCMP_CMP_LE"}]},
    {"names": ["read"], "action": "SCMP_ACT_ERRNO", "errnoRet": 5, "args": [{"index": 2, "value": 128, "op": "SCMP_CMP_GT"}]},
    {"names": ["read"], "action": "SCMP_ACT_ERRNO", "errnoRet": 6, "args": [{"index": 2, "value": 256, "op": "SCMP_CMP_GT"}]}]})";
  auto own = resolve_text(text, RuleCombination::kMostRestrictive);
  ASSERT_TRUE(own);
  EXPECT_EQ(answer(*own, ArchId::kX86_64, "read", {4, 0, 257}), Action::Errno(5));
  EXPECT_EQ(answer(*own, ArchId::kX86_64, "read", {4, 0, 64}), Action::Allow());
  EXPECT_EQ(answer(*own, ArchId::kX86_64, "read", {4, 0, 65}), Action::KillThread());
  // Only the two GT rules overlap (a2 <= 64 meets neither).
  const auto found = conflicts(*own);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0]->rule.entry, 1u);
  EXPECT_EQ(found[0]->other.entry, 2u);
  EXPECT_EQ(found[0]->witness[2], 257u);
  EXPECT_EQ(found[0]->libseccomp, Action::Errno(6));
  EXPECT_NE(found[0]->message.find("the first path of its rule tree that matches decides"), std::string::npos)
      << found[0]->message;
  auto lib = resolve_text(text, RuleCombination::kLibseccompDatabase);
  ASSERT_TRUE(lib);
  EXPECT_TRUE(lib->notes.empty());
  EXPECT_EQ(answer(*lib, ArchId::kX86_64, "read", {4, 0, 257}), Action::Errno(6));
  EXPECT_EQ(answer(*lib, ArchId::kX86_64, "read", {4, 0, 64}), Action::Allow());
  EXPECT_EQ(answer(*lib, ArchId::kX86_64, "read", {4, 0, 65}), Action::KillThread());
}

// A profile of `read` rules, each one comparison of a2, in this order.
std::string read_a2_rules(std::initializer_list<std::tuple<std::string_view, uint64_t, std::string_view>> rules) {
  std::string text = R"({"defaultAction": "SCMP_ACT_KILL", "syscalls": [)";
  bool first = true;
  for (const auto& [op, value, action] : rules) {
    text += fmt::format(R"({}{{"names": ["read"], {}, "args": [{{"index": 2, "value": {}, "op": "SCMP_CMP_{}"}}]}})",
                        first ? "" : ", ", action, value, op);
    first = false;
  }
  return text + "]}";
}

constexpr std::string_view kErrno5 = R"("action": "SCMP_ACT_ERRNO", "errnoRet": 5)";
constexpr std::string_view kErrno6 = R"("action": "SCMP_ACT_ERRNO", "errnoRet": 6)";
constexpr std::string_view kErrno2 = R"("action": "SCMP_ACT_ERRNO", "errnoRet": 2)";
constexpr std::string_view kTrap = R"("action": "SCMP_ACT_TRAP")";
constexpr std::string_view kAllow = R"("action": "SCMP_ACT_ALLOW")";

bool has_tree_note(const Resolution& r) {
  return std::any_of(r.notes.begin(), r.notes.end(), [](const std::string& n) {
    return n.find("overlap with different actions") != std::string::npos;
  });
}

// The heart of libseccomp's 43-sim-a2_order: a2 > 128 ERRNO(5), then
// a2 > 256 ERRNO(6). The tree tests the larger bound first, so 257 and
// beyond (any high word) answer ERRNO(6); sysfence's own combination takes
// the more restrictive ERRNO(5).
TEST(RuleDatabaseTree, TheLargerLowerBoundIsTestedFirst) {
  const std::string text = read_a2_rules({{"GT", 128, kErrno5}, {"GT", 256, kErrno6}});
  for (ArchId abi : {ArchId::kX86_64, ArchId::kI386}) {
    auto lib = resolve_text(text, RuleCombination::kLibseccompDatabase, abi);
    ASSERT_TRUE(lib);
    EXPECT_FALSE(has_tree_note(*lib));
    EXPECT_EQ(answer(*lib, abi, "read", {0, 0, 128}), Action::KillThread());
    EXPECT_EQ(answer(*lib, abi, "read", {0, 0, 129}), Action::Errno(5));
    EXPECT_EQ(answer(*lib, abi, "read", {0, 0, 256}), Action::Errno(5));
    EXPECT_EQ(answer(*lib, abi, "read", {0, 0, 257}), Action::Errno(6));
    EXPECT_EQ(answer(*lib, abi, "read", {0, 0, 0xffffffff}), Action::Errno(6));
  }
  auto lib = resolve_text(text, RuleCombination::kLibseccompDatabase);
  ASSERT_TRUE(lib);
  EXPECT_EQ(answer(*lib, ArchId::kX86_64, "read", {0, 0, 0x100000000}), Action::Errno(6));
  const auto found = conflicts(*lib);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0]->libseccomp, Action::Errno(6));
  EXPECT_EQ(found[0]->most_restrictive, Action::Errno(5));
  auto own = resolve_text(text, RuleCombination::kMostRestrictive);
  ASSERT_TRUE(own);
  EXPECT_EQ(answer(*own, ArchId::kX86_64, "read", {0, 0, 257}), Action::Errno(5));
}

// Equal operands keep the order they were added in: a2 >= 256 before a2 > 256
// or the other way round.
TEST(RuleDatabaseTree, EqualBoundsAreTestedInTheOrderAdded) {
  auto ge_first =
      resolve_text(read_a2_rules({{"GE", 256, kErrno5}, {"GT", 256, kErrno6}}), RuleCombination::kLibseccompDatabase);
  ASSERT_TRUE(ge_first);
  EXPECT_EQ(answer(*ge_first, ArchId::kX86_64, "read", {0, 0, 256}), Action::Errno(5));
  EXPECT_EQ(answer(*ge_first, ArchId::kX86_64, "read", {0, 0, 257}), Action::Errno(5));
  EXPECT_EQ(answer(*ge_first, ArchId::kX86_64, "read", {0, 0, 0x100000000}), Action::Errno(5));
  auto gt_first =
      resolve_text(read_a2_rules({{"GT", 256, kErrno6}, {"GE", 256, kErrno5}}), RuleCombination::kLibseccompDatabase);
  ASSERT_TRUE(gt_first);
  EXPECT_EQ(answer(*gt_first, ArchId::kX86_64, "read", {0, 0, 256}), Action::Errno(5));
  EXPECT_EQ(answer(*gt_first, ArchId::kX86_64, "read", {0, 0, 257}), Action::Errno(6));
  EXPECT_EQ(answer(*gt_first, ArchId::kX86_64, "read", {0, 0, 0x100000000}), Action::Errno(6));
}

// An input whose high word equals a bound's but whose low word no comparison
// of that high word accepts falls through to the next, smaller high word,
// whose "high word greater" test then holds.
TEST(RuleDatabaseTree, AFailedHighWordFallsThroughToTheNextOne) {
  auto lib = resolve_text(read_a2_rules({{"GT", 0x100000005, kErrno6}, {"GT", 128, kErrno5}}),
                          RuleCombination::kLibseccompDatabase);
  ASSERT_TRUE(lib);
  EXPECT_FALSE(has_tree_note(*lib));
  EXPECT_EQ(answer(*lib, ArchId::kX86_64, "read", {0, 0, 200}), Action::Errno(5));
  EXPECT_EQ(answer(*lib, ArchId::kX86_64, "read", {0, 0, 0x100000003}), Action::Errno(5));
  EXPECT_EQ(answer(*lib, ArchId::kX86_64, "read", {0, 0, 0x100000005}), Action::Errno(5));
  EXPECT_EQ(answer(*lib, ArchId::kX86_64, "read", {0, 0, 0x100000006}), Action::Errno(6));
  EXPECT_EQ(answer(*lib, ArchId::kX86_64, "read", {0, 0, 0x200000000}), Action::Errno(6));
}

// Bounds with one high word share the node "high word > H"; it keeps the
// action of the first rule added unless a later rule's whole operand is
// larger than that first rule's (the node still compares against the first
// one's): a2 > 1 ERRNO(2), a2 >= 128 TRAP, a2 > 2 ALLOW leaves ALLOW there,
// though TRAP's bound is the largest. Real libseccomp answers the same.
TEST(RuleDatabaseTree, ASharedHighWordNodeTakesTheLastLargerOperandsAction) {
  const std::string text = read_a2_rules({{"GT", 1, kErrno2}, {"GE", 128, kTrap}, {"GT", 2, kAllow}});
  auto lib = resolve_text(text, RuleCombination::kLibseccompDatabase);
  ASSERT_TRUE(lib);
  EXPECT_EQ(answer(*lib, ArchId::kX86_64, "read", {0, 0, 1}), Action::KillThread());
  EXPECT_EQ(answer(*lib, ArchId::kX86_64, "read", {0, 0, 2}), Action::Errno(2));
  EXPECT_EQ(answer(*lib, ArchId::kX86_64, "read", {0, 0, 3}), Action::Allow());
  EXPECT_EQ(answer(*lib, ArchId::kX86_64, "read", {0, 0, 128}), Action::Trap());
  EXPECT_EQ(answer(*lib, ArchId::kX86_64, "read", {0, 0, 0xffffffff}), Action::Trap());
  EXPECT_EQ(answer(*lib, ArchId::kX86_64, "read", {0, 0, 0x100000000}), Action::Allow());
  // One word on the 32-bit ABIs: no high-word node, the largest bound first.
  auto i386 = resolve_text(text, RuleCombination::kLibseccompDatabase, ArchId::kI386);
  ASSERT_TRUE(i386);
  EXPECT_EQ(answer(*i386, ArchId::kI386, "read", {0, 0, 0xffffffff}), Action::Trap());
  EXPECT_EQ(answer(*i386, ArchId::kI386, "read", {0, 0, 3}), Action::Allow());
}

// Where libseccomp 2.5's code generation compares the wrong word — a failed
// low-word test falls through to the next high-word test, which the layout
// placed behind the node before it and so did not reload — sysfence follows
// the filter: a2 = 0x80000000 matches no rule, but its low word reaches the
// "high word > 2" test and passes it (real libseccomp answers ALLOW there
// too; libseccomp_codegen_test has more).
TEST(RuleDatabaseTree, AStaleAccumulatorIsWhatTheFilterCompares) {
  auto lib =
      resolve_text(read_a2_rules({{"GT", 0x200000005, kAllow}, {"LE", 0x7fffffff, kTrap}, {"GE", 0x1ffffffff, kAllow}}),
                   RuleCombination::kLibseccompDatabase);
  ASSERT_TRUE(lib);
  EXPECT_FALSE(std::any_of(lib->notes.begin(), lib->notes.end(),
                           [](const std::string& n) { return n.find("does not model") != std::string::npos; }));
  EXPECT_TRUE(std::any_of(lib->notes.begin(), lib->notes.end(),
                          [](const std::string& n) { return n.find("another argument word") != std::string::npos; }));
  EXPECT_EQ(answer(*lib, ArchId::kX86_64, "read", {0, 0, 0x80000000}), Action::Allow());
  EXPECT_EQ(answer(*lib, ArchId::kX86_64, "read", {0, 0, 0x7fffffff}), Action::Trap());
  EXPECT_EQ(answer(*lib, ArchId::kX86_64, "read", {0, 0, 0x100000000}), Action::KillThread());
  EXPECT_EQ(answer(*lib, ArchId::kX86_64, "read", {0, 0, 0x1ffffffff}), Action::Allow());
}

// libseccomp's tests/43-sim-a2_order whole: a2 <= 64 ALLOW, then > 128, 256,
// 512, 1024, 2048, 4096, 8192 and 16536 with ERRNO(5) to ERRNO(12). All the
// > rules share the <= rule's "high word > 0" node, whose action each later
// rule with a larger operand takes over (ERRNO(12) last); on the low word the
// <= test comes first (it fails over 64 and falls through), then the > tests,
// the larger bound first.
TEST(RuleDatabaseTree, LibseccompsA2OrderTestWhole) {
  std::string text = R"({"defaultAction": "SCMP_ACT_KILL", "architectures": ["SCMP_ARCH_NATIVE"], "syscalls": [)";
  text +=
      R"({"names": ["read"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 2, "value": 64, "op": "SCMP_CMP_LE"}]})";
  const uint64_t bounds[] = {128, 256, 512, 1024, 2048, 4096, 8192, 16536};
  for (size_t k = 0; k < 8; ++k)
    text += fmt::format(
        R"(, {{"names": ["read"], "action": "SCMP_ACT_ERRNO", "errnoRet": {}, "args": [{{"index": 2, "value": {}, "op": "SCMP_CMP_GT"}}]}})",
        k + 5, bounds[k]);
  text += "]}";
  for (ArchId abi : {ArchId::kX86_64, ArchId::kI386}) {
    auto lib = resolve_text(text, RuleCombination::kLibseccompDatabase, abi);
    ASSERT_TRUE(lib);
    EXPECT_TRUE(lib->notes.empty()) << lib->notes.front();
    EXPECT_EQ(answer(*lib, abi, "read", {0, 0, 0}), Action::Allow());
    EXPECT_EQ(answer(*lib, abi, "read", {0, 0, 64}), Action::Allow());
    EXPECT_EQ(answer(*lib, abi, "read", {0, 0, 65}), Action::KillThread());  // the hole
    EXPECT_EQ(answer(*lib, abi, "read", {0, 0, 128}), Action::KillThread());
    EXPECT_EQ(answer(*lib, abi, "read", {0, 0, 129}), Action::Errno(5));
    EXPECT_EQ(answer(*lib, abi, "read", {0, 0, 257}), Action::Errno(6));
    EXPECT_EQ(answer(*lib, abi, "read", {0, 0, 4097}), Action::Errno(10));
    EXPECT_EQ(answer(*lib, abi, "read", {0, 0, 16536}), Action::Errno(11));
    EXPECT_EQ(answer(*lib, abi, "read", {0, 0, 16537}), Action::Errno(12));
    EXPECT_EQ(answer(*lib, abi, "read", {0, 0, 0xffffffff}), Action::Errno(12));
  }
  auto lib = resolve_text(text, RuleCombination::kLibseccompDatabase);
  ASSERT_TRUE(lib);
  EXPECT_EQ(answer(*lib, ArchId::kX86_64, "read", {0, 0, 0x100000000}), Action::Errno(12));
  EXPECT_EQ(answer(*lib, ArchId::kX86_64, "read", {0, 0, 0x100000040}), Action::Errno(12));
}

bool has_unmodelled_note(const Resolution& r) {
  return std::any_of(r.notes.begin(), r.notes.end(),
                     [](const std::string& n) { return n.find("does not model") != std::string::npos; });
}

// Ordered comparisons next to masked ones on 64-bit arguments split, read
// back, into more pieces than the tree model takes (kMaxMaskedOrderConditions):
// where such rules overlap with another action, libseccomp's tree order
// decides and sysfence takes the most restrictive. Asked for libseccomp's
// database, that gap is a warning (Resolution::unmodelled_combination), not
// only a note, and the conflict warning calls the most restrictive answer
// sysfence's own semantics, not this filter's. (Shrunk from a generated
// profile of 70 conditions on ioctl.)
constexpr std::string_view kBeyondTheTreeModel = R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
  {"names": ["ioctl"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 1, "op": "SCMP_CMP_EQ", "value": 40982}]},
  {"names": ["ioctl"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "op": "SCMP_CMP_MASKED_EQ", "value": 65280,
   "valueTwo": 0}, {"index": 2, "op": "SCMP_CMP_EQ", "value": 463030}, {"index": 3, "op": "SCMP_CMP_GT", "value": 303465}]},
  {"names": ["ioctl"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13, "args": [{"index": 1, "op": "SCMP_CMP_EQ",
   "value": 291167}]},
  {"names": ["ioctl"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "op": "SCMP_CMP_EQ", "value": 897758}]},
  {"names": ["ioctl"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "op": "SCMP_CMP_EQ", "value": 1027749},
   {"index": 3, "op": "SCMP_CMP_MASKED_EQ", "value": 65280, "valueTwo": 0}]},
  {"names": ["ioctl"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 2, "op": "SCMP_CMP_GT", "value": 321836},
   {"index": 3, "op": "SCMP_CMP_EQ", "value": 1002313}]},
  {"names": ["ioctl"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "op": "SCMP_CMP_EQ", "value": 951699}]},
  {"names": ["ioctl"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 2, "op": "SCMP_CMP_EQ", "value": 357926}]},
  {"names": ["ioctl"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "op": "SCMP_CMP_GT", "value": 1010889}]}]})";

bool mentions(const std::vector<const Warning*>& ws, std::string_view what) {
  return std::any_of(ws.begin(), ws.end(), [&](const Warning* w) { return w->message.find(what) != std::string::npos; });
}

TEST(RuleDatabase, AnUnmodelledTreeOrderIsAWarningUnderLibseccompsDatabase) {
  auto lib = resolve_text(kBeyondTheTreeModel, RuleCombination::kLibseccompDatabase);
  ASSERT_TRUE(lib) << lib.error().message;
  ASSERT_EQ(lib->unmodelled_combination.size(), 1u);
  EXPECT_NE(lib->unmodelled_combination[0].find("ioctl (x86_64)"), std::string::npos);
  EXPECT_NE(lib->unmodelled_combination[0].find("does not model"), std::string::npos);
  EXPECT_TRUE(has_unmodelled_note(*lib));
  EXPECT_TRUE(mentions(conflicts(*lib), "sysfence's own semantics answers ERRNO(13)"));
  EXPECT_FALSE(mentions(conflicts(*lib), ": sysfence answers"));

  auto own = resolve_text(kBeyondTheTreeModel, RuleCombination::kMostRestrictive);
  ASSERT_TRUE(own) << own.error().message;
  EXPECT_TRUE(own->unmodelled_combination.empty());
  EXPECT_TRUE(mentions(conflicts(*own), ": sysfence answers ERRNO(13)"));
  EXPECT_FALSE(mentions(conflicts(*own), "own semantics"));
}

// A tree the model reads back leaves no such warning: the policy is
// libseccomp's answer.
TEST(RuleDatabase, AModelledTreeLeavesNoUnmodelledWarning) {
  constexpr std::string_view text = R"({"defaultAction": "SCMP_ACT_KILL_PROCESS", "syscalls": [
    {"names": ["read"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 5, "op": "SCMP_CMP_GT"}]},
    {"names": ["read"], "action": "SCMP_ACT_ERRNO", "errnoRet": 2, "args": [
      {"index": 0, "value": 7, "op": "SCMP_CMP_EQ"}]}]})";
  auto lib = resolve_text(text, RuleCombination::kLibseccompDatabase);
  ASSERT_TRUE(lib) << lib.error().message;
  EXPECT_TRUE(lib->unmodelled_combination.empty()) << lib->unmodelled_combination.front();
  EXPECT_FALSE(has_unmodelled_note(*lib));
}

// == before >: a2 > 5 ERRNO(2) added first, then a2 == 7 ALLOW; the == test
// comes first on the level, so 7 answers ALLOW (sysfence's own combination:
// the more restrictive ERRNO(2)), 6 and 8 ERRNO(2). On x86_64 a failed
// low-word == falls through to the high-word > test, which the layout
// places behind it and so reloads the high word: the rules' own answers.
TEST(RuleDatabaseTree, EqualsIsTestedBeforeGreater) {
  const std::string text = read_a2_rules({{"GT", 5, kErrno2}, {"EQ", 7, kAllow}});
  auto lib = resolve_text(text, RuleCombination::kLibseccompDatabase, ArchId::kI386);
  ASSERT_TRUE(lib);
  EXPECT_FALSE(has_unmodelled_note(*lib));
  EXPECT_EQ(answer(*lib, ArchId::kI386, "read", {0, 0, 7}), Action::Allow());
  EXPECT_EQ(answer(*lib, ArchId::kI386, "read", {0, 0, 6}), Action::Errno(2));
  EXPECT_EQ(answer(*lib, ArchId::kI386, "read", {0, 0, 8}), Action::Errno(2));
  EXPECT_EQ(answer(*lib, ArchId::kI386, "read", {0, 0, 5}), Action::KillThread());
  auto own = resolve_text(text, RuleCombination::kMostRestrictive, ArchId::kI386);
  ASSERT_TRUE(own);
  EXPECT_EQ(answer(*own, ArchId::kI386, "read", {0, 0, 7}), Action::Errno(2));
  auto wide = resolve_text(text, RuleCombination::kLibseccompDatabase);
  ASSERT_TRUE(wide);
  EXPECT_FALSE(has_unmodelled_note(*wide));
  EXPECT_EQ(answer(*wide, ArchId::kX86_64, "read", {0, 0, 7}), Action::Allow());
  EXPECT_EQ(answer(*wide, ArchId::kX86_64, "read", {0, 0, 6}), Action::Errno(2));
  EXPECT_EQ(answer(*wide, ArchId::kX86_64, "read", {0, 0, 5}), Action::KillThread());
  EXPECT_EQ(answer(*wide, ArchId::kX86_64, "read", {0, 0, 0x100000007}), Action::Errno(2));
}

// Two arguments: a0 == 1 ERRNO(2), then a1 == 2 ALLOW. The higher argument
// is tested first, so (1, 2) answers ALLOW (sysfence's own combination: the
// more restrictive ERRNO(2)); (1, 3) falls through to a0 == 1.
TEST(RuleDatabaseTree, TheHigherArgumentIsTestedFirst) {
  constexpr std::string_view text = R"({"defaultAction": "SCMP_ACT_KILL", "syscalls": [
    {"names": ["read"], "action": "SCMP_ACT_ERRNO", "errnoRet": 2, "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_EQ"}]},
    {"names": ["read"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 1, "value": 2, "op": "SCMP_CMP_EQ"}]}]})";
  auto lib = resolve_text(text, RuleCombination::kLibseccompDatabase, ArchId::kI386);
  ASSERT_TRUE(lib);
  EXPECT_FALSE(has_unmodelled_note(*lib));
  EXPECT_EQ(answer(*lib, ArchId::kI386, "read", {1, 2, 0}), Action::Allow());
  EXPECT_EQ(answer(*lib, ArchId::kI386, "read", {1, 3, 0}), Action::Errno(2));
  EXPECT_EQ(answer(*lib, ArchId::kI386, "read", {0, 2, 0}), Action::Allow());
  EXPECT_EQ(answer(*lib, ArchId::kI386, "read", {0, 3, 0}), Action::KillThread());
  auto own = resolve_text(text, RuleCombination::kMostRestrictive, ArchId::kI386);
  ASSERT_TRUE(own);
  EXPECT_EQ(answer(*own, ArchId::kI386, "read", {1, 2, 0}), Action::Errno(2));
}

// A MASKED_EQ whose mask has no bit in the low word tests nothing on a
// 32-bit ABI: libseccomp writes no comparison, so the rule is unconditional
// there and, being the first, wins; on x86_64 it tests bit 32 and the later
// unconditional rule replaces it.
TEST(RuleDatabaseTree, AMaskWithoutLowBitsIsUnconditionalOnA32BitAbi) {
  constexpr std::string_view text = R"({"defaultAction": "SCMP_ACT_KILL", "syscalls": [
    {"names": ["read"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 2, "value": 4294967296, "valueTwo": 0, "op": "SCMP_CMP_MASKED_EQ"}]},
    {"names": ["read"], "action": "SCMP_ACT_ERRNO", "errnoRet": 2}]})";
  auto i386 = resolve_text(text, RuleCombination::kLibseccompDatabase, ArchId::kI386);
  ASSERT_TRUE(i386);
  EXPECT_EQ(answer(*i386, ArchId::kI386, "read", {0, 0, 0}), Action::Allow());
  EXPECT_EQ(answer(*i386, ArchId::kI386, "read", {0, 0, 5}), Action::Allow());
  auto own = resolve_text(text, RuleCombination::kMostRestrictive, ArchId::kI386);
  ASSERT_TRUE(own);
  EXPECT_EQ(answer(*own, ArchId::kI386, "read", {0, 0, 0}), Action::Errno(2));
  auto wide = resolve_text(text, RuleCombination::kLibseccompDatabase);
  ASSERT_TRUE(wide);
  EXPECT_EQ(answer(*wide, ArchId::kX86_64, "read", {0, 0, 0}), Action::Errno(2));
}

TEST(RuleDatabaseDirect, FatesInOrder) {
  auto rule = [](Action a, std::vector<policy::ArgCondition> conds, uint32_t entry) {
    policy::Rule r{a, std::move(conds), {}};
    r.source.entry = entry;
    return r;
  };
  const policy::ArgCondition a0eq1{0, CmpOp::kEq, 1, 0, policy::ArgWidth::k64};
  const policy::ArgCondition a1eq2{1, CmpOp::kEq, 2, 0, policy::ArgWidth::k64};
  const std::vector<policy::Rule> rules{
      rule(Action::Errno(1), {a0eq1}, 0),        // kept
      rule(Action::Errno(1), {a0eq1}, 1),        // duplicate
      rule(Action::Allow(), {a1eq2, a0eq1}, 2),  // extends rule 0
      rule(Action::Trap(), {a1eq2}, 3),          // kept (overlaps rule 0: tree order)
  };
  const DatabaseResult db = libseccomp_database(rules);
  EXPECT_FALSE(db.refused);
  EXPECT_EQ(db.fates, (std::vector<DatabaseFate>{DatabaseFate::kKept, DatabaseFate::kDuplicate,
                                                 DatabaseFate::kExtendsEarlier, DatabaseFate::kKept}));
  EXPECT_TRUE(db.tree_order_decides);
}

// Rules of one action whose program matches what they match stay as
// written; the question costs steps of a budget shared across syscalls, and
// where none is left the program's paths are taken (the filter's answer
// either way).
TEST(RuleDatabaseDirect, OneActionRulesChargeASharedBudget) {
  const policy::ArgCondition a0eq1{0, CmpOp::kEq, 1, 0, policy::ArgWidth::k64};
  const policy::ArgCondition a1eq2{1, CmpOp::kEq, 2, 0, policy::ArgWidth::k64};
  const std::vector<policy::Rule> rules{{Action::Errno(1), {a0eq1}, {}}, {Action::Errno(1), {a1eq2}, {}}};
  size_t budget = kMaxCoverSteps * 3;
  const DatabaseResult kept = libseccomp_database(rules, 64, true, &budget);
  EXPECT_FALSE(kept.tree.has_value());
  EXPECT_LT(budget, kMaxCoverSteps * 3);  // charged
  EXPECT_GT(budget, 0u);
  size_t none = 0;
  const DatabaseResult spent = libseccomp_database(rules, 64, true, &none);
  ASSERT_TRUE(spent.tree.has_value());
  EXPECT_FALSE(spent.merged);  // undecided, not found to differ
  EXPECT_EQ(none, 0u);
}

// The conflict warnings of random small rule sets against a quadratic oracle
// written out here: every pair of entries (earlier, later) whose actions
// differ and which some input matches both, in order. The operands are below
// 8, so an argument's conditions hold for some value iff they hold for one
// of 0..15 (above 7 every operator answers alike, masks look at 3 bits).
struct RandomCondition {
  uint8_t index;
  std::string_view op;
  uint64_t value;
  uint64_t two;
};

bool holds_by_hand(const RandomCondition& c, uint64_t x) {
  if (c.op == "SCMP_CMP_EQ") return x == c.value;
  if (c.op == "SCMP_CMP_NE") return x != c.value;
  if (c.op == "SCMP_CMP_LT") return x < c.value;
  if (c.op == "SCMP_CMP_LE") return x <= c.value;
  if (c.op == "SCMP_CMP_GE") return x >= c.value;
  if (c.op == "SCMP_CMP_GT") return x > c.value;
  return (x & c.value) == (c.two & c.value);  // SCMP_CMP_MASKED_EQ
}

bool overlap_by_hand(const std::vector<RandomCondition>& a, const std::vector<RandomCondition>& b) {
  for (uint8_t index = 0; index < 6; ++index) {
    bool some = false;
    for (uint64_t x = 0; x < 16 && !some; ++x) {
      some = true;
      for (const auto* rule : {&a, &b})
        for (const RandomCondition& c : *rule) some = some && (c.index != index || holds_by_hand(c, x));
    }
    if (!some) return false;
  }
  return true;
}

TEST(RuleDatabase, ConflictWarningsAgreeWithEveryPairComparedByHand) {
  std::mt19937 rng(11);
  auto pick = [&](uint32_t n) { return std::uniform_int_distribution<uint32_t>(0, n - 1)(rng); };
  constexpr std::string_view kOps[] = {"SCMP_CMP_EQ", "SCMP_CMP_NE", "SCMP_CMP_LT",       "SCMP_CMP_LE",
                                       "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ"};
  constexpr std::string_view kActions[] = {"SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_TRAP", "SCMP_ACT_LOG"};
  size_t total = 0;
  for (int round = 0; round < 150; ++round) {
    // At most 13 entries: 78 pairs, below the cap of reports.
    const size_t n = 2 + pick(12);
    std::vector<std::vector<RandomCondition>> rules(n);
    std::vector<uint32_t> actions(n);
    std::string text =
        R"({"defaultAction": "SCMP_ACT_KILL_PROCESS", "architectures": ["SCMP_ARCH_X86_64"], "syscalls": [)";
    for (size_t i = 0; i < n; ++i) {
      actions[i] = pick(4);
      // Each argument at most once (an entry repeating one is split by runc).
      std::vector<uint8_t> args{0, 1, 2};
      std::shuffle(args.begin(), args.end(), rng);
      std::string conds;
      for (size_t k = 0, count = pick(4); k < count; ++k) {
        RandomCondition c{args[k], kOps[pick(7)], pick(8), pick(8)};
        rules[i].push_back(c);
        conds += fmt::format(R"({}{{"index": {}, "op": "{}", "value": {}, "valueTwo": {}}})", k ? ", " : "", c.index,
                             c.op, c.value, c.two);
      }
      text += fmt::format(R"({}{{"names": ["personality"], "action": "{}", "errnoRet": 1, "args": [{}]}})",
                          i ? ", " : "", kActions[actions[i]], conds);
    }
    text += "]}";
    SCOPED_TRACE(text);
    std::vector<std::pair<uint32_t, uint32_t>> expected;
    for (size_t i = 0; i < n; ++i)
      for (size_t j = i + 1; j < n; ++j)
        if (actions[i] != actions[j] && overlap_by_hand(rules[i], rules[j])) expected.emplace_back(i, j);
    auto r = resolve_text(text, RuleCombination::kMostRestrictive);
    ASSERT_TRUE(r) << r.error().message;
    std::vector<std::pair<uint32_t, uint32_t>> found;
    for (const Warning* w : conflicts(*r)) {
      found.emplace_back(w->rule.entry, w->other.entry);
      for (const auto* rule : {&rules[w->rule.entry], &rules[w->other.entry]})
        for (const RandomCondition& c : *rule) EXPECT_TRUE(holds_by_hand(c, w->witness[c.index]));
      // sysfence's answer there: the most restrictive entry matching the
      // witness (the kernel's order: TRAP, ERRNO, LOG, ALLOW).
      constexpr int kRank[] = {0, 2, 3, 1};  // by kActions index
      const Action kAction[] = {Action::Allow(), Action::Errno(1), Action::Trap(), Action::Log()};
      int best = -1;
      for (size_t i = 0; i < n; ++i) {
        bool all = true;
        for (const RandomCondition& c : rules[i]) all = all && holds_by_hand(c, w->witness[c.index]);
        if (all && (best < 0 || kRank[actions[i]] > kRank[best])) best = static_cast<int>(actions[i]);
      }
      ASSERT_GE(best, 0);
      EXPECT_EQ(w->most_restrictive, kAction[best]);
    }
    EXPECT_EQ(found, expected);
    total += expected.size();
  }
  EXPECT_GT(total, 300u);  // the rule sets do conflict
}

}  // namespace
}  // namespace sysfence::profile
