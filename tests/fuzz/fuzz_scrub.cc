// libFuzzer target for include/varsam/scrub.h: Find and Scrub on arbitrary bytes.
//
// Input: "name\nname\n…\0text" — up to four record names before the first NUL byte, the text
// after it (no NUL: no names, the whole input is the text). The host list holds two names.
// Invariants: Find succeeds; spans lie inside the text, sorted, not overlapping, not empty;
// Scrub equals Replace(Find); the scrubbed text holds no identity number with the digits of
// one that was found (ident::FindAll on the output); never a crash or a sanitizer report.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "varsam/ident.h"
#include "varsam/scrub.h"

namespace {

using varsam::anonymize::Kind;
using varsam::anonymize::Scrubber;
using varsam::anonymize::Span;

const Scrubber& TheScrubber() {
  static const Scrubber* scrubber = [] {
    varsam::anonymize::ScrubOptions options;
    options.names = {"Anna", "Åsa Öberg"};
    auto s = Scrubber::Create(options);
    if (!s.ok()) std::abort();
    return new Scrubber(std::move(*s));
  }();
  return *scrubber;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> names;
  std::string_view text = input;
  const std::size_t nul = input.find('\0');
  if (nul != std::string_view::npos) {
    std::string_view head = input.substr(0, nul);
    text = input.substr(nul + 1);
    while (!head.empty() && names.size() < 4) {
      const std::size_t nl = head.find('\n');
      names.emplace_back(head.substr(0, nl));
      if (nl == std::string_view::npos) break;
      head.remove_prefix(nl + 1);
    }
  }
  const Scrubber& scrubber = TheScrubber();
  std::vector<Span> spans;
  if (!scrubber.Find(text, names, &spans).ok()) std::abort();
  std::size_t end = 0;
  std::vector<std::string> numbers;  // normalised digits of the identity numbers found
  const varsam::Date today = scrubber.options().today;
  for (const Span& span : spans) {
    if (span.length == 0 || span.offset < end || span.offset > text.size() ||
        span.length > text.size() - span.offset) {
      std::abort();
    }
    end = span.offset + span.length;
    if (span.kind == Kind::kPersonnummer || span.kind == Kind::kSamordningsnummer) {
      for (const auto& m : varsam::ident::FindAll(text.substr(span.offset, span.length), today)) {
        numbers.emplace_back(m.number.normalized());
      }
    }
  }
  auto scrubbed = scrubber.Scrub(text, names);
  if (!scrubbed.ok()) std::abort();
  std::string replaced;
  if (!Scrubber::Replace(text, spans, &replaced).ok() || replaced != *scrubbed) std::abort();
  for (const auto& m : varsam::ident::FindAll(*scrubbed, today)) {
    for (const std::string& n : numbers) {
      if (m.number.normalized() == n) std::abort();
    }
  }
  return 0;
}
