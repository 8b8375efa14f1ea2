// The anonymisation pipeline's record schema (include/varsam/anonymize.h): strict JSON, every
// problem named by the field's position and name.

#include <algorithm>
#include <array>
#include <cstddef>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "varsam/anonymize.h"
#include "varsam/core.h"

namespace varsam::anonymize {
namespace {

using nlohmann::json;

constexpr std::string_view kFormat = "varsam-anonymize-schema/1";
constexpr std::array<std::pair<FieldRole, std::string_view>, 6> kRoles = {{
    {FieldRole::kDirectIdentifier, "direct_identifier"},
    {FieldRole::kQuasiIdentifier, "quasi_identifier"},
    {FieldRole::kSensitive, "sensitive"},
    {FieldRole::kInsensitive, "insensitive"},
    {FieldRole::kFreeText, "free_text"},
    {FieldRole::kForbidden, "forbidden"},
}};
constexpr std::array<std::string_view, 4> kBuiltinHierarchies = {"age", "date", "geography", "sex"};
constexpr size_t kMaxNameBytes = 128;
constexpr size_t kMaxFields = 1024;

absl::Status Bad(std::string_view where, std::string_view message) {
  return absl::InvalidArgumentError(Cat({"schema: ", where, ": ", message}));
}

// [a-z_]{1,32}
bool IsKind(std::string_view kind) {
  return !kind.empty() && kind.size() <= 32 && std::all_of(kind.begin(), kind.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || c == '_';
  });
}

// The field's name as messages show it: the header is not personal data, but it may be long or
// odd; KeyForMessage keeps messages short and safe.
std::string Where(size_t index, std::string_view name) {
  return Cat({"field ", std::to_string(index + 1),
              name.empty() ? std::string_view() : std::string_view(" "),
              name.empty() ? std::string() : KeyForMessage(name)});
}

absl::StatusOr<int> ReadLevel(const json& value, std::string_view where, std::string_view key) {
  if (!value.is_number_integer()) return Bad(where, Cat({key, " must be a whole number"}));
  const auto level = value.get<std::int64_t>();
  if (level < 0 || level > kMaxHierarchyLevel) {
    return Bad(where, Cat({key, " must be 0..", std::to_string(kMaxHierarchyLevel)}));
  }
  return static_cast<int>(level);
}

absl::Status ReadHierarchy(const json& value, std::string_view where, FieldSpec* field) {
  if (value.is_string()) {
    const std::string name = value.get<std::string>();
    if (std::find(kBuiltinHierarchies.begin(), kBuiltinHierarchies.end(), name) ==
        kBuiltinHierarchies.end()) {
      return Bad(where,
                 "hierarchy must be \"age\", \"date\", \"geography\", \"sex\" or {\"csv\": FILE}");
    }
    field->hierarchy = name;
    return absl::OkStatus();
  }
  VARSAM_RETURN_IF_ERROR(CheckJsonKeys(value, Cat({"schema: ", where, ": hierarchy"}), {"csv"}));
  const auto file = value.find("csv");
  if (file == value.end() || !file->is_string() || file->get<std::string>().empty() ||
      file->get<std::string>().find('\0') != std::string::npos) {
    return Bad(where, "hierarchy {\"csv\": FILE} needs a file name");
  }
  field->hierarchy = "csv";
  field->hierarchy_file = file->get<std::string>();
  return absl::OkStatus();
}

// The keys a field of each role may have, besides "name" and "role".
bool AllowedFor(FieldRole role, std::string_view key) {
  switch (role) {
    case FieldRole::kDirectIdentifier: return key == "pseudonym" || key == "person_name";
    case FieldRole::kQuasiIdentifier:
      return key == "hierarchy" || key == "min_level" || key == "max_level";
    default: return false;
  }
}

absl::StatusOr<FieldSpec> ReadField(const json& value, size_t index) {
  FieldSpec field;
  if (!value.is_object()) return Bad(Where(index, ""), "must be an object");
  const auto name = value.find("name");
  if (name == value.end() || !name->is_string()) return Bad(Where(index, ""), "needs a \"name\"");
  field.name = name->get<std::string>();
  if (field.name.empty() || field.name.size() > kMaxNameBytes ||
      field.name.find('\0') != std::string::npos || !IsValidUtf8(field.name)) {
    return Bad(Where(index, ""), "the name must be 1..128 bytes of UTF-8 without NUL");
  }
  const std::string where = Where(index, field.name);
  const auto role = value.find("role");
  if (role == value.end() || !role->is_string()) return Bad(where, "needs a \"role\"");
  const std::optional<FieldRole> parsed_role = ParseFieldRole(role->get<std::string>());
  if (!parsed_role) {
    return Bad(where,
               "role must be direct_identifier, quasi_identifier, sensitive, insensitive, "
               "free_text or forbidden");
  }
  field.role = *parsed_role;
  for (const auto& item : value.items()) {
    if (item.key() == "name" || item.key() == "role") continue;
    if (!AllowedFor(field.role, item.key())) {
      return Bad(where, Cat({"key ", KeyForMessage(item.key()), " does not belong to role ",
                             Name(field.role)}));
    }
  }
  if (field.role == FieldRole::kDirectIdentifier) {
    if (const auto it = value.find("pseudonym"); it != value.end() && !it->is_null()) {
      if (!it->is_string() || !IsKind(it->get<std::string>())) {
        return Bad(where, "pseudonym must be a kind of identifier, [a-z_]{1,32}");
      }
      field.pseudonym = it->get<std::string>();
    }
    if (const auto it = value.find("person_name"); it != value.end()) {
      if (!it->is_boolean()) return Bad(where, "person_name must be true or false");
      field.is_name = it->get<bool>();
    }
  }
  if (field.role == FieldRole::kQuasiIdentifier) {
    const auto hierarchy = value.find("hierarchy");
    if (hierarchy == value.end()) return Bad(where, "a quasi_identifier needs a \"hierarchy\"");
    VARSAM_RETURN_IF_ERROR(ReadHierarchy(*hierarchy, where, &field));
    if (const auto it = value.find("min_level"); it != value.end()) {
      VARSAM_ASSIGN_OR_RETURN(field.min_level, ReadLevel(*it, where, "min_level"));
    }
    if (const auto it = value.find("max_level"); it != value.end()) {
      VARSAM_ASSIGN_OR_RETURN(field.max_level, ReadLevel(*it, where, "max_level"));
      if (*field.max_level < field.min_level) return Bad(where, "min_level is above max_level");
    }
  }
  return field;
}

}  // namespace

