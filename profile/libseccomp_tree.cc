#include "profile/libseccomp_tree.h"

#include <array>

#include "base/seccomp.h"
#include "policy/overlap.h"
#include "profile/libseccomp_codegen.h"

namespace sysfence::profile {

namespace {

using policy::ArgCondition;
using policy::ArgWidth;
using policy::CmpOp;

using codegen::Test;

struct Node {
  uint8_t arg = 0;
  bool high = false;  // the argument's high word (64-bit ABIs)
  Test test = Test::kEq;
  CmpOp op_orig = CmpOp::kEq;  // the rule's operator: orders the level
  uint32_t mask = 0;
  uint32_t datum = 0;
  uint64_t datum_full = 0;  // the rule's whole operand
  int nxt_t = -1, nxt_f = -1, lvl_prv = -1, lvl_nxt = -1;
  bool act_t_flg = false, act_f_flg = false;
  uint32_t act_t = 0, act_f = 0;  // encoded actions
  size_t src_t = 0, src_f = 0;    // the rule whose action each branch gives
  int refcnt = 0;
};

// Iteration state of pruning (db.c's db_iter_state flags).
constexpr unsigned kMatch = 0x1, kMatchOnce = 0x2, kXFinished = 0x10, kNFinished = 0x20, kXPrefix = 0x100,
                   kNPrefix = 0x200;
constexpr unsigned kMatchSet = kMatch | kMatchOnce;
constexpr unsigned kRedundant = kMatch | kXFinished | kNPrefix;

struct IterState {
  unsigned flags = 0;
  uint32_t action = 0;
};

struct TooCostly {};

class Tree {
 public:
  explicit Tree(const std::vector<policy::Rule>& rules, bool wide) : rules_(rules), wide_(wide) {
    nodes_.reserve(rules.size() * 18 + 1);
  }

  // Adds rule `i` as db_rule_add does; false: refused (culprit() is the earlier rule).
  bool add_rule(size_t i);
  size_t culprit() const { return culprit_; }
  // The accepting paths of libseccomp's program; false when they exceed the
  // bounds. `stale`: some comparison sees another word than its node's.
  bool paths(std::vector<policy::Rule>& out, bool& stale);

 private:
  Node& n(int i) { return nodes_[static_cast<size_t>(i)]; }
  void step() {
    if (++steps_ > kMaxTreeSteps) throw TooCostly{};
  }
  int get(int i) {
    if (i >= 0) ++n(i).refcnt;
    return i;
  }
  bool leaf(int i) { return n(i).nxt_t < 0 && n(i).nxt_f < 0; }
  bool zombie(int i) { return leaf(i) && !n(i).act_t_flg && !n(i).act_f_flg; }
  int first_of_level(int i) {
    while (n(i).lvl_prv >= 0) {
      step();
      i = n(i).lvl_prv;
    }
    return i;
  }
  static unsigned arg_priority(const Node& a) { return (a.arg << 1U) + (a.high ? 1U : 0U); }
  static unsigned op_priority(CmpOp op);
  bool chain_eq(int a, int b) {
    const Node& x = n(a);
    const Node& y = n(b);
    return arg_priority(x) == arg_priority(y) && x.test == y.test && x.datum == y.datum && x.mask == y.mask;
  }
  bool chain_lt(int a, int b);

  unsigned put(int& node);
  unsigned tree_put(int& tree);
  unsigned level_clean(int node);
  unsigned tree_remove(int& tree, int node);
  bool act_check(int tree, uint32_t action);  // false: another action below (EEXIST)
  unsigned prune(int& existing, int fresh, IterState& state);
  bool tree_add(int& existing, int fresh);

  struct Chain {
    int chains = -1;
    std::array<int, 4> prev{-1, -1, -1, -1};
    bool tf = false;
  };
  int new_node() {
    nodes_.emplace_back();
    return static_cast<int>(nodes_.size() - 1);
  }
  void link(Chain& c, int node);
  void gen_64(Chain& c, const ArgCondition& a);
  void gen_32(Chain& c, const ArgCondition& a);
  Chain gen(size_t i);

