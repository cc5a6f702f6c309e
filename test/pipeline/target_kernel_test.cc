// The target kernel pass (pipeline/target_kernel.h): every action of a
// resolved policy is one the target kernel knows, is mapped by a downgrade
// the user gave, or is an error naming where it came from; sysfence's own
// default bad-arch action quietly becomes KILL_THREAD where KILL_PROCESS is
// unknown. The kernel versions below are the uapi header's history, written
// out here rather than read from the implementation.
#include "pipeline/target_kernel.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "base/seccomp.h"
#include "policy/policy.h"
#include "syscalls/arch.h"
#include "syscalls/table.h"

namespace sysfence::pipeline {
namespace {

using syscalls::ArchId;
using syscalls::KernelVersion;

policy::SourceRef at_line(uint32_t line, uint32_t entry) {
  policy::SourceRef src;
  src.file = "p.json";
  src.line = line;
  src.entry = entry;
  return src;
}

// Default ALLOW; getpid (nr 20 on i386, which has filters from 3.5 on) gets
// `rule` from line 7 of p.json.
policy::Policy policy_with_rule(Action rule, Action default_action = Action::Allow()) {
  policy::Policy p;
  policy::ArchPolicy ap;
  ap.arch = ArchId::kI386;
  ap.default_action = default_action;
  ap.rules[20].push_back(policy::Rule{rule, {}, at_line(7, 1)});
  p.arches.push_back(ap);
  p.bad_arch_action = Action::KillThread();
  return p;
}

struct Introduced {
  Action action;
  KernelVersion first;  // the first kernel that knows it
  KernelVersion just_below;
  std::string spelling;
};

const std::vector<Introduced>& introduced() {
  static const std::vector<Introduced> kAll = {
      {Action::KillProcess(), {4, 14, 0}, {4, 13, 0}, "SCMP_ACT_KILL_PROCESS"},
      {Action::Log(), {4, 14, 0}, {4, 13, 0}, "SCMP_ACT_LOG"},
      {Action::UserNotif(), {5, 0, 0}, {4, 20, 0}, "SCMP_ACT_NOTIFY"},
      {Action::KillThread(), {3, 5, 0}, {3, 4, 0}, "SCMP_ACT_KILL_THREAD"},
      {Action::Trap(), {3, 5, 0}, {3, 4, 0}, "SCMP_ACT_TRAP"},
      {Action::Errno(1), {3, 5, 0}, {3, 4, 0}, "SCMP_ACT_ERRNO"},
      {Action::Trace(0), {3, 5, 0}, {3, 4, 0}, "SCMP_ACT_TRACE"},
      {Action::Allow(), {3, 5, 0}, {3, 4, 0}, "SCMP_ACT_ALLOW"},
  };
  return kAll;
}

TEST(TargetKernel, EachActionIsKeptFromItsFirstKernelOn) {
  for (const Introduced& i : introduced()) {
    for (KernelVersion k :
         {i.first, KernelVersion{i.first.major, static_cast<uint16_t>(i.first.minor + 1), 0}, KernelVersion{6, 1, 0}}) {
      policy::Policy p = policy_with_rule(i.action);
      const policy::Policy before = p;
      auto r = apply_target_kernel(p, k, {}, "p.json");
      ASSERT_TRUE(r) << i.spelling << " on " << syscalls::to_string(k) << ": " << r.error().message;
      EXPECT_EQ(p, before) << i.spelling;
      EXPECT_TRUE(r->applied.empty());
    }
  }
}

TEST(TargetKernel, AnActionTheKernelJustBeforeLacksIsAnErrorNamingTheLine) {
  for (const Introduced& i : introduced()) {
    if (i.first == KernelVersion{3, 5, 0}) continue;  // below 3.5 there are no filters at all (next test)
    policy::Policy p = policy_with_rule(i.action);
    auto r = apply_target_kernel(p, i.just_below, {}, "p.json");
    ASSERT_FALSE(r) << i.spelling;
    const std::string expected = "p.json:7: " + i.spelling + " needs Linux " + syscalls::to_string(i.first) +
                                 "; the target kernel is " + syscalls::to_string(i.just_below);
    EXPECT_EQ(r.error().message.rfind(expected, 0), 0U) << r.error().message;
    EXPECT_NE(r.error().message.find("--downgrade-actions"), std::string::npos) << r.error().message;
  }
}

TEST(TargetKernel, AKernelWithoutFilterModeIsAnError) {
  policy::Policy p = policy_with_rule(Action::Errno(1));
  auto r = apply_target_kernel(p, {3, 4, 0}, {}, "p.json");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("3.5"), std::string::npos) << r.error().message;
}

TEST(TargetKernel, TheDefaultActionIsCheckedFirstAndNamed) {
  policy::Policy p = policy_with_rule(Action::KillProcess(), Action::Log());
  auto r = apply_target_kernel(p, {3, 18, 0}, {}, "p.json");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message,
            "p.json: defaultAction SCMP_ACT_LOG needs Linux 4.14; the target kernel is 3.18 (use "
            "--downgrade-actions log=allow to map it)");
}

