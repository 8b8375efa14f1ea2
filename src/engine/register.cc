// Releases from the register through the engine (include/varsam/engine.h, ExportRegister):
// the stored episodes' generalised attributes are generalised further, each along its own
// hierarchy from the register's level up, until the optimal k-anonymous (and l-diverse) release
// is found.

#include <charconv>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "varsam/core.h"
#include "varsam/engine.h"

namespace varsam::engine {
namespace {

// A value's label at a level above the register's (0: as stored). The top level is "*".
using LabelAt = std::function<absl::StatusOr<std::string>(std::string_view value, int level)>;

// One quasi-identifier column of the release: the stored values, dictionary-coded, and their
// labels at each of `levels` levels.
absl::StatusOr<anonymize::Column> ColumnOf(std::string name, const std::vector<std::string>& values,
                                           int levels, const LabelAt& label) {
  anonymize::Column column;
  column.name = std::move(name);
  absl::flat_hash_map<std::string, std::uint32_t> codes;
  std::vector<std::string> distinct;
  column.codes.reserve(values.size());
  for (const std::string& value : values) {
    const auto [it, inserted] = codes.try_emplace(value, static_cast<std::uint32_t>(codes.size()));
    if (inserted) distinct.push_back(value);
    column.codes.push_back(it->second);
  }
  column.up.resize(static_cast<size_t>(levels));
  column.labels.resize(static_cast<size_t>(levels));
  for (int level = 0; level < levels; ++level) {
    absl::flat_hash_map<std::string, std::uint32_t> at_level;
    auto& up = column.up[static_cast<size_t>(level)];
    auto& labels = column.labels[static_cast<size_t>(level)];
    for (const std::string& value : distinct) {
      std::string text;
      if (level == levels - 1) {
        text.assign(1, '*');
      } else if (level == 0 || value.empty()) {
        text = value;  // as stored; an unknown value stays unknown below the top
      } else {
        VARSAM_ASSIGN_OR_RETURN(text, label(value, level));
      }
      const auto [it, inserted] =
          at_level.try_emplace(text, static_cast<std::uint32_t>(labels.size()));
      if (inserted) labels.push_back(text);
      up.push_back(it->second);
    }
  }
  return column;
}

// A flat column: the stored value, then "*".
absl::StatusOr<anonymize::Column> FlatColumn(std::string name,
                                             const std::vector<std::string>& values) {
  return ColumnOf(std::move(name), values, 2, nullptr);
}

// The first whole number in `text` ("35-39" -> 35, "100+" -> 100).
std::optional<int> LeadingNumber(std::string_view text) {
  int value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end == text.data()) return std::nullopt;
  return value;
}

// The first day of a stored period: "2026" -> 2026-01-01, "2026-Q3" -> 2026-07-01,
// "2026-11" -> 2026-11-01.
std::optional<std::string> FirstDayOf(std::string_view period) {
  if (period.size() == 4) return Cat({period, "-01-01"});
  if (period.size() == 7 && period[5] == 'Q' && period[6] >= '1' && period[6] <= '4') {
    const int month = (period[6] - '1') * 3 + 1;
    return Cat({period.substr(0, 4), month < 10 ? "-0" : "-", std::to_string(month), "-01"});
  }
  if (period.size() == 7) return Cat({period, "-01"});
  return std::nullopt;
}

}  // namespace

absl::StatusOr<RegisterRelease> Engine::ExportRegister(const access::Context& context,
                                                       const RegisterExportOptions& options) {
  VARSAM_RETURN_IF_ERROR(
      Guard(context, access::Action::kRegisterExport, {},
            context.case_info ? std::string_view(context.case_info->ref) : std::string_view(),
            Cat({"export k=", std::to_string(options.k)})));
  std::vector<std::vector<std::string>> stored;  // per episode: the eight released fields
  VARSAM_RETURN_IF_ERROR(store_->ForEachEpisode(options.filter, [&](const store::EpisodeRow& e) {
    stored.push_back({e.age_band, e.sex, e.region, e.case_kind, e.intervention, e.start_period,
                      e.end_period, e.outcome});
    return true;
  }));
  const auto column_values = [&](size_t field) {
    std::vector<std::string> values;
    values.reserve(stored.size());
    for (const auto& row : stored) values.push_back(row[field]);
    return values;
  };

  const int age_base = register_options_.age_level;
  const int age_levels = age_->levels() - age_base;
  const LabelAt age_label = [&](std::string_view band, int level) -> absl::StatusOr<std::string> {
    const std::optional<int> lower = LeadingNumber(band);
    if (!lower) return absl::DataLossError("register export: a stored age band is unreadable");
    return age_->Generalize(std::to_string(*lower), age_base + level);
  };
  const anonymize::Hierarchy dates = anonymize::Hierarchy::Dates();
  const int period_base = register_options_.period_level;
  const int period_levels = dates.levels() - period_base;
  const LabelAt period_label = [&](std::string_view period,
                                   int level) -> absl::StatusOr<std::string> {
    const std::optional<std::string> day = FirstDayOf(period);
    if (!day) return absl::DataLossError("register export: a stored period is unreadable");
    return dates.Generalize(*day, period_base + level);
  };

  anonymize::Table table;
  RegisterRelease release;
  release.header = {"age_band",     "sex",          "region",     "case_kind",
                    "intervention", "start_period", "end_period", "outcome"};
  // Quasi-identifiers: the first seven fields (index = header index).
  VARSAM_ASSIGN_OR_RETURN(auto age, ColumnOf("age_band", column_values(0), age_levels, age_label));
  table.columns.push_back(std::move(age));
  for (const size_t field : {1, 2, 3, 4}) {
    VARSAM_ASSIGN_OR_RETURN(auto flat, FlatColumn(release.header[field], column_values(field)));
    table.columns.push_back(std::move(flat));
  }
  for (const size_t field : {5, 6}) {
    VARSAM_ASSIGN_OR_RETURN(auto period, ColumnOf(release.header[field], column_values(field),
                                                  period_levels, period_label));
    table.columns.push_back(std::move(period));
  }
  for (const anonymize::Column& c : table.columns) release.quasi_identifiers.push_back(c.name);
  if (options.distinct_l >= 2) {
    absl::flat_hash_map<std::string, std::uint32_t> outcomes;
    for (const auto& row : stored) {
      const auto [it, inserted] =
          outcomes.try_emplace(row[7], static_cast<std::uint32_t>(outcomes.size()));
      table.sensitive.push_back(it->second);
    }
  }
  anonymize::PrivacyModel model;
  model.k = options.k;
  model.distinct_l = options.distinct_l;
  model.max_suppression = options.max_suppression;
  model.metric = options.metric;
  release.model = model;
  release.episodes = stored.size();
  release.filter = options.filter;
  if (stored.empty()) return release;
  VARSAM_ASSIGN_OR_RETURN(release.search, anonymize::Anonymize(table, model));
  release.rows.reserve(release.search.kept_rows.size());
  for (const std::uint32_t row : release.search.kept_rows) {
    std::vector<std::string> out(release.header.size());
    for (size_t q = 0; q < table.columns.size(); ++q) {
      const anonymize::Column& c = table.columns[q];
      const auto level = static_cast<size_t>(release.search.levels[q]);
      out[q] = c.labels[level][c.up[level][c.codes[row]]];
    }
    out[7] = stored[row][7];
    release.rows.push_back(std::move(out));
  }
  return release;
}

}  // namespace varsam::engine
