// The proof's memo of proved states: a compact set of word keys, checked
// against std::set on random keys (short ones that collide often, and ones
// longer than an arena).
#include "verify/key_set.h"

#include <gtest/gtest.h>

#include <random>
#include <set>
#include <vector>

namespace sysfence::verify {
namespace {

std::vector<uint32_t> random_key(std::mt19937_64& rng) {
  const size_t size = rng() % 50 == 0 ? 20000 + rng() % 20000 : rng() % 6;
  std::vector<uint32_t> key(size);
  for (uint32_t& v : key) v = static_cast<uint32_t>(rng() % 4);
  return key;
}

TEST(KeySet, AgreesWithStdSet) {
  std::mt19937_64 rng(7);
  KeySet set;
  std::set<std::vector<uint32_t>> reference;
  for (int i = 0; i < 20000; ++i) {
    const std::vector<uint32_t> key = random_key(rng);
    ASSERT_EQ(set.contains(key), reference.contains(key)) << "step " << i;
    if (rng() % 2 == 0) {
      set.insert(key);
      reference.insert(key);
    }
    ASSERT_EQ(set.size(), reference.size());
  }
  for (const std::vector<uint32_t>& key : reference) EXPECT_TRUE(set.contains(key));
  EXPECT_GT(reference.size(), 1000u);
}

TEST(KeySet, EmptyAndPrefixKeysAreDistinct) {
  KeySet set;
  const std::vector<uint32_t> empty;
  const std::vector<uint32_t> one = {0};
  const std::vector<uint32_t> two = {0, 0};
  EXPECT_FALSE(set.contains(empty));
  set.insert(one);
  EXPECT_FALSE(set.contains(empty));
  EXPECT_FALSE(set.contains(two));
  set.insert(empty);
  set.insert(one);  // already there
  EXPECT_EQ(set.size(), 2u);
  EXPECT_TRUE(set.contains(empty));
  EXPECT_TRUE(set.contains(one));
}

// A capped set forgets, never invents: what it contains was inserted since
// it last started over, and it holds at most its cap's worth of words.
TEST(KeySet, CappedSetForgetsButNeverInvents) {
  std::mt19937_64 rng(11);
  constexpr size_t kCap = 64;
  KeySet set(kCap);
  std::set<std::vector<uint32_t>> since_restart;
  size_t words = 0;
  for (int i = 0; i < 20000; ++i) {
    std::vector<uint32_t> key(rng() % 6);
    for (uint32_t& v : key) v = static_cast<uint32_t>(rng() % 4);
    const size_t restarts = set.restarts();
    if (rng() % 2 == 0) {
      set.insert(key);
      if (set.restarts() != restarts) {
        since_restart.clear();
        words = 0;
      }
      if (since_restart.insert(key).second) words += 2 + key.size();
    }
    ASSERT_EQ(set.contains(key), since_restart.contains(key)) << "step " << i;
    ASSERT_EQ(set.size(), since_restart.size());
    ASSERT_LE(words, kCap);
  }
  EXPECT_GT(set.restarts(), 10u);
  for (const std::vector<uint32_t>& key : since_restart) EXPECT_TRUE(set.contains(key));
}

// A key larger than the cap is still kept (alone): the cap bounds the
// memo, it does not refuse states.
TEST(KeySet, KeyLargerThanTheCapIsKeptAlone) {
  KeySet set(8);
  const std::vector<uint32_t> small = {1, 2};
  const std::vector<uint32_t> large(100, 3);
  set.insert(small);
  set.insert(large);
  EXPECT_TRUE(set.contains(large));
  EXPECT_FALSE(set.contains(small));
  EXPECT_EQ(set.size(), 1u);
  EXPECT_EQ(set.restarts(), 1u);
}

}  // namespace
}  // namespace sysfence::verify
