#include "run/arg_flags.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <span>

namespace sysfence::run {

namespace {

using syscalls::ArchId;

struct Bit {
  uint64_t value;  // one bit, or a composite listed before its parts
  std::string_view name;
};

constexpr int64_t kAtFdcwd = -100;  // include/uapi/linux/fcntl.h

// include/uapi/asm-generic/fcntl.h (x86, riscv, s390, loongarch), the access
// mode aside, in strace's order; the composites O_SYNC and O_TMPFILE before
// the bits they contain.
constexpr Bit kOpenGeneric[] = {
    {0100, "O_CREAT"},       {0200, "O_EXCL"},         {0400, "O_NOCTTY"},       {01000, "O_TRUNC"},
    {02000, "O_APPEND"},     {04000, "O_NONBLOCK"},    {04010000, "O_SYNC"},     {010000, "O_DSYNC"},
    {040000, "O_DIRECT"},    {0100000, "O_LARGEFILE"}, {0400000, "O_NOFOLLOW"},  {01000000, "O_NOATIME"},
    {02000000, "O_CLOEXEC"}, {010000000, "O_PATH"},    {020200000, "O_TMPFILE"}, {0200000, "O_DIRECTORY"},
    {020000, "FASYNC"},
};
// arch/arm{,64}/include/uapi/asm/fcntl.h move four of them.
constexpr Bit kOpenArm[] = {
    {0100, "O_CREAT"},       {0200, "O_EXCL"},         {0400, "O_NOCTTY"},       {01000, "O_TRUNC"},
    {02000, "O_APPEND"},     {04000, "O_NONBLOCK"},    {04010000, "O_SYNC"},     {010000, "O_DSYNC"},
    {0200000, "O_DIRECT"},   {0400000, "O_LARGEFILE"}, {0100000, "O_NOFOLLOW"},  {01000000, "O_NOATIME"},
    {02000000, "O_CLOEXEC"}, {010000000, "O_PATH"},    {020040000, "O_TMPFILE"}, {040000, "O_DIRECTORY"},
    {020000, "FASYNC"},
};

// include/uapi/linux/fcntl.h, ascending; 0x200 means AT_REMOVEDIR to
// unlinkat and AT_EACCESS to faccessat2 (and nothing to the others).
constexpr Bit kAtPlain[] = {
    {0x100, "AT_SYMLINK_NOFOLLOW"}, {0x400, "AT_SYMLINK_FOLLOW"}, {0x800, "AT_NO_AUTOMOUNT"},
    {0x1000, "AT_EMPTY_PATH"},      {0x8000, "AT_RECURSIVE"},
};
constexpr Bit kAtRemoveDirTable[] = {
    {0x100, "AT_SYMLINK_NOFOLLOW"}, {0x200, "AT_REMOVEDIR"},   {0x400, "AT_SYMLINK_FOLLOW"},
    {0x800, "AT_NO_AUTOMOUNT"},     {0x1000, "AT_EMPTY_PATH"}, {0x8000, "AT_RECURSIVE"},
};
constexpr Bit kAtEaccessTable[] = {
    {0x100, "AT_SYMLINK_NOFOLLOW"}, {0x200, "AT_EACCESS"},     {0x400, "AT_SYMLINK_FOLLOW"},
    {0x800, "AT_NO_AUTOMOUNT"},     {0x1000, "AT_EMPTY_PATH"}, {0x8000, "AT_RECURSIVE"},
};
constexpr uint64_t kStatxSyncMask = 0x6000;  // AT_STATX_SYNC_TYPE

// include/uapi/linux/sched.h, ascending. unshare takes only some of them
// (kernel/fork.c, check_unshare_flags): the others print in hex, as strace.
constexpr Bit kClone[] = {
    {0x100, "CLONE_VM"},
    {0x200, "CLONE_FS"},
    {0x400, "CLONE_FILES"},
    {0x800, "CLONE_SIGHAND"},
    {0x1000, "CLONE_PIDFD"},
    {0x2000, "CLONE_PTRACE"},
    {0x4000, "CLONE_VFORK"},
    {0x8000, "CLONE_PARENT"},
    {0x10000, "CLONE_THREAD"},
    {0x20000, "CLONE_NEWNS"},
    {0x40000, "CLONE_SYSVSEM"},
    {0x80000, "CLONE_SETTLS"},
    {0x100000, "CLONE_PARENT_SETTID"},
    {0x200000, "CLONE_CHILD_CLEARTID"},
    {0x400000, "CLONE_DETACHED"},
    {0x800000, "CLONE_UNTRACED"},
    {0x1000000, "CLONE_CHILD_SETTID"},
    {0x2000000, "CLONE_NEWCGROUP"},
    {0x4000000, "CLONE_NEWUTS"},
    {0x8000000, "CLONE_NEWIPC"},
    {0x10000000, "CLONE_NEWUSER"},
    {0x20000000, "CLONE_NEWPID"},
    {0x40000000, "CLONE_NEWNET"},
    {0x80000000, "CLONE_IO"},
};
constexpr Bit kUnshare[] = {
    {0x80, "CLONE_NEWTIME"},      {0x100, "CLONE_VM"},          {0x200, "CLONE_FS"},
    {0x400, "CLONE_FILES"},       {0x800, "CLONE_SIGHAND"},     {0x10000, "CLONE_THREAD"},
    {0x20000, "CLONE_NEWNS"},     {0x40000, "CLONE_SYSVSEM"},   {0x2000000, "CLONE_NEWCGROUP"},
    {0x4000000, "CLONE_NEWUTS"},  {0x8000000, "CLONE_NEWIPC"},  {0x10000000, "CLONE_NEWUSER"},
    {0x20000000, "CLONE_NEWPID"}, {0x40000000, "CLONE_NEWNET"},
};
constexpr uint64_t kCloneSignalMask = 0xff;  // CSIGNAL: clone's exit signal
// The signal numbers of the ABIs with generic values (x86, arm, riscv, s390, loongarch).
constexpr std::string_view kSignals[] = {
    "",          "SIGHUP",  "SIGINT",    "SIGQUIT", "SIGILL",   "SIGTRAP", "SIGABRT", "SIGBUS",
    "SIGFPE",    "SIGKILL", "SIGUSR1",   "SIGSEGV", "SIGUSR2",  "SIGPIPE", "SIGALRM", "SIGTERM",
    "SIGSTKFLT", "SIGCHLD", "SIGCONT",   "SIGSTOP", "SIGTSTP",  "SIGTTIN", "SIGTTOU", "SIGURG",
    "SIGXCPU",   "SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH", "SIGIO",   "SIGPWR",  "SIGSYS",
};

// include/uapi/asm-generic/mman-common.h.
constexpr Bit kProt[] = {
    {0x1, "PROT_READ"},
    {0x2, "PROT_WRITE"},
    {0x4, "PROT_EXEC"},
    {0x8, "PROT_SEM"},
    {0x01000000, "PROT_GROWSDOWN"},
    {0x02000000, "PROT_GROWSUP"},
};

// include/uapi/asm-generic/mman{,-common}.h and include/uapi/linux/mman.h
// (x86, arm, arm64, riscv, s390, loongarch), in strace's order; MAP_32BIT
// (0x40) is x86_64's alone and left out of this table.
constexpr Bit kMap[] = {
    {0x10, "MAP_FIXED"},
    {0x20, "MAP_ANONYMOUS"},
    {0x4000, "MAP_NORESERVE"},
    {0x8000, "MAP_POPULATE"},
    {0x10000, "MAP_NONBLOCK"},
    {0x100, "MAP_GROWSDOWN"},
    {0x800, "MAP_DENYWRITE"},
    {0x1000, "MAP_EXECUTABLE"},
    {0x2000, "MAP_LOCKED"},
    {0x20000, "MAP_STACK"},
    {0x40000, "MAP_HUGETLB"},
    {0x80000, "MAP_SYNC"},
    {0x100000, "MAP_FIXED_NOREPLACE"},
};
constexpr uint64_t kMapTypeMask = 0x0f;
constexpr uint64_t kMap32Bit = 0x40;
constexpr unsigned kMapHugeShift = 26;  // the huge page size's log2, in the top six bits
constexpr uint64_t kMapHugeMask = uint64_t{0x3f} << kMapHugeShift;

bool one_of(std::string_view s, std::initializer_list<std::string_view> set) {
  return std::find(set.begin(), set.end(), s) != set.end();
}

bool is_x86(ArchId a) { return a == ArchId::kX86_64 || a == ArchId::kX32 || a == ArchId::kI386; }
bool generic_open(ArchId a) {
  return is_x86(a) || a == ArchId::kRiscv64 || a == ArchId::kRiscv32 || a == ArchId::kS390x || a == ArchId::kS390 ||
         a == ArchId::kLoongarch64;
}
bool arm_open(ArchId a) { return a == ArchId::kAarch64 || a == ArchId::kArm; }
bool generic_mman(ArchId a) { return generic_open(a) || arm_open(a); }

// Names of the set bits in table order, then what is left in hex; `head`
// (an access mode, a map type) first.
std::string join(std::string head, uint64_t v, std::span<const Bit> table) {
  std::string out = std::move(head);
  for (const Bit& b : table) {
    if ((v & b.value) == b.value) {
      out += (out.empty() ? "" : "|") + std::string(b.name);
      v &= ~b.value;
    }
  }
  if (v != 0) out += (out.empty() ? "" : "|") + fmt::format("{:#x}", v);
  return out.empty() ? "0" : out;
}

std::string open_flags(ArchId abi, uint64_t v) {
  constexpr std::string_view kAccess[] = {"O_RDONLY", "O_WRONLY", "O_RDWR", "O_ACCMODE"};
  return join(std::string(kAccess[v & 3]), v & ~uint64_t{3},
              arm_open(abi) ? std::span<const Bit>(kOpenArm) : std::span<const Bit>(kOpenGeneric));
}

std::string clone_flags(uint64_t v, ArchId abi) {
  const uint64_t signal = v & kCloneSignalMask;
  std::string out = join("", v & ~kCloneSignalMask, kClone);
  if (signal == 0) return out;
  const std::string sig =
      signal < std::size(kSignals) && generic_mman(abi) ? std::string(kSignals[signal]) : fmt::format("{}", signal);
  return out == "0" ? sig : out + "|" + sig;
}

std::string map_flags(ArchId abi, uint64_t v) {
  constexpr std::string_view kType[] = {"", "MAP_SHARED", "MAP_PRIVATE", "MAP_SHARED_VALIDATE"};
  const uint64_t type = v & kMapTypeMask;
  std::string head = type < std::size(kType) ? std::string(kType[type]) : fmt::format("{:#x}", type);
  v &= ~kMapTypeMask;
  // strace puts MAP_32BIT right after MAP_ANONYMOUS.
  std::string out;
  for (const Bit& b : kMap) {
    if ((v & b.value) == b.value) {
      out += (out.empty() ? "" : "|") + std::string(b.name);
      v &= ~b.value;
    }
    if (b.value == 0x20 && abi == ArchId::kX86_64 && (v & kMap32Bit)) {
      out += (out.empty() ? "" : "|") + std::string("MAP_32BIT");
      v &= ~kMap32Bit;
    }
  }
  const uint64_t huge = (v & kMapHugeMask) >> kMapHugeShift;
  v &= ~kMapHugeMask;
  if (v != 0) out += (out.empty() ? "" : "|") + fmt::format("{:#x}", v);
  if (huge != 0) out += (out.empty() ? "" : "|") + fmt::format("{}<<MAP_HUGE_SHIFT", huge);
  if (!head.empty()) out = out.empty() ? head : head + "|" + out;
  return out.empty() ? "0" : out;
}

std::string at_flags(ArgFlags f, uint64_t v) {
  switch (f) {
    case ArgFlags::kAtRemoveDir: return join("", v, kAtRemoveDirTable);
    case ArgFlags::kAtEaccess: return join("", v, kAtEaccessTable);
    case ArgFlags::kStatx: {
      constexpr std::string_view kSync[] = {"AT_STATX_SYNC_AS_STAT", "AT_STATX_FORCE_SYNC", "AT_STATX_DONT_SYNC", ""};
      std::string head(kSync[(v & kStatxSyncMask) >> 13]);
      if (!head.empty()) v &= ~kStatxSyncMask;
      return join(std::move(head), v, kAtPlain);
    }
    default: return join("", v, kAtPlain);
  }
}

}  // namespace

ArgFlags arg_flags(ArchId abi, std::string_view syscall, std::string_view param) {
  if (one_of(param, {"dfd", "olddfd", "newdfd", "dirfd", "from_dfd", "to_dfd"}) ||
      (syscall == "execveat" && param == "fd")) {
    return ArgFlags::kDirFd;
  }
  if (param == "clone_flags") return ArgFlags::kClone;
  if (syscall == "unshare" && param == "unshare_flags") return ArgFlags::kUnshare;
  if (param == "prot" && one_of(syscall, {"mmap", "mmap2", "mprotect", "pkey_mprotect"})) return ArgFlags::kProt;
  if (param == "flags" && one_of(syscall, {"mmap", "mmap2"}))
    return generic_mman(abi) ? ArgFlags::kMap : ArgFlags::kNone;
  if (param == "flags" && one_of(syscall, {"open", "openat"})) {
    return generic_open(abi) || arm_open(abi) ? ArgFlags::kOpen : ArgFlags::kNone;
  }
  if (syscall == "unlinkat" && param == "flag") return ArgFlags::kAtRemoveDir;
  if (syscall == "faccessat2" && param == "flags") return ArgFlags::kAtEaccess;
  if (syscall == "statx" && param == "flags") return ArgFlags::kStatx;
  if (one_of(param, {"flag", "flags"}) &&
      one_of(syscall, {"newfstatat", "fstatat64", "fchownat", "utimensat", "utimensat_time64", "linkat", "execveat",
                       "name_to_handle_at", "fchmodat2"})) {
    return ArgFlags::kAt;
  }
  return ArgFlags::kNone;
}

std::string format_flags(ArgFlags flags, ArchId abi, uint64_t value, unsigned bits) {
  switch (flags) {
    case ArgFlags::kNone: break;
    case ArgFlags::kDirFd: {
      // An int, whatever the declared width (i386's fstatat64 says unsigned).
      const auto fd = static_cast<int32_t>(static_cast<uint32_t>(value));
      return fd == kAtFdcwd ? "AT_FDCWD" : fmt::format("{}", fd);
    }
    case ArgFlags::kOpen: return open_flags(abi, value);
    case ArgFlags::kAt:
    case ArgFlags::kAtRemoveDir:
    case ArgFlags::kAtEaccess:
    case ArgFlags::kStatx: return at_flags(flags, value);
    case ArgFlags::kClone: return clone_flags(value, abi);
    case ArgFlags::kUnshare: return join("", value, kUnshare);
    case ArgFlags::kProt: return value == 0 ? "PROT_NONE" : join("", value, kProt);
    case ArgFlags::kMap: return map_flags(abi, value);
  }
  return bits >= 64 || value < 0x10000 ? fmt::format("{}", value) : fmt::format("{:#x}", value);
}

}  // namespace sysfence::run
