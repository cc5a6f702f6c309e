#include "compiler/compile.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <numeric>
#include <optional>
#include <span>
#include <utility>

#include "bpf/validate.h"
#include "compiler/args.h"
#include "compiler/graph.h"
#include "compiler/partition.h"
#include "compiler/prune.h"
#include "syscalls/table.h"

namespace sysfence::compiler {

namespace {

// Every interval weighs at least this share of its tree, so that numbers no
// weight model mentions (the ENOSYS range, x32 when absent, ...) still get a
// sensible place instead of an arbitrary one.
constexpr double kIntervalFloor = 1e-6;

// Reweighting rounds for the longest-path budget (see lower()).
constexpr int kBudgetRounds = 4;
constexpr unsigned kNoBudget = ~0u;
// Reweighting: a leaf over budget gets its weight multiplied by 2^(this *
// missing levels) per round.
constexpr unsigned kBoostBits = 2;
// The same for x32's entry (see x32_entry_budget), gentler: its weight is one
// leaf's standing for a whole ABI, and each doubling moves it up the whole
// x86_64 tree's right edge at once.
constexpr unsigned kX32BoostBits = 1;

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

// 2^-e, exactly as std::ldexp(1.0, -e) gives it: built from its exponent
// bits where it is a normal double, instead of a libm call per interval
// (~50 instructions each; 281 per compile of Docker's default).
double pow2_negative(unsigned e) {
  constexpr unsigned kExponentBias = 1023;
  if (e >= kExponentBias) return std::ldexp(1.0, -static_cast<int>(e));
  return std::bit_cast<double>(uint64_t{kExponentBias - e} << 52);
}

// The numbers of an ABI's syscall table within one segment of a number
// space, [first, last].
struct TableRange {
  uint32_t first = 0;
  uint32_t last = 0;
};

// The table ranges of the segments that get the longest-path budget. x32 is
// budgeted in its own subtree (`x32`: only x32's table counts; otherwise
// every table but x32's). Found once per tree rather than per interval.
std::vector<TableRange> table_ranges(const NumberSpace& space, bool x32) {
  std::vector<TableRange> out;
  for (const NumberSegment& seg : space.segments) {
    if (seg.policy == nullptr || (seg.abi == syscalls::ArchId::kX32) != x32) continue;
    const syscalls::Table& t = syscalls::table(seg.abi);
    if (t.entries().empty()) continue;
    out.push_back(TableRange{std::max(seg.lo, t.entries().front().nr), std::min(seg.hi, t.max_nr())});
  }
  return out;
}

// An interval that holds numbers of an ABI's syscall table (of `ranges`).
// These get the longest-path budget.
bool in_table_range(std::span<const TableRange> ranges, const Interval& iv) {
  return std::any_of(ranges.begin(), ranges.end(),
                     [&](const TableRange& r) { return iv.lo <= r.last && iv.hi >= r.first; });
}

struct Lowered {
  Graph graph;
  Edge root;
  std::vector<ArchReport> reports;
};

// Where x32's subtree hangs in the x86_64 tree (see split_off_x32): its
// interval, and every interval's count of numbers in an ABI's table (uniform
// weights, whatever the compile's weights are).
struct X32Entry {
  static constexpr size_t kNone = ~size_t{0};
  size_t index = kNone;
  std::vector<double> numbers;
};

// The budget of x32's entry: the mean comparisons of the x86_64 numbers in
// `tree` (each number of its table counted once), rounded up. x32's numbers
// weigh 1/100 of x86_64's (weights.h), which alone sinks its entry to the
// bottom of the x86_64 tree (7 comparisons for Docker's default, then x32's
// own tree on top: more than libseccomp's x32 bit test in front of its tree
// costs). Bounded by an average x86_64 number's path instead, x32 pays for its
// rarity once, and x86_64 pays where the tree has room. Counted by numbers,
// not by the weights: under a named weight model the average hot call is one
// or two comparisons deep, and x32 needs no place among them.
unsigned x32_entry_budget(const X32Entry& x32, std::span<const unsigned> d) {
  double weighted = 0;
  double total = 0;
  for (size_t i = 0; i < d.size(); ++i) {
    if (i == x32.index) continue;
    weighted += x32.numbers[i] * d[i];
    total += x32.numbers[i];
  }
  return total > 0 ? std::max(1u, static_cast<unsigned>(std::ceil(weighted / total))) : 1;
}

// Once every other budget holds: x32's entry gets its budget
// (x32_entry_budget), and every other budgeted interval may no longer pass
// the longest path it has now — lifting x32 costs the x86_64 tree mean
// comparisons, never its longest path. False when already done or there is
// no x32 entry.
bool budget_x32_entry(const X32Entry& x32, std::span<const unsigned> d, std::span<const unsigned> extra,
                      std::vector<unsigned>& budget) {
  if (x32.index == X32Entry::kNone || budget[x32.index] != kNoBudget) return false;
  unsigned longest = 0;
  for (size_t i = 0; i < d.size(); ++i) {
    if (budget[i] != kNoBudget) longest = std::max(longest, d[i] + extra[i]);
  }
  for (size_t i = 0; i < d.size(); ++i) {
    if (budget[i] != kNoBudget) budget[i] = longest - extra[i];
  }
  budget[x32.index] = x32_entry_budget(x32, d);
  return true;
}

// Multiplies the tree weight of each interval deeper than its budget (by
// 2^(kBoostBits per missing level), kX32BoostBits for x32's entry); false
// when every interval is within its budget.
bool boost_over_budget(std::span<const unsigned> d, std::span<const unsigned> budget, size_t x32_index,
                       std::vector<double>& tree_w) {
  bool over = false;
  for (size_t i = 0; i < d.size(); ++i) {
    if (d[i] <= budget[i]) continue;
    over = true;
    const unsigned bits = i == x32_index ? kX32BoostBits : kBoostBits;
    tree_w[i] *= static_cast<double>(1u << std::min(bits * (d[i] - budget[i]), 24u));
  }
  return over;
}

// The optimal tree under `w`, then the longest-path budget (see lower()):
// intervals over budget get their weight quadrupled per missing level and
// the tree is rebuilt, for a few rounds; then as many rounds for x32's
// entry (budget_x32_entry).
DecisionTree budgeted_tree(std::span<const Interval> intervals, std::span<const double> w, std::vector<unsigned> budget,
                           std::span<const unsigned> extra, bool pull_up_arguments, const X32Entry& x32,
                           const TreeOptions& opts) {
  std::vector<double> tree_w(w.begin(), w.end());
  // Under uniform weights the leaves that run an argument subtree are the
  // ones that break the budget: start them pulled up (weight doubled per
  // extra instruction), which saves rounds. Named weights get no head start:
  // their budgets follow the weights and rarely bind.
  if (pull_up_arguments) {
    for (size_t i = 0; i < w.size(); ++i) {
      if (budget[i] != kNoBudget) tree_w[i] *= static_cast<double>(1u << std::min(extra[i], 16u));
    }
  }
  // Each round changes a few weights: the rebuilder redoes only the part of
  // the dynamic program those changes can reach (x32's entry is the last
  // interval: boosting it alone redoes little).
  TreeRebuilder rebuilder(intervals, opts);
  DecisionTree tree = rebuilder.build(tree_w);
  int rounds = kBudgetRounds;
  std::optional<DecisionTree> settled;  // the tree before x32's entry was lifted
  for (int round = 0; round < rounds; ++round) {
    const std::vector<unsigned>& d = tree.interval_tests;  // comparisons per interval
    bool over = boost_over_budget(d, budget, x32.index, tree_w);
    if (!over && budget_x32_entry(x32, d, extra, budget)) {
      rounds = round + 1 + kBudgetRounds;
      over = boost_over_budget(d, budget, x32.index, tree_w);
      // Kept only when rebuilt (moved, not copied); a tree that meets the
      // new budgets too is the answer either way.
      if (over) {
        settled = std::exchange(tree, rebuilder.build(tree_w));
        continue;
      }
    }
    if (!over) break;
    tree = rebuilder.build(tree_w);
  }
  if (settled) {
    // Out of rounds with an x86_64 path longer than before: keep the tree
    // that had x32 deep instead.
    const std::vector<unsigned>& d = tree.interval_tests;
    for (size_t i = 0; i < d.size(); ++i) {
      if (i != x32.index && d[i] > budget[i]) return std::move(*settled);
    }
  }
  return tree;
}

// One number space on its way to a tree: its intervals and their weights,
// and per leaf (by LeafTable index, plus the x32 pseudo leaf) the lowered
// edge and the instructions its subtree runs for zero arguments.
struct SpaceTree {
  std::vector<Interval> intervals;
  std::vector<double> w;
  std::vector<Edge> leaf_edge;
  std::vector<unsigned> leaf_cost;
};

// What the argument compilers of one compile share across number spaces.
struct ArgWork {
  // Their small value trees.
  ValueTrees value_trees;
  // The subtree of each leaf (LeafTable index) by byte order and bound
  // (ArgCompiler::bound_by_linear), where ArgCompiler::compiles_alone: the
  // graph hash-conses, so a leaf that comes back in another number space
  // (socket's rules on i386 as on x86_64) gets the very edge compiling it
  // again would give.
  std::vector<std::array<std::optional<Edge>, 4>> subtrees;

