#include "profile/reader.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <string_view>
#include <utility>

#include "profile/writer.h"
#include "test/profile/test_files.h"

namespace sysfence::profile {
namespace {

using testing::read_data_file;

Profile read_ok(std::string_view text, std::string_view name = "p.json") {
  auto r = read_profile(text, name);
  EXPECT_TRUE(r) << (r ? "" : r.error().message);
  return r ? r->profile : Profile{};
}

std::string read_error(std::string_view text, std::string_view name = "p.json") {
  auto r = read_profile(text, name);
  EXPECT_FALSE(r) << "expected an error for: " << text;
  return r ? std::string() : r.error().message;
}

// ---------------------------------------------------------------------------
// The real profiles
// ---------------------------------------------------------------------------

TEST(ReadRealProfiles, DockerDefault) {
  auto r = read_profile(read_data_file(testing::kDockerDefault), "docker-default.json");
  ASSERT_TRUE(r) << r.error().message;
  const Profile& p = r->profile;
  EXPECT_EQ(p.format, ProfileFormat::kDocker);
  EXPECT_EQ(p.default_action, ProfileAction::kErrno);
  EXPECT_EQ(p.default_errno_ret, 1u);
  ASSERT_EQ(p.arch_map.size(), 9u);
  EXPECT_EQ(p.arch_map[0].architecture, "SCMP_ARCH_X86_64");
  EXPECT_EQ(p.arch_map[0].sub_architectures, (std::vector<std::string>{"SCMP_ARCH_X86", "SCMP_ARCH_X32"}));
  EXPECT_TRUE(p.arch_map[7].sub_architectures.empty());  // riscv64: "subArchitectures": null
  ASSERT_EQ(p.syscalls.size(), 33u);
  EXPECT_EQ(p.syscalls[0].names.size(), 361u);
  EXPECT_EQ(p.syscalls[0].action, ProfileAction::kAllow);
  // syscalls[5]: personality(0); its "{" is on line 478, column 3 (two tabs).
  EXPECT_EQ(p.syscalls[5].names, std::vector<std::string>{"personality"});
  EXPECT_EQ(p.syscalls[5].pos, (SourcePos{478, 3}));
  ASSERT_EQ(p.syscalls[5].args.size(), 1u);
  EXPECT_EQ(p.syscalls[5].args[0].op, policy::CmpOp::kEq);
  EXPECT_EQ(p.syscalls[9].args[0].value, 4294967295u);
  // syscalls[1]: ptrace & co from kernel 4.8 on.
  EXPECT_EQ(p.syscalls[1].includes.min_kernel, (syscalls::KernelVersion{4, 8}));
  // syscalls[19]: s390's clone with its comment and both filters.
  const auto& s390_clone = p.syscalls[19];
  EXPECT_EQ(s390_clone.comment, "s390 parameter ordering for clone is different");
  EXPECT_EQ(s390_clone.includes.arches, (std::vector<std::string>{"s390", "s390x"}));
  EXPECT_EQ(s390_clone.excludes.caps, std::vector<std::string>{"CAP_SYS_ADMIN"});
  EXPECT_EQ(s390_clone.args[0].index, 1u);
  EXPECT_EQ(s390_clone.args[0].op, policy::CmpOp::kMaskedEq);
  EXPECT_EQ(s390_clone.args[0].value, 2114060288u);
  // syscalls[20]: clone3 answers ENOSYS without CAP_SYS_ADMIN.
  EXPECT_EQ(p.syscalls[20].errno_ret, 38u);
  EXPECT_TRUE(r->strict_findings.empty());
}

TEST(ReadRealProfiles, ContainersCommon) {
  auto r = read_profile(read_data_file(testing::kContainersCommon), "containers-common.json");
  ASSERT_TRUE(r) << r.error().message;
  const Profile& p = r->profile;
  EXPECT_EQ(p.default_action, ProfileAction::kErrno);
  EXPECT_EQ(p.default_errno, "ENOSYS");
  EXPECT_EQ(p.default_errno_ret, 38u);
  ASSERT_EQ(p.syscalls.size(), 40u);
  EXPECT_EQ(p.syscalls[0].errno_name, "EPERM");
  EXPECT_EQ(p.syscalls[32].errno_name, "EINVAL");
  EXPECT_EQ(p.syscalls[32].errno_ret, 22u);
  ASSERT_EQ(p.syscalls[32].args.size(), 2u);
  EXPECT_EQ(p.syscalls[32].args[1].index, 2u);
  EXPECT_EQ(p.syscalls[36].excludes.caps, (std::vector<std::string>{"CAP_SYS_ADMIN", "CAP_BPF"}));
  // Its entries spell out every field, empty ones included: nothing unknown.
  EXPECT_TRUE(r->strict_findings.empty());
}

TEST(ReadRealProfiles, SeedExampleUsesLegacyName) {
  const Profile p = read_ok(read_data_file(testing::kSeedExample), "seed-example.json");
  EXPECT_EQ(p.default_action, ProfileAction::kAllow);
  ASSERT_EQ(p.syscalls.size(), 6u);
  EXPECT_TRUE(p.syscalls[1].legacy_name);
  EXPECT_EQ(p.syscalls[1].names, std::vector<std::string>{"mount"});
  EXPECT_EQ(p.syscalls[1].action, ProfileAction::kErrno);
  EXPECT_FALSE(p.syscalls[1].errno_ret);
}

// ---------------------------------------------------------------------------
// Formats and fields
// ---------------------------------------------------------------------------

TEST(Reader, OciConfigJsonTakesLinuxSeccomp) {
  const std::string config = R"({
  "ociVersion": "1.0.2",
  "process": {"args": ["sh"]},
  "linux": {
    "namespaces": [],
    "seccomp": {
      "defaultAction": "SCMP_ACT_ERRNO",
      "defaultErrnoRet": 38,
      "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"],
      "flags": ["SECCOMP_FILTER_FLAG_LOG"],
      "syscalls": [
        {"names": ["read", "write"], "action": "SCMP_ACT_ALLOW", "comment": "not an OCI field"}
      ]
    }
  }
})";
  auto r = read_profile(config, "config.json");
  ASSERT_TRUE(r) << r.error().message;
  const Profile& p = r->profile;
  EXPECT_EQ(p.format, ProfileFormat::kOciConfig);
  EXPECT_EQ(p.default_errno_ret, 38u);
  EXPECT_EQ(p.architectures, (std::vector<std::string>{"SCMP_ARCH_X86_64", "SCMP_ARCH_X86"}));
  EXPECT_EQ(p.flags, std::vector<std::string>{"SECCOMP_FILTER_FLAG_LOG"});
  ASSERT_EQ(p.syscalls.size(), 1u);
  EXPECT_EQ(p.syscalls[0].names.size(), 2u);
  // moby's "comment" means nothing to runc: ignored, and listed for --strict.
  EXPECT_TRUE(p.syscalls[0].comment.empty());
  ASSERT_EQ(r->strict_findings.size(), 1u);
  EXPECT_EQ(r->strict_findings[0],
            "config.json:12:66: /linux/seccomp/syscalls/0/comment: unknown field \"comment\" (ignored)");
}

