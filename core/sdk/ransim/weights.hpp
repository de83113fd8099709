#pragma once
// Weights of model plugins: drawn at random from a population's stream, or read from the HDF5
// file named by its weights_file / weights_group parameters, with shape and finiteness checks
// whose errors name the population, the file and the dataset:
//
//   population 'P': weights_file: FILE: dataset 'GROUP/NAME': reason
//
// The HDF5 reading itself is read_hdf5_array (ransim/hdf5_read.hpp).
#include <cstddef>
#include <string>
#include <vector>

#include <armadillo>

#include "ransim/hdf5_read.hpp"
#include "ransim/rng.hpp"

namespace ransim {

struct PopulationContext;

// "[2, 3]"; with a separator, the dimensions alone: shape_text({2, 3}, " x ") = "2 x 3".
std::string shape_text(const std::vector<std::size_t>& shape);
std::string shape_text(const std::vector<std::size_t>& shape, const std::string& separator);

// n values ~ N(0, sd^2) from rng (Box-Muller, ransim::normal), in order.
std::vector<double> random_normal(Rng& rng, std::size_t n, double sd);
// rows x cols entries ~ N(0, sd^2), drawn row by row.
arma::mat random_matrix(Rng& rng, std::size_t rows, std::size_t cols, double sd);

// The datasets of a population's weights_file under its weights_group.
class WeightFile {
 public:
  // Reads the parameters weights_file (empty: no file) and weights_group of c.
  explicit WeightFile(const PopulationContext& c);
  bool used() const { return !file_.empty(); }

  // GROUP/NAME, the group without its trailing slashes.
  std::string dataset(const std::string& name) const;

  // Throws InputError "population 'P': weights_file: FILE: dataset 'GROUP/NAME': reason".
  [[noreturn]] void fail(const std::string& name, const std::string& reason) const;

  // The dataset as it is, read errors prefixed with "population 'P': weights_file: ".
  Array read(const std::string& name) const;

  // `blocks` matrices of rows x cols, stacked, row-major: accepted as [blocks*rows, cols] (how
  // ransim records them), [blocks, rows, cols], or [blocks*rows] when cols == 1. `what` says
  // in the shape error what the dataset holds. Every value must be finite.
  std::vector<double> load_stacked(const std::string& name, std::size_t blocks, std::size_t rows,
                                   std::size_t cols, const std::string& what) const;

  // One rows x cols matrix (m(i, j) at [i][j] in the file); a vector [rows] is accepted when
  // cols == 1, and [cols] when rows == 1, as ransim records such matrices. Finite values.
  arma::mat load_matrix(const std::string& name, std::size_t rows, std::size_t cols) const;

 private:
  std::string population_, file_, group_;
};

}  // namespace ransim
