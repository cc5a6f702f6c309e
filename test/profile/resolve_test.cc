// Resolution: one test per moby/runc rule, then the real profiles on six
// architectures against expectations derived by hand from the JSON.
#include "profile/resolve.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "profile/reader.h"
#include "test/profile/test_files.h"

namespace sysfence::profile {
namespace {

using syscalls::ArchId;
using syscalls::KernelVersion;

ResolveOptions options(ArchId native, CapSet caps = docker_default_caps(), KernelVersion kernel = {6, 18}) {
  ResolveOptions o;
  o.native = native;
  o.caps = std::move(caps);
  o.kernel = kernel;
  // These tests pin moby's and runc's semantics, which compare all 64 bits;
  // the ABI widths (the default) are tested in arg_width_test.
  o.arg_width = ArgWidthMode::k64;
  return o;
}

Profile parse(std::string_view text, std::string_view name = "t.json") {
  auto r = read_profile(text, name);
  EXPECT_TRUE(r) << (r ? "" : r.error().message);
  return r ? r->profile : Profile{};
}

Resolution resolve_ok(const Profile& p, const ResolveOptions& o) {
  auto r = resolve(p, o);
  EXPECT_TRUE(r) << (r ? "" : r.error().message);
  return r ? *r : Resolution{};
}

Resolution resolve_text(std::string_view text, const ResolveOptions& o) { return resolve_ok(parse(text), o); }

uint32_t nr(ArchId arch, std::string_view name) {
  auto n = syscalls::table(arch).number(name);
  EXPECT_TRUE(n) << name;
  return n.value_or(0xffffffff);
}

// The rules for `name` on `arch` (empty when none).
std::vector<policy::Rule> rules_for(const Resolution& r, ArchId arch, std::string_view name) {
  const policy::ArchPolicy* ap = r.policy.find(arch);
  EXPECT_NE(ap, nullptr) << syscalls::arch(arch).name;
  if (ap == nullptr) return {};
  auto it = ap->rules.find(nr(arch, name));
  return it == ap->rules.end() ? std::vector<policy::Rule>{}
                               : std::vector<policy::Rule>(it->second.begin(), it->second.end());
}

std::vector<ArchId> arches_of(const Resolution& r) {
  std::vector<ArchId> out;
  for (const auto& a : r.policy.arches) out.push_back(a.arch);
  return out;
}

policy::ArgCondition cond(uint8_t index, policy::CmpOp op, uint64_t value, uint64_t value_two = 0,
                          policy::ArgWidth width = policy::ArgWidth::k64) {
  return policy::ArgCondition{index, op, value, value_two, width};
}

// What --arg-width 64 compares on `abi`: libseccomp's word size.
policy::ArgWidth literal_width(ArchId abi) {
  return syscalls::arch(abi).word_bits == 64 ? policy::ArgWidth::k64 : policy::ArgWidth::k32;
}

std::vector<std::vector<policy::ArgCondition>> conditions_of(const std::vector<policy::Rule>& rules) {
  std::vector<std::vector<policy::ArgCondition>> out;
  out.reserve(rules.size());
  for (const auto& r : rules) out.push_back(r.conditions);
  return out;
}

bool has_note_containing(const Resolution& r, std::string_view text) {
  return std::any_of(r.notes.begin(), r.notes.end(),
                     [&](const std::string& n) { return n.find(text) != std::string::npos; });
}

constexpr std::string_view kArchMapProfile = R"({
  "defaultAction": "SCMP_ACT_ERRNO",
  "archMap": [
    {"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86", "SCMP_ARCH_X32"]},
    {"architecture": "SCMP_ARCH_AARCH64", "subArchitectures": ["SCMP_ARCH_ARM"]},
    {"architecture": "SCMP_ARCH_AARCH64", "subArchitectures": []}
  ],
  "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW"}]
})";

// ---------------------------------------------------------------------------
// Architectures
// ---------------------------------------------------------------------------

TEST(ResolveArches, ArchMapUsesOnlyTheNativeEntryAndItsSubArchitectures) {
  EXPECT_EQ(arches_of(resolve_text(kArchMapProfile, options(ArchId::kX86_64))),
            (std::vector<ArchId>{ArchId::kX86_64, ArchId::kI386, ArchId::kX32}));
  // The first matching entry wins (moby breaks out of the loop).
  EXPECT_EQ(arches_of(resolve_text(kArchMapProfile, options(ArchId::kAarch64))),
            (std::vector<ArchId>{ArchId::kAarch64, ArchId::kArm}));
}

TEST(ResolveArches, ArchMapWithoutNativeEntryFiltersTheNativeAbiOnly) {
  const Resolution r = resolve_text(kArchMapProfile, options(ArchId::kRiscv64));
  EXPECT_EQ(arches_of(r), std::vector<ArchId>{ArchId::kRiscv64});
  EXPECT_TRUE(has_note_containing(r, "archMap has no entry for SCMP_ARCH_RISCV64; only the native ABI is filtered"));
}

TEST(ResolveArches, ArchitecturesListIsKeptAndTheNativeAbiComesFirst) {
  const auto text = R"({"defaultAction": "SCMP_ACT_ERRNO",
    "architectures": ["SCMP_ARCH_X86", "SCMP_ARCH_NATIVE", "SCMP_ARCH_AARCH64", "SCMP_ARCH_X86"],
    "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW"}]})";
  // libseccomp always filters the native ABI; SCMP_ARCH_NATIVE and repeats add nothing.
  EXPECT_EQ(arches_of(resolve_text(text, options(ArchId::kX86_64))),
            (std::vector<ArchId>{ArchId::kX86_64, ArchId::kI386, ArchId::kAarch64}));
}

TEST(ResolveArches, NoArchitecturesMeansTheNativeAbiOnly) {
  const auto text =
      R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW"}]})";
  EXPECT_EQ(arches_of(resolve_text(text, options(ArchId::kS390x))), std::vector<ArchId>{ArchId::kS390x});
}

// ---------------------------------------------------------------------------
// includes / excludes
// ---------------------------------------------------------------------------