TEST(Reader, OciConfigWithoutSeccompIsAnError) {
  EXPECT_EQ(read_error(R"({"ociVersion": "1.0.2", "linux": {"namespaces": []}})", "config.json"),
            "config.json:1:34: /linux: this OCI config.json has no linux.seccomp profile");
  EXPECT_EQ(read_error(R"({"ociVersion": "1.0.2"})", "config.json"),
            "config.json:1:1: an OCI config.json without a linux object has no seccomp profile");
}

TEST(Reader, OciVersionMustBeAString) {
  // runc unmarshals the whole config into its spec, where ociVersion is a
  // string: a number fails the container before its seccomp is read.
  EXPECT_EQ(
      read_error(R"({"ociVersion": 1, "linux": {"seccomp": {"defaultAction": "SCMP_ACT_ERRNO"}}})", "config.json"),
      "config.json:1:16: /ociVersion: expected a string, found a number");
}

TEST(Reader, BareOciSeccompObjectReadsAsAProfile) {
  const Profile p = read_ok(
      R"({"defaultAction": "SCMP_ACT_KILL_PROCESS", "architectures": ["SCMP_ARCH_AARCH64"],
          "syscalls": [{"names": ["getpid"], "action": "SCMP_ACT_ALLOW"}]})");
  EXPECT_EQ(p.default_action, ProfileAction::kKillProcess);
  EXPECT_EQ(p.architectures, std::vector<std::string>{"SCMP_ARCH_AARCH64"});
}

