// The scoring engine: a Definition compiled into flat tables, then one loop per form that
// validates, reverses and sums, bands and flags without touching the heap.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_format.h"
#include "definition.h"
#include "varsam/core.h"
#include "varsam/instruments.h"

namespace varsam::instruments {
namespace {

using json = nlohmann::ordered_json;

// What is wrong with one answer, found without allocating; the Status is made from it later.
enum class Problem : std::uint8_t { kNone, kNotFinite, kOutOfRange, kNotWhole, kNotAllowed };

struct InputCheck {
  Problem problem = Problem::kNone;
  int item = 0;  // 1-based
};

std::string Num(double x) {
  if (std::abs(x) < 1e15 && x == std::trunc(x)) {
    return absl::StrFormat("%d", static_cast<std::int64_t>(x));
  }
  return absl::StrFormat("%g", x);
}

json NumberJson(double x) {
  if (std::abs(x) < 1e15 && x == std::trunc(x)) return static_cast<std::int64_t>(x);
  return x;
}

std::string AllowedText(const Scale& s) {
  if (s.values != 0) {
    std::string out;
    for (int v = 0; v < 64; ++v) {
      if (s.values >> v & 1) out += (out.empty() ? "" : ", ") + std::to_string(v);
    }
    return Cat({"allowed: ", out});
  }
  return Cat(
      {"allowed: ", s.decimals ? "any number " : "whole numbers ", Num(s.min), "-", Num(s.max)});
}

json TextJson(const Text& t) { return {{"en", t.en}, {"sv", t.sv}}; }

// A flag condition as the definition states it, with the threshold in force:
//   {"on": "item", "items": [9], "comparison": "at_least", "threshold": 1, "setting": null}
json ConditionJson(const Condition& c, const Definition& def) {
  json out = {{"on", internal::kSubjectNames[static_cast<int>(c.on)]}};
  if (c.on == Subject::kItem) out["items"] = c.items;
  if (c.on == Subject::kSubscale) out["subscale"] = def.subscales[c.subscale].id;
  out["comparison"] = internal::kComparisonNames[static_cast<int>(c.comparison)];
  const bool compares =
      c.comparison != Comparison::kUnanswered && c.comparison != Comparison::kUnknown;
  out["threshold"] = compares ? NumberJson(c.threshold) : json(nullptr);
  out["setting"] = c.setting.empty() ? json(nullptr) : json(c.setting);
  return out;
}

json SourcesJson(const std::vector<Source>& list) {
  json sources = json::array();
  for (const Source& s : list) {
    sources.push_back({{"cite", s.cite}, {"url", s.url}, {"note", s.note}});
  }
  return sources;
}

// The change rule as the definition states it, with the values in force:
//   {"better": "lower", "reliable_change": 6, "setting": null, "reliability": null,
//    "reference_sd": null, "cutoffs": [{"age_min", "age_max", "value", "clinical_at_value",
//    "unknown_age", "setting"}], "sources": [...]}
json ChangeJson(const ChangeRule& rule) {
  const auto optional = [](const auto& x) { return x ? json(*x) : json(nullptr); };
  json cutoffs = json::array();
  for (const ClinicalCutoff& c : rule.cutoffs) {
    cutoffs.push_back({{"age_min", optional(c.age_min)},
                       {"age_max", optional(c.age_max)},
                       {"value", NumberJson(c.value)},
                       {"clinical_at_value", c.clinical_at_value},
                       {"unknown_age", c.unknown_age},
                       {"setting", c.setting.empty() ? json(nullptr) : json(c.setting)}});
  }
  return {{"better", rule.better == Better::kHigher ? "higher" : "lower"},
          {"reliable_change", NumberJson(rule.reliable_change)},
          {"setting", rule.setting.empty() ? json(nullptr) : json(rule.setting)},
          {"reliability", optional(rule.reliability)},
          {"reference_sd", optional(rule.reference_sd)},
          {"cutoffs", std::move(cutoffs)},
          {"sources", SourcesJson(rule.sources)}};
}

}  // namespace

std::string_view SeverityName(Severity severity) {
  switch (severity) {
    case Severity::kInfo: return "info";
    case Severity::kWarning: return "warning";
    case Severity::kCritical: return "critical";
  }
  return "info";
}

// ---- Compiled tables ------------------------------------------------------------------------

struct Instrument::Compiled {
  // One item: its checks and its contribution, scored = offset + sign * answer.
  struct Item {
    double min;
    double max;
    double offset;
    double sign;
    std::uint64_t values;  // 0: a range
    bool whole;
  };
  struct Band {
    double min;
    int index;
  };
  struct Set {
    int sex;      // 0 any, else ident::Sex
    int age_min;  // -1: no condition
    int age_max;  // -1: no condition
    int first;    // into bands
    int count;
  };
  struct Cond {
    Subject on;
    Comparison comparison;
    double threshold;
    int subscale;
    int first;  // into items (0-based item numbers)
    int count;
  };
  struct Rule {
    int first;  // into conds
    int count;
  };