std::string entry_with(std::string_view filter) {
  return std::string(R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
    {"names": ["getpid"], "action": "SCMP_ACT_ALLOW", )") +
         std::string(filter) + "}]}";
}

bool kept(std::string_view filter, const ResolveOptions& o) {
  const Resolution r = resolve_text(entry_with(filter), o);
  return r.entries.size() == 1 && r.entries[0].fate == EntryFate::kApplied;
}

TEST(ResolveFilters, IncludesArchesNeedsTheNativeArchInMobySpelling) {
  EXPECT_TRUE(kept(R"("includes": {"arches": ["arm64", "amd64"]})", options(ArchId::kX86_64)));
  EXPECT_FALSE(kept(R"("includes": {"arches": ["x86_64"]})", options(ArchId::kX86_64)));  // not moby's spelling
  EXPECT_FALSE(kept(R"("includes": {"arches": ["x86", "x32"]})", options(ArchId::kX86_64)));
  EXPECT_TRUE(kept(R"("includes": {"arches": ["arm64"]})", options(ArchId::kAarch64)));
  EXPECT_TRUE(kept(R"("includes": {"arches": ["mipsel64"]})", options(ArchId::kMips64el)));
  const Resolution r = resolve_text(entry_with(R"("includes": {"arches": ["ppc64le"]})"), options(ArchId::kX86_64));
  EXPECT_EQ(r.entries[0].fate, EntryFate::kFiltered);
  EXPECT_EQ(r.entries[0].filtered_by, FilterRule::kIncludesArches);
  EXPECT_EQ(r.entries[0].why(), "includes.arches does not list \"amd64\" (the native arch)");
}

TEST(ResolveFilters, BothMobySpellingsAreAcceptedWhereMobyDisagreesWithItself) {
  EXPECT_TRUE(kept(R"("includes": {"arches": ["loong64"]})", options(ArchId::kLoongarch64)));
  EXPECT_TRUE(kept(R"("includes": {"arches": ["loongarch64"]})", options(ArchId::kLoongarch64)));
  EXPECT_TRUE(kept(R"("includes": {"arches": ["mipsle"]})", options(ArchId::kMipsel)));
  EXPECT_TRUE(kept(R"("includes": {"arches": ["mipsel"]})", options(ArchId::kMipsel)));
  EXPECT_FALSE(kept(R"("excludes": {"arches": ["mipsle"]})", options(ArchId::kMipsel)));
}

TEST(ResolveFilters, IncludesCapsNeedsEveryListedCapability) {
  EXPECT_TRUE(kept(R"("includes": {"caps": ["CAP_CHOWN", "CAP_KILL"]})", options(ArchId::kX86_64)));
  const Resolution r =
      resolve_text(entry_with(R"("includes": {"caps": ["CAP_CHOWN", "CAP_SYS_ADMIN"]})"), options(ArchId::kX86_64));
  EXPECT_EQ(r.entries[0].fate, EntryFate::kFiltered);
  EXPECT_EQ(r.entries[0].filtered_by, FilterRule::kIncludesCaps);
  EXPECT_EQ(r.entries[0].detail, "CAP_SYS_ADMIN");
  EXPECT_EQ(r.entries[0].why(), "includes.caps: CAP_SYS_ADMIN is not in the capability set");
  EXPECT_TRUE(kept(R"("includes": {"caps": ["CAP_CHOWN", "CAP_SYS_ADMIN"]})", options(ArchId::kX86_64, all_caps())));
}

TEST(ResolveFilters, IncludesMinKernelNeedsAtLeastThatKernel) {
  EXPECT_TRUE(kept(R"("includes": {"minKernel": "4.8"})", options(ArchId::kX86_64, {}, {4, 8})));
  EXPECT_TRUE(kept(R"("includes": {"minKernel": "4.8"})", options(ArchId::kX86_64, {}, {5, 0})));
  const Resolution r =
      resolve_text(entry_with(R"("includes": {"minKernel": "4.8"})"), options(ArchId::kX86_64, {}, {4, 7}));
  EXPECT_EQ(r.entries[0].filtered_by, FilterRule::kIncludesMinKernel);
  EXPECT_EQ(r.entries[0].why(), "includes.minKernel: kernel 4.7 is older than 4.8");
  // Major decides before minor: 3.19 is older than 4.8 although 19 > 8.
  EXPECT_FALSE(kept(R"("includes": {"minKernel": "4.8"})", options(ArchId::kX86_64, {}, {3, 19})));
}

TEST(ResolveFilters, ExcludesArchesDropsOnTheNativeArch) {
  EXPECT_TRUE(kept(R"("excludes": {"arches": ["s390", "s390x"]})", options(ArchId::kX86_64)));
  const Resolution r =
      resolve_text(entry_with(R"("excludes": {"arches": ["s390", "s390x"]})"), options(ArchId::kS390x));
  EXPECT_EQ(r.entries[0].filtered_by, FilterRule::kExcludesArches);
  EXPECT_EQ(r.entries[0].why(), "excludes.arches lists \"s390x\" (the native arch)");
}

TEST(ResolveFilters, ExcludesCapsDropsWhenAnyListedCapabilityIsPresent) {
  EXPECT_TRUE(kept(R"("excludes": {"caps": ["CAP_SYS_ADMIN", "CAP_BPF"]})", options(ArchId::kX86_64)));
  const Resolution r = resolve_text(entry_with(R"("excludes": {"caps": ["CAP_SYS_ADMIN", "CAP_BPF"]})"),
                                    options(ArchId::kX86_64, {"CAP_BPF"}));
  EXPECT_EQ(r.entries[0].filtered_by, FilterRule::kExcludesCaps);
  EXPECT_EQ(r.entries[0].why(), "excludes.caps: CAP_BPF is in the capability set");
}

TEST(ResolveFilters, ExcludesMinKernelDropsFromThatKernelOn) {
  EXPECT_TRUE(kept(R"("excludes": {"minKernel": "5.10"})", options(ArchId::kX86_64, {}, {5, 9})));
  const Resolution r =
      resolve_text(entry_with(R"("excludes": {"minKernel": "5.10"})"), options(ArchId::kX86_64, {}, {5, 10}));
  EXPECT_EQ(r.entries[0].filtered_by, FilterRule::kExcludesMinKernel);
  EXPECT_EQ(r.entries[0].why(), "excludes.minKernel: kernel 5.10 is at least 5.10");
}

// why() is written from the outcome alone (resolving formats none): a copy
// that outlives the resolution still says it, and a kept entry says nothing.
TEST(ResolveFilters, WhyIsWrittenFromTheOutcomeAlone) {
  EntryOutcome copy;
  {
    const Resolution r =
        resolve_text(entry_with(R"("excludes": {"minKernel": "5.10"})"), options(ArchId::kX86_64, {}, {6, 1}));
    copy = r.entries[0];
  }
  EXPECT_EQ(copy.kernel, (syscalls::KernelVersion{6, 1}));
  EXPECT_EQ(copy.why(), "excludes.minKernel: kernel 6.1 is at least 5.10");
  const Resolution k =
      resolve_text(entry_with(R"("excludes": {"minKernel": "5.10"})"), options(ArchId::kX86_64, {}, {5, 9}));
  EXPECT_EQ(k.entries[0].fate, EntryFate::kApplied);
  EXPECT_EQ(k.entries[0].why(), "");
}

TEST(ResolveFilters, ExcludesAreTestedBeforeIncludes) {
  const Resolution r =
      resolve_text(entry_with(R"("includes": {"caps": ["CAP_SYS_ADMIN"]}, "excludes": {"caps": ["CAP_CHOWN"]})"),
                   options(ArchId::kX86_64));
  EXPECT_EQ(r.entries[0].filtered_by, FilterRule::kExcludesCaps);
}

TEST(ResolveFilters, OciConfigsIgnoreMobyFilters) {
  // In an OCI config.json, includes/excludes are not fields runc knows.
  const auto config = R"({"ociVersion": "1.0.2", "linux": {"seccomp": {"defaultAction": "SCMP_ACT_ERRNO",
      "syscalls": [{"names": ["getpid"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_NOPE"]}}]}}})";
  const Resolution r = resolve_text(config, options(ArchId::kX86_64));
  EXPECT_EQ(rules_for(r, ArchId::kX86_64, "getpid").size(), 1u);
}

// ---------------------------------------------------------------------------
// Names, rules, conditions
// ---------------------------------------------------------------------------

TEST(ResolveRules, EachNameIsItsOwnRuleAndUnknownNamesAreSkippedWithANote) {
  const auto text = R"({"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_X86"],
    "syscalls": [{"names": ["read", "arch_prctl", "no_such_call", "fcntl64"], "action": "SCMP_ACT_ALLOW"}]})";
  const Resolution r = resolve_text(text, options(ArchId::kX86_64));
  EXPECT_EQ(rules_for(r, ArchId::kX86_64, "read").size(), 1u);
  EXPECT_EQ(rules_for(r, ArchId::kX86_64, "arch_prctl").size(), 1u);
  EXPECT_EQ(rules_for(r, ArchId::kI386, "read").size(), 1u);
  EXPECT_EQ(rules_for(r, ArchId::kI386, "fcntl64").size(), 1u);  // i386-only, still applied there
  EXPECT_EQ(r.policy.find(ArchId::kX86_64)->rules.size(), 2u);
  EXPECT_EQ(r.policy.find(ArchId::kI386)->rules.size(), 3u);  // read, arch_prctl, fcntl64
  // fcntl64 exists on i386 only: a quiet note for x86_64. no_such_call exists
  // nowhere: a warning (below), never a note.
  EXPECT_TRUE(has_note_containing(r, "t.json: 1 syscall name unknown to x86_64 (SCMP_ARCH_X86_64) skipped: fcntl64"));
  EXPECT_FALSE(has_note_containing(r, "no_such_call"));
  EXPECT_FALSE(has_note_containing(r, "unknown to i386"));
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_EQ(r.warnings[0].kind, WarningKind::kUnknownName);
  EXPECT_EQ(r.warnings[0].syscall, "no_such_call");
}

// ---------------------------------------------------------------------------
// What the profile says but cannot mean: names no ABI has, MASKED_EQ datum
// bits outside the mask
// ---------------------------------------------------------------------------

constexpr std::string_view kTypoProfile =
    "{\"defaultAction\": \"SCMP_ACT_ERRNO\",\n"
    "\"syscalls\": [\n"
    "  {\"names\": [\"read\", \"getrandon\", \"getrandon\"], \"action\": \"SCMP_ACT_ALLOW\"},\n"
    "  {\"names\": [\"zzzzzzzzzzzzzz\", \"fcntl64\"], \"action\": \"SCMP_ACT_ALLOW\"}]}";

TEST(ResolveWarnings, ANameNoAbiKnowsIsWarnedAboutWithItsPlaceAndTheNearestName) {
  const Resolution r = resolve_ok(parse(kTypoProfile, "typo.json"), options(ArchId::kX86_64));
  ASSERT_EQ(r.warnings.size(), 2u);
  EXPECT_EQ(r.warnings[0].kind, WarningKind::kUnknownName);
  EXPECT_EQ(r.warnings[0].message,
            "typo.json:3:3: unknown syscall \"getrandon\" (no architecture has it; did you mean getrandom?)");
  EXPECT_EQ(r.warnings[0].suggestion, "getrandom");
  EXPECT_EQ(r.warnings[0].rule.entry, 0u);
  // Nothing near enough to suggest.
  EXPECT_EQ(r.warnings[1].message, "typo.json:4:3: unknown syscall \"zzzzzzzzzzzzzz\" (no architecture has it)");
  EXPECT_EQ(r.warnings[1].suggestion, "");
  // Skipped as runc does: the rest of the entry still applies.
  EXPECT_EQ(rules_for(r, ArchId::kX86_64, "read").size(), 1u);
}

// A profile of thousands of made-up names: the first 256 distinct ones are
// listed, the rest counted in one warning (bounded memory and output).
TEST(ResolveWarnings, ManyUnknownNamesAreCountedPastTheFirstOnes) {
  std::string names;
  for (int i = 0; i < 3000; ++i) names += fmt::format("{}\"nosuch{}\"", i == 0 ? "" : ", ", i % 1000);
  const std::string text =
      R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW"},
    {"names": [)" +
      names + R"(], "action": "SCMP_ACT_ALLOW"}]})";
  const Resolution r = resolve_ok(parse(text, "many.json"), options(ArchId::kX86_64));
  ASSERT_EQ(r.warnings.size(), 257u);
  EXPECT_EQ(r.warnings[0].message, "many.json:2:5: unknown syscall \"nosuch0\" (no architecture has it)");
  EXPECT_EQ(r.warnings[255].syscall, "nosuch255");
  // 1000 distinct names three times each: 256 listed (their repeats are
  // not counted again), the other 744 counted each time they appear.
  EXPECT_EQ(r.warnings[256].message,
            "many.json:2:5: 2232 more unknown syscall names from here on (only the first 256 are listed)");
  EXPECT_EQ(rules_for(r, ArchId::kX86_64, "read").size(), 1u);
}

// moby checks "name" against "names" after includes/excludes: an entry
// they drop does not make it refuse the profile.
TEST(ResolveFilters, NameAndNamesIsRefusedOnlyWhereTheEntryApplies) {
  const auto text = [](std::string_view includes) {
    return fmt::format(R"({{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
  {{"names": ["read"], "action": "SCMP_ACT_ALLOW"}},
  {{"name": "write", "names": ["close"], "action": "SCMP_ACT_ALLOW"{}}}]}})",
                       includes);
  };
  auto applies = resolve(parse(text("")), options(ArchId::kX86_64));
  ASSERT_FALSE(applies);
  EXPECT_EQ(applies.error().message,
            R"(t.json:3:3: syscalls[1]: both "name" and "names" are set; use one of them (moby refuses the profile))");
  const Resolution dropped = resolve_text(text(R"(, "includes": {"arches": ["arm64"]})"), options(ArchId::kX86_64));
  EXPECT_EQ(rules_for(dropped, ArchId::kX86_64, "read").size(), 1u);
  EXPECT_TRUE(rules_for(dropped, ArchId::kX86_64, "close").empty());
}

