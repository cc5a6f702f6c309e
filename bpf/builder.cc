#include "bpf/builder.h"

#include <fmt/format.h>

#include <algorithm>
#include <cassert>
#include <vector>

namespace sysfence::bpf {

void Builder::emit(Insn insn) {
  // Jumps and returns must go through branch()/jump()/ret() so that their
  // offsets are computed by the layout.
  assert(insn_class(insn.code) != kJmp && insn_class(insn.code) != kRet);
  add(ItemKind::kInsn, insn, Target::Return(0), Target::Return(0), Label{});
}

void Builder::jump(Target t) { add(ItemKind::kJump, Insn{kJmp | kJa, 0, 0, 0}, t, t, Label{}); }

void Builder::ret(uint32_t k) {
  add(ItemKind::kRet, stmt(kRet | kRetK, k), Target::Return(0), Target::Return(0), Label{});
}

void Builder::ret_a() { add(ItemKind::kInsn, stmt(kRet | kRetA, 0), Target::Return(0), Target::Return(0), Label{}); }

namespace {

// Positions are counted from the END of the program during layout: the last
// instruction is 0. A jump at position `from` to position `to` (to < from)
// has the offset from - to - 1.
constexpr int64_t kNowhere = -1;
constexpr int64_t kMaxCondOffset = 255;

// The nearest `ret k` for each k: open addressing, at most half full. A
// program has a handful of distinct returns and every branch to a return
// looks one up; a node-per-entry map allocated for each of them.
class ReturnPositions {
 public:
  int64_t find(uint32_t k) const {
    if (slots_.empty()) return kNowhere;
    const size_t mask = slots_.size() - 1;
    for (size_t i = slot_of(k) & mask; slots_[i].pos != kNowhere; i = (i + 1) & mask) {
      if (slots_[i].k == k) return slots_[i].pos;
    }
    return kNowhere;
  }

  void set(uint32_t k, int64_t pos) {
    if (2 * (count_ + 1) > slots_.size()) grow();
    const size_t mask = slots_.size() - 1;
    size_t i = slot_of(k) & mask;
    for (; slots_[i].pos != kNowhere; i = (i + 1) & mask) {
      if (slots_[i].k == k) {
        slots_[i].pos = pos;
        return;
      }
    }
    slots_[i] = Slot{k, pos};
    ++count_;
  }

 private:
  struct Slot {
    uint32_t k = 0;
    int64_t pos = kNowhere;  // kNowhere: empty (positions are >= 0)
  };

  static size_t slot_of(uint32_t k) { return (uint64_t{k} * 0x9e3779b97f4a7c15ULL) >> 40; }

  void grow() {
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(std::max<size_t>(16, 2 * old.size()), Slot{});
    count_ = 0;
    for (const Slot& s : old) {
      if (s.pos != kNowhere) set(s.k, s.pos);
    }
  }

  std::vector<Slot> slots_;
  size_t count_ = 0;
};

}  // namespace

// Lays the items out from the last to the first, so that every jump's
// targets are already placed when the jump is.
class Builder::Layout {
 public:
  Layout(const std::vector<Item>& items, size_t label_count, LayoutStats& stats)
      : items_(items),
        stats_(stats),
        label_count_(label_count),
        bound_at_(label_count, kNowhere),
        label_pos_(label_count, kNowhere),
        trampoline_pos_(label_count, kNowhere),
        bound_past_end_(label_count, false) {}

  Expected<Program> run() {
    if (auto ok = find_bindings(); !ok) return Unexpected<Error>{ok.error()};
    rev_.reserve(items_.size() + 16);
    for (size_t n = items_.size(); n-- > 0;) {
      const Item& item = items_[n];
      switch (item.kind) {
        case ItemKind::kBind: place_bind(item); break;
        case ItemKind::kInsn: rev_.push_back(item.insn); break;
        case ItemKind::kRet:
          ret_pos_.set(item.insn.k, here());
          rev_.push_back(item.insn);
          break;
        case ItemKind::kJump:
          if (auto ok = place_jump(item, n); !ok) return fail(ok.error().message);
          break;
        case ItemKind::kBranch:
          if (!placed(item.jt) || !placed(item.jf)) [[unlikely]] {
            return fail(bad_target(item, n).error().message);
          }
          place_branch(item);
          break;
      }
    }
    std::reverse(rev_.begin(), rev_.end());
    return Program(std::move(rev_));
  }

 private:
  // Item index of each label's binding, to explain bad labels precisely.
  Expected<void> find_bindings() {
    for (size_t i = 0; i < items_.size(); ++i) {
      if (items_[i].kind != ItemKind::kBind) continue;
      const uint32_t id = items_[i].label.id;
      if (bound_at_[id] != kNowhere) return fail(fmt::format("bpf builder: label {} is bound twice", id));
      bound_at_[id] = static_cast<int64_t>(i);
    }
    return {};
  }

  int64_t here() const { return static_cast<int64_t>(rev_.size()); }

