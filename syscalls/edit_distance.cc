#include "syscalls/edit_distance.h"

#include <algorithm>
#include <array>

namespace sysfence::syscalls {
namespace {

constexpr char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

}  // namespace

size_t edit_distance(std::string_view a, std::string_view b) {
  a = a.substr(0, std::min(a.size(), kMaxEditInput));
  b = b.substr(0, std::min(b.size(), kMaxEditInput));
  // One row of the DP matrix: row[j] = distance(a[0..i), b[0..j)).
  std::array<size_t, kMaxEditInput + 1> row{};
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];  // distance(a[0..i-1), b[0..j-1))
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t up = row[j];
      const size_t subst = diag + (lower(a[i - 1]) == lower(b[j - 1]) ? 0 : 1);
      row[j] = std::min({subst, up + 1, row[j - 1] + 1});
      diag = up;
    }
  }
  return row[b.size()];
}

}  // namespace sysfence::syscalls
