#include "policy/overlap.h"

#include <algorithm>
#include <vector>

#include "policy/operators.h"

namespace sysfence::policy {

void Conjunction::ValueSet::restrict(CmpOp op, uint64_t v, uint64_t d) {
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
std::optional<uint64_t> Conjunction::ValueSet::next_masked(uint64_t t) const {
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

std::optional<uint64_t> Conjunction::ValueSet::any() const {
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

// The argument's value when both 64-bit and low-word conditions constrain
// it. Searching the 64-bit set high word by high word would be unbounded;
// instead each low word the low-word set accepts is tried against the 64-bit
// set, a bounded number of candidates in a fixed order: the low-word set's
// smallest value, then its smallest past the 64-bit lower and upper bound,
// then its smallest other than each 64-bit excluded point (as the low word
// sees it). Each is tried as soon as it is found: the first that the 64-bit
// set accepts is the answer.
std::optional<uint64_t> Conjunction::solve_both(const ValueSet& wide, const ValueSet& given_low) {
  // Every answer's low word also has the bits the 64-bit masked tests fix in
  // it: the candidates are drawn from those low words only (else the
  // smallest low word can fail them where a larger one would pass).
  ValueSet low = given_low;
  low.restrict(CmpOp::kMaskedEq, wide.mask & 0xffffffffU, wide.datum & 0xffffffffU);
  auto try_low = [&](uint64_t l32) -> std::optional<uint64_t> {
    ValueSet w = wide;
    w.restrict(CmpOp::kMaskedEq, 0xffffffffU, l32);
    return w.any();
  };
  if (auto x = low.any()) {
    if (auto found = try_low(*x)) return found;
  }
  for (uint64_t bound : {wide.lo, wide.hi}) {
    ValueSet l = low;
    l.restrict(CmpOp::kGe, bound & 0xffffffffU, 0);
    if (auto x = l.any()) {
      if (auto found = try_low(*x)) return found;
    }
  }
  for (uint64_t e : wide.excluded) {
    ValueSet l = low;
    l.excluded.push_back(e & 0xffffffffU);
    if (auto x = l.any()) {
      if (auto found = try_low(*x)) return found;
    }
  }
  return std::nullopt;
}

Conjunction::Conjunction() {
  for (ValueSet& l : low_) l.max = l.hi = 0xffffffffU;
}

void Conjunction::add(const ArgCondition& c) {
  if (c.index >= 6) {
    bad_index_ = true;  // never holds (policy::evaluate)
    return;
  }
  if (c.width == ArgWidth::k32) {
    any_low_[c.index] = true;
    low_[c.index].restrict(c.op, c.value & 0xffffffffU, c.value_two & 0xffffffffU);
  } else {
    any_wide_[c.index] = true;
    wide_[c.index].restrict(c.op, c.value, c.value_two);
  }
}

std::optional<uint64_t> Conjunction::value(size_t index) const {
  if (!any_wide_[index] && !any_low_[index]) return 0;
  if (!any_wide_[index]) return low_[index].any();
  if (!any_low_[index]) return wide_[index].any();
  return solve_both(wide_[index], low_[index]);
}

bool Conjunction::satisfiable(unsigned indices) const {
  if (bad_index_) return false;
  for (size_t index = 0; index < 6; ++index) {
    if ((indices >> index & 1) != 0 && !value(index)) return false;
  }
  return true;
}

std::optional<std::array<uint64_t, 6>> Conjunction::witness() const {
  if (bad_index_) return std::nullopt;
  std::array<uint64_t, 6> out{};
  for (size_t index = 0; index < 6; ++index) {
    auto x = value(index);
    if (!x) return std::nullopt;
    out[index] = *x;
  }
  return out;
}

PinnedValues::PinnedValues(std::span<const ArgCondition> conditions) {
  for (const ArgCondition& c : conditions) {
    // A condition on an argument past args[5] never holds: nothing to pin.
    if (c.op != CmpOp::kEq || c.index >= 6) continue;
    const auto low = static_cast<uint32_t>(c.value);
    const auto high = static_cast<uint32_t>(c.value >> 32);
    // An argument pinned twice (to different values, or twice wide with
    // different high words) is matched by no input anyway: the first pin is
    // kept; it is still a value every input the rule matches has.
    if (!pinned_[c.index]) {
      pinned_[c.index] = true;
      low_[c.index] = low;
    }
    if (c.width == ArgWidth::k64 && !wide_[c.index] && low == low_[c.index]) {
      wide_[c.index] = true;
      high_[c.index] = high;
    }
  }
}

bool PinnedValues::excludes(const PinnedValues& other) const {
  for (size_t i = 0; i < 6; ++i) {
    if (!pinned_[i] || !other.pinned_[i]) continue;
    if (low_[i] != other.low_[i]) return true;
    if (wide_[i] && other.wide_[i] && high_[i] != other.high_[i]) return true;
  }
  return false;
}

std::optional<std::array<uint64_t, 6>> common_input(std::span<const ArgCondition> a, std::span<const ArgCondition> b) {
  // The sets are restricted in the order the conditions are listed (a, then b).
  Conjunction all;
  for (const ArgCondition& c : a) all.add(c);
  for (const ArgCondition& c : b) all.add(c);
  return all.witness();
}

}  // namespace sysfence::policy
