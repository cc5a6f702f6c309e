#include "verify/symbolic.h"

#include <fmt/format.h>

#include <array>
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "bpf/validate.h"
#include "verify/dag_pool.h"
#include "verify/symbolic_steps.h"

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

using symbolic_steps::alu;
using symbolic_steps::AluResult;
using symbolic_steps::returns;
using symbolic_steps::split_symbolic_return;
using symbolic_steps::unsupported;

struct Regs {
  SymValue a = SymValue::constant(0);
  SymValue x = SymValue::constant(0);
  std::array<SymValue, bpf::kMemWords> mem{};
  uint16_t mem_written = 0;  // bit i: M[i] was stored on this path
};

// A branch not yet explored: resume at `pc` with `regs` once `atom` is added
// on top of the constraints at `mark`.
// `chain_at` >= 0: resume inside the chain of the jump at `jump_pc` (an
// ordered comparison decided bit by bit) at that test, instead of at `pc`.
struct Pending {
  uint32_t pc;
  uint32_t jump_pc;
  size_t mark;
  Regs regs;
  bool constrained;
  uint8_t word;
  WordAtom atom;
  int8_t chain_at = -1;
};

// The depth-first walk over one program: a stack of branches not yet
// explored, each run instruction by instruction until it ends in a leaf, is
// cut short (a branch pushed, a symbolic return split), or stops the walk.
class Walker {
 public:
  Walker(const bpf::Program& program, PathState& state, const LeafFn& on_leaf)
      : program_(program), state_(state), on_leaf_(on_leaf) {}

  Walk run() {
    const size_t base = state_.mark();
    stack_.push_back(Pending{0, 0, base, Regs{}, false, 0, {}});
    Walk result = Walk::kContinue;
    while (!stack_.empty() && result == Walk::kContinue) {
      Pending p = stack_.back();
      stack_.pop_back();
      result = run_pending(p);
    }
    state_.undo_to(base);
    return result;
  }

 private:
  friend class DiagramBuilder;  // runs the same instructions without a path

  // After one instruction: run on (at the cursor's pc, or to its leaf once
  // set), take the next pending branch, or stop the walk.
  enum class Next : uint8_t { kRun, kPending, kStop };
  struct Cursor {
    uint32_t pc;
    Regs regs;
    std::optional<Outcome> leaf;
  };

  Walk run_pending(const Pending& p) {
    state_.undo_to(p.mark);
    Cursor c{p.pc, p.regs, std::nullopt};
    if (p.constrained) {
      const Sat s = state_.add(p.word, p.atom);
      if (s == Sat::kUnsat) return Walk::kContinue;
      if (s == Sat::kUnknown)
        c.leaf = unsupported(p.jump_pc, "the constraint solver's search budget ran out on this branch");
    }
    if (!c.leaf && p.chain_at >= 0) {
      const bpf::Insn& in = program_[p.jump_pc];
      const SymCondition cond = jump_condition(in, c.regs);
      c.pc = p.jump_pc;
      const Next n = chain(c, cond, static_cast<size_t>(p.chain_at), p.jump_pc + 1 + in.jt, p.jump_pc + 1 + in.jf);
      if (n == Next::kPending) return Walk::kContinue;
    }
    while (!c.leaf) {
      if (!state_.charge_step()) {
        // The walk's budget (PathState::set_step_budget) is spent: this
        // path is left to the caller's testing, and the walk ends.
        on_leaf_(unsupported(c.pc, "the walk's budget of instructions ran out"));
        return Walk::kStop;
      }
      const Next n = step(c);
      if (n == Next::kStop) return Walk::kStop;
      if (n == Next::kPending) return Walk::kContinue;
    }
    return on_leaf_(*c.leaf);
  }

