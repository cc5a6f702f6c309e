// The compat ABI table and the compat spellings: every name exists in the
// generated tables, and the twins agree with the kernel's own tables
// (arch/x86/entry/syscalls/syscall_32.tbl runs i386 chown32 as sys_chown,
// stime as sys_stime32, umount as sys_oldumount; arm's lstat64 and aarch64's
// newfstatat are both fstatat on AT_FDCWD).
#include "syscalls/compat.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "syscalls/multiplex.h"
#include "syscalls/table.h"

namespace sysfence::syscalls {
namespace {

std::vector<std::string> strings(const std::vector<std::string_view>& v) { return {v.begin(), v.end()}; }

TEST(Compat, PairsAre64BitHostsWith32BitCompatAbis) {
  ASSERT_FALSE(compat_abis().empty());
  for (const CompatAbi& c : compat_abis()) {
    EXPECT_EQ(arch(c.host).word_bits, 64U) << arch(c.host).name;
    EXPECT_EQ(arch(c.compat).word_bits, 32U) << arch(c.compat).name;
    EXPECT_GT(table(c.compat).size(), 0U);
    EXPECT_FALSE(c.config.empty());
    EXPECT_TRUE(c.source.starts_with("arch/")) << c.source;
    EXPECT_EQ(compat_abi(c.host, c.compat), &c);
  }
  EXPECT_EQ(compat_abi(ArchId::kX86_64, ArchId::kArm), nullptr);
  EXPECT_TRUE(compat_abis_of(ArchId::kLoongarch64).empty());
  EXPECT_TRUE(compat_abis_of(ArchId::kPpc64le).empty());
  EXPECT_EQ(compat_abis_of(ArchId::kX86_64).size(), 2U);  // x32 and i386
}

TEST(Compat, EverySpellingNamesRealSyscalls) {
  for (const CompatSpelling& s : compat_spellings()) {
    bool compat_has = false;
    bool host_has = false;
    for (const CompatAbi& c : compat_abis()) {
      compat_has = compat_has || table(c.compat).find(s.compat) != nullptr;
      host_has = host_has || table(c.host).find(s.native) != nullptr;
    }
    EXPECT_TRUE(compat_has) << s.compat << " is on no compat ABI";
    EXPECT_TRUE(host_has) << s.native << " is on no host ABI";
  }
}

TEST(Compat, TwinsFollowTheKernelsImplementations) {
  EXPECT_EQ(native_twin(ArchId::kI386, "chown32", ArchId::kX86_64), "chown");
  EXPECT_EQ(native_twin(ArchId::kI386, "chown", ArchId::kX86_64), "chown");
  EXPECT_EQ(native_twin(ArchId::kI386, "stime", ArchId::kX86_64), "settimeofday");
  EXPECT_EQ(native_twin(ArchId::kI386, "umount", ArchId::kX86_64), "umount2");
  EXPECT_EQ(native_twin(ArchId::kI386, "clock_settime64", ArchId::kX86_64), "clock_settime");
  EXPECT_EQ(native_twin(ArchId::kI386, "futex_time64", ArchId::kX86_64), "futex");
  EXPECT_EQ(native_twin(ArchId::kI386, "fadvise64_64", ArchId::kX86_64), "fadvise64");
  EXPECT_EQ(native_twin(ArchId::kArm, "lstat64", ArchId::kAarch64), "newfstatat");
  EXPECT_EQ(native_twin(ArchId::kArm, "chown32", ArchId::kAarch64), "fchownat");
  EXPECT_EQ(native_twin(ArchId::kArm, "sync_file_range2", ArchId::kAarch64), "sync_file_range");
  EXPECT_EQ(native_twin(ArchId::kArm, "cacheflush", ArchId::kAarch64), std::nullopt);
  EXPECT_EQ(native_twin(ArchId::kI386, "socketcall", ArchId::kX86_64), std::nullopt);
  EXPECT_EQ(native_twin(ArchId::kMips, "syscall", ArchId::kMips64), std::nullopt);
}

TEST(Compat, CounterpartsListTheSameNameFirst) {
  EXPECT_EQ(strings(compat_counterparts(ArchId::kX86_64, "chown", ArchId::kI386)),
            (std::vector<std::string>{"chown", "chown32"}));
  EXPECT_EQ(strings(compat_counterparts(ArchId::kX86_64, "clock_settime", ArchId::kI386)),
            (std::vector<std::string>{"clock_settime", "clock_settime64"}));
  EXPECT_EQ(strings(compat_counterparts(ArchId::kAarch64, "fchmodat", ArchId::kArm)),
            (std::vector<std::string>{"fchmodat", "chmod"}));
  EXPECT_EQ(strings(compat_counterparts(ArchId::kX86_64, "fchmodat", ArchId::kI386)),
            (std::vector<std::string>{"fchmodat"}));
  EXPECT_TRUE(compat_counterparts(ArchId::kX86_64, "arch_prctl_nonexistent", ArchId::kI386).empty());
}

TEST(Compat, UnimplementedEntries) {
  EXPECT_FALSE(compat_implemented(ArchId::kI386, "vm86"));
  EXPECT_FALSE(compat_implemented(ArchId::kI386, "vm86old"));
  EXPECT_FALSE(compat_implemented(ArchId::kI386, "break"));
  EXPECT_FALSE(compat_implemented(ArchId::kMips, "unused18"));
  EXPECT_FALSE(compat_implemented(ArchId::kArm, "usr26"));
  EXPECT_TRUE(compat_implemented(ArchId::kArm, "cacheflush"));
  EXPECT_TRUE(compat_implemented(ArchId::kI386, "chown32"));
  EXPECT_TRUE(compat_implemented(ArchId::kI386, "modify_ldt"));
}

// What is left once spellings, multiplexers and unimplemented entries are
// set aside: nothing on i386 (every i386-only entry is one of those), and
// on arm the calls aarch64 really lacks.
std::vector<std::string> compat_only(ArchId host, ArchId compat) {
  std::vector<std::string> out;
  for (const Syscall& s : table(compat).entries()) {
    if (s.name == "socketcall" || s.name == "ipc" || !compat_implemented(compat, s.name)) continue;
    if (!native_twin(compat, s.name, host)) out.emplace_back(s.name);
  }
  return out;
}

TEST(Compat, WhatOnlyACompatAbiHas) {
  EXPECT_TRUE(compat_only(ArchId::kX86_64, ArchId::kI386).empty());
  const auto arm = compat_only(ArchId::kAarch64, ArchId::kArm);
  for (const char* name : {"ustat", "uselib", "sysfs", "cacheflush", "set_tls"})
    EXPECT_NE(std::find(arm.begin(), arm.end(), name), arm.end()) << name;
  for (const char* name : {"open", "chmod", "chown32", "stat64", "_llseek", "send"})
    EXPECT_EQ(std::find(arm.begin(), arm.end(), name), arm.end()) << name;
}

}  // namespace
}  // namespace sysfence::syscalls
