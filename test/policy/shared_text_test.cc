// SharedText: copies share one buffer, and it reads, compares and formats
// as the std::string it stands in for (SourceRef::file).
#include "policy/shared_text.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "policy/rule.h"

namespace sysfence::policy {
namespace {

TEST(SharedText, CopiesShareOneBuffer) {
  const SharedText a(std::string("/etc/containers/seccomp.json"));
  const SharedText b = a;  // NOLINT(performance-unnecessary-copy-initialization): the copy is the point
  EXPECT_EQ(a.str().data(), b.str().data());
  EXPECT_EQ(a, b);
  // Equal text in another buffer is equal too.
  EXPECT_EQ(a, SharedText("/etc/containers/seccomp.json"));
  EXPECT_FALSE(a == SharedText("other.json"));
}

TEST(SharedText, ReadsAsTheStringItReplaced) {
  const SharedText t("containers-common");
  EXPECT_EQ(t, "containers-common");
  EXPECT_EQ(t, std::string("containers-common"));
  EXPECT_EQ(t, std::string_view("containers-common"));
  EXPECT_EQ(t.size(), 17u);
  const std::string& s = t;
  EXPECT_EQ(s, "containers-common");
  const std::string_view v = t;
  EXPECT_EQ(v, "containers-common");
  EXPECT_EQ(fmt::format("{}:{}", t, 12), "containers-common:12");
  std::ostringstream os;
  os << t;
  EXPECT_EQ(os.str(), "containers-common");
}

TEST(SharedText, EmptyIsTheEmptyString) {
  const SharedText none;
  EXPECT_TRUE(none.empty());
  EXPECT_EQ(none, "");
  EXPECT_EQ(none, SharedText(std::string()));
  EXPECT_EQ(fmt::format("[{}]", none), "[]");
  EXPECT_FALSE(SharedText("x").empty());
}

// A policy's rules copy their SourceRef: the file name is not copied with it.
TEST(SharedText, RuleCopiesShareTheFileName) {
  Rule r;
  r.source.file = std::string("/usr/share/containers/seccomp.json");
  const Rule copy = r;
  EXPECT_EQ(copy.source.file.str().data(), r.source.file.str().data());
  EXPECT_EQ(copy, r);
}

// The count is the buffer's own (not a shared_ptr's): copies made and
// dropped on several threads at once leave it exact, and the last copy,
// wherever it goes, frees the buffer (ASan's leak check; use after free).
TEST(SharedText, CopiesOnSeveralThreads) {
  std::vector<SharedText> kept;
  {
    const SharedText original(std::string("/etc/containers/seccomp.json"));
    std::vector<std::thread> threads;
    std::vector<std::vector<SharedText>> made(4);
    for (size_t t = 0; t < made.size(); ++t)
      threads.emplace_back([&original, &mine = made[t]] {
        for (int i = 0; i < 10000; ++i) {
          mine.push_back(original);
          if (i % 2 == 0) mine.pop_back();
        }
      });
    for (std::thread& t : threads) t.join();
    for (const std::vector<SharedText>& m : made) {
      EXPECT_EQ(m.size(), 5000u);
      for (const SharedText& s : m) EXPECT_EQ(s.str().data(), original.str().data());
    }
    kept.push_back(made[0].front());
  }
  ASSERT_EQ(kept.size(), 1u);
  EXPECT_EQ(kept.front(), "/etc/containers/seccomp.json");
  SharedText moved = std::move(kept.front());
  SharedText assigned;
  assigned = moved;
  assigned = assigned;  // NOLINT(clang-diagnostic-self-assign-overloaded): what a self-assignment leaves
  EXPECT_EQ(assigned, "/etc/containers/seccomp.json");
  EXPECT_TRUE(kept.front().empty());  // NOLINT(bugprone-use-after-move): a moved-from text is empty
}

}  // namespace
}  // namespace sysfence::policy
