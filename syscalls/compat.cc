#include "syscalls/compat.h"

#include <algorithm>

#include "syscalls/table.h"

namespace sysfence::syscalls {

namespace {

// Where each compat ABI comes from (Linux 6.12 Kconfig files):
//  - x86: IA32_EMULATION ("IA32 Emulation") runs i386 code, whose int 0x80
//    reaches the 32-bit table even from a 64-bit process; X86_X32_ABI
//    ("x32 ABI for 64-bit mode") adds the x32 numbers (bit 30) under
//    AUDIT_ARCH_X86_64 — audited by the x32 check, not here.
//  - arm64: COMPAT ("Kernel support for 32-bit EL0"), where the CPU runs
//    AArch32 at EL0.
//  - powerpc: COMPAT ("Enable support for 32bit binaries"), default y on
//    big-endian ppc64. ppc64le is not paired: COMPAT defaults to n there,
//    and its 32-bit tasks would report AUDIT_ARCH_PPC | __AUDIT_ARCH_LE,
//    an ABI no table here has.
//  - s390: COMPAT ("Kernel support for 31 bit emulation").
//  - mips: MIPS32_O32 and MIPS32_N32 ("Kernel support for o32 / n32
//    binaries") on 64-bit kernels, for both byte orders.
//  - riscv: COMPAT ("Kernel support for 32-bit U-mode", since 5.19).
//  - parisc: COMPAT (def_bool y on 64-bit kernels).
// loongarch64 has no compat ABI.
constexpr CompatAbi kCompat[] = {
    {ArchId::kX86_64, ArchId::kX32, "x32 numbers (bit 30)", "X86_X32_ABI", "arch/x86/Kconfig"},
    {ArchId::kX86_64, ArchId::kI386, "int 0x80", "IA32_EMULATION", "arch/x86/Kconfig"},
    {ArchId::kAarch64, ArchId::kArm, "AArch32 EL0", "COMPAT", "arch/arm64/Kconfig"},
    {ArchId::kRiscv64, ArchId::kRiscv32, "32-bit U-mode", "COMPAT", "arch/riscv/Kconfig"},
    {ArchId::kPpc64, ArchId::kPpc, "32-bit task", "COMPAT", "arch/powerpc/Kconfig"},
    {ArchId::kS390x, ArchId::kS390, "31-bit task", "COMPAT", "arch/s390/Kconfig"},
    {ArchId::kMips64, ArchId::kMips, "o32", "MIPS32_O32", "arch/mips/Kconfig"},
    {ArchId::kMips64, ArchId::kMips64n32, "n32", "MIPS32_N32", "arch/mips/Kconfig"},
    {ArchId::kMips64el, ArchId::kMipsel, "o32", "MIPS32_O32", "arch/mips/Kconfig"},
    {ArchId::kMips64el, ArchId::kMipsel64n32, "n32", "MIPS32_N32", "arch/mips/Kconfig"},
    {ArchId::kParisc64, ArchId::kParisc, "32-bit task", "COMPAT", "arch/parisc/Kconfig"},
};

// Older spellings of a syscall and the call the kernel runs for them (the
// implementations in fs/open.c, fs/namei.c, fs/stat.c, kernel/signal.c,
// kernel/sys.c, ...: open is do_sys_open(AT_FDCWD, ...), chmod is
// do_fchmodat(AT_FDCWD, ...), waitpid is kernel_wait4, stime sets the clock
// as settimeofday does, the i386 umount is oldumount = umount2(name, 0)).
// Used only where the host lacks the older name (x86_64 has open; aarch64
// does not). Followed transitively: arm's lstat64 -> lstat -> newfstatat.
constexpr CompatSpelling kSpellings[] = {
    {"_llseek", "lseek"},
    {"_newselect", "select"},
    {"access", "faccessat"},
    {"alarm", "setitimer"},
    {"arm_fadvise64_64", "fadvise64"},
    {"arm_sync_file_range", "sync_file_range"},
    {"chmod", "fchmodat"},
    {"chown", "fchownat"},
    {"creat", "openat"},
    {"dup2", "dup3"},
    {"epoll_create", "epoll_create1"},
    {"epoll_wait", "epoll_pwait"},
    {"eventfd", "eventfd2"},
    {"fork", "clone"},
    {"fstatat64", "newfstatat"},
    {"futimesat", "utimensat"},
    {"getdents", "getdents64"},
    {"getpgrp", "getpgid"},
    {"inotify_init", "inotify_init1"},
    {"lchown", "fchownat"},
    {"link", "linkat"},
    {"lstat", "newfstatat"},
    {"mkdir", "mkdirat"},
    {"mknod", "mknodat"},
    {"mmap2", "mmap"},
    {"nice", "setpriority"},
    {"oldfstat", "fstat"},
    {"oldlstat", "lstat"},
    {"oldolduname", "uname"},
    {"oldstat", "stat"},
    {"olduname", "uname"},
    {"open", "openat"},
    {"pipe", "pipe2"},
    {"poll", "ppoll"},
    {"readdir", "getdents"},
    {"readlink", "readlinkat"},
    {"recv", "recvfrom"},
    {"rename", "renameat"},
    {"renameat", "renameat2"},
    {"rmdir", "unlinkat"},
    {"select", "pselect6"},
    {"send", "sendto"},
    {"sgetmask", "rt_sigprocmask"},
    {"sigaction", "rt_sigaction"},
    {"signal", "rt_sigaction"},
    {"signalfd", "signalfd4"},
    {"sigpending", "rt_sigpending"},
    {"sigprocmask", "rt_sigprocmask"},
    {"sigreturn", "rt_sigreturn"},
    {"sigsuspend", "rt_sigsuspend"},
    {"ssetmask", "rt_sigprocmask"},
    {"stat", "newfstatat"},
    {"stime", "settimeofday"},
    {"symlink", "symlinkat"},
    {"time", "gettimeofday"},
    {"ugetrlimit", "getrlimit"},
    {"umount", "umount2"},
    {"unlink", "unlinkat"},
    {"utime", "utimensat"},
    {"utimes", "utimensat"},
    {"vfork", "clone"},
    {"waitpid", "wait4"},
};

// Suffixes of the 32-bit ABIs' variants (chown32: 32-bit uids where the
// plain call takes 16-bit ones; clock_settime64 and futex_time64: 64-bit
// time where the plain call takes 32-bit time; truncate64, fadvise64_64:
// 64-bit offsets split over two registers).
constexpr std::string_view kSuffixes[] = {"_time64", "_64", "64", "32"};

// Table entries without an implementation on any host (the .tbl files
// give them no entry point, or sys_ni_syscall): ENOSYS always.
constexpr std::string_view kNeverImplemented[] = {
    "_sysctl", "afs_syscall", "bdflush", "break",        "create_module",  "ftime",  "get_kernel_syms",
    "getpmsg", "gtty",        "idle",    "lock",         "lookup_dcookie", "mpx",    "nfsservctl",
    "prof",    "profil",      "putpmsg", "query_module", "stty",           "ulimit", "vserver",
};

// i386 calls a 64-bit kernel does not offer in compat mode
// (arch/x86/entry/syscalls/syscall_32.tbl: compat entry sys_ni_syscall).
constexpr std::string_view kNotInI386Compat[] = {"vm86", "vm86old"};
// ARM private calls arm64's compat_arm_syscall (arch/arm64/kernel/
// sys_compat.c) does not handle (it handles cacheflush and set_tls), and
// the PCI calls arm64 maps to sys_ni_syscall.
constexpr std::string_view kNotInArmCompat[] = {
    "breakpoint", "get_tls", "pciconfig_iobase", "pciconfig_read", "pciconfig_write", "usr26", "usr32"};

// x86 calls other ABIs' tables keep a number for without an implementation
// (arch/mips/kernel/syscalls/syscall_o32.tbl: sys_ni_syscall;
// arch/s390/kernel/syscalls/syscall.tbl: no entry point).
constexpr std::string_view kNotInMipsO32[] = {"ioperm", "iopl", "modify_ldt", "vm86"};
constexpr std::string_view kNotInS390[] = {"ioperm"};

template <size_t N>
bool listed(const std::string_view (&list)[N], std::string_view name) {
  return std::find(std::begin(list), std::end(list), name) != std::end(list);
}

bool is_multiplexer(std::string_view name) { return name == "socketcall" || name == "ipc"; }

std::optional<std::string_view> twin_in(const Table& host, std::string_view name, int depth) {
  if (const Syscall* s = host.find(name)) return s->name;
  if (depth == 0) return std::nullopt;
  for (const CompatSpelling& s : kSpellings)
    if (s.compat == name)
      if (auto t = twin_in(host, s.native, depth - 1)) return t;
  for (std::string_view suffix : kSuffixes) {
    if (name.size() > suffix.size() && name.ends_with(suffix))
      if (auto t = twin_in(host, name.substr(0, name.size() - suffix.size()), depth - 1)) return t;
  }
  return std::nullopt;
}

}  // namespace

std::span<const CompatAbi> compat_abis() { return kCompat; }

std::span<const CompatSpelling> compat_spellings() { return kSpellings; }

std::vector<const CompatAbi*> compat_abis_of(ArchId host) {
  std::vector<const CompatAbi*> out;
  for (const CompatAbi& c : kCompat)
    if (c.host == host) out.push_back(&c);
  return out;
}

const CompatAbi* compat_abi(ArchId host, ArchId compat) {
  for (const CompatAbi& c : kCompat)
    if (c.host == host && c.compat == compat) return &c;
  return nullptr;
}

std::optional<std::string_view> native_twin(ArchId compat, std::string_view name, ArchId host) {
  if (is_multiplexer(name)) return std::nullopt;
  // An alias (arm's sync_file_range2) stands for its canonical entry.
  if (const Syscall* s = table(compat).find(name)) name = s->name;
  return twin_in(table(host), name, 3);
}

std::vector<std::string_view> compat_counterparts(ArchId host, std::string_view native_name, ArchId compat) {
  std::vector<std::string_view> out;
  const Table& c = table(compat);
  if (const Syscall* same = c.find(native_name)) out.push_back(same->name);
  for (const Syscall& s : c.entries()) {
    if (!out.empty() && s.name == out.front()) continue;
    if (s.name == native_name) continue;
    const auto twin = native_twin(compat, s.name, host);
    if (twin && *twin == native_name) out.push_back(s.name);
  }
  return out;
}

bool same_arguments(std::string_view compat_name, std::string_view native_name) {
  if (compat_name == native_name) return true;
  if (!compat_name.starts_with(native_name)) return false;
  const std::string_view rest = compat_name.substr(native_name.size());
  return std::find(std::begin(kSuffixes), std::end(kSuffixes), rest) != std::end(kSuffixes);
}

bool compat_implemented(ArchId compat, std::string_view name) {
  if (name.starts_with("unused") || name.starts_with("reserved")) return false;
  if (listed(kNeverImplemented, name)) return false;
  if (compat == ArchId::kI386 && listed(kNotInI386Compat, name)) return false;
  if (compat == ArchId::kArm && listed(kNotInArmCompat, name)) return false;
  if ((compat == ArchId::kMips || compat == ArchId::kMipsel) && listed(kNotInMipsO32, name)) return false;
  if (compat == ArchId::kS390 && listed(kNotInS390, name)) return false;
  return true;
}

}  // namespace sysfence::syscalls
