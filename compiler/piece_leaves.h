// The leaves of one interval split of the argument compiler (args.cc,
// ArgCompiler::interval_split): the pieces of a word's domain that decide
// its conditions alike share one leaf. Internal to //compiler:args.
#pragma once

#include <cstdint>
#include <string>
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
class PieceLeaves {
 public:
  explicit PieceLeaves(size_t pieces) { children_.reserve(std::min<size_t>(pieces, kFew)); }

  const uint32_t* leaf_of_signature(const std::string& signature) const {
    if (signature_map_.empty()) {
      for (const auto& [known, leaf] : signatures_) {
        if (known == signature) return &leaf;
      }
      return nullptr;
    }
    auto it = signature_map_.find(signature);
    return it == signature_map_.end() ? nullptr : &it->second;
  }

  uint32_t add(const std::string& signature, RuleSet child) {
    const uint32_t leaf = leaf_of_child(std::move(child));
    if (signature_map_.empty() && signatures_.size() < kFew) {
      signatures_.emplace_back(signature, leaf);
    } else {
      for (auto& [known, known_leaf] : signatures_) signature_map_.emplace(std::move(known), known_leaf);
      signatures_.clear();
      signature_map_.emplace(signature, leaf);
    }
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

  std::vector<RuleSet> children_;
  std::vector<std::pair<std::string, uint32_t>> signatures_;
  std::unordered_map<std::string, uint32_t> signature_map_;
  std::unordered_set<uint32_t, ChildHash, ChildSame> child_set_{0, ChildHash{&children_}, ChildSame{&children_}};
};

}  // namespace sysfence::compiler
