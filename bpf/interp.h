// The interpreter: runs a seccomp filter over the 16 words of seccomp_data
// with the running kernel's exact semantics. It is the oracle every other part
// of sysfence is checked against, and the kernel differential test
// (test/bpf/kernel_interp_test) checks it against Linux itself.
//
// Semantics (Linux converts classic BPF to eBPF, bpf_convert_filter, and runs
// or JITs that):
//   * A and X start at 0; M[0..15] are only read after a write (the validator
//     guarantees it), so their initial value never matters.
//   * Arithmetic is 32-bit, unsigned, wrapping; compares are unsigned.
//   * `div x` with X == 0 ends the program with return value 0 (the eBPF
//     translation inserts "if X == 0: return 0"); the division counts as
//     executed.
//   * `lsh x` / `rsh x` shift by (X & 31): the kernel's interpreter masks
//     explicitly and the x86-64 JIT's 32-bit shl/shr mask the count in the CPU.
//     Verified on the running kernel for X in 32..2^32-1 by the differential
//     test. (Constant shifts >= 32 are rejected by the validator.)
//   * `ld len` / `ldx len` load 64 (sizeof(struct seccomp_data)).
//   * `ld [k]` loads word k/4 of seccomp_data; the byte order of the 64-bit
//     fields is decided by SeccompWords (base/seccomp.h), so this code is the
//     same for little- and big-endian targets.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "base/expected.h"
#include "base/seccomp.h"
#include "bpf/insn.h"

namespace sysfence::bpf {

struct RunResult {
  uint32_t ret = 0;    // the filter's return value (SECCOMP_RET_*)
  uint32_t insns = 0;  // instructions executed, the final `ret` included

  Action action() const { return decode(ret); }
  friend bool operator==(const RunResult&, const RunResult&) = default;
};

// One executed instruction and the registers after it.
struct TraceStep {
  uint16_t pc;
  uint32_t a;
  uint32_t x;
};

// A validated program, pre-decoded for fast repeated evaluation. Invariant:
// every program held here passed `validate`, so run() can neither read out of
// bounds nor loop (all jumps go forward).
class Interpreter {
 public:
  // Validates `prog` (error: the validator's message) and decodes it.
  static Expected<Interpreter> create(std::span<const Insn> prog);

  RunResult run(const SeccompWords& data) const;
  RunResult run(const SeccompData& data, Endian e) const { return run(to_words(data, e)); }
  // Also records every executed instruction (cleared first).
  RunResult run_traced(const SeccompWords& data, std::vector<TraceStep>& trace) const;

  size_t size() const { return code_.size(); }

  // The decoded form (public so the .cc can name it; not an interface).
  struct Op {
    uint32_t k;    // operand; for seccomp_data loads the word index
    uint16_t jt;   // absolute target when the condition holds / of `ja`
    uint16_t jf;   // absolute target otherwise
    uint8_t kind;  // an OpKind (interp.cc)
  };

 private:
  explicit Interpreter(std::vector<Op> code) : code_(std::move(code)) {}
  template <bool kTrace>
  RunResult exec(const SeccompWords& data, std::vector<TraceStep>* trace) const;

  std::vector<Op> code_;
};

// One-shot convenience: validate, decode and run.
Expected<RunResult> run(std::span<const Insn> prog, const SeccompWords& data);
Expected<RunResult> run(std::span<const Insn> prog, const SeccompData& data, Endian e);

}  // namespace sysfence::bpf
