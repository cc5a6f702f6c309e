#include "profile/libseccomp_db.h"

namespace sysfence::profile::libseccomp_db {

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
  if (!step()) return 0;
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
    if (!step()) return 0;
    const int links = (n(i).lvl_prv >= 0 ? 1 : 0) + (n(i).lvl_nxt >= 0 ? 1 : 0);
    if (n(i).refcnt > links) return 0;
  }
  unsigned cnt = 0;
  for (int i = start; i >= 0;) {
    if (!step()) return cnt;
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
    if (!step()) return cnt;
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
    if (!step()) return true;
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
    if (!step()) goto done;
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
    if (!step()) return true;
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

}  // namespace sysfence::profile::libseccomp_db