  Next step(Cursor& c) {
    if (c.pc >= program_.size()) {
      c.leaf = unsupported(c.pc, "execution runs past the last instruction");
      return Next::kRun;
    }
    const bpf::Insn& in = program_[c.pc];
    switch (bpf::insn_class(in.code)) {
      case bpf::kLd:
      case bpf::kLdx: return step_load(in, c);
      case bpf::kSt:
      case bpf::kStx: return step_store(in, c);
      case bpf::kAlu: return step_alu(in, c);
      case bpf::kMisc: return step_misc(in, c);
      case bpf::kRet: return step_ret(in, c);
      case bpf::kJmp: return step_jump(in, c);
      default: c.leaf = unsupported(c.pc, fmt::format("opcode {:#x}", in.code)); return Next::kRun;
    }
  }

  static Next step_load(const bpf::Insn& in, Cursor& c) {
    const uint16_t code = in.code;
    Regs& r = c.regs;
    const bool to_x = bpf::insn_class(code) == bpf::kLdx;
    SymValue v;
    if (code == (bpf::kLd | bpf::kW | bpf::kAbs)) {
      if (in.k % 4 != 0 || in.k >= kSeccompDataSize) {
        c.leaf = unsupported(c.pc, fmt::format("load from offset {} outside seccomp_data's words", in.k));
        return Next::kRun;
      }
      v = SymValue::input(in.k / 4);
    } else if (code == (bpf::kLd | bpf::kW | bpf::kLen) || code == (bpf::kLdx | bpf::kW | bpf::kLen)) {
      v = SymValue::constant(kSeccompDataSize);
    } else if (code == (bpf::kLd | bpf::kImm) || code == (bpf::kLdx | bpf::kImm)) {
      v = SymValue::constant(in.k);
    } else if (code == (bpf::kLd | bpf::kMem) || code == (bpf::kLdx | bpf::kMem)) {
      if (in.k >= bpf::kMemWords || (r.mem_written & (1u << in.k)) == 0) {
        c.leaf = unsupported(c.pc, fmt::format("reads scratch M[{}] before any store on this path", in.k));
        return Next::kRun;
      }
      v = r.mem[in.k];
    } else {
      c.leaf = unsupported(c.pc, fmt::format("load {:#x} is not a seccomp load", code));
      return Next::kRun;
    }
    (to_x ? r.x : r.a) = v;
    ++c.pc;
    return Next::kRun;
  }

  static Next step_store(const bpf::Insn& in, Cursor& c) {
    const uint16_t code = in.code;
    if (code != bpf::kSt && code != bpf::kStx) {
      c.leaf = unsupported(c.pc, fmt::format("store opcode {:#x}", code));
      return Next::kRun;
    }
    if (in.k >= bpf::kMemWords) {
      c.leaf = unsupported(c.pc, fmt::format("store to M[{}] (only 16 slots)", in.k));
      return Next::kRun;
    }
    Regs& r = c.regs;
    r.mem[in.k] = code == bpf::kSt ? r.a : r.x;
    r.mem_written = static_cast<uint16_t>(r.mem_written | (1u << in.k));
    ++c.pc;
    return Next::kRun;
  }

  static Next step_alu(const bpf::Insn& in, Cursor& c) {
    const uint16_t code = in.code;
    const uint16_t op = bpf::insn_op(code);
    const bool src_x = bpf::insn_src(code) == bpf::kX;
    if (op == bpf::kMod || (op == bpf::kNeg && code != (bpf::kAlu | bpf::kNeg)) || op > bpf::kXor) {
      c.leaf = unsupported(c.pc, fmt::format("ALU opcode {:#x} is not allowed in seccomp", code));
      return Next::kRun;
    }
    AluResult res = alu(op, src_x, c.regs.a, c.regs.x, in.k);
    if (res.kind == AluResult::Kind::kUnsupported) {
      c.leaf = unsupported(c.pc, std::move(res.reason));
    } else if (res.kind == AluResult::Kind::kReturnZero) {
      c.leaf = returns(c.pc, 0, "division by zero returns 0");
    } else {
      c.regs.a = res.value;
      ++c.pc;
    }
    return Next::kRun;
  }

