#pragma once

// Parsing of one page of GET /channels?by=id (channel enumeration): a JSON array of channel
// names. Pure: no I/O.

#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace presenced {

// Appends the names of one page to `names`. Fails on anything but a JSON array of strings.
Status ParseChannelList(std::string_view body, std::vector<std::string>& names);

}  // namespace presenced
