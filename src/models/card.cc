// The model card (varsam/models.h; docs/models.md, "The model card"): Mitchell et al. (2019),
// "Model cards for model reporting", nine sections, each mapped to the EU AI Act's
// instructions for use (art 13(3)(a)-(f)) and technical documentation (Annex IV), rendered from
// the model file alone, as Markdown and as one self-contained HTML page.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "publish.h"
#include "varsam/core.h"
#include "varsam/models.h"

namespace varsam::models {
namespace {

// ---- A small document model, rendered twice --------------------------------------------------

struct Block {
  enum class Kind : std::uint8_t { kTitle, kSection, kSubsection, kParagraph, kList, kTable, kSvg };
  Kind kind = Kind::kParagraph;
  std::string text;                            // headings, paragraphs; the SVG's markup
  std::string id;                              // headings: the HTML anchor
  std::vector<std::string> items;              // a list's items; a table's header
  std::vector<std::vector<std::string>> rows;  // a table's rows
  std::string fallback;                        // kSvg: what Markdown shows instead
};

class Doc {
 public:
  void Title(std::string text) { Add(Block::Kind::kTitle, std::move(text)); }
  void Section(std::string id, std::string text) {
    Add(Block::Kind::kSection, std::move(text)).id = std::move(id);
  }
  void Subsection(std::string text) { Add(Block::Kind::kSubsection, std::move(text)); }
  void Para(std::string text) { Add(Block::Kind::kParagraph, std::move(text)); }
  void List(std::vector<std::string> items) {
    Add(Block::Kind::kList, "").items = std::move(items);
  }
  void Table(std::vector<std::string> header, std::vector<std::vector<std::string>> rows) {
    Block& b = Add(Block::Kind::kTable, "");
    b.items = std::move(header);
    b.rows = std::move(rows);
  }
  void Svg(std::string markup, std::string fallback) {
    Add(Block::Kind::kSvg, std::move(markup)).fallback = std::move(fallback);
  }
  const std::vector<Block>& blocks() const { return blocks_; }

