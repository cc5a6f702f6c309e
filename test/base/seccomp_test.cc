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

TEST(Action, UnknownValuesActAsKillProcessButKeepTheirValue) {
  const Action a = decode(0x00010000U);
  EXPECT_EQ(a.kind, ActionKind::kKillProcess);
  EXPECT_FALSE(a.known());
  EXPECT_NE(a, Action::KillProcess());
  EXPECT_NE(decode(0x00040000U), a);
  EXPECT_EQ(encode(decode(0x7ffe0000U)), 0x7ffe0000U);
  EXPECT_EQ(to_string(decode(0x12340000U)), "KILL_PROCESS (unknown action 0x12340000)");
  EXPECT_EQ(to_string(decode(0x00040007U)), "KILL_PROCESS (unknown action 0x00040007)");
}

TEST(Action, DataIsPartOfEveryKind) {
  // The kernel hands TRAP's data to the SIGSYS handler as si_errno.
  EXPECT_EQ(decode(0x00030005U), Action::Trap(5));
  EXPECT_NE(decode(0x00030005U), Action::Trap());
  EXPECT_EQ(to_string(decode(0x00030005U)), "TRAP(5)");
  EXPECT_EQ(to_string(Action::Trap()), "TRAP");
  EXPECT_EQ(to_string(decode(0x00000005U)), "KILL_THREAD(5)");
  EXPECT_EQ(to_string(decode(0x7fff0001U)), "ALLOW(1)");
  EXPECT_EQ(to_string(Action::Errno(0)), "ERRNO(0)");
  EXPECT_EQ(to_string(Action::Trace(0)), "TRACE(0)");
}

TEST(Action, EncodeDecodeIsABijection) {
  // Every action field value, with data at its edges and in between.
  for (uint32_t bits = 0; bits <= 0xffff; ++bits) {
    for (uint32_t data : {0U, 1U, 5U, 0x8000U, 0xffffU}) {
      const uint32_t ret = bits << 16 | data;
      ASSERT_EQ(encode(decode(ret)), ret) << std::hex << ret;
      ASSERT_EQ(decode(ret).data, data);
    }
  }
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
  // Unknown values rank by their signed action bits, as the kernel compares.
  EXPECT_TRUE(more_restrictive(Action::Trap(), decode(0x00040000U)));
  EXPECT_TRUE(more_restrictive(decode(0x00040000U), Action::Errno(0)));
  EXPECT_TRUE(more_restrictive(decode(0x80010000U), Action::KillThread()));
  EXPECT_TRUE(more_restrictive(Action::Trap(1), Action::Trap(2)));
}

TEST(Action, SpellingRoundTrip) {
  for (Action a : {Action::Errno(1), Action::Trace(3), Action::Allow(), Action::KillThread(), Action::Trap(5),
                   decode(0x7fff0002U), decode(0x80000009U)}) {
    auto parsed = parse_action(to_string(a));
    ASSERT_TRUE(parsed.has_value());
    EXPECT_EQ(*parsed, a);
  }
  EXPECT_EQ(parse_action("SECCOMP_RET_KILL"), Action::KillThread());
  EXPECT_EQ(parse_action("ERRNO(0x26)"), Action::Errno(38));
  EXPECT_EQ(parse_action("SECCOMP_RET_TRAP(0x10)"), Action::Trap(16));
  EXPECT_EQ(parse_action("KILL(3)"), decode(3));
  EXPECT_FALSE(parse_action("ERRNO").has_value());
  EXPECT_FALSE(parse_action("TRACE").has_value());
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
