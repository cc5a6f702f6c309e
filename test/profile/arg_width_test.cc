// ABI-faithful argument widths in resolution: ArgWidthMode::kAbi
// gives each condition the width the kernel reads on that ABI, k64 keeps
// Docker's 64-bit comparisons; constants wider than the argument are
// warnings naming the rule.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "policy/policy.h"
#include "profile/builtin.h"
#include "profile/load.h"
#include "profile/reader.h"
#include "profile/resolve.h"
#include "syscalls/arg_widths.h"
#include "syscalls/table.h"

namespace sysfence::profile {
namespace {

using syscalls::ArchId;

constexpr uint32_t kAuditX86_64 = 0xc000003e;
constexpr uint32_t kAuditI386 = 0x40000003;
constexpr uint32_t kX32Bit = 0x40000000;

ResolveOptions options(ArchId native, ArgWidthMode mode) {
  ResolveOptions o;
  o.native = native;
  o.caps = docker_default_caps();
  o.kernel = {6, 18};
  o.arg_width = mode;
  return o;
}

Resolution resolve_default(ArchId native, ArgWidthMode mode) {
  auto read = read_builtin_default();
  EXPECT_TRUE(read) << read.error().message;
  auto r = resolve(read->profile, options(native, mode));
  EXPECT_TRUE(r) << r.error().message;
  return std::move(*r);
}

Resolution resolve_text(std::string_view text, ArchId native, ArgWidthMode mode) {
  auto read = read_profile(text, "t.json");
  EXPECT_TRUE(read) << read.error().message;
  auto r = resolve(read->profile, options(native, mode));
  EXPECT_TRUE(r) << r.error().message;
  return std::move(*r);
}

uint32_t nr(ArchId arch, std::string_view name) {
  auto n = syscalls::table(arch).number(name);
  EXPECT_TRUE(n) << name;
  return n.value_or(0);
}

// Every width of every condition of `name`'s rules on `arch`.
std::vector<policy::ArgWidth> widths(const Resolution& r, ArchId arch, std::string_view name) {
  std::vector<policy::ArgWidth> out;
  const policy::ArchPolicy* ap = r.policy.find(arch);
  EXPECT_NE(ap, nullptr);
  if (ap == nullptr) return out;
  auto it = ap->rules.find(nr(arch, name));
  EXPECT_NE(it, ap->rules.end()) << name;
  if (it == ap->rules.end()) return out;
  for (const policy::Rule& rule : it->second)
    for (const policy::ArgCondition& c : rule.conditions) out.push_back(c.width);
  return out;
}

bool all_are(const std::vector<policy::ArgWidth>& w, policy::ArgWidth x) {
  return !w.empty() && std::all_of(w.begin(), w.end(), [&](policy::ArgWidth v) { return v == x; });
}

SeccompData data(uint32_t arch, uint32_t nr, std::array<uint64_t, 6> args = {}) {
  SeccompData d;
  d.arch = arch;
  d.nr = nr;
  d.args = args;
  return d;
}

TEST(ArgWidthMode, DockerDefaultWidthsFollowTheKernel) {
  const Resolution r = resolve_default(ArchId::kX86_64, ArgWidthMode::kAbi);
  // socket(int family, ...): 32-bit on every ABI of the filter.
  EXPECT_TRUE(all_are(widths(r, ArchId::kX86_64, "socket"), policy::ArgWidth::k32));
  EXPECT_TRUE(all_are(widths(r, ArchId::kX32, "socket"), policy::ArgWidth::k32));
  EXPECT_TRUE(all_are(widths(r, ArchId::kI386, "socket"), policy::ArgWidth::k32));
  // personality(unsigned int): 32-bit.
  EXPECT_TRUE(all_are(widths(r, ArchId::kX86_64, "personality"), policy::ArgWidth::k32));
  // clone(unsigned long clone_flags, ...): 64-bit on x86_64, a 32-bit
  // register on i386.
  EXPECT_TRUE(all_are(widths(r, ArchId::kX86_64, "clone"), policy::ArgWidth::k64));
  EXPECT_TRUE(all_are(widths(r, ArchId::kI386, "clone"), policy::ArgWidth::k32));
}

// libseccomp's literal comparison: all 64 bits on x86_64, the low word on
// i386 and x32 (the ABIs libseccomp builds as 32-bit).
TEST(ArgWidthMode, SixtyFourKeepsEveryComparisonLiteral) {
  const Resolution r = resolve_default(ArchId::kX86_64, ArgWidthMode::k64);
  for (const policy::ArchPolicy& ap : r.policy.arches) {
    const policy::ArgWidth want = ap.arch == ArchId::kX86_64 ? policy::ArgWidth::k64 : policy::ArgWidth::k32;
    for (const auto& [n, rules] : ap.rules)
      for (const policy::Rule& rule : rules)
        for (const policy::ArgCondition& c : rule.conditions) EXPECT_EQ(c.width, want) << n;
  }
  EXPECT_EQ(condition_width(ArgWidthMode::k64, ArchId::kI386, 0, 0), policy::ArgWidth::k32);
  EXPECT_EQ(condition_width(ArgWidthMode::k64, ArchId::kX32, 0x40000000, 0), policy::ArgWidth::k32);
  EXPECT_EQ(condition_width(ArgWidthMode::k64, ArchId::kMips64n32, 6000, 0), policy::ArgWidth::k32);
  EXPECT_EQ(condition_width(ArgWidthMode::k64, ArchId::kAarch64, 0, 0), policy::ArgWidth::k64);
}

TEST(ArgWidthMode, IsTheDefault) { EXPECT_EQ(ResolveOptions{}.arg_width, ArgWidthMode::kAbi); }

// The hole ABI widths close: socket(0x1_0000_0026, ...) is AF_ALG to the kernel.
TEST(ArgWidthMode, SocketHighWordCannotSmuggleAfAlg) {
  const uint64_t af_alg_with_high_word = 0x100000026ULL;
  const Resolution abi = resolve_default(ArchId::kX86_64, ArgWidthMode::kAbi);
  const Resolution wide = resolve_default(ArchId::kX86_64, ArgWidthMode::k64);
  const uint32_t socket = nr(ArchId::kX86_64, "socket");
  EXPECT_EQ(evaluate(abi.policy, data(kAuditX86_64, socket, {af_alg_with_high_word, 5})).action, Action::Errno(1));
  EXPECT_EQ(evaluate(wide.policy, data(kAuditX86_64, socket, {af_alg_with_high_word, 5})).action, Action::Allow());
  // Both agree where the high word is clear.
  for (uint64_t family : {2ULL, 38ULL, 39ULL, 40ULL, 41ULL}) {
    EXPECT_EQ(evaluate(abi.policy, data(kAuditX86_64, socket, {family})).action,
              evaluate(wide.policy, data(kAuditX86_64, socket, {family})).action)
        << family;
  }
  // x32 and i386 too. The 64-bit mode compares x32's low word, as libseccomp
  // does on the ABIs it builds as 32-bit: no hole there either.
  const uint32_t x32_socket = nr(ArchId::kX32, "socket");
  EXPECT_EQ(x32_socket & kX32Bit, kX32Bit);
  EXPECT_EQ(evaluate(abi.policy, data(kAuditX86_64, x32_socket, {af_alg_with_high_word})).action, Action::Errno(1));
  EXPECT_EQ(evaluate(wide.policy, data(kAuditX86_64, x32_socket, {af_alg_with_high_word})).action, Action::Errno(1));
  // i386 socket goes through socketcall or socket (359); the latter is in the table.
  const uint32_t i386_socket = nr(ArchId::kI386, "socket");
  EXPECT_EQ(evaluate(abi.policy, data(kAuditI386, i386_socket, {af_alg_with_high_word})).action, Action::Errno(1));
}

TEST(ArgWidthMode, PersonalityQueryMatchesWhateverTheHighWordHolds) {
  // personality(0xffffffff) is the query; the kernel reads an unsigned int,
  // so a sign-extended -1 is the same call.
  const Resolution abi = resolve_default(ArchId::kX86_64, ArgWidthMode::kAbi);
  const uint32_t personality = nr(ArchId::kX86_64, "personality");
  EXPECT_EQ(evaluate(abi.policy, data(kAuditX86_64, personality, {0xffffffffffffffffULL})).action, Action::Allow());
  EXPECT_EQ(evaluate(abi.policy, data(kAuditX86_64, personality, {0x400000})).action, Action::Errno(1));
}

TEST(ConditionWidth, FallsBackToTheRegisterWidth) {
  // A number no table knows: nothing is known, the register decides.
  EXPECT_EQ(condition_width(ArgWidthMode::kAbi, ArchId::kX86_64, 100000, 0), policy::ArgWidth::k64);
  EXPECT_EQ(condition_width(ArgWidthMode::kAbi, ArchId::kI386, 100000, 0), policy::ArgWidth::k32);
  // An argument the kernel does not read (getpid takes none).
  EXPECT_EQ(condition_width(ArgWidthMode::kAbi, ArchId::kX86_64, nr(ArchId::kX86_64, "getpid"), 0),
            policy::ArgWidth::k64);
  EXPECT_EQ(condition_width(ArgWidthMode::kAbi, ArchId::kArm, nr(ArchId::kArm, "getpid"), 0), policy::ArgWidth::k32);
  // Read arguments: read(unsigned int fd, char *buf, size_t count).
  const uint32_t read = nr(ArchId::kX86_64, "read");
  EXPECT_EQ(condition_width(ArgWidthMode::kAbi, ArchId::kX86_64, read, 0), policy::ArgWidth::k32);
  EXPECT_EQ(condition_width(ArgWidthMode::kAbi, ArchId::kX86_64, read, 1), policy::ArgWidth::k64);
  EXPECT_EQ(condition_width(ArgWidthMode::kAbi, ArchId::kX86_64, read, 2), policy::ArgWidth::k64);
  EXPECT_EQ(condition_width(ArgWidthMode::k64, ArchId::kX86_64, read, 0), policy::ArgWidth::k64);
  // Agrees with the generated data wherever the kernel reads the argument.
  for (const auto& info : syscalls::arg_infos(ArchId::kAarch64)) {
    if (!info.known) continue;
    for (unsigned i = 0; i < info.count; ++i)
      EXPECT_EQ(condition_width(ArgWidthMode::kAbi, ArchId::kAarch64, info.nr, i),
                info.low_word_only(i) ? policy::ArgWidth::k32 : policy::ArgWidth::k64)
          << info.name << " arg" << i;
  }
}

TEST(FitsInBits, ZeroAndSignExtensionFit) {
  EXPECT_TRUE(fits_in_bits(0, 32));
  EXPECT_TRUE(fits_in_bits(0xffffffffULL, 32));          // zero-extended
  EXPECT_TRUE(fits_in_bits(0xffffffff80000000ULL, 32));  // sign-extended INT_MIN
  EXPECT_TRUE(fits_in_bits(0xffffffffffffffffULL, 32));  // -1
  EXPECT_FALSE(fits_in_bits(0x100000000ULL, 32));
  EXPECT_FALSE(fits_in_bits(0x100000026ULL, 32));
  EXPECT_FALSE(fits_in_bits(0xffffffff7fffffffULL, 32));  // not a sign extension
  EXPECT_FALSE(fits_in_bits(0x8000000000000000ULL, 32));
  EXPECT_TRUE(fits_in_bits(0xffff, 16));
  EXPECT_TRUE(fits_in_bits(0xffffffffffff8000ULL, 16));
  EXPECT_FALSE(fits_in_bits(0x10000, 16));
  EXPECT_TRUE(fits_in_bits(0x8000000000000000ULL, 64));
}

constexpr std::string_view kWideSocket = R"({
  "defaultAction": "SCMP_ACT_ERRNO",
  "archMap": [{"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86", "SCMP_ARCH_X32"]}],
  "syscalls": [
    {"names": ["socket", "socketpair"], "action": "SCMP_ACT_ALLOW",
     "args": [{"index": 0, "value": 4294967334, "op": "SCMP_CMP_EQ"}]},
    {"names": ["read"], "action": "SCMP_ACT_ALLOW",
     "args": [{"index": 0, "value": 18446744073709551615, "op": "SCMP_CMP_NE"},
              {"index": 2, "value": 4294967296, "op": "SCMP_CMP_LT"}]},
    {"names": ["clone"], "action": "SCMP_ACT_ALLOW",
     "args": [{"index": 0, "value": 4294967296, "valueTwo": 0, "op": "SCMP_CMP_MASKED_EQ"}]},
    {"names": ["chmod"], "action": "SCMP_ACT_ALLOW",
     "args": [{"index": 1, "value": 65536, "op": "SCMP_CMP_EQ"}]}
  ]
})";

