// Synthetic NLU generators, the GLUE TSV reader and the tokenizer (see tasks.hpp).
#include "tasks.hpp"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>

#include "binllm/errors.hpp"
#include "binllm/rng.hpp"

namespace nlu {

namespace {

using binllm::Rng;
using Words = std::vector<std::string>;

const std::string& pick(Rng& r, const Words& w) { return w[r.below(w.size())]; }

std::string join(const Words& w) {
  std::string s;
  for (size_t i = 0; i < w.size(); i++) s += (i ? " " : "") + w[i];
  return s;
}

uint64_t name_stream(const std::string& name) {
  uint64_t h = 1469598103934665603ull;  // FNV-1a of the task name
  for (unsigned char c : name) h = (h ^ c) * 1099511628211ull;
  return h;
}

// ---- sentiment: lexicon polarity with negation scope
const Words kPos = {"good", "great", "fine", "nice", "superb", "lovely", "brilliant", "fun"};
const Words kNeg = {"bad", "awful", "poor", "dull", "boring", "weak", "terrible", "bland"};
const Words kNegators = {"not", "never", "hardly"};
const Words kIntens = {"very", "really", "quite"};
const Words kFiller = {"the", "movie", "film", "plot", "was", "is", "acting", "story", "and",
                       "but", "cast", "script", "it", "ending", "music", "overall"};

Example gen_sentiment(Rng& r) {
  // 1 or 3 opinion words (never a tie), each negated with p = 0.4 by a negator 1 or 2 words before
  // it (an intensifier in between); label = sign of the summed, negation-flipped polarities.
  const int k = r.below(2) ? 3 : 1;
  Words out;
  int score = 0;
  for (int i = 0; i < k; i++) {
    const int nf = 1 + (int)r.below(3);
    for (int j = 0; j < nf; j++) out.push_back(pick(r, kFiller));
    const bool pos = r.below(2) == 0;
    const bool neg = r.uniform() < 0.4;
    if (neg) {
      out.push_back(pick(r, kNegators));
      if (r.below(2)) out.push_back(pick(r, kIntens));
    } else if (r.below(3) == 0) {
      out.push_back(pick(r, kIntens));
    }
    out.push_back(pick(r, pos ? kPos : kNeg));
    score += (pos ? 1 : -1) * (neg ? -1 : 1);
  }
  if (r.below(2)) out.push_back(pick(r, kFiller));
  return {join(out), "", score > 0 ? 1 : 0};
}

// ---- entailment from lexical relations (hypernymy)
const std::vector<std::pair<std::string, Words>> kTaxonomy = {
    {"animal", {"dog", "cat", "horse", "cow"}},
    {"vehicle", {"car", "bus", "truck", "bike"}},
    {"fruit", {"apple", "pear", "plum", "grape"}},
    {"tool", {"hammer", "saw", "drill", "wrench"}}};
const Words kVerbs = {"sleeps", "waits", "stands", "rests", "stays"};
const Words kPlaces = {"here", "outside", "inside", "nearby", "upstairs"};

Example gen_entailment(Rng& r) {
  // premise "a <noun> <verb> <place>"; entailed (1): the hypothesis names the noun's hypernym or
  // repeats the premise; not entailed (0): a sibling noun, hyponym for hypernym (the wrong
  // direction), another category's hypernym, or another verb / place.
  const size_t c = r.below(kTaxonomy.size());
  const auto& cat = kTaxonomy[c];
  const std::string noun = pick(r, cat.second), verb = pick(r, kVerbs), place = pick(r, kPlaces);
  const bool entailed = r.below(2) == 0;
  Words prem = {"a", noun, verb, place}, hyp = prem;
  if (entailed) {
    if (r.below(4)) hyp[1] = cat.first;
  } else {
    switch (r.below(4)) {
      case 0: {
        std::string s;
        do s = pick(r, cat.second); while (s == noun);
        hyp[1] = s;
        break;
      }
      case 1:
        prem[1] = cat.first;  // "a fruit ..." does not entail "a plum ..."
        break;
      case 2: hyp[1] = kTaxonomy[(c + 1 + r.below(kTaxonomy.size() - 1)) % kTaxonomy.size()].first; break;
      default: {
        const bool v = r.below(2) == 0;
        std::string s;
        do s = pick(r, v ? kVerbs : kPlaces); while (s == (v ? verb : place));
        hyp[v ? 2 : 3] = s;
        if (r.below(2)) hyp[1] = cat.first;
      }
    }
  }
  return {join(prem), join(hyp), entailed ? 1 : 0};
}

// ---- paraphrase: synonyms and voice vs swapped roles / changed content
const std::vector<std::pair<std::string, std::string>> kVerbSyn = {
    {"chased", "pursued"}, {"saw", "noticed"}, {"helped", "assisted"}, {"hit", "struck"}, {"liked", "enjoyed"}};
const std::vector<std::pair<std::string, std::string>> kNounSyn = {
    {"boy", "lad"}, {"girl", "lass"}, {"doctor", "physician"}, {"teacher", "tutor"}, {"cop", "officer"}, {"kid", "child"}};

Example gen_paraphrase(Rng& r) {
  // a = "the X <verb> the Y"; paraphrase (1): synonyms substituted at random and/or the passive
  // "the Y was <verb> by the X"; not (0): roles swapped (X and Y), or one noun / the verb replaced
  // by a non-synonym (with synonyms elsewhere, so surface overlap does not give the label away).
  const size_t xi = r.below(kNounSyn.size());
  size_t yi;
  do yi = r.below(kNounSyn.size()); while (yi == xi);
  const size_t vi = r.below(kVerbSyn.size());
  auto syn = [&](const std::pair<std::string, std::string>& p) { return r.below(2) ? p.second : p.first; };
  const Words a = {"the", kNounSyn[xi].first, kVerbSyn[vi].first, "the", kNounSyn[yi].first};
  const bool para = r.below(2) == 0;
  std::string X = syn(kNounSyn[xi]), Y = syn(kNounSyn[yi]), V = syn(kVerbSyn[vi]);
  bool passive = r.below(2) == 0;
  if (!para) {
    switch (r.below(3)) {
      case 0: std::swap(X, Y); break;
      case 1: {
        size_t zi;
        do zi = r.below(kNounSyn.size()); while (zi == xi || zi == yi);
        (r.below(2) ? X : Y) = syn(kNounSyn[zi]);
        break;
      }
      default: {
        size_t wi;
        do wi = r.below(kVerbSyn.size()); while (wi == vi);
        V = syn(kVerbSyn[wi]);
      }
    }
  }
  const Words b = passive ? Words{"the", Y, "was", V, "by", "the", X} : Words{"the", X, V, "the", Y};
  return {join(a), join(b), para ? 1 : 0};
}

// ---- chain: transitive relation over shuffled facts (multi-step)
const Words kNames = {"ann", "bob", "cal", "dan", "eve", "fay", "gus", "hal", "ivy", "jon", "kim", "lee"};

Example gen_chain(Rng& r) {
  // 3 distinct people in a hidden order p0 > p1 > p2; the facts "p0 beats p1", "p1 beats p2" in
  // shuffled order; question "x beats y": 1 when x precedes y in the order (1 or 2 steps: the pair
  // (p0, p2) needs both facts), 0 for the reverse.
  Words p = kNames;
  for (size_t i = p.size() - 1; i > 0; i--) std::swap(p[i], p[r.below(i + 1)]);
  p.resize(3);
  std::vector<int> order = {0, 1};
  if (r.below(2)) std::swap(order[0], order[1]);
  Words facts;
  for (int i : order) {
    if (!facts.empty()) facts.push_back("and");
    facts.insert(facts.end(), {p[i], "beats", p[i + 1]});
  }
  const int i = (int)r.below(2);
  const int j = i + 1 + (int)r.below(2 - i);
  const bool yes = r.below(2) == 0;
  Words q = {yes ? p[i] : p[j], "beats", yes ? p[j] : p[i]};
  return {join(facts), join(q), yes ? 1 : 0};
}

// ---- count: compare two counts in a bag of words
const Words kColors = {"red", "blue", "green", "gold"};

Example gen_count(Rng& r) {
  // 8–13 colour words; question "more X than Y" about two distinct colours with different counts:
  // 1 when X occurs more often than Y.
  for (;;) {
    const int n = 8 + (int)r.below(6);
    Words s;
    int cnt[4] = {0, 0, 0, 0};
    for (int i = 0; i < n; i++) {
      const int c = (int)r.below(4);
      cnt[c]++;
      s.push_back(kColors[c]);
    }
    const int x = (int)r.below(4);
    int y;
    do y = (int)r.below(4); while (y == x);
    if (cnt[x] == cnt[y]) continue;
    return {join(s), join({"more", kColors[x], "than", kColors[y]}), cnt[x] > cnt[y] ? 1 : 0};
  }
}

// ---- arith: add, then compare (several steps)
Example gen_arith(Rng& r) {
  // "a plus b plus c is more than d" with digits a, b, c and d = a + b + c + e, e = -2, -1, 1 or 2
  // (d >= 0): true (1) iff a + b + c > d; the sum must be exact, then compared.
  for (;;) {
    const int a = (int)r.below(10), b = (int)r.below(10), c = (int)r.below(10);
    int e = (int)r.below(4) - 2;
    if (e >= 0) e++;
    const int d = a + b + c + e;
    if (d < 0) continue;
    return {join({std::to_string(a), "plus", std::to_string(b), "plus", std::to_string(c), "is", "more", "than", std::to_string(d)}), "",
            e < 0 ? 1 : 0};
  }
}

using Gen = Example (*)(Rng&);

struct SynEntry {
  SyntheticInfo info;
  Gen gen;
};

const std::vector<SynEntry>& registry() {
  static const std::vector<SynEntry> r = {
      {{"sentiment", "classification", false,
        "1 or 3 opinion words from an 8+8 word lexicon among filler words, each negated (p 0.4) by "
        "not/never/hardly 1-2 words before it; label = sign of the negation-flipped polarity sum"},
       gen_sentiment},
      {{"entailment", "classification", true,
        "premise 'a <noun> <verb> <place>' over a 4-category taxonomy; entailed when the hypothesis "
        "names the hypernym or repeats it; not for a sibling, the hyponym of a hypernym, another "
        "category or another verb/place (balanced)"},
       gen_entailment},
      {{"paraphrase", "classification", true,
        "'the X <verb> the Y' vs synonyms and/or the passive (paraphrase) or swapped roles / a "
        "non-synonym noun or verb (not), balanced"},
       gen_paraphrase},
      {{"chain", "reasoning", true,
        "shuffled facts 'a beats b and b beats c' over 12 names; question 'x beats y' true iff x "
        "precedes y (1 or 2 inference steps), balanced"},
       gen_chain},
      {{"count", "reasoning", true,
        "8-13 words over 4 colours; question 'more X than Y' (distinct colours, unequal counts): "
        "true iff X occurs more often"},
       gen_count},
      {{"arith", "reasoning", false,
        "'a plus b plus c is more than d' with digits a, b, c and d = a + b + c + e, e in {-2, -1, 1, 2}: "
        "true iff a + b + c > d (two additions, then a comparison), balanced"},
       gen_arith},
  };
  return r;
}

}  // namespace

const std::vector<SyntheticInfo>& synthetic_tasks() {
  static const std::vector<SyntheticInfo> v = [] {
    std::vector<SyntheticInfo> o;
    for (auto& e : registry()) o.push_back(e.info);
    return o;
  }();
  return v;
}

const SyntheticInfo* find_synthetic(const std::string& name) {
  for (auto& e : registry())
    if (name == e.info.name) return &e.info;
  return nullptr;
}

TaskData make_synthetic(const std::string& name, uint64_t seed, int n_train, int n_dev) {
  const SynEntry* e = nullptr;
  for (auto& x : registry())
    if (name == x.info.name) e = &x;
  if (!e) throw binllm::ConfigError("unknown synthetic task '" + name + "'");
  TaskData t;
  t.name = name;
  t.family = e->info.family;
  t.source = std::string("synthetic: ") + e->info.generator;
  t.pair = e->info.pair;
  t.n_classes = 2;
  Rng r(seed, name_stream(name));
  for (int i = 0; i < n_train; i++) t.train.push_back(e->gen(r));
  for (int i = 0; i < n_dev; i++) t.dev.push_back(e->gen(r));
  return t;
}

// ---------------------------------------------------------------- GLUE TSV

namespace {

std::vector<std::string> split_tabs(const std::string& line) {
  std::vector<std::string> f;
  size_t s = 0;
  for (;;) {
    size_t p = line.find('\t', s);
    f.push_back(line.substr(s, p == std::string::npos ? std::string::npos : p - s));
    if (p == std::string::npos) break;
    s = p + 1;
  }
  return f;
}

struct Layout {
  int a = -1, b = -1, label = -1;
  bool header = true;
};

int col(const std::vector<std::string>& h, const std::string& name) {
  for (size_t i = 0; i < h.size(); i++)
    if (h[i] == name) return (int)i;
  return -1;
}

Layout detect_layout(const std::vector<std::string>& h, const std::string& file) {
  Layout L;
  const std::pair<const char*, const char*> pairs[] = {
      {"sentence1", "sentence2"}, {"question", "sentence"}, {"question1", "question2"}, {"#1 String", "#2 String"}};
  for (auto& p : pairs)
    if (col(h, p.first) >= 0 && col(h, p.second) >= 0) {
      L.a = col(h, p.first);
      L.b = col(h, p.second);
      break;
    }
  if (L.a < 0) L.a = col(h, "sentence");
  for (const char* n : {"gold_label", "label", "is_duplicate", "Quality"})
    if (L.label < 0) L.label = col(h, n);
  if (L.a >= 0 && L.label >= 0) return L;
  if (L.a < 0 && L.label < 0 && h.size() == 4) {  // CoLA: source, label, original label, sentence
    L = Layout{3, -1, 1, false};
    return L;
  }
  std::string found;
  for (size_t i = 0; i < h.size(); i++) found += (i ? ", '" : "'") + h[i] + "'";
  throw binllm::ConfigError(file + ":1: header has no " + (L.a < 0 ? std::string("sentence column") : std::string("label column")) +
                            " (found " + found + "; expected sentence, or sentence1/sentence2, question/sentence, question1/question2, and label)");
}

int parse_label(const std::string& s, const std::string& where) {
  static const std::map<std::string, int> names = {
      {"entailment", 0}, {"not_entailment", 1}, {"neutral", 1}, {"contradiction", 2}};
  auto it = names.find(s);
  if (it != names.end()) return it->second;
  if (s.empty()) throw binllm::ConfigError(where + ": empty label");
  size_t i = s[0] == '-' ? 1 : 0;
  if (i == s.size() || s.find_first_not_of("0123456789", i) != std::string::npos || s.size() > 9)
    throw binllm::ConfigError(where + ": label '" + s + "' is not an integer (nor entailment / not_entailment / neutral / contradiction)");
  const int v = std::stoi(s);
  if (v < 0) throw binllm::ConfigError(where + ": label " + s + " is negative");
  return v;
}

std::vector<Example> read_tsv(const std::string& file, Layout* layout, bool* pair) {
  std::ifstream f(file, std::ios::binary);
  if (!f) throw binllm::ConfigError(file + ": cannot open the file");
  std::string line;
  std::vector<Example> out;
  long lineno = 0;
  Layout L;
  bool have_layout = layout->a >= 0 && !layout->header;
  while (std::getline(f, line)) {
    lineno++;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (lineno == 1 && line.compare(0, 3, "\xEF\xBB\xBF") == 0) line.erase(0, 3);
    if (line.empty()) continue;
    auto fields = split_tabs(line);
    if (lineno == 1) {
      L = detect_layout(fields, file);
      have_layout = true;
      if (L.header) continue;
    }
    (void)have_layout;
    const std::string where = file + ":" + std::to_string(lineno);
    const int need = std::max({L.a, L.b, L.label}) + 1;
    if ((int)fields.size() < need)
      throw binllm::ConfigError(where + ": " + std::to_string(fields.size()) + " column(s), expected at least " + std::to_string(need) +
                                " (missing column " + std::to_string(fields.size() + 1) + ")");
    Example e;
    e.a = fields[L.a];
    if (L.b >= 0) e.b = fields[L.b];
    e.label = parse_label(fields[L.label], where);
    out.push_back(std::move(e));
  }
  if (out.empty()) throw binllm::ConfigError(file + ": no examples");
  *layout = L;
  *pair = L.b >= 0;
  return out;
}

bool is_file(const std::string& p) {
  struct stat st;
  return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}
bool is_dir(const std::string& p) {
  struct stat st;
  return ::stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

}  // namespace

TaskData load_glue_task(const std::string& dir, const std::string& name) {
  TaskData t;
  t.name = name;
  t.family = "classification";
  t.source = dir;
  Layout L;
  bool pair = false, pair_dev = false;
  t.train = read_tsv(dir + "/train.tsv", &L, &pair);
  std::string dev = dir + "/dev.tsv";
  if (!is_file(dev) && is_file(dir + "/dev_matched.tsv")) dev = dir + "/dev_matched.tsv";
  Layout Ld;
  t.dev = read_tsv(dev, &Ld, &pair_dev);
  if (pair != pair_dev)
    throw binllm::ConfigError(dev + ":1: " + (pair_dev ? "sentence pairs" : "single sentences") + " but train.tsv has " +
                              (pair ? "sentence pairs" : "single sentences"));
  t.pair = pair;
  int mx = 0;
  for (auto* s : {&t.train, &t.dev})
    for (auto& e : *s) mx = std::max(mx, e.label);
  t.n_classes = std::max(2, mx + 1);
  if (t.n_classes > 64) throw binllm::ConfigError(dir + ": label " + std::to_string(mx) + " gives more than 64 classes");
  return t;
}

std::vector<TaskData> load_glue_dir(const std::string& task_dir) {
  if (!is_dir(task_dir)) throw binllm::ConfigError("task_dir '" + task_dir + "' is not a folder");
  std::string base = task_dir;
  while (base.size() > 1 && base.back() == '/') base.pop_back();
  const std::string leaf = base.substr(base.find_last_of('/') + 1);
  if (is_file(base + "/train.tsv")) return {load_glue_task(base, leaf)};
  std::vector<std::string> subs;
  if (DIR* d = ::opendir(base.c_str())) {
    while (dirent* e = ::readdir(d)) {
      const std::string n = e->d_name;
      if (n != "." && n != ".." && is_file(base + "/" + n + "/train.tsv")) subs.push_back(n);
    }
    ::closedir(d);
  }
  std::sort(subs.begin(), subs.end());
  if (subs.empty())
    throw binllm::ConfigError("task_dir '" + task_dir + "' has no train.tsv and no task folder with one (missing task folder)");
  std::vector<TaskData> out;
  for (auto& s : subs) out.push_back(load_glue_task(base + "/" + s, s));
  return out;
}

// ---------------------------------------------------------------- tokenizer

namespace {
Words split_words(const std::string& s) {
  Words w;
  std::istringstream in(s);
  std::string x;
  while (in >> x) {
    for (auto& c : x) c = (char)std::tolower((unsigned char)c);
    w.push_back(x);
  }
  return w;
}
}  // namespace

void Tokenizer::build(const std::string& mode, const std::vector<Example>& train, int max_vocab) {
  bytes = mode == "bytes";
  words.clear();
  index.clear();
  if (bytes) return;
  std::map<std::string, long> freq;
  for (auto& e : train) {
    for (auto& w : split_words(e.a)) freq[w]++;
    for (auto& w : split_words(e.b)) freq[w]++;
  }
  std::vector<std::pair<std::string, long>> v(freq.begin(), freq.end());
  std::stable_sort(v.begin(), v.end(), [](auto& x, auto& y) { return x.second > y.second; });
  for (auto& p : v) {
    if ((int)words.size() >= max_vocab) break;
    index[p.first] = 4 + (int)words.size();
    words.push_back(p.first);
  }
}

int Tokenizer::encode(const Example& e, int max_len, int* ids) const {
  std::vector<int> a, b;
  auto enc = [&](const std::string& s, std::vector<int>& out) {
    if (bytes) {
      for (unsigned char c : s) out.push_back(3 + c);
      return;
    }
    for (auto& w : split_words(s)) {
      auto it = index.find(w);
      out.push_back(it == index.end() ? kUnk : it->second);
    }
  };
  enc(e.a, a);
  const bool pair = !e.b.empty();
  if (pair) enc(e.b, b);
  const int room = max_len - (pair ? 3 : 2);
  while ((int)(a.size() + b.size()) > std::max(room, 0)) (a.size() >= b.size() ? a : b).pop_back();
  int n = 0;
  ids[n++] = kCls;
  for (int x : a) ids[n++] = x;
  if (n < max_len) ids[n++] = kSep;
  if (pair) {
    for (int x : b) ids[n++] = x;
    if (n < max_len) ids[n++] = kSep;
  }
  const int len = n;
  while (n < max_len) ids[n++] = kPad;
  return len;
}

}  // namespace nlu
