// Cross-Situational Learning (docs/tasks.md) against the definitions of CSLDataset.py
// (Naowak/CrossSituationalLearning) and generate_csl (Naowak/STREAM-Dataset): the number of
// one-situation sentences counted from the grammar's six templates, the sentence length, the
// vocabulary, and each episode's label recomputed here by parsing its words with the templates.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "ransim/error.hpp"
#include "support/test_support.hpp"
#include "tasks/csl.hpp"

namespace {

using ransim::test::task_params;

const std::vector<std::string> kObjects{"glass", "orange", "cup", "bowl"};
const std::vector<std::string> kColors{"blue", "orange", "green", "red"};

// The grammar's templates (OneSituationCSLDataset._create_dataset), with DET in {a, the},
// [COL] an optional colour, POS a position word:
//   this|that is DET [COL] OBJ            -> this|that, COL, OBJ
//   DET OBJ is COL                         -> is, OBJ, COL
//   DET OBJ on the POS is COL              -> POS, OBJ, COL
//   DET [COL] OBJ is on the POS            -> POS, COL, OBJ
//   there is DET [COL] OBJ on the POS      -> POS, COL, OBJ
//   on the POS is|there is DET [COL] OBJ   -> POS, COL, OBJ
// Returns the label names ("center" for "middle"); fails the test on a sentence of no template.
std::set<std::string> parse(const std::vector<std::string>& w) {
  auto pos = [](const std::string& p) { return p == "middle" ? std::string("center") : p; };
  auto det_col_obj = [&](std::size_t from, std::size_t to, std::set<std::string>& out) {  // DET [COL] OBJ
    EXPECT_TRUE(w[from] == "a" || w[from] == "the");
    EXPECT_TRUE(to - from == 2 || to - from == 3);
    for (std::size_t i = from + 1; i < to; ++i)
      out.insert((to - from == 3 && i == from + 1 ? "C:" : "O:") + w[i]);
  };
  std::set<std::string> out;
  const std::size_t n = w.size();
  if (w[0] == "this" || w[0] == "that") {
    out.insert(w[0]);
    det_col_obj(2, n, out);
  } else if (w[0] == "there") {
    out.insert(pos(w[n - 1]));
    det_col_obj(2, n - 3, out);
  } else if (w[0] == "on") {
    out.insert(pos(w[2]));
    det_col_obj(w[3] == "is" ? 4 : 5, n, out);
  } else if (n == 4 && w[2] == "is") {
    out.insert("is");
    out.insert("O:" + w[1]);
    out.insert("C:" + w[3]);
  } else if (w[2] == "on") {
    out.insert(pos(w[4]));
    out.insert("O:" + w[1]);
    out.insert("C:" + w[6]);
  } else {
    out.insert(pos(w[n - 1]));
    det_col_obj(0, n - 4, out);
  }
  return out;
}

// The label layout (Labeler): objects, colours, positions (left, right, center), this, that, is.
std::vector<double> label_of(const std::set<std::string>& names) {
  std::vector<double> y(14, 0.0);
  for (auto& nm : names) {
    std::size_t i = 0;
    if (nm.rfind("O:", 0) == 0)
      i = std::find(kObjects.begin(), kObjects.end(), nm.substr(2)) - kObjects.begin();
    else if (nm.rfind("C:", 0) == 0)
      i = 4 + (std::find(kColors.begin(), kColors.end(), nm.substr(2)) - kColors.begin());
    else {
      const std::vector<std::string> actions{"left", "right", "center", "this", "that", "is"};
      i = 8 + (std::find(actions.begin(), actions.end(), nm) - actions.begin());
    }
    EXPECT_LT(i, 14u) << nm;
    if (i < 14) y[i] = 1.0;
  }
  return y;
}

TEST(Csl, SentenceCountFromTheTemplates) {
  // O objects, C colours, P position words: this/that x a_color_object 2 * 2(C+1)O, DET OBJ is
  // COL 2OC, DET OBJ on the POS is COL 2OPC, and the three templates with a_color_object and
  // one position (1 + 1 + 2 variants) 8(C+1)OP. O = C = P = 4: 80 + 32 + 128 + 640.
  const ransim::CslGrammar g(ransim::parse_csl_words("glass,orange,cup,bowl", "o"),
                             ransim::parse_csl_words("blue,orange,green,red", "c"),
                             ransim::parse_csl_words("left,right,center|middle", "p"));
  EXPECT_EQ(g.sentences().size(), 880u);
  EXPECT_EQ(std::set<std::string>(g.sentences().begin(), g.sentences().end()).size(), 880u);
  // "on the left there is a blue glass": 8 words; two situations and "and": 17.
  EXPECT_EQ(g.max_words(), 17u);
  // 11 distinct content words (orange twice) + this that is a the on there and.
  EXPECT_EQ(g.vocabulary().size(), 19u);
  EXPECT_EQ(g.labels_per_situation(), 14u);
  // The reference's first sentence: "this is" + "a" + "blue" + "glass".
  EXPECT_EQ(g.sentences().front(), "this is a blue glass");
}

TEST(Csl, EpisodeLabelsFollowTheGrammar) {
  auto t = ransim::find_task("csl")->create_episodes(task_params("csl", {}));
  ASSERT_EQ(t->length, 17u);
  ASSERT_EQ(t->input_dim, 19u);
  ASSERT_EQ(t->target_dim, 28u);
  ASSERT_EQ(t->points, std::vector<std::vector<std::size_t>>{{16}});
  EXPECT_EQ(t->metric, ransim::Metric::LabelError);
  EXPECT_EQ(t->fit_episodes(), 1000u);
  const ransim::CslGrammar g(ransim::parse_csl_words("glass,orange,cup,bowl", "o"),
                             ransim::parse_csl_words("blue,orange,green,red", "c"),
                             ransim::parse_csl_words("left,right,center|middle", "p"));
  const std::size_t E = 300;
  const ransim::EpisodeBatch b = t->episodes(ransim::Split::Train, 0, E, 5);
  std::set<std::string> distinct;
  for (std::size_t e = 0; e < E; ++e) {
    std::vector<std::string> words;
    bool started = false;
    for (std::size_t k = 0; k < 17; ++k) {
      const double* x = &b.input[(k * E + e) * 19];
      const long ones = std::count(x, x + 19, 1.0), zeros = std::count(x, x + 19, 0.0);
      ASSERT_EQ(ones + zeros, 19);
      if (ones == 0) {
        ASSERT_FALSE(started) << "silent tokens pad the start only";
        continue;
      }
      ASSERT_EQ(ones, 1);
      started = true;
      words.push_back(g.vocabulary()[ransim::test::argmax(x, 19)]);
    }
    const auto at = std::find(words.begin(), words.end(), "and");
    ASSERT_NE(at, words.end());
    const std::vector<std::string> first(words.begin(), at), second(at + 1, words.end());
    std::ostringstream s;
    for (auto& w : words) s << w << ' ';
    distinct.insert(s.str());
    const auto y1 = label_of(parse(first)), y2 = label_of(parse(second));
    for (std::size_t i = 0; i < 14; ++i) {
      ASSERT_EQ(b.target[e * 28 + i], y1[i]) << s.str() << " label " << i;
      ASSERT_EQ(b.target[e * 28 + 14 + i], y2[i]) << s.str() << " label " << 14 + i;
    }
  }
  EXPECT_GT(distinct.size(), E - 3) << "drawn from 880^2 sentences";
}

TEST(Csl, BadWordListsAreNamed) {
  EXPECT_THROW(ransim::parse_csl_words("glass,,cup", "task.objects"), ransim::InputError);
  try {
    ransim::parse_csl_words("glass,big cup", "task.objects");
    FAIL();
  } catch (const ransim::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("task.objects"), std::string::npos);
  }
}

}  // namespace
