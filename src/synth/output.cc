// Where the population goes: CSV files (RFC 4180, or as Excel with Swedish settings saves "CSV
// UTF-8": byte-order mark, ';', decimal comma; schema in docs/synth.md), a store's journal, and
// the counting and tee sinks.

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "varsam/synth.h"

namespace varsam::synth {
namespace {

// Appends a number in its shortest round-trip form, with a decimal point.
void AppendNumber(std::string* out, double value) {
  char buf[32];
  const auto end = std::to_chars(buf, buf + sizeof buf, value).ptr;
  out->append(buf, end);
}

// One CSV file, buffered; fields are quoted when they hold the delimiter, a quote or a line
// break.
class CsvFile {
 public:
  explicit CsvFile(bool excel = false) : excel_(excel), sep_(excel ? ';' : ',') {}
  CsvFile(const CsvFile&) = delete;
  CsvFile& operator=(const CsvFile&) = delete;

  ~CsvFile() {
    if (file_ != nullptr) std::fclose(file_);
  }

  absl::Status Open(const std::filesystem::path& path, std::string_view header) {
    name_ = path.filename().string();
    file_ = std::fopen(path.string().c_str(), "wb");
    if (file_ == nullptr) return absl::UnavailableError(Cat({"synth: cannot create ", name_}));
    buffer_.reserve(kFlushAt + 4096);
    if (excel_) buffer_ += "\xEF\xBB\xBF";  // UTF-8 byte-order mark
    for (const char c : header) buffer_ += c == ',' ? sep_ : c;
    buffer_ += "\r\n";
    return absl::OkStatus();
  }

  void Field(std::string_view value) {
    Separator();
    const char special[] = {sep_, '"', '\r', '\n', '\0'};
    if (value.find_first_of(special) == std::string_view::npos) {
      buffer_ += value;
      return;
    }
    buffer_ += '"';
    for (char c : value) {
      if (c == '"') buffer_ += '"';
      buffer_ += c;
    }
    buffer_ += '"';
  }
  void Field(std::int64_t value) {
    Separator();
    char buf[24];
    const auto end = std::to_chars(buf, buf + sizeof buf, value).ptr;
    buffer_.append(buf, end);
  }
  // YYYY-MM-DD, or YYYYMMDD in the Excel style.
  void Field(Date day) {
    std::string iso = FormatIsoDate(day);
    if (excel_) iso.erase(std::remove(iso.begin(), iso.end(), '-'), iso.end());
    Field(iso);
  }
  // "female"/"male", or "kvinna"/"man" in the Excel style.
  void Field(ident::Sex sex) {
    if (excel_) {
      Field(sex == ident::Sex::kFemale ? std::string_view("kvinna") : std::string_view("man"));
    } else {
      Field(ident::SexName(sex));
    }
  }
  void Empty() { Separator(); }
  // Appends a number (shortest round-trip form) to the current field, unquoted; with a decimal
  // comma in the Excel style (the delimiter is then ';').
  void Number(double value) {
    char buf[32];
    const auto end = std::to_chars(buf, buf + sizeof buf, value).ptr;
    if (excel_) std::replace(buf, end, '.', ',');
    buffer_.append(buf, end);
  }
  void StartField() { Separator(); }

  absl::Status EndRow() {
    buffer_ += "\r\n";
    first_ = true;
    if (buffer_.size() >= kFlushAt) return Flush();
    return absl::OkStatus();
  }

  absl::Status Close() {
    VARSAM_RETURN_IF_ERROR(Flush());
    const int rc = std::fclose(file_);
    file_ = nullptr;
    if (rc != 0) return absl::UnavailableError(Cat({"synth: cannot write ", name_}));
    return absl::OkStatus();
  }

 private:
  static constexpr std::size_t kFlushAt = 1 << 20;

  void Separator() {
    if (!first_) buffer_ += sep_;
    first_ = false;
  }

