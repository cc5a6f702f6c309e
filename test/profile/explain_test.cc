#include "profile/explain.h"

#include <gtest/gtest.h>

#include "profile/builtin.h"
#include "profile/reader.h"
#include "profile/resolve.h"

namespace sysfence::profile {
namespace {

using syscalls::ArchId;
// Substring checks with the whole text on failure (no gmock in @system).
#define EXPECT_CONTAINS(text, part) \
  EXPECT_NE((text).find(part), std::string::npos) << "missing: " << (part) << "\n--- in ---\n" << (text)
#define EXPECT_LACKS(text, part) \
  EXPECT_EQ((text).find(part), std::string::npos) << "unexpected: " << (part) << "\n--- in ---\n" << (text)

struct Explained {
  Profile profile;
  ResolveOptions options;
  Resolution resolution;
};

Explained prepare(std::string_view text, std::string_view name, ArchId arch, CapSet caps) {
  Explained e;
  auto r = read_profile(text, name);
  EXPECT_TRUE(r) << (r ? "" : r.error().message);
  if (r) e.profile = r->profile;
  e.options.native = arch;
  e.options.arg_width = ArgWidthMode::k64;  // the texts below show Docker's 64-bit comparisons
  e.options.caps = std::move(caps);
  e.options.kernel = {6, 18};
  auto res = resolve(e.profile, e.options);
  EXPECT_TRUE(res) << (res ? "" : res.error().message);
  if (res) e.resolution = *res;
  return e;
}

std::string explain_default(std::string_view syscall, ArchId arch = ArchId::kX86_64,
                            CapSet caps = docker_default_caps()) {
  const Explained e = prepare(builtin_default_profile_json(), "default", arch, std::move(caps));
  auto text = explain_syscall(e.profile, e.resolution, e.options, syscall);
  EXPECT_TRUE(text) << (text ? "" : text.error().message);
  return text ? *text : std::string();
}

// uretprobe and uprobe run on x86_64 whatever the filter says (from 6.12 and
// 6.18): explain says so after the decision; i386 and x32 are filtered.
TEST(Explain, CallsTheKernelNeverFiltersAreSaidToRunAnyway) {
  Explained e = prepare(R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
  {"names": ["uretprobe", "uprobe"], "action": "SCMP_ACT_ERRNO"}]})",
                        "u.json", ArchId::kX86_64, docker_default_caps());
  auto text = explain_syscall(e.profile, e.resolution, e.options, "uprobe");
  ASSERT_TRUE(text) << text.error().message;
  EXPECT_CONTAINS(*text, "decision: ERRNO(1)");
  EXPECT_CONTAINS(*text, "never filtered: from Linux 6.18 on, the kernel lets uprobe through on x86_64");
  e.options.kernel = {6, 17};
  text = explain_syscall(e.profile, e.resolution, e.options, "uprobe");
  ASSERT_TRUE(text) << text.error().message;
  EXPECT_LACKS(*text, "never filtered");
  text = explain_syscall(e.profile, e.resolution, e.options, "uretprobe");
  ASSERT_TRUE(text) << text.error().message;
  EXPECT_CONTAINS(*text, "never filtered: from Linux 6.12 on");
}

// SECCOMP_RET_ERRNO with errno 0 skips the call and returns 0: not "fails".
TEST(Explain, ErrnoZeroIsCalledASkippedCall) {
  const Explained e = prepare(R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
  {"names": ["unlink"], "action": "SCMP_ACT_ERRNO", "errnoRet": 65536},
  {"names": ["rmdir"], "action": "SCMP_ACT_ERRNO"}]})",
                              "z.json", ArchId::kX86_64, docker_default_caps());
  auto unlink = explain_syscall(e.profile, e.resolution, e.options, "unlink");
  ASSERT_TRUE(unlink) << unlink.error().message;
  EXPECT_CONTAINS(*unlink, "skipped: the kernel never runs the call, which returns 0 as if it succeeded");
  EXPECT_LACKS(*unlink, "fails with this errno");
  auto rmdir = explain_syscall(e.profile, e.resolution, e.options, "rmdir");
  ASSERT_TRUE(rmdir) << rmdir.error().message;
  EXPECT_CONTAINS(*rmdir, "blocked: the call fails with this errno");
}

