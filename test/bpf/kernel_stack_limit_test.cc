// The limit on a thread's filters together, against the running kernel: for
// filters of several shapes a forked child installs filters until the kernel
// refuses one (ENOMEM), and kernel_charged_total must predict exactly which
// stacks the kernel takes. The kernel counts each filter converted to eBPF,
// so the boundary differs by shape: 4096 `ret`s count twice what 4096 loads
// do, and jumps count 1 to 3 by their operands and branches.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <span>
#include <string>
#include <vector>

#include "base/seccomp.h"
#include "bpf/insn.h"
#include "bpf/kernel_length.h"
#include "bpf/validate.h"
#include "test/bpf/kernel_child.h"

namespace sysfence::bpf {
namespace {

using testing::run_in_child;
using testing::Shared;

constexpr Insn kRetAllowInsn = stmt(kRet | kRetK, kRetAllow);

// An n-instruction filter: `pattern` repeated, then `ret ALLOW`. Jump offsets
// are cut to stay inside the program, so every path ends in the final return
// and every filter allows every call (the child keeps running under them).
Program shaped(std::span<const Insn> pattern, size_t n) {
  Program prog;
  for (size_t i = 0; i + 1 < n; ++i) {
    Insn insn = pattern[i % pattern.size()];
    const auto room = static_cast<uint32_t>(n - 2 - i);  // the furthest offset that stays inside
    if (insn_class(insn.code) == kJmp) {
      if (insn_op(insn.code) == kJa) {
        insn.k = std::min(insn.k, room);
      } else {
        insn.jt = static_cast<uint8_t>(std::min<uint32_t>(insn.jt, room));
        insn.jf = static_cast<uint8_t>(std::min<uint32_t>(insn.jf, room));
      }
    }
    prog.push_back(insn);
  }
  prog.push_back(kRetAllowInsn);
  return prog;
}

struct Shape {
  std::string name;
  std::vector<Insn> pattern;
};

std::vector<Shape> shapes() {
  return {
      {"ret", {kRetAllowInsn}},
      {"loads", {stmt(kLd | kW | kAbs, kOffsetArch)}},
      {"jumps",
       {
           stmt(kLd | kW | kAbs, kOffsetNr),
           jump(kJmp | kJeq | kK, 1000, 1, 0),
           jump(kJmp | kJeq | kK, 1000, 0, 1),
           jump(kJmp | kJgt | kK, 1000, 0, 1),
           jump(kJmp | kJge | kK, 1000, 0, 2),
           jump(kJmp | kJset | kK, 1000, 0, 1),
           jump(kJmp | kJeq | kK, 1000, 1, 1),
           jump(kJmp | kJeq | kK, 0x80000000U, 0, 0),
           jump(kJmp | kJgt | kK, 0xfffffff0U, 1, 1),
           jump(kJmp | kJge | kX, 0x80000000U, 1, 1),
           jump(kJmp | kJset | kX, 0, 0, 1),
           stmt(kJmp | kJa, 1),
           jump(kJmp | kJset | kK, 0xc0000000U, 0, 1),
       }},
      // X is never 0 at a division (a division by X == 0 returns 0, which
      // would kill the child).
      {"alu",
       {
           stmt(kLdx | kImm, 3),
           stmt(kAlu | kDiv | kX, 0),
           stmt(kAlu | kAdd | kK, 7),
           stmt(kSt, 1),
           stmt(kLd | kMem, 1),
           stmt(kAlu | kOr | kK, 0x80000000U),
           stmt(kAlu | kMul | kX, 0),
           stmt(kMisc | kTxa, 0),
           stmt(kAlu | kNeg, 0),
           stmt(kLdx | kW | kLen, 0),
           stmt(kAlu | kDiv | kX, 0),
           stmt(kLd | kW | kLen, 0),
           stmt(kAlu | kDiv | kK, 3),
       }},
  };
}

struct Outcome {
  std::atomic<int> installed{0};
  std::atomic<int> refusal_errno{0};
};

// In a forked child: installs `filters` in order with seccomp(2) until the
// kernel refuses one. Returns how many it took; `refusal_errno` is the
// refusal's errno (0 when it took them all).
size_t kernel_takes(const std::vector<Program>& filters, int& refusal_errno) {
  Shared<Outcome> out;
  const auto status = run_in_child([&] {
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return;
    for (const Program& prog : filters) {
      sock_fprog fprog{};
      fprog.len = static_cast<unsigned short>(prog.size());
      fprog.filter = reinterpret_cast<sock_filter*>(const_cast<Insn*>(prog.data()));
      if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fprog) != 0) {
        out->refusal_errno = errno;
        return;
      }
      ++out->installed;
    }
  });
  EXPECT_TRUE(status.exited && status.exit_code == 0) << status.describe();
  refusal_errno = out->refusal_errno;
  return static_cast<size_t>(out->installed.load());
}

