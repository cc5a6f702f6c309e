// The committed argument-width data: structural invariants over every ABI,
// agreement with the syscall tables, then facts written from independent
// knowledge of the kernel ABIs (man pages, the C prototypes every libc
// documents, the calling conventions), not read back from the data.
#include "syscalls/arg_widths.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "syscalls/arch.h"
#include "syscalls/table.h"

namespace sysfence::syscalls {
namespace {

constexpr uint32_t kX32 = 0x40000000;
constexpr uint32_t kArmPrivate = 0x0f0000;

ArgInfo info(ArchId arch, std::string_view name) {
  auto i = arg_info(arch, name);
  EXPECT_TRUE(i.has_value()) << name;
  return i.value_or(ArgInfo{});
}

// Widths of the arguments the kernel reads, in order.
std::vector<unsigned> widths(const ArgInfo& i) {
  std::vector<unsigned> out;
  for (unsigned k = 0; k < i.count; ++k) out.push_back(i.bits(k));
  return out;
}

using W = std::vector<unsigned>;

// ---------------------------------------------------------------------------
// Invariants
// ---------------------------------------------------------------------------

TEST(ArgWidthInvariants, EveryAbiHasDataSortedByNumber) {
  for (const auto& a : all_arches()) {
    auto infos = arg_infos(a.id);
    EXPECT_GT(infos.size(), 280u) << a.name;
    for (size_t k = 1; k < infos.size(); ++k) EXPECT_LT(infos[k - 1].nr, infos[k].nr) << a.name << " " << infos[k].name;
  }
}

TEST(ArgWidthInvariants, CountsAndWidthsAreWellFormed) {
  for (const auto& a : all_arches()) {
    for (const ArgInfo& i : arg_infos(a.id)) {
      SCOPED_TRACE(std::string(a.name) + " " + std::string(i.name));
      EXPECT_LE(i.count, 6u);
      if (!i.implemented || !i.known) {
        EXPECT_EQ(i.count, 0u);
      }
      if (i.beyond_six) {
        EXPECT_EQ(i.count, 6u);
      }
      for (unsigned k = 0; k < 6; ++k) {
        if (k < i.count) {
          EXPECT_TRUE(i.args[k].bits == 16 || i.args[k].bits == 31 || i.args[k].bits == 32 || i.args[k].bits == 64)
              << "arg " << k << " bits " << static_cast<unsigned>(i.args[k].bits);
          EXPECT_FALSE(i.args[k].name.empty()) << "arg " << k;
          EXPECT_FALSE(i.args[k].type.empty()) << "arg " << k;
        } else {
          EXPECT_EQ(i.args[k].bits, 0u) << "arg " << k;
          EXPECT_TRUE(i.args[k].name.empty()) << "arg " << k;
          EXPECT_EQ(i.bits(k), 0u);
          EXPECT_FALSE(i.low_word_only(k));
        }
      }
      if (i.implemented && i.known) {
        EXPECT_FALSE(i.source.empty());
        EXPECT_NE(i.entry, "-");
      }
    }
  }
}

TEST(ArgWidthInvariants, ThirtyTwoBitAbisNeverReadMoreThanThirtyTwoBits) {
  for (const auto& a : all_arches()) {
    const unsigned reg = register_bits(a.id);
    EXPECT_TRUE(reg == 32 || reg == 64) << a.name;
    for (const ArgInfo& i : arg_infos(a.id))
      for (unsigned k = 0; k < i.count; ++k) EXPECT_LE(i.bits(k), reg) << a.name << " " << i.name << " arg " << k;
  }
  // The ABI's register width, not the word size of the syscall tables'
  // "64-bit" kernels: x32 and n32 pass 64-bit registers.
  EXPECT_EQ(register_bits(ArchId::kX32), 64u);
  EXPECT_EQ(register_bits(ArchId::kMips64n32), 64u);
  EXPECT_EQ(register_bits(ArchId::kMipsel64n32), 64u);
  for (ArchId id :
       {ArchId::kI386, ArchId::kArm, ArchId::kPpc, ArchId::kS390, ArchId::kMips, ArchId::kMipsel, ArchId::kRiscv32,
        ArchId::kParisc, ArchId::kM68k, ArchId::kSh, ArchId::kSheb, ArchId::kCsky, ArchId::kXtensa})
    EXPECT_EQ(register_bits(id), 32u) << arch(id).name;
}

TEST(ArgWidthInvariants, PointersAreFullRegistersOn64BitAbis) {
  // A pointer is never narrowed by the entry wrapper of a 64-bit kernel.
  for (const auto& a : all_arches()) {
    if (register_bits(a.id) != 64) continue;
    for (const ArgInfo& i : arg_infos(a.id))
      for (unsigned k = 0; k < i.count; ++k)
        if (i.args[k].type.find('*') != std::string_view::npos) {
          EXPECT_EQ(i.bits(k), 64u) << a.name << " " << i.name << " " << i.args[k].name;
        }
  }
}

TEST(ArgWidthInvariants, EveryTableSyscallHasAnEntryAndViceVersa) {
  for (const auto& a : all_arches()) {
    const Table& t = table(a);
    for (const Syscall& s : t.entries()) {
      auto i = arg_info(a.id, s.nr);
      ASSERT_TRUE(i.has_value()) << a.name << " " << s.name << " " << s.nr;
      EXPECT_EQ(i->name, s.name) << a.name << " " << s.nr;
    }
    for (const ArgInfo& i : arg_infos(a.id)) EXPECT_NE(t.find(i.nr), nullptr) << a.name << " " << i.name;
    EXPECT_EQ(arg_infos(a.id).size(), t.size()) << a.name;
  }
}

TEST(ArgWidthInvariants, UnknownOnlyForSyscallsNewerThanTheSources) {
  // The data comes from linux-source-6.12: an entry may be unknown only if
  // the table says the syscall arrived after 6.12.
  size_t unknown = 0;
  for (const auto& a : all_arches()) {
    for (const ArgInfo& i : arg_infos(a.id)) {
      if (i.known) continue;
      ++unknown;
      const Syscall* s = table(a).find(i.nr);
      ASSERT_NE(s, nullptr);
      EXPECT_TRUE(s->since.known()) << a.name << " " << i.name;
      EXPECT_GT(s->since, (KernelVersion{6, 12, 999})) << a.name << " " << i.name;
    }
  }
  EXPECT_GT(unknown, 0u);  // setxattrat and friends (6.13+) are in the tables
}

TEST(ArgWidthInvariants, LookupByNameMatchesLookupByNumber) {
  for (const auto& a : all_arches()) {
    for (const ArgInfo& i : arg_infos(a.id)) {
      auto by_name = arg_info(a.id, i.name);
      ASSERT_TRUE(by_name.has_value()) << a.name << " " << i.name;
      EXPECT_EQ(by_name->nr, i.nr);
    }
  }
  EXPECT_FALSE(arg_info(ArchId::kX86_64, "no_such_syscall").has_value());
  EXPECT_FALSE(arg_info(ArchId::kX86_64, uint32_t{100000}).has_value());
  // x86_64 numbers with the x32 bit are not x86_64 syscalls.
  EXPECT_FALSE(arg_info(ArchId::kX86_64, kX32 + 41).has_value());
}

TEST(ArgWidthInvariants, KnownArgBitsAreTheUnpackedEntrysBits) {
  for (const auto& a : all_arches()) {
    for (const ArgInfo& i : arg_infos(a.id)) {
      for (unsigned k = 0; k < 7; ++k) {
        const auto bits = known_arg_bits(a.id, i.nr, k);
        if (i.known && k < i.count) {
          ASSERT_TRUE(bits.has_value()) << a.name << " " << i.name << " " << k;
          EXPECT_EQ(*bits, i.args[k].bits) << a.name << " " << i.name << " " << k;
        } else {
          EXPECT_FALSE(bits.has_value()) << a.name << " " << i.name << " " << k;
        }
      }
    }
  }
  EXPECT_EQ(known_arg_bits(ArchId::kX86_64, 41, 0), 32u);  // socket(int domain, ...)
  EXPECT_EQ(known_arg_bits(ArchId::kX86_64, 0, 2), 64u);   // read(..., size_t count)
  EXPECT_FALSE(known_arg_bits(ArchId::kX86_64, 0, 3).has_value());
  EXPECT_FALSE(known_arg_bits(ArchId::kX86_64, uint32_t{100000}, 0).has_value());
  EXPECT_FALSE(known_arg_bits(ArchId::kX86_64, kX32 + 41, 0).has_value());
}

// ---------------------------------------------------------------------------
// x86_64: facts from the prototypes in the man pages and the kernel's
// SYSCALL_DEFINE conventions (int-like types are 32 bits, long/size_t/
// pointers 64, umode_t 16).
// ---------------------------------------------------------------------------

TEST(ArgWidthX86_64, SocketReadsThreeInts) {
  // socket(int domain, int type, int protocol): the AF_ALG hole.
  const ArgInfo i = info(ArchId::kX86_64, "socket");
  EXPECT_EQ(i.nr, 41u);
  EXPECT_EQ(widths(i), (W{32, 32, 32}));
  EXPECT_TRUE(i.low_word_only(0));
  EXPECT_EQ(i.args[0].type, "int");
}

TEST(ArgWidthX86_64, ReadFdBufCount) {
  // read(unsigned int fd, char *buf, size_t count)
  EXPECT_EQ(widths(info(ArchId::kX86_64, "read")), (W{32, 64, 64}));
  EXPECT_EQ(widths(info(ArchId::kX86_64, "write")), (W{32, 64, 64}));
}

TEST(ArgWidthX86_64, PersonalityAndNamespaceCalls) {
  EXPECT_EQ(widths(info(ArchId::kX86_64, "personality")), (W{32}));  // unsigned int
  EXPECT_EQ(widths(info(ArchId::kX86_64, "unshare")), (W{64}));      // unsigned long flags
  EXPECT_EQ(widths(info(ArchId::kX86_64, "setns")), (W{32, 32}));    // int fd, int nstype
}

TEST(ArgWidthX86_64, CloneFlagsAreUnsignedLong) {
  // x86_64 clone(flags, newsp, parent_tid, child_tid, tls): no
  // CLONE_BACKWARDS on x86_64 (only the i386 kernel selects it).
  const ArgInfo i = info(ArchId::kX86_64, "clone");
  EXPECT_EQ(i.count, 5u);
  EXPECT_EQ(i.bits(0), 64u);
  EXPECT_EQ(i.args[0].name, "clone_flags");
  EXPECT_EQ(i.args[3].name, "child_tidptr");
  EXPECT_EQ(i.args[4].name, "tls");
  EXPECT_EQ(widths(info(ArchId::kX86_64, "clone3")), (W{64, 64}));  // struct clone_args *, size_t
}

TEST(ArgWidthX86_64, MmapOffsetAndLengthAre64Bit) {
  const ArgInfo i = info(ArchId::kX86_64, "mmap");
  EXPECT_EQ(i.count, 6u);
  EXPECT_EQ(i.bits(1), 64u);  // length
  EXPECT_EQ(i.bits(5), 64u);  // offset
  EXPECT_FALSE(i.low_word_only(5));
}

TEST(ArgWidthX86_64, KillAndFriends) {
  EXPECT_EQ(widths(info(ArchId::kX86_64, "kill")), (W{32, 32}));           // pid_t, int
  EXPECT_EQ(widths(info(ArchId::kX86_64, "tgkill")), (W{32, 32, 32}));     // pid_t, pid_t, int
  EXPECT_EQ(widths(info(ArchId::kX86_64, "setuid")), (W{32}));             // uid_t
  EXPECT_EQ(widths(info(ArchId::kX86_64, "setresgid")), (W{32, 32, 32}));  // gid_t x3
}

TEST(ArgWidthX86_64, OffsetsAndModes) {
  EXPECT_EQ(widths(info(ArchId::kX86_64, "lseek")), (W{32, 64, 32}));  // uint, off_t, uint
  // open(const char *, int flags, umode_t mode): umode_t is unsigned short.
  EXPECT_EQ(widths(info(ArchId::kX86_64, "open")), (W{64, 32, 16}));
  EXPECT_EQ(widths(info(ArchId::kX86_64, "pread64")), (W{32, 64, 64, 64}));  // loff_t pos
  EXPECT_EQ(widths(info(ArchId::kX86_64, "ioctl")), (W{32, 32, 64}));
}

TEST(ArgWidthX86_64, LongParameters) {
  // ptrace(long request, long pid, unsigned long addr, unsigned long data)
  EXPECT_EQ(widths(info(ArchId::kX86_64, "ptrace")), (W{64, 64, 64, 64}));
  // prctl(int option, unsigned long arg2..arg5)
  EXPECT_EQ(widths(info(ArchId::kX86_64, "prctl")), (W{32, 64, 64, 64, 64}));
}

TEST(ArgWidthX86_64, NoArgumentsAndNotImplemented) {
  const ArgInfo getpid = info(ArchId::kX86_64, "getpid");
  EXPECT_TRUE(getpid.implemented);
  EXPECT_EQ(getpid.count, 0u);
  // 134 uselib has no entry point on x86_64.
  const ArgInfo uselib = info(ArchId::kX86_64, "uselib");
  EXPECT_FALSE(uselib.implemented);
  EXPECT_EQ(uselib.count, 0u);
}

// ---------------------------------------------------------------------------
// x32: 64-bit registers, numbers with bit 30; compat_* types where the x32
// table uses a compat entry.
// ---------------------------------------------------------------------------

TEST(ArgWidthX32, NumbersCarryTheX32Bit) {
  const ArgInfo socket = info(ArchId::kX32, "socket");
  EXPECT_EQ(socket.nr, kX32 + 41);
  EXPECT_EQ(widths(socket), (W{32, 32, 32}));
}

TEST(ArgWidthX32, NativeEntriesReadWholeRegisters) {
  // x32 read is sys_read: size_t of the 64-bit kernel.
  EXPECT_EQ(widths(info(ArchId::kX32, "read")), (W{32, 64, 64}));
  EXPECT_EQ(widths(info(ArchId::kX32, "lseek")), (W{32, 64, 32}));
}

TEST(ArgWidthX32, CompatEntriesUseCompatTypes) {
  // x32 ioctl is 514 -> compat_sys_ioctl(unsigned int, unsigned int,
  // compat_ulong_t).
  const ArgInfo ioctl = info(ArchId::kX32, "ioctl");
  EXPECT_EQ(ioctl.nr, kX32 + 514);
  EXPECT_EQ(ioctl.entry, "compat_sys_ioctl");
  EXPECT_EQ(widths(ioctl), (W{32, 32, 32}));
}

// ---------------------------------------------------------------------------
// 32-bit ABIs
// ---------------------------------------------------------------------------

TEST(ArgWidthI386, EverythingIsAtMost32Bits) {
  for (const ArgInfo& i : arg_infos(ArchId::kI386))
    for (unsigned k = 0; k < i.count; ++k) EXPECT_TRUE(i.low_word_only(k)) << i.name;
  EXPECT_EQ(widths(info(ArchId::kI386, "socket")), (W{32, 32, 32}));
  EXPECT_EQ(info(ArchId::kI386, "socket").nr, 359u);
  EXPECT_EQ(widths(info(ArchId::kI386, "read")), (W{32, 32, 32}));
}

TEST(ArgWidthI386, SixtyFourBitValuesTakeTwoRegisters) {
  // pread64(fd, buf, count, pos_lo, pos_hi): five registers on i386.
  EXPECT_EQ(info(ArchId::kI386, "pread64").count, 5u);
  // _llseek(fd, offset_high, offset_low, result, whence)
  EXPECT_EQ(info(ArchId::kI386, "_llseek").count, 5u);
  // mmap2 takes six registers, the last a page offset.
  EXPECT_EQ(info(ArchId::kI386, "mmap2").count, 6u);
}

TEST(ArgWidthI386, SixteenBitUids) {
  // 23 setuid is the old 16-bit call; 213 setuid32 takes a full uid_t.
  EXPECT_EQ(widths(info(ArchId::kI386, "setuid")), (W{16}));
  EXPECT_EQ(widths(info(ArchId::kI386, "setuid32")), (W{32}));
}

TEST(ArgWidthArm, EabiAlignsSixtyFourBitPairs) {
  // ARM EABI pread64(fd, buf, count, pad, pos_lo, pos_hi).
  const ArgInfo i = info(ArchId::kArm, "pread64");
  EXPECT_EQ(i.count, 6u);
  EXPECT_EQ(widths(i), (W{32, 32, 32, 32, 32, 32}));
  EXPECT_EQ(widths(info(ArchId::kArm, "socket")), (W{32, 32, 32}));
}

TEST(ArgWidthArm, PrivateSyscalls) {
  // __ARM_NR_cacheflush(start, end, flags) and __ARM_NR_set_tls(tls).
  const ArgInfo cacheflush = info(ArchId::kArm, "cacheflush");
  EXPECT_EQ(cacheflush.nr, kArmPrivate + 2);
  EXPECT_EQ(widths(cacheflush), (W{32, 32, 32}));
  EXPECT_EQ(widths(info(ArchId::kArm, "set_tls")), (W{32}));
  EXPECT_EQ(info(ArchId::kArm, "breakpoint").count, 0u);
}

TEST(ArgWidthMips, O32SyncFileRangeHasSevenRegisters) {
  // o32 sync_file_range(fd, pad, offset(2), nbytes(2), flags): seven
  // registers, the seventh on the stack where seccomp cannot see it.
  const ArgInfo i = info(ArchId::kMips, "sync_file_range");
  EXPECT_EQ(i.nr, 4305u);
  EXPECT_TRUE(i.beyond_six);
  EXPECT_EQ(i.count, 6u);
  EXPECT_EQ(info(ArchId::kMipsel, "socket").nr, 4183u);
  EXPECT_EQ(widths(info(ArchId::kMipsel, "socket")), (W{32, 32, 32}));
}

TEST(ArgWidthMips, N32PassesSixtyFourBitRegisters) {
  // n32 read is sys_read of the 64-bit kernel; pread64 takes loff_t in one
  // register.
  EXPECT_EQ(info(ArchId::kMips64n32, "read").nr, 6000u);
  EXPECT_EQ(widths(info(ArchId::kMips64n32, "read")), (W{32, 64, 64}));
  EXPECT_EQ(widths(info(ArchId::kMipsel64n32, "pread64")), (W{32, 64, 64, 64}));
  EXPECT_EQ(widths(info(ArchId::kMips64, "socket")), (W{32, 32, 32}));
  EXPECT_EQ(info(ArchId::kMips64, "socket").nr, 5040u);
}

TEST(ArgWidthS390, CompatPointersAre31Bits) {
  // 31-bit s390 tasks: the compat wrappers mask pointers to 31 bits.
  EXPECT_EQ(widths(info(ArchId::kS390, "read")), (W{32, 31, 32}));
  EXPECT_EQ(widths(info(ArchId::kS390x, "read")), (W{32, 64, 64}));
}

TEST(ArgWidthOthers, SocketIsThreeIntsEverywhere) {
  for (const auto& a : all_arches()) {
    auto i = arg_info(a.id, "socket");
    ASSERT_TRUE(i.has_value()) << a.name;
    EXPECT_EQ(widths(*i), (W{32, 32, 32})) << a.name;
  }
}

TEST(ArgWidthOthers, PersonalityIsUnsignedIntEverywhere) {
  for (const auto& a : all_arches()) {
    auto i = arg_info(a.id, "personality");
    ASSERT_TRUE(i.has_value()) << a.name;
    EXPECT_EQ(widths(*i), (W{32})) << a.name;
  }
}

TEST(ArgWidthOthers, CloneFlagOrderFollowsTheArch) {
  // s390 (CLONE_BACKWARDS2) passes newsp first; aarch64 (CLONE_BACKWARDS)
  // puts tls before child_tid.
  const ArgInfo s390x = info(ArchId::kS390x, "clone");
  EXPECT_EQ(s390x.args[0].name, "newsp");
  EXPECT_EQ(s390x.args[1].name, "clone_flags");
  const ArgInfo aarch64 = info(ArchId::kAarch64, "clone");
  EXPECT_EQ(aarch64.args[0].name, "clone_flags");
  EXPECT_EQ(aarch64.args[3].name, "tls");
  EXPECT_EQ(aarch64.bits(0), 64u);
}

}  // namespace
}  // namespace sysfence::syscalls
