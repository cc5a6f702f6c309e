// record --merge on files: the union, duplicates removed, argument rules
// kept (or dropped where a name is allowed without them), and the errors.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "bpf/interp.h"
#include "bpf/raw.h"
#include "pipeline/pipeline.h"
#include "profile/reader.h"
#include "record/profile_set.h"
#include "syscalls/arch.h"
#include "syscalls/table.h"

namespace sysfence::record {
namespace {

NamedText data_file(const std::string& name) {
  std::ifstream in("test/record/data/" + name, std::ios::binary);
  EXPECT_TRUE(in) << name;
  std::ostringstream s;
  s << in.rdbuf();
  return NamedText{name, s.str()};
}

// The same JSON, members in the same order (serialize keeps insertion order).
std::string canonical(const std::string& json) { return boost::json::serialize(boost::json::parse(json)); }

TEST(MergeProfiles, UnitesThreeRecordings) {
  const std::vector<NamedText> in = {data_file("merge_a.json"), data_file("merge_b.json"), data_file("merge_c.json")};
  auto merged = merge_profiles(in);
  ASSERT_TRUE(merged) << merged.error().message;
  // By hand from the three files: names without argument rules united and
  // sorted; mount keeps its includes filter in an entry of its own; the
  // duplicate socket rule once; socketpair joins socket's equal rule;
  // personality's argument rule dropped (merge_b allows personality with any
  // arguments); clone's rule with its comment; merge_c's missing
  // defaultErrnoRet means EPERM, as merge_a's 1 does.
  const std::string expected = R"({
    "defaultAction": "SCMP_ACT_ERRNO",
    "defaultErrnoRet": 1,
    "archMap": [{"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X32", "SCMP_ARCH_X86"]}],
    "syscalls": [
      {"names": ["close", "exit_group", "mmap", "openat", "personality", "read", "write"],
       "action": "SCMP_ACT_ALLOW",
       "comment": "merged by sysfence record --merge from merge_a.json, merge_b.json, merge_c.json"},
      {"names": ["mount"], "action": "SCMP_ACT_ALLOW",
       "comment": "merged by sysfence record --merge from merge_a.json, merge_b.json, merge_c.json",
       "includes": {"arches": ["amd64"]}},
      {"names": ["clone"], "action": "SCMP_ACT_ALLOW",
       "args": [{"index": 0, "value": 2114060288, "valueTwo": 0, "op": "SCMP_CMP_MASKED_EQ"}],
       "comment": "no namespaces"},
      {"names": ["socket", "socketpair"], "action": "SCMP_ACT_ALLOW",
       "args": [{"index": 0, "value": 1, "valueTwo": 0, "op": "SCMP_CMP_EQ"}],
       "comment": "merged by sysfence record --merge from merge_a.json, merge_b.json, merge_c.json"},
      {"names": ["socket"], "action": "SCMP_ACT_ALLOW",
       "args": [{"index": 0, "value": 16, "valueTwo": 0, "op": "SCMP_CMP_EQ"}],
       "comment": "merged by sysfence record --merge from merge_a.json, merge_b.json, merge_c.json"}
    ]
  })";
  EXPECT_EQ(canonical(*merged), canonical(expected));
  // Two-space indentation, one member per line.
  EXPECT_EQ(merged->rfind("{\n  \"defaultAction\": \"SCMP_ACT_ERRNO\",\n", 0), 0u);
  EXPECT_EQ(merged->back(), '\n');
  // Docker's format, nothing the reader would call unknown.
  auto reread = profile::read_profile(*merged, "merged.json");
  ASSERT_TRUE(reread) << reread.error().message;
  EXPECT_TRUE(reread->strict_findings.empty());
}

// The entries without the comments (which name the inputs in order).
boost::json::array entries_without_comments(const std::string& merged) {
  boost::json::array entries = boost::json::parse(merged).as_object()["syscalls"].as_array();
  for (auto& e : entries) e.as_object().erase("comment");
  return entries;
}

