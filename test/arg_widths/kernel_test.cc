// The argument-width data against the running kernel (x86_64 host).
//
// 1. Where the data says the kernel reads 32 bits of an argument, a call
//    with garbage in the high word behaves exactly like the call with the
//    low word alone; where it says 64 bits, the high word changes the
//    result. Every call runs in a forked child.
// 2. seccomp_data still carries the high word, so a filter that compares
//    64 bits of a 32-bit argument is bypassed (the AF_ALG hole: socket(0x1_0000_0026, ...),
//    shown with AF_UNIX so no module is needed); comparing the low word only
//    (what the data prescribes) closes it. Filters are installed in forked
//    children only, with actions mapped to distinct errnos.
// 3. i386 (int $0x80 from this 64-bit process): the kernel reads 32 bits of
//    every register, yet seccomp_data holds the whole 64-bit register.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include "syscalls/arg_widths.h"
#include "test/bpf/kernel_child.h"

namespace sysfence::syscalls {
namespace {

#if defined(__x86_64__)

constexpr uint64_t kHigh = uint64_t{1} << 32;  // garbage for the high word

// Runs `body` in a forked child; returns its exit code, or -signal when a
// signal killed it. The child never returns into gtest.
int in_child(const std::function<int()>& body) {
  const pid_t pid = fork();
  if (pid < 0) return -1000;
  if (pid == 0) _exit(body());
  int status = 0;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return -1001;
  if (WIFSIGNALED(status)) return -WTERMSIG(status);
  return WEXITSTATUS(status);
}

// Child exit codes.
constexpr int kOk = 0;
constexpr int kFailed = 1;

ArgInfo x86_64(std::string_view name) {
  auto i = arg_info(ArchId::kX86_64, name);
  EXPECT_TRUE(i.has_value()) << name;
  return i.value_or(ArgInfo{});
}

// ---------------------------------------------------------------------------
// 1. The kernel reads what the data says
// ---------------------------------------------------------------------------

TEST(KernelReads32Bits, SocketFamilyTypeAndProtocol) {
  const ArgInfo socket_info = x86_64("socket");
  ASSERT_EQ(socket_info.bits(0), 32u);
  ASSERT_EQ(socket_info.bits(1), 32u);
  ASSERT_EQ(socket_info.bits(2), 32u);
  // socket(0x1_0000_0001, SOCK_STREAM, 0) creates an AF_UNIX socket: the
  // kernel truncated the family to 1.
  EXPECT_EQ(in_child([] {
              const long fd = syscall(SYS_socket, kHigh | AF_UNIX, SOCK_STREAM, 0);
              if (fd < 0) return kFailed;
              int domain = 0;
              socklen_t len = sizeof domain;
              if (getsockopt(static_cast<int>(fd), SOL_SOCKET, SO_DOMAIN, &domain, &len) != 0) return kFailed;
              return domain == AF_UNIX ? kOk : kFailed;
            }),
            kOk);
  // Same for type and protocol.
  EXPECT_EQ(in_child([] { return syscall(SYS_socket, AF_UNIX, kHigh | SOCK_DGRAM, kHigh | 0) >= 0 ? kOk : kFailed; }),
            kOk);
  // Control: a family that is invalid in the low word fails, high word or
  // not (so the success above is not "any family works").
  EXPECT_EQ(in_child([] {
              errno = 0;
              const long fd = syscall(SYS_socket, kHigh | 4000, SOCK_STREAM, 0);
              return fd < 0 && errno == EAFNOSUPPORT ? kOk : kFailed;
            }),
            kOk);
}

TEST(KernelReads32Bits, KillPidAndSignal) {
  const ArgInfo kill_info = x86_64("kill");
  ASSERT_EQ(kill_info.bits(0), 32u);  // pid_t
  ASSERT_EQ(kill_info.bits(1), 32u);  // int sig
  // kill(0x1_0000_0000 | getpid(), 0): a 64-bit reading would look up a pid
  // that cannot exist (ESRCH); the kernel finds this process.
  EXPECT_EQ(in_child([] { return syscall(SYS_kill, kHigh | getpid(), 0) == 0 ? kOk : kFailed; }), kOk);
  // Signal 0x1_0000_0000 is signal 0 to the kernel (a 64-bit reading would
  // be EINVAL).
  EXPECT_EQ(in_child([] { return syscall(SYS_kill, getpid(), kHigh | 0) == 0 ? kOk : kFailed; }), kOk);
}

TEST(KernelReads32Bits, PersonalityQuery) {
  ASSERT_EQ(x86_64("personality").bits(0), 32u);
  // personality(0xffffffff) only queries. With garbage in the high word the
  // kernel still sees 0xffffffff: the persona is unchanged.
  EXPECT_EQ(in_child([] {
              const long before = syscall(SYS_personality, 0xffffffffUL);
              const long ret = syscall(SYS_personality, kHigh | 0xffffffffUL);
              const long after = syscall(SYS_personality, 0xffffffffUL);
              return before >= 0 && ret == before && after == before ? kOk : kFailed;
            }),
            kOk);
}

TEST(KernelReads32Bits, CloseAndDupFileDescriptors) {
  ASSERT_EQ(x86_64("close").bits(0), 32u);  // unsigned int fd
  ASSERT_EQ(x86_64("dup").bits(0), 32u);    // unsigned int fildes
  EXPECT_EQ(in_child([] {
              const int fd = open("/dev/null", O_RDONLY);
              if (fd < 0) return kFailed;
              const long copy = syscall(SYS_dup, kHigh | static_cast<uint64_t>(fd));
              if (copy < 0) return kFailed;
              if (syscall(SYS_close, kHigh | static_cast<uint64_t>(copy)) != 0) return kFailed;
              // The duplicate is gone, the original is still open.
              if (fcntl(static_cast<int>(copy), F_GETFD) != -1 || errno != EBADF) return kFailed;
              return fcntl(fd, F_GETFD) >= 0 ? kOk : kFailed;
            }),
            kOk);
}

TEST(KernelReads64Bits, LseekOffsetButNotWhence) {
  const ArgInfo lseek_info = x86_64("lseek");
  ASSERT_EQ(lseek_info.bits(1), 64u);  // off_t
  ASSERT_EQ(lseek_info.bits(2), 32u);  // unsigned int whence
  // Seeking to 0x1_0000_0000 lands there (a 32-bit reading would give 0);
  // whence 0x1_0000_0000 | SEEK_SET is SEEK_SET.
  EXPECT_EQ(in_child([] {
              char path[] = "/tmp/sysfence_argwidth_XXXXXX";
              const int fd = mkstemp(path);
              if (fd < 0) return kFailed;
              unlink(path);
              const long pos = syscall(SYS_lseek, fd, kHigh, kHigh | SEEK_SET);
              return pos == static_cast<long>(kHigh) ? kOk : kFailed;
            }),
            kOk);
}

TEST(KernelReads64Bits, MmapLength) {
  ASSERT_EQ(x86_64("mmap").bits(1), 64u);  // unsigned long len
  // A PROT_NONE reservation of 4 GiB + 4 KiB: the page just past 4 GiB is
  // part of it only if the kernel read all 64 bits of the length.
  EXPECT_EQ(in_child([] {
              const size_t len = kHigh + 4096;
              void* p = mmap(nullptr, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
              if (p == MAP_FAILED) return 2;  // cannot reserve: inconclusive
              char* past = static_cast<char*>(p) + kHigh;
              // mprotect fails with ENOMEM on an unmapped page.
              return mprotect(past, 4096, PROT_READ) == 0 ? kOk : kFailed;
            }),
            kOk);
}

// ---------------------------------------------------------------------------
// 2. The filter hole and its fix, in the kernel
// ---------------------------------------------------------------------------

constexpr uint32_t kArgOffset = offsetof(seccomp_data, args);
constexpr uint32_t kNrOffset = offsetof(seccomp_data, nr);
constexpr uint32_t kArchOffset = offsetof(seccomp_data, arch);
// Little-endian: the low word of args[i] is at +0, the high word at +4.
constexpr uint32_t lo(unsigned i) { return kArgOffset + 8 * i; }
constexpr uint32_t hi(unsigned i) { return kArgOffset + 8 * i + 4; }

constexpr int kDeniedErrno = 77;  // the rule matched

// "Deny socket(AF_UNIX, ...)" for x86_64. With compare_high_word the
// program also requires args[0].hi == 0, as a 64-bit comparison does (what
// libseccomp and Docker's profile generate); without it, only the low word
// is compared, as the width data prescribes for a 32-bit argument.
std::vector<sock_filter> deny_unix_sockets(bool compare_high_word) {
  std::vector<sock_filter> p = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, kArchOffset),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, kNrOffset),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_socket, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  if (compare_high_word) {
    p.push_back(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, hi(0)));
    p.push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 0));
    p.push_back(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
  }
  p.push_back(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, lo(0)));
  p.push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AF_UNIX, 0, 1));
  p.push_back(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | kDeniedErrno));
  p.push_back(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
  return p;
}

