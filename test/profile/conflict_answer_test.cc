// The conflict warnings' libseccomp answer is libseccomp's, whatever
// --arg-width says about sysfence's own comparisons: libseccomp compares
// every argument at its own width (all 64 bits on x86_64).
//
// The expected answers are data, not derived here: each profile below was
// built with the real libseccomp 2.5.4 (python3-seccomp: one
// seccomp_rule_add per entry in profile order, rules whose action is the
// default skipped, as runc does), its filter exported, and the filter run
// on the warning's input by a classic-BPF interpreter; the kill and ioctl
// answers were confirmed on the kernel (kernel 6.18, a forked child making
// the call under the filter: ERRNO(13) for both kill profiles, and the ioctl ran: LOG).
// "refuses": seccomp_rule_add failed with EEXIST for the second entry.
#include <gtest/gtest.h>

#include <array>
#include <optional>
#include <string>
#include <string_view>

#include "profile/caps.h"
#include "profile/reader.h"
#include "profile/resolve.h"

namespace sysfence::profile {
namespace {

using syscalls::ArchId;

struct RealAnswer {
  std::string_view what;
  std::string_view profile;
  ArgWidthMode width;
  RuleCombination combination;
  // The warning's input (both rules match it in sysfence's reading) and what
  // libseccomp's filter answers there (nullopt: it refuses the profile).
  std::array<uint64_t, 6> input;
  std::optional<Action> libseccomp;
};

// Two kill rules on arguments the kernel reads as 32 bits: KILL_PROCESS
// when arg1 & 0x2000000, ERRNO(13) when arg5 != 2^64-1. At 64 bits the
// tree tests arg5 first, so ERRNO(13) answers; the most restrictive reading
// (KILL_PROCESS) is sysfence's, not libseccomp's.
constexpr std::string_view kKillMaskAndNe = R"({"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1,
  "architectures": ["SCMP_ARCH_X86_64"], "syscalls": [
  {"names": ["kill"], "args": [{"index": 1, "value": 33554432, "valueTwo": 33554432, "op": "SCMP_CMP_MASKED_EQ"}],
   "action": "SCMP_ACT_KILL_PROCESS"},
  {"names": ["kill"], "args": [{"index": 5, "value": 18446744073709551615, "op": "SCMP_CMP_NE"}],
   "action": "SCMP_ACT_ERRNO", "errnoRet": 13}]})";

// Both rules pin kill's 32-bit sig to 0x80000009 in sysfence's reading (the
// first constant is its sign extension); libseccomp compares all 64 bits and
// matches only the second there (observed with libseccomp 2.5.4: ERRNO(13)).
constexpr std::string_view kKillHighWords = R"({"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1,
  "architectures": ["SCMP_ARCH_X86_64"], "syscalls": [
  {"names": ["kill"], "args": [{"index": 1, "value": 18446744071562067977, "op": "SCMP_CMP_EQ"}],
   "action": "SCMP_ACT_KILL_PROCESS"},
  {"names": ["kill"], "args": [{"index": 1, "value": 2147483657, "op": "SCMP_CMP_EQ"}], "action": "SCMP_ACT_ERRNO",
   "errnoRet": 13}]})";

// a0 < 2 && a1 >= 2, then a0 <= 5: on x86_64 both range comparisons of a0
// share the high-word test with different actions.
constexpr std::string_view kKillSharedNode = R"({"defaultAction": "SCMP_ACT_KILL_PROCESS",
  "architectures": ["SCMP_ARCH_X86_64"], "syscalls": [
  {"names": ["kill"], "args": [{"index": 0, "value": 2, "op": "SCMP_CMP_LT"}, {"index": 1, "value": 2, "op": "SCMP_CMP_GE"}],
   "action": "SCMP_ACT_ALLOW"},
  {"names": ["kill"], "args": [{"index": 0, "value": 5, "op": "SCMP_CMP_LE"}], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}]})";

