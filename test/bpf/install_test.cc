// The installer against the running kernel. Every installation happens in a
// forked child (a filter can never be removed), which reports through shared
// memory; the parent asserts.
#include "bpf/install.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/capability.h>
#include <linux/seccomp.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <string>
#include <thread>

#include "base/seccomp.h"
#include "test/bpf/kernel_child.h"

namespace sysfence::bpf {
namespace {

using testing::raw_syscall;
using testing::run_in_child;
using testing::Shared;

constexpr uint32_t kDeniedNr = 1001;  // unassigned: ENOSYS when allowed
constexpr uint16_t kDeniedErrno = 55;

// nr == `nr` -> `ret`, everything else ALLOW.
Program one_rule(uint32_t nr, uint32_t ret) {
  return {stmt(kLd | kW | kAbs, kOffsetNr), jump(kJmp | kJeq | kK, nr, 0, 1), stmt(kRet | kRetK, ret),
          stmt(kRet | kRetK, kRetAllow)};
}

Program deny_1001() { return one_rule(kDeniedNr, kRetErrno | kDeniedErrno); }

long call(uint32_t nr, uint64_t a0 = 0) { return raw_syscall(nr, {a0, 0, 0, 0, 0, 0}); }

// What a child reports: a few numbers and messages.
struct Report {
  std::atomic<int> reached{0};
  std::atomic<int64_t> value[8] = {};
  char message[4][512] = {};