TEST(Reader, EveryActionAndOperatorSpelling) {
  const char* actions[] = {"SCMP_ACT_KILL",  "SCMP_ACT_KILL_THREAD", "SCMP_ACT_KILL_PROCESS",
                           "SCMP_ACT_TRAP",  "SCMP_ACT_ERRNO",       "SCMP_ACT_TRACE",
                           "SCMP_ACT_ALLOW", "SCMP_ACT_LOG",         "SCMP_ACT_NOTIFY"};
  for (const char* a : actions) {
    auto parsed = parse_profile_action(a);
    ASSERT_TRUE(parsed) << a;
    EXPECT_EQ(to_string(*parsed), a);
  }
  EXPECT_EQ(to_action(ProfileAction::kKill, 0), Action::KillThread());
  EXPECT_EQ(to_action(ProfileAction::kKillThread, 0), Action::KillThread());
  EXPECT_EQ(to_action(ProfileAction::kKillProcess, 0), Action::KillProcess());
  EXPECT_EQ(to_action(ProfileAction::kNotify, 0), Action::UserNotif());
  EXPECT_EQ(to_action(ProfileAction::kErrno, 38), Action::Errno(38));
  EXPECT_EQ(to_action(ProfileAction::kTrace, 7), Action::Trace(7));
  const char* ops[] = {"SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE",       "SCMP_CMP_EQ",
                       "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ"};
  for (const char* o : ops) {
    auto parsed = parse_cmp_op(o);
    ASSERT_TRUE(parsed) << o;
    EXPECT_EQ(to_string(*parsed), o);
  }
  // Names that end like one of them, or are one of them but for its case or
  // length, are none of them.
  for (const char* o : {"", "Q", "EQ", "XCMP_CMP_EQ", "SCMP_CMP_XE", "scmp_cmp_eq", "SCMP_CMP_EQ ", "SCMP_CMP_MASKED_E",
                        "SCMP_CMP_MASKED_GT"})
    EXPECT_FALSE(parse_cmp_op(o)) << o;
}

TEST(Reader, ArgumentValuesAreUnsigned64Bit) {
  const Profile p = read_ok(R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["ioctl"],
      "action": "SCMP_ACT_ERRNO", "args": [{"index": 5, "value": 18446744073709551615,
      "valueTwo": 9223372036854775808, "op": "SCMP_CMP_MASKED_EQ"}]}]})");
  ASSERT_EQ(p.syscalls[0].args.size(), 1u);
  EXPECT_EQ(p.syscalls[0].args[0].index, 5u);
  EXPECT_EQ(p.syscalls[0].args[0].value, 18446744073709551615ULL);
  EXPECT_EQ(p.syscalls[0].args[0].value_two, 9223372036854775808ULL);
}

