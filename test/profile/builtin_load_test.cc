// The built-in data (embedded default profile, documented blocked-syscall reasons, errno and
// capability tables) and profile loading (profile/load.h).
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "profile/builtin.h"
#include "profile/caps.h"
#include "profile/errno_names.h"
#include "profile/load.h"
#include "test/profile/test_files.h"

namespace sysfence::profile {
namespace {

using syscalls::ArchId;

TEST(Builtin, DefaultProfileIsDockersFileByteForByte) {
  EXPECT_EQ(builtin_default_profile_json(), testing::read_data_file(testing::kDockerDefault));
  auto r = read_builtin_default();
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->profile.source, "default");
  EXPECT_EQ(r->profile.syscalls.size(), 33u);
}

TEST(Builtin, SeedReasonsTable) {
  const auto table = seed_blocked_reasons();
  EXPECT_EQ(table.size(), 53u);  // the documentation's table rows, acct .. vm86old
  for (size_t i = 1; i < table.size(); ++i) EXPECT_LT(table[i - 1].syscall, table[i].syscall);
  EXPECT_EQ(seed_reason("mount"), "Deny mounting, already gated by CAP_SYS_ADMIN.");
  EXPECT_EQ(seed_reason("personality"),
            "Prevent container from enabling BSD emulation. Not inherently dangerous, but poorly tested, potential "
            "for a lot of kernel vulns.");
  EXPECT_EQ(seed_reason("acct"),
            "Accounting syscall which could let containers disable their own resource limits or process accounting. "
            "Also gated by CAP_SYS_PACCT.");  // backticks dropped
  EXPECT_EQ(seed_reason("_sysctl"), "Obsolete, replaced by /proc/sys.");
  EXPECT_FALSE(seed_reason("read"));
}

TEST(Builtin, SeedExampleProfileReads) {
  auto r = load_profile(testing::kSeedExample);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->profile.syscalls.size(), 6u);
  EXPECT_EQ(r->profile.syscalls[5].names, std::vector<std::string>{"chmod"});
}

TEST(ErrnoNames, PerArchitectureFamilies) {
  EXPECT_EQ(errno_number("EPERM", ArchId::kX86_64), 1);
  EXPECT_EQ(errno_number("ENOSYS", ArchId::kX86_64), 38);
  EXPECT_EQ(errno_number("ENOSYS", ArchId::kMips), 89);
  EXPECT_EQ(errno_number("ENOSYS", ArchId::kMipsel64n32), 89);
  EXPECT_EQ(errno_number("ENOSYS", ArchId::kParisc64), 251);
  EXPECT_EQ(errno_number("EDEADLOCK", ArchId::kPpc64le), 58);
  EXPECT_EQ(errno_number("EDEADLOCK", ArchId::kAarch64), 35);  // = EDEADLK
  EXPECT_EQ(errno_number("EWOULDBLOCK", ArchId::kRiscv64), 11);
  EXPECT_FALSE(errno_number("EINIT", ArchId::kX86_64));
  EXPECT_TRUE(is_errno_name("EINIT"));
  EXPECT_FALSE(is_errno_name("ENOTANERRNO"));
  EXPECT_EQ(errno_name(11, ArchId::kX86_64), "EAGAIN");   // not EWOULDBLOCK
  EXPECT_EQ(errno_name(35, ArchId::kX86_64), "EDEADLK");  // not EDEADLOCK
  EXPECT_EQ(errno_name(89, ArchId::kMips64el), "ENOSYS");
  EXPECT_EQ(errno_name(56, ArchId::kMips), "EDEADLOCK");  // its own number on MIPS
  EXPECT_FALSE(errno_name(4000, ArchId::kX86_64));
  EXPECT_EQ(enosys(ArchId::kS390x), 38);
  EXPECT_EQ(eperm(ArchId::kMips), 1);
}