// moby compares includes/excludes values as strings: one that no machine
// or kernel has never matches, and is a warning.
TEST(ResolveWarnings, IncludesAndExcludesValuesThatNeverMatch) {
  const Resolution r = resolve_ok(parse(R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
  {"names": ["mount"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_ADMIN"], "arches": ["amd64", "arm64"]}},
  {"names": ["read"], "action": "SCMP_ACT_ALLOW", "excludes": {"caps": ["CAP_SYS_ADMN"]}},
  {"names": ["write"], "action": "SCMP_ACT_ALLOW", "includes": {"arches": ["amd46"]}}]})",
                                        "f.json"),
                                  options(ArchId::kX86_64));
  ASSERT_EQ(r.warnings.size(), 2u);
  EXPECT_EQ(r.warnings[0].kind, WarningKind::kFilterValue);
  EXPECT_EQ(r.warnings[0].message,
            "f.json:3:3: syscalls[1]: excludes.caps: no kernel has capability \"CAP_SYS_ADMN\" (did you mean "
            "\"CAP_SYS_ADMIN\"?), so it never excludes the entry");
  EXPECT_EQ(r.warnings[1].message,
            "f.json:4:3: syscalls[2]: includes.arches: moby has no machine \"amd46\" (did you mean \"amd64\"?) (it "
            "spells them amd64, arm64, x86, ...), so the entry never applies");
  EXPECT_EQ(rules_for(r, ArchId::kX86_64, "read").size(), 1u);  // as moby: the exclusion never matches
  EXPECT_TRUE(rules_for(r, ArchId::kX86_64, "write").empty());
}

TEST(ResolveWarnings, StrictMakesANameNoAbiKnowsAnError) {
  ResolveOptions o = options(ArchId::kX86_64);
  o.unknown_names_are_errors = true;
  auto r = resolve(parse(kTypoProfile, "typo.json"), o);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message,
            "typo.json:3:3: unknown syscall \"getrandon\" (no architecture has it; did you mean getrandom?) "
            "(--strict)");
  // A name some ABI knows is no error, even where the filter's ABIs lack it.
  auto ok = resolve(parse(R"({"defaultAction": "SCMP_ACT_ERRNO",
    "syscalls": [{"names": ["read", "fcntl64"], "action": "SCMP_ACT_ALLOW"}]})"),
                    o);
  EXPECT_TRUE(ok) << ok.error().message;
}

// The warnings come by kind: unknown names, errnos, masks, conflicts, then
// widths, whichever kinds a profile has (the conflicts are taken whole
// where none comes before them).
TEST(ResolveWarnings, KindsComeInTheirOrderWhicheverAreThere) {
  const std::string_view mask_and_name =
      R"({"names": ["no_such_call"], "action": "SCMP_ACT_ALLOW"},
         {"names": ["personality"], "action": "SCMP_ACT_ERRNO", "args": [
           {"index": 0, "value": 255, "valueTwo": 511, "op": "SCMP_CMP_MASKED_EQ"}]},)";
  const std::string_view conflict_and_width =
      R"({"names": ["setns"], "action": "SCMP_ACT_ALLOW"},
         {"names": ["setns"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1},
         {"names": ["socket"], "action": "SCMP_ACT_ALLOW", "args": [
           {"index": 0, "value": 4294967334, "op": "SCMP_CMP_EQ"}]},
         {"names": ["getrandom"], "action": "SCMP_ACT_ALLOW"},
         {"names": ["getrandom"], "action": "SCMP_ACT_TRAP"})";
  const auto kinds = [](const std::string& syscalls) {
    const Resolution r = resolve_text(R"({"defaultAction": "SCMP_ACT_KILL_PROCESS", "syscalls": [)" + syscalls + "]}",
                                      options(ArchId::kX86_64));
    std::vector<std::pair<WarningKind, std::string>> out;
    for (const Warning& w : r.warnings) out.emplace_back(w.kind, w.syscall);
    return out;
  };
  using K = WarningKind;
  EXPECT_EQ(kinds(std::string(mask_and_name) + std::string(conflict_and_width)),
            (std::vector<std::pair<WarningKind, std::string>>{{K::kUnknownName, "no_such_call"},
                                                              {K::kMaskedDatum, "personality"},
                                                              {K::kRuleConflict, "setns"},
                                                              {K::kRuleConflict, "getrandom"},
                                                              {K::kWidth, "socket"}}));
  EXPECT_EQ(kinds(std::string(conflict_and_width)),
            (std::vector<std::pair<WarningKind, std::string>>{
                {K::kRuleConflict, "setns"}, {K::kRuleConflict, "getrandom"}, {K::kWidth, "socket"}}));
}

TEST(ResolveWarnings, MaskedEqualityDatumBitsOutsideTheMask) {
  const auto text =
      "{\"defaultAction\": \"SCMP_ACT_ALLOW\",\n"
      "\"syscalls\": [\n"
      "  {\"names\": [\"personality\"], \"action\": \"SCMP_ACT_ERRNO\", \"args\": [\n"
      "    {\"index\": 0, \"value\": 255, \"valueTwo\": 511, \"op\": \"SCMP_CMP_MASKED_EQ\"}]},\n"
      "  {\"names\": [\"clone\"], \"action\": \"SCMP_ACT_ERRNO\", \"args\": [\n"
      "    {\"index\": 0, \"value\": 240, \"valueTwo\": 16, \"op\": \"SCMP_CMP_MASKED_EQ\"}]}]}";
  const Resolution r = resolve_ok(parse(text, "mask.json"), options(ArchId::kX86_64));
  ASSERT_EQ(r.warnings.size(), 1u);  // clone's datum 0x10 lies inside its mask 0xf0
  const Warning& w = r.warnings[0];
  EXPECT_EQ(w.kind, WarningKind::kMaskedDatum);
  EXPECT_EQ(w.pos, (SourcePos{4, 5}));
  EXPECT_EQ(w.mask, 0xffu);
  EXPECT_EQ(w.datum, 0x1ffu);
  EXPECT_EQ(w.message,
            "mask.json:4:5: syscalls[0]: personality argument 0: SCMP_CMP_MASKED_EQ datum 0x1ff has bits outside "
            "the mask 0xff (0x100); libseccomp, and so Docker, compares only datum & mask (0xff)");
  // The rule keeps the datum as written; what it means is policy::masked_datum's.
  EXPECT_EQ(conditions_of(rules_for(r, ArchId::kX86_64, "personality")),
            (std::vector<std::vector<policy::ArgCondition>>{{cond(0, policy::CmpOp::kMaskedEq, 0xff, 0x1ff)}}));
}

TEST(ResolveRules, RulesRememberWhereTheyCameFrom) {
  const auto text =
      "{\"defaultAction\": \"SCMP_ACT_ERRNO\",\n\"syscalls\": [\n"
      "  {\"names\": [\"read\"], \"action\": \"SCMP_ACT_ALLOW\"},\n"
      "  {\"names\": [\"write\"], \"action\": \"SCMP_ACT_ALLOW\", \"comment\": \"stdout\"}]}";
  const Resolution r = resolve_ok(parse(text, "src.json"), options(ArchId::kX86_64));
  const auto w = rules_for(r, ArchId::kX86_64, "write");
  ASSERT_EQ(w.size(), 1u);
  EXPECT_EQ(w[0].source.file, "src.json");
  EXPECT_EQ(w[0].source.line, 4u);
  EXPECT_EQ(w[0].source.entry, 1u);
  EXPECT_EQ(w[0].source.comment, "stdout");
  EXPECT_FALSE(w[0].source.split_repeated_index);
}

TEST(ResolveRules, ARuleEqualToTheDefaultActionIsDropped) {
  const auto text = R"({"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1, "syscalls": [
    {"names": ["read"], "action": "SCMP_ACT_ERRNO"},
    {"names": ["write"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1},
    {"names": ["close"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38}]})";
  const Resolution r = resolve_text(text, options(ArchId::kX86_64));
  EXPECT_TRUE(rules_for(r, ArchId::kX86_64, "read").empty());   // ERRNO(EPERM) == default
  EXPECT_TRUE(rules_for(r, ArchId::kX86_64, "write").empty());  // ERRNO(1) == default
  EXPECT_EQ(r.entries[0].fate, EntryFate::kSameAsDefault);
  EXPECT_EQ(r.entries[1].fate, EntryFate::kSameAsDefault);
  const auto c = rules_for(r, ArchId::kX86_64, "close");  // a different errno is a different action
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].action, Action::Errno(38));
  // SCMP_ACT_KILL and SCMP_ACT_KILL_THREAD are the same action.
  const Resolution k = resolve_text(R"({"defaultAction": "SCMP_ACT_KILL", "syscalls": [
    {"names": ["read"], "action": "SCMP_ACT_KILL_THREAD"}]})",
                                    options(ArchId::kX86_64));
  EXPECT_TRUE(rules_for(k, ArchId::kX86_64, "read").empty());
}