// Three ioctl rules whose tree is beyond what sysfence reads back into
// rules (the compile takes the most restrictive and says so); the warning's
// answer runs libseccomp's program on the input instead.
constexpr std::string_view kIoctlThreeRules = R"({"defaultAction": "SCMP_ACT_KILL_PROCESS", "defaultErrnoRet": 1,
  "architectures": ["SCMP_ARCH_X86_64"], "syscalls": [
  {"names": ["ioctl"], "args": [{"index": 1, "value": 9223372036854775806, "op": "SCMP_CMP_GT"},
   {"index": 0, "value": 1073741832, "valueTwo": 0, "op": "SCMP_CMP_MASKED_EQ"}, {"index": 5, "value": 19, "op": "SCMP_CMP_NE"}],
   "action": "SCMP_ACT_LOG"},
  {"names": ["ioctl"], "args": [{"index": 0, "value": 2147483647, "op": "SCMP_CMP_GT"},
   {"index": 3, "value": 3221225470, "op": "SCMP_CMP_NE"}], "action": "SCMP_ACT_TRAP"},
  {"names": ["ioctl"], "args": [{"index": 5, "value": 172, "op": "SCMP_CMP_EQ"},
   {"index": 3, "value": 4251771793, "valueTwo": 3832062096, "op": "SCMP_CMP_MASKED_EQ"}], "action": "SCMP_ACT_KILL_THREAD"}]})";

const RealAnswer kRealAnswers[] = {
    {"kill, mask and !=, abi widths",
     kKillMaskAndNe,
     ArgWidthMode::kAbi,
     RuleCombination::kMostRestrictive,
     {0, 0x2000000, 0, 0, 0, 0},
     Action::Errno(13)},
    {"kill, mask and !=, 64-bit widths",
     kKillMaskAndNe,
     ArgWidthMode::k64,
     RuleCombination::kMostRestrictive,
     {0, 0x2000000, 0, 0, 0, 0},
     Action::Errno(13)},
    {"kill, high words, abi widths",
     kKillHighWords,
     ArgWidthMode::kAbi,
     RuleCombination::kMostRestrictive,
     {0, 0x80000009, 0, 0, 0, 0},
     Action::Errno(13)},
    {"kill, shared node, abi widths",
     kKillSharedNode,
     ArgWidthMode::kAbi,
     RuleCombination::kMostRestrictive,
     {0, 2, 0, 0, 0, 0},
     std::nullopt},
    {"ioctl, libseccomp semantics",
     kIoctlThreeRules,
     ArgWidthMode::k64,
     RuleCombination::kLibseccompDatabase,
     {0x80000000, 0x7fffffffffffffff, 0, 0, 0, 0},
     Action::Log()},
};

ResolveOptions options(ArgWidthMode width, RuleCombination combination) {
  ResolveOptions o;
  o.native = ArchId::kX86_64;
  o.caps = docker_default_caps();
  o.kernel = {6, 1};
  o.arg_width = width;
  o.combination = combination;
  return o;
}

TEST(ConflictAnswer, LibseccompsAnswerIsTheRealFiltersAtItsOwnWidths) {
  for (const RealAnswer& c : kRealAnswers) {
    SCOPED_TRACE(c.what);
    auto read = read_profile(c.profile, "t.json");
    ASSERT_TRUE(read) << read.error().message;
    auto r = resolve(read->profile, options(c.width, c.combination));
    ASSERT_TRUE(r) << r.error().message;
    const Warning* found = nullptr;
    for (const Warning& w : r->warnings)
      if (w.kind == WarningKind::kRuleConflict && w.witness == c.input) found = &w;
    ASSERT_NE(found, nullptr) << "no conflict warning at the input the real filter was run on";
    EXPECT_FALSE(found->libseccomp_unmodelled);
    if (!c.libseccomp) {
      EXPECT_TRUE(found->libseccomp_refuses) << found->message;
      EXPECT_NE(found->message.find("refuses the profile"), std::string::npos) << found->message;
      continue;
    }
    EXPECT_FALSE(found->libseccomp_refuses) << found->message;
    EXPECT_EQ(found->libseccomp, *c.libseccomp) << found->message;
    EXPECT_NE(found->message.find("answers " + to_string(*c.libseccomp) + " ("), std::string::npos) << found->message;
  }
}

}  // namespace
}  // namespace sysfence::profile
