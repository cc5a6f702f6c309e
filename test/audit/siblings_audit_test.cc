// sibling-route and io-uring: each route with a profile (or a hand-written
// filter) that has it and one that closes it. The expected families come
// from the kernel (chmod, fchmod, fchmodat and fchmodat2 all end in
// fs/open.c chmod_common; fsopen/fsmount/move_mount mount without mount(2));
// every finding's example inputs are replayed in the interpreter.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "audit/profile_audit.h"
#include "audit/program_audit.h"
#include "bpf/asm.h"
#include "bpf/interp.h"
#include "compiler/compile.h"
#include "profile/builtin.h"
#include "profile/reader.h"
#include "profile/resolve.h"
#include "syscalls/arch.h"
#include "syscalls/table.h"

namespace sysfence::audit {
namespace {

using syscalls::ArchId;

struct Audited {
  Report report;
  bpf::Program program;
};

Audited audit_text(std::string_view text, ArchId native = ArchId::kX86_64) {
  auto read = text.empty() ? profile::read_builtin_default() : profile::read_profile(text, "p.json");
  EXPECT_TRUE(read) << read.error().message;
  profile::ResolveOptions o;
  o.native = native;
  o.kernel = {6, 18};
  if (text.empty()) o.caps = profile::docker_default_caps();
  auto r = profile::resolve(read->profile, o);
  EXPECT_TRUE(r) << r.error().message;
  ProfileAuditOptions po;
  po.native = &syscalls::arch(native);
  auto report = audit_profile(read->profile, *r, po);
  EXPECT_TRUE(report) << report.error().message;
  auto compiled = compiler::compile(r->policy, {});
  EXPECT_TRUE(compiled);
  return {std::move(*report), compiled->program};
}

std::vector<const Finding*> of(const Report& r, std::string_view check) {
  std::vector<const Finding*> out;
  for (const Finding& f : r.findings)
    if (f.check == check) out.push_back(&f);
  return out;
}

// The sibling-route finding whose message starts with `denied` (the denied
// members), on x86_64.
const Finding* route(const Report& r, std::string_view denied) {
  for (const Finding* f : of(r, check::kSiblingRoute))
    if (f->message.rfind(std::string(denied) + " ", 0) == 0 && f->message.find("on x86_64") != std::string::npos)
      return f;
  return nullptr;
}

bool has(const std::string& s, std::string_view part) { return s.find(part) != std::string::npos; }

uint32_t nr(std::string_view name) { return *syscalls::table(ArchId::kX86_64).number(name); }

bool permissive(Action a) { return a.kind == ActionKind::kAllow || a.kind == ActionKind::kLog; }

// The finding's inputs as the interpreter answers them: the open sibling
// allowed, the denied member not.
void expect_replays(const Audited& a, const Finding& f) {
  ASSERT_EQ(f.inputs.size(), 2U) << f.message;
  EXPECT_TRUE(permissive(decode(bpf::run(a.program, f.inputs[0], Endian::kLittle)->ret))) << f.message;
  EXPECT_FALSE(permissive(decode(bpf::run(a.program, f.inputs[1], Endian::kLittle)->ret))) << f.message;
}

constexpr std::string_view kDenyChmod = R"({"defaultAction": "SCMP_ACT_ALLOW",
  "syscalls": [{"names": ["chmod"], "action": "SCMP_ACT_ERRNO"}]})";

TEST(SiblingRoute, ChmodDeniedFchmodatAllowed) {
  const Audited a = audit_text(kDenyChmod);
  const Finding* f = route(a.report, "chmod is denied");
  ASSERT_NE(f, nullptr) << format_report(a.report);
  EXPECT_EQ(f->severity, Severity::kMedium);
  EXPECT_TRUE(has(f->message, "fchmod, fchmodat and fchmodat2 are allowed")) << f->message;
  EXPECT_TRUE(has(f->message, "change a file's mode bits")) << f->message;
  EXPECT_TRUE(has(f->message, "fs/open.c")) << f->message;
  EXPECT_EQ(f->fix, "deny fchmod, fchmodat and fchmodat2 as well, or allow chmod deliberately");
  EXPECT_TRUE(has(f->where, "rule p.json:2 (syscalls[0])")) << f->where;
  ASSERT_TRUE(f->location.has_value());
  EXPECT_EQ(f->location->line, 2U);
  EXPECT_EQ(f->inputs[1].nr, nr("chmod"));
  expect_replays(a, *f);
}

