#include "compiler/optimal_tree.h"

#include <algorithm>
#include <bit>
#include <cassert>
#include <cmath>
#include <limits>
#include <memory>
#include <utility>
#include <vector>

namespace sysfence::compiler {

namespace {

// A cost: a whole number of quanta (OptimalTree::quantize), below 2^53 so
// that the dynamic program's sums are exact. Held in a double: with int64_t
// GCC makes the split-point scans branch-free, whose dependent conditional
// moves measured 27% slower (Docker's default's trees) than the predicted
// jumps it makes for doubles.
using Cost = double;
constexpr Cost kNoChain = std::numeric_limits<Cost>::infinity();
constexpr size_t kKnuthSlack = 2;
// Workspaces for trees up to this many intervals (about 1 MB) stay allocated.
constexpr size_t kKeepWorkspace = 256;

// An equals-chain over intervals [i, j]: every interval that is not a single
// value shares one leaf (the "rest"); single values with another leaf are
// peeled off by `jeq`, heaviest first.
struct Chain {
  Cost cost = kNoChain;
  uint32_t rest = 0;
};

class OptimalTree {
 public:
  OptimalTree(std::span<const Interval> iv, std::span<const double> w, const TreeOptions& o)
      : iv_(iv), o_(o), n_(iv.size()), span_(2 * o.max_chain + 2) {
    // The previous run's spare buffers: value trees are a few intervals
    // each, and an allocation per tree cost more than their prefix sums.
    Workspace& ws = workspace();
    prefix_ = std::move(ws.spare_prefix);
    w_ = std::move(ws.spare_weights);
    quantize(w);
    prefix_.assign(n_ + 1, 0);
    for (size_t i = 0; i < n_; ++i) prefix_[i + 1] = prefix_[i] + w_[i];
  }

  // The weights, and the size weight, as whole numbers of one quantum (a
  // power of two), 2^-46 of the scale (the total weight plus the size
  // weight of a tree's every node). Every prefix sum is then exact (below
  // 2^53 quanta), and so is every cost up to trees 2^7 comparisons deep:
  // - a range's weight, a difference of prefix sums, depends on its own
  //   intervals' weights only, not on the weights before it, so a rebuild
  //   that changed one interval keeps the cells of every range after it
  //   (rounded prefix sums made most of those differ in their last bits:
  //   a budget round redid ~80% of a full run's work);
  // - split points and chains that cost the same compare equal, and the
  //   first wins (rounding decided such ties before).
  // The rounding moves a weight by at most 2^-47 of the scale: an interval
  // at the 10^-6 floor keeps a few quanta even next to one the budget
  // rounds made 2^24 times heavier than the rest of the tree (the doubles'
  // prefix sums lost such weights as well).
  void quantize(std::span<const double> w) {
    // Summed at 2^-kDown, so that no sum overflows: at most
    // kMaxDynamicProgram weights of at most the largest double, and the
    // size weight's term (an overflowing sum once gave a quantum past which
    // the prefix sums rounded, and rebuilds differed from fresh builds).
    constexpr int kDown = 12;
    static_assert(kMaxDynamicProgram <= (size_t{1} << (kDown - 2)));
    // A product with 2^-kDown is exact, or rounded as ldexp rounds (a
    // library call per weight: 1.2% of a compile of Docker's default).
    constexpr double kDownScale = 1.0 / (1 << kDown);
    double scaled = weight_of(o_.size_weight) * kDownScale * static_cast<double>(2 * n_);
    for (const double x : w) scaled += weight_of(x) * kDownScale;
    int exponent = 0;
    (void)std::frexp(scaled, &exponent);  // scaled < 2^exponent
    // Not below the least double: a scale of subnormal weights (whose
    // quantum would round to 0) takes that.
    quantum_ = std::ldexp(1.0, std::max(exponent + kDown - 46, std::numeric_limits<double>::min_exponent - 53));
    size_weight_ = quanta(o_.size_weight);
    w_.resize(n_);
    for (size_t i = 0; i < n_; ++i) w_[i] = quanta(w[i]);
  }

  // A weight as the dynamic program reads it: the largest double for an
  // infinite one, 0 for NaN (and for a negative one, which no caller passes).
  static double weight_of(double x) { return x > 0 ? std::min(x, std::numeric_limits<double>::max()) : 0; }

