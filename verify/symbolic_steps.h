// The steps of the symbolic walk (verify/symbolic.cc) that need no walker
// state: ALU operations on symbolic values, and the leaves a path ends in.
// Internal to verify/: only symbolic.cc includes it.
#pragma once

#include <cstdint>
#include <string>

#include "verify/procedure.h"
#include "verify/sym_value.h"

namespace sysfence::verify::symbolic_steps {

// The result of one ALU step: the new A, or a reason it is outside the
// fragment, or (division by a zero X) the program's end with return 0.
struct AluResult {
  enum class Kind : uint8_t { kValue, kUnsupported, kReturnZero } kind = Kind::kValue;
  SymValue value;
  std::string reason;
};

// A op (X or k) with the kernel's semantics, on A and X as symbolic values.
AluResult alu(uint16_t op, bool src_x, const SymValue& a, const SymValue& x, uint32_t k);

// A leaf outside the fragment at instruction `pc`.
Outcome unsupported(uint32_t pc, std::string reason);

// A leaf returning the constant `ret` at instruction `pc`.
Outcome returns(uint32_t pc, uint32_t ret, std::string note = {});

// `ret A` with A an image of one input word: one leaf per action class A can select.
Walk split_symbolic_return(PathState& state, uint32_t pc, const SymValue& a, const LeafFn& on_leaf);

}  // namespace sysfence::verify::symbolic_steps