bool install(std::vector<sock_filter>& p) {
  sock_fprog prog{static_cast<unsigned short>(p.size()), p.data()};
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return false;
  return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) == 0;
}

// Child result of socket(family, SOCK_STREAM, 0) under the filter:
// 10 created an AF_UNIX socket, 11 denied by the rule, 12 anything else.
int socket_under_filter(bool compare_high_word, uint64_t family) {
  return in_child([=] {
    auto prog = deny_unix_sockets(compare_high_word);
    if (!install(prog)) return 13;
    errno = 0;
    const long fd = syscall(SYS_socket, family, SOCK_STREAM, 0);
    if (fd >= 0) {
      int domain = 0;
      socklen_t len = sizeof domain;
      getsockopt(static_cast<int>(fd), SOL_SOCKET, SO_DOMAIN, &domain, &len);
      return domain == AF_UNIX ? 10 : 12;
    }
    return errno == kDeniedErrno ? 11 : 12;
  });
}

TEST(FilterHole, SixtyFourBitComparisonOfAThirtyTwoBitArgumentIsBypassed) {
  ASSERT_TRUE(x86_64("socket").low_word_only(0));
  // The plain call is denied either way.
  EXPECT_EQ(socket_under_filter(true, AF_UNIX), 11);
  EXPECT_EQ(socket_under_filter(false, AF_UNIX), 11);
  // The high word slips past the 64-bit comparison, and the kernel creates
  // the AF_UNIX socket the rule meant to deny.
  EXPECT_EQ(socket_under_filter(true, kHigh | AF_UNIX), 10);
  // Comparing the low word only, as the width data says, denies it.
  EXPECT_EQ(socket_under_filter(false, kHigh | AF_UNIX), 11);
}