TEST(SiblingRoute, DenyingTheWholeFamilyClosesIt) {
  const Audited a = audit_text(R"({"defaultAction": "SCMP_ACT_ALLOW",
    "syscalls": [{"names": ["chmod", "fchmod", "fchmodat", "fchmodat2"], "action": "SCMP_ACT_ERRNO"}]})");
  EXPECT_EQ(route(a.report, "chmod"), nullptr) << format_report(a.report);
  for (const Finding* f : of(a.report, check::kSiblingRoute)) EXPECT_FALSE(has(f->message, "chmod")) << f->message;
}

TEST(SiblingRoute, ASiblingAllowedForSomeArgumentsIsOneStepLower) {
  // fchmodat allowed only on fd 3: still a route, for some arguments.
  const Audited a = audit_text(R"({"defaultAction": "SCMP_ACT_ALLOW",
    "syscalls": [{"names": ["chmod", "fchmod", "fchmodat2"], "action": "SCMP_ACT_ERRNO"},
                 {"names": ["fchmodat"], "action": "SCMP_ACT_ERRNO",
                  "args": [{"index": 0, "value": 3, "op": "SCMP_CMP_NE"}]}]})");
  const Finding* f = route(a.report, "chmod, fchmod and fchmodat2 are denied");
  ASSERT_NE(f, nullptr) << format_report(a.report);
  EXPECT_EQ(f->severity, Severity::kLow);
  EXPECT_TRUE(has(f->message, "fchmodat is allowed for some arguments")) << f->message;
  EXPECT_EQ(f->inputs[0].args[0], 3U);
  expect_replays(a, *f);
}

// ftruncate and fstat act on a descriptor the process holds: after a denied
// truncate or stat they reach only the files it can open. A sandbox that
// brokers its opens (Chromium's renderer: truncate, open and openat denied,
// ftruncate and fstat allowed) has no route; let it open files and ftruncate
// is one again.
TEST(SiblingRoute, DescriptorMembersAreARouteOnlyWhereFilesOpen) {
  constexpr std::string_view kBrokered = R"({"defaultAction": "SCMP_ACT_ALLOW",
    "syscalls": [{"names": ["truncate", "stat", "lstat", "newfstatat", "statx", "open", "openat", "openat2", "creat",
                            "open_by_handle_at"], "action": "SCMP_ACT_ERRNO"}]})";
  const Audited brokered = audit_text(kBrokered);
  EXPECT_EQ(route(brokered.report, "truncate is denied"), nullptr) << format_report(brokered.report);
  EXPECT_EQ(route(brokered.report, "stat, lstat, newfstatat and statx are denied"), nullptr)
      << format_report(brokered.report);

  constexpr std::string_view kOpens = R"({"defaultAction": "SCMP_ACT_ALLOW",
    "syscalls": [{"names": ["truncate", "open", "creat", "openat2", "open_by_handle_at"], "action": "SCMP_ACT_ERRNO"},
                 {"names": ["openat"], "action": "SCMP_ACT_ERRNO",
                  "args": [{"index": 0, "value": 3, "op": "SCMP_CMP_NE"}]}]})";
  const Audited opens = audit_text(kOpens);
  const Finding* f = route(opens.report, "truncate is denied");
  ASSERT_NE(f, nullptr) << format_report(opens.report);
  EXPECT_TRUE(has(f->message, "ftruncate is allowed")) << f->message;
  expect_replays(opens, *f);
}

TEST(SiblingRoute, MountAndTheNewMountApi) {
  const Audited open = audit_text(R"({"defaultAction": "SCMP_ACT_ALLOW",
    "syscalls": [{"names": ["mount"], "action": "SCMP_ACT_ERRNO"}]})");
  const Finding* f = route(open.report, "mount is denied");
  ASSERT_NE(f, nullptr) << format_report(open.report);
  EXPECT_EQ(f->severity, Severity::kHigh);
  for (std::string_view n : {"fsopen", "fsconfig", "fsmount", "move_mount", "open_tree", "mount_setattr"})
    EXPECT_TRUE(has(f->message, n)) << n << ": " << f->message;
  expect_replays(open, *f);
  const Audited closed = audit_text(R"({"defaultAction": "SCMP_ACT_ALLOW",
    "syscalls": [{"names": ["mount", "fsopen", "fsconfig", "fsmount", "move_mount", "open_tree", "fspick",
                            "open_tree_attr", "mount_setattr"], "action": "SCMP_ACT_ERRNO"}]})");
  EXPECT_EQ(route(closed.report, "mount"), nullptr) << format_report(closed.report);
}

