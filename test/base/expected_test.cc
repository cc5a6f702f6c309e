#include "base/expected.h"

#include <gtest/gtest.h>

namespace sysfence {
namespace {

Expected<int> half(int x) {
  if (x % 2 != 0) return fail("odd");
  return x / 2;
}

TEST(Expected, CarriesValueOrError) {
  auto ok = half(8);
  ASSERT_TRUE(ok);
  EXPECT_EQ(*ok, 4);
  auto bad = half(3);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message, "odd");
}

TEST(Expected, VoidSpecialization) {
  Expected<void> ok;
  EXPECT_TRUE(ok);
  Expected<void> bad = fail("nope");
  EXPECT_FALSE(bad);
  EXPECT_EQ(bad.error().message, "nope");
}

}  // namespace
}  // namespace sysfence
