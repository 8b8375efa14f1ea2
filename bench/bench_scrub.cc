// Benchmarks for include/varsam/scrub.h: scrubbing the synthetic case notes.
//
// The notes are those of `varsam synth --clients 2000 --seed 1` (made in-process with the same
// options, so scripts/bench-scrub-vs-python.py reads the very same bytes from notes.csv). Each
// note is scrubbed with its client's names as the record's names and a host list of common
// first names. Throughput is the notes' bytes per second on one thread (goal ≥ 50 MB/s).

#include <benchmark/benchmark.h>

#include <cstdio>
#include <string>
#include <vector>

#include "varsam/scrub.h"
#include "varsam/synth.h"

namespace {

using varsam::anonymize::Scrubber;
using varsam::anonymize::ScrubOptions;
using varsam::anonymize::Span;

struct Corpus {
  std::vector<std::string> notes;
  std::vector<std::vector<std::string>> names;  // per note: the client's full name
  std::size_t bytes = 0;
};

const Corpus& Notes() {
  static const Corpus* corpus = [] {
    auto* c = new Corpus;
    varsam::synth::Options options;
    options.seed = 1;
    options.clients = 2000;
    auto generator = varsam::synth::Generator::Create(options);
    if (!generator.ok()) {
      std::fprintf(stderr, "synth: %s\n", std::string(generator.status().message()).c_str());
      std::abort();
    }
    for (std::size_t i = 0; i < options.clients; ++i) {
      varsam::synth::ClientRecord r = (*generator)->MakeClient(i);
      for (varsam::synth::Note& note : r.notes) {
        c->bytes += note.text.size();
        c->notes.push_back(std::move(note.text));
        c->names.push_back({r.client.first_name + " " + r.client.surname});
      }
    }
    return c;
  }();
  return *corpus;
}

// The host list used by the benchmark and by the Python peer (same words): the synthetic
// population's first names.
const std::vector<std::string>& HostNames() {
  static const std::vector<std::string> names = varsam::synth::FirstNames();
  return names;
}

const Scrubber& TheScrubber() {
  static const Scrubber* scrubber = [] {
    ScrubOptions options;
    options.today = varsam::synth::Options().reference_date;  // the notes' "today"
    options.names = HostNames();
    auto s = Scrubber::Create(options);
    if (!s.ok()) std::abort();
    return new Scrubber(std::move(*s));
  }();
  return *scrubber;
}

// Find only: the spans, into one reused vector.
void BM_ScrubFind(benchmark::State& state) {
  const Corpus& c = Notes();
  const Scrubber& s = TheScrubber();
  std::vector<Span> spans;
  std::size_t found = 0;
  for (auto _ : state) {
    for (std::size_t i = 0; i < c.notes.size(); ++i) {
      if (!s.Find(c.notes[i], c.names[i], &spans).ok()) state.SkipWithError("find failed");
      found += spans.size();
    }
  }
  // (found feeds the counter; no DoNotOptimize on a mutable lvalue: GCC 12 miscompiles its
  // "+m,r" constraint here.)
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * c.bytes));
  state.counters["notes"] = static_cast<double>(c.notes.size());
  state.counters["spans_per_note"] =
      static_cast<double>(found) / static_cast<double>(state.iterations() * c.notes.size());
}
BENCHMARK(BM_ScrubFind)->Unit(benchmark::kMillisecond);

// Find and replace: the scrubbed text of every note (what the register stores).
void BM_Scrub(benchmark::State& state) {
  const Corpus& c = Notes();
  const Scrubber& s = TheScrubber();
  std::vector<Span> spans;
  std::string out;
  for (auto _ : state) {
    for (std::size_t i = 0; i < c.notes.size(); ++i) {
      out.clear();
      if (!s.Find(c.notes[i], c.names[i], &spans).ok() ||
          !Scrubber::Replace(c.notes[i], spans, &out).ok()) {
        state.SkipWithError("scrub failed");
      }
      benchmark::DoNotOptimize(out.data());
    }
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * c.bytes));
}
BENCHMARK(BM_Scrub)->Unit(benchmark::kMillisecond);

// The notes as pasted from a word processor: every '-' an en dash, every space after a digit a
// no-break space. Each note then needs its matching view (a copy and a table of edits).
void BM_ScrubFindPasted(benchmark::State& state) {
  const Corpus& c = Notes();
  const Scrubber& s = TheScrubber();
  std::vector<std::string> pasted;
  std::size_t bytes = 0;
  for (const std::string& note : c.notes) {
    std::string p;
    for (std::size_t i = 0; i < note.size(); ++i) {
      if (note[i] == '-') {
        p += "\u2013";
      } else if (note[i] == ' ' && i > 0 && note[i - 1] >= '0' && note[i - 1] <= '9') {
        p += "\u00A0";
      } else {
        p += note[i];
      }
    }
    bytes += p.size();
    pasted.push_back(std::move(p));
  }
  std::vector<Span> spans;
  std::size_t found = 0;
  for (auto _ : state) {
    for (std::size_t i = 0; i < pasted.size(); ++i) {
      if (!s.Find(pasted[i], c.names[i], &spans).ok()) state.SkipWithError("find failed");
      found += spans.size();
    }
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes));
  state.counters["spans_per_note"] =
      static_cast<double>(found) / static_cast<double>(state.iterations() * pasted.size());
}
BENCHMARK(BM_ScrubFindPasted)->Unit(benchmark::kMillisecond);

// The same notes as one text (a batch export): no per-call overhead, names from the list only.
void BM_ScrubOneText(benchmark::State& state) {
  const Corpus& c = Notes();
  const Scrubber& s = TheScrubber();
  std::string all;
  for (const std::string& n : c.notes) {
    all += n;
    all += '\n';
  }
  std::vector<Span> spans;
  for (auto _ : state) {
    if (!s.Find(all, {}, &spans).ok()) state.SkipWithError("find failed");
    benchmark::DoNotOptimize(spans.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * all.size()));
}
BENCHMARK(BM_ScrubOneText)->Unit(benchmark::kMillisecond);

}  // namespace

namespace {

// One kind at a time (the argument is the Kind's number): where the time goes.
void BM_ScrubOneKind(benchmark::State& state) {
  const Corpus& c = Notes();
  ScrubOptions options;
  options.today = varsam::synth::Options().reference_date;
  options.names = HostNames();
  for (bool& f : options.find) f = false;
  options.find[state.range(0)] = true;
  auto s = Scrubber::Create(options);
  if (!s.ok()) std::abort();
  std::vector<Span> spans;
  for (auto _ : state) {
    for (std::size_t i = 0; i < c.notes.size(); ++i) {
      if (!s->Find(c.notes[i], c.names[i], &spans).ok()) state.SkipWithError("find failed");
    }
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * c.bytes));
  state.SetLabel(std::string(
      varsam::anonymize::KindName(static_cast<varsam::anonymize::Kind>(state.range(0)))));
}
BENCHMARK(BM_ScrubOneKind)->DenseRange(0, 6)->Unit(benchmark::kMillisecond);

}  // namespace
