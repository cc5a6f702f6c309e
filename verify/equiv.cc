#include "verify/equiv.h"

#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <set>
#include <span>
#include <string_view>
#include <tuple>
#include <utility>

#include "bpf/insn.h"
#include "verify/dag_pool.h"
#include "verify/sat_proof.h"
#include "verify/sym_value.h"

namespace sysfence::verify {

namespace {

constexpr size_t kMaxUnsupportedReported = 32;
// Regions outside the fragment kept for targeted testing.
constexpr size_t kMaxTestRegions = 4096;

class ProductWalk {
 public:
  ProductWalk(const Procedure& a, const Procedure& b, const EquivOptions& o, EquivResult& r)
      : a_(a), b_(b), options_(o), result_(r) {}

  void run() {
    state_.set_step_budget(options_.max_steps);
    a_.walk(state_, [this](const Outcome& oa) { return on_a_leaf(oa); });
    result_.word_constraints = state_.atoms_added();
  }

  bool budget_exhausted() const { return budget_exhausted_; }
  bool step_budget_spent() const { return state_.step_budget_spent(); }
  // The regions the walk could not decide (for the testing fallback).
  const std::vector<std::array<WordSet, kWordCount>>& test_regions() const { return test_regions_; }

 private:
  Walk on_a_leaf(const Outcome& oa) {
    // Paths of A count against the budget too, compared or not.
    if (++a_leaves_ > options_.max_paths) {
      budget_exhausted_ = true;
      return Walk::kStop;
    }
    if (oa.kind == Outcome::Kind::kUnsupported) {
      note_unsupported(0, a_, oa);
      // A's answer here is unknown symbolically; B's paths split the region
      // into parts where B's behaviour is fixed, and each part is tested.
      b_.walk(state_, [this](const Outcome& ob) {
        if (ob.kind == Outcome::Kind::kUnsupported) note_unsupported(1, b_, ob);
        return keep_test_region() ? Walk::kContinue : Walk::kStop;
      });
      return Walk::kContinue;
    }
    return b_.walk(state_, [this, &oa](const Outcome& ob) { return on_pair(oa, ob); });
  }

  Walk on_pair(const Outcome& oa, const Outcome& ob) {
    if (ob.kind == Outcome::Kind::kUnsupported) {
      note_unsupported(1, b_, ob);
      keep_test_region();
      return Walk::kContinue;
    }
    // Action bits that differ on the whole region: a known kind against
    // another kind or against no known action at all.
    if (oa.action.known() != ob.action.known()) return differ(oa, ob);
    if (oa.action.known() && oa.action.kind != ob.action.kind) return differ(oa, ob);
    if (!oa.symbolic_ret && !ob.symbolic_ret) return oa.action == ob.action ? agree() : differ(oa, ob);
    if (oa.symbolic_ret && ob.symbolic_ret && oa.value == ob.value) return agree();
    if (!oa.symbolic_ret) return compare_value(oa, ob, ob.value, encode(oa.action));
    if (!ob.symbolic_ret) return compare_value(oa, ob, oa.value, encode(ob.action));
    return compare_symbolic_values(oa, ob);
  }

  // Both return values depend on the input, differently: enumerate the
  // values A's takes in this region, each as a sub-region (each one more
  // exclusion on the word, so the cost grows with the square of the count).
  // Past kMaxValues the rest of the region is left to testing.
  Walk compare_symbolic_values(const Outcome& oa, const Outcome& ob) {
    constexpr uint32_t kMaxValues = 4096;
    const size_t start = state_.mark();
    for (uint32_t n = 0;; ++n) {
      if (n == kMaxValues) {
        note_unsupported(1, b_, with_reason(ob, "more than 4096 return values to compare one by one"));
        keep_test_region();
        break;
      }
      const uint32_t v = oa.value.eval(state_.witness());
      const SymCondition c = translate_jump(bpf::kJeq, oa.value, v);
      const size_t mark = state_.mark();
      if (c.kind == SymCondition::Kind::kAtom) state_.add(c.word, c.atom);  // the witness satisfies it
      Walk w = compare_value(oa, ob, ob.value, v);
      state_.undo_to(mark);
      if (w == Walk::kStop || c.kind != SymCondition::Kind::kAtom) {
        state_.undo_to(start);
        return w;
      }
      const Sat s = state_.add(c.word, negate(c.atom));
      if (s != Sat::kSat) {
        if (s == Sat::kUnknown) note_solver_budget(ob);
        break;
      }
    }
    state_.undo_to(start);
    return Walk::kContinue;
  }

