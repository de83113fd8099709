// Cross-Situational Learning (csl.hpp): the grammar of CSLDataset.py, built the way the
// reference builds it (ordered dictionaries of sentence -> roles, concatenated slot by slot; a
// sentence built twice keeps its first place and its last roles), and the task over it.
#include "tasks/csl.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <sstream>

#include "ransim/error.hpp"

namespace ransim {

namespace {

enum Role { kNoRole = 0, kAction = 1, kObject = 2, kColor = 3 };

// An insertion-ordered dictionary of sentence -> roles (one role per word), as Python's dict.
class Grammar {
 public:
  Grammar() = default;
  Grammar(std::initializer_list<std::pair<std::string, std::vector<int>>> items) {
    for (auto& [s, r] : items) put(s, r);
  }
  void put(const std::string& sentence, const std::vector<int>& roles) {
    auto [it, fresh] = index_.try_emplace(sentence, items_.size());
    if (fresh) items_.push_back({sentence, roles});
    else items_[it->second].second = roles;
  }
  void merge(const Grammar& other) {
    for (auto& [s, r] : other.items_) put(s, r);
  }
  const std::vector<std::pair<std::string, std::vector<int>>>& items() const { return items_; }

 private:
  std::vector<std::pair<std::string, std::vector<int>>> items_;
  std::map<std::string, std::size_t> index_;
};

// Every sentence of the first grammar followed by every sentence of the next, and so on
// (create_sentences); an empty part leaves no double space.
Grammar concatenate(std::initializer_list<const Grammar*> parts) {
  Grammar out = **parts.begin();
  for (auto it = parts.begin() + 1; it != parts.end(); ++it) {
    Grammar next;
    for (auto& [s1, r1] : out.items())
      for (auto& [s2, r2] : (*it)->items()) {
        std::string s = s1.empty() ? s2 : s2.empty() ? s1 : s1 + " " + s2;
        std::vector<int> r = r1;
        r.insert(r.end(), r2.begin(), r2.end());
        next.put(s, r);
      }
    out = std::move(next);
  }
  return out;
}

Grammar words_with_role(const CslGrammar::Words& words, int role) {
  Grammar g;
  for (auto& group : words)
    for (auto& w : group) g.put(w, {role});
  return g;
}

std::vector<std::string> split_words(const std::string& s) {
  std::istringstream in(s);
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

// word -> label index, base + the group's position (create_dict_from_labels).
void index_words(const CslGrammar::Words& words, std::size_t base,
                 std::vector<std::pair<std::string, std::size_t>>& out) {
  for (std::size_t i = 0; i < words.size(); ++i)
    for (auto& w : words[i]) out.push_back({w, base + i});
}

std::size_t find_index(const std::vector<std::pair<std::string, std::size_t>>& index, const std::string& w) {
  for (auto& [word, i] : index)
    if (word == w) return i;
  throw std::logic_error("csl: no label for the word " + w);
}

}  // namespace

CslGrammar::CslGrammar(Words objects, Words colors, Words positions) {
  const Grammar obj = words_with_role(objects, kObject), col = words_with_role(colors, kColor),
                pos = words_with_role(positions, kAction);
  const Grammar is_action{{"is", {kAction}}}, is_norole{{"is", {kNoRole}}};
  const Grammar to_the{{"on the", {kNoRole, kNoRole}}};
  const Grammar this_is{{"this is", {kAction, kNoRole}}, {"that is", {kAction, kNoRole}}};
  const Grammar there_is{{"there is", {kNoRole, kNoRole}}};
  const Grammar det{{"a", {kNoRole}}, {"the", {kNoRole}}};
  Grammar col_or_none = col;
  col_or_none.put("", {});
  Grammar is_or_there_is = is_norole;
  is_or_there_is.merge(there_is);

  const Grammar a_color_object = concatenate({&det, &col_or_none, &obj});
  const Grammar to_the_position = concatenate({&to_the, &pos});
  Grammar one;
  one.merge(concatenate({&this_is, &a_color_object}));
  one.merge(concatenate({&det, &obj, &is_action, &col}));
  one.merge(concatenate({&det, &obj, &to_the_position, &is_norole, &col}));
  one.merge(concatenate({&a_color_object, &is_norole, &to_the_position}));
  one.merge(concatenate({&there_is, &a_color_object, &to_the_position}));
  one.merge(concatenate({&to_the_position, &is_or_there_is, &a_color_object}));

  std::set<std::string> vocab{"and"};
  for (auto& [s, r] : one.items()) {
    const auto words = split_words(s);
    if (words.size() != r.size())
      throw std::logic_error("csl: a sentence's roles do not match its words: " + s);
    sentences_.push_back(s);
    roles_.push_back(r);
    max_words_one_ = std::max(max_words_one_, words.size());
    vocab.insert(words.begin(), words.end());
  }
  vocabulary_.assign(vocab.begin(), vocab.end());

  const Words others{{"this"}, {"that"}, {"is"}};
  index_words(objects, 0, object_index_);
  index_words(colors, objects.size(), color_index_);
  index_words(positions, objects.size() + colors.size(), action_index_);
  index_words(others, objects.size() + colors.size() + positions.size(), action_index_);
  label_count_ = objects.size() + colors.size() + positions.size() + others.size();
}

std::size_t CslGrammar::word_index(const std::string& word) const {
  const auto it = std::lower_bound(vocabulary_.begin(), vocabulary_.end(), word);
  if (it == vocabulary_.end() || *it != word)
    throw std::logic_error("csl: " + word + " is not in the vocabulary");
  return static_cast<std::size_t>(it - vocabulary_.begin());
}

std::vector<double> CslGrammar::label(std::size_t i) const {
  std::vector<double> y(label_count_, 0.0);
  const auto words = split_words(sentences_.at(i));
  for (std::size_t k = 0; k < words.size(); ++k) {
    const int role = roles_[i][k];
    if (role == kObject) y[find_index(object_index_, words[k])] = 1.0;
    else if (role == kColor) y[find_index(color_index_, words[k])] = 1.0;
    else if (role == kAction) y[find_index(action_index_, words[k])] = 1.0;
  }
  return y;
}

CslGrammar::Words parse_csl_words(const std::string& text, const std::string& key) {
  CslGrammar::Words out;
  std::set<std::string> seen;
  std::istringstream groups(text);
  for (std::string group; std::getline(groups, group, ',');) {
    std::vector<std::string> words;
    std::istringstream syn(group);
    for (std::string w; std::getline(syn, w, '|');) {
      const auto parts = split_words(w);
      if (parts.size() != 1)
        throw InputError(key + ": \"" + w + "\" in \"" + text +
                         "\" is not one word (words are separated by ',', synonyms by '|')");
      if (!seen.insert(parts[0]).second)
        throw InputError(key + ": the word \"" + parts[0] + "\" appears twice in \"" + text + "\"");
      words.push_back(parts[0]);
    }
    if (words.empty()) throw InputError(key + ": an empty entry in \"" + text + "\"");
    out.push_back(std::move(words));
  }
  if (out.empty()) throw InputError(key + ": no word in \"" + text + "\"");
  return out;
}

namespace {

// Episodes: two one-situation sentences drawn uniformly and independently (the reference
// draws one of all N^2 two-situation sentences uniformly, which is the same), joined by "and".
class CslTask : public EpisodeTask {
 public:
  explicit CslTask(const Params& p)
      : grammar_(parse_csl_words(p.string("objects"), "task.objects"),
                 parse_csl_words(p.string("colors"), "task.colors"),
                 parse_csl_words(p.string("positions"), "task.positions")) {
    length = grammar_.max_words();
    input_dim = grammar_.vocabulary().size();
    target_dim = 2 * grammar_.labels_per_situation();
    train = static_cast<std::size_t>(p.integer("train"));
    validation = static_cast<std::size_t>(p.integer("validation"));
    test = static_cast<std::size_t>(p.integer("test"));
    if (validation >= train)
      throw InputError("task.validation (" + std::to_string(validation) +
                       " episodes) must be less than task.train (" + std::to_string(train) +
                       "): the validation episodes are held out of the training episodes");
    points = {{length - 1}};
    metric = Metric::LabelError;
  }

