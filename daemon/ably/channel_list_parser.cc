#include "ably/channel_list_parser.h"

#include <simdjson.h>

namespace presenced {

Status ParseChannelList(std::string_view body, std::vector<std::string>& names) {
  try {
    simdjson::padded_string padded(body);
    simdjson::ondemand::parser parser;
    simdjson::ondemand::document doc = parser.iterate(padded);
    std::vector<std::string> page;
    for (auto element : doc.get_array()) {
      std::string_view name;
      if (element.get_string().get(name) != simdjson::SUCCESS) {
        return Error{"channel list entry is not a string"};
      }
      page.emplace_back(name);
    }
    const char* location = nullptr;
    if (doc.current_location().get(location) == simdjson::SUCCESS) {
      return Error{"trailing content after the channel list"};
    }
    names.insert(names.end(), std::make_move_iterator(page.begin()),
                 std::make_move_iterator(page.end()));
    return Ok{};
  } catch (const simdjson::simdjson_error& e) {
    return Error{std::string("unparsable channel list: ") + e.what()};
  }
}

}  // namespace presenced
