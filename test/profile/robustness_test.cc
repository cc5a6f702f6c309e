// Bad input never crashes the reader or the resolver: every truncation of a
// real profile, random byte edits, hostile shapes. Each case must end in a
// value or an Error whose message names the input.
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>

#include "profile/reader.h"
#include "profile/resolve.h"
#include "test/profile/test_files.h"

namespace sysfence::profile {
namespace {

// Reads `text`; when it reads, resolves it for x86_64 as well.
void exercise(const std::string& text) {
  auto r = read_profile(text, "fuzz.json");
  if (!r) {
    EXPECT_EQ(r.error().message.rfind("fuzz.json", 0), 0u) << r.error().message;
    return;
  }
  ResolveOptions o;
  o.native = syscalls::ArchId::kX86_64;
  o.caps = docker_default_caps();
  auto res = resolve(r->profile, o);
  if (!res) {
    EXPECT_FALSE(res.error().message.empty());
  }
}

TEST(Robustness, EveryTruncationOfTheSeedExample) {
  const std::string text = testing::read_data_file(testing::kSeedExample);
  for (size_t n = 0; n <= text.size(); ++n) exercise(text.substr(0, n));
}

TEST(Robustness, RandomByteEditsOfContainersCommon) {
  const std::string base = testing::read_data_file(testing::kContainersCommon);
  std::mt19937_64 rng(20260101);  // fixed seed: reproducible
  const char alphabet[] = "{}[]\":,0123456789-.eE \\ntruefalsnul\x01\xff";
  for (int iter = 0; iter < 300; ++iter) {
    std::string text = base;
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      const size_t at = rng() % text.size();
      switch (rng() % 3) {
        case 0: text[at] = alphabet[rng() % (sizeof alphabet - 1)]; break;
        case 1: text.erase(at, 1 + rng() % 8); break;
        default: text.insert(at, 1, alphabet[rng() % (sizeof alphabet - 1)]); break;
      }
      if (text.empty()) text = "{";
    }
    exercise(text);
  }
}

TEST(Robustness, HostileShapes) {
  // Deep nesting where the schema expects scalars, huge arrays of junk, every
  // JSON kind in every field.
  exercise(R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": )" + std::string(60, '[') +
           std::string(60, ']') + "}]}");
  std::string many = R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [)";
  for (int i = 0; i < 20000; ++i) many += R"({"names": ["read", "nope"], "action": "SCMP_ACT_ALLOW"},)";
  many += R"({"names": ["write"], "action": "SCMP_ACT_ALLOW"}]})";
  exercise(many);
  for (const char* v : {"null", "true", "1", "-1", "1.5", "\"s\"", "[]", "{}", "[null]", "[{}]", "[[]]"}) {
    for (const char* field : {"defaultAction", "defaultErrnoRet", "defaultErrno", "architectures", "archMap",
                              "syscalls", "flags", "listenerPath", "listenerMetadata"}) {
      exercise(std::string("{\"") + field + "\": " + v + "}");
    }
    for (const char* field :
         {"names", "name", "action", "errnoRet", "errno", "args", "comment", "includes", "excludes"}) {
      exercise(std::string(R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"action": "SCMP_ACT_LOG", ")") + field +
               "\": " + v + "}]}");
    }
    for (const char* field : {"index", "value", "valueTwo", "op"}) {
      exercise(std::string(R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], )"
                           R"("action": "SCMP_ACT_LOG", "args": [{"op": "SCMP_CMP_EQ", ")") +
               field + "\": " + v + "}]}]}");
    }
  }
}

}  // namespace
}  // namespace sysfence::profile