std::string_view Name(FieldRole role) {
  for (const auto& [value, id] : kRoles) {
    if (value == role) return id;
  }
  return "unknown";
}

std::optional<FieldRole> ParseFieldRole(std::string_view id) {
  for (const auto& [value, name] : kRoles) {
    if (name == id) return value;
  }
  return std::nullopt;
}

const FieldSpec* Schema::Find(std::string_view name) const {
  for (const FieldSpec& field : fields) {
    if (field.name == name) return &field;
  }
  return nullptr;
}

std::vector<const FieldSpec*> Schema::WithRole(FieldRole role) const {
  std::vector<const FieldSpec*> out;
  for (const FieldSpec& field : fields) {
    if (field.role == role) out.push_back(&field);
  }
  return out;
}

absl::StatusOr<Schema> ParseSchema(std::string_view text) {
  VARSAM_ASSIGN_OR_RETURN(const json root, ParseJson(text, "schema"));
  VARSAM_RETURN_IF_ERROR(CheckJsonKeys(root, "schema", {"format", "fields"}));
  const auto format = root.find("format");
  if (format == root.end() || !format->is_string() || format->get<std::string>() != kFormat) {
    return absl::InvalidArgumentError(Cat({"schema: format must be \"", kFormat, "\""}));
  }
  const auto fields = root.find("fields");
  if (fields == root.end() || !fields->is_array() || fields->empty()) {
    return absl::InvalidArgumentError("schema: fields must be a non-empty array");
  }
  if (fields->size() > kMaxFields) {
    return absl::InvalidArgumentError(
        Cat({"schema: at most ", std::to_string(kMaxFields), " fields"}));
  }
  Schema schema;
  for (size_t i = 0; i < fields->size(); ++i) {
    VARSAM_ASSIGN_OR_RETURN(FieldSpec field, ReadField((*fields)[i], i));
    if (schema.Find(field.name) != nullptr) {
      return Bad(Where(i, field.name), "the name is used twice");
    }
    schema.fields.push_back(std::move(field));
  }
  return schema;
}

}  // namespace varsam::anonymize
