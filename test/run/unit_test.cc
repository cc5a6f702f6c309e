// Library-level tests of `sysfence run`'s parts (no filter is installed
// here; the kernel tests are cli_test, trace_test, notify_test, probe_test).
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <boost/json.hpp>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <thread>
#include <utility>

#include "base/seccomp.h"
#include "bpf/insn.h"
#include "policy/policy.h"
#include "profile/caps.h"
#include "run/command.h"
#include "run/describe.h"
#include "run/exec_failure.h"
#include "run/host.h"
#include "run/oci_state.h"
#include "run/plan.h"
#include "run/remote_memory.h"
#include "run/rewrite.h"
#include "run/supervisor.h"
#include "syscalls/arch.h"

namespace sysfence::run {
namespace {

using bpf::jump;
using bpf::stmt;

std::string tmp(const std::string& name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return std::string(dir != nullptr ? dir : "/tmp") + "/" + name;
}

void write_file(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

// Unix socket paths are limited to 107 bytes, which TEST_TMPDIR may exceed:
// sockets live in a short private directory.
std::string socket_path(const std::string& name) {
  static const std::string dir = [] {
    char templ[] = "/tmp/sysfence-run-XXXXXX";
    return std::string(mkdtemp(templ) != nullptr ? templ : "/tmp");
  }();
  return dir + "/" + name;
}

// ---------------------------------------------------------------------------
// rewrite
// ---------------------------------------------------------------------------

// nr 0 -> ERRNO(1), 1 -> KILL_PROCESS, 2 -> TRAP, 3 -> TRACE(7), 4 -> LOG, else ALLOW.
bpf::Program sample_program() {
  using namespace bpf;
  return {
      stmt(kLd | kW | kAbs, kOffsetNr), jump(kJmp | kJeq | kK, 0, 0, 1),     stmt(kRet | kRetK, kRetErrno | 1),
      jump(kJmp | kJeq | kK, 1, 0, 1),  stmt(kRet | kRetK, kRetKillProcess), jump(kJmp | kJeq | kK, 2, 0, 1),
      stmt(kRet | kRetK, kRetTrap),     jump(kJmp | kJeq | kK, 3, 0, 1),     stmt(kRet | kRetK, kRetTrace | 7),
      jump(kJmp | kJeq | kK, 4, 0, 1),  stmt(kRet | kRetK, kRetLog),         stmt(kRet | kRetK, kRetAllow),
  };
}

TEST(Rewrite, ReturnValues) {
  EXPECT_EQ(return_values(sample_program()),
            (std::set<uint32_t>{kRetErrno | 1, kRetKillProcess, kRetTrap, kRetTrace | 7, kRetLog, kRetAllow}));
}

TEST(Rewrite, MapReturnsChangesOnlyReturns) {
  const bpf::Program p = sample_program();
  auto mapped = map_returns(p, [](uint32_t k) { return k == kRetAllow ? kRetErrno | 99 : k; });
  ASSERT_TRUE(mapped) << mapped.error().message;
  ASSERT_EQ(mapped->size(), p.size());
  for (size_t i = 0; i < p.size(); ++i) {
    if (p[i] == bpf::stmt(bpf::kRet | bpf::kRetK, kRetAllow)) {
      EXPECT_EQ((*mapped)[i].k, kRetErrno | 99);
    } else {
      EXPECT_EQ((*mapped)[i], p[i]) << i;
    }
  }
}

TEST(Rewrite, NotifyVariantKeepsAllowAndLog) {
  auto v = notify_variant(sample_program());
  ASSERT_TRUE(v) << v.error().message;
  EXPECT_EQ(return_values(*v), (std::set<uint32_t>{kRetUserNotif, kRetLog, kRetAllow}));
  // Each former denial is now a notification, at the same place.
  const bpf::Program p = sample_program();
  for (size_t i = 0; i < p.size(); ++i) {
    if (bpf::insn_class(p[i].code) != bpf::kRet) continue;
    const ActionKind k = decode(p[i].k).kind;
    const bool keep = k == ActionKind::kAllow || k == ActionKind::kLog;
    EXPECT_EQ((*v)[i].k, keep ? p[i].k : kRetUserNotif) << i;
  }
}

TEST(Rewrite, RetARefused) {
  bpf::Program p = sample_program();
  p.back() = stmt(bpf::kRet | bpf::kRetA, 0);
  auto v = notify_variant(p);
  ASSERT_FALSE(v);
  EXPECT_NE(v.error().message.find("instruction 11"), std::string::npos) << v.error().message;
}

// ---------------------------------------------------------------------------
// host
// ---------------------------------------------------------------------------

TEST(Host, ParseCapBnd) {
  auto m = parse_cap_bnd("Name:\tx\nCapInh:\t0000000000000000\nCapBnd:\t000001ffffffffff\nCapAmb:\t0\n");
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ(*m, 0x1ffffffffffULL);
  EXPECT_FALSE(parse_cap_bnd("CapEff:\t0\n"));
  auto bad = parse_cap_bnd("CapBnd:\txyz\n");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("\"xyz\""), std::string::npos);
}

TEST(Host, CapsFromMask) {
  EXPECT_EQ(caps_from_mask(0), profile::CapSet{});
  EXPECT_EQ(caps_from_mask(1), (profile::CapSet{"CAP_CHOWN"}));
  EXPECT_EQ(caps_from_mask((1ULL << 21) | (1ULL << 63)), (profile::CapSet{"CAP_SYS_ADMIN"}));
  EXPECT_EQ(caps_from_mask(~0ULL), profile::all_caps());
}

TEST(Host, BoundingCapsOfThisProcess) {
  std::ifstream in("/proc/self/status");
  std::stringstream ss;
  ss << in.rdbuf();
  auto mask = parse_cap_bnd(ss.str());
  ASSERT_TRUE(mask);
  auto caps = bounding_caps();
  ASSERT_TRUE(caps) << caps.error().message;
  EXPECT_EQ(*caps, caps_from_mask(*mask));
}

// ---------------------------------------------------------------------------
// options and plan
// ---------------------------------------------------------------------------

TEST(Plan, SecurityOpt) {
  auto a = parse_security_opt("seccomp=/p.json");
  ASSERT_TRUE(a && a->seccomp);
  EXPECT_EQ(a->seccomp->profile, "/p.json");
  EXPECT_FALSE(a->no_new_privileges);
  auto b = parse_security_opt("seccomp:unconfined");
  ASSERT_TRUE(b && b->seccomp);
  EXPECT_TRUE(b->seccomp->unconfined());
  EXPECT_FALSE(parse_security_opt("apparmor=unconfined"));
  EXPECT_FALSE(parse_security_opt("seccomp="));
}

// Docker's spellings: alone, "=BOOL" and ":BOOL" with Go's ParseBool words.
TEST(Plan, SecurityOptNoNewPrivileges) {
  const std::pair<const char*, bool> cases[] = {
      {"no-new-privileges", true},        {"no-new-privileges=true", true},   {"no-new-privileges:true", true},
      {"no-new-privileges=1", true},      {"no-new-privileges=false", false}, {"no-new-privileges:false", false},
      {"no-new-privileges=FALSE", false}, {"no-new-privileges=0", false},
  };
  for (const auto& [text, value] : cases) {
    auto o = parse_security_opt(text);
    ASSERT_TRUE(o) << text << ": " << o.error().message;
    EXPECT_FALSE(o->seccomp) << text;
    ASSERT_TRUE(o->no_new_privileges) << text;
    EXPECT_EQ(*o->no_new_privileges, value) << text;
  }
  for (const char* bad : {"no-new-privileges=yes", "no-new-privileges=", "no-new-privilegesx"}) {
    auto o = parse_security_opt(bad);
    ASSERT_FALSE(o) << bad;
    EXPECT_NE(o.error().message.find(bad), std::string::npos) << o.error().message;
  }
}

// The note names only the capabilities the profile's includes/excludes test.
TEST(Plan, CapsNoteNamesTheCapabilitiesThatMatter) {
  profile::Profile doc;
  doc.syscalls.resize(2);
  doc.syscalls[0].includes.caps = {"CAP_SYS_ADMIN"};
  doc.syscalls[1].excludes.caps = {"CAP_SYS_PTRACE"};
  const profile::CapSet docker = profile::docker_default_caps();
  profile::CapSet with_admin = docker;
  with_admin.insert("CAP_SYS_ADMIN");
  with_admin.insert("CAP_MKNOD_NOT_TESTED");
  EXPECT_FALSE(caps_note(doc, docker, docker, "docker-default"));
  auto note = caps_note(doc, docker, with_admin, "docker-default");
  ASSERT_TRUE(note);
  EXPECT_NE(note->find("docker-default"), std::string::npos) << *note;
  EXPECT_NE(note->find("this process has CAP_SYS_ADMIN and the filter's set has not"), std::string::npos) << *note;
  EXPECT_EQ(note->find("NOT_TESTED"), std::string::npos) << *note;
  profile::CapSet with_ptrace = docker;
  with_ptrace.insert("CAP_SYS_PTRACE");
  note = caps_note(doc, with_ptrace, docker, "docker-default,CAP_SYS_PTRACE");
  ASSERT_TRUE(note);
  EXPECT_NE(note->find("the filter's set has CAP_SYS_PTRACE and this process has not"), std::string::npos) << *note;
}

// A request resolved for this machine as `sysfence run` makes it, with a
// fixed kernel.
FilterRequest request_for(const std::string& profile, const std::string& caps) {
  FilterRequest r;
  r.profile = profile;
  r.resolve.native = syscalls::native_arch().id;
  r.resolve.caps = profile::parse_caps(caps).value();
  r.resolve.kernel = {6, 1};
  return r;
}

TEST(Plan, DefaultProfile) {
  FilterRequest r = request_for("default", "docker-default");
  auto plan = plan_filter(r);
  ASSERT_TRUE(plan) << plan.error().message;
  EXPECT_EQ(plan->source, "default");
  EXPECT_FALSE(plan->program.empty());
  EXPECT_EQ(plan->flags, 0u);
  EXPECT_FALSE(plan->uses_notify);
  EXPECT_EQ(plan->policy.arches.front().arch, syscalls::native_arch().id);
  r.log = r.tsync = true;
  plan = plan_filter(r);
  ASSERT_TRUE(plan);
  EXPECT_EQ(plan->flags, 3u);  // TSYNC | LOG
}

TEST(Plan, CapsDecideTheDefaultProfilesNamespaceRules) {
  FilterRequest r = request_for("default", "docker-default");
  auto without = plan_filter(r);
  r = request_for("default", "docker-default,CAP_SYS_ADMIN");
  auto with = plan_filter(r);
  ASSERT_TRUE(without && with);
  SeccompData d;
  d.arch = syscalls::arch(syscalls::ArchId::kX86_64).audit_arch;
  d.nr = static_cast<uint32_t>(SYS_unshare);
  d.args[0] = 0x10000000;  // CLONE_NEWUSER
  EXPECT_EQ(policy::evaluate(without->policy, d).action, Action::Errno(1));
  EXPECT_EQ(policy::evaluate(with->policy, d).action, Action::Allow());
}

TEST(Plan, NotifyNeedsListenerPath) {
  const std::string p = tmp("notify-no-path.json");
  write_file(p, R"({"defaultAction": "SCMP_ACT_ALLOW",
                    "syscalls": [{"names": ["getppid"], "action": "SCMP_ACT_NOTIFY"}]})");
  FilterRequest r = request_for(p, "none");
  r.current_caps = true;  // --caps current: this process's effective set
  auto plan = plan_filter(r);
  ASSERT_FALSE(plan);
  EXPECT_NE(plan.error().message.find("listenerPath"), std::string::npos) << plan.error().message;

