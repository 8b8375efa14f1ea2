// Case notes: sentences a case officer might write, built piece by piece so that the byte span
// of every identifier is known exactly. Each place where a note may identify someone (a slot)
// holds an identifier with probability NoteModel::identifier_rate and a neutral wording
// otherwise. Decoys that are not identifiers (dates, times, amounts, case numbers, references
// to the law, payment references checked not to read as identity numbers) keep an
// anonymiser's precision honest.

#include "notes.h"

#include <string>
#include <string_view>

#include "names.h"
#include "varsam/core.h"

namespace varsam::synth::internal {
namespace {

constexpr std::string_view kMonths[] = {"januari",   "februari", "mars",     "april",
                                        "maj",       "juni",     "juli",     "augusti",
                                        "september", "oktober",  "november", "december"};

class Builder {
 public:
  Builder(const NoteInput& in, const NoteModel& model, Rng& rng, Note* note)
      : in_(in), model_(model), rng_(rng), note_(note) {
    note_->text.clear();
    note_->spans.clear();
  }

  Rng& rng() { return rng_; }
  const NoteInput& in() const { return in_; }
  bool Slot() { return rng_.Chance(model_.identifier_rate); }

  void T(std::string_view text) { note_->text += text; }
  void Mark(std::string_view text, SpanKind kind, std::string_view form = {}) {
    note_->spans.push_back({note_->text.size(), text.size(), kind, form});
    note_->text += text;
  }

  void FullName() {
    Mark(Cat({in_.client->first_name, " ", in_.client->surname}), SpanKind::kName);
  }
  void FirstName() { Mark(in_.client->first_name, SpanKind::kName); }

  // A relative (a parent of a child, a partner or sibling of an adult): an invented name.
  void RelativeName(ident::Sex sex) {
    const std::string_view first = rng_.Pick(FirstNames(sex));
    if (rng_.Chance(0.5)) {
      Mark(Cat({first, " ", in_.client->surname}), SpanKind::kName);
    } else {
      Mark(first, SpanKind::kName);
    }
  }

  void Personnummer() {
    const ident::IdentityNumber& n = *in_.number;
    const std::string_view twelve = n.normalized();
    const std::string ten = ident::TenDigitForm(n, in_.reference_date);
    const bool plus = ten[6] == '+';
    // The space forms are left out for people written with '+': a space reads as '-'.
    const double weights[] = {0.30, 0.30, 0.15, plus ? 0.0 : 0.10, 0.15};
    switch (rng_.Weighted(weights)) {
      case 0:
        Mark(Cat({twelve.substr(0, 8), "-", twelve.substr(8)}), SpanKind::kPersonnummer,
             "YYYYMMDD-NNNN");
        break;
      case 1: Mark(ten, SpanKind::kPersonnummer, plus ? "YYMMDD+NNNN" : "YYMMDD-NNNN"); break;
      case 2: Mark(twelve, SpanKind::kPersonnummer, "YYYYMMDDNNNN"); break;
      case 3:
        Mark(Cat({twelve.substr(2, 6), " ", twelve.substr(8)}), SpanKind::kPersonnummer,
             "YYMMDD NNNN");
        break;
      default:
        Mark(Cat({twelve.substr(0, 8), " ", twelve.substr(8)}), SpanKind::kPersonnummer,
             "YYYYMMDD NNNN");
        break;
    }
  }

  // The client's phone, or (for a relative) another number of the same fiction range.
  void Phone(bool relative) {
    std::string digits = in_.client->phone;  // "070-17406NN"
    if (relative) digits = PhoneNumber(FictionPhoneSuffix(rng_));
    const std::string_view d = digits;
    switch (rng_.Between(0, 3)) {
      case 0: Mark(d, SpanKind::kPhone, "070-NNNNNNN"); break;
      case 1:
        Mark(Cat({d.substr(0, 7), " ", d.substr(7, 2), " ", d.substr(9, 2)}), SpanKind::kPhone,
             "070-NNN NN NN");
        break;
      case 2:
        Mark(Cat({"070 ", d.substr(4, 3), " ", d.substr(7, 2), " ", d.substr(9, 2)}),
             SpanKind::kPhone, "070 NNN NN NN");
        break;
      default:
        Mark(Cat({"+46 70 ", d.substr(4, 3), " ", d.substr(7, 2), " ", d.substr(9, 2)}),
             SpanKind::kPhone, "+46 70 NNN NN NN");
        break;
    }
  }

  void Email() { Mark(in_.client->email, SpanKind::kEmail); }

  // "Björkvägen 12, 123 45 Upplands Väsby" (the locality is not an identifier).
  void Address() {
    Mark(in_.client->street_address, SpanKind::kAddress);
    T(", ");
    Mark(WrittenPostalCode(in_.client->postal_code), SpanKind::kPostalCode);
    T(" ");
    T(in_.client->locality);
  }

