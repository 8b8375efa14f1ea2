// Exception-free, strict JSON helpers over nlohmann-json.
//
// ParseJson reads every JSON document a host passes in (RFC 8259). It is strict about one thing
// RFC 8259 §4 leaves open: "The names within an object SHOULD be unique", and when they are not,
// implementations differ (some keep the last, some the first, some fail). A document with a
// repeated name could so mean one thing to varsam and another to a log, a gateway or any other
// parser on the way, so ParseJson refuses it, naming where as a JSON Pointer (RFC 6901).

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <vector>

#include "varsam/core.h"

namespace varsam {

namespace {

using json = nlohmann::json;

// A key as error messages may show it: at most 32 bytes, a letter or '_', then letters, digits,
// '_', '-' or one of `also`.
bool NameLike(std::string_view key, std::string_view also) {
  const auto letter = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
  return !key.empty() && key.size() <= 32 && (letter(key[0]) || key[0] == '_') &&
         std::all_of(key.begin(), key.end(), [&](char c) {
           return letter(c) || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
                  also.find(c) != std::string_view::npos;
         });
}

// Builds the document as nlohmann-json's own DOM parser would (objects as json's sorted maps),
// with an explicit stack rather than recursion, so nesting depth costs heap, not call stack.
// It stops at the first name an object repeats (std::map::emplace finds it in O(log n), with no
// extra copy of the keys) or at the first syntax error, remembering which and where: one pass,
// no exception.
class StrictBuilder final : public nlohmann::json_sax<json> {
 public:
  // Builds into `*root` (the caller's, so that this class has no json to destroy).
  explicit StrictBuilder(json* root) : root_(root) {}

  bool null() override { return Put(nullptr); }
  bool boolean(bool value) override { return Put(value); }
  bool number_integer(number_integer_t value) override { return Put(value); }
  bool number_unsigned(number_unsigned_t value) override { return Put(value); }
  bool number_float(number_float_t value, const string_t&) override { return Put(value); }
  bool string(string_t& value) override { return Put(std::move(value)); }
  bool binary(binary_t&) override { return false; }  // only binary formats have these
  bool start_object(std::size_t) override { return Open(json::object()); }
  bool end_object() override { return Close(); }
  bool start_array(std::size_t) override { return Open(json::array()); }
  bool end_array() override { return Close(); }

  bool key(string_t& name) override {
    Frame& top = open_.back();
    auto [it, inserted] = top.value->get_ref<json::object_t&>().emplace(name, nullptr);
    top.key = &it->first;
    if (!inserted) {
      duplicate_ = true;
      return false;  // stop: the document is refused whatever follows
    }
    slot_ = &it->second;
    return true;
  }

  bool parse_error(std::size_t position, const std::string&,
                   const nlohmann::detail::exception&) override {
    error_byte_ = position;
    return false;  // stop, without throwing
  }

  bool duplicate() const { return duplicate_; }
  std::size_t error_byte() const { return error_byte_; }

  // Where the repeated name is, as "<what>: duplicate key at <JSON Pointer>". A reference token
  // is shown (RFC 6901 §3: '~' written "~0", '/' written "~1") only when it looks like a name
  // (NameLike, also allowing '.', '/' and '~'); a key in a free-form map (a file name, a
  // setting) could carry anything, even personal data, so from the first key that does not,
  // the rest of the path is left out. Array indices are always shown.
  std::string DuplicateMessage(std::string_view what) const {
    std::string pointer;
    for (const Frame& frame : open_) {
      if (frame.value->is_array()) {
        pointer += Cat({"/", std::to_string(frame.value->size() - 1)});
        continue;
      }
      const std::string& name = *frame.key;
      if (!NameLike(name, "./~")) {
        if (pointer.empty()) {
          return Cat({what,
                      ": duplicate key (where not shown: a key on its path is not a field "
                      "name)"});
        }
        return Cat({what, ": duplicate key below ", pointer,
                    " (the rest of the path not shown: a key there is not a field name)"});
      }
      pointer += '/';
      for (const char c : name) {
        if (c == '~') {
          pointer += "~0";
        } else if (c == '/') {
          pointer += "~1";
        } else {
          pointer += c;
        }
      }
    }
    return Cat({what, ": duplicate key at ", pointer});
  }

 private:
  // An open object or array; in an object, `key` is the name last read.
  struct Frame {
    json* value;
    const std::string* key = nullptr;
  };

  // Places a finished value: the document itself, an array's next element, or the value of the
  // object's name just read.
  template <typename Value>
  bool Put(Value&& value) {
    Place(json(std::forward<Value>(value)));
    return true;
  }

  json* Place(json value) {
    if (open_.empty()) {
      *root_ = std::move(value);
      return root_;
    }
    json& parent = *open_.back().value;
    if (parent.is_array()) {
      parent.get_ref<json::array_t&>().push_back(std::move(value));
      return &parent.get_ref<json::array_t&>().back();
    }
    *slot_ = std::move(value);
    return slot_;
  }

  // Elements of an open array are not moved while they are open: only the innermost open value
  // grows, so the pointers on the stack stay valid.
  bool Open(json empty) {
    open_.push_back(Frame{Place(std::move(empty))});
    return true;
  }

  bool Close() {
    open_.pop_back();
    return true;
  }

  json* root_;
  std::vector<Frame> open_;
  json* slot_ = nullptr;
  bool duplicate_ = false;
  std::size_t error_byte_ = 0;
};

}  // namespace

absl::StatusOr<nlohmann::json> ParseJson(std::string_view text, std::string_view what) {
  VARSAM_RETURN_IF_ERROR(CheckUtf8(text, what));
  json value;
  StrictBuilder builder(&value);
  if (json::sax_parse(text.begin(), text.end(), &builder)) return value;
  if (builder.duplicate()) return absl::InvalidArgumentError(builder.DuplicateMessage(what));
  return absl::InvalidArgumentError(
      Cat({what, ": not valid JSON at byte ", std::to_string(builder.error_byte())}));
}

std::string KeyForMessage(std::string_view key) {
  return NameLike(key, "") ? Cat({"'", key, "'"}) : "(not shown: not a field name)";
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
