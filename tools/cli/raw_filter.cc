#include "tools/cli/raw_filter.h"

#include <fmt/format.h>

#include <cstdint>
#include <span>

#include "bpf/raw.h"
#include "tools/cli/output.h"

namespace sysfence::cli {

Expected<Endian> raw_endian(const ParsedArgs& parsed, Endian fallback) {
  const auto e = parsed.get("raw-endian");
  if (!e) return fallback;
  if (*e == "little") return Endian::kLittle;
  if (*e == "big") return Endian::kBig;
  return fail(fmt::format("--raw-endian must be little or big, not \"{}\"", *e));
}

Expected<bpf::Program> read_raw_filter(const std::string& path, Endian byte_order) {
  auto bytes = read_input(path, kMaxRawBytes);
  if (!bytes) return fail(bytes.error().message);
  return bpf::read_raw(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(bytes->data()), bytes->size()),
                       byte_order, path == "-" ? "<stdin>" : path);
}

}  // namespace sysfence::cli