// Without `architectures` runc adds no ENOSYS stub: a number newer than the
// profile gets the default action, and explain says why it is not ENOSYS.
// With the ABI listed, the stub answers it.
TEST(Explain, NewerSyscallWithoutTheStubSaysWhyTheDefaultAnswers) {
  const char* body = R"("defaultAction": "SCMP_ACT_ERRNO",
      "syscalls": [{"names": ["read", "write"], "action": "SCMP_ACT_ALLOW"}]})";
  const Explained bare = prepare(std::string("{") + body, "bare.json", ArchId::kX86_64, docker_default_caps());
  auto text = explain_syscall(bare.profile, bare.resolution, bare.options, "999");
  ASSERT_TRUE(text) << text.error().message;
  EXPECT_CONTAINS(*text, "decision: ERRNO(1) EPERM\n");
  EXPECT_CONTAINS(*text, "It is above 1, the largest syscall number the profile names on x86_64, but runc's ENOSYS");
  EXPECT_CONTAINS(*text, "(x86_64 is not one of them)");
  // A number below the largest named one is no newer syscall.
  text = explain_syscall(bare.profile, bare.resolution, bare.options, "0");
  ASSERT_TRUE(text) << text.error().message;
  EXPECT_LACKS(*text, "ENOSYS stub covers");

  const Explained listed = prepare(std::string(R"({"architectures": ["SCMP_ARCH_X86_64"], )") + body, "listed.json",
                                   ArchId::kX86_64, docker_default_caps());
  text = explain_syscall(listed.profile, listed.resolution, listed.options, "999");
  ASSERT_TRUE(text) << text.error().message;
  EXPECT_CONTAINS(*text, "ERRNO(38)");
  EXPECT_LACKS(*text, "ENOSYS stub covers");
}

TEST(Explain, Mount) {
  const std::string t = explain_default("mount");
  EXPECT_CONTAINS(
      t, std::string_view("mount on x86_64 (SCMP_ARCH_X86_64, AUDIT_ARCH 0xc000003e): syscall number 165 (0xa5)\n"));
  EXPECT_CONTAINS(t, std::string_view("capabilities docker-default"));
  EXPECT_CONTAINS(t, std::string_view("ABIs in this filter: x86_64, i386, x32\n"));
  EXPECT_CONTAINS(t, std::string_view("decision: ERRNO(1) EPERM\n"));
  EXPECT_CONTAINS(
      t, std::string_view("No rule applies to mount, so the default action decides (defaultAction SCMP_ACT_ERRNO, "
                          "defaultErrnoRet 1)."));
  // The entry that would allow it, where it is, and why it does not apply.
  EXPECT_CONTAINS(
      t, std::string_view("  default:633 (syscalls[17]): SCMP_ACT_ALLOW, one of 26 names\n"
                          "      -> not applied: includes.caps: CAP_SYS_ADMIN is not in the capability set\n"));
  EXPECT_CONTAINS(t, std::string_view("--caps docker-default,CAP_SYS_ADMIN"));
  EXPECT_CONTAINS(
      t, std::string_view("why Docker's default profile blocks it: Deny mounting, already gated by CAP_SYS_ADMIN.\n"));
  EXPECT_CONTAINS(t, std::string_view("  i386         number 21 (0x15): ERRNO(1) EPERM (the default action)\n"));
}

TEST(Explain, MountWithSysAdmin) {
  CapSet caps = docker_default_caps();
  caps.insert("CAP_SYS_ADMIN");
  const std::string t = explain_default("mount", ArchId::kX86_64, caps);
  EXPECT_CONTAINS(t, std::string_view("decision: ALLOW\n"));
  EXPECT_CONTAINS(t, std::string_view("decided by the rule from default:633 (syscalls[17])."));
  EXPECT_CONTAINS(t, std::string_view("      -> applied\n"));
  EXPECT_LACKS(t, "why Docker");  // not blocked
}

TEST(Explain, Personality) {
  const std::string t = explain_default("personality");
  EXPECT_CONTAINS(t, std::string_view("decision: depends on the arguments (arg0)\n"));
  EXPECT_CONTAINS(t, std::string_view("ALLOW            if arg0 == 0 (PER_LINUX)\n"));
  EXPECT_CONTAINS(t, std::string_view("ALLOW            if arg0 == 8 (PER_LINUX32)\n"));
  EXPECT_CONTAINS(t, std::string_view("ALLOW            if arg0 == 131072 (0x20000, UNAME26)\n"));
  EXPECT_CONTAINS(t, std::string_view("ALLOW            if arg0 == 131080 (0x20008, PER_LINUX32|UNAME26)\n"));
  EXPECT_CONTAINS(
      t, std::string_view("if arg0 == 4294967295 (0xffffffff, query: returns the current persona, changes nothing)"));
  EXPECT_CONTAINS(t, std::string_view("from default:478 (syscalls[5])"));
  EXPECT_CONTAINS(t, std::string_view("otherwise ERRNO(1) EPERM: the default action (defaultAction SCMP_ACT_ERRNO, "
                                      "defaultErrnoRet 1)\n"));
  EXPECT_CONTAINS(
      t, std::string_view("why Docker's default profile restricts it: Prevent container from enabling BSD emulation."));
}

