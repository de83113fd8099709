#include "train/train_file.hpp"

#include <sstream>

#include "io/hdf5_file.hpp"
#include "io/layout.hpp"
#include "io/recorder.hpp"
#include "ransim/error.hpp"
#include "train/trainable_network.hpp"

namespace ransim {

namespace lt = layout::train;

namespace {

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (auto& n : names) out += (out.empty() ? "" : " ") + n;
  return out;
}

std::vector<std::string> split(const std::string& text) {
  std::istringstream in(text);
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

// A matrix written by Recorder::write_matrix (row-major in the file).
arma::mat matrix(const Hdf5File& f, const std::string& dataset) {
  const Array a = f.array(dataset);
  if (a.shape.size() != 2) throw InputError(f.path() + ": dataset '" + dataset + "' is not a matrix");
  return arma::mat(a.values.data(), a.shape[1], a.shape[0]).t();
}

std::vector<double> values(const Hdf5File& f, const std::string& dataset) { return f.array(dataset).values; }

}  // namespace

void write_training(Recorder& rec, const TrainState& st, TrainEnd end, bool checkpoint) {
  rec.write_string(lt::kTrainable, joined(st.trainable));
  rec.write_vector(lt::kTrainLoss, st.train_loss, "1", "mean training loss per epoch");
  rec.write_vector(lt::kValidationLoss, st.validation_loss, "1", "validation loss after each epoch");
  rec.write_vector(lt::kValidationTargetVariance, {st.validation_target_variance}, "1",
                   "variance of the validation targets over tokens and lanes, mean over outputs");
  rec.write_matrix(lt::kReadout, st.best_epoch ? st.best_readout : st.readout, "1",
                   "the readout trained with the units: outputs x (features + 1), the last column the bias");
  rec.write_integer(lt::kBestEpoch, static_cast<std::int64_t>(st.best_epoch));
  rec.write_string(lt::kEnd, to_string(end));
  if (!checkpoint) return;
  rec.write_vector(lt::kValues, st.values);
  rec.write_matrix(lt::kCurrentReadout, st.readout);
  rec.write_vector(lt::kBestValues, st.best_values);
  rec.write_vector(lt::kAdamFirst, st.adam_m);
  rec.write_vector(lt::kAdamSecond, st.adam_v);
  rec.write_integer(lt::kAdamSteps, static_cast<std::int64_t>(st.adam_steps));
}

TrainState read_checkpoint(const std::string& path) {
  const Hdf5File f(path);
  if (!f.exists(lt::kValues))
    throw InputError(path + ": not a training checkpoint (no " + std::string(lt::kValues) +
                     "; checkpoints are written as PREFIX.checkpoint.h5 by `ransim train`)");
  TrainState st;
  st.trainable = split(f.string_dataset(lt::kTrainable).value_or(""));
  st.values = values(f, lt::kValues);
  st.readout = matrix(f, lt::kCurrentReadout);
  st.best_values = values(f, lt::kBestValues);
  st.best_readout = matrix(f, lt::kReadout);
  st.adam_m = values(f, lt::kAdamFirst);
  st.adam_v = values(f, lt::kAdamSecond);
  st.adam_steps = static_cast<std::size_t>(values(f, lt::kAdamSteps).at(0));
  st.train_loss = values(f, lt::kTrainLoss);
  st.validation_loss = values(f, lt::kValidationLoss);
  st.best_epoch = static_cast<std::size_t>(values(f, lt::kBestEpoch).at(0));
  return st;
}

void load_trained_weights(Network& net, const std::string& file) try {
  const Hdf5File f(file);
  const auto names = f.string_dataset(lt::kTrainable);
  if (!names)
    throw InputError("network.weights_file: " + file + " holds no trained weights (no " +
                     std::string(lt::kTrainable) + "; it is written by `ransim train`)");
  TrainableNetwork tn(net, split(*names));
  std::vector<double> all;
  const auto& sizes = tn.sizes();
  for (std::size_t i = 0; i < tn.names().size(); ++i) {
    const std::string& name = tn.names()[i];
    std::vector<double> v;
    if (const std::size_t dot = name.find('.'); dot != std::string::npos) {  // POP.WEIGHT
      const Array a = f.array(layout::network::population_member(name.substr(0, dot), name.substr(dot + 1)));
      // The file is row-major, Armadillo column-major: a matrix goes back through its transpose.
      if (a.shape.size() == 2) {
        const arma::mat m = arma::mat(a.values.data(), a.shape[1], a.shape[0]).t();
        v.assign(m.begin(), m.end());
      } else {
        v = a.values;
      }
    } else {  // a projection's nonzeros, with the sparsity checked
      const auto& proj = *std::find_if(net.projections().begin(), net.projections().end(),
                                       [&](const auto& p) { return p->name == name; });
      const auto [source, csr] = proj->matrices().at(0);
      const std::string group = layout::network::projection_weights(name, source.name);
      v = values(f, group + "/" + layout::kCsrData);
      const std::vector<double> indices = values(f, group + "/" + layout::kCsrIndices),
                                indptr = values(f, group + "/" + layout::kCsrIndptr);
      bool same = indices.size() == csr.col.size() && indptr.size() == csr.row_ptr.size();
      for (std::size_t k = 0; same && k < indices.size(); ++k) same = indices[k] == csr.col[k];
      for (std::size_t k = 0; same && k < indptr.size(); ++k) same = indptr[k] == csr.row_ptr[k];
      if (!same)
        throw InputError(
            "network.weights_file: " + file + ": projection '" + name +
            "' has another sparsity than this scenario's (trained from another seed or scenario?)");
    }
    if (v.size() != sizes[i])
      throw InputError("network.weights_file: " + file + ": '" + name + "' has " + std::to_string(v.size()) +
                       " values, this scenario's has " + std::to_string(sizes[i]));
    all.insert(all.end(), v.begin(), v.end());
  }
  tn.set_values(all);
} catch (const InputError& e) {
  const std::string what = e.what();
  if (what.rfind("network.weights_file", 0) == 0) throw;
  throw InputError("network.weights_file: " + what);
}

}  // namespace ransim
