// The per-word constraint solver against brute force.
#include "verify/word_set.h"

#include <gtest/gtest.h>

#include <bit>
#include <cstdint>
#include <random>
#include <vector>

namespace sysfence::verify {
namespace {

constexpr WordOp kAllOps[] = {WordOp::kEq, WordOp::kNe, WordOp::kGt,       WordOp::kGe,
                              WordOp::kLt, WordOp::kLe, WordOp::kMaskedEq, WordOp::kMaskedNe};

TEST(WordAtom, NegateIsComplement) {
  std::mt19937 rng(1);
  for (WordOp op : kAllOps) {
    for (int i = 0; i < 2000; ++i) {
      const uint32_t k = i < 4 ? (i < 2 ? 0u : 0xffffffffu) : rng();
      const uint32_t mask = rng() | (i % 3 == 0 ? 0xffffffffu : 0u);
      const WordAtom a{op, op == WordOp::kMaskedEq || op == WordOp::kMaskedNe ? k & mask : k,
                       op == WordOp::kMaskedEq || op == WordOp::kMaskedNe ? mask : 0xffffffffu};
      for (uint32_t w : {0u, 1u, k, k - 1, k + 1, 0xffffffffu, static_cast<uint32_t>(rng())}) {
        EXPECT_NE(holds(a, w), holds(negate(a), w)) << to_string(a) << " w=" << w;
      }
      EXPECT_EQ(negate(negate(a)), a);
    }
  }
}

TEST(WordAtom, Spelling) {
  EXPECT_EQ(to_string(WordAtom::Eq(0x3b), "nr"), "nr == 0x3b");
  EXPECT_EQ(to_string(WordAtom::MaskedNe(0x40000000, 0)), "(w & 0x40000000) != 0x0");
  EXPECT_EQ(to_string(WordAtom::Le(7)), "w <= 0x7");
}

TEST(WordSet, EmptySetIsSatisfiable) {
  WordSet s;
  EXPECT_EQ(s.check(), Sat::kSat);
  EXPECT_TRUE(s.unconstrained());
  EXPECT_EQ(s.describe(), "");
}

TEST(WordSet, IntervalFullyExcludedIsUnsat) {
  WordSet s;
  s.add(WordAtom::Ge(10));
  s.add(WordAtom::Le(20));
  for (uint32_t v = 10; v < 20; ++v) {
    s.add(WordAtom::Ne(v));
    ASSERT_EQ(s.check(), Sat::kSat);
  }
  EXPECT_EQ(s.witness(), 20u);
  s.add(WordAtom::Ne(20));
  EXPECT_EQ(s.check(), Sat::kUnsat);
}

TEST(WordSet, ContradictoryBoundsAndBits) {
  WordSet a;
  a.add(WordAtom::Gt(0xffffffffu));
  EXPECT_EQ(a.check(), Sat::kUnsat);
  WordSet b;
  b.add(WordAtom::Lt(0));
  EXPECT_EQ(b.check(), Sat::kUnsat);
  WordSet c;
  c.add(WordAtom::MaskedEq(0xf0, 0x30));
  c.add(WordAtom::MaskedEq(0x30, 0x10));
  EXPECT_EQ(c.check(), Sat::kUnsat);
  WordSet d;
  d.add(WordAtom::MaskedEq(0x0f, 0x10));  // datum outside the mask: never
  EXPECT_EQ(d.check(), Sat::kUnsat);
  WordSet e;
  e.add(WordAtom::MaskedNe(0x0f, 0x10));  // always true
  EXPECT_EQ(e.check(), Sat::kSat);
  e.add(WordAtom::MaskedNe(0, 0));  // 0 != 0: never
  EXPECT_EQ(e.check(), Sat::kUnsat);
}

TEST(WordSet, X32BitSplitsTheRange) {
  // nr >= 0x40000000 with bit 30 clear forces bit 31.
  WordSet s;
  s.add(WordAtom::Ge(0x40000000));
  s.add(WordAtom::MaskedEq(0x40000000, 0));
  ASSERT_EQ(s.check(), Sat::kSat);
  EXPECT_GE(s.witness(), 0x80000000u);
  s.add(WordAtom::Lt(0x80000000));
  EXPECT_EQ(s.check(), Sat::kUnsat);
}

TEST(WordSet, WitnessSatisfiesEverything) {
  WordSet s;
  s.add(WordAtom::Gt(0x1000));
  s.add(WordAtom::Lt(0x2000));
  s.add(WordAtom::MaskedNe(0xf, 0x1));
  s.add(WordAtom::MaskedNe(0xf, 0x2));
  s.add(WordAtom::MaskedEq(0x100, 0x100));
  ASSERT_EQ(s.check(), Sat::kSat);
  EXPECT_TRUE(s.contains(s.witness()));
  EXPECT_GT(s.witness(), 0x1000u);
  EXPECT_LT(s.witness(), 0x2000u);
}

// A word confined to 2^n values (1 <= n <= max_free_bits) by fixing all
// other bits, at random positions so that high and low bits both matter:
// the free bits, the fixed bits' values, and every value it can take.
struct ConfinedWord {
  uint32_t free_bits = 0;
  uint32_t fixed = 0;
  std::vector<uint32_t> domain;
};
ConfinedWord confined_word(std::mt19937& rng, unsigned max_free_bits) {
  ConfinedWord c;
  const unsigned n = 1 + rng() % max_free_bits;
  while (static_cast<unsigned>(std::popcount(c.free_bits)) < n) c.free_bits |= 1u << (rng() % 32);
  c.fixed = rng() & ~c.free_bits;
  for (uint32_t x = 0; x < (1u << n); ++x) {
    uint32_t w = c.fixed;
    uint32_t bit = 0;
    for (uint32_t m = c.free_bits; m; m &= m - 1, ++bit)
      if (x & (1u << bit)) w |= m & -m;
    c.domain.push_back(w);
  }
  return c;
}

// Brute force: the word is confined to 2^n values by fixing all other bits
// (at random positions, so high and low bits both matter); then random
// atoms with constants near those values are added one by one and every
// answer is compared with enumeration.
TEST(WordSet, AgreesWithEnumeration) {
  std::mt19937 rng(7);
  int sat = 0;
  int unsat = 0;
  for (int round = 0; round < 3000; ++round) {
    const auto [free_bits, fixed, domain] = confined_word(rng, 9);
    WordSet s;
    s.add(WordAtom::MaskedEq(~free_bits, fixed));
    std::vector<WordAtom> atoms;
    const int count = 1 + static_cast<int>(rng() % 12);
    for (int i = 0; i < count; ++i) {
      const WordOp op = kAllOps[rng() % 8];
      uint32_t k = domain[rng() % domain.size()] + (rng() % 3) - 1;
      uint32_t mask = 0xffffffffu;
      if (op == WordOp::kMaskedEq || op == WordOp::kMaskedNe) {
        mask = rng() % 2 ? (rng() & (free_bits | rng())) : (rng() & free_bits);
        k &= mask;
      }
      const WordAtom a{op, k, mask};
      atoms.push_back(a);
      s.add(a);
      const Sat r = s.check();
      bool any = false;
      for (uint32_t w : domain) {
        bool ok = (w & ~free_bits) == fixed;
        for (const WordAtom& b : atoms) ok = ok && holds(b, w);
        if (ok) any = true;
      }
      ASSERT_NE(r, Sat::kUnknown);
      ASSERT_EQ(r == Sat::kSat, any) << "round " << round << " atom " << to_string(a);
      if (r == Sat::kSat) {
        ASSERT_TRUE(s.contains(s.witness()));
        for (const WordAtom& b : atoms) ASSERT_TRUE(holds(b, s.witness()));
        ++sat;
      } else {
        ++unsat;
        break;
      }
    }
  }
  // Both answers occur often enough for the comparison to mean something.
  EXPECT_GT(sat, 3000);
  EXPECT_GT(unsat, 500);
}

// implies() may decide an atom only when every value of the set agrees:
// checked against the set's values enumerated over a few free bits.
TEST(WordSet, ImpliesAgreesWithEnumeration) {
  std::mt19937 rng(11);
  int decided = 0;
  int probes = 0;
  for (int round = 0; round < 2000; ++round) {
    // Plain variables, not a structured binding: the lambda below captures them.
    const ConfinedWord word = confined_word(rng, 8);
    const uint32_t free_bits = word.free_bits;
    const uint32_t fixed = word.fixed;
    const std::vector<uint32_t>& domain = word.domain;
    auto random_atom = [&] {
      const WordOp op = kAllOps[rng() % 8];
      uint32_t k = domain[rng() % domain.size()] + (rng() % 3) - 1;
      uint32_t mask = 0xffffffffu;
      if (op == WordOp::kMaskedEq || op == WordOp::kMaskedNe) {
        mask = rng() % 2 ? (rng() & (free_bits | rng())) : (rng() & free_bits);
        k &= mask;
        if (rng() % 8 == 0) k |= ~mask & (1u << (rng() % 32));  // a pattern outside the mask: never equal
      }
      return WordAtom{op, k, mask};
    };
    WordSet s;
    s.add(WordAtom::MaskedEq(~free_bits, fixed));
    std::vector<WordAtom> atoms;
    const int count = static_cast<int>(rng() % 6);
    for (int i = 0; i < count; ++i) {
      const WordAtom a = random_atom();
      const WordSet::Undo u = s.add(a);
      if (s.check() != Sat::kSat) {
        s.undo(u);
        continue;
      }
      atoms.push_back(a);
    }
    std::vector<uint32_t> members;
    for (uint32_t w : domain) {
      bool ok = true;
      for (const WordAtom& b : atoms) ok = ok && holds(b, w);
      if (ok) members.push_back(w);
    }
    ASSERT_FALSE(members.empty());
    for (int i = 0; i < 20; ++i) {
      const WordAtom probe = random_atom();
      const Implied got = s.implies(probe);
      size_t holding = 0;
      for (uint32_t w : members) holding += holds(probe, w) ? 1 : 0;
      ++probes;
      if (got == Implied::kUnknown) continue;
      ++decided;
      if (got == Implied::kTrue) ASSERT_EQ(holding, members.size()) << "round " << round << ": " << to_string(probe);
      else ASSERT_EQ(holding, 0u) << "round " << round << ": " << to_string(probe);
    }
  }
  // The check is meaningful only if implies() decides often.
  EXPECT_GT(decided, probes / 4);
}

// A partial-mask clause, which the bounds and known bits cannot express,
// still decides the atom it came from and that atom's negation (the
// proof's walk then takes the branch instead of adding the atom again).
TEST(WordSet, ImpliesReadsAnAddedClause) {
  WordSet s;
  const WordAtom clause = WordAtom::MaskedNe(0xf0f000, 0x5000);
  s.add(clause);
  ASSERT_EQ(s.check(), Sat::kSat);
  EXPECT_EQ(s.implies(clause), Implied::kTrue);
  EXPECT_EQ(s.implies(negate(clause)), Implied::kFalse);
  EXPECT_EQ(s.implies(WordAtom::MaskedNe(0xf0f000, 0x6000)), Implied::kUnknown);
  EXPECT_EQ(s.implies(WordAtom::MaskedNe(0xf0f0f0, 0x5000)), Implied::kUnknown);
  const WordSet::Undo u = s.add(WordAtom::Eq(0x5000));  // contradicts the clause
  EXPECT_EQ(s.check(), Sat::kUnsat);
  s.undo(u);
  EXPECT_EQ(s.implies(clause), Implied::kTrue);
}

// Undo restores exactly the previous set: the same answers for every probe.
TEST(WordSet, UndoRestoresState) {
  std::mt19937 rng(11);
  for (int round = 0; round < 300; ++round) {
    WordSet s;
    std::vector<WordSet::Undo> undos;
    std::vector<WordAtom> atoms;
    std::vector<uint32_t> probes = {0, 1, 0xffffffffu};
    for (int i = 0; i < 20; ++i) probes.push_back(rng() % 64);
    for (int i = 0; i < 16; ++i) {
      const WordOp op = kAllOps[rng() % 8];
      const uint32_t mask =
          (op == WordOp::kMaskedEq || op == WordOp::kMaskedNe) ? static_cast<uint32_t>(rng() % 64) : 0xffffffffu;
      const WordAtom a{op, static_cast<uint32_t>(rng() % 64) & mask, mask};
      atoms.push_back(a);
      undos.push_back(s.add(a));
      s.check();
    }
    while (!atoms.empty()) {
      s.undo(undos.back());
      undos.pop_back();
      atoms.pop_back();
      for (uint32_t p : probes) {
        bool want = true;
        for (const WordAtom& b : atoms) want = want && holds(b, p);
        ASSERT_EQ(s.contains(p), want);
      }
      EXPECT_EQ(s.atom_count(), atoms.size());
    }
    EXPECT_TRUE(s.unconstrained());
  }
}

TEST(SolveCube, AgreesWithEnumeration) {
  std::mt19937 rng(3);
  for (int round = 0; round < 2000; ++round) {
    const uint32_t vars = rng() & 0x0fff;
    std::vector<CubeClause> clauses;
    const int count = static_cast<int>(rng() % 40);
    for (int i = 0; i < count; ++i) {
      uint32_t lits = rng() & vars;
      if (rng() % 2) lits &= rng();
      if (lits == 0) continue;
      clauses.push_back({lits, static_cast<uint32_t>(rng()) & lits});
    }
    uint64_t budget = 1u << 20;
    uint32_t sol = 0;
    const Sat r = solve_cube(vars, clauses, budget, sol);
    bool any = false;
    for (uint32_t x = 0; x <= 0x0fff && !any; ++x) {
      if ((x & ~vars) != 0) continue;
      bool ok = true;
      for (const CubeClause& c : clauses) ok = ok && (x & c.lits) != c.value;
      any = ok;
    }
    ASSERT_EQ(r == Sat::kSat, any);
    if (r == Sat::kSat) {
      EXPECT_EQ(sol & ~vars, 0u);
      for (const CubeClause& c : clauses) EXPECT_NE(sol & c.lits, c.value);
    }
  }
}

// A set that only excludes values within one aligned block of its bounds
// has the witness solve_cube finds for the exclusions' clauses: the full
// walk shows witnesses in counterexamples, so a quicker way to one must
// find the same value.
TEST(WordSet, WitnessOfExclusionsIsSolveCubes) {
  std::mt19937 rng(11);
  int solved = 0;
  for (int round = 0; round < 3000; ++round) {
    const unsigned block_bits = rng() % 2 ? 32 : 2 + rng() % 8;
    const uint32_t free = block_bits == 32 ? 0xffffffffU : (uint32_t{1} << block_bits) - 1;
    const uint32_t base = block_bits == 32 ? 0 : static_cast<uint32_t>(rng()) & ~free;
    const uint32_t sparse = static_cast<uint32_t>(rng());  // a quarter of the bits, known
    const uint32_t known_mask = rng() % 2 ? 0 : sparse & static_cast<uint32_t>(rng()) & free;
    const uint32_t known_bits = static_cast<uint32_t>(rng()) & known_mask;
    WordSet set;
    set.add(WordAtom::Ne(0));  // the first witness: every check below solves
    if (block_bits != 32) {
      set.add(WordAtom::Ge(base));
      set.add(WordAtom::Le(base | free));
    }
    if (known_mask != 0) set.add(WordAtom::MaskedEq(known_mask, known_bits));
    const uint32_t vars = free & ~known_mask;
    const uint32_t low_bits = rng() % 2 ? 0x7 : 0xffffffffU;  // crowded or spread
    const int count = static_cast<int>(rng() % 24);
    for (int i = 0; i < count; ++i)
      set.add(WordAtom::Ne(base | known_bits | (static_cast<uint32_t>(rng()) & vars & low_bits)));
    std::vector<CubeClause> clauses;
    for (const uint32_t e : set.excluded())
      if (((e ^ (base | known_bits)) & (~free | known_mask)) == 0) clauses.push_back({vars, e & vars});
    uint64_t budget = WordSet::kNodeBudget;
    uint32_t sol = 0;
    const Sat expected = clauses.empty() ? Sat::kSat : solve_cube(vars, clauses, budget, sol);
    ASSERT_EQ(set.check(), expected) << "round " << round;
    if (expected == Sat::kSat) {
      EXPECT_EQ(set.witness(), base | known_bits | sol) << "round " << round;
      ++solved;
    }
  }
  EXPECT_GT(solved, 2000);
}

TEST(SolveCube, BudgetExhaustionIsUnknownNotAWrongAnswer) {
  // All 2^4 assignments of 4 variables excluded except by deep search: a
  // budget of one node cannot decide it.
  std::vector<CubeClause> clauses;
  for (uint32_t v = 0; v < 16; ++v) clauses.push_back({0xf, v});
  uint64_t budget = 1;
  uint32_t sol = 0;
  EXPECT_EQ(solve_cube(0xf, clauses, budget, sol), Sat::kUnknown);
  budget = 1000;
  EXPECT_EQ(solve_cube(0xf, clauses, budget, sol), Sat::kUnsat);
}

TEST(WordSet, Describe) {
  WordSet s;
  s.add(WordAtom::Eq(0x3b));
  EXPECT_EQ(s.describe(), "== 0x3b");
  WordSet r;
  r.add(WordAtom::Ge(0x100));
  r.add(WordAtom::Le(0x1ff));
  r.add(WordAtom::Ne(0x105));
  r.add(WordAtom::Ne(0x300));  // outside the range: implied, not shown
  EXPECT_EQ(r.describe(), "0x100..0x1ff, != 0x105");
}

}  // namespace
}  // namespace sysfence::verify
