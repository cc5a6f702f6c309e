#include "verify/sat_proof.h"

#include <algorithm>
#include <array>
#include <cstddef>
#include <map>
#include <optional>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "verify/sat_solver.h"

namespace sysfence::verify {

namespace {

using Lit = SatSolver::Lit;
using Ref = DagPool::Ref;

// The formula of one pair of diagrams (see the header).
class Encoder {
 public:
  Encoder(const DagPool& pool, SatSolver& solver) : pool_(pool), s_(solver) {
    const uint32_t t = s_.new_var();
    true_ = SatSolver::pos(t);
    s_.add_clause({true_});
    for (auto& word : bits_) word.fill(kNone);
  }

  // The nodes of the diagram at `root` passed by the input's path, by node;
  // its leaves by action (one leaf per action in the pool).
  std::unordered_map<Ref, Lit> passes(Ref root) {
    std::unordered_map<Ref, Lit> passed;
    std::vector<Ref> order;  // every node and leaf, parents before children
    topological(root, order);
    std::unordered_map<Ref, std::vector<Lit>> into;
    for (const Ref r : order) {
      const Lit here = r == root ? true_ : or_of(into[r]);
      passed.emplace(r, here);
      into.erase(r);
      if (DagPool::is_leaf(r)) continue;
      const DagPool::Node n = pool_.at(r);
      const Lit test = atom(n.word, n.atom);
      into[n.if_true].push_back(and_of(here, test));
      into[n.if_false].push_back(and_of(here, SatSolver::negate(test)));
    }
    return passed;
  }

  // The input word `w`, from a model of the solver.
  uint32_t word_value(unsigned w) const {
    uint32_t v = 0;
    for (unsigned i = 0; i < 32; ++i) {
      if (bits_[w][i] != kNone && s_.model_value(bits_[w][i] >> 1)) v |= uint32_t{1} << i;
    }
    return v;
  }

  Lit and_of(Lit a, Lit b) {
    const Lit x = fresh();
    s_.add_clause({SatSolver::negate(x), a});
    s_.add_clause({SatSolver::negate(x), b});
    s_.add_clause({x, SatSolver::negate(a), SatSolver::negate(b)});
    return x;
  }

  Lit or_of(const std::vector<Lit>& lits) {
    if (lits.size() == 1) return lits.front();
    if (lits.size() > kMaxFanIn) {
      // A tree of short disjunctions: unit propagation looks through a long
      // clause again at every assignment that falsifies one of its watches
      // (a leaf with hundreds of branches into it).
      std::vector<Lit> parts;
      for (size_t i = 0; i < lits.size(); i += kMaxFanIn) {
        const auto end = lits.begin() + static_cast<std::ptrdiff_t>(std::min(lits.size(), i + kMaxFanIn));
        parts.push_back(or_of(std::vector<Lit>(lits.begin() + static_cast<std::ptrdiff_t>(i), end)));
      }
      return or_of(parts);
    }
    const Lit x = fresh();
    std::vector<Lit> clause = {SatSolver::negate(x)};
    for (const Lit l : lits) {
      clause.push_back(l);
      s_.add_clause({x, SatSolver::negate(l)});
    }
    s_.add_clause(clause);
    return x;
  }

  Lit true_lit() const { return true_; }

 private:
  static constexpr Lit kNone = ~Lit{0};
  static constexpr size_t kMaxFanIn = 8;

  Lit fresh() { return SatSolver::pos(s_.new_var()); }

  Lit bit(unsigned w, unsigned i) {
    if (bits_[w][i] == kNone) bits_[w][i] = fresh();
    return bits_[w][i];
  }

  // Parents before children (reverse postorder), iteratively: a diagram
  // may be of any depth (deeper than the walk takes: kMaxDiagramDepth).
  void topological(Ref root, std::vector<Ref>& order) {
    std::vector<Ref> post;
    std::unordered_map<Ref, bool> visited;
    std::vector<std::pair<Ref, bool>> stack = {{root, false}};
    while (!stack.empty()) {
      const auto [r, done] = stack.back();
      stack.pop_back();
      if (done) {
        post.push_back(r);
        continue;
      }
      if (visited[r]) continue;
      visited[r] = true;
      stack.emplace_back(r, true);
      if (DagPool::is_leaf(r)) continue;
      const DagPool::Node n = pool_.at(r);
      stack.emplace_back(n.if_false, false);
      stack.emplace_back(n.if_true, false);
    }
    order.assign(post.rbegin(), post.rend());
  }

  // The test `atom` on word `w`, one variable per distinct test.
  Lit atom(unsigned w, const WordAtom& a) {
    switch (a.op) {
      case WordOp::kEq: return masked_eq(w, 0xffffffffU, a.k);
      case WordOp::kNe: return SatSolver::negate(masked_eq(w, 0xffffffffU, a.k));
      case WordOp::kMaskedEq: return masked_eq(w, a.mask, a.k);
      case WordOp::kMaskedNe: return SatSolver::negate(masked_eq(w, a.mask, a.k));
      case WordOp::kGt: return greater(w, a.k);
      case WordOp::kLe: return SatSolver::negate(greater(w, a.k));
      case WordOp::kGe: return a.k == 0 ? true_ : greater(w, a.k - 1);
      case WordOp::kLt: return a.k == 0 ? SatSolver::negate(true_) : SatSolver::negate(greater(w, a.k - 1));
    }
    return true_;
  }

