// Constraints on one 32-bit input word of seccomp_data, and an exact
// satisfiability check for their conjunction.
//
// The symbolic checker describes every path of a filter by the constraints it
// puts on each of the 16 words a filter can load. Every constraint the
// fragment produces mentions exactly one word, so a path is satisfiable iff
// each word's conjunction is — which is what WordSet decides, exactly, with a
// witness value.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace sysfence::verify {

// One atomic constraint on a word w (all comparisons unsigned):
//   kEq/kNe/kGt/kGe/kLt/kLe:  w op k
//   kMaskedEq / kMaskedNe:   (w & mask) == k  /  (w & mask) != k
enum class WordOp : uint8_t { kEq, kNe, kGt, kGe, kLt, kLe, kMaskedEq, kMaskedNe };

struct WordAtom {
  WordOp op = WordOp::kEq;
  uint32_t k = 0;
  uint32_t mask = 0xffffffffU;  // only for the masked ops

  static constexpr WordAtom Eq(uint32_t k) { return {WordOp::kEq, k, 0xffffffffU}; }
  static constexpr WordAtom Ne(uint32_t k) { return {WordOp::kNe, k, 0xffffffffU}; }
  static constexpr WordAtom Gt(uint32_t k) { return {WordOp::kGt, k, 0xffffffffU}; }
  static constexpr WordAtom Ge(uint32_t k) { return {WordOp::kGe, k, 0xffffffffU}; }
  static constexpr WordAtom Lt(uint32_t k) { return {WordOp::kLt, k, 0xffffffffU}; }
  static constexpr WordAtom Le(uint32_t k) { return {WordOp::kLe, k, 0xffffffffU}; }
  static constexpr WordAtom MaskedEq(uint32_t mask, uint32_t k) { return {WordOp::kMaskedEq, k, mask}; }
  static constexpr WordAtom MaskedNe(uint32_t mask, uint32_t k) { return {WordOp::kMaskedNe, k, mask}; }

  friend constexpr bool operator==(const WordAtom&, const WordAtom&) = default;
};

bool holds(const WordAtom& a, uint32_t w);
// The atom that holds exactly where `a` does not.
WordAtom negate(const WordAtom& a);
// "w == 0x5", "(w & 0x40000000) != 0x0" — with `w` replaced by `name`.
std::string to_string(const WordAtom& a, const std::string& name = "w");

enum class Sat : uint8_t { kSat, kUnsat, kUnknown };

// Whether every value of a set satisfies an atom (kTrue), none does
// (kFalse), or it depends (kUnknown).
enum class Implied : uint8_t { kTrue, kFalse, kUnknown };

// A conjunction of atoms on one word, kept in a normal form that makes the
// satisfiability check cheap:
//   lo <= w <= hi                       (Eq, Gt, Ge, Lt, Le)
//   (w & known_mask) == known_bits      (MaskedEq; Eq also pins every bit)
//   w != e for every e in `excluded`    (Ne; sorted, unique)
//   (w & m) != v for every clause       (MaskedNe with a partial mask)
// plus a cached witness: a value known to satisfy everything added so far.
// Adding an atom the witness satisfies keeps the set satisfiable at O(1);
// only when the witness breaks does `check()` search again.
//
// Mutation is undoable (LIFO): `add` returns an Undo record that restores
// the previous state, so a depth-first path walk can share one WordSet.
class WordSet {
 public:
  struct Undo {
    uint32_t lo, hi, known_mask, known_bits, witness;
    uint8_t witness_state;
    bool inserted_excluded;
    uint32_t excluded_value;
    bool appended_clause;
    uint32_t atom_count;
  };

  WordSet() = default;

  Undo add(const WordAtom& a);
  void undo(const Undo& u);

  // Exact: kSat with a witness, kUnsat, or kUnknown only when the search
  // exceeds its node budget (pathological sets of many partial-mask
  // clauses; never for the atoms real filters produce).
  Sat check();
  // Valid after check() returned kSat.
  uint32_t witness() const { return witness_; }

  bool unconstrained() const { return atom_count_ == 0; }
  uint32_t atom_count() const { return atom_count_; }
  uint32_t lo() const { return lo_; }
  uint32_t hi() const { return hi_; }
  uint32_t known_mask() const { return known_mask_; }
  uint32_t known_bits() const { return known_bits_; }
  const std::vector<uint32_t>& excluded() const { return excluded_; }
  struct Clause {
    uint32_t mask, value;  // (w & mask) != value
  };
  const std::vector<Clause>& clauses() const { return clauses_; }
  // What the set already says about `a`, from its bounds, known bits and
  // exclusions alone (no search): kTrue / kFalse only when that holds for
  // every value of the set, so a walk may take the one satisfiable branch
  // without adding the atom. Sound for any set; kUnknown is always allowed.
  Implied implies(const WordAtom& a) const;
  // True when `w` satisfies every constraint of the set.
  bool contains(uint32_t w) const;
  // The single value the set allows, when it allows exactly one value
  // because of its bounds or known bits (not counting exclusions).
  std::optional<uint32_t> pinned() const;
  // A compact human description, e.g. "== 0x3b", "0x100..0x1ff, != 0x105",
  // "& 0x40000000 == 0x0"; empty when unconstrained.
  std::string describe() const;

  // Search-node budget for one check (exposed for tests).
  static constexpr uint64_t kNodeBudget = 1u << 18;

 private:
  enum WitnessState : uint8_t { kWitnessValid, kWitnessStale, kKnownUnsat };

  Sat solve();

  uint32_t lo_ = 0;
  uint32_t hi_ = 0xffffffffU;
  uint32_t known_mask_ = 0;
  uint32_t known_bits_ = 0;
  std::vector<uint32_t> excluded_;
  std::vector<Clause> clauses_;
  uint32_t witness_ = 0;
  uint8_t witness_state_ = kWitnessValid;  // 0 satisfies the empty set
  uint32_t atom_count_ = 0;
};

// Exact satisfiability of a "cube" problem, exposed for tests: the free
// variables are the bits of `vars`; each clause (mask, value) with
// mask ⊆ vars requires (x & mask) != value. Finds x ⊆ vars or reports
// kUnsat; kUnknown when `budget` nodes are exhausted.
struct CubeClause {
  uint32_t lits;
  uint32_t value;
};
Sat solve_cube(uint32_t vars, std::vector<CubeClause> clauses, uint64_t& budget, uint32_t& solution);

}  // namespace sysfence::verify