  absl::Status Flush() {
    if (!buffer_.empty() &&
        std::fwrite(buffer_.data(), 1, buffer_.size(), file_) != buffer_.size()) {
      return absl::UnavailableError(Cat({"synth: cannot write ", name_}));
    }
    buffer_.clear();
    return absl::OkStatus();
  }

  bool excel_;
  char sep_;
  std::string name_;
  std::FILE* file_ = nullptr;
  std::string buffer_;
  bool first_ = true;
};

class CsvSinkImpl : public Sink {
 public:
  explicit CsvSinkImpl(const CsvStyle& style)
      : clients_(style.excel),
        cases_(style.excel),
        measurements_(style.excel),
        notes_(style.excel),
        truth_(style.excel) {}

  absl::Status Open(const std::string& directory) {
    std::error_code error;
    std::filesystem::create_directories(directory, error);
    if (error) return absl::UnavailableError("synth: cannot create the output directory");
    const std::filesystem::path dir(directory);
    VARSAM_RETURN_IF_ERROR(clients_.Open(
        dir / "clients.csv",
        "client_id,personnummer,sex,birth_date,first_name,surname,street_address,postal_code,"
        "locality,municipality_code,county_code,phone,email"));
    VARSAM_RETURN_IF_ERROR(cases_.Open(
        dir / "cases.csv",
        "case_id,client_id,case_kind,intervention,opened,closed,age_at_start,sessions,outcome"));
    VARSAM_RETURN_IF_ERROR(measurements_.Open(
        dir / "measurements.csv",
        "client_id,case_id,case_kind,instrument,session,date,responses,total,band,flags"));
    VARSAM_RETURN_IF_ERROR(notes_.Open(dir / "notes.csv", "note_id,client_id,case_id,date,text"));
    VARSAM_RETURN_IF_ERROR(
        truth_.Open(dir / "notes_truth.csv", "note_id,offset,length,kind,form,text"));
    return absl::OkStatus();
  }

  absl::Status Add(const ClientRecord& r) override {
    const Client& c = r.client;
    clients_.Field(c.id);
    clients_.Field(c.personnummer);
    clients_.Field(c.sex);
    clients_.Field(c.birth_date);
    for (const std::string* v :
         {&c.first_name, &c.surname, &c.street_address, &c.postal_code, &c.locality,
          &c.municipality_code, &c.county_code, &c.phone, &c.email}) {
      clients_.Field(*v);
    }
    VARSAM_RETURN_IF_ERROR(clients_.EndRow());

    for (const Case& k : r.cases) {
      cases_.Field(k.id);
      cases_.Field(k.client_id);
      cases_.Field(k.kind);
      cases_.Field(k.intervention);
      cases_.Field(k.opened);
      if (k.closed) {
        cases_.Field(*k.closed);
      } else {
        cases_.Empty();
      }
      cases_.Field(std::int64_t{k.age_at_start});
      cases_.Field(std::int64_t{k.sessions});
      cases_.Field(k.outcome);
      VARSAM_RETURN_IF_ERROR(cases_.EndRow());
    }

    for (const store::Measurement& m : r.measurements) {
      measurements_.Field(m.client_ref);
      measurements_.Field(m.case_ref);
      measurements_.Field(m.case_kind);
      measurements_.Field(m.instrument);
      measurements_.Field(std::int64_t{m.session});
      measurements_.Field(m.date);
      // Lists are ';'-separated with decimal points in both styles (quoted in the Excel one).
      list_.clear();
      for (std::size_t i = 0; i < m.responses.size(); ++i) {
        if (i > 0) list_ += ';';
        if (m.responses[i] == m.responses[i]) AppendNumber(&list_, m.responses[i]);  // not NaN
      }
      measurements_.Field(list_);
      measurements_.StartField();
      if (m.total) measurements_.Number(*m.total);
      measurements_.Field(m.band.value_or(""));
      list_.clear();
      for (std::size_t i = 0; i < m.flags.size(); ++i) {
        if (i > 0) list_ += ';';
        list_ += m.flags[i];  // flag codes: [a-z_] only
      }
      measurements_.Field(list_);
      VARSAM_RETURN_IF_ERROR(measurements_.EndRow());
    }

    for (const Note& n : r.notes) {
      notes_.Field(n.id);
      notes_.Field(n.client_id);
      notes_.Field(n.case_id);
      notes_.Field(n.date);
      notes_.Field(n.text);
      VARSAM_RETURN_IF_ERROR(notes_.EndRow());
      for (const Span& s : n.spans) {
        truth_.Field(n.id);
        truth_.Field(static_cast<std::int64_t>(s.offset));
        truth_.Field(static_cast<std::int64_t>(s.length));
        truth_.Field(SpanKindName(s.kind));
        truth_.Field(s.form);
        truth_.Field(std::string_view(n.text).substr(s.offset, s.length));
        VARSAM_RETURN_IF_ERROR(truth_.EndRow());
      }
    }
    return absl::OkStatus();
  }