TEST(Reader, NullLeavesFieldsUnset) {
  const Profile p = read_ok(R"({"defaultAction": "SCMP_ACT_ALLOW", "defaultErrnoRet": null,
      "archMap": [{"architecture": "SCMP_ARCH_RISCV64", "subArchitectures": null}],
      "syscalls": [{"names": ["x"], "action": "SCMP_ACT_ERRNO", "errnoRet": null, "args": null,
                    "includes": null, "excludes": {"minKernel": null}}]})");
  EXPECT_FALSE(p.default_errno_ret);
  EXPECT_TRUE(p.arch_map[0].sub_architectures.empty());
  EXPECT_FALSE(p.syscalls[0].errno_ret);
  EXPECT_TRUE(p.syscalls[0].excludes.empty());
}

TEST(Reader, EmptyDefaultActionWithoutSyscallsReadsAsDisabled) {
  // moby/runc treat this as "seccomp disabled"; resolve() reports it.
  const Profile p = read_ok(R"({"defaultAction": ""})");
  EXPECT_FALSE(p.default_action);
  EXPECT_TRUE(p.syscalls.empty());
}

TEST(Reader, FieldNamesMatchCaseInsensitivelyLikeGo) {
  auto r = read_profile(
      R"({"DefaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"Names": ["x"], "ACTION": "SCMP_ACT_LOG"}]})", "c.json");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->profile.default_action, ProfileAction::kAllow);
  EXPECT_EQ(r->profile.syscalls[0].names, std::vector<std::string>{"x"});
  EXPECT_EQ(r->profile.syscalls[0].action, ProfileAction::kLog);
  ASSERT_EQ(r->strict_findings.size(), 3u);
  EXPECT_EQ(r->strict_findings[0],
            "c.json:1:2: /DefaultAction: field \"DefaultAction\" is taken as \"defaultAction\" (matched "
            "case-insensitively, as Go's encoding/json does)");
}

TEST(Reader, RepeatedKeysLastOneWins) {
  auto r = read_profile(R"({"defaultAction": "SCMP_ACT_ALLOW", "defaultAction": "SCMP_ACT_LOG"})", "d.json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->profile.default_action, ProfileAction::kLog);
  ASSERT_EQ(r->strict_findings.size(), 1u);
  EXPECT_EQ(r->strict_findings[0],
            "d.json:1:37: /defaultAction: field \"defaultAction\" given more than once; the last one wins");
}

TEST(Reader, UnknownFieldsAreIgnoredButListedAndStrictRejects) {
  const std::string text = R"({"defaultAction": "SCMP_ACT_ALLOW", "extra": {"deep": [1, 2]},
  "syscalls": [{"names": ["x"], "action": "SCMP_ACT_ERRNO", "comments": "typo", "a/b~c": 1}, {"action": "SCMP_ACT_LOG"}]})";
  auto r = read_profile(text, "u.json");
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->strict_findings.size(), 4u);
  EXPECT_EQ(r->strict_findings[0], "u.json:1:37: /extra: unknown field \"extra\" (ignored)");
  EXPECT_EQ(r->strict_findings[1],
            "u.json:2:61: /syscalls/0/comments: unknown field \"comments\" (ignored; did you mean \"comment\"?)");
  EXPECT_EQ(r->strict_findings[2], "u.json:2:81: /syscalls/0/a~1b~0c: unknown field \"a/b~c\" (ignored)");
  EXPECT_EQ(r->strict_findings[3], "u.json:2:94: /syscalls/1: entry has no syscall names; it matches nothing");

  ReadOptions strict;
  strict.strict = true;
  auto s = read_profile(text, "u.json", strict);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().message,
            "u.json: 4 strict findings (--strict):\n"
            "  u.json:1:37: /extra: unknown field \"extra\" (ignored)\n"
            "  u.json:2:61: /syscalls/0/comments: unknown field \"comments\" (ignored; did you mean \"comment\"?)\n"
            "  u.json:2:81: /syscalls/0/a~1b~0c: unknown field \"a/b~c\" (ignored)\n"
            "  u.json:2:94: /syscalls/1: entry has no syscall names; it matches nothing");
}

