// libseccomp 2.5.4 shares identical blocks across the syscalls of a filter
// (profile/resolve_shared_blocks.cc): a block one syscall wrote first keeps
// the accumulator it expected, and the layout's reload (or none) is decided
// by the first jumper of all, so another syscall's comparison can see the
// word the first one's program left. Every expectation below was read off
// the real libseccomp 2.5.4 (python3-seccomp, optimize level 1: export_bpf
// read with `sysfence disasm`, and each filter proved equal to the policy
// with `sysfence verify --semantics libseccomp`; the earlier per-syscall
// model was not equal on the first and the cross-ABI profiles).
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <array>
#include <string>
#include <string_view>

#include "policy/policy.h"
#include "profile/explain.h"
#include "profile/reader.h"
#include "profile/resolve.h"
#include "test/profile/libseccomp_semantics.h"
#include "syscalls/arch.h"
#include "syscalls/table.h"

namespace sysfence::profile {
namespace {

using syscalls::ArchId;

struct Resolved {
  Resolution resolution;
  std::string notes;  // one per line
};

Resolved resolve_as(std::string_view text, ArchId native, bool runc = false, bool libseccomp = true) {
  Resolved out{testing::resolve_under(text, native, {.libseccomp = libseccomp, .runc = runc}), {}};
  for (const std::string& n : out.resolution.notes) out.notes += n + "\n";
  return out;
}

using testing::answer;

constexpr std::string_view kSharedNote = "libseccomp 2.5.4's filter shares blocks between the conditional rules of";

// write has the most tree nodes: gen_bpf writes it first and lays it out
// first. Its `a0 == 5` block follows a load of args[0] in both syscalls, so
// read's identical block is write's, placed behind write's `a0 == 9` with
// args[0] loaded: no reload. read reaches it when `a2 == 3` fails, with
// args[2] loaded, and compares that: read(7, 0, 5) gets ERRNO(7). Alone,
// read's program reloads args[0] there.
constexpr std::string_view kWriteFirst = R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
  {"names": ["read"], "action": "SCMP_ACT_TRAP",
   "args": [{"index": 0, "value": 7, "op": "SCMP_CMP_EQ"}, {"index": 2, "value": 3, "op": "SCMP_CMP_EQ"}]},
  {"names": ["read"], "action": "SCMP_ACT_ERRNO", "errnoRet": 7, "args": [{"index": 0, "value": 5, "op": "SCMP_CMP_EQ"}]},
  {"names": ["write"], "action": "SCMP_ACT_LOG", "args": [{"index": 0, "value": 13, "op": "SCMP_CMP_EQ"}]},
  {"names": ["write"], "action": "SCMP_ACT_LOG", "args": [{"index": 0, "value": 11, "op": "SCMP_CMP_EQ"}]},
  {"names": ["write"], "action": "SCMP_ACT_LOG", "args": [{"index": ARG_W, "value": 9, "op": "SCMP_CMP_EQ"}]},
  {"names": ["write"], "action": "SCMP_ACT_ERRNO", "errnoRet": 7,
   "args": [{"index": ARG_W, "value": 5, "op": "SCMP_CMP_EQ"}]}]})";

std::string with_index(std::string_view text, char index) {
  std::string out(text);
  for (size_t at; (at = out.find("ARG_W")) != std::string::npos;) out.replace(at, 5, std::string(1, index));
  return out;
}

TEST(LibseccompSharedBlocks, ABlockAnotherSyscallPlacedComparesItsWord) {
  const Resolved lib = resolve_as(with_index(kWriteFirst, '0'), ArchId::kArm);
  const Resolution& r = lib.resolution;
  EXPECT_EQ(answer(r, ArchId::kArm, "read", {7, 0, 5}), Action::Errno(7));
  EXPECT_EQ(answer(r, ArchId::kArm, "read", {7, 0, 3}), Action::Trap());
  EXPECT_EQ(answer(r, ArchId::kArm, "read", {7, 0, 0}), Action::Allow());
  EXPECT_EQ(answer(r, ArchId::kArm, "read", {5}), Action::Errno(7));
  EXPECT_EQ(answer(r, ArchId::kArm, "write", {5}), Action::Errno(7));
  EXPECT_EQ(answer(r, ArchId::kArm, "write", {13}), Action::Log());
  EXPECT_EQ(answer(r, ArchId::kArm, "write", {7, 0, 5}), Action::Allow());
  EXPECT_NE(lib.notes.find(std::string(kSharedNote) + " read (arm)"), std::string::npos) << lib.notes;
  EXPECT_EQ(lib.notes.find(std::string(kSharedNote) + " write"), std::string::npos) << lib.notes;
  // explain says the decision is the filter's where it differs.
  auto read = read_profile(with_index(kWriteFirst, '0'), "s.json");
  ASSERT_TRUE(read);
  const ResolveOptions o = testing::options_under(ArchId::kArm);
  for (const char* name : {"read", "write"}) {
    auto text = explain_syscall(read->profile, r, o, name);
    ASSERT_TRUE(text) << text.error().message;
    EXPECT_EQ(text->find("These are what libseccomp 2.5.4's filter answers") != std::string::npos,
              std::string_view(name) == "read")
        << *text;
  }
  // The profile's own reading: the rules as written.
  const Resolved own = resolve_as(with_index(kWriteFirst, '0'), ArchId::kArm, false, false);
  EXPECT_EQ(answer(own.resolution, ArchId::kArm, "read", {7, 0, 5}), Action::Allow());
  EXPECT_EQ(own.notes.find(kSharedNote), std::string::npos);
}

