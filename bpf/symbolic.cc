#include "bpf/symbolic.h"

#include <fmt/format.h>

#include <array>
#include <bit>
#include <vector>

#include "bpf/validate.h"

namespace sysfence::bpf {

// ---------------------------------------------------------------------------
// BpfProcedure
// ---------------------------------------------------------------------------

Expected<BpfProcedure> BpfProcedure::create(Program program) {
  auto interp = Interpreter::create(program);
  if (!interp) return Unexpected<Error>{interp.error()};
  return BpfProcedure(std::move(program), std::move(*interp));
}

Action BpfProcedure::run(const SeccompWords& input) const { return interp_.run(input).action(); }

std::string BpfProcedure::describe(const Outcome& leaf) const {
  if (leaf.kind == Outcome::Kind::kUnsupported) return fmt::format("instruction {}: {}", leaf.where, leaf.reason);
  if (!leaf.reason.empty()) return fmt::format("instruction {} ({})", leaf.where, leaf.reason);
  return fmt::format("ret at instruction {}", leaf.where);
}

namespace {

struct Regs {
  SymValue a = SymValue::constant(0);
  SymValue x = SymValue::constant(0);
  std::array<SymValue, kMemWords> mem{};
  uint16_t mem_written = 0;  // bit i: M[i] was stored on this path
};

// A branch not yet explored: resume at `pc` with `regs` once `atom` is added
// on top of the constraints at `mark`.
struct Pending {
  uint32_t pc;
  uint32_t jump_pc;
  size_t mark;
  Regs regs;
  bool constrained;
  uint8_t word;
  WordAtom atom;
};

bool is_power_of_two(uint32_t c) { return c != 0 && (c & (c - 1)) == 0; }

// The result of one ALU step: the new A, or a reason it is outside the
// fragment, or (division by a zero X) the program's end with return 0.
struct AluResult {
  enum class Kind : uint8_t { kValue, kUnsupported, kReturnZero } kind = Kind::kValue;
  SymValue value;
  std::string reason;
};

AluResult alu_value(SymValue v) { return {AluResult::Kind::kValue, v, {}}; }
AluResult alu_unsupported(std::string why) { return {AluResult::Kind::kUnsupported, {}, std::move(why)}; }

const char* alu_name(uint16_t op) {
  switch (op) {
    case kAdd: return "add";
    case kSub: return "sub";
    case kMul: return "mul";
    case kDiv: return "div";
    case kOr: return "or";
    case kAnd: return "and";
    case kLsh: return "lsh";
    case kRsh: return "rsh";
    case kNeg: return "neg";
    case kMod: return "mod";
    case kXor: return "xor";
  }
  return "alu";
}

// A op c with A symbolic or constant and c a constant. `from_x` selects the
// kernel's register-operand semantics (shift count masked to 5 bits, a zero
// divisor returns 0).
AluResult alu_const(uint16_t op, const SymValue& a, uint32_t c, bool from_x) {
  if (a.is_constant()) {
    const uint32_t x = a.bits;
    switch (op) {
      case kAdd: return alu_value(SymValue::constant(x + c));
      case kSub: return alu_value(SymValue::constant(x - c));
      case kMul: return alu_value(SymValue::constant(x * c));
      case kDiv:
        if (c == 0) return {AluResult::Kind::kReturnZero, {}, {}};
        return alu_value(SymValue::constant(x / c));
      case kOr: return alu_value(SymValue::constant(x | c));
      case kAnd: return alu_value(SymValue::constant(x & c));
      case kXor: return alu_value(SymValue::constant(x ^ c));
      case kLsh:
      case kRsh: {
        if (!from_x && c >= 32) return alu_unsupported(fmt::format("shift by {} (>= 32)", c));
        const unsigned s = c & 31;
        return alu_value(SymValue::constant(op == kLsh ? x << s : x >> s));
      }
      case kNeg: return alu_value(SymValue::constant(0U - x));
    }
    return alu_unsupported(fmt::format("ALU operation {:#x}", op));
  }
  const std::string what = fmt::format("{} {:#x} on {}", alu_name(op), c, a.to_string());
  switch (op) {
    case kAnd: return alu_value(sym_and(a, c));
    case kOr: return alu_value(sym_or(a, c));
    case kXor: return alu_value(sym_xor(a, c));
    case kLsh:
    case kRsh: {
      if (!from_x && c >= 32) return alu_unsupported(fmt::format("shift by {} (>= 32)", c));
      const unsigned s = c & 31;
      return alu_value(op == kLsh ? sym_lsh(a, s) : sym_rsh(a, s));
    }
    case kAdd:
    case kSub:
      if (c == 0) return alu_value(a);
      return alu_unsupported(what + ": input-dependent arithmetic");
    case kMul:
      if (c == 0) return alu_value(SymValue::constant(0));
      if (is_power_of_two(c)) return alu_value(sym_lsh(a, static_cast<unsigned>(std::countr_zero(c))));
      return alu_unsupported(what + ": input-dependent arithmetic");
    case kDiv:
      if (c == 0) return {AluResult::Kind::kReturnZero, {}, {}};
      if (is_power_of_two(c)) return alu_value(sym_rsh(a, static_cast<unsigned>(std::countr_zero(c))));
      return alu_unsupported(what + ": input-dependent arithmetic");
    case kNeg: return alu_unsupported(fmt::format("neg on {}: input-dependent arithmetic", a.to_string()));
  }
  return alu_unsupported(fmt::format("ALU operation {:#x}", op));
}

AluResult alu(uint16_t op, bool src_x, const SymValue& a, const SymValue& x, uint32_t k) {
  if (op == kNeg) return alu_const(kNeg, a, 0, false);
  if (!src_x) return alu_const(op, a, k, false);
  if (x.is_constant()) return alu_const(op, a, x.bits, true);
  if (a.is_constant()) {
    // Commutative operations with a constant A act on X's value.
    switch (op) {
      case kAnd:
      case kOr:
      case kXor:
      case kMul: return alu_const(op, x, a.bits, false);
      case kAdd:
        if (a.bits == 0) return alu_value(x);
        break;
      default: break;
    }
  }
  return alu_unsupported(fmt::format("{} x with A = {}, X = {}: the operand X depends on the input", alu_name(op),
                                     a.to_string(), x.to_string()));
}

Outcome unsupported(uint32_t pc, std::string reason) {
  Outcome o;
  o.kind = Outcome::Kind::kUnsupported;
  o.where = pc;
  o.reason = std::move(reason);
  return o;
}

Outcome returns(uint32_t pc, uint32_t ret, std::string note = {}) {
  Outcome o;
  o.kind = Outcome::Kind::kAction;
  o.action = decode(ret);
  o.ret = ret;
  o.where = pc;
  o.reason = std::move(note);
  return o;
}

constexpr uint32_t kActionClasses[] = {kRetKillProcess, kRetKillThread, kRetTrap, kRetErrno,
                                       kRetUserNotif,   kRetTrace,      kRetLog,  kRetAllow};

// `ret A` with A = f(word): the action is selected by A's upper 16 bits, so
// the path splits into one leaf per action class whose selector f can
// produce (a chain of jeq on A & 0xffff0000), plus a leaf for values that
// select no action (the kernel acts on them as KILL_PROCESS). ERRNO and
// TRACE carry A & 0xffff, which stays symbolic in the leaf.
Walk split_symbolic_return(PathState& state, uint32_t pc, const SymValue& a, const LeafFn& on_leaf) {
  const SymValue selector = sym_and(a, kRetActionFull);
  const SymValue data = sym_and(a, kRetData);
  const size_t chain = state.mark();
  auto leaf_for = [&](uint32_t action_bits) {
    Outcome o = returns(pc, action_bits);
    const bool has_data = o.action.kind == ActionKind::kErrno || o.action.kind == ActionKind::kTrace;
    if (has_data && data.is_constant()) {
      o.action.data = static_cast<uint16_t>(data.bits);
      o.ret = action_bits | data.bits;
    } else if (has_data) {
      o.symbolic_data = true;
      o.data = data;
    }
    o.reason = fmt::format("ret A, A = {}", a.to_string());
    return o;
  };
  auto stop = [&](const Outcome& o) {
    if (on_leaf(o) != Walk::kStop) return false;
    state.undo_to(chain);
    return true;
  };
  for (uint32_t bits : kActionClasses) {
    const SymCondition c = translate_jump(kJeq, selector, bits);
    if (c.kind == SymCondition::Kind::kFalse) continue;
    if (c.kind != SymCondition::Kind::kAtom) {  // the selector is this class for every input
      if (stop(leaf_for(bits))) return Walk::kStop;
      state.undo_to(chain);
      return Walk::kContinue;
    }
    const size_t mark = state.mark();
    Sat s = state.add(c.word, c.atom);
    if (s == Sat::kSat && stop(leaf_for(bits))) return Walk::kStop;
    if (s == Sat::kUnknown && stop(unsupported(pc, "the constraint solver's search budget ran out on this branch")))
      return Walk::kStop;
    state.undo_to(mark);
    s = state.add(c.word, negate(c.atom));
    if (s != Sat::kSat) {
      if (s == Sat::kUnknown && stop(unsupported(pc, "the constraint solver's search budget ran out on this branch")))
        return Walk::kStop;
      state.undo_to(chain);
      return Walk::kContinue;
    }
  }
  // Every known class excluded and still satisfiable: an undefined action.
  Outcome o = returns(pc, 0xffffffffU);  // decodes to KILL_PROCESS like any undefined value
  o.action = Action::KillProcess();
  o.reason = fmt::format("ret A, A = {} selects no defined action", a.to_string());
  if (stop(o)) return Walk::kStop;
  state.undo_to(chain);
  return Walk::kContinue;
}

}  // namespace

Walk BpfProcedure::walk(PathState& state, const LeafFn& on_leaf) const {
  const size_t base = state.mark();
  const auto size = static_cast<uint32_t>(program_.size());
  std::vector<Pending> stack;
  stack.push_back(Pending{0, 0, base, Regs{}, false, 0, {}});

  while (!stack.empty()) {
    Pending p = stack.back();
    stack.pop_back();
    state.undo_to(p.mark);
    std::optional<Outcome> leaf;
    if (p.constrained) {
      const Sat s = state.add(p.word, p.atom);
      if (s == Sat::kUnsat) continue;
      if (s == Sat::kUnknown)
        leaf = unsupported(p.jump_pc, "the constraint solver's search budget ran out on this branch");
    }
    uint32_t pc = p.pc;
    Regs& r = p.regs;
    while (!leaf) {
      if (pc >= size) {
        leaf = unsupported(pc, "execution runs past the last instruction");
        break;
      }
      const Insn& in = program_[pc];
      const uint16_t code = in.code;
      switch (insn_class(code)) {
        case kLd:
        case kLdx: {
          const bool to_x = insn_class(code) == kLdx;
          SymValue v;
          if (code == (kLd | kW | kAbs)) {
            if (in.k % 4 != 0 || in.k >= kSeccompDataSize) {
              leaf = unsupported(pc, fmt::format("load from offset {} outside seccomp_data's words", in.k));
              break;
            }
            v = SymValue::input(in.k / 4);
          } else if (code == (kLd | kW | kLen) || code == (kLdx | kW | kLen)) {
            v = SymValue::constant(kSeccompDataSize);
          } else if (code == (kLd | kImm) || code == (kLdx | kImm)) {
            v = SymValue::constant(in.k);
          } else if (code == (kLd | kMem) || code == (kLdx | kMem)) {
            if (in.k >= kMemWords || (r.mem_written & (1u << in.k)) == 0) {
              leaf = unsupported(pc, fmt::format("reads scratch M[{}] before any store on this path", in.k));
              break;
            }
            v = r.mem[in.k];
          } else {
            leaf = unsupported(pc, fmt::format("load {:#x} is not a seccomp load", code));
            break;
          }
          (to_x ? r.x : r.a) = v;
          ++pc;
          break;
        }
        case kSt:
        case kStx:
          if (code != kSt && code != kStx) {
            leaf = unsupported(pc, fmt::format("store opcode {:#x}", code));
            break;
          }
          if (in.k >= kMemWords) {
            leaf = unsupported(pc, fmt::format("store to M[{}] (only 16 slots)", in.k));
            break;
          }
          r.mem[in.k] = code == kSt ? r.a : r.x;
          r.mem_written = static_cast<uint16_t>(r.mem_written | (1u << in.k));
          ++pc;
          break;
        case kAlu: {
          const uint16_t op = insn_op(code);
          const bool src_x = insn_src(code) == kX;
          if (op == kMod || (op == kNeg && code != (kAlu | kNeg)) || op > kXor) {
            leaf = unsupported(pc, fmt::format("ALU opcode {:#x} is not allowed in seccomp", code));
            break;
          }
          AluResult res = alu(op, src_x, r.a, r.x, in.k);
          if (res.kind == AluResult::Kind::kUnsupported) {
            leaf = unsupported(pc, std::move(res.reason));
          } else if (res.kind == AluResult::Kind::kReturnZero) {
            leaf = returns(pc, 0, "division by zero returns 0");
          } else {
            r.a = res.value;
            ++pc;
          }
          break;
        }
        case kMisc:
          if (code == (kMisc | kTax)) r.x = r.a;
          else if (code == (kMisc | kTxa)) r.a = r.x;
          else {
            leaf = unsupported(pc, fmt::format("misc opcode {:#x}", code));
            break;
          }
          ++pc;
          break;
        case kRet:
          if (code == (kRet | kRetK)) {
            leaf = returns(pc, in.k);
          } else if (code == (kRet | kRetA)) {
            if (r.a.is_constant()) {
              leaf = returns(pc, r.a.bits);
            } else {
              if (split_symbolic_return(state, pc, r.a, on_leaf) == Walk::kStop) {
                state.undo_to(base);
                return Walk::kStop;
              }
              goto next_pending;
            }
          } else {
            leaf = unsupported(pc, fmt::format("ret opcode {:#x}", code));
          }
          break;
        case kJmp: {
          const uint16_t op = insn_op(code);
          if (op == kJa) {
            if (code != (kJmp | kJa)) {
              leaf = unsupported(pc, fmt::format("jump opcode {:#x}", code));
              break;
            }
            const uint64_t target = uint64_t{pc} + 1 + in.k;
            if (target >= size) {
              leaf = unsupported(pc, "ja jumps past the last instruction");
              break;
            }
            pc = static_cast<uint32_t>(target);
            break;
          }
          if (op != kJeq && op != kJgt && op != kJge && op != kJset) {
            leaf = unsupported(pc, fmt::format("jump opcode {:#x}", code));
            break;
          }
          const uint32_t pc_true = pc + 1 + in.jt;
          const uint32_t pc_false = pc + 1 + in.jf;
          SymCondition cond;
          if (insn_src(code) == kK) {
            cond = translate_jump(op, r.a, in.k);
          } else if (r.x.is_constant()) {
            cond = translate_jump(op, r.a, r.x.bits);
          } else if (r.a.is_constant()) {
            // c op X, rewritten as a condition on X: jeq and jset are
            // symmetric; c > X is !(X >= c) and c >= X is !(X > c).
            const uint32_t c = r.a.bits;
            if (op == kJeq || op == kJset) {
              cond = translate_jump(op, r.x, c);
            } else {
              cond = translate_jump(op == kJgt ? kJge : kJgt, r.x, c);
              if (cond.kind == SymCondition::Kind::kTrue) cond.kind = SymCondition::Kind::kFalse;
              else if (cond.kind == SymCondition::Kind::kFalse) cond.kind = SymCondition::Kind::kTrue;
              else if (cond.kind == SymCondition::Kind::kAtom) cond.atom = negate(cond.atom);
            }
          } else {
            cond.kind = SymCondition::Kind::kUnsupported;
            cond.reason = fmt::format("compares A = {} with X = {}: two input-dependent values", r.a.to_string(),
                                      r.x.to_string());
          }
          switch (cond.kind) {
            case SymCondition::Kind::kTrue: pc = pc_true; break;
            case SymCondition::Kind::kFalse: pc = pc_false; break;
            case SymCondition::Kind::kUnsupported: leaf = unsupported(pc, std::move(cond.reason)); break;
            case SymCondition::Kind::kAtom: {
              const size_t mark = state.mark();
              stack.push_back(Pending{pc_false, pc, mark, r, true, cond.word, negate(cond.atom)});
              const Sat s = state.add(cond.word, cond.atom);
              if (s == Sat::kSat) {
                pc = pc_true;
              } else {
                if (s == Sat::kUnknown)
                  leaf = unsupported(pc, "the constraint solver's search budget ran out on this branch");
                else state.undo_to(mark);
                if (!leaf) goto next_pending;
              }
              break;
            }
          }
          break;
        }
        default: leaf = unsupported(pc, fmt::format("opcode {:#x}", code)); break;
      }
    }
    if (on_leaf(*leaf) == Walk::kStop) {
      state.undo_to(base);
      return Walk::kStop;
    }
  next_pending:;
  }
  state.undo_to(base);
  return Walk::kContinue;
}

void BpfProcedure::collect_constants(WordConstants& out) const {
  // A linear scan that remembers which word A last loaded: exact for the
  // load-then-compare code every generator emits, a guess elsewhere (the
  // constants only seed test inputs for the testing fallback).
  int word = -1;
  for (const Insn& in : program_) {
    const uint16_t cls = insn_class(in.code);
    if (in.code == (kLd | kW | kAbs) && in.k % 4 == 0 && in.k < kSeccompDataSize) {
      word = static_cast<int>(in.k / 4);
      continue;
    }
    if (cls == kLd || in.code == (kMisc | kTxa)) {
      if (in.code == (kLd | kImm)) out.any.push_back(in.k);
      word = -1;
      continue;
    }
    if (cls == kLdx && in.code == (kLdx | kImm)) out.any.push_back(in.k);
    if (cls == kAlu && insn_src(in.code) == kK) {
      out.any.push_back(in.k);
      continue;
    }
    if (cls == kJmp && insn_op(in.code) != kJa && insn_src(in.code) == kK) {
      if (word >= 0) out.per_word[static_cast<unsigned>(word)].push_back(in.k);
      else out.any.push_back(in.k);
    }
  }
}

}  // namespace sysfence::bpf
