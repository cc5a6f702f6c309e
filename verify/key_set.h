// A set of variable-length keys of 32-bit words, stored compactly: the
// proof's memo of proved walk states holds thousands of them, and a
// std::unordered_set of vectors spends about as much again on a heap block,
// a vector header and a hash node per key.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace sysfence::verify {

class KeySet {
 public:
  bool contains(std::span<const uint32_t> key) const;
  // Adds `key` unless it is already there.
  void insert(std::span<const uint32_t> key);
  size_t size() const { return count_; }

 private:
  struct Slot {
    const uint32_t* key;  // null where free
    uint32_t size;
    uint32_t hash;
  };
  // Keys are copied into arenas that never move (a full one is kept and a
  // new one started), so a slot can point at its key.
  static constexpr size_t kArenaWords = size_t{1} << 14;

  static uint32_t hash(std::span<const uint32_t> key);
  const Slot* find(std::span<const uint32_t> key, uint32_t h) const;
  const uint32_t* store(std::span<const uint32_t> key);
  void grow();

  std::vector<Slot> slots_;  // open addressing, at most half full
  size_t count_ = 0;
  std::vector<std::unique_ptr<uint32_t[]>> arenas_;
  size_t arena_used_ = kArenaWords;  // words used in arenas_.back()
};

}  // namespace sysfence::verify
