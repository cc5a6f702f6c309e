// Reads test data that the BUILD file lists in `data` (paths relative to the
// workspace root, which is the test's working directory under Bazel).
#pragma once

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

namespace sysfence::profile::testing {

inline std::string read_data_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open test data " + path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

inline constexpr const char* kDockerDefault = "profile/data/docker-default.json";
inline constexpr const char* kContainersCommon = "profile/data/containers-common.json";
inline constexpr const char* kSeedExample = "profile/examples/seed-example.json";

}  // namespace sysfence::profile::testing