const Warning* find_warning(const Resolution& r, std::string_view syscall) {
  for (const auto& w : r.warnings)
    if (w.syscall == syscall) return &w;
  return nullptr;
}

TEST(Warnings, NameTheRuleTheSyscallAndTheAbis) {
  const Resolution r = resolve_text(kWideSocket, ArchId::kX86_64, ArgWidthMode::kAbi);
  const Warning* socket = find_warning(r, "socket");
  ASSERT_NE(socket, nullptr);
  EXPECT_EQ(socket->rule.file, "t.json");
  EXPECT_EQ(socket->rule.line, 5u);
  EXPECT_EQ(socket->rule.entry, 0u);
  EXPECT_EQ(socket->pos.line, 6u);
  EXPECT_EQ(socket->arg, 0);
  EXPECT_EQ(socket->bits, 32u);
  EXPECT_EQ(socket->constant, 0x100000026ULL);
  EXPECT_EQ(socket->arg_decl, "int family");
  EXPECT_EQ(socket->compared, policy::ArgWidth::k32);
  // One warning for the three ABIs of the filter.
  EXPECT_EQ(socket->arches, (std::vector<ArchId>{ArchId::kX86_64, ArchId::kI386, ArchId::kX32}));
  EXPECT_NE(socket->message.find("t.json:6:"), std::string::npos) << socket->message;
  EXPECT_NE(socket->message.find(": syscalls[0]: "), std::string::npos) << socket->message;
  EXPECT_NE(socket->message.find("socket argument 0 (int family) is 32-bit on x86_64, i386, x32: constant "
                                 "0x100000026 does not fit the argument's width"),
            std::string::npos)
      << socket->message;
  // No int is 0x100000026: the rule matches no call (not family 38).
  EXPECT_EQ(socket->reading, NarrowReading::kNever);
  EXPECT_NE(socket->message.find("no 32-bit value is == it, so the condition never holds"), std::string::npos)
      << socket->message;
  // The entry's second name is its own warning.
  EXPECT_NE(find_warning(r, "socketpair"), nullptr);
}