  const std::vector<policy::Rule>& rules_;
  bool wide_;
  std::vector<Node> nodes_;
  size_t steps_ = 0;
  size_t culprit_ = 0;
  // The syscall's entry: its tree, or its unconditional action.
  bool has_entry_ = false;
  int root_ = -1;
  uint32_t action_ = 0;
  size_t action_src_ = 0;
};

unsigned Tree::op_priority(CmpOp op) {
  switch (op) {
    case CmpOp::kMaskedEq:
    case CmpOp::kEq:
    case CmpOp::kNe: return 3;
    case CmpOp::kLe:
    case CmpOp::kLt: return 2;
    case CmpOp::kGe:
    case CmpOp::kGt: return 1;
  }
  return 0;
}

// Whether `a` goes after `b` on a level (libseccomp keeps a level in
// descending order of this relation).
bool Tree::chain_lt(int a, int b) {
  const Node& x = n(a);
  const Node& y = n(b);
  if (arg_priority(x) != arg_priority(y)) return arg_priority(x) < arg_priority(y);
  if (op_priority(x.op_orig) != op_priority(y.op_orig)) return op_priority(x.op_orig) < op_priority(y.op_orig);
  if (x.op_orig == CmpOp::kLe || x.op_orig == CmpOp::kLt) return x.datum > y.datum;
  return x.datum < y.datum;
}

// Reference counting as db.c does it: a node freed unlinks itself from its
// level and releases its sub-trees; `node` then names a neighbour (or -1).
unsigned Tree::put(int& node) {
  const int i = node;
  if (i < 0) return 0;
  step();
  if (--n(i).refcnt != 0) return 0;
  int lp = n(i).lvl_prv;
  int ln = n(i).lvl_nxt;
  int t = n(i).nxt_t;
  int f = n(i).nxt_f;
  if (lp >= 0) n(lp).lvl_nxt = -1;
  if (ln >= 0) n(ln).lvl_prv = -1;
  unsigned cnt = 0;
  if (lp >= 0) cnt += put(lp);
  if (ln >= 0) cnt += put(ln);
  if (lp >= 0) n(lp).lvl_nxt = get(ln);
  if (ln >= 0) n(ln).lvl_prv = get(lp);
  node = lp >= 0 ? lp : ln;
  cnt += tree_put(t);
  cnt += tree_put(f);
  n(i) = Node{};
  n(i).refcnt = -1000000;  // freed
  return cnt + 1;
}

unsigned Tree::tree_put(int& tree) {
  unsigned cnt = put(tree);
  if (tree >= 0) cnt += level_clean(tree);
  return cnt;
}

// Frees a whole level nothing outside it refers to.
unsigned Tree::level_clean(int node) {
  const int start = first_of_level(node);
  for (int i = start; i >= 0; i = n(i).lvl_nxt) {
    step();
    const int links = (n(i).lvl_prv >= 0 ? 1 : 0) + (n(i).lvl_nxt >= 0 ? 1 : 0);
    if (n(i).refcnt > links) return 0;
  }
  unsigned cnt = 0;
  for (int i = start; i >= 0;) {
    step();
    const int before = i;
    cnt += put(i);
    if (i == before && n(i).refcnt > 0) break;  // cannot happen with consistent counts
  }
  return cnt;
}

unsigned Tree::tree_remove(int& tree, int node) {
  if (tree < 0 || node < 0) return 0;
  unsigned cnt = 0;
  int c = first_of_level(tree);
  bool found = false;
  do {
    step();
    if (c == node) {
      found = true;
      break;
    }
    cnt += tree_remove(n(c).nxt_t, node);
    cnt += tree_remove(n(c).nxt_f, node);
    if (zombie(c)) {
      found = true;
      break;
    }
    c = n(c).lvl_nxt;
  } while (c >= 0 && cnt == 0);
  if (!found) return cnt;
  if (c == tree) tree = n(c).lvl_prv >= 0 ? n(c).lvl_prv : n(c).lvl_nxt;
  if (n(c).lvl_prv >= 0) n(n(c).lvl_prv).lvl_nxt = n(c).lvl_nxt;
  if (n(c).lvl_nxt >= 0) n(n(c).lvl_nxt).lvl_prv = n(c).lvl_prv;
  n(c).lvl_prv = -1;
  n(c).lvl_nxt = -1;
  return cnt + put(c);
}

bool Tree::act_check(int tree, uint32_t action) {
  if (tree < 0) return true;
  for (int c = first_of_level(tree); c >= 0; c = n(c).lvl_nxt) {
    step();
    if (n(c).act_t_flg && n(c).act_t != action) {
      culprit_ = n(c).src_t;
      return false;
    }
    if (n(c).act_f_flg && n(c).act_f != action) {
      culprit_ = n(c).src_f;
      return false;
    }
    if (!act_check(n(c).nxt_t, action) || !act_check(n(c).nxt_f, action)) return false;
  }
  return true;
}

// Removes from the tree what the new chain `fresh` makes redundant, and
// says (kRedundant) when the tree already makes the new chain redundant.
unsigned Tree::prune(int& existing, int fresh, IterState& state) {
  unsigned cnt = 0;
  IterState state_new = state;
  IterState state_nxt;
  int x = existing;
  const int nw = fresh;
  // Descends into a sub-tree (of the existing tree or of the new chain) with
  // a reference on x, which may name another node afterwards.
  auto descend = [&](int& sub_existing, int sub_fresh, unsigned clear, unsigned set) {
    get(x);
    state_nxt = state;
    state_nxt.flags &= ~clear;
    state_nxt.flags |= set;
    cnt += prune(sub_existing, sub_fresh, state_nxt);
    cnt += put(x);
  };
  if (nw < 0 || x < 0 || (state.flags & kMatchSet) == kMatchOnce) goto done;
  x = first_of_level(x);
  do {
    step();
    {
      const int x_next = n(x).lvl_nxt;
      if (chain_eq(x, nw)) {
        state_new.flags |= kMatchSet;
        if (leaf(nw)) state_new.flags |= kNFinished;
        if (leaf(x)) state_new.flags |= kXFinished;
        if ((n(x).act_t_flg || n(x).nxt_t >= 0) && !(n(nw).act_t_flg || n(nw).nxt_t >= 0)) goto done;
        if ((n(x).act_f_flg || n(x).nxt_f >= 0) && !(n(nw).act_f_flg || n(nw).nxt_f >= 0)) goto done;
        if ((state_new.flags & kNFinished) && (state_new.flags & kXFinished)) {
          if (n(nw).act_t_flg != n(x).act_t_flg || n(nw).act_t != n(x).act_t) goto done;
          if (n(nw).act_f_flg != n(x).act_f_flg || n(nw).act_f != n(x).act_f) goto done;
        }
        if (n(nw).nxt_t >= 0) {
          descend(n(x).nxt_t, n(nw).nxt_t, 0, kMatchSet);
          if (state_nxt.flags & kMatch) state_new.flags |= state_nxt.flags;
          if (x < 0) goto next_node;
        }
        if (n(nw).nxt_f >= 0) {
          descend(n(x).nxt_f, n(nw).nxt_f, 0, kMatchSet);
          if (state_nxt.flags & kMatch) state_new.flags |= state_nxt.flags;
          if (x < 0) goto next_node;
        }
        if ((state_new.flags & kMatch) && (state_new.flags & kNFinished) && (state_new.flags & kXPrefix) &&
            act_check(x, state_new.action)) {
          cnt += tree_remove(root_, x);  // the new chain is shorter
          if (root_ < 0) goto done;
        } else if ((state_new.flags & kMatch) && (state_new.flags & kXFinished) && (state_new.flags & kNPrefix) &&
                   act_check(x, state_new.action)) {
          goto done;  // the new chain is longer
        }
      } else if (chain_lt(x, nw)) {
        if (state.flags & kNPrefix) goto done;
        if (n(x).nxt_t >= 0) {
          descend(n(x).nxt_t, nw, kMatch, kXPrefix);
          if (state_nxt.flags & kMatch) {
            state_new.flags |= state_nxt.flags;
            goto done;
          }
          if (x < 0) goto next_node;
        }
        if (n(x).nxt_f >= 0) {
          descend(n(x).nxt_f, nw, kMatch, kXPrefix);
          if (state_nxt.flags & kMatch) {
            state_new.flags |= state_nxt.flags;
            goto done;
          }
          if (x < 0) goto next_node;
        }
      } else {
        if (state.flags & kXPrefix) goto done;
        if (n(nw).nxt_t >= 0) {
          descend(x, n(nw).nxt_t, kMatch, kNPrefix);
          if (state_nxt.flags & kMatch) {
            state_new.flags |= state_nxt.flags;
            goto done;
          }
          if (x < 0) goto next_node;
        }
        if (n(nw).nxt_f >= 0) {
          descend(x, n(nw).nxt_f, kMatch, kNPrefix);
          if (state_nxt.flags & kMatch) {
            state_new.flags |= state_nxt.flags;
            goto done;
          }
          if (x < 0) goto next_node;
        }
      }
    next_node:
      x = x_next;
    }
  } while (x >= 0);
  state_new.flags &= ~kMatch;
done:
  if (state_new.flags & kMatch) state.flags |= state_new.flags;
  else state.flags &= ~kMatch;
  return cnt;
}

// Merges the new chain `fresh` into the level of `existing`; false: EEXIST.
bool Tree::tree_add(int& existing, int fresh) {
  int x = existing;
  const int nw = fresh;
  do {
    step();
    if (chain_eq(x, nw)) {
      if (n(nw).act_t_flg) {
        if (!n(x).act_t_flg) {
          if (!act_check(n(x).nxt_t, n(nw).act_t)) return false;
          put(n(x).nxt_t);
          n(x).nxt_t = -1;
          n(x).act_t = n(nw).act_t;
          n(x).src_t = n(nw).src_t;
          n(x).act_t_flg = true;
        } else if (n(nw).act_t != n(x).act_t) {
          // libseccomp's adjustment for a shared high-word "greater" test.
          if (n(nw).high && n(nw).datum_full > n(x).datum_full) {
            n(x).act_t = n(nw).act_t;
            n(x).src_t = n(nw).src_t;
          }
          if (leaf(x) || leaf(nw)) {
            culprit_ = n(x).src_t;
            return false;
          }
        }
      }
      if (n(nw).act_f_flg) {
        if (!n(x).act_f_flg) {
          if (!act_check(n(x).nxt_f, n(nw).act_f)) return false;
          put(n(x).nxt_f);
          n(x).nxt_f = -1;
          n(x).act_f = n(nw).act_f;
          n(x).src_f = n(nw).src_f;
          n(x).act_f_flg = true;
        } else if (n(nw).act_f != n(x).act_f) {
          // libseccomp 2.5 updates the TRUE branch's action here (sic).
          if (n(nw).high && n(nw).datum_full < n(x).datum_full) {
            n(x).act_t = n(nw).act_t;
            n(x).src_t = n(nw).src_t;
          }
          if (leaf(x) || leaf(nw)) {
            culprit_ = n(x).src_f;
            return false;
          }
        }
      }
      if (n(nw).nxt_t >= 0) {
        if (n(x).nxt_t >= 0) {
          if (!tree_add(n(x).nxt_t, n(nw).nxt_t)) return false;
        } else if (!n(x).act_t_flg) {
          n(x).nxt_t = get(n(nw).nxt_t);
        } else {
          return true;  // the existing tree is shorter
        }
      }
      if (n(nw).nxt_f >= 0) {
        if (n(x).nxt_f >= 0) {
          if (!tree_add(n(x).nxt_f, n(nw).nxt_f)) return false;
        } else if (!n(x).act_f_flg) {
          n(x).nxt_f = get(n(nw).nxt_f);
        } else {
          return true;
        }
      }
      return true;
    }
    if (!chain_lt(x, nw)) {
      if (n(x).lvl_nxt < 0) {
        n(nw).lvl_prv = get(x);
        n(x).lvl_nxt = get(nw);
        return true;
      }
      x = n(x).lvl_nxt;
      continue;
    }
    // Before x on its level.
    if (n(x).lvl_prv >= 0) {
      n(n(x).lvl_prv).lvl_nxt = get(nw);
      n(nw).lvl_prv = n(x).lvl_prv;
      n(x).lvl_prv = get(nw);
      n(nw).lvl_nxt = x;
    } else {
      n(x).lvl_prv = get(nw);
      n(nw).lvl_nxt = get(x);
    }
    if (existing == x) {
      existing = get(nw);
      put(x);
    }
    return true;
  } while (x >= 0);
  return true;
}

void Tree::link(Chain& c, int node) {
  for (int& p : c.prev) {
    if (p < 0) break;
    (c.tf ? n(p).nxt_t : n(p).nxt_f) = get(node);
  }
  c.prev = {-1, -1, -1, -1};
  if (c.chains < 0) c.chains = get(node);
}

// The rule's operand and mask as libseccomp holds them.
std::pair<uint64_t, uint64_t> mask_and_datum(const ArgCondition& a) {
  if (a.op == CmpOp::kMaskedEq) return {a.value, a.value_two};
  return {~uint64_t{0}, a.value};
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

// The program gen_bpf writes for the tree, read back as disjoint rules.
bool Tree::paths(std::vector<policy::Rule>& out, bool& stale) {
  if (!has_entry_) return true;
  if (root_ < 0) {
    policy::Rule r = rules_[action_src_];
    r.conditions.clear();
    out.push_back(std::move(r));
    return true;
  }
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
  size_t budget = kMaxTreeSteps > steps_ ? kMaxTreeSteps - steps_ : 0;
  const auto program = codegen::emitted_program(nodes, first_of_level(root_), kMaxTreePaths, budget);
  if (!program) return false;
  stale = program->stale;
  for (const codegen::Path& p : program->paths) {
    policy::Rule r = rules_[p.src];
    r.conditions = simplified(p.conditions);
    out.push_back(std::move(r));
  }
  return true;
}

}  // namespace

std::optional<LibseccompTree> libseccomp_tree(const std::vector<policy::Rule>& rules, unsigned word_bits) {
  const ArgWidth width = word_bits <= 32 ? ArgWidth::k32 : ArgWidth::k64;
  for (const policy::Rule& r : rules) {
    unsigned seen = 0;
    for (const ArgCondition& c : r.conditions) {
      if (c.width != width || c.index >= 6 || (seen & (1U << c.index))) return std::nullopt;
      seen |= 1U << c.index;
    }
  }
  LibseccompTree out;
  try {
    Tree tree(rules, width == ArgWidth::k64);
    for (size_t i = 0; i < rules.size(); ++i) {
      if (!tree.add_rule(i)) {
        out.refused = {tree.culprit(), i};
        return out;
      }
    }
    if (!tree.paths(out.rules, out.stale)) return std::nullopt;
  } catch (const TooCostly&) {
    return std::nullopt;
  }
  return out;
}

}  // namespace sysfence::profile
