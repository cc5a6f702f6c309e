// record --diff on files: compared by meaning (a regrouped, rewritten
// profile is no difference), added names and argument rules reported.
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json.hpp>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "profile/builtin.h"
#include "profile/writer.h"
#include "record/profile_set.h"
#include "syscalls/arch.h"

namespace sysfence::record {
namespace {

using syscalls::ArchId;

NamedText data_file(const std::string& name) {
  std::ifstream in("test/record/data/" + name, std::ios::binary);
  EXPECT_TRUE(in) << name;
  std::ostringstream s;
  s << in.rdbuf();
  return NamedText{name, s.str()};
}

// x86_64 whatever machine the test runs on.
DiffOptions x86_64() {
  DiffOptions o;
  o.resolve.native = ArchId::kX86_64;
  return o;
}

Expected<ProfileDelta> diff(const std::string& old_file, const std::string& new_file) {
  return diff_profiles(data_file(old_file), data_file(new_file), x86_64());
}

TEST(DiffProfiles, RegroupedAndRewrittenIsNoDifference) {
  // diff_regrouped.json: entries reordered, write named twice, and socket's
  // "arg0 == 1" written as "(arg0 & 0xffffffff) == 1", which is the same
  // test on the 32 bits of socket's int family.
  auto delta = diff("diff_old.json", "diff_regrouped.json");
  ASSERT_TRUE(delta) << delta.error().message;
  EXPECT_TRUE(delta->empty());
  EXPECT_EQ(delta->abis, (std::vector<ArchId>{ArchId::kX86_64, ArchId::kI386}));
  EXPECT_EQ(delta_text(*delta), std::vector<std::string>{"no difference: diff_old.json and diff_regrouped.json "
                                                         "allow the same calls on x86_64, i386"});
  auto reverse = diff("diff_regrouped.json", "diff_old.json");
  ASSERT_TRUE(reverse);
  EXPECT_TRUE(reverse->empty());
}

TEST(DiffProfiles, ReportsAnAddedNameAndAnAddedArgumentRule) {
  auto delta = diff("diff_old.json", "diff_new.json");
  ASSERT_TRUE(delta) << delta.error().message;
  const std::vector<std::string> expected = {
      "+ openat2 (x86_64, i386)",
      "+ socket (x86_64, i386) if arg0 == 16 (0x10, AF_NETLINK) [low 32 bits]",
      "- close (x86_64, i386)",
  };
  EXPECT_EQ(delta_text(*delta), expected);
  ASSERT_EQ(delta->added.size(), 2u);
  EXPECT_EQ(delta->added[1].kind, SyscallChange::Kind::kRule);
  ASSERT_EQ(delta->added[1].conditions.size(), 1u);
  EXPECT_EQ(delta->added[1].conditions[0].value, 16u);
  EXPECT_EQ(delta->added[1].conditions[0].op, policy::CmpOp::kEq);

  // Swapped, the same changes with the signs the other way.
  auto reverse = diff("diff_new.json", "diff_old.json");
  ASSERT_TRUE(reverse);
  const std::vector<std::string> reversed = {
      "+ close (x86_64, i386)",
      "- openat2 (x86_64, i386)",
      "- socket (x86_64, i386) if arg0 == 16 (0x10, AF_NETLINK) [low 32 bits]",
  };
  EXPECT_EQ(delta_text(*reverse), reversed);
}

TEST(DiffProfiles, JsonForm) {
  auto delta = diff("diff_old.json", "diff_new.json");
  ASSERT_TRUE(delta);
  const std::string expected = R"({
    "old": "diff_old.json", "new": "diff_new.json", "native": "x86_64", "abis": ["x86_64", "i386"],
    "equal": false,
    "added": [
      {"syscall": "openat2", "abis": ["x86_64", "i386"], "kind": "syscall", "conditions": [],
       "other_allows_some": false},
      {"syscall": "socket", "abis": ["x86_64", "i386"], "kind": "rule",
       "conditions": [{"index": 0, "op": "SCMP_CMP_EQ", "value": 16, "value_two": 0, "width": 32,
                       "text": "arg0 == 16 (0x10, AF_NETLINK) [low 32 bits]"}],
       "other_allows_some": false}
    ],
    "removed": [
      {"syscall": "close", "abis": ["x86_64", "i386"], "kind": "syscall", "conditions": [],
       "other_allows_some": false}
    ],
    "changed": []
  })";
  EXPECT_EQ(boost::json::serialize(delta_json(*delta)), boost::json::serialize(boost::json::parse(expected)));
}

