#include "run/command.h"

#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace sysfence::run {

namespace {

// What trying one candidate path tells execvp.
enum class Probe { kRunnable, kMissing, kNotRunnable };

Probe probe(const std::string& path, int* err) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    *err = errno;
    return (errno == ENOENT || errno == ENOTDIR) ? Probe::kMissing : Probe::kNotRunnable;
  }
  if (!S_ISREG(st.st_mode)) {
    *err = S_ISDIR(st.st_mode) ? EISDIR : EACCES;
    return Probe::kNotRunnable;
  }
  if (::access(path.c_str(), X_OK) != 0) {
    *err = errno;
    return Probe::kNotRunnable;
  }
  return Probe::kRunnable;
}

std::string errno_text(int err) { return std::strerror(err); }

}  // namespace

Expected<std::string, CommandError> find_executable(const std::string& name) {
  if (name.empty()) return Unexpected<CommandError>{{kExitNotFound, "the command name is empty"}};
  int err = 0;
  if (name.find('/') != std::string::npos) {
    switch (probe(name, &err)) {
      case Probe::kRunnable: return name;
      case Probe::kMissing:
        return Unexpected<CommandError>{{kExitNotFound, fmt::format("{}: {}", name, errno_text(err))}};
      case Probe::kNotRunnable:
        return Unexpected<CommandError>{{kExitCannotRun, fmt::format("{}: {}", name, errno_text(err))}};
    }
  }
  const char* env_path = std::getenv("PATH");
  const std::string path_list = env_path != nullptr ? env_path : "/bin:/usr/bin";
  std::string first_unrunnable;
  int unrunnable_err = 0;
  size_t pos = 0;
  while (true) {
    const size_t colon = path_list.find(':', pos);
    const std::string_view entry =
        std::string_view{path_list}.substr(pos, colon == std::string::npos ? std::string::npos : colon - pos);
    // An empty entry means the current directory.
    const std::string candidate = (entry.empty() ? std::string(".") : std::string(entry)) + "/" + name;
    switch (probe(candidate, &err)) {
      case Probe::kRunnable: return candidate;
      case Probe::kMissing: break;
      case Probe::kNotRunnable:
        if (first_unrunnable.empty()) {
          first_unrunnable = candidate;
          unrunnable_err = err;
        }
        break;
    }
    if (colon == std::string::npos) break;
    pos = colon + 1;
  }
  if (!first_unrunnable.empty()) {
    return Unexpected<CommandError>{
        {kExitCannotRun, fmt::format("{}: {}", first_unrunnable, errno_text(unrunnable_err))}};
  }
  return Unexpected<CommandError>{{kExitNotFound, fmt::format("{}: executable file not found in $PATH", name)}};
}

ExecImage make_exec_image(std::string path, std::vector<std::string> args) {
  ExecImage image;
  image.path = std::move(path);
  image.args = std::move(args);
  for (std::string& a : image.args) image.argv.push_back(a.data());
  image.argv.push_back(nullptr);
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) image.envp.push_back(*e);
  image.envp.push_back(nullptr);
  image.script_args.emplace_back("/bin/sh");
  image.script_args.push_back(image.path);
  for (size_t i = 1; i < image.args.size(); ++i) image.script_args.push_back(image.args[i]);
  for (std::string& a : image.script_args) image.script_argv.push_back(a.data());
  image.script_argv.push_back(nullptr);
  return image;
}

int exec_image(const ExecImage& image) {
  if (::execve(image.path.c_str(), image.argv.data(), image.envp.data()) == 0) return 0;
  if (errno != ENOEXEC) return errno;
  // A file without a recognized format: execvp hands it to the shell.
  if (::execve(image.script_argv[0], image.script_argv.data(), image.envp.data()) == 0) return 0;
  return ENOEXEC;
}

int exit_code_for_exec_errno(int err) { return err == ENOENT || err == ENOTDIR ? kExitNotFound : kExitCannotRun; }

}  // namespace sysfence::run
