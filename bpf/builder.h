// A label-based classic-BPF builder: callers emit instructions in program
// order and name jump targets by label; finish() lays the program out.
//
// Classic BPF only jumps forward, and a conditional jump reaches at most 255
// instructions (jt/jf are u8). The builder takes care of both limits:
//  - a conditional jump whose target is out of reach goes through a `ja`
//    trampoline (32-bit offset) placed right after it, or through an existing
//    `ja` to the same target that is in reach;
//  - a jump to a return (`Target::Return(k)`) goes to the nearest identical
//    `ret k` in reach, and only when there is none is a copy placed right after
//    the jump. So each distinct return exists once per 256-instruction window.
// Layout happens back to front: when an instruction is placed, everything
// after it is final, so every offset is exact and an inserted trampoline never
// moves an instruction whose offsets are already computed.
//
// Knows nothing about profiles or syscalls.
#pragma once

#include <cassert>
#include <cstdint>
#include <vector>

#include "base/expected.h"
#include "bpf/insn.h"

namespace sysfence::bpf {

// Names a position in the program. Bound exactly once; jumps to it must come
// before it (classic BPF jumps forward only).
struct Label {
  uint32_t id = 0;
  friend constexpr bool operator==(Label, Label) = default;
};

// Where a jump goes: a label, or "any `ret k`" (the builder picks or places
// an identical return in reach).
class Target {
 public:
  static constexpr Target To(Label l) { return {Kind::kLabel, l.id}; }
  static constexpr Target Return(uint32_t k) { return {Kind::kReturn, k}; }

  bool is_return() const { return kind_ == Kind::kReturn; }
  Label label() const { return Label{value_}; }
  uint32_t return_value() const { return value_; }

  friend constexpr bool operator==(const Target&, const Target&) = default;

 private:
  enum class Kind : uint8_t { kLabel, kReturn };
  constexpr Target(Kind kind, uint32_t value) : kind_(kind), value_(value) {}
  Kind kind_;
  uint32_t value_;
};

class Builder {
 public:
  // Inline, as bind() and branch(): a compiler emits a few of each per test.
  Label new_label() { return Label{next_label_++}; }
  // Binds `l` to the next instruction emitted after this call.
  void bind(Label l) {
    assert(l.id < next_label_);
    add(ItemKind::kBind, Insn{}, Target::Return(0), Target::Return(0), l);
  }

  // A straight-line instruction (load, store, ALU, misc). Jumps and returns
  // have their own calls below.
  void emit(Insn insn);
  void load_word(uint32_t offset) { emit(stmt(kLd | kW | kAbs, offset)); }

  // Conditional jump `if (A <op> k) goto jt else goto jf`; op is kJeq, kJgt,
  // kJge or kJset (constant operand).
  void branch(uint16_t op, uint32_t k, Target jt, Target jf) {
    assert(op == kJeq || op == kJgt || op == kJge || op == kJset);
    add(ItemKind::kBranch, Insn{static_cast<uint16_t>(kJmp | op | kK), 0, 0, k}, jt, jf, Label{});
  }
  // Unconditional jump. A jump to a return is emitted as that return; a jump
  // to the very next instruction is dropped.
  void jump(Target t);
  // Returns at this position (also a candidate for later Return targets).
  void ret(uint32_t k);
  void ret_a();

  // Room for `n` items (a label bound, an instruction, a jump or a return
  // each) before the builder allocates again.
  void reserve(size_t n) { items_.reserve(n); }

  // Number of items emitted so far (not the final length).
  size_t items() const { return items_.size(); }

  // Lays the program out. Errors: a label that is never bound, bound twice,
  // bound after the last instruction, or a jump to a label bound before it.
  Expected<Program> finish() const;

  // Layout facts of the last successful finish(), for reports and tests.
  struct LayoutStats {
    size_t trampolines = 0;    // `ja` inserted to extend conditional jumps
    size_t return_copies = 0;  // `ret` placed because none was in reach
    size_t dropped_jumps = 0;  // `ja` to the next instruction, removed
  };
  const LayoutStats& layout_stats() const { return stats_; }

 private:
  enum class ItemKind : uint8_t { kInsn, kBranch, kJump, kRet, kBind };
  struct Item {
    ItemKind kind;
    Insn insn;  // kInsn, kRet (the instruction), kBranch (code, k)
    Target jt = Target::Return(0);
    Target jf = Target::Return(0);
    Label label;  // kBind
  };

  class Layout;  // finish()'s state (builder.cc)

  // Appends an item written in place, field by field. A temporary Item
  // pushed into the vector was copied with wider loads than its fields had
  // been stored with, which waits on the store buffer: the push took 1.6%
  // of a compile's time for 0.5% of its instructions (gen/emit of Docker's
  // default 8.8 -> 7.1 us).
  void add(ItemKind kind, Insn insn, Target jt, Target jf, Label label) {
    Item& item = items_.emplace_back();
    item.kind = kind;
    item.insn = insn;
    item.jt = jt;
    item.jf = jf;
    item.label = label;
  }

  std::vector<Item> items_;
  uint32_t next_label_ = 0;
  mutable LayoutStats stats_;
};

}  // namespace sysfence::bpf
