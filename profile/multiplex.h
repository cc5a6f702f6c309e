// Rules on socket and SysV IPC calls, and the multiplexers that reach the
// same calls: on the ABIs whose kernel has socketcall(2) and ipc(2) (i386,
// m68k, MIPS o32, ppc, ppc64, ppc64le, s390, s390x, sh), socket(AF_ALG, ...)
// can also be issued as socketcall(SYS_SOCKET, args) and shmget(...) as
// ipc(SHMGET, ...). The multiplexer's other arguments point into user memory,
// which a seccomp filter cannot read, so only the call number is visible.
//
// Two readings (ResolveOptions::multiplex):
//  - kExact (sysfence): an UNCONDITIONAL rule on such a call also applies to
//    the multiplexer when its call argument selects that call — exactly the
//    calls the kernel dispatches to it, nothing else. A rule WITH argument
//    conditions is not widened: the multiplexer cannot check them. Every
//    such rule is a MultiplexGap (audit reports it, explain shows it).
//  - kLibseccomp: libseccomp 2.5.4's rewrite, what runc, Docker and Podman
//    load: EVERY rule on such a call is added to the multiplexer too, with
//    its argument-0 condition replaced by "arg0 == call number" and its other
//    conditions kept as written (they then test socketcall's/ipc's own
//    arguments). Measured against libseccomp 2.5.4 (seccomp_export_pfc /
//    seccomp_export_bpf) on x86, mips, mipsel, ppc, ppc64, ppc64le, s390,
//    s390x; sh and m68k, which 2.5.4 lacks, get the same rewrite as
//    libseccomp 2.6's generic one.
// Both keep the rule on the direct syscall where the ABI has one (i386 has
// no direct accept, send, recv, semop or semtimedop: there the multiplexer
// is the only way in).
#pragma once

#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "policy/policy.h"
#include "syscalls/arch.h"
#include "syscalls/multiplex.h"

namespace sysfence::profile {

enum class MultiplexRewrite : uint8_t {
  kExact,       // sysfence: unconditional rules only, the kernel's exact dispatch
  kLibseccomp,  // libseccomp's rewrite (--semantics runc|libseccomp)
};

// Where a rule on `name` also lands on `abi`: the multiplexer's syscall
// number there and the call it dispatches. nullopt when `name` is not a
// socket/IPC call or the ABI has no multiplexer for it.
struct MultiplexTarget {
  uint32_t nr;                            // seccomp_data.nr of socketcall / ipc
  const syscalls::MultiplexedCall* call;  // never null
};
std::optional<MultiplexTarget> multiplex_target(syscalls::ArchId abi, std::string_view name);

// Whether `mode` gives a rule with (or without) argument conditions a twin
// on the multiplexer.
bool widens(MultiplexRewrite mode, bool has_conditions);

// Rewrites `conds`, a rule's own conditions (widths already chosen), into
// the conditions of its twin on the multiplexer, in place (the rule's
// storage is reused). `arg0_width` is the width of the multiplexer's call
// argument on the ABI.
//  kExact: only the call test. socketcall: arg0 == call. ipc: the kernel
//  dispatches on call & 0xffff, so (arg0 & 0xffff) == call — ipc(0x10017)
//  is shmget as much as ipc(23) is.
//  kLibseccomp: arg0 == call (libseccomp's full-width EQ), then the own
//  conditions without those on argument 0, in their order.
void to_multiplexer_conditions(MultiplexRewrite mode, const syscalls::MultiplexedCall& call,
                               std::vector<policy::ArgCondition>& conds, policy::ArgWidth arg0_width);

// A rule with argument conditions on a socket/IPC call that the multiplexer
// still reaches without them (kExact): a program can bypass the conditions
// through socketcall/ipc. One per profile entry and name, with every ABI of
// the filter where it applies.
struct MultiplexGap {
  uint32_t entry = 0;  // syscalls[entry]
  std::string name;    // "socket"
  const syscalls::MultiplexedCall* call = nullptr;
  std::vector<syscalls::ArchId> arches;
};

}  // namespace sysfence::profile