  write_file(p, R"({"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": "/x.sock", "listenerMetadata": "m",
                    "syscalls": [{"names": ["getppid"], "action": "SCMP_ACT_NOTIFY"}]})");
  plan = plan_filter(r);
  ASSERT_TRUE(plan) << plan.error().message;
  EXPECT_TRUE(plan->uses_notify);
  EXPECT_EQ(plan->listener_path, "/x.sock");
  EXPECT_EQ(plan->listener_metadata, "m");
}

TEST(Plan, UnknownProfileFlagIsAnError) {
  const std::string p = tmp("bad-flag.json");
  write_file(p, R"({"defaultAction": "SCMP_ACT_ALLOW", "flags": ["SECCOMP_FILTER_FLAG_BOGUS"], "syscalls": []})");
  EXPECT_FALSE(plan_filter(request_for(p, "docker-default")));
}

// ---------------------------------------------------------------------------
// describe
// ---------------------------------------------------------------------------

constexpr uint32_t kAuditX86_64 = 0xc000003e;
constexpr uint32_t kAuditI386 = 0x40000003;

SeccompData call(uint32_t arch, uint32_t nr, std::array<uint64_t, 6> args = {}) {
  SeccompData d;
  d.arch = arch;
  d.nr = nr;
  d.args = args;
  return d;
}