TEST(Warnings, OnlyWhereTheConstantDoesNotFit) {
  const Resolution r = resolve_text(kWideSocket, ArchId::kX86_64, ArgWidthMode::kAbi);
  // read: fd != -1 fits (sign extension); count < 2^32 is a size_t (64-bit
  // on x86_64/x32) but a 32-bit register on i386.
  const Warning* read = find_warning(r, "read");
  ASSERT_NE(read, nullptr);
  EXPECT_EQ(read->arg, 2);
  EXPECT_EQ(read->arches, std::vector<ArchId>{ArchId::kI386});
  // clone's mask 2^32: clone_flags is unsigned long — fine on x86_64, not on i386.
  const Warning* clone = find_warning(r, "clone");
  ASSERT_NE(clone, nullptr);
  EXPECT_EQ(clone->arches, std::vector<ArchId>{ArchId::kI386});
  EXPECT_EQ(clone->constant, 0x100000000ULL);
  // chmod(const char *, umode_t mode): the kernel reads 16 bits.
  const Warning* chmod = find_warning(r, "chmod");
  ASSERT_NE(chmod, nullptr);
  EXPECT_EQ(chmod->bits, 16u);
  EXPECT_NE(chmod->message.find("is 16-bit on"), std::string::npos) << chmod->message;
  size_t n_read = 0;
  for (const auto& w : r.warnings) n_read += w.syscall == "read";
  EXPECT_EQ(n_read, 1u);
}

