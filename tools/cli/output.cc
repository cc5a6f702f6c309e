#include "tools/cli/output.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace sysfence::cli {
namespace {

Expected<void> write_all(int fd, std::span<const uint8_t> bytes, const std::string& shown) {
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail(fmt::format("{}: write failed: {}", shown, std::strerror(errno)));
    }
    done += static_cast<size_t>(n);
  }
  return {};
}

}  // namespace

Expected<void> write_output(const std::string& path, std::span<const uint8_t> bytes) {
  if (path == "-") return write_all(STDOUT_FILENO, bytes, "<stdout>");
  // The temporary lives in the target's directory so rename() stays atomic.
  std::string tmpl = path + ".tmp.XXXXXX";
  int fd = ::mkstemp(tmpl.data());
  if (fd < 0) return fail(fmt::format("{}: cannot create output file: {}", path, std::strerror(errno)));
  auto written = write_all(fd, bytes, path);
  if (written && ::fsync(fd) != 0 && errno != EINVAL)
    written = fail(fmt::format("{}: fsync failed: {}", path, std::strerror(errno)));
  // mkstemp creates 0600; give the file the usual mode (0666 & ~umask).
  const mode_t mask = ::umask(0);
  ::umask(mask);
  ::fchmod(fd, 0666 & ~mask);
  if (::close(fd) != 0 && written) written = fail(fmt::format("{}: close failed: {}", path, std::strerror(errno)));
  if (!written) {
    ::unlink(tmpl.c_str());
    return written;
  }
  if (::rename(tmpl.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmpl.c_str());
    return fail(fmt::format("{}: cannot write output file: {}", path, std::strerror(err)));
  }
  return {};
}

Expected<void> write_output(const std::string& path, std::string_view text) {
  return write_output(path, std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
}

Expected<std::string> read_input(const std::string& path, size_t max_bytes) {
  const bool is_stdin = path == "-";
  const std::string shown = is_stdin ? "<stdin>" : path;
  int fd = is_stdin ? STDIN_FILENO : ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fail(fmt::format("{}: cannot open: {}", shown, std::strerror(errno)));
  struct stat st {};
  if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
    if (!is_stdin) ::close(fd);
    return fail(fmt::format("{}: is a directory", shown));
  }
  std::string data;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      if (!is_stdin) ::close(fd);
      return fail(fmt::format("{}: read failed: {}", shown, std::strerror(err)));
    }
    if (n == 0) break;
    if (data.size() + static_cast<size_t>(n) > max_bytes) {
      if (!is_stdin) ::close(fd);
      return fail(fmt::format("{}: input is larger than the limit of {} bytes", shown, max_bytes));
    }
    data.append(buf, static_cast<size_t>(n));
  }
  if (!is_stdin) ::close(fd);
  return data;
}

}  // namespace sysfence::cli
