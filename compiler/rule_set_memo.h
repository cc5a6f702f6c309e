// The argument compiler's memo (args.cc, ArgCompiler::compile): the edge of
// every RuleSet compiled in a diagram attempt, keyed by the RuleSet
// flattened into words. Internal to //compiler:args.
//
// A RuleSet of rules with a condition or two holds a vector of OpenRules,
// each with room for a few conditions inline: several hundred bytes, kept
// for the whole attempt when the RuleSet itself is the key. Flattened, a
// rule is one word (action and condition count) and a condition two (three
// for MASKED_EQ's datum), all keys end to end in one buffer: no allocation
// per key, and the RuleSets are freed once compiled. Keys are compared
// word for word, never by hash alone: equal words are equal RuleSets as
// ArgCompiler::RuleSetSame has them (actions by return value, conditions
// by every field, the tail), since the words parse back unambiguously.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "compiler/graph.h"
#include "compiler/rule_set.h"

namespace sysfence::compiler {

class RuleSetMemo {
 public:
  // A RuleSet's words at the end of the buffer.
  struct Key {
    uint32_t offset = 0;
    uint32_t length = 0;
    uint32_t hash = 0;
  };

  // Appends the words of `s` to the buffer; they stay there until the key
  // is inserted or dropped.
  Key flatten(const RuleSet& s) {
    // Offsets are 32 bits: 2^32 words (32 GiB) of keys would not fit anyway.
    Key k{static_cast<uint32_t>(words_.size()), 0, 0};
    words_.push_back(action_word(s.otherwise) | uint64_t{s.tail} << 32);
    for (const OpenRule& r : s.rules) {
      words_.push_back(action_word(r.action) | uint64_t{static_cast<uint32_t>(r.conditions.size())} << 32);
      for (const OpenCondition& c : r.conditions) {
        // Only MASKED_EQ reads its datum (the others' is 0): a flag says
        // whether the datum's word follows.
        const bool datum = c.op == policy::CmpOp::kMaskedEq || c.datum != 0;
        words_.push_back(uint64_t{c.arg} | uint64_t{c.hi} << 8 | uint64_t{static_cast<uint8_t>(c.op)} << 16 |
                         uint64_t{datum} << 24);
        words_.push_back(c.value);
        if (datum) words_.push_back(c.datum);
      }
    }
    k.length = static_cast<uint32_t>(words_.size() - k.offset);
    uint64_t h = k.length;
    for (size_t i = k.offset; i < words_.size(); ++i) h = (h ^ words_[i]) * 0x100000001b3ULL + (h >> 29);
    k.hash = static_cast<uint32_t>(h ^ h >> 32);
    return k;
  }

  const Edge* find(const Key& k) const {
    if (slots_.empty()) return nullptr;
    const size_t mask = slots_.size() - 1;
    for (size_t i = k.hash & mask; slots_[i].length != 0; i = (i + 1) & mask) {
      if (same(slots_[i], k)) return &slots_[i].edge;
    }
    return nullptr;
  }

  // Frees the key's words when nothing was flattened after them.
  void drop(const Key& k) {
    if (size_t{k.offset} + k.length == words_.size()) words_.resize(k.offset);
  }

  // Keeps `e` for the key (unless an equal key is already there).
  void insert(const Key& k, Edge e) {
    if (2 * (count_ + 1) > slots_.size()) grow();
    const size_t mask = slots_.size() - 1;
    size_t i = k.hash & mask;
    for (; slots_[i].length != 0; i = (i + 1) & mask) {
      if (same(slots_[i], k)) {
        drop(k);
        return;
      }
    }
    slots_[i] = Slot{k.hash, k.offset, k.length, e};
    ++count_;
  }

  bool empty() const { return count_ == 0; }

  // Frees the memory too: the compile's later passes have no use for it.
  void clear() {
    words_ = {};
    slots_ = {};
    count_ = 0;
  }

 private:
  // 20 bytes: the table is at most half full, so two per key.
  struct Slot {
    uint32_t hash = 0;
    uint32_t offset = 0;
    uint32_t length = 0;  // 0: empty (a key has at least its header word)
    Edge edge;
  };

  // The return value: an action's whole identity in 32 bits.
  static uint64_t action_word(const Action& a) { return encode(a); }

  bool same(const Slot& s, const Key& k) const {
    return s.hash == k.hash && s.length == k.length &&
           std::equal(words_.begin() + static_cast<std::ptrdiff_t>(s.offset),
                      words_.begin() + static_cast<std::ptrdiff_t>(size_t{s.offset} + s.length),
                      words_.begin() + static_cast<std::ptrdiff_t>(k.offset));
  }

  void grow() {
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(std::max<size_t>(16, 2 * old.size()), Slot{});
    const size_t mask = slots_.size() - 1;
    for (const Slot& s : old) {
      if (s.length == 0) continue;
      size_t i = s.hash & mask;
      while (slots_[i].length != 0) i = (i + 1) & mask;
      slots_[i] = s;
    }
  }

  std::vector<uint64_t> words_;  // the keys, end to end
  std::vector<Slot> slots_;      // open addressing, at most half full
  size_t count_ = 0;
};

}  // namespace sysfence::compiler
