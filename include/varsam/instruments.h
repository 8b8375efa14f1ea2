// varsam/instruments.h — scoring of standardised instruments (KASAM/SOC, FIT ORS/SRS, AUDIT,
// DUDIT, PHQ-9, GAD-7, CORE-10, K10) from declarative definitions.
//
// SKR ("Användningen av AI inom socialtjänsten", 16 Oct 2023) says a case officer may always
// apply evidence-based models such as these to a client's own answers, even in a report of
// concern or a preliminary assessment. varsam scores each once, with the rule's source beside
// it, and raises the flags an officer must see (PHQ-9 item 9, the SRS alliance alert, AUDIT
// dependence items, the CORE-10 risk item), and judges change between an intake and a later
// total by Jacobson & Truax (1991) where the instrument's sources publish the numbers. Scores
// are decision support: the officer decides.
//
// An instrument is data: a JSON definition (docs/instrument-format.md) holding the items and
// the answers each allows, reversed items, subscales, the total rule (sum, or prorating with
// at most N missing items), bands that may depend on sex and age, flag rules, settings for
// cut-offs the sources leave open, and sources and licence notes. The thirteen built-in
// instruments are the files in data/instruments/, embedded at build time (docs/instruments.md
// renders them); a host loads its own through the same loader. Item texts are copyrighted and
// stay with the host.
//
// Answers are doubles, one per item in item order; NaN (kMissing) is an unanswered item. An
// answer that is infinite, out of range, has decimals where none are allowed (PHQ-9) or is not
// among the item's values (AUDIT items 9-10 take 0, 2, 4) is bad input: InvalidArgument naming
// the instrument, the item and what was allowed, never the answer itself.
//
// Thread safety: an Instrument is immutable once built and may be used from any number of
// threads. A Registry may be read and written from any number of threads; instruments it
// hands out stay valid as long as it lives, even after Configure replaces one.

#ifndef VARSAM_INSTRUMENTS_H_
#define VARSAM_INSTRUMENTS_H_

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "nlohmann/json_fwd.hpp"
#include "varsam/ident.h"

