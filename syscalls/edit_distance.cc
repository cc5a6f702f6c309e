#include "syscalls/edit_distance.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>

namespace sysfence::syscalls {
namespace {

constexpr char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

}  // namespace

size_t edit_distance(std::string_view a, std::string_view b) {
  a = a.substr(0, std::min(a.size(), kMaxEditInput));
  b = b.substr(0, std::min(b.size(), kMaxEditInput));
  // Three rows of the DP matrix: row i-2 (for transpositions), i-1 and i;
  // row[j] = distance(a[0..i), b[0..j)).
  using Row = std::array<size_t, kMaxEditInput + 1>;
  Row before{};
  Row prev{};
  Row cur{};
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t subst = prev[j - 1] + (lower(a[i - 1]) == lower(b[j - 1]) ? 0 : 1);
      size_t d = std::min({subst, prev[j] + 1, cur[j - 1] + 1});
      if (i > 1 && j > 1 && lower(a[i - 1]) == lower(b[j - 2]) && lower(a[i - 2]) == lower(b[j - 1]))
        d = std::min(d, before[j - 2] + 1);
      cur[j] = d;
    }
    before = prev;
    prev = cur;
  }
  return prev[b.size()];
}

size_t typo_distance(std::string_view word) { return std::max<size_t>(1, (word.size() + 2) / 3); }

namespace {

// The characters `a` and `b` begin with alike, ASCII case ignored.
size_t common_prefix(std::string_view a, std::string_view b) {
  size_t n = 0;
  while (n < a.size() && n < b.size() && lower(a[n]) == lower(b[n])) ++n;
  return n;
}

}  // namespace

std::optional<std::string_view> nearest(std::string_view word, std::span<const std::string_view> candidates) {
  if (word.size() > kMaxEditInput) return std::nullopt;
  std::optional<std::string_view> best;
  size_t best_d = typo_distance(word) + 1;
  size_t best_prefix = 0;
  for (auto c : candidates) {
    const size_t d = edit_distance(word, c);
    if (d > best_d) continue;
    // Among equally near ones, the one that begins like the word: a typo
    // is rarely in the first letters ("SCMP_ACT_EROR" means ERRNO, three
    // edits away as TRAP is).
    const size_t prefix = common_prefix(word, c);
    if (d < best_d || prefix > best_prefix) {
      best_d = d;
      best_prefix = prefix;
      best = c;
    }
  }
  return best;
}

std::string did_you_mean(std::string_view word, std::span<const std::string_view> candidates) {
  auto n = nearest(word, candidates);
  return n ? fmt::format(" (did you mean \"{}\"?)", *n) : std::string();
}

}  // namespace sysfence::syscalls
