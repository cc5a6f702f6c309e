// The public API (sysfence/sysfence.h) as a user sees it: the native ABI
// unless told, the CLI's spellings for the target, errors as values that
// name what was wrong, every output format, and an installed filter that
// the real kernel enforces (in a forked child).
#include <gtest/gtest.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "sysfence/sysfence.h"
#include "test/bpf/kernel_child.h"

namespace {

using sysfence::api::compile;
using sysfence::api::CompileOptions;
using sysfence::api::Format;
using sysfence::api::Profile;
using sysfence::api::Target;

// The ABI this test binary is compiled for, from the compiler's own macros.
constexpr const char* kHostAbi =
#if defined(__x86_64__) && defined(__ILP32__)
    "x32";
#elif defined(__x86_64__)
    "x86_64";
#elif defined(__aarch64__)
    "aarch64";
#elif defined(__i386__)
    "i386";
#else
    "";
#endif

// getcwd fails with errno 42; everything else is allowed.
constexpr const char* kGetcwdErrno42 = R"({
  "defaultAction": "SCMP_ACT_ALLOW",
  "syscalls": [{"names": ["getcwd"], "action": "SCMP_ACT_ERRNO", "errnoRet": 42}]
})";

std::string tmp_dir() {
  const char* dir = std::getenv("TEST_TMPDIR");
  return dir != nullptr ? dir : "/tmp";
}

Target with_arch(std::string arch) {
  Target t;
  t.arch = std::move(arch);
  return t;
}
Target with_caps(std::string caps) {
  Target t;
  t.caps = std::move(caps);
  return t;
}
Target with_kernel(std::string kernel) {
  Target t;
  t.kernel = std::move(kernel);
  return t;
}

TEST(ApiTest, DefaultProfileCompilesForTheNativeAbiWithAProof) {
  auto filter = compile(Profile::builtin_default());
  ASSERT_TRUE(filter) << filter.error().message;
  if (*kHostAbi != '\0') {
    EXPECT_EQ(filter->native_arch(), kHostAbi);
  }
  EXPECT_GT(filter->size(), 0U);
  EXPECT_LE(filter->size(), 4096U);
  EXPECT_TRUE(filter->proved());
  EXPECT_TRUE(filter->prove());
  EXPECT_NE(filter->proof_summary().find("proved equal to the policy"), std::string::npos);
}

TEST(ApiTest, ForeignArchUsesItsSubArchesAndByteOrder) {
  auto filter = compile(Profile::builtin_default(), with_arch("arm64"));
  ASSERT_TRUE(filter) << filter.error().message;
  EXPECT_EQ(filter->native_arch(), "aarch64");
  EXPECT_EQ(filter->arches(), (std::vector<std::string>{"aarch64", "arm"}));
  auto big = compile(Profile::builtin_default(), with_arch("s390x"));
  ASSERT_TRUE(big) << big.error().message;
  auto raw = big->write(Format::kRaw);
  ASSERT_TRUE(raw);
  ASSERT_EQ(raw->size(), big->size() * 8);
  // The first instruction is `A = arch`: code 0x20 (BPF_LD|BPF_W|BPF_ABS),
  // big-endian on s390x, and k = 4 (offsetof(seccomp_data, arch)).
  EXPECT_EQ(static_cast<unsigned char>((*raw)[0]), 0x00);
  EXPECT_EQ(static_cast<unsigned char>((*raw)[1]), 0x20);
  EXPECT_EQ(static_cast<unsigned char>((*raw)[7]), 0x04);
}

TEST(ApiTest, ArchListKeepsOnlyTheListedAbis) {
  auto filter = compile(Profile::builtin_default(), with_arch("x86_64,i386"));
  ASSERT_TRUE(filter) << filter.error().message;
  EXPECT_EQ(filter->arches(), (std::vector<std::string>{"x86_64", "i386"}));
}

TEST(ApiTest, BadTargetsAreErrorsThatSayWhy) {
  auto arch = compile(Profile::builtin_default(), with_arch("aarch46"));
  ASSERT_FALSE(arch);
  EXPECT_NE(arch.error().message.find("did you mean \"aarch64\""), std::string::npos) << arch.error().message;
  auto caps = compile(Profile::builtin_default(), with_caps("CAP_NOPE"));
  ASSERT_FALSE(caps);
  EXPECT_NE(caps.error().message.find("CAP_NOPE"), std::string::npos) << caps.error().message;
  auto kernel = compile(Profile::builtin_default(), with_kernel("six"));
  ASSERT_FALSE(kernel);
  EXPECT_NE(kernel.error().message.find("six"), std::string::npos) << kernel.error().message;
}

