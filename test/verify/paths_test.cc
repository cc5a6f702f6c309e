// verify/paths: every path's witness retraces the path in the interpreter;
// the word-set algebra (atoms_of, intersect, restrict) is exact; word_uses
// names the words each jump reads.
#include "verify/paths.h"

#include <gtest/gtest.h>

#include <random>

#include "bpf/asm.h"
#include "compiler/compile.h"
#include "profile/builtin.h"
#include "profile/caps.h"
#include "profile/resolve.h"
#include "syscalls/arch.h"

namespace sysfence::verify {
namespace {

using verify::WordAtom;

bpf::Program docker_default() {
  auto read = profile::read_builtin_default();
  EXPECT_TRUE(read);
  profile::ResolveOptions o;
  o.native = syscalls::ArchId::kX86_64;
  o.caps = profile::docker_default_caps();
  o.kernel = {6, 18};
  o.arg_width = profile::ArgWidthMode::k64;  // more argument paths
  auto r = profile::resolve(read->profile, o);
  EXPECT_TRUE(r);
  auto c = compiler::compile(r->policy, {});
  EXPECT_TRUE(c);
  return c->program;
}

TEST(PathExplorer, WitnessesRetraceTheirPaths) {
  auto x = PathExplorer::create(docker_default());
  ASSERT_TRUE(x) << x.error().message;
  size_t n = 0;
  const WalkStats s = x->walk({}, 1'000'000, [&](const Path& p) {
    ++n;
    ASSERT_EQ(p.outcome.kind, verify::Outcome::Kind::kAction);
    // The witness satisfies the path's constraints, ends at the path's
    // `ret`, and gets the path's action.
    for (unsigned w = 0; w < kWordCount; ++w) EXPECT_TRUE(p.words[w].contains(p.witness[w])) << w;
    const auto trace = x->trace(p.witness);
    ASSERT_FALSE(trace.empty());
    EXPECT_EQ(trace.back(), p.outcome.where);
    EXPECT_EQ(x->run(p.witness).action(), p.outcome.action);
  });
  EXPECT_FALSE(s.truncated);
  EXPECT_EQ(s.paths, n);
  EXPECT_GT(n, 100u);
}

TEST(PathExplorer, ConstraintsRestrictTheWalk) {
  auto x = PathExplorer::create(docker_default());
  ASSERT_TRUE(x);
  const Constraint socket[] = {{kWordArch, WordAtom::Eq(syscalls::arch(syscalls::ArchId::kX86_64).audit_arch)},
                               {kWordNr, WordAtom::Eq(41)}};
  WalkStats s;
  const auto paths = x->paths(socket, 100, &s);
  ASSERT_GE(paths.size(), 2u);  // allowed families and denied ones
  for (const Path& p : paths) {
    EXPECT_EQ(p.witness[kWordNr], 41u);
    EXPECT_TRUE(p.words[kWordNr].pinned());
  }
  // A budget of one path stops early and says so.
  const auto one = x->paths(socket, 1, &s);
  EXPECT_EQ(one.size(), 1u);
  EXPECT_TRUE(s.truncated);
  // Contradictory constraints: no path at all.
  const Constraint none[] = {{kWordNr, WordAtom::Eq(1)}, {kWordNr, WordAtom::Eq(2)}};
  EXPECT_TRUE(x->paths(none, 100).empty());
}

TEST(PathExplorer, RejectsInvalidPrograms) {
  auto x = PathExplorer::create({bpf::stmt(bpf::kLd | bpf::kW | bpf::kAbs, 0)});
  EXPECT_FALSE(x);
}

TEST(PathExplorer, WordUsesFollowLoadsRegistersAndScratch) {
  bpf::AsmOptions o;
  o.arch = &syscalls::arch(syscalls::ArchId::kX86_64);
  auto a = bpf::assemble(
      "  A = sys_number\n"        // 0
      "  mem[3] = A\n"            // 1
      "  A = args[1]\n"           // 2
      "  X = A\n"                 // 3
      "  A = mem[3]\n"            // 4
      "  if (A == 7) goto one\n"  // 5: reads nr (through M[3])
      "one:\n"
      "  A = 5\n"                 // 6
      "  if (A == X) goto two\n"  // 7: reads args[1].lo (through X)
      "two:\n"
      "  A = instruction_pointer\n"  // 8
      "  A &= 0xff\n"                // 9
      "  return A\n",                // 10: ret A reads the ip
      o);
  ASSERT_TRUE(a) << a.error().message;
  auto x = PathExplorer::create(a->program);
  ASSERT_TRUE(x);
  const auto uses = x->word_uses(SeccompWords{});
  ASSERT_EQ(uses.size(), 3u);
  EXPECT_EQ(uses[0].pc, 5u);
  EXPECT_EQ(uses[0].words, 1u << kWordNr);
  EXPECT_EQ(uses[1].pc, 7u);
  EXPECT_EQ(uses[1].words, 1u << (arg_lo_offset(1, Endian::kLittle) / 4));
  EXPECT_EQ(uses[2].pc, 10u);
  EXPECT_EQ(uses[2].words, 1u << kWordIpLo);
}

WordAtom random_atom(std::mt19937& rng) {
  const uint32_t k = rng() % 3 == 0 ? rng() : rng() % 64;
  const uint32_t m = rng() % 2 ? (rng() & 0x3f) : rng();
  switch (rng() % 8) {
    case 0: return WordAtom::Eq(k);
    case 1: return WordAtom::Ne(k);
    case 2: return WordAtom::Gt(k);
    case 3: return WordAtom::Ge(k);
    case 4: return WordAtom::Lt(k);
    case 5: return WordAtom::Le(k);
    case 6: return WordAtom::MaskedEq(m, k & m);
    default: return WordAtom::MaskedNe(m, k & m);
  }
}

TEST(WordSetAlgebra, AtomsOfDescribeTheSetExactly) {
  std::mt19937 rng(11);
  for (int round = 0; round < 2000; ++round) {
    WordSet a;
    WordSet b;
    const int na = 1 + static_cast<int>(rng() % 4);
    const int nb = 1 + static_cast<int>(rng() % 4);
    for (int i = 0; i < na; ++i) a.add(random_atom(rng));
    for (int i = 0; i < nb; ++i) b.add(random_atom(rng));
    // Rebuilt from its atoms, a set holds the same values.
    WordSet rebuilt;
    for (const WordAtom& atom : atoms_of(a)) rebuilt.add(atom);
    const auto both = intersect(a, b);
    std::vector<uint32_t> probes = {0, 1, 2, 63, 64, 0x7fffffff, 0x80000000, 0xffffffff};
    for (int i = 0; i < 64; ++i) probes.push_back(rng() % 3 == 0 ? rng() : rng() % 70);
    if (a.check() == verify::Sat::kSat) probes.push_back(a.witness());
    if (b.check() == verify::Sat::kSat) probes.push_back(b.witness());
    for (uint32_t v : probes) {
      EXPECT_EQ(rebuilt.contains(v), a.contains(v)) << v;
      if (a.contains(v) && b.contains(v)) {
        ASSERT_TRUE(both.has_value()) << "intersection misses " << v;
      }
      if (both.has_value()) {
        EXPECT_EQ(both->contains(v), a.contains(v) && b.contains(v)) << v;
      }
    }
    if (both.has_value()) {
      const uint32_t w = both->witness();
      EXPECT_TRUE(a.contains(w));
      EXPECT_TRUE(b.contains(w));
    }
  }
}

TEST(WordSetAlgebra, RestrictKeepsOnlyWhatTheAtomsAllow) {
  WordSet s;
  s.add(WordAtom::Le(10));
  const WordAtom above_eight[] = {WordAtom::Gt(8)};
  auto r = restrict(s, above_eight);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->contains(9));
  EXPECT_TRUE(r->contains(10));
  EXPECT_FALSE(r->contains(8));
  const WordAtom above_ten[] = {WordAtom::Gt(10)};
  EXPECT_FALSE(restrict(s, above_ten));
}

}  // namespace
}  // namespace sysfence::verify
