// How `sysfence run --trace-denials` shows one denied system call:
//
//   denied: mount("none", "/mnt", "tmpfs", 0, NULL) = -EPERM  [rule: profile.json:123]
//
// The argument count and widths come from syscalls/arg_widths (what the
// kernel's entry point reads). Which pointers are NUL-terminated strings is
// not recorded there, so it is decided here from the parameter's declared
// type and name: a `char *` / `const char *` parameter whose name is one of
// the kernel's path- and name-parameter spellings (kStringParamNames in
// describe.cc: filename, pathname, path, oldname, newname, dev_name, type,
// ...) is a string, except in the syscalls that pass a counted buffer under
// such a name (sethostname, setdomainname). Everything else prints as a
// number: pointers in hex (NULL for 0), mode_t in octal, signed types in
// decimal, other integers in decimal below 0x10000 and in hex above; the
// directory fds and flag words strace spells symbolically (run/arg_flags.h:
// AT_FDCWD, O_*, AT_*, CLONE_*, PROT_*, MAP_*) as strace spells them.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/seccomp.h"
#include "policy/policy.h"
#include "run/arg_flags.h"
#include "syscalls/arch.h"

namespace sysfence::run {

enum class ArgStyle : uint8_t {
  kString,    // NUL-terminated string in the caller's memory
  kPointer,   // any other pointer: hex, NULL for 0
  kSigned,    // int, long, pid_t, off_t, ...: signed decimal of `bits`
  kUnsigned,  // decimal below 0x10000, hex above
  kOctal,     // umode_t, mode_t: 0644
  kFlags,     // spelled by format_flags (ArgShape::flags)
};

struct ArgShape {
  ArgStyle style = ArgStyle::kUnsigned;
  unsigned bits = 64;  // bits the kernel reads (16, 31, 32 or 64)
  ArgFlags flags = ArgFlags::kNone;
  syscalls::ArchId abi = syscalls::ArchId::kX86_64;  // whose flag values (kFlags)
};

// The ABI a seccomp_data belongs to: AUDIT_ARCH_X86_64 numbers
// 0x40000000..0xfffffffe are x32 and 0xffffffff (-1) x86_64, as
// policy::evaluate dispatches when x86_64 is in the policy; nullopt for an
// arch value no ABI has.
std::optional<syscalls::ArchId> abi_of(const SeccompData& d);

// The arguments the kernel reads for `nr` on `abi`. A number the table does
// not know shows six register-wide hex arguments; a syscall the kernel does
// not implement (sys_ni_syscall) shows none.
std::vector<ArgShape> arg_shapes(syscalls::ArchId abi, uint32_t nr);

// A string read from the caller: the bytes before the NUL (or the first
// `limit` bytes when no NUL came within them).
struct RemoteString {
  std::string bytes;
  bool complete = false;  // the NUL was found within the limit
};
// Reads a string at `address` of the caller; nullopt when unreadable.
using StringReader = std::function<std::optional<RemoteString>(uint64_t address)>;

// `mount("none", "/mnt", "tmpfs", 0, NULL)`; unknown numbers show as
// `syscall_0x3e7(...)`. Strings are C-escaped and end in `...` when longer
// than the reader's limit; an unreadable one shows its address.
std::string format_call(const SeccompData& d, const StringReader& read);

// What the call got: "-EPERM", "0" (ERRNO(0)), "-ENOSYS (TRACE without a
// tracer)", "SIGSYS (KILL_PROCESS)", "SIGSYS (KILL_THREAD)", "SIGSYS (TRAP)".
std::string format_outcome(Action a, syscalls::ArchId abi);

// Why: "[rule: profile.json:123]", "[default action]", "[newer than
// profile: ENOSYS]", "[architecture not in profile]".
std::string format_reason(const policy::Decision& decision);

// The whole line without a trailing newline:
// "denied: " [ "[pid N] " ] [ "[ABI] " ] call " = " outcome "  " reason.
// `pid` is printed when non-zero (calls by other tasks than the command's
// first one); the ABI when it is not `native`.
std::string denial_line(const SeccompData& d, const policy::Decision& decision, const StringReader& read,
                        syscalls::ArchId native, int pid = 0);

}  // namespace sysfence::run
