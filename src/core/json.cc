// Exception-free JSON helpers over nlohmann-json.

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "varsam/core.h"

namespace varsam {

namespace {

// A SAX handler that accepts everything and remembers where parsing failed: it finds the byte
// offset of an error without an exception (nlohmann-json otherwise reports the offset only
// through a thrown parse_error).
struct ErrorFinder : nlohmann::json_sax<nlohmann::json> {
  std::size_t byte = 0;
  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t, const string_t&) override { return true; }
  bool string(string_t&) override { return true; }
  bool binary(binary_t&) override { return true; }
  bool start_object(std::size_t) override { return true; }
  bool key(string_t&) override { return true; }
  bool end_object() override { return true; }
  bool start_array(std::size_t) override { return true; }
  bool end_array() override { return true; }
  bool parse_error(std::size_t position, const std::string&,
                   const nlohmann::detail::exception&) override {
    byte = position;
    return false;  // stop, without throwing
  }
};

}  // namespace

absl::StatusOr<nlohmann::json> ParseJson(std::string_view text, std::string_view what) {
  VARSAM_RETURN_IF_ERROR(CheckUtf8(text, what));
  nlohmann::json value = nlohmann::json::parse(text.begin(), text.end(), nullptr,
                                               /*allow_exceptions=*/false);
  if (!value.is_discarded()) return value;
  ErrorFinder finder;
  nlohmann::json::sax_parse(text.begin(), text.end(), &finder);
  return absl::InvalidArgumentError(
      Cat({what, ": not valid JSON at byte ", std::to_string(finder.byte)}));
}

std::string KeyForMessage(std::string_view key) {
  const auto letter = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
  const bool field_like = !key.empty() && key.size() <= 32 && (letter(key[0]) || key[0] == '_') &&
                          std::all_of(key.begin(), key.end(), [&](char c) {
                            return letter(c) || (c >= '0' && c <= '9') || c == '_' || c == '-';
                          });
  return field_like ? Cat({"'", key, "'"}) : "(not shown: not a field name)";
}

absl::Status CheckJsonKeys(const nlohmann::json& value, std::string_view what,
                           std::initializer_list<std::string_view> known) {
  if (!value.is_object()) return absl::InvalidArgumentError(Cat({what, ": must be an object"}));
  for (const auto& item : value.items()) {
    if (std::find(known.begin(), known.end(), item.key()) == known.end()) {
      return absl::InvalidArgumentError(Cat({what, ": unknown key ", KeyForMessage(item.key())}));
    }
  }
  return absl::OkStatus();
}

absl::Status InvalidField(std::string_view what, std::string_view message) {
  return absl::InvalidArgumentError(Cat({what, ": ", message}));
}

std::string JsonKeyPath(std::string_view what, std::string_view key) {
  return Cat({what, ".", key});
}

std::string JsonIndexPath(std::string_view what, std::size_t index) {
  return Cat({what, "[", std::to_string(index), "]"});
}

absl::StatusOr<std::string> JsonTextOrNull(const nlohmann::json& value, std::string_view what) {
  if (value.is_null()) return std::string();
  if (!value.is_string()) return InvalidField(what, "must be a string or null");
  return value.get<std::string>();
}

absl::StatusOr<std::int64_t> JsonWholeNumber(const nlohmann::json& value, std::string_view what,
                                             std::int64_t lo, std::int64_t hi) {
  if (value.is_number()) {
    const double number = value.get<double>();
    if (number >= static_cast<double>(lo) && number <= static_cast<double>(hi) &&
        number == std::floor(number)) {
      return static_cast<std::int64_t>(number);
    }
  }
  return absl::InvalidArgumentError(Cat(
      {what, ": must be a whole number from ", std::to_string(lo), " to ", std::to_string(hi)}));
}

std::string DumpJson(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string DumpJson(const nlohmann::ordered_json& value) {
  return value.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace varsam