// Past 256 findings the rest are counted in one line, under --strict too.
TEST(Reader, FindingsPastTheFirst256AreCounted) {
  std::string text = "{\"defaultAction\": \"SCMP_ACT_ALLOW\",\n";
  for (int i = 0; i < 1000; ++i) text += fmt::format("\"k{}\": 0{}\n", i, i == 999 ? "}" : ",");
  auto r = read_profile(text, "u.json");
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->strict_findings.size(), 257u);
  EXPECT_EQ(r->strict_findings[255], "u.json:257:1: /k255: unknown field \"k255\" (ignored)");
  EXPECT_EQ(r->strict_findings[256],
            "u.json:258:1: 744 more findings like the above (unknown fields, keys matched case-insensitively, "
            "repeated keys) from here on (only the first 256 are listed)");
  ReadOptions strict;
  strict.strict = true;
  auto s = read_profile(text, "u.json", strict);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().message.rfind("u.json: 1000 strict findings (--strict):\n", 0), 0u) << s.error().message;
  EXPECT_EQ(std::count(s.error().message.begin(), s.error().message.end(), '\n'), 257);
}

// ---------------------------------------------------------------------------
// One test per error, with the exact message
// ---------------------------------------------------------------------------

TEST(ReaderErrors, MalformedJson) {
  EXPECT_EQ(read_error("{\n  \"defaultAction\": \"SCMP_ACT_ALLOW\"\n  \"syscalls\": []\n}"),
            "p.json:3:3: invalid JSON: unexpected character '\"'");
}

TEST(ReaderErrors, RootIsNotAnObject) {
  EXPECT_EQ(read_error("[]"),
            "p.json:1:1: expected an object (a seccomp profile or an OCI config.json), found an array");
}

TEST(ReaderErrors, UnknownAction) {
  EXPECT_EQ(read_error("{\"defaultAction\": \"SCMP_ACT_ALLOW\",\n \"syscalls\": [{\"names\": [\"x\"], \"action\": "
                       "\"SCMP_ACT_ALOW\"}]}"),
            "p.json:2:42: /syscalls/0/action: unknown action \"SCMP_ACT_ALOW\" (did you mean \"SCMP_ACT_ALLOW\"?)");
  EXPECT_EQ(read_error(R"({"defaultAction": "ALLOW"})"), "p.json:1:19: /defaultAction: unknown action \"ALLOW\"");
}

TEST(ReaderErrors, UnknownOperator) {
  EXPECT_EQ(read_error(R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["x"], "action": "SCMP_ACT_ERRNO",
 "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_EQQ"}]}]})"),
            "p.json:2:42: /syscalls/0/args/0/op: unknown operator \"SCMP_CMP_EQQ\" (did you mean \"SCMP_CMP_EQ\"?)");
}

TEST(ReaderErrors, ArgumentIndexAboveFive) {
  EXPECT_EQ(read_error(R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["x"], "action": "SCMP_ACT_ERRNO",
 "args": [{"index": 6, "value": 1, "op": "SCMP_CMP_EQ"}]}]})"),
            "p.json:2:21: /syscalls/0/args/0/index: argument index 6 is out of range (a syscall has arguments 0..5)");
}

// moby refuses "name" with "names" only for an entry that passes its
// includes/excludes (resolve_test); reading it is a strict finding.
TEST(ReaderErrors, NameAndNamesBothSet) {
  auto r = read_profile(R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
  {"names": ["a"], "action": "SCMP_ACT_ALLOW"},
  {"name": "b", "names": ["c"], "action": "SCMP_ACT_ERRNO"}]})",
                        "p.json");
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->strict_findings.size(), 1u);
  EXPECT_EQ(r->strict_findings[0], "p.json:3:3: /syscalls/1: both \"name\" and \"names\" are set; use one of them");
  EXPECT_TRUE(r->profile.syscalls[1].name_and_names);
  EXPECT_EQ(r->profile.syscalls[1].names, std::vector<std::string>{"c"});
}