// write's rules on args[1] (and fewer nodes: read is written first): its
// `== 5` block follows a load of args[1], read's a load of args[0], and
// libseccomp 2.5.4 keeps the two apart (two `== 5` blocks in its filter;
// shared, write's would get read's reload of args[0]).
TEST(LibseccompSharedBlocks, BlocksThatRelyOnAnotherWordAreNotShared) {
  const Resolved lib = resolve_as(R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
    {"names": ["read"], "action": "SCMP_ACT_TRAP",
     "args": [{"index": 0, "value": 7, "op": "SCMP_CMP_EQ"}, {"index": 2, "value": 3, "op": "SCMP_CMP_EQ"}]},
    {"names": ["read"], "action": "SCMP_ACT_ERRNO", "errnoRet": 7, "args": [{"index": 0, "value": 5, "op": "SCMP_CMP_EQ"}]},
    {"names": ["write"], "action": "SCMP_ACT_LOG", "args": [{"index": 1, "value": 9, "op": "SCMP_CMP_EQ"}]},
    {"names": ["write"], "action": "SCMP_ACT_ERRNO", "errnoRet": 7,
     "args": [{"index": 1, "value": 5, "op": "SCMP_CMP_EQ"}]}]})",
                                  ArchId::kArm);
  EXPECT_EQ(answer(lib.resolution, ArchId::kArm, "write", {0, 5}), Action::Errno(7));
  EXPECT_EQ(answer(lib.resolution, ArchId::kArm, "write", {5, 0}), Action::Allow());
  EXPECT_EQ(answer(lib.resolution, ArchId::kArm, "read", {7, 0, 5}), Action::Allow());
  EXPECT_EQ(answer(lib.resolution, ArchId::kArm, "read", {5}), Action::Errno(7));
  EXPECT_EQ(lib.notes.find(kSharedNote), std::string::npos) << lib.notes;
}

// With write's first two rules gone, read has more nodes than write: it is
// written and laid out first, and its reload serves write too.
TEST(LibseccompSharedBlocks, TheFirstSyscallLaidOutDecidesTheReload) {
  std::string text = with_index(kWriteFirst, '0');
  for (const char* gone : {R"(  {"names": ["write"], "action": "SCMP_ACT_LOG", "args": [{"index": 0, "value": 13, "op": "SCMP_CMP_EQ"}]},
)", R"(  {"names": ["write"], "action": "SCMP_ACT_LOG", "args": [{"index": 0, "value": 11, "op": "SCMP_CMP_EQ"}]},
)"}) {
    const size_t at = text.find(gone);
    ASSERT_NE(at, std::string::npos);
    text.erase(at, std::string_view(gone).size());
  }
  const Resolved lib = resolve_as(text, ArchId::kArm);
  EXPECT_EQ(answer(lib.resolution, ArchId::kArm, "read", {7, 0, 5}), Action::Allow());
  EXPECT_EQ(answer(lib.resolution, ArchId::kArm, "read", {5}), Action::Errno(7));
  EXPECT_EQ(answer(lib.resolution, ArchId::kArm, "write", {5}), Action::Errno(7));
  EXPECT_EQ(answer(lib.resolution, ArchId::kArm, "write", {9}), Action::Log());
  EXPECT_EQ(lib.notes.find(kSharedNote), std::string::npos) << lib.notes;
}