TEST(SiblingRoute, OmissionFromAnAllowlistCountsForHighRiskFamilies) {
  // fsopen and friends allowed, mount left out: a mount route.
  // (x86_64 listed: runc's ENOSYS stub answers fspick, above move_mount, as absent.)
  const Audited a = audit_text(R"({"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_X86_64"],
    "syscalls": [{"names": ["fsopen", "fsconfig", "fsmount", "move_mount", "read", "write", "exit_group"],
                  "action": "SCMP_ACT_ALLOW"}]})");
  const Finding* f = route(a.report, "mount");
  ASSERT_NE(f, nullptr) << format_report(a.report);
  EXPECT_TRUE(has(f->where, "the profile's defaultAction")) << f->where;
  // read allowed, readv left out: an allowlist that does not need readv,
  // not one that meant to stop reading.
  for (const Finding* g : of(a.report, check::kSiblingRoute)) EXPECT_FALSE(has(g->message, "readv")) << g->message;
}

TEST(SiblingRoute, EnosysMeansAbsentNotDenied) {
  // clone3 answered ENOSYS so that libc falls back to clone: no route.
  const Audited a = audit_text(R"({"defaultAction": "SCMP_ACT_ALLOW",
    "syscalls": [{"names": ["clone3"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38}]})");
  EXPECT_EQ(route(a.report, "clone3"), nullptr) << format_report(a.report);
  const Audited eperm = audit_text(R"({"defaultAction": "SCMP_ACT_ALLOW",
    "syscalls": [{"names": ["clone3"], "action": "SCMP_ACT_ERRNO"}]})");
  EXPECT_NE(route(eperm.report, "clone3 is denied"), nullptr) << format_report(eperm.report);
}

TEST(SiblingRoute, ClockQueriesDoNotOpenTheSetters) {
  // Docker's way: adjtimex allowed (it also reads the clock), the setters
  // denied; the change needs CAP_SYS_TIME.
  const Audited a = audit_text(R"({"defaultAction": "SCMP_ACT_ALLOW",
    "syscalls": [{"names": ["settimeofday", "clock_settime"], "action": "SCMP_ACT_ERRNO"}]})");
  EXPECT_EQ(route(a.report, "settimeofday and clock_settime are denied"), nullptr) << format_report(a.report);
  // clock_settime denied, settimeofday (a plain setter) allowed: a route.
  const Audited b = audit_text(R"({"defaultAction": "SCMP_ACT_ALLOW",
    "syscalls": [{"names": ["clock_settime"], "action": "SCMP_ACT_ERRNO"}]})");
  const Finding* f = route(b.report, "clock_settime is denied");
  ASSERT_NE(f, nullptr) << format_report(b.report);
  EXPECT_EQ(f->severity, Severity::kHigh);
  EXPECT_TRUE(has(f->message, "but settimeofday is allowed")) << f->message;
}

TEST(SiblingRoute, LegacySpellingsLeftOutAreNotRoutes) {
  // containers-common denies ustat; statfs stays allowed: no finding.
  const Audited a = audit_text(R"({"defaultAction": "SCMP_ACT_ALLOW",
    "syscalls": [{"names": ["ustat"], "action": "SCMP_ACT_ERRNO"}]})");
  EXPECT_EQ(route(a.report, "ustat"), nullptr) << format_report(a.report);
  // A rule on the pre-2.6 create_module with init_module open is reported:
  // the family is high-risk.
  const Audited m = audit_text(R"({"defaultAction": "SCMP_ACT_ALLOW",
    "syscalls": [{"names": ["create_module"], "action": "SCMP_ACT_ERRNO"}]})");
  const Finding* f = route(m.report, "create_module is denied");
  ASSERT_NE(f, nullptr) << format_report(m.report);
  EXPECT_TRUE(has(f->message, "init_module and finit_module are allowed")) << f->message;
}

