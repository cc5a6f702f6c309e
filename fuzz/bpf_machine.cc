// Fuzz target: raw BPF -> validator -> interpreter (and the symbolic
// executor, the disassembler and the assembler on the same programs).
//
// Input: byte 0 picks how the rest is read.
//   even: the rest is a raw `struct sock_filter` array, little-endian, exactly
//         as `sysfence sim/verify/diff --bpf` would read it from a file;
//   odd:  "shaped" programs: each 8-byte chunk picks one of the 41 opcodes
//         seccomp accepts and the last instruction is a `ret`, so most inputs
//         are programs the kernel would accept and the interpreter runs.
//
// Properties:
//   * read_raw fails exactly for empty and non-multiple-of-8 input, with one
//     line naming the byte offset; write_raw gives the input bytes back;
//   * Interpreter::create accepts exactly what the validator accepts;
//   * every run ends within size() instructions on a forward path, and the
//     traced run agrees with the plain one;
//   * disassembling a valid program and assembling the text gives the same
//     instructions (both text formats);
//   * the symbolic executor agrees with itself and with the interpreter: the
//     program is equivalent to itself, with no internal checker error.
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "bpf/asm.h"
#include "bpf/disasm.h"
#include "bpf/insn.h"
#include "bpf/interp.h"
#include "bpf/raw.h"
#include "bpf/validate.h"
#include "fuzz/check.h"
#include "syscalls/arch.h"
#include "verify/equiv.h"
#include "verify/symbolic.h"

