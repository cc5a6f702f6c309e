// Register values of the symbolic BPF executor and the translation of a
// conditional jump on them into one word constraint (see verify/symbolic.h for
// the fragment these describe).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

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

// One test of a chain (SymCondition::kChain): a single-bit atom on the word,
// and where each outcome leads — the next test (its index, always later),
// or the jump taken or not.
struct ChainNode {
  static constexpr int8_t kTaken = -1;
  static constexpr int8_t kNotTaken = -2;
  WordAtom atom;
  int8_t on_true = kNotTaken;
  int8_t on_false = kNotTaken;
};

// The result of translating `value op k` into the constraint language.
struct SymCondition {
  // kChain: an ordered comparison of an image of the word that is no
  // threshold on it (`(w & 0x5) > 3`), decided bit by bit from the top:
  // `chain[0]` first.
  enum class Kind : uint8_t { kTrue, kFalse, kAtom, kChain, kUnsupported };
  Kind kind = Kind::kFalse;
  uint8_t word = 0;
  WordAtom atom;  // holds exactly where the jump is taken
  std::vector<ChainNode> chain;
  std::string reason;  // kUnsupported
};
// The chain with its outcomes swapped (taken where it was not).
void negate_chain(std::vector<ChainNode>& chain);
// Whether the chain takes the jump for word value `w`.
bool chain_taken(const std::vector<ChainNode>& chain, uint32_t w);
// `op` is one of kJeq, kJgt, kJge, kJset (insn.h).
SymCondition translate_jump(uint16_t op, const SymValue& value, uint32_t k);

// The value's image under `and c` (bits outside c become 0).
SymValue sym_and(SymValue v, uint32_t c);
SymValue sym_or(SymValue v, uint32_t c);
SymValue sym_xor(SymValue v, uint32_t c);
SymValue sym_lsh(SymValue v, unsigned s);  // s < 32
SymValue sym_rsh(SymValue v, unsigned s);  // s < 32

}  // namespace sysfence::verify