// A reader over a fake address space.
StringReader fake_memory(std::map<uint64_t, RemoteString> memory) {
  return [memory = std::move(memory)](uint64_t address) -> std::optional<RemoteString> {
    auto it = memory.find(address);
    if (it == memory.end()) return std::nullopt;
    return it->second;
  };
}

TEST(Describe, AbiOf) {
  EXPECT_EQ(abi_of(call(kAuditX86_64, 1)), syscalls::ArchId::kX86_64);
  EXPECT_EQ(abi_of(call(kAuditX86_64, 0x40000001)), syscalls::ArchId::kX32);
  // libseccomp's split: x32 from 0x40000000 up (unsigned), -1 (a tracer's
  // skip) x86_64's.
  EXPECT_EQ(abi_of(call(kAuditX86_64, 0x80000000)), syscalls::ArchId::kX32);
  EXPECT_EQ(abi_of(call(kAuditX86_64, 0xfffffffe)), syscalls::ArchId::kX32);
  EXPECT_EQ(abi_of(call(kAuditX86_64, 0xffffffff)), syscalls::ArchId::kX86_64);
  EXPECT_EQ(abi_of(call(kAuditI386, 4)), syscalls::ArchId::kI386);
  EXPECT_EQ(abi_of(call(0x1234, 4)), std::nullopt);
}

