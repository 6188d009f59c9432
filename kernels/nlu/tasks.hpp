// NLU tasks: seeded synthetic generators (each with a task family and a stated generator) and
// GLUE-style TSV folders; the byte / word tokenizer that turns an example into a token row.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace nlu {

// One labelled example: a single sentence (b empty) or a sentence pair.
struct Example {
  std::string a, b;
  int label = 0;
};

struct TaskData {
  std::string name;    // "sentiment", "sst-2", ...
  std::string family;  // H6 task family: "classification" | "reasoning"
  std::string source;  // generator description or the folder it was read from
  int n_classes = 2;
  bool pair = false;
  std::vector<Example> train, dev;
};

// ---------------------------------------------------------------- synthetic tasks
struct SyntheticInfo {
  const char* name;
  const char* family;
  bool pair;
  const char* generator;  // what `describe` says about it
};
const std::vector<SyntheticInfo>& synthetic_tasks();
// nullptr when `name` is not a synthetic task.
const SyntheticInfo* find_synthetic(const std::string& name);
// n_train / n_dev examples drawn from the task's generator with a seed derived from (seed, name);
// the dev split is drawn after the train split from the same stream, so it never overlaps by
// construction of the draw order (duplicates of short sentences may still occur, as in GLUE).
TaskData make_synthetic(const std::string& name, uint64_t seed, int n_train, int n_dev);

// ---------------------------------------------------------------- GLUE-style TSV
// Reads <dir>/train.tsv and <dir>/dev.tsv (dev_matched.tsv for MNLI). The header names the columns:
// single sentence `sentence` (SST-2), pairs `sentence1`/`sentence2` (RTE, MNLI, WNLI),
// `question`/`sentence` (QNLI), `question1`/`question2` (QQP), `#1 String`/`#2 String` (MRPC); the
// label column is `label`, `gold_label` (MNLI) or `is_duplicate` (QQP), or `Quality` (MRPC). A file
// whose first line has 4 fields and no known header is CoLA's headerless layout (label in column 2,
// sentence in column 4). Labels: integers, or the NLI names entailment / not_entailment / neutral /
// contradiction. Any other problem throws binllm::ConfigError naming the file and the line.
TaskData load_glue_task(const std::string& dir, const std::string& name);
// `task_dir` holding train.tsv itself (one task, named after the folder) or task subfolders
// (a GLUE root: SST-2/, RTE/, ...; sorted by name). Throws ConfigError naming the folder.
std::vector<TaskData> load_glue_dir(const std::string& task_dir);

// ---------------------------------------------------------------- tokenizer
enum : int { kPad = 0, kCls = 1, kSep = 2, kUnk = 3 };

// "bytes": ids 3 + byte (vocab 259); "words": whitespace-separated lower-case words of the train
// split, most frequent first (ties by spelling), capped at max_vocab (others -> kUnk).
struct Tokenizer {
  bool bytes = true;
  std::vector<std::string> words;  // words[i] has id 4 + i
  std::unordered_map<std::string, int> index;  // word -> id
  int vocab() const { return bytes ? 259 : 4 + (int)words.size(); }
  void build(const std::string& mode, const std::vector<Example>& train, int max_vocab);
  // Row of max_len ids: [CLS] a [SEP] (b [SEP]) then kPad; the longer side is cut first when the
  // pair does not fit. Returns the number of real tokens.
  int encode(const Example& e, int max_len, int* ids) const;
};

}  // namespace nlu
