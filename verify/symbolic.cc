#include "verify/symbolic.h"

#include <fmt/format.h>

#include <array>
#include <bit>
#include <vector>

#include "bpf/validate.h"

namespace sysfence::verify {

// ---------------------------------------------------------------------------
// BpfProcedure
// ---------------------------------------------------------------------------

Expected<BpfProcedure> BpfProcedure::create(bpf::Program program) {
  auto interp = bpf::Interpreter::create(program);
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
  std::array<SymValue, bpf::kMemWords> mem{};
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
    case bpf::kAdd: return "add";
    case bpf::kSub: return "sub";
    case bpf::kMul: return "mul";
    case bpf::kDiv: return "div";
    case bpf::kOr: return "or";
    case bpf::kAnd: return "and";
    case bpf::kLsh: return "lsh";
    case bpf::kRsh: return "rsh";
    case bpf::kNeg: return "neg";
    case bpf::kMod: return "mod";
    case bpf::kXor: return "xor";
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
      case bpf::kAdd: return alu_value(SymValue::constant(x + c));
      case bpf::kSub: return alu_value(SymValue::constant(x - c));
      case bpf::kMul: return alu_value(SymValue::constant(x * c));
      case bpf::kDiv:
        if (c == 0) return {AluResult::Kind::kReturnZero, {}, {}};
        return alu_value(SymValue::constant(x / c));
      case bpf::kOr: return alu_value(SymValue::constant(x | c));
      case bpf::kAnd: return alu_value(SymValue::constant(x & c));
      case bpf::kXor: return alu_value(SymValue::constant(x ^ c));
      case bpf::kLsh:
      case bpf::kRsh: {
        if (!from_x && c >= 32) return alu_unsupported(fmt::format("shift by {} (>= 32)", c));
        const unsigned s = c & 31;
        return alu_value(SymValue::constant(op == bpf::kLsh ? x << s : x >> s));
      }
      case bpf::kNeg: return alu_value(SymValue::constant(0U - x));
    }
    return alu_unsupported(fmt::format("ALU operation {:#x}", op));
  }
  const std::string what = fmt::format("{} {:#x} on {}", alu_name(op), c, a.to_string());
  switch (op) {
    case bpf::kAnd: return alu_value(sym_and(a, c));
    case bpf::kOr: return alu_value(sym_or(a, c));
    case bpf::kXor: return alu_value(sym_xor(a, c));
    case bpf::kLsh:
    case bpf::kRsh: {
      if (!from_x && c >= 32) return alu_unsupported(fmt::format("shift by {} (>= 32)", c));
      const unsigned s = c & 31;
      return alu_value(op == bpf::kLsh ? sym_lsh(a, s) : sym_rsh(a, s));
    }
    case bpf::kAdd:
    case bpf::kSub:
      if (c == 0) return alu_value(a);
      return alu_unsupported(what + ": input-dependent arithmetic");
    case bpf::kMul:
      if (c == 0) return alu_value(SymValue::constant(0));
      if (is_power_of_two(c)) return alu_value(sym_lsh(a, static_cast<unsigned>(std::countr_zero(c))));
      return alu_unsupported(what + ": input-dependent arithmetic");
    case bpf::kDiv:
      if (c == 0) return {AluResult::Kind::kReturnZero, {}, {}};
      if (is_power_of_two(c)) return alu_value(sym_rsh(a, static_cast<unsigned>(std::countr_zero(c))));
      return alu_unsupported(what + ": input-dependent arithmetic");
    case bpf::kNeg: return alu_unsupported(fmt::format("neg on {}: input-dependent arithmetic", a.to_string()));
  }
  return alu_unsupported(fmt::format("ALU operation {:#x}", op));
}

