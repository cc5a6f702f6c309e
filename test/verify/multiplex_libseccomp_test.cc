// --multiplex libseccomp against the real libseccomp 2.5.4 (Debian's
// libseccomp-dev, a test-only dependency): for every multiplexing ABI it
// supports, profiles with rules on socket and SysV IPC calls are built the
// way runc builds them (seccomp_rule_add per name with the host's number,
// libseccomp translating it per ABI) and exported; the program must be
// proved equal to sysfence's resolution of the same profile with
// libseccomp's choices (64-bit arguments, KILL_THREAD for other arches, no
// ENOSYS stub, the socketcall/ipc rewrite). The profiles avoid rule
// precedence conflicts, where libseccomp and sysfence differ by design.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

#include "bpf/raw.h"
#include "profile/reader.h"
#include "profile/resolve.h"
#include "syscalls/arch.h"
#include "verify/verify.h"

namespace sysfence::verify {
namespace {

using syscalls::ArchId;

struct Arg {
  unsigned index;
  scmp_compare op;
  uint64_t value;
};
struct Entry {
  std::vector<std::string> names;
  uint32_t action;
  std::vector<Arg> args;
};
struct Case {
  std::string json;
  uint32_t default_action;
  std::vector<Entry> entries;
};

// The same profiles as JSON (for sysfence) and as libseccomp calls.
std::vector<Case> cases() {
  return {
      {R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
          {"names": ["socket", "accept", "send", "recv", "recvmmsg", "semop", "semtimedop", "shmget", "msgrcv",
                     "read"], "action": "SCMP_ACT_ALLOW"}]})",
       SCMP_ACT_ERRNO(1),
       {{{"socket", "accept", "send", "recv", "recvmmsg", "semop", "semtimedop", "shmget", "msgrcv", "read"},
         SCMP_ACT_ALLOW,
         {}}}},
      {R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
          {"names": ["socket"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13,
           "args": [{"index": 0, "value": 38, "op": "SCMP_CMP_EQ"}, {"index": 1, "value": 5, "op": "SCMP_CMP_EQ"}]},
          {"names": ["shmget"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1,
           "args": [{"index": 2, "value": 0, "op": "SCMP_CMP_EQ"}]},
          {"names": ["accept4"], "action": "SCMP_ACT_KILL_PROCESS",
           "args": [{"index": 3, "value": 7, "op": "SCMP_CMP_GT"}]},
          {"names": ["connect"], "action": "SCMP_ACT_TRAP"}]})",
       SCMP_ACT_ALLOW,
       {{{"socket"}, SCMP_ACT_ERRNO(13), {{0, SCMP_CMP_EQ, 38}, {1, SCMP_CMP_EQ, 5}}},
        {{"shmget"}, SCMP_ACT_ERRNO(1), {{2, SCMP_CMP_EQ, 0}}},
        {{"accept4"}, SCMP_ACT_KILL_PROCESS, {{3, SCMP_CMP_GT, 7}}},
        {{"connect"}, SCMP_ACT_TRAP, {}}}},
  };
}

uint32_t bswap(uint32_t v) { return __builtin_bswap32(v); }

// libseccomp's export of `c` for `abi` alone, as sysfence reads it. On a
// little-endian host libseccomp 2.5.4 writes the `k` of the rule actions'
// `ret`s of a big-endian filter in host order (test/verify/data/libseccomp/
// SOURCES.md); those are swapped back, as the fixture generator does.
bpf::Program libseccomp_program(const Case& c, const syscalls::Arch& abi) {
  scmp_filter_ctx ctx = seccomp_init(c.default_action);
  EXPECT_NE(ctx, nullptr);
  EXPECT_EQ(seccomp_arch_remove(ctx, SCMP_ARCH_NATIVE), 0);
  EXPECT_EQ(seccomp_arch_add(ctx, abi.audit_arch), 0) << abi.name;
  std::vector<uint32_t> actions{c.default_action, SCMP_ACT_KILL_THREAD};
  for (const Entry& e : c.entries) {
    actions.push_back(e.action);
    std::vector<scmp_arg_cmp> args;
    for (const Arg& a : e.args) args.push_back(scmp_arg_cmp{a.index, a.op, a.value, 0});
    for (const std::string& name : e.names) {
      const int nr = seccomp_syscall_resolve_name(name.c_str());
      if (nr == __NR_SCMP_ERROR) continue;
      EXPECT_EQ(seccomp_rule_add_array(ctx, e.action, nr, static_cast<unsigned>(args.size()), args.data()), 0) << name;
    }
  }
  const int fd = memfd_create("filter", 0);
  EXPECT_GE(fd, 0);
  EXPECT_EQ(seccomp_export_bpf(ctx, fd), 0);
  seccomp_release(ctx);
  std::vector<uint8_t> bytes(static_cast<size_t>(lseek(fd, 0, SEEK_END)));
  EXPECT_EQ(pread(fd, bytes.data(), bytes.size(), 0), static_cast<ssize_t>(bytes.size()));
  close(fd);
  auto program = bpf::read_raw(bytes, abi.endian, "libseccomp");
  EXPECT_TRUE(program) << program.error().message;
  if (!program) return {};
  if (abi.endian == Endian::kBig) {
    auto known = [&](uint32_t k) { return std::find(actions.begin(), actions.end(), k) != actions.end(); };
    for (bpf::Insn& insn : *program)
      if (insn.code == 0x06 && !known(insn.k) && known(bswap(insn.k))) insn.k = bswap(insn.k);
  }
  return *program;
}

policy::Policy sysfence_policy(const Case& c, ArchId abi,
                               profile::MultiplexRewrite mode = profile::MultiplexRewrite::kLibseccomp) {
  auto read = profile::read_profile(c.json, "case.json");
  EXPECT_TRUE(read) << read.error().message;
  profile::ResolveOptions o;
  o.native = abi;
  o.kernel = {6, 1};
  o.arg_width = profile::ArgWidthMode::k64;
  o.bad_arch_action = Action::KillThread();
  o.unknown_syscalls = profile::UnknownSyscalls::kDefault;
  o.multiplex = mode;
  auto r = profile::resolve(read->profile, o);
  EXPECT_TRUE(r) << r.error().message;
  return r->policy;
}

TEST(MultiplexLibseccomp, TheRewriteIsLibseccompsOnEveryMultiplexingAbi) {
  const ArchId abis[] = {ArchId::kI386,  ArchId::kS390,    ArchId::kS390x, ArchId::kPpc,
                         ArchId::kPpc64, ArchId::kPpc64le, ArchId::kMips,  ArchId::kMipsel};
  const std::vector<Case> all = cases();
  for (size_t i = 0; i < all.size(); ++i) {
    for (ArchId id : abis) {
      const syscalls::Arch& abi = syscalls::arch(id);
      SCOPED_TRACE(std::string(abi.name) + " case " + std::to_string(i));
      const bpf::Program program = libseccomp_program(all[i], abi);
      const policy::Policy policy = sysfence_policy(all[i], id);
      auto v = prove_equivalent(program, policy);
      ASSERT_TRUE(v) << v.error().message;
      EXPECT_TRUE(v->equivalent()) << format_verification(*v);
      // The same program against sysfence's exact reading differs wherever
      // libseccomp widened a conditional rule, so the proof is not vacuous.
      if (i == 1) {
        auto e = prove_equivalent(program, sysfence_policy(all[i], id, profile::MultiplexRewrite::kExact));
        ASSERT_TRUE(e) << e.error().message;
        EXPECT_FALSE(e->equivalent());
      }
    }
  }
}

}  // namespace
}  // namespace sysfence::verify
