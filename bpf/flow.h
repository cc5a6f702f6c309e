// "What A holds" along every path: a conservative forward data-flow analysis
// over a classic BPF program. The disassembler and the assembler both use it
// to decide which names a constant or a load may carry (a syscall name only
// where A holds seccomp_data.nr, `args[0] >> 32` only where the byte order is
// known), so that the two agree and the round trip is exact.
//
// Invariant: a fact is claimed at an instruction only if it holds on EVERY
// path from instruction 0 that reaches it. At a jump target reached from
// several places with different facts, the fact is dropped.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "bpf/insn.h"

namespace sysfence::bpf {

struct FlowFacts {
  // Some path from the start reaches the instruction. Facts below are
  // meaningful only when reached (unreachable instructions claim nothing).
  bool reached = false;
  // A holds the 32-bit seccomp_data word at this byte offset (a multiple of 4,
  // below 64), loaded with `ld [k]` and not modified since.
  std::optional<uint32_t> a_word;
  // seccomp_data.arch equals this AUDIT_ARCH value on every path here: an
  // `A == K` test on the arch word was passed on the way.
  std::optional<uint32_t> arch;

  friend bool operator==(const FlowFacts&, const FlowFacts&) = default;
};

// Facts at the entry of each instruction (same length as `prog`). Jumps that
// leave the program (invalid programs) are ignored; every edge of classic BPF
// goes forward, so one pass in order is exact.
std::vector<FlowFacts> analyze_flow(std::span<const Insn> prog);

// The in-program targets of instruction `index` (0, 1 or 2 entries; both
// entries equal when a conditional's branches coincide). Targets past the end
// are omitted.
struct Successors {
  uint64_t targets[2] = {0, 0};
  unsigned count = 0;
};
Successors successors(std::span<const Insn> prog, size_t index);

// True for the opcodes whose jt/jf/k encode jump offsets: ja uses k, the
// conditional jumps (jeq/jgt/jge/jset, K or X) use jt and jf.
bool is_ja(uint16_t code);
bool is_conditional_jump(uint16_t code);

}  // namespace sysfence::bpf
