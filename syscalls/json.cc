#include "syscalls/json.h"

namespace sysfence::syscalls {

boost::json::object arch_json(const Arch& a) {
  boost::json::object o;
  o["name"] = a.name;
  o["scmp_name"] = a.scmp_name;
  o["go_name"] = a.go_name;
  o["audit_arch"] = a.audit_arch;
  o["endian"] = a.endian == Endian::kLittle ? "little" : "big";
  o["bits"] = a.word_bits;
  o["nr_bias"] = a.nr_bias;
  boost::json::array spellings;
  for (std::string_view s : arch_spellings(a.id)) spellings.emplace_back(s);
  o["spellings"] = std::move(spellings);
  return o;
}

boost::json::object syscall_json(std::string_view query, std::string_view name, uint32_t nr) {
  boost::json::object o;
  if (!query.empty()) o["query"] = query;
  o["name"] = name;
  o["nr"] = nr;
  return o;
}

}  // namespace sysfence::syscalls
