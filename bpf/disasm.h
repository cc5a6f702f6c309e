// The disassembler: classic BPF -> the text people already read
// (seccomp-tools style), and the statement syntax the assembler (bpf/asm.h)
// parses back. Knows nothing about profiles; any program can be printed,
// valid or not.
//
// Listing format (the default):
//    line  CODE  JT   JF      K
//   =================================
//   0000: 0x20 0x00 0x00 0x00000004  A = arch
//   0001: 0x15 0x00 0x08 0xc000003e  if (A != ARCH_X86_64) goto 0010
//
// Asm format: no columns, jump targets are labels `L0010:` on their own line,
// and `.arch NAME` first when an arch was given.
//
// Names (syscalls, ARCH_* constants, `args[i] >> 32`) are printed only where
// bpf/flow.h proves what A holds on every path and where the assembler
// resolves them back to the same number, so disassemble -> assemble is
// byte-identical for every program whose jumps stay inside it.
//
// Fields an opcode ignores (jt/jf of a `ret`, k of `A = X`, ...) are printed
// when non-zero as a suffix `{jt=1 k=0x5}`; opcodes without a statement are
// printed raw as `.insn CODE JT JF K`.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "bpf/insn.h"
#include "syscalls/arch.h"

namespace sysfence::bpf {

enum class TextFormat : uint8_t {
  kListing,  // line numbers, hex columns, numeric jump targets
  kAsm,      // statements only, label jump targets
};

struct DisasmOptions {
  // Names syscalls and orders argument words where the program itself does
  // not pin the arch (an `A == ARCH_...` test on the arch word does, per
  // path). Null: no syscall names there, argument words print as `data[16]`.
  const syscalls::Arch* arch = nullptr;
  TextFormat format = TextFormat::kListing;
};

std::string disassemble(std::span<const Insn> prog, const DisasmOptions& options);

// The statement of each instruction ("A = arch", "if (A == read) goto 0012"),
// with jump targets as 4-digit instruction indices, including any unused-field
// suffix. For traces and error messages.
std::vector<std::string> statements(std::span<const Insn> prog, const syscalls::Arch* arch);

// Which fields an opcode reads. Unknown opcodes use all three (they are
// printed raw). Jump offsets count as used.
struct FieldUse {
  bool jt = false;
  bool jf = false;
  bool k = false;
};
FieldUse field_use(uint16_t code);

// True when the opcode has a statement form (every opcode the kernel's
// seccomp accepts, plus MOD which classic BPF knows and seccomp rejects).
bool has_statement(uint16_t code);

}  // namespace sysfence::bpf