TEST(TargetKernel, TheRuleOfTheLowestLineIsReported) {
  policy::Policy p = policy_with_rule(Action::Log());
  p.arches[0].rules[24].push_back(policy::Rule{Action::UserNotif(), {}, at_line(3, 0)});
  auto r = apply_target_kernel(p, {3, 18, 0}, {}, "p.json");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message.rfind("p.json:3: SCMP_ACT_NOTIFY needs Linux 5.0", 0), 0U) << r.error().message;
}

TEST(TargetKernel, DowngradesMapEveryPlaceAndAreReported) {
  policy::Policy p = policy_with_rule(Action::KillProcess(), Action::Log());
  p.bad_arch_action = Action::KillProcess();
  TargetOptions o;
  o.bad_arch_chosen = true;
  o.downgrades = {{ActionKind::kLog, Action::Errno(38)}, {ActionKind::kKillProcess, Action::KillThread()}};
  auto r = apply_target_kernel(p, {3, 18, 0}, o, "p.json");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(p.arches[0].default_action, Action::Errno(38));
  EXPECT_EQ(p.arches[0].rules.at(20).front().action, Action::KillThread());
  EXPECT_EQ(p.bad_arch_action, Action::KillThread());
  EXPECT_EQ(r->applied, (std::vector<std::string>{"SCMP_ACT_KILL_PROCESS -> SCMP_ACT_KILL_THREAD",
                                                  "SCMP_ACT_LOG -> SCMP_ACT_ERRNO(38)"}));
}

TEST(TargetKernel, ADowngradeTheTargetDoesNotNeedChangesNothing) {
  policy::Policy p = policy_with_rule(Action::Log());
  const policy::Policy before = p;
  TargetOptions o;
  o.downgrades = {{ActionKind::kLog, Action::Allow()}};
  auto r = apply_target_kernel(p, {4, 14, 0}, o, "p.json");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(p, before);
  EXPECT_TRUE(r->applied.empty());
  ASSERT_EQ(r->notes.size(), 1U);
  EXPECT_NE(r->notes[0].find("not needed"), std::string::npos) << r->notes[0];
}

TEST(TargetKernel, ADowngradeToAnActionTheTargetLacksIsAnError) {
  policy::Policy p = policy_with_rule(Action::UserNotif());
  TargetOptions o;
  o.downgrades = {{ActionKind::kUserNotif, Action::Log()}};
  auto r = apply_target_kernel(p, {4, 20, 0}, o, "p.json");
  EXPECT_TRUE(r) << "LOG is known to 4.20";
  p = policy_with_rule(Action::UserNotif());
  r = apply_target_kernel(p, {4, 13, 0}, o, "p.json");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("SCMP_ACT_LOG, which needs Linux 4.14"), std::string::npos) << r.error().message;
}

TEST(TargetKernel, TheDefaultBadArchActionQuietlyBecomesKillThreadBefore414) {
  policy::Policy p = policy_with_rule(Action::Errno(1));
  p.bad_arch_action = Action::KillProcess();
  auto r = apply_target_kernel(p, {4, 13, 0}, {}, "p.json");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(p.bad_arch_action, Action::KillThread());
  ASSERT_EQ(r->notes.size(), 1U);
  EXPECT_NE(r->notes[0].find("bad-arch"), std::string::npos) << r->notes[0];
  EXPECT_TRUE(r->applied.empty());

  p.bad_arch_action = Action::KillProcess();
  r = apply_target_kernel(p, {4, 14, 0}, {}, "p.json");
  ASSERT_TRUE(r);
  EXPECT_EQ(p.bad_arch_action, Action::KillProcess());
  EXPECT_TRUE(r->notes.empty());
}

TEST(TargetKernel, AChosenBadArchActionTheTargetLacksIsAnError) {
  for (Action chosen : {Action::KillProcess(), Action::Log()}) {
    policy::Policy p = policy_with_rule(Action::Errno(1));
    p.bad_arch_action = chosen;
    TargetOptions o;
    o.bad_arch_chosen = chosen == Action::KillProcess();  // LOG is never the default: an error either way
    auto r = apply_target_kernel(p, {4, 13, 0}, o, "p.json");
    ASSERT_FALSE(r) << to_string(chosen);
    EXPECT_EQ(r.error().message.rfind("the bad-arch action SCMP_ACT_", 0), 0U) << r.error().message;
  }
}