AluResult alu(uint16_t op, bool src_x, const SymValue& a, const SymValue& x, uint32_t k) {
  if (op == bpf::kNeg) return alu_const(bpf::kNeg, a, 0, false);
  if (!src_x) return alu_const(op, a, k, false);
  if (x.is_constant()) return alu_const(op, a, x.bits, true);
  if (a.is_constant()) {
    // Commutative operations with a constant A act on X's value.
    switch (op) {
      case bpf::kAnd:
      case bpf::kOr:
      case bpf::kXor:
      case bpf::kMul: return alu_const(op, x, a.bits, false);
      case bpf::kAdd:
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
// select no action (the kernel acts on them as KILL_PROCESS). Every leaf
// returns A itself: its data bits (and for the last leaf its action bits)
// stay symbolic, since they are part of the action's identity.
Walk split_symbolic_return(PathState& state, uint32_t pc, const SymValue& a, const LeafFn& on_leaf) {
  const SymValue selector = sym_and(a, kRetActionFull);
  const size_t chain = state.mark();
  auto leaf_for = [&](uint32_t action_bits) {
    Outcome o = returns(pc, action_bits);
    o.symbolic_ret = true;  // `ret A` with a constant A never comes here
    o.value = a;
    o.reason = fmt::format("ret A, A = {}", a.to_string());
    return o;
  };
  auto stop = [&](const Outcome& o) {
    if (on_leaf(o) != Walk::kStop) return false;
    state.undo_to(chain);
    return true;
  };
  for (uint32_t bits : kActionClasses) {
    const SymCondition c = translate_jump(bpf::kJeq, selector, bits);
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
  Outcome o = leaf_for(0xffffffffU);  // some undefined value; the leaf returns A
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
      const bpf::Insn& in = program_[pc];
      const uint16_t code = in.code;
      switch (bpf::insn_class(code)) {
        case bpf::kLd:
        case bpf::kLdx: {
          const bool to_x = bpf::insn_class(code) == bpf::kLdx;
          SymValue v;
          if (code == (bpf::kLd | bpf::kW | bpf::kAbs)) {
            if (in.k % 4 != 0 || in.k >= kSeccompDataSize) {
              leaf = unsupported(pc, fmt::format("load from offset {} outside seccomp_data's words", in.k));
              break;
            }
            v = SymValue::input(in.k / 4);
          } else if (code == (bpf::kLd | bpf::kW | bpf::kLen) || code == (bpf::kLdx | bpf::kW | bpf::kLen)) {
            v = SymValue::constant(kSeccompDataSize);
          } else if (code == (bpf::kLd | bpf::kImm) || code == (bpf::kLdx | bpf::kImm)) {
            v = SymValue::constant(in.k);
          } else if (code == (bpf::kLd | bpf::kMem) || code == (bpf::kLdx | bpf::kMem)) {
            if (in.k >= bpf::kMemWords || (r.mem_written & (1u << in.k)) == 0) {
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
        case bpf::kSt:
        case bpf::kStx:
          if (code != bpf::kSt && code != bpf::kStx) {
            leaf = unsupported(pc, fmt::format("store opcode {:#x}", code));
            break;
          }
          if (in.k >= bpf::kMemWords) {
            leaf = unsupported(pc, fmt::format("store to M[{}] (only 16 slots)", in.k));
            break;
          }
          r.mem[in.k] = code == bpf::kSt ? r.a : r.x;
          r.mem_written = static_cast<uint16_t>(r.mem_written | (1u << in.k));
          ++pc;
          break;
        case bpf::kAlu: {
          const uint16_t op = bpf::insn_op(code);
          const bool src_x = bpf::insn_src(code) == bpf::kX;
          if (op == bpf::kMod || (op == bpf::kNeg && code != (bpf::kAlu | bpf::kNeg)) || op > bpf::kXor) {
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
        case bpf::kMisc:
          if (code == (bpf::kMisc | bpf::kTax)) r.x = r.a;
          else if (code == (bpf::kMisc | bpf::kTxa)) r.a = r.x;
          else {
            leaf = unsupported(pc, fmt::format("misc opcode {:#x}", code));
            break;
          }
          ++pc;
          break;
        case bpf::kRet:
          if (code == (bpf::kRet | bpf::kRetK)) {
            leaf = returns(pc, in.k);
          } else if (code == (bpf::kRet | bpf::kRetA)) {
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
        case bpf::kJmp: {
          const uint16_t op = bpf::insn_op(code);
          if (op == bpf::kJa) {
            if (code != (bpf::kJmp | bpf::kJa)) {
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
          if (op != bpf::kJeq && op != bpf::kJgt && op != bpf::kJge && op != bpf::kJset) {
            leaf = unsupported(pc, fmt::format("jump opcode {:#x}", code));
            break;
          }
          const uint32_t pc_true = pc + 1 + in.jt;
          const uint32_t pc_false = pc + 1 + in.jf;
          SymCondition cond;
          if (bpf::insn_src(code) == bpf::kK) {
            cond = translate_jump(op, r.a, in.k);
          } else if (r.x.is_constant()) {
            cond = translate_jump(op, r.a, r.x.bits);
          } else if (r.a.is_constant()) {
            // c op X, rewritten as a condition on X: jeq and jset are
            // symmetric; c > X is !(X >= c) and c >= X is !(X > c).
            const uint32_t c = r.a.bits;
            if (op == bpf::kJeq || op == bpf::kJset) {
              cond = translate_jump(op, r.x, c);
            } else {
              cond = translate_jump(op == bpf::kJgt ? bpf::kJge : bpf::kJgt, r.x, c);
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
  for (const bpf::Insn& in : program_) {
    const uint16_t cls = bpf::insn_class(in.code);
    if (in.code == (bpf::kLd | bpf::kW | bpf::kAbs) && in.k % 4 == 0 && in.k < kSeccompDataSize) {
      word = static_cast<int>(in.k / 4);
      continue;
    }
    if (cls == bpf::kLd || in.code == (bpf::kMisc | bpf::kTxa)) {
      if (in.code == (bpf::kLd | bpf::kImm)) out.any.push_back(in.k);
      word = -1;
      continue;
    }
    if (cls == bpf::kLdx && in.code == (bpf::kLdx | bpf::kImm)) out.any.push_back(in.k);
    if (cls == bpf::kAlu && bpf::insn_src(in.code) == bpf::kK) {
      out.any.push_back(in.k);
      continue;
    }
    if (cls == bpf::kJmp && bpf::insn_op(in.code) != bpf::kJa && bpf::insn_src(in.code) == bpf::kK) {
      if (word >= 0) out.per_word[static_cast<unsigned>(word)].push_back(in.k);
      else out.any.push_back(in.k);
    }
  }
}

}  // namespace sysfence::verify