TEST(Describe, StringsModesAndPointers) {
  const auto mem = fake_memory({{0x1000, {"/tmp/f", true}},
                                {0x2000, {"none", true}},
                                {0x3000, {"/mnt", true}},
                                {0x4000, {"tmpfs", true}},
                                {0x5000, {"a\nb\"\\\x01", true}},
                                {0x6000, {"abcdef", false}}});
  EXPECT_EQ(format_call(call(kAuditX86_64, SYS_chmod, {0x1000, 0644}), mem), "chmod(\"/tmp/f\", 0644)");
  EXPECT_EQ(format_call(call(kAuditX86_64, SYS_mount, {0x2000, 0x3000, 0x4000, 0, 0}), mem),
            "mount(\"none\", \"/mnt\", \"tmpfs\", 0, NULL)");
  EXPECT_EQ(format_call(call(kAuditX86_64, SYS_chmod, {0x5000, 0}), mem), "chmod(\"a\\nb\\\"\\\\\\x01\", 0)");
  EXPECT_EQ(format_call(call(kAuditX86_64, SYS_chmod, {0x6000, 0755}), mem), "chmod(\"abcdef\"..., 0755)");
  // Unreadable string: its address.
  EXPECT_EQ(format_call(call(kAuditX86_64, SYS_chmod, {0x7000, 0}), mem), "chmod(0x7000, 0)");
  // The directory fd and the flags as strace spells them; the dirfd is an
  // int read as 32 bits (the high word is ignored).
  EXPECT_EQ(format_call(call(kAuditX86_64, SYS_openat, {0xffffffffffffff9cULL, 0x1000, 0x80000, 0}), mem),
            "openat(AT_FDCWD, \"/tmp/f\", O_RDONLY|O_CLOEXEC, 0)");
  EXPECT_EQ(format_call(call(kAuditX86_64, SYS_openat, {3, 0x1000, 0, 0}), mem), "openat(3, \"/tmp/f\", O_RDONLY, 0)");
  // write's buffer is not a string; sethostname's name is counted, not a string.
  EXPECT_EQ(format_call(call(kAuditX86_64, SYS_write, {1, 0x1000, 6}), mem), "write(1, 0x1000, 6)");
  EXPECT_EQ(format_call(call(kAuditX86_64, SYS_sethostname, {0x1000, 6}), mem), "sethostname(0x1000, 6)");
  // Large unsigned values in hex.
  EXPECT_EQ(format_call(call(kAuditX86_64, SYS_write, {1, 0x1000, 0x12345}), mem), "write(1, 0x1000, 0x12345)");
  EXPECT_EQ(format_call(call(kAuditX86_64, SYS_unshare, {0x10000000}), mem), "unshare(CLONE_NEWUSER)");
  // Unknown numbers: six words.
  EXPECT_EQ(format_call(call(kAuditX86_64, 999), mem), "syscall_0x3e7(0, 0, 0, 0, 0, 0)");
  // i386: its own table (5 = open there).
  EXPECT_EQ(format_call(call(kAuditI386, 5, {0x1000, 0, 0}), mem), "open(\"/tmp/f\", O_RDONLY, 0)");
}

