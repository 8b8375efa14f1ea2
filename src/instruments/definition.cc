// The definition loader: strict (unknown fields are refused), and every message names the
// instrument and the field (docs/instrument-format.md, "What the loader refuses").

#include "definition.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_format.h"
#include "varsam/core.h"

namespace varsam::instruments::internal {
namespace {

using nlohmann::json;

constexpr std::string_view kFormat = "varsam-instrument/1";
constexpr int kMaxBandSets = 8;
constexpr int kMaxBands = 32;
constexpr int kMaxCutoffs = 8;

std::string Num(double x) {
  if (std::abs(x) < 1e15 && x == std::trunc(x)) {
    return absl::StrFormat("%d", static_cast<std::int64_t>(x));
  }
  return absl::StrFormat("%g", x);
}

// Reads one definition, remembering the instrument's id for messages.
class Reader {
 public:
  explicit Reader(const SettingValues& overrides) : overrides_(overrides) {}

  absl::StatusOr<Definition> Read(const json& root);

 private:
  absl::Status Error(std::string_view path, std::string_view message) const {
    const std::string who = id_.empty() ? "instrument definition" : Cat({"instrument '", id_, "'"});
    return absl::InvalidArgumentError(Cat({who, ": ", path, ": ", message}));
  }

  static std::string At(std::string_view path, std::string_view key) {
    return path.empty() ? std::string(key) : Cat({path, ".", key});
  }
  static std::string At(std::string_view path, size_t index) {
    return Cat({path, "[", std::to_string(index), "]"});
  }

  // `value` must be an object whose keys are all in `known`.
  absl::Status Object(const json& value, std::string_view path,
                      std::initializer_list<std::string_view> known) const {
    if (!value.is_object()) return Error(path, "must be an object");
    for (const auto& [key, unused] : value.items()) {
      if (std::find(known.begin(), known.end(), key) == known.end()) {
        return Error(path, Cat({"unknown field '", key, "'"}));
      }
    }
    return absl::OkStatus();
  }

  static const json* Find(const json& object, std::string_view key) {
    const auto it = object.find(key);
    return it == object.end() ? nullptr : &*it;
  }

  absl::StatusOr<const json*> Required(const json& object, std::string_view path,
                                       std::string_view key) const {
    const json* value = Find(object, key);
    if (value == nullptr) return Error(path, Cat({"missing required field '", key, "'"}));
    return value;
  }

  absl::StatusOr<double> Number(const json& value, std::string_view path) const {
    if (!value.is_number()) return Error(path, "must be a number");
    const double x = value.get<double>();
    if (!std::isfinite(x)) return Error(path, "must be a finite number");
    return x;
  }

  absl::StatusOr<int> Integer(const json& value, std::string_view path, int lo, int hi) const {
    VARSAM_ASSIGN_OR_RETURN(const double x, Number(value, path));
    if (x != std::trunc(x) || x < lo || x > hi) {
      return Error(path, Cat({"must be a whole number from ", Num(lo), " to ", Num(hi)}));
    }
    return static_cast<int>(x);
  }

  absl::StatusOr<std::string> String(const json& value, std::string_view path) const {
    if (!value.is_string() || value.get_ref<const std::string&>().empty()) {
      return Error(path, "must be a non-empty string");
    }
    return value.get<std::string>();
  }

  absl::StatusOr<bool> Bool(const json* value, std::string_view path, bool fallback) const {
    if (value == nullptr) return fallback;
    if (!value->is_boolean()) return Error(path, "must be true or false");
    return value->get<bool>();
  }

  absl::StatusOr<std::string> Id(const json& value, std::string_view path) const {
    VARSAM_ASSIGN_OR_RETURN(std::string id, String(value, path));
    if (!IsValidId(id)) {
      return Error(path, "must be 1-32 characters a-z, 0-9, '-', '_', starting with a letter");
    }
    return id;
  }

  absl::StatusOr<Text> ReadText(const json& value, std::string_view path) const {
    VARSAM_RETURN_IF_ERROR(Object(value, path, {"en", "sv"}));
    Text text;
    VARSAM_ASSIGN_OR_RETURN(const json* en, Required(value, path, "en"));
    VARSAM_ASSIGN_OR_RETURN(text.en, String(*en, At(path, "en")));
    VARSAM_ASSIGN_OR_RETURN(const json* sv, Required(value, path, "sv"));
    VARSAM_ASSIGN_OR_RETURN(text.sv, String(*sv, At(path, "sv")));
    return text;
  }

  // A list of distinct item numbers 1..item_count, in the order given.
  absl::StatusOr<std::vector<int>> Items(const json& value, std::string_view path) const {
    if (!value.is_array() || value.empty()) return Error(path, "must be a non-empty list");
    std::vector<int> items;
    const int count = static_cast<int>(def_.items.size());
    for (size_t i = 0; i < value.size(); ++i) {
      const std::string at = At(path, i);
      VARSAM_ASSIGN_OR_RETURN(const double x, Number(value[i], at));
      if (x != std::trunc(x) || x < 1 || x > count) {
        return Error(at, Cat({Num(x), " is not an item number (1-", Num(count), ")"}));
      }
      const int item = static_cast<int>(x);
      if (std::find(items.begin(), items.end(), item) != items.end()) {
        return Error(at, Cat({"item ", Num(item), " is listed twice"}));
      }
      items.push_back(item);
    }
    return items;
  }

