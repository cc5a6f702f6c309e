#include "bpf/compiler/compile.h"

#include <fmt/format.h>

#include <numeric>

#include "bpf/compiler/args.h"
#include "bpf/compiler/graph.h"
#include "bpf/compiler/partition.h"
#include "bpf/validate.h"
#include "syscalls/table.h"

namespace sysfence::bpf::compiler {

namespace {

// Every interval weighs at least this share of its tree, so that numbers no
// weight model mentions (the ENOSYS range, x32 when absent, ...) still get a
// sensible place instead of an arbitrary one.
constexpr double kIntervalFloor = 1e-6;

// Reweighting rounds for the longest-path budget (see lower()).
constexpr int kBudgetRounds = 4;

// Smallest d with 2^d >= x (x >= 1; 0 for x <= 1), capped.
unsigned ceil_log2(double x) {
  unsigned d = 0;
  double p = 1;
  while (p < x && d < 32) {
    p *= 2;
    ++d;
  }
  return d;
}

// An interval that holds numbers of an ABI's syscall table (x32 aside: it is
// weighted down and rarely enabled). These get the longest-path budget.
bool in_table_range(const NumberSpace& space, const Interval& iv) {
  for (const NumberSegment& seg : space.segments) {
    if (seg.policy == nullptr || seg.abi == syscalls::ArchId::kX32) continue;
    const syscalls::Table& t = syscalls::table(seg.abi);
    if (t.entries().empty()) continue;
    const uint32_t first = std::max(seg.lo, t.entries().front().nr);
    const uint32_t last = std::min(seg.hi, t.max_nr());
    if (iv.lo <= last && iv.hi >= first) return true;
  }
  return false;
}

struct Lowered {
  Graph graph;
  Edge root;
  std::vector<ArchReport> reports;
};

Lowered lower(const profile::Policy& policy, const CompileOptions& options,
              const std::vector<NumberSpace>& spaces) {
  Lowered out;
  Graph& g = out.graph;
  LeafTable leaves;
  TreeOptions tree_opts;
  tree_opts.strategy = options.strategy;
  tree_opts.size_weight = options.size_weight;

  std::vector<Edge> entries;
  for (size_t si = 0; si < spaces.size(); ++si) {
    const NumberSpace& space = spaces[si];
    const bool merge = options.strategy == Strategy::kOptimal;
    const std::vector<Interval> intervals =
        partition(space, policy.bad_arch_action, leaves, merge);
    // Leaves: constant outcomes are returns, the rest argument subtrees
    // (compiled per number space: its byte order decides the word offsets).
    ArgCompiler args(g, space.endian, tree_opts);
    std::vector<Edge> leaf_edge(leaves.size());
    std::vector<unsigned> leaf_cost(leaves.size(), 1);
    std::vector<bool> have(leaves.size(), false);
    const SeccompWords zero_args{};
    for (const Interval& iv : intervals) {
      if (have[iv.leaf]) continue;
      have[iv.leaf] = true;
      leaf_edge[iv.leaf] = args.compile(leaves.at(iv.leaf), kOffsetNr);
      leaf_cost[iv.leaf] = path_length(g, leaf_edge[iv.leaf], zero_args);
    }

    std::vector<double> w = interval_weights(space, intervals, options.weights);
    const double total = std::accumulate(w.begin(), w.end(), 0.0);
    for (size_t i = 0; i < w.size(); ++i) {
      w[i] = (total > 0 ? w[i] / total : 0) + kIntervalFloor;
    }
    const double norm = std::accumulate(w.begin(), w.end(), 0.0);
    // The tree minimizes the mean number of comparisons, which can leave
    // rare numbers deep, and an argument subtree adds several instructions
    // below its leaf. So the longest path is bounded too: a number of an
    // ABI's table takes at most `depth_slack` comparisons more than it would
    // in a balanced tree over those intervals — counting the extra
    // instructions of its leaf. Under a named weight model a rare syscall may
    // instead sink to the depth an ideal code gives its weight (-log2 of its
    // share) plus the slack: the user asked for the common case. Enforced by
    // Lagrangian-style reweighting: a leaf over budget gets its weight
    // quadrupled per missing level, for a few rounds.
    std::vector<double> tree_w = w;
    std::vector<unsigned> budget(w.size(), ~0u);
    if (options.strategy == Strategy::kOptimal) {
      size_t in_range = 0;
      for (const Interval& iv : intervals) in_range += in_table_range(space, iv);
      const unsigned balanced_depth = ceil_log2(static_cast<double>(in_range));
      for (size_t i = 0; i < w.size(); ++i) {
        if (!in_table_range(space, intervals[i])) continue;
        const unsigned extra = std::min(leaf_cost[intervals[i].leaf], 12u) - 1;
        const unsigned ideal = options.weights.is_uniform() ? 0 : ceil_log2(norm / w[i]);
        const unsigned limit = std::max(balanced_depth, ideal) + options.depth_slack;
        budget[i] = limit > extra ? limit - extra : 1;
      }
    }
    DecisionTree tree = build_tree(intervals, tree_w, tree_opts);
    for (int round = 0; round < kBudgetRounds; ++round) {
      bool over = false;
      for (size_t i = 0; i < intervals.size(); ++i) {
        const unsigned depth = walk_tree(tree, intervals[i].lo).tests;
        if (depth > budget[i]) {
          over = true;
          tree_w[i] *= static_cast<double>(1u << std::min(2 * (depth - budget[i]), 16u));
        }
      }
      if (!over) break;
      tree = build_tree(intervals, tree_w, tree_opts);
    }
    tree.weighted_tests = 0;
    for (size_t i = 0; i < intervals.size(); ++i) {
      tree.weighted_tests += w[i] * walk_tree(tree, intervals[i].lo).tests;
    }

    const Edge root = lower_tree(g, tree, kOffsetNr, leaf_edge);
    entries.push_back(g.enter(root.node, kOffsetArch));

    ArchReport r;
    r.audit_arch = space.audit_arch;
    r.abis = space.abis;
    r.intervals = intervals.size();
    r.tree_tests = tree.tests;
    r.dispatch_insns = static_cast<unsigned>(si) + 3;  // ld arch, arch tests, ld nr
    r.tree_cost = norm > 0 ? tree.weighted_tests / norm : 0;
    out.reports.push_back(std::move(r));
  }

  // Arch dispatch: a chain of tests on the arch word, native first.
  Edge next = g.ret(encode(policy.bad_arch_action));
  for (size_t si = spaces.size(); si-- > 0;) {
    next = g.test(kOffsetArch, kJeq, spaces[si].audit_arch, entries[si], next, kOffsetArch);
  }
  out.root = g.enter(next.node, std::nullopt);
  return out;
}

}  // namespace

std::string abi_names(const std::vector<syscalls::ArchId>& abis) {
  std::string s;
  for (syscalls::ArchId id : abis) {
    if (!s.empty()) s += '+';
    s += syscalls::arch(id).name;
  }
  return s;
}

Expected<Compiled> compile(const profile::Policy& policy, const CompileOptions& options) {
  const std::vector<NumberSpace> spaces = number_spaces(policy);
  Lowered l = lower(policy, options, spaces);
  auto emitted = emit(l.graph, l.root);
  if (!emitted) return fail(fmt::format("internal error: {}", emitted.error().message));
  Compiled c{std::move(emitted->program), std::move(l.reports), emitted->layout};

  if (c.program.size() > kMaxInsns) {
    // Say which arch needs how much: compile each number space on its own.
    std::string parts;
    for (const NumberSpace& s : spaces) {
      Lowered one = lower(policy, options, {s});
      auto p = emit(one.graph, one.root);
      if (!parts.empty()) parts += ", ";
      parts += fmt::format("{}: {}", abi_names(s.abis), p ? p->program.size() : 0);
    }
    return fail(fmt::format(
        "the filter needs {} instructions, {} more than the kernel's limit of {} "
        "(instructions per architecture on its own: {})",
        c.program.size(), c.program.size() - kMaxInsns, kMaxInsns, parts));
  }
  if (auto ok = validate(c.program); !ok) {
    return fail(fmt::format("internal error: the generated program fails validation: {}",
                            ok.error().message));
  }
  return c;
}

}  // namespace sysfence::bpf::compiler