  void say(int slot, const std::string& text) { std::strncpy(message[slot], text.c_str(), sizeof(message[slot]) - 1); }
  std::string said(int slot) const { return message[slot]; }
};

std::string error_of(const Expected<Installed>& r) {
  return r.has_value() ? std::string("(installed)") : r.error().message;
}

void expect_child_ok(const testing::ChildStatus& st) { EXPECT_TRUE(st.exited && st.exit_code == 0) << st.describe(); }

TEST(Install, ProbesThisKernel) {
  Shared<Report> rep;
  expect_child_ok(run_in_child([&] {
    const KernelSupport s = probe_kernel();
    rep->value[0] = s.seccomp_syscall;
    rep->value[1] = s.flags;
    int actions = 0;
    for (bool a : s.actions) actions += a;
    rep->value[2] = actions;
    rep->value[3] = action_available(0x00010000);       // undefined action
    rep->value[4] = action_available(kRetErrno | 5);    // data bits ignored
    rep->value[5] = prctl(PR_GET_SECCOMP, 0, 0, 0, 0);  // probing installs nothing
    rep->value[6] = probe_flags(kFlagLog | kFlagTsync);
  }));
  EXPECT_EQ(rep->value[0], 1);
  // Linux >= 6.0 knows all six flags and all eight actions.
  EXPECT_EQ(rep->value[1], int64_t{kAllFilterFlags}) << flag_names(static_cast<uint32_t>(rep->value[1]));
  EXPECT_EQ(rep->value[2], 8);
  EXPECT_EQ(rep->value[3], 0);
  EXPECT_EQ(rep->value[4], 1);
  EXPECT_EQ(rep->value[5], 0);
  EXPECT_EQ(rep->value[6], int64_t{kFlagLog | kFlagTsync});
}

TEST(Install, AppliesEveryFlag) {
  const uint32_t combos[] = {0,
                             kFlagLog,
                             kFlagSpecAllow,
                             kFlagTsync,
                             kFlagTsync | kFlagTsyncEsrch,
                             kFlagTsyncEsrch,
                             kFlagNewListener,
                             kFlagNewListener | kFlagWaitKillableRecv,
                             kFlagTsync | kFlagNewListener | kFlagTsyncEsrch,
                             kFlagLog | kFlagSpecAllow | kFlagTsync};
  for (uint32_t flags : combos) {
    Shared<Report> rep;
    expect_child_ok(run_in_child([&] {
      auto r = install(deny_1001(), InstallOptions{flags});
      rep->say(0, error_of(r));
      if (!r) return;
      rep->value[0] = 1;
      rep->value[1] = call(kDeniedNr);
      rep->value[2] = call(kDeniedNr + 1);
      rep->value[3] = prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0);
      rep->value[4] = prctl(PR_GET_SECCOMP, 0, 0, 0, 0);
      rep->value[5] = r->listener_fd;
      rep->value[6] = r->listener_fd >= 0 ? fcntl(r->listener_fd, F_GETFD) : -1;
    }));
    const std::string name = flag_names(flags);
    ASSERT_EQ(rep->value[0], 1) << name << ": " << rep->said(0);
    EXPECT_EQ(rep->value[1], -kDeniedErrno) << name;
    EXPECT_EQ(rep->value[2], -ENOSYS) << name;
    EXPECT_EQ(rep->value[3], 1) << name;
    EXPECT_EQ(rep->value[4], 2) << name;  // SECCOMP_MODE_FILTER
    if (flags & kFlagNewListener) {
      EXPECT_GE(rep->value[5], 0) << name;
      EXPECT_EQ(rep->value[6], FD_CLOEXEC) << name;
    } else {
      EXPECT_EQ(rep->value[5], -1) << name;
    }
  }
}

TEST(Install, RefusedFlagsAreExplained) {
  struct Case {
    uint32_t flags;
    const char* expected;
  };
  const Case cases[] = {
      {kFlagTsync | kFlagNewListener, "also needs TSYNC_ESRCH"},
      {kFlagWaitKillableRecv, "WAIT_KILLABLE_RECV needs NEW_LISTENER"},
      {1U << 10, "unknown filter flag bits 0x400"},
  };
  for (const Case& c : cases) {
    Shared<Report> rep;
    expect_child_ok(run_in_child([&] {
      rep->say(0, error_of(install(deny_1001(), InstallOptions{c.flags})));
      rep->value[0] = prctl(PR_GET_SECCOMP, 0, 0, 0, 0);
    }));
    EXPECT_NE(rep->said(0).find(c.expected), std::string::npos) << rep->said(0);
    EXPECT_NE(rep->said(0).find("EINVAL"), std::string::npos) << rep->said(0);
    EXPECT_EQ(rep->value[0], 0);
  }
}

TEST(Install, InvalidProgramsAreExplained) {
  Shared<Report> rep;
  expect_child_ok(run_in_child([&] {
    rep->say(0, error_of(install(Program{stmt(kLd | kMem, 0), stmt(kRet | kRetA, 0)})));
    rep->say(1, error_of(install(Program{})));
    rep->say(2, error_of(install(Program(kMaxInsns + 1, stmt(kRet | kRetK, kRetAllow)))));
    rep->value[0] = prctl(PR_GET_SECCOMP, 0, 0, 0, 0);
  }));
  EXPECT_EQ(rep->said(0),
            "seccomp(SECCOMP_SET_MODE_FILTER) refused the filter (EINVAL): the filter is "
            "invalid: instruction 0: M[0] is read, but not written on every path to here "
            "[scratch-uninit]");
  EXPECT_NE(rep->said(1).find("0 instructions"), std::string::npos) << rep->said(1);
  EXPECT_NE(rep->said(2).find("4097 instructions"), std::string::npos) << rep->said(2);
  EXPECT_EQ(rep->value[0], 0);
}

TEST(Install, TsyncReachesThreadsStartedBefore) {
  for (const bool tsync : {true, false}) {
    Shared<Report> rep;
    expect_child_ok(run_in_child([&] {
      std::atomic<int> go{0};
      std::thread other([&] {
        while (go.load() == 0) std::this_thread::yield();
        rep->value[1] = call(kDeniedNr);
      });
      auto r = install(deny_1001(), InstallOptions{tsync ? kFlagTsync : 0U});
      rep->say(0, error_of(r));
      rep->value[0] = r.has_value();
      go = 1;
      other.join();
      rep->value[2] = call(kDeniedNr);
    }));
    ASSERT_EQ(rep->value[0], 1) << rep->said(0);
    EXPECT_EQ(rep->value[2], -kDeniedErrno);
    // Without TSYNC a filter only applies to the calling thread.
    EXPECT_EQ(rep->value[1], tsync ? -kDeniedErrno : -ENOSYS) << "tsync=" << tsync;
  }
}

TEST(Install, TsyncFailureNamesTheThread) {
  for (const bool esrch : {false, true}) {
    Shared<Report> rep;
    expect_child_ok(run_in_child([&] {
      std::atomic<int> stage{0};
      std::thread other([&] {
        // A filter of its own: this thread's chain no longer descends from
        // the main thread's, so TSYNC cannot synchronise it.
        rep->value[1] = install(one_rule(1003, kRetErrno | 3)).has_value();
        rep->value[2] = syscall(SYS_gettid);
        stage = 1;
        while (stage.load() != 2) std::this_thread::yield();
      });
      while (stage.load() != 1) std::this_thread::yield();
      const uint32_t flags = kFlagTsync | (esrch ? kFlagTsyncEsrch : 0U);
      rep->say(0, error_of(install(deny_1001(), InstallOptions{flags})));
      rep->value[0] = prctl(PR_GET_SECCOMP, 0, 0, 0, 0);
      stage = 2;
      other.join();
    }));
    ASSERT_EQ(rep->value[1], 1);
    if (esrch) {
      EXPECT_NE(rep->said(0).find("(ESRCH)"), std::string::npos) << rep->said(0);
    } else {
      EXPECT_NE(rep->said(0).find("could not synchronize thread " + std::to_string(rep->value[2])), std::string::npos)
          << rep->said(0);
    }
    EXPECT_EQ(rep->value[0], 0) << "nothing may be installed when TSYNC fails";
  }
}

TEST(Install, NewListenerReceivesNotifications) {
  Shared<Report> rep;
  expect_child_ok(run_in_child([&] {
    auto r = install(one_rule(1002, kRetUserNotif), InstallOptions{kFlagNewListener | kFlagWaitKillableRecv});
    rep->say(0, error_of(r));
    if (!r) return;
    const int fd = r->listener_fd;
    std::thread caller([&] { rep->value[1] = call(1002, 7); });
    seccomp_notif req{};
    rep->value[2] = ioctl(fd, SECCOMP_IOCTL_NOTIF_RECV, &req);
    rep->value[3] = req.data.nr;
    rep->value[4] = static_cast<int64_t>(req.data.args[0]);
    seccomp_notif_resp resp{};
    resp.id = req.id;
    resp.val = 4242;
    rep->value[5] = ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND, &resp);
    caller.join();
    rep->value[0] = 1;
  }));
  ASSERT_EQ(rep->value[0], 1) << rep->said(0);
  EXPECT_EQ(rep->value[2], 0);
  EXPECT_EQ(rep->value[3], 1002);
  EXPECT_EQ(rep->value[4], 7);
  EXPECT_EQ(rep->value[5], 0);
  EXPECT_EQ(rep->value[1], 4242) << "the listener's answer is the syscall's result";
}