TEST(ResolveRules, ConditionsOfOneEntryAreAndedAndEntriesAreOred) {
  const auto text = R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
    {"names": ["socket"], "action": "SCMP_ACT_ALLOW", "args": [
      {"index": 0, "value": 16, "op": "SCMP_CMP_EQ"}, {"index": 2, "value": 9, "op": "SCMP_CMP_NE"}]},
    {"names": ["socket"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 2, "op": "SCMP_CMP_EQ"}]}]})";
  const auto s = rules_for(resolve_text(text, options(ArchId::kX86_64)), ArchId::kX86_64, "socket");
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(conditions_of(s), (std::vector<std::vector<policy::ArgCondition>>{
                                  {cond(0, policy::CmpOp::kEq, 16), cond(2, policy::CmpOp::kNe, 9)},
                                  {cond(0, policy::CmpOp::kEq, 2)},
                              }));
  EXPECT_FALSE(s[0].source.split_repeated_index);
}

TEST(ResolveRules, ARepeatedArgumentIndexSplitsTheEntryIntoOneRulePerCondition) {
  const auto text = R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
    {"names": ["personality"], "action": "SCMP_ACT_ERRNO", "args": [
      {"index": 0, "value": 1, "op": "SCMP_CMP_GE"}, {"index": 0, "value": 5, "op": "SCMP_CMP_LE"},
      {"index": 1, "value": 0, "op": "SCMP_CMP_EQ"}]}]})";
  const Resolution r = resolve_text(text, options(ArchId::kX86_64));
  const auto p = rules_for(r, ArchId::kX86_64, "personality");
  // runc: not (a0 >= 1 && a0 <= 5 && a1 == 0) but a0 >= 1 || a0 <= 5 || a1 == 0.
  EXPECT_EQ(conditions_of(p),
            (std::vector<std::vector<policy::ArgCondition>>{
                {cond(0, policy::CmpOp::kGe, 1)}, {cond(0, policy::CmpOp::kLe, 5)}, {cond(1, policy::CmpOp::kEq, 0)}}));
  for (const auto& rule : p) EXPECT_TRUE(rule.source.split_repeated_index);
  EXPECT_TRUE(r.entries[0].split_repeated_index);
}

// A name listed twice in one entry, and a split entry's repeated condition,
// make their rule once; two entries naming one syscall keep a rule each.
TEST(ResolveRules, RepeatsInOneEntryMakeOneRule) {
  const auto text = R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
    {"names": ["personality", "personality", "personality"], "action": "SCMP_ACT_ERRNO", "args": [
      {"index": 0, "value": 1, "op": "SCMP_CMP_EQ"}, {"index": 0, "value": 1, "op": "SCMP_CMP_EQ"},
      {"index": 0, "value": 2, "op": "SCMP_CMP_EQ"}]},
    {"names": ["getpid", "getpid"], "action": "SCMP_ACT_ERRNO"},
    {"names": ["getpid"], "action": "SCMP_ACT_ERRNO"}]})";
  const Resolution r = resolve_text(text, options(ArchId::kX86_64));
  EXPECT_EQ(conditions_of(rules_for(r, ArchId::kX86_64, "personality")),
            (std::vector<std::vector<policy::ArgCondition>>{{cond(0, policy::CmpOp::kEq, 1)},
                                                            {cond(0, policy::CmpOp::kEq, 2)}}));
  const auto g = rules_for(r, ArchId::kX86_64, "getpid");
  ASSERT_EQ(g.size(), 2u);
  EXPECT_EQ(g[0].source.entry, 1u);
  EXPECT_EQ(g[1].source.entry, 2u);
}

// A split entry's run of conditions is scanned while short and kept in a
// tree once long: repeats are dropped on both sides of that switch, and
// the rules stay in the entry's order.
TEST(ResolveRules, RepeatsInALongSplitEntryMakeOneRuleEach) {
  Profile p;
  p.source = "long.json";
  p.default_action = ProfileAction::kAllow;
  ProfileSyscall e;
  e.action = ProfileAction::kErrno;
  e.names = {"personality", "personality"};
  for (uint64_t v = 0; v < 80; ++v) e.args.push_back(ProfileArg{0, v % 50, 0, policy::CmpOp::kEq, {}});
  p.syscalls.push_back(e);
  auto r = resolve(p, options(ArchId::kX86_64));
  ASSERT_TRUE(r) << r.error().message;
  std::vector<std::vector<policy::ArgCondition>> expected;
  for (uint64_t v = 0; v < 50; ++v) expected.push_back({cond(0, policy::CmpOp::kEq, v)});
  EXPECT_EQ(conditions_of(rules_for(*r, ArchId::kX86_64, "personality")), expected);
}

// Past 2^20 rules (names x ABIs x condition sets) the profile is refused,
// before the rules take their memory: here every x86_64 syscall with 2,900
// conditions on args[0], which runc splits into a rule each.
TEST(ResolveRules, MoreThanAMillionRulesIsAnError) {
  Profile p;
  p.source = "big.json";
  p.default_action = ProfileAction::kErrno;
  ProfileSyscall e;
  e.action = ProfileAction::kAllow;
  for (const auto& sc : syscalls::table(ArchId::kX86_64).entries()) e.names.emplace_back(sc.name);
  for (uint64_t v = 0; v < 2900; ++v) e.args.push_back(ProfileArg{0, v, 0, policy::CmpOp::kEq, {}});
  p.syscalls.push_back(e);
  ASSERT_GT(e.names.size() * e.args.size(), size_t{1} << 20);
  auto r = resolve(p, options(ArchId::kX86_64));
  ASSERT_FALSE(r);
  EXPECT_TRUE(r.error().message.starts_with("big.json: the profile makes more than 1048576 rules"))
      << r.error().message;
  // The same entry with a tenth of the conditions resolves.
  p.syscalls[0].args.resize(290);
  EXPECT_TRUE(resolve(p, options(ArchId::kX86_64)));
}

// libseccomp (so runc and Docker) compares all 64 bits only on its 64-bit
// ABIs; on the ones it builds as 32-bit — x32 and MIPS n32 included — one
// comparison of the low word, the operand truncated (checked against filters
// the real libseccomp 2.5.4 built: //test/verify:libseccomp_interop_test).
TEST(ResolveRules, ArgumentWidthIsLibseccompsWordSize) {
  const auto text = R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["personality"],
      "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 4294967295, "op": "SCMP_CMP_EQ"}]}]})";
  for (const auto& [abi, width] :
       {std::pair{ArchId::kX86_64, policy::ArgWidth::k64}, std::pair{ArchId::kAarch64, policy::ArgWidth::k64},
        std::pair{ArchId::kS390x, policy::ArgWidth::k64}, std::pair{ArchId::kI386, policy::ArgWidth::k32},
        std::pair{ArchId::kX32, policy::ArgWidth::k32}, std::pair{ArchId::kArm, policy::ArgWidth::k32},
        std::pair{ArchId::kS390, policy::ArgWidth::k32}, std::pair{ArchId::kMipsel64n32, policy::ArgWidth::k32}}) {
    const Resolution r = resolve_text(text, options(abi));
    const auto p = rules_for(r, abi, "personality");
    ASSERT_EQ(p.size(), 1u) << syscalls::arch(abi).name;
    EXPECT_EQ(p[0].conditions[0].width, width) << syscalls::arch(abi).name;
    // personality(0x1_ffffffff): the low-word test passes, as it does in
    // libseccomp's filter; the 64-bit one fails.
    SeccompData d{};
    d.arch = syscalls::arch(abi).audit_arch;
    d.nr = *syscalls::table(abi).number("personality");
    d.args[0] = 0x1ffffffffULL;
    EXPECT_EQ(evaluate(r.policy, d).action, width == policy::ArgWidth::k32 ? Action::Allow() : Action::Errno(1))
        << syscalls::arch(abi).name;
  }
}

// ---------------------------------------------------------------------------
// Actions and errno values
// ---------------------------------------------------------------------------

TEST(ResolveActions, ErrnoAndTraceDefaultToEperm) {
  const auto text = R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
    {"names": ["read"], "action": "SCMP_ACT_ERRNO"}, {"names": ["write"], "action": "SCMP_ACT_TRACE"},
    {"names": ["close"], "action": "SCMP_ACT_TRACE", "errnoRet": 1234}]})";
  const Resolution r = resolve_text(text, options(ArchId::kX86_64));
  EXPECT_EQ(rules_for(r, ArchId::kX86_64, "read")[0].action, Action::Errno(1));
  EXPECT_EQ(rules_for(r, ArchId::kX86_64, "write")[0].action, Action::Trace(1));
  EXPECT_EQ(rules_for(r, ArchId::kX86_64, "close")[0].action, Action::Trace(1234));
}

TEST(ResolveActions, TheDefaultActionTakesDefaultErrnoRet) {
  auto def = [](std::string_view text) {
    return resolve_text(text, options(ArchId::kX86_64)).policy.arches[0].default_action;
  };
  EXPECT_EQ(def(R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": []})"), Action::Errno(1));
  EXPECT_EQ(def(R"({"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 38})"), Action::Errno(38));
  EXPECT_EQ(def(R"({"defaultAction": "SCMP_ACT_TRACE", "defaultErrnoRet": 5})"), Action::Trace(5));
  EXPECT_EQ(def(R"({"defaultAction": "SCMP_ACT_KILL"})"), Action::KillThread());
  EXPECT_EQ(def(R"({"defaultAction": "SCMP_ACT_KILL_PROCESS"})"), Action::KillProcess());
  EXPECT_EQ(def(R"({"defaultAction": "SCMP_ACT_LOG", "defaultErrnoRet": 5})"), Action::Log());
}