TEST(Warnings, AlsoInSixtyFourBitMode) {
  const Resolution r = resolve_text(kWideSocket, ArchId::kX86_64, ArgWidthMode::k64);
  const Warning* socket = find_warning(r, "socket");
  ASSERT_NE(socket, nullptr);
  EXPECT_EQ(socket->compared, policy::ArgWidth::k64);
  EXPECT_NE(socket->message.find("--arg-width=64"), std::string::npos) << socket->message;
  // x86_64 compares all 64 bits there, libseccomp only the low word on
  // i386 and x32: a warning each, each saying what its ABIs compare.
  EXPECT_EQ(socket->arches, std::vector<ArchId>{ArchId::kX86_64});
  const Warning* narrow = nullptr;
  for (const Warning& w : r.warnings)
    if (w.syscall == "socket" && &w != socket) narrow = &w;
  ASSERT_NE(narrow, nullptr);
  EXPECT_EQ(narrow->compared, policy::ArgWidth::k32);
  EXPECT_EQ(narrow->arches, (std::vector<ArchId>{ArchId::kI386, ArchId::kX32}));
  EXPECT_NE(narrow->message.find("is 32-bit on i386, x32: constant 0x100000026 does not fit the argument's width; the "
                                 "filter compares only its low 32 bits (0x26)"),
            std::string::npos)
      << narrow->message;
}