  static Next step_misc(const bpf::Insn& in, Cursor& c) {
    Regs& r = c.regs;
    if (in.code == (bpf::kMisc | bpf::kTax)) r.x = r.a;
    else if (in.code == (bpf::kMisc | bpf::kTxa)) r.a = r.x;
    else {
      c.leaf = unsupported(c.pc, fmt::format("misc opcode {:#x}", in.code));
      return Next::kRun;
    }
    ++c.pc;
    return Next::kRun;
  }

  Next step_ret(const bpf::Insn& in, Cursor& c) {
    const uint16_t code = in.code;
    if (code == (bpf::kRet | bpf::kRetK)) {
      c.leaf = returns(c.pc, in.k);
    } else if (code == (bpf::kRet | bpf::kRetA)) {
      if (c.regs.a.is_constant()) {
        c.leaf = returns(c.pc, c.regs.a.bits);
      } else {
        if (split_symbolic_return(state_, c.pc, c.regs.a, on_leaf_) == Walk::kStop) return Next::kStop;
        return Next::kPending;
      }
    } else {
      c.leaf = unsupported(c.pc, fmt::format("ret opcode {:#x}", code));
    }
    return Next::kRun;
  }

  Next step_jump(const bpf::Insn& in, Cursor& c) {
    const uint16_t code = in.code;
    const uint16_t op = bpf::insn_op(code);
    if (op == bpf::kJa) {
      if (code != (bpf::kJmp | bpf::kJa)) {
        c.leaf = unsupported(c.pc, fmt::format("jump opcode {:#x}", code));
        return Next::kRun;
      }
      const uint64_t target = uint64_t{c.pc} + 1 + in.k;
      if (target >= program_.size()) {
        c.leaf = unsupported(c.pc, "ja jumps past the last instruction");
        return Next::kRun;
      }
      c.pc = static_cast<uint32_t>(target);
      return Next::kRun;
    }
    if (op != bpf::kJeq && op != bpf::kJgt && op != bpf::kJge && op != bpf::kJset) {
      c.leaf = unsupported(c.pc, fmt::format("jump opcode {:#x}", code));
      return Next::kRun;
    }
    const uint32_t pc_true = c.pc + 1 + in.jt;
    const uint32_t pc_false = c.pc + 1 + in.jf;
    SymCondition cond = jump_condition(in, c.regs);
    switch (cond.kind) {
      case SymCondition::Kind::kTrue: c.pc = pc_true; break;
      case SymCondition::Kind::kFalse: c.pc = pc_false; break;
      case SymCondition::Kind::kUnsupported: c.leaf = unsupported(c.pc, std::move(cond.reason)); break;
      case SymCondition::Kind::kAtom: return branch(c, cond, pc_true, pc_false);
      case SymCondition::Kind::kChain: return chain(c, cond, 0, pc_true, pc_false);
    }
    return Next::kRun;
  }

  // The jump's condition as one on an input word (or decided, or outside
  // the fragment).
  static SymCondition jump_condition(const bpf::Insn& in, const Regs& r) {
    const uint16_t op = bpf::insn_op(in.code);
    if (bpf::insn_src(in.code) == bpf::kK) return translate_jump(op, r.a, in.k);
    if (r.x.is_constant()) return translate_jump(op, r.a, r.x.bits);
    SymCondition cond;
    if (r.a.is_constant()) {
      // c op X, rewritten as a condition on X: jeq and jset are
      // symmetric; c > X is !(X >= c) and c >= X is !(X > c).
      const uint32_t c = r.a.bits;
      if (op == bpf::kJeq || op == bpf::kJset) return translate_jump(op, r.x, c);
      cond = translate_jump(op == bpf::kJgt ? bpf::kJge : bpf::kJgt, r.x, c);
      if (cond.kind == SymCondition::Kind::kTrue) cond.kind = SymCondition::Kind::kFalse;
      else if (cond.kind == SymCondition::Kind::kFalse) cond.kind = SymCondition::Kind::kTrue;
      else if (cond.kind == SymCondition::Kind::kAtom) cond.atom = negate(cond.atom);
      else if (cond.kind == SymCondition::Kind::kChain) negate_chain(cond.chain);
      return cond;
    }
    cond.kind = SymCondition::Kind::kUnsupported;
    cond.reason =
        fmt::format("compares A = {} with X = {}: two input-dependent values", r.a.to_string(), r.x.to_string());
    return cond;
  }

