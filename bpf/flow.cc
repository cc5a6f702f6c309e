#include "bpf/flow.h"

#include "base/seccomp.h"

namespace sysfence::bpf {

bool is_ja(uint16_t code) { return code == (kJmp | kJa); }

bool is_conditional_jump(uint16_t code) {
  if (insn_class(code) != kJmp) return false;
  const uint16_t op = insn_op(code);
  if (op != kJeq && op != kJgt && op != kJge && op != kJset) return false;
  // Only the exact opcodes: class | op | src, no stray bits.
  return code == (kJmp | op | insn_src(code));
}

Successors successors(std::span<const Insn> prog, size_t index) {
  Successors s;
  const Insn& in = prog[index];
  const uint64_t next = uint64_t{index} + 1;
  auto add = [&](uint64_t target) {
    if (target < prog.size()) s.targets[s.count++] = target;
  };
  if (insn_class(in.code) == kRet) return s;
  if (is_ja(in.code)) {
    add(next + in.k);
  } else if (is_conditional_jump(in.code)) {
    add(next + in.jt);
    add(next + in.jf);
  } else {
    add(next);
  }
  return s;
}

namespace {

// Instructions that leave A untouched. Everything else that is not a
// `ld [k]` is treated as writing an unknown value to A (conservative: an
// opcode the kernel does not know claims nothing).
bool preserves_a(uint16_t code) {
  switch (code) {
    case kLdx | kImm:
    case kLdx | kMem:
    case kLdx | kW | kLen:
    case kSt:
    case kStx:
    case kMisc | kTax:
    case kRet | kRetK:
    case kRet | kRetA: return true;
    default: return is_ja(code) || is_conditional_jump(code);
  }
}

void merge_into(FlowFacts& dst, const FlowFacts& src) {
  if (!dst.reached) {
    dst = src;
    dst.reached = true;
    return;
  }
  if (dst.a_word != src.a_word) dst.a_word.reset();
  if (dst.arch != src.arch) dst.arch.reset();
}

}  // namespace

std::vector<FlowFacts> analyze_flow(std::span<const Insn> prog) {
  std::vector<FlowFacts> facts(prog.size());
  if (prog.empty()) return facts;
  facts[0].reached = true;  // A starts as 0: no word, no arch known.
  for (size_t i = 0; i < prog.size(); ++i) {
    const FlowFacts in = facts[i];
    if (!in.reached) continue;
    const Insn& insn = prog[i];

    FlowFacts out = in;
    if (insn.code == (kLd | kW | kAbs)) {
      if (insn.k < kSeccompDataSize && insn.k % 4 == 0) {
        out.a_word = insn.k;
      } else {
        out.a_word.reset();
      }
    } else if (!preserves_a(insn.code)) {
      out.a_word.reset();
    }

    const uint64_t next = uint64_t{i} + 1;
    auto flow_to = [&](uint64_t target, const FlowFacts& f) {
      if (target < prog.size()) merge_into(facts[target], f);
    };
    if (insn_class(insn.code) == kRet) continue;
    if (is_ja(insn.code)) {
      flow_to(next + insn.k, out);
    } else if (is_conditional_jump(insn.code)) {
      FlowFacts taken = out;
      // Passing `A == K` while A holds seccomp_data.arch pins the arch on the
      // true branch. (Any other test on the arch word proves nothing useful.)
      if (insn.code == (kJmp | kJeq | kK) && out.a_word == kOffsetArch) taken.arch = insn.k;
      flow_to(next + insn.jt, taken);
      flow_to(next + insn.jf, out);
    } else {
      flow_to(next, out);
    }
  }
  return facts;
}

}  // namespace sysfence::bpf