TEST(MergeProfiles, OrderOfInputsChangesOnlyTheComments) {
  const std::vector<NamedText> forward = {data_file("merge_a.json"), data_file("merge_b.json"),
                                          data_file("merge_c.json")};
  const std::vector<NamedText> backward = {forward[2], forward[1], forward[0]};
  auto a = merge_profiles(forward);
  auto b = merge_profiles(backward);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(boost::json::parse(*b).as_object()["syscalls"].as_array()[0].as_object()["comment"],
            "merged by sysfence record --merge from merge_c.json, merge_b.json, merge_a.json");
  EXPECT_EQ(boost::json::serialize(entries_without_comments(*a)), boost::json::serialize(entries_without_comments(*b)));
}

TEST(MergeProfiles, MergingAProfileWithItselfRegroupsOnly) {
  const std::vector<NamedText> in = {data_file("merge_a.json"), data_file("merge_a.json")};
  auto merged = merge_profiles(in);
  ASSERT_TRUE(merged) << merged.error().message;
  const std::string expected = R"({
    "defaultAction": "SCMP_ACT_ERRNO",
    "defaultErrnoRet": 1,
    "archMap": [{"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86"]}],
    "syscalls": [
      {"names": ["exit_group", "read", "write"], "action": "SCMP_ACT_ALLOW",
       "comment": "merged by sysfence record --merge from merge_a.json, merge_a.json"},
      {"names": ["personality"], "action": "SCMP_ACT_ALLOW",
       "args": [{"index": 0, "value": 8, "valueTwo": 0, "op": "SCMP_CMP_EQ"}],
       "comment": "merged by sysfence record --merge from merge_a.json, merge_a.json"},
      {"names": ["socket"], "action": "SCMP_ACT_ALLOW",
       "args": [{"index": 0, "value": 1, "valueTwo": 0, "op": "SCMP_CMP_EQ"}],
       "comment": "merged by sysfence record --merge from merge_a.json, merge_a.json"}
    ]
  })";
  EXPECT_EQ(canonical(*merged), canonical(expected));
}

// What the merged profile, resolved for `native` and compiled (the proof
// included), answers `name` on the ABI `abi`.
ActionKind merged_answer(const std::string& merged, syscalls::ArchId native, syscalls::ArchId abi,
                         std::string_view name) {
  pipeline::Request request;
  request.profile = "merged.json";
  request.text = merged;
  request.resolve.native = native;
  auto result = pipeline::run(request);
  EXPECT_TRUE(result) << (result ? "" : result.error().message);
  if (!result) return ActionKind::kKillProcess;
  EXPECT_TRUE(result->proof && result->proof->equivalent());
  const auto nr = syscalls::table(abi).number(name);
  EXPECT_TRUE(nr) << name;
  SeccompData d;
  d.arch = syscalls::arch(abi).audit_arch;
  d.nr = nr.value_or(0);
  auto ran = bpf::run(result->compiled->program, d, bpf::host_endian());
  EXPECT_TRUE(ran);
  return ran ? ran->action().kind : ActionKind::kKillProcess;
}

// One input with "architectures", one with "archMap": the output has only
// archMap (moby and the reader refuse both), and on each host it covers the
// ABIs either input covered there, with every input's rules.
TEST(MergeProfiles, ArchitecturesFoldIntoArchMap) {
  const NamedText listed{"listed.json", R"({"defaultAction": "SCMP_ACT_ERRNO",
      "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"],
      "syscalls": [{"names": ["getpid"], "action": "SCMP_ACT_ALLOW"}]})"};
  const NamedText mapped{"mapped.json", R"({"defaultAction": "SCMP_ACT_ERRNO",
      "archMap": [{"architecture": "SCMP_ARCH_AARCH64", "subArchitectures": ["SCMP_ARCH_ARM"]}],
      "syscalls": [{"names": ["getppid"], "action": "SCMP_ACT_ALLOW"}]})"};
  auto merged = merge_profiles(std::vector<NamedText>{listed, mapped});
  ASSERT_TRUE(merged) << merged.error().message;
  auto reread = profile::read_profile(*merged, "merged.json");
  ASSERT_TRUE(reread) << reread.error().message;
  EXPECT_TRUE(reread->profile.architectures.empty());
  // Each ABI the list names is a host whose entry has the rest of the list;
  // aarch64's entry gains the list (as "architectures" adds it on every host).
  const std::string expected_map = R"([
    {"architecture": "SCMP_ARCH_AARCH64", "subArchitectures": ["SCMP_ARCH_ARM", "SCMP_ARCH_X86", "SCMP_ARCH_X86_64"]},
    {"architecture": "SCMP_ARCH_X86", "subArchitectures": ["SCMP_ARCH_X86_64"]},
    {"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86"]}])";
  EXPECT_EQ(boost::json::serialize(boost::json::parse(*merged).as_object()["archMap"]),
            boost::json::serialize(boost::json::parse(expected_map)));

  using syscalls::ArchId;
  for (const char* name : {"getpid", "getppid"}) {
    EXPECT_EQ(merged_answer(*merged, ArchId::kX86_64, ArchId::kX86_64, name), ActionKind::kAllow) << name;
    EXPECT_EQ(merged_answer(*merged, ArchId::kX86_64, ArchId::kI386, name), ActionKind::kAllow) << name;
    EXPECT_EQ(merged_answer(*merged, ArchId::kAarch64, ArchId::kArm, name), ActionKind::kAllow) << name;
  }
  EXPECT_EQ(merged_answer(*merged, ArchId::kX86_64, ArchId::kX86_64, "getuid"), ActionKind::kErrno);
}