  // A jump that depends on the input: the false side waits on the stack,
  // the walk goes on along the true side when it is satisfiable.
  Next branch(Cursor& c, const SymCondition& cond, uint32_t pc_true, uint32_t pc_false) {
    // A jump the path already decides has one satisfiable side.
    const Implied known = state_.implies(cond.word, cond.atom);
    if (known != Implied::kUnknown) {
      c.pc = known == Implied::kTrue ? pc_true : pc_false;
      return Next::kRun;
    }
    const size_t mark = state_.mark();
    stack_.push_back(Pending{pc_false, c.pc, mark, c.regs, true, cond.word, negate(cond.atom)});
    const Sat s = state_.add(cond.word, cond.atom);
    if (s == Sat::kSat) {
      c.pc = pc_true;
      return Next::kRun;
    }
    if (s == Sat::kUnknown) {
      c.leaf = unsupported(c.pc, "the constraint solver's search budget ran out on this branch");
      return Next::kRun;
    }
    state_.undo_to(mark);
    return Next::kPending;
  }

  // A jump decided by a chain of bit tests (c.pc the jump), from test `at`:
  // each test the path does not decide is a branch, its false side pushed
  // (to resume at the test it leads to, or at the jump's target).
  Next chain(Cursor& c, const SymCondition& cond, size_t at, uint32_t pc_true, uint32_t pc_false) {
    const uint32_t jump_pc = c.pc;
    if (cond.kind != SymCondition::Kind::kChain || at >= cond.chain.size()) {
      c.leaf = unsupported(jump_pc, "a bit test of an ordered comparison resumed on other registers");
      return Next::kRun;
    }
    for (;;) {
      const ChainNode& n = cond.chain[at];
      int8_t next;
      const Implied known = state_.implies(cond.word, n.atom);
      if (known != Implied::kUnknown) {
        next = known == Implied::kTrue ? n.on_true : n.on_false;
      } else {
        const size_t mark = state_.mark();
        Pending p{pc_false, jump_pc, mark, c.regs, true, cond.word, negate(n.atom), -1};
        if (n.on_false >= 0) p.pc = jump_pc, p.chain_at = n.on_false;
        else if (n.on_false == ChainNode::kTaken) p.pc = pc_true;
        stack_.push_back(std::move(p));
        const Sat s = state_.add(cond.word, n.atom);
        if (s == Sat::kUnknown) {
          c.leaf = unsupported(jump_pc, "the constraint solver's search budget ran out on this branch");
          return Next::kRun;
        }
        if (s == Sat::kUnsat) {
          state_.undo_to(mark);
          return Next::kPending;
        }
        next = n.on_true;
      }
      if (next < 0) {
        c.pc = next == ChainNode::kTaken ? pc_true : pc_false;
        return Next::kRun;
      }
      at = static_cast<size_t>(next);
    }
  }

  const bpf::Program& program_;
  PathState& state_;
  const LeafFn& on_leaf_;
  std::vector<Pending> stack_;
};

