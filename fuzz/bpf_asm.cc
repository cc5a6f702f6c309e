// Fuzz target: the assembler (bpf/asm.h) on arbitrary text.
//
// Properties:
//   * assemble never crashes; an error is one line that starts with
//     "fuzz.s:LINE:COL: " (or "fuzz.s: " for errors about the whole text,
//     such as "no instructions");
//   * a successful assembly has one source position per instruction, each
//     on a line of the input;
//   * when every jump of the result stays inside the program, printing it
//     (both text formats, for the arch it was assembled for) and assembling
//     the text again gives the same instructions.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "bpf/asm.h"
#include "bpf/disasm.h"
#include "bpf/insn.h"
#include "fuzz/check.h"
#include "syscalls/arch.h"

namespace {

using namespace sysfence;

bool jumps_inside(const bpf::Program& prog) {
  for (size_t i = 0; i < prog.size(); ++i) {
    const bpf::Insn& in = prog[i];
    if (bpf::insn_class(in.code) != bpf::kJmp) continue;
    const bool always = (in.code & 0xf0) == 0x00;  // ja
    if (always) {
      if (in.k >= prog.size() - i - 1) return false;
    } else if (i + 1 + in.jt >= prog.size() || i + 1 + in.jf >= prog.size()) {
      return false;
    }
  }
  return true;
}

bool starts_with_position(std::string_view m, std::string_view name) {
  if (!m.starts_with(name)) return false;
  m.remove_prefix(name.size());
  if (m.starts_with(": ")) return true;
  // ":LINE:COL: "
  for (int field = 0; field < 2; ++field) {
    if (m.empty() || m[0] != ':') return false;
    m.remove_prefix(1);
    size_t digits = 0;
    while (digits < m.size() && m[digits] >= '0' && m[digits] <= '9') ++digits;
    if (digits == 0) return false;
    m.remove_prefix(digits);
  }
  return m.starts_with(": ");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  bpf::AsmOptions options;
  options.file_name = "fuzz.s";
  options.arch = &syscalls::arch(syscalls::ArchId::kX86_64);
  auto assembled = bpf::assemble(text, options);
  if (!assembled) {
    const std::string& m = assembled.error().message;
    FUZZ_CHECK(fuzz::is_one_line(m), m);
    FUZZ_CHECK(starts_with_position(m, "fuzz.s"), m);
    return 0;
  }
  const bpf::Program& prog = assembled->program;
  FUZZ_CHECK(assembled->positions.size() == prog.size(), "one source position per instruction");
  size_t lines = 1;
  for (char c : text) lines += c == '\n';
  for (const bpf::SourcePos& p : assembled->positions)
    FUZZ_CHECK(p.line >= 1 && p.line <= lines, "position past the text");
  if (prog.empty() || prog.size() > bpf::kMaxInsns || !jumps_inside(prog)) return 0;

  for (bpf::TextFormat format : {bpf::TextFormat::kListing, bpf::TextFormat::kAsm}) {
    bpf::DisasmOptions d;
    d.arch = assembled->arch;
    d.format = format;
    const std::string printed = bpf::disassemble(prog, d);
    bpf::AsmOptions again_options;
    again_options.file_name = "printed.s";
    again_options.arch = assembled->arch;
    auto again = bpf::assemble(printed, again_options);
    FUZZ_CHECK(again.has_value(), again.error().message + "\n--- printed:\n" + printed);
    FUZZ_CHECK(again->program == prog, "print -> assemble changed the program:\n" + printed);
  }
  return 0;
}