  // `x` (>= 0) in whole quanta, rounded to the nearest: a conversion the
  // compiler inlines (std::nearbyint is a library call without SSE4.1, 3% of
  // the tree's time).
  Cost quanta(double x) const { return static_cast<Cost>(static_cast<int64_t>(weight_of(x) / quantum_ + 0.5)); }

  // Builds the tree. `reuse.run`, when not 0, names the workspace run whose
  // tables (same intervals, same options) may be reused (see Reuse and
  // TreeRebuilder); *run_out receives the id of this run's tables, 0 when
  // they are not kept.
  DecisionTree run(Reuse reuse = {}, uint64_t* run_out = nullptr) {
    // The tables live as long as the thread: a compile builds several trees
    // of a few hundred intervals each, and fresh n^2 arrays every time would
    // cost more in page faults than the dynamic program itself. Every cell
    // i <= j is written before it is read, so nothing needs clearing.
    Workspace& ws = workspace();
    // Another quantum quantized the unchanged weights differently.
    if (reuse.run == 0 || reuse.run != ws.run || ws.n != n_ || ws.quantum != quantum_) reuse = Reuse{};
    reuse_ = reuse;
    ws.run = ++ws.runs;
    ws.cost.grow(n_ * n_);
    ws.cost_t.grow(n_ * n_);
    ws.cell.grow(n_ * n_);
    // compute_chains writes every chain the dynamic program reads, kNoChain
    // where none exists, so the table is not cleared between runs.
    if (ws.chain.size() < n_ * span_) ws.chain.resize(n_ * span_);
    compute_chains(ws);
    for (size_t i = 0; i < n_; ++i) {
      ws.cost[i * n_ + i] = 0;
      ws.cost_t[i * n_ + i] = 0;
      ws.cell[cell_index(i, i)] = pack(0, kLeafRange);
    }
    fill_tables(ws);
    ws.n = n_;
    ws.quantum = quantum_;
    DecisionTree t;
    t.nodes.reserve(2 * n_ + 16);  // n_ leaves and n_ - 1 tests, a few more with chains
    TreeMaker m(t);
    t.interval_tests.assign(n_, 0);
    exceptions_ = std::move(ws.exceptions);
    t.root = build(ws, m, t.interval_tests, 0, n_ - 1, 0);
    ws.exceptions = std::move(exceptions_);
    // Keep the tables for the next tree unless they grew unusually large.
    if (n_ > kKeepWorkspace) {
      const uint64_t runs = ws.runs;
      ws = Workspace{};
      ws.runs = runs;
    } else {
      ws.spare_prefix = std::move(prefix_);  // build() reads none
      ws.spare_weights = std::move(w_);
    }
    if (run_out != nullptr) *run_out = ws.run;
    return t;
  }

  // Frees this thread's tables. The run counter stays: a Reuse naming an
  // older run must not match a later one.
  static void release_workspace() {
    Workspace& ws = workspace();
    const uint64_t runs = ws.runs;
    ws = Workspace{};
    ws.runs = runs;
  }

 private:
  enum RangeKind : uint8_t { kLeafRange, kSplitRange, kChainRange };

  // An n^2 table whose cells are written before they are read: growing it
  // neither clears nor copies (a larger tree never reuses a smaller one's
  // cells), which spares the first compile of a process a memset of a few
  // hundred kilobytes per table.
  template <typename T>
  struct Table {
    std::unique_ptr<T[]> data;
    size_t size = 0;
    void grow(size_t n) {
      if (size >= n) return;
      data = std::make_unique_for_overwrite<T[]>(n);
      size = n;
    }
    T& operator[](size_t i) { return data[i]; }
    const T& operator[](size_t i) const { return data[i]; }
  };

  // A range's best split point (its root, counted from the range's first
  // interval) and kind, packed in 16 bits: ranges have at most
  // kMaxDynamicProgram (< 2^14) intervals. Relative roots let fill_cells
  // work with offsets from i only (no j, fewer live registers).
  using Cell = uint16_t;
  static Cell pack(size_t root, RangeKind kind) { return static_cast<Cell>(root | (size_t{kind} << 14)); }
  static size_t root_of(Cell c) { return c & 0x3fff; }
  static RangeKind kind_of(Cell c) { return static_cast<RangeKind>(c >> 14); }
  // Cells and chains are stored by range length, then start: the diagonal
  // the dynamic program fills, and the one below that it reads (root(i,
  // j-1) and root(i+1, j) are neighbours there), are each one sequential
  // run of memory instead of one cache line per cell.
  size_t cell_index(size_t i, size_t j) const { return (j - i) * n_ + i; }
  size_t chain_index(size_t i, size_t len) const { return len * n_ + i; }

