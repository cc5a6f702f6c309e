// Measuring filters: the kernel's action-cache emulation rule by rule, and
// the statistics on hand-written and compiled programs.
#include "measure/stats.h"

#include <gtest/gtest.h>

#include "compiler/compile.h"
#include "measure/cache.h"
#include "syscalls/table.h"

namespace sysfence::compiler {
namespace {

constexpr uint32_t kAllow = 0x7fff0000;
constexpr uint32_t kEperm = 0x00050001;
const uint32_t kX86 = syscalls::arch(syscalls::ArchId::kX86_64).audit_arch;

bpf::Insn ld(uint32_t off) { return bpf::stmt(bpf::kLd | bpf::kW | bpf::kAbs, off); }
bpf::Insn ret(uint32_t k) { return bpf::stmt(bpf::kRet | bpf::kRetK, k); }

TEST(ActionCache, FollowsNrAndArch) {
  const bpf::Program p = {ld(4),       bpf::jump(bpf::kJmp | bpf::kJeq | bpf::kK, kX86, 0, 3),
                          ld(0),       bpf::jump(bpf::kJmp | bpf::kJge | bpf::kK, 100, 1, 0),
                          ret(kAllow), ret(kEperm),
                          ret(0)};
  EXPECT_TRUE(measure::kernel_caches_allow(p, kX86, 5));
  EXPECT_FALSE(measure::kernel_caches_allow(p, kX86, 100));  // EPERM is not cached
  EXPECT_FALSE(measure::kernel_caches_allow(p, 0x40000003, 5));
}

TEST(ActionCache, GivesUpOnWhatItCannotKnow) {
  // Reading an argument.
  EXPECT_FALSE(measure::kernel_caches_allow(bpf::Program{ld(16), ret(kAllow)}, kX86, 0));
  // The instruction pointer too.
  EXPECT_FALSE(measure::kernel_caches_allow(bpf::Program{ld(8), ret(kAllow)}, kX86, 0));
  // `ret A`, ALU other than `and`, X.
  EXPECT_FALSE(
      measure::kernel_caches_allow(bpf::Program{ld(0), bpf::stmt(bpf::kRet | bpf::kRetA, 0)}, kX86, 0x7fff0000));
  EXPECT_FALSE(measure::kernel_caches_allow(
      bpf::Program{ld(0), bpf::stmt(bpf::kAlu | bpf::kOr | bpf::kK, 1), ret(kAllow)}, kX86, 0));
  EXPECT_FALSE(measure::kernel_caches_allow(bpf::Program{bpf::stmt(bpf::kMisc | bpf::kTax, 0), ret(kAllow)}, kX86, 0));
  // ALLOW with data bits is not SECCOMP_RET_ALLOW.
  EXPECT_FALSE(measure::kernel_caches_allow(bpf::Program{ret(kAllow | 1)}, kX86, 0));
  // Running off the end.
  EXPECT_FALSE(measure::kernel_caches_allow(
      bpf::Program{ld(0), bpf::jump(bpf::kJmp | bpf::kJeq | bpf::kK, 1, 5, 0), ret(kAllow)}, kX86, 1));
}

TEST(ActionCache, AndJaAndJset) {
  // A = nr & 0x40000000 (the x32 bit test libseccomp emits), then ja.
  const bpf::Program p = {ld(0),
                          bpf::stmt(bpf::kAlu | bpf::kAnd | bpf::kK, 0x40000000),
                          bpf::jump(bpf::kJmp | bpf::kJset | bpf::kK, 0x40000000, 1, 0),
                          bpf::Insn{bpf::kJmp | bpf::kJa, 0, 0, 1},
                          ret(kEperm),
                          ret(kAllow)};
  EXPECT_TRUE(measure::kernel_caches_allow(p, kX86, 3));
  EXPECT_FALSE(measure::kernel_caches_allow(p, kX86, 0x40000003));
}

TEST(ActionCache, AbisWithACache) {
  EXPECT_TRUE(measure::abi_has_action_cache(syscalls::ArchId::kX86_64));
  EXPECT_TRUE(measure::abi_has_action_cache(syscalls::ArchId::kI386));
  EXPECT_TRUE(measure::abi_has_action_cache(syscalls::ArchId::kAarch64));
  EXPECT_TRUE(measure::abi_has_action_cache(syscalls::ArchId::kS390));
  EXPECT_FALSE(measure::abi_has_action_cache(syscalls::ArchId::kX32));
  EXPECT_FALSE(measure::abi_has_action_cache(syscalls::ArchId::kMips64el));
}

TEST(Stats, HandWrittenChain) {
  // ld arch, jne -> kill, ld nr, jeq 0 -> allow, jeq 1 -> allow, eperm.
  const bpf::Program p = {ld(4),
                          bpf::jump(bpf::kJmp | bpf::kJeq | bpf::kK, kX86, 0, 5),
                          ld(0),
                          bpf::jump(bpf::kJmp | bpf::kJeq | bpf::kK, 0, 2, 0),
                          bpf::jump(bpf::kJmp | bpf::kJeq | bpf::kK, 1, 1, 0),
                          ret(kEperm),
                          ret(kAllow),
                          ret(0x80000000)};
  const syscalls::ArchId abis[] = {syscalls::ArchId::kX86_64};
  measure::StatsOptions o;
  o.range = measure::NumberRange{0, 9};
  auto s = measure::measure(p, abis, o);
  ASSERT_TRUE(s) << s.error().message;
  ASSERT_EQ(s->abis.size(), 1u);
  const measure::AbiStats& a = s->abis[0];
  EXPECT_EQ(s->length, 8u);
  EXPECT_EQ(a.insns[0], 5u);  // ld, jeq, ld, jeq, ret
  EXPECT_EQ(a.insns[1], 6u);
  EXPECT_EQ(a.insns[2], 6u);
  EXPECT_EQ(a.max_insns, 6u);
  EXPECT_DOUBLE_EQ(a.mean_insns, (5 + 6 * 9) / 10.0);
  EXPECT_EQ(a.allowed, 2u);
  EXPECT_EQ(a.actions[1], Action::Allow());
  EXPECT_EQ(a.actions[5], Action::Errno(1));
  EXPECT_TRUE(a.has_cache);
  EXPECT_EQ(a.cached, 2u);
  EXPECT_EQ(a.allowed_uncached, 0u);
  // Answers [0,1] ALLOW, [2,9] EPERM: one comparison suffices.
  EXPECT_DOUBLE_EQ(a.bound_tests, 1.0);
  const std::string text = measure::format_stats(*s, o.weights);
  EXPECT_NE(text.find("program: 8 instructions"), std::string::npos) << text;
  EXPECT_NE(text.find("mean 5.90, max 6"), std::string::npos) << text;
  EXPECT_NE(text.find("2 of "), std::string::npos) << text;
  const std::string svg = measure::stats_svg(*s, "hand");
  EXPECT_TRUE(svg.starts_with("<svg")) << svg.substr(0, 40);
  EXPECT_NE(svg.find("</svg>"), std::string::npos);
  EXPECT_NE(svg.find("<title>1 write: 6 instructions, ALLOW</title>"), std::string::npos);
}

// The action cache came with Linux 5.11 ("seccomp: cache result of seccomp
// filters"): a target before it runs the filter for every syscall.
TEST(Stats, NoActionCacheBefore511) {
  const bpf::Program p = {ret(kAllow)};
  const syscalls::ArchId abis[] = {syscalls::ArchId::kX86_64};
  measure::StatsOptions o;
  o.range = measure::NumberRange{0, 3};
  o.kernel = syscalls::KernelVersion{5, 10, 0};
  auto old = measure::measure(p, abis, o);
  ASSERT_TRUE(old);
  EXPECT_FALSE(old->abis[0].has_cache);
  EXPECT_EQ(old->abis[0].cached, 0u);
  const std::string text = measure::format_stats(*old, o.weights);
  EXPECT_NE(text.find("kernel action cache:    none before Linux 5.11 (the target kernel is 5.10)"), std::string::npos)
      << text;
  o.kernel = syscalls::KernelVersion{5, 11, 0};
  auto now = measure::measure(p, abis, o);
  ASSERT_TRUE(now);
  EXPECT_TRUE(now->abis[0].has_cache);
  EXPECT_GT(now->abis[0].cached, 300u);  // every x86_64 table syscall: the program always allows
}

// x86_64's uretprobe (Linux 6.12) and uprobe (6.18) never reach a filter:
// the kernel sets their bits in the action cache whatever the filter says.
// A filter that kills both is measured as the kernel answers them.
TEST(Stats, KernelExemptCallsRunNoFilter) {
  constexpr uint32_t kUretprobe = 335;
  constexpr uint32_t kUprobe = 336;
  // ld arch, jne -> kill, ld nr, jge uretprobe -> kill, allow.
  const bpf::Program p = {ld(4),       bpf::jump(bpf::kJmp | bpf::kJeq | bpf::kK, kX86, 0, 3),
                          ld(0),       bpf::jump(bpf::kJmp | bpf::kJge | bpf::kK, kUretprobe, 1, 0),
                          ret(kAllow), ret(0x80000000)};
  const syscalls::ArchId abis[] = {syscalls::ArchId::kX86_64};
  measure::StatsOptions o;
  o.range = measure::NumberRange{334, 336};
  o.kernel = syscalls::KernelVersion{6, 11, 0};
  auto before = measure::measure(p, abis, o);
  ASSERT_TRUE(before);
  EXPECT_TRUE(before->abis[0].exempt.empty());
  EXPECT_EQ(before->abis[0].insns[1], 5u);
  EXPECT_EQ(before->abis[0].actions[1], Action::KillProcess());
  const unsigned cached_before = before->abis[0].cached;

  o.kernel = syscalls::KernelVersion{6, 12, 0};
  auto s = measure::measure(p, abis, o);
  ASSERT_TRUE(s);
  const measure::AbiStats& a = s->abis[0];
  ASSERT_EQ(a.exempt.size(), 1u);
  EXPECT_EQ(a.exempt[0].name, "uretprobe");
  EXPECT_EQ(a.exempt[0].nr, kUretprobe);
  EXPECT_EQ(a.exempt[0].filters_action, Action::KillProcess());
  EXPECT_EQ(a.exempt[0].filters_insns, 5u);
  EXPECT_EQ(a.insns[1], 0u);
  EXPECT_EQ(a.actions[1], Action::Allow());
  EXPECT_EQ(a.insns[2], 5u);  // uprobe is filtered until 6.18
  EXPECT_EQ(a.allowed, 2u);
  EXPECT_EQ(a.cached, cached_before + 1);
  const std::string text = measure::format_stats(*s, o.weights);
  EXPECT_NE(text.find("kernel-exempt:          uretprobe (nr 335) from Linux 6.12: the kernel runs no filter "
                      "(counted as ALLOW, 0 instructions, cached); the filter would answer KILL_PROCESS in 5 "
                      "instructions"),
            std::string::npos)
      << text;

  o.kernel = syscalls::KernelVersion{6, 18, 0};
  auto both = measure::measure(p, abis, o);
  ASSERT_TRUE(both);
  ASSERT_EQ(both->abis[0].exempt.size(), 2u);
  EXPECT_EQ(both->abis[0].exempt[1].nr, kUprobe);
  EXPECT_EQ(both->abis[0].max_insns, 5u);
  EXPECT_DOUBLE_EQ(both->abis[0].mean_insns, 5.0 / 3);
  // The i386 ABI has no such call: the same program is filtered there.
  const syscalls::ArchId i386[] = {syscalls::ArchId::kI386};
  auto compat = measure::measure(p, i386, o);
  ASSERT_TRUE(compat);
  EXPECT_TRUE(compat->abis[0].exempt.empty());
}

TEST(Stats, InvalidProgramIsAnError) {
  const syscalls::ArchId abis[] = {syscalls::ArchId::kX86_64};
  auto s = measure::measure(bpf::Program{ld(0)}, abis, {});
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("last-not-ret"), std::string::npos) << s.error().message;
}

TEST(Stats, RangeIsRelativeToTheBias) {
  const bpf::Program p = {ret(kAllow)};
  const syscalls::ArchId abis[] = {syscalls::ArchId::kX32, syscalls::ArchId::kMips};
  measure::StatsOptions o;
  o.range = measure::NumberRange{0, 3};
  auto s = measure::measure(p, abis, o);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->abis[0].range.lo, 0x40000000u);
  EXPECT_EQ(s->abis[1].range.lo, 4000u);
  EXPECT_EQ(s->abis[1].range.hi, 4003u);
  EXPECT_FALSE(s->abis[0].has_cache);
}

TEST(Stats, WeightedMeanUsesTheModel) {
  policy::Policy p;
  policy::ArchPolicy ap;
  ap.arch = syscalls::ArchId::kX86_64;
  ap.default_action = Action::Allow();
  ap.rules[100] = {policy::Rule{Action::Errno(1), {}, {}}};
  p.arches.push_back(ap);
  auto c = compile(p, {});
  ASSERT_TRUE(c);
  const syscalls::ArchId abis[] = {syscalls::ArchId::kX86_64};
  measure::StatsOptions o;
  o.weights = Weights::Hot();
  auto s = measure::measure(c->program, abis, o);
  ASSERT_TRUE(s);
  EXPECT_TRUE(s->abis[0].weighted);
  EXPECT_GT(s->abis[0].weighted_mean_insns, 0.0);
  EXPECT_LE(s->abis[0].weighted_mean_insns, s->abis[0].max_insns);
}

}  // namespace
}  // namespace sysfence::compiler
