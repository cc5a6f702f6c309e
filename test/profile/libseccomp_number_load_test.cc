// libseccomp 2.5.4 writes no load of the syscall number for an ABI whose
// first syscall in its order of priority has only a pseudo number there
// (profile/resolve_number_load.cc): its filter answers every call of that
// ABI with the default action, and so does the policy under libseccomp's
// semantics. The node counts and every expectation below were read off the
// real libseccomp 2.5.4 (python3-seccomp: export_pfc's "[priority: N]" is
// 0xffff minus the count; export_bpf read with `sysfence disasm`, and the
// filters proved equal to these policies with `sysfence verify`).
#include <gtest/gtest.h>

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "policy/policy.h"
#include "profile/explain.h"
#include "profile/libseccomp_tree.h"
#include "profile/reader.h"
#include "profile/resolve.h"
#include "test/profile/libseccomp_semantics.h"
#include "syscalls/arch.h"
#include "syscalls/table.h"

namespace sysfence::profile {
namespace {

using policy::ArgCondition;
using policy::ArgWidth;
using policy::CmpOp;
using syscalls::ArchId;

policy::Rule rule(std::vector<ArgCondition> conditions) {
  policy::Rule r;
  r.action = Action::KillThread();
  r.conditions = std::move(conditions);
  return r;
}

ArgCondition wide(uint8_t index, CmpOp op, uint64_t value, uint64_t datum = 0) {
  return ArgCondition{index, op, value, datum, ArgWidth::k64};
}

TEST(LibseccompNodeCount, AsLibseccompCountsThem) {
  struct Case {
    const char* what;
    std::vector<policy::Rule> rules;
    unsigned word_bits;
    int64_t nodes;
  };
  const std::vector<Case> cases = {
      {"unconditional", {rule({})}, 64, 0},
      {"== on a 64-bit ABI: high and low word", {rule({wide(0, CmpOp::kEq, 5)})}, 64, 2},
      {"!=", {rule({wide(0, CmpOp::kNe, 5)})}, 64, 2},
      {">", {rule({wide(0, CmpOp::kGt, 5)})}, 64, 3},
      {">=", {rule({wide(0, CmpOp::kGe, 5)})}, 64, 3},
      {"<", {rule({wide(0, CmpOp::kLt, 5)})}, 64, 3},
      {"<=", {rule({wide(0, CmpOp::kLe, 5)})}, 64, 3},
      {"masked ==, low bits only", {rule({wide(0, CmpOp::kMaskedEq, 0xff, 3)})}, 64, 2},
      {"== above 32 bits", {rule({wide(0, CmpOp::kEq, 0x100000005)})}, 64, 2},
      {"two == on one argument share the high word", {rule({wide(0, CmpOp::kEq, 1)}), rule({wide(0, CmpOp::kEq, 2)})},
       64, 3},
      {"two rules sharing their first condition",
       {rule({wide(0, CmpOp::kEq, 1), wide(1, CmpOp::kEq, 2)}), rule({wide(0, CmpOp::kEq, 1), wide(1, CmpOp::kEq, 3)})},
       64, 5},
      {"a shorter rule prunes the longer one",
       {rule({wide(0, CmpOp::kEq, 1), wide(1, CmpOp::kEq, 2)}), rule({wide(0, CmpOp::kEq, 1)})}, 64, 2},
      {"a longer rule after a shorter one is dropped",
       {rule({wide(0, CmpOp::kEq, 1)}), rule({wide(0, CmpOp::kEq, 1), wide(1, CmpOp::kEq, 2)})}, 64, 2},
      {"two > bounds", {rule({wide(0, CmpOp::kGt, 1)}), rule({wide(0, CmpOp::kGt, 7)})}, 64, 4},
      {"== on a 32-bit ABI: one word", {rule({ArgCondition{0, CmpOp::kEq, 5, 0, ArgWidth::k32}})}, 32, 1},
      {"> on a 32-bit ABI", {rule({ArgCondition{0, CmpOp::kGt, 5, 0, ArgWidth::k32}})}, 32, 1},
      {"a mask without low bits tests nothing on a 32-bit ABI",
       {rule({ArgCondition{0, CmpOp::kMaskedEq, 0xff00000000, 0, ArgWidth::k32}})}, 32, 0},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(libseccomp_node_count(c.rules, c.word_bits), std::optional<int64_t>(c.nodes)) << c.what;
  }
}

struct Resolved {
  Resolution resolution;
  std::string warnings;  // number_load_lost, one per line
};

Resolved resolve_as(std::string_view text, ArchId native, bool runc) {
  Resolved out{testing::resolve_under(text, native, {.runc = runc}), {}};
  for (const std::string& w : out.resolution.number_load_lost) out.warnings += w + "\n";
  return out;
}

using testing::answer;

// i386 reaches accept only through socketcall: libseccomp files the rule
// under accept's pseudo number too, with one node (the socketcall rule has
// two), so that entry is ordered first; it is never written, and the
// number is never loaded.
TEST(LibseccompNumberLoad, ARuleOnlyAMultiplexerReachesComesFirst) {
  constexpr std::string_view kAccept = R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
    {"names": ["accept"], "action": "SCMP_ACT_KILL", "args": [{"index": 1, "value": 0, "op": "SCMP_CMP_NE"}]}]})";
  const Resolved lib = resolve_as(kAccept, ArchId::kI386, false);
  EXPECT_EQ(answer(lib.resolution, ArchId::kI386, "socketcall", {5, 1}), Action::Allow());
  EXPECT_NE(lib.warnings.find("writes no load of the syscall number for i386: the syscall it orders first there is "
                              "accept, which i386 has no number of its own for (it is reached through socketcall/ipc)"),
            std::string::npos)
      << lib.warnings;
  EXPECT_NE(lib.warnings.find("answers every i386 call with the default action, ALLOW"), std::string::npos);
  EXPECT_EQ(lib.resolution.number_load_lost_arches, std::vector<ArchId>{ArchId::kI386});
  // runc asks for the binary tree above 32 syscall names: a load there.
  std::string many = R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
    {"names": ["accept"], "action": "SCMP_ACT_KILL", "args": [{"index": 1, "value": 0, "op": "SCMP_CMP_NE"}]},
    {"names": [)";
  for (int i = 0; i < 32; ++i) many += std::string(i == 0 ? "" : ", ") + "\"read\"";
  many += R"(], "action": "SCMP_ACT_ALLOW"}]})";
  const Resolved small_runc = resolve_as(kAccept, ArchId::kI386, true);
  EXPECT_EQ(answer(small_runc.resolution, ArchId::kI386, "socketcall", {5, 1}), Action::Allow());
  const Resolved big_runc = resolve_as(many, ArchId::kI386, true);
  EXPECT_EQ(answer(big_runc.resolution, ArchId::kI386, "socketcall", {5, 1}), Action::KillThread());
  EXPECT_EQ(big_runc.warnings, "");
  // libseccomp's own default is level 1 whatever the count.
  const Resolved libseccomp_many = resolve_as(many, ArchId::kI386, false);
  EXPECT_EQ(answer(libseccomp_many.resolution, ArchId::kI386, "socketcall", {5, 1}), Action::Allow());
}