namespace varsam::instruments {

// An unanswered item.
inline constexpr double kMissing = std::numeric_limits<double>::quiet_NaN();

// Limits every definition keeps (the loader refuses more).
inline constexpr int kMaxItems = 200;
inline constexpr int kMaxSubscales = 16;
inline constexpr int kMaxFlags = 32;      // a form's flags fit one std::uint32_t
inline constexpr double kMaxScale = 1e6;  // answers lie within -kMaxScale..kMaxScale
inline constexpr int kMaxAge = 150;       // a respondent's age in years, 0..kMaxAge

// ---- The definition, as the loader read it -------------------------------------------------

enum class Severity : std::uint8_t { kInfo = 1, kWarning = 2, kCritical = 3 };

// "info", "warning", "critical".
std::string_view SeverityName(Severity severity);

// A text in both languages varsam speaks.
struct Text {
  std::string en;
  std::string sv;
};

// The answers one item allows.
struct Scale {
  double min = 0;
  double max = 0;
  bool decimals = false;     // any real number in [min, max]; otherwise whole numbers only
  std::uint64_t values = 0;  // when not 0: only the whole numbers v with bit v set (0..63)
};

struct Subscale {
  std::string id;
  Text name;
  std::vector<int> items;  // 1-based item numbers
};

// A band runs from `min` up to the next band's `min` (exclusive); the last to the total's top.
struct Band {
  std::string id;
  double min = 0;
  std::optional<double> max;  // the published upper end, for people and docs
  Text label;
  int index = 0;  // position of `id` in Definition::band_ids
};

// Bands that apply when the respondent matches (all given conditions hold).
struct BandSet {
  std::optional<ident::Sex> sex;
  std::optional<int> age_min;
  std::optional<int> age_max;
  std::vector<Band> bands;
};

enum class Subject : std::uint8_t { kItem, kTotal, kSubscale, kChange, kAge, kSex };
enum class Comparison : std::uint8_t {
  kAtLeast,     // >=
  kAtMost,      // <=
  kBelow,       // <
  kAbove,       // >
  kEquals,      // ==
  kUnanswered,  // an item is unanswered (Subject::kItem; "missing": true)
  kUnknown,     // the respondent's sex is not given (Subject::kSex)
};

struct Condition {
  Subject on = Subject::kTotal;
  std::vector<int> items;  // kItem: 1-based item numbers; holds when it holds for any
  int subscale = -1;       // kSubscale: index into Definition::subscales
  Comparison comparison = Comparison::kAtLeast;
  double threshold = 0;  // resolved (a setting's current value when `setting` is set)
  std::string setting;   // the setting the threshold comes from, or empty
};

// Raised when any of its conditions holds.
struct FlagRule {
  std::string code;
  Severity severity = Severity::kInfo;
  Text message;
  std::vector<Condition> any;
};

// A named cut-off the sources leave open (docs/instrument-format.md, "Settings").
struct Setting {
  std::string name;
  double value = 0;  // the value in force
  double default_value = 0;
  double min = 0;
  double max = 0;
  bool unconfirmed = false;
  std::string note;
};

struct Source {
  std::string cite;
  std::string url;
  std::string note;
};

// ---- Change between two totals (Jacobson & Truax) ------------------------------------------

// Which direction of the total is improvement: kHigher for well-being (ORS), kLower for
// symptoms (PHQ-9).
enum class Better : std::uint8_t { kHigher, kLower };

// The clinical cut-off for respondents in an age range (inclusive; an absent end is open). A
// total is clinical when it lies beyond `value` on the worse side: for Better::kLower above it
// (PHQ-9 caseness is total >= 10: value 10, clinical_at_value true), for Better::kHigher below
// it (ORS adults: total < 25 is clinical: value 25, clinical_at_value false). A total exactly at
// `value` is clinical when clinical_at_value is true.
struct ClinicalCutoff {
  std::optional<int> age_min, age_max;
  double value = 0;                // the boundary between the clinical and the non-clinical range
  bool clinical_at_value = false;  // whether a total exactly at `value` is clinical
  bool unknown_age = false;        // the cut-off used when the respondent's age is not given
  std::string setting;             // the setting `value` comes from, or empty
};

// How change on an instrument is judged (docs/instrument-format.md, "Change"). Jacobson NS,
// Truax P. Clinical significance: a statistical approach to defining meaningful change in
// psychotherapy research. J Consult Clin Psychol 1991;59(1):12-19.
struct ChangeRule {
  Better better = Better::kLower;
  double reliable_change = 0;  // the smallest change in points that is reliable (|change| >= this)
  // When computed (Jacobson & Truax): 1.96 * sqrt(2) * sd * sqrt(1 - reliability). Both are
  // given, or neither (nullopt).
  std::optional<double> reliability, reference_sd;
  std::vector<ClinicalCutoff> cutoffs;  // empty when none is published
  std::string setting;  // non-empty when reliable_change comes from a setting (like a flag's)
  std::vector<Source> sources;  // where the numbers come from
};

enum class ChangeCategory : std::uint8_t {
  kRecovered,             // reliably improved, clinical at intake and not clinical now
  kReliablyImproved,      // improvement >= reliable_change, but not recovered
  kNoReliableChange,      // |change| < reliable_change
  kReliablyDeteriorated,  // improvement <= -reliable_change
};

// "recovered", "reliably_improved", "no_reliable_change", "reliably_deteriorated".
std::string_view ChangeCategoryName(ChangeCategory c);

// The change between an intake total and a later total of one respondent.
struct ChangeAssessment {
  double change = 0;       // later - intake (raw points)
  double improvement = 0;  // change signed so that > 0 is better
  // The Jacobson-Truax RCI, change / S_diff with S_diff = sqrt(2) * sd * sqrt(1 - reliability),
  // when the rule gives reliability and reference_sd; NaN otherwise.
  double rci = std::numeric_limits<double>::quiet_NaN();
  ChangeCategory category = ChangeCategory::kNoReliableChange;
  std::optional<double> cutoff;  // the cut-off that applied to the respondent, when any
  bool clinical_at_intake = false;
  bool clinical_now = false;
};

struct Definition {
  std::string id;
  Text name;
  std::vector<Scale> items;  // one per item; items.size() is the item count
  std::vector<int> reverse;  // 1-based, ascending
  std::vector<Subscale> subscales;
  double total_min = 0;
  double total_max = 0;
  int missing_allowed = 0;
  bool prorate = false;
  std::vector<BandSet> band_sets;
  std::vector<std::string> band_ids;  // every band id once, in order of first appearance
  std::vector<FlagRule> flags;        // flags[i] is bit i of FormScore::flags
  std::optional<int> respondent_age_min;
  std::optional<int> respondent_age_max;
  std::vector<Setting> settings;
  std::vector<Source> sources;
  std::string licence;
  std::vector<std::string> notes;
  std::optional<ChangeRule> change;  // how change between two totals is judged, when published
};

// Values for settings, by name; each overrides the definition's default.
using SettingValues = std::map<std::string, double, std::less<>>;

// ---- Scoring --------------------------------------------------------------------------------

// Who answered, as far as the rules need it.
struct Respondent {
  std::optional<ident::Sex> sex;
  std::optional<int> age;                // whole years
  std::optional<double> previous_total;  // the total of the previous session (SRS drop, change)
};

// One form's score, without any heap allocation (the batch path and the C API use it).
struct FormScore {
  double total = kMissing;  // NaN when too many items are missing to score
  int band = -1;            // index into Definition::band_ids; -1 when none
  std::uint32_t flags = 0;  // bit i set when Definition::flags[i] was raised
  int answered = 0;
  int missing = 0;
  bool prorated = false;
  std::array<double, kMaxSubscales> subscales{};  // per Definition::subscales; NaN when none