TEST(Warnings, NoneForDockersDefaultProfile) {
  for (ArchId a : {ArchId::kX86_64, ArchId::kAarch64, ArchId::kS390x, ArchId::kMips64el, ArchId::kPpc64le}) {
    const Resolution r = resolve_default(a, ArgWidthMode::kAbi);
    EXPECT_TRUE(r.warnings.empty()) << syscalls::arch(a).name << ": " << r.warnings.front().message;
  }
}

// What --arg-width abi takes a condition on a 32-bit argument to say, as
// facts: the kernel reads a 32-bit value, which no constant above 2^32 - 1
// (not a sign extension) reaches.
TEST(NarrowReading, ConstantsNoThirtyTwoBitValueReachesDecideTheCondition) {
  using policy::CmpOp;
  constexpr uint64_t k2to32 = 0x100000000ULL;
  EXPECT_EQ(narrow_reading(CmpOp::kGe, k2to32, 0), NarrowReading::kNever);
  EXPECT_EQ(narrow_reading(CmpOp::kGt, k2to32, 0), NarrowReading::kNever);
  EXPECT_EQ(narrow_reading(CmpOp::kEq, 0x100000026ULL, 0), NarrowReading::kNever);
  EXPECT_EQ(narrow_reading(CmpOp::kLt, k2to32, 0), NarrowReading::kAlways);
  EXPECT_EQ(narrow_reading(CmpOp::kLe, 0xffffffff7fffffffULL, 0), NarrowReading::kAlways);
  EXPECT_EQ(narrow_reading(CmpOp::kNe, k2to32, 0), NarrowReading::kAlways);
  // Zero- and sign-extensions of a 32-bit value are that value.
  EXPECT_EQ(narrow_reading(CmpOp::kGe, 0xffffffffULL, 0), NarrowReading::kLowWord);
  EXPECT_EQ(narrow_reading(CmpOp::kLt, 0xffffffff80000000ULL, 0), NarrowReading::kLowWord);
  EXPECT_EQ(narrow_reading(CmpOp::kEq, 0xffffffffffffffffULL, 0), NarrowReading::kLowWord);
  // MASKED_EQ: datum & mask is what is compared; the mask's high word alone
  // decides nothing.
  EXPECT_EQ(narrow_reading(CmpOp::kMaskedEq, 0xffffffff000000ffULL, 0x5), NarrowReading::kLowWord);
  EXPECT_EQ(narrow_reading(CmpOp::kMaskedEq, 0xff, 0x1000000ffULL), NarrowReading::kLowWord);
  EXPECT_EQ(narrow_reading(CmpOp::kMaskedEq, k2to32, k2to32), NarrowReading::kNever);
  EXPECT_EQ(narrow_reading(CmpOp::kMaskedEq, ~0ULL, 0x100000005ULL), NarrowReading::kNever);
  EXPECT_EQ(narrow_reading(CmpOp::kMaskedEq, ~0ULL, ~0ULL), NarrowReading::kLowWord);
}

