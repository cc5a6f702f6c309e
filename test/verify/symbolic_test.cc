// The symbolic BPF executor: register values, jump translation, and path
// walks checked against the interpreter.
#include "verify/symbolic.h"

#include <gtest/gtest.h>

#include <bit>

#include <map>
#include <random>
#include <set>
#include <vector>

#include "bpf/interp.h"
#include "test/bpf/random_program.h"

namespace sysfence::verify {
namespace {

constexpr uint16_t kJumpOps[] = {bpf::kJeq, bpf::kJgt, bpf::kJge, bpf::kJset};

bool concrete_jump(uint16_t op, uint32_t a, uint32_t k) {
  switch (op) {
    case bpf::kJeq: return a == k;
    case bpf::kJgt: return a > k;
    case bpf::kJge: return a >= k;
    case bpf::kJset: return (a & k) != 0;
  }
  return false;
}

// A random value in the fragment, together with the concrete function it
// denotes, built from a random chain of and/or/xor/lsh/rsh.
struct RandomValue {
  SymValue sym;
  std::vector<std::pair<uint16_t, uint32_t>> ops;
  uint32_t apply(uint32_t w) const {
    for (auto [op, k] : ops) {
      switch (op) {
        case bpf::kAnd: w &= k; break;
        case bpf::kOr: w |= k; break;
        case bpf::kXor: w ^= k; break;
        case bpf::kLsh: w <<= k; break;
        case bpf::kRsh: w >>= k; break;
      }
    }
    return w;
  }
};

RandomValue random_value(std::mt19937& rng) {
  RandomValue v{SymValue::input(4), {}};
  const int n = static_cast<int>(rng() % 5);
  for (int i = 0; i < n; ++i) {
    const uint16_t ops[] = {bpf::kAnd, bpf::kOr, bpf::kXor, bpf::kLsh, bpf::kRsh};
    const uint16_t op = ops[rng() % 5];
    auto k = static_cast<uint32_t>(rng());
    if (op == bpf::kLsh || op == bpf::kRsh) k %= 32;
    else if (rng() % 2) k &= static_cast<uint32_t>(rng());  // sparse masks
    switch (op) {
      case bpf::kAnd: v.sym = sym_and(v.sym, k); break;
      case bpf::kOr: v.sym = sym_or(v.sym, k); break;
      case bpf::kXor: v.sym = sym_xor(v.sym, k); break;
      case bpf::kLsh: v.sym = sym_lsh(v.sym, k); break;
      case bpf::kRsh: v.sym = sym_rsh(v.sym, k); break;
    }
    v.ops.emplace_back(op, k);
  }
  return v;
}

TEST(SymValue, EvalMatchesConcreteOperations) {
  std::mt19937 rng(5);
  for (int round = 0; round < 5000; ++round) {
    const RandomValue v = random_value(rng);
    for (int i = 0; i < 20; ++i) {
      SeccompWords in{};
      in[4] = static_cast<uint32_t>(rng());
      ASSERT_EQ(v.sym.eval(in), v.apply(in[4])) << v.sym.to_string();
    }
  }
}

TEST(SymValue, Spelling) {
  EXPECT_EQ(SymValue::constant(0x7fff0000).to_string(), "0x7fff0000");
  EXPECT_EQ(SymValue::input(0).to_string(), "w[0]");
  EXPECT_EQ(sym_and(sym_rsh(SymValue::input(4), 3), 1).to_string(), "((w[4] >> 3) & 0x1)");
}

// Every translated jump holds exactly where the concrete comparison does,
// on inputs around every boundary the atom or the constant suggests.
TEST(TranslateJump, AgreesWithConcreteComparison) {
  std::mt19937 rng(9);
  int atoms = 0;
  int constants = 0;
  int chains = 0;
  for (int round = 0; round < 20000; ++round) {
    const RandomValue v = random_value(rng);
    const uint16_t op = kJumpOps[rng() % 4];
    auto k = static_cast<uint32_t>(rng());
    if (rng() % 3 == 0) k = v.apply(static_cast<uint32_t>(rng()));  // a value it can take
    if (rng() % 5 == 0) k = k % 8;
    const SymCondition c = translate_jump(op, v.sym, k);
    std::vector<uint32_t> probes = {0, 1, 0xffffffffu, 0x80000000u, 0x7fffffffu};
    for (int i = 0; i < 24; ++i) probes.push_back(static_cast<uint32_t>(rng()));
    if (c.kind == SymCondition::Kind::kAtom) {
      for (uint32_t d : {0u, 1u, 0xffffffffu}) {
        probes.push_back(c.atom.k + d);
        probes.push_back((c.atom.k & c.atom.mask) | (static_cast<uint32_t>(rng()) & ~c.atom.mask));
      }
    }
    for (uint32_t w : probes) {
      const bool want = concrete_jump(op, v.apply(w), k);
      switch (c.kind) {
        case SymCondition::Kind::kAtom:
          ASSERT_EQ(c.word, 4);
          ASSERT_EQ(holds(c.atom, w), want)
              << v.sym.to_string() << " op " << op << " k " << k << " atom " << to_string(c.atom) << " w " << w;
          break;
        case SymCondition::Kind::kTrue: ASSERT_TRUE(want) << v.sym.to_string(); break;
        case SymCondition::Kind::kFalse: ASSERT_FALSE(want) << v.sym.to_string(); break;
        case SymCondition::Kind::kChain:
          ASSERT_EQ(c.word, 4);
          ASSERT_EQ(chain_taken(c.chain, w), want) << v.sym.to_string() << " op " << op << " k " << k << " w " << w;
          break;
        case SymCondition::Kind::kUnsupported: FAIL() << c.reason;
      }
    }
    if (c.kind == SymCondition::Kind::kAtom) ++atoms;
    else if (c.kind == SymCondition::Kind::kChain) ++chains;
    else ++constants;
    // Only ordered comparisons of images that are no threshold on the word
    // take a chain of bit tests, one per bit of the image at most.
    if (c.kind == SymCondition::Kind::kChain) {
      ASSERT_TRUE(op == bpf::kJgt || op == bpf::kJge);
      ASSERT_LE(c.chain.size(), static_cast<size_t>(std::popcount(v.sym.mask)));
    }
  }
  EXPECT_GT(atoms, 5000);
  EXPECT_GT(constants, 500);
  EXPECT_GT(chains, 100);
}

TEST(TranslateJump, OrderedComparisonsOnShiftedWords) {
  // (w >> 12) > 5  <=>  w >= 6 << 12
  const SymCondition c = translate_jump(bpf::kJgt, sym_rsh(SymValue::input(0), 12), 5);
  ASSERT_EQ(c.kind, SymCondition::Kind::kAtom);
  EXPECT_EQ(c.atom, WordAtom::Ge(6u << 12));
  // (w & 0xffff0000) >= 0x10001  <=>  w >= 0x20000
  const SymCondition d = translate_jump(bpf::kJge, sym_and(SymValue::input(0), 0xffff0000u), 0x10001);
  ASSERT_EQ(d.kind, SymCondition::Kind::kAtom);
  EXPECT_EQ(d.atom, WordAtom::Ge(0x20000));
  // (w & 0xff) > 3 is not an interval of w: bit tests from the top, every
  // low byte and the bits above it alike.
  const SymCondition e = translate_jump(bpf::kJgt, sym_and(SymValue::input(0), 0xff), 3);
  ASSERT_EQ(e.kind, SymCondition::Kind::kChain);
  EXPECT_EQ(e.chain.size(), 8u);
  for (uint32_t w : {0u, 3u, 4u, 0xffu, 0x100u, 0x103u, 0x104u, 0xffffff03u, 0xffffff04u})
    EXPECT_EQ(chain_taken(e.chain, w), (w & 0xff) > 3) << w;
  // (w ^ 0x80) & 0xf0 >= 0x80 with its XOR: the top tested bit flipped.
  const SymCondition f = translate_jump(bpf::kJge, sym_and(sym_xor(SymValue::input(0), 0x80), 0xf0), 0x80);
  ASSERT_EQ(f.kind, SymCondition::Kind::kChain);
  for (uint32_t w = 0; w < 0x200; ++w) EXPECT_EQ(chain_taken(f.chain, w), ((w ^ 0x80) & 0xf0) >= 0x80) << w;
  // The jump not taken where the chain says so, with the outcomes swapped.
  std::vector<ChainNode> swapped = e.chain;
  negate_chain(swapped);
  for (uint32_t w : {0u, 3u, 4u, 0xffu}) EXPECT_NE(chain_taken(swapped, w), chain_taken(e.chain, w)) << w;
}

// ---------------------------------------------------------------------------
// Walks
// ---------------------------------------------------------------------------

struct Leaf {
  Outcome outcome;
  SeccompWords witness;
};

std::vector<Leaf> all_leaves(const BpfProcedure& p) {
  PathState state;
  std::vector<Leaf> leaves;
  p.walk(state, [&](const Outcome& o) {
    leaves.push_back({o, state.witness()});
    return Walk::kContinue;
  });
  EXPECT_EQ(state.depth(), 0u);
  return leaves;
}

BpfProcedure make(bpf::Program p) {
  auto proc = BpfProcedure::create(std::move(p));
  EXPECT_TRUE(proc.has_value()) << (proc ? "" : proc.error().message);
  return std::move(*proc);
}

// Each leaf's witness, run through the interpreter, ends at that leaf's
// instruction with that leaf's action.
void expect_leaves_consistent(const BpfProcedure& p, const std::vector<Leaf>& leaves) {
  auto interp = bpf::Interpreter::create(p.program());
  ASSERT_TRUE(interp.has_value());
  std::vector<bpf::TraceStep> trace;
  for (const Leaf& l : leaves) {
    if (l.outcome.kind != Outcome::Kind::kAction) continue;
    const bpf::RunResult r = interp->run_traced(l.witness, trace);
    ASSERT_FALSE(trace.empty());
    EXPECT_EQ(trace.back().pc, l.outcome.where) << p.describe(l.outcome);
    EXPECT_EQ(r.action(), leaf_action(l.outcome, l.witness)) << p.describe(l.outcome);
  }
}

constexpr uint32_t kAuditX86_64 = 0xc000003eU;

TEST(Walk, ArchCheckAndSyscallChain) {
  const bpf::Program prog = {
      bpf::stmt(bpf::kLd | bpf::kW | bpf::kAbs, kOffsetArch),
      bpf::jump(bpf::kJmp | bpf::kJeq | bpf::kK, kAuditX86_64, 1, 0),
      bpf::stmt(bpf::kRet | bpf::kRetK, kRetKillProcess),
      bpf::stmt(bpf::kLd | bpf::kW | bpf::kAbs, kOffsetNr),
      bpf::jump(bpf::kJmp | bpf::kJeq | bpf::kK, 0, 0, 1),  // read
      bpf::stmt(bpf::kRet | bpf::kRetK, kRetAllow),
      bpf::jump(bpf::kJmp | bpf::kJeq | bpf::kK, 59, 0, 1),  // execve
      bpf::stmt(bpf::kRet | bpf::kRetK, kRetErrno | 1),
      bpf::jump(bpf::kJmp | bpf::kJge | bpf::kK, 0x40000000, 0, 1),
      bpf::stmt(bpf::kRet | bpf::kRetK, kRetTrap),
      bpf::stmt(bpf::kRet | bpf::kRetK, kRetLog),
  };
  const BpfProcedure p = make(prog);
  const auto leaves = all_leaves(p);
  ASSERT_EQ(leaves.size(), 5u);
  std::set<uint32_t> where;
  for (const auto& l : leaves) where.insert(l.outcome.where);
  EXPECT_EQ(where, (std::set<uint32_t>{2, 5, 7, 9, 10}));
  expect_leaves_consistent(p, leaves);
}

TEST(Walk, InfeasibleBranchesArePruned) {
  // nr == 5 then nr > 10: the second test can never be true.
  const bpf::Program prog = {
      bpf::stmt(bpf::kLd | bpf::kW | bpf::kAbs, 0),         bpf::jump(bpf::kJmp | bpf::kJeq | bpf::kK, 5, 0, 3),
      bpf::jump(bpf::kJmp | bpf::kJgt | bpf::kK, 10, 0, 1), bpf::stmt(bpf::kRet | bpf::kRetK, kRetTrap),  // unreachable
      bpf::stmt(bpf::kRet | bpf::kRetK, kRetAllow),         bpf::stmt(bpf::kRet | bpf::kRetK, kRetLog),
  };
  const BpfProcedure p = make(prog);
  const auto leaves = all_leaves(p);
  ASSERT_EQ(leaves.size(), 2u);
  for (const auto& l : leaves) EXPECT_NE(l.outcome.where, 3u);
  expect_leaves_consistent(p, leaves);
}

TEST(Walk, ScratchMemoryAndXAreTracked) {
  const bpf::Program prog = {
      bpf::stmt(bpf::kLd | bpf::kW | bpf::kAbs, 16),           // A = args[0].lo
      bpf::stmt(bpf::kSt, 3),                                  // M[3] = A
      bpf::stmt(bpf::kLd | bpf::kW | bpf::kAbs, 0),            // A = nr
      bpf::stmt(bpf::kLdx | bpf::kMem, 3),                     // X = M[3]
      bpf::stmt(bpf::kMisc | bpf::kTxa, 0),                    // A = args[0].lo
      bpf::stmt(bpf::kAlu | bpf::kAnd | bpf::kK, 0xffff0000),  // A &= 0xffff0000 (order-preserving)
      bpf::stmt(bpf::kMisc | bpf::kTax, 0),                    // X = A
      bpf::stmt(bpf::kLd | bpf::kImm, 0x12340000),             // A = 0x12340000
      bpf::jump(bpf::kJmp | bpf::kJeq | bpf::kX, 0, 0, 1),     // A == X ?
      bpf::stmt(bpf::kRet | bpf::kRetK, kRetErrno | 7),
      bpf::jump(bpf::kJmp | bpf::kJgt | bpf::kX, 0, 0, 1),  // A > X ?
      bpf::stmt(bpf::kRet | bpf::kRetK, kRetTrap),
      bpf::stmt(bpf::kRet | bpf::kRetK, kRetAllow),
  };
  const BpfProcedure p = make(prog);
  const auto leaves = all_leaves(p);
  ASSERT_EQ(leaves.size(), 3u);
  for (const auto& l : leaves) ASSERT_EQ(l.outcome.kind, Outcome::Kind::kAction) << l.outcome.reason;
  expect_leaves_consistent(p, leaves);
}

TEST(Walk, SymbolicReturnSplitsByActionClass) {
  // ret A with A = args[0].lo: every action class is reachable, plus
  // undefined actions; every leaf returns A itself, since the data bits (and
  // an undefined action's bits) are part of the action.
  const bpf::Program prog = {bpf::stmt(bpf::kLd | bpf::kW | bpf::kAbs, 16), bpf::stmt(bpf::kRet | bpf::kRetA, 0)};
  const BpfProcedure p = make(prog);
  const auto leaves = all_leaves(p);
  ASSERT_EQ(leaves.size(), 9u);
  int symbolic = 0;
  for (const auto& l : leaves) {
    ASSERT_EQ(l.outcome.kind, Outcome::Kind::kAction);
    if (l.outcome.symbolic_ret) ++symbolic;
  }
  EXPECT_EQ(symbolic, 9);
  expect_leaves_consistent(p, leaves);

  // A = (args[0].lo & 0xfff) | ERRNO: one leaf, ERRNO with symbolic data.
  const bpf::Program errno_prog = {
      bpf::stmt(bpf::kLd | bpf::kW | bpf::kAbs, 16), bpf::stmt(bpf::kAlu | bpf::kAnd | bpf::kK, 0xfff),
      bpf::stmt(bpf::kAlu | bpf::kOr | bpf::kK, kRetErrno), bpf::stmt(bpf::kRet | bpf::kRetA, 0)};
  const BpfProcedure q = make(errno_prog);
  const auto one = all_leaves(q);
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0].outcome.action.kind, ActionKind::kErrno);
  EXPECT_TRUE(one[0].outcome.symbolic_ret);
}