  // (w & mask) == k: the conjunction of the bits it fixes.
  Lit masked_eq(unsigned w, uint32_t mask, uint32_t k) {
    if ((k & ~mask) != 0) return SatSolver::negate(true_);  // no value has it
    if (mask == 0) return true_;
    const auto key = std::make_tuple(w, uint8_t{0}, mask, k);
    if (const auto it = tests_.find(key); it != tests_.end()) return it->second;
    const Lit x = fresh();
    std::vector<Lit> all = {x};
    for (unsigned i = 0; i < 32; ++i) {
      if ((mask >> i & 1) == 0) continue;
      const Lit b = (k >> i & 1) != 0 ? bit(w, i) : SatSolver::negate(bit(w, i));
      s_.add_clause({SatSolver::negate(x), b});
      all.push_back(SatSolver::negate(b));
    }
    s_.add_clause(all);
    tests_.emplace(key, x);
    return x;
  }

  // w > k, unsigned: over the bits from the lowest up, "w's bits up to i
  // exceed k's" is w_i or the lower bits exceed where k_i is 0, w_i and
  // the lower bits exceed where k_i is 1 (false below the first bit).
  Lit greater(unsigned w, uint32_t k) {
    if (k == 0xffffffffU) return SatSolver::negate(true_);
    const auto key = std::make_tuple(w, uint8_t{1}, uint32_t{0}, k);
    if (const auto it = tests_.find(key); it != tests_.end()) return it->second;
    bool is_false = true;  // the lower bits never exceed: nothing built yet
    Lit lower = 0;
    for (unsigned i = 0; i < 32; ++i) {
      const Lit b = bit(w, i);
      if ((k >> i & 1) == 0) {
        lower = is_false ? b : or_of({b, lower});
        is_false = false;
      } else if (!is_false) {
        lower = and_of(b, lower);
      }
    }
    // k < 0xffffffff has a 0 bit, so the chain is built.
    tests_.emplace(key, lower);
    return lower;
  }

  const DagPool& pool_;
  SatSolver& s_;
  Lit true_ = 0;
  std::array<std::array<Lit, 32>, kWordCount> bits_{};
  std::map<std::tuple<unsigned, uint8_t, uint32_t, uint32_t>, Lit> tests_;
};

// The action the diagram at `r` decides for `input`.
Ref leaf_for(const DagPool& pool, Ref r, const SeccompWords& input) {
  while (!DagPool::is_leaf(r)) {
    const DagPool::Node n = pool.at(r);
    r = holds(n.atom, input[n.word]) ? n.if_true : n.if_false;
  }
  return r;
}

}  // namespace

SatProof prove_by_sat(const DagPool& pool, Ref a, Ref b, uint64_t max_conflicts, uint64_t max_visits) {
  SatProof proof;
  SatSolver solver;
  Encoder enc(pool, solver);
  const std::unordered_map<Ref, Lit> in_a = enc.passes(a);
  const std::unordered_map<Ref, Lit> in_b = enc.passes(b);
  // For each action of a leaf of A: A decides it and B does not. Every
  // input reaches one leaf of each, so the two differ exactly when one of
  // these holds.
  std::vector<Lit> differs;
  for (const auto& [r, passed] : in_a) {
    if (!DagPool::is_leaf(r)) continue;
    const auto other = in_b.find(r);
    differs.push_back(other == in_b.end() ? passed : enc.and_of(passed, SatSolver::negate(other->second)));
  }
  solver.add_clause(differs);
  const SatSolver::Result result = solver.solve(max_conflicts, max_visits);
  proof.conflicts = solver.conflicts();
  proof.variables = solver.var_count();
  proof.clauses = solver.clause_count();
  if (result == SatSolver::Result::kUnsat) {
    proof.proved = true;
  } else if (result == SatSolver::Result::kSat) {
    // Only a difference the diagrams themselves confirm counts.
    SeccompWords input{};
    for (unsigned w = 0; w < kWordCount; ++w) input[w] = enc.word_value(w);
    proof.different = pool.action(leaf_for(pool, a, input)) != pool.action(leaf_for(pool, b, input));
    if (proof.different) proof.witness = input;
  }
  return proof;
}

SatProof prove_by_sat(const Procedure& a, const Procedure& b, uint64_t max_conflicts, uint64_t max_visits) {
  DagPool pool;
  const std::optional<DagPool::Ref> ra = a.to_diagram(pool);
  if (!ra) return {};
  const std::optional<DagPool::Ref> rb = b.to_diagram(pool);
  if (!rb) return {};
  return prove_by_sat(pool, *ra, *rb, max_conflicts, max_visits);
}

}  // namespace sysfence::verify
