// socketcall(2)/ipc(2): the rules resolution adds on the multiplexers, per
// ABI family, in sysfence's exact reading and in libseccomp's rewrite. The
// expected numbers are written by hand from the kernels' syscall tables
// (i386/m68k/ppc*/s390*/sh: socketcall 102, ipc 117; MIPS o32 4102, 4117),
// include/uapi/linux/net.h and ipc.h; libseccomp's shapes from its 2.5.4
// output (seccomp_export_pfc) for the same rules.
#include "profile/multiplex.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "policy/policy.h"
#include "profile/explain.h"
#include "profile/reader.h"
#include "profile/resolve.h"
#include "syscalls/multiplex.h"
#include "test/profile/test_files.h"

namespace sysfence::profile {
namespace {

using policy::ArgCondition;
using policy::ArgWidth;
using policy::CmpOp;
using syscalls::ArchId;

Resolution resolve_for(std::string_view text, ArchId native, MultiplexRewrite mode,
                       ArgWidthMode width = ArgWidthMode::kAbi) {
  auto p = read_profile(text, "m.json");
  EXPECT_TRUE(p) << (p ? "" : p.error().message);
  ResolveOptions o;
  o.native = native;
  o.kernel = {6, 12};
  o.arg_width = width;
  o.multiplex = mode;
  auto r = resolve(p->profile, o);
  EXPECT_TRUE(r) << (r ? "" : r.error().message);
  return r ? std::move(*r) : Resolution{};
}

const policy::RuleList* rules_at(const Resolution& r, ArchId abi, uint32_t nr) {
  const policy::ArchPolicy* ap = r.policy.find(abi);
  if (ap == nullptr) return nullptr;
  auto it = ap->rules.find(nr);
  return it == ap->rules.end() ? nullptr : &it->second;
}

Action decide(const Resolution& r, ArchId abi, uint32_t nr, uint64_t a0, uint64_t a1 = 0, uint64_t a2 = 0) {
  SeccompData d;
  d.arch = syscalls::arch(abi).audit_arch;
  d.nr = nr;
  d.args[0] = a0;
  d.args[1] = a1;
  d.args[2] = a2;
  return policy::evaluate(r.policy, d).action;
}

constexpr std::string_view kAllowSocketAndSemget = R"({
  "defaultAction": "SCMP_ACT_ERRNO",
  "syscalls": [{"names": ["socket", "semget"], "action": "SCMP_ACT_ALLOW"}]
})";

struct Family {
  ArchId abi;
  uint32_t socketcall;
  uint32_t ipc;
};

// Every multiplexing ABI family: the twin rules and what they decide.
TEST(Multiplex, UnconditionalRulesReachTheMultiplexerOnEveryFamily) {
  const Family families[] = {{ArchId::kI386, 102, 117},     {ArchId::kM68k, 102, 117}, {ArchId::kMips, 4102, 4117},
                             {ArchId::kMipsel, 4102, 4117}, {ArchId::kPpc, 102, 117},  {ArchId::kPpc64, 102, 117},
                             {ArchId::kPpc64le, 102, 117},  {ArchId::kS390, 102, 117}, {ArchId::kS390x, 102, 117},
                             {ArchId::kSh, 102, 117},       {ArchId::kSheb, 102, 117}};
  for (const Family& f : families) {
    SCOPED_TRACE(syscalls::arch(f.abi).name);
    const Resolution r = resolve_for(kAllowSocketAndSemget, f.abi, MultiplexRewrite::kExact);
    const auto* sc = rules_at(r, f.abi, f.socketcall);
    ASSERT_NE(sc, nullptr);
    ASSERT_EQ(sc->size(), 1U);
    EXPECT_EQ(sc->front().action, Action::Allow());
    ASSERT_EQ(sc->front().conditions.size(), 1U);
    EXPECT_EQ(sc->front().conditions[0].index, 0);
    EXPECT_EQ(sc->front().conditions[0].op, CmpOp::kEq);
    EXPECT_EQ(sc->front().conditions[0].value, 1U);  // SYS_SOCKET
    EXPECT_EQ(sc->front().source.multiplexed_for, "socket");
    const auto* ipc = rules_at(r, f.abi, f.ipc);
    ASSERT_NE(ipc, nullptr);
    ASSERT_EQ(ipc->size(), 1U);
    ASSERT_EQ(ipc->front().conditions.size(), 1U);
    EXPECT_EQ(ipc->front().conditions[0].op, CmpOp::kMaskedEq);
    EXPECT_EQ(ipc->front().conditions[0].value, 0xffffU);
    EXPECT_EQ(ipc->front().conditions[0].value_two, 2U);  // SEMGET

    const Action deny = r.policy.arches.front().default_action;
    EXPECT_EQ(decide(r, f.abi, f.socketcall, 1), Action::Allow());
    EXPECT_EQ(decide(r, f.abi, f.socketcall, 3), deny);  // SYS_CONNECT
    EXPECT_EQ(decide(r, f.abi, f.ipc, 2), Action::Allow());
    EXPECT_EQ(decide(r, f.abi, f.ipc, 0x10002), Action::Allow());  // the kernel ignores the version bits
    EXPECT_EQ(decide(r, f.abi, f.ipc, 3), deny);                   // SEMCTL
    EXPECT_TRUE(r.multiplex_gaps.empty());
  }
}

