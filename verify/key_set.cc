#include "verify/key_set.h"

#include <algorithm>

namespace sysfence::verify {

uint32_t KeySet::hash(std::span<const uint32_t> key) {
  uint64_t h = key.size();
  for (uint32_t v : key) {
    h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
  }
  h *= 0x9e3779b97f4a7c15ULL;
  return static_cast<uint32_t>(h >> 32);
}

const KeySet::Slot* KeySet::find(std::span<const uint32_t> key, uint32_t h) const {
  if (slots_.empty()) return nullptr;
  const size_t mask = slots_.size() - 1;
  for (size_t i = h & mask; slots_[i].key != nullptr; i = (i + 1) & mask) {
    const Slot& s = slots_[i];
    if (s.hash == h && s.size == key.size() && std::equal(key.begin(), key.end(), s.key)) return &s;
  }
  return nullptr;
}

bool KeySet::contains(std::span<const uint32_t> key) const { return find(key, hash(key)) != nullptr; }

const uint32_t* KeySet::store(std::span<const uint32_t> key) {
  if (key.size() > kArenaWords) {  // an arena of its own; the next key starts a new one
    arenas_.push_back(std::make_unique_for_overwrite<uint32_t[]>(key.size()));
    arena_used_ = kArenaWords;
    std::copy(key.begin(), key.end(), arenas_.back().get());
    return arenas_.back().get();
  }
  if (arenas_.empty() || kArenaWords - arena_used_ < key.size()) {
    arenas_.push_back(std::make_unique_for_overwrite<uint32_t[]>(kArenaWords));
    arena_used_ = 0;
  }
  uint32_t* out = arenas_.back().get() + arena_used_;
  std::copy(key.begin(), key.end(), out);
  arena_used_ += key.size();
  return out;
}

void KeySet::grow() {
  std::vector<Slot> old(std::max<size_t>(64, slots_.size() * 2), Slot{nullptr, 0, 0});
  old.swap(slots_);
  const size_t mask = slots_.size() - 1;
  for (const Slot& s : old) {
    if (s.key == nullptr) continue;
    size_t i = s.hash & mask;
    while (slots_[i].key != nullptr) i = (i + 1) & mask;
    slots_[i] = s;
  }
}

void KeySet::insert(std::span<const uint32_t> key) {
  const uint32_t h = hash(key);
  if (find(key, h) != nullptr) return;
  if (2 * (count_ + 1) > slots_.size()) grow();
  const size_t mask = slots_.size() - 1;
  size_t i = h & mask;
  while (slots_[i].key != nullptr) i = (i + 1) & mask;
  slots_[i] = Slot{store(key), static_cast<uint32_t>(key.size()), h};
  ++count_;
}

}  // namespace sysfence::verify
