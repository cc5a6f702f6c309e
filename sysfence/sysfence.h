// sysfence as a library: compile a seccomp profile (Docker / containers-common
// / OCI JSON) to a classic-BPF filter, prove it equal to the profile, write it
// out or install it. The only public header; everything it uses is standard
// C++, so a program that includes it needs nothing of sysfence's sources.
//
//   auto profile = sysfence::api::Profile::builtin_default();
//   auto filter = sysfence::api::compile(profile);   // the native ABI
//   if (!filter) { std::cerr << filter.error().message << "\n"; return 2; }
//   for (const std::string& w : filter->warnings()) std::cerr << w << "\n";
//   if (auto ok = filter->install(); !ok) { ... ok.error().message ... }
//
// Link with `pkg-config --cflags --libs sysfence`, CMake's
// `find_package(sysfence)` + `target_link_libraries(app sysfence::sysfence)`,
// or Bazel's `@sysfence//sysfence`. Requires C++20 (-std=c++20).
#pragma once

static_assert(__cplusplus >= 202002L,
              "sysfence/sysfence.h needs C++20: compile with -std=c++20 (pkg-config --cflags sysfence "
              "and the CMake target sysfence::sysfence add it)");

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace sysfence::api {

// A failure, ready to print: it names the file and line:column, the flag-like
// option ("unknown architecture \"aarch46\" (did you mean \"aarch64\"?)") or
// what the kernel refused.
struct Error {
  std::string message;
};

// A T or an Error. Accessing the wrong one is a programming error: value() on
// an error throws std::bad_variant_access rather than returning garbage.
template <typename T>
class [[nodiscard]] Result {
 public:
  // Implicit, so that functions can `return value;` and `return Error{...};`.
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}      // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  const T& value() const& { return std::get<0>(v_); }
  T& value() & { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  const T& operator*() const& { return value(); }
  T& operator*() & { return value(); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }
  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return !error_; }
  explicit operator bool() const { return ok(); }
  const Error& error() const { return *error_; }

 private:
  std::optional<Error> error_;
};

// A seccomp profile, not yet resolved for any machine: its name (for
// messages and output comments) and its JSON text. A plain value.
class Profile {
 public:
  // The built-in default (Docker's default profile).
  static Profile builtin_default();
  // Reads and parses `path`; errors name the file and line:column.
  static Result<Profile> from_file(const std::string& path);
  // Parses `json`; `name` is what messages call it.
  static Result<Profile> from_string(std::string json, std::string name = "<string>");

  const std::string& name() const { return name_; }
  // Empty for the built-in default.
  const std::string& text() const { return text_; }
  bool is_builtin_default() const { return builtin_; }

 private:
  Profile(std::string name, std::string text, bool builtin)
      : name_(std::move(name)), text_(std::move(text)), builtin_(builtin) {}
  std::string name_;
  std::string text_;
  bool builtin_ = false;
};

// The machine and container the filter is for. Strings in the CLI's syntax,
// so that a setting means the same as the flag of the same name.
struct Target {
  // "native" (the ABI this program runs as; never a silent x86_64), any
  // spelling `sysfence --arch` accepts ("aarch64", "arm64", "SCMP_ARCH_ARM"),
  // or a comma list that keeps only those ABIs ("x86_64,i386").
  std::string arch = "native";
  // The container's capabilities: "docker-default", "all", "none" or a list
  // ("CAP_SYS_ADMIN,CAP_NET_RAW").
  std::string caps = "docker-default";
  // The kernel the filter will run on, "X.Y"; empty: the running kernel.
  // An action that kernel lacks is an error naming it.
  std::string kernel;
};

enum class Strategy : uint8_t { kOptimal, kBalanced, kLinear };

struct CompileOptions {
  Strategy strategy = Strategy::kOptimal;
  // Prove the program equal to the resolved policy before returning it
  // (compile fails when it is not: that would be a sysfence bug).
  bool prove = true;
};

enum class Format : uint8_t {
  kRaw,   // struct sock_filter[] in the target's byte order
  kC,     // a self-contained C header
  kText,  // the disassembly
  kJson,  // resolved policy, program and the compiler's report
};

struct InstallOptions {
  bool all_threads = false;      // SECCOMP_FILTER_FLAG_TSYNC
  bool log = false;              // SECCOMP_FILTER_FLAG_LOG
  bool set_no_new_privs = true;  // without it the kernel demands CAP_SYS_ADMIN
};

// A compiled filter. Cheap to copy (shared, immutable state).
class Filter {
 public:
  // Instructions (at most 4096).
  std::size_t size() const;
  // The ABI the filter was resolved for ("x86_64"), and every ABI it covers.
  std::string native_arch() const;
  std::vector<std::string> arches() const;
  // Proved equal to the policy (CompileOptions::prove), and how:
  // "proved equal to the policy (N paths, M word constraints)".
  bool proved() const;
  std::string proof_summary() const;
  // Proves it now (when compiled without proving); an error when it is not
  // equal to the policy, with the counterexamples.
  Result<void> prove() const;
  // The reader's findings and the resolution's warnings, one line each.
  std::vector<std::string> warnings() const;

  // The filter as bytes (kRaw) or text. `c_name` names the C arrays for kC
  // (empty: sysfence_<profile>_<arch>); it must be a C identifier.
  Result<std::string> write(Format format, const std::string& c_name = "") const;
  Result<void> write_file(const std::string& path, Format format, const std::string& c_name = "") const;

  // Installs the filter on the calling thread (or every thread). It can
  // never be removed again; to try a filter, fork first.
  Result<void> install(const InstallOptions& options = {}) const;

  struct State;  // the compiled program and its context (internal)
  explicit Filter(std::shared_ptr<const State> state) : state_(std::move(state)) {}

 private:
  std::shared_ptr<const State> state_;
};

// Resolves `profile` for `target` (moby's includes/excludes, archMap, the
// kernel's actions) and compiles it.
Result<Filter> compile(const Profile& profile, const Target& target = {}, const CompileOptions& options = {});

}  // namespace sysfence::api