  std::vector<Item> items;
  std::vector<Band> bands;
  std::vector<Set> sets;
  std::vector<int> cond_items;
  std::vector<Cond> conds;
  std::vector<Rule> rules;
  std::vector<int> subscale_items;                 // 0-based, subscales one after another
  std::vector<std::pair<int, int>> subscale_span;  // {first, count} into subscale_items
  int missing_allowed = 0;
  bool prorate = false;

  static bool Compare(Comparison c, double x, double t) {
    switch (c) {
      case Comparison::kAtLeast: return x >= t;
      case Comparison::kAtMost: return x <= t;
      case Comparison::kBelow: return x < t;
      case Comparison::kAbove: return x > t;
      case Comparison::kEquals: return x == t;
      default: return false;
    }
  }

  // Validates and scores one form of items.size() answers. Writes *out only when the answers
  // are valid; the first bad answer is returned otherwise.
  InputCheck Evaluate(const double* r, int sex, int age, double previous, FormScore* out) const {
    const int n = static_cast<int>(items.size());
    double sum = 0;
    int missing = 0;
    for (int i = 0; i < n; ++i) {
      const double x = r[i];
      const Item& it = items[i];
      if (std::isnan(x)) {
        ++missing;
        continue;
      }
      if (!(x >= it.min && x <= it.max)) {
        return {std::isinf(x) ? Problem::kNotFinite : Problem::kOutOfRange, i + 1};
      }
      // In range, |x| <= kMaxScale, so the conversion is exact for whole numbers (and cheaper
      // than std::trunc, a library call without SSE4.1).
      if (it.whole && static_cast<double>(static_cast<std::int64_t>(x)) != x) {
        return {Problem::kNotWhole, i + 1};
      }
      if (it.values != 0 && !(it.values >> static_cast<int>(x) & 1)) {
        return {Problem::kNotAllowed, i + 1};
      }
      sum += it.offset + it.sign * x;
    }

    FormScore& f = *out;
    f.answered = n - missing;
    f.missing = missing;
    f.prorated = false;
    f.total = kMissing;
    if (missing == 0) {
      f.total = sum;
    } else if (prorate && missing <= missing_allowed) {
      f.total = sum * n / (n - missing);
      f.prorated = true;
    }

    for (size_t s = 0; s < subscale_span.size(); ++s) {
      const auto [first, count] = subscale_span[s];
      double part = 0;
      int part_missing = 0;
      for (int k = first; k < first + count; ++k) {
        const int i = subscale_items[k];
        if (std::isnan(r[i])) {
          ++part_missing;
        } else {
          part += items[i].offset + items[i].sign * r[i];
        }
      }
      double score = kMissing;
      if (part_missing == 0) {
        score = part;
      } else if (prorate && part_missing <= missing_allowed && part_missing < count) {
        score = part * count / (count - part_missing);
      }
      f.subscales[s] = score;
    }

    f.band = -1;
    if (!std::isnan(f.total)) {
      for (const Set& set : sets) {
        if ((set.sex != 0 && set.sex != sex) ||
            (set.age_min >= 0 && (age < 0 || age < set.age_min)) ||
            (set.age_max >= 0 && (age < 0 || age > set.age_max))) {
          continue;
        }
        // The last band starting at or below the total, counted without a data-dependent
        // branch (totals are random to the branch predictor; the first band starts at or
        // below the lowest total, so the count is at least 1).
        int starts = 0;
        for (int b = set.first; b < set.first + set.count; ++b) starts += bands[b].min <= f.total;
        f.band = bands[set.first + std::max(starts, 1) - 1].index;
        break;
      }
    }

    // Every condition is evaluated and OR-ed (no early exit), which keeps the loop free of
    // branches that depend on the answers.
    std::uint32_t flags = 0;
    for (size_t k = 0; k < rules.size(); ++k) {
      const Rule& rule = rules[k];
      bool raised = false;
      for (int c = rule.first; c < rule.first + rule.count; ++c) {
        raised |= Holds(conds[c], r, f, sex, age, previous);
      }
      flags |= std::uint32_t{raised} << k;
    }
    f.flags = flags;
    return {};
  }