  struct Workspace {
    Table<Cost> cost;
    Table<Cost> cost_t;        // transposed: cost_t[j * n + i] = cost[i * n + j]
    Table<Cell> cell;            // [cell_index(i, j)]
    std::vector<Chain> chain;    // [chain_index(i, len)], len < span
    size_t n = 0;  // the intervals of the run the tables hold
    // compute_chains' buffers, kept with the tables so that a run allocates none.
    std::vector<Cost> sorted;
    std::vector<std::pair<Cost, uint32_t>> singles;
    std::vector<std::pair<uint32_t, size_t>> leaves;
    // The prefix sums' other buffer (the tables' are `prefix`) and build()'s
    // buffer for a chain's exceptions: a run allocates neither.
    std::vector<Cost> spare_prefix;
    std::vector<Cost> spare_weights;  // the quantized weights' buffer
    double quantum = 0;                 // the quantum of the run the tables hold
    std::vector<size_t> exceptions;
    uint64_t runs = 0;  // runs so far on this thread
    uint64_t run = 0;   // the run the tables hold; 0: none
  };
  static Workspace& workspace() {
    static thread_local Workspace ws;
    return ws;
  }
  Cost weight(size_t i, size_t j) const { return prefix_[j + 1] - prefix_[i]; }
  // Whether the reused tables hold range [i, j]'s cell and chain as this
  // run would compute them: the ranges before the first changed weight and
  // those after the last one. Their (quantized) interval weights are the
  // same as in that run, and so, the sums being exact, are the weights of
  // every range inside them: so are their cells, the Knuth windows those
  // give, and their chains.
  bool reusable(size_t i, size_t j) const { return reuse_.run != 0 && (j < reuse_.below || i >= reuse_.above); }
  // Whether every chain starting at interval i is reusable, so that
  // compute_chains need not even walk them.
  bool chains_reusable_from(size_t i) const {
    const size_t last = std::min(n_, i + span_ - 1);  // ranges [i, j] for j < last
    return reusable(i, last - 1);
  }
  bool single(size_t i) const { return iv_[i].lo == iv_[i].hi; }

  // Exceptions of range [i, j] for rest leaf `rest`, heaviest first (equal
  // weights in interval order) into `e`. A chain has at most max_chain of
  // them: an insertion sort, stable, needs no buffer.
  void exceptions(size_t i, size_t j, uint32_t rest, std::vector<size_t>& e) const {
    e.clear();
    for (size_t x = i; x <= j; ++x) {
      if (iv_[x].leaf != rest) e.push_back(x);
    }
    for (size_t r = 1; r < e.size(); ++r) {
      const size_t x = e[r];
      size_t at = r;
      for (; at > 0 && w_[e[at - 1]] < w_[x]; --at) e[at] = e[at - 1];
      e[at] = x;
    }
  }

  // Chains over [i, j] for every range short enough to hold one: with
  // maximal intervals, a chain alternates "rest" and exceptions, so a range
  // longer than 2 * max_chain + 1 intervals needs more than max_chain tests.
  // Cost of the chain over [i, j] that peels `sorted` (exception weights,
  // heaviest first) in front of the rest.
  Cost chain_cost(size_t i, size_t j, const std::vector<Cost>& sorted) const {
    Cost c = 0;
    Cost ew = 0;
    for (size_t r = 0; r < sorted.size(); ++r) {
      c += sorted[r] * static_cast<Cost>(r + 1);
      ew += sorted[r];
    }
    const auto p = static_cast<Cost>(sorted.size());
    return c + (weight(i, j) - ew) * p + size_weight_ * p;
  }

  static void add_single(std::vector<std::pair<Cost, uint32_t>>& singles,
                         std::vector<std::pair<uint32_t, size_t>>& leaves, Cost w, uint32_t leaf) {
    const auto heavier = [](const std::pair<Cost, uint32_t>& a, const std::pair<Cost, uint32_t>& b) {
      return a.first > b.first;
    };
    const std::pair<Cost, uint32_t> item{w, leaf};
    singles.insert(std::upper_bound(singles.begin(), singles.end(), item, heavier), item);
    auto it = std::find_if(leaves.begin(), leaves.end(), [&](const auto& l) { return l.first == leaf; });
    if (it == leaves.end()) leaves.emplace_back(leaf, 1);
    else ++it->second;
  }