TEST(Multiplex, AbisWithoutMultiplexersGetNoTwin) {
  for (ArchId abi : {ArchId::kX86_64, ArchId::kAarch64, ArchId::kArm, ArchId::kMips64, ArchId::kRiscv64}) {
    SCOPED_TRACE(syscalls::arch(abi).name);
    const Resolution r = resolve_for(kAllowSocketAndSemget, abi, MultiplexRewrite::kLibseccomp);
    size_t rules = 0;
    for (const auto& [nr, list] : r.policy.arches.front().rules) rules += list.size();
    EXPECT_EQ(rules, 2U);  // socket and semget, nothing else
  }
}

TEST(Multiplex, CallsWithoutADirectSyscallOnlyReachTheMultiplexer) {
  // i386 has no direct accept or semop: the multiplexer is the only way in,
  // and no "unknown to i386" note is due.
  const Resolution r = resolve_for(R"({"defaultAction": "SCMP_ACT_ALLOW",
      "syscalls": [{"names": ["accept", "semop"], "action": "SCMP_ACT_ERRNO"}]})",
                                   ArchId::kI386, MultiplexRewrite::kExact);
  EXPECT_EQ(decide(r, ArchId::kI386, 102, 5), Action::Errno(1));  // SYS_ACCEPT
  EXPECT_EQ(decide(r, ArchId::kI386, 102, 18), Action::Allow());  // SYS_ACCEPT4
  EXPECT_EQ(decide(r, ArchId::kI386, 117, 1), Action::Errno(1));  // SEMOP
  for (const std::string& n : r.notes) EXPECT_EQ(n.find("unknown to i386"), std::string::npos) << n;
}

constexpr std::string_view kDenyAlgSocket = R"({
  "defaultAction": "SCMP_ACT_ALLOW",
  "syscalls": [
    {"names": ["socket"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": 38, "op": "SCMP_CMP_EQ"}]},
    {"names": ["socketcall"], "action": "SCMP_ACT_LOG"}
  ]
})";

TEST(Multiplex, ExactReadingDoesNotWidenConditionalRulesAndReportsThem) {
  const Resolution r = resolve_for(kDenyAlgSocket, ArchId::kI386, MultiplexRewrite::kExact);
  const auto* sc = rules_at(r, ArchId::kI386, 102);
  ASSERT_NE(sc, nullptr);
  ASSERT_EQ(sc->size(), 1U);  // the profile's own socketcall rule only
  EXPECT_TRUE(sc->front().conditions.empty());
  EXPECT_EQ(decide(r, ArchId::kI386, 102, 1), Action::Log());
  EXPECT_EQ(decide(r, ArchId::kI386, 359, 38), Action::Errno(1));
  ASSERT_EQ(r.multiplex_gaps.size(), 1U);
  EXPECT_EQ(r.multiplex_gaps[0].entry, 0U);
  EXPECT_EQ(r.multiplex_gaps[0].name, "socket");
  EXPECT_EQ(r.multiplex_gaps[0].call->call, 1U);
  EXPECT_EQ(r.multiplex_gaps[0].arches, std::vector<ArchId>{ArchId::kI386});
}

TEST(Multiplex, GapsListEveryMultiplexingAbiOfTheFilter) {
  // x86_64 with its sub-arches: only i386 multiplexes.
  const Resolution r = resolve_for(R"({"defaultAction": "SCMP_ACT_ALLOW",
      "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
      "syscalls": [{"names": ["socket"], "action": "SCMP_ACT_ERRNO",
                    "args": [{"index": 0, "value": 38, "op": "SCMP_CMP_EQ"}]}]})",
                                   ArchId::kX86_64, MultiplexRewrite::kExact);
  ASSERT_EQ(r.multiplex_gaps.size(), 1U);
  EXPECT_EQ(r.multiplex_gaps[0].arches, std::vector<ArchId>{ArchId::kI386});
}

