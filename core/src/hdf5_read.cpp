#include "ransim/hdf5_read.hpp"  // implementation in progress