TEST(Explain, CloneShowsTheNamespaceFlagsAndTheS390Entry) {
  const std::string t = explain_default("clone");
  EXPECT_CONTAINS(t,
                  std::string_view("ALLOW            if (arg0 & 0x7e020000) == 0 (none of CLONE_NEWNS|CLONE_NEWCGROUP|"
                                   "CLONE_NEWUTS|CLONE_NEWIPC|CLONE_NEWUSER|CLONE_NEWPID|CLONE_NEWNET set)\n"));
  EXPECT_CONTAINS(
      t, std::string_view("comment: s390 parameter ordering for clone is different\n"
                          "      -> not applied: includes.arches does not list \"amd64\" (the native arch)\n"));
  const std::string s390 = explain_default("clone", ArchId::kS390x);
  EXPECT_CONTAINS(s390, std::string_view("if (arg1 & 0x7e020000) == 0"));
  EXPECT_CONTAINS(s390, std::string_view("-> not applied: excludes.arches lists \"s390x\" (the native arch)"));
}

TEST(Explain, NumbersAliasesAndSubArchitectureOnlyNames) {
  EXPECT_CONTAINS(explain_default("165"), std::string_view("mount on x86_64"));
  EXPECT_CONTAINS(explain_default("0xa5"), std::string_view("mount on x86_64"));
  // fcntl64 exists on i386 only: explained there.
  const std::string t = explain_default("fcntl64");
  EXPECT_CONTAINS(
      t, std::string_view("fcntl64 on i386 (SCMP_ARCH_X86, AUDIT_ARCH 0x40000003): syscall number 221 (0xdd)"));
  EXPECT_CONTAINS(t, std::string_view("decision: ALLOW\n"));
  EXPECT_CONTAINS(t, std::string_view("  x86_64       no fcntl64 syscall on this ABI\n"));
}

TEST(Explain, NewerSyscallsGetRuncsEnosys) {
  // open_tree_attr (467, Linux 6.15) is newer than every name in the profile.
  const std::string t = explain_default("open_tree_attr");
  EXPECT_CONTAINS(t, std::string_view("open_tree_attr on x86_64 (SCMP_ARCH_X86_64, AUDIT_ARCH 0xc000003e): syscall "
                                      "number 467 (0x1d3)"));
  EXPECT_CONTAINS(t, std::string_view("decision: ERRNO(38) ENOSYS\n"));
  EXPECT_CONTAINS(t, std::string_view("it is above 466, the largest syscall number the profile names on x86_64"));
  // On x32 the same syscall is below the largest x32 number named (547): the default.
  EXPECT_CONTAINS(
      t, std::string_view("  x32          number 1073742291 (0x400001d3): ERRNO(1) EPERM (the default action)"));
  // A number no table knows.
  EXPECT_CONTAINS(explain_default("1000"), std::string_view("syscall 1000 on x86_64"));
}

TEST(Explain, SplitEntriesAreCalledOut) {
  const auto text = R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
    {"names": ["personality"], "action": "SCMP_ACT_ERRNO", "args": [
      {"index": 0, "value": 1, "op": "SCMP_CMP_EQ"}, {"index": 0, "value": 2, "op": "SCMP_CMP_EQ"}]}]})";
  const Explained e = prepare(text, "split.json", ArchId::kX86_64, {});
  auto t = explain_syscall(e.profile, e.resolution, e.options, "personality");
  ASSERT_TRUE(t);
  EXPECT_CONTAINS(*t, std::string_view("ERRNO(1) EPERM   if arg0 == 1\n"));
  EXPECT_CONTAINS(*t, std::string_view("ERRNO(1) EPERM   if arg0 == 2\n"));
  EXPECT_CONTAINS(*t, std::string_view("otherwise ALLOW: the default action"));
  EXPECT_CONTAINS(*t,
                  std::string_view("each of its conditions became a\n  rule of its own: they are ORed, not ANDed."));
  EXPECT_CONTAINS(*t, std::string_view("-> applied, one rule per condition (it repeats an argument index)"));
}

