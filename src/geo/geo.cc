// Parsing of the embedded se-geo files (include/varsam/geo.h).

#include "varsam/geo.h"

#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "files.h"
#include "varsam/core.h"

namespace varsam::geo {
namespace {

// The lines of a simple CSV file (these files hold no quotes), header checked and dropped.
absl::StatusOr<std::vector<std::vector<std::string_view>>> ReadCsv(std::string_view name,
                                                                   std::string_view header,
                                                                   std::size_t columns) {
  std::string_view text;
  for (const internal::EmbeddedFile& file : internal::Files()) {
    if (file.name == name) text = file.text;
  }
  if (text.empty()) return absl::InternalError(Cat({"se-geo: ", name, " is not embedded"}));
  std::vector<std::vector<std::string_view>> rows;
  std::size_t line_no = 0;
  while (!text.empty()) {
    const std::size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    ++line_no;
    if (line.empty()) continue;
    if (line_no == 1) {
      if (line != header) return absl::InvalidArgumentError(Cat({"se-geo: ", name, ": header"}));
      continue;
    }
    std::vector<std::string_view> fields;
    while (true) {
      const std::size_t comma = line.find(',');
      fields.push_back(line.substr(0, comma));
      if (comma == std::string_view::npos) break;
      line.remove_prefix(comma + 1);
    }
    if (fields.size() != columns || line.find('"') != std::string_view::npos) {
      return absl::InvalidArgumentError(
          Cat({"se-geo: ", name, ": line ", std::to_string(line_no), " is malformed"}));
    }
    rows.push_back(std::move(fields));
  }
  return rows;
}

bool AllDigits(std::string_view s, std::size_t n) {
  if (s.size() != n) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

absl::StatusOr<std::unique_ptr<Geography>> Parse() {
  auto geo = std::make_unique<Geography>();
  VARSAM_ASSIGN_OR_RETURN(auto counties,
                          ReadCsv("counties.csv", "county_code,county_name,county_name_short", 3));
  for (const auto& row : counties) {
    if (!AllDigits(row[0], 2)) return absl::InvalidArgumentError("se-geo: bad county code");
    geo->counties.push_back({std::string(row[0]), std::string(row[1])});
  }
  VARSAM_ASSIGN_OR_RETURN(
      auto municipalities,
      ReadCsv("municipalities.csv",
              "municipality_code,municipality_name,municipality_name_short,county_code", 4));
  std::map<std::string_view, std::size_t> by_code;
  for (const auto& row : municipalities) {
    const bool known_county =
        std::any_of(geo->counties.begin(), geo->counties.end(),
                    [&](const County& county) { return county.code == row[3]; });
    if (!AllDigits(row[0], 4) || !AllDigits(row[3], 2) || !known_county) {
      return absl::InvalidArgumentError("se-geo: bad municipality code");
    }
    by_code[row[0]] = geo->municipalities.size();
    geo->municipalities.push_back(
        {std::string(row[0]), std::string(row[2]), std::string(row[3]), {}});
  }
  VARSAM_ASSIGN_OR_RETURN(auto postal,
                          ReadCsv("postal_to_municipality.csv",
                                  "postal_code,locality,municipality_code,municipality_name", 4));
  for (const auto& row : postal) {
    const auto it = by_code.find(row[2]);
    if (!AllDigits(row[0], 5) || it == by_code.end()) {
      return absl::InvalidArgumentError("se-geo: bad postal code row");
    }
    geo->municipalities[it->second].postal_codes.push_back(
        static_cast<std::uint32_t>(geo->postal_codes.size()));
    geo->postal_codes.push_back(
        {std::string(row[0]), std::string(row[1]), static_cast<std::uint32_t>(it->second)});
  }
  for (const Municipality& m : geo->municipalities) {
    if (m.postal_codes.empty()) {
      return absl::InvalidArgumentError("se-geo: a municipality without postal codes");
    }
  }
  return geo;
}

}  // namespace

absl::StatusOr<const Geography*> Embedded() {
  static const auto* const kGeo = new absl::StatusOr<std::unique_ptr<Geography>>(Parse());
  if (!kGeo->ok()) return kGeo->status();
  return kGeo->value().get();
}

}  // namespace varsam::geo
