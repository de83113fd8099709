#pragma once
// What a training writes and reads (docs/file-format.md, /train): the recording of a trained
// network, its checkpoints, and the trained weights a scenario loads (`network.weights_file`).
#include <string>

#include "engine/network.hpp"
#include "scenario/scenario.hpp"
#include "train/trainer.hpp"

namespace ransim {

class Recorder;

// /train: the trained names, the loss curves, the readout, the best epoch and how it ended
// (with `checkpoint`, also the current values and Adam's state).
void write_training(Recorder& rec, const TrainState& st, TrainEnd end, bool checkpoint);
// A checkpoint written by write_training(..., true); throws InputError naming the file.
TrainState read_checkpoint(const std::string& path);
// Replaces the network's weights named in FILE's /train/trainable by the file's values
// (under /network, as write_setup stored them). Throws InputError naming the file and the
// weight when one is missing or has another shape or sparsity.
void load_trained_weights(Network& net, const std::string& file);

}  // namespace ransim
