#include "verify/key_set.h"

#include <algorithm>

namespace sysfence::verify {

uint32_t KeySet::hash(std::span<const uint32_t> key) {
  // A multiply-fold over two words at a time, half the instructions of a
  // shift-add chain over one word at a time (with the walk hashing each
  // key once, not for the look-up and again for the insertion: one/70's
  // proof 11.2M -> 10.6M instructions).
  constexpr uint64_t kMultiplier = 0x9e3779b97f4a7c15ULL;
  uint64_t h = key.size() * 0xc2b2ae3d27d4eb4fULL;
  size_t i = 0;
  for (; i + 2 <= key.size(); i += 2) {
    h = (h ^ (uint64_t{key[i]} | uint64_t{key[i + 1]} << 32)) * kMultiplier;
    h ^= h >> 32;
  }
  if (i < key.size()) h = (h ^ key[i]) * kMultiplier;
  h *= kMultiplier;
  return static_cast<uint32_t>(h >> 32);
}

bool KeySet::find(std::span<const uint32_t> key, uint32_t h) const {
  if (slots_.empty()) return false;
  const size_t mask = slots_.size() - 1;
  for (size_t i = h & mask; slots_[i].position != kFree; i = (i + 1) & mask) {
    if (slots_[i].hash != h) continue;
    const uint32_t* e = entry(slots_[i].position);
    if (e[0] == key.size() && std::equal(key.begin(), key.end(), e + kHeaderWords)) return true;
  }
  return false;
}

uint32_t KeySet::store(std::span<const uint32_t> key, uint32_t h) {
  const size_t words = kHeaderWords + key.size();
  const bool own_arena = words > kArenaWords;
  if (arenas_.empty() || own_arena || kArenaWords - arena_used_.back() < words) {
    arenas_.push_back(std::make_unique_for_overwrite<uint32_t[]>(std::max(words, kArenaWords)));
    arena_used_.push_back(0);
  }
  const auto arena = static_cast<uint32_t>(arenas_.size() - 1);
  const uint32_t offset = arena_used_.back();
  uint32_t* out = arenas_.back().get() + offset;
  out[0] = static_cast<uint32_t>(key.size());
  out[1] = h;
  std::copy(key.begin(), key.end(), out + kHeaderWords);
  // An arena of its own is full: the next key starts another.
  arena_used_.back() = own_arena ? static_cast<uint32_t>(kArenaWords) : static_cast<uint32_t>(offset + words);
  return arena << kArenaBits | offset;
}

void KeySet::place(uint32_t position, uint32_t h) {
  const size_t mask = slots_.size() - 1;
  size_t i = h & mask;
  while (slots_[i].position != kFree) i = (i + 1) & mask;
  slots_[i] = Slot{position, h};
}

void KeySet::grow() {
  // Rebuilt from the arenas, which hold every key's hash: the old slots
  // are freed first, so that the two tables are never held at once.
  const size_t size = std::max<size_t>(64, slots_.size() * 2);
  slots_ = std::vector<Slot>();
  slots_.assign(size, Slot{kFree, 0});
  for (uint32_t a = 0; a < arenas_.size(); ++a) {
    const uint32_t* arena = arenas_[a].get();
    for (uint32_t offset = 0; offset < arena_used_[a] && offset < kArenaWords;) {
      place(a << kArenaBits | offset, arena[offset + 1]);
      offset += kHeaderWords + arena[offset];
    }
  }
}

void KeySet::forget_all() {
  slots_ = std::vector<Slot>();
  arenas_.clear();
  arena_used_.clear();
  count_ = 0;
  words_ = 0;
  ++restarts_;
}

void KeySet::insert(std::span<const uint32_t> key, uint32_t h) {
  if (find(key, h)) return;
  if (words_ + kHeaderWords + key.size() > max_words_ && count_ > 0) forget_all();
  words_ += kHeaderWords + key.size();
  if (2 * (count_ + 1) > slots_.size()) grow();
  place(store(key, h), h);
  ++count_;
}

}  // namespace sysfence::verify
