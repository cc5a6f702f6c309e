#include "tools/cli/output.h"

#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <string>

namespace sysfence::cli {
namespace {

// 0, or the errno of the write that failed.
int write_all(int fd, std::span<const uint8_t> bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    done += static_cast<size_t>(n);
  }
  return 0;
}

Expected<void> write_all(int fd, std::span<const uint8_t> bytes, const std::string& shown) {
  if (const int err = write_all(fd, bytes); err != 0)
    return fail(fmt::format("{}: write failed: {}", shown, std::strerror(err)));
  return {};
}

// The file a dangling symlink (chain) names, which is then created, as a
// shell's `>` does; the link stays a link.
Expected<std::string> follow_symlinks(const std::string& path) {
  std::string current = path;
  // The kernel's own limit on nested links (ELOOP beyond it).
  for (int hops = 0; hops < 40; ++hops) {
    struct stat st {};
    if (::lstat(current.c_str(), &st) != 0 || !S_ISLNK(st.st_mode)) return current;
    // st_size is the link's length, but 0 for /proc's links: PATH_MAX it is.
    std::string target(PATH_MAX, '\0');
    const ssize_t n = ::readlink(current.c_str(), target.data(), target.size());
    if (n < 0) return fail(fmt::format("{}: cannot read symlink: {}", path, std::strerror(errno)));
    target.resize(static_cast<size_t>(n));
    const size_t slash = current.rfind('/');
    if (target.starts_with('/') || slash == std::string::npos) {
      current = target;
    } else {
      current.resize(slash + 1);
      current += target;
    }
  }
  return fail(fmt::format("{}: cannot write output file: {}", path, std::strerror(ELOOP)));
}

// Devices, FIFOs, sockets: opened as they are (no O_CREAT, no O_TRUNC, which
// a character device would not honour anyway) and written through.
Expected<void> write_through(const std::string& path, std::span<const uint8_t> bytes) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) return fail(fmt::format("{}: cannot open output: {}", path, std::strerror(errno)));
  auto written = write_all(fd, bytes, path);
  if (::close(fd) != 0 && written) written = fail(fmt::format("{}: close failed: {}", path, std::strerror(errno)));
  return written;
}

// The temporary file gets what the replaced file had (owner first: chown
// clears set-id bits), or a new file's usual mode. Keeping the owner needs
// privileges a plain user lacks for others' files; then the rename leaves
// the file owned by the writer, as editors and `sed -i` do.
void give_attributes(int fd, const struct stat* old) {
  if (old != nullptr) {
    // A failure (a plain user replacing another's file) is the documented
    // outcome above, not an error; gcc ignores a (void) cast of a
    // warn_unused_result call under _FORTIFY_SOURCE, so the result is tested.
    if (old->st_uid != ::geteuid() || old->st_gid != ::getegid()) {
      if (::fchown(fd, old->st_uid, old->st_gid) != 0) {
        // keep the writer as owner
      }
    }
    ::fchmod(fd, old->st_mode & 07777);
    return;
  }
  const mode_t mask = ::umask(0);
  ::umask(mask);
  ::fchmod(fd, 0666 & ~mask);
}

// A regular file or a new one: temporary beside the target (so rename() stays
// atomic), then renamed over it.
Expected<void> replace_atomically(const std::string& shown, const std::string& target, const struct stat* old,
                                  std::span<const uint8_t> bytes) {
  std::string tmpl = target + ".tmp.XXXXXX";
  const int fd = ::mkstemp(tmpl.data());
  // Beside an existing target the temporary's error can be its own
  // (/proc/version exists, /proc/version.tmp.* cannot): say which file.
  if (fd < 0 && old != nullptr)
    return fail(
        fmt::format("{}: cannot create output file (its temporary {}.tmp.*): {}", shown, target, std::strerror(errno)));
  if (fd < 0) return fail(fmt::format("{}: cannot create output file: {}", shown, std::strerror(errno)));
  auto written = write_all(fd, bytes, shown);
  if (written && ::fsync(fd) != 0 && errno != EINVAL)
    written = fail(fmt::format("{}: fsync failed: {}", shown, std::strerror(errno)));
  if (written) give_attributes(fd, old);
  if (::close(fd) != 0 && written) written = fail(fmt::format("{}: close failed: {}", shown, std::strerror(errno)));
  if (!written) {
    ::unlink(tmpl.c_str());
    return written;
  }
  if (::rename(tmpl.c_str(), target.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmpl.c_str());
    return fail(fmt::format("{}: cannot write output file: {}", shown, std::strerror(err)));
  }
  return {};
}