// How many of `filters` sysfence predicts the kernel takes: the longest
// prefix within the limit.
size_t predicted_takes(const std::vector<Program>& filters) {
  size_t n = 0;
  while (n < filters.size() && kernel_charged_total(std::span(filters).first(n + 1)) <= kMaxInsnsPerPath) {
    ++n;
  }
  return n;
}

// `count` full-length filters, then one of `last` instructions (none for 0).
std::vector<Program> stack_of(const Shape& shape, size_t count, size_t last) {
  std::vector<Program> stack(count, shaped(shape.pattern, kMaxInsns));
  if (last > 0) stack.push_back(shaped(shape.pattern, last));
  return stack;
}

TEST(KernelStackLimit, PredictionMatchesTheKernelAtTheBoundary) {
  if (testing::running_under_sanitizer()) GTEST_SKIP() << "forked children under a sanitizer";
  for (const Shape& shape : shapes()) {
    SCOPED_TRACE(shape.name);
    for (size_t n : {size_t{1}, size_t{2}, size_t{100}, kMaxInsns}) {
      ASSERT_FALSE(find_violation(shaped(shape.pattern, n)).has_value()) << n;
    }
    // Full-length filters until the kernel refuses one: eight cannot fit
    // (each counts more than 4096 + 4).
    int err = 0;
    const std::vector<Program> fulls = stack_of(shape, 8, 0);
    const size_t full_count = kernel_takes(fulls, err);
    EXPECT_EQ(err, ENOMEM);
    EXPECT_EQ(full_count, predicted_takes(fulls));
    // The largest last filter the kernel takes on top of them, by bisection
    // over its length: `accepted` is taken, `refused` is not.
    size_t accepted = 0;
    size_t refused = kMaxInsns;
    int refused_errno = err;
    while (refused - accepted > 1) {
      const size_t mid = (accepted + refused) / 2;
      if (kernel_takes(stack_of(shape, full_count, mid), err) == full_count + 1) {
        accepted = mid;
      } else {
        refused = mid;
        refused_errno = err;
      }
    }
    EXPECT_EQ(refused_errno, ENOMEM);
    RecordProperty(shape.name, fmt::format("{} full filters + one of {} instructions", full_count, accepted));
    // sysfence agrees on both sides of the boundary.
    const auto with_accepted = stack_of(shape, full_count, accepted);
    const auto with_refused = stack_of(shape, full_count, refused);
    EXPECT_EQ(predicted_takes(with_accepted), with_accepted.size())
        << "the kernel takes " << full_count << " full filters and one of " << accepted << " instructions ("
        << kernel_charged_total(with_accepted) << " as predicted)";
    EXPECT_EQ(predicted_takes(with_refused), with_refused.size() - 1)
        << "the kernel refuses a last filter of " << refused << " instructions (" << kernel_charged_total(with_refused)
        << " as predicted)";
  }
}

}  // namespace
}  // namespace sysfence::bpf