// The program as a diagram (Procedure::to_diagram): every conditional jump
// on a word atom a node, every constant return a leaf. A jump reached again
// with the same registers is the same node, so the diagram has about one
// node per jump however many paths the program has. Anything else the walk
// would report (a path outside the fragment, `ret A` with A from the input)
// makes the program no diagram.
class DiagramBuilder {
 public:
  DiagramBuilder(const bpf::Program& program, DagPool& pool) : program_(program), pool_(pool) {}

  // Depth first over an explicit stack of the jumps whose branches are
  // being built: a path may hold a jump per instruction (jumps go forward
  // only, so the stack is at most the program long), far deeper than a
  // recursion should go.
  std::optional<DagPool::Ref> build() {
    Walker::Cursor c{0, Regs{}, std::nullopt};
    for (;;) {
      std::optional<DagPool::Ref> built;
      switch (run_to_jump(c)) {
        case Reached::kFailure: return std::nullopt;
        case Reached::kRef: built = reached_; break;
        case Reached::kJump: {
          // A new jump: its true side first, its false side once that is built.
          c = Walker::Cursor{open_.back().pc_true, open_.back().regs, std::nullopt};
          continue;
        }
      }
      // Each jump whose branches are both built becomes a node, which is
      // the branch its parent waited for.
      for (;;) {
        if (open_.empty()) return built;
        OpenJump& j = open_.back();
        if (!j.if_true) {
          j.if_true = built;
          c = Walker::Cursor{j.pc_false, j.regs, std::nullopt};
          break;
        }
        const DagPool::Ref r = j.chain.empty() ? pool_.node(j.word, j.atom, *j.if_true, *built)
                                               : chain_node(j.word, j.chain, *j.if_true, *built);
        built_.emplace(std::move(j.key), r);
        open_.pop_back();
        built = r;
      }
    }
  }

 private:
  // Distinct (jump, registers) states: past them the full walk decides.
  static constexpr size_t kMaxStates = size_t{1} << 16;

  // A jump on a word atom whose branches are being built.
  struct OpenJump {
    std::vector<uint32_t> key;  // state_key() of the jump
    uint8_t word;
    WordAtom atom;
    Regs regs;
    uint32_t pc_true;
    uint32_t pc_false;
    std::optional<DagPool::Ref> if_true;  // once built
    std::vector<ChainNode> chain;         // the jump's bit tests, where it has them
  };

  // A chain of bit tests as nodes, from its last test up: each leads to
  // the nodes of later tests or to the jump's two branches.
  DagPool::Ref chain_node(uint8_t word, const std::vector<ChainNode>& chain, DagPool::Ref taken,
                          DagPool::Ref not_taken) {
    std::vector<DagPool::Ref> refs(chain.size());
    auto target = [&](int8_t t) {
      if (t == ChainNode::kTaken) return taken;
      if (t == ChainNode::kNotTaken) return not_taken;
      return refs[static_cast<size_t>(t)];
    };
    for (size_t i = chain.size(); i-- > 0;)
      refs[i] = pool_.node(word, chain[i].atom, target(chain[i].on_true), target(chain[i].on_false));
    return refs.front();
  }

  // Where run_to_jump() stopped: at what reached_ holds (a leaf, or a jump
  // built before), at a new jump (on open_), or outside the diagrams.
  enum class Reached : uint8_t { kRef, kJump, kFailure };

  Reached run_to_jump(Walker::Cursor& c) {
    for (;;) {
      if (c.leaf) return result(leaf(*c.leaf));
      if (c.pc >= program_.size()) return Reached::kFailure;
      const bpf::Insn& in = program_[c.pc];
      switch (bpf::insn_class(in.code)) {
        case bpf::kLd:
        case bpf::kLdx: Walker::step_load(in, c); break;
        case bpf::kSt:
        case bpf::kStx: Walker::step_store(in, c); break;
        case bpf::kAlu: Walker::step_alu(in, c); break;
        case bpf::kMisc: Walker::step_misc(in, c); break;
        case bpf::kRet: return result(ret(in, c.regs));
        case bpf::kJmp: {
          if (bpf::insn_op(in.code) != bpf::kJa) {
            const std::optional<Reached> stop = jump(in, c);
            if (stop) return *stop;
            break;
          }
          const uint64_t target = uint64_t{c.pc} + 1 + in.k;
          if (in.code != (bpf::kJmp | bpf::kJa) || target >= program_.size()) return Reached::kFailure;
          c.pc = static_cast<uint32_t>(target);
          break;
        }
        default: return Reached::kFailure;
      }
    }
  }

