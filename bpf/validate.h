// The validator: accepts exactly the classic BPF programs that Linux 6.x
// accepts as a seccomp filter, i.e. what passes
//   bpf_check_basics_ok + bpf_check_classic + check_load_and_stores
//   (net/core/filter.c) and seccomp_check_filter (kernel/seccomp.c).
// Each rejection names the instruction and the rule it breaks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "base/expected.h"
#include "bpf/insn.h"

namespace sysfence::bpf {

// The kernel's rules, one per distinct reason for -EINVAL.
enum class Rule : uint8_t {
  kLength,         // 1..4096 instructions (bpf_check_basics_ok, seccomp_prepare_filter)
  kOpcode,         // not a classic BPF opcode at all (chk_code_allowed)
  kSeccompOpcode,  // classic BPF, but not on seccomp's whitelist: MOD, byte/half and
                   // indexed loads, MSH, ... (seccomp_check_filter)
  kLoadOffset,     // 32-bit seccomp_data load at an offset >= 64 or not a multiple of 4
  kDivByZero,      // division by the constant 0
  kShiftRange,     // shift by a constant >= 32
  kScratchIndex,   // M[k] with k >= 16
  kJumpRange,      // a jump target past the last instruction
  kLastNotRet,     // the last instruction is not `ret K` / `ret A`
  kScratchUninit,  // M[k] read where the kernel cannot prove a prior write
};

// A short stable name for a rule ("jump-range"), used in messages and tests.
std::string_view rule_name(Rule r);

struct Violation {
  size_t index;  // instruction index (for kLength: the program length)
  Rule rule;
  std::string message;  // "instruction 3: ... [jump-range]"
};

// The first violation in the kernel's checking order, or nullopt when the
// kernel accepts the program. Order: length; then each instruction in turn
// (opcode, seccomp whitelist, operand rules, jump ranges); then the last
// instruction; then the scratch-memory dataflow check.
std::optional<Violation> find_violation(std::span<const Insn> prog);

// The same as an Expected; the error message is Violation::message.
Expected<void> validate(std::span<const Insn> prog);

// True when `code` passes both the classic opcode table and seccomp's
// whitelist (operand rules aside).
bool seccomp_accepts_opcode(uint16_t code);

// Every opcode a seccomp filter may contain (41 values), ascending. Note that
// `ld [k]` (0x20) and the two `len` loads (0x80, 0x81) are included: the kernel
// rewrites them into seccomp_data loads and `A/X = 64`.
std::span<const uint16_t> seccomp_opcodes();

// A terse mnemonic for diagnostics ("ld [k]", "div x", "ldb [k]"); "opcode 0x1234"
// for values that are not classic BPF. Not the disassembler.
std::string opcode_mnemonic(uint16_t code);

}  // namespace sysfence::bpf
