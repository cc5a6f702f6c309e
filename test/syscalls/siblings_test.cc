// The sibling table (syscalls/siblings.h): every name it uses is a syscall
// of at least one ABI's generated table (the kernel's *.tbl files), and the
// table is well formed. Expectations about particular families come from
// the kernel sources the families name, not from the table.
#include "syscalls/siblings.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "syscalls/table.h"

namespace sysfence::syscalls {
namespace {

bool on_some_abi(std::string_view name) {
  for (const Arch& a : all_arches())
    if (table(a.id).number(name)) return true;
  return false;
}

TEST(Siblings, EveryNameIsInSomeAbisTable) {
  std::vector<std::string> missing;
  auto check = [&](std::string_view where, std::span<const std::string_view> names) {
    for (std::string_view n : names)
      if (!on_some_abi(n)) missing.push_back(std::string(where) + ": " + std::string(n));
  };
  for (const SiblingFamily& f : sibling_families()) {
    check(f.id, f.members);
    check(f.id, f.routes);
  }
  for (const IoUringOp& op : io_uring_ops()) check(op.opcode, op.calls);
  check("io_uring", io_uring_syscalls());
  std::string list;
  for (const auto& m : missing) list += "\n  " + m;
  EXPECT_TRUE(missing.empty()) << "names no ABI's table has:" << list;
}

TEST(Siblings, FamiliesAreWellFormed) {
  std::set<std::string_view> ids;
  for (const SiblingFamily& f : sibling_families()) {
    EXPECT_TRUE(ids.insert(f.id).second) << "duplicate id " << f.id;
    EXPECT_FALSE(f.operation.empty()) << f.id;
    EXPECT_FALSE(f.source.empty()) << f.id;
    EXPECT_FALSE(f.members.empty()) << f.id;
    // A family reports routes only with two ways to the operation.
    EXPECT_GE(f.members.size() + f.routes.size(), 2U) << f.id;
    std::set<std::string_view> members(f.members.begin(), f.members.end());
    EXPECT_EQ(members.size(), f.members.size()) << f.id << ": a member twice";
    for (std::string_view r : f.routes) EXPECT_EQ(members.count(r), 0U) << f.id << ": " << r << " both";
    for (std::string_view d : f.dual_use) EXPECT_EQ(members.count(d), 1U) << f.id << ": dual-use " << d;
    for (std::string_view l : f.legacy) EXPECT_EQ(members.count(l), 1U) << f.id << ": legacy " << l;
  }
}

TEST(Siblings, TheIssuesFamiliesAreThere) {
  // Each pair reaches one kernel function (the `source` of its family).
  const std::pair<std::string_view, std::string_view> pairs[] = {
      {"chmod", "fchmodat2"},
      {"chown", "fchownat"},
      {"lchown32", "fchown"},
      {"open", "openat2"},
      {"stat", "statx"},
      {"setxattr", "setxattrat"},
      {"getxattr", "getxattrat"},
      {"rename", "renameat2"},
      {"unlink", "unlinkat"},
      {"mkdir", "mkdirat"},
      {"mknod", "mknodat"},
      {"utime", "utimensat_time64"},
      {"mount", "fsopen"},
      {"mount", "open_tree_attr"},
      {"mount", "mount_setattr"},
      {"kexec_load", "kexec_file_load"},
      {"init_module", "finit_module"},
      {"settimeofday", "clock_settime64"},
      {"stime", "clock_adjtime64"},
      {"kill", "pidfd_send_signal"},
      {"write", "pwritev2"},
      {"read", "preadv2"},
      {"ptrace", "process_vm_writev"},
      {"fork", "clone3"},
      {"getdents", "getdents64"},
      {"dup2", "dup3"},
      {"pipe", "pipe2"},
      {"accept", "accept4"},
      {"wait4", "waitid"},
      {"epoll_wait", "epoll_pwait2"},
      {"select", "ppoll_time64"},
      {"eventfd", "eventfd2"},
      {"signalfd", "signalfd4"},
      {"inotify_init", "inotify_init1"},
      {"mmap", "mmap2"},
      {"truncate", "truncate64"},
  };
  for (const auto& [a, b] : pairs) {
    bool together = false;
    for (const SiblingFamily* f : families_of(a)) together = together || is_member(*f, b);
    EXPECT_TRUE(together) << a << " and " << b;
  }
  // Routes that are not spellings: sendfile writes, unlinkat removes directories.
  bool sendfile_writes = false;
  for (const SiblingFamily* f : families_of("sendfile")) sendfile_writes = sendfile_writes || is_member(*f, "write");
  EXPECT_TRUE(sendfile_writes);
  // getcwd has no sibling syscall, and its family says how it is found anyway.
  const auto cwd = families_of("getcwd");
  ASSERT_EQ(cwd.size(), 1U);
  EXPECT_EQ(cwd[0]->members.size(), 1U);
  EXPECT_NE(cwd[0]->note.find(".."), std::string_view::npos);
}

TEST(Siblings, IoUringOpsNameTheirSyscalls) {
  std::set<std::string_view> reached;
  for (const IoUringOp& op : io_uring_ops()) reached.insert(op.calls.begin(), op.calls.end());
  for (std::string_view n : {"openat", "read", "write", "connect", "socket", "accept", "sendmsg", "recvmsg", "statx"})
    EXPECT_EQ(reached.count(n), 1U) << n;
}

}  // namespace
}  // namespace sysfence::syscalls