TEST(Walk, DivisionByZeroXReturnsZero) {
  const bpf::Program prog = {bpf::stmt(bpf::kLdx | bpf::kImm, 0), bpf::stmt(bpf::kLd | bpf::kW | bpf::kAbs, 0),
                             bpf::stmt(bpf::kAlu | bpf::kDiv | bpf::kX, 0),
                             bpf::stmt(bpf::kRet | bpf::kRetK, kRetAllow)};
  const BpfProcedure p = make(prog);
  const auto leaves = all_leaves(p);
  ASSERT_EQ(leaves.size(), 1u);
  EXPECT_EQ(leaves[0].outcome.action, Action::KillThread());
  EXPECT_EQ(leaves[0].outcome.where, 2u);
  expect_leaves_consistent(p, leaves);
}

TEST(Walk, UnsupportedInstructionIsNamed) {
  const bpf::Program prog = {
      bpf::stmt(bpf::kLd | bpf::kW | bpf::kAbs, 0),
      bpf::jump(bpf::kJmp | bpf::kJeq | bpf::kK, 1, 0, 3),
      bpf::stmt(bpf::kLd | bpf::kW | bpf::kAbs, 16),
      bpf::stmt(bpf::kAlu | bpf::kAdd | bpf::kK, 1),  // input-dependent arithmetic
      bpf::stmt(bpf::kRet | bpf::kRetA, 0),
      bpf::stmt(bpf::kRet | bpf::kRetK, kRetAllow),
  };
  const BpfProcedure p = make(prog);
  const auto leaves = all_leaves(p);
  ASSERT_EQ(leaves.size(), 2u);
  int unsupported = 0;
  for (const auto& l : leaves) {
    if (l.outcome.kind != Outcome::Kind::kUnsupported) continue;
    ++unsupported;
    EXPECT_EQ(l.outcome.where, 3u);
    EXPECT_NE(p.describe(l.outcome).find("instruction 3"), std::string::npos) << p.describe(l.outcome);
    EXPECT_NE(l.outcome.reason.find("add"), std::string::npos) << l.outcome.reason;
  }
  EXPECT_EQ(unsupported, 1);
}