  // The cheapest chain over [i, j], single numbers only: any of their leaves
  // may be the rest (the first of equally cheap ones in order of
  // appearance). A rest with more than max_chain exceptions is skipped before
  // any work; the others' costs are chain_cost's, operation for operation:
  // `singles` without the rest's entries is the exception weights in
  // descending order (equal weights in any order: the same values).
  Chain best_single_chain(size_t i, size_t j, std::span<const std::pair<Cost, uint32_t>> singles,
                          std::span<const std::pair<uint32_t, size_t>> leaves) const {
    const size_t len = j - i + 1;
    Chain best;
    for (const auto& [rest, count] : leaves) {
      if (len - count > o_.max_chain) continue;
      Cost c = 0;
      Cost ew = 0;
      size_t r = 0;
      for (const auto& [w, leaf] : singles) {
        if (leaf == rest) continue;
        c += w * static_cast<Cost>(r + 1);
        ew += w;
        ++r;
      }
      const auto p = static_cast<Cost>(r);
      const Cost cost = c + (weight(i, j) - ew) * p + size_weight_ * p;
      if (cost < best.cost) best = Chain{cost, rest};
    }
    return best;
  }

  void compute_chains(Workspace& ws) {
    constexpr uint32_t kNone = std::numeric_limits<uint32_t>::max();
    std::vector<Cost>& sorted = ws.sorted;  // exception weights, descending
    // While [i, j] holds only single numbers: their weights (descending)
    // with their leaves, and each leaf with how many of them it has (in the
    // order the leaves first appear), both kept up to date as j grows.
    std::vector<std::pair<Cost, uint32_t>>& singles = ws.singles;
    std::vector<std::pair<uint32_t, size_t>>& leaves = ws.leaves;
    // A range holds fewer than span_ intervals: no growing on the way.
    sorted.reserve(span_);
    singles.reserve(span_);
    leaves.reserve(span_);
    for (size_t i = 0; i < n_; ++i) {
      if (chains_reusable_from(i)) continue;
      uint32_t wide = kNone;  // the leaf of the non-single intervals: the rest
      sorted.clear();
      singles.clear();
      leaves.clear();
      const size_t last = std::min(n_, i + span_ - 1);  // ranges [i, j] for j < last
      size_t j = i;
      for (; j < last; ++j) {
        const uint32_t leaf = iv_[j].leaf;
        if (!single(j)) {
          if (wide == kNone) {
            wide = leaf;
            sorted.clear();
            for (size_t x = i; x < j; ++x) {
              if (iv_[x].leaf != wide) sorted.push_back(w_[x]);
            }
            std::sort(sorted.begin(), sorted.end(), std::greater<>());
          } else if (wide != leaf) {
            break;  // no chain covers this range, nor any longer one
          }
        } else if (wide != kNone && leaf != wide) {
          sorted.insert(std::upper_bound(sorted.begin(), sorted.end(), w_[j], std::greater<>()), w_[j]);
        }
        if (wide == kNone) add_single(singles, leaves, w_[j], leaf);
        if (j == i) continue;
        if (wide != kNone && sorted.size() > o_.max_chain) break;
        if (reusable(i, j)) continue;
        if (wide != kNone) {
          ws.chain[chain_index(i, j - i + 1)] = Chain{chain_cost(i, j, sorted), wide};
          continue;
        }
        ws.chain[chain_index(i, j - i + 1)] = best_single_chain(i, j, singles, leaves);
      }
      // The longer ranges from i have no chain (only the cost is read). A
      // reused table already says so: which chains exist depends on the
      // leaves and lengths only, not on the weights.
      if (reuse_.run == 0) {
        Chain* none = &ws.chain[chain_index(i, j - i + 1)];
        for (; j < last; ++j, none += n_) none->cost = kNoChain;
      }
    }
  }

  // Diagonal by diagonal (ranges of 2 intervals, then 3, ...): cell (i, j)
  // needs (i, j-1) and (i+1, j), one diagonal down, and cost(i, k-1),
  // cost(k, j) of shorter ranges, all done. The cells of one diagonal are
  // independent, so the processor overlaps their split-point scans (each
  // a chain of dependent comparisons); row by row, every cell waited for
  // its left neighbour. Each cell is computed exactly as before, so the
  // order changes nothing in the tables. cost(i, k-1) runs along row i
  // and cost(k, j) along column j, which cost_t keeps as a row: both scans
  // are sequential.
  //
  // With reused tables, only the ranges holding a changed weight are
  // computed (reusable): those that end at or after the first and start
  // at or before the last.
  void fill_tables(Workspace& ws) {
    for (size_t d = 1; d < n_; ++d) {
      size_t first = 0;
      size_t end = n_ - d;  // the diagonal's cells are i < end
      if (reuse_.run != 0) {
        first = reuse_.below > d ? reuse_.below - d : 0;
        end = std::min(end, reuse_.above);
      }
      if (first < end) fill_cells(ws, d, first, end);
    }
  }

