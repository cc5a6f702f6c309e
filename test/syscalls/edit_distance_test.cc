// The one edit distance behind every "did you mean": optimal string
// alignment (Levenshtein plus adjacent swaps), case-insensitive, and the
// typo threshold (a third of the length, rounded up). Distances worked out by
// hand.
#include "syscalls/edit_distance.h"

#include <gtest/gtest.h>

#include <array>
#include <string>
#include <string_view>

namespace sysfence::syscalls {
namespace {

TEST(EditDistance, CountsInsertionsDeletionsSubstitutionsAndSwaps) {
  EXPECT_EQ(edit_distance("", ""), 0u);
  EXPECT_EQ(edit_distance("read", "read"), 0u);
  EXPECT_EQ(edit_distance("", "read"), 4u);
  EXPECT_EQ(edit_distance("opnat", "openat"), 1u);         // one insertion
  EXPECT_EQ(edit_distance("getrandon", "getrandom"), 1u);  // one substitution
  EXPECT_EQ(edit_distance("EPREM", "EPERM"), 1u);          // one swap
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
  EXPECT_EQ(edit_distance("ca", "abc"), 3u);     // OSA: a swapped pair is not edited again
  EXPECT_EQ(edit_distance("READ", "read"), 0u);  // ASCII case is ignored
}

TEST(EditDistance, BoundedOnHugeInput) {
  const std::string huge(100000, 'q');
  EXPECT_EQ(edit_distance(huge, "q"), kMaxEditInput - 1);
}

TEST(Nearest, OnlyWithinATypoDistance) {
  EXPECT_EQ(typo_distance(""), 1u);
  EXPECT_EQ(typo_distance("ab"), 1u);
  EXPECT_EQ(typo_distance("open"), 2u);
  EXPECT_EQ(typo_distance("zzzzzzzzzzzzzz"), 5u);
  constexpr std::array<std::string_view, 3> kNames{"getrandom", "getpid", "_sysctl"};
  EXPECT_EQ(nearest("getrandon", kNames), "getrandom");
  EXPECT_EQ(nearest("zzzzzzzzzzzzzz", kNames), std::nullopt);
  EXPECT_EQ(nearest("gtepid", kNames), "getpid");
  EXPECT_EQ(nearest(std::string(100, 'g'), kNames), std::nullopt);
  EXPECT_EQ(did_you_mean("getpdi", kNames), " (did you mean \"getpid\"?)");
  EXPECT_EQ(did_you_mean("xyz", kNames), "");
}

// Of equally near candidates, the one that begins like the word, whatever
// the order: EROR is three edits from both TRAP and ERRNO.
TEST(Nearest, TiesGoToTheCandidateThatBeginsAlike) {
  EXPECT_EQ(edit_distance("SCMP_ACT_EROR", "SCMP_ACT_TRAP"), edit_distance("SCMP_ACT_EROR", "SCMP_ACT_ERRNO"));
  constexpr std::array<std::string_view, 3> kTrapFirst{"SCMP_ACT_KILL", "SCMP_ACT_TRAP", "SCMP_ACT_ERRNO"};
  constexpr std::array<std::string_view, 3> kErrnoFirst{"SCMP_ACT_ERRNO", "SCMP_ACT_TRAP", "SCMP_ACT_KILL"};
  EXPECT_EQ(nearest("SCMP_ACT_EROR", kTrapFirst), "SCMP_ACT_ERRNO");
  EXPECT_EQ(nearest("SCMP_ACT_EROR", kErrnoFirst), "SCMP_ACT_ERRNO");
  // A nearer candidate still wins over a longer common prefix.
  constexpr std::array<std::string_view, 2> kNames{"getpid", "getppid"};
  EXPECT_EQ(nearest("getpi", kNames), "getpid");
}

}  // namespace
}  // namespace sysfence::syscalls
