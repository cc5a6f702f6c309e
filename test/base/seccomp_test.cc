#include "base/seccomp.h"

#include <gtest/gtest.h>

namespace sysfence {
namespace {

TEST(Action, EncodeDecodeRoundTrip) {
  const Action all[] = {Action::KillProcess(), Action::KillThread(), Action::Trap(),
                        Action::Errno(1),      Action::Errno(4095),  Action::UserNotif(),
                        Action::Trace(7),      Action::Log(),        Action::Allow()};
  for (Action a : all) EXPECT_EQ(decode(encode(a)), a) << to_string(a);
  EXPECT_EQ(encode(Action::Errno(38)), 0x00050026U);
  EXPECT_EQ(encode(Action::Allow()), 0x7fff0000U);
}

TEST(Action, UnknownValuesActAsKillProcess) {
  EXPECT_EQ(decode(0x00010000U), Action::KillProcess());
  EXPECT_EQ(decode(0x7ffe0000U), Action::KillProcess());
  // Data bits under KILL_THREAD do not change the action.
  EXPECT_EQ(decode(0x00000005U), Action::KillThread());
}

TEST(Action, PrecedenceFollowsKernel) {
  EXPECT_TRUE(more_restrictive(Action::KillProcess(), Action::KillThread()));
  EXPECT_TRUE(more_restrictive(Action::KillThread(), Action::Trap()));
  EXPECT_TRUE(more_restrictive(Action::Trap(), Action::Errno(1)));
  EXPECT_TRUE(more_restrictive(Action::Errno(1), Action::UserNotif()));
  EXPECT_TRUE(more_restrictive(Action::UserNotif(), Action::Trace(0)));
  EXPECT_TRUE(more_restrictive(Action::Trace(0), Action::Log()));
  EXPECT_TRUE(more_restrictive(Action::Log(), Action::Allow()));
  EXPECT_FALSE(more_restrictive(Action::Allow(), Action::Log()));
}

TEST(Action, SpellingRoundTrip) {
  for (Action a : {Action::Errno(1), Action::Trace(3), Action::Allow(), Action::KillThread()}) {
    auto parsed = parse_action(to_string(a));
    ASSERT_TRUE(parsed.has_value());
    EXPECT_EQ(*parsed, a);
  }
  EXPECT_EQ(parse_action("SECCOMP_RET_KILL"), Action::KillThread());
  EXPECT_EQ(parse_action("ERRNO(0x26)"), Action::Errno(38));
  EXPECT_FALSE(parse_action("ERRNO").has_value());
  EXPECT_FALSE(parse_action("ERRNO(70000)").has_value());
  EXPECT_FALSE(parse_action("ALLOWX").has_value());
}

TEST(SeccompData, WordLayoutPerEndianness) {
  SeccompData d;
  d.nr = 41;
  d.arch = 0xc000003e;
  d.instruction_pointer = 0x1122334455667788ULL;
  d.args[0] = 0x0000000100000026ULL;
  const auto le = to_words(d, Endian::kLittle);
  EXPECT_EQ(le[0], 41U);
  EXPECT_EQ(le[1], 0xc000003eU);
  EXPECT_EQ(le[2], 0x55667788U);
  EXPECT_EQ(le[3], 0x11223344U);
  EXPECT_EQ(le[4], 0x26U);
  EXPECT_EQ(le[5], 1U);
  const auto be = to_words(d, Endian::kBig);
  EXPECT_EQ(be[4], 1U);
  EXPECT_EQ(be[5], 0x26U);
  EXPECT_EQ(from_words(le, Endian::kLittle), d);
  EXPECT_EQ(from_words(be, Endian::kBig), d);
}

}  // namespace
}  // namespace sysfence
