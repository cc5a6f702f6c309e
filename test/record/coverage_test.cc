// The coverage summary on hand-built observations: per-ABI counts, top
// callers in order, what a hand-built base denies, and the syscalls Docker
// refuses or documents as dangerous, with the reasons.
#include "record/coverage.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "policy/policy.h"
#include "profile/builtin.h"
#include "profile/caps.h"
#include "profile/resolve.h"
#include "syscalls/table.h"

namespace sysfence::record {
namespace {

using syscalls::ArchId;

SyscallKey key(ArchId abi, std::string_view name) {
  auto nr = syscalls::table(abi).number(name);
  EXPECT_TRUE(nr) << name;
  return SyscallKey{abi, nr.value_or(0)};
}

Observations sample() {
  Observations o;
  o.calls[key(ArchId::kX86_64, "read")].count = 10;
  SyscallRecord& socket = o.calls[key(ArchId::kX86_64, "socket")];
  socket.count = 3;
  socket.args.insert({16, 2, 0, 0, 0, 0});  // AF_NETLINK
  o.calls[key(ArchId::kX86_64, "clone")].count = 1;
  o.calls[key(ArchId::kX86_64, "ptrace")].count = 2;
  o.calls[key(ArchId::kX86_64, "mount")].count = 1;
  o.calls[key(ArchId::kI386, "read")].count = 4;
  o.calls[key(ArchId::kI386, "mount")].count = 1;
  o.callers = {{"/usr/bin/a", 10}, {"/bin/sh", 5}, {"/usr/bin/b", 5}, {"/x", 1}};
  return o;
}

// x86_64 only (i386 calls meet the bad-arch action), default ERRNO(1):
// read allowed, socket only for AF_UNIX, clone only without namespace flags.
policy::Policy base_policy() {
  policy::ArchPolicy ap{ArchId::kX86_64, Action::Errno(1), {}, std::nullopt, 38};
  ap.rules[key(ArchId::kX86_64, "read").nr] = {policy::Rule{Action::Allow(), {}, {}}};
  ap.rules[key(ArchId::kX86_64, "socket").nr] = {
      policy::Rule{Action::Allow(), {policy::ArgCondition{0, policy::CmpOp::kEq, 1, 0, policy::ArgWidth::k32}}, {}}};
  ap.rules[key(ArchId::kX86_64, "clone").nr] = {policy::Rule{
      Action::Allow(), {policy::ArgCondition{0, policy::CmpOp::kMaskedEq, 0x7e020000, 0, policy::ArgWidth::k64}}, {}}};
  policy::Policy p;
  p.arches.push_back(std::move(ap));
  return p;
}

const std::string kCloneLine =
    "dangerous: clone (x86_64): Docker's default profile allows it only for some arguments (Docker's "
    "documentation lists it as blocked: \"Deny cloning new namespaces. Also gated by CAP_SYS_ADMIN for CLONE_* "
    "flags, except CLONE_USERNS.\")";
const std::string kMountLine =
    "dangerous: mount (x86_64, i386): Docker's default profile blocks it (Docker's documentation: \"Deny mounting, "
    "already gated by CAP_SYS_ADMIN.\")";
const std::string kPtraceLine =
    "dangerous: ptrace (x86_64): Docker's documentation lists it as blocked by the default profile "
    "(\"Tracing/profiling syscall, which could leak a lot of information on the host. Already blocked by dropping "
    "CAP_PTRACE.\"), but the current default profile allows it";

TEST(CoverageSummary, CountsCallersBaseAndDangers) {
  const policy::Policy base = base_policy();
  CoverageOptions options;
  options.base = &base;
  options.base_name = "base.json";
  options.top_callers = 2;
  const std::vector<std::string> expected = {
      "x86_64: 5 syscalls, 17 calls",
      "i386: 2 syscalls, 5 calls",
      "top callers: /usr/bin/a (10 calls), /bin/sh (5 calls), and 2 more",
      "denied by the base (base.json) on x86_64: mount, ptrace, socket",
      "denied by the base (base.json) on i386: mount, read",
      "allowed by the base (base.json) on x86_64 only for some arguments: clone",
      kCloneLine,
      kMountLine,
      kPtraceLine,
      "dangerous: socket (x86_64): Docker's default profile allows it only for some arguments",
  };
  EXPECT_EQ(coverage_summary(sample(), options), expected);
}

TEST(CoverageSummary, RecordedArgumentsDockerAllowsAreNotFlagged) {
  auto builtin = profile::read_builtin_default();
  ASSERT_TRUE(builtin);
  profile::ResolveOptions ro;
  ro.native = ArchId::kX86_64;
  ro.caps = profile::docker_default_caps();
  auto docker = profile::resolve(builtin->profile, ro);
  ASSERT_TRUE(docker) << docker.error().message;
  CoverageOptions options;
  options.docker_default = &docker->policy;
  options.top_callers = 1;

  // socket(AF_NETLINK) is a call Docker's default allows: no line for it.
  const std::vector<std::string> expected = {
      "x86_64: 5 syscalls, 17 calls",
      "i386: 2 syscalls, 5 calls",
      "top callers: /usr/bin/a (10 calls), and 3 more",
      kCloneLine,
      kMountLine,
      kPtraceLine,
  };
  EXPECT_EQ(coverage_summary(sample(), options), expected);

  // socket(AF_ALG) is not.
  Observations alg = sample();
  alg.calls[key(ArchId::kX86_64, "socket")].args.insert({38, 5, 0, 0, 0, 0});
  const auto lines = coverage_summary(alg, options);
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(lines.back(), "dangerous: socket (x86_64): Docker's default profile allows it only for some arguments");
}

TEST(CoverageSummary, CallersWithEqualCountsByName) {
  Observations o;
  o.calls[key(ArchId::kX86_64, "getpid")].count = 1;
  o.callers = {{"zz", 7}, {"aa", 7}, {"mm", 9}};
  const std::vector<std::string> expected = {
      "x86_64: 1 syscall, 1 call",
      "top callers: mm (9 calls), aa (7 calls), zz (7 calls)",
  };
  EXPECT_EQ(coverage_summary(o, CoverageOptions{}), expected);
}

TEST(CoverageSummary, NothingRecorded) {
  EXPECT_EQ(coverage_summary(Observations{}, CoverageOptions{}), std::vector<std::string>{"no syscalls recorded"});
}

}  // namespace
}  // namespace sysfence::record