// Fewest nodes first, the lower number first among equals: a written
// syscall as simple as the pseudo entry loads the number, a more complex
// one does not.
TEST(LibseccompNumberLoad, TheOrderIsByNodesThenNumber) {
  const Resolved tie = resolve_as(R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
    {"names": ["accept"], "action": "SCMP_ACT_KILL"}, {"names": ["read"], "action": "SCMP_ACT_KILL"}]})",
                                  ArchId::kI386, false);
  EXPECT_EQ(tie.warnings, "");
  EXPECT_EQ(answer(tie.resolution, ArchId::kI386, "read"), Action::KillThread());
  EXPECT_EQ(answer(tie.resolution, ArchId::kI386, "socketcall", {5}), Action::KillThread());
  const Resolved behind = resolve_as(R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
    {"names": ["accept"], "action": "SCMP_ACT_KILL"},
    {"names": ["read"], "action": "SCMP_ACT_KILL", "args": [{"index": 0, "value": 3, "op": "SCMP_CMP_EQ"}]}]})",
                                     ArchId::kI386, false);
  EXPECT_NE(behind.warnings, "");
  EXPECT_EQ(answer(behind.resolution, ArchId::kI386, "read", {3}), Action::Allow());
  EXPECT_EQ(answer(behind.resolution, ArchId::kI386, "socketcall", {5}), Action::Allow());
}

