// The kernel's rule for filter stacks, case by case. Every expected value is
// derived by hand from kernel/seccomp.c (seccomp_run_filters: start from
// SECCOMP_RET_ALLOW, walk newest to oldest, keep a value only when
// (s32)(ret & 0xffff0000) is strictly lower); the real-kernel test
// (test/bpf/kernel_stack_test) checks the same rule against Linux.
#include "bpf/stack.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

namespace sysfence::bpf {
namespace {

// A filter answering `ret` whatever the input (1 instruction).
Program always(uint32_t ret) { return {stmt(kRet | kRetK, ret)}; }
// A filter answering `hit` for nr 39 and `miss` otherwise (3 instructions).
Program on_nr_39(uint32_t hit, uint32_t miss) {
  return {stmt(kLd | kW | kAbs, 0), jump(kJmp | kJeq | kK, 39, 0, 1), stmt(kRet | kRetK, hit),
          stmt(kRet | kRetK, miss)};
}

struct Case {
  std::string name;
  std::vector<Program> stack;  // installation order: [0] is the oldest
  uint32_t nr;
  uint32_t ret;                   // the kernel's answer
  std::optional<size_t> decider;  // installation position of the kept filter
};

std::vector<Case> cases() {
  return {
      {"single filter", {always(0x00050001)}, 0, 0x00050001, 0},
      // ERRNO(1) oldest, ERRNO(2) newest: equal actions, the newest's data.
      {"tie keeps the newest's errno", {always(0x00050001), always(0x00050002)}, 0, 0x00050002, 1},
      {"tie keeps the newest's errno, three filters",
       {always(0x00050003), always(0x00050002), always(0x00050001)},
       0,
       0x00050001,
       2},
      // TRAP(7) and TRAP(9): the newest's si_errno.
      {"tie keeps the newest's trap data", {always(0x00030009), always(0x00030007)}, 0, 0x00030007, 1},
      // TRAP (0x0003....) is below ERRNO (0x0005....) whichever is newer.
      {"trap beats errno (trap older)", {always(0x00030005), always(0x00050001)}, 0, 0x00030005, 0},
      {"trap beats errno (trap newer)", {always(0x00050001), always(0x00030005)}, 0, 0x00030005, 1},
      // KILL_PROCESS is negative as s32: below KILL_THREAD (0).
      {"kill process beats kill thread", {always(0x00000000), always(0x80000000)}, 0, 0x80000000, 1},
      {"kill process beats everything, oldest",
       {always(0x80000000), always(0x00000000), always(0x00030001)},
       0,
       0x80000000,
       0},
      // LOG (0x7ffc0000) is below ALLOW (0x7fff0000).
      {"log beats allow", {always(0x7fff0000), always(0x7ffc0000)}, 0, 0x7ffc0000, 1},
      {"log beats allow (log older)", {always(0x7ffc0000), always(0x7fff0000)}, 0, 0x7ffc0000, 0},
      {"trace beats log", {always(0x7ffc0000), always(0x7ff00011)}, 0, 0x7ff00011, 1},
      {"user notif beats trace", {always(0x7ff00011), always(0x7fc00000)}, 0, 0x7fc00000, 1},
      // Every filter allows: the kernel's starting value, no deciding filter,
      // and ALLOW's data is not carried.
      {"all allow", {always(0x7fff0000), always(0x7fff0000)}, 0, 0x7fff0000, std::nullopt},
      {"allow data is dropped", {always(0x7fff0005)}, 0, 0x7fff0000, std::nullopt},
      // Unknown action values take part by their number: 0x00010000 lies
      // between KILL_THREAD (0) and TRAP (0x00030000).
      {"unknown value below trap", {always(0x00030000), always(0x00010000)}, 0, 0x00010000, 1},
      {"kill thread below unknown value", {always(0x00010000), always(0x00000000)}, 0, 0x00000000, 1},
      // 0x7ffe0000 is unknown, between LOG and ALLOW.
      {"unknown value above log", {always(0x7ffe0000), always(0x7ffc0000)}, 0, 0x7ffc0000, 1},
      {"unknown value below allow", {always(0x7fff0000), always(0x7ffe0000)}, 0, 0x7ffe0000, 1},
      // Other negative values are unknown and lie above KILL_PROCESS (0x80010000
      // is -2147418112 as s32, KILL_PROCESS -2147483648).
      {"negative unknown value above kill process", {always(0x80000000), always(0x80010000)}, 0, 0x80000000, 0},
      // Filters disagreeing per syscall.
      {"per syscall: the older errno on 39", {on_nr_39(0x00050001, 0x7fff0000), always(0x7fff0000)}, 39, 0x00050001, 0},
      {"per syscall: allowed elsewhere",
       {on_nr_39(0x00050001, 0x7fff0000), always(0x7fff0000)},
       40,
       0x7fff0000,
       std::nullopt},
      {"per syscall: the newer trap on 39",
       {on_nr_39(0x00050001, 0x7fff0000), on_nr_39(0x00030002, 0x7ffc0000)},
       39,
       0x00030002,
       1},
      {"per syscall: log elsewhere",
       {on_nr_39(0x00050001, 0x7fff0000), on_nr_39(0x00030002, 0x7ffc0000)},
       40,
       0x7ffc0000,
       1},
  };
}

TEST(Stack, KernelRule) {
  for (const Case& c : cases()) {
    SeccompWords w{};
    w[0] = c.nr;
    auto r = run_stack(c.stack, w);
    ASSERT_TRUE(r.has_value()) << c.name;
    EXPECT_EQ(r->ret, c.ret) << c.name;
    EXPECT_EQ(r->decider, c.decider) << c.name;
  }
}

TEST(Stack, EveryFilterRunsAndIsCounted) {
  const std::vector<Program> stack{on_nr_39(0x80000000, 0x7fff0000), always(0x7fff0000), on_nr_39(0, 0x7fff0000)};
  SeccompWords w{};
  w[0] = 39;
  auto r = run_stack(stack, w);
  ASSERT_TRUE(r.has_value());
  // The oldest filter kills; the newer ones still ran.
  EXPECT_EQ(r->ret, 0x80000000U);
  EXPECT_EQ(r->insns, (std::vector<uint32_t>{3, 1, 3}));
  EXPECT_EQ(r->total_insns, 7U);
  EXPECT_EQ(r->action(), Action::KillProcess());
}

TEST(Stack, RejectsEmptyAndInvalid) {
  EXPECT_FALSE(run_stack(std::vector<Program>{}, SeccompWords{}).has_value());
  // The oldest of two filters is invalid (no return): the kernel's index 0.
  auto r = run_stack(std::vector<Program>{{stmt(kLd | kW | kAbs, 0)}, always(0x7fff0000)}, SeccompWords{});
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().message.rfind("filter 0: ", 0), 0U) << r.error().message;
  // The newer one invalid: index 1.
  r = run_stack(std::vector<Program>{always(0x7fff0000), {stmt(kLd | kW | kAbs, 0)}}, SeccompWords{});
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().message.rfind("filter 1: ", 0), 0U) << r.error().message;
}

}  // namespace
}  // namespace sysfence::bpf