 private:
  Block& Add(Block::Kind kind, std::string text) {
    blocks_.push_back(Block{kind, std::move(text), {}, {}, {}, {}});
    return blocks_.back();
  }
  std::vector<Block> blocks_;
};

// Markdown: text is written as text, so the characters Markdown would read as markup are
// escaped; in a table a pipe and a line break would end the cell.
std::string EscapeMarkdown(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (const char c : s) {
    if (c == '\\' || c == '`' || c == '*' || c == '_' || c == '|' || c == '<' || c == '>' ||
        c == '[' || c == ']' || c == '#') {
      out += '\\';
    }
    out += (c == '\n' || c == '\r') ? ' ' : c;
  }
  return out;
}

std::string RenderMarkdown(const Doc& doc) {
  std::string out;
  for (const Block& b : doc.blocks()) {
    switch (b.kind) {
      case Block::Kind::kTitle: out += Cat({"# ", EscapeMarkdown(b.text), "\n\n"}); break;
      case Block::Kind::kSection: out += Cat({"## ", EscapeMarkdown(b.text), "\n\n"}); break;
      case Block::Kind::kSubsection: out += Cat({"### ", EscapeMarkdown(b.text), "\n\n"}); break;
      case Block::Kind::kParagraph: out += Cat({EscapeMarkdown(b.text), "\n\n"}); break;
      case Block::Kind::kList:
        for (const std::string& item : b.items) out += Cat({"- ", EscapeMarkdown(item), "\n"});
        out += "\n";
        break;
      case Block::Kind::kTable: {
        const auto row = [&](const std::vector<std::string>& cells) {
          out += "|";
          for (const std::string& c : cells) out += Cat({" ", EscapeMarkdown(c), " |"});
          out += "\n";
        };
        row(b.items);
        out += "|";
        for (std::size_t i = 0; i < b.items.size(); ++i) out += "---|";
        out += "\n";
        for (const auto& r : b.rows) row(r);
        out += "\n";
        break;
      }
      case Block::Kind::kSvg: out += Cat({EscapeMarkdown(b.fallback), "\n\n"}); break;
    }
  }
  return out;
}

constexpr std::string_view kStyle =
    "body{font-family:'DejaVu Sans','Liberation Sans',Arial,sans-serif;margin:0;color:#1a1a1a;"
    "background:#fff;line-height:1.45}"
    "main{max-width:60rem;margin:0 auto;padding:1.5rem}"
    "h1{font-size:1.6rem;margin:0 0 1rem}h2{font-size:1.25rem;margin:2rem 0 .6rem;"
    "border-bottom:1px solid #ccc;padding-bottom:.2rem}h3{font-size:1.05rem;margin:1.2rem 0 .4rem}"
    "table{border-collapse:collapse;margin:.4rem 0 1rem;font-size:.9rem}"
    "th,td{border:1px solid #bbb;padding:.2rem .5rem;text-align:left;vertical-align:top}"
    "th{background:#eef2f7}td.suppressed{color:#666;font-style:italic}"
    "figure{margin:.5rem 0 1rem}figcaption{font-size:.85rem;color:#444}"
    "svg{display:block}";

std::string RenderHtml(const Doc& doc, std::string_view title) {
  std::string out =
      Cat({"<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n",
           // Nothing may load or run: the page is the card and nothing else.
           "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; ",
           "style-src 'unsafe-inline'\">\n",
           "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>",
           EscapeHtml(title), "</title>\n<style>", kStyle, "</style>\n</head>\n<body>\n<main>\n"});
  for (const Block& b : doc.blocks()) {
    switch (b.kind) {
      case Block::Kind::kTitle: out += Cat({"<h1>", EscapeHtml(b.text), "</h1>\n"}); break;
      case Block::Kind::kSection:
        out += Cat({"<h2 id=\"", b.id, "\">", EscapeHtml(b.text), "</h2>\n"});
        break;
      case Block::Kind::kSubsection: out += Cat({"<h3>", EscapeHtml(b.text), "</h3>\n"}); break;
      case Block::Kind::kParagraph: out += Cat({"<p>", EscapeHtml(b.text), "</p>\n"}); break;
      case Block::Kind::kList:
        out += "<ul>\n";
        for (const std::string& item : b.items) out += Cat({"<li>", EscapeHtml(item), "</li>\n"});
        out += "</ul>\n";
        break;
      case Block::Kind::kTable:
        out += "<table>\n<thead><tr>";
        for (const std::string& h : b.items) out += Cat({"<th>", EscapeHtml(h), "</th>"});
        out += "</tr></thead>\n<tbody>\n";
        for (const auto& r : b.rows) {
          out += "<tr>";
          for (const std::string& c : r) {
            out += c.starts_with("suppressed") ? "<td class=\"suppressed\">" : "<td>";
            out += Cat({EscapeHtml(c), "</td>"});
          }
          out += "</tr>\n";
        }
        out += "</tbody>\n</table>\n";
        break;
      case Block::Kind::kSvg: out += b.text; break;
    }
  }
  out += "</main>\n</body>\n</html>\n";
  return out;
}

// ---- Figures -----------------------------------------------------------------------------------

std::string Fixed(double v, int digits = 3) {
  if (!std::isfinite(v)) return "n/a";
  char buffer[48];
  std::snprintf(buffer, sizeof buffer, "%.*f", digits, v);
  return buffer;
}

std::string WithInterval(double value, double low, double high) {
  if (!std::isfinite(value)) return "n/a";
  if (!std::isfinite(low) || !std::isfinite(high)) return Fixed(value);
  return Cat({Fixed(value), " (", Fixed(low), "–", Fixed(high), ")"});
}

std::string Of(const Estimate& e) { return WithInterval(e.value, e.low, e.high); }

std::string Count(std::int64_t n) { return std::to_string(n); }

std::string Join(const std::vector<std::string>& items, std::string_view empty) {
  if (items.empty()) return std::string(empty);
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ", ";
    out += items[i];
  }
  return out;
}

std::string Label(std::string_view feature) { return WordsFor(feature).en; }

std::string MetricName(std::string_view metric) {
  if (metric == "auc") return "AUC";
  if (metric == "brier") return "Brier score";
  if (metric == "ece") return "expected calibration error";
  if (metric == "false_positive_rate") return "false-positive rate";
  if (metric == "false_negative_rate") return "false-negative rate";
  if (metric == "base_rate") return "base rate";
  return std::string(metric);
}

std::string CalibrationKind(CalibrationChoice kind) {
  switch (kind) {
    case CalibrationChoice::kPlatt: return "Platt's logistic recalibration";
    case CalibrationChoice::kIsotonic: return "isotonic regression (pool-adjacent-violators)";
    case CalibrationChoice::kNone: return "none (the raw scores were best calibrated)";
    case CalibrationChoice::kAuto: return "automatic";
  }
  return "none";
}

std::string TargetText(const ModelSpec& spec) {
  if (spec.target_kind == TargetKind::kNewCase) {
    return Cat({"the same person starts a new episode within ",
                std::to_string(spec.new_case_months), " months after this one ends"});
  }
  return Cat({"the episode ends with the outcome '", spec.target, "'"});
}

// ---- The reliability diagram ------------------------------------------------------------------

// Predicted against observed per bin (Evaluation::reliability), the diagonal of perfect
// calibration, and the bins' counts as bars along the bottom. Fixed size, so that a reader (and
// the rendering test) knows where it is drawn.
constexpr int kSvgWidth = 440;
constexpr int kSvgHeight = 420;
constexpr double kLeft = 60, kTop = 20, kSide = 300;  // the unit square

std::string Point(double px, double py) {
  return Cat({Fixed(kLeft + px * kSide, 1), ",", Fixed(kTop + (1 - py) * kSide, 1)});
}

void Series(std::string& svg, const std::vector<ReliabilityBin>& bins, std::string_view colour,
            bool hollow) {
  std::string points;
  for (const ReliabilityBin& b : bins) {
    if (b.count == 0) continue;
    points += Cat({points.empty() ? "" : " ", Point(b.mean_predicted, b.observed_rate)});
  }
  if (points.empty()) return;
  svg += Cat({"<polyline fill=\"none\" stroke=\"", colour, "\" stroke-width=\"2\"",
              hollow ? " stroke-dasharray=\"5 3\"" : "", " points=\"", points, "\"/>\n"});
  for (const ReliabilityBin& b : bins) {
    if (b.count == 0) continue;
    const std::string at = Point(b.mean_predicted, b.observed_rate);
    const std::size_t comma = at.find(',');
    svg += Cat({"<circle cx=\"", at.substr(0, comma), "\" cy=\"", at.substr(comma + 1), "\" r=\"",
                hollow ? "2.5" : "4", "\" fill=\"", hollow ? "none" : colour, "\" stroke=\"",
                colour, "\" stroke-width=\"2\"/>\n"});
  }
}

std::string ReliabilitySvg(const Evaluation& before, const Evaluation& after) {
  std::string svg = Cat(
      {"<figure>\n<svg id=\"reliability\" xmlns=\"http://www.w3.org/2000/svg\" width=\"",
       std::to_string(kSvgWidth), "\" height=\"", std::to_string(kSvgHeight), "\" viewBox=\"0 0 ",
       std::to_string(kSvgWidth), " ", std::to_string(kSvgHeight),
       "\" role=\"img\" aria-labelledby=\"reliability-title\">\n",
       "<title id=\"reliability-title\">Reliability diagram: predicted probability against the ",
       "observed rate, per bin of width 0.1, out of fold</title>\n",
       "<rect x=\"0\" y=\"0\" width=\"", std::to_string(kSvgWidth), "\" height=\"",
       std::to_string(kSvgHeight), "\" fill=\"#fff\"/>\n"});
  // Grid, axes and ticks.
  for (int i = 0; i <= 10; ++i) {
    const double t = i / 10.0;
    const std::string x = Fixed(kLeft + t * kSide, 1);
    const std::string y = Fixed(kTop + (1 - t) * kSide, 1);
    svg += Cat({"<line x1=\"", x, "\" y1=\"", Fixed(kTop, 1), "\" x2=\"", x, "\" y2=\"",
                Fixed(kTop + kSide, 1), "\" stroke=\"#e3e3e3\"/>\n"});
    svg += Cat({"<line x1=\"", Fixed(kLeft, 1), "\" y1=\"", y, "\" x2=\"", Fixed(kLeft + kSide, 1),
                "\" y2=\"", y, "\" stroke=\"#e3e3e3\"/>\n"});
    if (i % 5 == 0) {
      svg += Cat({"<text x=\"", x, "\" y=\"", Fixed(kTop + kSide + 16, 1),
                  "\" font-size=\"11\" text-anchor=\"middle\">", Fixed(t, 1), "</text>\n"});
      svg +=
          Cat({"<text x=\"", Fixed(kLeft - 6, 1), "\" y=\"", Fixed(kTop + (1 - t) * kSide + 4, 1),
               "\" font-size=\"11\" text-anchor=\"end\">", Fixed(t, 1), "</text>\n"});
    }
  }
  svg +=
      Cat({"<rect x=\"", Fixed(kLeft, 1), "\" y=\"", Fixed(kTop, 1), "\" width=\"", Fixed(kSide, 1),
           "\" height=\"", Fixed(kSide, 1), "\" fill=\"none\" stroke=\"#555\"/>\n"});
  svg += Cat({"<line x1=\"", Point(0, 0).substr(0, Point(0, 0).find(',')), "\" y1=\"",
              Fixed(kTop + kSide, 1), "\" x2=\"", Fixed(kLeft + kSide, 1), "\" y2=\"",
              Fixed(kTop, 1), "\" stroke=\"#888\" stroke-dasharray=\"4 4\"/>\n"});
  // Counts: bars under the square, scaled to the largest bin, the count above each.
  std::int64_t most = 1;
  for (const ReliabilityBin& b : after.reliability) most = std::max(most, b.count);
  const double bar_base = kTop + kSide + 72;
  for (const ReliabilityBin& b : after.reliability) {
    const double height = 30.0 * static_cast<double>(b.count) / static_cast<double>(most);
    const double x = kLeft + b.lower * kSide + 2;
    const double width = (b.upper - b.lower) * kSide - 4;
    svg += Cat({"<rect x=\"", Fixed(x, 1), "\" y=\"", Fixed(bar_base - height, 1), "\" width=\"",
                Fixed(width, 1), "\" height=\"", Fixed(height, 1), "\" fill=\"#9db7d5\"/>\n"});
    svg += Cat({"<text x=\"", Fixed(x + width / 2, 1), "\" y=\"", Fixed(bar_base + 12, 1),
                "\" font-size=\"9\" text-anchor=\"middle\">", Count(b.count), "</text>\n"});
  }
  // After recalibration underneath, before on top (dashed, hollow): when no map was chosen the
  // two coincide and both stay visible.
  Series(svg, after.reliability, "#1f5fa8", false);
  Series(svg, before.reliability, "#b35806", true);
  // Axis titles and the legend.
  svg += Cat({"<text x=\"", Fixed(kLeft + kSide / 2, 1), "\" y=\"", Fixed(kTop + kSide + 30, 1),
              "\" font-size=\"12\" text-anchor=\"middle\">predicted probability</text>\n"});
  svg += Cat({"<text x=\"16\" y=\"", Fixed(kTop + kSide / 2, 1), "\" font-size=\"12\" ",
              "text-anchor=\"middle\" transform=\"rotate(-90 16 ", Fixed(kTop + kSide / 2, 1),
              ")\">observed rate</text>\n"});
  svg += Cat({"<text x=\"", Fixed(kLeft, 1), "\" y=\"", Fixed(bar_base + 26, 1),
              "\" font-size=\"10\">episodes per bin (after recalibration)</text>\n"});
  const double lx = kLeft + kSide + 8;
  svg += Cat({"<line x1=\"", Fixed(lx, 1), "\" y1=\"30\" x2=\"", Fixed(lx + 18, 1),
              "\" y2=\"30\" stroke=\"#1f5fa8\" stroke-width=\"2\"/>\n<text x=\"", Fixed(lx + 22, 1),
              "\" y=\"34\" font-size=\"10\">after</text>\n"});
  svg += Cat({"<line x1=\"", Fixed(lx, 1), "\" y1=\"48\" x2=\"", Fixed(lx + 18, 1),
              "\" y2=\"48\" stroke=\"#b35806\" stroke-width=\"2\" stroke-dasharray=\"5 3\"/>\n",
              "<text x=\"", Fixed(lx + 22, 1), "\" y=\"52\" font-size=\"10\">before</text>\n"});
  svg += Cat({"<line x1=\"", Fixed(lx, 1), "\" y1=\"66\" x2=\"", Fixed(lx + 18, 1),
              "\" y2=\"66\" stroke=\"#888\" stroke-dasharray=\"4 4\"/>\n<text x=\"",
              Fixed(lx + 22, 1), "\" y=\"70\" font-size=\"10\">ideal</text>\n"});
  svg +=
      "</svg>\n<figcaption>Reliability diagram, out of fold: each point is a bin of predicted "
      "probabilities (width 0.1) at its mean prediction and its observed rate, before "
      "(dashed) and after recalibration; on the diagonal a score means what it says. Bars: "
      "episodes per bin.</figcaption>\n</figure>\n";
  return svg;
}

std::vector<std::vector<std::string>> ReliabilityRows(const Evaluation& e) {
  std::vector<std::vector<std::string>> rows;
  for (const ReliabilityBin& b : e.reliability) {
    rows.push_back({Cat({Fixed(b.lower, 1), "–", Fixed(b.upper, 1)}), Count(b.count),
                    b.count == 0 ? "—" : Fixed(b.mean_predicted),
                    b.count == 0 ? "—" : Fixed(b.observed_rate)});
  }
  return rows;
}

// ---- The sections ------------------------------------------------------------------------------

// NOLINTBEGIN(bugprone-suspicious-missing-comma): the lists below hold sentences written across
// lines (adjacent literals are one sentence), not lists of short literals missing a comma.

constexpr std::string_view kMappingIntro =
    "Each section of this card follows Mitchell et al. (2019), \"Model cards for model "
    "reporting\", and says which item of the EU AI Act's instructions for use (art 13(3)) and "
    "technical documentation (Annex IV) it answers.";

void Mapping(Doc& doc) {
  doc.Para(std::string(kMappingIntro));
  doc.Table(
      {"Section (Mitchell et al. 2019)", "EU AI Act art 13(3)", "EU AI Act Annex IV"},
      {{"1. Model details", "(a) provider; (b)(iv) explanations; (c) changes", "1(a)-(d); 2(b)"},
       {"2. Intended use", "(b)(i) intended purpose; (b)(vii) interpreting the output", "1(a)"},
       {"3. Factors", "(b)(v) persons or groups", "2(d); 3"},
       {"4. Metrics", "(b)(ii) accuracy and its metrics", "2(g); 4"},
       {"5. Evaluation data", "(b)(vi) validation and testing data", "2(g)"},
       {"6. Training data", "(b)(vi) training data; input data", "2(d)"},
       {"7. Quantitative analyses", "(b)(ii), (b)(v)", "2(g); 3"},
       {"8. Ethical considerations", "(d) human oversight (art 14); (b)(iii) risks", "2(e); 3"},
       {"9. Caveats and recommendations",
        "(b)(iii) foreseeable misuse; (e) lifetime and maintenance; (f) logs (art 12)",
        "3; 9 (post-market monitoring, art 72)"}});
  doc.Para(
      "Annex IV items 5 (the risk-management system, art 9), 7 (harmonised standards) and 8 (the "
      "EU declaration of conformity) belong to the provider's own technical documentation and "
      "are not in this card.");
}

void HumanOversight(Doc& doc, bool evidence) {
  doc.Subsection("Human oversight (AI Act art 14; art 13(3)(d))");
  doc.List({
      "The output is a suggestion to the officer handling the case, never a decision. The "
      "officer reads it together with the case, may set it aside, and records a decision with "
      "its reason; varsam has no call that decides (GDPR art 22; förvaltningslagen (2017:900) "
      "28 §; AI Act art 14(4)(d)).",
      evidence ? "Read the total and its band with the source's own instructions; an item left "
                 "unanswered counts 0 points and is listed as unknown."
               : "Read the probability with its calibration band, the parts each feature "
                 "contributed, and the list of what the model does not know about the case. A "
                 "feature the case does not give, a level the model did not learn, or a group "
                 "too small to measure makes the score less certain than its figure suggests.",
      "Beware of automation bias (AI Act art 14(4)(b)): a score that disagrees with what the "
      "officer knows about the person is a reason to look again, not to defer to the score.",
      "Report a suggestion that is plainly wrong: every rejected suggestion is counted in the "
      "override rates that the monitoring plan below reads.",
  });
}

void RegisterTrainedCard(Doc& doc, const ModelFile& file) {
  const ModelSpec& spec = file.spec;
  const Model& model = file.model;
  const TrainingRecord& t = file.training;
  const std::string k = std::to_string(spec.min_support);
  std::vector<std::string> feature_names;
  for (const FeatureInfo& f : model.features()) feature_names.push_back(f.name);

  doc.Title(Cat({"Model card: ", file.name}));
  doc.Para(Cat({"A register-trained model (", "varsam-model/1", "), SHA-256 ", file.sha256,
                ". Every figure on this card is read from that model file."}));
  Mapping(doc);

  // 1.
  doc.Section("model-details", "1. Model details");
  std::vector<std::string> lambdas;
  for (const double l : spec.lambdas) lambdas.push_back(ShortestNumber(l));
  doc.List({
      Cat({"Kind: an additive logistic regression with an L2 penalty (lambda ",
           ShortestNumber(model.lambda()), ", chosen from ", Join(lambdas, "—"), " by ",
           std::to_string(spec.folds),
           "-fold cross-validation with folds by person), and an "
           "integer points model read from it. Recalibration: ",
           CalibrationKind(file.calibration.kind), "."}),
      Cat({"Trained: ", t.trained_at.empty() ? "time not recorded" : t.trained_at,
           ", from the compilation register of the organisation that ran the training (the "
           "provider or deployer: name and contact belong beside this card where it is "
           "published, AI Act art 13(3)(a))."}),
      Cat({"Identity: the SHA-256 above, of the model file's canonical bytes. A change of any "
           "coefficient, figure or of the specification changes it; the audit log records it "
           "when the model is trained and with every application (AI Act art 12 and 13(3)(c))."}),
      "Explanations: every prediction lists each feature's part in log-odds relative to the "
      "training mean (for a linear model with independent features, its exact Shapley value; "
      "Lundberg & Lee 2017), its points, the largest parts in Swedish and English, and what the "
      "model does not know about the case (AI Act art 13(3)(b)(iv) and art 86).",
  });
  doc.Subsection("Features and their levels");
  {
    std::vector<std::vector<std::string>> rows;
    for (const FeatureInfo& f : model.features()) {
      rows.push_back({f.name, Label(f.name), Join(f.levels, "—"),
                      f.levels.empty() ? "" : f.levels[0], Join(f.merged, "none")});
    }
    doc.Table({"Feature", "Meaning", "Levels", "Reference", Cat({"Merged (below k = ", k, ")"})},
              std::move(rows));
  }
  doc.Subsection("Coefficients");
  {
    std::vector<std::vector<std::string>> rows;
    for (const Coefficient& c : model.coefficients()) {
      rows.push_back({c.name, Fixed(c.estimate), Fixed(c.standard_error)});
    }
    doc.Table({"Term", "Estimate (log-odds)", "Standard error"}, std::move(rows));
  }

  // 2.
  doc.Section("intended-use", "2. Intended use");
  doc.List({
      Cat({"Purpose: to estimate, for one episode of the population below, the probability that ",
           TargetText(spec), ", as support for planning and follow-up."}),
      Cat({"Population: case kinds ", Join(spec.case_kinds, "all"), "; interventions ",
           Join(spec.interventions, "all"), "."}),
      "Who may apply it: an officer (handläggare) in the handling of a case of that population, "
      "through the engine, whose policy checks the purpose and logs every application; the "
      "output is a suggestion that the officer accepts or rejects.",
      "Never: in a report of concern (anmälan) or a preliminary assessment "
      "(förhandsbedömning) — only evidence-based models may be applied there (rule "
      "reports-evidence-only; SoLPUL (2001:454) 7 a §); never to decide without an officer "
      "(GDPR art 22); never for people outside the population or period it was trained on.",
      "Reading the output: the calibrated probability is the share of cases like this one "
      "that had the outcome in the training data; its band is the 95 % Wilson interval of the "
      "observed rate among training cases with estimates in the same tenth.",
  });

  // 3.
  doc.Section("factors", "3. Factors");
  std::vector<std::string> fairness_names;
  for (const FeatureSpec& f : spec.fairness) fairness_names.push_back(Label(FeatureNameOf(f)));
  doc.List({
      Cat({"The model uses ", std::to_string(feature_names.size()), " features: ",
           Join(feature_names, "none"), ". Nothing else about a case enters a score."}),
      Cat({"Groups compared for fairness: ", Join(fairness_names, "none"),
           ". Each group is measured apart; a group of fewer than k = ", k,
           " people is shown as suppressed, without figures."}),
      "Not used, and not in the register: nationality, ethnic origin, disability, health "
      "diagnoses, receipt of economic assistance, trade-union membership (special categories "
      "of GDPR art 9 and known proxies for them); a specification naming one is refused.",
  });

  // 4.
  doc.Section("metrics", "4. Metrics");
  doc.List({
      "Discrimination: the AUC (the chance that a case with the outcome scores above one "
      "without), with the DeLong et al. (1988) 95 % interval.",
      "Accuracy of the probability: the Brier score (mean squared error; lower is better).",
      "Calibration: the expected calibration error over 10 bins of width 0.1, the calibration "
      "slope (1 is ideal; below 1 the scores are too extreme) and calibration-in-the-large (0 "
      "is ideal), from the logistic recalibration of Cox (1958).",
      Cat({"Error rates per group at the operating threshold ", Fixed(file.fairness.threshold),
           ": the false-positive rate and the false-negative rate, each with a bootstrap 95 % "
           "interval over people (",
           std::to_string(file.fairness.bootstrap), " resamples)."}),
  });

  // 5.
  doc.Section("evaluation-data", "5. Evaluation data");
  doc.Para(
      Cat({"Out of fold: every episode is scored by a model fitted without its person's "
           "episodes (",
           std::to_string(spec.folds), " folds by pseudonym, seed ", std::to_string(spec.seed),
           "), and recalibrated by a map fitted on the other folds. The evaluation covers "
           "the same register period as the training; performance on later periods is "
           "the monitoring plan's to measure (section 9)."}));

  // 6.
  doc.Section("training-data", "6. Training data");
  std::vector<std::string> epochs;
  for (const std::int32_t e : t.key_epochs) epochs.push_back(std::to_string(e));
  doc.List({
      "Source: the compilation register (sammanställningsregister) — pseudonymised, generalised "
      "rows; the journal is never read (SoLPUL (2001:454) 7 a §).",
      Cat({"Period: episodes starting from ", t.period_from.empty() ? "—" : t.period_from, " to ",
           t.period_to.empty() ? "—" : t.period_to, "."}),
      Cat({"Episodes: ", Count(t.rows), " of ", Count(t.pseudonyms), " people; ", Count(t.left_out),
           " episodes left out (outside the population or without an outcome)."}),
      Cat({"Register key epochs: ", Join(epochs, "none recorded"), "."}),
      Cat({"Target: 1 when ", TargetText(spec), ", else 0."}),
      Cat({"Minimum support: every coefficient stands for at least k = ", k,
           " distinct people; levels below it are merged."}),
  });

  // 7.
  doc.Section("quantitative-analyses", "7. Quantitative analyses");
  const Evaluation& e0 = file.evaluation;
  const Evaluation& e1 = file.calibrated_evaluation;
  const Evaluation& ep = file.points_evaluation;
  doc.Subsection("Performance, out of fold");
  doc.Table({"Metric", "Before recalibration", "After recalibration", "Points model"},
            {{"Episodes (with the outcome)", Cat({Count(e0.count), " (", Count(e0.positives), ")"}),
              Cat({Count(e1.count), " (", Count(e1.positives), ")"}),
              Cat({Count(ep.count), " (", Count(ep.positives), ")"})},
             {"AUC (95 % interval)", WithInterval(e0.auc, e0.auc_low, e0.auc_high),
              WithInterval(e1.auc, e1.auc_low, e1.auc_high),
              WithInterval(ep.auc, ep.auc_low, ep.auc_high)},
             {"Brier score", Fixed(e0.brier), Fixed(e1.brier), Fixed(ep.brier)},
             {"Expected calibration error", Fixed(e0.ece), Fixed(e1.ece), Fixed(ep.ece)},
             {"Calibration slope", Fixed(e0.calibration_slope), Fixed(e1.calibration_slope),
              Fixed(ep.calibration_slope)},
             {"Calibration-in-the-large", Fixed(e0.calibration_in_the_large),
              Fixed(e1.calibration_in_the_large), Fixed(ep.calibration_in_the_large)}});
  doc.Subsection("Reliability");
  doc.Svg(ReliabilitySvg(e0, e1),
          "The reliability table below is drawn as a diagram in the HTML card.");
  doc.Table({"Bin", "Episodes", "Mean predicted", "Observed rate"}, ReliabilityRows(e1));
  {
    std::string losses;
    const char* names[] = {"none", "Platt", "isotonic"};
    for (std::size_t i = 0; i < file.calibration.held_out_log_loss.size() && i < 3; ++i) {
      losses +=
          Cat({i > 0 ? "; " : "", names[i], " ", Fixed(file.calibration.held_out_log_loss[i], 4)});
    }
    doc.Para(
        Cat({"Recalibration chosen on held-out folds: ", CalibrationKind(file.calibration.kind),
             losses.empty() ? "." : Cat({" (held-out log loss: ", losses, ")."})}));
  }

  doc.Subsection("Fairness by group");
  doc.Para(
      "This card reports calibration by group first: a calibrated score means the same "
      "probability whatever the person's group, which is what an officer reading one case "
      "needs. When base rates differ between groups, equal calibration and equal error rates "
      "cannot both hold (Kleinberg, Mullainathan & Raghavan 2016, \"Inherent trade-offs in the "
      "fair determination of risk scores\"; Chouldechova 2017, \"Fair prediction with disparate "
      "impact\"), so the false-positive and false-negative rates follow, each reported apart, "
      "and the largest differences are named below rather than hidden.");
  {
    std::vector<std::vector<std::string>> rows;
    const std::string suppressed = Cat({"suppressed (fewer than ", k, ")"});
    for (const GroupMetrics& g : file.fairness.groups) {
      if (g.suppressed) {
        rows.push_back({Label(g.feature), g.group, suppressed, "—", "—", "—", "—", "—", "—", "—"});
        continue;
      }
      rows.push_back({Label(g.feature), g.group, Count(g.count), Count(g.pseudonyms),
                      Of(g.base_rate), Of(g.ece), Of(g.auc), Of(g.brier), Of(g.false_positive_rate),
                      Of(g.false_negative_rate)});
    }
    doc.Table({"Feature", "Group", "Episodes", "People", "Base rate", "Calibration error (ECE)",
               "AUC", "Brier", "False-positive rate", "False-negative rate"},
              std::move(rows));
  }
  doc.Subsection("Largest gaps between groups");
  {
    // Calibration first (see above), then discrimination, accuracy and the error rates.
    const auto rank = [](const std::string& metric) {
      const std::string_view order[] = {
          "ece", "auc", "brier", "false_positive_rate", "false_negative_rate", "base_rate"};
      return static_cast<std::size_t>(std::find(std::begin(order), std::end(order), metric) -
                                      std::begin(order));
    };
    std::vector<Gap> gaps = file.fairness.gaps;
    std::vector<std::string> features;
    for (const Gap& g : gaps) {
      if (std::find(features.begin(), features.end(), g.feature) == features.end()) {
        features.push_back(g.feature);
      }
    }
    std::stable_sort(gaps.begin(), gaps.end(), [&](const Gap& a, const Gap& b) {
      const auto fa = std::find(features.begin(), features.end(), a.feature);
      const auto fb = std::find(features.begin(), features.end(), b.feature);
      return fa != fb ? fa < fb : rank(a.metric) < rank(b.metric);
    });
    std::vector<std::string> named;
    for (const std::string& feature : features) {
      const Gap* calibration = nullptr;
      const Gap* error = nullptr;
      for (const Gap& g : gaps) {
        if (g.feature != feature) continue;
        if (g.metric == "ece") calibration = &g;
        const bool rate = g.metric == "false_positive_rate" || g.metric == "false_negative_rate";
        if (rate && (error == nullptr || g.difference > error->difference)) error = &g;
      }
      std::string line = Cat({Label(feature), ": "});
      if (calibration != nullptr) {
        line += Cat({"calibration error ", Fixed(calibration->difference), " higher for '",
                     calibration->high_group, "' than for '", calibration->low_group, "'"});
      }
      if (error != nullptr) {
        line += Cat({calibration != nullptr ? "; " : "", MetricName(error->metric), " ",
                     Fixed(error->difference), " higher for '", error->high_group, "' than for '",
                     error->low_group, "'"});
      }
      if (calibration != nullptr || error != nullptr) named.push_back(line + ".");
    }
    std::vector<std::vector<std::string>> rows;
    rows.reserve(gaps.size());
    for (const Gap& g : gaps) {
      rows.push_back(
          {Label(g.feature), MetricName(g.metric), g.high_group, g.low_group, Fixed(g.difference)});
    }
    if (rows.empty()) {
      doc.Para("No two groups of one feature were both large enough to compare.");
    } else {
      doc.Para("The largest differences, per feature:");
      doc.List(std::move(named));
      doc.Table({"Feature", "Metric", "Higher group", "Lower group", "Difference"},
                std::move(rows));
    }
  }

  doc.Subsection("Points model");
  doc.Para(Cat({"The coefficients rounded to whole points (one point is ",
                Fixed(file.points.log_odds_per_point),
                " in log-odds; each feature's lowest "
                "level is 0). A case's total reads as the probability in the second table."}));
  {
    std::vector<std::vector<std::string>> rows;
    for (const PointsFeature& f : file.points.features) {
      for (const PointsLevel& l : f.levels) {
        rows.push_back({Label(f.name), l.level, std::to_string(l.points)});
      }
    }
    doc.Table({"Feature", "Level", "Points"}, std::move(rows));
    std::vector<std::vector<std::string>> totals;
    for (const PointsBand& b : file.points.table) {
      totals.push_back({std::to_string(b.total), Fixed(b.probability)});
    }
    doc.Table({"Total", "Probability"}, std::move(totals));
  }
  doc.Subsection("Cross-validation");
  {
    std::vector<std::vector<std::string>> rows;
    for (const LambdaScore& s : file.cv) {
      rows.push_back({ShortestNumber(s.lambda), Fixed(s.log_loss, 4)});
    }
    doc.Table({"Lambda", "Mean out-of-fold log loss"}, std::move(rows));
  }

  // 8.
  doc.Section("ethical-considerations", "8. Ethical considerations");
  doc.List({
      "Other clients' data reaches a case only through this model's aggregates: it is trained "
      "on the pseudonymised register, and no coefficient describes fewer than k people (SKR, "
      "\"Användningen av AI inom socialtjänsten\", 2023).",
      "A risk score can be fair in one sense at a time (section 7): read the calibration and "
      "the error rates of the case's groups before relying on a score.",
      "Scores in social services have harmed people when they stood in for judgement or used "
      "proxies of protected traits; this model uses neither protected classes nor automatic "
      "decisions.",
  });
  HumanOversight(doc, false);

  // 9.
  doc.Section("caveats-and-recommendations", "9. Caveats and recommendations");
  doc.List({
      "An association, not a cause: a feature's part says how cases like this one fared, not "
      "what an intervention would change.",
      "The register holds what was recorded: outcomes that were not recorded, and people who "
      "left the service, are not in it.",
      "The AUC's interval treats episodes as independent; one person's episodes are "
      "correlated, so it is somewhat too narrow. The out-of-fold figures belong to the lambda "
      "that won on the same folds, a small optimism.",
      Cat({"Levels merged below k = ", k,
           " and groups shown as suppressed are where the model knows least."}),
  });
  doc.Subsection("Post-market monitoring plan (AI Act art 72; Annex IV 9)");
  doc.List({
      "Override rates per model: the share of this model's suggestions that officers reject, "
      "per month, from the decisions the engine records (override rates per model id). A "
      "rising rate is a reason to review the model.",
      Cat({"Performance on newer register periods: once episodes that started after ",
           t.period_to.empty() ? "the training period" : t.period_to,
           " have outcomes, score them with this model file and compare the AUC with its "
           "interval, the calibration slope and in-the-large, the ECE and the fairness table "
           "with this card; retrain or withdraw the model when the AUC falls below this card's "
           "interval or the calibration slope leaves 0.8–1.2."}),
      "Lifetime and maintenance (art 13(3)(e)): retrain at least yearly, and whenever the law, "
      "the services or the population change; a retrained model has a new hash and a new card.",
      "Logs (art 12, art 13(3)(f)): the audit log records the model's hash with its training "
      "and with every application; deployers keep it at least six months (art 26(6)).",
  });
}

void EvidenceBasedCard(Doc& doc, const ModelFile& file) {
  doc.Title(Cat({"Model card: ", file.name}));
  doc.Para(Cat({"An evidence-based points model (varsam-model/1), SHA-256 ", file.sha256,
                ". It was not learned from the register: it is the tool its source "
                "describes, as the host provided it."}));
  Mapping(doc);
  std::vector<std::string> items;
  for (const PointsFeature& f : file.points.features) items.push_back(f.name);

  doc.Section("model-details", "1. Model details");
  doc.List({
      Cat({"Source: ", file.source.title, ". ", file.source.citation,
           file.source.url.empty() ? "" : Cat({" ", file.source.url})}),
      Cat({"Kind: a points model of ", std::to_string(items.size()),
           " items; the total reads as a band of the source."}),
      "Identity: the SHA-256 above; the audit log records it with every application (AI Act "
      "art 12 and 13(3)(c)).",
  });
  doc.Section("intended-use", "2. Intended use");
  doc.List({
      "Purpose and population: as the source states them; varsam applies the points and the "
      "bands exactly as the file gives them.",
      "Who may apply it: an officer in case handling, including a report of concern (anmälan) "
      "or a preliminary assessment (förhandsbedömning), where only evidence-based models may "
      "be applied (rule reports-evidence-only): in memory only, nothing of the case stored but "
      "the audit event.",
      "The total and its band are a suggestion; an officer decides (GDPR art 22).",
  });
  doc.Section("factors", "3. Factors");
  doc.Para(Cat({"Items: ", Join(items, "none"),
                ". varsam has no register data on how this tool performs for groups; the source's "
                "own validation is what there is."}));
  doc.Section("metrics", "4. Metrics");
  doc.Para("Not measured by varsam: see the source for its validation and its figures.");
  doc.Section("evaluation-data", "5. Evaluation data");
  doc.Para("The source's; none from this register.");
  doc.Section("training-data", "6. Training data");
  doc.Para("None: the model was not learned from the register.");
  doc.Section("quantitative-analyses", "7. Quantitative analyses");
  {
    std::vector<std::vector<std::string>> rows;
    for (const PointsFeature& f : file.points.features) {
      for (const PointsLevel& l : f.levels)
        rows.push_back({f.name, l.level, std::to_string(l.points)});
    }
    doc.Table({"Item", "Answer", "Points"}, std::move(rows));
    std::vector<std::vector<std::string>> bands;
    for (const PointsBand& b : file.points.table)
      bands.push_back({std::to_string(b.total), b.label});
    doc.Table({"Total", "Band"}, std::move(bands));
  }
  doc.Section("ethical-considerations", "8. Ethical considerations");
  doc.Para(
      "A checklist or points tool is only as good as its validation for the population it is "
      "used on; one validated elsewhere may not transfer. It must not become a decision.");
  HumanOversight(doc, true);
  doc.Section("caveats-and-recommendations", "9. Caveats and recommendations");
  doc.List({
      "Check that the file's items, points and bands match the publication before use.",
      "Post-market monitoring (AI Act art 72): override rates per model from the decisions the "
      "engine records; review the tool when officers often reject its bands.",
      "Logs (art 12): the audit log records the model's hash with every application.",
  });
}

// NOLINTEND(bugprone-suspicious-missing-comma)

Doc Build(const ModelFile& file) {
  // The hash shown is the one of the content shown, whatever the caller left in `sha256`.
  ModelFile hashed = file;
  ModelFileJson(hashed);
  Doc doc;
  if (file.kind == ModelKind::kEvidenceBased) {
    EvidenceBasedCard(doc, hashed);
  } else {
    RegisterTrainedCard(doc, hashed);
  }
  return doc;
}

}  // namespace

std::string ModelCardMarkdown(const ModelFile& file) { return RenderMarkdown(Build(file)); }

std::string ModelCardHtml(const ModelFile& file) {
  return RenderHtml(Build(file), Cat({"Model card: ", file.name}));
}

}  // namespace varsam::models
