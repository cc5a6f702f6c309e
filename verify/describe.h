// Spelling seccomp_data inputs and regions of the input space for people:
// the architecture and syscall by name where the tables know them, the
// arguments in hex. Shared by `verify`, `diff` and `compile`'s proof.
#pragma once

#include <array>
#include <string>
#include <vector>

#include "base/seccomp.h"
#include "syscalls/arch.h"
#include "verify/procedure.h"

namespace sysfence::verify {

// The ABI an input belongs to: by its arch word, and under
// AUDIT_ARCH_X86_64 by nr (x32 for 0x40000000..0xfffffffe, as
// policy::evaluate). nullptr for unknown arch values.
const syscalls::Arch* abi_of(const SeccompWords& input);

// The input as seccomp_data in its ABI's byte order (little-endian when the
// arch is unknown).
SeccompData to_data(const SeccompWords& input);

// "x86_64 (arch 0xc000003e), execve (nr 59), args 0x1, 0x0, 0x0, 0x0, 0x0, 0x0"
// (the instruction pointer only when nonzero).
std::string describe_input(const SeccompWords& input);

// The constraints of a region, one per constrained word, with 64-bit
// argument halves named: "arch == 0xc000003e (x86_64)", "nr == 0x3b
// (execve)", "args[1].hi == 0x0", "args[1].lo & 0xff == 0x1". `abi` (may be
// null) decides the byte order of the argument words and syscall names.
std::vector<std::string> describe_region(const std::array<WordSet, kWordCount>& region, const syscalls::Arch* abi);

// Why two different actions of the same kind differ, for a report line:
// "both act as KILL_PROCESS ..." when an unknown action value is involved,
// what the data means for TRAP and the KILL actions, that the kernel ignores
// it for ALLOW, LOG and USER_NOTIF. Empty when the kinds differ or the
// spelling says it all (ERRNO, TRACE).
std::string explain_action_difference(Action a, Action b);

// The known syscalls of `abi` whose numbers the region's nr constraints
// allow (at most `limit`, in number order), and how many there are in all.
struct SyscallsInRegion {
  std::vector<std::string> names;  // "execve (59)"
  size_t total = 0;                // known syscalls in the region
  bool unknown_numbers = false;    // the region also has numbers the table does not name
  uint32_t unnamed_example = 0;    // one of them, when unknown_numbers
};
SyscallsInRegion syscalls_in_region(const WordSet& nr, const syscalls::Arch* abi, size_t limit);

}  // namespace sysfence::verify