// Optimize level 2 (runc above 32 syscall names, --libseccomp-optimize 2)
// writes an ABI's syscalls by number, the lowest first, and lays them out
// in that order: read (3) before write (4) whatever their nodes. As
// written, read's reload serves write; with the two names swapped, the
// syscall with the four rules is read, and write's `a2 == 3` falls into its
// unreloaded block (libseccomp 2.5.4 at level 2: write(7, 0, 5) ERRNO(7)).
TEST(LibseccompSharedBlocks, AtLevelTwoTheLowerNumberComesFirst) {
  std::string padded = with_index(kWriteFirst, '0');
  std::string names;
  for (int i = 0; i < 32; ++i) names += std::string(i == 0 ? "" : ", ") + "\"getpid\"";
  padded.insert(padded.rfind("]}"), R"(, {"names": [)" + names + R"(], "action": "SCMP_ACT_LOG"})");
  const Resolved runc = resolve_as(padded, ArchId::kArm, true);
  EXPECT_EQ(answer(runc.resolution, ArchId::kArm, "read", {7, 0, 5}), Action::Allow());
  EXPECT_EQ(answer(runc.resolution, ArchId::kArm, "write", {7, 0, 5}), Action::Allow());
  EXPECT_EQ(runc.notes.find(kSharedNote), std::string::npos) << runc.notes;
  // runc keeps level 1 for up to 32 names.
  const Resolved few = resolve_as(with_index(kWriteFirst, '0'), ArchId::kArm, true);
  EXPECT_EQ(answer(few.resolution, ArchId::kArm, "read", {7, 0, 5}), Action::Errno(7));

  std::string swapped = padded;
  for (size_t at = 0; (at = swapped.find("\"read\"", at)) != std::string::npos; at += 7) swapped.replace(at, 6, "\"READ\"");
  for (size_t at = 0; (at = swapped.find("\"write\"", at)) != std::string::npos; at += 6) swapped.replace(at, 7, "\"read\"");
  for (size_t at = 0; (at = swapped.find("\"READ\"", at)) != std::string::npos; at += 7) swapped.replace(at, 6, "\"write\"");
  const Resolved level2 = resolve_as(swapped, ArchId::kArm, true);
  EXPECT_EQ(answer(level2.resolution, ArchId::kArm, "write", {7, 0, 5}), Action::Errno(7));
  EXPECT_EQ(answer(level2.resolution, ArchId::kArm, "write", {7, 0, 3}), Action::Trap());
  EXPECT_EQ(answer(level2.resolution, ArchId::kArm, "read", {9}), Action::Log());
  EXPECT_NE(level2.notes.find(std::string(kSharedNote) + " write (arm)"), std::string::npos) << level2.notes;
}

constexpr std::string_view kCrossAbiSyscalls = R"([{"names": ["umask", "read"], "action": "SCMP_ACT_LOG", "args": [{"index": 2, "value": 9, "op": "SCMP_CMP_EQ"}]}, {"names": ["umask", "read"], "action": "SCMP_ACT_TRAP", "args": [{"index": 1, "value": 7, "op": "SCMP_CMP_GE"}]}, {"names": ["read"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 1, "value": 4294967301, "op": "SCMP_CMP_EQ"}, {"index": 2, "value": 11, "op": "SCMP_CMP_LT"}]}, {"names": ["read"], "action": "SCMP_ACT_TRAP", "args": [{"index": 1, "value": 3, "op": "SCMP_CMP_EQ"}]}, {"names": ["read", "umask"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 1, "value": 5, "op": "SCMP_CMP_LT"}, {"index": 2, "value": 7, "op": "SCMP_CMP_EQ"}]}, {"names": ["read"], "action": "SCMP_ACT_LOG", "args": [{"index": 0, "value": 3, "op": "SCMP_CMP_EQ"}, {"index": 2, "value": 5, "op": "SCMP_CMP_NE"}]}, {"names": ["read", "umask"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": 5, "op": "SCMP_CMP_LT"}], "errnoRet": 7}, {"names": ["read", "umask"], "action": "SCMP_ACT_TRAP", "args": [{"index": 1, "value": 3, "op": "SCMP_CMP_NE"}, {"index": 2, "value": 9, "op": "SCMP_CMP_EQ"}]}, {"names": ["umask"], "action": "SCMP_ACT_LOG", "args": [{"index": 0, "value": 3, "op": "SCMP_CMP_EQ"}, {"index": 2, "value": 1, "op": "SCMP_CMP_MASKED_EQ", "valueTwo": 1}]}, {"names": ["umask"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 2, "value": 5, "op": "SCMP_CMP_EQ"}]}, {"names": ["umask"], "action": "SCMP_ACT_LOG", "args": [{"index": 0, "value": 4294967301, "op": "SCMP_CMP_NE"}, {"index": 1, "value": 3, "op": "SCMP_CMP_NE"}]}])";