  void IsoDate(Date d) { T(FormatIsoDate(d)); }
  void SwedishDate(Date d) {
    T(Cat({std::to_string(d.day()), " ", kMonths[d.month() - 1], " ", std::to_string(d.year())}));
  }
  void SomeDate(Date d) {
    if (rng_.Chance(0.5)) {
      IsoDate(d);
    } else {
      SwedishDate(d);
    }
  }

 private:
  const NoteInput& in_;
  const NoteModel& model_;
  Rng& rng_;
  Note* note_;
};

using Words = std::span<const std::string_view>;

bool IsChild(const NoteInput& in) { return in.age < 18; }
std::string_view Subject(const NoteInput& in) { return IsChild(in) ? "barnet" : "klienten"; }
std::string_view SubjectCap(const NoteInput& in) { return IsChild(in) ? "Barnet" : "Klienten"; }
ident::Sex AnySex(Rng& rng) { return rng.Chance(0.5) ? ident::Sex::kFemale : ident::Sex::kMale; }

// "Klienten nås på 070-174 06 12 och via e-post anna.berg@example.se."
void Contact(Builder& b) {
  b.T(b.in().age < 18 ? "Vårdnadshavare nås på " : "Klienten nås på ");
  if (b.Slot()) {
    b.Phone(b.in().age < 18);
  } else {
    b.T("telefon enligt uppgift i akten");
  }
  if (b.in().age >= 18) {
    if (b.Slot()) {
      b.T(" och via e-post ");
      b.Email();
    } else {
      b.T(" och via Mina meddelanden");
    }
  }
  b.T(". ");
}

void HomeAddress(Builder& b) {
  if (b.Slot()) {
    b.T(b.rng().Chance(0.5) ? "Folkbokförd på " : "Bor på ");
    b.Address();
    b.T(". ");
  } else {
    b.T(Cat({"Bor i ", b.in().municipality, " kommun, samma adress som tidigare. "}));
  }
}

// Not identifiers: dates, times, amounts, case numbers, the law, payment references.
void Decoy(Builder& b) {
  Rng& rng = b.rng();
  switch (rng.Between(0, 4)) {
    case 0:
      b.T(Cat({"Dnr SN ", std::to_string(b.in().date.year()), "/",
               std::to_string(rng.Between(100, 9999)), ". "}));
      break;
    case 1:
      b.T(Cat({"Beviljat belopp ", std::to_string(rng.Between(1, 19)), " ",
               std::to_string(rng.Between(100, 999)), " kr. "}));
      break;
    case 2:
      b.T("Återbesök ");
      b.SomeDate(b.in().date + rng.Between(7, 28));
      b.T(Cat(
          {" kl. ", std::to_string(rng.Between(8, 16)), ".", rng.Chance(0.5) ? "00" : "30", ". "}));
      break;
    case 3:
      b.T(Cat({"Enligt ", std::to_string(rng.Between(2, 14)), " kap. ",
               std::to_string(rng.Between(1, 10)), " § SoL. "}));
      break;
    default: {
      // A ten-digit payment reference that no reader may take for an identity number.
      std::string ocr;
      do {
        ocr.clear();
        for (int i = 0; i < 10; ++i) ocr += static_cast<char>('0' + rng.Between(0, 9));
      } while (!ident::FindAll(ocr, b.in().reference_date).empty());
      b.T(Cat({"Betalning med OCR ", ocr, ". "}));
      break;
    }
  }
}

constexpr std::string_view kChildReporters[] = {
    "skolan", "förskolan", "polisen", "hälso- och sjukvården", "en granne", "elevhälsan"};
constexpr std::string_view kAdultReporters[] = {"polisen", "psykiatrin", "en anhörig",
                                                "hyresvärden", "akutmottagningen"};
constexpr std::string_view kChildConcerns[] = {
    "oro för hög skolfrånvaro",    "oro för våld i hemmet",     "oro för föräldrarnas missbruk",
    "oro för att barnet far illa", "oro för bristande tillsyn", "oro för barnets psykiska hälsa"};
constexpr std::string_view kAdultConcerns[] = {
    "oro för ett omfattande alkoholbruk", "oro för narkotikabruk",
    "oro för att klienten saknar boende", "oro för våld i nära relation", "oro för vräkning"};
constexpr std::string_view kThemes[] = {"hur veckan har varit",
                                        "relationen till familjen",
                                        "sömn och mående",
                                        "arbete och sysselsättning",
                                        "ekonomin",
                                        "målen för insatsen",
                                        "alkohol och droger",
                                        "skolan och kamraterna"};

void Report(Builder& b) {
  const NoteInput& in = b.in();
  b.T("Orosanmälan inkom ");
  b.SomeDate(in.date);
  b.T(Cat({" från ", b.rng().Pick(IsChild(in) ? Words(kChildReporters) : Words(kAdultReporters)),
           " gällande "}));
  if (b.Slot()) {
    b.FullName();
  } else {
    b.T(IsChild(in) ? "ett barn" : "en vuxen person");
  }
  if (b.Slot()) {
    b.T(", ");
    b.Personnummer();
  }
  b.T(". Anmälaren beskriver ");
  b.T(b.rng().Pick(IsChild(in) ? Words(kChildConcerns) : Words(kAdultConcerns)));
  b.T(". ");
  if (IsChild(in)) {
    if (b.Slot()) {
      const ident::Sex parent = AnySex(b.rng());
      b.T(parent == ident::Sex::kFemale ? "Modern " : "Fadern ");
      b.RelativeName(parent);
      b.T(" har informerats om anmälan. ");
    } else {
      b.T("Vårdnadshavarna har informerats om anmälan. ");
    }
  }
}

void Assessment(Builder& b) {
  const NoteInput& in = b.in();
  b.T("Förhandsbedömning inledd ");
  b.SomeDate(in.date);
  b.T(" avseende ");
  if (b.Slot()) {
    b.FullName();
  } else {
    b.T(Subject(in));
  }
  if (b.Slot()) {
    b.T(" (");
    b.Personnummer();
    b.T(")");
  }
  b.T(". Kontakt har tagits med ");
  if (b.Slot()) {
    b.T(IsChild(in) ? "vårdnadshavaren " : "en anhörig, ");
    b.RelativeName(AnySex(b.rng()));
    if (b.Slot()) {
      b.T(", på ");
      b.Phone(/*relative=*/true);
    }
  } else {
    b.T(IsChild(in) ? "vårdnadshavarna" : "en anhörig");
  }
  b.T(". Beslut om utredning fattas inom 14 dagar. ");
}

void Investigation(Builder& b, int ordinal) {
  const NoteInput& in = b.in();
  if (ordinal == 1) {
    b.T("Utredning inledd ");
    b.SomeDate(in.date);
    b.T(" avseende ");
    if (b.Slot()) {
      b.FullName();
      if (b.Slot()) {
        b.T(", ");
        b.Personnummer();
      }
    } else {
      b.T(Subject(in));
    }
    b.T(". ");
    HomeAddress(b);
  } else {
    b.T("Hembesök ");
    b.SomeDate(in.date);
    b.T(". ");
    if (b.Slot()) {
      b.FirstName();
    } else {
      b.T(SubjectCap(in));
    }
    b.T(Cat({" berättade om ", b.rng().Pick<std::string_view>(kThemes), ". "}));
    Contact(b);
  }
}

void Session(Builder& b) {
  const NoteInput& in = b.in();
  if (in.session > 0) {
    b.T(Cat({"Samtal ", std::to_string(in.session), " inom ", in.intervention_label, ". "}));
  } else {
    b.T(Cat({"Insatsen ", in.intervention_label, " påbörjad "}));
    b.SomeDate(in.date);
    b.T(". ");
  }
  if (b.Slot()) {
    b.FirstName();
  } else {
    b.T(SubjectCap(in));
  }
  b.T(Cat({" tog upp ", b.rng().Pick<std::string_view>(kThemes), ". "}));
  if (b.rng().Chance(0.3)) Contact(b);
}

void FollowUp(Builder& b) {
  const NoteInput& in = b.in();
  b.T(Cat({"Uppföljning av ", in.intervention_label, " "}));
  b.SomeDate(in.date);
  b.T(". ");
  if (b.Slot()) {
    b.FullName();
    if (b.Slot()) {
      b.T(" (");
      b.Personnummer();
      b.T(")");
    }
  } else {
    b.T(SubjectCap(in));
  }
  b.T(" har deltagit i uppföljningen. ");
  HomeAddress(b);
  Contact(b);
}

}  // namespace

void WriteNote(const NoteInput& in, const NoteModel& model, Rng& rng, Note* note) {
  Builder b(in, model, rng, note);
  const std::string_view kind = in.c->kind;
  if (kind == "anmalan") {
    Report(b);
  } else if (kind == "forhandsbedomning") {
    Assessment(b);
  } else if (kind == "utredning") {
    Investigation(b, in.ordinal);
  } else if (kind == "insats") {
    Session(b);
  } else {
    FollowUp(b);
  }
  Decoy(b);
  if (rng.Chance(0.5)) Decoy(b);
  // No trailing space.
  if (!note->text.empty() && note->text.back() == ' ') note->text.pop_back();
}

}  // namespace varsam::synth::internal
