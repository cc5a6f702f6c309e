#include "base/json.h"

namespace sysfence {

boost::json::object action_json(Action a) {
  boost::json::object o;
  o["name"] = to_string(a);
  o["value"] = encode(a);
  return o;
}

boost::json::object location_json(std::string_view file, uint32_t line, uint32_t col) {
  boost::json::object o;
  o["file"] = file;
  o["line"] = line;
  o["col"] = col;
  return o;
}

boost::json::object seccomp_data_json(const SeccompData& d) {
  boost::json::object o;
  o["nr"] = d.nr;
  o["arch"] = d.arch;
  boost::json::array args;
  for (uint64_t a : d.args) args.emplace_back(a);
  o["args"] = std::move(args);
  o["instruction_pointer"] = d.instruction_pointer;
  return o;
}

namespace {

void pretty(const boost::json::value& v, std::string& out, size_t indent) {
  const std::string inner(indent + 2, ' ');
  if (const auto* obj = v.if_object()) {
    if (obj->empty()) {
      out += "{}";
      return;
    }
    out += "{\n";
    bool first = true;
    for (const auto& [key, value] : *obj) {
      if (!first) out += ",\n";
      first = false;
      out += inner + boost::json::serialize(boost::json::string_view(key)) + ": ";
      pretty(value, out, indent + 2);
    }
    out += "\n" + std::string(indent, ' ') + "}";
  } else if (const auto* arr = v.if_array()) {
    if (arr->empty()) {
      out += "[]";
      return;
    }
    out += "[\n";
    for (size_t i = 0; i < arr->size(); ++i) {
      if (i > 0) out += ",\n";
      out += inner;
      pretty((*arr)[i], out, indent + 2);
    }
    out += "\n" + std::string(indent, ' ') + "]";
  } else {
    out += boost::json::serialize(v);
  }
}

}  // namespace

std::string pretty_json(const boost::json::value& v) {
  std::string out;
  pretty(v, out, 0);
  out += "\n";
  return out;
}

}  // namespace sysfence
