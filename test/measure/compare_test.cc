// The strategy comparison: every strategy compiled from one policy and
// measured, the table and the chart.
#include "measure/compare.h"

#include <gtest/gtest.h>

#include <string>

#include "compiler/compile.h"
#include "profile/builtin.h"
#include "profile/caps.h"
#include "profile/resolve.h"
#include "syscalls/arch.h"

namespace sysfence::compiler {
namespace {

policy::Policy docker_default(syscalls::ArchId native) {
  auto read = profile::read_builtin_default();
  EXPECT_TRUE(read);
  profile::ResolveOptions o;
  o.native = native;
  o.caps = profile::docker_default_caps();
  o.kernel = {6, 1};
  auto r = profile::resolve(read->profile, o);
  EXPECT_TRUE(r);
  return r->policy;
}

std::vector<syscalls::ArchId> abis_of(const policy::Policy& p) {
  std::vector<syscalls::ArchId> out;
  for (const policy::ArchPolicy& ap : p.arches) out.push_back(ap.arch);
  return out;
}

measure::StatsOptions range_0_450() {
  measure::StatsOptions o;
  o.range = measure::NumberRange{0, 450};
  return o;
}

size_t count(const std::string& s, std::string_view needle) {
  size_t n = 0;
  for (size_t at = s.find(needle); at != std::string::npos; at = s.find(needle, at + 1)) ++n;
  return n;
}

TEST(CompareStrategies, EachRunIsThatStrategysCompilationMeasured) {
  const policy::Policy policy = docker_default(syscalls::ArchId::kX86_64);
  auto c = compare_strategies(policy, {}, abis_of(policy), range_0_450());
  ASSERT_TRUE(c) << c.error().message;
  ASSERT_EQ(c->runs.size(), 3u);
  const Strategy order[] = {Strategy::kOptimal, Strategy::kBalanced, Strategy::kLinear};
  for (size_t i = 0; i < 3; ++i) {
    const measure::StrategyRun& run = c->runs[i];
    EXPECT_EQ(run.strategy, order[i]);
    CompileOptions o;
    o.strategy = order[i];
    auto compiled = compile(policy, o);
    ASSERT_TRUE(compiled);
    EXPECT_EQ(run.stats.length, compiled->program.size()) << to_string(order[i]);
    auto direct = measure::measure(compiled->program, abis_of(policy), [&] {
      measure::StatsOptions s = range_0_450();
      s.weights = Weights::Hot();
      return s;
    }());
    ASSERT_TRUE(direct);
    ASSERT_EQ(run.stats.abis.size(), 3u);  // x86_64, i386, x32
    for (size_t a = 0; a < run.stats.abis.size(); ++a) {
      EXPECT_EQ(run.stats.abis[a].insns, direct->abis[a].insns);
      EXPECT_DOUBLE_EQ(run.stats.abis[a].weighted_mean_insns, direct->abis[a].weighted_mean_insns);
    }
  }
}

TEST(CompareStrategies, OnePolicyGivesTheSameAnswersUnderEveryStrategy) {
  for (syscalls::ArchId native : {syscalls::ArchId::kX86_64, syscalls::ArchId::kAarch64}) {
    const policy::Policy policy = docker_default(native);
    auto c = compare_strategies(policy, {}, abis_of(policy), range_0_450());
    ASSERT_TRUE(c) << c.error().message;
    const measure::ProgramStats& opt = c->runs.front().stats;
    for (const measure::StrategyRun& r : c->runs) {
      for (size_t a = 0; a < opt.abis.size(); ++a) {
        EXPECT_EQ(r.stats.abis[a].actions, opt.abis[a].actions) << to_string(r.strategy);
        // Every strategy keeps argument-free ALLOWs cacheable.
        EXPECT_EQ(r.stats.abis[a].cached, opt.abis[a].cached) << to_string(r.strategy);
      }
    }
    // The native ABI: the optimal tree executes fewer instructions on
    // average than the libseccomp-like shapes, and is the shortest program.
    const measure::AbiStats& o = c->runs[0].stats.abis[0];
    const measure::AbiStats& b = c->runs[1].stats.abis[0];
    const measure::AbiStats& l = c->runs[2].stats.abis[0];
    EXPECT_LT(o.mean_insns, b.mean_insns);
    EXPECT_LT(b.mean_insns, l.mean_insns);
    EXPECT_LT(c->runs[0].stats.length, c->runs[1].stats.length);
    EXPECT_LT(c->runs[1].stats.length, c->runs[2].stats.length);
  }
}

TEST(CompareStrategies, WeightedMeansUseTheCallersModelOrHot) {
  const policy::Policy policy = docker_default(syscalls::ArchId::kX86_64);
  auto uniform = compare_strategies(policy, {}, abis_of(policy), range_0_450());
  ASSERT_TRUE(uniform);
  EXPECT_EQ(uniform->weights.description(), Weights::Hot().description());
  EXPECT_EQ(uniform->compiled_weights, Weights::Uniform().description());
  EXPECT_TRUE(uniform->runs[0].stats.abis[0].weighted);

  CompileOptions hot;
  hot.weights = Weights::Hot();
  measure::StatsOptions s = range_0_450();
  s.weights = Weights::Hot();
  auto tuned = compare_strategies(policy, hot, abis_of(policy), s);
  ASSERT_TRUE(tuned);
  EXPECT_EQ(tuned->compiled_weights, Weights::Hot().description());
  // A tree built for the hot weights does at least as well under them.
  EXPECT_LE(tuned->runs[0].stats.abis[0].weighted_mean_insns, uniform->runs[0].stats.abis[0].weighted_mean_insns);
  // Balanced and linear ignore weights.
  EXPECT_EQ(tuned->runs[1].stats.length, uniform->runs[1].stats.length);
  EXPECT_EQ(tuned->runs[2].stats.length, uniform->runs[2].stats.length);
}

TEST(CompareStrategies, MeasurementErrorsNameTheStrategy) {
  const policy::Policy policy = docker_default(syscalls::ArchId::kX86_64);
  measure::StatsOptions bad;
  bad.range = measure::NumberRange{0, 0xffffffffU};  // past 2^32 for x32's bias
  auto c = compare_strategies(policy, {}, abis_of(policy), bad);
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message.find("optimal strategy: "), std::string::npos) << c.error().message;
}

TEST(FormatComparison, OneColumnPerStrategyWithRatios) {
  const policy::Policy policy = docker_default(syscalls::ArchId::kX86_64);
  auto c = compare_strategies(policy, {}, abis_of(policy), range_0_450());
  ASSERT_TRUE(c);
  const std::string text = format_comparison(*c);
  const size_t header = text.find("optimal");
  ASSERT_NE(header, std::string::npos);
  EXPECT_LT(header, text.find("balanced"));
  EXPECT_LT(text.find("balanced"), text.find("linear"));
  // The length row carries each program's length.
  const size_t len_row = text.find("program length");
  ASSERT_NE(len_row, std::string::npos);
  const std::string row = text.substr(len_row, text.find('\n', len_row) - len_row);
  for (const measure::StrategyRun& r : c->runs)
    EXPECT_NE(row.find(std::to_string(r.stats.length)), std::string::npos) << row;
  EXPECT_EQ(count(text, "x86_64 (arch 0xc000003e), nr 0..450"), 1u);
  EXPECT_EQ(count(text, "i386 (arch 0x40000003), nr 0..450"), 1u);
  // x32's numbers carry their bias, said as such.
  EXPECT_EQ(count(text, "x32 (arch 0xc000003e), nr 0..450 + bias 0x40000000 (451 numbers"), 1u);
  EXPECT_EQ(count(text, "none for this ABI"), 1u);  // x32 has no action cache
  EXPECT_EQ(count(text, "weighted mean (hot)"), 3u);
  EXPECT_NE(text.find("1.00x"), std::string::npos);
}

TEST(ComparisonSvg, APanelPerAbiALinePerStrategyATooltipPerNumber) {
  const policy::Policy policy = docker_default(syscalls::ArchId::kX86_64);
  auto c = compare_strategies(policy, {}, abis_of(policy), range_0_450());
  ASSERT_TRUE(c);
  const std::string svg = comparison_svg(*c, "a <profile> & more");
  EXPECT_EQ(svg.rfind("<svg xmlns=\"http://www.w3.org/2000/svg\"", 0), 0u);
  EXPECT_EQ(svg.substr(svg.size() - 7), "</svg>\n");
  EXPECT_NE(svg.find("a &lt;profile&gt; &amp; more"), std::string::npos);
  EXPECT_EQ(svg.find("<profile>"), std::string::npos);
  EXPECT_EQ(count(svg, "<polyline"), 3u * 3u);
  EXPECT_EQ(count(svg, "<title>"), 3u * 451u);
  EXPECT_NE(svg.find("<title>110 getppid — ALLOW; optimal "), std::string::npos);
  // Answers carry their data (Docker denies reboot without CAP_SYS_BOOT: EPERM).
  EXPECT_NE(svg.find("<title>169 reboot — ERRNO(1); optimal "), std::string::npos);
  EXPECT_NE(svg.find("(+ bias 0x40000000)"), std::string::npos);
  EXPECT_EQ(count(svg, "<svg"), 1u);
}

}  // namespace
}  // namespace sysfence::compiler