  // `symbolic` is one side's input-dependent return value and `concrete`
  // the other side's (or one value of it).
  Walk compare_value(const Outcome& oa, const Outcome& ob, const SymValue& symbolic, uint32_t concrete) {
    const SymCondition c = translate_jump(bpf::kJeq, symbolic, concrete);
    if (c.kind == SymCondition::Kind::kTrue) return agree();
    if (c.kind == SymCondition::Kind::kFalse) return differ(oa, ob);
    const size_t mark = state_.mark();
    Sat s = state_.add(c.word, c.atom);
    Walk w = Walk::kContinue;
    if (s == Sat::kSat) w = agree();
    if (s == Sat::kUnknown) note_solver_budget(ob);
    state_.undo_to(mark);
    if (w == Walk::kStop) return w;
    s = state_.add(c.word, negate(c.atom));
    if (s == Sat::kSat) w = differ(oa, ob);
    if (s == Sat::kUnknown) note_solver_budget(ob);
    state_.undo_to(mark);
    return w;
  }

  Walk agree() {
    if (++result_.paths > options_.max_paths) {
      budget_exhausted_ = true;
      return Walk::kStop;
    }
    return Walk::kContinue;
  }

  // The current region is decided differently: confirm on a concrete input
  // inside it before anything is reported.
  Walk differ(const Outcome& oa, const Outcome& ob) {
    if (agree() == Walk::kStop) return Walk::kStop;
    const SeccompWords input = state_.witness();
    const Action ea = leaf_action(oa, input);
    const Action eb = leaf_action(ob, input);
    const Action ra = a_.run(input);
    const Action rb = b_.run(input);
    if (ra != ea || rb != eb || ra == rb) {
      result_.internal_errors.push_back(
          fmt::format("symbolic and concrete evaluation disagree: A {} vs {} ({}), B {} vs {} ({})", to_string(ea),
                      to_string(ra), a_.describe(oa), to_string(eb), to_string(rb), b_.describe(ob)));
      return Walk::kContinue;
    }
    Mismatch m;
    m.input = input;
    m.a_action = ra;
    m.b_action = rb;
    m.a_where = a_.describe(oa);
    m.b_where = b_.describe(ob);
    m.region_known = true;
    m.region = state_.words();
    result_.mismatches.push_back(std::move(m));
    if (result_.mismatches.size() < options_.max_mismatches) return Walk::kContinue;
    result_.mismatch_limit_reached = true;
    return Walk::kStop;
  }

  void note_solver_budget(const Outcome& ob) {
    note_unsupported(1, b_, with_reason(ob, "the constraint solver's search budget ran out comparing return values"));
  }

  static Outcome with_reason(const Outcome& leaf, std::string reason) {
    Outcome o = leaf;
    o.kind = Outcome::Kind::kUnsupported;
    o.reason = std::move(reason);
    return o;
  }

  // Remembers the current region for the testing fallback; false when the
  // collection is full.
  bool keep_test_region() {
    if (test_regions_.size() >= kMaxTestRegions) return false;
    test_regions_.push_back(state_.words());
    return true;
  }

  void note_unsupported(int side, const Procedure& p, const Outcome& o) {
    auto key = std::make_tuple(side, o.where, o.reason);
    if (!seen_.insert(key).second || result_.unsupported.size() >= kMaxUnsupportedReported) return;
    result_.unsupported.push_back(UnsupportedPath{side, o.where, p.describe(o)});
  }

