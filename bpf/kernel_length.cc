#include "bpf/kernel_length.h"

namespace sysfence::bpf {

namespace {

// bpf_convert_filter's prologue: A = 0, X = 0 and the context pointer saved
// in a callee-saved register. (The packet-data prologue is for ld_abs on
// sockets; seccomp_check_filter has rewritten every seccomp load before.)
constexpr size_t kPrologue = 3;

size_t conditional_jump_length(const Insn& insn) {
  size_t length = 1;
  // eBPF immediates are signed: a K that reads as negative is zero-extended
  // into a temporary register and compared with that.
  if (insn_src(insn.code) == kK && static_cast<int32_t>(insn.k) < 0) ++length;
  if (insn.jf == 0) return length;  // the false branch falls through
  const uint16_t op = insn_op(insn.code);
  // jne, jle and jlt exist in eBPF, so a test whose true branch falls through
  // becomes one inverted jump; jset has no inverse and needs a ja after it.
  if (insn.jt == 0 && (op == kJeq || op == kJgt || op == kJge)) return length;
  return length + 1;
}

size_t converted_length(const Insn& insn) {
  switch (insn_class(insn.code)) {
    case kRet: return insn_rval(insn.code) == kRetK ? 2 : 1;
    case kAlu: {
      const uint16_t op = insn_op(insn.code);
      // The conversion guards a division by X with a test for 0 that
      // returns 0: mov32 X, jne, xor A, exit, then the division.
      if (insn_src(insn.code) == kX && (op == kDiv || op == kMod)) return 5;
      return 1;
    }
    case kJmp: return insn_op(insn.code) == kJa ? 1 : conditional_jump_length(insn);
    default: return 1;
  }
}

}  // namespace

size_t kernel_charged_length(std::span<const Insn> prog) {
  size_t length = kPrologue;
  for (const Insn& insn : prog) length += converted_length(insn);
  return length;
}

size_t kernel_charged_total(std::span<const Program> stack) {
  size_t total = 0;
  for (size_t k = 0; k < stack.size(); ++k) {
    total += kernel_charged_length(stack[k]) + (k + 1 < stack.size() ? kOlderFilterPenalty : 0);
  }
  return total;
}

}  // namespace sysfence::bpf
