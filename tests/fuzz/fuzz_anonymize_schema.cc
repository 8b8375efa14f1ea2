// libFuzzer target: the anonymisation schema loader (varsam/anonymize.h).
//
// Every input is accepted or refused with InvalidArgument, never a crash. An accepted schema
// keeps the loader's promises: unique non-empty names, each field's options belong to its role,
// levels 0..15 with min <= max, and a csv hierarchy names its file.

#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include "fuzz_support.h"
#include "varsam/anonymize.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace an = varsam::anonymize;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto schema = an::ParseSchema(text);
  if (!schema.ok()) {
    REQUIRE(schema.status().code() == absl::StatusCode::kInvalidArgument);
    return 0;
  }
  REQUIRE(!schema->fields.empty());
  std::set<std::string> names;
  for (const an::FieldSpec& field : schema->fields) {
    REQUIRE(!field.name.empty() && field.name.size() <= 128);
    REQUIRE(names.insert(field.name).second);
    REQUIRE(schema->Find(field.name) == &field);
    if (field.role != an::FieldRole::kDirectIdentifier) {
      REQUIRE(!field.pseudonym && !field.is_name);
    }
    if (field.role == an::FieldRole::kQuasiIdentifier) {
      REQUIRE(!field.hierarchy.empty());
      REQUIRE((field.hierarchy == "csv") == !field.hierarchy_file.empty());
      REQUIRE(field.min_level >= 0 && field.min_level <= an::kMaxHierarchyLevel);
      REQUIRE(!field.max_level ||
              (*field.max_level >= field.min_level && *field.max_level <= an::kMaxHierarchyLevel));
    } else {
      REQUIRE(field.hierarchy.empty() && field.min_level == 0 && !field.max_level);
    }
  }
  return 0;
}
