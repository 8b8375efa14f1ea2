// Group insights through the engine (include/varsam/engine.h, Engine::Query; docs/insights.md,
// "Through the Engine"): the guard, the register's columns, the protected table, the
// differencing guard against the organisation's earlier releases, the budgets, and the audit
// record of what was released.

#include "varsam/insights.h"

#include <algorithm>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "internal.h"
#include "varsam/core.h"
#include "varsam/engine.h"

namespace varsam::engine {
namespace {

using internal::CaseRefOf;
using internal::Rfc3339;

// What the decision's audit record says of a query: its measure and dimensions, codes only.
std::string Summary(const insights::Query& query) {
  std::vector<std::string> dimensions;
  for (const insights::Dimension d : query.dimensions) {
    dimensions.emplace_back(insights::DimensionName(d));
  }
  return Cat({"insight ", insights::MeasureKindName(query.measure.kind),
              dimensions.empty() ? "" : " by ", absl::StrJoin(dimensions, ",")});
}

// The budget period: the month in Sweden of the context's time.
std::string Period(absl::Time time) {
  const Date day = internal::SwedishDate(time);
  return absl::StrFormat("%04d-%02d", day.year(), day.month());
}

bool NeedsInstrument(const insights::Query& query) {
  const insights::Measure& m = query.measure;
  return !m.instrument.empty() &&
         ((m.kind == insights::MeasureKind::kMean || m.kind == insights::MeasureKind::kMedian) ||
          std::find(query.dimensions.begin(), query.dimensions.end(), insights::Dimension::kBand) !=
              query.dimensions.end() ||
          std::any_of(query.filters.begin(), query.filters.end(), [](const insights::Filter& f) {
            return f.dimension == insights::Dimension::kBand;
          }));
}

}  // namespace

absl::StatusOr<InsightRelease> Engine::Query(const access::Context& context,
                                             const insights::Query& query) {
  VARSAM_RETURN_IF_ERROR(
      Guard(context, access::Action::kInsightQuery, {}, CaseRefOf(context), Summary(query)));
  const bool in_store = insight_options_.group_in_store;
  // The register's columns, read once when the library groups: every episode, and the
  // measurements of the query's instrument when it uses them.
  std::vector<store::EpisodeRow> episodes;
  std::optional<insights::Columns> columns;
  const auto read_columns = [&]() -> absl::Status {
    if (columns) return absl::OkStatus();
    VARSAM_RETURN_IF_ERROR(store_->ForEachEpisode({}, [&](const store::EpisodeRow& row) {
      episodes.push_back(row);
      return true;
    }));
    std::vector<store::RegisterMeasurementRow> rows;
    const std::string instrument = NeedsInstrument(query) ? query.measure.instrument : "";
    if (!instrument.empty()) {
      VARSAM_RETURN_IF_ERROR(store_->ForEachRegisterMeasurement(
          instrument, [&](const store::RegisterMeasurementRow& row) {
            rows.push_back(row);
            return true;
          }));
    }
    VARSAM_ASSIGN_OR_RETURN(columns, insights::BuildColumns(episodes, rows, instrument));
    return absl::OkStatus();
  };
  InsightRelease release;
  if (const auto grouping = in_store ? insights::TableGrouping(query) : std::nullopt) {
    VARSAM_ASSIGN_OR_RETURN(const auto groups, store_->GroupEpisodes(*grouping));
    VARSAM_ASSIGN_OR_RETURN(release.table, insights::TableFromGroups(query, groups));
  } else {
    VARSAM_RETURN_IF_ERROR(read_columns());
    VARSAM_ASSIGN_OR_RETURN(release.table, insights::Aggregate(query, *columns));
  }
  VARSAM_RETURN_IF_ERROR(insights::Protect(release.table, insights::CryptoBits()));
  VARSAM_ASSIGN_OR_RETURN(release.id, internal::NewRandomId());

  const std::string organisation = context.organisation.id;
  const std::string purpose(access::Name(context.purpose));
  const std::string period = Period(context.time);
  const std::string canonical = insights::QueryJson(query);
  const access::Decision decision =
      policy_.DecideAndExplain(context, access::Action::kInsightQuery, {});
  const auto record = [&](std::string_view what) {
    return log_
        ->Append(AuditRecordFor(context, access::Action::kInsightQuery, decision,
                                CaseRefOf(context), what))
        .status();
  };

  // The differencing guard: the groups of people this table shows against those of the
  // earlier releases of the organisation, purpose and period, on the register as it is now.
  // Each distinct earlier query is evaluated once.
  std::vector<std::string> earlier_json;
  VARSAM_RETURN_IF_ERROR(
      store_->ForEachRelease(organisation, purpose, period, [&](const store::Release& r) {
        earlier_json.push_back(r.query_json);
        return true;
      }));
  std::sort(earlier_json.begin(), earlier_json.end());
  earlier_json.erase(std::unique(earlier_json.begin(), earlier_json.end()), earlier_json.end());
  std::vector<insights::Query> earlier_queries;
  for (const std::string& json : earlier_json) {
    if (json == canonical) continue;  // the same table again shows nothing new
    absl::StatusOr<insights::Query> old = insights::ParseQuery(json);
    if (!old.ok()) return absl::DataLossError("insight: a kept release's query does not read");
    earlier_queries.push_back(*std::move(old));
  }
  const int threshold =
      std::max(insight_options_.differencing_threshold, query.protection.threshold);
  bool differencing = false;
  const auto groupable = [](const insights::Query& q) {
    return insights::PopulationGrouping(q).has_value();
  };
  if (earlier_queries.empty()) {
    // Nothing to compare with.
  } else if (in_store && groupable(query) &&
             std::all_of(earlier_queries.begin(), earlier_queries.end(), groupable)) {
    VARSAM_ASSIGN_OR_RETURN(
        differencing, insights::DifferencingInStore(*store_, query, earlier_queries, threshold));
  } else {
    VARSAM_RETURN_IF_ERROR(read_columns());
    // An earlier query that groups or filters by another instrument's band is evaluated on
    // columns with that instrument joined (built once each; the same episodes, so the same
    // person ids).
    std::map<std::string, insights::Columns, std::less<>> by_band;
    const auto columns_for =
        [&](std::string_view band) -> absl::StatusOr<const insights::Columns*> {
      if (band.empty() || band == columns->instrument) return &*columns;
      if (const auto it = by_band.find(band); it != by_band.end()) return &it->second;
      std::vector<store::RegisterMeasurementRow> band_rows;
      VARSAM_RETURN_IF_ERROR(
          store_->ForEachRegisterMeasurement(band, [&](const store::RegisterMeasurementRow& row) {
            band_rows.push_back(row);
            return true;
          }));
      VARSAM_ASSIGN_OR_RETURN(insights::Columns joined,
                              insights::BuildColumns(episodes, band_rows, band));
      return &by_band.emplace(std::string(band), std::move(joined)).first->second;
    };
    std::vector<std::vector<std::uint32_t>> earlier;
    for (const insights::Query& old : earlier_queries) {
      VARSAM_ASSIGN_OR_RETURN(const insights::Columns* on,
                              columns_for(insights::BandInstrument(old)));
      VARSAM_ASSIGN_OR_RETURN(auto groups, insights::Populations(old, *on));
      for (auto& g : groups) earlier.push_back(std::move(g));
    }
    VARSAM_ASSIGN_OR_RETURN(const auto fresh, insights::Populations(query, *columns));
    differencing = insights::FindDifferencing(fresh, earlier, threshold).has_value();
  }
  if (differencing) {
    VARSAM_RETURN_IF_ERROR(record(Cat({"refused insight ", release.id,
                                       ": differencing against an earlier release ", canonical})));
    return absl::FailedPreconditionError(
        Cat({"insight: differencing: a group of people this table shows differs from one an "
             "earlier release of the organisation showed this period by fewer than ",
             std::to_string(threshold), " people"}));
  }

  store::Release kept;
  kept.id = release.id;
  kept.organisation = organisation;
  kept.purpose = purpose;
  kept.period = period;
  kept.created = Rfc3339(context.time);
  kept.query_json = canonical;
  for (const insights::Cell& cell : release.table.cells) {
    kept.cells += cell.status == insights::CellStatus::kPublished ? 1 : 0;
  }
  kept.epsilon = query.protection.dp ? query.protection.dp->epsilon : 0;
  store::ReleaseBudget budget;
  budget.max_cells = insight_options_.cells_per_period;
  budget.max_epsilon = insight_options_.epsilon_per_period;
  const absl::Status put = store_->PutRelease(kept, budget);
  if (put.code() == absl::StatusCode::kResourceExhausted) {
    VARSAM_RETURN_IF_ERROR(
        record(Cat({"refused insight ", release.id, ": over budget ", canonical})));
    return put;
  }
  VARSAM_RETURN_IF_ERROR(put);
  // The release's record: its query (codes only) and the methods' parameters; never a cell.
  VARSAM_RETURN_IF_ERROR(
      record(Cat({"released insight ", release.id, " cells ", std::to_string(kept.cells),
                  " methods ", absl::StrJoin(release.table.methods, "; "), " query ", canonical})));
  return release;
}

}  // namespace varsam::engine
