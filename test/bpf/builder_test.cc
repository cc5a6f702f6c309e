// The label builder: exact layouts for small programs, long jumps through
// trampolines, shared returns, and a randomized check that layout preserves
// the meaning of every branch.
#include "bpf/builder.h"

#include <gtest/gtest.h>

#include <map>
#include <random>

#include "bpf/validate.h"

namespace sysfence::bpf {
namespace {

constexpr uint32_t kAllow = 0x7fff0000;
constexpr uint32_t kEperm = 0x00050001;

// Follows a program for a given A-input at each load: a small walker over
// the subset the builder emits (ld, add, jumps, ret). Returns the ret value
// and the instructions executed.
struct Walk {
  uint32_t ret = 0;
  size_t executed = 0;
};
Walk walk(const Program& p, const std::array<uint32_t, 16>& words) {
  uint32_t a = 0;
  size_t pc = 0;
  Walk w;
  while (pc < p.size()) {
    const Insn& in = p[pc];
    ++w.executed;
    switch (bpf::insn_class(in.code)) {
      case kLd:
        a = words[in.k / 4];
        ++pc;
        break;
      case kAlu:
        a += in.k;
        ++pc;
        break;
      case kRet: w.ret = in.k; return w;
      case kJmp: {
        if (bpf::insn_op(in.code) == kJa) {
          pc += 1 + in.k;
          break;
        }
        bool c = false;
        switch (bpf::insn_op(in.code)) {
          case kJeq: c = a == in.k; break;
          case kJgt: c = a > in.k; break;
          case kJge: c = a >= in.k; break;
          case kJset: c = (a & in.k) != 0; break;
        }
        pc += 1 + (c ? in.jt : in.jf);
        break;
      }
      default: ADD_FAILURE() << "unexpected opcode"; return w;
    }
  }
  ADD_FAILURE() << "ran off the end";
  return w;
}

void pad(Builder& b, int n) {
  for (int i = 0; i < n; ++i) b.emit(bpf::stmt(kAlu | kAdd | kK, 0));
}

TEST(Builder, SmallProgramExactLayout) {
  Builder b;
  b.load_word(0);
  b.branch(kJeq, 1, Target::Return(kAllow), Target::Return(kEperm));
  auto p = b.finish();
  ASSERT_TRUE(p) << p.error().message;
  // Both returns are placed right after the branch, in reach.
  ASSERT_EQ(p->size(), 4u);
  EXPECT_EQ((*p)[0], bpf::stmt(kLd | kW | kAbs, 0));
  EXPECT_EQ((*p)[1].code, kJmp | kJeq | kK);
  EXPECT_EQ(walk(*p, {1}).ret, kAllow);
  EXPECT_EQ(walk(*p, {2}).ret, kEperm);
  EXPECT_TRUE(validate(*p));
}

TEST(Builder, LabelsAndFallThrough) {
  Builder b;
  Label second = b.new_label();
  Label done = b.new_label();
  b.load_word(0);
  b.branch(kJge, 10, Target::To(second), Target::Return(kEperm));
  b.bind(second);
  b.branch(kJeq, 12, Target::Return(kAllow), Target::To(done));
  b.bind(done);
  b.ret(kEperm);
  auto p = b.finish();
  ASSERT_TRUE(p) << p.error().message;
  // The EPERM return at the end serves both jumps: nothing is copied.
  EXPECT_EQ(p->size(), 5u);
  EXPECT_EQ(b.layout_stats().return_copies, 1u);  // ALLOW had no copy in reach
  EXPECT_EQ(walk(*p, {3}).ret, kEperm);
  EXPECT_EQ(walk(*p, {12}).ret, kAllow);
  EXPECT_EQ(walk(*p, {13}).ret, kEperm);
  EXPECT_EQ((*p)[1].jt, 0);  // jge falls into the next test
}

TEST(Builder, IdenticalReturnsAreShared) {
  Builder b;
  b.load_word(0);
  for (uint32_t k = 0; k < 50; ++k) {
    Label next = b.new_label();
    b.branch(kJeq, k, Target::Return(kAllow), Target::To(next));
    b.bind(next);
  }
  b.ret(kEperm);
  auto p = b.finish();
  ASSERT_TRUE(p) << p.error().message;
  // 1 load + 50 tests + one ALLOW + one EPERM.
  EXPECT_EQ(p->size(), 53u);
  for (uint32_t k = 0; k < 50; ++k) EXPECT_EQ(walk(*p, {k}).ret, kAllow);
  EXPECT_EQ(walk(*p, {50}).ret, kEperm);
}

TEST(Builder, JumpAtExactly255NeedsNoTrampoline) {
  for (int gap : {254, 255, 256, 300}) {
    Builder b;
    Label far = b.new_label();
    b.load_word(0);
    b.branch(kJeq, 7, Target::To(far), Target::Return(kEperm));
    pad(b, gap);
    b.ret(kEperm);  // keeps the EPERM copy after the padding
    b.bind(far);
    b.ret(kAllow);
    auto p = b.finish();
    ASSERT_TRUE(p) << p.error().message;
    // The branch is at 1. The far label sits after the padding and the ret.
    const size_t expected_tramps = gap + 1 > 255 ? 1 : 0;
    EXPECT_EQ(b.layout_stats().trampolines, expected_tramps) << gap;
    EXPECT_EQ(walk(*p, {7}).ret, kAllow);
    EXPECT_EQ(walk(*p, {7}).executed, 3u + expected_tramps);
    EXPECT_EQ(walk(*p, {8}).ret, kEperm);
    EXPECT_TRUE(validate(*p)) << validate(*p).error().message;
  }
}

TEST(Builder, TrampolinesAreReused) {
  Builder b;
  Label far = b.new_label();
  b.load_word(0);
  // 20 tests close together, all sending matches far away.
  for (uint32_t k = 0; k < 20; ++k) {
    Label next = b.new_label();
    b.branch(kJeq, k, Target::To(far), Target::To(next));
    b.bind(next);
  }
  b.ret(kEperm);
  pad(b, 600);
  b.ret(kEperm);
  b.bind(far);
  b.ret(kAllow);
  auto p = b.finish();
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ(b.layout_stats().trampolines, 1u);
  for (uint32_t k = 0; k < 20; ++k) EXPECT_EQ(walk(*p, {k}).ret, kAllow);
  EXPECT_EQ(walk(*p, {20}).ret, kEperm);
  EXPECT_TRUE(validate(*p));
}

TEST(Builder, FarReturnsAreCopiedOncePerWindow) {
  Builder b;
  b.load_word(0);
  // 1000 tests far apart: each 100 instructions of padding.
  for (uint32_t k = 0; k < 10; ++k) {
    Label next = b.new_label();
    b.branch(kJeq, k, Target::Return(kAllow), Target::To(next));
    b.bind(next);
    pad(b, 100);
  }
  b.ret(kEperm);
  auto p = b.finish();
  ASSERT_TRUE(p) << p.error().message;
  // Copies of ALLOW are needed at most every 255 instructions, not per test.
  EXPECT_LE(b.layout_stats().return_copies, 6u);
  EXPECT_GE(b.layout_stats().return_copies, 4u);
  for (uint32_t k = 0; k < 10; ++k) {
    EXPECT_EQ(walk(*p, {k}).ret, kAllow);
    // ld, k+1 tests, the padding passed on the way, the return: a copy of
    // the return costs no extra step.
    EXPECT_EQ(walk(*p, {k}).executed, 1u + (k + 1) + 100 * k + 1);
  }
  EXPECT_TRUE(validate(*p));
}

TEST(Builder, JumpToNextIsDroppedAndJumpToReturnInlined) {
  Builder b;
  Label next = b.new_label();
  b.load_word(0);
  b.jump(Target::To(next));
  b.bind(next);
  b.jump(Target::Return(kAllow));
  auto p = b.finish();
  ASSERT_TRUE(p) << p.error().message;
  ASSERT_EQ(p->size(), 2u);
  EXPECT_EQ((*p)[1], bpf::stmt(kRet | kRetK, kAllow));
  EXPECT_EQ(b.layout_stats().dropped_jumps, 1u);
}

TEST(Builder, LongUnconditionalJump) {
  Builder b;
  Label far = b.new_label();
  Label other = b.new_label();
  b.load_word(0);
  b.branch(kJeq, 1, Target::To(other), Target::Return(kEperm));
  b.bind(other);
  b.jump(Target::To(far));
  pad(b, 1000);
  b.ret(kEperm);
  b.bind(far);
  b.ret(kAllow);
  auto p = b.finish();
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ(walk(*p, {1}).ret, kAllow);
  EXPECT_TRUE(validate(*p));
}

TEST(Builder, Errors) {
  {
    Builder b;
    Label l = b.new_label();
    b.load_word(0);
    b.jump(Target::To(l));
    b.ret(0);
    auto p = b.finish();
    ASSERT_FALSE(p);
    EXPECT_EQ(p.error().message, "bpf builder: label 0 is never bound");
  }
  {
    Builder b;
    Label l = b.new_label();
    b.bind(l);
    b.load_word(0);
    b.branch(kJeq, 0, Target::To(l), Target::Return(0));
    auto p = b.finish();
    ASSERT_FALSE(p);
    EXPECT_EQ(p.error().message, "bpf builder: item 2 jumps backward to label 0 (classic BPF jumps forward only)");
  }
  {
    Builder b;
    Label l = b.new_label();
    b.load_word(0);
    b.branch(kJeq, 0, Target::To(l), Target::Return(0));
    b.bind(l);
    auto p = b.finish();
    ASSERT_FALSE(p);
    EXPECT_EQ(p.error().message, "bpf builder: label 0 is bound after the last instruction");
  }
  {
    Builder b;
    Label l = b.new_label();
    b.bind(l);
    b.load_word(0);
    b.bind(l);
    b.ret(0);
    auto p = b.finish();
    ASSERT_FALSE(p);
    EXPECT_EQ(p.error().message, "bpf builder: label 0 is bound twice");
  }
}

// Random programs: a sequence of blocks, each `ld word; branch` to a later
// block or a return, separated by random padding. The model follows the
// blocks directly; the laid-out program must reach the same return.
TEST(Builder, RandomLayoutsPreserveMeaning) {
  std::mt19937 rng(1234);
  for (int iter = 0; iter < 300; ++iter) {
    const int blocks = 2 + static_cast<int>(rng() % 40);
    struct Block {
      uint32_t word, op_index, k;
      int jt, jf;  // block index (> this) or -(ret index + 1)
      int pad;
    };
    const uint32_t rets[] = {kAllow, kEperm, 0x80000000u, 0x00050026u};
    std::vector<Block> bs(blocks);
    for (int i = 0; i < blocks; ++i) {
      auto target = [&]() -> int {
        if (i + 1 < blocks && rng() % 3 != 0) return i + 1 + static_cast<int>(rng() % (blocks - i - 1));
        return -static_cast<int>(rng() % 4) - 1;
      };
      bs[i] = Block{static_cast<uint32_t>(rng() % 4),
                    static_cast<uint32_t>(rng() % 4),
                    static_cast<uint32_t>(rng() % 8),
                    target(),
                    target(),
                    static_cast<int>(rng() % 4 == 0 ? rng() % 300 : rng() % 5)};
    }
    Builder b;
    std::vector<Label> labels;
    labels.reserve(static_cast<size_t>(blocks));
    for (int i = 0; i < blocks; ++i) labels.push_back(b.new_label());
    const uint16_t ops[] = {kJeq, kJgt, kJge, kJset};
    auto to_target = [&](int t) { return t >= 0 ? Target::To(labels[t]) : Target::Return(rets[-t - 1]); };
    for (int i = 0; i < blocks; ++i) {
      b.bind(labels[i]);
      b.load_word(4 * bs[i].word);
      b.branch(ops[bs[i].op_index], bs[i].k, to_target(bs[i].jt), to_target(bs[i].jf));
      pad(b, bs[i].pad);
      if (rng() % 2 || i + 1 == blocks) b.ret(rets[rng() % 4]);
    }
    auto p = b.finish();
    ASSERT_TRUE(p) << p.error().message;
    ASSERT_TRUE(validate(*p)) << validate(*p).error().message;
    for (int trial = 0; trial < 20; ++trial) {
      std::array<uint32_t, 16> words{};
      for (int w = 0; w < 4; ++w) words[w] = rng() % 9;
      int at = 0;
      uint32_t expect = 0;
      while (true) {
        const Block& blk = bs[at];
        const uint32_t a = words[blk.word];
        bool c = false;
        switch (ops[blk.op_index]) {
          case kJeq: c = a == blk.k; break;
          case kJgt: c = a > blk.k; break;
          case kJge: c = a >= blk.k; break;
          case kJset: c = (a & blk.k) != 0; break;
        }
        const int next = c ? blk.jt : blk.jf;
        if (next < 0) {
          expect = rets[-next - 1];
          break;
        }
        at = next;
      }
      ASSERT_EQ(walk(*p, words).ret, expect) << "iter " << iter;
    }
  }
}

}  // namespace
}  // namespace sysfence::bpf