TEST(Explain, MaskedDatumBitsOutsideTheMaskAreCalledOut) {
  const auto text = R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
    {"names": ["personality"], "action": "SCMP_ACT_ERRNO", "args": [
      {"index": 0, "value": 255, "valueTwo": 511, "op": "SCMP_CMP_MASKED_EQ"}]}]})";
  const Explained e = prepare(text, "mask.json", ArchId::kX86_64, {});
  auto t = explain_syscall(e.profile, e.resolution, e.options, "personality");
  ASSERT_TRUE(t);
  // What is compared: 0x1ff & 0xff = 0xff.
  EXPECT_CONTAINS(*t, std::string_view("ERRNO(1) EPERM   if (arg0 & 0xff) == 255 (0xff) [datum written as 0x1ff]\n"));
  EXPECT_CONTAINS(*t,
                  std::string_view("      warning: arg0: the SCMP_CMP_MASKED_EQ datum 0x1ff has bits outside the "
                                   "mask 0xff; only datum & mask (0xff) is compared, as libseccomp and Docker do\n"));
}

// --arg-width abi: socket ERRNO if family >= 2^32 matches no call the kernel
// sees; explain answers the default action and says why at the entry.
TEST(Explain, AConditionNoThirtyTwoBitValueSatisfiesIsShownDecided) {
  Explained e = prepare(R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
  {"names": ["socket"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": 4294967296, "op": "SCMP_CMP_GE"}]},
  {"names": ["socket"], "action": "SCMP_ACT_TRAP", "args": [{"index": 0, "value": 4294967296, "op": "SCMP_CMP_LT"},
                                                           {"index": 2, "value": 7, "op": "SCMP_CMP_EQ"}]}]})",
                        "w.json", ArchId::kX86_64, docker_default_caps());
  e.options.arg_width = ArgWidthMode::kAbi;
  auto res = resolve(e.profile, e.options);
  ASSERT_TRUE(res) << res.error().message;
  auto text = explain_syscall(e.profile, *res, e.options, "socket");
  ASSERT_TRUE(text) << text.error().message;
  EXPECT_CONTAINS(*text, "decision: depends on the arguments (arg2)");
  EXPECT_CONTAINS(*text, "TRAP             if arg2 == 7 [low 32 bits]\n");
  EXPECT_LACKS(*text, "if arg0 >= 4294967296");
  EXPECT_CONTAINS(*text, "args: arg0 >= 4294967296 (0x100000000) [never: arg0 is 32-bit]");
  EXPECT_CONTAINS(*text, "matches no call on x86_64: the kernel reads that argument as 32 bits");
  EXPECT_CONTAINS(*text, "[never: arg0 is 32-bit]\n      matches no call on x86_64: the kernel reads that argument "
                         "as 32 bits, and no 32-bit value satisfies the condition (--arg-width 64 compares all 64 "
                         "bits, as libseccomp does)\n      -> applied (it matches no call)\n");
  EXPECT_CONTAINS(*text, "args: arg0 < 4294967296 (0x100000000) [always: arg0 is 32-bit] && arg2 == 7");
  // The TRAP entry matches calls with arg2 == 7.
  EXPECT_CONTAINS(*text, "[always: arg0 is 32-bit] && arg2 == 7\n      -> applied\n");
  // --arg-width 64 compares what the profile writes.
  e.options.arg_width = ArgWidthMode::k64;
  res = resolve(e.profile, e.options);
  ASSERT_TRUE(res) << res.error().message;
  text = explain_syscall(e.profile, *res, e.options, "socket");
  ASSERT_TRUE(text) << text.error().message;
  EXPECT_CONTAINS(*text, "if arg0 >= 4294967296 (0x100000000)\n");
  EXPECT_LACKS(*text, "[never:");
}