namespace {

using namespace sysfence;

uint32_t le32(const uint8_t* p) { return p[0] | p[1] << 8 | p[2] << 16 | static_cast<uint32_t>(p[3]) << 24; }

bpf::Program shaped_program(std::span<const uint8_t> bytes) {
  const auto opcodes = bpf::seccomp_opcodes();
  bpf::Program prog;
  const size_t n = std::min<size_t>(bytes.size() / 8, bpf::kMaxInsns);
  for (size_t i = 0; i < n; ++i) {
    const uint8_t* c = bytes.data() + 8 * i;
    bpf::Insn insn;
    insn.code = opcodes[c[0] % opcodes.size()];
    const size_t left = n - i - 1;  // instructions after this one
    insn.jt = static_cast<uint8_t>(left == 0 ? 0 : c[1] % std::min<size_t>(left, 256));
    insn.jf = static_cast<uint8_t>(left == 0 ? 0 : c[2] % std::min<size_t>(left, 256));
    insn.k = le32(c + 4);
    // Keep loads, scratch slots and shifts mostly in range; c[3] bit 0
    // leaves the raw operand for the validator to judge.
    if ((c[3] & 1) == 0) {
      const uint16_t cls = bpf::insn_class(insn.code);
      const uint16_t mode = bpf::insn_mode(insn.code);
      if ((cls == bpf::kLd || cls == bpf::kLdx) && mode == bpf::kAbs) insn.k = (insn.k % 16) * 4;
      if (mode == bpf::kMem || cls == bpf::kSt || cls == bpf::kStx) insn.k %= 16;
      if (cls == bpf::kAlu) insn.k = (insn.k & 0xff) % 33;
    }
    prog.push_back(insn);
  }
  if (prog.empty()) prog.push_back({});
  prog.back().code = static_cast<uint16_t>(bpf::kRet | ((bytes.size() & 8) != 0 ? 0x10 /*A*/ : 0x00 /*K*/));
  return prog;
}

// A few seccomp_data inputs: zeros, ones, and words made of the program's own
// constants (so comparisons go both ways).
std::vector<SeccompWords> inputs_for(const bpf::Program& prog) {
  std::vector<SeccompWords> out(4);
  out[1].fill(0xffffffffu);
  for (size_t w = 0; w < out[2].size(); ++w) {
    out[2][w] = prog[(w * 7) % prog.size()].k;
    out[3][w] = prog[(w * 3 + 1) % prog.size()].k + 1;
  }
  return out;
}

void check_runs(const bpf::Program& prog, const bpf::Interpreter& interp) {
  std::vector<bpf::TraceStep> trace;
  for (const SeccompWords& in : inputs_for(prog)) {
    const bpf::RunResult r = interp.run(in);
    FUZZ_CHECK(r.insns >= 1 && r.insns <= prog.size(), "instruction count out of range");
    const bpf::RunResult t = interp.run_traced(in, trace);
    FUZZ_CHECK(t == r, "traced run differs from the plain run");
    FUZZ_CHECK(trace.size() == r.insns, "trace length differs from the instruction count");
    for (size_t i = 1; i < trace.size(); ++i) FUZZ_CHECK(trace[i].pc > trace[i - 1].pc, "a backward step");
    auto once = bpf::run(prog, in);
    FUZZ_CHECK(once.has_value() && *once == r, "one-shot run differs");
  }
}

void check_text_round_trip(const bpf::Program& prog, const syscalls::Arch* arch) {
  for (bpf::TextFormat format : {bpf::TextFormat::kListing, bpf::TextFormat::kAsm}) {
    bpf::DisasmOptions d;
    d.arch = arch;
    d.format = format;
    const std::string text = bpf::disassemble(prog, d);
    bpf::AsmOptions a;
    a.file_name = "roundtrip.s";
    a.arch = arch;
    auto back = bpf::assemble(text, a);
    FUZZ_CHECK(back.has_value(), back.error().message + "\n--- text:\n" + text);
    FUZZ_CHECK(back->program == prog, "disassemble -> assemble changed the program:\n" + text);
  }
}

void check_symbolic(const bpf::Program& prog) {
  auto a = verify::BpfProcedure::create(prog);
  FUZZ_CHECK(a.has_value(), a.error().message);
  verify::EquivOptions opts;
  opts.max_paths = 50'000;
  opts.test_budget = 500;
  const verify::EquivResult r = verify::check_equivalent(*a, *a, opts);
  FUZZ_CHECK(r.internal_errors.empty(), r.internal_errors.front());
  FUZZ_CHECK(r.verdict != verify::EquivResult::Verdict::kDifferent, "a program differs from itself");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::span<const uint8_t> rest(data + 1, size - 1);
  bpf::Program prog;
  if ((data[0] & 1) == 0) {
    auto read = bpf::read_raw(rest, Endian::kLittle, "fuzz.bpf");
    if (!read) {
      const std::string& m = read.error().message;
      FUZZ_CHECK(rest.empty() || rest.size() % 8 != 0, "read_raw rejected a whole number of instructions: " + m);
      FUZZ_CHECK(fuzz::is_one_line(m) && m.starts_with("fuzz.bpf: "), m);
      FUZZ_CHECK(rest.empty() || m.find("byte offset") != std::string::npos, m);
      return 0;
    }
    FUZZ_CHECK(!rest.empty() && rest.size() % 8 == 0, "read_raw accepted a truncated instruction");
    const std::vector<uint8_t> again = bpf::write_raw(*read, Endian::kLittle);
    FUZZ_CHECK(std::equal(again.begin(), again.end(), rest.begin(), rest.end()), "write_raw(read_raw(x)) != x");
    const std::vector<uint8_t> be = bpf::write_raw(*read, Endian::kBig);
    auto be_back = bpf::read_raw(be, Endian::kBig, "fuzz.bpf");
    FUZZ_CHECK(be_back.has_value() && *be_back == *read, "big-endian round trip changed the program");
    prog = std::move(*read);
  } else {
    prog = shaped_program(rest);
  }

  const auto violation = bpf::find_violation(prog);
  auto interp = bpf::Interpreter::create(prog);
  if (violation) {
    FUZZ_CHECK(!interp.has_value(), "the interpreter accepted a program the validator rejects");
    FUZZ_CHECK(interp.error().message == violation->message, interp.error().message);
    FUZZ_CHECK(fuzz::is_one_line(violation->message), violation->message);
    FUZZ_CHECK(violation->message.find("instruction") != std::string::npos, violation->message);
    return 0;
  }
  FUZZ_CHECK(interp.has_value(), interp.error().message);
  check_runs(prog, *interp);
  const auto arches = syscalls::all_arches();
  const syscalls::Arch* arch = (data[0] & 2) != 0 ? &arches[(data[0] >> 2) % arches.size()] : nullptr;
  check_text_round_trip(prog, arch);
  check_symbolic(prog);
  return 0;
}
