// Pass 5: tests the tests above them decide are bypassed. Each case is a
// graph built by hand, run before and after through the interpreter (which
// shares no code with the pass) on the values around every constant; random
// graphs likewise; and compiled profiles whose chains of rules left dead
// code, which the program audit (a symbolic walk of its own) no longer finds.
#include "compiler/prune.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <functional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "audit/program_audit.h"
#include "bpf/interp.h"
#include "bpf/disasm.h"
#include "compiler/compile.h"
#include "profile/load.h"
#include "profile/resolve.h"
#include "syscalls/arch.h"
#include "test/verify/flag_rules.h"
#include "verify/verify.h"

namespace sysfence::compiler {
namespace {

constexpr uint32_t kAllow = 0x7fff0000;
constexpr uint32_t kEperm = 0x00050001;
constexpr uint32_t kEacces = 0x0005000d;
constexpr uint32_t kW0 = 16;  // args[0], low word (little-endian)
constexpr uint32_t kW1 = 24;  // args[1], low word

struct Programs {
  bpf::Program before;
  bpf::Program after;
  bool pruned = false;
};

Programs build(const std::function<Edge(Graph&)>& make) {
  Graph g;
  const Edge root = make(g);
  Programs p;
  auto before = emit(g, root);
  EXPECT_TRUE(before) << before.error().message;
  p.before = before->program;
  const std::optional<Edge> pruned = prune_decided_tests(g, root);
  p.pruned = pruned.has_value();
  auto after = emit(g, pruned.value_or(root));
  EXPECT_TRUE(after) << after.error().message;
  p.after = after->program;
  return p;
}

// The values of a word around each constant the programs compare it with,
// and with each mask's bits set and clear.
std::vector<uint32_t> probes(const bpf::Program& p) {
  std::set<uint32_t> v{0, 1, 0xffffffffU, 0x80000000U};
  for (const bpf::Insn& in : p) {
    for (const uint32_t k : {in.k, in.k - 1, in.k + 1, ~in.k, in.k | 1}) v.insert(k);
  }
  return {v.begin(), v.end()};
}

// Same answer on every pair of probe values of the two words, and never a
// longer path.
void expect_same_answers(const Programs& p) {
  auto before = bpf::Interpreter::create(p.before);
  auto after = bpf::Interpreter::create(p.after);
  ASSERT_TRUE(before);
  ASSERT_TRUE(after);
  std::vector<uint32_t> values = probes(p.before);
  for (const uint32_t a : values) {
    for (const uint32_t b : values) {
      SeccompWords w{};
      w[kW0 / 4] = a;
      w[kW1 / 4] = b;
      const auto x = before->run(w);
      const auto y = after->run(w);
      ASSERT_EQ(x.ret, y.ret) << "args " << a << ", " << b << "\n" << bpf::disassemble(p.before, {}) << "\n----\n" << bpf::disassemble(p.after, {});
      ASSERT_LE(y.insns, x.insns) << "args " << a << ", " << b;
    }
  }
}

struct Case {
  std::string name;
  std::function<Edge(Graph&)> make;
  bool pruned;  // whether some test is decided
};

Edge load0(Graph& g, Edge e) { return g.enter(e.node, std::nullopt); }

const std::vector<Case>& cases() {
  static const std::vector<Case> all = {
      {"equality tested again", [](Graph& g) {
         const Edge inner = g.test(kW0, bpf::kJeq, 5, g.ret(kAllow), g.ret(kEperm), kW0);
         return load0(g, g.test(kW0, bpf::kJeq, 5, inner, g.ret(kEacces), std::nullopt));
       }, true},
      {"a bound inside an earlier one", [](Graph& g) {
         // w >= 100 -> EACCES; else (w >= 200 ? ALLOW : EPERM): ALLOW is dead.
         const Edge inner = g.test(kW0, bpf::kJge, 200, g.ret(kAllow), g.ret(kEperm), kW0);
         return load0(g, g.test(kW0, bpf::kJge, 100, g.ret(kEacces), inner, std::nullopt));
       }, true},
      {"greater-than on the excluded side", [](Graph& g) {
         const Edge inner = g.test(kW0, bpf::kJgt, 7, g.ret(kAllow), g.ret(kEperm), kW0);
         return load0(g, g.test(kW0, bpf::kJgt, 9, inner, g.ret(kEacces), std::nullopt));
       }, true},
      {"an excluded endpoint moves the bound", [](Graph& g) {
         // w == 0 -> EPERM; else (w >= 1 ? ALLOW : EACCES): always ALLOW.
         const Edge inner = g.test(kW0, bpf::kJge, 1, g.ret(kAllow), g.ret(kEacces), kW0);
         return load0(g, g.test(kW0, bpf::kJeq, 0, g.ret(kEperm), inner, std::nullopt));
       }, true},
      {"a bit tested twice", [](Graph& g) {
         const Edge inner = g.test(kW0, bpf::kJset, 4, g.ret(kAllow), g.ret(kEperm), kW0);
         return load0(g, g.test(kW0, bpf::kJset, 4, inner, g.ret(kEacces), std::nullopt));
       }, true},
      {"a clear bit decides a mask of it and more", [](Graph& g) {
         const Edge inner = g.test(kW0, bpf::kJset, 0x6, g.ret(kAllow), g.ret(kEperm), kW0);
         return load0(g, g.test(kW0, bpf::kJset, 0x6, g.ret(kEacces), inner, std::nullopt));
       }, true},
      {"a masked value fixes its bits", [](Graph& g) {
         // (w & 0xf0) == 0x30 -> (w & 0x10 ? ALLOW : EPERM): always ALLOW.
         const Edge inner = g.test(kW0, bpf::kJset, 0x10, g.ret(kAllow), g.ret(kEperm), std::nullopt);
         return load0(g, g.masked_test(kW0, 0xf0, bpf::kJeq, 0x30, inner, g.ret(kEacces), std::nullopt));
       }, true},
      {"a one-bit mask's other value", [](Graph& g) {
         // (w & 8) == 0 -> EACCES; else ((w & 8) == 8 ? ALLOW : EPERM).
         const Edge inner = g.masked_test(kW0, 8, bpf::kJeq, 8, g.ret(kAllow), g.ret(kEperm), std::nullopt);
         return load0(g, g.masked_test(kW0, 8, bpf::kJeq, 0, g.ret(kEacces), inner, std::nullopt));
       }, true},
      {"complementary masks leave nothing after them", [](Graph& g) {
         const Edge rest = g.test(kW1, bpf::kJeq, 3, g.ret(kAllow), g.ret(kEperm), std::nullopt);
         const Edge second = g.masked_test(kW0, 4, bpf::kJeq, 4, g.ret(kEacces), rest, std::nullopt);
         return load0(g, g.masked_test(kW0, 4, bpf::kJeq, 0, g.ret(kEacces), second, std::nullopt));
       }, true},
      {"another word is not decided", [](Graph& g) {
         const Edge inner = g.test(kW1, bpf::kJeq, 5, g.ret(kAllow), g.ret(kEperm), std::nullopt);
         return load0(g, g.test(kW0, bpf::kJeq, 5, inner, g.ret(kEacces), std::nullopt));
       }, false},
      {"a multi-bit mask's other values decide nothing", [](Graph& g) {
         const Edge inner = g.masked_test(kW0, 0xc, bpf::kJeq, 0x4, g.ret(kAllow), g.ret(kEperm), std::nullopt);
         return load0(g, g.masked_test(kW0, 0xc, bpf::kJeq, 0x8, g.ret(kEacces), inner, std::nullopt));
       }, false},
      {"an ordered comparison of a masked word decides nothing", [](Graph& g) {
         const Edge inner = g.test(kW0, bpf::kJge, 3, g.ret(kAllow), g.ret(kEperm), std::nullopt);
         return load0(g, g.masked_test(kW0, 0xf, bpf::kJgt, 5, inner, g.ret(kEacces), std::nullopt));
       }, false},
      {"paths that join keep what both establish", [](Graph& g) {
         // Two paths into `shared`: w0 >= 10 on one, w0 < 10 on the other.
         // Only the first decides `shared`'s test: that branch bypasses it,
         // the other still runs it.
         const Edge shared = g.test(kW0, bpf::kJge, 5, g.ret(kAllow), g.ret(kEperm), std::nullopt);
         const Edge left = g.test(kW1, bpf::kJeq, 1, shared, g.ret(kEacces), std::nullopt);
         const Edge split = g.test(kW0, bpf::kJge, 10, left, shared, std::nullopt);
         return load0(g, split);
       }, true},
  };
  return all;
}

TEST(PruneDecidedTests, TableOfGraphs) {
  for (const Case& c : cases()) {
    SCOPED_TRACE(c.name);
    const Programs p = build(c.make);
    EXPECT_EQ(p.pruned, c.pruned);
    if (c.pruned) {
      EXPECT_LT(p.after.size(), p.before.size());
    }
    expect_same_answers(p);
  }
}

TEST(PruneDecidedTests, NothingDecidedLeavesTheGraph) {
  Graph g;
  const Edge root = load0(g, g.test(kW0, bpf::kJeq, 5, g.ret(kAllow), g.ret(kEperm), std::nullopt));
  EXPECT_FALSE(prune_decided_tests(g, root).has_value());
}

// Random graphs over two words with few constants (so that tests repeat
// along paths), built bottom-up: the same answers on the probes, no longer
// path, never a larger program.
TEST(PruneDecidedTests, RandomGraphsAnswerAlike) {
  std::mt19937 rng(2026);
  const uint32_t returns[] = {kAllow, kEperm, kEacces};
  const uint16_t ops[] = {bpf::kJeq, bpf::kJgt, bpf::kJge, bpf::kJset};
  int pruned = 0;
  for (int round = 0; round < 1000; ++round) {
    const Programs p = build([&](Graph& g) {
      std::vector<NodeId> made;
      for (const uint32_t r : returns) made.push_back(g.ret(r).node);
      Edge last{};
      for (int i = 0; i < 24; ++i) {
        const uint32_t word = rng() % 2 == 0 ? kW0 : kW1;
        const uint32_t k = rng() % 8;
        const NodeId t = made[rng() % made.size()];
        const NodeId f = made[rng() % made.size()];
        const bool masked = rng() % 4 == 0;
        // Children re-entered as this node leaves A.
        const std::optional<uint32_t> a = masked ? std::nullopt : std::optional<uint32_t>(word);
        last = masked ? g.masked_test(word, 1 + rng() % 7, bpf::kJeq, k, g.enter(t, a), g.enter(f, a), std::nullopt)
                      : g.test(word, ops[rng() % 4], k, g.enter(t, a), g.enter(f, a), std::nullopt);
        made.push_back(last.node);
      }
      return load0(g, last);
    });
    pruned += p.pruned;
    EXPECT_LE(p.after.size(), p.before.size());
    expect_same_answers(p);
  }
  // Most random graphs repeat a decided test somewhere.
  EXPECT_GT(pruned, 500);
}

// The instructions the program audit finds no input runs.
std::string dead_code(const bpf::Program& program) {
  audit::ProgramAuditOptions options;
  auto report = audit::audit_program(program, options);
  EXPECT_TRUE(report) << report.error().message;
  for (const audit::Finding& f : report->findings) {
    if (f.check == "unreachable") return f.message;
  }
  return "";
}

// Rules compiled as a chain of diagrams: 120 rules on flag masks on ioctl
// (the early ones cover whole bits), and rules whose bounds on arg0 nest.
// Before the pass their programs hold code no input runs; after it, none,
// and both programs are proved equal to the policy.
// 50 allowed syscalls and 200 conditions in rules on ioctl, the scaling
// benchmark's `one/200` (`bazel run //bench:scaling_bench -- --dump one
// 200`), compared on all 64 bits as the benchmark does.
policy::Policy ioctl_conditions_policy() {
  auto loaded = profile::load_profile("test/compiler/testdata/ioctl-200-conditions.json");
  EXPECT_TRUE(loaded) << loaded.error().message;
  if (!loaded) return {};
  profile::ResolveOptions o;
  o.native = syscalls::ArchId::kX86_64;
  o.arg_width = profile::ArgWidthMode::k64;
  auto r = profile::resolve(loaded->profile, o);
  EXPECT_TRUE(r) << r.error().message;
  return r ? r->policy : policy::Policy{};
}

// Rules compiled as chains of diagrams leave tests an earlier rule settled
// (a flag bit, a bound on arg0): before the pass the program audit finds
// instructions no input runs; after it, none. Both programs are proved
// equal to the policy, and 120 rules on flag masks shrink too.
TEST(PruneDecidedTests, CompiledChainsOfRulesLoseTheirDeadCode) {
  const policy::Policy conditions = ioctl_conditions_policy();
  const policy::Policy flags = verify::testing::flag_mask_policy(2026, 120, 1, 4);
  for (const policy::Policy* policy : {&conditions, &flags}) {
    CompileOptions off;
    off.bypass_decided_tests = false;
    auto before = compile(*policy, off);
    auto after = compile(*policy, {});
    ASSERT_TRUE(before) << before.error().message;
    ASSERT_TRUE(after) << after.error().message;
    EXPECT_LT(after->program.size(), before->program.size());
    std::printf("%zu -> %zu instructions\n", before->program.size(), after->program.size());
    if (policy == &conditions) {
      EXPECT_NE(dead_code(before->program), "");
      EXPECT_EQ(dead_code(after->program), "");
    }
    for (const auto* c : {&*before, &*after}) {
      auto v = verify::prove_equivalent(c->program, *policy);
      ASSERT_TRUE(v) << v.error().message;
      EXPECT_TRUE(v->equivalent());
    }
  }
}

}  // namespace
}  // namespace sysfence::compiler
