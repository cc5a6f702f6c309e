// The symbolic spellings strace uses for the arguments `--trace-denials`
// shows most often: the directory fd AT_FDCWD, and the flag words of
// open/openat (O_*), the *at calls (AT_*), clone/unshare (CLONE_*),
// mmap/mprotect (PROT_*, MAP_*). Values come from the kernel's uapi headers;
// O_* and MAP_* differ between architectures, so they are spelled only on
// the ABIs whose values are listed here (others keep numbers).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "syscalls/arch.h"

namespace sysfence::run {

enum class ArgFlags : uint8_t {
  kNone,
  kDirFd,        // AT_FDCWD, else a signed int
  kOpen,         // O_RDONLY|O_CLOEXEC
  kAt,           // AT_SYMLINK_NOFOLLOW|AT_EMPTY_PATH (0x200 is AT_REMOVEDIR for unlinkat,
                 // AT_EACCESS for faccessat2)
  kAtRemoveDir,  // unlinkat's flag
  kAtEaccess,    // faccessat2's flags
  kStatx,        // statx's flags: AT_* with the AT_STATX_* sync type
  kClone,        // CLONE_*|exit signal (clone's flags)
  kUnshare,      // CLONE_* (unshare's flags; CLONE_NEWTIME allowed)
  kProt,         // PROT_READ|PROT_WRITE, PROT_NONE
  kMap,          // MAP_PRIVATE|MAP_ANONYMOUS
};

// Which spelling parameter `param` of `syscall` gets on `abi`: kNone when
// it is not one of the above, or when its values differ on `abi`.
ArgFlags arg_flags(syscalls::ArchId abi, std::string_view syscall, std::string_view param);

// `value` (the bits the kernel reads, `bits` wide) spelled as strace does;
// bits no name covers are appended in hex ("O_RDONLY|0x40000000").
std::string format_flags(ArgFlags flags, syscalls::ArchId abi, uint64_t value, unsigned bits);

}  // namespace sysfence::run
