// The committed generated tables: structural invariants, then facts per ABI
// written from independent knowledge of the kernel ABIs (man pages, the
// unified numbering every arch shares from 424 on), not copied from the tables.
#include "syscalls/table.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "syscalls/arch.h"

namespace sysfence::syscalls {
namespace {

constexpr uint32_t kX32 = 0x40000000;
constexpr uint32_t kArmPrivate = 0x0f0000;

// ---------------------------------------------------------------------------
// Invariants
// ---------------------------------------------------------------------------

TEST(TableInvariants, EveryAbiHasARealTable) {
  for (const auto& a : all_arches()) {
    const Table& t = table(a);
    EXPECT_EQ(t.arch(), a.id);
    EXPECT_GT(t.size(), 280u) << a.name;  // every ABI has ~300..460 syscalls
    EXPECT_LT(t.size(), 600u) << a.name;
  }
}

TEST(TableInvariants, NewestSinceIsTheNewestEntryOfAnyTable) {
  KernelVersion newest;
  std::string which;
  for (const auto& a : all_arches()) {
    for (const Syscall& s : table(a).entries()) {
      if (s.since > newest) which = std::string(a.name) + " " + std::string(s.name);
      newest = std::max(newest, s.since);
    }
  }
  EXPECT_EQ(newest_since(), newest) << which;
  EXPECT_GE(newest_since(), (KernelVersion{6, 19, 0})) << "the tables hold listns (6.19)";
}

TEST(TableInvariants, SortedByNumberAndNumbersUnique) {
  for (const auto& a : all_arches()) {
    auto e = table(a).entries();
    for (size_t i = 1; i < e.size(); ++i)
      EXPECT_LT(e[i - 1].nr, e[i].nr) << a.name << ": " << e[i - 1].name << " / " << e[i].name;
  }
}

TEST(TableInvariants, NamesUniqueAndWellFormed) {
  for (const auto& a : all_arches()) {
    std::set<std::string_view> names;
    for (const auto& s : table(a).entries()) {
      EXPECT_TRUE(names.insert(s.name).second) << a.name << ": " << s.name;
      ASSERT_FALSE(s.name.empty());
      for (char c : s.name)
        EXPECT_TRUE((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_') << a.name << ": " << s.name;
    }
  }
}

TEST(TableInvariants, EveryNumberCarriesItsBias) {
  for (const auto& a : all_arches()) {
    for (const auto& s : table(a).entries()) {
      SCOPED_TRACE(std::string(a.name) + ": " + std::string(s.name));
      if (a.id == ArchId::kX32) {
        EXPECT_EQ(s.nr & kX32, kX32);  // bit 30 set on every x32 number
        EXPECT_LT(s.nr - kX32, 1024u);
      } else if (a.nr_bias != 0) {  // MIPS: 4000 / 5000 / 6000 plus < 1000
        EXPECT_GE(s.nr, a.nr_bias);
        EXPECT_LT(s.nr, a.nr_bias + 1000);
      } else if (a.id == ArchId::kArm && s.nr >= kArmPrivate) {
        EXPECT_GE(s.nr, kArmPrivate + 1);  // __ARM_NR_BASE + 1 .. + 6
        EXPECT_LE(s.nr, kArmPrivate + 6);
      } else {
        EXPECT_LT(s.nr, 1024u);
        EXPECT_EQ(s.nr & kX32, 0u);  // only x32 has bit 30
      }
    }
  }
}

TEST(TableInvariants, LookupsRoundTrip) {
  for (const auto& a : all_arches()) {
    const Table& t = table(a);
    for (const auto& s : t.entries()) {
      ASSERT_EQ(t.find(s.name), &s) << a.name << ": " << s.name;
      ASSERT_EQ(t.find(s.nr), &s);
      EXPECT_EQ(t.number(s.name), s.nr);
      EXPECT_EQ(t.name(s.nr), s.name);
    }
    EXPECT_EQ(t.max_nr(), t.entries().back().nr);
    EXPECT_EQ(t.find("no_such_syscall"), nullptr);
    EXPECT_EQ(t.find(""), nullptr);
    EXPECT_EQ(t.find(t.max_nr() + 1), nullptr);
    EXPECT_FALSE(t.number("zzzz"));
    EXPECT_FALSE(t.name(0xffffffffu));
  }
}

TEST(TableInvariants, AliasesAreDocumentedSecondNames) {
  size_t total = 0;
  for (const auto& a : all_arches()) {
    const Table& t = table(a);
    std::string_view prev;
    for (const auto& al : t.aliases()) {
      ++total;
      EXPECT_LT(prev, al.alias) << a.name;  // sorted, unique
      prev = al.alias;
      const Syscall* canon = nullptr;
      for (const auto& s : t.entries()) {
        EXPECT_NE(s.name, al.alias) << a.name << ": alias shadows an entry";
        if (s.name == al.canonical) canon = &s;
      }
      ASSERT_NE(canon, nullptr) << a.name << ": " << al.alias;
      EXPECT_EQ(t.find(al.alias), canon);
      EXPECT_EQ(t.name(canon->nr), al.canonical);  // the canonical name wins
    }
  }
  EXPECT_EQ(total, 2u);  // arm and csky sync_file_range2, nothing else
}

TEST(TableInvariants, SinceVersionsArePlausible) {
  for (const auto& a : all_arches()) {
    for (const auto& s : table(a).entries()) {
      if (!s.since.known()) continue;
      SCOPED_TRACE(std::string(a.name) + ": " + std::string(s.name) + " since " + to_string(s.since));
      if (s.since.major == 2) {
        EXPECT_EQ(s.since.minor, 6);  // only the 2.6 series is listed
        EXPECT_LE(s.since.patch, 39);
      } else {
        EXPECT_GE(s.since.major, 3);
        EXPECT_LE(s.since.major, 6);
        EXPECT_EQ(s.since.patch, 0);
        EXPECT_LE(s.since.minor, s.since.major == 6 ? 19 : 20);
      }
    }
  }
  // Nothing predates the port that brought the ABI.
  for (const auto& s : table(ArchId::kLoongarch64).entries())
    if (s.since.known()) {
      EXPECT_GE(s.since, (KernelVersion{5, 19, 0})) << s.name;
    }
  for (const auto& s : table(ArchId::kAarch64).entries())
    if (s.since.known()) {
      EXPECT_GE(s.since, (KernelVersion{3, 7, 0})) << s.name;
    }
}

TEST(TableInvariants, KnownFirstVersions) {
  auto since = [](ArchId id, std::string_view name) {
    const Syscall* s = table(id).find(name);
    return s ? s->since : KernelVersion{9, 9, 9};
  };
  EXPECT_EQ(since(ArchId::kX86_64, "openat"), (KernelVersion{2, 6, 16}));
  EXPECT_EQ(since(ArchId::kX86_64, "seccomp"), (KernelVersion{3, 17, 0}));
  EXPECT_EQ(since(ArchId::kX86_64, "clone3"), (KernelVersion{5, 3, 0}));
  EXPECT_EQ(since(ArchId::kX86_64, "mseal"), (KernelVersion{6, 10, 0}));
  EXPECT_EQ(since(ArchId::kX86_64, "setxattrat"), (KernelVersion{6, 13, 0}));
  EXPECT_EQ(since(ArchId::kArm, "file_getattr"), (KernelVersion{6, 17, 0}));
  EXPECT_EQ(since(ArchId::kAarch64, "openat"), (KernelVersion{3, 7, 0}));  // raised to the arm64 port
  EXPECT_EQ(since(ArchId::kX86_64, "read"), (KernelVersion{}));            // pre-2.6: unknown
  EXPECT_EQ(to_string(KernelVersion{2, 6, 16}), "2.6.16");
  EXPECT_EQ(to_string(KernelVersion{6, 13, 0}), "6.13");
  EXPECT_EQ(to_string(KernelVersion{}), "unknown");
}

TEST(TableInvariants, NearestName) {
  EXPECT_EQ(table(ArchId::kX86_64).nearest_name("opnat"), "openat");
  EXPECT_EQ(table(ArchId::kI386).nearest_name("socketcal"), "socketcall");
  EXPECT_EQ(table(ArchId::kArm).nearest_name("set_tl"), "set_tls");
  // Nothing is suggested past a third of the name's length: 14 letters allow
  // 5 edits, and every x86_64 name is farther from "zzzzzzzzzzzzzz".
  EXPECT_EQ(table(ArchId::kX86_64).nearest_name("zzzzzzzzzzzzzz"), std::nullopt);
  EXPECT_EQ(table(ArchId::kX86_64).nearest_name("zz"), std::nullopt);
  // A swap of two neighbouring letters is one edit.
  EXPECT_EQ(table(ArchId::kX86_64).nearest_name("getrandmo"), "getrandom");
}

TEST(TableInvariants, NearestKnownNameLooksAtEveryAbi) {
  EXPECT_EQ(nearest_known_name("getrandon"), "getrandom");
  // Only 32-bit ABIs have it: still suggested.
  EXPECT_EQ(nearest_known_name("socketcal"), "socketcall");
  EXPECT_EQ(nearest_known_name("zzzzzzzzzzzzzz"), std::nullopt);
}

// ---------------------------------------------------------------------------
// Hand-picked facts, at least 10 per ABI
// ---------------------------------------------------------------------------

struct Fact {
  const char* name;
  uint32_t nr;
};

// Numbers every architecture shares (the unified numbering since 5.1), before
// the ABI's bias.
const Fact kUnified[] = {
    {"pidfd_send_signal", 424},
    {"io_uring_setup", 425},
    {"open_tree", 428},
    {"fsopen", 430},
    {"pidfd_open", 434},
    {"clone3", 435},
    {"openat2", 437},
    {"faccessat2", 439},
    {"landlock_create_ruleset", 444},
    {"futex_waitv", 449},
    {"fchmodat2", 452},
    {"mseal", 462},
    {"setxattrat", 463},
    {"file_setattr", 469},
};

void expect_facts(ArchId id, std::initializer_list<Fact> facts, std::initializer_list<const char*> absent = {}) {
  const Table& t = table(id);
  const Arch& a = arch(id);
  SCOPED_TRACE(a.name);
  for (const auto& f : facts) {
    auto nr = t.number(f.name);
    ASSERT_TRUE(nr.has_value()) << f.name;
    EXPECT_EQ(*nr, f.nr) << f.name;
    EXPECT_EQ(t.name(f.nr), f.name);
  }
  for (const auto& f : kUnified) {
    bool excepted = false;
    for (const char* name : absent) excepted = excepted || std::string_view(name) == f.name;
    if (!excepted) {
      EXPECT_EQ(t.number(f.name), f.nr + a.nr_bias) << f.name;
    }
  }
  for (const char* name : absent) EXPECT_EQ(t.find(name), nullptr) << name;
}

TEST(TableFacts, X86_64) {
  expect_facts(ArchId::kX86_64,
               {{"read", 0},
                {"write", 1},
                {"open", 2},
                {"close", 3},
                {"mmap", 9},
                {"ioctl", 16},
                {"socket", 41},
                {"clone", 56},
                {"fork", 57},
                {"execve", 59},
                {"exit", 60},
                {"arch_prctl", 158},
                {"exit_group", 231},
                {"openat", 257},
                {"seccomp", 317},
                {"uretprobe", 335},
                {"uprobe", 336}},
               {"socketcall", "ipc", "mmap2", "_llseek"});
}

TEST(TableFacts, X32) {
  expect_facts(ArchId::kX32,
               {{"read", kX32 + 0},
                {"write", kX32 + 1},
                {"mmap", kX32 + 9},
                {"getpid", kX32 + 39},
                {"openat", kX32 + 257},
                {"exit_group", kX32 + 231},
                {"rt_sigaction", kX32 + 512},
                {"ioctl", kX32 + 514},
                {"readv", kX32 + 515},
                {"execve", kX32 + 520},
                {"execveat", kX32 + 545},
                {"pwritev2", kX32 + 547}},
               {"socketcall", "uselib"});
}

TEST(TableFacts, I386) {
  expect_facts(ArchId::kI386,
               {{"restart_syscall", 0},
                {"exit", 1},
                {"fork", 2},
                {"read", 3},
                {"write", 4},
                {"open", 5},
                {"close", 6},
                {"execve", 11},
                {"getpid", 20},
                {"mmap", 90},
                {"socketcall", 102},
                {"ipc", 117},
                {"clone", 120},
                {"_llseek", 140},
                {"mmap2", 192},
                {"set_thread_area", 243},
                {"exit_group", 252},
                {"openat", 295},
                {"seccomp", 354},
                {"socket", 359},
                {"clock_gettime64", 403}},
               {"arch_prctl_x"});
}

TEST(TableFacts, Aarch64) {
  expect_facts(ArchId::kAarch64,
               {{"io_setup", 0},
                {"getcwd", 17},
                {"renameat", 38},
                {"openat", 56},
                {"close", 57},
                {"read", 63},
                {"write", 64},
                {"newfstatat", 79},
                {"fstat", 80},
                {"exit", 93},
                {"exit_group", 94},
                {"getpid", 172},
                {"socket", 198},
                {"clone", 220},
                {"execve", 221},
                {"mmap", 222},
                {"seccomp", 277},
                {"memfd_secret", 447}},
               {"open", "fork", "socketcall", "mmap2"});
}

TEST(TableFacts, Arm) {
  expect_facts(ArchId::kArm,
               {{"restart_syscall", 0},
                {"exit", 1},
                {"read", 3},
                {"write", 4},
                {"open", 5},
                {"close", 6},
                {"execve", 11},
                {"getpid", 20},
                {"clone", 120},
                {"mmap2", 192},
                {"arm_fadvise64_64", 270},
                {"socket", 281},
                {"bind", 282},
                {"connect", 283},
                {"openat", 322},
                {"seccomp", 383},
                {"breakpoint", 0x0f0001},
                {"cacheflush", 0x0f0002},
                {"usr26", 0x0f0003},
                {"usr32", 0x0f0004},
                {"set_tls", 0x0f0005},
                {"get_tls", 0x0f0006}},
               {"socketcall", "ipc", "mmap", "time"});  // OABI-only calls are not EABI's
  EXPECT_EQ(table(ArchId::kArm).number("sync_file_range2"), table(ArchId::kArm).number("arm_sync_file_range"));
}

TEST(TableFacts, Riscv64) {
  expect_facts(ArchId::kRiscv64,
               {{"io_setup", 0},
                {"openat", 56},
                {"close", 57},
                {"read", 63},
                {"write", 64},
                {"newfstatat", 79},
                {"exit", 93},
                {"getrlimit", 163},
                {"setrlimit", 164},
                {"clone", 220},
                {"execve", 221},
                {"mmap", 222},
                {"riscv_hwprobe", 258},
                {"riscv_flush_icache", 259}},
               {"open", "renameat", "mmap2", "socketcall"});
}

TEST(TableFacts, Riscv32) {
  expect_facts(ArchId::kRiscv32,
               {{"fcntl64", 25},
                {"statfs64", 43},
                {"openat", 56},
                {"close", 57},
                {"llseek", 62},
                {"read", 63},
                {"write", 64},
                {"clone", 220},
                {"execve", 221},
                {"mmap2", 222},
                {"riscv_flush_icache", 259},
                {"clock_gettime64", 403},
                {"futex_time64", 422}},
               {"clock_gettime", "futex", "io_getevents", "mmap", "getrlimit"});  // no time32 on rv32
}

void expect_powerpc(ArchId id) {
  expect_facts(id,
               {{"restart_syscall", 0},
                {"exit", 1},
                {"fork", 2},
                {"read", 3},
                {"write", 4},
                {"open", 5},
                {"close", 6},
                {"execve", 11},
                {"getpid", 20},
                {"mmap", 90},
                {"socketcall", 102},
                {"ipc", 117},
                {"clone", 120},
                {"openat", 286},
                {"socket", 326},
                {"seccomp", 358}},
               {});
}

// fadvise64_64 is a 32-bit (and SPU) call: never on the 64-bit ABIs.
TEST(TableFacts, Ppc64le) {
  expect_powerpc(ArchId::kPpc64le);
  expect_facts(ArchId::kPpc64le, {{"spu_run", 278}, {"spu_create", 279}}, {"fadvise64_64", "mmap2"});
}
TEST(TableFacts, Ppc64) {
  expect_powerpc(ArchId::kPpc64);
  expect_facts(ArchId::kPpc64, {}, {"fadvise64_64", "mmap2"});
}
TEST(TableFacts, Ppc) {
  expect_powerpc(ArchId::kPpc);
  expect_facts(ArchId::kPpc, {{"_llseek", 140}, {"mmap2", 192}, {"fstat64", 197}, {"fadvise64_64", 254}});
}

void expect_s390(ArchId id) {
  expect_facts(id, {{"exit", 1},
                    {"fork", 2},
                    {"read", 3},
                    {"write", 4},
                    {"open", 5},
                    {"close", 6},
                    {"execve", 11},
                    {"getpid", 20},
                    {"mmap", 90},
                    {"socketcall", 102},
                    {"ipc", 117},
                    {"clone", 120},
                    {"openat", 288},
                    {"seccomp", 348},
                    {"socket", 359}});
}

TEST(TableFacts, S390x) {
  expect_s390(ArchId::kS390x);
  expect_facts(ArchId::kS390x, {{"listns", 470}}, {"mmap2", "_llseek"});
}
TEST(TableFacts, S390) {
  expect_s390(ArchId::kS390);
  // 31-bit s390 userspace was removed in 6.19, before listns.
  expect_facts(ArchId::kS390, {{"_llseek", 140}, {"mmap2", 192}}, {"listns"});
}

void expect_mips_o32(ArchId id) {
  expect_facts(id, {{"syscall", 4000},
                    {"exit", 4001},
                    {"read", 4003},
                    {"write", 4004},
                    {"open", 4005},
                    {"close", 4006},
                    {"execve", 4011},
                    {"getpid", 4020},
                    {"mmap", 4090},
                    {"socketcall", 4102},
                    {"ipc", 4117},
                    {"clone", 4120},
                    {"cacheflush", 4147},
                    {"sysmips", 4149},
                    {"socket", 4183},
                    {"mmap2", 4210},
                    {"openat", 4288}});
}

TEST(TableFacts, Mips) { expect_mips_o32(ArchId::kMips); }
TEST(TableFacts, Mipsel) { expect_mips_o32(ArchId::kMipsel); }

void expect_mips_n64(ArchId id) {
  expect_facts(id,
               {{"read", 5000},
                {"write", 5001},
                {"open", 5002},
                {"close", 5003},
                {"stat", 5004},
                {"mmap", 5009},
                {"getpid", 5038},
                {"socket", 5040},
                {"clone", 5055},
                {"fork", 5056},
                {"execve", 5057},
                {"exit", 5058},
                {"openat", 5247}},
               {"socketcall", "ipc", "mmap2"});
}

TEST(TableFacts, Mips64) { expect_mips_n64(ArchId::kMips64); }
TEST(TableFacts, Mips64el) { expect_mips_n64(ArchId::kMips64el); }

void expect_mips_n32(ArchId id) {
  expect_facts(id,
               {{"read", 6000},
                {"write", 6001},
                {"open", 6002},
                {"close", 6003},
                {"mmap", 6009},
                {"getpid", 6038},
                {"socket", 6040},
                {"clone", 6055},
                {"execve", 6057},
                {"exit", 6058},
                {"openat", 6251}},
               {"socketcall", "ipc"});
}

TEST(TableFacts, Mips64n32) { expect_mips_n32(ArchId::kMips64n32); }
TEST(TableFacts, Mipsel64n32) { expect_mips_n32(ArchId::kMipsel64n32); }

TEST(TableFacts, Loongarch64) {
  expect_facts(ArchId::kLoongarch64,
               {{"io_setup", 0},
                {"openat", 56},
                {"close", 57},
                {"read", 63},
                {"write", 64},
                {"newfstatat", 79},
                {"fstat", 80},
                {"exit", 93},
                {"getpid", 172},
                {"socket", 198},
                {"clone", 220},
                {"execve", 221},
                {"mmap", 222},
                {"seccomp", 277}},
               {"open", "renameat", "getrlimit", "setrlimit", "mmap2"});
  const Syscall* s = table(ArchId::kLoongarch64).find("newfstatat");
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->since, (KernelVersion{6, 11, 0}));  // re-added on LoongArch in 6.11
}

void expect_parisc(ArchId id) {
  expect_facts(id, {{"restart_syscall", 0},
                    {"exit", 1},
                    {"fork", 2},
                    {"read", 3},
                    {"write", 4},
                    {"open", 5},
                    {"close", 6},
                    {"execve", 11},
                    {"socket", 17},
                    {"getpid", 20},
                    {"mmap", 90},
                    {"clone", 120},
                    {"cacheflush", 356}});
}

TEST(TableFacts, Parisc) {
  expect_parisc(ArchId::kParisc);
  expect_facts(ArchId::kParisc, {{"_llseek", 140}});
}
TEST(TableFacts, Parisc64) {
  expect_parisc(ArchId::kParisc64);
  expect_facts(ArchId::kParisc64, {}, {"_llseek"});  // 32-bit only since 6.x
}

TEST(TableFacts, M68k) {
  expect_facts(ArchId::kM68k, {{"exit", 1},
                               {"fork", 2},
                               {"read", 3},
                               {"write", 4},
                               {"open", 5},
                               {"close", 6},
                               {"execve", 11},
                               {"getpid", 20},
                               {"mmap", 90},
                               {"socketcall", 102},
                               {"ipc", 117},
                               {"clone", 120},
                               {"cacheflush", 123},
                               {"mmap2", 192},
                               {"get_thread_area", 333},
                               {"set_thread_area", 334}});
}

void expect_sh(ArchId id) {
  expect_facts(id,
               {{"restart_syscall", 0},
                {"exit", 1},
                {"fork", 2},
                {"read", 3},
                {"write", 4},
                {"open", 5},
                {"close", 6},
                {"execve", 11},
                {"getpid", 20},
                {"mmap", 90},
                {"socketcall", 102},
                {"ipc", 117},
                {"clone", 120},
                {"cacheflush", 123},
                {"mmap2", 192}},
               {"clone3"});  // 435 is reserved, not implemented, on SuperH
}

TEST(TableFacts, Sh) { expect_sh(ArchId::kSh); }
TEST(TableFacts, Sheb) { expect_sh(ArchId::kSheb); }

TEST(TableFacts, Csky) {
  expect_facts(ArchId::kCsky,
               {{"io_setup", 0},
                {"openat", 56},
                {"close", 57},
                {"read", 63},
                {"write", 64},
                {"exit", 93},
                {"getpid", 172},
                {"clone", 220},
                {"execve", 221},
                {"mmap2", 222},
                {"set_thread_area", 244},
                {"cacheflush", 245}},
               {"open", "mmap", "socketcall"});
  // csky's UAPI header names 84 sync_file_range2.
  EXPECT_EQ(table(ArchId::kCsky).number("sync_file_range2"), 84u);
}

TEST(TableFacts, Xtensa) { expect_facts(ArchId::kXtensa, {{"spill", 0}, {"xtensa", 1}}, {"socketcall", "ipc"}); }

}  // namespace
}  // namespace sysfence::syscalls
