#include "policy/overlap.h"

#include <algorithm>
#include <vector>

#include "policy/operators.h"

namespace sysfence::policy {

namespace {

// What the conditions on one argument accept, in one width (its low 32 bits
// or all 64): lo <= x <= hi, x & mask == datum, x not in `excluded`.
struct ValueSet {
  uint64_t max = ~uint64_t{0};
  uint64_t lo = 0;
  uint64_t hi = ~uint64_t{0};
  uint64_t mask = 0;
  uint64_t datum = 0;
  bool empty = false;
  std::vector<uint64_t> excluded;

  void restrict(CmpOp op, uint64_t v, uint64_t d) {
    switch (op) {
      case CmpOp::kEq:
        lo = std::max(lo, v);
        hi = std::min(hi, v);
        break;
      case CmpOp::kNe: excluded.push_back(v); break;
      case CmpOp::kLt:
        if (v == 0) empty = true;
        else hi = std::min(hi, v - 1);
        break;
      case CmpOp::kLe: hi = std::min(hi, v); break;
      case CmpOp::kGe: lo = std::max(lo, v); break;
      case CmpOp::kGt:
        if (v == max) empty = true;
        else lo = std::max(lo, v + 1);
        break;
      case CmpOp::kMaskedEq: {
        const uint64_t want = masked_datum(v, d);
        // Two masked tests agree where both masks look, or nothing passes both.
        if (((datum ^ want) & mask & v) != 0) empty = true;
        datum = (datum & mask) | want;
        mask |= v;
        break;
      }
    }
  }

  // The smallest x >= t (x <= max) with x & mask == datum.
  std::optional<uint64_t> next_masked(uint64_t t) const {
    if ((t & mask) == datum) return t;
    // x shares t's bits above some position i, has a 1 at i where t has a 0,
    // and the least value below i: the lowest such i gives the smallest x.
    const unsigned bits = max == ~uint64_t{0} ? 64 : 32;
    for (unsigned i = 0; i < bits; ++i) {
      const uint64_t bit = uint64_t{1} << i;
      if ((t & bit) != 0) continue;
      if ((mask & bit) != 0 && (datum & bit) == 0) continue;
      const uint64_t above = i + 1 >= 64 ? 0 : ~uint64_t{0} << (i + 1);
      if (((t ^ datum) & mask & above) != 0) continue;
      const uint64_t below = bit - 1;
      return (t & above) | bit | (datum & below);
    }
    return std::nullopt;
  }

  std::optional<uint64_t> any() const {
    if (empty || lo > hi) return std::nullopt;
    uint64_t t = lo;
    // Each excluded point costs one step at most.
    for (size_t step = 0; step <= excluded.size(); ++step) {
      auto x = next_masked(t);
      if (!x || *x > hi) return std::nullopt;
      if (std::find(excluded.begin(), excluded.end(), *x) == excluded.end()) return x;
      if (*x == max) return std::nullopt;
      t = *x + 1;
    }
    return std::nullopt;
  }
};

}  // namespace

std::optional<std::array<uint64_t, 6>> common_input(std::span<const ArgCondition> a, std::span<const ArgCondition> b) {
  std::array<uint64_t, 6> witness{};
  for (uint8_t index = 0; index < 6; ++index) {
    // The 64-bit and the low-word conditions on one argument are solved
    // together on 64 bits: a low-word condition constrains the low half only.
    ValueSet wide;
    ValueSet low;
    low.max = low.hi = 0xffffffffU;
    bool any_wide = false;
    bool any_low = false;
    for (auto rules : {a, b}) {
      for (const ArgCondition& c : rules) {
        if (c.index >= 6) return std::nullopt;  // never holds (policy::evaluate)
        if (c.index != index) continue;
        if (c.width == ArgWidth::k32) {
          any_low = true;
          low.restrict(c.op, c.value & 0xffffffffU, c.value_two & 0xffffffffU);
        } else {
          any_wide = true;
          wide.restrict(c.op, c.value, c.value_two);
        }
      }
    }
    if (!any_wide && !any_low) continue;
    if (!any_wide) {
      auto x = low.any();
      if (!x) return std::nullopt;
      witness[index] = *x;
      continue;
    }
    if (!any_low) {
      auto x = wide.any();
      if (!x) return std::nullopt;
      witness[index] = *x;
      continue;
    }
    // Both kinds: search the 64-bit set high word by high word would be
    // unbounded; instead try each low word the low-word set accepts against
    // the 64-bit set, a bounded number of candidates: the low-word set's
    // smallest value, and past each 64-bit excluded point or bound.
    std::optional<uint64_t> found;
    std::vector<uint64_t> lows;
    if (auto x = low.any()) lows.push_back(*x);
    for (uint64_t bound : {wide.lo, wide.hi}) {
      ValueSet l = low;
      l.restrict(CmpOp::kGe, bound & 0xffffffffU, 0);
      if (auto x = l.any()) lows.push_back(*x);
    }
    for (uint64_t e : wide.excluded) {
      ValueSet l = low;
      l.excluded.push_back(e & 0xffffffffU);
      if (auto x = l.any()) lows.push_back(*x);
    }
    for (uint64_t l32 : lows) {
      ValueSet w = wide;
      w.restrict(CmpOp::kMaskedEq, 0xffffffffU, l32);
      if (auto x = w.any()) {
        found = x;
        break;
      }
    }
    if (!found) return std::nullopt;
    witness[index] = *found;
  }
  return witness;
}

}  // namespace sysfence::policy
