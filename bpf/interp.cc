#include "bpf/interp.h"

#include <utility>

#include "bpf/validate.h"

namespace sysfence::bpf {

namespace {

// Dense operation numbers: the validated opcode with its operand form resolved,
// so the dispatch loop needs no decoding. Keep in sync with the label table in
// Interpreter::exec.
enum OpKind : uint8_t {
  kOpLdWord,  // A = word[k]   (ld [k], k already divided by 4)
  kOpLdImm,   // A = k         (ld #k, and ld len with k = 64)
  kOpLdxImm,  // X = k         (ldx #k, and ldx len with k = 64)
  kOpLdMem,
  kOpLdxMem,
  kOpSt,
  kOpStx,
  kOpAddK,
  kOpAddX,
  kOpSubK,
  kOpSubX,
  kOpMulK,
  kOpMulX,
  kOpDivK,
  kOpDivX,
  kOpAndK,
  kOpAndX,
  kOpOrK,
  kOpOrX,
  kOpXorK,
  kOpXorX,
  kOpLshK,
  kOpLshX,
  kOpRshK,
  kOpRshX,
  kOpNeg,
  kOpTax,
  kOpTxa,
  kOpJa,
  kOpJeqK,
  kOpJeqX,
  kOpJgtK,
  kOpJgtX,
  kOpJgeK,
  kOpJgeX,
  kOpJsetK,
  kOpJsetX,
  kOpRetK,
  kOpRetA,
  kOpCount,
};

// Maps a validated instruction to its decoded form. Operand fields the kernel
// ignores for an opcode (jt/jf of non-jumps, k of `tax`...) are dropped.
Interpreter::Op decode_insn(const Insn& insn, size_t pc) {
  const auto next = static_cast<uint16_t>(pc + 1);
  Interpreter::Op op{insn.k, next, next, kOpCount};
  const auto kind_for = [](uint16_t code) -> OpKind {
    switch (code) {
      case kLd | kW | kAbs: return kOpLdWord;
      case kLd | kImm:
      case kLd | kW | kLen: return kOpLdImm;
      case kLdx | kImm:
      case kLdx | kW | kLen: return kOpLdxImm;
      case kLd | kMem: return kOpLdMem;
      case kLdx | kMem: return kOpLdxMem;
      case kSt: return kOpSt;
      case kStx: return kOpStx;
      case kAlu | kAdd | kK: return kOpAddK;
      case kAlu | kAdd | kX: return kOpAddX;
      case kAlu | kSub | kK: return kOpSubK;
      case kAlu | kSub | kX: return kOpSubX;
      case kAlu | kMul | kK: return kOpMulK;
      case kAlu | kMul | kX: return kOpMulX;
      case kAlu | kDiv | kK: return kOpDivK;
      case kAlu | kDiv | kX: return kOpDivX;
      case kAlu | kAnd | kK: return kOpAndK;
      case kAlu | kAnd | kX: return kOpAndX;
      case kAlu | kOr | kK: return kOpOrK;
      case kAlu | kOr | kX: return kOpOrX;
      case kAlu | kXor | kK: return kOpXorK;
      case kAlu | kXor | kX: return kOpXorX;
      case kAlu | kLsh | kK: return kOpLshK;
      case kAlu | kLsh | kX: return kOpLshX;
      case kAlu | kRsh | kK: return kOpRshK;
      case kAlu | kRsh | kX: return kOpRshX;
      case kAlu | kNeg: return kOpNeg;
      case kMisc | kTax: return kOpTax;
      case kMisc | kTxa: return kOpTxa;
      case kJmp | kJa: return kOpJa;
      case kJmp | kJeq | kK: return kOpJeqK;
      case kJmp | kJeq | kX: return kOpJeqX;
      case kJmp | kJgt | kK: return kOpJgtK;
      case kJmp | kJgt | kX: return kOpJgtX;
      case kJmp | kJge | kK: return kOpJgeK;
      case kJmp | kJge | kX: return kOpJgeX;
      case kJmp | kJset | kK: return kOpJsetK;
      case kJmp | kJset | kX: return kOpJsetX;
      case kRet | kRetK: return kOpRetK;
      case kRet | kRetA: return kOpRetA;
      default: return kOpCount;  // unreachable for validated programs
    }
  };
  op.kind = kind_for(insn.code);
  switch (op.kind) {
    case kOpLdWord: op.k = insn.k / 4; break;
    case kOpLdImm:
    case kOpLdxImm:
      if (insn_mode(insn.code) == kLen) op.k = kSeccompDataSize;
      break;
    case kOpJa: op.jt = op.jf = static_cast<uint16_t>(pc + 1 + insn.k); break;
    case kOpJeqK:
    case kOpJeqX:
    case kOpJgtK:
    case kOpJgtX:
    case kOpJgeK:
    case kOpJgeX:
    case kOpJsetK:
    case kOpJsetX:
      op.jt = static_cast<uint16_t>(pc + 1 + insn.jt);
      op.jf = static_cast<uint16_t>(pc + 1 + insn.jf);
      break;
    default: break;
  }
  return op;
}

}  // namespace

Expected<Interpreter> Interpreter::create(std::span<const Insn> prog) {
  if (auto v = validate(prog); !v) return Unexpected<Error>{v.error()};
  std::vector<Op> code;
  code.reserve(prog.size());
  for (size_t pc = 0; pc < prog.size(); ++pc) code.push_back(decode_insn(prog[pc], pc));
  return Interpreter(std::move(code));
}

// Threaded dispatch (GCC's labels-as-values): each handler jumps straight to
// the next one, which keeps the branch predictor per-handler. Every program
// here is validated, so every jump target is in range and ends at a `ret`.
template <bool kTrace>
// NOLINTNEXTLINE(readability-function-size): computed-goto labels cannot leave their function; one line per handler.
RunResult Interpreter::exec(const SeccompWords& data, std::vector<TraceStep>* trace) const {
  static const void* const kLabels[kOpCount] = {
      &&ld_word, &&ld_imm, &&ldx_imm, &&ld_mem, &&ldx_mem, &&st,     &&stx,    &&add_k, &&add_x, &&sub_k,
      &&sub_x,   &&mul_k,  &&mul_x,   &&div_k,  &&div_x,   &&and_k,  &&and_x,  &&or_k,  &&or_x,  &&xor_k,
      &&xor_x,   &&lsh_k,  &&lsh_x,   &&rsh_k,  &&rsh_x,   &&neg,    &&tax,    &&txa,   &&ja,    &&jeq_k,
      &&jeq_x,   &&jgt_k,  &&jgt_x,   &&jge_k,  &&jge_x,   &&jset_k, &&jset_x, &&ret_k, &&ret_a,
  };
  const Op* const base = code_.data();
  const Op* op = base;
  uint32_t a = 0;
  uint32_t x = 0;
  uint32_t mem[kMemWords] = {};
  uint32_t count = 0;

#define SF_STEP()                                                                     \
  do {                                                                                \
    ++count;                                                                          \
    if constexpr (kTrace) trace->push_back({static_cast<uint16_t>(op - base), a, x}); \
  } while (0)
#define SF_GOTO(target)      \
  do {                       \
    op = base + (target);    \
    goto* kLabels[op->kind]; \
  } while (0)
#define SF_NEXT()            \
  do {                       \
    SF_STEP();               \
    ++op;                    \
    goto* kLabels[op->kind]; \
  } while (0)
#define SF_BRANCH(cond)                \
  do {                                 \
    SF_STEP();                         \
    SF_GOTO((cond) ? op->jt : op->jf); \
  } while (0)

  goto* kLabels[op->kind];

ld_word:
  a = data[op->k];
  SF_NEXT();
ld_imm:
  a = op->k;
  SF_NEXT();
ldx_imm:
  x = op->k;
  SF_NEXT();
ld_mem:
  a = mem[op->k];
  SF_NEXT();
ldx_mem:
  x = mem[op->k];
  SF_NEXT();
st:
  mem[op->k] = a;
  SF_NEXT();
stx:
  mem[op->k] = x;
  SF_NEXT();
add_k:
  a += op->k;
  SF_NEXT();
add_x:
  a += x;
  SF_NEXT();
sub_k:
  a -= op->k;
  SF_NEXT();
sub_x:
  a -= x;
  SF_NEXT();
mul_k:
  a *= op->k;
  SF_NEXT();
mul_x:
  a *= x;
  SF_NEXT();
div_k:
  a /= op->k;  // k != 0: the validator rejects division by the constant 0
  SF_NEXT();
div_x:
  if (x == 0) {
    SF_STEP();
    return RunResult{0, count};
  }
  a /= x;
  SF_NEXT();
and_k:
  a &= op->k;
  SF_NEXT();
and_x:
  a &= x;
  SF_NEXT();
or_k:
  a |= op->k;
  SF_NEXT();
or_x:
  a |= x;
  SF_NEXT();
xor_k:
  a ^= op->k;
  SF_NEXT();
xor_x:
  a ^= x;
  SF_NEXT();
lsh_k:
  a <<= op->k;  // k < 32 (validated)
  SF_NEXT();
lsh_x:
  a <<= (x & 31);
  SF_NEXT();
rsh_k:
  a >>= op->k;
  SF_NEXT();
rsh_x:
  a >>= (x & 31);
  SF_NEXT();
neg:
  a = 0U - a;
  SF_NEXT();
tax:
  x = a;
  SF_NEXT();
txa:
  a = x;
  SF_NEXT();
ja:
  SF_STEP();
  SF_GOTO(op->jt);
jeq_k:
  SF_BRANCH(a == op->k);
jeq_x:
  SF_BRANCH(a == x);
jgt_k:
  SF_BRANCH(a > op->k);
jgt_x:
  SF_BRANCH(a > x);
jge_k:
  SF_BRANCH(a >= op->k);
jge_x:
  SF_BRANCH(a >= x);
jset_k:
  SF_BRANCH((a & op->k) != 0);
jset_x:
  SF_BRANCH((a & x) != 0);
ret_k:
  SF_STEP();
  return RunResult{op->k, count};
ret_a:
  SF_STEP();
  return RunResult{a, count};

#undef SF_STEP
#undef SF_GOTO
#undef SF_NEXT
#undef SF_BRANCH
}

RunResult Interpreter::run(const SeccompWords& data) const { return exec<false>(data, nullptr); }

RunResult Interpreter::run_traced(const SeccompWords& data, std::vector<TraceStep>& trace) const {
  trace.clear();
  return exec<true>(data, &trace);
}

Expected<RunResult> run(std::span<const Insn> prog, const SeccompWords& data) {
  auto interp = Interpreter::create(prog);
  if (!interp) return Unexpected<Error>{interp.error()};
  return interp->run(data);
}

Expected<RunResult> run(std::span<const Insn> prog, const SeccompData& data, Endian e) {
  return run(prog, to_words(data, e));
}

}  // namespace sysfence::bpf