TEST(ReaderErrors, ArchitecturesAndArchMapBothSet) {
  EXPECT_EQ(read_error(R"({"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64"],
  "archMap": [{"architecture": "SCMP_ARCH_X86_64", "subArchitectures": []}]})"),
            "p.json:1:1: both \"architectures\" and \"archMap\" are set; use one of them");
}

TEST(ReaderErrors, WrongTypes) {
  EXPECT_EQ(read_error(R"({"defaultAction": 1})"), "p.json:1:19: /defaultAction: expected a string, found a number");
  EXPECT_EQ(read_error(R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": {}})"),
            "p.json:1:49: /syscalls: expected an array, found an object");
  EXPECT_EQ(read_error(R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [7]})"),
            "p.json:1:50: /syscalls/0: expected an object, found a number");
  EXPECT_EQ(
      read_error(R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": "read", "action": "SCMP_ACT_LOG"}]})"),
      "p.json:1:60: /syscalls/0/names: expected an array of strings, found a string");
  EXPECT_EQ(
      read_error(R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["a", 2], "action": "SCMP_ACT_LOG"}]})"),
      "p.json:1:66: /syscalls/0/names/1: expected a string, found a number");
  EXPECT_EQ(read_error(R"({"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": -1})"),
            "p.json:1:56: /defaultErrnoRet: expected an unsigned integer, found -1");
  EXPECT_EQ(read_error(R"({"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1.5})"),
            "p.json:1:56: /defaultErrnoRet: expected an unsigned integer, found 1.5");
  EXPECT_EQ(read_error(R"({"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": "1"})"),
            "p.json:1:56: /defaultErrnoRet: expected an unsigned integer, found a string");
  EXPECT_EQ(read_error(R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["x"], "action": "SCMP_ACT_ERRNO",
 "args": [{"index": 0, "value": 18446744073709551616, "op": "SCMP_CMP_EQ"}]}]})"),
            "p.json:2:33: /syscalls/0/args/0/value: 18446744073709551616 does not fit in 64 bits");
  EXPECT_EQ(read_error(R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["x"], "action": "SCMP_ACT_ERRNO",
 "includes": {"caps": "CAP_SYS_ADMIN"}}]})"),
            "p.json:2:23: /syscalls/0/includes/caps: expected an array of strings, found a string");
}

TEST(ReaderErrors, MissingRequiredFields) {
  EXPECT_EQ(read_error(R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["x"]}]})"),
            "p.json:1:50: /syscalls/0: missing \"action\"");
  EXPECT_EQ(read_error(R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["x"], "action": "SCMP_ACT_LOG",
 "args": [{"index": 0, "value": 1}]}]})"),
            "p.json:2:11: /syscalls/0/args/0: missing \"op\"");
  EXPECT_EQ(read_error(R"({"syscalls": [{"names": ["x"], "action": "SCMP_ACT_LOG"}]})"),
            "p.json:1:1: missing \"defaultAction\"");
  // Present but empty (Go's zero value): named where it is.
  EXPECT_EQ(read_error(R"({"defaultAction": "", "syscalls": [{"names": ["x"], "action": "SCMP_ACT_LOG"}]})"),
            "p.json:1:19: /defaultAction: empty \"defaultAction\" in a profile with syscalls (runc refuses an empty "
            "action)");
}

TEST(ReaderErrors, UnknownArchitecture) {
  EXPECT_EQ(
      read_error(R"({"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_46"]})"),
      "p.json:1:55: /architectures/0: unknown architecture \"SCMP_ARCH_X86_46\" (did you mean \"SCMP_ARCH_X86_64\"?)");
  EXPECT_EQ(read_error(R"({"defaultAction": "SCMP_ACT_ALLOW", "archMap": [{"architecture": "SCMP_ARCH_AARCH64",
  "subArchitectures": ["arm"]}]})"),
            "p.json:2:24: /archMap/0/subArchitectures/0: unknown architecture \"arm\" (did you mean "
            "\"SCMP_ARCH_ARM\"?)");
}

