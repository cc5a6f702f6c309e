// Reading a stopped system call's string arguments out of the calling
// process (process_vm_readv; the supervisor is the caller's parent, which
// ptrace access rules allow for an undumped, same-credential child).
//
// The caller may be killed, or another of its threads may unmap or rewrite
// the memory, at any time: what is read is only trustworthy if the
// notification is still pending afterwards (SECCOMP_IOCTL_NOTIF_ID_VALID),
// which the supervisor checks after reading.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <optional>

#include "run/describe.h"

namespace sysfence::run {

// At most `limit` bytes of the NUL-terminated string at `address` in
// process `pid`, reading page by page so that a string ending just before an
// unmapped page is still read; nullopt when not even the first byte is
// readable (bad pointer, no permission, the process is gone).
std::optional<RemoteString> read_remote_string(pid_t pid, uint64_t address, size_t limit);

}  // namespace sysfence::run