  // A number, or {"setting": NAME, "negate": bool} resolved to the setting's value in force
  // (its negative with negate: a drop of at least the reliable change is change <= -setting).
  absl::StatusOr<double> Threshold(const json& value, std::string_view path,
                                   std::string* setting) const {
    if (value.is_object()) {
      VARSAM_RETURN_IF_ERROR(Object(value, path, {"setting", "negate"}));
      VARSAM_ASSIGN_OR_RETURN(const json* name, Required(value, path, "setting"));
      VARSAM_ASSIGN_OR_RETURN(std::string n, String(*name, At(path, "setting")));
      VARSAM_ASSIGN_OR_RETURN(const bool negate,
                              Bool(Find(value, "negate"), At(path, "negate"), false));
      for (const Setting& s : def_.settings) {
        if (s.name == n) {
          if (setting != nullptr) *setting = n;
          return negate ? -s.value : s.value;
        }
      }
      return Error(path, Cat({"no setting named '", n, "'"}));
    }
    return Number(value, path);
  }

  absl::Status CheckScale(const Scale& s, std::string_view path) const {
    if (s.min < -kMaxScale || s.max > kMaxScale) {
      return Error(path,
                   Cat({"answers must lie within -", Num(kMaxScale), " to ", Num(kMaxScale)}));
    }
    return absl::OkStatus();
  }

  absl::Status ReadSettings(const json& value);
  absl::Status ReadItems(const json& value);
  absl::Status ReadReverse(const json& value);
  absl::Status ReadSubscales(const json& value);
  absl::Status ReadTotal(const json& value);
  absl::StatusOr<std::vector<Band>> ReadBands(const json& value, std::string_view path);
  absl::Status ReadBandSets(const json* bands, const json* band_sets);
  absl::StatusOr<Condition> ReadCondition(const json& value, std::string_view path) const;
  absl::Status ReadFlags(const json& value);
  absl::Status ReadRespondentAge(const json& value);
  absl::StatusOr<std::vector<Source>> ReadSourceList(const json& value,
                                                     std::string_view path) const;
  absl::Status ReadSources(const json& value);
  absl::Status ReadNotes(const json& value);
  absl::StatusOr<ClinicalCutoff> ReadCutoff(const json& value, std::string_view path) const;
  absl::Status ReadChange(const json& value);