// Other spellings of an ABI (Go's, the short name, another case, behind the
// SCMP_ARCH_ prefix) are still refused, as Docker refuses them, but suggest
// the ABI they name in moby's spelling, not the one nearest by letters.
TEST(ReaderErrors, ArchitectureAliasSuggestsMobysName) {
  const std::pair<std::string_view, std::string_view> cases[] = {
      {"SCMP_ARCH_AMD64", "SCMP_ARCH_X86_64"},
      {"SCMP_ARCH_X86-64", "SCMP_ARCH_X86_64"},
      {"x86_64", "SCMP_ARCH_X86_64"},
      {"SCMP_ARCH_I386", "SCMP_ARCH_X86"},
      {"SCMP_ARCH_I686", "SCMP_ARCH_X86"},
      {"SCMP_ARCH_ARM64", "SCMP_ARCH_AARCH64"},
      {"scmp_arch_aarch64", "SCMP_ARCH_AARCH64"},
      {"SCMP_ARCH_PPC64EL", "SCMP_ARCH_PPC64LE"},
      {"SCMP_ARCH_LOONG64", "SCMP_ARCH_LOONGARCH64"},
  };
  for (const auto& [typed, meant] : cases) {
    const std::string profile =
        R"({"defaultAction": "SCMP_ACT_ALLOW", "archMap": [{"architecture": ")" + std::string(typed) + "\"}]}";
    EXPECT_EQ(read_error(profile), "p.json:1:66: /archMap/0/architecture: unknown architecture \"" +
                                       std::string(typed) + "\" (did you mean \"" + std::string(meant) + "\"?)");
  }
}

TEST(ReaderErrors, UnknownFilterFlag) {
  EXPECT_EQ(read_error(R"({"defaultAction": "SCMP_ACT_ALLOW", "flags": ["SECCOMP_FILTER_FLAG_LOGG"]})"),
            "p.json:1:47: /flags/0: unknown seccomp filter flag \"SECCOMP_FILTER_FLAG_LOGG\" (did you mean "
            "\"SECCOMP_FILTER_FLAG_LOG\"?)");
}

TEST(ReaderErrors, UnknownErrnoName) {
  EXPECT_EQ(read_error(R"({"defaultAction": "SCMP_ACT_ERRNO", "defaultErrno": "EPREM"})"),
            "p.json:1:53: /defaultErrno: unknown errno name \"EPREM\" (did you mean \"EPERM\"?)");
}

TEST(ReaderErrors, InvalidMinKernel) {
  auto with_min_kernel = [](std::string_view v) {
    return std::string(
               R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["x"], "action": "SCMP_ACT_ERRNO", )") +
           R"("includes": {"minKernel": )" + std::string(v) + "}}]}";
  };
  EXPECT_EQ(read_error(with_min_kernel("\"4\"")),
            "p.json:1:121: /syscalls/0/includes/minKernel: invalid minKernel \"4\": expected \"<major>.<minor>\" such "
            "as \"5.8\"");
  EXPECT_EQ(read_error(with_min_kernel("\"4.8.1\"")),
            "p.json:1:121: /syscalls/0/includes/minKernel: invalid minKernel \"4.8.1\": expected \"<major>.<minor>\" "
            "such as \"5.8\"");
  EXPECT_EQ(read_error(with_min_kernel("\"4.256\"")),
            "p.json:1:121: /syscalls/0/includes/minKernel: invalid minKernel \"4.256\": each part must be at most 255");
  EXPECT_EQ(read_error(with_min_kernel("\"0.0\"")),
            "p.json:1:121: /syscalls/0/includes/minKernel: invalid minKernel \"0.0\": the version cannot be 0.0");
  EXPECT_EQ(read_error(with_min_kernel("4.8")),
            "p.json:1:121: /syscalls/0/includes/minKernel: expected a string, found a number");
  // "" is moby's "no minimum".
  EXPECT_TRUE(read_profile(with_min_kernel("\"\""), "p.json"));
}

