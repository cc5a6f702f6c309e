// `sysfence audit --bpf FILE`: security findings on any classic BPF seccomp
// filter — sysfence's, libseccomp's, runc's or hand-written — read off its
// feasible paths (verify/paths.h) and per-syscall path sets, so that every
// finding comes with a concrete seccomp_data that demonstrates it.
//
// The checks (finding.h has their ids):
//   arch-unchecked      critical  a decision depends on seccomp_data.nr on a
//                                 path where seccomp_data.arch is not fixed
//                                 (semantic: every input's path either pins
//                                 one AUDIT_ARCH value or never reads nr; one
//                                 block of number tests shared by paths that
//                                 each pinned a different arch is not flagged,
//                                 nor is reading nr before arch when the arch
//                                 is checked later on every such path);
//                                 low when the filter handles the meant ABI
//                                 and on its kernel at most one ABI (it or
//                                 a compat ABI) reaches those paths
//   x32                 critical  x32 numbers (0x40000000 + n under AUDIT_ARCH_X86_64)
//                                 reach ALLOW although the filter denies the
//                                 same syscalls as x86_64 (or, compiled from a
//                                 profile, although the profile has no x32)
//   compat-route        high      on a compat ABI of the host (i386 through
//                                 int 0x80 on x86_64, arm on aarch64, ...;
//                                 syscalls/compat.h) a call is allowed that
//                                 performs a syscall the host ABI denies
//                                 outright: the same name, the compat spelling
//                                 (chown32, clock_settime64, the i386 umount)
//                                 or socketcall/ipc; medium when the host
//                                 allows some arguments and the compat ABI
//                                 every call
//   multiplex-bypass    medium    socketcall(2)/ipc(2) answer every call of a
//                                 socket or SysV IPC syscall alike (one
//                                 answer for every other argument) and more
//                                 loosely than the direct syscall, which the
//                                 filter answers by its arguments (not with a
//                                 profile: the profile audit reports it from
//                                 the rules)
//   compat-only         medium    syscalls only the compat ABI has are allowed
//                                 there, some of them in Docker's documented
//                                 blocked table (low for the others)
//   arg-width           high      a 64-bit comparison of an argument the
//                                 kernel reads as 32 bits lets a call through
//                                 that the same call with a clean high word
//                                 does not get (the concrete bypass is shown);
//                                 medium when the looser answer is not ALLOW;
//                                 low when the high word is tested but no
//                                 bypass exists
//   default-allow       high      syscalls the filter does not name are allowed
//   clone-namespaces    high      clone with CLONE_NEW* flags, or clone3
//                                 (whose flags a filter cannot see), allowed
//   unshare             high      unshare with CLONE_NEW* flags allowed
//   io-uring            high      io_uring_setup/enter/register allowed while
//                                 the filter denies a syscall an io_uring
//                                 opcode performs (openat, connect, ...): the
//                                 ring reaches around it; medium otherwise
//   sibling-route       by family a syscall denied for every input while a
//                                 sibling reaching the same kernel operation
//                                 is allowed (syscalls/siblings.h): high for
//                                 the mount API, modules, kexec, the clock and
//                                 other processes' memory, medium for file
//                                 changes, credentials, signals and process
//                                 creation, low for reading and waiting; one
//                                 step lower when the sibling is allowed only
//                                 for some arguments. ENOSYS answers mean
//                                 "absent, fall back", not "denied"
//   ptrace              medium    ptrace allowed
//   personality         medium    a persona other than Docker's safe ones
//   seed-blocked        medium    a syscall Docker's documented table lists as blocked
//                                 is allowed
//                                 (low when only for some arguments)
//   instruction-pointer medium    a decision depends on the instruction pointer
//   no-enosys           low       syscalls newer than the filter are not
//                                 answered ENOSYS (libc cannot fall back)
//   unreachable         low       instructions no jump reaches / no input runs
//   undefined-action    low       a `ret` of a value that selects no action
//                                 (the kernel kills the process)
//   kernel-exempt       low       a call the target kernel lets through
//                                 without running any filter (x86_64's
//                                 uretprobe from 6.12, uprobe from 6.18;
//                                 syscalls/filter_support.h) is denied: the
//                                 answer is never applied
//   incomplete          info      paths outside the symbolic fragment or over
//                                 the path budget: findings may be missing
//   abi-not-handled     info      --arch names an ABI the filter does not
//                                 tell syscalls apart on (never claimed when
//                                 a path of that ABI leaves the fragment)
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "audit/finding.h"
#include "base/expected.h"
#include "bpf/insn.h"
#include "policy/policy.h"
#include "syscalls/arch.h"
#include "syscalls/table.h"
#include "verify/paths.h"
#include "verify/stack.h"

namespace sysfence::audit {

struct ProgramAuditOptions {
  // The ABI the filter is written for (--arch). When the filter does not
  // check the arch, syscall numbers are read in this ABI; when it names an
  // ABI the filter does not handle, that is reported. nullptr: only the ABIs
  // the filter itself distinguishes (the native one if it distinguishes none).
  const syscalls::Arch* arch = nullptr;
  // Set when the program was compiled from a profile: findings name the
  // profile rule that decides their example input, and the x32 check knows
  // whether the profile meant to allow x32.
  const policy::Policy* intent = nullptr;
  // The default-action check is answered by the intent instead (the profile
  // audit reports the profile's defaultAction itself).
  bool skip_default_check = false;
  // Only the checks of the program's own code (is_own_code_check): a
  // stack's older filters, whose share of what the stack lets through the
  // newest filter's audit reads.
  bool own_code_only = false;
  // Paths of the whole-program walk; beyond it, findings may be missing
  // (reported as `incomplete`). The per-syscall walks share a budget of as
  // many paths again.
  uint64_t max_paths = 200'000;
  // Work (word constraints added, verify/procedure.h) for the whole-program
  // walk and, again, for all per-syscall walks together: bounds the time on
  // filters whose paths are both many and long (about 2 s each on this
  // machine for a 4096-instruction filter with 2^2000 paths).
  uint64_t max_work = 8'000'000;
  // The kernel the filter runs on, for the calls it never filters
  // (kernel-exempt). Unset: none is reported.
  std::optional<syscalls::KernelVersion> kernel;
  // Set when the program is one filter of a stack (audit/stack_audit.h):
  // the checks that read per-syscall paths and answers read the stack's
  // (every filter walked, combined the kernel's way), so the syscalls and
  // inputs their findings list are what the whole stack lets through; the
  // facts of this filter's own code (arch-unchecked, instruction-pointer,
  // unreachable, undefined-action, incomplete) stay this filter's.
  const verify::StackProcedure* stack = nullptr;
  // AUDIT_ARCH values audited besides the ones the program handles: with a
  // stack, the ones its other filters handle, so that every filter's audit
  // reads the same ABIs.
  std::vector<uint32_t> more_arches;
};

Report audit_program(const verify::PathExplorer& program, const ProgramAuditOptions& options);

// Whether a check is about one filter's own code (structure, and numbers
// read without the arch) rather than what gets through.
bool is_own_code_check(std::string_view check);
// The AUDIT_ARCH values an audit of `program` reads syscall numbers under:
// those it pins on a path that reads nr, the one it is written for when it
// does not check the arch (costs the whole-program walk).
std::vector<uint32_t> audited_arches(const verify::PathExplorer& program, const ProgramAuditOptions& options);
// Errors: the kernel would reject the program (the validator's message).
Expected<Report> audit_program(std::span<const bpf::Insn> program, const ProgramAuditOptions& options);

}  // namespace sysfence::audit