  // Cells (i, i + d) for first <= i < end: per cell, the best split point
  // (or chain) for intervals i..i+d. Along a diagonal every table position
  // moves by a constant step, so the positions are carried from cell to
  // cell instead of recomputed (this loop runs once per range). The search
  // mode and whether the diagonal's ranges can be chains are fixed per
  // diagonal: each combination gets its own loop.
  void fill_cells(Workspace& ws, size_t d, size_t first, size_t end) {
    const bool chains = d + 1 < span_;
    if (o_.exhaustive) {
      if (chains) fill_cells<false, true>(ws, d, first, end);
      else fill_cells<false, false>(ws, d, first, end);
    } else if (chains) {
      fill_cells<true, true>(ws, d, first, end);
    } else {
      fill_cells<true, false>(ws, d, first, end);
    }
  }

  // c, at split point k, if it is less than the best so far. Written as
  // selects; GCC turns the four-at-a-time ones into jumps, and forcing
  // conditional moves there (an integer mask for best_k) measured slower:
  // 39% more instructions and 50% more time on Docker's default, whose
  // jumps the processor predicts well.
  static void take_if_less(Cost c, size_t k, Cost& best, size_t& best_k) {
    const bool less = c < best;
    best_k = less ? k : best_k;
    best = less ? c : best;
  }

  // The first k in [lo, hi] with the least row[k - 1] + right[k] (the
  // split point's cost without the range's own weight), and that cost. The
  // comparisons go in order of k, so ties go to the first point. Most
  // windows hold five points (Knuth's bounds agree, widened by the slack on
  // both sides; measured: 69% of Docker's default's cells, 82% five or
  // more): after the first, the (hi - lo) % 4 next ones one by one, then
  // the rest four at a time, so that a five-point window runs no loop test
  // but the group's (measured: 4.4% fewer instructions in the dynamic
  // program than only the first four unrolled). Vector versions measured
  // slower on Docker's default (x86_64, same trees): a five-point window
  // costs about 27 scalar instructions, while AVX2 over one window (two
  // overlapping groups of four, least sum, first equal point) took 33 and
  // 20% more time; four ranges of a diagonal per vector (costs stored by
  // diagonal) walk the union of their windows, 9.5 points per four ranges
  // against 5.7 per range, with three comparisons per point to mask the
  // others' windows; with AVX2 over the tables as they are (for one k the
  // four ranges' left costs lie side by side in cost_t, the right ones in
  // cost) the union is still 8.8 points, and the dynamic program took 30%
  // more instructions and 40% more time.
  static std::pair<Cost, size_t> best_split(const Cost* row, const Cost* right, size_t lo, size_t hi) {
    const Cost* left = row - 1;  // left[k] = row[k - 1]
    Cost best = left[lo] + right[lo];
    size_t best_k = lo;
    size_t k = lo + 1;
    for (const size_t odd = k + (hi - lo) % 4; k < odd; ++k) take_if_less(left[k] + right[k], k, best, best_k);
    for (; k <= hi; k += 4) {
      take_if_less(left[k] + right[k], k, best, best_k);
      take_if_less(left[k + 1] + right[k + 1], k + 1, best, best_k);
      take_if_less(left[k + 2] + right[k + 2], k + 2, best, best_k);
      take_if_less(left[k + 3] + right[k + 3], k + 3, best, best_k);
    }
    return {best, best_k};
  }