std::string one_rule(std::string_view syscall, std::string_view action, std::string_view default_action,
                     std::string_view args) {
  return fmt::format(R"({{"defaultAction": "{}", "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"],
    "syscalls": [{{"names": ["{}"], "action": "{}", "args": [{}]}}]}})",
                     default_action, syscall, action, args);
}

// socket ERRNO if family >= 2^32: the kernel never sees such a family, so
// no call is denied (the low word 0 compared with >= would deny them all).
TEST(ArgWidthMode, AnOrderedConstantAboveEveryThirtyTwoBitValueMatchesNoCall) {
  const std::string text =
      one_rule("socket", "SCMP_ACT_ERRNO", "SCMP_ACT_ALLOW", R"({"index": 0, "value": 4294967296, "op": "SCMP_CMP_GE"})");
  const Resolution abi = resolve_text(text, ArchId::kX86_64, ArgWidthMode::kAbi);
  const uint32_t socket = nr(ArchId::kX86_64, "socket");
  for (uint64_t family : {0ULL, 2ULL, 0xffffffffULL, 0x100000002ULL})
    EXPECT_EQ(evaluate(abi.policy, data(kAuditX86_64, socket, {family, 1})).action, Action::Allow()) << family;
  EXPECT_FALSE(abi.policy.find(ArchId::kX86_64)->rules.contains(socket));
  EXPECT_EQ(evaluate(abi.policy, data(kAuditI386, nr(ArchId::kI386, "socket"), {2})).action, Action::Allow());
  const Warning* w = find_warning(abi, "socket");
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->reading, NarrowReading::kNever);
  EXPECT_NE(w->message.find("the condition never holds and the rule matches no call"), std::string::npos)
      << w->message;
  // --arg-width 64: libseccomp's literal comparison, unchanged.
  const Resolution wide = resolve_text(text, ArchId::kX86_64, ArgWidthMode::k64);
  EXPECT_EQ(evaluate(wide.policy, data(kAuditX86_64, socket, {2})).action, Action::Allow());
  EXPECT_EQ(evaluate(wide.policy, data(kAuditX86_64, socket, {0x100000002ULL})).action, Action::Errno(1));
  EXPECT_EQ(find_warning(wide, "socket")->reading, NarrowReading::kLowWord);
}

