// Register values of the symbolic BPF executor and the translation of a
// conditional jump on them into one word constraint (see verify/symbolic.h for
// the fragment these describe).
#pragma once

#include <cstdint>
#include <string>

#include "base/seccomp.h"
#include "verify/word_set.h"

namespace sysfence::verify {

// A register value in the fragment. Invariant: `mask` only has bits that
// the shift can produce from the word (so composing shifts stays exact), and
// mask == 0 exactly when the value is the constant `bits` (then word < 0).
struct SymValue {
  int8_t word = -1;   // input word index, -1 for a constant
  int8_t shift = 0;   // > 0: word << shift; < 0: word >> -shift
  uint32_t mask = 0;  // bits of the value that come from the word
  uint32_t bits = 0;  // constant bits outside `mask`, XOR flips inside it

  static SymValue constant(uint32_t c) { return SymValue{-1, 0, 0, c}; }
  static SymValue input(unsigned w) { return SymValue{static_cast<int8_t>(w), 0, 0xffffffffU, 0}; }
  bool is_constant() const { return mask == 0; }
  uint32_t eval(const SeccompWords& in) const;
  // "0x7fff0000", "w[4]", "(w[4] >> 3) & 0x1 ^ 0x1"
  std::string to_string() const;

  friend bool operator==(const SymValue&, const SymValue&) = default;
};

// The result of translating `value op k` into the constraint language.
struct SymCondition {
  enum class Kind : uint8_t { kTrue, kFalse, kAtom, kUnsupported };
  Kind kind = Kind::kFalse;
  uint8_t word = 0;
  WordAtom atom;       // holds exactly where the jump is taken
  std::string reason;  // kUnsupported
};
// `op` is one of kJeq, kJgt, kJge, kJset (insn.h).
SymCondition translate_jump(uint16_t op, const SymValue& value, uint32_t k);

// The value's image under `and c` (bits outside c become 0).
SymValue sym_and(SymValue v, uint32_t c);
SymValue sym_or(SymValue v, uint32_t c);
SymValue sym_xor(SymValue v, uint32_t c);
SymValue sym_lsh(SymValue v, unsigned s);  // s < 32
SymValue sym_rsh(SymValue v, unsigned s);  // s < 32

}  // namespace sysfence::verify