  EpisodeBatch episodes(Split split, std::size_t first, std::size_t count,
                        std::uint64_t seed) const override {
    const std::size_t n = grammar_.sentences().size(), half = grammar_.labels_per_situation();
    EpisodeBatch b;
    b.count = count;
    b.input.assign(length * count * input_dim, 0.0);
    b.target.assign(count * target_dim, 0.0);
    for (std::size_t e = 0; e < count; ++e) {
      Rng rng =
          make_rng(seed, (split == Split::Train ? "task.train." : "task.test.") + std::to_string(first + e));
      const std::size_t a =
          std::min(n - 1, static_cast<std::size_t>(uniform(rng, 0.0, static_cast<double>(n))));
      const std::size_t c =
          std::min(n - 1, static_cast<std::size_t>(uniform(rng, 0.0, static_cast<double>(n))));
      const auto words = split_words(grammar_.sentences()[a] + " and " + grammar_.sentences()[c]);
      const std::size_t pad = length - words.size();  // silent tokens first, as the reference pads
      for (std::size_t k = 0; k < words.size(); ++k)
        b.input[((pad + k) * count + e) * input_dim + grammar_.word_index(words[k])] = 1.0;
      const auto ya = grammar_.label(a), yc = grammar_.label(c);
      std::copy(ya.begin(), ya.end(), b.target.begin() + static_cast<std::ptrdiff_t>(e * target_dim));
      std::copy(yc.begin(), yc.end(), b.target.begin() + static_cast<std::ptrdiff_t>(e * target_dim + half));
    }
    return b;
  }

 private:
  CslGrammar grammar_;
};

}  // namespace

TaskInfo csl_task() {
  TaskInfo t;
  t.kind = "csl";
  t.description = "Cross-Situational Learning: the roles named by a two-situation sentence (multi-label)";
  t.params = {
      param::string("objects")
          .defaults_to("glass,orange,cup,bowl")
          .describe("object words, ',' between labels, '|' between synonyms"),
      param::string("colors")
          .defaults_to("blue,orange,green,red")
          .describe("colour words, ',' between labels, '|' between synonyms"),
      param::string("positions")
          .defaults_to("left,right,center|middle")
          .describe("position words, ',' between labels, '|' between synonyms (the first names the label)"),
      param::integer("train")
          .unit("episodes")
          .range(1, 1e9)
          .defaults_to(1200)
          .describe("sentences for the readout: those fitted on, then the validation ones"),
      param::integer("validation")
          .unit("episodes")
          .range(0, 1e9)
          .defaults_to(200)
          .describe("the last of the train sentences, held out of the fit to choose readout.ridge on"),
      param::integer("test")
          .unit("episodes")
          .range(1, 1e9)
          .defaults_to(1000)
          .describe("sentences it is evaluated on"),
  };
  t.create_episodes = [](const Params& p) { return std::make_unique<CslTask>(p); };
  return t;
}

}  // namespace ransim
