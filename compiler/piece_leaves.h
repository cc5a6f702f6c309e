// The leaves of one interval split of the argument compiler (args.cc,
// ArgCompiler::interval_split): the pieces of a word's domain that decide
// its conditions alike share one leaf. Internal to //compiler:args.
#pragma once

#include <algorithm>
#include <bit>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/args.h"

namespace sysfence::compiler {

// The leaves of one interval split: a piece whose signature was seen takes
// that piece's leaf; otherwise its RuleSet, unless identical to an earlier
// piece's, is a new leaf (`children`, in order of appearance). Looked up one
// by one while few (most splits have a handful of pieces), by hash past that.
// Every signature of a split has one length (a character per condition on
// the word): the signatures seen are held end to end in one buffer. The
// hashes are open addressing over indices, sized for every piece of the
// split up front: no allocation per signature or leaf.
class PieceLeaves {
 public:
  // `scratch` holds the lookups' buffers (args.h, PieceScratch).
  PieceLeaves(size_t pieces, size_t signature_length, PieceScratch& scratch)
      : pieces_(pieces),
        length_(signature_length),
        seen_(scratch.seen),
        seen_leaf_(scratch.seen_leaf),
        signature_index_(scratch.signature_index),
        child_index_(scratch.child_index) {
    seen_.clear();
    seen_leaf_.clear();
    signature_index_.clear();
    child_index_.clear();
    children_.reserve(std::min<size_t>(pieces, kFew));
  }

  const uint32_t* leaf_of_signature(std::string_view signature) const {
    if (signature_index_.empty()) {
      for (size_t i = 0; i < seen_leaf_.size(); ++i) {
        if (seen(i) == signature) return &seen_leaf_[i];
      }
      return nullptr;
    }
    const size_t mask = signature_index_.size() - 1;
    for (size_t slot = std::hash<std::string_view>{}(signature)&mask; signature_index_[slot] != kEmpty;
         slot = (slot + 1) & mask) {
      if (seen(signature_index_[slot]) == signature) return &seen_leaf_[signature_index_[slot]];
    }
    return nullptr;
  }

  uint32_t add(std::string_view signature, RuleSet child) {
    const uint32_t leaf = leaf_of_child(std::move(child));
    if (seen_leaf_.empty()) {
      seen_.reserve(pieces_ * length_);
      seen_leaf_.reserve(pieces_);
    }
    seen_.append(signature);
    seen_leaf_.push_back(leaf);
    if (seen_leaf_.size() <= kFew) return leaf;
    if (signature_index_.empty()) {
      signature_index_.assign(table_size(), kEmpty);
      for (uint32_t i = 0; i + 1 < seen_leaf_.size(); ++i) index_signature(i);
    }
    index_signature(static_cast<uint32_t>(seen_leaf_.size() - 1));
    return leaf;
  }

  std::vector<RuleSet>& children() { return children_; }

 private:
  static constexpr size_t kFew = 8;
  static constexpr uint32_t kEmpty = ~uint32_t{0};

  std::string_view seen(size_t i) const { return std::string_view(seen_).substr(i * length_, length_); }
  // Room for every piece at most half full.
  size_t table_size() const { return std::bit_ceil(2 * pieces_ + 1); }

  void index_signature(uint32_t i) {
    const size_t mask = signature_index_.size() - 1;
    size_t slot = std::hash<std::string_view>{}(seen(i)) & mask;
    while (signature_index_[slot] != kEmpty) slot = (slot + 1) & mask;
    signature_index_[slot] = i;
  }

  // Puts child `id` (known to be new) in the index.
  void index_child(uint32_t id) {
    const size_t mask = child_index_.size() - 1;
    size_t slot = ArgCompiler::RuleSetHash{}(children_[id]) & mask;
    while (child_index_[slot] != kEmpty) slot = (slot + 1) & mask;
    child_index_[slot] = id;
  }

  uint32_t leaf_of_child(RuleSet child) {
    const auto id = static_cast<uint32_t>(children_.size());
    if (child_index_.empty() && children_.size() < kFew) {
      for (uint32_t i = 0; i < id; ++i) {
        if (ArgCompiler::RuleSetSame{}(children_[i], child)) return i;
      }
      children_.push_back(std::move(child));
      return id;
    }
    if (child_index_.empty()) {
      child_index_.assign(table_size(), kEmpty);
      for (uint32_t i = 0; i < id; ++i) index_child(i);
    }
    const size_t mask = child_index_.size() - 1;
    size_t slot = ArgCompiler::RuleSetHash{}(child)&mask;
    for (; child_index_[slot] != kEmpty; slot = (slot + 1) & mask) {
      if (ArgCompiler::RuleSetSame{}(children_[child_index_[slot]], child)) return child_index_[slot];
    }
    child_index_[slot] = id;
    children_.push_back(std::move(child));
    return id;
  }

  size_t pieces_;
  size_t length_;
  std::string& seen_;
  std::vector<uint32_t>& seen_leaf_;
  std::vector<uint32_t>& signature_index_;
  std::vector<uint32_t>& child_index_;
  std::vector<RuleSet> children_;
};

}  // namespace sysfence::compiler