  const SettingValues& overrides_;
  std::string id_;
  Definition def_;
};

absl::Status Reader::ReadSettings(const json& value) {
  VARSAM_RETURN_IF_ERROR(value.is_object() ? absl::OkStatus()
                                           : Error("settings", "must be an object"));
  for (const auto& [name, spec] : value.items()) {
    const std::string path = At("settings", name);
    if (!IsValidId(name)) {
      return Error(path, "a setting name must be 1-32 characters a-z, 0-9, '-', '_'");
    }
    VARSAM_RETURN_IF_ERROR(Object(spec, path, {"default", "min", "max", "unconfirmed", "note"}));
    Setting s;
    s.name = name;
    VARSAM_ASSIGN_OR_RETURN(const json* d, Required(spec, path, "default"));
    VARSAM_ASSIGN_OR_RETURN(s.default_value, Number(*d, At(path, "default")));
    VARSAM_ASSIGN_OR_RETURN(const json* lo, Required(spec, path, "min"));
    VARSAM_ASSIGN_OR_RETURN(s.min, Number(*lo, At(path, "min")));
    VARSAM_ASSIGN_OR_RETURN(const json* hi, Required(spec, path, "max"));
    VARSAM_ASSIGN_OR_RETURN(s.max, Number(*hi, At(path, "max")));
    VARSAM_ASSIGN_OR_RETURN(s.unconfirmed,
                            Bool(Find(spec, "unconfirmed"), At(path, "unconfirmed"), false));
    if (const json* note = Find(spec, "note")) {
      VARSAM_ASSIGN_OR_RETURN(s.note, String(*note, At(path, "note")));
    }
    if (s.min > s.max) return Error(path, "min is above max");
    if (s.default_value < s.min || s.default_value > s.max) {
      return Error(At(path, "default"),
                   Cat({"outside the setting's range ", Num(s.min), "-", Num(s.max)}));
    }
    s.value = s.default_value;
    def_.settings.push_back(std::move(s));
  }
  for (const auto& [override_name, v] : overrides_) {
    const std::string& name = override_name;  // clang 14 does not capture structured bindings
    auto it = std::find_if(def_.settings.begin(), def_.settings.end(),
                           [&](const Setting& s) { return s.name == name; });
    if (it == def_.settings.end()) {
      return Error("settings", Cat({"no setting named '", name, "'"}));
    }
    if (!std::isfinite(v) || v < it->min || v > it->max) {
      return Error(At("settings", name),
                   Cat({"value outside the setting's range ", Num(it->min), "-", Num(it->max)}));
    }
    it->value = v;
  }
  return absl::OkStatus();
}

absl::Status Reader::ReadItems(const json& value) {
  VARSAM_RETURN_IF_ERROR(Object(value, "items", {"count", "min", "max", "decimals", "groups"}));
  VARSAM_ASSIGN_OR_RETURN(const json* c, Required(value, "items", "count"));
  VARSAM_ASSIGN_OR_RETURN(const int count, Integer(*c, "items.count", 1, kMaxItems));
  Scale scale;
  VARSAM_ASSIGN_OR_RETURN(const json* lo, Required(value, "items", "min"));
  VARSAM_ASSIGN_OR_RETURN(scale.min, Number(*lo, "items.min"));
  VARSAM_ASSIGN_OR_RETURN(const json* hi, Required(value, "items", "max"));
  VARSAM_ASSIGN_OR_RETURN(scale.max, Number(*hi, "items.max"));
  VARSAM_ASSIGN_OR_RETURN(scale.decimals, Bool(Find(value, "decimals"), "items.decimals", false));
  if (scale.min > scale.max) return Error("items", "min is above max");
  VARSAM_RETURN_IF_ERROR(CheckScale(scale, "items"));
  def_.items.assign(count, scale);

  const json* groups = Find(value, "groups");
  if (groups == nullptr) return absl::OkStatus();
  if (!groups->is_array()) return Error("items.groups", "must be a list");
  std::vector<bool> grouped(count, false);
  for (size_t g = 0; g < groups->size(); ++g) {
    const std::string path = At("items.groups", g);
    const json& group = (*groups)[g];
    VARSAM_RETURN_IF_ERROR(Object(group, path, {"items", "min", "max", "values"}));
    VARSAM_ASSIGN_OR_RETURN(const json* list, Required(group, path, "items"));
    VARSAM_ASSIGN_OR_RETURN(const std::vector<int> items, Items(*list, At(path, "items")));
    Scale s = scale;
    const json* values = Find(group, "values");
    const json* gmin = Find(group, "min");
    const json* gmax = Find(group, "max");
    if (values != nullptr) {
      if (gmin != nullptr || gmax != nullptr) {
        return Error(path, "give either values or min and max, not both");
      }
      if (!values->is_array() || values->empty()) {
        return Error(At(path, "values"), "must be a non-empty list");
      }
      s.min = 64;
      s.max = -1;
      for (size_t i = 0; i < values->size(); ++i) {
        VARSAM_ASSIGN_OR_RETURN(const int v,
                                Integer((*values)[i], At(At(path, "values"), i), 0, 63));
        if (s.values & (std::uint64_t{1} << v)) {
          return Error(At(At(path, "values"), i), Cat({Num(v), " is listed twice"}));
        }
        s.values |= std::uint64_t{1} << v;
        s.min = std::min<double>(s.min, v);
        s.max = std::max<double>(s.max, v);
      }
      s.decimals = false;
    } else {
      if (gmin == nullptr || gmax == nullptr) {
        return Error(path, "needs values, or min and max");
      }
      VARSAM_ASSIGN_OR_RETURN(s.min, Number(*gmin, At(path, "min")));
      VARSAM_ASSIGN_OR_RETURN(s.max, Number(*gmax, At(path, "max")));
      if (s.min > s.max) return Error(path, "min is above max");
      VARSAM_RETURN_IF_ERROR(CheckScale(s, path));
    }
    for (const int item : items) {
      if (grouped[item - 1]) {
        return Error(At(path, "items"), Cat({"item ", Num(item), " is already in another group"}));
      }
      grouped[item - 1] = true;
      def_.items[item - 1] = s;
    }
  }
  return absl::OkStatus();
}

absl::Status Reader::ReadReverse(const json& value) {
  VARSAM_ASSIGN_OR_RETURN(def_.reverse, Items(value, "reverse"));
  std::sort(def_.reverse.begin(), def_.reverse.end());
  return absl::OkStatus();
}

absl::Status Reader::ReadSubscales(const json& value) {
  if (!value.is_array()) return Error("subscales", "must be a list");
  if (value.size() > static_cast<size_t>(kMaxSubscales)) {
    return Error("subscales", Cat({"at most ", Num(kMaxSubscales), " subscales"}));
  }
  for (size_t i = 0; i < value.size(); ++i) {
    const std::string path = At("subscales", i);
    VARSAM_RETURN_IF_ERROR(Object(value[i], path, {"id", "name", "items"}));
    Subscale s;
    VARSAM_ASSIGN_OR_RETURN(const json* id, Required(value[i], path, "id"));
    VARSAM_ASSIGN_OR_RETURN(s.id, Id(*id, At(path, "id")));
    for (const Subscale& other : def_.subscales) {
      if (other.id == s.id) return Error(At(path, "id"), Cat({"'", s.id, "' is used twice"}));
    }
    VARSAM_ASSIGN_OR_RETURN(const json* name, Required(value[i], path, "name"));
    VARSAM_ASSIGN_OR_RETURN(s.name, ReadText(*name, At(path, "name")));
    VARSAM_ASSIGN_OR_RETURN(const json* items, Required(value[i], path, "items"));
    VARSAM_ASSIGN_OR_RETURN(s.items, Items(*items, At(path, "items")));
    def_.subscales.push_back(std::move(s));
  }
  return absl::OkStatus();
}

absl::Status Reader::ReadTotal(const json& value) {
  VARSAM_RETURN_IF_ERROR(Object(value, "total", {"range", "missing_allowed", "prorate"}));
  VARSAM_ASSIGN_OR_RETURN(const json* range, Required(value, "total", "range"));
  if (!range->is_array() || range->size() != 2) {
    return Error("total.range", "must be [lowest, highest]");
  }
  VARSAM_ASSIGN_OR_RETURN(def_.total_min, Number((*range)[0], "total.range[0]"));
  VARSAM_ASSIGN_OR_RETURN(def_.total_max, Number((*range)[1], "total.range[1]"));
  double lo = 0, hi = 0;
  for (const Scale& s : def_.items) {
    lo += s.min;
    hi += s.max;
  }
  if (std::abs(lo - def_.total_min) > 1e-9 || std::abs(hi - def_.total_max) > 1e-9) {
    return Error("total.range", Cat({"says ", Num(def_.total_min), "-", Num(def_.total_max),
                                     " but the items give ", Num(lo), "-", Num(hi)}));
  }
  const int count = static_cast<int>(def_.items.size());
  if (const json* m = Find(value, "missing_allowed")) {
    VARSAM_ASSIGN_OR_RETURN(def_.missing_allowed,
                            Integer(*m, "total.missing_allowed", 0, count - 1));
  }
  VARSAM_ASSIGN_OR_RETURN(def_.prorate, Bool(Find(value, "prorate"), "total.prorate", false));
  if (def_.missing_allowed > 0 && !def_.prorate) {
    return Error("total", "missing_allowed above 0 needs prorate: true");
  }
  if (def_.prorate && def_.missing_allowed == 0) {
    return Error("total", "prorate needs missing_allowed of at least 1");
  }
  // count × mean stands in fairly for missing answers only when every item spans the same
  // range (CORE-10: all 0-4); otherwise a prorated total could leave the total's range.
  if (def_.prorate) {
    for (const Scale& s : def_.items) {
      if (s.min != def_.items.front().min || s.max != def_.items.front().max) {
        return Error("total", "prorate needs every item to span the same range");
      }
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<Band>> Reader::ReadBands(const json& value, std::string_view path) {
  if (!value.is_array() || value.empty()) return Error(path, "must be a non-empty list");
  if (value.size() > static_cast<size_t>(kMaxBands)) {
    return Error(path, Cat({"at most ", Num(kMaxBands), " bands"}));
  }
  const bool whole =
      std::none_of(def_.items.begin(), def_.items.end(), [](const Scale& s) { return s.decimals; });
  std::vector<Band> bands;
  for (size_t i = 0; i < value.size(); ++i) {
    const std::string at = At(path, i);
    VARSAM_RETURN_IF_ERROR(Object(value[i], at, {"id", "min", "max", "label"}));
    Band b;
    VARSAM_ASSIGN_OR_RETURN(const json* id, Required(value[i], at, "id"));
    VARSAM_ASSIGN_OR_RETURN(b.id, Id(*id, At(at, "id")));
    VARSAM_ASSIGN_OR_RETURN(const json* lo, Required(value[i], at, "min"));
    VARSAM_ASSIGN_OR_RETURN(b.min, Threshold(*lo, At(at, "min"), nullptr));
    if (const json* hi = Find(value[i], "max")) {
      VARSAM_ASSIGN_OR_RETURN(b.max, Number(*hi, At(at, "max")));
      if (*b.max < b.min) return Error(Cat({at, " ('", b.id, "')"}), "ends below its start");
    }
    VARSAM_ASSIGN_OR_RETURN(const json* label, Required(value[i], at, "label"));
    VARSAM_ASSIGN_OR_RETURN(b.label, ReadText(*label, At(at, "label")));
    for (const Band& other : bands) {
      if (other.id == b.id) return Error(At(at, "id"), Cat({"'", b.id, "' is used twice"}));
    }
    if (!bands.empty()) {
      const Band& prev = bands.back();
      const std::string name = Cat({at, " ('", b.id, "')"});
      const std::string prev_name = Cat({At(path, i - 1), " ('", prev.id, "')"});
      if (b.min <= prev.min || (prev.max && *prev.max >= b.min)) {
        return Error(name, Cat({"overlaps ", prev_name}));
      }
      if (whole && prev.max && *prev.max + 1 < b.min) {
        return Error(name, Cat({"leaves a gap after ", prev_name}));
      }
    }
    bands.push_back(std::move(b));
  }
  if (bands.front().min > def_.total_min) {
    return Error(path, Cat({"the first band starts at ", Num(bands.front().min),
                            ", above the lowest total ", Num(def_.total_min)}));
  }
  if (bands.back().max && *bands.back().max < def_.total_max) {
    return Error(path, Cat({"the last band ends at ", Num(*bands.back().max),
                            ", below the highest total ", Num(def_.total_max)}));
  }
  if (bands.back().min > def_.total_max) {
    return Error(path, Cat({"the last band starts above the highest total ", Num(def_.total_max)}));
  }
  return bands;
}

absl::Status Reader::ReadBandSets(const json* bands, const json* band_sets) {
  if (bands != nullptr && band_sets != nullptr) {
    return Error("bands", "give bands or band_sets, not both");
  }
  if (bands != nullptr) {
    BandSet set;
    VARSAM_ASSIGN_OR_RETURN(set.bands, ReadBands(*bands, "bands"));
    def_.band_sets.push_back(std::move(set));
  } else if (band_sets != nullptr) {
    if (!band_sets->is_array() || band_sets->empty()) {
      return Error("band_sets", "must be a non-empty list");
    }
    if (band_sets->size() > static_cast<size_t>(kMaxBandSets)) {
      return Error("band_sets", Cat({"at most ", Num(kMaxBandSets), " band sets"}));
    }
    for (size_t i = 0; i < band_sets->size(); ++i) {
      const std::string path = At("band_sets", i);
      const json& spec = (*band_sets)[i];
      VARSAM_RETURN_IF_ERROR(Object(spec, path, {"sex", "age", "bands"}));
      BandSet set;
      if (const json* sex = Find(spec, "sex")) {
        if (*sex == "female") {
          set.sex = ident::Sex::kFemale;
        } else if (*sex == "male") {
          set.sex = ident::Sex::kMale;
        } else {
          return Error(At(path, "sex"), "must be \"female\" or \"male\"");
        }
      }
      if (const json* age = Find(spec, "age")) {
        const std::string at = At(path, "age");
        VARSAM_RETURN_IF_ERROR(Object(*age, at, {"min", "max"}));
        if (const json* lo = Find(*age, "min")) {
          VARSAM_ASSIGN_OR_RETURN(set.age_min, Integer(*lo, At(at, "min"), 0, kMaxAge));
        }
        if (const json* hi = Find(*age, "max")) {
          VARSAM_ASSIGN_OR_RETURN(set.age_max, Integer(*hi, At(at, "max"), 0, kMaxAge));
        }
        if (set.age_min && set.age_max && *set.age_min > *set.age_max) {
          return Error(at, "min is above max");
        }
      }
      VARSAM_ASSIGN_OR_RETURN(const json* list, Required(spec, path, "bands"));
      VARSAM_ASSIGN_OR_RETURN(set.bands, ReadBands(*list, At(path, "bands")));
      def_.band_sets.push_back(std::move(set));
    }
  }
  for (BandSet& set : def_.band_sets) {
    for (Band& b : set.bands) {
      auto it = std::find(def_.band_ids.begin(), def_.band_ids.end(), b.id);
      if (it == def_.band_ids.end()) it = def_.band_ids.insert(it, b.id);
      b.index = static_cast<int>(it - def_.band_ids.begin());
    }
  }
  if (def_.band_ids.size() > static_cast<size_t>(kMaxBands)) {
    return Error("band_sets", Cat({"at most ", Num(kMaxBands), " distinct band ids"}));
  }
  return absl::OkStatus();
}

absl::StatusOr<Condition> Reader::ReadCondition(const json& value, std::string_view path) const {
  VARSAM_RETURN_IF_ERROR(Object(value, path,
                                {"on", "items", "subscale", "at_least", "at_most", "below", "above",
                                 "equals", "missing", "unknown"}));
  Condition c;
  VARSAM_ASSIGN_OR_RETURN(const json* on, Required(value, path, "on"));
  const auto subject = std::find(std::begin(kSubjectNames), std::end(kSubjectNames), *on);
  if (subject == std::end(kSubjectNames)) {
    return Error(At(path, "on"), "must be item, total, subscale, change, age or sex");
  }
  c.on = static_cast<Subject>(subject - std::begin(kSubjectNames));

  const json* items = Find(value, "items");
  if ((c.on == Subject::kItem) != (items != nullptr)) {
    return Error(path, c.on == Subject::kItem ? "needs items" : "items only go with on: item");
  }
  if (items != nullptr) {
    VARSAM_ASSIGN_OR_RETURN(c.items, Items(*items, At(path, "items")));
  }
  const json* subscale = Find(value, "subscale");
  if ((c.on == Subject::kSubscale) != (subscale != nullptr)) {
    return Error(path, c.on == Subject::kSubscale ? "needs subscale"
                                                  : "subscale only goes with on: subscale");
  }
  if (subscale != nullptr) {
    VARSAM_ASSIGN_OR_RETURN(const std::string id, String(*subscale, At(path, "subscale")));
    for (size_t i = 0; i < def_.subscales.size(); ++i) {
      if (def_.subscales[i].id == id) c.subscale = static_cast<int>(i);
    }
    if (c.subscale < 0) return Error(At(path, "subscale"), Cat({"no subscale '", id, "'"}));
  }

  int found = 0;
  for (size_t k = 0; k < std::size(kComparisonNames); ++k) {
    const std::string_view key = kComparisonNames[k];
    const Comparison comparison = static_cast<Comparison>(k);
    const json* operand = Find(value, key);
    if (operand == nullptr) continue;
    ++found;
    c.comparison = comparison;
    const std::string at = At(path, key);
    if (comparison == Comparison::kUnanswered || comparison == Comparison::kUnknown) {
      if (*operand != true) return Error(at, "must be true");
    } else {
      VARSAM_ASSIGN_OR_RETURN(c.threshold, Threshold(*operand, at, &c.setting));
    }
  }
  if (found != 1) {
    return Error(path,
                 "needs exactly one of at_least, at_most, below, above, equals, missing, "
                 "unknown");
  }
  if (c.comparison == Comparison::kUnanswered && c.on != Subject::kItem) {
    return Error(path, "missing only goes with on: item");
  }
  if ((c.comparison == Comparison::kUnknown) != (c.on == Subject::kSex)) {
    return Error(path, "on: sex takes only unknown: true, and unknown only goes with on: sex");
  }
  return c;
}

absl::Status Reader::ReadFlags(const json& value) {
  if (!value.is_array()) return Error("flags", "must be a list");
  if (value.size() > static_cast<size_t>(kMaxFlags)) {
    return Error("flags", Cat({"at most ", Num(kMaxFlags), " flags"}));
  }
  for (size_t i = 0; i < value.size(); ++i) {
    const std::string path = At("flags", i);
    VARSAM_RETURN_IF_ERROR(Object(value[i], path, {"code", "severity", "message", "any"}));
    FlagRule f;
    VARSAM_ASSIGN_OR_RETURN(const json* code, Required(value[i], path, "code"));
    VARSAM_ASSIGN_OR_RETURN(f.code, Id(*code, At(path, "code")));
    for (const FlagRule& other : def_.flags) {
      if (other.code == f.code)
        return Error(At(path, "code"), Cat({"'", f.code, "' is used twice"}));
    }
    VARSAM_ASSIGN_OR_RETURN(const json* severity, Required(value[i], path, "severity"));
    if (*severity == "info") {
      f.severity = Severity::kInfo;
    } else if (*severity == "warning") {
      f.severity = Severity::kWarning;
    } else if (*severity == "critical") {
      f.severity = Severity::kCritical;
    } else {
      return Error(At(path, "severity"), "must be info, warning or critical");
    }
    VARSAM_ASSIGN_OR_RETURN(const json* message, Required(value[i], path, "message"));
    VARSAM_ASSIGN_OR_RETURN(f.message, ReadText(*message, At(path, "message")));
    VARSAM_ASSIGN_OR_RETURN(const json* any, Required(value[i], path, "any"));
    if (!any->is_array() || any->empty()) {
      return Error(At(path, "any"), "must be a non-empty list of conditions");
    }
    for (size_t j = 0; j < any->size(); ++j) {
      VARSAM_ASSIGN_OR_RETURN(Condition c, ReadCondition((*any)[j], At(At(path, "any"), j)));
      f.any.push_back(std::move(c));
    }
    def_.flags.push_back(std::move(f));
  }
  return absl::OkStatus();
}

absl::Status Reader::ReadRespondentAge(const json& value) {
  VARSAM_RETURN_IF_ERROR(Object(value, "respondent_age", {"min", "max"}));
  if (const json* lo = Find(value, "min")) {
    VARSAM_ASSIGN_OR_RETURN(def_.respondent_age_min,
                            Integer(*lo, "respondent_age.min", 0, kMaxAge));
  }
  if (const json* hi = Find(value, "max")) {
    VARSAM_ASSIGN_OR_RETURN(def_.respondent_age_max,
                            Integer(*hi, "respondent_age.max", 0, kMaxAge));
  }
  if (def_.respondent_age_min && def_.respondent_age_max &&
      *def_.respondent_age_min > *def_.respondent_age_max) {
    return Error("respondent_age", "min is above max");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<Source>> Reader::ReadSourceList(const json& value,
                                                           std::string_view path) const {
  if (!value.is_array() || value.empty()) {
    return Error(path, "must be a non-empty list: every rule needs its source");
  }
  std::vector<Source> sources;
  for (size_t i = 0; i < value.size(); ++i) {
    const std::string at = At(path, i);
    VARSAM_RETURN_IF_ERROR(Object(value[i], at, {"cite", "url", "note"}));
    Source s;
    VARSAM_ASSIGN_OR_RETURN(const json* cite, Required(value[i], at, "cite"));
    VARSAM_ASSIGN_OR_RETURN(s.cite, String(*cite, At(at, "cite")));
    if (const json* url = Find(value[i], "url")) {
      VARSAM_ASSIGN_OR_RETURN(s.url, String(*url, At(at, "url")));
    }
    if (const json* note = Find(value[i], "note")) {
      VARSAM_ASSIGN_OR_RETURN(s.note, String(*note, At(at, "note")));
    }
    sources.push_back(std::move(s));
  }
  return sources;
}

absl::Status Reader::ReadSources(const json& value) {
  VARSAM_ASSIGN_OR_RETURN(def_.sources, ReadSourceList(value, "sources"));
  return absl::OkStatus();
}

absl::Status Reader::ReadNotes(const json& value) {
  if (!value.is_array()) return Error("notes", "must be a list of strings");
  for (size_t i = 0; i < value.size(); ++i) {
    VARSAM_ASSIGN_OR_RETURN(std::string note, String(value[i], At("notes", i)));
    def_.notes.push_back(std::move(note));
  }
  return absl::OkStatus();
}

absl::StatusOr<ClinicalCutoff> Reader::ReadCutoff(const json& value, std::string_view path) const {
  VARSAM_RETURN_IF_ERROR(Object(value, path, {"age", "value", "clinical_at_value", "unknown_age"}));
  ClinicalCutoff c;
  if (const json* age = Find(value, "age")) {
    const std::string at = At(path, "age");
    VARSAM_RETURN_IF_ERROR(Object(*age, at, {"min", "max"}));
    if (const json* lo = Find(*age, "min")) {
      VARSAM_ASSIGN_OR_RETURN(c.age_min, Integer(*lo, At(at, "min"), 0, kMaxAge));
    }
    if (const json* hi = Find(*age, "max")) {
      VARSAM_ASSIGN_OR_RETURN(c.age_max, Integer(*hi, At(at, "max"), 0, kMaxAge));
    }
    if (c.age_min && c.age_max && *c.age_min > *c.age_max) return Error(at, "min is above max");
  }
  VARSAM_ASSIGN_OR_RETURN(const json* v, Required(value, path, "value"));
  VARSAM_ASSIGN_OR_RETURN(c.value, Threshold(*v, At(path, "value"), &c.setting));
  if (c.value < def_.total_min || c.value > def_.total_max) {
    return Error(At(path, "value"), "must lie within the total's range");
  }
  // Required: whether a total exactly at the cut-off is clinical is a decision every source
  // makes ("> 9" or ">= 10"), and a silent default would hide it.
  VARSAM_ASSIGN_OR_RETURN(const json* at_value, Required(value, path, "clinical_at_value"));
  VARSAM_ASSIGN_OR_RETURN(c.clinical_at_value,
                          Bool(at_value, At(path, "clinical_at_value"), false));
  VARSAM_ASSIGN_OR_RETURN(c.unknown_age,
                          Bool(Find(value, "unknown_age"), At(path, "unknown_age"), false));
  return c;
}

absl::Status Reader::ReadChange(const json& value) {
  VARSAM_RETURN_IF_ERROR(
      Object(value, "change",
             {"better", "reliable_change", "reliability", "reference_sd", "cutoffs", "sources"}));
  ChangeRule rule;
  VARSAM_ASSIGN_OR_RETURN(const json* better, Required(value, "change", "better"));
  if (*better == "higher") {
    rule.better = Better::kHigher;
  } else if (*better == "lower") {
    rule.better = Better::kLower;
  } else {
    return Error("change.better", "must be \"higher\" or \"lower\"");
  }
  const json* reliability = Find(value, "reliability");
  const json* sd = Find(value, "reference_sd");
  if ((reliability == nullptr) != (sd == nullptr)) {
    return Error("change", "give reliability and reference_sd together, or neither");
  }
  if (reliability != nullptr) {
    VARSAM_ASSIGN_OR_RETURN(const double r, Number(*reliability, "change.reliability"));
    if (!(r > 0 && r < 1)) return Error("change.reliability", "must be above 0 and below 1");
    VARSAM_ASSIGN_OR_RETURN(const double s, Number(*sd, "change.reference_sd"));
    if (!(s > 0)) return Error("change.reference_sd", "must be above 0");
    rule.reliability = r;
    rule.reference_sd = s;
  }
  const double span = def_.total_max - def_.total_min;
  if (const json* rc = Find(value, "reliable_change")) {
    VARSAM_ASSIGN_OR_RETURN(rule.reliable_change,
                            Threshold(*rc, "change.reliable_change", &rule.setting));
  } else if (rule.reliability) {
    // Jacobson & Truax (1991): S_E = sd * sqrt(1 - r), S_diff = sqrt(2 * S_E^2); a change is
    // reliable when |change| / S_diff >= 1.96.
    rule.reliable_change =
        1.96 * std::sqrt(2.0) * *rule.reference_sd * std::sqrt(1 - *rule.reliability);
  } else {
    return Error("change", "needs reliable_change, or reliability and reference_sd");
  }
  if (!(rule.reliable_change > 0) || rule.reliable_change > span) {
    return Error("change.reliable_change", "must be above 0 and at most the total's span");
  }
  if (const json* cutoffs = Find(value, "cutoffs")) {
    if (!cutoffs->is_array()) return Error("change.cutoffs", "must be a list");
    if (cutoffs->size() > static_cast<size_t>(kMaxCutoffs)) {
      return Error("change.cutoffs", Cat({"at most ", Num(kMaxCutoffs), " cut-offs"}));
    }
    int unknown_age = 0;
    for (size_t i = 0; i < cutoffs->size(); ++i) {
      VARSAM_ASSIGN_OR_RETURN(ClinicalCutoff c, ReadCutoff((*cutoffs)[i], At("change.cutoffs", i)));
      unknown_age += c.unknown_age;
      rule.cutoffs.push_back(std::move(c));
    }
    if (unknown_age > 1) {
      return Error("change.cutoffs", "at most one cut-off may be marked unknown_age");
    }
  }
  VARSAM_ASSIGN_OR_RETURN(const json* sources, Required(value, "change", "sources"));
  VARSAM_ASSIGN_OR_RETURN(rule.sources, ReadSourceList(*sources, "change.sources"));
  def_.change = std::move(rule);
  return absl::OkStatus();
}

absl::StatusOr<Definition> Reader::Read(const json& root) {
  if (!root.is_object()) return Error("(top level)", "must be an object");
  // The id first, so that every later message can name the instrument.
  if (const json* id = Find(root, "id")) {
    VARSAM_ASSIGN_OR_RETURN(def_.id, Id(*id, "id"));
    id_ = def_.id;
  }
  VARSAM_RETURN_IF_ERROR(Object(
      root, "(top level)",
      {"format", "id", "name", "items", "reverse", "subscales", "total", "bands", "band_sets",
       "flags", "respondent_age", "settings", "sources", "licence", "notes", "change"}));
  VARSAM_ASSIGN_OR_RETURN(const json* format, Required(root, "(top level)", "format"));
  if (*format != kFormat) {
    return Error("format", Cat({"must be \"", kFormat, "\""}));
  }
  if (def_.id.empty()) return Error("(top level)", "missing required field 'id'");
  VARSAM_ASSIGN_OR_RETURN(const json* name, Required(root, "(top level)", "name"));
  VARSAM_ASSIGN_OR_RETURN(def_.name, ReadText(*name, "name"));

  if (const json* settings = Find(root, "settings")) {
    VARSAM_RETURN_IF_ERROR(ReadSettings(*settings));
  } else if (!overrides_.empty()) {
    return Error("settings", "the instrument has no settings");
  }
  VARSAM_ASSIGN_OR_RETURN(const json* items, Required(root, "(top level)", "items"));
  VARSAM_RETURN_IF_ERROR(ReadItems(*items));
  if (const json* reverse = Find(root, "reverse")) VARSAM_RETURN_IF_ERROR(ReadReverse(*reverse));
  if (const json* subscales = Find(root, "subscales")) {
    VARSAM_RETURN_IF_ERROR(ReadSubscales(*subscales));
  }
  VARSAM_ASSIGN_OR_RETURN(const json* total, Required(root, "(top level)", "total"));
  VARSAM_RETURN_IF_ERROR(ReadTotal(*total));
  VARSAM_RETURN_IF_ERROR(ReadBandSets(Find(root, "bands"), Find(root, "band_sets")));
  if (const json* flags = Find(root, "flags")) VARSAM_RETURN_IF_ERROR(ReadFlags(*flags));
  if (const json* age = Find(root, "respondent_age")) {
    VARSAM_RETURN_IF_ERROR(ReadRespondentAge(*age));
  }
  VARSAM_ASSIGN_OR_RETURN(const json* sources, Required(root, "(top level)", "sources"));
  VARSAM_RETURN_IF_ERROR(ReadSources(*sources));
  VARSAM_ASSIGN_OR_RETURN(const json* licence, Required(root, "(top level)", "licence"));
  VARSAM_ASSIGN_OR_RETURN(def_.licence, String(*licence, "licence"));
  if (const json* notes = Find(root, "notes")) VARSAM_RETURN_IF_ERROR(ReadNotes(*notes));
  if (const json* change = Find(root, "change")) VARSAM_RETURN_IF_ERROR(ReadChange(*change));
  return std::move(def_);
}

}  // namespace

bool IsValidId(std::string_view id) {
  if (id.empty() || id.size() > 32 || id[0] < 'a' || id[0] > 'z') return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
  });
}

absl::StatusOr<Definition> ParseDefinition(std::string_view json_text,
                                           const SettingValues& overrides) {
  VARSAM_ASSIGN_OR_RETURN(const nlohmann::json root, ParseJson(json_text, "instrument definition"));
  Reader reader(overrides);
  return reader.Read(root);
}

}  // namespace varsam::instruments::internal
