// SharedText: an immutable string whose copies share one buffer. A policy's
// rules all name the profile they came from (SourceRef::file): as strings,
// a path of more than 15 characters was a heap copy per rule (1,200 for
// containers-common's profile); shared, it is one per resolution.
#pragma once

#include <fmt/format.h>

#include <cstddef>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>

#if defined(__GLIBCXX__)
#include <ext/atomicity.h>
#else
#include <atomic>
#endif

namespace sysfence::policy {

// The buffer is counted in place, not by a std::shared_ptr: a policy frees
// its rules one after another, all copies of one buffer, and libstdc++'s
// shared_ptr reads both of its counts as one 8-byte word before it
// decrements the 4-byte use count. That read cannot be forwarded the
// previous rule's 4-byte store, and waited for it to reach the cache: ~70%
// of the time freeing Docker's default's policy took. Like shared_ptr, the
// count is atomic once the process has a second thread.
class SharedText {
 public:
  SharedText() = default;
  // Implicit: SharedText stands in for the std::string it replaced.
  SharedText(std::string text)  // NOLINT(google-explicit-constructor)
      : buffer_(text.empty() ? nullptr : new Buffer{1, std::move(text)}) {}
  SharedText(std::string_view text) : SharedText(std::string(text)) {}  // NOLINT(google-explicit-constructor)
  SharedText(const char* text) : SharedText(std::string(text)) {}       // NOLINT(google-explicit-constructor)
  SharedText(const SharedText& other) noexcept : buffer_(other.buffer_) { hold(buffer_); }
  SharedText(SharedText&& other) noexcept : buffer_(std::exchange(other.buffer_, nullptr)) {}
  SharedText& operator=(const SharedText& other) noexcept {
    hold(other.buffer_);  // first: `other` may be this
    drop(buffer_);
    buffer_ = other.buffer_;
    return *this;
  }
  SharedText& operator=(SharedText&& other) noexcept {
    if (this != &other) {
      drop(buffer_);
      buffer_ = std::exchange(other.buffer_, nullptr);
    }
    return *this;
  }
  ~SharedText() { drop(buffer_); }

  const std::string& str() const { return buffer_ != nullptr ? buffer_->text : empty_text(); }
  operator const std::string&() const { return str(); }  // NOLINT(google-explicit-constructor)
  operator std::string_view() const { return str(); }    // NOLINT(google-explicit-constructor)
  bool empty() const { return buffer_ == nullptr; }
  size_t size() const { return str().size(); }
  const char* c_str() const { return str().c_str(); }

  friend bool operator==(const SharedText& a, const SharedText& b) {
    return a.buffer_ == b.buffer_ || a.str() == b.str();
  }
  friend bool operator==(const SharedText& a, const std::string& b) { return a.str() == b; }
  friend bool operator==(const SharedText& a, std::string_view b) { return a.str() == b; }
  friend bool operator==(const SharedText& a, const char* b) { return a.str() == b; }
  friend std::ostream& operator<<(std::ostream& os, const SharedText& t) { return os << t.str(); }

 private:
#if defined(__GLIBCXX__)
  using Count = _Atomic_word;
  // shared_ptr's own primitives: plain arithmetic while the process has one
  // thread, atomic after.
  static void add(Count& count) { __gnu_cxx::__atomic_add_dispatch(&count, 1); }
  static bool release(Count& count) { return __gnu_cxx::__exchange_and_add_dispatch(&count, -1) == 1; }
#else
  using Count = std::atomic<int>;
  static void add(Count& count) { count.fetch_add(1, std::memory_order_relaxed); }
  static bool release(Count& count) { return count.fetch_sub(1, std::memory_order_acq_rel) == 1; }
#endif
  struct Buffer {
    Count count;  // the SharedTexts that hold it
    const std::string text;
  };
  static void hold(Buffer* b) {
    if (b != nullptr) add(b->count);
  }
  static void drop(Buffer* b) {
    if (b != nullptr && release(b->count)) delete b;
  }
  static const std::string& empty_text() {
    static const std::string empty;
    return empty;
  }
  Buffer* buffer_ = nullptr;  // nullptr: ""
};

}  // namespace sysfence::policy

template <>
struct fmt::formatter<sysfence::policy::SharedText> : fmt::formatter<std::string_view> {
  template <typename FormatContext>
  auto format(const sysfence::policy::SharedText& t, FormatContext& ctx) const {
    return fmt::formatter<std::string_view>::format(t.str(), ctx);
  }
};