TEST(ApiTest, AnActionTheTargetKernelLacksIsAnError) {
  auto profile = Profile::from_string(R"({"defaultAction": "SCMP_ACT_LOG"})", "log.json");
  ASSERT_TRUE(profile) << profile.error().message;
  auto old = compile(*profile, with_kernel("3.18"));
  ASSERT_FALSE(old);
  EXPECT_NE(old.error().message.find("SCMP_ACT_LOG"), std::string::npos) << old.error().message;
  EXPECT_TRUE(compile(*profile, with_kernel("4.14")));
}

TEST(ApiTest, ProfileErrorsNameTheSourceAndPosition) {
  auto missing = Profile::from_file("/nonexistent/seccomp.json");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("/nonexistent/seccomp.json"), std::string::npos);
  auto bad = Profile::from_string("{\n  \"defaultAction\": 3\n}", "mine.json");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("mine.json:2:"), std::string::npos) << bad.error().message;
}

TEST(ApiTest, ProfileFromFileKeepsItsName) {
  const std::string path = tmp_dir() + "/p.json";
  std::ofstream(path) << kGetcwdErrno42;
  auto profile = Profile::from_file(path);
  ASSERT_TRUE(profile) << profile.error().message;
  EXPECT_EQ(profile->name(), path);
  auto filter = compile(*profile);
  ASSERT_TRUE(filter) << filter.error().message;
  auto header = filter->write(Format::kC);
  ASSERT_TRUE(header);
  EXPECT_NE(header->find(path), std::string::npos);
}

TEST(ApiTest, EveryFormatAndFiles) {
  auto filter = compile(Profile::builtin_default(), {},
                        CompileOptions{.strategy = sysfence::api::Strategy::kOptimal, .prove = false});
  ASSERT_TRUE(filter) << filter.error().message;
  EXPECT_FALSE(filter->proved());
  EXPECT_TRUE(filter->prove());
  auto c = filter->write(Format::kC, "my_filter");
  ASSERT_TRUE(c);
  EXPECT_NE(c->find("struct sock_filter my_filter[]"), std::string::npos);
  auto text = filter->write(Format::kText);
  ASSERT_TRUE(text);
  EXPECT_NE(text->find("A = arch"), std::string::npos);
  auto json = filter->write(Format::kJson);
  ASSERT_TRUE(json);
  EXPECT_EQ(json->front(), '{');
  EXPECT_NE(json->find("\"program\""), std::string::npos);
  auto bad_name = filter->write(Format::kC, "1st");
  ASSERT_FALSE(bad_name);
  EXPECT_NE(bad_name.error().message.find("\"1st\""), std::string::npos);

  const std::string path = tmp_dir() + "/filter.bpf";
  ASSERT_TRUE(filter->write_file(path, Format::kRaw));
  std::ifstream in(path, std::ios::binary);
  std::stringstream bytes;
  bytes << in.rdbuf();
  EXPECT_EQ(bytes.str(), *filter->write(Format::kRaw));
  auto unwritable = filter->write_file("/nonexistent/dir/f.bpf", Format::kRaw);
  ASSERT_FALSE(unwritable);
  EXPECT_NE(unwritable.error().message.find("/nonexistent/dir/f.bpf"), std::string::npos);
}

TEST(ApiTest, InstalledFilterIsEnforcedByTheKernel) {
  if (sysfence::bpf::testing::running_under_sanitizer()) GTEST_SKIP() << "the sanitizer runtime's own syscalls";
  auto profile = Profile::from_string(kGetcwdErrno42);
  ASSERT_TRUE(profile) << profile.error().message;
  auto filter = compile(*profile);
  ASSERT_TRUE(filter) << filter.error().message;
  char buf[4096];
  ASSERT_GT(syscall(SYS_getcwd, buf, sizeof buf), 0) << "getcwd fails without a filter";

  sysfence::bpf::testing::Shared<int> result;
  *result = -1;
  const auto status = sysfence::bpf::testing::run_in_child([&] {
    if (!filter->install()) _exit(3);
    char child_buf[4096];
    const long rc = syscall(SYS_getcwd, child_buf, sizeof child_buf);
    *result = rc == -1 ? errno : 0;
  });
  ASSERT_TRUE(status.exited && status.exit_code == 0) << status.describe();
  EXPECT_EQ(*result, 42);
}

}  // namespace