// The twin's conditions are the rule's own, rewritten where they lie (the
// rule's storage is reused): libseccomp's order is the call test, then the
// own conditions off argument 0 in their order.
TEST(Multiplex, TwinConditionsAreRewrittenInPlace) {
  const syscalls::MultiplexedCall* socket = syscalls::multiplexed_call("socket");
  const syscalls::MultiplexedCall* shmget = syscalls::multiplexed_call("shmget");
  ASSERT_NE(socket, nullptr);
  ASSERT_NE(shmget, nullptr);
  const std::vector<ArgCondition> own{{1, CmpOp::kEq, 5, 0, ArgWidth::k32},
                                      {0, CmpOp::kNe, 38, 0, ArgWidth::k32},
                                      {2, CmpOp::kGe, 7, 0, ArgWidth::k64},
                                      {0, CmpOp::kEq, 2, 0, ArgWidth::k32}};
  std::vector<ArgCondition> lib = own;
  to_multiplexer_conditions(MultiplexRewrite::kLibseccomp, *socket, lib, ArgWidth::k32);
  const std::vector<ArgCondition> lib_expected{
      {0, CmpOp::kEq, 1, 0, ArgWidth::k32}, {1, CmpOp::kEq, 5, 0, ArgWidth::k32}, {2, CmpOp::kGe, 7, 0, ArgWidth::k64}};
  EXPECT_EQ(lib, lib_expected);

  std::vector<ArgCondition> exact = own;
  to_multiplexer_conditions(MultiplexRewrite::kExact, *socket, exact, ArgWidth::k64);
  EXPECT_EQ(exact, (std::vector<ArgCondition>{{0, CmpOp::kEq, 1, 0, ArgWidth::k64}}));
  // ipc dispatches on the call's low 16 bits.
  std::vector<ArgCondition> ipc = own;
  to_multiplexer_conditions(MultiplexRewrite::kExact, *shmget, ipc, ArgWidth::k32);
  EXPECT_EQ(ipc, (std::vector<ArgCondition>{{0, CmpOp::kMaskedEq, 0xffff, 23, ArgWidth::k32}}));
  // A rule without conditions gets the call test alone.
  std::vector<ArgCondition> none;
  to_multiplexer_conditions(MultiplexRewrite::kLibseccomp, *shmget, none, ArgWidth::k64);
  EXPECT_EQ(none, (std::vector<ArgCondition>{{0, CmpOp::kEq, 23, 0, ArgWidth::k64}}));
}

TEST(Multiplex, LibseccompReplacesArgumentZeroAndKeepsTheRest) {
  const Resolution r = resolve_for(R"({"defaultAction": "SCMP_ACT_ERRNO",
      "syscalls": [{"names": ["socket"], "action": "SCMP_ACT_ALLOW",
                    "args": [{"index": 0, "value": 38, "op": "SCMP_CMP_NE"},
                             {"index": 1, "value": 5, "op": "SCMP_CMP_EQ"}]}]})",
                                   ArchId::kI386, MultiplexRewrite::kLibseccomp, ArgWidthMode::k64);
  const auto* sc = rules_at(r, ArchId::kI386, 102);
  ASSERT_NE(sc, nullptr);
  ASSERT_EQ(sc->size(), 1U);
  const std::vector<ArgCondition> expected{{0, CmpOp::kEq, 1, 0, ArgWidth::k32}, {1, CmpOp::kEq, 5, 0, ArgWidth::k32}};
  EXPECT_EQ(sc->front().conditions, expected);
  // The direct rule is untouched.
  const auto* direct = rules_at(r, ArchId::kI386, 359);
  ASSERT_NE(direct, nullptr);
  EXPECT_EQ(direct->front().conditions.size(), 2U);
  // socketcall(SYS_SOCKET, args at 5) is allowed whatever the family: the
  // family is not where libseccomp's rule looks.
  EXPECT_EQ(decide(r, ArchId::kI386, 102, 1, 5), Action::Allow());
  EXPECT_EQ(decide(r, ArchId::kI386, 102, 1, 6), Action::Errno(1));
  EXPECT_TRUE(r.multiplex_gaps.empty());
}