// Only a list of sub-architectures (no host of its own): the hosts that run
// them as sub-architectures get them.
TEST(MergeProfiles, ListedSubArchitectureReachesItsHost) {
  const NamedText listed{"listed.json", R"({"defaultAction": "SCMP_ACT_ERRNO",
      "architectures": ["SCMP_ARCH_X32"], "syscalls": [{"names": ["getpid"], "action": "SCMP_ACT_ALLOW"}]})"};
  const NamedText mapped{"mapped.json", R"({"defaultAction": "SCMP_ACT_ERRNO",
      "archMap": [{"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86"]}],
      "syscalls": [{"names": ["getppid"], "action": "SCMP_ACT_ALLOW"}]})"};
  auto merged = merge_profiles(std::vector<NamedText>{listed, mapped});
  ASSERT_TRUE(merged) << merged.error().message;
  ASSERT_TRUE(profile::read_profile(*merged, "merged.json"));
  using syscalls::ArchId;
  for (const ArchId abi : {ArchId::kX86_64, ArchId::kI386, ArchId::kX32})
    EXPECT_EQ(merged_answer(*merged, ArchId::kX86_64, abi, "getpid"), ActionKind::kAllow) << syscalls::arch(abi).name;
}

TEST(MergeProfiles, DifferentDefaultActionsNameBothFiles) {
  const std::vector<NamedText> in = {data_file("merge_a.json"), data_file("merge_b.json"),
                                     data_file("merge_kill.json")};
  auto merged = merge_profiles(in);
  ASSERT_FALSE(merged);
  // merge_kill.json spells defaultAction on line 5, column 5; merge_a.json on line 2, column 3.
  EXPECT_EQ(merged.error().message,
            "merge_kill.json:5:5: defaultAction SCMP_ACT_KILL_PROCESS differs from SCMP_ACT_ERRNO (errno 1) in "
            "merge_a.json:2:3: merged profiles must deny alike");
}

TEST(MergeProfiles, RefusesEntriesThatAreNotAllowRules) {
  const std::vector<NamedText> in = {data_file("merge_a.json"), data_file("merge_errno_entry.json")};
  auto merged = merge_profiles(in);
  ASSERT_FALSE(merged);
  EXPECT_EQ(merged.error().message,
            "merge_errno_entry.json:5:5: syscalls[1]: only SCMP_ACT_ALLOW entries can be merged, not "
            "SCMP_ACT_ERRNO (merge unites allowlists)");
}

TEST(MergeProfiles, InvalidJsonIsAPositionedError) {
  const std::vector<NamedText> in = {data_file("merge_a.json"), NamedText{"broken.json", "{\n  \"defaultAction\": }"}};
  auto merged = merge_profiles(in);
  ASSERT_FALSE(merged);
  EXPECT_EQ(merged.error().message.rfind("broken.json:2:20: ", 0), 0u) << merged.error().message;
}

TEST(MergeProfiles, NothingToMerge) { EXPECT_FALSE(merge_profiles({})); }

}  // namespace
}  // namespace sysfence::record
