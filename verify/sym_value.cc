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
  if (!contiguous || !top_of_word || (v.bits & m) != 0) {
    SymCondition c;
    c.kind = SymCondition::Kind::kUnsupported;
    c.reason = fmt::format("ordered comparison (j{} {:#x}) of {}, which is not an order-preserving image of the word",
                           op == bpf::kJgt ? "gt" : "ge", k, v.to_string());
    return c;
  }
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
