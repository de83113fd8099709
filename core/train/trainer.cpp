#include "train/trainer.hpp"

#include <cmath>
#include <limits>

#include "engine/simulator.hpp"
#include "ransim/error.hpp"
#include "readout/features.hpp"
#include "scenario/build_network.hpp"
#include "tasks/tasks.hpp"
#include "train/adam.hpp"
#include "train/token_tape.hpp"
#include "train/trainable_network.hpp"

namespace ransim {

std::string to_string(TrainEnd end) {
  switch (end) {
    case TrainEnd::Epochs: return "epochs";
    case TrainEnd::EarlyStopping: return "early stopping";
    case TrainEnd::Interrupted: return "interrupted";
  }
  return "?";
}

struct Trainer::Impl {
  Scenario sc;
  std::unique_ptr<Task> task;
  std::unique_ptr<Network> net;
  std::unique_ptr<Simulator> sim;
  std::unique_ptr<TrainableNetwork> tn;
  std::unique_ptr<TokenTape> tape;
  FeatureSelection features;
  std::size_t lanes = 1, outputs = 1, window = 1;
  bool cross_entropy = false;
  std::vector<double> u;

  explicit Impl(const Scenario& scenario);
  Sequences draw(const std::string& stream) const {
    Rng rng = make_rng(sc.train.integer("seed"), stream);
    Sequences s = task->generate(lanes, rng);
    for (double v : s.target)
      if (!std::isfinite(v))
        throw RunError("train: task '" + sc.task_kind + "' gave non-finite targets for the batch \"" +
                       stream + "\" (train.seed " + std::to_string(sc.train.integer("seed")) +
                       "); try another train.seed or train.batch");
    return s;
  }
  void present(const Sequences& s, std::size_t k) {
    for (std::size_t b = 0; b < lanes; ++b)
      for (std::size_t i = 0; i < s.input_dim; ++i) u[i * lanes + b] = s.input_at(k, b)[i];
  }
  void warm_up(const Sequences& s);
  // Loss summed over the lanes at token k (the state after it); adds d(loss)/dx * scale into
  // g_x and d(loss)/dW * scale into g_w when they are given.
  double loss(const arma::mat& w, const Sequences& s, std::size_t k, double scale, double* g_x,
              arma::mat* g_w);
  // The features' cotangents (features x lanes) into the state's, through sample_vjp for recordables.
  void features_vjp(const arma::mat& g_all, double* g_x);
  double train_batch(TrainState& st, Adam& adam, const Sequences& s, const std::atomic<int>* stop,
                     bool& stopped);
  double validate(const arma::mat& w, const Sequences& s);
  // Of the training tokens' targets, over tokens and lanes, averaged over outputs.
  double target_variance(const Sequences& s) const;
  void install(const std::vector<double>& flat, TrainState& st);
};

Trainer::Impl::Impl(const Scenario& scenario) : sc(scenario) {
  const TaskInfo* info = find_task(sc.task_kind);
  if (info->episodic())
    throw InputError("train: task '" + sc.task_kind +
                     "' runs in episodes; `ransim train` trains on stream tasks for now (docs/training.md)");
  task = info->create(sc.task);
  lanes = static_cast<std::size_t>(sc.train.integer("batch"));
  window = static_cast<std::size_t>(sc.train.integer("window"));
  cross_entropy = sc.train.string("loss") == "cross_entropy";
  Scenario batch = sc;
  batch.lanes = lanes;
  net = build_network(batch, task->input_dim);
  task->set_state_size(net->state_size());
  tn = std::make_unique<TrainableNetwork>(*net, sc.train_trainable);
  sim = std::make_unique<Simulator>(*net, sc.integrator);
  tape = std::make_unique<TokenTape>(*sim, *tn);
  features = FeatureSelection(sc, *net, task->input_dim);
  for (const auto& e : features.entries())
    if (!e.state()) tn->require_sample_vjp(e.population, e.recordable, "train: readout.from");
  const Sequences probe = draw("train.probe");
  outputs = probe.target_dim;
  u.assign(task->input_dim * lanes, 0.0);
  const Protocol& p = task->protocol;
  if (p.train == 0) throw InputError("train: task '" + sc.task_kind + "' has no training tokens");
}

void Trainer::Impl::warm_up(const Sequences& s) {
  sim->reset();
  for (std::size_t k = 0; k < task->protocol.warmup; ++k) {
    present(s, k);
    if (!sim->step_token(u.data())) throw RunError("training: the simulation was stopped");
  }
}

double Trainer::Impl::loss(const arma::mat& w, const Sequences& s, std::size_t k, double scale, double* g_x,
                           arma::mat* g_w) {
  const std::size_t f = features.size();
  const double* x = sim->state().data();
  arma::mat all(f, lanes);  // the features of every lane, a column each
  features.copy_all(*net, x, u.data(), all.memptr());
  arma::mat g_all(g_w ? f : 0, lanes);  // d(loss)/d(features) * scale
  arma::vec phi(f + 1), y, g;
  double total = 0;
  for (std::size_t b = 0; b < lanes; ++b) {
    phi.head(f) = all.col(b);
    phi[f] = 1.0;
    y = w * phi;
    const arma::vec t(const_cast<double*>(s.target_at(k, b)), outputs, false, true);
    if (cross_entropy) {  // softmax(y), loss -sum t log p, d/dy = p - t (for t summing to 1)
      const arma::vec p = arma::exp(y - y.max()) / arma::accu(arma::exp(y - y.max()));
      total -= arma::dot(t, arma::log(arma::clamp(p, 1e-300, 1.0)));
      g = p - t;
    } else {
      g = y - t;
      total += arma::dot(g, g);
      g *= 2.0;
    }
    if (!g_w) continue;
    *g_w += scale * g * phi.t();
    g_all.col(b) = scale * (w.head_cols(f).t() * g);
  }
  if (g_w) features_vjp(g_all, g_x);
  return total;
}

void Trainer::Impl::features_vjp(const arma::mat& g_all, double* g_x) {
  const double* x = sim->state().data();
  std::size_t row = 0;  // the entry's first feature; the input's come last and train nothing
  for (const auto& e : features.entries()) {
    if (e.state()) {
      const std::size_t first = net->populations()[e.population].offset;
      for (std::size_t b = 0; b < lanes; ++b)
        for (std::size_t v = 0; v < e.size; ++v) g_x[(first + v) * lanes + b] += g_all(row + v, b);
    } else {  // rows [row, row + size) of g_all, column-major, are the recordable's lane-major cotangent
      const arma::mat g_out = g_all.rows(row, row + e.size - 1);
      tn->sample_vjp(e.population, e.recordable, x, u.data(), g_out.memptr(), g_x);
    }
    row += e.size;
  }
}

void Trainer::Impl::install(const std::vector<double>& flat, TrainState& st) {
  const std::size_t p = tn->size();
  st.values.assign(flat.begin(), flat.begin() + static_cast<std::ptrdiff_t>(p));
  std::copy(flat.begin() + static_cast<std::ptrdiff_t>(p), flat.end(), st.readout.begin());
  tn->set_values(st.values);
}

double Trainer::Impl::train_batch(TrainState& st, Adam& adam, const Sequences& s,
                                  const std::atomic<int>* stop, bool& stopped) {
  warm_up(s);
  const Protocol& p = task->protocol;
  const std::size_t n = net->state_size() * lanes, per_token = lanes * (cross_entropy ? 1 : outputs);
  double sum = 0;
  std::vector<std::vector<double>> g_out;  // d(loss)/d(state after token), per token of the window
  for (std::size_t start = p.warmup; start < p.warmup + p.train && !stopped; start += window) {
    const std::size_t end = std::min(start + window, p.warmup + p.train);
    const double scale = 1.0 / static_cast<double>((end - start) * per_token);
    tn->zero_gradient();
    arma::mat g_w(arma::size(st.readout), arma::fill::zeros);
    g_out.assign(end - start, std::vector<double>(n, 0.0));
    for (std::size_t k = start; k < end; ++k) {
      present(s, k);
      tape->forward(u.data());
      sum += loss(st.readout, s, k, scale, g_out[k - start].data(), &g_w);
    }
    std::vector<double> g_x(n, 0.0), g_tick(tn->tick_state_size() * lanes, 0.0);
    for (std::size_t k = end; k-- > start;) {
      for (std::size_t i = 0; i < n; ++i) g_x[i] += g_out[k - start][i];
      tape->backward(g_x, g_tick);
    }
    tape->restore_tick_state();
    std::vector<double> flat = st.values, grad = tn->gradient();
    flat.insert(flat.end(), st.readout.begin(), st.readout.end());
    grad.insert(grad.end(), g_w.begin(), g_w.end());
    adam.step(flat, std::move(grad));
    install(flat, st);
    stopped = stop && stop->load() != 0;
  }
  return sum / static_cast<double>(p.train * per_token);
}

double Trainer::Impl::validate(const arma::mat& w, const Sequences& s) {
  warm_up(s);
  const Protocol& p = task->protocol;
  double sum = 0;
  for (std::size_t k = p.warmup; k < p.warmup + p.train; ++k) {
    present(s, k);
    if (!sim->step_token(u.data())) throw RunError("training: the simulation was stopped");
    sum += loss(w, s, k, 0, nullptr, nullptr);
  }
  return sum / static_cast<double>(p.train * lanes * (cross_entropy ? 1 : outputs));
}

double Trainer::Impl::target_variance(const Sequences& s) const {
  const Protocol& p = task->protocol;
  const arma::mat t(const_cast<double*>(s.target_at(p.warmup, 0)), outputs, p.train * lanes, false, true);
  return arma::mean(arma::var(t, 1, 1));  // over the columns (tokens x lanes), normalised by N
}

Trainer::Trainer(const Scenario& sc) : impl_(std::make_unique<Impl>(sc)) {}
Trainer::~Trainer() = default;
const Network& Trainer::network() const { return *impl_->net; }

TrainEnd Trainer::run(TrainState& st, const std::function<void(const TrainProgress&)>& progress,
                      const std::function<void(const TrainState&)>& checkpoint,
                      const std::atomic<int>* stop) {
  Impl& im = *impl_;
  const Scenario& sc = im.sc;
  if (st.trainable.empty() && st.values.empty()) {  // a new training
    st.trainable = im.tn->names();
    st.values = im.tn->values();
    st.readout.zeros(im.outputs, im.features.size() + 1);
  }
  if (st.trainable != im.tn->names() || st.values.size() != im.tn->size() ||
      st.readout.n_rows != im.outputs || st.readout.n_cols != im.features.size() + 1)
    throw InputError("train: the checkpoint does not match this scenario's trainable weights or readout");
  im.tn->set_values(st.values);
  const std::size_t size = st.values.size() + st.readout.n_elem;
  Adam adam(size, {.lr = sc.train.real("lr"),
                   .beta1 = sc.train.real("beta1"),
                   .beta2 = sc.train.real("beta2"),
                   .weight_decay = sc.train.real("weight_decay"),
                   .clip = sc.train.real("clip")});
  if (st.adam_m.size() == size) {
    adam.first_moment() = st.adam_m;
    adam.second_moment() = st.adam_v;
    adam.steps() = st.adam_steps;
  }
  const auto epochs = static_cast<std::size_t>(sc.train.integer("epochs"));
  const auto patience = static_cast<std::size_t>(sc.train.integer("patience"));
  const Sequences validation = im.draw("train.validation");
  st.validation_target_variance = im.target_variance(validation);
  for (std::size_t e = st.train_loss.size() + 1; e <= epochs; ++e) {
    if (patience && st.best_epoch && e - 1 - st.best_epoch >= patience) {
      im.tn->set_values(st.best_values);
      return TrainEnd::EarlyStopping;
    }
    bool stopped = false;
    double train = 0;  // the mean over the epoch's mini-batches; batch 0's stream is the epoch's own
    const auto batches = static_cast<std::size_t>(sc.train.integer("batches"));
    for (std::size_t i = 0; i < batches && !stopped; ++i) {
      const std::string stream =
          "train.epoch." + std::to_string(e) + (i ? ".batch." + std::to_string(i) : "");
      train += im.train_batch(st, adam, im.draw(stream), stop, stopped);
    }
    train /= static_cast<double>(batches);
    if (stopped) {
      im.tn->set_values(st.best_epoch ? st.best_values : st.values);
      return TrainEnd::Interrupted;
    }
    const double val = im.validate(st.readout, validation);
    if (!std::isfinite(train) || !std::isfinite(val))
      throw RunError("train: the loss is not finite in epoch " + std::to_string(e) +
                     " (lower train.lr or set train.clip)");
    st.train_loss.push_back(train);
    st.validation_loss.push_back(val);
    const bool best = !st.best_epoch || val < st.validation_loss[st.best_epoch - 1];
    if (best) {
      st.best_epoch = e;
      st.best_values = st.values;
      st.best_readout = st.readout;
    }
    st.adam_m = adam.first_moment();
    st.adam_v = adam.second_moment();
    st.adam_steps = adam.steps();
    if (progress) progress({e, epochs, train, val, best});
    if (checkpoint) checkpoint(st);
  }
  im.tn->set_values(st.best_values);
  return TrainEnd::Epochs;
}

}  // namespace ransim
