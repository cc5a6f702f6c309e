#include "live/proc_status.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <fstream>

namespace sysfence::live {

Expected<std::map<std::string, std::string>> read_status_fields(pid_t pid) {
  const std::string path = pid == 0 ? "/proc/self/status" : fmt::format("/proc/{}/status", pid);
  std::ifstream in(path);
  if (!in) {
    if (errno == ENOENT || errno == ESRCH) return fail(fmt::format("process {}: no such process", pid));
    return fail(fmt::format("{}: {}", path, std::strerror(errno)));
  }
  std::map<std::string, std::string> fields;
  std::string line;
  while (std::getline(in, line)) {
    const size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    const size_t start = line.find_first_not_of(" \t", colon + 1);
    fields[line.substr(0, colon)] = start == std::string::npos ? "" : line.substr(start);
  }
  if (fields.empty()) return fail(fmt::format("process {}: no such process", pid));
  return fields;
}

std::optional<unsigned long> status_number(const std::map<std::string, std::string>& fields, const std::string& name) {
  const auto it = fields.find(name);
  if (it == fields.end() || it->second.empty()) return std::nullopt;
  char* end = nullptr;
  errno = 0;
  const unsigned long v = std::strtoul(it->second.c_str(), &end, 10);
  if (errno != 0 || end == it->second.c_str()) return std::nullopt;
  return v;
}

}  // namespace sysfence::live