TEST(Install, SecondListenerIsRefused) {
  Shared<Report> rep;
  expect_child_ok(run_in_child([&] {
    rep->value[0] = install(deny_1001(), InstallOptions{kFlagNewListener}).has_value();
    rep->say(0, error_of(install(deny_1001(), InstallOptions{kFlagNewListener})));
  }));
  EXPECT_EQ(rep->value[0], 1);
  EXPECT_NE(rep->said(0).find("(EBUSY)"), std::string::npos) << rep->said(0);
}

TEST(Install, TotalLengthLimitIsExplained) {
  Shared<Report> rep;
  expect_child_ok(run_in_child([&] {
    // Each filter counts its eBPF length (3 + 4095 + 2 = 4100) + 4 against
    // 32768: seven fit. (4096 `ret`s count 8195 each: only three would.)
    Program big(kMaxInsns - 1, stmt(kAlu | kAdd | kK, 1));
    big.push_back(stmt(kRet | kRetK, kRetAllow));
    int installed = 0;
    std::string last;
    for (int i = 0; i < 8; ++i) {
      auto r = install(big);
      if (!r) {
        last = r.error().message;
        break;
      }
      ++installed;
    }
    rep->value[0] = installed;
    rep->say(0, last);
  }));
  EXPECT_EQ(rep->value[0], 7);
  EXPECT_NE(rep->said(0).find("(ENOMEM)"), std::string::npos) << rep->said(0);
  EXPECT_NE(rep->said(0).find("32768"), std::string::npos) << rep->said(0);
  EXPECT_NE(rep->said(0).find("this one counts 4100"), std::string::npos) << rep->said(0);
}

