// LoadOneDocument: the YAML text of a config file → its one document.
//
// Not YAML::LoadAll: yaml-cpp 0.7.0 (Debian 12) loops forever, allocating, when a document does
// not consume its first token (`,` at the start of a file, jbeder/yaml-cpp#1040); LoadAll then
// asks for "the next document" at the same token again and again. YAML::Load reads one document,
// and a probe that asks for at most two more tells a second document from such a stuck token.

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <optional>
#include <sstream>
#include <string>

#include "config/config_sections.h"

namespace presenced::config_internal {
namespace {

// Records where a document starts and where its first node is; ignores everything else.
class DocumentProbe final : public YAML::EventHandler {
 public:
  std::optional<YAML::Mark> start;
  std::optional<YAML::Mark> first_node;

  void OnDocumentStart(const YAML::Mark& mark) override { start = mark; }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t) override { Node(mark); }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override { Node(mark); }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                const std::string&) override {
    Node(mark);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {
    Node(mark);
  }
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {
    Node(mark);
  }
  void OnMapEnd() override {}

 private:
  void Node(const YAML::Mark& mark) {
    if (!first_node) first_node = mark;
  }
};

int LineNumber(const YAML::Mark& mark) { return mark.line < 0 ? 1 : mark.line + 1; }

// Returns the document the parser reads next, or nullopt at the end of the stream.
std::optional<DocumentProbe> NextDocument(YAML::Parser& parser) {
  DocumentProbe probe;
  if (!parser || !parser.HandleNextDocument(probe)) return std::nullopt;
  return probe;
}

// True when `next` starts where `previous` did: the parser did not move (the yaml-cpp defect).
bool SameStart(const DocumentProbe& previous, const DocumentProbe& next) {
  return previous.start && next.start && previous.start->pos == next.start->pos;
}

Error StuckAt(std::string_view text, const DocumentProbe& probe) {
  const int pos = probe.start ? probe.start->pos : -1;
  const unsigned char c = pos >= 0 && static_cast<size_t>(pos) < text.size() ? text[pos] : 0;
  const std::string what = c > ' ' && c < 0x7f
                               ? std::string("unexpected '") + static_cast<char>(c) + "'"
                               : "unexpected token";
  return Error{"syntax error: " + what + " (line " +
               std::to_string(probe.start ? LineNumber(*probe.start) : 1) + ")"};
}

// Returns an error when anything follows the first document: a second document, or a token no
// document can start with. Asks the parser for at most three documents, never looping over them
// as LoadAll does (an unknown hang inside one is left to the bounded child, config/contained.h).
std::optional<Error> CheckNothingFollows(std::string_view text) {
  std::istringstream input{std::string(text)};
  YAML::Parser parser(input);
  std::optional<DocumentProbe> first = NextDocument(parser);
  if (!first) return std::nullopt;
  std::optional<DocumentProbe> second = NextDocument(parser);
  if (!second) return std::nullopt;
  if (SameStart(*first, *second)) return StuckAt(text, *first);
  std::optional<DocumentProbe> third = NextDocument(parser);
  if (third && SameStart(*second, *third)) return StuckAt(text, *second);
  const YAML::Mark at = second->first_node.value_or(second->start.value_or(YAML::Mark{}));
  return Error{"(top level): only one YAML document is allowed (line " +
               std::to_string(LineNumber(at)) + ")"};
}

}  // namespace

Result<YAML::Node> LoadOneDocument(std::string_view text) {
  try {
    if (std::optional<Error> error = CheckNothingFollows(text)) return *error;
    return YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    const int line = e.mark.is_null() ? 1 : LineNumber(e.mark);
    return Error{"syntax error: " + e.msg + " (line " + std::to_string(line) + ")"};
  }
}

}  // namespace presenced::config_internal