TEST(Caps, ParseKeywordsNamesAndMistakes) {
  EXPECT_EQ(docker_default_caps().size(), 14u);
  EXPECT_EQ(all_caps().size(), 41u);
  EXPECT_EQ(capability_names()[21], "CAP_SYS_ADMIN");  // number 21
  EXPECT_EQ(*parse_caps("docker-default"), docker_default_caps());
  EXPECT_EQ(*parse_caps("all"), all_caps());
  EXPECT_TRUE(parse_caps("none")->empty());
  EXPECT_EQ(*parse_caps("sys_admin, CAP_NET_ADMIN,cap_bpf"), (CapSet{"CAP_BPF", "CAP_NET_ADMIN", "CAP_SYS_ADMIN"}));
  CapSet expected = docker_default_caps();
  expected.insert("CAP_SYS_PTRACE");
  EXPECT_EQ(*parse_caps("docker-default,SYS_PTRACE"), expected);
  auto bad = parse_caps("CAP_SYS_ADMN");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message,
            "unknown capability \"CAP_SYS_ADMN\" (did you mean \"CAP_SYS_ADMIN\"?) (use names such as CAP_SYS_ADMIN, "
            "or docker-default, all, none)");
  // The keywords join a union; all of them is all.
  EXPECT_EQ(*parse_caps("all,CAP_SYS_ADMIN"), all_caps());
}

// An empty list or item is a mistake (an unset variable, a stray comma),
// not the empty set: that is spelled none, alone.
TEST(Caps, EmptyListsAndItemsAndNoneInAListAreRefused) {
  for (const char* empty : {"", " ", "\t"}) {
    auto r = parse_caps(empty);
    ASSERT_FALSE(r) << '"' << empty << '"';
    EXPECT_EQ(r.error().message, "empty capability list (none says no capabilities)");
  }
  const std::vector<std::pair<std::string, std::string>> items = {
      {",", "item 1 of the list is empty"},
      {"CAP_SYS_ADMIN,,", "item 2 of the list is empty"},
      {"CAP_SYS_ADMIN,", "item 2 of the list is empty"},
      {",CAP_SYS_ADMIN", "item 1 of the list is empty"},
      {"docker-default, ,CAP_BPF", "item 2 of the list is empty"},
  };
  for (const auto& [spec, message] : items) {
    auto r = parse_caps(spec);
    ASSERT_FALSE(r) << spec;
    EXPECT_EQ(r.error().message, message) << spec;
  }
  for (const char* mixed : {"all,none", "none,CAP_SYS_ADMIN", "none,none", "docker-default,none"}) {
    auto r = parse_caps(mixed);
    ASSERT_FALSE(r) << mixed;
    EXPECT_EQ(r.error().message, "none is the empty set and cannot be combined with other items") << mixed;
  }
  EXPECT_TRUE(parse_caps(" none ")->empty());
}

TEST(Load, KernelVersions) {
  EXPECT_EQ(*parse_kernel_version("5.8"), (syscalls::KernelVersion{5, 8}));
  EXPECT_EQ(*parse_kernel_version("6.18.3-arch1-1"), (syscalls::KernelVersion{6, 18}));
  EXPECT_EQ(*parse_kernel_version("3.12-1-amd64"), (syscalls::KernelVersion{3, 12}));
  for (const char* bad : {"5", "5.", ".8", "x.y", "", "99999.1"}) {
    auto r = parse_kernel_version(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().message, std::string("invalid kernel version \"") + bad + "\": expected X.Y such as 5.8");
  }
  // 0.x would read as "unknown" later on.
  auto zero = parse_kernel_version("0.0");
  ASSERT_FALSE(zero);
  EXPECT_EQ(zero.error().message, "invalid kernel version \"0.0\": there is no Linux 0.x to target");
  auto host = host_kernel_version();
  ASSERT_TRUE(host) << host.error().message;
  EXPECT_GE(host->major, 3);
}

TEST(Load, ProfileArguments) {
  auto def = load_profile("default");
  ASSERT_TRUE(def);
  EXPECT_EQ(def->profile.source, "default");
  auto file = load_profile(testing::kContainersCommon);
  ASSERT_TRUE(file);
  EXPECT_EQ(file->profile.source, testing::kContainersCommon);
  auto missing = load_profile("no/such/profile.json");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().message, "no/such/profile.json: cannot open: No such file or directory");
  auto dir = load_profile("profile");
  ASSERT_FALSE(dir);
  EXPECT_EQ(dir.error().message, "profile: is a directory");
  ReadOptions small;
  small.limits.max_bytes = 100;
  auto big = load_profile(testing::kDockerDefault, small);
  ASSERT_FALSE(big);
  EXPECT_EQ(big.error().message, "profile/data/docker-default.json: file is larger than the limit of 100 bytes");
}

}  // namespace
}  // namespace sysfence::profile
