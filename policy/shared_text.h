// SharedText: an immutable string whose copies share one buffer. A policy's
// rules all name the profile they came from (SourceRef::file): as strings,
// a path of more than 15 characters was a heap copy per rule (1,200 for
// containers-common's profile); shared, it is one per resolution.
#pragma once

#include <fmt/format.h>

#include <cstddef>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>

namespace sysfence::policy {

class SharedText {
 public:
  SharedText() = default;
  // Implicit: SharedText stands in for the std::string it replaced.
  SharedText(std::string text)  // NOLINT(google-explicit-constructor)
      : text_(text.empty() ? nullptr : std::make_shared<const std::string>(std::move(text))) {}
  SharedText(std::string_view text) : SharedText(std::string(text)) {}  // NOLINT(google-explicit-constructor)
  SharedText(const char* text) : SharedText(std::string(text)) {}       // NOLINT(google-explicit-constructor)

  const std::string& str() const { return text_ != nullptr ? *text_ : empty_text(); }
  operator const std::string&() const { return str(); }  // NOLINT(google-explicit-constructor)
  operator std::string_view() const { return str(); }    // NOLINT(google-explicit-constructor)
  bool empty() const { return text_ == nullptr; }
  size_t size() const { return str().size(); }
  const char* c_str() const { return str().c_str(); }

  friend bool operator==(const SharedText& a, const SharedText& b) { return a.text_ == b.text_ || a.str() == b.str(); }
  friend bool operator==(const SharedText& a, const std::string& b) { return a.str() == b; }
  friend bool operator==(const SharedText& a, std::string_view b) { return a.str() == b; }
  friend bool operator==(const SharedText& a, const char* b) { return a.str() == b; }
  friend std::ostream& operator<<(std::ostream& os, const SharedText& t) { return os << t.str(); }

 private:
  static const std::string& empty_text() {
    static const std::string empty;
    return empty;
  }
  std::shared_ptr<const std::string> text_;  // nullptr: ""
};

}  // namespace sysfence::policy

template <>
struct fmt::formatter<sysfence::policy::SharedText> : fmt::formatter<std::string_view> {
  template <typename FormatContext>
  auto format(const sysfence::policy::SharedText& t, FormatContext& ctx) const {
    return fmt::formatter<std::string_view>::format(t.str(), ctx);
  }
};
