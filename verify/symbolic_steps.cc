#include "verify/symbolic_steps.h"

#include <fmt/format.h>

#include <bit>
#include <utility>

#include "bpf/insn.h"
namespace sysfence::verify::symbolic_steps {

namespace {

bool is_power_of_two(uint32_t c) { return c != 0 && (c & (c - 1)) == 0; }

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
  // Formatted only for the operations outside the fragment.
  auto what = [&] { return fmt::format("{} {:#x} on {}", alu_name(op), c, a.to_string()); };
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
      return alu_unsupported(what() + ": input-dependent arithmetic");
    case bpf::kMul:
      if (c == 0) return alu_value(SymValue::constant(0));
      if (is_power_of_two(c)) return alu_value(sym_lsh(a, static_cast<unsigned>(std::countr_zero(c))));
      return alu_unsupported(what() + ": input-dependent arithmetic");
    case bpf::kDiv:
      if (c == 0) return {AluResult::Kind::kReturnZero, {}, {}};
      if (is_power_of_two(c)) return alu_value(sym_rsh(a, static_cast<unsigned>(std::countr_zero(c))));
      return alu_unsupported(what() + ": input-dependent arithmetic");
    case bpf::kNeg: return alu_unsupported(fmt::format("neg on {}: input-dependent arithmetic", a.to_string()));
  }
  return alu_unsupported(fmt::format("ALU operation {:#x}", op));
}

}  // namespace

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

Outcome returns(uint32_t pc, uint32_t ret, std::string note) {
  Outcome o;
  o.kind = Outcome::Kind::kAction;
  o.action = decode(ret);
  o.ret = ret;
  o.where = pc;
  o.reason = std::move(note);
  return o;
}

namespace {

constexpr uint32_t kActionClasses[] = {kRetKillProcess, kRetKillThread, kRetTrap, kRetErrno,
                                       kRetUserNotif,   kRetTrace,      kRetLog,  kRetAllow};

}  // namespace

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

}  // namespace sysfence::verify::symbolic_steps