// ---------------------------------------------------------------------------
// 3. i386 through int $0x80
// ---------------------------------------------------------------------------

constexpr long kI386Getpid = 20;
constexpr long kI386Socket = 359;
constexpr long kI386Close = 6;

// Skip unless this kernel runs 32-bit syscalls (CONFIG_IA32_EMULATION and
// not disabled at boot); without it int $0x80 kills the child.
bool ia32_available() { return bpf::testing::int80_available(); }

TEST(I386, KernelReadsThirtyTwoBitsOfEveryRegister) {
  if (!ia32_available()) GTEST_SKIP() << "no ia32 emulation";
  const ArgInfo socket_info = arg_info(ArchId::kI386, "socket").value_or(ArgInfo{});
  ASSERT_EQ(socket_info.nr, static_cast<uint32_t>(kI386Socket));
  ASSERT_EQ(register_bits(ArchId::kI386), 32u);
  for (unsigned k = 0; k < socket_info.count; ++k) ASSERT_TRUE(socket_info.low_word_only(k));
  // socket(0x1_0000_0001, 0x1_0000_0001, 0x1_0000_0000) as i386: AF_UNIX,
  // SOCK_STREAM, 0.
  EXPECT_EQ(in_child([] {
              const long fd = bpf::testing::int80(kI386Socket, kHigh | AF_UNIX, kHigh | SOCK_STREAM, kHigh);
              if (fd < 0) return kFailed;
              int domain = 0;
              socklen_t len = sizeof domain;
              if (getsockopt(static_cast<int>(fd), SOL_SOCKET, SO_DOMAIN, &domain, &len) != 0) return kFailed;
              return domain == AF_UNIX && bpf::testing::int80(kI386Close, kHigh | static_cast<uint64_t>(fd), 0, 0) == 0
                         ? kOk
                         : kFailed;
            }),
            kOk);
}

TEST(I386, SeccompDataHoldsTheWholeRegister) {
  if (!ia32_available()) GTEST_SKIP() << "no ia32 emulation";
  // Filter: for AUDIT_ARCH_I386 getpid, return errno 70 + (args[0].hi & 1)
  // style answers: 71 when the high word of args[0] is 1, 72 when it is 0.
  const int result = in_child([] {
    std::vector<sock_filter> p = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, kArchOffset),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_I386, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, kNrOffset),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, kI386Getpid, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, hi(0)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 1, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | 71),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | 72),
    };
    if (!install(p)) return 13;
    const long ret = bpf::testing::int80(kI386Getpid, kHigh | 5, 0, 0);
    return ret < 0 ? static_cast<int>(-ret) : 14;
  });
  // The filter saw the high word that the kernel will ignore: on i386 a
  // filter must compare the low word only.
  EXPECT_EQ(result, 71);
}

// ---------------------------------------------------------------------------
// x32 (only where the kernel enables it)
// ---------------------------------------------------------------------------

constexpr long kX32Bit = 0x40000000;

TEST(X32, RegistersAreSixtyFourBitsWide) {
  if (in_child([] { return syscall(kX32Bit | SYS_getpid) == getpid() ? kOk : kFailed; }) != kOk)
    GTEST_SKIP() << "x32 syscalls disabled in this kernel";
  const ArgInfo lseek_info = arg_info(ArchId::kX32, "lseek").value_or(ArgInfo{});
  ASSERT_EQ(lseek_info.bits(1), 64u);
  EXPECT_EQ(in_child([] {
              char path[] = "/tmp/sysfence_argwidth_XXXXXX";
              const int fd = mkstemp(path);
              if (fd < 0) return kFailed;
              unlink(path);
              return syscall(kX32Bit | SYS_lseek, fd, kHigh, SEEK_SET) == static_cast<long>(kHigh) ? kOk : kFailed;
            }),
            kOk);
}

#else

TEST(KernelArgWidths, NeedsAnX86_64Host) { GTEST_SKIP() << "kernel checks run on x86_64 hosts"; }

#endif

}  // namespace
}  // namespace sysfence::syscalls