TEST(ResolveActions, ErrnoNamesWinOverNumbersAndResolvePerNativeArch) {
  const auto text = R"({"defaultAction": "SCMP_ACT_ERRNO", "defaultErrno": "ENOSYS", "defaultErrnoRet": 1,
    "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ERRNO", "errno": "EDQUOT", "errnoRet": 22}]})";
  const Resolution x86 = resolve_text(text, options(ArchId::kX86_64));
  EXPECT_EQ(x86.policy.arches[0].default_action, Action::Errno(38));
  EXPECT_EQ(rules_for(x86, ArchId::kX86_64, "read")[0].action, Action::Errno(122));
  const Resolution mips = resolve_text(text, options(ArchId::kMips64el));
  EXPECT_EQ(mips.policy.arches[0].default_action, Action::Errno(89));
  EXPECT_EQ(rules_for(mips, ArchId::kMips64el, "read")[0].action, Action::Errno(1133));
  const Resolution parisc = resolve_text(text, options(ArchId::kParisc));
  EXPECT_EQ(parisc.policy.arches[0].default_action, Action::Errno(251));
}

TEST(ResolveActions, ErrnoRetKeepsItsLow16BitsLikeRunc) {
  const Resolution r = resolve_text(R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
    {"names": ["read"], "action": "SCMP_ACT_ERRNO", "errnoRet": 65537}]})",
                                    options(ArchId::kX86_64));
  EXPECT_EQ(rules_for(r, ArchId::kX86_64, "read")[0].action, Action::Errno(1));
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_EQ(r.warnings[0].kind, WarningKind::kErrnoRange);
  EXPECT_EQ(r.warnings[0].message,
            "t.json:2:5: syscalls[0]: errnoRet 65537 does not fit in 16 bits; runc keeps the low 16 bits (1)");
}

// An explicit errnoRet (or defaultErrnoRet) 0 too: the call is skipped and
// returns 0; TRACE's data 0 is no such thing.
TEST(ResolveActions, ExplicitErrnoRetZeroWarnsOfFakeSuccess) {
  const Resolution r = resolve_text(R"({"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 0, "syscalls": [
    {"names": ["sync"], "action": "SCMP_ACT_ALLOW"},
    {"names": ["unlink"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1},
    {"names": ["rmdir"], "action": "SCMP_ACT_TRACE", "errnoRet": 0}]})",
                                    options(ArchId::kX86_64));
  EXPECT_EQ(r.policy.arches[0].default_action, Action::Errno(0));
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_EQ(r.warnings[0].kind, WarningKind::kErrnoRange);
  EXPECT_EQ(r.warnings[0].message,
            "t.json:1:56: the default action: defaultErrnoRet 0: ERRNO(0) skips the call, which returns 0 as if it "
            "succeeded (a denial the program cannot see)");
  const Resolution rule = resolve_text(R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
    {"names": ["sync"], "action": "SCMP_ACT_ERRNO", "errnoRet": 0}]})",
                                       options(ArchId::kX86_64));
  ASSERT_EQ(rule.warnings.size(), 1u);
  EXPECT_EQ(rule.warnings[0].message,
            "t.json:2:5: syscalls[0]: errnoRet 0: ERRNO(0) skips the call, which returns 0 as if it succeeded (a "
            "denial the program cannot see)");
}

// Low bits 0: SECCOMP_RET_ERRNO with errno 0 skips the call and returns 0.
TEST(ResolveActions, ErrnoRetWhoseLow16BitsAreZeroWarnsOfFakeSuccess) {
  const Resolution r = resolve_text(R"({"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 131072, "syscalls": [
    {"names": ["unlink"], "action": "SCMP_ACT_ERRNO", "errnoRet": 65536},
    {"names": ["rmdir"], "action": "SCMP_ACT_ERRNO", "errnoRet": 65538}]})",
                                    options(ArchId::kX86_64));
  EXPECT_EQ(r.policy.arches[0].default_action, Action::Errno(0));
  EXPECT_TRUE(rules_for(r, ArchId::kX86_64, "unlink").empty());  // equal to the default: runc drops it
  ASSERT_EQ(rules_for(r, ArchId::kX86_64, "rmdir").size(), 1u);
  EXPECT_EQ(rules_for(r, ArchId::kX86_64, "rmdir")[0].action, Action::Errno(2));
  ASSERT_EQ(r.warnings.size(), 3u);
  EXPECT_EQ(
      r.warnings[0].message,
      "t.json:1:56: the default action: defaultErrnoRet 131072 does not fit in 16 bits; runc keeps the low 16 bits "
      "(0): ERRNO(0) skips the call, which returns 0 as if it succeeded");
  EXPECT_EQ(r.warnings[1].message,
            "t.json:2:5: syscalls[0]: errnoRet 65536 does not fit in 16 bits; runc keeps the low 16 bits (0): ERRNO(0) "
            "skips the call, which returns 0 as if it succeeded");
  EXPECT_EQ(r.warnings[2].message,
            "t.json:3:5: syscalls[1]: errnoRet 65538 does not fit in 16 bits; runc keeps the low 16 bits (2)");
}

// The default action's errno warnings point at the value, as an entry's
// point at the entry (not at the document's first brace).
TEST(ResolveActions, DefaultErrnoWarningsPointAtTheValue) {
  const Resolution r =
      resolve_text("{\"defaultAction\": \"SCMP_ACT_ERRNO\",\n  \"defaultErrnoRet\": 70000}", options(ArchId::kX86_64));
  ASSERT_EQ(r.warnings.size(), 2u);
  for (const Warning& w : r.warnings) {
    EXPECT_TRUE(w.message.starts_with("t.json:2:22: the default action: defaultErrnoRet ")) << w.message;
    EXPECT_EQ(w.pos, (SourcePos{2, 22}));
  }
}

// --bad-arch errno:N above 4094 is what errnoRet's range check says of it:
// a warning, an error where libseccomp's database is modelled.
TEST(ResolveActions, BadArchErrnoAboveTheKernelsRangeWarnsAsErrnoRetDoes) {
  const auto text = R"({"defaultAction": "SCMP_ACT_ALLOW"})";
  ResolveOptions o = options(ArchId::kX86_64);
  o.bad_arch_action = Action::Errno(4094);
  EXPECT_TRUE(resolve_text(text, o).warnings.empty());
  o.bad_arch_action = Action::Errno(4096);
  const Resolution r = resolve_text(text, o);
  EXPECT_EQ(r.policy.bad_arch_action, Action::Errno(4096));
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_EQ(r.warnings[0].kind, WarningKind::kErrnoRange);
  EXPECT_EQ(r.warnings[0].message,
            "--bad-arch errno:4096 is above 4095 (MAX_ERRNO): the kernel answers errno 4095 instead; libseccomp (up "
            "to 4094) refuses it as the bad-arch action");
  o.bad_arch_action = Action::Errno(4095);
  ASSERT_EQ(resolve_text(text, o).warnings.size(), 1u);
  o.combination = RuleCombination::kLibseccompDatabase;
  auto refused = resolve(parse(text), o);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().message,
            "--bad-arch errno:4095 is MAX_ERRNO: libseccomp refuses it as the bad-arch action (EINVAL: it takes errno "
            "values up to 4094)");
}

TEST(ResolveActions, BadArchActionIsConfigurable) {
  const auto text = R"({"defaultAction": "SCMP_ACT_ALLOW"})";
  EXPECT_EQ(resolve_text(text, options(ArchId::kX86_64)).policy.bad_arch_action, Action::KillProcess());
  ResolveOptions o = options(ArchId::kX86_64);
  o.bad_arch_action = Action::KillThread();  // libseccomp's own default
  EXPECT_EQ(resolve_text(text, o).policy.bad_arch_action, Action::KillThread());
}

// ---------------------------------------------------------------------------
// runc's ENOSYS stub
// ---------------------------------------------------------------------------

constexpr std::string_view kStubProfile = R"({"defaultAction": "SCMP_ACT_ERRNO",
  "architectures": ["SCMP_ARCH_X86", "SCMP_ARCH_X32"], "syscalls": [
  {"names": ["read", "write"], "action": "SCMP_ACT_ALLOW"},
  {"names": ["openat2"], "action": "SCMP_ACT_ERRNO"},
  {"names": ["futex_waitv"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_NOPE"]}}]})";

TEST(ResolveEnosys, LargestNamedNumberPerAbiCountsEveryKeptEntry) {
  const Resolution r = resolve_text(kStubProfile, options(ArchId::kX86_64));
  // openat2 (437 on i386 and x32) counts although its rule equals the
  // default and is dropped; futex_waitv (449) does not: moby dropped it.
  // x86_64, filtered as the native ABI but not listed, gets no stub.
  EXPECT_FALSE(r.policy.find(ArchId::kX86_64)->enosys_above);
  EXPECT_EQ(r.policy.find(ArchId::kI386)->enosys_above, 437u);
  EXPECT_EQ(r.policy.find(ArchId::kX32)->enosys_above, 0x40000000u + 437u);
  for (const auto& a : r.policy.arches) EXPECT_EQ(a.enosys_errno, 38);
}

TEST(ResolveEnosys, NoStubWhenTheDefaultIsPermissive) {
  for (std::string_view def : {"SCMP_ACT_ALLOW", "SCMP_ACT_LOG", "SCMP_ACT_TRACE"}) {
    const std::string text = std::string(R"({"defaultAction": ")") + std::string(def) +
                             R"(", "architectures": ["SCMP_ARCH_X86_64"],
                                "syscalls": [{"names": ["read"], "action": "SCMP_ACT_KILL"}]})";
    EXPECT_FALSE(resolve_text(text, options(ArchId::kX86_64)).policy.arches[0].enosys_above) << def;
  }
  for (std::string_view def : {"SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_TRAP", "SCMP_ACT_ERRNO"}) {
    const std::string text = std::string(R"({"defaultAction": ")") + std::string(def) +
                             R"(", "architectures": ["SCMP_ARCH_X86_64"],
                                "syscalls": [{"names": ["read", "getpid"], "action": "SCMP_ACT_ALLOW"}]})";
    EXPECT_EQ(resolve_text(text, options(ArchId::kX86_64)).policy.arches[0].enosys_above, 39u) << def;
  }
}