// An ordered comparison of a masked word, as A op k and as c op X, is
// walked bit by bit: every path ends in an action the interpreter agrees
// with.
TEST(Walk, MaskedOrderedComparisonsAreWalkedBitByBit) {
  const bpf::Program prog = {
      bpf::stmt(bpf::kLd | bpf::kW | bpf::kAbs, 16),         // A = args[0].lo
      bpf::stmt(bpf::kAlu | bpf::kAnd | bpf::kK, 0x5),       // A &= 5
      bpf::jump(bpf::kJmp | bpf::kJgt | bpf::kK, 3, 5, 0),   // A > 3 ?
      bpf::stmt(bpf::kMisc | bpf::kTax, 0),                  // X = A
      bpf::stmt(bpf::kLd | bpf::kImm, 1),                    // A = 1
      bpf::jump(bpf::kJmp | bpf::kJge | bpf::kX, 0, 0, 1),   // 1 >= X ?
      bpf::stmt(bpf::kRet | bpf::kRetK, kRetAllow),
      bpf::stmt(bpf::kRet | bpf::kRetK, kRetTrap),
      bpf::stmt(bpf::kRet | bpf::kRetK, kRetErrno | 1),
  };
  const BpfProcedure p = make(prog);
  const auto leaves = all_leaves(p);
  ASSERT_GE(leaves.size(), 2u);
  for (const auto& l : leaves) ASSERT_EQ(l.outcome.kind, Outcome::Kind::kAction) << l.outcome.reason;
  expect_leaves_consistent(p, leaves);
  // A & 5 in {4, 5}: ERRNO; {0, 1}: 1 >= X, ALLOW.
  std::set<ActionKind> kinds;
  for (const auto& l : leaves) kinds.insert(l.outcome.action.kind);
  EXPECT_EQ(kinds, (std::set<ActionKind>{ActionKind::kErrno, ActionKind::kAllow}));
}