std::vector<std::string>& argument_paths() {
  static std::vector<std::string> paths;
  return paths;
}

// An error when the existing regular file `target` (`shown` as given) must
// not be replaced: one of the command's arguments names it (it would lose
// what the command read from it), or the user may not write it.
Expected<void> check_replaceable(const std::string& shown, const std::string& target, const struct stat& st) {
  for (const std::string& value : argument_paths()) {
    struct stat other {};
    // "-" reads standard input, which a shell may have opened on this very
    // file (`compile - -o p.json < p.json`).
    const int found = value == "-" ? ::fstat(STDIN_FILENO, &other) : ::stat(value.c_str(), &other);
    if (found != 0 || !S_ISREG(other.st_mode)) continue;
    if (other.st_dev == st.st_dev && other.st_ino == st.st_ino)
      return fail(fmt::format("{}: is also an input of this command ({}); nothing was written", shown,
                              value == "-" ? "standard input" : value));
  }
  if (::faccessat(AT_FDCWD, target.c_str(), W_OK, AT_EACCESS) != 0)
    return fail(fmt::format("{}: cannot write output file: {}", shown, std::strerror(errno)));
  return {};
}

// The directory holding `file`.
std::string parent_dir(const std::string& file) {
  const size_t slash = file.rfind('/');
  return slash == std::string::npos ? "." : slash == 0 ? "/" : file.substr(0, slash);
}

// "cannot create" unless the directory holding `target` lets the user add a
// file to it.
Expected<void> check_parent(const std::string& shown, const std::string& target) {
  if (::faccessat(AT_FDCWD, parent_dir(target).c_str(), W_OK | X_OK, AT_EACCESS) != 0)
    return fail(fmt::format("{}: cannot create output file: {}", shown, std::strerror(errno)));
  return {};
}

// What an output path names, as write_output treats it: a new file (a
// dangling symlink's target), a device/FIFO written through, or an existing
// regular file (resolved, and checked by check_replaceable). A directory,
// an unreadable path or a file that must not be replaced is an error.
struct OutputTarget {
  enum class Kind : uint8_t { kNew, kSpecial, kRegular };
  Kind kind = Kind::kNew;
  std::string file;   // kNew, kRegular: the file written
  struct stat st {};  // kRegular: the file replaced
};

Expected<OutputTarget> output_target(const std::string& path) {
  OutputTarget t;
  if (::stat(path.c_str(), &t.st) != 0) {
    if (errno != ENOENT) return fail(fmt::format("{}: cannot write output file: {}", path, std::strerror(errno)));
    auto target = follow_symlinks(path);
    if (!target) return Unexpected<Error>{target.error()};
    t.file = std::move(*target);
    return t;
  }
  if (S_ISDIR(t.st.st_mode)) return fail(fmt::format("{}: is a directory", path));
  // Devices, FIFOs and what /proc/self/fd links name (`-o /dev/stdout` on a
  // pipe) are opened through the path as given.
  if (!S_ISREG(t.st.st_mode)) {
    t.kind = OutputTarget::Kind::kSpecial;
    return t;
  }
  char* resolved = ::realpath(path.c_str(), nullptr);
  if (resolved == nullptr) return fail(fmt::format("{}: cannot write output file: {}", path, std::strerror(errno)));
  t.kind = OutputTarget::Kind::kRegular;
  t.file = resolved;
  std::free(resolved);
  if (auto ok = check_replaceable(path, t.file, t.st); !ok) return Unexpected<Error>{ok.error()};
  return t;
}

}  // namespace

Expected<void> check_output_file(const std::string& path) {
  if (path == "-") return {};
  auto target = output_target(path);
  if (!target) return Unexpected<Error>{target.error()};
  if (target->kind == OutputTarget::Kind::kSpecial) return {};
  return check_parent(path, target->file);
}

void note_argument_path(std::string_view value) {
  if (!value.empty()) argument_paths().emplace_back(value);
}

Expected<void> write_output(const std::string& path, std::span<const uint8_t> bytes) {
  if (path == "-") {
    // The same words as main's check of stdout, for every command alike.
    if (const int err = write_all(STDOUT_FILENO, bytes); err != 0)
      return fail(fmt::format("error writing standard output: {}", std::strerror(err)));
    return {};
  }
  auto target = output_target(path);
  if (!target) return Unexpected<Error>{target.error()};
  if (target->kind == OutputTarget::Kind::kSpecial) return write_through(path, bytes);
  const bool replaces = target->kind == OutputTarget::Kind::kRegular;
  return replace_atomically(path, target->file, replaces ? &target->st : nullptr, bytes);
}