// runc's findLastSyscalls loops over the config's architectures: moby's
// list (architectures, or the native archMap entry and its subArchitectures).
// libseccomp filters the native ABI whatever the list says, but the stub
// covers only the listed ABIs; none when nothing is listed. Checked against
// real runc 1.1.5 filters (dumped from running containers).
TEST(ResolveEnosys, OnlyTheListedAbisGetRuncsStub) {
  const auto unlisted = R"({"defaultAction": "SCMP_ACT_ERRNO",
    "syscalls": [{"names": ["read", "getpid"], "action": "SCMP_ACT_ALLOW"}]})";
  const Resolution none = resolve_text(unlisted, options(ArchId::kX86_64));
  EXPECT_FALSE(none.policy.arches[0].enosys_above);
  EXPECT_TRUE(has_note_containing(none,
                                  "runc's ENOSYS stub covers only the architectures the profile lists, so on "
                                  "x86_64 syscalls newer than the profile get the default action"));
  SeccompData d{};
  d.arch = syscalls::arch(ArchId::kX86_64).audit_arch;
  d.nr = 300;
  EXPECT_EQ(policy::evaluate(none.policy, d).action, Action::Errno(1));
  // SCMP_ARCH_NATIVE lists the native ABI.
  const auto native = R"({"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_NATIVE"],
    "syscalls": [{"names": ["read", "getpid"], "action": "SCMP_ACT_ALLOW"}]})";
  EXPECT_EQ(resolve_text(native, options(ArchId::kX86_64)).policy.arches[0].enosys_above, 39u);
  // An archMap without the native arch's entry lists nothing.
  const auto other = R"({"defaultAction": "SCMP_ACT_ERRNO",
    "archMap": [{"architecture": "SCMP_ARCH_AARCH64", "subArchitectures": ["SCMP_ARCH_ARM"]}],
    "syscalls": [{"names": ["read", "getpid"], "action": "SCMP_ACT_ALLOW"}]})";
  EXPECT_FALSE(resolve_text(other, options(ArchId::kX86_64)).policy.arches[0].enosys_above);
  // Only i386 listed: i386 gets the stub, the native x86_64 does not.
  const auto i386 = R"({"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_X86"],
    "syscalls": [{"names": ["read", "getpid"], "action": "SCMP_ACT_ALLOW"}]})";
  const Resolution r = resolve_text(i386, options(ArchId::kX86_64));
  EXPECT_FALSE(r.policy.find(ArchId::kX86_64)->enosys_above);
  EXPECT_EQ(r.policy.find(ArchId::kI386)->enosys_above, nr(ArchId::kI386, "getpid"));
  // sysfence's own --unknown-syscalls enosys stubs every ABI of the filter.
  ResolveOptions force = options(ArchId::kX86_64);
  force.unknown_syscalls = UnknownSyscalls::kEnosys;
  EXPECT_EQ(resolve_text(unlisted, force).policy.arches[0].enosys_above, 39u);
  EXPECT_FALSE(has_note_containing(resolve_text(unlisted, force), "runc's ENOSYS stub covers only"));
}

TEST(ResolveEnosys, NoStubWhenTheDefaultAlreadyAnswersEnosys) {
  const auto text = R"({"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 38,
    "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW"}]})";
  EXPECT_FALSE(resolve_text(text, options(ArchId::kX86_64)).policy.arches[0].enosys_above);
}

TEST(ResolveEnosys, TheOptionOverridesRuncsChoice) {
  ResolveOptions def = options(ArchId::kX86_64);
  def.unknown_syscalls = UnknownSyscalls::kDefault;
  EXPECT_FALSE(resolve_text(kStubProfile, def).policy.arches[0].enosys_above);
  ResolveOptions force = options(ArchId::kX86_64);
  force.unknown_syscalls = UnknownSyscalls::kEnosys;
  const auto allow =
      R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["getpid"], "action": "SCMP_ACT_LOG"}]})";
  EXPECT_EQ(resolve_text(allow, force).policy.arches[0].enosys_above, 39u);
}

TEST(ResolveEnosys, AnAbiWhoseLargestNamedNumberIsZeroGetsNoStub) {
  // runc skips an ABI whose largest number is 0: none of the names exist
  // there (tuxcall is x86_64-only), or the only one is syscall 0 (read).
  const auto text = R"({"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"],
    "syscalls": [{"names": ["tuxcall"], "action": "SCMP_ACT_ALLOW"}]})";
  const Resolution r = resolve_text(text, options(ArchId::kX86_64));
  EXPECT_EQ(r.policy.find(ArchId::kX86_64)->enosys_above, 184u);
  EXPECT_FALSE(r.policy.find(ArchId::kI386)->enosys_above);
  const auto only_read = R"({"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_X86_64"],
    "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW"}]})";
  EXPECT_FALSE(resolve_text(only_read, options(ArchId::kX86_64)).policy.arches[0].enosys_above);
}

// runc takes each name's number from libseccomp, which gives the socket and
// IPC calls negative pseudo numbers on the ABIs that also multiplex them
// (i386 here): they never count, so i386's threshold is exit_group's (252)
// and the stub answers the direct calls above it (socket 359, msgsnd 400)
// before the filter. x86_64 has real numbers for them (41, 69).
constexpr std::string_view kPseudoProfile = R"({"defaultAction": "SCMP_ACT_ERRNO",
  "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"], "syscalls": [
  {"names": ["read", "write", "exit_group"], "action": "SCMP_ACT_ALLOW"},
  {"names": ["socket", "msgsnd"], "action": "SCMP_ACT_ALLOW"}]})";

TEST(ResolveEnosys, LibseccompsPseudoNumbersNeverCountTowardsRuncsStub) {
  ResolveOptions runc = options(ArchId::kX86_64);
  runc.multiplex = MultiplexRewrite::kLibseccomp;
  const Resolution r = resolve_text(kPseudoProfile, runc);
  EXPECT_EQ(r.policy.find(ArchId::kI386)->enosys_above, nr(ArchId::kI386, "exit_group"));
  EXPECT_EQ(r.policy.find(ArchId::kX86_64)->enosys_above, nr(ArchId::kX86_64, "exit_group"));
  // The stub runs first: the direct calls' rules above it never apply.
  EXPECT_TRUE(rules_for(r, ArchId::kI386, "socket").empty());
  EXPECT_TRUE(rules_for(r, ArchId::kI386, "msgsnd").empty());
  EXPECT_FALSE(rules_for(r, ArchId::kI386, "socketcall").empty());  // 102: below the stub
  EXPECT_FALSE(rules_for(r, ArchId::kX86_64, "socket").empty());
  EXPECT_TRUE(has_note_containing(r,
                                  "on i386, runc's ENOSYS stub answers every syscall number above 252 "
                                  "(exit_group) before the filter runs, so the rules for socket, msgsnd never apply"));
  SeccompData d{};
  d.arch = syscalls::arch(ArchId::kI386).audit_arch;
  d.nr = nr(ArchId::kI386, "socket");
  EXPECT_EQ(policy::evaluate(r.policy, d).action, Action::Errno(38));
}

TEST(ResolveEnosys, SysfencesOwnReadingCountsTheDirectNumbers) {
  const Resolution r = resolve_text(kPseudoProfile, options(ArchId::kX86_64));  // --multiplex exact
  EXPECT_EQ(r.policy.find(ArchId::kI386)->enosys_above, nr(ArchId::kI386, "msgsnd"));
  EXPECT_FALSE(rules_for(r, ArchId::kI386, "socket").empty());
  EXPECT_FALSE(has_note_containing(r, "runc's ENOSYS stub answers"));
}

TEST(ResolveEnosys, S390SyscallZeroAnswersEnosys) {
  const auto text = R"({"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_S390X", "SCMP_ARCH_S390"],
    "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW"}]})";
  const Resolution r = resolve_text(text, options(ArchId::kS390x));
  for (ArchId a : {ArchId::kS390x, ArchId::kS390}) {
    const policy::ArchPolicy* ap = r.policy.find(a);
    ASSERT_NE(ap, nullptr);
    ASSERT_EQ(ap->rules.count(0), 1u);
    const auto& zero = ap->rules.at(0);
    ASSERT_EQ(zero.size(), 1u);
    EXPECT_EQ(zero[0].action, Action::Errno(38));
    EXPECT_TRUE(zero[0].conditions.empty());
  }
  ResolveOptions def = options(ArchId::kS390x);
  def.unknown_syscalls = UnknownSyscalls::kDefault;
  EXPECT_EQ(resolve_text(text, def).policy.find(ArchId::kS390x)->rules.count(0), 0u);
}

TEST(ResolveEnosys, TheErrnoIsTheNativeArchsEnosys) {
  const auto text =
      R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW"}]})";
  EXPECT_EQ(resolve_text(text, options(ArchId::kMips64el)).policy.arches[0].enosys_errno, 89);
  EXPECT_EQ(resolve_text(text, options(ArchId::kParisc)).policy.arches[0].enosys_errno, 251);
}

