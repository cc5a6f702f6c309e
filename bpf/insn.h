// Classic BPF instructions as the kernel stores them (struct sock_filter) and
// the opcode fields (include/uapi/linux/filter.h, bpf_common.h). Knows nothing
// about profiles or syscalls.
#pragma once

#include <cstdint>
#include <vector>

namespace sysfence::bpf {

// struct sock_filter: 8 bytes in the kernel (u16 code, u8 jt, u8 jf, u32 k).
struct Insn {
  uint16_t code = 0;
  uint8_t jt = 0;
  uint8_t jf = 0;
  uint32_t k = 0;

  friend constexpr bool operator==(const Insn&, const Insn&) = default;
};

// A program is just its instructions; validity is checked by the validator.
using Program = std::vector<Insn>;

// The kernel's limit on filter length (BPF_MAXINSNS).
inline constexpr size_t kMaxInsns = 4096;
// Scratch memory slots (BPF_MEMWORDS).
inline constexpr unsigned kMemWords = 16;

// Instruction classes.
inline constexpr uint16_t kLd = 0x00;
inline constexpr uint16_t kLdx = 0x01;
inline constexpr uint16_t kSt = 0x02;
inline constexpr uint16_t kStx = 0x03;
inline constexpr uint16_t kAlu = 0x04;
inline constexpr uint16_t kJmp = 0x05;
inline constexpr uint16_t kRet = 0x06;
inline constexpr uint16_t kMisc = 0x07;
constexpr uint16_t insn_class(uint16_t code) { return code & 0x07; }

// ld/ldx sizes.
inline constexpr uint16_t kW = 0x00;
inline constexpr uint16_t kH = 0x08;
inline constexpr uint16_t kB = 0x10;
constexpr uint16_t insn_size(uint16_t code) { return code & 0x18; }

// ld/ldx modes.
inline constexpr uint16_t kImm = 0x00;
inline constexpr uint16_t kAbs = 0x20;
inline constexpr uint16_t kInd = 0x40;
inline constexpr uint16_t kMem = 0x60;
inline constexpr uint16_t kLen = 0x80;
inline constexpr uint16_t kMsh = 0xa0;
constexpr uint16_t insn_mode(uint16_t code) { return code & 0xe0; }

// alu/jmp operations.
inline constexpr uint16_t kAdd = 0x00;
inline constexpr uint16_t kSub = 0x10;
inline constexpr uint16_t kMul = 0x20;
inline constexpr uint16_t kDiv = 0x30;
inline constexpr uint16_t kOr = 0x40;
inline constexpr uint16_t kAnd = 0x50;
inline constexpr uint16_t kLsh = 0x60;
inline constexpr uint16_t kRsh = 0x70;
inline constexpr uint16_t kNeg = 0x80;
inline constexpr uint16_t kMod = 0x90;
inline constexpr uint16_t kXor = 0xa0;

inline constexpr uint16_t kJa = 0x00;
inline constexpr uint16_t kJeq = 0x10;
inline constexpr uint16_t kJgt = 0x20;
inline constexpr uint16_t kJge = 0x30;
inline constexpr uint16_t kJset = 0x40;
constexpr uint16_t insn_op(uint16_t code) { return code & 0xf0; }

// Operand source (alu/jmp): constant K or register X.
inline constexpr uint16_t kK = 0x00;
inline constexpr uint16_t kX = 0x08;
constexpr uint16_t insn_src(uint16_t code) { return code & 0x08; }

// ret operand: K, X (not allowed by the kernel) or A.
inline constexpr uint16_t kRetK = 0x00;
inline constexpr uint16_t kRetA = 0x10;
constexpr uint16_t insn_rval(uint16_t code) { return code & 0x18; }

// misc operations.
inline constexpr uint16_t kTax = 0x00;
inline constexpr uint16_t kTxa = 0x80;
constexpr uint16_t insn_miscop(uint16_t code) { return code & 0xf8; }

// Convenience constructors (BPF_STMT / BPF_JUMP).
constexpr Insn stmt(uint16_t code, uint32_t k) { return Insn{code, 0, 0, k}; }
constexpr Insn jump(uint16_t code, uint32_t k, uint8_t jt, uint8_t jf) { return Insn{code, jt, jf, k}; }

}  // namespace sysfence::bpf
