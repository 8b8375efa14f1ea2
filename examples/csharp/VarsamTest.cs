// VarsamTest.cs — the tests of the C# binding (Varsam.cs) against a built libvarsam, run by
// CTest ("csharp: P/Invoke binding"):
//
//   mcs -target:library -out:Varsam.dll Varsam.cs
//   mcs -r:Varsam.dll -out:VarsamTest.exe VarsamTest.cs
//   VARSAM_LIBRARY=build/release/libvarsam.so.0 mono VarsamTest.exe
//
// Exits 0 when every check holds, 1 otherwise (each failure printed). Identity numbers are
// Skatteverket's official test numbers (data/skatteverket-testpersonnummer.txt) or derived from
// one here (another check digit); clients of the register are synthetic host references, every
// answer to an instrument made up. Expected values are computed here from the inputs.
//
// Copyright the varsam authors. Licensed under the Apache License, Version 2.0.

using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using VarsamBinding;

internal static class VarsamTest
{
    private static int failures;
    private static int checks;

    private static void Expect(bool ok, string what)
    {
        checks++;
        if (!ok)
        {
            failures++;
            Console.Error.WriteLine("FAILED: " + what);
        }
    }

    private static void ExpectEqual<T>(T want, T got, string what)
    {
        Expect(EqualityComparer<T>.Default.Equals(want, got),
               what + ": want " + want + ", got " + got);
    }

    /// <summary>Runs call, which must throw VarsamException with status want.</summary>
    private static VarsamException ExpectThrows(Status want, Action call, string what)
    {
        try
        {
            call();
        }
        catch (VarsamException e)
        {
            ExpectEqual(want, e.Status, what + " (status)");
            ExpectEqual(Varsam.StatusName(want), e.StatusName, what + " (status name)");
            Expect(e.LibraryMessage.Length > 0, what + " (a message)");
            return e;
        }
        Expect(false, what + ": no exception");
        return null;
    }

    private static readonly byte[] AuditKey = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();

    private const string Officer =
        "{\"actor\": \"a-17\", \"role\": \"handlaggare\", " +
        "\"organisation\": {\"kind\": \"socialnamnd\", \"id\": \"0180\"}, " +
        "\"purpose\": \"handlaggning\", \"case\": {\"ref\": \"c-9\", \"kind\": \"utredning\", " +
        "\"led_to_investigation\": true, \"client\": \"k-1\"}, \"subject_client\": \"k-1\", " +
        "\"time\": \"2026-11-28T10:00:00Z\", \"ethics_approval\": null}";

    private static string FollowUp(string role, string purpose, string orgKind = "socialnamnd")
    {
        return "{\"actor\": \"a-17\", \"role\": \"" + role + "\", \"organisation\": {\"kind\": \"" +
               orgKind + "\", \"id\": \"0180\"}, \"purpose\": \"" + purpose +
               "\", \"time\": \"2026-11-28T10:00:00Z\"}";
    }

    private static string AnalystInCase(string kind)
    {
        return Officer.Replace("handlaggare", "analytiker").Replace("handlaggning", "uppfoljning")
                      .Replace("utredning", kind);
    }