// The flag words of the common calls, each compared with what strace 6.1
// printed for the same values on x86_64 (captured with real calls).
TEST(Describe, FlagsAsStraceSpellsThem) {
  const auto mem = fake_memory({{0x1000, {"/nonexistent/x", true}}});
  const uint64_t fdcwd = static_cast<uint64_t>(-100);
  const auto line = [&](uint32_t nr, std::array<uint64_t, 6> args) {
    return format_call(call(kAuditX86_64, nr, {args[0], args[1], args[2], args[3], args[4], args[5]}), mem);
  };
  EXPECT_EQ(line(SYS_openat, {fdcwd, 0x1000, 03777701, 0}),
            "openat(AT_FDCWD, \"/nonexistent/x\", O_WRONLY|O_CREAT|O_EXCL|O_NOCTTY|O_TRUNC|O_APPEND|O_NONBLOCK|O_DSYNC|"
            "O_DIRECT|O_LARGEFILE|O_NOFOLLOW|O_NOATIME|O_CLOEXEC|O_DIRECTORY|FASYNC, 0)");
  EXPECT_EQ(line(SYS_openat, {fdcwd, 0x1000, 02 | 04010000 | 020200000, 0}),
            "openat(AT_FDCWD, \"/nonexistent/x\", O_RDWR|O_SYNC|O_TMPFILE, 0)");
  EXPECT_EQ(line(SYS_openat, {fdcwd, 0x1000, 010000000 | 01 | 0x40000000, 0}),
            "openat(AT_FDCWD, \"/nonexistent/x\", O_WRONLY|O_PATH|0x40000000, 0)");
  EXPECT_EQ(line(SYS_openat, {3, 0x1000, 3, 0}), "openat(3, \"/nonexistent/x\", O_ACCMODE, 0)");
  EXPECT_EQ(line(SYS_mmap, {0, 4096, 0x100000f,
                            0x2 | 0x10 | 0x20 | 0x40 | 0x100 | 0x800 | 0x1000 | 0x2000 | 0x4000 | 0x8000 | 0x10000 |
                                0x20000 | 0x40000 | 0x80000 | 0x100000 | 0x4000000,
                            0xffffffffffffffffULL, 0}),
            "mmap(NULL, 4096, PROT_READ|PROT_WRITE|PROT_EXEC|PROT_SEM|PROT_GROWSDOWN, MAP_PRIVATE|MAP_FIXED|"
            "MAP_ANONYMOUS|MAP_32BIT|MAP_NORESERVE|MAP_POPULATE|MAP_NONBLOCK|MAP_GROWSDOWN|MAP_DENYWRITE|"
            "MAP_EXECUTABLE|MAP_LOCKED|MAP_STACK|MAP_HUGETLB|MAP_SYNC|MAP_FIXED_NOREPLACE|1<<MAP_HUGE_SHIFT, -1, 0)");
  EXPECT_EQ(line(SYS_mmap, {0, 4096, 0, 3 | 0x200, 0xffffffffffffffffULL, 0}),
            "mmap(NULL, 4096, PROT_NONE, MAP_SHARED_VALIDATE|0x200, -1, 0)");
  EXPECT_EQ(line(SYS_mprotect, {0, 0, 0}), "mprotect(NULL, 0, PROT_NONE)");
  EXPECT_EQ(line(SYS_unshare, {0xffffff80}),
            "unshare(CLONE_NEWTIME|CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_NEWNS|CLONE_SYSVSEM|"
            "CLONE_NEWCGROUP|CLONE_NEWUTS|CLONE_NEWIPC|CLONE_NEWUSER|CLONE_NEWPID|CLONE_NEWNET|0x81f8f000)");
  EXPECT_EQ(line(SYS_unshare, {0x180}), "unshare(CLONE_NEWTIME|CLONE_VM)");
  // clone's flags: strace names its first argument flags=; here it is the first.
  EXPECT_EQ(line(SYS_clone, {0x10000000 | 0x200 | 17}).substr(0, 38), "clone(CLONE_FS|CLONE_NEWUSER|SIGCHLD, ");
  EXPECT_EQ(line(SYS_clone, {0x10000000 | 0x200 | 0x300000 | 5}).substr(0, 88),
            "clone(CLONE_FS|CLONE_PARENT_SETTID|CLONE_CHILD_CLEARTID|CLONE_NEWUSER|SIGTRAP, 0, NULL, ");
  EXPECT_EQ(line(SYS_newfstatat, {fdcwd, 0x1000, 0, 0x100 | 0x400 | 0x800 | 0x1000 | 0x8000}),
            "newfstatat(AT_FDCWD, \"/nonexistent/x\", NULL, AT_SYMLINK_NOFOLLOW|AT_SYMLINK_FOLLOW|AT_NO_AUTOMOUNT|"
            "AT_EMPTY_PATH|AT_RECURSIVE)");
  EXPECT_EQ(line(SYS_unlinkat, {fdcwd, 0x1000, 0x300}),
            "unlinkat(AT_FDCWD, \"/nonexistent/x\", AT_SYMLINK_NOFOLLOW|AT_REMOVEDIR)");
  EXPECT_EQ(line(SYS_statx, {fdcwd, 0x1000, 0x2100, 0, 0}),
            "statx(AT_FDCWD, \"/nonexistent/x\", AT_STATX_FORCE_SYNC|AT_SYMLINK_NOFOLLOW, 0, NULL)");
  EXPECT_EQ(line(SYS_statx, {fdcwd, 0x1000, 0x1000, 0, 0}),
            "statx(AT_FDCWD, \"/nonexistent/x\", AT_STATX_SYNC_AS_STAT|AT_EMPTY_PATH, 0, NULL)");
  EXPECT_EQ(line(SYS_faccessat2, {fdcwd, 0x1000, 0, 0x1300}),
            "faccessat2(AT_FDCWD, \"/nonexistent/x\", 0, AT_SYMLINK_NOFOLLOW|AT_EACCESS|AT_EMPTY_PATH)");
  // 0x200 means nothing to newfstatat: hex, not a guess.
  EXPECT_EQ(line(SYS_newfstatat, {fdcwd, 0x1000, 0, 0x200}), "newfstatat(AT_FDCWD, \"/nonexistent/x\", NULL, 0x200)");
}

// O_* values differ by architecture: arm64 has its own four, and ABIs whose
// values are not listed keep numbers.
TEST(Describe, FlagsFollowTheAbisValues) {
  using syscalls::ArchId;
  EXPECT_EQ(format_flags(ArgFlags::kOpen, ArchId::kAarch64, 040000 | 02000000, 32), "O_RDONLY|O_CLOEXEC|O_DIRECTORY");
  EXPECT_EQ(format_flags(ArgFlags::kOpen, ArchId::kX86_64, 040000 | 02000000, 32), "O_RDONLY|O_DIRECT|O_CLOEXEC");
  EXPECT_EQ(arg_flags(ArchId::kMips, "openat", "flags"), ArgFlags::kNone);
  EXPECT_EQ(arg_flags(ArchId::kMips, "openat", "dfd"), ArgFlags::kDirFd);
  EXPECT_EQ(arg_flags(ArchId::kPpc64le, "mmap", "flags"), ArgFlags::kNone);
  EXPECT_EQ(arg_flags(ArchId::kPpc64le, "mmap", "prot"), ArgFlags::kProt);
  // Exit signals are named only where their numbers are the generic ones.
  EXPECT_EQ(format_flags(ArgFlags::kClone, ArchId::kAarch64, 0x100 | 17, 64), "CLONE_VM|SIGCHLD");
  EXPECT_EQ(format_flags(ArgFlags::kClone, ArchId::kMips, 0x100 | 18, 64), "CLONE_VM|18");
}