  template <bool kKnuth, bool kChains>
  void fill_cells(Workspace& ws, size_t d, size_t first, size_t end) {
    const size_t n = n_;
    const Cost slack_cost = size_weight_;
    // Diagonal d - 1: below[i] is (i, j - 1), below[i + 1] is (i + 1, j).
    const Cell* below = &ws.cell[(d - 1) * n];
    Cell* here = &ws.cell[d * n];
    const Chain* chains = kChains ? &ws.chain[chain_index(0, d + 1)] : nullptr;
    const Cost* prefix = prefix_.data();
    const Cost* prefix_end = prefix + d + 1;  // prefix_end[i] = prefix[j + 1]
    // Both step to the next cell by n + 1: row[k] is cost(i, i + k), right[k]
    // is cost(i + k, j), for split points i + k (k = d stores the range's own).
    Cost* row = &ws.cost[first * n + first];
    Cost* right = &ws.cost_t[(first + d) * n + first];
    size_t next_a = root_of(below[first]);  // root(i, j - 1) - i of the next cell
    for (size_t i = first; i < end; ++i, row += n + 1, right += n + 1) {
      size_t lo = 1;
      size_t hi = d;
      if constexpr (kKnuth) {
        // Knuth: root(i, j-1) <= root(i, j) <= root(i+1, j) for the plain
        // problem. Chains break that monotonicity now and then, so the
        // window is widened by kKnuthSlack on each side (measured: the real
        // profiles' filters under uniform weights then equal the full
        // search's on 47 of 52 profile x architecture pairs; the narrower
        // window changes many, some for the worse). Offsets from i: root(i +
        // 1, j) is stored from i + 1.
        const size_t a = next_a;
        const size_t b = root_of(below[i + 1]);
        next_a = b;
        // max(1, a - slack), without the underflow check.
        lo = std::max(lo + kKnuthSlack, a) - kKnuthSlack;
        hi = std::min<size_t>(hi, b + 1 + kKnuthSlack);
        if (lo > hi) lo = hi;
      }
      auto [best, best_k] = best_split(row, right, lo, hi);
      best += prefix_end[i] - prefix[i] + slack_cost;
      RangeKind kind = kSplitRange;
      if constexpr (kChains) {
        // Without a branch, as in best_split.
        const Cost chain = chains[i].cost;
        const bool chain_wins = chain <= best;
        kind = chain_wins ? kChainRange : kSplitRange;
        best = chain_wins ? chain : best;
      }
      here[i] = pack(best_k, kind);
      row[d] = best;
      right[0] = best;
    }
  }

  // The tree over intervals [i, j], `depth` comparisons below the root;
  // tests[x] receives the comparisons interval x takes.
  int32_t build(const Workspace& ws, TreeMaker& m, std::vector<unsigned>& tests, size_t i, size_t j, unsigned depth) {
    if (i == j) {
      tests[i] = depth;
      return m.leaf(iv_[i].leaf);
    }
    switch (kind_of(ws.cell[cell_index(i, j)])) {
      case kChainRange: {
        const Chain& ch = ws.chain[chain_index(i, j - i + 1)];
        std::vector<size_t>& e = exceptions_;
        exceptions(i, j, ch.rest, e);
        // The rest passes every test; the r-th exception leaves at the
        // (r+1)-th (exceptions are single values, so no other value stops there).
        for (size_t x = i; x <= j; ++x) tests[x] = depth + static_cast<unsigned>(e.size());
        for (size_t r = 0; r < e.size(); ++r) tests[e[r]] = depth + static_cast<unsigned>(r + 1);
        int32_t node = m.leaf(ch.rest);
        for (size_t r = e.size(); r-- > 0;) {
          node = m.equals(iv_[e[r]].lo, m.leaf(iv_[e[r]].leaf), node);
        }
        return node;
      }
      case kSplitRange: {
        const size_t k = i + root_of(ws.cell[cell_index(i, j)]);
        const int32_t below = build(ws, m, tests, i, k - 1, depth + 1);
        const int32_t above = build(ws, m, tests, k, j, depth + 1);
        return m.split(iv_[k].lo, below, above);
      }
      case kLeafRange: break;
    }
    assert(false);
    return m.leaf(iv_[i].leaf);
  }

  std::span<const Interval> iv_;
  std::vector<Cost> w_;  // the weights, quantized (quantize())
  double quantum_ = 0;
  Cost size_weight_ = 0;  // o_.size_weight, quantized
  const TreeOptions& o_;
  size_t n_;
  size_t span_;  // chains cover ranges of fewer than span_ intervals
  std::vector<Cost> prefix_;
  std::vector<size_t> exceptions_;  // build's buffer for a chain's exceptions
  Reuse reuse_;                     // what this run may keep of the tables
};

}  // namespace

DecisionTree optimal_tree(std::span<const Interval> iv, std::span<const double> w, const TreeOptions& o, Reuse reuse,
                          uint64_t* run_out) {
  return OptimalTree(iv, w, o).run(reuse, run_out);
}

void release_tree_tables() { OptimalTree::release_workspace(); }

}  // namespace sysfence::compiler
