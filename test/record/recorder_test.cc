// The recorder in the real kernel: record_subject's baseline and full runs
// differ exactly by the marker calls (record_subject.cc), each from another
// place of the process tree (main thread, second thread, forked child,
// exec'd child, the i386 ABI). The filter is installed only in the child
// record_command starts, never in this process.
#include "record/recorder.h"

#include <gtest/gtest.h>
#include <sched.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <set>
#include <string>

#include "syscalls/table.h"
#include "test/bpf/kernel_child.h"
#include "test/cli_runner.h"

namespace sysfence::record {
namespace {

using syscalls::ArchId;

std::string subject() { return cli_runner::runfile("test/record/record_subject"); }

Recording record_ok(const std::vector<std::string>& argv) {
  auto rec = record_command(argv, {});
  EXPECT_TRUE(rec) << (rec ? "" : rec.error().message);
  if (!rec) return {};
  EXPECT_EQ(rec->exit_code, 0);
  return std::move(*rec);
}

std::set<SyscallKey> keys(const Observations& o) {
  std::set<SyscallKey> out;
  for (const auto& [k, r] : o.calls) out.insert(k);
  return out;
}

SyscallKey native(std::string_view name) { return {ArchId::kX86_64, *syscalls::table(ArchId::kX86_64).number(name)}; }

TEST(Recorder, SeesEveryPlaceOfTheProcessTreeAndNothingElse) {
  if (syscalls::native_arch().id != ArchId::kX86_64) GTEST_SKIP() << "the subject's markers are x86_64's";
  const bool i386 = bpf::testing::int80_available();
  // What the loader, libc, threads and fork need: two baseline runs.
  std::set<SyscallKey> baseline = keys(record_ok({subject(), "baseline"}).observations);
  for (const SyscallKey& k : keys(record_ok({subject(), "baseline"}).observations)) baseline.insert(k);

  std::vector<std::string> argv = {subject(), "full"};
  if (i386) argv.emplace_back("i386");
  const Recording full = record_ok(argv);
  std::set<SyscallKey> extra;
  for (const SyscallKey& k : keys(full.observations)) {
    if (!baseline.contains(k)) extra.insert(k);
  }
  std::set<SyscallKey> markers = {native("sysinfo"), native("socket"), native("getpriority"), native("getpgrp"),
                                  native("getcwd")};
  if (i386) markers.insert({ArchId::kI386, 20});
  EXPECT_EQ(extra, markers);
  EXPECT_EQ(full.observations.command, argv);
  EXPECT_EQ(full.observations.started_at.size(), 20U) << full.observations.started_at;
}

TEST(Recorder, KeepsTheArgumentsOfArgumentRuleSyscalls) {
  if (syscalls::native_arch().id != ArchId::kX86_64) GTEST_SKIP() << "the subject's markers are x86_64's";
  const Recording full = record_ok({subject(), "full"});
  const auto& calls = full.observations.calls;
  ASSERT_TRUE(calls.contains(native("socket")));
  bool netlink = false;
  for (const auto& a : calls.at(native("socket")).args) netlink = netlink || a[0] == 16;  // AF_NETLINK
  EXPECT_TRUE(netlink);
  ASSERT_TRUE(calls.contains(native("clone")));
  bool new_uts = false;
  for (const auto& a : calls.at(native("clone")).args) new_uts = new_uts || (a[0] & CLONE_NEWUTS) != 0;
  EXPECT_TRUE(new_uts);
  // Not an argument-rule syscall: no tuples.
  EXPECT_TRUE(calls.at(native("sysinfo")).args.empty());
  EXPECT_EQ(calls.at(native("sysinfo")).count, 1U);
}

TEST(Recorder, StartsAtTheCommandsExecve) {
  const Recording r = record_ok({subject(), "baseline"});
  // The command's own execve is the first recorded call (sysfence's setup
  // before it is not), and the exec'd child adds a second.
  EXPECT_EQ(r.observations.calls.at(native("execve")).count, 2U);
  EXPECT_FALSE(r.observations.calls.contains(native("seccomp")));
  // The callers are the programs: the subject (twice exec'd) only.
  ASSERT_EQ(r.observations.callers.size(), 1U);
  EXPECT_NE(r.observations.callers.begin()->first.find("record_subject"), std::string::npos);
}

TEST(Recorder, ReportsTheCommandsExitAndMissingCommands) {
  const Recording r = *record_command({"/bin/sh", "-c", "exit 7"}, {});
  EXPECT_EQ(r.exit_code, 7);
  EXPECT_EQ(r.term_signal, 0);
  const Recording k = *record_command({"/bin/sh", "-c", "kill -TERM $$"}, {});
  EXPECT_EQ(k.term_signal, SIGTERM);
  auto missing = record_command({"no-such-command-anywhere"}, {});
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().exit_code, 127);
}

TEST(Recorder, ArchOfNotifications) {
  ArchId a{};
  ASSERT_TRUE(arch_of(0xC000003E, 1, a));
  EXPECT_EQ(a, ArchId::kX86_64);
  ASSERT_TRUE(arch_of(0xC000003E, 0x40000001, a));
  EXPECT_EQ(a, ArchId::kX32);
  ASSERT_TRUE(arch_of(0x40000003, 20, a));
  EXPECT_EQ(a, ArchId::kI386);
  EXPECT_FALSE(arch_of(0x12345678, 0, a));
}

}  // namespace
}  // namespace sysfence::record