TEST(Describe, Outcomes) {
  const auto x = syscalls::ArchId::kX86_64;
  EXPECT_EQ(format_outcome(Action::Errno(1), x), "-EPERM");
  EXPECT_EQ(format_outcome(Action::Errno(0), x), "0");
  EXPECT_EQ(format_outcome(Action::Errno(38), x), "-ENOSYS");
  EXPECT_EQ(format_outcome(Action::Errno(5000), x), "-4095");
  EXPECT_EQ(format_outcome(Action::Trace(3), x), "-ENOSYS (TRACE without a tracer)");
  EXPECT_EQ(format_outcome(Action::KillProcess(), x), "SIGSYS (KILL_PROCESS)");
  EXPECT_EQ(format_outcome(Action::KillThread(), x), "SIGSYS (KILL_THREAD)");
  EXPECT_EQ(format_outcome(Action::Trap(), x), "SIGSYS (TRAP)");
  EXPECT_EQ(format_outcome(Action::Trap(5), x), "SIGSYS (TRAP(5))");
  EXPECT_EQ(format_outcome(decode(0x00040000U), x), "SIGSYS (KILL_PROCESS (unknown action 0x00040000))");
  EXPECT_EQ(format_outcome(Action::Allow(), x), "ALLOW");
  EXPECT_EQ(format_outcome(Action::UserNotif(), x), "USER_NOTIF");
}

policy::Policy small_policy() {
  policy::ArchPolicy ap;
  ap.arch = syscalls::ArchId::kX86_64;
  ap.default_action = Action::Errno(1);
  ap.enosys_above = 400;
  policy::Rule chmod_rule;
  chmod_rule.action = Action::Errno(13);
  chmod_rule.source = {"p.json", 12, 3, "", false, 0, {}};
  ap.rules[SYS_chmod] = {chmod_rule};
  policy::Rule mkdir_rule;
  mkdir_rule.action = Action::KillProcess();
  mkdir_rule.source = {"p.json", 0, 4, "", false, 0, {}};
  ap.rules[SYS_mkdir] = {mkdir_rule};
  policy::Policy p;
  p.arches = {ap};
  return p;
}

TEST(Describe, Reasons) {
  const policy::Policy p = small_policy();
  auto reason = [&](SeccompData d) { return format_reason(policy::evaluate(p, d)); };
  EXPECT_EQ(reason(call(kAuditX86_64, SYS_chmod)), "[rule: p.json:12]");
  EXPECT_EQ(reason(call(kAuditX86_64, SYS_mkdir)), "[rule: p.json syscalls[4]]");
  EXPECT_EQ(reason(call(kAuditX86_64, 0)), "[default action]");
  EXPECT_EQ(reason(call(kAuditX86_64, 401)), "[newer than profile: ENOSYS]");
  EXPECT_EQ(reason(call(kAuditX86_64, 0x40000000)), "[architecture not in profile]");
  EXPECT_EQ(reason(call(kAuditI386, 1)), "[architecture not in profile]");
}

TEST(Describe, DenialLine) {
  const policy::Policy p = small_policy();
  const auto mem = fake_memory({{0x1000, {"/etc", true}}});
  const SeccompData d = call(kAuditX86_64, SYS_chmod, {0x1000, 0700});
  const auto x = syscalls::ArchId::kX86_64;
  EXPECT_EQ(denial_line(d, policy::evaluate(p, d), mem, x),
            "denied: chmod(\"/etc\", 0700) = -EACCES  [rule: p.json:12]");
  EXPECT_EQ(denial_line(d, policy::evaluate(p, d), mem, x, 77),
            "denied: [pid 77] chmod(\"/etc\", 0700) = -EACCES  [rule: p.json:12]");
  const SeccompData i = call(kAuditI386, 20);
  EXPECT_EQ(denial_line(i, policy::evaluate(p, i), mem, x),
            "denied: [i386] getpid() = SIGSYS (KILL_PROCESS)  [architecture not in profile]");
}

// ---------------------------------------------------------------------------
// supervisor answers
// ---------------------------------------------------------------------------

TEST(Supervisor, Answers) {
  const auto x = syscalls::ArchId::kX86_64;
  Answer a = answer_for(Action::Errno(1), 90, x);
  EXPECT_EQ(a.kind, Answer::Kind::kReturn);
  EXPECT_EQ(a.error, -1);
  a = answer_for(Action::Errno(0), 90, x);
  EXPECT_EQ(a.kind, Answer::Kind::kReturn);
  EXPECT_EQ(a.error, 0);
  EXPECT_EQ(a.val, 0);
  EXPECT_EQ(answer_for(Action::Errno(60000), 90, x).error, -4095);
  EXPECT_EQ(answer_for(Action::Trace(9), 90, x).error, -38);
  EXPECT_EQ(answer_for(Action::UserNotif(), 90, x).error, -38);
  a = answer_for(Action::KillProcess(), 110, x);
  EXPECT_EQ(a.kind, Answer::Kind::kKill);
  EXPECT_EQ(a.val, 110);
  EXPECT_EQ(answer_for(Action::KillThread(), 110, x).kind, Answer::Kind::kKill);
  a = answer_for(Action::Trap(), 0x40000027, x);
  EXPECT_EQ(a.kind, Answer::Kind::kTrap);
  EXPECT_EQ(a.val, 0x40000027);
  EXPECT_EQ(answer_for(Action::Allow(), 1, x).kind, Answer::Kind::kContinue);
  EXPECT_EQ(answer_for(Action::Log(), 1, x).kind, Answer::Kind::kContinue);
}