TEST(DiffProfiles, WiderSyscallAndDroppedAbi) {
  // diff_wider.json allows socket with any arguments, but only on x86_64
  // (an archMap without sub-architectures): everything diff_old.json allowed
  // on i386 is gone.
  auto delta = diff("diff_old.json", "diff_wider.json");
  ASSERT_TRUE(delta) << delta.error().message;
  const std::vector<std::string> expected = {
      "+ socket (x86_64) with any arguments (diff_old.json allows it only with some)",
      "- close (i386)",
      "- read (i386)",
      "- socket (i386) if arg0 == 1 (AF_UNIX) [low 32 bits]",
      "- write (i386)",
  };
  EXPECT_EQ(delta_text(*delta), expected);
  ASSERT_FALSE(delta->added.empty());
  EXPECT_TRUE(delta->added[0].other_allows_some);
}

TEST(DiffProfiles, ARuleTheOtherSideCoversIsNoChange) {
  // diff_ranges.json allows socket for families below 38, 39 and above 40
  // (Docker's rules): AF_UNIX, all diff_old.json allows, is among them.
  auto delta = diff("diff_old.json", "diff_ranges.json");
  ASSERT_TRUE(delta) << delta.error().message;
  const std::vector<std::string> expected = {
      "+ socket (x86_64, i386) if arg0 < 38 (0x26, AF_ALG) [low 32 bits]",
      "+ socket (x86_64, i386) if arg0 == 39 (0x27, AF_NFC) [low 32 bits]",
      "+ socket (x86_64, i386) if arg0 > 40 (0x28, AF_VSOCK) [low 32 bits]",
  };
  EXPECT_EQ(delta_text(*delta), expected);

  auto reverse = diff("diff_ranges.json", "diff_old.json");
  ASSERT_TRUE(reverse);
  const std::vector<std::string> reversed = {
      "- socket (x86_64, i386) if arg0 < 38 (0x26, AF_ALG) [low 32 bits]",
      "- socket (x86_64, i386) if arg0 == 39 (0x27, AF_NFC) [low 32 bits]",
      "- socket (x86_64, i386) if arg0 > 40 (0x28, AF_VSOCK) [low 32 bits]",
  };
  EXPECT_EQ(delta_text(*reverse), reversed);
}

TEST(DiffProfiles, SameAllowRulesDifferentDenyRules) {
  // Both allow socket for families below 100, one except 5, the other
  // except 6: neither's allow rule reaches beyond the other's, yet they differ.
  auto delta = diff("diff_deny5.json", "diff_deny6.json");
  ASSERT_TRUE(delta) << delta.error().message;
  EXPECT_EQ(delta_text(*delta),
            std::vector<std::string>{"~ socket (x86_64, i386): the arguments it is allowed with differ"});
  EXPECT_TRUE(delta->added.empty());
  EXPECT_TRUE(delta->removed.empty());
}

TEST(DiffProfiles, DockersDefaultAgainstItselfReversed) {
  // Every entry of Docker's default profile in the opposite order: what
  // each syscall's rules mean does not depend on their order.
  auto builtin = profile::read_builtin_default();
  ASSERT_TRUE(builtin);
  profile::Profile reversed = builtin->profile;
  std::reverse(reversed.syscalls.begin(), reversed.syscalls.end());
  const NamedText original{"default", std::string(profile::builtin_default_profile_json())};
  auto delta = diff_profiles(original, NamedText{"reversed.json", profile::write_profile(reversed)}, x86_64());
  ASSERT_TRUE(delta) << delta.error().message;
  EXPECT_TRUE(delta->empty()) << delta_text(*delta).front();
  EXPECT_EQ(delta->abis, (std::vector<ArchId>{ArchId::kX86_64, ArchId::kX32, ArchId::kI386}));
}

TEST(DiffProfiles, BadInputNamesTheFile) {
  auto delta = diff_profiles(data_file("diff_old.json"), NamedText{"broken.json", "{\"defaultAction\": 1}"}, x86_64());
  ASSERT_FALSE(delta);
  EXPECT_NE(delta.error().message.find("broken.json:1:"), std::string::npos) << delta.error().message;
}

}  // namespace
}  // namespace sysfence::record