  Reached result(std::optional<DagPool::Ref> r) {
    if (!r) return Reached::kFailure;
    reached_ = *r;
    return Reached::kRef;
  }

  // A conditional jump: nullopt when the registers decide it (the cursor
  // moves on), else where run_to_jump() stops.
  std::optional<Reached> jump(const bpf::Insn& in, Walker::Cursor& c) {
    const uint16_t op = bpf::insn_op(in.code);
    if (op != bpf::kJeq && op != bpf::kJgt && op != bpf::kJge && op != bpf::kJset) return Reached::kFailure;
    const uint32_t pc_true = c.pc + 1 + in.jt;
    const uint32_t pc_false = c.pc + 1 + in.jf;
    const SymCondition cond = Walker::jump_condition(in, c.regs);
    if (cond.kind == SymCondition::Kind::kUnsupported) return Reached::kFailure;
    if (cond.kind != SymCondition::Kind::kAtom && cond.kind != SymCondition::Kind::kChain) {
      c.pc = cond.kind == SymCondition::Kind::kTrue ? pc_true : pc_false;
      return std::nullopt;
    }
    std::vector<uint32_t> key = state_key(c.pc, c.regs);
    if (auto it = built_.find(key); it != built_.end()) {
      reached_ = it->second;
      return Reached::kRef;
    }
    if (built_.size() >= kMaxStates) return Reached::kFailure;
    open_.push_back(OpenJump{std::move(key), cond.word, cond.atom, c.regs, pc_true, pc_false, std::nullopt, cond.chain});
    return Reached::kJump;
  }

  std::optional<DagPool::Ref> ret(const bpf::Insn& in, const Regs& regs) {
    if (in.code == (bpf::kRet | bpf::kRetK)) return pool_.leaf(decode(in.k));
    if (in.code == (bpf::kRet | bpf::kRetA) && regs.a.is_constant()) return pool_.leaf(decode(regs.a.bits));
    return std::nullopt;
  }

  std::optional<DagPool::Ref> leaf(const Outcome& o) {
    if (o.kind != Outcome::Kind::kAction || o.symbolic_ret) return std::nullopt;
    return pool_.leaf(o.action);
  }

  static std::vector<uint32_t> state_key(uint32_t pc, const Regs& r) {
    std::vector<uint32_t> key = {pc, r.mem_written};
    auto add = [&](const SymValue& v) {
      key.insert(key.end(), {static_cast<uint32_t>(static_cast<uint8_t>(v.word)) << 8 | static_cast<uint8_t>(v.shift),
                             v.mask, v.bits});
    };
    add(r.a);
    add(r.x);
    for (unsigned i = 0; i < bpf::kMemWords; ++i)
      if (r.mem_written & (1u << i)) add(r.mem[i]);
    return key;
  }

  const bpf::Program& program_;
  DagPool& pool_;
  std::map<std::vector<uint32_t>, DagPool::Ref> built_;
  std::vector<OpenJump> open_;  // outermost first
  DagPool::Ref reached_ = 0;    // run_to_jump()'s result when kRef
};

}  // namespace

Walk BpfProcedure::walk(PathState& state, const LeafFn& on_leaf) const {
  return Walker(program_, state, on_leaf).run();
}

std::optional<uint32_t> BpfProcedure::to_diagram(DagPool& pool) const { return DiagramBuilder(program_, pool).build(); }

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