  bool scored() const { return !std::isnan(total); }
};

// A raised flag, for people and JSON. Views into the Instrument.
struct Flag {
  std::string_view code;
  Severity severity = Severity::kInfo;
  const Text* message = nullptr;
};

struct SubscaleScore {
  std::string_view id;
  std::optional<double> score;
};

// One form's score for people and JSON. Views into the Instrument, which must outlive it.
struct Score {
  std::string_view instrument;
  std::optional<double> total;
  std::optional<std::string_view> band;
  const Text* band_label = nullptr;
  std::vector<SubscaleScore> subscales;
  std::vector<Flag> flags;  // in definition order
  int answered = 0;
  int missing = 0;
  bool prorated = false;
};

// The result as `varsam score --json` prints it (docs/cli.md):
//   {"instrument", "total", "subscales": {id: value|null}, "band", "flags": [{"code",
//    "severity", "message"}], "answered", "missing", "prorated"}   (keys in this order)
// Messages in English, or Swedish when `swedish`. Whole totals print as integers.
nlohmann::ordered_json ToJson(const Score& score, bool swedish = false);

// One form to score, as a JSON request (varsam_score_json, varsam_engine_score; keys stable):
//   {"instrument": "phq9", "responses": [number | null, ...], "sex": "female" | "male" | null,
//    "age": n | null, "previous_total": number | null, "language": "en" | "sv"}
// "instrument" and "responses" are required (null answers are kMissing, at most kMaxItems);
// unknown keys are refused. InvalidArgument names the key ("request.age: ..."), never a value.
struct ScoreRequest {
  std::string instrument;
  std::vector<double> responses;
  Respondent respondent;
  bool swedish = false;  // "language": "sv"
};
absl::StatusOr<ScoreRequest> ParseScoreRequest(std::string_view json);

// An instrument's settings as JSON (varsam_instrument_configure): {"name": number, ...}, every
// value a finite number.
absl::StatusOr<SettingValues> ParseSettingValues(std::string_view json);

// What the batch path writes per form in `status`.
enum class FormStatus : std::int32_t {
  kScored = 0,
  kTooManyMissing = 1,  // valid answers, but no total
  kInvalid = 2,         // bad input (the single-form call would return InvalidArgument)
};

// Many forms of one instrument, stored row-major: forms × item_count answers, NaN = missing.
// Per-form respondent columns are optional (empty = unknown for every form); sex holds
// 0 = unknown, 1 = female, 2 = male (ident::Sex and varsam_sex), age < 0 is unknown, a NaN
// previous total is none. Any other sex, an age above kMaxAge or an infinite previous total
// is InvalidArgument for the whole batch, as it is for a single form.
struct BatchInput {
  std::span<const double> responses;
  std::span<const std::int32_t> sex;
  std::span<const std::int32_t> age;
  std::span<const double> previous_total;
};

// Output columns, each empty (not wanted) or one entry per form. A form that is not scored
// gets total NaN, band -1, flags 0 when its input is invalid (its item flags when only too much
// is missing).
struct BatchOutput {
  std::span<double> total;
  std::span<std::int32_t> band;
  std::span<std::uint32_t> flags;
  std::span<std::int32_t> status;  // FormStatus
};

struct BatchSummary {
  std::size_t scored = 0;
  std::size_t too_many_missing = 0;
  std::size_t invalid = 0;
  std::size_t first_invalid = 0;  // the row of the first invalid form, when invalid > 0
};

// ---- Instruments ----------------------------------------------------------------------------

class Instrument {
 public:
  // Parses and validates a definition (docs/instrument-format.md). `settings` override the
  // defaults of the definition's settings; an unknown name or a value outside the setting's
  // range is refused. InvalidArgument naming the problem when anything is wrong.
  static absl::StatusOr<std::unique_ptr<const Instrument>> Parse(
      std::string_view json, const SettingValues& settings = {});