TEST(Multiplex, LibseccompOnA64BitAbiComparesAllOfArgumentZero) {
  const Resolution r = resolve_for(R"({"defaultAction": "SCMP_ACT_ERRNO",
      "syscalls": [{"names": ["shmget"], "action": "SCMP_ACT_ALLOW",
                    "args": [{"index": 2, "value": 0, "op": "SCMP_CMP_EQ"}]}]})",
                                   ArchId::kS390x, MultiplexRewrite::kLibseccomp, ArgWidthMode::k64);
  const auto* ipc = rules_at(r, ArchId::kS390x, 117);
  ASSERT_NE(ipc, nullptr);
  const std::vector<ArgCondition> expected{{0, CmpOp::kEq, 23, 0, ArgWidth::k64}, {2, CmpOp::kEq, 0, 0, ArgWidth::k64}};
  EXPECT_EQ(ipc->front().conditions, expected);
  // Unlike the kernel, libseccomp's rule does not match ipc(0x10017).
  EXPECT_EQ(decide(r, ArchId::kS390x, 117, 23), Action::Allow());
  EXPECT_EQ(decide(r, ArchId::kS390x, 117, 0x10017), Action::Errno(1));
}

// An entry repeating an argument index is split by runc into one rule per
// condition; each gets its own twin on ipc, with a0 == MSGRCV (12) and its
// one condition. The inputs are those where libseccomp 2.5.4's program
// answers the default through a stale accumulator; its rules, and its
// export_pfc, say TRAP.
TEST(Multiplex, LibseccompSplitEntryGivesEachConditionItsOwnTwin) {
  const Resolution r = resolve_for(R"({"defaultAction": "SCMP_ACT_TRACE", "defaultErrnoRet": 1161,
      "syscalls": [{"names": ["msgrcv"], "action": "SCMP_ACT_TRAP",
                    "args": [{"index": 2, "value": 16416538851528751717, "op": "SCMP_CMP_LE"},
                             {"index": 2, "value": 22, "op": "SCMP_CMP_LT"}]}]})",
                                   ArchId::kS390x, MultiplexRewrite::kLibseccomp, ArgWidthMode::k64);
  const auto* ipc = rules_at(r, ArchId::kS390x, 117);
  ASSERT_NE(ipc, nullptr);
  EXPECT_EQ(ipc->size(), 2U);
  const Action trace = Action::Trace(1161);
  // 0xe3d3431b5ec53a65 is the first bound: a2 with high word 0 is below it.
  EXPECT_EQ(decide(r, ArchId::kS390x, 117, 12, 0, 0xe3d3431c), Action::Trap());
  EXPECT_EQ(decide(r, ArchId::kS390x, 117, 12, 0, 0xe3d3431b5ec53a65), Action::Trap());
  EXPECT_EQ(decide(r, ArchId::kS390x, 117, 12, 0, 0xe3d3431b5ec53a66), trace);
  EXPECT_EQ(decide(r, ArchId::kS390x, 117, 11, 0, 0), trace);  // MSGSND: no rule
}

// The twin of a rule on a socket call drops the rule's own argument-0
// condition (a0 >= 22 here) and keeps its conditions on a1 and a2, which
// then test socketcall's own arguments. socketcall(SYS_GETPEERNAME, 2^31, 0)
// is where libseccomp 2.5.4's program answers ALLOW through a stale
// accumulator; its rules say KILL_PROCESS.
TEST(Multiplex, LibseccompTwinKeepsTheConditionsOnTheOtherArguments) {
  const Resolution r = resolve_for(R"({"defaultAction": "SCMP_ACT_ALLOW",
      "syscalls": [{"names": ["getpeername"], "action": "SCMP_ACT_KILL_PROCESS",
                    "args": [{"index": 0, "value": 22, "op": "SCMP_CMP_GE"},
                             {"index": 2, "value": 2147483648, "op": "SCMP_CMP_LT"},
                             {"index": 1, "value": 9223372036854775808, "op": "SCMP_CMP_LE"}]}]})",
                                   ArchId::kPpc64le, MultiplexRewrite::kLibseccomp, ArgWidthMode::k64);
  const uint32_t socketcall = 102;
  const uint32_t getpeername = 7;
  EXPECT_EQ(decide(r, ArchId::kPpc64le, socketcall, getpeername, 0x80000000, 0), Action::KillProcess());
  EXPECT_EQ(decide(r, ArchId::kPpc64le, socketcall, getpeername, 0, 0), Action::KillProcess());
  EXPECT_EQ(decide(r, ArchId::kPpc64le, socketcall, getpeername, 0x8000000000000000, 0x7fffffff),
            Action::KillProcess());
  EXPECT_EQ(decide(r, ArchId::kPpc64le, socketcall, getpeername, 0x8000000000000001, 0), Action::Allow());
  EXPECT_EQ(decide(r, ArchId::kPpc64le, socketcall, getpeername, 0, 0x80000000), Action::Allow());
  EXPECT_EQ(decide(r, ArchId::kPpc64le, socketcall, getpeername + 1, 0, 0), Action::Allow());
}

