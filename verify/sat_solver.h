// A small conflict-driven clause-learning (CDCL) satisfiability solver.
//
// The proof's last resort (verify/sat_proof.h): two filters that decide
// argument rules on flag masks in different orders can have more joint
// states than the diagrams' walk can visit, where a search over the input's
// bits that learns from each dead end shows quickly that no input tells
// them apart. Textbook parts only: two watched literals per clause, first
// unique implication point learning with non-chronological backtracking,
// activity-ordered decisions with saved phases, restarts on the Luby
// sequence. No clause is ever deleted: a search is bounded by its conflicts.
//
// Usage:
//
//   SatSolver s;
//   const uint32_t x = s.new_var(), y = s.new_var();
//   s.add_clause({SatSolver::pos(x), SatSolver::pos(y)});   // x or y
//   s.add_clause({SatSolver::neg(x)});                      // not x
//   if (s.solve(10'000) == SatSolver::Result::kSat) assert(s.model_value(y));
#pragma once

#include <cstdint>
#include <initializer_list>
#include <span>
#include <vector>

namespace sysfence::verify {

class SatSolver {
 public:
  // A literal: variable v as 2v (v holds) or 2v + 1 (v does not).
  using Lit = uint32_t;
  static constexpr Lit pos(uint32_t var) { return 2 * var; }
  static constexpr Lit neg(uint32_t var) { return 2 * var + 1; }
  static constexpr Lit negate(Lit l) { return l ^ 1; }

  enum class Result : uint8_t { kSat, kUnsat, kUnknown };

  uint32_t new_var();
  uint32_t var_count() const { return static_cast<uint32_t>(value_.size()); }
  // Adds a clause, the disjunction of `lits` (every variable made by
  // new_var()). Only before solve().
  void add_clause(std::span<const Lit> lits);
  void add_clause(std::initializer_list<Lit> lits) { add_clause(std::span<const Lit>(lits.begin(), lits.size())); }
  // Decides the conjunction of the clauses; kUnknown once `max_conflicts`
  // conflicts have been met, or `max_visits` clauses looked at by unit
  // propagation (the bulk of the time), without an answer.
  Result solve(uint64_t max_conflicts, uint64_t max_visits = ~uint64_t{0});
  // After kSat: the satisfying assignment's value of `var`.
  bool model_value(uint32_t var) const { return model_[var]; }
  uint64_t conflicts() const { return conflicts_; }
  uint64_t visits() const { return visits_; }
  size_t clause_count() const { return clause_count_; }

 private:
  using ClauseRef = uint32_t;
  static constexpr ClauseRef kNoClause = ~ClauseRef{0};
  static constexpr uint8_t kFalse = 0;
  static constexpr uint8_t kTrue = 1;
  static constexpr uint8_t kUnset = 2;
  struct Watch {
    ClauseRef clause;
    Lit blocker;  // another literal of the clause: when true, the clause is not looked at
  };

  // kTrue, kFalse or kUnset.
  uint8_t value(Lit l) const {
    const uint8_t v = value_[l >> 1];
    return v == kUnset ? kUnset : static_cast<uint8_t>(v ^ (l & 1));
  }
  uint32_t size_of(ClauseRef c) const { return arena_[c]; }
  Lit* lits_of(ClauseRef c) { return &arena_[c + 1]; }
  ClauseRef store(std::span<const Lit> lits);
  void watch(ClauseRef c);
  void assign(Lit l, ClauseRef reason);
  ClauseRef propagate();
  // The learnt clause of a conflict (its asserting literal first) and the
  // level to go back to.
  uint32_t analyze(ClauseRef conflict, std::vector<Lit>& learnt);
  void backtrack(uint32_t to);
  uint32_t level() const { return static_cast<uint32_t>(trail_limits_.size()); }
  bool decide();
  void bump(uint32_t var);
  // The decision order: a binary heap of the unassigned variables by activity.
  void heap_insert(uint32_t var);
  uint32_t heap_pop();
  void heap_up(size_t at);
  void heap_down(size_t at);

  std::vector<uint8_t> value_;
  std::vector<uint8_t> phase_;  // the value each variable had last
  std::vector<uint32_t> level_of_;
  std::vector<ClauseRef> reason_;
  std::vector<double> activity_;
  std::vector<uint8_t> seen_;
  std::vector<Lit> arena_;                   // each clause as its size, then its literals
  std::vector<std::vector<Watch>> watches_;  // by literal: the clauses to look at when it becomes false
  std::vector<Lit> trail_;
  std::vector<uint32_t> trail_limits_;  // where each decision level starts on the trail
  size_t propagated_ = 0;               // trail entries whose consequences are done
  std::vector<uint32_t> heap_;
  std::vector<int32_t> heap_index_;  // -1: not in the heap
  std::vector<uint8_t> model_;
  double bump_by_ = 1.0;
  uint64_t conflicts_ = 0;
  uint64_t visits_ = 0;
  size_t clause_count_ = 0;
  bool unsatisfiable_ = false;  // an empty clause, or units that contradict
};

}  // namespace sysfence::verify