TEST(Install, FallsBackToPrctlWhenSeccompSyscallIsMissing) {
  Shared<Report> rep;
  expect_child_ok(run_in_child([&] {
    // Make seccomp(2) answer ENOSYS, as on kernels before 3.17.
    if (!install(one_rule(SYS_seccomp, kRetErrno | ENOSYS))) return;
    rep->value[0] = probe_kernel().seccomp_syscall;
    rep->say(0, error_of(install(deny_1001(), InstallOptions{kFlagLog})));
    InstallOptions no_fallback;
    no_fallback.allow_prctl_fallback = false;
    rep->say(1, error_of(install(deny_1001(), no_fallback)));
    auto r = install(deny_1001());
    rep->say(2, error_of(r));
    rep->value[1] = r.has_value() && r->used_prctl;
    rep->value[2] = call(kDeniedNr);
  }));
  EXPECT_EQ(rep->value[0], 0);
  EXPECT_NE(rep->said(0).find("cannot apply the flags LOG"), std::string::npos) << rep->said(0);
  EXPECT_NE(rep->said(1).find("fallback is disabled"), std::string::npos) << rep->said(1);
  EXPECT_EQ(rep->value[1], 1) << rep->said(2);
  EXPECT_EQ(rep->value[2], -kDeniedErrno);
}

bool drop_cap_sys_admin() {
  __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2]{};
  if (syscall(SYS_capget, &hdr, data) != 0) return false;
  data[0].effective &= ~(1U << CAP_SYS_ADMIN);
  return syscall(SYS_capset, &hdr, data) == 0;
}

bool has_cap_sys_admin() {
  __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2]{};
  return syscall(SYS_capget, &hdr, data) == 0 && (data[0].effective & (1U << CAP_SYS_ADMIN));
}

TEST(Install, OptingOutOfNoNewPrivsNeedsCapSysAdmin) {
  InstallOptions keep_privs;
  keep_privs.set_no_new_privs = false;
  Shared<Report> rep;
  expect_child_ok(run_in_child([&] {
    rep->value[0] = drop_cap_sys_admin() || !has_cap_sys_admin();
    rep->say(0, error_of(install(deny_1001(), keep_privs)));
    rep->value[1] = prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0);
  }));
  ASSERT_EQ(rep->value[0], 1);
  EXPECT_NE(rep->said(0).find("(EACCES)"), std::string::npos) << rep->said(0);
  EXPECT_NE(rep->said(0).find("no_new_privs was not set"), std::string::npos) << rep->said(0);
  EXPECT_EQ(rep->value[1], 0);

  if (!has_cap_sys_admin()) GTEST_SKIP() << "the CAP_SYS_ADMIN half needs CAP_SYS_ADMIN";
  rep.reset();
  expect_child_ok(run_in_child([&] {
    rep->value[0] = install(deny_1001(), keep_privs).has_value();
    rep->value[1] = prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0);
    rep->value[2] = call(kDeniedNr);
  }));
  EXPECT_EQ(rep->value[0], 1);
  EXPECT_EQ(rep->value[1], 0) << "no_new_privs must stay unset when the caller opts out";
  EXPECT_EQ(rep->value[2], -kDeniedErrno);
}

TEST(Install, FlagNames) {
  EXPECT_EQ(flag_names(0), "0");
  EXPECT_EQ(flag_names(kFlagTsync | kFlagNewListener), "TSYNC|NEW_LISTENER");
  EXPECT_EQ(flag_names(kFlagLog | (1U << 9)), "LOG|0x200");
  EXPECT_EQ(parse_flags("tsync,SECCOMP_FILTER_FLAG_LOG|spec_allow").value(), kFlagTsync | kFlagLog | kFlagSpecAllow);
  EXPECT_FALSE(parse_flags("TSYNCX").has_value());
}

}  // namespace
}  // namespace sysfence::bpf