TEST(Multiplex, TheProfilesOwnMultiplexerRulesStayAlongside) {
  const Resolution r = resolve_for(R"({"defaultAction": "SCMP_ACT_ERRNO",
      "syscalls": [{"names": ["socketcall"], "action": "SCMP_ACT_ALLOW"},
                   {"names": ["socket"], "action": "SCMP_ACT_KILL_PROCESS"}]})",
                                   ArchId::kPpc, MultiplexRewrite::kExact);
  const auto* sc = rules_at(r, ArchId::kPpc, 102);
  ASSERT_NE(sc, nullptr);
  EXPECT_EQ(sc->size(), 2U);
  EXPECT_EQ(decide(r, ArchId::kPpc, 102, 1), Action::KillProcess());  // most restrictive wins
  EXPECT_EQ(decide(r, ArchId::kPpc, 102, 2), Action::Allow());
}

TEST(Multiplex, DockerDefaultOnI386AllowsSocketcallSoItsSocketRulesAreGaps) {
  const std::string text = testing::read_data_file(testing::kDockerDefault);
  const Resolution r = resolve_for(text, ArchId::kI386, MultiplexRewrite::kExact);
  size_t socket_gaps = 0;
  for (const MultiplexGap& g : r.multiplex_gaps) socket_gaps += g.name == "socket";
  EXPECT_GE(socket_gaps, 2U);
  // The direct socket(AF_ALG) is refused, socketcall(SYS_SOCKET) is allowed.
  EXPECT_NE(decide(r, ArchId::kI386, 359, 38), Action::Allow());
  EXPECT_EQ(decide(r, ArchId::kI386, 102, 1), Action::Allow());
}

std::string explain_on(std::string_view text, ArchId native, MultiplexRewrite mode, std::string_view syscall) {
  auto p = read_profile(text, "m.json");
  EXPECT_TRUE(p) << (p ? "" : p.error().message);
  ResolveOptions o;
  o.native = native;
  o.kernel = {6, 12};
  o.multiplex = mode;
  auto r = resolve(p->profile, o);
  EXPECT_TRUE(r) << (r ? "" : r.error().message);
  auto t = explain_syscall(p->profile, *r, o, syscall);
  EXPECT_TRUE(t) << (t ? "" : t.error().message);
  return t ? *t : std::string();
}

#define EXPECT_CONTAINS(text, part) \
  EXPECT_NE((text).find(part), std::string::npos) << "missing: " << (part) << "\n--- in ---\n" << (text)

TEST(Multiplex, ExplainSaysTheConditionsAreNotCheckedThroughSocketcall) {
  const std::string text = testing::read_data_file(testing::kDockerDefault);
  const std::string t = explain_on(text, ArchId::kI386, MultiplexRewrite::kExact, "socket");
  EXPECT_CONTAINS(t, std::string("\nthrough socketcall on i386:\n"));
  EXPECT_CONTAINS(t, std::string("socket is also reachable as socketcall(SYS_SOCKET = 1, args), syscall number 102 "
                                 "(0x66): ALLOW, from m.json:62 (syscalls[0]).\n"));
  // Docker's three conditional socket entries (lines 439, 452, 465).
  EXPECT_CONTAINS(t, std::string("so they are not applied to socketcall at all:\n    m.json:439 (syscalls[2])\n"
                                 "    m.json:452 (syscalls[3])\n    m.json:465 (syscalls[4])\n"));
}

TEST(Multiplex, ExplainNamesTheDerivedRule) {
  const std::string t = explain_on(kAllowSocketAndSemget, ArchId::kMipsel, MultiplexRewrite::kExact, "semget");
  EXPECT_CONTAINS(t, std::string("semget is also reachable as ipc(SEMGET = 2, args), syscall number 4117 (0x1015): "
                                 "ALLOW, from m.json:3 (syscalls[0], its semget rule applied to the multiplexer)."));
  // Nothing multiplexes on x86_64: no such paragraph.
  const std::string x = explain_on(kAllowSocketAndSemget, ArchId::kX86_64, MultiplexRewrite::kExact, "semget");
  EXPECT_EQ(x.find("through ipc"), std::string::npos) << x;
}

}  // namespace
}  // namespace sysfence::profile
