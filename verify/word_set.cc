#include "verify/word_set.h"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <cassert>
#include <span>
#include <utility>

namespace sysfence::verify {

bool holds(const WordAtom& a, uint32_t w) {
  switch (a.op) {
    case WordOp::kEq: return w == a.k;
    case WordOp::kNe: return w != a.k;
    case WordOp::kGt: return w > a.k;
    case WordOp::kGe: return w >= a.k;
    case WordOp::kLt: return w < a.k;
    case WordOp::kLe: return w <= a.k;
    case WordOp::kMaskedEq: return (w & a.mask) == a.k;
    case WordOp::kMaskedNe: return (w & a.mask) != a.k;
  }
  return false;
}

WordAtom negate(const WordAtom& a) {
  switch (a.op) {
    case WordOp::kEq: return WordAtom::Ne(a.k);
    case WordOp::kNe: return WordAtom::Eq(a.k);
    case WordOp::kGt: return WordAtom::Le(a.k);
    case WordOp::kGe: return WordAtom::Lt(a.k);
    case WordOp::kLt: return WordAtom::Ge(a.k);
    case WordOp::kLe: return WordAtom::Gt(a.k);
    case WordOp::kMaskedEq: return WordAtom::MaskedNe(a.mask, a.k);
    case WordOp::kMaskedNe: return WordAtom::MaskedEq(a.mask, a.k);
  }
  return a;
}

std::string to_string(const WordAtom& a, const std::string& name) {
  switch (a.op) {
    case WordOp::kEq: return fmt::format("{} == {:#x}", name, a.k);
    case WordOp::kNe: return fmt::format("{} != {:#x}", name, a.k);
    case WordOp::kGt: return fmt::format("{} > {:#x}", name, a.k);
    case WordOp::kGe: return fmt::format("{} >= {:#x}", name, a.k);
    case WordOp::kLt: return fmt::format("{} < {:#x}", name, a.k);
    case WordOp::kLe: return fmt::format("{} <= {:#x}", name, a.k);
    case WordOp::kMaskedEq: return fmt::format("({} & {:#x}) == {:#x}", name, a.mask, a.k);
    case WordOp::kMaskedNe: return fmt::format("({} & {:#x}) != {:#x}", name, a.mask, a.k);
  }
  return name;
}

// ---------------------------------------------------------------------------
// Cube solver
// ---------------------------------------------------------------------------

namespace {

// Weight of an unsatisfied clause with `n` free literals, scaled by 2^32:
// the probability 2^-n that a uniformly random assignment violates it.
constexpr uint64_t kOne = uint64_t{1} << 32;
uint64_t weight(uint32_t lits) { return kOne >> std::popcount(lits); }

// Method of conditional expectations: when the expected number of violated
// clauses under a uniform random assignment is below one, fixing the
// variables one by one, each to the value that keeps the expectation lowest,
// never lets it reach one, so the final assignment violates nothing.
uint32_t derandomize(uint32_t vars, std::vector<CubeClause>& clauses) {
  uint32_t solution = 0;
  for (uint32_t rest = vars; rest != 0 && !clauses.empty();) {
    const uint32_t bit = uint32_t{1} << (31 - std::countl_zero(rest));
    rest &= ~bit;
    // A clause without the bit weighs the same on both sides: left out of
    // both, it changes no choice.
    uint64_t cost[2] = {0, 0};
    for (const CubeClause& c : clauses) {
      if ((c.lits & bit) == 0) continue;
      // Choosing the bit equal to the clause's value keeps it alive with
      // one literal fewer; the other choice satisfies it.
      const int keep = (c.value & bit) ? 1 : 0;
      cost[keep] += weight(c.lits & ~bit);
    }
    const int choice = cost[1] < cost[0] ? 1 : 0;
    if (choice) solution |= bit;
    // The clauses the choice satisfies are dropped, the others lose the bit.
    size_t alive = 0;
    for (CubeClause c : clauses) {
      if ((c.lits & bit) != 0) {
        if (((c.value & bit) != 0) != (choice == 1)) continue;
        c.lits &= ~bit;
      }
      clauses[alive++] = c;
    }
    clauses.resize(alive);
  }
  return solution;
}

}  // namespace

Sat solve_cube(uint32_t vars, std::vector<CubeClause> clauses, uint64_t& budget, uint32_t& solution) {
  if (budget == 0) return Sat::kUnknown;
  --budget;
  uint64_t total = 0;
  const CubeClause* smallest = nullptr;
  for (const CubeClause& c : clauses) {
    if (c.lits == 0) return Sat::kUnsat;
    total += weight(c.lits);
    if (smallest == nullptr || std::popcount(c.lits) < std::popcount(smallest->lits)) smallest = &c;
  }
  if (total < kOne) {
    solution = derandomize(vars, clauses);
    return Sat::kSat;
  }
  // Branch on a literal of the shortest clause, trying first the value that
  // satisfies it (a unit clause thus costs one failed branch at most).
  const uint32_t bit = uint32_t{1} << (31 - std::countl_zero(smallest->lits));
  const bool satisfying_value = (smallest->value & bit) == 0;
  bool unknown = false;
  for (bool value : {satisfying_value, !satisfying_value}) {
    std::vector<CubeClause> rest;
    rest.reserve(clauses.size());
    bool conflict = false;
    for (const CubeClause& c : clauses) {
      if ((c.lits & bit) == 0) {
        rest.push_back(c);
      } else if (((c.value & bit) != 0) != value) {
        // satisfied by this choice
      } else if ((c.lits & ~bit) == 0) {
        conflict = true;
        break;
      } else {
        rest.push_back({c.lits & ~bit, c.value & ~bit});
      }
    }
    if (conflict) continue;
    uint32_t sub = 0;
    const Sat r = solve_cube(vars & ~bit, std::move(rest), budget, sub);
    if (r == Sat::kSat) {
      solution = sub | (value ? bit : 0);
      return Sat::kSat;
    }
    if (r == Sat::kUnknown) unknown = true;
  }
  return unknown ? Sat::kUnknown : Sat::kUnsat;
}

// ---------------------------------------------------------------------------
// WordSet
// ---------------------------------------------------------------------------

WordSet::Undo WordSet::add(const WordAtom& atom) {
  Undo u{lo_, hi_, known_mask_, known_bits_, witness_, witness_state_, false, 0, false, atom_count_};
  // (w & bit) != v for a single bit pins that bit: keep it as a known bit
  // rather than a clause (cheaper to solve, clearer to print).
  WordAtom a = atom;
  if (a.op == WordOp::kMaskedNe && std::popcount(a.mask) == 1 && (a.k & ~a.mask) == 0)
    a = WordAtom::MaskedEq(a.mask, a.k ^ a.mask);
  ++atom_count_;
  bool contradiction = false;
  switch (a.op) {
    case WordOp::kEq:
      lo_ = std::max(lo_, a.k);
      hi_ = std::min(hi_, a.k);
      break;
    case WordOp::kGt:
      if (a.k == 0xffffffffU) contradiction = true;
      else lo_ = std::max(lo_, a.k + 1);
      break;
    case WordOp::kGe: lo_ = std::max(lo_, a.k); break;
    case WordOp::kLt:
      if (a.k == 0) contradiction = true;
      else hi_ = std::min(hi_, a.k - 1);
      break;
    case WordOp::kLe: hi_ = std::min(hi_, a.k); break;
    case WordOp::kMaskedEq:
      if ((a.k & ~a.mask) != 0 || ((known_mask_ & a.mask) & (known_bits_ ^ a.k)) != 0) {
        contradiction = true;
      } else {
        known_mask_ |= a.mask;
        known_bits_ |= a.k;
      }
      break;
    case WordOp::kNe:
    case WordOp::kMaskedNe: {
      if ((a.k & ~a.mask) != 0) break;  // (w & m) can never equal k: always true
      if (a.mask == 0) {                // 0 != 0
        contradiction = true;
        break;
      }
      if (a.mask == 0xffffffffU) {
        auto it = std::lower_bound(excluded_.begin(), excluded_.end(), a.k);
        if (it == excluded_.end() || *it != a.k) {
          excluded_.insert(it, a.k);
          u.inserted_excluded = true;
          u.excluded_value = a.k;
        }
      } else if (std::none_of(clauses_.begin(), clauses_.end(),
                              [&](const Clause& c) { return c.mask == a.mask && c.value == a.k; })) {
        clauses_.push_back({a.mask, a.k});
        u.appended_clause = true;
      }
      break;
    }
  }
  if (contradiction || lo_ > hi_) {
    witness_state_ = kKnownUnsat;
  } else if (witness_state_ == kWitnessValid && !holds(a, witness_)) {
    witness_state_ = kWitnessStale;
  }
  return u;
}

void WordSet::undo(const Undo& u) {
  lo_ = u.lo;
  hi_ = u.hi;
  known_mask_ = u.known_mask;
  known_bits_ = u.known_bits;
  witness_ = u.witness;
  witness_state_ = u.witness_state;
  atom_count_ = u.atom_count;
  if (u.inserted_excluded) {
    auto it = std::lower_bound(excluded_.begin(), excluded_.end(), u.excluded_value);
    assert(it != excluded_.end() && *it == u.excluded_value);
    excluded_.erase(it);
  }
  if (u.appended_clause) clauses_.pop_back();
}

Sat WordSet::check() {
  switch (witness_state_) {
    case kKnownUnsat: return Sat::kUnsat;
    case kWitnessValid: return Sat::kSat;
    default: break;
  }
  const Sat r = solve();
  if (r == Sat::kSat) {
    assert(contains(witness_));
    witness_state_ = kWitnessValid;
  } else if (r == Sat::kUnsat) {
    witness_state_ = kKnownUnsat;
  }
  return r;
}

bool WordSet::contains(uint32_t w) const {
  // Contradictions (Lt 0, clashing known bits, ...) are not in the normal
  // form; the state records them.
  if (witness_state_ == kKnownUnsat) return false;
  if (w < lo_ || w > hi_ || (w & known_mask_) != known_bits_) return false;
  if (std::binary_search(excluded_.begin(), excluded_.end(), w)) return false;
  return std::ranges::none_of(clauses_, [w](const Clause& c) { return (w & c.mask) == c.value; });
}

namespace {

// What solve_cube answers for clauses that each exclude one of `excluded`
// (sorted, agreeing on every bit outside `vars`) over all of `vars`, when
// they are fewer than the values of `vars`: derandomize, which weighs every
// clause alike here, so that at each bit (highest first) it takes the value
// fewer of the clauses still alive share, 0 on a tie; the alive ones,
// agreeing on the bits taken, are a contiguous run of `excluded`. The
// witness must be solve_cube's own: the full walk shows it in
// counterexamples.
uint32_t avoid_excluded(uint32_t vars, std::span<const uint32_t> excluded) {
  uint32_t solution = 0;
  for (uint32_t rest = vars; rest != 0;) {
    const uint32_t bit = uint32_t{1} << (31 - std::countl_zero(rest));
    rest &= ~bit;
    const auto ones =
        std::partition_point(excluded.begin(), excluded.end(), [bit](uint32_t e) { return (e & bit) == 0; });
    const auto zeros_count = static_cast<size_t>(ones - excluded.begin());
    if (excluded.size() - zeros_count < zeros_count) {
      solution |= bit;
      excluded = excluded.subspan(zeros_count);
    } else {
      excluded = excluded.first(zeros_count);
    }
  }
  return solution;
}

}  // namespace

// The interval [lo, hi] is a union of at most 62 aligned blocks
// [base, base + 2^s), each of which fixes the bits above s and leaves the
// low s bits free. Inside a block every constraint becomes a clause over the
// free bits that the known-bit mask leaves open, so each block is a small
// cube problem for solve_cube.
Sat WordSet::solve() {
  if (lo_ > hi_) return Sat::kUnsat;
  uint64_t budget = kNodeBudget;
  bool unknown = false;
  std::vector<CubeClause> cube;
  for (uint64_t base = lo_; base <= hi_;) {
    unsigned s = base == 0 ? 32 : static_cast<unsigned>(std::countr_zero(base));
    while (s > 0 && base + (uint64_t{1} << s) - 1 > hi_) --s;
    const uint64_t size = uint64_t{1} << s;
    const auto free = static_cast<uint32_t>(size - 1);
    const auto b = static_cast<uint32_t>(base);
    base += size;
    if (((b ^ known_bits_) & known_mask_ & ~free) != 0) continue;  // known bits rule it out
    const uint32_t fixed_mask = ~free | known_mask_;
    const uint32_t fixed_val = (b & ~free) | (known_bits_ & free);
    const uint32_t vars = free & ~known_mask_;
    cube.clear();
    bool dead = false;
    for (const Clause& c : clauses_) {
      if ((c.mask & fixed_mask & (fixed_val ^ c.value)) != 0) continue;  // already true
      const uint32_t lits = c.mask & vars;
      if (lits == 0) {
        dead = true;
        break;
      }
      cube.push_back({lits, c.value & lits});
    }
    if (dead) continue;
    const size_t clause_count = cube.size();
    auto first = std::lower_bound(excluded_.begin(), excluded_.end(), b);
    auto last = std::upper_bound(first, excluded_.end(), static_cast<uint32_t>(b | free));
    for (auto it = first; it != last && !dead; ++it) {
      if (((*it ^ fixed_val) & fixed_mask) != 0) continue;
      if (vars == 0) dead = true;
      else cube.push_back({vars, *it & vars});
    }
    if (dead) continue;
    if (cube.empty()) {  // nothing to avoid: solve_cube would set every free bit to 0
      witness_ = fixed_val;
      return Sat::kSat;
    }
    if (clause_count == 0 && cube.size() == static_cast<size_t>(last - first) && budget > 0 &&
        (std::popcount(vars) == 32 || cube.size() < (uint64_t{1} << std::popcount(vars)))) {
      // Only excluded values, fewer than the block holds: solve_cube's
      // answer without its clause copies (a word of many exclusions is
      // solved again at every atom that breaks its witness).
      witness_ = fixed_val | avoid_excluded(vars, std::span<const uint32_t>(first, last));
      return Sat::kSat;
    }
    uint32_t sol = 0;
    const Sat r = solve_cube(vars, std::move(cube), budget, sol);
    cube = {};
    if (r == Sat::kSat) {
      witness_ = fixed_val | sol;
      return Sat::kSat;
    }
    if (r == Sat::kUnknown) {
      unknown = true;
      if (budget == 0) break;
    }
  }
  return unknown ? Sat::kUnknown : Sat::kUnsat;
}

namespace {

Implied flip(Implied i) {
  if (i == Implied::kTrue) return Implied::kFalse;
  if (i == Implied::kFalse) return Implied::kTrue;
  return Implied::kUnknown;
}

Implied implied_if(bool always, bool never) {
  if (always) return Implied::kTrue;
  if (never) return Implied::kFalse;
  return Implied::kUnknown;
}

}  // namespace

Implied WordSet::implies(const WordAtom& a) const {
  if (witness_state_ == kKnownUnsat) return Implied::kUnknown;
  // Every value lies in [min, max]: the bounds, narrowed by the known bits
  // (w & m == b gives b <= w <= b | ~m).
  const uint32_t min = std::max(lo_, known_bits_);
  const uint32_t max = std::min(hi_, known_bits_ | ~known_mask_);
  switch (a.op) {
    case WordOp::kEq:
    case WordOp::kNe: {
      const bool never = a.k < min || a.k > max || (a.k & known_mask_) != known_bits_ ||
                         std::binary_search(excluded_.begin(), excluded_.end(), a.k);
      const Implied eq = implied_if(min == max && min == a.k, never);
      return a.op == WordOp::kEq ? eq : flip(eq);
    }
    case WordOp::kGt: return implied_if(min > a.k, max <= a.k);
    case WordOp::kGe: return implied_if(min >= a.k, max < a.k);
    case WordOp::kLt: return implied_if(max < a.k, min >= a.k);
    case WordOp::kLe: return implied_if(max <= a.k, min > a.k);
    case WordOp::kMaskedEq:
    case WordOp::kMaskedNe: {
      // Bits every value shares: the known ones, and those above the
      // highest bit in which min and max differ.
      const auto varying = static_cast<unsigned>(std::bit_width(min ^ max));
      const uint32_t by_bounds = varying >= 32 ? 0 : ~((uint32_t{1} << varying) - 1);
      const uint32_t fixed = known_mask_ | by_bounds;
      const uint32_t fixed_bits = known_bits_ | (min & by_bounds & ~known_mask_);
      Implied eq = Implied::kUnknown;
      if ((a.k & ~a.mask) != 0 || ((fixed_bits ^ a.k) & fixed & a.mask) != 0) eq = Implied::kFalse;
      else if ((fixed & a.mask) == a.mask) eq = Implied::kTrue;
      else if (std::ranges::any_of(clauses_, [&](const Clause& c) { return c.mask == a.mask && c.value == a.k; }))
        eq = Implied::kFalse;  // the clause excludes exactly these values
      return a.op == WordOp::kMaskedEq ? eq : flip(eq);
    }
  }
  return Implied::kUnknown;
}

std::optional<uint32_t> WordSet::pinned() const {
  if (lo_ == hi_) return lo_;
  if (known_mask_ == 0xffffffffU) return known_bits_;
  return std::nullopt;
}

std::string WordSet::describe() const {
  if (atom_count_ == 0) return "";
  if (witness_state_ == kKnownUnsat) return "(no value)";
  if (auto p = pinned()) return fmt::format("== {:#x}", *p);
  // For display only: move the bounds past excluded end values, so that
  // "0x33..0x35, != 0x35" reads "0x33..0x34".
  // At most |excluded| steps each way.
  uint32_t lo = lo_;
  uint32_t hi = hi_;
  auto excluded = [&](uint32_t v) { return std::binary_search(excluded_.begin(), excluded_.end(), v); };
  while (lo < hi && excluded(lo)) ++lo;
  while (hi > lo && excluded(hi)) --hi;
  if (lo == hi) return fmt::format("== {:#x}", lo);
  std::vector<std::string> parts;
  if (lo != 0 && hi != 0xffffffffU) parts.push_back(fmt::format("{:#x}..{:#x}", lo, hi));
  else if (lo != 0) parts.push_back(fmt::format(">= {:#x}", lo));
  else if (hi != 0xffffffffU) parts.push_back(fmt::format("<= {:#x}", hi));
  // Known bits the bounds already imply (a mask above every bit in which lo
  // and hi differ, matching them) are not worth a word.
  const auto varying = static_cast<unsigned>(std::bit_width(lo ^ hi));
  const uint32_t fixed_by_bounds = varying >= 32 ? 0 : ~((uint32_t{1} << varying) - 1);
  const bool implied = (known_mask_ & ~fixed_by_bounds) == 0 && (lo & known_mask_) == known_bits_;
  if (known_mask_ != 0 && !implied) parts.push_back(fmt::format("& {:#x} == {:#x}", known_mask_, known_bits_));
  size_t shown = 0;
  std::string ne;
  for (uint32_t e : excluded_) {
    if (e <= lo || e >= hi || (e & known_mask_) != known_bits_) continue;  // implied
    if (shown == 8) {
      ne += ", ...";
      break;
    }
    ne += fmt::format("{}{:#x}", shown == 0 ? "" : ", ", e);
    ++shown;
  }
  if (!ne.empty()) parts.push_back("!= " + ne);
  for (const Clause& c : clauses_) parts.push_back(fmt::format("& {:#x} != {:#x}", c.mask, c.value));
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) out += (i ? ", " : "") + parts[i];
  return out.empty() ? "any" : out;
}

}  // namespace sysfence::verify