TEST(Walk, TwoWordComparisonIsUnsupported) {
  const bpf::Program prog = {
      bpf::stmt(bpf::kLd | bpf::kW | bpf::kAbs, 16), bpf::stmt(bpf::kMisc | bpf::kTax, 0),
      bpf::stmt(bpf::kLd | bpf::kW | bpf::kAbs, 24), bpf::jump(bpf::kJmp | bpf::kJeq | bpf::kX, 0, 0, 1),
      bpf::stmt(bpf::kRet | bpf::kRetK, kRetAllow),  bpf::stmt(bpf::kRet | bpf::kRetK, kRetTrap)};
  const BpfProcedure p = make(prog);
  const auto leaves = all_leaves(p);
  ASSERT_EQ(leaves.size(), 1u);
  EXPECT_EQ(leaves[0].outcome.kind, Outcome::Kind::kUnsupported);
  EXPECT_EQ(leaves[0].outcome.where, 3u);
}

TEST(Walk, StopsWhenAsked) {
  const bpf::Program prog = {bpf::stmt(bpf::kLd | bpf::kW | bpf::kAbs, 0),
                             bpf::jump(bpf::kJmp | bpf::kJeq | bpf::kK, 1, 0, 1),
                             bpf::stmt(bpf::kRet | bpf::kRetK, kRetAllow), bpf::stmt(bpf::kRet | bpf::kRetK, kRetTrap)};
  const BpfProcedure p = make(prog);
  PathState state;
  int seen = 0;
  EXPECT_EQ(p.walk(state,
                   [&](const Outcome&) {
                     ++seen;
                     return Walk::kStop;
                   }),
            Walk::kStop);
  EXPECT_EQ(seen, 1);
  EXPECT_EQ(state.depth(), 0u);
}