// ---------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------

std::string resolve_error(std::string_view text, const ResolveOptions& o) {
  auto r = resolve(parse(text, "e.json"), o);
  EXPECT_FALSE(r);
  return r ? std::string() : r.error().message;
}

TEST(ResolveErrors, SeccompDisabledProfile) {
  EXPECT_EQ(resolve_error(R"({"defaultAction": ""})", options(ArchId::kX86_64)),
            "e.json:1:19: the profile has an empty defaultAction and no syscall rules; Docker and runc run such a "
            "container without seccomp, so there is no filter to build");
  EXPECT_EQ(resolve_error(R"({"syscalls": []})", options(ArchId::kX86_64)),
            "e.json:1:1: the profile has no defaultAction and no syscall rules; Docker and runc run such a container "
            "without seccomp, so there is no filter to build");
}

TEST(ResolveErrors, NotifyAsTheDefaultAction) {
  EXPECT_EQ(resolve_error(R"({"defaultAction": "SCMP_ACT_NOTIFY"})", options(ArchId::kX86_64)),
            "e.json:1:19: SCMP_ACT_NOTIFY cannot be the default action (runc refuses it: the process could not even "
            "report the notification fd)");
}

TEST(ResolveErrors, NotifyForWrite) {
  EXPECT_EQ(
      resolve_error("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [\n  {\"names\": [\"read\", \"write\"], "
                    "\"action\": \"SCMP_ACT_NOTIFY\"}]}",
                    options(ArchId::kX86_64)),
      "e.json:2:3: SCMP_ACT_NOTIFY cannot be used for the write syscall (runc refuses it)");
}

// runc 1.1 and older refuse any seccomp flag ("seccomp flags are not yet
// supported by runc"); 1.2.0 accepts them: a note for runc, nothing else.
TEST(ResolveRunc, FlagsAreNotedForRuncBefore120) {
  const std::string_view text = R"({"defaultAction": "SCMP_ACT_ERRNO", "flags": ["SECCOMP_FILTER_FLAG_LOG"],
    "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW"}]})";
  ResolveOptions runc = options(ArchId::kX86_64);
  runc.for_runc = true;
  const Resolution r = resolve_text(text, runc);
  EXPECT_EQ(r.flags, std::vector<std::string>{"SECCOMP_FILTER_FLAG_LOG"});
  EXPECT_TRUE(has_note_containing(r,
                                  "t.json: flags SECCOMP_FILTER_FLAG_LOG: runc before 1.2.0 refuses the container "
                                  "(\"seccomp flags are not yet supported by runc\"); runc 1.2.0 and later install "
                                  "the filter with them"))
      << fmt::format("{}", fmt::join(r.notes, "\n"));
  // Not for sysfence's semantics, and not without flags.
  EXPECT_FALSE(has_note_containing(resolve_text(text, options(ArchId::kX86_64)), "runc before 1.2.0"));
  EXPECT_FALSE(has_note_containing(
      resolve_text(R"({"defaultAction": "SCMP_ACT_ERRNO", "flags": [], "syscalls": []})", runc), "runc before 1.2.0"));
}

TEST(ResolveErrors, ErrnoNameMissingOnTheNativeArch) {
  // EINIT exists only in MIPS' errno table.
  const auto text = R"({"defaultAction": "SCMP_ACT_ERRNO", "defaultErrno": "EINIT"})";
  EXPECT_EQ(resolve_text(text, options(ArchId::kMips)).policy.arches[0].default_action, Action::Errno(141));
  // The message points at the defaultErrno value.
  EXPECT_EQ(resolve_error(text, options(ArchId::kX86_64)), "e.json:1:53: errno name \"EINIT\" does not exist on x86_64");
}

// ---------------------------------------------------------------------------
// The real profiles on six architectures
// ---------------------------------------------------------------------------

class DockerDefault : public ::testing::Test {
 protected:
  static Profile profile() { return parse(testing::read_data_file(testing::kDockerDefault), "default"); }
};

const uint64_t kNamespaceFlags = 0x7E020000;  // CLONE_NEW{NS,CGROUP,UTS,IPC,USER,PID,NET}

