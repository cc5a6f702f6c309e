// The generator on hand-made observations. What the profile means is asked
// of the reader, the resolver and policy::evaluate (the reference evaluator),
// not of the generator: a call that was seen must be allowed, one that was
// not must get the default EPERM.
#include "record/profile_gen.h"

#include <gtest/gtest.h>

#include "pipeline/pipeline.h"
#include "profile/reader.h"
#include "syscalls/table.h"

namespace sysfence::record {
namespace {

using syscalls::ArchId;

constexpr uint32_t kAuditX86_64 = 0xC000003E;
constexpr uint32_t kAuditI386 = 0x40000003;

uint32_t nr(ArchId a, std::string_view name) { return *syscalls::table(a).number(name); }

void see(Observations& o, ArchId a, std::string_view name, const std::vector<std::array<uint64_t, 6>>& args = {}) {
  SyscallRecord& r = o.calls[{a, nr(a, name)}];
  r.count += 1;
  for (const auto& t : args) r.args.insert(t);
}

std::array<uint64_t, 6> a0(uint64_t v) { return {v, 0, 0, 0, 0, 0}; }
std::array<uint64_t, 6> a1(uint64_t v) { return {3, v, 0, 0, 0, 0}; }

Observations sample() {
  Observations o;
  o.command = {"/usr/bin/prog", "--flag", "two words"};
  o.started_at = "2026-12-02T03:15:00Z";
  see(o, ArchId::kX86_64, "write");
  see(o, ArchId::kX86_64, "read");
  see(o, ArchId::kI386, "read");
  see(o, ArchId::kI386, "getpid");
  see(o, ArchId::kX86_64, "socket", {a0(2), a0(1)});
  see(o, ArchId::kX86_64, "clone", {a0(0x01200011), a0(0x40000000 | 17)});
  see(o, ArchId::kX86_64, "personality", {a0(0xffffffff)});
  see(o, ArchId::kX86_64, "ioctl", {a1(0x5401)});
  return o;
}

std::string json(const Observations& o, const GenerateOptions& options) {
  return profile_json(generate_profile(o, options).profile);
}

// The generated document resolved for x86_64 as `sysfence run` would.
policy::Policy resolved(const std::string& text) {
  pipeline::Request r;
  r.profile = "recorded.json";
  r.text = text;
  r.resolve.native = ArchId::kX86_64;
  r.last = pipeline::Stage::kRestrictAbis;
  auto built = pipeline::run(r);
  EXPECT_TRUE(built) << (built ? "" : built.error().message) << "\n" << text;
  return built ? built->resolution.policy : policy::Policy{};
}

bool allowed(const policy::Policy& p, uint32_t audit, uint32_t number, std::array<uint64_t, 6> args = {}) {
  SeccompData d;
  d.arch = audit;
  d.nr = number;
  d.args = args;
  return policy::evaluate(p, d).action == Action::Allow();
}

bool denied_eperm(const policy::Policy& p, uint32_t audit, uint32_t number, std::array<uint64_t, 6> args = {}) {
  SeccompData d;
  d.arch = audit;
  d.nr = number;
  d.args = args;
  return policy::evaluate(p, d).action == Action::Errno(1);
}

TEST(ProfileGen, NamesPerAbiSetSortedWithArchMapAndComment) {
  const std::string text = json(sample(), {.native = ArchId::kX86_64});
  auto read = profile::read_profile(text, "recorded.json");
  ASSERT_TRUE(read) << read.error().message;
  const profile::Profile& p = read->profile;
  EXPECT_EQ(p.default_action, profile::ProfileAction::kErrno);
  EXPECT_EQ(p.default_errno_ret, 1U);
  ASSERT_EQ(p.arch_map.size(), 1U);
  EXPECT_EQ(p.arch_map[0].architecture, "SCMP_ARCH_X86_64");
  EXPECT_EQ(p.arch_map[0].sub_architectures, std::vector<std::string>{"SCMP_ARCH_X86"});
  ASSERT_EQ(p.syscalls.size(), 3U) << text;
  // Native-only first (its ABI list sorts first), then both, then i386 only.
  EXPECT_EQ(p.syscalls[0].names, (std::vector<std::string>{"clone", "ioctl", "personality", "socket", "write"}));
  EXPECT_EQ(p.syscalls[1].names, std::vector<std::string>{"read"});
  EXPECT_EQ(p.syscalls[2].names, std::vector<std::string>{"getpid"});
  for (const auto& s : p.syscalls) {
    EXPECT_EQ(s.action, profile::ProfileAction::kAllow);
    EXPECT_NE(s.comment.find("`/usr/bin/prog --flag 'two words'`"), std::string::npos) << s.comment;
    EXPECT_NE(s.comment.find("2026-12-02T03:15:00Z"), std::string::npos) << s.comment;
  }
  EXPECT_NE(p.syscalls[1].comment.find("x86_64, i386"), std::string::npos) << p.syscalls[1].comment;
}

// A program seen sleeping needs restart_syscall: the kernel continues a
// nanosleep, futex wait or poll that a stop signal or a tracer interrupted
// through it, so the profile allows it (in an entry saying why) on the ABIs
// of those calls, though the recording never saw it.
TEST(ProfileGen, SleepingCallsBringRestartSyscall) {
  Observations o = sample();
  see(o, ArchId::kI386, "nanosleep");
  const std::string text = json(o, {.native = ArchId::kX86_64});
  const policy::Policy p = resolved(text);
  EXPECT_TRUE(allowed(p, kAuditI386, nr(ArchId::kI386, "restart_syscall"))) << text;
  auto read = profile::read_profile(text, "recorded.json");
  ASSERT_TRUE(read) << read.error().message;
  const profile::ProfileSyscall& last = read->profile.syscalls.back();
  EXPECT_EQ(last.names, std::vector<std::string>{"restart_syscall"});
  EXPECT_NE(last.comment.find("not seen"), std::string::npos) << last.comment;
  EXPECT_NE(last.comment.find("on i386"), std::string::npos) << last.comment;
  // Seen itself: an ordinary recorded name, no entry of its own.
  see(o, ArchId::kI386, "restart_syscall");
  const std::string seen = json(o, {.native = ArchId::kX86_64});
  auto again = profile::read_profile(seen, "recorded.json");
  ASSERT_TRUE(again) << again.error().message;
  for (const auto& e : again->profile.syscalls) EXPECT_EQ(e.comment.find("not seen"), std::string::npos) << seen;
  EXPECT_TRUE(allowed(resolved(seen), kAuditI386, nr(ArchId::kI386, "restart_syscall")));
  // Nothing sleeping: no restart_syscall.
  EXPECT_EQ(json(sample(), {.native = ArchId::kX86_64}).find("restart_syscall"), std::string::npos);
}

TEST(ProfileGen, AllowsWhatWasSeenAndDeniesTheRest) {
  const policy::Policy p = resolved(json(sample(), {.native = ArchId::kX86_64}));
  EXPECT_TRUE(allowed(p, kAuditX86_64, nr(ArchId::kX86_64, "read")));
  EXPECT_TRUE(allowed(p, kAuditX86_64, nr(ArchId::kX86_64, "socket"), a0(10)));  // no argument rules
  EXPECT_TRUE(allowed(p, kAuditI386, 20));
  EXPECT_TRUE(denied_eperm(p, kAuditX86_64, nr(ArchId::kX86_64, "sysinfo")));
  // Above the largest number the profile names: runc's ENOSYS, still denied.
  EXPECT_FALSE(allowed(p, kAuditX86_64, nr(ArchId::kX86_64, "mount")));
  // x32 was never seen: not an ABI of the filter at all.
  EXPECT_FALSE(allowed(p, kAuditX86_64, 0x40000000 | 0));
  EXPECT_FALSE(denied_eperm(p, kAuditX86_64, 0x40000000 | 0));
}

TEST(ProfileGen, ArgumentRulesAreNeverWiderThanSeen) {
  const uint32_t socket = nr(ArchId::kX86_64, "socket");
  const uint32_t clone = nr(ArchId::kX86_64, "clone");
  const uint32_t personality = nr(ArchId::kX86_64, "personality");
  const uint32_t ioctl = nr(ArchId::kX86_64, "ioctl");
  const policy::Policy p = resolved(json(sample(), {.args = true, .native = ArchId::kX86_64}));
  EXPECT_TRUE(allowed(p, kAuditX86_64, socket, a0(2)));
  EXPECT_TRUE(allowed(p, kAuditX86_64, socket, a0(1)));
  EXPECT_TRUE(denied_eperm(p, kAuditX86_64, socket, a0(10)));
  // clone: the namespace bits seen (none; CLONE_NEWNET), whatever the other flags.
  EXPECT_TRUE(allowed(p, kAuditX86_64, clone, a0(0x01200011)));
  EXPECT_TRUE(allowed(p, kAuditX86_64, clone, a0(0x00010f00)));
  EXPECT_TRUE(allowed(p, kAuditX86_64, clone, a0(0x40000000)));
  EXPECT_TRUE(denied_eperm(p, kAuditX86_64, clone, a0(0x10000000)));               // CLONE_NEWUSER
  EXPECT_TRUE(denied_eperm(p, kAuditX86_64, clone, a0(0x40000000 | 0x04000000)));  // + CLONE_NEWUTS
  EXPECT_TRUE(allowed(p, kAuditX86_64, personality, a0(0xffffffff)));
  EXPECT_TRUE(denied_eperm(p, kAuditX86_64, personality, a0(0)));
  EXPECT_TRUE(allowed(p, kAuditX86_64, ioctl, a1(0x5402)));  // ioctl only with --args=ioctl

  const policy::Policy q = resolved(json(sample(), {.args = true, .ioctl_args = true, .native = ArchId::kX86_64}));
  EXPECT_TRUE(allowed(q, kAuditX86_64, ioctl, a1(0x5401)));
  EXPECT_TRUE(denied_eperm(q, kAuditX86_64, ioctl, a1(0x5402)));
}

TEST(ProfileGen, TooManyArgumentTuplesFallBackToThePlainName) {
  Observations o = sample();
  o.calls[{ArchId::kX86_64, nr(ArchId::kX86_64, "socket")}].args_truncated = true;
  const std::string text = json(o, {.args = true, .native = ArchId::kX86_64});
  const policy::Policy p = resolved(text);
  EXPECT_TRUE(allowed(p, kAuditX86_64, nr(ArchId::kX86_64, "socket"), a0(10)));
  EXPECT_NE(text.find("socket with too many distinct arguments"), std::string::npos) << text;
}

TEST(ProfileGen, BaseKeepsOnlyWhatItDoesNotAllow) {
  auto base = resolve_base("default");
  ASSERT_TRUE(base) << base.error().message;
  Observations o;
  o.command = {"prog"};
  see(o, ArchId::kX86_64, "read");
  see(o, ArchId::kX86_64, "write");
  see(o, ArchId::kX86_64, "personality", {a0(0xffffffff)});
  see(o, ArchId::kX86_64, "clone", {a0(0x01200011)});
  auto none = generate_profile(o, {.base = &*base, .native = ArchId::kX86_64});
  EXPECT_TRUE(none.profile.syscalls.empty()) << profile_json(none.profile);

  // Docker's default denies mount and clone with namespace flags (without CAP_SYS_ADMIN).
  see(o, ArchId::kX86_64, "mount");
  see(o, ArchId::kX86_64, "clone", {a0(0x40000000 | 17)});
  const std::string text = json(o, {.args = true, .base = &*base, .native = ArchId::kX86_64});
  auto read = profile::read_profile(text, "recorded.json");
  ASSERT_TRUE(read);
  ASSERT_EQ(read->profile.syscalls.size(), 2U) << text;
  EXPECT_EQ(read->profile.syscalls[0].names, std::vector<std::string>{"mount"});
  EXPECT_EQ(read->profile.syscalls[1].names, std::vector<std::string>{"clone"});
  ASSERT_EQ(read->profile.syscalls[1].args.size(), 1U);
  EXPECT_EQ(read->profile.syscalls[1].args[0].value_two, 0x40000000U);
}

TEST(ProfileGen, NumbersWithoutANameAreReported) {
  Observations o;
  o.calls[{ArchId::kX86_64, 999}].count = 1;
  see(o, ArchId::kX86_64, "read");
  const Generated g = generate_profile(o, {.native = ArchId::kX86_64});
  EXPECT_EQ(g.unnamed, std::vector<std::string>{"x86_64 #999"});
  ASSERT_EQ(g.profile.syscalls.size(), 1U);
  EXPECT_EQ(g.profile.syscalls[0].names, std::vector<std::string>{"read"});
}

}  // namespace
}  // namespace sysfence::record
