// A set of variable-length keys of 32-bit words, stored compactly: the
// proof's memo of proved walk states holds thousands of them, and a
// std::unordered_set of vectors spends about as much again on a heap block,
// a vector header and a hash node per key.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace sysfence::verify {

class KeySet {
 public:
  // At most about `max_words` words of keys: a set that would grow past
  // them forgets every key and starts over. The proof's memo is a cache (a
  // forgotten state is walked again, no less proved), and its keys are
  // otherwise the largest part of the proof's peak memory.
  explicit KeySet(size_t max_words = SIZE_MAX) : max_words_(max_words) {}

  bool contains(std::span<const uint32_t> key) const { return contains(key, hash(key)); }
  // Adds `key` unless it is already there.
  void insert(std::span<const uint32_t> key) { insert(key, hash(key)); }
  // The same with the key's hash(key), for a caller that looks a key up
  // and then adds it (the proof's walk, whose keys are a few dozen words).
  static uint32_t hash(std::span<const uint32_t> key);
  bool contains(std::span<const uint32_t> key, uint32_t hash) const { return find(key, hash); }
  void insert(std::span<const uint32_t> key, uint32_t hash);
  size_t size() const { return count_; }
  // Calls visit(key) for every key, in no particular order.
  template <typename Visit>
  void for_each(Visit visit) const {
    for (size_t a = 0; a < arenas_.size(); ++a) {
      const uint32_t* arena = arenas_[a].get();
      for (uint32_t offset = 0; offset < arena_used_[a] && offset < kArenaWords;) {
        visit(std::span<const uint32_t>(arena + offset + kHeaderWords, arena[offset]));
        offset += kHeaderWords + arena[offset];
      }
    }
  }
  // How many times the set forgot its keys to stay under max_words.
  size_t restarts() const { return restarts_; }

 private:
  // Keys are copied into arenas that never move, each as its size, its
  // hash and its words; a key longer than an arena gets an arena of its
  // own. A key's position is its arena's index times kArenaWords plus its
  // offset there.
  static constexpr unsigned kArenaBits = 14;
  static constexpr size_t kArenaWords = size_t{1} << kArenaBits;
  static constexpr uint32_t kHeaderWords = 2;
  static constexpr uint32_t kFree = ~uint32_t{0};
  struct Slot {
    uint32_t position;  // kFree where free
    uint32_t hash;
  };

  const uint32_t* entry(uint32_t position) const {
    return arenas_[position >> kArenaBits].get() + (position & (kArenaWords - 1));
  }
  bool find(std::span<const uint32_t> key, uint32_t h) const;
  uint32_t store(std::span<const uint32_t> key, uint32_t h);
  void place(uint32_t position, uint32_t h);
  void grow();
  void forget_all();

  std::vector<Slot> slots_;  // open addressing, at most half full
  size_t count_ = 0;
  std::vector<std::unique_ptr<uint32_t[]>> arenas_;
  std::vector<uint32_t> arena_used_;  // words used in each arena
  size_t max_words_;
  size_t words_ = 0;  // words held in the arenas, headers included
  size_t restarts_ = 0;
};

}  // namespace sysfence::verify
