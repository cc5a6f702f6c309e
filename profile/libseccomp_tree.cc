#include "profile/libseccomp_tree.h"

#include <array>

#include "base/seccomp.h"
#include "policy/overlap.h"
#include "profile/libseccomp_codegen.h"
#include "profile/libseccomp_db.h"

namespace sysfence::profile {

namespace libseccomp_db {

namespace {

using policy::ArgCondition;
using policy::ArgWidth;
using policy::CmpOp;

// The rule's operand and mask as libseccomp holds them.
std::pair<uint64_t, uint64_t> mask_and_datum(const ArgCondition& a) {
  if (a.op == CmpOp::kMaskedEq) return {a.value, a.value_two};
  return {~uint64_t{0}, a.value};
}

// A path's conditions without those its exact words decide: once a word is
// known (== or a full-word MASKED_EQ), the other tests of that word hold.
std::vector<ArgCondition> simplified(const std::vector<ArgCondition>& conds) {
  std::array<std::optional<uint64_t>, 6> low;
  std::array<std::optional<uint64_t>, 6> high;
  std::vector<bool> fixes(conds.size());
  for (size_t k = 0; k < conds.size(); ++k) {
    const ArgCondition& c = conds[k];
    if (c.width == ArgWidth::k32 && c.op == CmpOp::kEq && !low[c.index]) {
      low[c.index] = c.value & 0xffffffffU;
      fixes[k] = true;
    } else if (c.width == ArgWidth::k64 && c.op == CmpOp::kMaskedEq && c.value == 0xffffffff00000000ULL &&
               !high[c.index]) {
      high[c.index] = c.value_two & c.value;
      fixes[k] = true;
    }
  }
  std::vector<ArgCondition> out;
  for (size_t k = 0; k < conds.size(); ++k) {
    const ArgCondition& c = conds[k];
    const auto& known = c.width == ArgWidth::k32 ? low[c.index] : high[c.index];
    if (!fixes[k] && known && policy::condition_holds(c, *known)) continue;
    out.push_back(c);
  }
  return out;
}

}  // namespace

void Tree::link(Chain& c, int node) {
  for (int& p : c.prev) {
    if (p < 0) break;
    (c.tf ? n(p).nxt_t : n(p).nxt_f) = get(node);
  }
  c.prev = {-1, -1, -1, -1};
  if (c.chains < 0) c.chains = get(node);
}

// One comparison of a 64-bit argument: a high-word and a low-word test, or
// for the range operators "high >", "high ==" and the low-word test.
void Tree::gen_64(Chain& c, const ArgCondition& a) {
  // Plain variables, not a structured binding: the lambda below captures them.
  const auto mask_datum = mask_and_datum(a);
  const uint64_t mask = mask_datum.first;
  const uint64_t datum = mask_datum.second;
  // A MASKED_EQ whose mask has no bits in either word tests nothing.
  if (a.op == CmpOp::kMaskedEq && mask == 0) return;
  const bool range = a.op == CmpOp::kGt || a.op == CmpOp::kGe || a.op == CmpOp::kLt || a.op == CmpOp::kLe;
  const int c0 = new_node();
  const int c1 = new_node();
  const int c2 = range ? new_node() : -1;
  link(c, c0);
  auto setup = [&](int i, bool high, Test test) {
    Node& x = n(i);
    x.arg = a.index;
    x.high = high;
    x.test = test;
    x.op_orig = a.op;
    x.mask = static_cast<uint32_t>(high ? mask >> 32 : mask);
    x.datum = static_cast<uint32_t>(high ? datum >> 32 : datum) & x.mask;
    x.datum_full = datum;
  };
  if (range) {
    setup(c0, true, Test::kGt);
    setup(c1, true, Test::kEq);
    setup(c2, false, a.op == CmpOp::kGt || a.op == CmpOp::kLe ? Test::kGt : Test::kGe);
    n(c0).nxt_f = get(c1);
    n(c1).nxt_t = get(c2);
  } else {
    const Test test = a.op == CmpOp::kMaskedEq ? Test::kMaskedEq : Test::kEq;
    setup(c0, true, test);
    setup(c1, false, test);
    n(c0).nxt_t = get(c1);
  }
  switch (a.op) {
    case CmpOp::kGt:
    case CmpOp::kGe: c.prev = {c0, c2, -1, -1}, c.tf = true; break;
    case CmpOp::kEq:
    case CmpOp::kMaskedEq: c.prev = {c1, -1, -1, -1}, c.tf = true; break;
    case CmpOp::kLe:
    case CmpOp::kLt: c.prev = {c1, c2, -1, -1}, c.tf = false; break;
    case CmpOp::kNe: c.prev = {c0, c1, -1, -1}, c.tf = false; break;
  }
}

// One comparison of the low word: one test.
void Tree::gen_32(Chain& c, const ArgCondition& a) {
  const auto [mask, datum] = mask_and_datum(a);
  if (a.op == CmpOp::kMaskedEq && static_cast<uint32_t>(mask) == 0) return;
  const int i = new_node();
  link(c, i);
  Node& x = n(i);
  x.arg = a.index;
  x.op_orig = a.op;
  x.mask = static_cast<uint32_t>(mask);
  x.datum = static_cast<uint32_t>(datum) & x.mask;
  x.datum_full = datum;
  c.prev = {i, -1, -1, -1};
  switch (a.op) {
    case CmpOp::kNe: x.test = Test::kEq, c.tf = false; break;
    case CmpOp::kLt: x.test = Test::kGe, c.tf = false; break;
    case CmpOp::kLe: x.test = Test::kGt, c.tf = false; break;
    case CmpOp::kEq: x.test = Test::kEq, c.tf = true; break;
    case CmpOp::kMaskedEq: x.test = Test::kMaskedEq, c.tf = true; break;
    case CmpOp::kGe: x.test = Test::kGe, c.tf = true; break;
    case CmpOp::kGt: x.test = Test::kGt, c.tf = true; break;
  }
}

Tree::Chain Tree::gen(size_t i) {
  const policy::Rule& r = rules_[i];
  std::array<const ArgCondition*, 6> by_index{};
  for (const ArgCondition& a : r.conditions) by_index[a.index] = &a;
  Chain c;
  for (const ArgCondition* a : by_index) {
    if (a == nullptr) continue;
    if (wide_) gen_64(c, *a);
    else gen_32(c, *a);
  }
  if (c.chains >= 0) {
    for (int p : c.prev) {
      if (p < 0) break;
      Node& x = n(p);
      if (c.tf) x.act_t_flg = true, x.act_t = encode(r.action), x.src_t = i;
      else x.act_f_flg = true, x.act_f = encode(r.action), x.src_f = i;
    }
  }
  return c;
}

int64_t Tree::node_count() {
  if (root_ < 0) return 0;
  std::vector<bool> seen(nodes_.size(), false);
  std::vector<int> stack{root_};
  int64_t count = 0;
  while (!stack.empty()) {
    const int i = stack.back();
    stack.pop_back();
    if (i < 0 || seen[static_cast<size_t>(i)]) continue;
    seen[static_cast<size_t>(i)] = true;
    ++count;
    const Node& x = n(i);
    for (const int next : {x.nxt_t, x.nxt_f, x.lvl_prv, x.lvl_nxt}) stack.push_back(next);
  }
  return count;
}

bool Tree::add_rule(size_t i) {
  Chain fresh = gen(i);
  const uint32_t action = encode(rules_[i].action);
  if (!has_entry_) {
    has_entry_ = true;
    root_ = fresh.chains;
    action_ = action;
    action_src_ = i;
    return true;
  }
  bool removed = false;
  for (;;) {
    if (root_ < 0) {
      // An unconditional rule is in place: it stays, unless pruning just
      // removed the whole tree.
      if (removed) {
        root_ = fresh.chains;
        action_ = action;
        action_src_ = i;
      } else {
        tree_put(fresh.chains);
      }
      return true;
    }
    if (fresh.chains < 0) {  // an unconditional rule replaces the tree
      tree_put(root_);
      root_ = -1;
      action_ = action;
      action_src_ = i;
      return true;
    }
    IterState state;
    state.action = action;
    const unsigned cnt = prune(root_, fresh.chains, state);
    if (exhausted_) return true;
    if (cnt > 0) {
      removed = true;
      if (root_ < 0) continue;
    } else if ((state.flags & kRedundant) == kRedundant) {
      tree_put(fresh.chains);
      return true;
    }
    break;
  }
  if (!tree_add(root_, fresh.chains)) {
    culprit_ = std::min(culprit_, i);
    return false;
  }
  tree_put(fresh.chains);
  return true;
}

std::vector<codegen::Node> Tree::codegen_nodes() {
  std::vector<codegen::Node> nodes(nodes_.size());
  for (size_t i = 0; i < nodes_.size(); ++i) {
    const Node& x = nodes_[i];
    codegen::Node& c = nodes[i];
    c.word = codegen::Word{x.arg, x.high, x.mask};
    c.test = x.test;
    c.datum = x.datum;
    // gen_bpf writes a sub-level from its first node, wherever the branch
    // points into it.
    c.nxt_t = x.nxt_t >= 0 ? first_of_level(x.nxt_t) : -1;
    c.nxt_f = x.nxt_f >= 0 ? first_of_level(x.nxt_f) : -1;
    c.lvl_nxt = x.lvl_nxt;
    c.act_t_flg = x.act_t_flg;
    c.act_f_flg = x.act_f_flg;
    c.act_t = x.act_t;
    c.act_f = x.act_f;
    c.src_t = x.src_t;
    c.src_f = x.src_f;
  }
  return nodes;
}

bool Tree::executable(std::optional<codegen::Executable>& out, std::optional<size_t>& unconditional) {
  if (!has_entry_) return true;
  if (root_ < 0) {
    unconditional = action_src_;
    return true;
  }
  const std::vector<codegen::Node> nodes = codegen_nodes();
  size_t budget = max_steps_ > steps_ ? max_steps_ - steps_ : 0;
  const int first = first_of_level(root_);
  if (exhausted_) return false;
  out = codegen::emitted_executable(nodes, first, budget);
  return out.has_value();
}

policy::Rule path_rule(const std::vector<policy::Rule>& rules, const codegen::Path& p) {
  policy::Rule r = rules[p.src];
  r.conditions = simplified(p.conditions);
  return r;
}

bool Tree::for_filter(std::vector<codegen::Node>& nodes, int& first) {
  first = -1;
  if (!has_entry_ || root_ < 0) return true;
  nodes = codegen_nodes();
  first = first_of_level(root_);
  return !exhausted_;
}

// The program gen_bpf writes for the tree, read back as disjoint rules.
bool Tree::paths(std::vector<policy::Rule>& out, bool& stale) {
  if (!has_entry_) return true;
  if (root_ < 0) {
    policy::Rule r = rules_[action_src_];
    r.conditions.clear();
    out.push_back(std::move(r));
    return true;
  }
  const std::vector<codegen::Node> nodes = codegen_nodes();
  size_t budget = max_steps_ > steps_ ? max_steps_ - steps_ : 0;
  const int first = first_of_level(root_);
  if (exhausted_) return false;
  const auto program = codegen::emitted_program(nodes, first, kMaxTreePaths, budget);
  if (!program) return false;
  stale = program->stale;
  for (const codegen::Path& p : program->paths) out.push_back(path_rule(rules_, p));
  return true;
}

}  // namespace libseccomp_db

namespace {

// Whether libseccomp_db::Tree models `rules`: each condition of the width
// libseccomp compares on the ABI, one per argument.
bool tree_applies(const std::vector<policy::Rule>& rules, policy::ArgWidth width) {
  for (const policy::Rule& r : rules) {
    unsigned seen = 0;
    for (const policy::ArgCondition& c : r.conditions) {
      if (c.width != width || c.index >= 6 || (seen & (1U << c.index))) return false;
      seen |= 1U << c.index;
    }
  }
  return true;
}

// libseccomp's tree of `rules` (every rule added in order) handed to
// `finish(tree, out)`, which reads what the caller wants of it (false: not
// modelled). nullopt where the model does not apply or gives up; `out`
// names the refused rule where libseccomp refuses one.
template <typename Result, typename Finish>
std::optional<Result> with_tree(const std::vector<policy::Rule>& rules, unsigned word_bits, size_t max_steps,
                                Finish finish) {
  const policy::ArgWidth width = word_bits <= 32 ? policy::ArgWidth::k32 : policy::ArgWidth::k64;
  if (!tree_applies(rules, width)) return std::nullopt;
  Result out;
  libseccomp_db::Tree tree(rules, width == policy::ArgWidth::k64, max_steps);
  for (size_t i = 0; i < rules.size(); ++i) {
    const bool added = tree.add_rule(i);
    if (tree.exhausted()) return std::nullopt;
    if (!added) {
      out.refused = {tree.culprit(), i};
      return out;
    }
  }
  if (!finish(tree, out) || tree.exhausted()) return std::nullopt;
  return out;
}

}  // namespace

std::optional<size_t> LibseccompProgram::answer(const std::array<uint64_t, 6>& args) const {
  if (unconditional_) return unconditional_;
  if (program_) return program_->run(args);
  return std::nullopt;
}

std::optional<LibseccompProgram> libseccomp_program(const std::vector<policy::Rule>& rules, unsigned word_bits,
                                                    size_t max_steps) {
  return with_tree<LibseccompProgram>(rules, word_bits, max_steps,
                                      [](libseccomp_db::Tree& tree, LibseccompProgram& out) {
                                        return tree.executable(out.program_, out.unconditional_);
                                      });
}

std::optional<int64_t> libseccomp_node_count(const std::vector<policy::Rule>& rules, unsigned word_bits,
                                             size_t max_steps) {
  struct Count {
    std::optional<std::pair<size_t, size_t>> refused;
    int64_t nodes = 0;
  };
  const auto counted = with_tree<Count>(rules, word_bits, max_steps, [](libseccomp_db::Tree& tree, Count& out) {
    out.nodes = tree.node_count();
    return true;
  });
  if (!counted || counted->refused) return std::nullopt;
  return counted->nodes;
}

namespace {

// One syscall's tree of a filter, as codegen reads it.
struct FilterTree {
  std::vector<codegen::Node> nodes;
  int first = -1;
};

// Whether two programs of one syscall's rules answer alike: the same word
// tests, path by path, ending in the same actions (the rule a path names
// may differ where rules share an action).
bool same_paths(const codegen::Program& a, const codegen::Program& b, const std::vector<policy::Rule>& rules) {
  if (a.paths.size() != b.paths.size()) return false;
  for (size_t i = 0; i < a.paths.size(); ++i) {
    const codegen::Path& x = a.paths[i];
    const codegen::Path& y = b.paths[i];
    if (x.conditions != y.conditions || !(rules[x.src].action == rules[y.src].action)) return false;
  }
  return true;
}

}  // namespace

std::optional<std::vector<FilterSyscallProgram>> libseccomp_filter_trees(std::span<const FilterSyscall> syscalls,
                                                                        std::span<const size_t> layout_order,
                                                                        size_t max_steps) {
  struct Made {
    std::optional<std::pair<size_t, size_t>> refused;
  };
  std::vector<FilterTree> trees(syscalls.size());
  for (size_t k = 0; k < syscalls.size(); ++k) {
    const auto made = with_tree<Made>(*syscalls[k].rules, syscalls[k].word_bits, max_steps,
                                      [&](libseccomp_db::Tree& tree, Made&) {
                                        return tree.for_filter(trees[k].nodes, trees[k].first);
                                      });
    if (!made || made->refused) return std::nullopt;
  }
  std::vector<codegen::TreeInFilter> in_filter;
  in_filter.reserve(trees.size());
  for (const FilterTree& t : trees) in_filter.push_back({&t.nodes, t.first});
  size_t budget = max_steps;
  const auto joint = codegen::emitted_programs(in_filter, layout_order, kMaxTreePaths, budget);
  if (!joint) return std::nullopt;
  std::vector<FilterSyscallProgram> out(syscalls.size());
  for (size_t k = 0; k < syscalls.size(); ++k) {
    if (trees[k].first < 0 || (*joint)[k].own_blocks) continue;
    if ((*joint)[k].unread) {
      out[k].kind = FilterSyscallProgram::Kind::kUnread;
      continue;
    }
    // Alone, its paths are within the bounds too where they are in the
    // filter, but for the budget.
    const auto alone = codegen::emitted_program(trees[k].nodes, trees[k].first, kMaxTreePaths, budget);
    if (!alone) return std::nullopt;
    const std::vector<policy::Rule>& rules = *syscalls[k].rules;
    if (same_paths(*alone, (*joint)[k], rules)) continue;
    out[k].kind = FilterSyscallProgram::Kind::kPaths;
    for (const codegen::Path& p : (*joint)[k].paths) out[k].paths.push_back(libseccomp_db::path_rule(rules, p));
  }
  return out;
}

std::optional<LibseccompTree> libseccomp_tree(const std::vector<policy::Rule>& rules, unsigned word_bits,
                                              size_t max_steps) {
  return with_tree<LibseccompTree>(rules, word_bits, max_steps, [](libseccomp_db::Tree& tree, LibseccompTree& out) {
    return tree.paths(out.rules, out.stale);
  });
}

}  // namespace sysfence::profile
