// The H2 cell on a pretrained Llama-architecture GGUF model (llama_cell.cpp), and the
// command-line helpers around it (tokenize, llama-eval for the llama.cpp comparison).
#pragma once

#include <string>
#include <vector>

#include "binllm/protocol.hpp"

namespace lm {

// True when the cell config asks for a pretrained GGUF model (`model`, or a .gguf `checkpoint`).
bool wants_llama(binllm::Config& c);
void run_llama_cell(binllm::RunContext& ctx);
// Known model names -> file inside the models venv; a path is returned as it is.
// Throws binllm::ResourceError (exit 3) when a named model is not installed.
std::string resolve_model(const std::string& name_or_path);
// Known corpus names ("hamlet", "shakespeare") -> file or folder inside the models venv.
std::string resolve_corpus(const std::string& name_or_path);
// Reads a text file, or every regular file of a folder (sorted by name, joined by a blank line).
std::string read_corpus(const std::string& path);

// binllm-lm tokenize --model M --file F : prints the token ids as one JSON array.
int cmd_tokenize(int argc, char** argv);
// binllm-lm llama-eval --model M --file F --ctx L --kv K [--threads N --chunks C --stride S
//   --logits out.bin]: perplexity as llama-perplexity computes it (one JSON line).
int cmd_llama_eval(int argc, char** argv);
// binllm-lm gguf-dump --model M --tensor NAME [--n 4096]: the first n dequantised values (JSON).
int cmd_gguf_dump(int argc, char** argv);

}  // namespace lm