// Where libseccomp's arch code keeps rules on names the ABI lacks (aarch64:
// open), they come first alike; i386's drops them (kexec_file_load).
TEST(LibseccompNumberLoad, ANameTheAbiLacks) {
  constexpr std::string_view kOpen = R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
    {"names": ["open"], "action": "SCMP_ACT_KILL"},
    {"names": ["read"], "action": "SCMP_ACT_KILL", "args": [{"index": 0, "value": 3, "op": "SCMP_CMP_EQ"}]}]})";
  const Resolved aarch64 = resolve_as(kOpen, ArchId::kAarch64, false);
  EXPECT_NE(aarch64.warnings.find("for aarch64: the syscall it orders first there is open, which aarch64 has no number "
                                  "of its own for (libseccomp files its rule under a pseudo number)"),
            std::string::npos)
      << aarch64.warnings;
  EXPECT_EQ(answer(aarch64.resolution, ArchId::kAarch64, "read", {3}), Action::Allow());
  const Resolved i386 = resolve_as(R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
    {"names": ["kexec_file_load"], "action": "SCMP_ACT_KILL"},
    {"names": ["read"], "action": "SCMP_ACT_KILL", "args": [{"index": 0, "value": 3, "op": "SCMP_CMP_EQ"}]}]})",
                                   ArchId::kI386, false);
  EXPECT_EQ(i386.warnings, "");
  EXPECT_EQ(answer(i386.resolution, ArchId::kI386, "read", {3}), Action::KillThread());
}

// x86_64 alone loads the number for its x32-bit test; beside x32 the two
// are one block, whose first syscall decides for both.
TEST(LibseccompNumberLoad, X86_64AloneAlwaysLoadsIt) {
  constexpr std::string_view kAlone = R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
    {"names": ["fcntl64"], "action": "SCMP_ACT_KILL"},
    {"names": ["read"], "action": "SCMP_ACT_KILL", "args": [{"index": 0, "value": 3, "op": "SCMP_CMP_EQ"}]}]})";
  const Resolved alone = resolve_as(kAlone, ArchId::kX86_64, false);
  EXPECT_EQ(alone.warnings, "");
  EXPECT_EQ(answer(alone.resolution, ArchId::kX86_64, "read", {3}), Action::KillThread());
  const Resolved pair = resolve_as(R"({"defaultAction": "SCMP_ACT_ALLOW",
    "archMap": [{"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X32"]}], "syscalls": [
    {"names": ["fcntl64"], "action": "SCMP_ACT_KILL"},
    {"names": ["read"], "action": "SCMP_ACT_KILL", "args": [{"index": 0, "value": 3, "op": "SCMP_CMP_EQ"}]}]})",
                                   ArchId::kX86_64, false);
  EXPECT_NE(pair.warnings.find("for x86_64 and x32"), std::string::npos) << pair.warnings;
  EXPECT_EQ(pair.resolution.number_load_lost_arches, (std::vector<ArchId>{ArchId::kX86_64, ArchId::kX32}));
  EXPECT_EQ(answer(pair.resolution, ArchId::kX86_64, "read", {3}), Action::Allow());
  EXPECT_EQ(answer(pair.resolution, ArchId::kX32, "read", {3}), Action::Allow());
}

// explain says why the rules do not decide there.
TEST(LibseccompNumberLoad, ExplainSaysTheRulesAreNotApplied) {
  constexpr std::string_view kText = R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
    {"names": ["open"], "action": "SCMP_ACT_KILL"},
    {"names": ["read"], "action": "SCMP_ACT_KILL", "args": [{"index": 0, "value": 3, "op": "SCMP_CMP_EQ"}]}]})";
  auto read = read_profile(kText, "s.json");
  ASSERT_TRUE(read);
  const Resolution r = testing::resolve_under(kText, ArchId::kAarch64);
  auto text = explain_syscall(read->profile, r, testing::options_under(ArchId::kAarch64), "read");
  ASSERT_TRUE(text) << text.error().message;
  EXPECT_NE(text->find("libseccomp 2.5.4's filter for this profile loads no syscall number on aarch64: every call "
                       "there gets the default action"),
            std::string::npos)
      << *text;
}