  Expected<void> check_label(Label l, size_t item) const {
    if (l.id >= label_count_) return fail(fmt::format("bpf builder: unknown label {}", l.id));
    if (label_pos_[l.id] != kNowhere) return {};
    if (bound_at_[l.id] == kNowhere) {
      return fail(fmt::format("bpf builder: label {} is never bound", l.id));
    }
    if (bound_past_end_[l.id]) {
      return fail(fmt::format("bpf builder: label {} is bound after the last instruction", l.id));
    }
    return fail(
        fmt::format("bpf builder: item {} jumps backward to label {} (classic BPF jumps forward only)", item, l.id));
  }

  // The nearest existing instruction that serves as `t`, or kNowhere.
  int64_t nearest(Target t) const {
    if (t.is_return()) {
      return ret_pos_.find(t.return_value());
    }
    return std::max(label_pos_[t.label().id], trampoline_pos_[t.label().id]);
  }

  static bool in_reach(int64_t to, int64_t from) { return to != kNowhere && from - to - 1 <= kMaxCondOffset; }

  // Places a copy of the return, or a trampoline to the label, right here.
  int64_t place_stand_in(Target t) {
    const int64_t pos = here();
    if (t.is_return()) {
      rev_.push_back(stmt(kRet | kRetK, t.return_value()));
      ret_pos_.set(t.return_value(), pos);
      ++stats_.return_copies;
    } else {
      const int64_t to = label_pos_[t.label().id];
      rev_.push_back(Insn{kJmp | kJa, 0, 0, static_cast<uint32_t>(pos - to - 1)});
      trampoline_pos_[t.label().id] = pos;
      ++stats_.trampolines;
    }
    return pos;
  }

  void place_bind(const Item& item) {
    if (rev_.empty()) {
      bound_past_end_[item.label.id] = true;
    } else {
      label_pos_[item.label.id] = here() - 1;
    }
  }

  Expected<void> place_jump(const Item& item, size_t n) {
    const Target t = item.jt;
    if (t.is_return()) {
      // `ja` to a return costs one more executed instruction than the
      // return itself.
      ret_pos_.set(t.return_value(), here());
      rev_.push_back(stmt(kRet | kRetK, t.return_value()));
      return {};
    }
    if (auto ok = check_label(t.label(), n); !ok) return ok;
    const int64_t to = label_pos_[t.label().id];
    if (to == here() - 1) {
      ++stats_.dropped_jumps;
      return {};
    }
    trampoline_pos_[t.label().id] = here();
    rev_.push_back(Insn{kJmp | kJa, 0, 0, static_cast<uint32_t>(here() - to - 1)});
    return {};
  }

  // A target already placed (a return, or a label bound after the jump).
  bool placed(Target t) const {
    return t.is_return() || (t.label().id < label_count_ && label_pos_[t.label().id] != kNowhere);
  }

  // A branch with a target not placed: the error check_label gives.
  Expected<void> bad_target(const Item& item, size_t n) const {
    for (const Target t : {item.jt, item.jf}) {
      if (!t.is_return()) {
        if (auto ok = check_label(t.label(), n); !ok) return ok;
      }
    }
    return {};
  }

  // Both targets are placed (run() checks).
  void place_branch(const Item& item) {
    int64_t to_t = nearest(item.jt);
    int64_t to_f = nearest(item.jf);
    const int64_t base = here();
    bool place_t = !in_reach(to_t, base);
    bool place_f = item.jf == item.jt ? false : !in_reach(to_f, base);
    // One stand-in pushes the branch one further away from the other
    // target: re-check that one at the final distance.
    if (place_t && !place_f && item.jf != item.jt) place_f = !in_reach(to_f, base + 1);
    if (place_f && !place_t) place_t = !in_reach(to_t, base + 1);
    if (place_t) to_t = place_stand_in(item.jt);
    if (place_f) to_f = place_stand_in(item.jf);
    if (item.jf == item.jt) to_f = to_t;
    const int64_t at = here();
    assert(at - to_t - 1 <= kMaxCondOffset && at - to_f - 1 <= kMaxCondOffset);
    Insn insn = item.insn;
    insn.jt = static_cast<uint8_t>(at - to_t - 1);
    insn.jf = static_cast<uint8_t>(at - to_f - 1);
    rev_.push_back(insn);
  }

  const std::vector<Item>& items_;
  LayoutStats& stats_;
  const size_t label_count_;
  std::vector<int64_t> bound_at_;
  std::vector<Insn> rev_;  // the program, last instruction first
  std::vector<int64_t> label_pos_;
  // The nearest (most recently placed) `ja` to each label: a trampoline that
  // later conditional jumps may reuse.
  std::vector<int64_t> trampoline_pos_;
  std::vector<bool> bound_past_end_;
  ReturnPositions ret_pos_;
};

Expected<Program> Builder::finish() const {
  stats_ = LayoutStats{};
  return Layout(items_, next_label_, stats_).run();
}

}  // namespace sysfence::bpf