TEST(ReaderErrors, EmptySyscallName) {
  EXPECT_EQ(
      read_error(
          R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read", ""], "action": "SCMP_ACT_LOG"}]})"),
      "p.json:1:69: /syscalls/0/names/1: empty syscall name");
}

// ---------------------------------------------------------------------------
// The writer
// ---------------------------------------------------------------------------

Profile strip_positions(Profile p) {
  p.pos = {};
  p.default_action_pos = {};
  p.default_errno_pos = {};
  p.source.clear();
  for (auto& s : p.syscalls) {
    s.pos = {};
    s.legacy_name = false;  // the canonical form always writes "names"
    for (auto& a : s.args) a.pos = {};
  }
  for (auto& m : p.arch_map) m.pos = {};
  return p;
}

void expect_round_trip(const std::string& text, const std::string& name) {
  auto first = read_profile(text, name);
  ASSERT_TRUE(first) << first.error().message;
  const std::string written = write_profile(first->profile);
  auto second = read_profile(written, name + " (written)");
  ASSERT_TRUE(second) << second.error().message << "\n" << written;
  EXPECT_EQ(strip_positions(first->profile), strip_positions(second->profile)) << written;
  // Canonical: writing again gives the same bytes.
  EXPECT_EQ(write_profile(second->profile), written);
  EXPECT_TRUE(second->strict_findings.empty());
}

TEST(Writer, RoundTripsTheRealProfiles) {
  expect_round_trip(read_data_file(testing::kDockerDefault), "docker-default.json");
  expect_round_trip(read_data_file(testing::kContainersCommon), "containers-common.json");
  expect_round_trip(read_data_file(testing::kSeedExample), "seed-example.json");
}

TEST(Writer, RoundTripsEveryField) {
  expect_round_trip(R"({"defaultAction": "SCMP_ACT_TRACE", "defaultErrnoRet": 70000, "defaultErrno": "EIO",
    "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_NATIVE"], "flags": ["SECCOMP_FILTER_FLAG_SPEC_ALLOW"],
    "listenerPath": "/run/agent.sock", "listenerMetadata": "a \"quoted\"\tvalue\u0001",
    "syscalls": [{"names": ["a", "b"], "action": "SCMP_ACT_NOTIFY", "comment": "ü"},
                 {"name": "c", "action": "SCMP_ACT_ERRNO", "errnoRet": 5, "errno": "EPERM",
                  "args": [{"index": 1, "value": 2, "valueTwo": 3, "op": "SCMP_CMP_MASKED_EQ"},
                           {"index": 1, "value": 18446744073709551615, "op": "SCMP_CMP_NE"}],
                  "includes": {"caps": ["CAP_X"], "arches": ["amd64"], "minKernel": "5.10"},
                  "excludes": {"minKernel": "6.1"}}]})",
                    "fields.json");
}

TEST(Writer, CanonicalLayout) {
  const Profile p = read_ok(R"({"syscalls": [{"action": "SCMP_ACT_ALLOW", "name": "read",
     "args": [{"op": "SCMP_CMP_EQ", "index": 0, "value": 1}]}], "defaultAction": "SCMP_ACT_ERRNO"})");
  EXPECT_EQ(write_profile(p),
            "{\n"
            "  \"defaultAction\": \"SCMP_ACT_ERRNO\",\n"
            "  \"syscalls\": [\n"
            "    {\n"
            "      \"names\": [\"read\"],\n"
            "      \"action\": \"SCMP_ACT_ALLOW\",\n"
            "      \"args\": [\n"
            "        {\n"
            "          \"index\": 0,\n"
            "          \"value\": 1,\n"
            "          \"valueTwo\": 0,\n"
            "          \"op\": \"SCMP_CMP_EQ\"\n"
            "        }\n"
            "      ]\n"
            "    }\n"
            "  ]\n"
            "}\n");
}

}  // namespace
}  // namespace sysfence::profile
