// The assembler: the text bpf/disasm.h prints (either format) back into a
// Program. disassemble -> assemble is byte-identical for every program whose
// jumps stay inside it (so for every valid program).
//
// Syntax, one statement per line (`#` or `//` starts a comment):
//   label:                      a label (identifier); may precede a statement
//   A = arch | sys_number | instruction_pointer [>> 32] | args[i] [>> 32]
//     | data[K] | len | mem[i] | X | -A | K
//   X = A | len | mem[i] | K          mem[i] = A | X
//   A += K|X  (also -= *= /= %= &= |= ^= <<= >>=)
//   goto T
//   if (A == K|X) goto T [else goto F]   (== != > >= < <=, A & K, !(A & K))
//   A == K|X ? T : F                      seccomp-tools' older form (same operators)
//   return ALLOW | ERRNO(1) | KILL_PROCESS | ... | A | K
//   .insn CODE JT JF K                    a raw instruction
//   .arch NAME                            the arch names refer to (once, first)
// T is a label or an absolute instruction index; `next` (seccomp-tools'
// reserved label) is the following instruction unless a label of that name
// is defined. Unlike seccomp-tools, a numeric target is absolute (what the
// disassembler prints) and a statement is one line. K is decimal, 0x-hex, an
// ARCH_* constant, or (in a comparison) a syscall name "read" / "x32:read",
// resolved for the arch established on the path (see bpf/flow.h) or the
// default arch. A statement may end with `{jt=N jf=N k=N}` setting fields
// its opcode ignores. Listing lines (`0005: 0x15 0x00 0x01 0x0000003b  ...`)
// are accepted: the line number must equal the instruction index and the
// columns must equal what the statement assembles to. The listing header and
// `====` separator are skipped.
//
// Jumps go forward only; a conditional jump reaches at most 255 instructions
// ahead (an error naming the line, never a silent trampoline).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/expected.h"
#include "bpf/insn.h"
#include "syscalls/arch.h"

namespace sysfence::bpf {

struct AsmOptions {
  // Prefixes every message: "f.s:12:7: unknown statement ...".
  std::string_view file_name = "<input>";
  // The arch for names and byte order where the program does not pin one.
  const syscalls::Arch* arch = nullptr;
  // When true, a `.arch` directive naming a different arch is an error (the
  // user asked for `arch` explicitly); when false, `.arch` replaces `arch`.
  bool arch_explicit = false;
};

struct SourcePos {
  uint32_t line = 0;    // 1-based
  uint32_t column = 0;  // 1-based, in bytes
};

struct Assembly {
  Program program;
  // The arch the text was assembled for: `.arch`, else options.arch (may be null).
  const syscalls::Arch* arch = nullptr;
  // Where each instruction's statement starts, for messages about
  // instruction i (e.g. the validator's) to name the line.
  std::vector<SourcePos> positions;
};

Expected<Assembly> assemble(std::string_view text, const AsmOptions& options);

}  // namespace sysfence::bpf