TEST(Walk, RespectsConstraintsAlreadyInTheState) {
  const bpf::Program prog = {bpf::stmt(bpf::kLd | bpf::kW | bpf::kAbs, 0),
                             bpf::jump(bpf::kJmp | bpf::kJeq | bpf::kK, 1, 0, 1),
                             bpf::stmt(bpf::kRet | bpf::kRetK, kRetAllow), bpf::stmt(bpf::kRet | bpf::kRetK, kRetTrap)};
  const BpfProcedure p = make(prog);
  PathState state;
  ASSERT_EQ(state.add(0, WordAtom::Gt(1)), Sat::kSat);
  std::vector<uint32_t> where;
  p.walk(state, [&](const Outcome& o) {
    where.push_back(o.where);
    return Walk::kContinue;
  });
  EXPECT_EQ(where, std::vector<uint32_t>{3});
  EXPECT_EQ(state.depth(), 1u);
}

// Random valid programs (all opcodes, X, M[], ALU, ret A): every leaf the
// walk reports is consistent with the interpreter, and every path of a
// program without arithmetic is covered: random inputs end at a reported
// leaf.
TEST(Walk, RandomProgramsAgreeWithTheInterpreter) {
  bpf::testing::RandomProgramGenerator gen(2024);
  bpf::testing::RandomProgramOptions options;
  options.constants = {0, 1, 2, 3, 59, 0x40000000, 0xc000003e, 0xffffffff, 0x80000000, 0x1000};
  int programs = 0;
  int leaves_checked = 0;
  int fully_symbolic = 0;
  std::mt19937 rng(1);
  for (int i = 0; i < 1500; ++i) {
    bpf::Program prog = gen.valid(options);
    auto proc = BpfProcedure::create(prog);
    ASSERT_TRUE(proc.has_value());
    const auto leaves = all_leaves(*proc);
    expect_leaves_consistent(*proc, leaves);
    ++programs;
    leaves_checked += static_cast<int>(leaves.size());
    bool all_symbolic = true;
    std::set<uint32_t> leaf_pcs;
    for (const auto& l : leaves) {
      if (l.outcome.kind != Outcome::Kind::kAction) all_symbolic = false;
      leaf_pcs.insert(l.outcome.where);
    }
    if (!all_symbolic) continue;
    ++fully_symbolic;
    auto interp = bpf::Interpreter::create(prog);
    std::vector<bpf::TraceStep> trace;
    for (int t = 0; t < 50; ++t) {
      SeccompWords in{};
      for (auto& w : in)
        w = rng() % 2 ? options.constants[rng() % options.constants.size()] : static_cast<uint32_t>(rng());
      interp->run_traced(in, trace);
      ASSERT_TRUE(leaf_pcs.count(trace.back().pc)) << "program " << i << " ends at " << trace.back().pc;
    }
  }
  EXPECT_EQ(programs, 1500);
  EXPECT_GT(fully_symbolic, 300);
  EXPECT_GT(leaves_checked, 2000);
}

}  // namespace
}  // namespace sysfence::verify