  const Definition& definition() const { return def_; }
  const std::string& id() const { return def_.id; }
  int item_count() const { return static_cast<int>(def_.items.size()); }
  // The definition text it was parsed from.
  const std::string& source_json() const { return source_json_; }
  // The setting values it was parsed with (overrides only).
  const SettingValues& setting_overrides() const { return overrides_; }

  // Validates and scores one form (responses.size() must be item_count()). Never allocates
  // unless it returns an error.
  absl::Status ScoreForm(std::span<const double> responses, const Respondent& respondent,
                         FormScore* out) const;

  // The same, as a Score for people and JSON.
  absl::StatusOr<Score> ScoreOne(std::span<const double> responses,
                                 const Respondent& respondent = {}) const;

  // The Score of an already computed FormScore.
  Score Describe(const FormScore& form) const;

  // Scores every form of `input` into `output` with no heap allocation. Bad forms do not stop
  // the batch: they are counted and marked in `output.status`. InvalidArgument only when the
  // shapes disagree (responses not a whole number of forms, a column of the wrong length).
  absl::StatusOr<BatchSummary> ScoreBatch(const BatchInput& input, const BatchOutput& output) const;

  // Judges the change from an intake total to a later total of the same respondent by
  // Jacobson & Truax (1991): reliably improved when the improvement (the change signed so that
  // > 0 is better) is at least the rule's reliable change, reliably deteriorated when it is at
  // most minus that, otherwise no reliable change; recovered when reliably improved and the
  // intake total was clinical and the later one is not. The change is rounded to nine decimals
  // before it is compared, so that decimal totals (ORS 23.3 - 18.3) meet a threshold exactly.
  //
  // The cut-off is the first of the rule's cut-offs whose age range holds the respondent's age
  // (one without an age range holds every age). When the age is not given, the cut-off marked
  // unknown_age applies, else one without an age range, else none. With no cut-off, nobody is
  // clinical and nobody is recovered (a reliable improvement stays kReliablyImproved).
  //
  // FailedPrecondition when the instrument has no change rule; InvalidArgument when a total is
  // not finite or outside the instrument's total range, or the respondent's age is outside
  // 0..kMaxAge (the message names the argument, never the value).
  absl::StatusOr<ChangeAssessment> AssessChange(double intake_total, double later_total,
                                                const Respondent& respondent = {}) const;

  // The instrument as `varsam score --list --json` describes it: id, names, item count and
  // scales, total range, missing rule, band ids (index order), band sets, flag codes (bit
  // order), subscales, settings in force, sources, licence, notes, and the change rule
  // ("change": null when there is none; docs/instrument-format.md, "Change").
  nlohmann::ordered_json ToJson() const;

  ~Instrument();

 private:
  struct Compiled;
  Instrument();

  Definition def_;
  std::string source_json_;
  SettingValues overrides_;
  std::unique_ptr<const Compiled> compiled_;
};

// A set of instruments by id. Thread-safe. Instruments are never destroyed while the registry
// lives, so pointers it returns stay valid (Configure keeps the replaced one too).
class Registry {
 public:
  // An empty registry.
  Registry();
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // A registry holding the built-in instruments of data/instruments/.
  static std::unique_ptr<Registry> WithBuiltins();

  // The process-wide registry behind the C API and the CLI: the built-ins plus whatever the
  // host loads. Created on first use; lives until the process ends.
  static Registry& Global();

  // The instrument with this id, or nullptr.
  const Instrument* Find(std::string_view id) const;
  // The same; NotFound "unknown instrument '…'" when there is none.
  absl::StatusOr<const Instrument*> Get(std::string_view id) const;

  // Parses, validates and adds a definition. AlreadyExists when its id is taken.
  absl::StatusOr<const Instrument*> Load(std::string_view json);

  // Rebuilds instrument `id` with these setting values (on top of earlier overrides) and puts
  // it in place of the old one. NotFound, or InvalidArgument for an unknown setting or a value
  // outside its range (the old one then stays).
  absl::StatusOr<const Instrument*> Configure(std::string_view id, const SettingValues& values);

  // Every instrument: built-ins in CMakeLists.txt's order, then loaded ones in loading order.
  std::vector<const Instrument*> List() const;

  // Instrument::ToJson() of every instrument, in List() order (`varsam score --list --json`,
  // varsam_instrument_list).
  nlohmann::ordered_json ToJson() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// The built-in definition files (data/instruments/*.json) as embedded: {file name, text}.
struct EmbeddedDefinition {
  std::string_view name;
  std::string_view json;
};
std::span<const EmbeddedDefinition> BuiltinDefinitions();

}  // namespace varsam::instruments

#endif  // VARSAM_INSTRUMENTS_H_