// A condition every 32-bit value satisfies leaves the rule without it: an
// ALLOW rule "family < 2^32" allows every socket call (not none of them).
TEST(ArgWidthMode, AConditionEveryThirtyTwoBitValueSatisfiesIsDropped) {
  const Resolution allow = resolve_text(
      one_rule("socket", "SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", R"({"index": 0, "value": 4294967296, "op": "SCMP_CMP_LT"})"),
      ArchId::kX86_64, ArgWidthMode::kAbi);
  const uint32_t socket = nr(ArchId::kX86_64, "socket");
  for (uint64_t family : {0ULL, 2ULL, 0xffffffffULL, 0x100000002ULL})
    EXPECT_EQ(evaluate(allow.policy, data(kAuditX86_64, socket, {family})).action, Action::Allow()) << family;
  const policy::RuleList& rules = allow.policy.find(ArchId::kX86_64)->rules.at(socket);
  ASSERT_EQ(rules.size(), 1u);
  EXPECT_TRUE(rules.begin()->conditions.empty());
  EXPECT_EQ(find_warning(allow, "socket")->reading, NarrowReading::kAlways);
  // Beside another condition, that one still decides.
  const Resolution deny = resolve_text(one_rule("socket", "SCMP_ACT_ERRNO", "SCMP_ACT_ALLOW",
                                                R"({"index": 0, "value": 4294967296, "op": "SCMP_CMP_NE"},
                                                   {"index": 1, "value": 3, "op": "SCMP_CMP_EQ"})"),
                                       ArchId::kX86_64, ArgWidthMode::kAbi);
  EXPECT_EQ(evaluate(deny.policy, data(kAuditX86_64, socket, {0x100000000ULL, 3})).action, Action::Errno(1));
  EXPECT_EQ(evaluate(deny.policy, data(kAuditX86_64, socket, {2, 1})).action, Action::Allow());
  EXPECT_EQ(deny.policy.find(ArchId::kX86_64)->rules.at(socket).begin()->conditions.size(), 1u);
}

// On i386 every argument is 32-bit: clone's flags too.
TEST(ArgWidthMode, AMaskedDatumAboveTheLowWordMatchesNoCall) {
  const Resolution r = resolve_text(one_rule("clone", "SCMP_ACT_ERRNO", "SCMP_ACT_ALLOW",
                                             R"({"index": 0, "value": 4294967296, "valueTwo": 4294967296,
                                                 "op": "SCMP_CMP_MASKED_EQ"})"),
                                    ArchId::kX86_64, ArgWidthMode::kAbi);
  const uint32_t clone32 = nr(ArchId::kI386, "clone");
  EXPECT_EQ(evaluate(r.policy, data(kAuditI386, clone32, {0})).action, Action::Allow());
  EXPECT_FALSE(r.policy.find(ArchId::kI386)->rules.contains(clone32));
  // x86_64's clone_flags is 64-bit: the rule stands there.
  const uint32_t clone64 = nr(ArchId::kX86_64, "clone");
  EXPECT_EQ(evaluate(r.policy, data(kAuditX86_64, clone64, {0x100000000ULL})).action, Action::Errno(1));
  EXPECT_EQ(evaluate(r.policy, data(kAuditX86_64, clone64, {0})).action, Action::Allow());
}

// A rule that matches no call conflicts with none: the conflict warnings
// read the rules as the filter does.
TEST(ArgWidthMode, ARuleThatMatchesNoCallConflictsWithNone) {
  constexpr std::string_view text = R"({"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64"],
    "syscalls": [
      {"names": ["socket"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": 4294967296, "op": "SCMP_CMP_GE"}]},
      {"names": ["socket"], "action": "SCMP_ACT_TRAP", "args": [{"index": 0, "value": 2, "op": "SCMP_CMP_EQ"}]}]})";
  const Resolution abi = resolve_text(text, ArchId::kX86_64, ArgWidthMode::kAbi);
  const uint32_t socket = nr(ArchId::kX86_64, "socket");
  EXPECT_EQ(evaluate(abi.policy, data(kAuditX86_64, socket, {2})).action, Action::Trap());
  EXPECT_EQ(evaluate(abi.policy, data(kAuditX86_64, socket, {3})).action, Action::Allow());
  EXPECT_EQ(abi.policy.find(ArchId::kX86_64)->rules.at(socket).size(), 1u);
  for (const Warning& w : abi.warnings) EXPECT_NE(w.kind, WarningKind::kRuleConflict) << w.message;
}

}  // namespace
}  // namespace sysfence::profile
