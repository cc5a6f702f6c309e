// The length the kernel charges a seccomp filter against the limit on a
// thread's filters together. kernel/seccomp.c seccomp_attach_filter adds up
// prog->len of the new filter and of every older one (+ 4 each) and refuses
// the new filter with ENOMEM above MAX_INSNS_PER_PATH. prog->len is not the
// classic length the caller passed: seccomp_prepare_filter has the program
// converted to eBPF first (net/core/filter.c bpf_migrate_filter ->
// bpf_convert_filter), and the eBPF program is what is counted.
#pragma once

#include <cstddef>
#include <span>

#include "bpf/insn.h"

namespace sysfence::bpf {

// MAX_INSNS_PER_PATH: the most a thread's filters may count together.
inline constexpr size_t kMaxInsnsPerPath = 32768;
// What each filter older than the newest counts on top of its own length.
inline constexpr size_t kOlderFilterPenalty = 4;

// The length of `prog` after the kernel converted it to eBPF: a
// 3-instruction prologue, then per classic instruction
//   ret #k                      2 (the return value is moved into R0 first)
//   div x, mod x                5 (a division by X == 0 returns 0)
//   jeq/jgt/jge/jset            1, + 1 when the operand is a constant K with
//                               its top bit set (moved to a temporary
//                               register), + 1 when jf != 0 unless jt == 0
//                               and the test is jeq, jgt or jge (those become
//                               one inverted jump; otherwise a jump and a ja)
//   anything else               1 (ld [k], the len loads and ret a included).
// Meant for programs the validator accepts; other opcodes count 1. This is
// what the kernel charges unless it blinds constants before JIT-compiling
// (net.core.bpf_jit_harden = 2, or 1 for an unprivileged caller), which
// lengthens the program further.
size_t kernel_charged_length(std::span<const Insn> prog);

// What the kernel compares with kMaxInsnsPerPath when the newest filter of
// `stack` (installation order: stack[0] is the oldest) is attached: every
// filter's charged length, + kOlderFilterPenalty for each but the newest.
size_t kernel_charged_total(std::span<const Program> stack);

}  // namespace sysfence::bpf
