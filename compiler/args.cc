#include "compiler/args.h"

#include <algorithm>
#include <bit>
#include <cassert>
#include <iterator>
#include <string>
#include <string_view>
#include <utility>

#include "compiler/piece_leaves.h"
#include "policy/operators.h"

namespace sysfence::compiler {

using policy::CmpOp;

namespace {

constexpr uint32_t kMax32 = 0xffffffffU;

}  // namespace

uint32_t ArgCompiler::word(uint8_t arg, bool hi) const {
  return hi ? arg_hi_offset(arg, endian_) : arg_lo_offset(arg, endian_);
}

size_t ArgCompiler::candidate_size(Edge e) {
  candidate_insns_.clear();
  candidate_insns_.add(e);
  return candidate_insns_.insns();
}

size_t ArgCompiler::RuleSetHash::operator()(const RuleSet& s) const {
  uint64_t h = s.rules.size();
  auto mix = [&](uint64_t v) { h = (h ^ v) * 0x100000001b3ULL + (h >> 29); };
  mix(static_cast<uint64_t>(s.otherwise.kind) << 16 | s.otherwise.data);
  mix(s.tail);
  for (const OpenRule& r : s.rules) {
    mix(static_cast<uint64_t>(r.action.kind) << 16 | r.action.data);
    for (const OpenCondition& c : r.conditions) {
      mix(uint64_t{c.arg} << 16 | uint64_t{c.hi} << 8 | static_cast<uint64_t>(c.op));
      mix(c.value);
      mix(c.datum);
    }
  }
  return static_cast<size_t>(h);
}

bool ArgCompiler::RuleSetSame::operator()(const RuleSet& a, const RuleSet& b) const {
  if (compare_action(a.otherwise, b.otherwise) != 0 || a.tail != b.tail || a.rules.size() != b.rules.size()) {
    return false;
  }
  for (size_t i = 0; i < a.rules.size(); ++i) {
    const OpenRule& x = a.rules[i];
    const OpenRule& y = b.rules[i];
    if (compare_action(x.action, y.action) != 0 || !(x.conditions == y.conditions)) return false;
  }
  return true;
}

Edge ArgCompiler::compile(RuleSet s, std::optional<uint32_t> a_holds) {
  if (s.constant()) return s.tail == kNoTail ? g_.ret(encode(s.otherwise)) : g_.enter(s.tail, a_holds);
  RuleSetMemo& memo = memo_[small_trees_ ? 1 : 0];
  const RuleSetMemo::Key key = memo.flatten(s);
  Edge e;
  if (const Edge* known = memo.find(key)) {
    e = *known;
    memo.drop(key);
  } else {
    if (attempt_) {
      Attempt& at = *attempt_;
      at.conditions += condition_count(s);
      const OpenCondition& first = s.rules.front().conditions.front();
      at.insns += a_holds && *a_holds == word(first.arg, first.hi) ? 1 : 2;
      if (at.overflowed || ++at.states > at.max_states || at.conditions > at.max_conditions ||
          at.insns > at.max_insns) {
        at.overflowed = true;
        memo.drop(key);
        return g_.ret(encode(s.otherwise));  // a placeholder: the attempt is discarded
      }
    }
    e = build(s, std::nullopt);
    // Only states built without a placeholder below them are kept.
    if (!attempt_ || !attempt_->overflowed) {
      memo.insert(key, e);
    } else {
      memo.drop(key);
    }
  }
  return g_.enter(e.node, a_holds);
}

std::optional<Edge> ArgCompiler::chain(const RuleSet& s, std::span<const size_t> cuts, size_t max_states,
                                       size_t max_insns, size_t max_conditions, bool small_trees) {
  attempt_ = Attempt{max_states, max_conditions, max_insns};
  small_trees_ = small_trees;
  NodeId tail = s.tail;
  Edge e;
  size_t end = s.rules.size();
  for (size_t i = cuts.size() + 1; i-- > 0;) {
    const size_t begin = i == 0 ? 0 : cuts[i - 1];
    RuleSet part{
        {s.rules.begin() + static_cast<std::ptrdiff_t>(begin), s.rules.begin() + static_cast<std::ptrdiff_t>(end)},
        s.otherwise,
        tail};
    e = compile(std::move(part), std::nullopt);
    if (attempt_->overflowed) break;
    tail = e.node;
    end = begin;
  }
  const bool overflowed = attempt_->overflowed;
  last_work_ = attempt_->conditions;
  attempt_.reset();
  small_trees_ = false;
  if (overflowed) return std::nullopt;
  return e;
}

namespace {

// Segment starts (after the first) of the rules as a chain: every rule on
// its own, or runs of rules that share their action and first tested word
// (with `equalities_only`: and start with an equality on it).
std::vector<size_t> cuts_each(const RuleSet& s) {
  std::vector<size_t> cuts;
  for (size_t i = 1; i < s.rules.size(); ++i) cuts.push_back(i);
  return cuts;
}

std::vector<size_t> cuts_by_first_word(const RuleSet& s, bool equalities_only) {
  std::vector<size_t> cuts;
  for (size_t i = 1; i < s.rules.size(); ++i) {
    const OpenRule& a = s.rules[i - 1];
    const OpenRule& b = s.rules[i];
    const OpenCondition& ca = a.conditions.front();
    const OpenCondition& cb = b.conditions.front();
    // Rules that start with an equality on the same word exclude each other
    // there: their diagram stays linear. A range or mask that holds for many
    // values would repeat its rule's other tests under each of them.
    const bool eq = !equalities_only || (ca.op == CmpOp::kEq && cb.op == CmpOp::kEq);
    if (a.action != b.action || ca.arg != cb.arg || ca.hi != cb.hi || !eq) cuts.push_back(i);
  }
  return cuts;
}

}  // namespace

Edge ArgCompiler::compile_rules(const RuleSet& s, std::optional<uint32_t> a_holds) {
  // The value trees come back among the candidates of one syscall's rules,
  // rarely across syscalls: kept for the whole number space they held most
  // of the compile's peak memory on profiles with many argument rules.
  trees_.clear();
  fast_trees_differ_ = false;
  if (s.constant() || s.rules.size() == 1) return compile(s, a_holds);
  constexpr size_t kUnbounded = ~size_t{0};
  struct Candidate {
    Edge edge;
    size_t size;
  };
  // Most segments first: one rule per segment has at most a few states per
  // condition and is always built; it bounds the diagrams tried after it.
  const std::vector<size_t> each = cuts_each(s);
  const Edge linear = *chain(s, each, kUnbounded, kUnbounded, kUnbounded, true);
  std::vector<Candidate> found{{linear, candidate_size(linear)}};
  size_t smallest = found.front().size;
  auto acceptable = [&] { return static_cast<size_t>(static_cast<double>(smallest) * (1 + size_slack_)) + 2; };
  const std::vector<size_t> by_equality = cuts_by_first_word(s, true);
  const std::vector<size_t> by_word = cuts_by_first_word(s, false);
  const std::vector<size_t> one_diagram;
  // The work (conditions copied into new states) is bounded too: a diagram
  // whose states each still hold most of the rules is exploding.
  // And relative to the chain of single rules: a diagram that copies many
  // times more conditions into its states than that chain does holds most
  // of the rules in each state, and grows past the chain long before its
  // states are counted out.
  const size_t linear_work = bound_by_linear_ ? kWorkPerLinear * last_work_ + kWorkFloor : kMaxStateConditions;
  const size_t work = std::min({kMaxStateConditions, kWorkPerCondition * condition_count(s) + 1024, linear_work});
  // Once a chain of fewer segments than single rules overflowed its bounds
  // with the smallest value trees, the diagrams of fewer segments still
  // (which hold its segments' states and more) are not tried: on 50 allowed
  // + 200 conditions on ioctl the one-diagram attempt spent 3% of the
  // compile to overflow too.
  bool overflowed = false;
  for (const std::vector<size_t>* cuts : {&by_equality, &by_word, &one_diagram}) {
    if (cuts != &one_diagram && (cuts->empty() || cuts->size() == each.size())) continue;
    if (overflowed) break;
    if (cuts == &by_word && by_word == by_equality) continue;
    // The smallest value trees, then the fastest (preferred when close),
    // unless every value tree built so far is both: the fastest attempt
    // would build the very same diagram (the graph shares its nodes).
    for (const bool small : {true, false}) {
      if (!small && !fast_trees_differ_) break;
      const std::optional<Edge> e = chain(s, *cuts, max_states_, acceptable(), work, small);
      if (!e) {
        overflowed = overflowed || small;
        break;
      }
      found.push_back({*e, candidate_size(*e)});
      smallest = std::min(smallest, found.back().size);
      // The fastest trees are never smaller: no use if these are too large.
      if (found.back().size > acceptable()) break;
    }
  }
  // The states of one syscall's rules are rarely those of another's (each
  // segment ends in its own continuation): no use keeping them.
  for (auto& m : memo_) m.clear();
  // Fewer segments and faster trees run fewer instructions (a diagram tests
  // each word once): the last candidate within the slack of the smallest.
  size_t chosen = 0;
  for (size_t i = found.size(); i-- > 0;) {
    if (found[i].size <= acceptable()) {
      chosen = i;
      break;
    }
  }
  // Then the path for zero arguments (by far the most common values, and
  // what the tree over the numbers weighs this subtree by): the shortest
  // among the candidates no larger than that one (ties to the later), or a
  // larger one, still within kZeroSlack of the smallest, that saves at least
  // a quarter of it.
  const SeccompWords zero_args{};
  std::vector<unsigned> zero(found.size());
  for (size_t i = 0; i < found.size(); ++i) zero[i] = path_length(g_, found[i].edge, zero_args);
  const size_t limit = found[chosen].size;
  for (size_t i = chosen; i-- > 0;) {
    if (found[i].size <= limit && zero[i] < zero[chosen]) chosen = i;
  }
  const auto wider = static_cast<size_t>(static_cast<double>(smallest) * (1 + kZeroSlack));
  const unsigned base_zero = zero[chosen];
  for (size_t i = found.size(); i-- > 0;) {
    if (found[i].size <= wider && 4 * zero[i] <= 3 * base_zero && zero[i] < zero[chosen]) chosen = i;
  }
  return g_.enter(found[chosen].edge.node, a_holds);
}

Edge ArgCompiler::build(const RuleSet& s, std::optional<uint32_t> a_holds) {
  const OpenCondition& c = s.rules.front().conditions.front();
  if (c.op == CmpOp::kMaskedEq) return masked_test(s, c, a_holds);
  return interval_split(s, c.arg, c.hi, a_holds);
}

namespace {

// A vector from a list of spare ones, given back (cleared, its capacity
// kept) when done.
template <typename T>
class Borrowed {
 public:
  explicit Borrowed(std::vector<std::vector<T>>& spares) : spares_(spares) {
    if (!spares_.empty()) {
      v_ = std::move(spares_.back());
      spares_.pop_back();
    }
  }
  ~Borrowed() {
    v_.clear();
    spares_.push_back(std::move(v_));
  }
  Borrowed(const Borrowed&) = delete;
  Borrowed& operator=(const Borrowed&) = delete;
  std::vector<T>& operator*() { return v_; }