  const Procedure& a_;
  const Procedure& b_;
  const EquivOptions& options_;
  EquivResult& result_;
  PathState state_;
  bool budget_exhausted_ = false;
  uint64_t a_leaves_ = 0;
  std::vector<std::array<WordSet, kWordCount>> test_regions_;
  std::set<std::tuple<int, uint32_t, std::string>> seen_;
};

// Sorted, unique boundary values: each constant and its neighbours, plus
// the values where unsigned and signed views change.
std::vector<uint32_t> boundary_values(const std::vector<uint32_t>& constants, size_t cap) {
  std::set<uint32_t> s = {0, 1, 0x7fffffffU, 0x80000000U, 0xffffffffU};
  for (uint32_t k : constants) {
    if (s.size() >= cap) break;
    s.insert(k - 1);
    s.insert(k);
    s.insert(k + 1);
  }
  return {s.begin(), s.end()};
}

// splitmix64: a tiny, fast generator for test inputs (the fallback needs
// volume, not statistical quality).
class SplitMix {
 public:
  explicit SplitMix(uint64_t seed) : state_(seed) {}
  uint64_t operator()() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

 private:
  uint64_t state_;
};

// A value for word `w` inside region set `s`, near `base` (which is in it):
// pool constants, the set's bounds, random values with its known bits, small
// steps — each kept only when the set contains it.
uint32_t sample_in(const WordSet& s, uint32_t base, SplitMix& rng, const std::vector<uint32_t>& pool) {
  uint32_t v = base;
  switch (rng() % 8) {
    case 0:
    case 1: return base;
    case 2:
    case 3:
    case 4: v = pool[rng() % pool.size()]; break;
    case 5: v = (rng() & 1) ? s.lo() : s.hi(); break;
    case 6: v = (static_cast<uint32_t>(rng()) & ~s.known_mask()) | s.known_bits(); break;
    default: v = base + static_cast<uint32_t>(rng() % 5) - 2; break;
  }
  return s.contains(v) ? v : base;
}

}  // namespace

// NOLINTNEXTLINE(readability-function-size): left whole while verify/equiv.cc changes on another branch.
void for_each_test_input(const Procedure& a, const Procedure& b,
                         std::span<const std::array<WordSet, kWordCount>> regions, uint64_t budget, uint64_t seed,
                         const std::function<bool(const SeccompWords&)>& visit) {
  WordConstants c;
  a.collect_constants(c);
  b.collect_constants(c);
  std::array<std::vector<uint32_t>, kWordCount> values;
  std::vector<uint32_t> all;
  for (unsigned w = 0; w < kWordCount; ++w) {
    std::vector<uint32_t> k = c.per_word[w];
    // Constants whose word is unknown could be compared with any word.
    k.insert(k.end(), c.any.begin(), c.any.end());
    values[w] = boundary_values(k, 4096);
    all.insert(all.end(), values[w].begin(), values[w].end());
  }
  std::sort(all.begin(), all.end());
  all.erase(std::unique(all.begin(), all.end()), all.end());

  uint64_t used = 0;
  bool stopped = false;
  auto emit = [&](const SeccompWords& in) {
    if (stopped || used >= budget) return false;
    ++used;
    if (!visit(in)) stopped = true;
    return !stopped;
  };
  SplitMix rng(seed);

  // 0. The regions the walk could not decide: only inputs there can differ.
  //    Each region's witness, then variations that stay inside it.
  if (!regions.empty()) {
    const uint64_t share = std::max<uint64_t>(16, (budget - budget / 4) / regions.size());
    for (const auto& region : regions) {
      SeccompWords base{};
      for (unsigned w = 0; w < kWordCount; ++w) base[w] = region[w].witness();
      if (!emit(base)) return;
      for (uint64_t i = 1; i < share; ++i) {
        SeccompWords in = base;
        for (unsigned w = 0; w < kWordCount; ++w) in[w] = sample_in(region[w], base[w], rng, all);
        if (!emit(in)) return;
      }
    }
  }
  // The rest of the budget: a third per phase (the last takes what is left).
  const uint64_t phase_end_1 = used + (budget - used) / 3;
  // Syscall numbers: every small number up to just past the largest small
  // constant (exhaustive over the range tables use), plus the boundaries.
  std::set<uint32_t> nrs(values[0].begin(), values[0].end());
  uint32_t small_max = 0;
  for (uint32_t v : values[0])
    if (v < 0x10000) small_max = std::max(small_max, v);
  for (uint32_t n = 0; n <= std::min<uint32_t>(small_max + 2, 0x10000); ++n) nrs.insert(n);
  const std::vector<uint32_t> nr_values(nrs.begin(), nrs.end());
  const std::vector<uint32_t>& arch_values = values[1];

  // 1. arch x nr.
  for (uint32_t arch : arch_values) {
    for (uint32_t nr : nr_values) {
      if (used >= phase_end_1) break;
      SeccompWords in{};
      in[0] = nr;
      in[1] = arch;
      if (!emit(in)) return;
    }
  }
  // 2. one other word at a time, for every arch and every syscall number
  // some side compares with (and its neighbours), for the words compared.
  const uint64_t phase_end_2 = used + (budget - used) / 2;
  for (uint32_t arch : arch_values) {
    for (uint32_t nr : values[0]) {
      for (unsigned w = 2; w < kWordCount; ++w) {
        if (c.per_word[w].empty() && c.any.empty()) continue;
        for (uint32_t v : values[w]) {
          if (used >= phase_end_2) break;
          if (v == 0) continue;
          SeccompWords in{};
          in[0] = nr;
          in[1] = arch;
          in[w] = v;
          if (!emit(in)) return;
        }
      }
    }
  }
  // 3. random mixes.
  auto pick = [&](const std::vector<uint32_t>& v) { return v[rng() % v.size()]; };
  for (;;) {
    SeccompWords in{};
    in[0] = pick(nr_values);
    in[1] = pick(arch_values);
    for (unsigned w = 2; w < kWordCount; ++w) {
      const uint64_t r = rng() % 8;
      in[w] = r < 2 ? static_cast<uint32_t>(rng()) : r == 2 ? 0 : r < 6 ? pick(values[w]) : pick(all);
    }
    if (!emit(in)) return;
  }
}

namespace {

// Joint paths the plain walk may take before the diagrams' walk is tried:
// a profile without argument-heavy syscalls (Docker's default: about 1,200)
// is proved fastest by the plain walk, whose result then stands as it is.
constexpr uint64_t kPlainWalkPaths = 2048;

// The diagrams' walk's leaf pairs before the satisfiability search is
// tried, and the search's bounds: conflicts, and clauses looked at by its
// unit propagation (about 5 instructions each: a second or two at most).
constexpr uint64_t kWalkBeforeSearch = 25'000;
// And its work (DagPool::work + StateKeys::work): the generated profiles of
// up to 700 argument conditions take at most 178,202, 400 rules on flag
// masks 344M in their first 25,000 leaf pairs (9 s).
constexpr uint64_t kWorkBeforeSearch = 4'000'000;
// Before that, a walk of a seventh of that work and a short search: rules
// on flag masks are the search's (100 of them: the walk spent 50 of the
// proof's 62 ms and 450 KiB to give up at 4M, the search proves them in 884
// conflicts), the generated profiles of argument conditions stay the
// walk's (the search took 1.5 s on 700 of them), and a pair between the two
// pays at most this walk and a search of kWitnessVisits again.
constexpr uint64_t kWorkBeforeQuickSearch = 600'000;
constexpr uint64_t kSearchConflicts = 200'000;
constexpr uint64_t kSearchVisits = 400'000'000;
// The search for an input after the walk met a difference: a model of a
// satisfiable formula takes far fewer steps than a proof (a twentieth of a
// second at most on a pair whose explaining walk is cheap anyway).
constexpr uint64_t kWitnessVisits = 20'000'000;

// A difference found on one input, with no region (`where` says how).
Mismatch concrete_mismatch(const SeccompWords& input, Action a_action, Action b_action, std::string_view where) {
  Mismatch m;
  m.input = input;
  m.a_action = a_action;
  m.b_action = b_action;
  m.a_where = std::string(where);
  m.b_where = std::string(where);
  return m;
}

// The verdict of a finished product walk, and the testing fallback when it
// is not a proof.
EquivResult conclude(const Procedure& a, const Procedure& b, const EquivOptions& options, const ProductWalk& walk,
                     EquivResult result) {
  result.proved = result.unsupported.empty() && !walk.budget_exhausted() && result.internal_errors.empty();
  if (!result.proved) {
    if (walk.budget_exhausted())
      result.not_proved_reason = fmt::format("the walk stopped after {} joint paths (budget)", options.max_paths);
    else if (walk.step_budget_spent())
      result.not_proved_reason = fmt::format("the walk stopped after {} instructions (budget)", options.max_steps);
    else if (!result.unsupported.empty())
      result.not_proved_reason = fmt::format("{} path end(s) outside the symbolic fragment", result.unsupported.size());
    else result.not_proved_reason = "internal inconsistency between symbolic and concrete evaluation";
  }
  if (!result.mismatches.empty()) {
    result.verdict = EquivResult::Verdict::kDifferent;
    return result;
  }
  if (result.proved) {
    result.verdict = EquivResult::Verdict::kEquivalent;
    return result;
  }
  // Not a proof: test, and say so.
  result.tested = true;
  // Long programs (a stack of large filters) get fewer inputs: the tests
  // run at most max_steps instructions.
  const uint64_t inputs = std::min(options.test_budget, options.max_steps / (a.run_cost() + b.run_cost()));
  // One input per arch, number and pair of answers: the tests aim at the
  // constants both sides compare, and thousands of inputs that differ only
  // in words neither reads are one difference, listed once (so that the
  // others, on other answers, are listed too).
  std::set<std::tuple<uint32_t, uint32_t, uint32_t, uint32_t>> seen;
  for_each_test_input(a, b, walk.test_regions(), inputs, options.seed, [&](const SeccompWords& in) {
    ++result.tests_run;
    const Action ra = a.run(in);
    const Action rb = b.run(in);
    if (ra == rb) return true;
    if (!seen.emplace(in[kOffsetArch / 4], in[kOffsetNr / 4], encode(ra), encode(rb)).second) return true;
    result.mismatches.push_back(concrete_mismatch(in, ra, rb, "(found by testing)"));
    if (result.mismatches.size() < options.max_mismatches) return true;
    result.mismatch_limit_reached = true;
    return false;
  });
  result.verdict = result.mismatches.empty() ? EquivResult::Verdict::kUndecided : EquivResult::Verdict::kDifferent;
  return result;
}

// The search's input, when neither the walk nor the tests found one (a
// difference past the walk's budget, in a region random inputs rarely
// reach): confirmed on both procedures like every other.
void add_search_witness(const Procedure& a, const Procedure& b, const SeccompWords& witness, EquivResult& result) {
  const Action ra = a.run(witness);
  const Action rb = b.run(witness);
  if (ra == rb) return;
  result.mismatches.push_back(concrete_mismatch(witness, ra, rb, "(found by the satisfiability search)"));
  result.verdict = EquivResult::Verdict::kDifferent;
  result.found_by_search = true;
}

EquivResult proved_result(uint64_t paths, uint64_t atoms, uint64_t conflicts) {
  EquivResult result;
  result.verdict = EquivResult::Verdict::kEquivalent;
  result.proved = true;
  result.paths = paths;
  result.word_constraints = atoms;
  result.sat_conflicts = conflicts;
  return result;
}

// The diagrams' walk, then, when it runs out of budget, the satisfiability
// search, then the walk again with the whole budget; the result when one
// of them proves the pair. The first walk's budget (leaf pairs, and
// work) is ten times or more what proving the generated profiles of up to
// 700 argument conditions takes (at most 2,232 leaf pairs) and far below
// what 200 rules on flag masks took (1,069,151 leaf pairs, 2.2 s, where
// the search needs 1,308 conflicts, 0.04 s); it comes in two steps, a
// short search between them (kWorkBeforeQuickSearch). Diagrams deeper than
// the walk takes (kMaxDiagramDepth: 600 rules on flag masks on one
// syscall) go to the search alone, with its whole budget.
std::optional<EquivResult> prove_fast(const Procedure& a, const Procedure& b, const EquivOptions& options,
                                      std::optional<SeccompWords>& witness) {
  std::optional<DagPool> pool(std::in_place);
  const std::optional<DagPool::Ref> ra = a.to_diagram(*pool);
  if (!ra) return std::nullopt;
  const std::optional<DagPool::Ref> rb = b.to_diagram(*pool);
  if (!rb) return std::nullopt;
  const uint64_t max_pairs = std::min(options.max_paths, kWalkBeforeSearch);
  DiagramProof walk = prove_by_diagrams(*pool, *ra, *rb, max_pairs, DiagramMemory{}, kWorkBeforeQuickSearch);
  if (walk.proved) return proved_result(walk.leaf_pairs, walk.atoms, 0);
  // Not within a budget smaller than the first walk's (a caller that wants
  // little work). After a difference the walk met, the search finds an
  // input for it: the walk that explains differences may not reach it.
  if (options.max_paths < kWalkBeforeSearch) return std::nullopt;
  // A walk that ran has changed the pool (its collections may have freed
  // the roots): it goes before the search builds the diagrams anew, so
  // that the two are never held at once. One that found the diagrams too
  // deep has not: the search takes them as they are.
  if (!walk.too_deep) pool.reset();
  if (walk.over_budget) {
    const SatProof quick = prove_by_sat(a, b, kSearchConflicts, kWitnessVisits);
    if (quick.proved) return proved_result(walk.leaf_pairs, walk.atoms, quick.conflicts);
    if (quick.different) {
      witness = quick.witness;
      return std::nullopt;
    }
    walk = prove_by_diagrams(a, b, max_pairs, DiagramMemory{}, kWorkBeforeSearch);
    if (walk.proved) return proved_result(walk.leaf_pairs, walk.atoms, 0);
  }
  const SatProof search = walk.too_deep
                              ? prove_by_sat(*pool, *ra, *rb, kSearchConflicts, kSearchVisits)
                              : prove_by_sat(a, b, kSearchConflicts, walk.over_budget ? kSearchVisits : kWitnessVisits);
  if (search.proved) return proved_result(walk.leaf_pairs, walk.atoms, search.conflicts);
  if (search.different) witness = search.witness;
  if (!walk.over_budget || search.different || options.max_paths <= kWalkBeforeSearch) return std::nullopt;
  const DiagramProof whole = prove_by_diagrams(a, b, options.max_paths);
  if (whole.proved) return proved_result(whole.leaf_pairs, whole.atoms, 0);
  return std::nullopt;
}

}  // namespace

EquivResult check_equivalent(const Procedure& a, const Procedure& b, const EquivOptions& options) {
  if (options.diagrams == EquivOptions::Diagrams::kAuto && options.max_paths > kPlainWalkPaths) {
    EquivOptions small = options;
    small.max_paths = kPlainWalkPaths;
    EquivResult result;
    ProductWalk walk(a, b, small, result);
    walk.run();
    if (!walk.budget_exhausted()) return conclude(a, b, options, walk, std::move(result));
  }
  // Larger pairs are mostly equal (every compile proves its output): the
  // diagrams' memoized walk proves them without enumerating joint paths,
  // and the satisfiability search those it cannot finish. Anything else
  // takes the full walk, which explains it.
  std::optional<SeccompWords> witness;
  if (options.diagrams != EquivOptions::Diagrams::kNever) {
    if (std::optional<EquivResult> proved = prove_fast(a, b, options, witness)) return std::move(*proved);
  }
  EquivResult result;
  ProductWalk walk(a, b, options, result);
  walk.run();
  result = conclude(a, b, options, walk, std::move(result));
  if (witness && result.verdict != EquivResult::Verdict::kDifferent) add_search_witness(a, b, *witness, result);
  return result;
}

}  // namespace sysfence::verify