Expected<void> write_output(const std::string& path, std::string_view text) {
  return write_output(path, std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
}

namespace {

// Removes a temporary directory written by write_directory and what is in it.
void remove_tree(const std::string& dir, std::span<const DirectoryEntry> files) {
  for (const DirectoryEntry& f : files) ::unlink((dir + "/" + f.name).c_str());
  ::rmdir(dir.c_str());
}

Expected<void> write_entry(const std::string& dir, const std::string& shown, const DirectoryEntry& f) {
  const int fd = ::open((dir + "/" + f.name).c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (fd < 0) return fail(fmt::format("{}/{}: cannot create: {}", shown, f.name, std::strerror(errno)));
  auto written =
      write_all(fd, std::span(reinterpret_cast<const uint8_t*>(f.bytes.data()), f.bytes.size()), shown + "/" + f.name);
  if (written && ::fsync(fd) != 0 && errno != EINVAL)
    written = fail(fmt::format("{}/{}: fsync failed: {}", shown, f.name, std::strerror(errno)));
  if (::close(fd) != 0 && written) written = fail(fmt::format("{}/{}: close failed", shown, f.name));
  return written;
}

}  // namespace

Expected<void> write_directory(const std::string& dir, std::span<const DirectoryEntry> files) {
  std::string target = dir;
  while (target.size() > 1 && target.ends_with('/')) target.pop_back();
  for (const DirectoryEntry& f : files) {
    if (f.name.empty() || f.name.find('/') != std::string::npos || f.name == "." || f.name == "..") {
      return fail(fmt::format("{}: invalid file name \"{}\"", dir, f.name));
    }
  }
  struct stat st {};
  if (::stat(target.c_str(), &st) == 0 && !S_ISDIR(st.st_mode)) return fail(fmt::format("{}: not a directory", dir));
  std::string tmp = target + ".tmp.XXXXXX";
  if (::mkdtemp(tmp.data()) == nullptr) {
    return fail(fmt::format("{}: cannot create output directory: {}", dir, std::strerror(errno)));
  }
  for (const DirectoryEntry& f : files) {
    if (auto ok = write_entry(tmp, dir, f); !ok) {
      remove_tree(tmp, files);
      return ok;
    }
  }
  // mkdtemp made it 0700; a directory the user asked for gets the usual mode.
  const mode_t mask = ::umask(0);
  ::umask(mask);
  ::chmod(tmp.c_str(), 0777 & ~mask);
  // rename(2) replaces an empty directory and refuses a full one.
  if (::rename(tmp.c_str(), target.c_str()) != 0) {
    const int err = errno;
    remove_tree(tmp, files);
    if (err == ENOTEMPTY || err == EEXIST) return fail(fmt::format("{}: exists and is not empty", dir));
    return fail(fmt::format("{}: cannot create output directory: {}", dir, std::strerror(err)));
  }
  return {};
}

Expected<std::string> read_input(const std::string& path, size_t max_bytes) {
  if (path.empty()) return fail("empty file name");
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

Expected<void> check_output_directory(const std::string& dir) {
  std::string target = dir;
  while (target.size() > 1 && target.ends_with('/')) target.pop_back();
  struct stat st {};
  if (::stat(target.c_str(), &st) == 0) {
    if (!S_ISDIR(st.st_mode)) return fail(fmt::format("{}: not a directory", dir));
    DIR* d = ::opendir(target.c_str());
    if (d == nullptr) return fail(fmt::format("{}: cannot read directory: {}", dir, std::strerror(errno)));
    bool empty = true;
    while (const dirent* e = ::readdir(d)) {
      const std::string_view name = e->d_name;
      if (name != "." && name != "..") empty = false;
    }
    ::closedir(d);
    if (!empty) return fail(fmt::format("{}: exists and is not empty", dir));
  } else if (errno != ENOENT) {
    return fail(fmt::format("{}: cannot create output directory: {}", dir, std::strerror(errno)));
  }
  if (::faccessat(AT_FDCWD, parent_dir(target).c_str(), W_OK | X_OK, AT_EACCESS) != 0)
    return fail(fmt::format("{}: cannot create output directory: {}", dir, std::strerror(errno)));
  return {};
}

}  // namespace sysfence::cli
