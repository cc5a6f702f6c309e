#include "verify/sym_value.h"

#include <fmt/format.h>

#include <bit>

#include "bpf/insn.h"

namespace sysfence::verify {

// ---------------------------------------------------------------------------
// SymValue
// ---------------------------------------------------------------------------

namespace {

constexpr uint32_t kAll = 0xffffffffU;

uint32_t shifted(uint32_t w, int shift) { return shift >= 0 ? w << shift : w >> -shift; }
// Maps bits of the value back to the word bits they come from.
uint32_t unshifted(uint32_t x, int shift) { return shift >= 0 ? x >> shift : x << -shift; }
// The bits that shift(word, shift) can set.
uint32_t producible(int shift) { return shifted(kAll, shift); }

SymValue normalized(SymValue v) {
  if (v.mask == 0) {
    v.word = -1;
    v.shift = 0;
  }
  return v;
}

std::string word_name(int w) { return fmt::format("w[{}]", w); }

}  // namespace

SymValue sym_and(SymValue v, uint32_t c) {
  v.mask &= c;
  v.bits &= c;
  return normalized(v);
}
SymValue sym_or(SymValue v, uint32_t c) {
  v.mask &= ~c;
  v.bits |= c;
  return normalized(v);
}
SymValue sym_xor(SymValue v, uint32_t c) {
  v.bits ^= c;
  return v;
}
// s < 32. Exact because mask never has bits the shift lost (see the
// invariant): composing the shifts only moves which word bits are visible.
SymValue sym_lsh(SymValue v, unsigned s) {
  v.bits <<= s;
  if (v.is_constant()) return v;
  v.mask <<= s;
  v.shift = static_cast<int8_t>(v.shift + static_cast<int>(s));
  return normalized(v);
}
SymValue sym_rsh(SymValue v, unsigned s) {
  v.bits >>= s;
  if (v.is_constant()) return v;
  v.mask >>= s;
  v.shift = static_cast<int8_t>(v.shift - static_cast<int>(s));
  return normalized(v);
}

uint32_t SymValue::eval(const SeccompWords& in) const {
  if (is_constant()) return bits;
  return (shifted(in[static_cast<unsigned>(word)], shift) & mask) ^ bits;
}

std::string SymValue::to_string() const {
  if (is_constant()) return fmt::format("{:#x}", bits);
  std::string s = word_name(word);
  if (shift > 0) s = fmt::format("({} << {})", s, shift);
  if (shift < 0) s = fmt::format("({} >> {})", s, -shift);
  if (mask != producible(shift)) s = fmt::format("({} & {:#x})", s, mask);
  if ((bits & ~mask) != 0) s = fmt::format("({} | {:#x})", s, bits & ~mask);
  if ((bits & mask) != 0) s = fmt::format("({} ^ {:#x})", s, bits & mask);
  return s;
}

// ---------------------------------------------------------------------------
// Jumps
// ---------------------------------------------------------------------------

namespace {

SymCondition constant_condition(bool taken) {
  SymCondition c;
  c.kind = taken ? SymCondition::Kind::kTrue : SymCondition::Kind::kFalse;
  return c;
}

SymCondition atom_condition(const SymValue& v, WordAtom atom) {
  // A full mask is a plain (in)equality, which WordSet keeps as bounds / an
  // exclusion list rather than a clause.
  if (atom.op == WordOp::kMaskedEq && atom.mask == kAll) atom = WordAtom::Eq(atom.k);
  if (atom.op == WordOp::kMaskedNe && atom.mask == kAll) atom = WordAtom::Ne(atom.k);
  SymCondition c;
  c.kind = SymCondition::Kind::kAtom;
  c.word = static_cast<uint8_t>(v.word);
  c.atom = atom;
  return c;
}

bool compare(uint16_t op, uint32_t a, uint32_t k) {
  switch (op) {
    case bpf::kJeq: return a == k;
    case bpf::kJgt: return a > k;
    case bpf::kJge: return a >= k;
    case bpf::kJset: return (a & k) != 0;
  }
  return false;
}

// `value > k` (or >= k) bit by bit from the top: the first bit where value
// and k differ decides, and value's bit is a constant (outside the mask) or
// one bit of the word. Where a constant bit decides, the bits below it do
// not matter; where all agree, value == k.
SymCondition bitwise_order_condition(uint16_t op, const SymValue& v, uint32_t k) {
  SymCondition c;
  c.kind = SymCondition::Kind::kChain;
  c.word = static_cast<uint8_t>(v.word);
  int8_t end = op == bpf::kJge ? ChainNode::kTaken : ChainNode::kNotTaken;
  for (int p = 31; p >= 0; --p) {
    const uint32_t bit = uint32_t{1} << p;
    const bool k_bit = (k & bit) != 0;
    if (!(v.mask & bit)) {
      const bool v_bit = (v.bits & bit) != 0;
      if (v_bit == k_bit) continue;
      end = v_bit ? ChainNode::kTaken : ChainNode::kNotTaken;
      break;
    }
    // value's bit p is the word's bit p - shift, XORed with bits' bit p.
    const uint32_t word_bit = unshifted(bit, v.shift);
    const uint32_t one = (v.bits & bit) ? 0 : word_bit;  // the word bit's value where value's bit is 1
    ChainNode n;
    n.atom = WordAtom::MaskedEq(word_bit, one);  // value's bit p is 1
    const auto next = static_cast<int8_t>(c.chain.size() + 1);
    n.on_true = k_bit ? next : ChainNode::kTaken;
    n.on_false = k_bit ? ChainNode::kNotTaken : next;
    c.chain.push_back(n);
  }
  // The last test's "next" is the end: the constant bit that decided, or
  // equality.
  for (ChainNode& n : c.chain) {
    if (n.on_true == static_cast<int8_t>(c.chain.size())) n.on_true = end;
    if (n.on_false == static_cast<int8_t>(c.chain.size())) n.on_false = end;
  }
  if (c.chain.empty()) return constant_condition(end == ChainNode::kTaken);
  return c;
}

// value > k (or >= k) where value = H | (field << b) | L: the field is the
// word's top `width` bits (the word >> sb), H the constant bits above it and
// L those below it. Ordering is lexicographic over (H, field, L), so the
// comparison is a threshold on the field, i.e. `word >= t << sb`.
SymCondition order_condition(uint16_t op, const SymValue& v, uint32_t k) {
  const uint32_t m = v.mask;
  const int b = std::countr_zero(m);
  const int t = 31 - std::countl_zero(m);
  const uint64_t span = ((uint64_t{1} << (t + 1)) - 1) & ~((uint64_t{1} << b) - 1);
  const bool contiguous = span == m;
  const bool top_of_word = t - v.shift == 31;
  if (!contiguous || !top_of_word || (v.bits & m) != 0) return bitwise_order_condition(op, v, k);
  const uint32_t above = t == 31 ? 0 : kAll << (t + 1);
  const auto below = static_cast<uint32_t>((uint64_t{1} << b) - 1);
  const auto width = static_cast<unsigned>(t - b + 1);
  const uint64_t field_max = (uint64_t{1} << width) - 1;
  const uint32_t h = v.bits & above;
  const uint32_t kh = k & above;
  if (h != kh) return constant_condition(h > kh);
  const uint32_t l = v.bits & below;
  const uint32_t kl = k & below;
  const uint64_t kf = (uint64_t{k} >> b) & field_max;
  const bool low_decides = op == bpf::kJgt ? l > kl : l >= kl;
  const uint64_t threshold = kf + (low_decides ? 0 : 1);
  if (threshold == 0) return constant_condition(true);
  if (threshold > field_max) return constant_condition(false);
  const int sb = b - v.shift;  // word bit of the field's lowest bit; sb + width == 32
  return atom_condition(v, WordAtom::Ge(static_cast<uint32_t>(threshold << sb)));
}

}  // namespace

void negate_chain(std::vector<ChainNode>& chain) {
  auto swap = [](int8_t& t) {
    if (t == ChainNode::kTaken) t = ChainNode::kNotTaken;
    else if (t == ChainNode::kNotTaken) t = ChainNode::kTaken;
  };
  for (ChainNode& n : chain) {
    swap(n.on_true);
    swap(n.on_false);
  }
}

bool chain_taken(const std::vector<ChainNode>& chain, uint32_t w) {
  size_t at = 0;
  while (at < chain.size()) {
    const int8_t next = holds(chain[at].atom, w) ? chain[at].on_true : chain[at].on_false;
    if (next < 0) return next == ChainNode::kTaken;
    at = static_cast<size_t>(next);
  }
  return false;  // unreachable: every chain ends in an outcome
}

SymCondition translate_jump(uint16_t op, const SymValue& v, uint32_t k) {
  if (v.is_constant()) return constant_condition(compare(op, v.bits, k));
  const uint32_t m = v.mask;
  switch (op) {
    case bpf::kJeq: {
      // Constant bits must already agree; the word bits then must equal
      // k with the XOR flips undone.
      if (((v.bits ^ k) & ~m) != 0) return constant_condition(false);
      const uint32_t want = (k ^ v.bits) & m;
      return atom_condition(v, WordAtom::MaskedEq(unshifted(m, v.shift), unshifted(want, v.shift)));
    }
    case bpf::kJset: {
      if ((v.bits & k & ~m) != 0) return constant_condition(true);
      const uint32_t fm = k & m;
      if (fm == 0) return constant_condition(false);
      // Some tested bit is 1 <=> the word bits differ from the flip pattern.
      return atom_condition(v, WordAtom::MaskedNe(unshifted(fm, v.shift), unshifted(v.bits & fm, v.shift)));
    }
    case bpf::kJgt:
    case bpf::kJge: return order_condition(op, v, k);
  }
  SymCondition c;
  c.kind = SymCondition::Kind::kUnsupported;
  c.reason = fmt::format("unknown jump operation {:#x}", op);
  return c;
}

}  // namespace sysfence::verify