    private static string TempStore()
    {
        string dir = Path.Combine(Path.GetTempPath(), "varsam-csharp-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }

    private static string Options(string store, string more = "")
    {
        return "{\"store\": " + Json.Quote(store) + more + "}";
    }

    private static void TestVersion()
    {
        string version = Varsam.Version();
        int[] parts = version.Split('.').Select(int.Parse).ToArray();
        ExpectEqual(3, parts.Length, "version has three parts");
        ExpectEqual(parts[0] * 1000000 + parts[1] * 1000 + parts[2], Varsam.VersionNumber(),
                    "version number matches the string");
        ExpectEqual(Varsam.HeaderVersionMajor, Varsam.VersionNumber() / 1000000, "major version");
        ExpectEqual("permission_denied", Varsam.StatusName(Status.PermissionDenied), "status name");
    }

    /// <summary>The Luhn check digit of the nine digits YYMMDDNNN.</summary>
    private static int Luhn(string nine)
    {
        int total = 0;
        for (int i = 0; i < 9; i++)
        {
            int v = (nine[i] - '0') * (i % 2 == 0 ? 2 : 1);
            total += v / 10 + v % 10;
        }
        return (10 - total % 10) % 10;
    }

    private static void TestIdCheck()
    {
        // Official test numbers: born 1980-01-02 (female) and 2000-02-29 (male).
        foreach (var c in new[] { Tuple.Create("198001022386", 1980, 1, 2, 1),
                                  Tuple.Create("200002292399", 2000, 2, 29, 2) })
        {
            string n = c.Item1;
            ExpectEqual(n[11] - '0', Luhn(n.Substring(2, 9)), "the test's Luhn agrees: " + n);
            IdResult r = Varsam.CheckId(n, 20261128);
            Expect(r.Valid && r.OfficialTestNumber && r.Kind == 1, "official number valid: " + n);
            ExpectEqual(n, r.Normalized, "normalized");
            ExpectEqual(c.Item2 * 10000 + c.Item3 * 100 + c.Item4,
                        r.BirthYear * 10000 + r.BirthMonth * 100 + r.BirthDay, "birth date");
            ExpectEqual(c.Item5, r.Sex, "sex from the second-to-last digit");
        }
        IdResult ten = Varsam.CheckId("800102-2386", 20261128);
        ExpectEqual("198001022386", ten.Normalized, "ten-digit form normalised");
        string wrong = "19800102238" + ((6 + 1) % 10);
        IdResult bad = Varsam.CheckId(wrong, 20261128);
        Expect(!bad.Valid && bad.Error == 2 && bad.Normalized == null, "changed check digit");
        Expect(!string.IsNullOrEmpty(bad.ErrorMessage) && !bad.ErrorMessage.Contains("2387"),
               "the reason, without the number");
        VarsamException e = ExpectThrows(Status.InvalidArgument,
                                         () => Varsam.CheckId("198001022386", 20261332),
                                         "a date that does not exist");
        Expect(e != null && !e.Message.Contains("2386"), "no part of the number in the message");

        // Byte offsets in UTF-8: "Å" and "å" are two bytes each.
        string text = "Åsa på (800102-2386) i går";
        var matches = (List<object>)Json.Parse(Varsam.FindIds(text, 20261128));
        ExpectEqual(1, matches.Count, "one number found");
        var m = (Dictionary<string, object>)matches[0];
        int offset = Encoding.UTF8.GetByteCount(text.Substring(0, text.IndexOf("800102")));
        ExpectEqual((double)offset, (double)m["offset"], "offset in bytes");
        ExpectEqual(11.0, (double)m["length"], "length in bytes");
        ExpectEqual("198001022386", (string)m["normalized"], "found number normalised");
    }

    private static void TestScore()
    {
        double[] phq9 = { 1, 1, 2, 1, 0, 1, 1, 0, 1 };
        Score s = Varsam.Score("phq9", phq9);
        Expect(s.Scored, "PHQ-9 scored");
        ExpectEqual(phq9.Sum(), s.Total, "PHQ-9 total is the sum of the answers");
        ExpectEqual("mild", s.Band, "5..9 is mild");
        ExpectEqual(9, s.Answered, "answered");
        Expect(s.Flags.Contains("suicide_risk_followup"), "item 9 answered above 0 raises a flag");
        ExpectEqual(3, s.MaxSeverity, "that flag is critical");
        ExpectEqual(s.Flags.Length, s.FlagCount, "every flag listed");

        double[] missing = (double[])phq9.Clone();
        missing[4] = double.NaN;
        Score m = Varsam.Score("phq9", missing);
        ExpectEqual(1, m.Missing, "NaN is a missing answer");

        ExpectThrows(Status.NotFound, () => Varsam.Score("no-such-instrument", phq9),
                     "unknown instrument");
        double[] outOfRange = (double[])phq9.Clone();
        outOfRange[0] = 7;
        VarsamException e = ExpectThrows(Status.InvalidArgument,
                                         () => Varsam.Score("phq9", outOfRange), "answer out of range");
        Expect(e != null && e.LibraryMessage.Contains("item"), "the message names the item");

        var json = (Dictionary<string, object>)Json.Parse(
            Varsam.ScoreJson("{\"instrument\": \"phq9\", \"responses\": [1,1,2,1,0,1,1,0,1]}"));
        ExpectEqual(phq9.Sum(), (double)json["total"], "score_json total");
        var instruments = (List<object>)Json.Parse(Varsam.Instruments());
        Expect(instruments.Any(i => (string)((Dictionary<string, object>)i)["id"] == "phq9"),
               "phq9 in the instrument list");
    }

    private static void TestEngineCaseAndAudit()
    {
        string store = TempStore();
        ExpectThrows(Status.Unauthenticated, () => new Engine(Options(store), new byte[5]).Dispose(),
                     "a short audit key is refused");
        ExpectThrows(Status.InvalidArgument,
                     () => new Engine(Options(store, ", \"no_such_option\": 1"), AuditKey).Dispose(),
                     "unknown option");
        using (var engine = new Engine(Options(store, ", \"checkpoint_every_events\": 4"), AuditKey))
        using (var officer = new Context(Officer))
        using (var system = new Context(Officer.Replace("handlaggare", "system")))
        using (var auditor = new Context(FollowUp("arbetsledare", "tillsyn")))
        {
            ExpectEqual(64, engine.AuditPublicKey().Length, "public key as 64 hex digits");
            var round = (Dictionary<string, object>)Json.Parse(officer.ToJson());
            ExpectEqual("k-1", (string)round["subject_client"], "context round trip");
            ExpectThrows(Status.InvalidArgument, () => new Context(Officer.Replace("handlaggare", "chef")),
                         "bad role");
            int events = 0;
            var check = (Dictionary<string, object>)Json.Parse(engine.Check(officer, "score"));
            events++;
            ExpectEqual("allow", (string)check["decision"], "an officer may score in the case");

            var scored = (Dictionary<string, object>)Json.Parse(engine.Score(
                officer, "{\"instrument\": \"phq9\", \"responses\": [1,1,2,1,0,1,1,0,1]}"));
            events++;
            ExpectEqual(8.0, (double)scored["total"], "guarded score total");
            var suggestions = (List<object>)scored["suggestions"];
            Expect(suggestions.Count >= 1, "the flag became a suggestion");
            string suggestion = (string)((Dictionary<string, object>)suggestions[0])["id"];
            Expect(engine.OpenSuggestions(officer).Contains(suggestion), "it is open");
            events++;

            VarsamException denied = ExpectThrows(
                Status.PermissionDenied,
                () => engine.RecordDecision(system, suggestion, "accepted", "auto"),
                "a system may not decide");
            events++;
            Expect(denied is PermissionDeniedException, "PermissionDeniedException");
            Expect(denied != null && denied.LibraryMessage.Contains("human-decides"),
                   "the refusal names the rule");
            Expect(engine.RecordDecision(officer, suggestion, "accepted", "agreed") > 0,
                   "the officer's decision has an id");
            events++;
            ExpectThrows(Status.FailedPrecondition,
                         () => engine.RecordDecision(officer, suggestion, "rejected", "again"),
                         "decided twice");
            events++;
            Expect(!engine.OpenSuggestions(officer).Contains(suggestion), "no longer open");
            events++;

            ExpectThrows(Status.PermissionDenied, () => engine.VerifyAudit(officer),
                         "an officer may not read the audit log");
            events++;
            var report = (Dictionary<string, object>)Json.Parse(engine.VerifyAudit(auditor));
            events++;
            ExpectEqual(true, (bool)report["ok"], "the audit log verifies");
            ExpectEqual((double)events, (double)report["events"], "one event per call");
            ExpectEqual(true, (bool)report["signatures_checked"], "signatures checked");
        }
        Directory.Delete(store, true);
    }

    /// <summary>Synthetic clients: client i is female when i is odd, aged 25 + i % 30; clients
    /// 1, 3 and 5 in familjebehandling, the rest stodsamtal; men drop out at i % 5 < 3, women at
    /// i % 5 == 0.</summary>
    private const int Clients = 200;
    private static bool Female(int i) { return i % 2 == 1; }
    private static string Intervention(int i) { return i == 1 || i == 3 || i == 5 ? "familjebehandling" : "stodsamtal"; }
    private static bool Dropout(int i) { return Female(i) ? i % 5 == 0 : i % 5 < 3; }

    private static string CaseLines(int from, int to, string kind = "insats")
    {
        var sb = new StringBuilder();
        for (int i = from; i < to; i++)
        {
            sb.Append("{\"case\": {\"ref\": \"c-").Append(i).Append("\", \"kind\": \"").Append(kind)
              .Append("\", \"led_to_investigation\": true, \"client\": \"q-").Append(i)
              .Append("\"}, \"episodes\": [{\"client_ref\": \"q-").Append(i)
              .Append("\", \"age\": ").Append(25 + i % 30)
              .Append(", \"sex\": \"").Append(Female(i) ? "female" : "male")
              .Append("\", \"postal_code\": \"11120\", \"intervention\": \"").Append(Intervention(i))
              .Append("\", \"start\": \"2025-02-03\", \"end\": \"2025-09-30\", \"outcome\": \"")
              .Append(Dropout(i) ? "dropout" : "completed").Append("\"}]}\n");
        }
        return sb.ToString();
    }

    private static void TestRegisterModelsAndInsights()
    {
        string store = TempStore();
        var epochs = new List<int>();
        Func<int, byte[]> pseudonymKey = epoch => { epochs.Add(epoch); return Enumerable.Repeat((byte)5, 32).ToArray(); };
        using (var engine = new Engine(Options(store, ", \"register\": {\"key_epoch\": 1}"), AuditKey, pseudonymKey))
        using (var analyst = new Context(FollowUp("analytiker", "uppfoljning")))
        using (var provider = new Context(FollowUp("analytiker", "uppfoljning", "privat_utforare")))
        using (var officer = new Context(Officer.Replace("utredning", "insats")))
        using (var inCase = new Context(AnalystInCase("insats")))
        using (var report = new Context(AnalystInCase("anmalan").Replace(
                   "\"led_to_investigation\": true", "\"led_to_investigation\": false")))
        {
            ExpectEqual("1", string.Join(",", epochs), "the pseudonym key of epoch 1, asked once");
            var submitted = (Dictionary<string, object>)Json.Parse(
                engine.RegisterSubmitCases(analyst, CaseLines(0, Clients - 1), 2));
            ExpectEqual((double)(Clients - 1), (double)submitted["submitted"], "every case line in");
            // One more episode through register_submit, in an insats case: client k-1, a man in
            // stodsamtal (counted below as client Clients - 1).
            engine.RegisterSubmit(inCase, "[{\"client_ref\": \"k-1\", \"age\": 30, \"sex\": \"male\"," +
                                           " \"intervention\": \"stodsamtal\", \"start\": \"2025-02-03\"}]");
            ExpectThrows(Status.PermissionDenied,
                         () => engine.RegisterSubmit(report, "[{\"client_ref\": \"k-1\", \"age\": 30," +
                                                             " \"start\": \"2025-02-03\"}]"),
                         "a report that led to no investigation stays out");
            ExpectThrows(Status.InvalidArgument,
                         () => engine.RegisterSubmit(inCase, "[{\"client_ref\": \"k-1\", \"start\": \"2025-02-03\"}]"),
                         "an episode without its age");
            var release = (Dictionary<string, object>)Json.Parse(engine.RegisterExport(analyst, "{\"k\": 5}"));
            var releaseReport = (Dictionary<string, object>)release["report"];
            ExpectEqual((double)Clients, (double)releaseReport["records_in"], "every episode released from");
            var classes = new Dictionary<string, int>();
            foreach (List<object> row in ((List<object>)release["rows"]).Cast<List<object>>())
            {
                string key = string.Join("|", row.Take(7).Select(v => v == null ? "" : v.ToString()));
                classes[key] = classes.TryGetValue(key, out int n) ? n + 1 : 1;
            }
            Expect(classes.Count > 0 && classes.Values.Min() >= 5, "every released class has 5 or more");
            Expect(!engine.RegisterExport(analyst).Contains("q-1\""), "no client reference released");

            // A model trained from the register, applied in a case, decided by the officer.
            string spec = "{\"target\": \"dropout\", \"population\": {\"case_kinds\": [\"insats\"]}," +
                          " \"features\": [\"age_band\", \"sex\"], \"fairness\": {\"bootstrap\": 0}," +
                          " \"learner\": {\"kind\": \"logistic\", \"l2\": 1, \"folds\": 3, \"seed\": 5}," +
                          " \"min_support\": 5}";
            string trainedText = engine.ModelTrain(analyst, spec, "Avbrott, syntetiskt");
            var trained = (Dictionary<string, object>)Json.Parse(trainedText);
            string id = (string)trained["id"];
            ExpectEqual(32, id.Length, "model id");
            var coefficients = ((List<object>)((Dictionary<string, object>)trained["model"])["coefficients"])
                .Cast<Dictionary<string, object>>().ToDictionary(c => (string)c["name"], c => (double)c["estimate"]);
            // Whichever sex is the reference level, the women's effect is below the men's.
            Func<string, double> effect = name => coefficients.TryGetValue(name, out double b) ? b : 0;
            Expect(effect("sex=female") < effect("sex=male"), "men drop out more in the synthetic register");
            ExpectThrows(Status.PermissionDenied, () => engine.ModelTrain(provider, spec),
                         "a private provider may not train");
            var models = (List<object>)Json.Parse(engine.Models(analyst));
            ExpectEqual(1, models.Count, "one model kept");

            var applied = (Dictionary<string, object>)Json.Parse(
                engine.ModelApply(officer, id, "{\"age_band\": \"25-29\", \"sex\": \"male\"}"));
            ExpectEqual((string)trained["sha256"], (string)applied["sha256"], "the applied model's hash");
            string suggestion = (string)applied["suggestion"];
            Expect(engine.OpenSuggestions(officer).Contains(suggestion), "the prediction is an open suggestion");
            engine.RecordDecision(officer, suggestion, "accepted", "Samtal bokat.");
            ExpectEqual("[]", engine.OpenSuggestions(officer).Replace(" ", ""), "decided");
            ExpectThrows(Status.NotFound, () => engine.ModelApply(officer, new string('0', 32), "{}"),
                         "unknown model");

            // The same file in memory: the same probability as the guarded apply.
            string file = Json.RawMember(trainedText, "model");
            using (var model = new Model(file))
            {
                int points;
                double p = model.Score(new[] { "25-29", "male" }, null, out points);
                Expect(Math.Abs(p - (double)applied["probability"]) < 1e-12,
                       "varsam_model_score equals varsam_model_apply: " + p);
                double female = model.Score(new[] { "25-29", "female" }, null, out points);
                Expect(female < p, "a woman's probability is lower");
                ExpectThrows(Status.InvalidArgument, () => model.Score(new[] { "25-29" }, null, out points),
                             "one level per feature");
            }
            Expect(Varsam.ModelCard(file).Contains("Avbrott, syntetiskt"), "the card names the model");
            ExpectThrows(Status.DataLoss, () => new Model(file.Replace("Avbrott, syntetiskt", "Annat")),
                         "a changed file does not match its hash");

            // Group insights: people by intervention and sex with margins.
            string query = "{\"measure\": {\"kind\": \"people\"}, \"dimensions\": [\"intervention\", \"sex\"]," +
                           " \"margins\": true}";
            var table = (Dictionary<string, object>)Json.Parse(engine.InsightQuery(analyst, query));
            ExpectEqual("varsam-insight/1", (string)table["format"], "insight format");
            var cells = ((List<object>)table["cells"]).Cast<Dictionary<string, object>>().ToList();
            ExpectEqual(9, cells.Count, "3 x 3 cells with margins");
            foreach (var cell in cells)
            {
                var levels = (List<object>)cell["levels"];
                int want = Enumerable.Range(0, Clients).Count(i =>
                    (levels[0] == null || Intervention(i == Clients - 1 ? 30 : i) == (string)levels[0]) &&
                    (levels[1] == null || (Female(i == Clients - 1 ? 0 : i) ? "female" : "male") == (string)levels[1]));
                string status = (string)cell["status"];
                if (status == "published") ExpectEqual((double)want, (double)cell["value"], "published count");
                if (want > 0 && want < 5) ExpectEqual("protected", status, "a cell of fewer than 5 people");
                if (status == "protected") Expect(cell["value"] == null, "a protected cell has no value");
            }
            ExpectThrows(Status.PermissionDenied, () => engine.InsightQuery(provider, query),
                         "a private provider may not query");
            string csv = engine.InsightQuery(analyst, query, "csv");
            Expect(csv.StartsWith("intervention,sex,value") && csv.Contains(".."), "CSV with protected cells");
            ExpectThrows(Status.InvalidArgument, () => engine.InsightQuery(analyst, query, "xml"), "unknown format");
        }
        Directory.Delete(store, true);
    }

    private static int Main()
    {
        var tests = new List<Tuple<string, Action>>
        {
            Tuple.Create("version", (Action)TestVersion),
            Tuple.Create("identity numbers", (Action)TestIdCheck),
            Tuple.Create("instruments", (Action)TestScore),
            Tuple.Create("engine, decisions and audit", (Action)TestEngineCaseAndAudit),
            Tuple.Create("register, models and insights", (Action)TestRegisterModelsAndInsights),
        };
        foreach (var t in tests)
        {
            int before = failures;
            try
            {
                t.Item2();
            }
            catch (Exception e)
            {
                failures++;
                Console.Error.WriteLine("FAILED: " + t.Item1 + ": " + e);
            }
            Console.WriteLine((failures == before ? "ok      " : "FAILED  ") + t.Item1);
        }
        Console.WriteLine(checks + " checks, " + failures + " failed");
        return failures == 0 ? 0 : 1;
    }
}

/// <summary>A minimal JSON reader for the test (objects as Dictionary, arrays as List, numbers
/// as double): the binding itself hands JSON over as text.</summary>
internal sealed class Json
{
    private readonly string s;
    private int pos;

    private Json(string text) { s = text; }

    public static object Parse(string text)
    {
        var p = new Json(text);
        object v = p.Value();
        p.Space();
        if (p.pos != text.Length) throw new FormatException("trailing text at " + p.pos);
        return v;
    }

    /// <summary>The exact text of a top-level object's member (for handing a model file back to
    /// the library unchanged).</summary>
    public static string RawMember(string text, string key)
    {
        var p = new Json(text);
        p.Space();
        p.Expect('{');
        while (true)
        {
            p.Space();
            string k = p.String();
            p.Space();
            p.Expect(':');
            p.Space();
            int start = p.pos;
            p.Value();
            if (k == key) return text.Substring(start, p.pos - start);
            p.Space();
            if (p.s[p.pos++] == '}') throw new KeyNotFoundException(key);
        }
    }

    public static string Quote(string v)
    {
        var sb = new StringBuilder("\"");
        foreach (char c in v)
        {
            if (c == '"' || c == '\\') sb.Append('\\').Append(c);
            else if (c < 0x20) sb.Append("\\u").Append(((int)c).ToString("x4"));
            else sb.Append(c);
        }
        return sb.Append('"').ToString();
    }

    private void Space() { while (pos < s.Length && char.IsWhiteSpace(s[pos])) pos++; }

    private void Expect(char c)
    {
        if (s[pos] != c) throw new FormatException("expected " + c + " at " + pos);
        pos++;
    }

    private object Value()
    {
        Space();
        char c = s[pos];
        if (c == '{')
        {
            pos++;
            var o = new Dictionary<string, object>();
            Space();
            if (s[pos] == '}') { pos++; return o; }
            while (true)
            {
                Space();
                string k = String();
                Space();
                Expect(':');
                o[k] = Value();
                Space();
                if (s[pos++] == '}') return o;
            }
        }
        if (c == '[')
        {
            pos++;
            var a = new List<object>();
            Space();
            if (s[pos] == ']') { pos++; return a; }
            while (true)
            {
                a.Add(Value());
                Space();
                if (s[pos++] == ']') return a;
            }
        }
        if (c == '"') return String();
        if (s.Substring(pos).StartsWith("true")) { pos += 4; return true; }
        if (s.Substring(pos).StartsWith("false")) { pos += 5; return false; }
        if (s.Substring(pos).StartsWith("null")) { pos += 4; return null; }
        int start = pos;
        while (pos < s.Length && "+-0123456789.eE".IndexOf(s[pos]) >= 0) pos++;
        return double.Parse(s.Substring(start, pos - start), CultureInfo.InvariantCulture);
    }

    private string String()
    {
        Expect('"');
        var sb = new StringBuilder();
        while (s[pos] != '"')
        {
            char c = s[pos++];
            if (c != '\\') { sb.Append(c); continue; }
            char e = s[pos++];
            switch (e)
            {
                case 'n': sb.Append('\n'); break;
                case 't': sb.Append('\t'); break;
                case 'r': sb.Append('\r'); break;
                case 'b': sb.Append('\b'); break;
                case 'f': sb.Append('\f'); break;
                case 'u': sb.Append((char)Convert.ToInt32(s.Substring(pos, 4), 16)); pos += 4; break;
                default: sb.Append(e); break;
            }
        }
        pos++;
        return sb.ToString();
    }
}
