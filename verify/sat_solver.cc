#include "verify/sat_solver.h"

#include <algorithm>
#include <cassert>

namespace sysfence::verify {

namespace {

// The Luby sequence 1 1 2 1 1 2 4 1 1 2 1 1 2 4 8 ... (i from 0): restart
// intervals that are mostly short, sometimes long.
uint64_t luby(uint64_t i) {
  uint64_t size = 1;
  uint64_t power = 1;
  while (size < i + 1) {
    size = 2 * size + 1;
    power *= 2;
  }
  while (size - 1 != i) {
    size = (size - 1) / 2;
    power /= 2;
    i %= size;
  }
  return power;
}

constexpr uint64_t kRestartUnit = 64;  // conflicts per step of the Luby sequence
constexpr double kActivityDecay = 0.95;

}  // namespace

uint32_t SatSolver::new_var() {
  const auto v = static_cast<uint32_t>(value_.size());
  value_.push_back(kUnset);
  phase_.push_back(kFalse);
  level_of_.push_back(0);
  reason_.push_back(kNoClause);
  activity_.push_back(0.0);
  seen_.push_back(0);
  watches_.emplace_back();
  watches_.emplace_back();
  heap_index_.push_back(-1);
  heap_insert(v);
  return v;
}

SatSolver::ClauseRef SatSolver::store(std::span<const Lit> lits) {
  const auto c = static_cast<ClauseRef>(arena_.size());
  arena_.push_back(static_cast<Lit>(lits.size()));
  arena_.insert(arena_.end(), lits.begin(), lits.end());
  ++clause_count_;
  return c;
}

void SatSolver::watch(ClauseRef c) {
  const Lit* l = lits_of(c);
  watches_[l[0]].push_back(Watch{c, l[1]});
  watches_[l[1]].push_back(Watch{c, l[0]});
}

void SatSolver::add_clause(std::span<const Lit> lits) {
  std::vector<Lit> c(lits.begin(), lits.end());
  std::sort(c.begin(), c.end());
  c.erase(std::unique(c.begin(), c.end()), c.end());
  for (size_t i = 1; i < c.size(); ++i) {
    if (c[i] == negate(c[i - 1])) return;  // x or not x: always holds
  }
  if (c.empty()) {
    unsatisfiable_ = true;
    return;
  }
  if (c.size() == 1) {
    // A unit: assigned now, at level 0; its consequences when solve() starts.
    if (value(c[0]) == kFalse) unsatisfiable_ = true;
    else if (value(c[0]) == kUnset) assign(c[0], kNoClause);
    return;
  }
  watch(store(c));
}

void SatSolver::assign(Lit l, ClauseRef reason) {
  const uint32_t v = l >> 1;
  value_[v] = static_cast<uint8_t>((l & 1) == 0 ? kTrue : kFalse);
  level_of_[v] = level();
  reason_[v] = reason;
  trail_.push_back(l);
}

SatSolver::ClauseRef SatSolver::propagate() {
  while (propagated_ < trail_.size()) {
    const Lit falsified = negate(trail_[propagated_++]);
    std::vector<Watch>& ws = watches_[falsified];
    visits_ += ws.size();
    size_t keep = 0;
    for (size_t i = 0; i < ws.size(); ++i) {
      const Watch w = ws[i];
      if (value(w.blocker) == kTrue) {
        ws[keep++] = w;
        continue;
      }
      Lit* l = lits_of(w.clause);
      const uint32_t n = size_of(w.clause);
      // The falsified watch second: the first is the one that may be implied.
      if (l[0] == falsified) std::swap(l[0], l[1]);
      const Lit first = l[0];
      if (first != w.blocker && value(first) == kTrue) {
        ws[keep++] = Watch{w.clause, first};
        continue;
      }
      bool moved = false;
      for (uint32_t k = 2; k < n; ++k) {
        if (value(l[k]) != kFalse) {
          std::swap(l[1], l[k]);
          watches_[l[1]].push_back(Watch{w.clause, first});
          moved = true;
          break;
        }
      }
      if (moved) continue;
      ws[keep++] = Watch{w.clause, first};
      if (value(first) == kFalse) {
        // A conflict: the watches not looked at stay.
        for (++i; i < ws.size(); ++i) ws[keep++] = ws[i];
        ws.resize(keep);
        propagated_ = trail_.size();
        return w.clause;
      }
      if (value(first) == kUnset) assign(first, w.clause);
    }
    ws.resize(keep);
  }
  return kNoClause;
}

uint32_t SatSolver::analyze(ClauseRef conflict, std::vector<Lit>& learnt) {
  learnt.assign(1, 0);  // the asserting literal's place
  uint32_t open = 0;    // literals of the current level still to resolve
  Lit implied = 0;
  bool first_clause = true;
  size_t index = trail_.size();
  ClauseRef clause = conflict;
  for (;;) {
    const Lit* l = lits_of(clause);
    const uint32_t n = size_of(clause);
    // A reason's first literal is the one it implied.
    for (uint32_t k = first_clause ? 0 : 1; k < n; ++k) {
      const uint32_t v = l[k] >> 1;
      if (seen_[v] != 0 || level_of_[v] == 0) continue;
      seen_[v] = 1;
      bump(v);
      if (level_of_[v] == level()) ++open;
      else learnt.push_back(l[k]);
    }
    first_clause = false;
    do {
      --index;
    } while (seen_[trail_[index] >> 1] == 0);
    implied = trail_[index];
    seen_[implied >> 1] = 0;
    if (--open == 0) break;
    clause = reason_[implied >> 1];
  }
  learnt[0] = negate(implied);
  uint32_t back_to = 0;
  size_t highest = 1;
  for (size_t k = 1; k < learnt.size(); ++k) {
    seen_[learnt[k] >> 1] = 0;
    if (level_of_[learnt[k] >> 1] > back_to) {
      back_to = level_of_[learnt[k] >> 1];
      highest = k;
    }
  }
  // The second watch must be the literal that becomes false last.
  if (learnt.size() > 1) std::swap(learnt[1], learnt[highest]);
  return back_to;
}

void SatSolver::backtrack(uint32_t to) {
  if (level() <= to) return;
  const size_t start = trail_limits_[to];
  for (size_t i = trail_.size(); i-- > start;) {
    const uint32_t v = trail_[i] >> 1;
    phase_[v] = value_[v];
    value_[v] = kUnset;
    reason_[v] = kNoClause;
    if (heap_index_[v] < 0) heap_insert(v);
  }
  trail_.resize(start);
  trail_limits_.resize(to);
  propagated_ = start;
}

void SatSolver::bump(uint32_t var) {
  activity_[var] += bump_by_;
  if (activity_[var] > 1e100) {
    for (double& a : activity_) a *= 1e-100;
    bump_by_ *= 1e-100;
  }
  if (heap_index_[var] >= 0) heap_up(static_cast<size_t>(heap_index_[var]));
}

bool SatSolver::decide() {
  while (!heap_.empty()) {
    const uint32_t v = heap_pop();
    if (value_[v] != kUnset) continue;
    trail_limits_.push_back(static_cast<uint32_t>(trail_.size()));
    assign(phase_[v] == kTrue ? pos(v) : neg(v), kNoClause);
    return true;
  }
  return false;
}

SatSolver::Result SatSolver::solve(uint64_t max_conflicts, uint64_t max_visits) {
  if (unsatisfiable_) return Result::kUnsat;
  std::vector<Lit> learnt;
  const uint64_t limit = conflicts_ + max_conflicts;
  const uint64_t visit_limit = max_visits > ~uint64_t{0} - visits_ ? ~uint64_t{0} : visits_ + max_visits;
  uint64_t restarts = 0;
  uint64_t next_restart = conflicts_ + kRestartUnit * luby(restarts);
  for (;;) {
    const ClauseRef conflict = propagate();
    if (conflict != kNoClause) {
      ++conflicts_;
      if (level() == 0) {
        unsatisfiable_ = true;
        return Result::kUnsat;
      }
      const uint32_t back_to = analyze(conflict, learnt);
      backtrack(back_to);
      if (learnt.size() == 1) {
        assign(learnt[0], kNoClause);
      } else {
        const ClauseRef c = store(learnt);
        watch(c);
        assign(learnt[0], c);
      }
      bump_by_ /= kActivityDecay;
      if (conflicts_ >= limit || visits_ >= visit_limit) {
        backtrack(0);
        return Result::kUnknown;
      }
      continue;
    }
    if (conflicts_ >= next_restart) {
      backtrack(0);
      next_restart = conflicts_ + kRestartUnit * luby(++restarts);
    }
    if (!decide()) {
      model_.assign(value_.size(), 0);
      for (uint32_t v = 0; v < value_.size(); ++v) model_[v] = value_[v] == kTrue ? 1 : 0;
      backtrack(0);
      return Result::kSat;
    }
  }
}

void SatSolver::heap_insert(uint32_t var) {
  heap_index_[var] = static_cast<int32_t>(heap_.size());
  heap_.push_back(var);
  heap_up(heap_.size() - 1);
}

uint32_t SatSolver::heap_pop() {
  const uint32_t top = heap_.front();
  heap_index_[top] = -1;
  const uint32_t last = heap_.back();
  heap_.pop_back();
  if (!heap_.empty()) {
    heap_[0] = last;
    heap_index_[last] = 0;
    heap_down(0);
  }
  return top;
}

void SatSolver::heap_up(size_t at) {
  const uint32_t v = heap_[at];
  while (at > 0) {
    const size_t parent = (at - 1) / 2;
    if (activity_[heap_[parent]] >= activity_[v]) break;
    heap_[at] = heap_[parent];
    heap_index_[heap_[at]] = static_cast<int32_t>(at);
    at = parent;
  }
  heap_[at] = v;
  heap_index_[v] = static_cast<int32_t>(at);
}

void SatSolver::heap_down(size_t at) {
  const uint32_t v = heap_[at];
  for (;;) {
    size_t child = 2 * at + 1;
    if (child >= heap_.size()) break;
    if (child + 1 < heap_.size() && activity_[heap_[child + 1]] > activity_[heap_[child]]) ++child;
    if (activity_[heap_[child]] <= activity_[v]) break;
    heap_[at] = heap_[child];
    heap_index_[heap_[at]] = static_cast<int32_t>(at);
    at = child;
  }
  heap_[at] = v;
  heap_index_[v] = static_cast<int32_t>(at);
}

}  // namespace sysfence::verify