  absl::Status Finish() override {
    for (CsvFile* f : {&clients_, &cases_, &measurements_, &notes_, &truth_}) {
      VARSAM_RETURN_IF_ERROR(f->Close());
    }
    return absl::OkStatus();
  }

 private:
  CsvFile clients_, cases_, measurements_, notes_, truth_;
  std::string list_;  // scratch
};

class StoreSinkImpl : public Sink {
 public:
  StoreSinkImpl(store::Store* store, std::size_t batch)
      : store_(store), batch_(batch == 0 ? 1 : batch) {
    pending_.reserve(batch_);
  }

  absl::Status Add(const ClientRecord& record) override {
    for (const store::Measurement& m : record.measurements) {
      pending_.push_back(m);
      if (pending_.size() >= batch_) VARSAM_RETURN_IF_ERROR(Flush());
    }
    return absl::OkStatus();
  }

  absl::Status Finish() override { return Flush(); }

 private:
  absl::Status Flush() {
    if (pending_.empty()) return absl::OkStatus();
    const auto ids = store_->AppendMeasurements(pending_);
    if (!ids.ok()) return ids.status();
    pending_.clear();
    return absl::OkStatus();
  }

  store::Store* store_;
  std::size_t batch_;
  std::vector<store::Measurement> pending_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Sink>> CsvSink(const std::string& directory) {
  return CsvSink(directory, CsvStyle{});
}

absl::StatusOr<std::unique_ptr<Sink>> CsvSink(const std::string& directory, const CsvStyle& style) {
  auto sink = std::make_unique<CsvSinkImpl>(style);
  VARSAM_RETURN_IF_ERROR(sink->Open(directory));
  return std::unique_ptr<Sink>(std::move(sink));
}

std::unique_ptr<Sink> StoreSink(store::Store* store, std::size_t batch) {
  return std::make_unique<StoreSinkImpl>(store, batch);
}

absl::Status CountingSink::Add(const ClientRecord& record) {
  ++summary_.clients;
  summary_.cases += record.cases.size();
  summary_.measurements += record.measurements.size();
  summary_.notes += record.notes.size();
  for (const Note& note : record.notes) summary_.identifiers += note.spans.size();
  return next_ != nullptr ? next_->Add(record) : absl::OkStatus();
}

absl::Status CountingSink::Finish() {
  return next_ != nullptr ? next_->Finish() : absl::OkStatus();
}

absl::Status TeeSink::Add(const ClientRecord& record) {
  for (Sink* sink : sinks_) VARSAM_RETURN_IF_ERROR(sink->Add(record));
  return absl::OkStatus();
}

absl::Status TeeSink::Finish() {
  for (Sink* sink : sinks_) VARSAM_RETURN_IF_ERROR(sink->Finish());
  return absl::OkStatus();
}

}  // namespace varsam::synth