TEST_F(DockerDefault, ResolvesOnSixArchitectures) {
  const Profile p = profile();
  struct Case {
    ArchId native;
    std::vector<ArchId> arches;
  };
  const Case cases[] = {
      {ArchId::kX86_64, {ArchId::kX86_64, ArchId::kI386, ArchId::kX32}},
      {ArchId::kAarch64, {ArchId::kAarch64, ArchId::kArm}},
      {ArchId::kRiscv64, {ArchId::kRiscv64}},
      {ArchId::kPpc64le, {ArchId::kPpc64le}},  // default.json has no ppc64le archMap entry
      {ArchId::kS390x, {ArchId::kS390x, ArchId::kS390}},
      {ArchId::kMips64el, {ArchId::kMips64el, ArchId::kMipsel, ArchId::kMipsel64n32}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(syscalls::arch(c.native).name);
    const Resolution r = resolve_ok(p, options(c.native));
    EXPECT_EQ(arches_of(r), c.arches);
    for (const auto& ap : r.policy.arches) {
      EXPECT_EQ(ap.default_action, Action::Errno(1));
      // Every ABI knows read/write/exit_group and allows them unconditionally.
      for (std::string_view name : {"read", "write", "exit_group"}) {
        auto it = ap.rules.find(nr(ap.arch, name));
        ASSERT_NE(it, ap.rules.end()) << name;
        ASSERT_EQ(it->second.size(), 1u);
        EXPECT_EQ(it->second[0].action, Action::Allow());
        EXPECT_TRUE(it->second[0].conditions.empty());
      }
      // personality: the five allowed personas, each its own rule (one entry each).
      const policy::ArgWidth w = literal_width(ap.arch);
      EXPECT_EQ(conditions_of(rules_for(r, ap.arch, "personality")),
                (std::vector<std::vector<policy::ArgCondition>>{{cond(0, policy::CmpOp::kEq, 0, 0, w)},
                                                                {cond(0, policy::CmpOp::kEq, 8, 0, w)},
                                                                {cond(0, policy::CmpOp::kEq, 0x20000, 0, w)},
                                                                {cond(0, policy::CmpOp::kEq, 0x20008, 0, w)},
                                                                {cond(0, policy::CmpOp::kEq, 0xffffffff, 0, w)}}));
      // mount needs CAP_SYS_ADMIN: no rule with the default capabilities.
      EXPECT_TRUE(rules_for(r, ap.arch, "mount").empty());
      // ptrace: allowed from kernel 4.8 on (syscalls[1]).
      const auto ptrace = rules_for(r, ap.arch, "ptrace");
      ASSERT_EQ(ptrace.size(), 1u);
      EXPECT_EQ(ptrace[0].source.entry, 1u);
      // clone3 answers ENOSYS without CAP_SYS_ADMIN so that libc falls back to clone.
      if (syscalls::table(ap.arch).number("clone3")) {
        const auto clone3 = rules_for(r, ap.arch, "clone3");
        ASSERT_EQ(clone3.size(), 1u);
        EXPECT_EQ(clone3[0].action, Action::Errno(38));
      }
    }
  }
}

TEST_F(DockerDefault, X86_64) {
  const Resolution r = resolve_ok(profile(), options(ArchId::kX86_64));
  EXPECT_EQ(nr(ArchId::kX86_64, "clone"), 56u);
  // clone: allowed unless it asks for a new namespace (arg0 is the flags).
  const auto clone = rules_for(r, ArchId::kX86_64, "clone");
  ASSERT_EQ(clone.size(), 1u);
  EXPECT_EQ(clone[0].action, Action::Allow());
  EXPECT_EQ(clone[0].conditions,
            std::vector<policy::ArgCondition>{cond(0, policy::CmpOp::kMaskedEq, kNamespaceFlags, 0)});
  EXPECT_EQ(clone[0].source.entry, 18u);
  // socket: every family but AF_ALG (38) and AF_VSOCK (40).
  EXPECT_EQ(
      conditions_of(rules_for(r, ArchId::kX86_64, "socket")),
      (std::vector<std::vector<policy::ArgCondition>>{
          {cond(0, policy::CmpOp::kLt, 38)}, {cond(0, policy::CmpOp::kEq, 39)}, {cond(0, policy::CmpOp::kGt, 40)}}));
  // arch_prctl and modify_ldt are x86-only entries (includes.arches amd64).
  EXPECT_EQ(rules_for(r, ArchId::kX86_64, "arch_prctl").size(), 1u);
  EXPECT_EQ(rules_for(r, ArchId::kI386, "modify_ldt").size(), 1u);
  // The ENOSYS stub: removexattrat (466) is the newest syscall the profile names.
  EXPECT_EQ(r.policy.find(ArchId::kX86_64)->enosys_above, 466u);
  EXPECT_EQ(r.policy.find(ArchId::kI386)->enosys_above, 466u);
  EXPECT_EQ(r.policy.find(ArchId::kX32)->enosys_above, 0x40000000u + 547u);  // pwritev2 (x32 547)
  // Names the x86_64 table lacks are skipped and reported.
  EXPECT_TRUE(has_note_containing(r, "unknown to x86_64 (SCMP_ARCH_X86_64) skipped: "));
}

TEST_F(DockerDefault, CapabilityGatedEntries) {
  // With CAP_SYS_ADMIN: clone and mount unconditional, clone3 allowed.
  CapSet admin = docker_default_caps();
  admin.insert("CAP_SYS_ADMIN");
  const Resolution r = resolve_ok(profile(), options(ArchId::kX86_64, admin));
  const auto clone = rules_for(r, ArchId::kX86_64, "clone");
  ASSERT_EQ(clone.size(), 1u);
  EXPECT_TRUE(clone[0].conditions.empty());
  EXPECT_EQ(clone[0].source.entry, 17u);
  EXPECT_EQ(rules_for(r, ArchId::kX86_64, "mount").size(), 1u);
  const auto clone3 = rules_for(r, ArchId::kX86_64, "clone3");
  ASSERT_EQ(clone3.size(), 1u);
  EXPECT_EQ(clone3[0].action, Action::Allow());

  // ptrace on a kernel older than 4.8: only with CAP_SYS_PTRACE (syscalls[25]).
  EXPECT_TRUE(rules_for(resolve_ok(profile(), options(ArchId::kX86_64, docker_default_caps(), {4, 4})), ArchId::kX86_64,
                        "ptrace")
                  .empty());
  CapSet ptrace = docker_default_caps();
  ptrace.insert("CAP_SYS_PTRACE");
  const auto pt = rules_for(resolve_ok(profile(), options(ArchId::kX86_64, ptrace, {4, 4})), ArchId::kX86_64, "ptrace");
  ASSERT_EQ(pt.size(), 1u);
  EXPECT_EQ(pt[0].source.entry, 25u);
  // Both entries apply on 4.8+ with the capability: two rules, both ALLOW.
  EXPECT_EQ(
      rules_for(resolve_ok(profile(), options(ArchId::kX86_64, ptrace, {4, 8})), ArchId::kX86_64, "ptrace").size(), 2u);
  // bpf needs CAP_SYS_ADMIN or CAP_BPF (two entries).
  EXPECT_TRUE(rules_for(r, ArchId::kX86_64, "bpf").size() == 1u);
  EXPECT_EQ(rules_for(resolve_ok(profile(), options(ArchId::kX86_64, {"CAP_BPF"})), ArchId::kX86_64, "bpf").size(), 1u);
  EXPECT_TRUE(rules_for(resolve_ok(profile(), options(ArchId::kX86_64, {})), ArchId::kX86_64, "bpf").empty());
}

TEST_F(DockerDefault, S390xClonesFlagsAreTheSecondArgument) {
  const Resolution r = resolve_ok(profile(), options(ArchId::kS390x));
  for (ArchId a : {ArchId::kS390x, ArchId::kS390}) {
    const auto clone = rules_for(r, a, "clone");
    ASSERT_EQ(clone.size(), 1u);
    EXPECT_EQ(clone[0].conditions, std::vector<policy::ArgCondition>{
                                       cond(1, policy::CmpOp::kMaskedEq, kNamespaceFlags, 0, literal_width(a))});
    EXPECT_EQ(clone[0].source.entry, 19u);
    EXPECT_EQ(clone[0].source.comment, "s390 parameter ordering for clone is different");
    EXPECT_EQ(r.policy.find(a)->rules.at(0)[0].action, Action::Errno(38));  // runc's setup(0) rule
  }
  EXPECT_EQ(rules_for(r, ArchId::kS390x, "s390_runtime_instr").size(), 1u);
  EXPECT_EQ(r.entries[18].filtered_by, FilterRule::kExcludesArches);
}

TEST_F(DockerDefault, Aarch64AndArm) {
  const Resolution r = resolve_ok(profile(), options(ArchId::kAarch64));
  EXPECT_EQ(rules_for(r, ArchId::kAarch64, "clone")[0].conditions,
            std::vector<policy::ArgCondition>{cond(0, policy::CmpOp::kMaskedEq, kNamespaceFlags, 0)});
  // The arm entry (includes.arches arm, arm64) applies, on both ABIs where the names exist.
  EXPECT_EQ(rules_for(r, ArchId::kArm, "cacheflush").size(), 1u);
  EXPECT_EQ(rules_for(r, ArchId::kArm, "arm_fadvise64_64").size(), 1u);
  // The entry names both arm_sync_file_range and its alias sync_file_range2: one rule.
  EXPECT_EQ(nr(ArchId::kArm, "sync_file_range2"), nr(ArchId::kArm, "arm_sync_file_range"));
  EXPECT_EQ(rules_for(r, ArchId::kArm, "arm_sync_file_range").size(), 1u);
  EXPECT_FALSE(r.policy.find(ArchId::kAarch64)->rules.count(0xf0002));
  // arm's largest named number is the private set_tls (0xf0005).
  EXPECT_EQ(r.policy.find(ArchId::kArm)->enosys_above, 0xf0005u);
  EXPECT_EQ(r.policy.find(ArchId::kAarch64)->enosys_above, 466u);
}

TEST_F(DockerDefault, Riscv64) {
  const Resolution r = resolve_ok(profile(), options(ArchId::kRiscv64));
  EXPECT_EQ(rules_for(r, ArchId::kRiscv64, "riscv_flush_icache").size(), 1u);
  EXPECT_EQ(r.policy.arches[0].enosys_above, 466u);
}

TEST_F(DockerDefault, Ppc64le) {
  const Resolution r = resolve_ok(profile(), options(ArchId::kPpc64le));
  EXPECT_TRUE(has_note_containing(r, "archMap has no entry for SCMP_ARCH_PPC64LE"));
  EXPECT_EQ(rules_for(r, ArchId::kPpc64le, "swapcontext").size(), 1u);
  EXPECT_EQ(rules_for(r, ArchId::kPpc64le, "sync_file_range2").size(), 1u);
}

TEST_F(DockerDefault, Mips64el) {
  const Resolution r = resolve_ok(profile(), options(ArchId::kMips64el));
  EXPECT_EQ(r.policy.find(ArchId::kMips64el)->enosys_above, 5466u);       // n64 numbers start at 5000
  EXPECT_EQ(r.policy.find(ArchId::kMipsel)->enosys_above, 4466u);         // o32 at 4000
  EXPECT_EQ(r.policy.find(ArchId::kMipsel64n32)->enosys_above, 6466u);    // n32 at 6000
  for (const auto& ap : r.policy.arches) EXPECT_EQ(ap.enosys_errno, 89);  // MIPS' ENOSYS
  EXPECT_EQ(rules_for(r, ArchId::kMips64el, "clone")[0].conditions,
            std::vector<policy::ArgCondition>{cond(0, policy::CmpOp::kMaskedEq, kNamespaceFlags, 0)});
}

TEST(ContainersCommon, SocketAndErrnoNames) {
  const Profile p = parse(testing::read_data_file(testing::kContainersCommon), "containers-common");
  const Resolution r = resolve_ok(p, options(ArchId::kX86_64));
  const policy::ArchPolicy& ap = r.policy.arches[0];
  // defaultErrno "ENOSYS" wins over defaultErrnoRet; then no ENOSYS stub is needed.
  EXPECT_EQ(ap.default_action, Action::Errno(38));
  EXPECT_FALSE(ap.enosys_above);
  // With CAP_AUDIT_WRITE (a Docker default): socket is ALLOW except AF_VSOCK, which is EPERM.
  const auto socket = rules_for(r, ArchId::kX86_64, "socket");
  ASSERT_EQ(socket.size(), 2u);
  EXPECT_EQ(socket[0].action, Action::Errno(1));
  EXPECT_EQ(socket[0].conditions, std::vector<policy::ArgCondition>{cond(0, policy::CmpOp::kEq, 40)});
  EXPECT_EQ(socket[1].action, Action::Allow());
  EXPECT_EQ(socket[1].conditions, std::vector<policy::ArgCondition>{cond(0, policy::CmpOp::kNe, 40)});
  // Without it: netlink audit sockets fail with EINVAL.
  const auto bare = rules_for(resolve_ok(p, options(ArchId::kX86_64, {})), ArchId::kX86_64, "socket");
  ASSERT_EQ(bare.size(), 4u);
  EXPECT_EQ(bare[1].action, Action::Errno(22));
  EXPECT_EQ(bare[1].conditions,
            (std::vector<policy::ArgCondition>{cond(0, policy::CmpOp::kEq, 16), cond(2, policy::CmpOp::kEq, 9)}));
  EXPECT_EQ(bare[2].action, Action::Allow());
  EXPECT_EQ(bare[3].conditions, std::vector<policy::ArgCondition>{cond(0, policy::CmpOp::kNe, 16)});
  // Explicit EPERM entries (errno "EPERM") differ from the ENOSYS default, so they are rules.
  const auto kexec = rules_for(r, ArchId::kX86_64, "kexec_file_load");
  ASSERT_EQ(kexec.size(), 1u);
  EXPECT_EQ(kexec[0].action, Action::Errno(1));
}

TEST(ContainersCommon, ResolvesOnSixArchitectures) {
  const Profile p = parse(testing::read_data_file(testing::kContainersCommon), "containers-common");
  for (ArchId a :
       {ArchId::kX86_64, ArchId::kAarch64, ArchId::kRiscv64, ArchId::kPpc64le, ArchId::kS390x, ArchId::kMips64el}) {
    SCOPED_TRACE(syscalls::arch(a).name);
    const Resolution r = resolve_ok(p, options(a));
    ASSERT_FALSE(r.policy.arches.empty());
    EXPECT_EQ(r.policy.arches[0].arch, a);
    // The default is the native ENOSYS (89 on MIPS).
    EXPECT_EQ(r.policy.arches[0].default_action, Action::Errno(a == ArchId::kMips64el ? 89 : 38));
    EXPECT_EQ(rules_for(r, a, "personality").size(), 5u);
    EXPECT_EQ(rules_for(r, a, "read").size(), 1u);
  }
}

}  // namespace
}  // namespace sysfence::profile