  std::optional<Edge>& subtree(uint32_t leaf, Endian endian, bool bound_by_linear) {
    if (subtrees.size() <= leaf) subtrees.resize(leaf + 1);
    return subtrees[leaf][(endian == Endian::kBig ? 2 : 0) + (bound_by_linear ? 1 : 0)];
  }
};

// Leaves: constant outcomes are returns, the rest argument subtrees
// (compiled per number space: its byte order decides the word offsets).
Expected<void> lower_leaves_once(Graph& g, const NumberSpace& space, const LeafTable& leaves,
                                 const CompileOptions& options, const TreeOptions& tree_opts, ArgWork& work,
                                 bool bound_by_linear, SpaceTree& t) {
  ArgCompiler args(g, space.endian, tree_opts, options.max_argument_states, options.argument_size_slack);
  args.bound_by_linear(bound_by_linear);
  args.keep_small_value_trees(&work.value_trees);
  t.leaf_edge.assign(leaves.size(), Edge{});
  t.leaf_cost.assign(leaves.size(), 1);
  std::vector<bool> have(leaves.size(), false);
  const SeccompWords zero_args{};
  // The argument subtrees are part of the program: once they alone pass the
  // kernel's limit, no layout can fit and the rest is not worth building.
  // Each may be up to the slack (plus 2) larger than the smallest candidate
  // found for it, so the limit is stretched by as much: past it, the
  // smallest candidates could not fit either.
  InsnCounter arg_insns(g);
  size_t subtrees = 0;
  for (const Interval& iv : t.intervals) {
    if (have[iv.leaf]) continue;
    have[iv.leaf] = true;
    const RuleSet& rules = leaves.at(iv.leaf);
    if (args.compiles_alone(rules)) {
      std::optional<Edge>& known = work.subtree(iv.leaf, space.endian, bound_by_linear);
      if (!known) known = args.compile_rules(rules, kOffsetNr);
      t.leaf_edge[iv.leaf] = *known;
    } else {
      t.leaf_edge[iv.leaf] = args.compile_rules(rules, kOffsetNr);
    }
    arg_insns.add(t.leaf_edge[iv.leaf]);
    ++subtrees;
    const double limit = (bpf::kMaxInsns + 2.0 * static_cast<double>(subtrees)) * (1 + options.argument_size_slack);
    if (static_cast<double>(arg_insns.insns()) > limit) {
      const NumberSegment* seg = nullptr;
      for (const NumberSegment& sg : space.segments) {
        if (iv.lo >= sg.lo && iv.lo <= sg.hi) seg = &sg;
      }
      const syscalls::ArchId abi = seg != nullptr ? seg->abi : space.abis.front();
      const auto name = syscalls::table(abi).name(iv.lo);
      return fail(fmt::format(
          "the filter needs more than the kernel's limit of {} instructions: the argument rules of {} up to "
          "syscall {} alone take {}",
          bpf::kMaxInsns, abi_names(space.abis), name ? std::string(*name) : fmt::format("{}", iv.lo),
          arg_insns.insns()));
    }
    t.leaf_cost[iv.leaf] = path_length(g, t.leaf_edge[iv.leaf], zero_args);
  }
  return {};
}

// The argument subtrees, with diagram attempts bounded by the chain of
// single rules (fast); where that overflows the kernel's limit, again
// without that bound (ArgCompiler::bound_by_linear), before giving up. The
// first pass's nodes stay in the graph unreached.
Expected<void> lower_leaves(Graph& g, const NumberSpace& space, const LeafTable& leaves, const CompileOptions& options,
                            const TreeOptions& tree_opts, ArgWork& work, SpaceTree& t) {
  if (lower_leaves_once(g, space, leaves, options, tree_opts, work, true, t)) return {};
  return lower_leaves_once(g, space, leaves, options, tree_opts, work, false, t);
}

// The tree minimizes the mean number of comparisons, which can leave rare
// numbers deep, and an argument subtree adds several instructions below its
// leaf. So the longest path is bounded too: a number of an ABI's table takes
// at most `depth_slack` comparisons more than it would in a balanced tree
// over those intervals — counting the extra instructions of its leaf. Under a
// named weight model a rare syscall may instead sink to the depth an ideal
// code gives its weight (-log2 of its share) plus the slack: the user asked
// for the common case. Where no search tree meets every such bound, all of
// them are raised alike until one can (below). Fills the budget and the
// extra instructions per interval, for x32's table (`x32`, in its own
// subtree) or every other.
// `intervals` and `w` are the tree's (x32's part of a SpaceTree, or all of
// it), `leaf_cost` the SpaceTree's: spans, so that x32's part is not copied.
void depth_budgets(const NumberSpace& space, std::span<const Interval> intervals, std::span<const double> w,
                   std::span<const unsigned> leaf_cost, bool x32, double norm, const CompileOptions& options,
                   std::vector<unsigned>& budget, std::vector<unsigned>& extra) {
  const std::vector<TableRange> ranges = table_ranges(space, x32);
  // The budgeted intervals, each with its limit before any raise (next to
  // each other: the rounds below read nothing else).
  struct Limited {
    size_t index;
    unsigned limit;
  };
  std::vector<Limited> in_range;
  in_range.reserve(intervals.size());
  for (size_t i = 0; i < intervals.size(); ++i) {
    if (in_table_range(ranges, intervals[i])) in_range.push_back(Limited{i, 0});
  }
  const unsigned balanced_depth = ceil_log2(static_cast<double>(in_range.size()));
  for (Limited& x : in_range) {
    const size_t i = x.index;
    extra[i] = std::min(leaf_cost[intervals[i].leaf], 12u) - 1;
    const unsigned ideal = options.weights.is_uniform() ? 0 : ceil_log2(norm / w[i]);
    x.limit = std::max(balanced_depth, ideal) + options.depth_slack;
  }
  // Budgets no tree meets (a tree's leaves at depths d have sum 2^-d <= 1,
  // Kraft's inequality) made every round boost nearly every interval, by up
  // to 2^24 each time: 50 allowed + 700 spread conditions had a sum of 28,
  // 63 of its 68 intervals over budget after every round, and weights
  // spread over 10^22, beyond what the dynamic program's sums resolve, so
  // that rounding chose the tree (mean executed 13.8 to 17.7 by the last
  // bits of the weights). Every limit is raised alike until the budgets
  // can be met by a search tree, whose leaves keep the numbers' order: a
  // sum of at most 1/2 is enough for that (Gilbert and Moore's alphabetic
  // code), 1 is not (0.93 left 8 to 18 intervals over budget each round).
  // Raising only the tightest budgets instead (the syscalls with the longest
  // subtrees) left the others' bounds binding, and the rounds failing:
  // spread/200's longest path 20 -> 26, spread/150's 18 -> 20.
  for (unsigned raise = 0;; ++raise) {
    double kraft = 0;
    for (const Limited& x : in_range) {
      const size_t i = x.index;
      const unsigned l = x.limit + raise;
      budget[i] = l > extra[i] ? l - extra[i] : 1;
      kraft += pow2_negative(budget[i]);
    }
    if (kraft <= 0.5 || raise >= 32) break;
  }
}

// x32's numbers weigh 1/100 of x86_64's: the intervals from x32's first
// number up get a tree of their own, which the x86_64 tree reaches as one
// leaf (the last interval; its index is returned with the tree). That tree
// also takes what lies above x32's numbers — the ENOSYS range and the -1 a
// tracer sets, one interval when they answer alike — so that the x86_64 tree
// needs one test (x32's bit) to reach it rather than two. Its weights are
// x32's own, normalized: the program-size trade-off (size_weight) is made
// per ABI, as for every other ABI, instead of against x86_64's traffic,
// next to which x32 would buy size with its speed; and its longest path is
// bounded as every ABI's is (depth_budgets). Same result for x86_64 numbers
// up to the x32 weights, and the dynamic program runs on ~100 intervals
// instead of ~160.
std::optional<std::pair<DecisionTree, size_t>> split_off_x32(Graph& g, const NumberSpace& space,
                                                             const CompileOptions& options,
                                                             const TreeOptions& tree_opts, SpaceTree& t) {
  const auto x32_seg = std::find_if(space.segments.begin(), space.segments.end(), [](const NumberSegment& s) {
    return s.abi == syscalls::ArchId::kX32 && s.policy != nullptr;
  });
  if (x32_seg == space.segments.end()) return std::nullopt;
  std::vector<Interval>& intervals = t.intervals;
  const auto first_x32 =
      std::find_if(intervals.begin(), intervals.end(), [&](const Interval& iv) { return iv.lo >= x32_seg->lo; });
  if (intervals.end() - first_x32 < 2) return std::nullopt;
  const auto first = first_x32 - intervals.begin();
  const std::vector<Interval> x32_intervals(first_x32, intervals.end());
  const std::span<const double> outer_w = std::span<const double>(t.w).subspan(first);
  const double inner_total = std::accumulate(outer_w.begin(), outer_w.end(), 0.0);
  std::vector<double> inner_w;
  inner_w.reserve(outer_w.size());
  for (double x : outer_w) inner_w.push_back(x / inner_total);
  std::vector<unsigned> budget(x32_intervals.size(), kNoBudget);
  std::vector<unsigned> extra(x32_intervals.size(), 0);
  depth_budgets(space, x32_intervals, inner_w, t.leaf_cost, true, std::accumulate(inner_w.begin(), inner_w.end(), 0.0),
                options, budget, extra);
  DecisionTree x32_tree = budgeted_tree(x32_intervals, inner_w, std::move(budget), extra, options.weights.is_uniform(),
                                        X32Entry{}, tree_opts);
  const Edge inner = lower_tree(g, x32_tree, kOffsetNr, t.leaf_edge);
  const auto pseudo = static_cast<uint32_t>(t.leaf_edge.size());
  t.leaf_edge.push_back(inner);
  t.leaf_cost.push_back(1);
  intervals.erase(first_x32 + 1, intervals.end());
  intervals.back() = Interval{x32_intervals.front().lo, x32_intervals.back().hi, pseudo};
  t.w.erase(t.w.begin() + first + 1, t.w.end());
  t.w.back() = inner_total;
  return std::pair{std::move(x32_tree), intervals.size() - 1};
}

// Expected comparisons over every number of the space (not normalized).
// `tree` is built over `intervals`, which are `all_intervals` with x32's
// merged into one (leaf x32_leaf) when x32_tree is there.
double weighted_tests(const DecisionTree& tree, std::span<const Interval> intervals,
                      const std::optional<DecisionTree>& x32_tree, uint32_t x32_leaf,
                      std::span<const Interval> all_intervals, std::span<const double> all_w) {
  double weighted = 0;
  size_t r = 0;        // the interval of `intervals` holding all_intervals[i]
  size_t r_first = 0;  // the first of all_intervals it holds
  for (size_t i = 0; i < all_intervals.size(); ++i) {
    while (intervals[r].hi < all_intervals[i].lo) {
      ++r;
      r_first = i;
    }
    unsigned tests = tree.interval_tests[r];
    if (x32_tree && intervals[r].leaf == x32_leaf) tests += x32_tree->interval_tests[i - r_first];
    weighted += all_w[i] * tests;
  }
  return weighted;
}

// One number space (the `si`th) lowered into `g`: the entry edge its arch
// test jumps to, and its report.
Expected<Edge> lower_space(Graph& g, const policy::Policy& policy, const CompileOptions& options,
                           const TreeOptions& tree_opts, ArgWork& arg_work, const NumberSpace& space, size_t si,
                           LeafTable& leaves, std::vector<ArchReport>& reports) {
  const bool optimal = options.strategy == Strategy::kOptimal;
  SpaceTree t;
  t.intervals = partition(space, policy.bad_arch_action, leaves, optimal);
  if (auto ok = lower_leaves(g, space, leaves, options, tree_opts, arg_work, t); !ok) {
    return Unexpected<Error>{ok.error()};
  }

  t.w = interval_weights(space, t.intervals, options.weights);
  // Numbers per interval, for x32's entry (X32Entry): the weights themselves
  // when they count numbers.
  std::vector<double> numbers;
  if (optimal && space.abis.size() > 1 && options.weights.counts_numbers()) numbers = t.w;
  const double total = std::accumulate(t.w.begin(), t.w.end(), 0.0);
  for (double& x : t.w) x = (total > 0 ? x / total : 0) + kIntervalFloor;
  const double norm = std::accumulate(t.w.begin(), t.w.end(), 0.0);
  const std::vector<Interval> all_intervals = t.intervals;
  const std::vector<double> all_w = t.w;

  auto x32 = optimal ? split_off_x32(g, space, options, tree_opts, t) : std::nullopt;
  const std::optional<DecisionTree> x32_tree = x32 ? std::optional{std::move(x32->first)} : std::nullopt;
  X32Entry x32_entry;
  if (x32) {
    x32_entry.index = x32->second;
    if (numbers.empty()) {
      x32_entry.numbers = interval_weights(space, t.intervals, Weights::Uniform());
    } else {
      // Only the merged last interval (x32's) differs from before the split.
      numbers.resize(t.intervals.size() - 1);
      numbers.push_back(interval_weights(space, {&t.intervals.back(), 1}, Weights::Uniform()).front());
      x32_entry.numbers = std::move(numbers);
    }
  }

  std::vector<unsigned> budget(t.intervals.size(), kNoBudget);
  std::vector<unsigned> extra(t.intervals.size(), 0);
  if (optimal) depth_budgets(space, t.intervals, t.w, t.leaf_cost, false, norm, options, budget, extra);
  const DecisionTree tree = optimal ? budgeted_tree(t.intervals, t.w, std::move(budget), extra,
                                                    options.weights.is_uniform(), x32_entry, tree_opts)
                                    : build_tree(t.intervals, t.w, tree_opts);
  const Edge root = lower_tree(g, tree, kOffsetNr, t.leaf_edge);

  const auto x32_leaf = static_cast<uint32_t>(t.leaf_edge.size() - 1);
  const double weighted = weighted_tests(tree, t.intervals, x32_tree, x32_leaf, all_intervals, all_w);
  ArchReport r;
  r.audit_arch = space.audit_arch;
  r.abis = space.abis;
  r.intervals = all_intervals.size();
  r.tree_tests = tree.tests + (x32_tree ? x32_tree->tests : 0);
  r.dispatch_insns = static_cast<unsigned>(si) + 3;  // ld arch, arch tests, ld nr
  r.tree_cost = norm > 0 ? weighted / norm : 0;
  reports.push_back(std::move(r));
  return g.enter(root.node, kOffsetArch);
}

Expected<Lowered> lower(const policy::Policy& policy, const CompileOptions& options,
                        const std::vector<NumberSpace>& spaces) {
  Lowered out;
  Graph& g = out.graph;
  LeafTable leaves;
  TreeOptions tree_opts;
  tree_opts.strategy = options.strategy;
  tree_opts.size_weight = options.size_weight;
  tree_opts.exhaustive = options.exhaustive_search;
  ArgWork arg_work;

  std::vector<Edge> entries;
  entries.reserve(spaces.size());
  out.reports.reserve(spaces.size());
  for (size_t si = 0; si < spaces.size(); ++si) {
    auto entry = lower_space(g, policy, options, tree_opts, arg_work, spaces[si], si, leaves, out.reports);
    if (!entry) return Unexpected<Error>{entry.error()};
    entries.push_back(*entry);
  }

  // Arch dispatch: a chain of tests on the arch word, native first.
  Edge next = g.ret(encode(policy.bad_arch_action));
  for (size_t si = spaces.size(); si-- > 0;) {
    next = g.test(kOffsetArch, bpf::kJeq, spaces[si].audit_arch, entries[si], next, kOffsetArch);
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

Expected<void> restrict_abis(policy::Policy& policy, std::span<const syscalls::ArchId> keep) {
  for (syscalls::ArchId id : keep) {
    if (policy.find(id) != nullptr) continue;
    std::vector<syscalls::ArchId> have;
    for (const policy::ArchPolicy& ap : policy.arches) have.push_back(ap.arch);
    std::string list;
    for (syscalls::ArchId h : have) {
      if (!list.empty()) list += ", ";
      list += syscalls::arch(h).name;
    }
    return fail(fmt::format("{} is not an architecture of this filter (it has {})", syscalls::arch(id).name,
                            list.empty() ? "none" : list));
  }
  std::erase_if(policy.arches, [&](const policy::ArchPolicy& ap) {
    return std::find(keep.begin(), keep.end(), ap.arch) == keep.end();
  });
  return {};
}

Expected<Compiled> compile(const policy::Policy& policy, const CompileOptions& options) {
  const std::vector<NumberSpace> spaces = number_spaces(policy);
  auto lowered = lower(policy, options, spaces);
  if (!lowered) return fail(lowered.error().message);
  Lowered& l = *lowered;
  // The other strategies are libseccomp's shapes, for comparison: as built.
  if (options.bypass_decided_tests && options.strategy == Strategy::kOptimal) {
    if (const std::optional<Edge> pruned = prune_decided_tests(l.graph, l.root)) l.root = *pruned;
  }
  auto emitted = emit(l.graph, l.root);
  if (!emitted) return fail(fmt::format("internal error: {}", emitted.error().message));
  Compiled c{std::move(emitted->program), std::move(l.reports), emitted->layout};

  if (c.program.size() > bpf::kMaxInsns && options.argument_size_slack > 0) {
    // Speed was bought with size: the smallest argument subtrees may fit.
    CompileOptions smallest = options;
    smallest.argument_size_slack = 0;
    return compile(policy, smallest);
  }
  if (c.program.size() > bpf::kMaxInsns) {
    // Say which arch needs how much: compile each number space on its own.
    std::string parts;
    for (const NumberSpace& s : spaces) {
      size_t size = 0;
      if (auto one = lower(policy, options, {s})) {
        if (auto p = emit(one->graph, one->root)) size = p->program.size();
      }
      if (!parts.empty()) parts += ", ";
      parts += fmt::format("{}: {}", abi_names(s.abis), size);
    }
    return fail(
        fmt::format("the filter needs {} instructions, {} more than the kernel's limit of {} "
                    "(instructions per architecture on its own: {})",
                    c.program.size(), c.program.size() - bpf::kMaxInsns, bpf::kMaxInsns, parts));
  }
  if (auto ok = validate(c.program); !ok) {
    return fail(fmt::format("internal error: the generated program fails validation: {}", ok.error().message));
  }
  return c;
}

}  // namespace sysfence::compiler
