#pragma once
// Cross-Situational Learning (docs/tasks.md): the grammar of the public repository
// Naowak/CrossSituationalLearning (CSLDataset.py), ported. A sentence describes two
// situations joined by "and"; its label says, per situation, which object, colour and
// position or other action word it names. As a task (the lab's generate_csl in the repository
// Naowak/STREAM-Dataset): episodes are sentences drawn uniformly from every two-situation
// sentence, one-hot words left-padded with silent tokens to the longest sentence, and the
// multi-hot label is read after the last token; the metric is the share of wrong labels.
#include <string>
#include <vector>

#include "tasks/tasks.hpp"

namespace ransim {

class CslGrammar {
 public:
  // Each entry is a group of synonyms; the first names its label (["center", "middle"]).
  using Words = std::vector<std::vector<std::string>>;
  CslGrammar(Words objects, Words colors, Words positions);

  // The one-situation sentences in the reference's order, without duplicates.
  const std::vector<std::string>& sentences() const { return sentences_; }
  // The words of every two-situation sentence, sorted (the reference uses Python's set order,
  // which changes from run to run); a word's one-hot channel is its index here.
  const std::vector<std::string>& vocabulary() const { return vocabulary_; }
  std::size_t word_index(const std::string& word) const;
  // Words of the longest two-situation sentence: the episode length.
  std::size_t max_words() const { return 2 * max_words_one_ + 1; }
  // Labels per situation: objects, colours, positions, then "this", "that", "is".
  std::size_t labels_per_situation() const { return label_count_; }
  // The multi-hot label of one-situation sentence i (labels_per_situation() values).
  std::vector<double> label(std::size_t i) const;

 private:
  std::vector<std::string> sentences_, vocabulary_;
  std::vector<std::vector<int>> roles_;  // per sentence, per word
  std::vector<std::pair<std::string, std::size_t>> object_index_, color_index_, action_index_;
  std::size_t label_count_ = 0, max_words_one_ = 0;
};

// "glass,orange" -> {{"glass"}, {"orange"}}; "left,center|middle" -> {{"left"}, {"center", "middle"}}.
// `key` names the scenario key in errors.
CslGrammar::Words parse_csl_words(const std::string& text, const std::string& key);

TaskInfo csl_task();

}  // namespace ransim