// ---------------------------------------------------------------------------
// remote memory (on this process: process_vm_readv on oneself is allowed)
// ---------------------------------------------------------------------------

TEST(RemoteMemory, ReadsUpToNulOrLimitOrUnmappedPage) {
  const char text[] = "hello, remote";
  auto s = read_remote_string(getpid(), reinterpret_cast<uint64_t>(text), 256);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->bytes, "hello, remote");
  EXPECT_TRUE(s->complete);
  s = read_remote_string(getpid(), reinterpret_cast<uint64_t>(text), 5);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->bytes, "hello");
  EXPECT_FALSE(s->complete);

  const auto page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  char* two = static_cast<char*>(mmap(nullptr, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  ASSERT_NE(two, MAP_FAILED);
  munmap(two + page, page);
  std::memset(two + page - 3, 'z', 3);  // no NUL before the unmapped page
  s = read_remote_string(getpid(), reinterpret_cast<uint64_t>(two + page - 3), 256);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->bytes, "zzz");
  EXPECT_FALSE(s->complete);
  // A string spanning two mapped pages.
  char* both = static_cast<char*>(mmap(nullptr, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  std::memset(both + page - 2, 'q', 4);
  s = read_remote_string(getpid(), reinterpret_cast<uint64_t>(both + page - 2), 256);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->bytes, "qqqq");
  EXPECT_TRUE(s->complete);
  EXPECT_FALSE(read_remote_string(getpid(), reinterpret_cast<uint64_t>(two + page), 256));
  EXPECT_FALSE(read_remote_string(getpid(), 0, 256));
  munmap(two, page);
  munmap(both, 2 * page);
}

// ---------------------------------------------------------------------------
// command lookup
// ---------------------------------------------------------------------------

class PathEnv : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* p = std::getenv("PATH");
    saved_ = p != nullptr ? p : "";
  }
  void TearDown() override { setenv("PATH", saved_.c_str(), 1); }
  std::string saved_;
};

TEST_F(PathEnv, FindExecutable) {
  const std::string dir = tmp("bin1");
  const std::string dir2 = tmp("bin2");
  mkdir(dir.c_str(), 0755);
  mkdir(dir2.c_str(), 0755);
  write_file(dir + "/tool", "#!/bin/sh\n");
  chmod((dir + "/tool").c_str(), 0644);  // not executable
  write_file(dir2 + "/tool", "#!/bin/sh\n");
  chmod((dir2 + "/tool").c_str(), 0755);
  mkdir((dir + "/adir").c_str(), 0755);

  setenv("PATH", (dir + ":" + dir2).c_str(), 1);
  auto found = find_executable("tool");
  ASSERT_TRUE(found);
  EXPECT_EQ(*found, dir2 + "/tool");  // the non-executable one is skipped

  setenv("PATH", dir.c_str(), 1);
  auto e = find_executable("tool");
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().exit_code, kExitCannotRun);
  e = find_executable("nothing-here");
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().exit_code, kExitNotFound);
  EXPECT_NE(e.error().message.find("not found in $PATH"), std::string::npos);
  e = find_executable("adir");
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().exit_code, kExitCannotRun);

  e = find_executable(dir + "/missing");
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().exit_code, kExitNotFound);
  e = find_executable(dir + "/tool");
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().exit_code, kExitCannotRun);
  EXPECT_TRUE(find_executable(dir2 + "/tool"));

  // An empty PATH entry is the current directory.
  char cwd[4096];
  ASSERT_NE(getcwd(cwd, sizeof cwd), nullptr);
  ASSERT_EQ(chdir(dir2.c_str()), 0);
  setenv("PATH", "/nonexistent:", 1);
  found = find_executable("tool");
  ASSERT_EQ(chdir(cwd), 0);
  ASSERT_TRUE(found);
  EXPECT_EQ(*found, "./tool");
}

TEST(Command, ExecImage) {
  ExecImage img = make_exec_image("/bin/echo", {"echo", "a", "b"});
  ExecImage moved = std::move(img);
  ASSERT_EQ(moved.argv.size(), 4u);
  EXPECT_STREQ(moved.argv[0], "echo");
  EXPECT_STREQ(moved.argv[2], "b");
  EXPECT_EQ(moved.argv[3], nullptr);
  ASSERT_EQ(moved.script_argv.size(), 5u);
  EXPECT_STREQ(moved.script_argv[0], "/bin/sh");
  EXPECT_STREQ(moved.script_argv[1], "/bin/echo");
  EXPECT_STREQ(moved.script_argv[3], "b");
  EXPECT_EQ(exit_code_for_exec_errno(ENOENT), kExitNotFound);
  EXPECT_EQ(exit_code_for_exec_errno(EACCES), kExitCannotRun);
}