// fork and vfork denied, clone allowed only with CLONE_THREAD (0x10000; as
// Chromium's renderers do): such a clone makes a thread of the caller, never
// a process, so it is no route; a clone allowed without it is one.
TEST(SiblingRoute, CloneForThreadsOnlyIsNoRouteAroundFork) {
  constexpr std::string_view kThreadsOnly = R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
    {"names": ["read", "write", "exit_group"], "action": "SCMP_ACT_ALLOW"},
    {"names": ["fork", "vfork"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13},
    {"names": ["clone"], "action": "SCMP_ACT_ALLOW",
     "args": [{"index": 0, "value": 65536, "valueTwo": 65536, "op": "SCMP_CMP_MASKED_EQ"}]}]})";
  const Audited threads = audit_text(kThreadsOnly);
  EXPECT_EQ(route(threads.report, "fork and vfork are denied"), nullptr) << format_report(threads.report);
  EXPECT_FALSE(of(threads.report, check::kCloneNamespaces).empty()) << "the profile is audited";
  for (const Finding* f : of(threads.report, check::kSiblingRoute))
    EXPECT_FALSE(has(f->message, "clone")) << f->message;
  // And clone(SIGCHLD) (0x11, what fork(3) passes): a process.
  std::string processes(kThreadsOnly);
  processes.insert(processes.rfind("]}"), R"(,
    {"names": ["clone"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 17, "op": "SCMP_CMP_EQ"}]})");
  const Audited both = audit_text(processes);
  const Finding* f = route(both.report, "fork and vfork are denied");
  ASSERT_NE(f, nullptr) << format_report(both.report);
  EXPECT_TRUE(has(f->message, "clone is allowed")) << f->message;
  EXPECT_EQ(f->severity, Severity::kLow) << format_report(both.report);  // medium family, clone for some arguments
  expect_replays(both, *f);
  EXPECT_EQ(f->inputs[0].nr, nr("clone"));
  EXPECT_EQ(f->inputs[0].args[0], 17U) << "the example makes a process";
}

TEST(SiblingRoute, DockersDefaultHasNoRoutes) {
  const Audited a = audit_text("");
  EXPECT_TRUE(of(a.report, check::kSiblingRoute).empty()) << format_report(a.report);
  EXPECT_TRUE(of(a.report, check::kIoUring).empty()) << format_report(a.report);
}

TEST(SiblingRoute, OnAFilterWithoutAProfile) {
  // --bpf: a denylist of chmod by number; the rule is the instruction.
  bpf::AsmOptions o;
  o.arch = &syscalls::arch(ArchId::kX86_64);
  auto prog = bpf::assemble(
      "  A = arch\n"
      "  if (A != ARCH_X86_64) goto kill\n"
      "  A = sys_number\n"
      "  if (A >= 0x40000000) goto kill\n"
      "  if (A == chmod) goto deny\n"
      "  return ALLOW\n"
      "deny:\n"
      "  return ERRNO(1)\n"
      "kill:\n"
      "  return KILL_PROCESS\n",
      o);
  ASSERT_TRUE(prog) << prog.error().message;
  auto r = audit_program(prog->program, ProgramAuditOptions{});
  ASSERT_TRUE(r) << r.error().message;
  const Finding* f = route(*r, "chmod is denied");
  ASSERT_NE(f, nullptr) << format_report(*r);
  EXPECT_EQ(f->where, "instruction 6");  // return ERRNO(1), counted from 0
  expect_replays(Audited{*r, prog->program}, *f);
}

TEST(IoUring, HighWhenTheRingReachesAroundADenial) {
  const Audited a = audit_text(R"({"defaultAction": "SCMP_ACT_ALLOW",
    "syscalls": [{"names": ["connect", "openat"], "action": "SCMP_ACT_ERRNO"}]})");
  const auto found = of(a.report, check::kIoUring);
  ASSERT_EQ(found.size(), 1U) << format_report(a.report);
  EXPECT_EQ(found[0]->severity, Severity::kHigh);
  EXPECT_TRUE(has(found[0]->message, "denial of openat and connect")) << found[0]->message;
  ASSERT_EQ(found[0]->inputs.size(), 1U);
  EXPECT_TRUE(permissive(decode(bpf::run(a.program, found[0]->inputs[0], Endian::kLittle)->ret)));
}

TEST(IoUring, MediumWhenNothingIsDeniedAndNoneWhenTheRingIsClosed) {
  const Audited open = audit_text(R"({"defaultAction": "SCMP_ACT_ALLOW",
    "syscalls": [{"names": ["mount"], "action": "SCMP_ACT_ERRNO"}]})");
  const auto found = of(open.report, check::kIoUring);
  ASSERT_EQ(found.size(), 1U) << format_report(open.report);
  EXPECT_EQ(found[0]->severity, Severity::kMedium);
  const Audited closed = audit_text(R"({"defaultAction": "SCMP_ACT_ALLOW",
    "syscalls": [{"names": ["connect", "io_uring_setup", "io_uring_enter", "io_uring_register"],
                  "action": "SCMP_ACT_ERRNO"}]})");
  EXPECT_TRUE(of(closed.report, check::kIoUring).empty()) << format_report(closed.report);
}

}  // namespace
}  // namespace sysfence::audit
