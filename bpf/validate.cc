#include "bpf/validate.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <iterator>
#include <vector>

#include "base/seccomp.h"

namespace sysfence::bpf {

namespace {

// Opcode values by name (BPF_CLASS | BPF_SIZE | BPF_MODE or BPF_OP | BPF_SRC).
constexpr uint16_t kLdWAbs = kLd | kW | kAbs;    // 0x20
constexpr uint16_t kLdHAbs = kLd | kH | kAbs;    // 0x28
constexpr uint16_t kLdBAbs = kLd | kB | kAbs;    // 0x30
constexpr uint16_t kLdWInd = kLd | kW | kInd;    // 0x40
constexpr uint16_t kLdHInd = kLd | kH | kInd;    // 0x48
constexpr uint16_t kLdBInd = kLd | kB | kInd;    // 0x50
constexpr uint16_t kLdWLen = kLd | kW | kLen;    // 0x80
constexpr uint16_t kLdImm = kLd | kImm;          // 0x00
constexpr uint16_t kLdMem = kLd | kMem;          // 0x60
constexpr uint16_t kLdxWLen = kLdx | kW | kLen;  // 0x81
constexpr uint16_t kLdxBMsh = kLdx | kB | kMsh;  // 0xb1
constexpr uint16_t kLdxImm = kLdx | kImm;        // 0x01
constexpr uint16_t kLdxMem = kLdx | kMem;        // 0x61

// The classic opcodes bpf_check_classic accepts (chk_code_allowed), with
// whether seccomp_check_filter keeps them. Facts from net/core/filter.c and
// kernel/seccomp.c (Linux 6.12).
struct OpcodeInfo {
  uint16_t code;
  bool seccomp;
  const char* mnemonic;
};

constexpr OpcodeInfo kClassicOpcodes[] = {
    {kLdImm, true, "ld #k"},
    {kLdxImm, true, "ldx #k"},
    {kSt, true, "st M[k]"},
    {kStx, true, "stx M[k]"},
    {kAlu | kAdd | kK, true, "add #k"},
    {kJmp | kJa, true, "ja"},
    {kRet | kRetK, true, "ret #k"},
    {kMisc | kTax, true, "tax"},
    {kAlu | kAdd | kX, true, "add x"},
    {kAlu | kSub | kK, true, "sub #k"},
    {kJmp | kJeq | kK, true, "jeq #k"},
    {kRet | kRetA, true, "ret a"},
    {kAlu | kSub | kX, true, "sub x"},
    {kJmp | kJeq | kX, true, "jeq x"},
    {kLdWAbs, true, "ld [k]"},
    {kAlu | kMul | kK, true, "mul #k"},
    {kJmp | kJgt | kK, true, "jgt #k"},
    {kAlu | kMul | kX, true, "mul x"},
    {kJmp | kJgt | kX, true, "jgt x"},
    {kLdHAbs, false, "ldh [k]"},
    {kLdBAbs, false, "ldb [k]"},
    {kAlu | kDiv | kK, true, "div #k"},
    {kJmp | kJge | kK, true, "jge #k"},
    {kAlu | kDiv | kX, true, "div x"},
    {kJmp | kJge | kX, true, "jge x"},
    {kLdWInd, false, "ld [x+k]"},
    {kAlu | kOr | kK, true, "or #k"},
    {kJmp | kJset | kK, true, "jset #k"},
    {kAlu | kOr | kX, true, "or x"},
    {kJmp | kJset | kX, true, "jset x"},
    {kLdHInd, false, "ldh [x+k]"},
    {kLdBInd, false, "ldb [x+k]"},
    {kAlu | kAnd | kK, true, "and #k"},
    {kAlu | kAnd | kX, true, "and x"},
    {kLdMem, true, "ld M[k]"},
    {kLdxMem, true, "ldx M[k]"},
    {kAlu | kLsh | kK, true, "lsh #k"},
    {kAlu | kLsh | kX, true, "lsh x"},
    {kAlu | kRsh | kK, true, "rsh #k"},
    {kAlu | kRsh | kX, true, "rsh x"},
    {kLdWLen, true, "ld len"},
    {kLdxWLen, true, "ldx len"},
    {kAlu | kNeg, true, "neg"},
    {kMisc | kTxa, true, "txa"},
    {kAlu | kMod | kK, false, "mod #k"},
    {kAlu | kMod | kX, false, "mod x"},
    {kAlu | kXor | kK, true, "xor #k"},
    {kAlu | kXor | kX, true, "xor x"},
    {kLdxBMsh, false, "ldxb 4*([k]&0xf)"},
};

// Index into kClassicOpcodes by opcode (every classic opcode is below 0x100),
// kNoOpcode for the others: the validator looks up every instruction.
constexpr uint8_t kNoOpcode = 0xff;
constexpr std::array<uint8_t, 0x100> make_opcode_index() {
  std::array<uint8_t, 0x100> index{};
  index.fill(kNoOpcode);
  for (size_t i = 0; i < std::size(kClassicOpcodes); ++i) index[kClassicOpcodes[i].code] = static_cast<uint8_t>(i);
  return index;
}

constexpr std::array<uint8_t, 0x100> kOpcodeIndex = make_opcode_index();

const OpcodeInfo* find_opcode(uint16_t code) {
  if (code >= kOpcodeIndex.size() || kOpcodeIndex[code] == kNoOpcode) return nullptr;
  return &kClassicOpcodes[kOpcodeIndex[code]];
}

constexpr std::array<uint16_t, 41> make_seccomp_opcodes() {
  std::array<uint16_t, 41> out{};
  size_t n = 0;
  for (const auto& info : kClassicOpcodes)
    if (info.seccomp) out[n++] = info.code;
  std::sort(out.begin(), out.end());
  return out;
}

constexpr std::array<uint16_t, 41> kSeccompOpcodes = make_seccomp_opcodes();

bool is_conditional_jump(uint16_t code) {
  switch (code) {
    case kJmp | kJeq | kK:
    case kJmp | kJeq | kX:
    case kJmp | kJgt | kK:
    case kJmp | kJgt | kX:
    case kJmp | kJge | kK:
    case kJmp | kJge | kX:
    case kJmp | kJset | kK:
    case kJmp | kJset | kX: return true;
    default: return false;
  }
}

Violation violation(size_t index, Rule rule, std::string what) {
  return Violation{index, rule, fmt::format("instruction {}: {} [{}]", index, what, rule_name(rule))};
}

// Per-instruction rules (bpf_check_classic's loop plus seccomp_check_filter's
// whitelist and load checks). `len` is the program length.
std::optional<Violation> check_insn(const Insn& insn, size_t pc, size_t len) {
  const OpcodeInfo* info = find_opcode(insn.code);
  if (info == nullptr) {
    return violation(pc, Rule::kOpcode, fmt::format("opcode 0x{:04x} is not a classic BPF instruction", insn.code));
  }
  if (!info->seccomp) {
    return violation(pc, Rule::kSeccompOpcode,
                     fmt::format("`{}` (opcode 0x{:04x}) is classic BPF but not allowed in a "
                                 "seccomp filter",
                                 info->mnemonic, insn.code));
  }
  switch (insn.code) {
    case kAlu | kDiv | kK:
      if (insn.k == 0) return violation(pc, Rule::kDivByZero, "division by the constant 0");
      break;
    case kAlu | kLsh | kK:
    case kAlu | kRsh | kK:
      if (insn.k >= 32) {
        return violation(pc, Rule::kShiftRange, fmt::format("shift by the constant {} (must be < 32)", insn.k));
      }
      break;
    case kLdMem:
    case kLdxMem:
    case kSt:
    case kStx:
      if (insn.k >= kMemWords) {
        return violation(
            pc, Rule::kScratchIndex,
            fmt::format("scratch slot M[{}] does not exist (slots are M[0]..M[{}])", insn.k, kMemWords - 1));
      }
      break;
    case kJmp | kJa: {
      // The kernel compares k against the remaining length, so the target
      // pc + 1 + k must be an instruction of the program.
      if (insn.k >= len - pc - 1) {
        return violation(pc, Rule::kJumpRange,
                         fmt::format("ja +{} lands at {}, past the last instruction {}", insn.k,
                                     uint64_t{pc} + 1 + insn.k, len - 1));
      }
      break;
    }
    case kLdWAbs:
      if (insn.k >= kSeccompDataSize || insn.k % 4 != 0) {
        return violation(pc, Rule::kLoadOffset,
                         fmt::format("load from seccomp_data offset {}: offsets must be below "
                                     "{} and a multiple of 4",
                                     insn.k, kSeccompDataSize));
      }
      break;
    default:
      if (is_conditional_jump(insn.code)) {
        for (const uint8_t off : {insn.jt, insn.jf}) {
          if (pc + off + 1 >= len) {
            return violation(pc, Rule::kJumpRange,
                             fmt::format("{} +{} lands at {}, past the last instruction {} (jt={}, jf={})",
                                         info->mnemonic, off, pc + off + 1, len - 1, insn.jt, insn.jf));
          }
        }
      }
      break;
  }
  return std::nullopt;
}

// The instructions a compiled filter is made of, in forms check_insn
// accepts, recognized without building its answer: word loads from
// seccomp_data, conditional jumps on a constant that land in the program,
// `and #k` and `ret #k`. False sends the instruction to check_insn.
bool accepted_at_sight(const Insn& insn, size_t pc, size_t len) {
  switch (insn.code) {
    case kJmp | kJeq | kK:
    case kJmp | kJgt | kK:
    case kJmp | kJge | kK:
    case kJmp | kJset | kK: return pc + insn.jt + 1 < len && pc + insn.jf + 1 < len;
    case kLdWAbs: return insn.k < kSeccompDataSize && insn.k % 4 == 0;
    case kAlu | kAnd | kK:
    case kRet | kRetK: return true;
    default: return false;
  }
}

// check_load_and_stores: a single forward pass that tracks which scratch
// slots are written. It is deliberately the kernel's algorithm, quirks
// included, because acceptance must match bit for bit: state flows into the
// next instruction from any non-jump (even a `ret`), jumps AND their state
// into their targets and reset the running state to "all written" (so code
// that only a jump reaches is judged by the jumps alone, and unreachable code
// may read anything).
std::optional<Violation> check_scratch_dataflow(std::span<const Insn> prog) {
  // Only a scratch read can fail: most filters have none.
  if (std::none_of(prog.begin(), prog.end(),
                   [](const Insn& insn) { return insn.code == kLdMem || insn.code == kLdxMem; })) {
    return std::nullopt;
  }
  std::vector<uint16_t> masks(prog.size(), 0xffff);
  uint16_t valid = 0;
  for (size_t pc = 0; pc < prog.size(); ++pc) {
    const Insn& insn = prog[pc];
    valid &= masks[pc];
    switch (insn.code) {
      case kSt:
      case kStx: valid |= static_cast<uint16_t>(1U << insn.k); break;
      case kLdMem:
      case kLdxMem:
        if ((valid & (1U << insn.k)) == 0) {
          return violation(pc, Rule::kScratchUninit,
                           fmt::format("M[{}] is read, but not written on every path to here", insn.k));
        }
        break;
      case kJmp | kJa:
        masks[pc + 1 + insn.k] &= valid;
        valid = 0xffff;
        break;
      default:
        if (is_conditional_jump(insn.code)) {
          masks[pc + 1 + insn.jt] &= valid;
          masks[pc + 1 + insn.jf] &= valid;
          valid = 0xffff;
        }
        break;
    }
  }
  return std::nullopt;
}

}  // namespace

std::string_view rule_name(Rule r) {
  switch (r) {
    case Rule::kLength: return "length";
    case Rule::kOpcode: return "opcode";
    case Rule::kSeccompOpcode: return "seccomp-opcode";
    case Rule::kLoadOffset: return "load-offset";
    case Rule::kDivByZero: return "div-by-zero";
    case Rule::kShiftRange: return "shift-range";
    case Rule::kScratchIndex: return "scratch-index";
    case Rule::kJumpRange: return "jump-range";
    case Rule::kLastNotRet: return "last-not-ret";
    case Rule::kScratchUninit: return "scratch-uninit";
  }
  return "unknown";
}

std::optional<Violation> find_violation(std::span<const Insn> prog) {
  if (prog.empty() || prog.size() > kMaxInsns) {
    return Violation{prog.size(), Rule::kLength,
                     fmt::format("program has {} instructions; the kernel accepts 1 to {} [{}]", prog.size(), kMaxInsns,
                                 rule_name(Rule::kLength))};
  }
  for (size_t pc = 0; pc < prog.size(); ++pc) {
    if (accepted_at_sight(prog[pc], pc, prog.size())) continue;
    if (auto v = check_insn(prog[pc], pc, prog.size())) return v;
  }
  const Insn& last = prog.back();
  if (last.code != (kRet | kRetK) && last.code != (kRet | kRetA)) {
    return violation(
        prog.size() - 1, Rule::kLastNotRet,
        fmt::format("the last instruction is `{}`; it must be `ret #k` or `ret a`", opcode_mnemonic(last.code)));
  }
  return check_scratch_dataflow(prog);
}

Expected<void> validate(std::span<const Insn> prog) {
  if (auto v = find_violation(prog)) return fail(std::move(v->message));
  return {};
}

bool seccomp_accepts_opcode(uint16_t code) {
  const OpcodeInfo* info = find_opcode(code);
  return info != nullptr && info->seccomp;
}

std::span<const uint16_t> seccomp_opcodes() { return kSeccompOpcodes; }

std::string opcode_mnemonic(uint16_t code) {
  if (const OpcodeInfo* info = find_opcode(code)) return info->mnemonic;
  return fmt::format("opcode 0x{:04x}", code);
}

}  // namespace sysfence::bpf
