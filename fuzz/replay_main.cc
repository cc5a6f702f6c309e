// Corpus replay for fuzz targets built without libFuzzer (the default gcc
// build): every file under the directories given as arguments becomes one
// GoogleTest case that feeds the file to LLVMFuzzerTestOneInput. A target
// reports a broken property by aborting (fuzz/check.h), so a failing seed
// shows up as the last case started in the test log.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

class ReplayFile : public testing::Test {
 public:
  explicit ReplayFile(std::filesystem::path path) : path_(std::move(path)) {}

  void TestBody() override {
    std::ifstream in(path_, std::ios::binary);
    ASSERT_TRUE(in) << "cannot open " << path_;
    const std::vector<char> bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    // A copy in a buffer of exactly the input's size, as libFuzzer passes it,
    // so that AddressSanitizer builds catch reads past the end.
    std::vector<uint8_t> exact(bytes.begin(), bytes.end());
    EXPECT_EQ(LLVMFuzzerTestOneInput(exact.data(), exact.size()), 0);
  }

 private:
  std::filesystem::path path_;
};

// Test names are file names with characters gtest rejects replaced.
std::string test_name(const std::filesystem::path& p) {
  std::string s = p.filename().string();
  std::replace_if(
      s.begin(), s.end(), [](char c) { return !(std::isalnum(static_cast<unsigned char>(c)) || c == '_'); }, '_');
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  size_t registered = 0;
  for (int i = 1; i < argc; ++i) {
    std::vector<std::filesystem::path> files;
    std::error_code ec;
    const std::filesystem::path root(argv[i]);
    if (std::filesystem::is_regular_file(root, ec)) {
      files.push_back(root);
    } else {
      for (const auto& entry : std::filesystem::recursive_directory_iterator(root, ec))
        if (entry.is_regular_file()) files.push_back(entry.path());
      if (ec) {
        std::fprintf(stderr, "replay: cannot read %s: %s\n", argv[i], ec.message().c_str());
        return 2;
      }
    }
    std::sort(files.begin(), files.end());
    const std::string suite = test_name(root);
    for (const auto& f : files) {
      testing::RegisterTest(suite.c_str(), test_name(f).c_str(), nullptr, f.string().c_str(), __FILE__, __LINE__,
                            [f]() -> testing::Test* { return new ReplayFile(f); });
      ++registered;
    }
  }
  if (registered == 0) {
    std::fprintf(stderr, "replay: no corpus files given (usage: TARGET DIR|FILE...)\n");
    return 2;
  }
  return RUN_ALL_TESTS();
}