// The first kernel with seccomp filters per arch, from the seccomp(2) man
// page and the commits that selected HAVE_ARCH_SECCOMP_FILTER.
TEST(TargetKernel, AnAbiOlderThanItsFilterSupportIsAnError) {
  struct Case {
    ArchId abi;
    KernelVersion first;
    KernelVersion just_below;
  };
  for (const Case& c : std::vector<Case>{{ArchId::kAarch64, {3, 19, 0}, {3, 18, 0}},
                                         {ArchId::kArm, {3, 8, 0}, {3, 7, 0}},
                                         {ArchId::kMips64el, {3, 16, 0}, {3, 15, 0}},
                                         {ArchId::kPpc64le, {4, 3, 0}, {4, 2, 0}},
                                         {ArchId::kRiscv64, {5, 5, 0}, {5, 4, 0}},
                                         {ArchId::kSh, {5, 9, 0}, {5, 8, 0}}}) {
    policy::Policy p;
    policy::ArchPolicy ap;
    ap.arch = c.abi;
    ap.default_action = Action::Allow();
    p.arches.push_back(ap);
    p.bad_arch_action = Action::KillThread();
    policy::Policy old = p;
    const auto r = apply_target_kernel(old, c.just_below, {}, "p.json");
    ASSERT_FALSE(r) << syscalls::arch(c.abi).name;
    EXPECT_EQ(r.error().message, std::string(syscalls::arch(c.abi).name) + " needs Linux " +
                                     syscalls::to_string(c.first) + " for seccomp filters; the target kernel is " +
                                     syscalls::to_string(c.just_below));
    EXPECT_TRUE(apply_target_kernel(p, c.first, {}, "p.json")) << syscalls::arch(c.abi).name;
  }
}

// clone3 came with 5.3 and openat2 with 5.6 (x86_64 numbers 435 and 437).
TEST(TargetKernel, ASyscallNewerThanTheTargetAnswersEnosysUnlessAllowed) {
  policy::Policy p;
  policy::ArchPolicy ap;
  ap.arch = ArchId::kX86_64;
  ap.default_action = Action::Errno(1);
  ap.enosys_errno = 38;
  ap.rules[437].push_back(policy::Rule{Action::Allow(), {}, at_line(3, 0)});      // openat2
  ap.rules[39].push_back(policy::Rule{Action::KillThread(), {}, at_line(4, 1)});  // getpid
  p.arches.push_back(ap);
  p.bad_arch_action = Action::KillThread();

  TargetOptions enosys;
  enosys.newer_syscalls_enosys = true;
  policy::Policy unchanged = p;
  ASSERT_TRUE(apply_target_kernel(unchanged, {5, 2, 0}, {}, "p.json"));
  EXPECT_EQ(unchanged, p);  // only when asked: verify checks the profile as written

  policy::Policy at52 = p;
  const auto r = apply_target_kernel(at52, {5, 2, 0}, enosys, "p.json");
  ASSERT_TRUE(r) << r.error().message;
  const policy::ArchPolicy& got = at52.arches[0];
  ASSERT_TRUE(got.rules.contains(435));
  ASSERT_EQ(got.rules.at(435).size(), 1u);
  EXPECT_EQ(got.rules.at(435)[0].action, Action::Errno(38));  // clone3: as 5.2 answers
  EXPECT_EQ(got.rules.at(437)[0].action, Action::Allow());    // openat2: 5.2 says ENOSYS itself
  EXPECT_EQ(got.rules.at(39)[0].action, Action::KillThread());
  ASSERT_EQ(r->newer_syscalls.size(), 1u);
  EXPECT_TRUE(r->newer_syscalls[0].starts_with("x86_64: ")) << r->newer_syscalls[0];
  EXPECT_NE(r->newer_syscalls[0].find("clone3 (5.3)"), std::string::npos) << r->newer_syscalls[0];
  EXPECT_EQ(r->newer_syscalls[0].find("openat2"), std::string::npos) << r->newer_syscalls[0];

  policy::Policy at53 = p;
  ASSERT_TRUE(apply_target_kernel(at53, {5, 3, 0}, enosys, "p.json"));
  EXPECT_FALSE(at53.arches[0].rules.contains(435));  // 5.3 has clone3: the default answers
}

}  // namespace
}  // namespace sysfence::pipeline