  bool Holds(const Cond& c, const double* r, const FormScore& f, int sex, int age,
             double previous) const {
    switch (c.on) {
      case Subject::kItem: {
        bool any = false;
        for (int k = c.first; k < c.first + c.count; ++k) {
          const double x = r[cond_items[k]];
          any |= c.comparison == Comparison::kUnanswered ? std::isnan(x)
                                                         : Compare(c.comparison, x, c.threshold);
        }
        return any;
      }
      case Subject::kTotal: return Compare(c.comparison, f.total, c.threshold);
      case Subject::kSubscale: return Compare(c.comparison, f.subscales[c.subscale], c.threshold);
      case Subject::kChange:
        return Compare(c.comparison, f.total - previous, c.threshold);  // NaN compares false
      case Subject::kAge: return age >= 0 && Compare(c.comparison, age, c.threshold);
      case Subject::kSex: return sex == 0;
    }
    return false;
  }
};

Instrument::Instrument() = default;
Instrument::~Instrument() = default;

absl::StatusOr<std::unique_ptr<const Instrument>> Instrument::Parse(std::string_view json_text,
                                                                    const SettingValues& settings) {
  VARSAM_ASSIGN_OR_RETURN(Definition def, internal::ParseDefinition(json_text, settings));
  std::unique_ptr<Instrument> instrument(new Instrument());
  auto compiled = std::make_unique<Compiled>();
  Compiled& c = *compiled;
  for (size_t i = 0; i < def.items.size(); ++i) {
    const Scale& s = def.items[i];
    const bool reversed =
        std::binary_search(def.reverse.begin(), def.reverse.end(), static_cast<int>(i + 1));
    c.items.push_back({s.min, s.max, reversed ? s.min + s.max : 0.0, reversed ? -1.0 : 1.0,
                       s.values, !s.decimals});
  }
  for (const BandSet& set : def.band_sets) {
    c.sets.push_back({set.sex ? static_cast<int>(*set.sex) : 0, set.age_min.value_or(-1),
                      set.age_max.value_or(-1), static_cast<int>(c.bands.size()),
                      static_cast<int>(set.bands.size())});
    for (const Band& b : set.bands) c.bands.push_back({b.min, b.index});
  }
  for (const FlagRule& rule : def.flags) {
    c.rules.push_back({static_cast<int>(c.conds.size()), static_cast<int>(rule.any.size())});
    for (const Condition& cond : rule.any) {
      c.conds.push_back({cond.on, cond.comparison, cond.threshold, cond.subscale,
                         static_cast<int>(c.cond_items.size()),
                         static_cast<int>(cond.items.size())});
      for (int item : cond.items) c.cond_items.push_back(item - 1);
    }
  }
  for (const Subscale& s : def.subscales) {
    c.subscale_span.emplace_back(static_cast<int>(c.subscale_items.size()),
                                 static_cast<int>(s.items.size()));
    for (int item : s.items) c.subscale_items.push_back(item - 1);
  }
  c.missing_allowed = def.missing_allowed;
  c.prorate = def.prorate;

  instrument->def_ = std::move(def);
  instrument->source_json_ = std::string(json_text);
  instrument->overrides_ = settings;
  instrument->compiled_ = std::move(compiled);
  return std::unique_ptr<const Instrument>(std::move(instrument));
}

namespace {

absl::Status InputError(const Definition& def, InputCheck check) {
  const Scale& scale = def.items[check.item - 1];
  std::string what;
  switch (check.problem) {
    case Problem::kNotFinite: what = "not a finite number"; break;
    case Problem::kOutOfRange: what = "out of range"; break;
    case Problem::kNotWhole: what = "must be a whole number"; break;
    case Problem::kNotAllowed: what = "not an allowed answer"; break;
    case Problem::kNone: break;
  }
  return absl::InvalidArgumentError(
      Cat({"instrument '", def.id, "' item ", std::to_string(check.item), ": ", what, " (",
           AllowedText(scale), ")"}));
}

int SexCode(const Respondent& respondent) {
  return respondent.sex ? static_cast<int>(*respondent.sex) : 0;
}

}  // namespace

absl::Status Instrument::ScoreForm(std::span<const double> responses, const Respondent& respondent,
                                   FormScore* out) const {
  if (responses.size() != def_.items.size()) {
    return absl::InvalidArgumentError(
        Cat({"instrument '", def_.id, "' has ", std::to_string(def_.items.size()), " items; got ",
             std::to_string(responses.size()), " answers"}));
  }
  if (respondent.age && (*respondent.age < 0 || *respondent.age > kMaxAge)) {
    return absl::InvalidArgumentError("respondent age: must be 0-150 years");
  }
  if (respondent.previous_total && !std::isfinite(*respondent.previous_total)) {
    return absl::InvalidArgumentError("previous total: must be a finite number");
  }
  const InputCheck check =
      compiled_->Evaluate(responses.data(), SexCode(respondent), respondent.age.value_or(-1),
                          respondent.previous_total.value_or(kMissing), out);
  if (check.problem != Problem::kNone) return InputError(def_, check);
  return absl::OkStatus();
}

Score Instrument::Describe(const FormScore& form) const {
  Score score;
  score.instrument = def_.id;
  if (form.scored()) score.total = form.total;
  if (form.band >= 0) {
    score.band = def_.band_ids[form.band];
    for (const BandSet& set : def_.band_sets) {
      for (const Band& b : set.bands) {
        if (b.index == form.band && score.band_label == nullptr) score.band_label = &b.label;
      }
    }
  }
  for (size_t s = 0; s < def_.subscales.size(); ++s) {
    SubscaleScore sub{def_.subscales[s].id, std::nullopt};
    if (!std::isnan(form.subscales[s])) sub.score = form.subscales[s];
    score.subscales.push_back(sub);
  }
  for (size_t k = 0; k < def_.flags.size(); ++k) {
    if (form.flags >> k & 1) {
      score.flags.push_back({def_.flags[k].code, def_.flags[k].severity, &def_.flags[k].message});
    }
  }
  score.answered = form.answered;
  score.missing = form.missing;
  score.prorated = form.prorated;
  return score;
}

absl::StatusOr<Score> Instrument::ScoreOne(std::span<const double> responses,
                                           const Respondent& respondent) const {
  FormScore form;
  VARSAM_RETURN_IF_ERROR(ScoreForm(responses, respondent, &form));
  return Describe(form);
}

absl::StatusOr<BatchSummary> Instrument::ScoreBatch(const BatchInput& input,
                                                    const BatchOutput& output) const {
  const size_t n = def_.items.size();
  if (input.responses.size() % n != 0) {
    return absl::InvalidArgumentError(
        Cat({"instrument '", def_.id, "': ", std::to_string(input.responses.size()),
             " answers are not a whole number of forms of ", std::to_string(n), " items"}));
  }
  const size_t forms = input.responses.size() / n;
  const auto check_column = [&](size_t size, std::string_view name) {
    return size == 0 || size == forms ? absl::OkStatus()
                                      : absl::InvalidArgumentError(Cat(
                                            {"column ", name, ": has ", std::to_string(size),
                                             " entries for ", std::to_string(forms), " forms"}));
  };
  VARSAM_RETURN_IF_ERROR(check_column(input.sex.size(), "sex"));
  VARSAM_RETURN_IF_ERROR(check_column(input.age.size(), "age"));
  VARSAM_RETURN_IF_ERROR(check_column(input.previous_total.size(), "previous_total"));
  VARSAM_RETURN_IF_ERROR(check_column(output.total.size(), "total"));
  VARSAM_RETURN_IF_ERROR(check_column(output.band.size(), "band"));
  VARSAM_RETURN_IF_ERROR(check_column(output.flags.size(), "flags"));
  VARSAM_RETURN_IF_ERROR(check_column(output.status.size(), "status"));
  // The respondent columns are checked as ScoreForm checks one respondent (where an error
  // fails the call), so that a batch and a form agree; a bad entry fails the batch.
  for (const std::int32_t sex : input.sex) {
    if (sex < 0 || sex > 2) {
      return absl::InvalidArgumentError("column sex: values must be 0 (unknown), 1 or 2");
    }
  }
  for (const std::int32_t age : input.age) {
    if (age > kMaxAge) {
      return absl::InvalidArgumentError("column age: values must be at most 150 years");
    }
  }
  for (const double previous : input.previous_total) {
    if (std::isinf(previous)) {
      return absl::InvalidArgumentError("column previous_total: values must be finite or NaN");
    }
  }

  BatchSummary summary;
  FormScore form;
  const double* row = input.responses.data();
  for (size_t i = 0; i < forms; ++i, row += n) {
    const int sex = input.sex.empty() ? 0 : input.sex[i];
    const int age = input.age.empty() || input.age[i] < 0 ? -1 : input.age[i];
    const double previous = input.previous_total.empty() ? kMissing : input.previous_total[i];
    FormStatus status = FormStatus::kScored;
    if (compiled_->Evaluate(row, sex, age, previous, &form).problem != Problem::kNone) {
      status = FormStatus::kInvalid;
      form.total = kMissing;
      form.band = -1;
      form.flags = 0;
      if (summary.invalid++ == 0) summary.first_invalid = i;
    } else if (!form.scored()) {
      status = FormStatus::kTooManyMissing;
      ++summary.too_many_missing;
    } else {
      ++summary.scored;
    }
    if (!output.total.empty()) output.total[i] = form.total;
    if (!output.band.empty()) output.band[i] = form.band;
    if (!output.flags.empty()) output.flags[i] = form.flags;
    if (!output.status.empty()) output.status[i] = static_cast<std::int32_t>(status);
  }
  return summary;
}

// ---- Change ---------------------------------------------------------------------------------

std::string_view ChangeCategoryName(ChangeCategory c) {
  switch (c) {
    case ChangeCategory::kRecovered: return "recovered";
    case ChangeCategory::kReliablyImproved: return "reliably_improved";
    case ChangeCategory::kNoReliableChange: return "no_reliable_change";
    case ChangeCategory::kReliablyDeteriorated: return "reliably_deteriorated";
  }
  return "no_reliable_change";
}

namespace {

// The cut-off for this respondent (Instrument::AssessChange): the first whose age range holds
// the age; with the age unknown, the one marked unknown_age, else the first without a range.
const ClinicalCutoff* CutoffFor(const ChangeRule& rule, std::optional<int> age) {
  if (!age) {
    for (const ClinicalCutoff& c : rule.cutoffs) {
      if (c.unknown_age) return &c;
    }
  }
  for (const ClinicalCutoff& c : rule.cutoffs) {
    const bool bounded = c.age_min || c.age_max;
    if (!age) {
      if (!bounded) return &c;
      continue;
    }
    if ((!c.age_min || *age >= *c.age_min) && (!c.age_max || *age <= *c.age_max)) return &c;
  }
  return nullptr;
}

bool IsClinical(const ClinicalCutoff& c, Better better, double total) {
  if (total == c.value) return c.clinical_at_value;
  return better == Better::kLower ? total > c.value : total < c.value;
}

}  // namespace

absl::StatusOr<ChangeAssessment> Instrument::AssessChange(double intake_total, double later_total,
                                                          const Respondent& respondent) const {
  if (!def_.change) {
    return absl::FailedPreconditionError(Cat({"instrument '", def_.id, "' has no change rule"}));
  }
  const auto check = [&](double total, std::string_view name) {
    return std::isfinite(total) && total >= def_.total_min && total <= def_.total_max
               ? absl::OkStatus()
               : absl::InvalidArgumentError(
                     Cat({"instrument '", def_.id, "': ", name,
                          ": must be a finite number within the instrument's total range"}));
  };
  VARSAM_RETURN_IF_ERROR(check(intake_total, "intake_total"));
  VARSAM_RETURN_IF_ERROR(check(later_total, "later_total"));
  if (respondent.age && (*respondent.age < 0 || *respondent.age > kMaxAge)) {
    return absl::InvalidArgumentError("respondent age: must be 0-150 years");
  }
  const ChangeRule& rule = *def_.change;
  ChangeAssessment out;
  // Rounded to nine decimals: decimal totals differ by binary noise (23.3 - 18.3 is not 5).
  out.change = std::round((later_total - intake_total) * 1e9) / 1e9;
  out.improvement = rule.better == Better::kHigher ? out.change : -out.change;
  if (rule.reliability && rule.reference_sd) {
    // Jacobson & Truax (1991): RC = (x2 - x1) / S_diff, S_diff = sqrt(2 * S_E^2),
    // S_E = s1 * sqrt(1 - r_xx).
    const double s_diff = std::sqrt(2.0) * *rule.reference_sd * std::sqrt(1 - *rule.reliability);
    out.rci = out.change / s_diff;
  }
  if (const ClinicalCutoff* c = CutoffFor(rule, respondent.age)) {
    out.cutoff = c->value;
    out.clinical_at_intake = IsClinical(*c, rule.better, intake_total);
    out.clinical_now = IsClinical(*c, rule.better, later_total);
  }
  if (out.improvement >= rule.reliable_change) {
    out.category = out.clinical_at_intake && !out.clinical_now ? ChangeCategory::kRecovered
                                                               : ChangeCategory::kReliablyImproved;
  } else if (out.improvement <= -rule.reliable_change) {
    out.category = ChangeCategory::kReliablyDeteriorated;
  } else {
    out.category = ChangeCategory::kNoReliableChange;
  }
  return out;
}

// ---- JSON -----------------------------------------------------------------------------------

json ToJson(const Score& score, bool swedish) {
  json subscales = json::object();
  for (const SubscaleScore& s : score.subscales) {
    subscales[std::string(s.id)] = s.score ? NumberJson(*s.score) : json(nullptr);
  }
  json flags = json::array();
  for (const Flag& f : score.flags) {
    flags.push_back({{"code", f.code},
                     {"severity", SeverityName(f.severity)},
                     {"message", swedish ? f.message->sv : f.message->en}});
  }
  json out = json::object();
  out["instrument"] = score.instrument;
  out["total"] = score.total ? NumberJson(*score.total) : json(nullptr);
  out["subscales"] = std::move(subscales);
  out["band"] = score.band ? json(*score.band) : json(nullptr);
  out["flags"] = std::move(flags);
  out["answered"] = score.answered;
  out["missing"] = score.missing;
  out["prorated"] = score.prorated;
  return out;
}

json Instrument::ToJson() const {
  json scales = json::array();
  for (size_t i = 0; i < def_.items.size(); ++i) {
    const Scale& s = def_.items[i];
    json scale = {{"min", NumberJson(s.min)}, {"max", NumberJson(s.max)}, {"decimals", s.decimals}};
    if (s.values != 0) {
      json values = json::array();
      for (int v = 0; v < 64; ++v) {
        if (s.values >> v & 1) values.push_back(v);
      }
      scale["values"] = std::move(values);
    }
    scales.push_back(std::move(scale));
  }
  json subscales = json::array();
  for (const Subscale& s : def_.subscales) {
    subscales.push_back({{"id", s.id}, {"name", TextJson(s.name)}, {"items", s.items}});
  }
  json band_sets = json::array();
  for (const BandSet& set : def_.band_sets) {
    json bands = json::array();
    for (const Band& b : set.bands) {
      bands.push_back({{"id", b.id},
                       {"index", b.index},
                       {"min", NumberJson(b.min)},
                       {"max", b.max ? NumberJson(*b.max) : json(nullptr)},
                       {"label", TextJson(b.label)}});
    }
    band_sets.push_back({{"sex", set.sex ? json(ident::SexName(*set.sex)) : json(nullptr)},
                         {"age_min", set.age_min ? json(*set.age_min) : json(nullptr)},
                         {"age_max", set.age_max ? json(*set.age_max) : json(nullptr)},
                         {"bands", std::move(bands)}});
  }
  json flags = json::array();
  for (const FlagRule& f : def_.flags) {
    json any = json::array();
    for (const Condition& c : f.any) any.push_back(ConditionJson(c, def_));
    flags.push_back({{"code", f.code},
                     {"severity", SeverityName(f.severity)},
                     {"message", TextJson(f.message)},
                     {"any", std::move(any)}});
  }
  json settings = json::object();
  for (const Setting& s : def_.settings) {
    settings[s.name] = {{"value", NumberJson(s.value)}, {"default", NumberJson(s.default_value)},
                        {"min", NumberJson(s.min)},     {"max", NumberJson(s.max)},
                        {"unconfirmed", s.unconfirmed}, {"note", s.note}};
  }
  json sources = SourcesJson(def_.sources);
  json out = json::object();
  out["id"] = def_.id;
  out["name"] = TextJson(def_.name);
  out["items"] = def_.items.size();
  out["scales"] = std::move(scales);
  out["reverse"] = def_.reverse;
  out["subscales"] = std::move(subscales);
  out["total"] = {{"range", {NumberJson(def_.total_min), NumberJson(def_.total_max)}},
                  {"missing_allowed", def_.missing_allowed},
                  {"prorate", def_.prorate}};
  out["bands"] = def_.band_ids;
  out["band_sets"] = std::move(band_sets);
  out["flags"] = std::move(flags);
  out["respondent_age"] = {
      {"min", def_.respondent_age_min ? json(*def_.respondent_age_min) : json(nullptr)},
      {"max", def_.respondent_age_max ? json(*def_.respondent_age_max) : json(nullptr)}};
  out["settings"] = std::move(settings);
  out["sources"] = std::move(sources);
  out["licence"] = def_.licence;
  out["notes"] = def_.notes;
  out["change"] = def_.change ? ChangeJson(*def_.change) : json(nullptr);
  return out;
}

}  // namespace varsam::instruments