// An entry in force whose conditions no call satisfies (a 64-bit argument
// above the largest value, below zero) is applied but matches nothing; one
// runc split matches nothing only when none of its conditions holds alone.
TEST(Explain, AnEntryWhoseConditionsNeverHoldMatchesNoCall) {
  Explained e = prepare(R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
  {"names": ["mmap"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 1, "value": 18446744073709551615, "op": "SCMP_CMP_GT"}]},
  {"names": ["mmap"], "action": "SCMP_ACT_TRAP", "args": [{"index": 1, "value": 0, "op": "SCMP_CMP_LT"},
                                                        {"index": 2, "value": 7, "op": "SCMP_CMP_EQ"}]},
  {"names": ["mmap"], "action": "SCMP_ACT_KILL", "args": [{"index": 1, "value": 0, "op": "SCMP_CMP_LT"},
                                                        {"index": 1, "value": 0, "op": "SCMP_CMP_LT"}]},
  {"names": ["mmap"], "action": "SCMP_ACT_LOG", "args": [{"index": 1, "value": 0, "op": "SCMP_CMP_LT"},
                                                       {"index": 1, "value": 5, "op": "SCMP_CMP_EQ"}]},
  {"names": ["mmap"], "action": "SCMP_ACT_TRACE", "args": [{"index": 3, "value": 9, "op": "SCMP_CMP_GT"}, {"index": 1, "value": 6, "op": "SCMP_CMP_EQ"}]}]})",
                        "n.json", ArchId::kX86_64, docker_default_caps());
  for (const ArgWidthMode mode : {ArgWidthMode::kAbi, ArgWidthMode::k64}) {
    e.options.arg_width = mode;
    const auto res = resolve(e.profile, e.options);
    ASSERT_TRUE(res) << res.error().message;
    const auto text = explain_syscall(e.profile, *res, e.options, "mmap");
    ASSERT_TRUE(text) << text.error().message;
    const std::string_view none = "      matches no call on x86_64: no argument values satisfy its conditions together\n";
    EXPECT_CONTAINS(*text, "arg1 > 18446744073709551615 (0xffffffffffffffff)\n" + std::string(none) +
                               "      -> applied (it matches no call)\n");
    EXPECT_CONTAINS(*text, "arg1 < 0 && arg2 == 7\n" + std::string(none) + "      -> applied (it matches no call)\n");
    EXPECT_CONTAINS(*text, "      matches no call on x86_64: no argument values satisfy any one of its conditions\n"
                           "      -> applied, one rule per condition (it repeats an argument index) (it matches no "
                           "call)\n");
    // Split, and one of its conditions holds alone: LOG if arg1 == 5.
    EXPECT_CONTAINS(*text, "arg1 < 0 && arg1 == 5\n      -> applied, one rule per condition (it repeats an argument "
                           "index)\n");
    EXPECT_CONTAINS(*text, "arg3 > 9 && arg1 == 6\n      -> applied\n");
  }
}

TEST(Explain, ANameNoAbiOfTheFilterHasIsSkippedThere) {
  const auto text = R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
    {"names": ["read", "fcntl64"], "action": "SCMP_ACT_ALLOW"}]})";
  const Explained e = prepare(text, "p.json", ArchId::kAarch64, {});
  auto t = explain_syscall(e.profile, e.resolution, e.options, "fcntl64");
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_CONTAINS(*t,
                  std::string_view("fcntl64: no ABI of this filter (aarch64) has this syscall; it exists on i386, "));
  EXPECT_CONTAINS(*t, std::string_view("  p.json:2 (syscalls[0]): SCMP_ACT_ALLOW\n      -> skipped on aarch64: no such "
                                       "syscall there (libseccomp resolves names per ABI)\n"));
}

TEST(Explain, Errors) {
  const Explained e = prepare(builtin_default_profile_json(), "default", ArchId::kX86_64, docker_default_caps());
  auto bad = explain_syscall(e.profile, e.resolution, e.options, "mout");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message, "unknown syscall \"mout\" on x86_64 (did you mean \"mount\"?)");
  auto big = explain_syscall(e.profile, e.resolution, e.options, "0x100000000");
  ASSERT_FALSE(big);
  EXPECT_EQ(big.error().message, "syscall number 0x100000000 does not fit in 32 bits");
}

TEST(DescribeCondition, SymbolicNames) {
  const auto c = [](uint8_t i, policy::CmpOp op, uint64_t v, uint64_t v2 = 0) {
    return policy::ArgCondition{i, op, v, v2, policy::ArgWidth::k64};
  };
  EXPECT_EQ(describe_condition("socket", c(0, policy::CmpOp::kLt, 38)), "arg0 < 38 (0x26, AF_ALG)");
  EXPECT_EQ(describe_condition("socket", c(2, policy::CmpOp::kEq, 9)), "arg2 == 9");
  EXPECT_EQ(describe_condition("unshare", c(0, policy::CmpOp::kMaskedEq, 0x10000000, 0x10000000)),
            "(arg0 & 0x10000000) == 268435456 (0x10000000) (all of CLONE_NEWUSER set)");
  EXPECT_EQ(describe_condition("ioctl", c(1, policy::CmpOp::kGe, 5)), "arg1 >= 5");
  policy::ArgCondition narrow = c(0, policy::CmpOp::kEq, 1);
  narrow.width = policy::ArgWidth::k32;
  EXPECT_EQ(describe_condition("read", narrow), "arg0 == 1 [low 32 bits]");
  EXPECT_EQ(describe_action(Action::Errno(89), ArchId::kMips), "ERRNO(89) ENOSYS");
  EXPECT_EQ(describe_action(Action::KillThread(), ArchId::kX86_64), "KILL_THREAD");
}

}  // namespace
}  // namespace sysfence::profile
