#include "bpf/disasm.h"

#include <fmt/format.h>

#include <functional>

#include "base/seccomp.h"
#include "bpf/flow.h"
#include "bpf/symbols.h"

namespace sysfence::bpf {
namespace {

bool is_alu_op(uint16_t op) {
  switch (op) {
    case kAdd:
    case kSub:
    case kMul:
    case kDiv:
    case kOr:
    case kAnd:
    case kLsh:
    case kRsh:
    case kMod:
    case kXor: return true;
    default: return false;
  }
}

// `A op= K|X`: class ALU, a binary op, either source, nothing else set.
bool is_alu_binary(uint16_t code) {
  return insn_class(code) == kAlu && is_alu_op(insn_op(code)) && code == (kAlu | insn_op(code) | insn_src(code));
}

std::string_view alu_symbol(uint16_t op) {
  switch (op) {
    case kAdd: return "+=";
    case kSub: return "-=";
    case kMul: return "*=";
    case kDiv: return "/=";
    case kOr: return "|=";
    case kAnd: return "&=";
    case kLsh: return "<<=";
    case kRsh: return ">>=";
    case kMod: return "%=";
    case kXor: return "^=";
    default: return "?=";
  }
}

// Small numbers read best in decimal, masks and magic values in hex.
std::string number(uint64_t v) { return v < 10 ? fmt::format("{}", v) : fmt::format("{:#x}", v); }

// The name of the seccomp_data word a `ld [k]` reads. Argument and
// instruction-pointer words need the byte order (ctx); without it, or for an
// offset seccomp rejects, the raw `data[k]` form.
std::string load_source(uint32_t k, const syscalls::Arch* ctx) {
  if (k == kOffsetNr) return "sys_number";
  if (k == kOffsetArch) return "arch";
  if (ctx != nullptr && k < kSeccompDataSize && k % 4 == 0) {
    const Endian e = ctx->endian;
    if (k == ip_lo_offset(e)) return "instruction_pointer";
    if (k == ip_hi_offset(e)) return "instruction_pointer >> 32";
    for (unsigned i = 0; i < 6; ++i) {
      if (k == arg_lo_offset(i, e)) return fmt::format("args[{}]", i);
      if (k == arg_hi_offset(i, e)) return fmt::format("args[{}] >> 32", i);
    }
  }
  return fmt::format("data[{}]", k);
}

// A compare constant: a syscall name where A holds nr, an ARCH_* name where A
// holds the arch, else a number. jset tests bits, so it never names. Another
// ABI's name ("x32:read") only in an equality test: as a range bound (the
// x32 split `A >= 0x40000000`) it would mislead.
std::string compare_constant(uint32_t k, uint16_t op, const FlowFacts& f, const syscalls::Arch* ctx) {
  if (op != kJset && f.a_word == kOffsetNr) {
    if (auto s = syscall_spelling(k, ctx, /*qualified=*/op == kJeq)) return *s;
  }
  if (op != kJset && f.a_word == kOffsetArch) {
    if (auto s = arch_constant_name(k)) return *s;
  }
  return number(k);
}

using TargetFn = std::function<std::string(uint64_t)>;

std::string condition_jump(const Insn& in, size_t index, const FlowFacts& f, const syscalls::Arch* ctx,
                           const TargetFn& target) {
  const uint16_t op = insn_op(in.code);
  const std::string operand = insn_src(in.code) == kX ? std::string("X") : compare_constant(in.k, op, f, ctx);
  std::string_view pos_op;
  std::string_view neg_op;
  switch (op) {
    case kJeq:
      pos_op = "==";
      neg_op = "!=";
      break;
    case kJgt:
      pos_op = ">";
      neg_op = "<=";
      break;
    case kJge:
      pos_op = ">=";
      neg_op = "<";
      break;
    default: break;  // jset: spelled below
  }
  auto cond = [&](bool positive) {
    if (op == kJset) {
      return positive ? fmt::format("A & {}", operand) : fmt::format("!(A & {})", operand);
    }
    return fmt::format("A {} {}", positive ? pos_op : neg_op, operand);
  };
  const uint64_t next = uint64_t{index} + 1;
  // A branch to the next instruction is left implicit; when only the false
  // branch goes somewhere, the negated test reads naturally.
  if (in.jf == 0) return fmt::format("if ({}) goto {}", cond(true), target(next + in.jt));
  if (in.jt == 0) return fmt::format("if ({}) goto {}", cond(false), target(next + in.jf));
  return fmt::format("if ({}) goto {} else goto {}", cond(true), target(next + in.jt), target(next + in.jf));
}

// By name for the known actions whose data the name has always carried (or
// that have none), otherwise the number: a listing's spelling of TRAP|5 or
// of an unknown action stays the same hex it always was.
std::string return_value(uint32_t k) {
  const Action a = decode(k);
  const bool named_data = a.kind == ActionKind::kErrno || a.kind == ActionKind::kTrace;
  if (a.known() && (a.data == 0 || named_data)) return to_string(a);
  return number(k);
}

std::string raw_insn(const Insn& in) {
  return fmt::format(".insn {:#04x} {:#04x} {:#04x} {:#010x}", in.code, in.jt, in.jf, in.k);
}

// The statement without the unused-field suffix.
std::string statement_body(const Insn& in, size_t index, const FlowFacts& f, const syscalls::Arch* ctx,
                           const TargetFn& target) {
  const uint32_t k = in.k;
  switch (in.code) {
    case kLd | kW | kAbs: return "A = " + load_source(k, ctx);
    case kLd | kImm: return "A = " + number(k);
    case kLdx | kImm: return "X = " + number(k);
    case kLd | kMem: return fmt::format("A = mem[{}]", k);
    case kLdx | kMem: return fmt::format("X = mem[{}]", k);
    case kLd | kW | kLen: return "A = len";
    case kLdx | kW | kLen: return "X = len";
    case kSt: return fmt::format("mem[{}] = A", k);
    case kStx: return fmt::format("mem[{}] = X", k);
    case kMisc | kTax: return "X = A";
    case kMisc | kTxa: return "A = X";
    case kAlu | kNeg: return "A = -A";
    case kJmp | kJa: return "goto " + target(uint64_t{index} + 1 + k);
    case kRet | kRetK: return "return " + return_value(k);
    case kRet | kRetA: return "return A";
    default: break;
  }
  if (is_alu_binary(in.code)) {
    const uint16_t op = insn_op(in.code);
    if (insn_src(in.code) == kX) return fmt::format("A {} X", alu_symbol(op));
    // Shift amounts are counts, not masks.
    const std::string operand = (op == kLsh || op == kRsh) ? fmt::format("{}", k) : number(k);
    return fmt::format("A {} {}", alu_symbol(op), operand);
  }
  if (is_conditional_jump(in.code)) return condition_jump(in, index, f, ctx, target);
  return raw_insn(in);
}

std::string unused_suffix(const Insn& in) {
  if (!has_statement(in.code)) return {};
  const FieldUse use = field_use(in.code);
  std::string parts;
  auto add = [&](std::string_view name, uint32_t v) {
    if (!parts.empty()) parts += ' ';
    parts += fmt::format("{}={}", name, number(v));
  };
  if (!use.jt && in.jt != 0) add("jt", in.jt);
  if (!use.jf && in.jf != 0) add("jf", in.jf);
  if (!use.k && in.k != 0) add("k", in.k);
  return parts.empty() ? std::string() : " {" + parts + "}";
}

std::string statement(const Insn& in, size_t index, const FlowFacts& f, const syscalls::Arch* fallback,
                      const TargetFn& target) {
  const syscalls::Arch* ctx = naming_arch(f.arch, fallback);
  return statement_body(in, index, f, ctx, target) + unused_suffix(in);
}

std::string index_target(uint64_t t) { return fmt::format("{:04}", t); }

}  // namespace

bool has_statement(uint16_t code) {
  switch (code) {
    case kLd | kW | kAbs:
    case kLd | kImm:
    case kLdx | kImm:
    case kLd | kMem:
    case kLdx | kMem:
    case kLd | kW | kLen:
    case kLdx | kW | kLen:
    case kSt:
    case kStx:
    case kMisc | kTax:
    case kMisc | kTxa:
    case kAlu | kNeg:
    case kJmp | kJa:
    case kRet | kRetK:
    case kRet | kRetA: return true;
    default: return is_alu_binary(code) || is_conditional_jump(code);
  }
}

FieldUse field_use(uint16_t code) {
  if (!has_statement(code)) return {true, true, true};
  if (is_conditional_jump(code)) return {true, true, insn_src(code) == kK};
  if (is_alu_binary(code)) return {false, false, insn_src(code) == kK};
  switch (code) {
    case kLd | kW | kLen:
    case kLdx | kW | kLen:
    case kMisc | kTax:
    case kMisc | kTxa:
    case kAlu | kNeg:
    case kRet | kRetA: return {false, false, false};
    default: return {false, false, true};  // k is the offset, constant, slot, or return value
  }
}

std::vector<std::string> statements(std::span<const Insn> prog, const syscalls::Arch* arch) {
  const std::vector<FlowFacts> facts = analyze_flow(prog);
  std::vector<std::string> out;
  out.reserve(prog.size());
  for (size_t i = 0; i < prog.size(); ++i) out.push_back(statement(prog[i], i, facts[i], arch, index_target));
  return out;
}

std::string disassemble(std::span<const Insn> prog, const DisasmOptions& options) {
  const std::vector<FlowFacts> facts = analyze_flow(prog);
  std::string out;
  if (options.format == TextFormat::kListing) {
    out += " line  CODE  JT   JF      K\n";
    out += "=================================\n";
    for (size_t i = 0; i < prog.size(); ++i) {
      const Insn& in = prog[i];
      out += fmt::format("{:04}: {:#04x} {:#04x} {:#04x} {:#010x}  {}\n", i, in.code, in.jt, in.jf, in.k,
                         statement(in, i, facts[i], options.arch, index_target));
    }
    return out;
  }

  // Asm format: every in-program target the text names gets a label (an
  // implicit fall-through branch names none). A target past the end (invalid
  // program) stays numeric: there is nothing to label.
  std::vector<bool> is_target(prog.size(), false);
  auto mark = [&](uint64_t t) {
    if (t < prog.size()) is_target[t] = true;
  };
  for (size_t i = 0; i < prog.size(); ++i) {
    const Insn& in = prog[i];
    const uint64_t next = uint64_t{i} + 1;
    if (is_ja(in.code)) mark(next + in.k);
    if (!is_conditional_jump(in.code)) continue;
    if (in.jf == 0 || in.jt != 0) mark(next + in.jt);
    if (in.jf != 0) mark(next + in.jf);
  }
  auto label = [&](uint64_t t) { return t < prog.size() ? fmt::format("L{:04}", t) : index_target(t); };
  if (options.arch != nullptr) out += fmt::format(".arch {}\n", options.arch->name);
  for (size_t i = 0; i < prog.size(); ++i) {
    if (is_target[i]) out += label(i) + ":\n";
    out += "  " + statement(prog[i], i, facts[i], options.arch, label) + "\n";
  }
  return out;
}

}  // namespace sysfence::bpf