// One filter for x86_64 and i386: gen_bpf writes x86_64's syscalls first
// and lays out i386's first; i386's umask compares a word that x86_64's
// blocks left (found by a random sweep against libseccomp 2.5.4).
TEST(LibseccompSharedBlocks, AcrossTheAbisOfOneFilter) {
  const std::string text = R"({"defaultAction": "SCMP_ACT_LOG",
    "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"], "syscalls": )" + std::string(kCrossAbiSyscalls) + "}";
  const Resolved lib = resolve_as(text, ArchId::kX86_64);
  EXPECT_EQ(answer(lib.resolution, ArchId::kI386, "umask", {0, 7, 6}), Action::Trap());
  EXPECT_NE(lib.notes.find(std::string(kSharedNote) + " umask (i386)"), std::string::npos) << lib.notes;
}

// A syscall whose program the model cannot read (40 rules on ioctl of two
// failed comparisons each: their pieces pass the bound on conditions) but
// whose blocks no other syscall reaches leaves the others' sharing modelled:
// read's `a0 == 5` is still write's block (real libseccomp 2.5.4, this very
// profile on arm: read(7, 0, 5) ERRNO(7); the filter proved equal to the
// policy but for ioctl, whose own note says it is not modelled). The whole
// filter's sharing was given up before, with one note for the profile.
TEST(LibseccompSharedBlocks, ASyscallBeyondTheModelAloneLeavesTheOthersModelled) {
  std::string text(with_index(kWriteFirst, '0'));
  text.resize(text.rfind(']'));  // the syscalls' closing bracket
  for (int i = 0; i < 40; ++i) {
    text += fmt::format(R"(, {{"names": ["ioctl"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1, "args": [
      {{"index": 1, "value": {}, "op": "SCMP_CMP_NE"}}, {{"index": 2, "value": {}, "op": "SCMP_CMP_NE"}},
      {{"index": 3, "value": {}, "op": "SCMP_CMP_EQ"}}]}})",
                        1000 + i, 2000 + i, 3000 + i);
  }
  text += "]}";
  const Resolved lib = resolve_as(text, ArchId::kArm);
  EXPECT_EQ(answer(lib.resolution, ArchId::kArm, "read", {7, 0, 5}), Action::Errno(7));
  EXPECT_EQ(answer(lib.resolution, ArchId::kArm, "write", {5}), Action::Errno(7));
  EXPECT_NE(lib.notes.find(std::string(kSharedNote) + " read (arm)"), std::string::npos) << lib.notes;
  EXPECT_NE(lib.notes.find("conditional rules of ioctl (arm) is beyond the bounds"), std::string::npos) << lib.notes;
  EXPECT_EQ(lib.notes.find("shares identical blocks of its filter between syscalls"), std::string::npos) << lib.notes;
}

// Two syscalls with the same 40 rules share every block, and their paths
// pass the bound on conditions: each gets its own note that the model does
// not read what it answers; the third syscall, sharing nothing, is taken
// as its program alone answers. The model gave up for the whole filter
// before, with one note for the profile.
TEST(LibseccompSharedBlocks, SyscallsPastTheBoundsAreNotedOneByOne) {
  std::string text = R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
    {"names": ["close"], "action": "SCMP_ACT_LOG", "args": [{"index": 0, "value": 77, "op": "SCMP_CMP_EQ"}]})";
  for (int i = 0; i < 40; ++i) {
    text += fmt::format(R"(, {{"names": ["read", "write"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1, "args": [
      {{"index": 1, "value": {}, "op": "SCMP_CMP_NE"}}, {{"index": 2, "value": {}, "op": "SCMP_CMP_NE"}},
      {{"index": 3, "value": {}, "op": "SCMP_CMP_EQ"}}]}})",
                        1000 + i, 2000 + i, 3000 + i);
  }
  text += "]}";
  const Resolved lib = resolve_as(text, ArchId::kArm);
  for (const char* name : {"read", "write"}) {
    EXPECT_NE(lib.notes.find(fmt::format("libseccomp 2.5.4's filter shares blocks between the conditional rules of {} "
                                         "(arm) and another syscall's, which can make one of its comparisons see "
                                         "another argument word; what its program then answers is beyond the bounds",
                                         name)),
              std::string::npos)
        << lib.notes;
  }
  EXPECT_EQ(lib.notes.find("close"), std::string::npos) << lib.notes;
  EXPECT_EQ(lib.notes.find("for this profile"), std::string::npos) << lib.notes;
  EXPECT_EQ(answer(lib.resolution, ArchId::kArm, "close", {77}), Action::Log());
  EXPECT_EQ(answer(lib.resolution, ArchId::kArm, "read", {0, 0, 0, 3000}), Action::Errno(1));
}

}  // namespace
}  // namespace sysfence::profile
