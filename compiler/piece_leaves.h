// The leaves of one interval split of the argument compiler (args.cc,
// ArgCompiler::interval_split): the pieces of a word's domain that decide
// its conditions alike share one leaf. Internal to //compiler:args.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "compiler/args.h"

namespace sysfence::compiler {

// The leaves of one interval split: a piece whose signature was seen takes
// that piece's leaf; otherwise its RuleSet, unless identical to an earlier
// piece's, is a new leaf (`children`, in order of appearance). Looked up one
// by one while few (most splits have a handful of pieces), by hash past that.
// Every signature of a split has one length (a character per condition on
// the word): the signatures seen are held end to end in one buffer, sized
// for every piece up front so that the views the hash holds stay valid.
class PieceLeaves {
 public:
  PieceLeaves(size_t pieces, size_t signature_length) : length_(signature_length) {
    children_.reserve(std::min<size_t>(pieces, kFew));
    seen_.reserve(pieces * signature_length);
  }

  const uint32_t* leaf_of_signature(std::string_view signature) const {
    if (signature_map_.empty()) {
      for (size_t i = 0; i < seen_leaf_.size(); ++i) {
        if (std::string_view(seen_).substr(i * length_, length_) == signature) return &seen_leaf_[i];
      }
      return nullptr;
    }
    auto it = signature_map_.find(signature);
    return it == signature_map_.end() ? nullptr : &it->second;
  }

  uint32_t add(std::string_view signature, RuleSet child) {
    const uint32_t leaf = leaf_of_child(std::move(child));
    const size_t at = seen_.size();
    seen_.append(signature);
    seen_leaf_.push_back(leaf);
    if (signature_map_.empty() && seen_leaf_.size() <= kFew) return leaf;
    if (signature_map_.empty()) {
      for (size_t i = 0; i + 1 < seen_leaf_.size(); ++i) {
        signature_map_.emplace(std::string_view(seen_).substr(i * length_, length_), seen_leaf_[i]);
      }
    }
    signature_map_.emplace(std::string_view(seen_).substr(at, length_), leaf);
    return leaf;
  }

  std::vector<RuleSet>& children() { return children_; }

 private:
  static constexpr size_t kFew = 8;
  struct ChildHash {
    const std::vector<RuleSet>* children;
    size_t operator()(uint32_t i) const { return ArgCompiler::RuleSetHash{}((*children)[i]); }
  };
  struct ChildSame {
    const std::vector<RuleSet>* children;
    bool operator()(uint32_t a, uint32_t b) const { return ArgCompiler::RuleSetSame{}((*children)[a], (*children)[b]); }
  };

  uint32_t leaf_of_child(RuleSet child) {
    const auto id = static_cast<uint32_t>(children_.size());
    if (child_set_.empty() && children_.size() < kFew) {
      for (uint32_t i = 0; i < id; ++i) {
        if (ArgCompiler::RuleSetSame{}(children_[i], child)) return i;
      }
      children_.push_back(std::move(child));
      return id;
    }
    if (child_set_.empty()) {
      for (uint32_t i = 0; i < id; ++i) child_set_.insert(i);
    }
    children_.push_back(std::move(child));
    const auto [known, added] = child_set_.insert(id);
    if (!added) children_.pop_back();
    return *known;
  }

  size_t length_;
  std::string seen_;                                              // the signatures seen, end to end
  std::vector<uint32_t> seen_leaf_;                               // the leaf of each
  std::unordered_map<std::string_view, uint32_t> signature_map_;  // views into seen_
  std::vector<RuleSet> children_;
  std::unordered_set<uint32_t, ChildHash, ChildSame> child_set_{0, ChildHash{&children_}, ChildSame{&children_}};
};

}  // namespace sysfence::compiler