 private:
  std::vector<std::vector<T>>& spares_;
  std::vector<T> v_;
};

bool tests_word(const OpenCondition& c, uint8_t arg, bool hi) {
  return c.arg == arg && c.hi == hi && c.op != CmpOp::kMaskedEq;
}

// What is left of condition `c` on the word when the word is `v`.
Truth truth_at(OpenCondition& c, uint32_t v, bool hi) {
  if (hi) return resolve_hi(c, v);
  return policy::holds<uint32_t>(c.op, v, lo32(c.value), 0) ? Truth::kTrue : Truth::kFalse;
}

// How the conditions on the word fare when it is `v`: one entry per such
// condition (`on_word`, in rule order). What is left of a condition (kOpen:
// the high word equals the constant's, the low word decides) depends only on
// the condition, so pieces with one signature give one RuleSet: it is built
// once instead of once per piece.
void signature_at(std::span<const OpenCondition> on_word, bool hi, uint32_t v, std::string& out) {
  out.clear();
  for (OpenCondition c : on_word) out.push_back(static_cast<char>(truth_at(c, v, hi)));
}

// The constant a condition on the word compares against.
uint32_t word_constant(const OpenCondition& c, bool hi) { return hi ? hi32(c.value) : lo32(c.value); }

// Where the entries of a signature change from one piece to the next: a
// condition's truth is one below its constant k, another at k and a third
// above it, so it changes only at k and k + 1 (both piece starts). Each
// event is (start, condition index), sorted: walking the pieces in order,
// a piece's signature is the previous one with the events at its start
// applied, instead of every condition evaluated again.
void signature_events(std::span<const OpenCondition> on_word, bool hi,
                      std::vector<std::pair<uint32_t, uint32_t>>& events) {
  events.clear();
  events.reserve(2 * on_word.size());
  for (size_t j = 0; j < on_word.size(); ++j) {
    const uint32_t k = word_constant(on_word[j], hi);
    // A change at 0 is the first piece's own signature.
    if (k != 0) events.emplace_back(k, static_cast<uint32_t>(j));
    if (k != kMax32) events.emplace_back(k + 1, static_cast<uint32_t>(j));
  }
  std::sort(events.begin(), events.end());
}

// The rules of `s` when the word is `v`, whose conditions on the word fare
// as `signature` says (signature_at(v)): rules with a false one are left
// out before anything of them is copied.
RuleSet rules_at(const RuleSet& s, uint8_t arg, bool hi, uint32_t v, std::string_view signature) {
  std::vector<OpenRule> rules;
  size_t next = 0;  // the signature entry of the rule's first condition on the word
  for (const OpenRule& r : s.rules) {
    const size_t first = next;
    bool possible = true;
    for (const OpenCondition& c : r.conditions) {
      if (tests_word(c, arg, hi) && signature[next++] == static_cast<char>(Truth::kFalse)) possible = false;
    }
    if (!possible) continue;
    if (rules.empty()) rules.reserve(s.rules.size());
    // A rule that does not test the word is copied whole.
    if (next == first) {
      rules.push_back(r);
      continue;
    }
    OpenRule& nr = rules.emplace_back(OpenRule{r.action, {}});
    nr.conditions.reserve(r.conditions.size());
    size_t entry = first;
    for (OpenCondition c : r.conditions) {
      if (!tests_word(c, arg, hi)) {
        nr.conditions.push_back(c);
        continue;
      }
      // What is left of an open one: truth_at turns it into its low-word
      // remainder.
      if (signature[entry++] == static_cast<char>(Truth::kOpen) && truth_at(c, v, hi) == Truth::kOpen)
        nr.conditions.push_back(c);
    }
  }
  return normalize(std::move(rules), s.otherwise, s.tail);
}

}  // namespace

void ValueTrees::shape_of(std::span<const Interval> intervals, Shape& out) {
  out.clear();
  out.reserve(intervals.size());
  for (const Interval& iv : intervals) out.push_back(iv.leaf << 1 | (iv.lo == iv.hi ? 1 : 0));
}

size_t ValueTrees::ShapeHash::operator()(const Shape& v) const {
  uint64_t h = v.size();
  for (const uint32_t x : v) h = (h ^ x) * 0x100000001b3ULL + (h >> 29);
  return static_cast<size_t>(h);
}

const DecisionTree* ValueTrees::find(bool smallest, const Shape& shape) const {
  const auto& trees = trees_[smallest ? 1 : 0];
  auto it = trees.find(shape);
  return it == trees.end() ? nullptr : &it->second;
}

const DecisionTree& ValueTrees::add(bool smallest, const Shape& shape, std::span<const Interval> intervals,
                                    DecisionTree tree) {
  // Comparisons are against interval starts (strictly increasing): each
  // named by its interval.
  for (TreeNode& n : tree.nodes) {
    if (n.kind == TreeNode::Kind::kLeaf) continue;
    const auto at = std::lower_bound(intervals.begin(), intervals.end(), n.k,
                                     [](const Interval& iv, uint32_t k) { return iv.lo < k; });
    assert(at != intervals.end() && at->lo == n.k);
    n.k = static_cast<uint32_t>(at - intervals.begin());
  }
  return trees_[smallest ? 1 : 0].emplace(shape, std::move(tree)).first->second;
}

const DecisionTree& ValueTrees::instance(const DecisionTree& kept, std::span<const Interval> intervals,
                                         DecisionTree& out) {
  out = kept;  // reuses out's buffers
  for (TreeNode& n : out.nodes) {
    if (n.kind != TreeNode::Kind::kLeaf) n.k = intervals[n.k].lo;
  }
  return out;
}

void ValueTrees::clear() {
  for (auto& trees : trees_) trees.clear();
}

const DecisionTree& ArgCompiler::value_tree(const std::vector<Interval>& intervals) {
  // The same shape of outcomes comes back in every candidate compile_rules
  // tries, and in most splits of single rules (one constant: below, at,
  // above it): its tree is one dynamic program, done once.
  ValueTrees& cache = kept_ != nullptr && intervals.size() <= kKeptIntervals ? *kept_ : trees_;
  ValueTrees::shape_of(intervals, value_shape_);
  if (value_instance_.nodes.capacity() == 0) {
    // Room for the kept trees' instances at once (2 nodes per interval and
    // a few more for chains): grown tree by tree, they took ~25 of the
    // ~450 allocations of a compile of Docker's default.
    for (DecisionTree* t : {&value_instance_, &fast_instance_}) {
      t->nodes.reserve(2 * kKeptIntervals + 16);
      t->interval_tests.reserve(kKeptIntervals);
    }
  }
  const DecisionTree& tree =
      ValueTrees::instance(kept_tree(small_trees_, intervals, cache), intervals, value_instance_);
  // Whether the fastest trees would differ from the smallest somewhere
  // (each instanced on its own: a full cache is cleared as a tree is added).
  if (small_trees_ && !fast_trees_differ_) {
    const DecisionTree& fast = ValueTrees::instance(kept_tree(false, intervals, cache), intervals, fast_instance_);
    fast_trees_differ_ = tree.root != fast.root || tree.nodes != fast.nodes;
  }
  return tree;
}

const DecisionTree& ArgCompiler::kept_tree(bool smallest, const std::vector<Interval>& intervals, ValueTrees& cache) {
  if (const DecisionTree* known = cache.find(smallest, value_shape_)) return *known;
  // Classes weigh the same, except the one holding 0: zero is by far the most
  // common argument value (flags, the first enum entry, NULL), so it gets as
  // much weight as all other classes together.
  std::vector<double>& weights = value_weights_;
  weights.assign(intervals.size(), 1.0);
  weights.front() = std::max<double>(1.0, static_cast<double>(intervals.size() - 1));
  TreeOptions opts = tree_;
  opts.strategy = Strategy::kOptimal;
  // Size first: any saved instruction outweighs every comparison executed.
  if (smallest) opts.size_weight = 1e9;
  if (&cache == kept_ && kept_->size() >= kMaxKept) kept_->clear();
  return cache.add(smallest, value_shape_, intervals, build_tree(intervals, weights, opts));
}

Edge ArgCompiler::interval_split(const RuleSet& s, uint8_t arg, bool hi, std::optional<uint32_t> a_holds) {
  const uint32_t w = word(arg, hi);
  // One pass over the rules: the conditions on the word (in rule order),
  // the word's domain cut at every constant compared against it, and the
  // conditions of the rules that do not test the word. The scratch buffers
  // are done with before the pieces' subtrees are compiled (which split
  // again): one allocation each for the whole compile.
  std::vector<OpenCondition>& word_conditions = split_conditions_;
  word_conditions.clear();
  std::vector<uint32_t>& starts = split_starts_;
  starts.clear();
  starts.push_back(0);
  size_t passive = 0;
  for (const OpenRule& r : s.rules) {
    const size_t before = word_conditions.size();
    for (const OpenCondition& c : r.conditions) {
      if (!tests_word(c, arg, hi)) continue;
      word_conditions.push_back(c);
      const uint32_t k = word_constant(c, hi);
      starts.push_back(k);
      if (k != kMax32) starts.push_back(k + 1);
    }
    if (word_conditions.size() == before) passive += r.conditions.size();
  }
  std::sort(starts.begin(), starts.end());
  starts.erase(std::unique(starts.begin(), starts.end()), starts.end());
  if (attempt_) {
    // Rules that do not test this word are copied into every piece: the
    // work of a diagram that multiplies, charged before it is done.
    attempt_->conditions += passive * (starts.size() - 1);
    // And every piece reads every rule: quadratic in large groups.
    attempt_->scanned += starts.size() * s.rules.size();
    if (attempt_->conditions > attempt_->max_conditions || attempt_->scanned > kMaxScan) {
      attempt_->overflowed = true;
      return g_.ret(encode(s.otherwise));  // a placeholder: the attempt is discarded
    }
  }

  PieceLeaves leaves(starts.size(), word_conditions.size(), piece_scratch_);
  std::string& signature = split_signature_;
  Borrowed<Interval> borrowed_intervals(spare_intervals_);
  std::vector<Interval>& intervals = *borrowed_intervals;
  intervals.reserve(starts.size());
  std::vector<std::pair<uint32_t, uint32_t>>& events = split_events_;
  signature_events(word_conditions, hi, events);
  auto event = events.begin();
  for (size_t i = 0; i < starts.size(); ++i) {
    const uint32_t v = starts[i];
    if (i == 0) {
      signature_at(word_conditions, hi, v, signature);
    } else {
      for (; event != events.end() && event->first == v; ++event) {
        OpenCondition c = word_conditions[event->second];
        signature[event->second] = static_cast<char>(truth_at(c, v, hi));
      }
    }
    const uint32_t* known = leaves.leaf_of_signature(signature);
    const uint32_t leaf = known != nullptr ? *known : leaves.add(signature, rules_at(s, arg, hi, v, signature));
    const uint32_t end = i + 1 < starts.size() ? starts[i + 1] - 1 : kMax32;
    if (!intervals.empty() && intervals.back().leaf == leaf) {
      intervals.back().hi = end;
    } else {
      intervals.push_back(Interval{v, end, leaf});
    }
  }
  // `leaves` is done with its scratch: the pieces' splits take it over.
  std::vector<RuleSet>& children = leaves.children();
  Borrowed<Edge> borrowed_edges(spare_edges_);
  std::vector<Edge>& leaf_edge = *borrowed_edges;
  leaf_edge.reserve(children.size());
  for (RuleSet& child : children) {
    leaf_edge.push_back(compile(std::move(child), w));
    // An attempt past its bounds is discarded whole: no use compiling the
    // other pieces or choosing their tests (a dynamic program per split).
    if (attempt_ && attempt_->overflowed) return g_.ret(encode(s.otherwise));  // a placeholder
  }
  // One piece: its subtree, entered as the caller's A has it.
  if (intervals.size() == 1) return g_.enter(leaf_edge.front().node, a_holds);

  const Edge root = lower_tree(g_, value_tree(intervals), w, leaf_edge);
  return g_.enter(root.node, a_holds);
}

Edge ArgCompiler::masked_test(const RuleSet& s, const OpenCondition& test, std::optional<uint32_t> a_holds) {
  const OpenCondition c = test;  // `test` lives in `s`, which we copy below
  const uint32_t w = word(c.arg, c.hi);
  const uint32_t m = c.hi ? hi32(c.value) : lo32(c.value);
  const uint32_t d = c.hi ? hi32(c.datum) : lo32(c.datum);
  auto branch = [&](bool match) {
    std::vector<OpenRule> rules;
    rules.reserve(s.rules.size());
    for (const OpenRule& r : s.rules) {
      OpenRule nr{r.action, {}};
      bool possible = true;
      for (OpenCondition x : r.conditions) {
        if (!(x == c)) {
          nr.conditions.push_back(x);
          continue;
        }
        if (!match) {
          possible = false;
          break;
        }
        if (x.hi) {
          x.hi = false;
          x.value = lo32(x.value);
          x.datum = lo32(x.datum);
          if (simplify(x) == Truth::kOpen) nr.conditions.push_back(x);
          // kFalse cannot happen: MASKED_EQ is never constantly false.
        }
      }
      if (possible) rules.push_back(std::move(nr));
    }
    return normalize(std::move(rules), s.otherwise, s.tail);
  };
  // Moved into compile(): not copied again.
  RuleSet yes = branch(true);
  RuleSet no = branch(false);
  // `and` leaves A = word & m: the children reload what they read.
  const bool and_first = d != 0 && std::popcount(m) != 1 && m != kMax32;
  const std::optional<uint32_t> child_holds = and_first ? std::nullopt : std::optional<uint32_t>(w);
  // The branches are compiled in a fixed order, not as arguments of one
  // call, whose order of evaluation C++ leaves to the compiler: compile()
  // counts the states of an attempt against its bounds and fills the memo,
  // so with the other order an attempt may overflow or share differently,
  // and a clang build could emit another filter than a GCC build. The
  // order is the one GCC gave them (its filters are unchanged).
  Edge on_yes;
  Edge on_no;
  if (d == 0) {
    on_yes = compile(std::move(yes), child_holds);
    on_no = compile(std::move(no), child_holds);
  } else {
    on_no = compile(std::move(no), child_holds);
    on_yes = compile(std::move(yes), child_holds);
  }
  // (A & m) == 0  <=>  !(A & m)
  if (d == 0) return g_.test(w, bpf::kJset, m, on_no, on_yes, a_holds);
  if (std::popcount(m) == 1) return g_.test(w, bpf::kJset, m, on_yes, on_no, a_holds);
  if (m == kMax32) return g_.test(w, bpf::kJeq, d, on_yes, on_no, a_holds);
  return g_.masked_test(w, m, bpf::kJeq, d, on_yes, on_no, a_holds);
}

}  // namespace sysfence::compiler
