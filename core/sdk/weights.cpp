#include "ransim/weights.hpp"

#include <cmath>

#include "ransim/error.hpp"
#include "ransim/population.hpp"

namespace ransim {

std::string shape_text(const std::vector<std::size_t>& shape, const std::string& separator) {
  std::string s;
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? separator : "") + std::to_string(shape[i]);
  return s;
}

std::string shape_text(const std::vector<std::size_t>& shape) {
  std::string s = "[";
  s += shape_text(shape, ", ");
  return s + "]";
}

std::vector<double> random_normal(Rng& rng, std::size_t n, double sd) {
  std::vector<double> v(n);
  for (auto& x : v) x = sd * normal(rng);
  return v;
}

arma::mat random_matrix(Rng& rng, std::size_t rows, std::size_t cols, double sd) {
  arma::mat m(rows, cols);
  for (std::size_t i = 0; i < rows; ++i)
    for (std::size_t j = 0; j < cols; ++j) m(i, j) = sd * normal(rng);
  return m;
}

WeightFile::WeightFile(const PopulationContext& c)
    : population_(c.name), file_(c.params.string("weights_file")), group_(c.params.string("weights_group")) {}

std::string WeightFile::dataset(const std::string& name) const {
  std::string g = group_;
  while (!g.empty() && g.back() == '/') g.pop_back();
  return g + "/" + name;
}

void WeightFile::fail(const std::string& name, const std::string& reason) const {
  throw InputError("population '" + population_ + "': weights_file: " + file_ + ": dataset '" +
                   dataset(name) + "': " + reason);
}

Array WeightFile::read(const std::string& name) const {
  try {
    return read_hdf5_array(file_, dataset(name));
  } catch (const InputError& e) {
    throw InputError("population '" + population_ + "': weights_file: " + e.what());
  }
}

std::vector<double> WeightFile::load_stacked(const std::string& name, std::size_t blocks, std::size_t rows,
                                             std::size_t cols, const std::string& what) const {
  Array a = read(name);
  const std::vector<std::size_t> flat{blocks * rows, cols}, stacked{blocks, rows, cols};
  const bool ok = a.shape == flat || a.shape == stacked ||
                  (cols == 1 && a.shape == std::vector<std::size_t>{blocks * rows});
  if (!ok)
    fail(name, "expected shape " + shape_text(flat) + " or " + shape_text(stacked) + " (" + what +
                   "), found " + shape_text(a.shape));
  for (std::size_t i = 0; i < a.values.size(); ++i)
    if (!std::isfinite(a.values[i]))
      fail(name, "value " + std::to_string(i) + " is not finite (" + std::to_string(a.values[i]) + ")");
  return std::move(a.values);
}

arma::mat WeightFile::load_matrix(const std::string& name, std::size_t rows, std::size_t cols) const {
  const Array a = read(name);
  const bool ok = a.shape == std::vector<std::size_t>{rows, cols} ||
                  (cols == 1 && a.shape == std::vector<std::size_t>{rows}) ||
                  (rows == 1 && a.shape == std::vector<std::size_t>{cols});
  if (!ok) fail(name, "expected shape " + shape_text({rows, cols}) + ", found " + shape_text(a.shape));
  arma::mat m(rows, cols);
  for (std::size_t i = 0; i < rows; ++i)
    for (std::size_t j = 0; j < cols; ++j) {
      const double v = a.values[i * cols + j];
      if (!std::isfinite(v))
        fail(name, "value [" + std::to_string(i) + "][" + std::to_string(j) + "] is not finite");
      m(i, j) = v;
    }
  return m;
}

}  // namespace ransim