// An execve answered ERRNO(0) returns 0 having run nothing: what to say
// depends on whether the profile's filter is what answers so.
TEST(Command, SkippedExecIsNoSuccess) {
  const ExecImage img = make_exec_image("/bin/true", {"true"});
  const uint32_t execve_nr = SYS_execve;
  const uint32_t errno_zero = 0x00050000;  // SECCOMP_RET_ERRNO | 0
  const uint32_t eperm = 0x00050001;
  const uint32_t allow = 0x7fff0000;
  // ld nr; jeq execve ? ret ANSWER : ret ALLOW
  const auto answering = [&](uint32_t answer) {
    return bpf::Program{{0x20, 0, 0, 0}, {0x15, 0, 1, execve_nr}, {0x06, 0, 0, answer}, {0x06, 0, 0, allow}};
  };
  EXPECT_TRUE(skips_exec(answering(errno_zero), img));
  EXPECT_FALSE(skips_exec(answering(eperm), img));
  EXPECT_FALSE(skips_exec(answering(allow), img));
  EXPECT_EQ(exec_failure_message("/bin/true", 0, true),
            "the profile answers execve ERRNO(0): the kernel skips the call and returns 0, so /bin/true never runs");
  EXPECT_EQ(exec_failure_message("/bin/true", 0, false).find("Success"), std::string::npos);
  EXPECT_TRUE(exec_failure_message("/bin/true", 0, false).starts_with("execve returned 0 without running /bin/true"));
  EXPECT_EQ(exec_failure_message("/bin/true", EACCES, false), "cannot run /bin/true: Permission denied");
  EXPECT_EQ(exit_code_for_exec_errno(0), kExitCannotRun);
}

// ---------------------------------------------------------------------------
// OCI container process state
// ---------------------------------------------------------------------------

TEST(OciState, Document) {
  const auto doc = boost::json::parse(container_process_state(4422, "MKNOD=/dev/null", "/containers/redis"));
  const auto& o = doc.as_object();
  EXPECT_EQ(o.at("ociVersion").as_string(), "1.0.2");
  ASSERT_EQ(o.at("fds").as_array().size(), 1u);
  EXPECT_EQ(o.at("fds").as_array()[0].as_string(), "seccompFd");
  EXPECT_EQ(o.at("pid").as_int64(), 4422);
  EXPECT_EQ(o.at("metadata").as_string(), "MKNOD=/dev/null");
  const auto& st = o.at("state").as_object();
  EXPECT_EQ(st.at("ociVersion").as_string(), "1.0.2");
  EXPECT_EQ(st.at("id").as_string(), "sysfence-4422");
  EXPECT_EQ(st.at("status").as_string(), "creating");
  EXPECT_EQ(st.at("pid").as_int64(), 4422);
  EXPECT_EQ(st.at("bundle").as_string(), "/containers/redis");
  const auto bare = boost::json::parse(container_process_state(1, "", "/"));
  EXPECT_FALSE(bare.as_object().contains("metadata"));
}

TEST(OciState, SendsStateAndFdInOneMessage) {
  const std::string path = socket_path("agent-unit.sock");
  unlink(path.c_str());
  const int server = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  ASSERT_LT(path.size(), sizeof addr.sun_path);
  std::memcpy(addr.sun_path, path.data(), path.size());
  ASSERT_EQ(bind(server, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(listen(server, 1), 0);

  int pipefd[2];
  ASSERT_EQ(pipe(pipefd), 0);
  std::string received;
  int received_fd = -1;
  std::thread agent([&] {
    const int c = accept(server, nullptr, nullptr);
    if (c < 0) return;
    char buf[4096];
    iovec iov{buf, sizeof buf};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    const ssize_t n = recvmsg(c, &msg, 0);
    if (n > 0) received.assign(buf, static_cast<size_t>(n));
    for (cmsghdr* h = CMSG_FIRSTHDR(&msg); h != nullptr; h = CMSG_NXTHDR(&msg, h)) {
      if (h->cmsg_level == SOL_SOCKET && h->cmsg_type == SCM_RIGHTS)
        std::memcpy(&received_fd, CMSG_DATA(h), sizeof(int));
    }
    close(c);
  });
  const std::string state = container_process_state(9, "m", "/");
  std::string error;
  auto connected = connect_to_agent(path);
  if (!connected) {
    error = connected.error().message;
  } else if (auto sent = send_to_agent(*connected, path, state, pipefd[1]); !sent) {
    error = sent.error().message;
  }
  if (connected) close(*connected);
  if (!error.empty()) shutdown(server, SHUT_RDWR);  // unblocks the agent's accept
  agent.join();
  ASSERT_EQ(error, "");
  EXPECT_EQ(received, state);
  ASSERT_GE(received_fd, 0);
  // The received fd is the pipe's write end.
  ASSERT_EQ(write(received_fd, "k", 1), 1);
  char c = 0;
  ASSERT_EQ(read(pipefd[0], &c, 1), 1);
  EXPECT_EQ(c, 'k');
  close(received_fd);
  close(pipefd[0]);
  close(pipefd[1]);
  close(server);

  auto missing = connect_to_agent(socket_path("no-agent.sock"));
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("connect"), std::string::npos) << missing.error().message;
  EXPECT_FALSE(connect_to_agent(std::string(200, 'x')));
}

}  // namespace
}  // namespace sysfence::run