// sysfence's own semantics applies the rules.
TEST(LibseccompNumberLoad, OnlyUnderLibseccompsSemantics) {
  const Resolution r = testing::resolve_under(R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
    {"names": ["accept"], "action": "SCMP_ACT_KILL"},
    {"names": ["read"], "action": "SCMP_ACT_KILL", "args": [{"index": 0, "value": 3, "op": "SCMP_CMP_EQ"}]}]})",
                                              ArchId::kI386, {.libseccomp = false});
  EXPECT_TRUE(r.number_load_lost.empty());
  EXPECT_EQ(answer(r, ArchId::kI386, "read", {3}), Action::KillThread());
}

// Rules on a name the ABI lacks are in libseccomp's database all the same,
// where conflicting ones are refused (EEXIST) as on any syscall: each case
// below is one the real libseccomp 2.5.4 refused (add_rule: errno -17) and
// sysfence accepted before (an independent sweep of 32,208 profiles).
TEST(LibseccompPseudoRules, ConflictsAreRefusedAsLibseccompRefusesThem) {
  struct Case {
    std::string_view text;
    ArchId abi;
    std::string_view names;  // what the message names
  };
  const Case cases[] = {
      {R"({"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64"], "syscalls": [
    {"names": ["clock_adjtime64"], "action": "SCMP_ACT_KILL", "args": [{"index": 0, "value": 4294967295, "op": "SCMP_CMP_GE"}]},
    {"names": ["clock_adjtime64"], "action": "SCMP_ACT_LOG", "args": [{"index": 0, "value": 4294967295, "op": "SCMP_CMP_GE"}]}]})",
       ArchId::kX86_64, "give clock_adjtime64 (x86_64, which has no such syscall) the same conditions"},
      {R"({"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_AARCH64"], "syscalls": [
    {"names": ["getgid32"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 1, "value": 7, "op": "SCMP_CMP_NE"}]},
    {"names": ["getgid32"], "action": "SCMP_ACT_KILL", "args": [{"index": 1, "value": 7, "op": "SCMP_CMP_NE"}]}]})",
       ArchId::kAarch64, "give getgid32 (aarch64, which has no such syscall) the same conditions"},
      {R"({"defaultAction": "SCMP_ACT_LOG", "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
    "syscalls": [
    {"names": ["mmap2"], "action": "SCMP_ACT_TRAP", "args": [{"index": 0, "value": 22, "op": "SCMP_CMP_NE"},
                                                              {"index": 2, "value": 7, "op": "SCMP_CMP_EQ"}]},
    {"names": ["mmap2"], "action": "SCMP_ACT_KILL", "args": [{"index": 0, "value": 5, "op": "SCMP_CMP_NE"}]}]})",
       ArchId::kX86_64, "give mmap2 (x86_64, which has no such syscall) comparisons that share a node"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.names);
    auto read = read_profile(c.text, "s.json");
    ASSERT_TRUE(read) << read.error().message;
    for (const bool runc : {false, true}) {
      auto r = resolve(read->profile, testing::options_under(c.abi, {.runc = runc}));
      ASSERT_FALSE(r);
      EXPECT_NE(r.error().message.find(c.names), std::string::npos) << r.error().message;
      EXPECT_EQ(r.error().message.rfind("s.json:", 0), 0u) << r.error().message;
      EXPECT_NE(r.error().message.find(": syscalls[0] and s.json:"), std::string::npos) << r.error().message;
      EXPECT_NE(r.error().message.find(": syscalls[1] give"), std::string::npos) << r.error().message;
    }
    // sysfence's own semantics takes them (they never match there).
    auto own = resolve(read->profile, testing::options_under(c.abi, {.libseccomp = false}));
    EXPECT_TRUE(own) << own.error().message;
  }
  // i386's arch code files no rule of a name i386 lacks (only the
  // multiplexed socket/IPC calls): the real libseccomp takes mmap2's rules on
  // i386 alone (it has mmap2) and these on clock_adjtime64's twin there.
  const Resolution i386 = testing::resolve_under(R"({"defaultAction": "SCMP_ACT_ALLOW",
    "architectures": ["SCMP_ARCH_X86"], "syscalls": [
    {"names": ["kexec_file_load"], "action": "SCMP_ACT_KILL", "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_EQ"}]},
    {"names": ["kexec_file_load"], "action": "SCMP_ACT_LOG", "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_EQ"}]}]})",
                                                 ArchId::kI386);
  EXPECT_EQ(answer(i386, ArchId::kI386, "read"), Action::Allow());
}

}  // namespace
}  // namespace sysfence::profile
