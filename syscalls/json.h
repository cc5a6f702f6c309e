// `sysfence resolve --format json`: ABIs and syscall tables as data
// (docs/json.md).
#pragma once

#include <boost/json.hpp>
#include <cstdint>
#include <string_view>

#include "syscalls/arch.h"

namespace sysfence::syscalls {

// {"name", "scmp_name", "go_name", "audit_arch", "endian", "bits", "nr_bias", "spellings": [...]}
boost::json::object arch_json(const Arch& a);

// {"query": what was asked, "name", "nr"}; the query is omitted when empty
// (the --list form).
boost::json::object syscall_json(std::string_view query, std::string_view name, uint32_t nr);

}  // namespace sysfence::syscalls
