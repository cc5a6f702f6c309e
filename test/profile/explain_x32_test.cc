// explain's decision for a number given on x86_64 (or x32) is the compiled
// filter's answer for that seccomp_data.nr under AUDIT_ARCH_X86_64: the
// numbers 0x40000000..0xfffffffe are x32's (when the filter has no x32, its
// bad-arch answer or runc's bit-30 ENOSYS stub), -1 is x86_64's. The filter
// is compiled from the same resolution and run in the interpreter.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "bpf/interp.h"
#include "compiler/compile.h"
#include "profile/builtin.h"
#include "profile/explain.h"
#include "profile/reader.h"
#include "profile/resolve.h"
#include "syscalls/arch.h"

namespace sysfence::profile {
namespace {

using syscalls::ArchId;

struct Case {
  Profile profile;
  ResolveOptions options;
  Resolution resolution;
  bpf::Program program;
};

Case prepare(std::string_view text, ArchId native) {
  Case c;
  auto r = read_profile(text, "p.json");
  EXPECT_TRUE(r) << (r ? "" : r.error().message);
  if (r) c.profile = r->profile;
  c.options.native = native;
  c.options.kernel = {6, 12};
  auto res = resolve(c.profile, c.options);
  EXPECT_TRUE(res) << (res ? "" : res.error().message);
  if (!res) return c;
  c.resolution = *res;
  auto compiled = compiler::compile(c.resolution.policy, {});
  EXPECT_TRUE(compiled) << (compiled ? "" : compiled.error().message);
  if (compiled) c.program = compiled->program;
  return c;
}

// x32's table and a little past it, every bit-30/bit-31 boundary, and a
// stride through the rest of the upper half.
std::vector<uint32_t> x32_range_numbers() {
  std::vector<uint32_t> out;
  for (uint32_t n = 0x40000000U; n < 0x40000000U + 600; ++n) out.push_back(n);
  for (uint32_t n : {0x3fffffffU, 0x7fffffffU, 0x80000000U, 0xbfffffffU, 0xc0000000U, 0xfffffffeU, 0xffffffffU})
    out.push_back(n);
  for (uint64_t n = 0x40000000ULL; n <= 0xffffffffULL; n += 0x01234567ULL) out.push_back(static_cast<uint32_t>(n));
  return out;
}

// explain's constant decision for each number (as text and as JSON) against
// the filter; returns how many were compared.
size_t expect_explain_matches_filter(const Case& c, const std::vector<uint32_t>& numbers) {
  auto interp = bpf::Interpreter::create(c.program);
  EXPECT_TRUE(interp) << (interp ? "" : interp.error().message);
  if (!interp) return 0;
  size_t compared = 0;
  for (uint32_t nr : numbers) {
    const std::string query = fmt::format("0x{:x}", nr);
    auto doc = explain_json(c.profile, c.resolution, c.options, query);
    EXPECT_TRUE(doc) << query << ": " << (doc ? "" : doc.error().message);
    if (!doc) continue;
    const auto& decision = doc->at("decision").as_object();
    if (!decision.at("constant").as_bool()) continue;  // the arguments decide; zero arguments prove nothing
    SeccompData d;
    d.arch = syscalls::arch(ArchId::kX86_64).audit_arch;
    d.nr = nr;
    const bpf::RunResult got = interp->run(d, Endian::kLittle);
    const uint64_t said = decision.at("action").at("value").to_number<uint64_t>();
    EXPECT_EQ(said, got.ret) << query << ": explain says " << decision.at("description").as_string()
                             << ", the filter answers " << to_string(got.action());
    const std::string text(doc->at("text").as_string());
    EXPECT_NE(text.find(fmt::format("decision: {}", describe_action(got.action(), ArchId::kX86_64))), std::string::npos)
        << query << "\n"
        << text;
    ++compared;
  }
  return compared;
}

TEST(ExplainX32, NumbersOnX86_64AreX32sWhenTheFilterHasX32) {
  const Case c = prepare(builtin_default_profile_json(), ArchId::kX86_64);
  EXPECT_GT(expect_explain_matches_filter(c, x32_range_numbers()), 600U);
  auto read = explain_syscall(c.profile, c.resolution, c.options, "0x40000000");
  ASSERT_TRUE(read) << read.error().message;
  EXPECT_NE(read->find("x32 read (0x40000000 on AUDIT_ARCH_X86_64)"), std::string::npos) << *read;
  EXPECT_NE(read->find("decision: ALLOW"), std::string::npos) << *read;
  // -1, a tracer's skipped call, stays x86_64's.
  auto skipped = explain_json(c.profile, c.resolution, c.options, "0xffffffff");
  ASSERT_TRUE(skipped) << skipped.error().message;
  EXPECT_EQ(skipped->at("abi").as_string(), "x86_64");
}

// Without x32 the x32 range is the bad-arch answer, except where runc's stub
// (bit 30 clear: 0x80000000..0xbfffffff) answers ENOSYS first.
TEST(ExplainX32, NumbersOnX86_64WithoutX32AreTheFiltersBadArchOrStubAnswer) {
  const Case c = prepare(R"({"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_X86_64"],
      "syscalls": [{"names": ["read", "write"], "action": "SCMP_ACT_ALLOW"}]})",
                         ArchId::kX86_64);
  EXPECT_EQ(expect_explain_matches_filter(c, x32_range_numbers()), x32_range_numbers().size());
  auto x32_read = explain_json(c.profile, c.resolution, c.options, "0x40000000");
  ASSERT_TRUE(x32_read) << x32_read.error().message;
  EXPECT_FALSE(x32_read->at("in_filter").as_bool());
  EXPECT_EQ(x32_read->at("abi").as_string(), "x32");
  EXPECT_EQ(x32_read->at("decision").at("why").as_string(), "bad_arch");
  auto stub = explain_json(c.profile, c.resolution, c.options, "0x80000000");
  ASSERT_TRUE(stub) << stub.error().message;
  EXPECT_EQ(stub->at("decision").at("why").as_string(), "enosys");
}

// On x32 the numbers below 0x40000000 are x86_64's, which the filter lacks.
TEST(ExplainX32, LowNumbersOnX32AreX86_64s) {
  const Case c = prepare(builtin_default_profile_json(), ArchId::kX32);
  std::vector<uint32_t> numbers = x32_range_numbers();
  for (uint32_t n = 0; n < 600; ++n) numbers.push_back(n);
  EXPECT_GT(expect_explain_matches_filter(c, numbers), 1000U);
  auto low = explain_json(c.profile, c.resolution, c.options, "0");
  ASSERT_TRUE(low) << low.error().message;
  EXPECT_EQ(low->at("abi").as_string(), "x86_64");
  EXPECT_EQ(low->at("decision").at("why").as_string(), "bad_arch");
}

}  // namespace
}  // namespace sysfence::profile
